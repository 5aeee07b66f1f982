//! Sending one event to one destination: a signed webhook, a Slack or Teams incoming webhook, or email over SMTP.
//!
//! Outbound HTTP is bounded: connect and whole-request timeouts, redirects followed only within the same host (a
//! receiver cannot bounce a signed event elsewhere), and at most [`ERROR_BODY_BYTES`] of an answer read, only to
//! say why it failed. Errors never carry a secret: reqwest's errors are stripped of their URL (a chat webhook's URL
//! is its secret), and secrets are [`Secret`]s.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use meshport_shared::events::Event;
use reqwest::redirect::Policy;
use reqwest::{Url, header};

use super::render::{self, Notice};
use super::webhook::{WebhookSecret, signature_header};
use crate::config::{SmtpSettings, SmtpTls};
use crate::error_chain;
use crate::secrets::Secret;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const MAIL_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 3;
/// The most of a failed answer's body kept to say why it failed.
pub const ERROR_BODY_BYTES: usize = 512;

/// Which destination a delivery goes to: the outbox's, as deliveries are stored in the catalog.
pub use crate::catalog::DestinationId;

/// Where events go, with what it takes to send there.
#[derive(Debug, Clone)]
pub enum Destination {
    /// The event's CloudEvent JSON, signed with each secret (several during a rotation).
    Webhook {
        url: Url,
        secrets: Vec<WebhookSecret>,
    },
    /// A Slack incoming webhook; its URL is its credential.
    Slack {
        url: Secret,
    },
    /// A Microsoft Teams incoming webhook (Workflows); its URL is its credential.
    Teams {
        url: Secret,
    },
    Email {
        to: Vec<Mailbox>,
    },
}

/// How email leaves: the SMTP relay (a local catcher, or SES's SMTP interface in the cloud).
#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Sign-in, when the relay asks for one.
    pub credentials: Option<(String, Secret)>,
    pub from: Mailbox,
}

/// The configured relay (`MESHPORT_SMTP_*`) as the email channel takes it, the password held as a [`Secret`].
impl From<&SmtpSettings> for EmailSettings {
    fn from(smtp: &SmtpSettings) -> Self {
        EmailSettings {
            host: smtp.host.clone(),
            port: smtp.port,
            security: match smtp.security {
                SmtpTls::None => SmtpSecurity::None,
                SmtpTls::StartTls => SmtpSecurity::StartTls,
                SmtpTls::Tls => SmtpSecurity::Tls,
            },
            credentials: smtp
                .credentials
                .as_ref()
                .map(|(user, password)| (user.clone(), Secret::new(password.clone()))),
            from: smtp.from.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP: local catchers only.
    None,
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// Why a delivery failed; never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("the receiver answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("the receiver could not be reached: {0}")]
    Unreachable(String),
    #[error("the mail relay did not take the message: {0}")]
    Mail(String),
    #[error("destination `{0}` is not configured")]
    UnknownDestination(DestinationId),
    #[error("email is not configured (no SMTP relay)")]
    NoMailer,
}

/// The destinations and the clients that reach them, built once.
pub struct Channels {
    http: reqwest::Client,
    mailer: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    portal_url: String,
    /// Added to as teams' channels are met (a team's are read again with each event).
    destinations: std::sync::RwLock<HashMap<DestinationId, Destination>>,
}

impl fmt::Debug for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channels")
            .field("portal_url", &self.portal_url)
            .field("destinations", &self.destinations)
            .field("mailer", &self.mailer.as_ref().map(|(_, from)| from))
            .finish_non_exhaustive()
    }
}

