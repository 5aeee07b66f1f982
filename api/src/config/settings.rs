//! The settings handed to the catalog's DynamoDB store and to the embeds, kept here so `config` depends on nothing
//! else in the crate: the modules that use them import them from here.

use std::time::Duration;

/// Where the table is and how to reach it.
#[derive(Clone)]
pub struct DynamoSettings {
    pub table: String,
    pub region: String,
    /// An endpoint override, for moto or DynamoDB Local; `None` means AWS.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for DynamoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials stay out of logs.
        f.debug_struct("DynamoSettings")
            .field("table", &self.table)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// What the organisation configured for embeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedSettings {
    /// The portal's public base URL, without a trailing slash: `https://mesh.acme.example`.
    pub portal_url: String,
    /// The CSP source list of the pages allowed to frame cards: `'self' https://wiki.acme.example`.
    pub frame_ancestors: String,
    /// Whether cards, badges and oEmbed answer without sign-in.
    pub public_cards: bool,
    /// Where the portal's `index.html` is served (the CDN in the cloud), for an API without the portal's files to
    /// answer product pages with the oEmbed discovery link.
    pub portal_index_url: Option<String>,
}

/// The SMTP relay notification emails leave through (`MESHPORT_SMTP_*`): a local catcher, the organisation's relay,
/// or SES's SMTP interface.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpTls,
    /// The user the relay signs in, with its password (`MESHPORT_SMTP_PASSWORD`).
    pub credentials: Option<(String, String)>,
    /// Who the emails are from: `Meshport <meshport@acme.example>`.
    pub from: lettre::message::Mailbox,
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://...?tls=none`: in the clear, for a catcher on this machine.
    None,
    /// `smtp://`: STARTTLS, required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs; the user does not need to.
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}
