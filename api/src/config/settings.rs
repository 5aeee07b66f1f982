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