impl Channels {
    /// Channels to `destinations`, linking to products under `portal_url`; without `email`, email destinations fail.
    pub fn new(
        portal_url: &str,
        email: Option<EmailSettings>,
        destinations: HashMap<DestinationId, Destination>,
    ) -> Result<Self, DeliveryError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(Policy::custom(|attempt| {
                let same_host = attempt.previous().first().is_some_and(|first| {
                    first.host_str() == attempt.url().host_str()
                        && first.port_or_known_default() == attempt.url().port_or_known_default()
                });
                if attempt.previous().len() > MAX_REDIRECTS || !same_host { attempt.stop() } else { attempt.follow() }
            }))
            .build()
            .map_err(|e| DeliveryError::Unreachable(format!("cannot build the HTTP client: {}", error_chain(&e))))?;
        let mailer = email.map(mailer).transpose()?;
        let destinations = std::sync::RwLock::new(destinations);
        Ok(Self { http, mailer, portal_url: portal_url.trim_end_matches('/').to_owned(), destinations })
    }

    /// Adds or replaces the destination `id`.
    pub fn set_destination(&self, id: DestinationId, destination: Destination) {
        self.destinations.write().expect("the destinations' lock").insert(id, destination);
    }

    /// Whether a destination is known (set, and not removed since).
    pub fn knows(&self, id: &DestinationId) -> bool {
        self.destinations.read().expect("the destinations' lock").contains_key(id)
    }

    /// Forgets a destination (a channel its team removed, a watcher who muted): a delivery to it fails as unknown.
    pub fn remove_destination(&self, id: &DestinationId) {
        self.destinations.write().expect("the destinations' lock").remove(id);
    }

    /// Sends `event` to `destination` once. `Ok` only when the receiver took it (2xx, or the relay accepted the
    /// mail); the message id of an email is the event's and the destination's, so a relay or reader can tell a
    /// retry from a new event.
    pub async fn deliver(&self, event: &Event, destination: &DestinationId) -> Result<(), DeliveryError> {
        let target = self.destinations.read().expect("the destinations' lock").get(destination).cloned();
        let target = target.ok_or_else(|| DeliveryError::UnknownDestination(destination.clone()))?;
        match &target {
            Destination::Webhook { url, secrets } => {
                let body = serde_json::to_vec(event).expect("an event serializes");
                let timestamp = jiff::Timestamp::now().as_second();
                let mut request = self
                    .http
                    .post(url.clone())
                    .header(header::CONTENT_TYPE, "application/json")
                    .header("webhook-id", &event.id)
                    .header("webhook-timestamp", timestamp.to_string());
                if !secrets.is_empty() {
                    request =
                        request.header("webhook-signature", signature_header(secrets, &event.id, timestamp, &body));
                }
                self.send(request.body(body)).await
            }
            Destination::Slack { url } => {
                self.post_json(url, &render::slack(&Notice::of(event, &self.portal_url))).await
            }
            Destination::Teams { url } => {
                self.post_json(url, &render::teams(&Notice::of(event, &self.portal_url))).await
            }
            Destination::Email { to } => self.mail(event, destination, to).await,
        }
    }

    async fn post_json(&self, url: &Secret, body: &serde_json::Value) -> Result<(), DeliveryError> {
        let url = Url::parse(url.expose())
            .map_err(|_| DeliveryError::Unreachable("the webhook URL is not a valid URL".to_owned()))?;
        self.send(self.http.post(url).json(body)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(), DeliveryError> {
        let mut response =
            request.send().await.map_err(|e| DeliveryError::Unreachable(error_chain(&e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // Read only a little of what a failing receiver says, however much it sends.
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(ERROR_BODY_BYTES);
        let body = crate::embed::clip(&String::from_utf8_lossy(&body), 200);
        Err(DeliveryError::Refused { status: status.as_u16(), body })
    }

    async fn mail(&self, event: &Event, destination: &DestinationId, to: &[Mailbox]) -> Result<(), DeliveryError> {
        let (transport, from) = self.mailer.as_ref().ok_or(DeliveryError::NoMailer)?;
        let email = render::email(event, &Notice::of(event, &self.portal_url));
        let domain = from.email.domain();
        let mut builder = Message::builder().from(from.clone()).subject(email.subject).message_id(Some(format!(
            "<event-{}.{}@{domain}>",
            event.id,
            message_id_part(&destination.0)
        )));
        for mailbox in to {
            builder = builder.to(mailbox.clone());
        }
        let message = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(email.html)),
            )
            .map_err(|e| DeliveryError::Mail(e.to_string()))?;
        // lettre's own timeout bounds each read and write, not the whole exchange; a relay that stalls between
        // answers is bounded here.
        match tokio::time::timeout(MAIL_TIMEOUT, transport.send(message)).await {
            Ok(sent) => sent.map(|_| ()).map_err(|e| DeliveryError::Mail(error_chain(&e))),
            Err(_) => Err(DeliveryError::Mail(format!("no answer within {} s", MAIL_TIMEOUT.as_secs()))),
        }
    }
}

/// A destination's id as it may appear in a Message-ID: letters, digits, `-` and `.`, the rest as `-`.
fn message_id_part(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' }).collect()
}

fn mailer(settings: EmailSettings) -> Result<(AsyncSmtpTransport<Tokio1Executor>, Mailbox), DeliveryError> {
    let tls =
        |host: &str| TlsParameters::new(host.to_owned()).map_err(|e| DeliveryError::Mail(format!("TLS settings: {e}")));
    let security = match settings.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls => Tls::Required(tls(&settings.host)?),
        SmtpSecurity::Tls => Tls::Wrapper(tls(&settings.host)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .tls(security)
        .timeout(Some(REQUEST_TIMEOUT));
    if let Some((user, password)) = settings.credentials {
        builder = builder.credentials(Credentials::new(user, password.expose().to_owned()));
    }
    Ok((builder.build(), settings.from))
}
