//! Change events: what the catalog tells people and systems about a change, as CloudEvents 1.0 in JSON
//! (<https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md> and its JSON format), and who each kind of
//! change concerns.
//!
//! The attributes are written here rather than through the `cloudevents-sdk` crate: the SDK brings chrono, url and
//! its HTTP bindings for a dozen fields, and this crate builds for the portal's wasm. [`Event::check`] enforces the
//! spec's rules on what is sent (required attributes, naming), and its tests follow the spec.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::access::{AccessRequest, AccessState};
use crate::mirror::{AuditAction, AuditEntry, AuditStage};
use crate::names::ProductId;
use crate::product::DataProduct;
use crate::proposals::{ChangeProposal, ProposalState};

/// The CloudEvents version every event declares.
pub const SPEC_VERSION: &str = "1.0";
/// The prefix of every event type: reverse DNS of the project, as the spec recommends.
pub const TYPE_PREFIX: &str = "io.meshport.";
/// The media type of every event's `data`.
pub const DATA_CONTENT_TYPE: &str = "application/json";
/// The `source` of an event as the catalog stores it: a URI reference naming the catalog. Whoever hands events out
/// (the feed, the dispatcher) may name the deployment instead, with [`Event::from_source`].
pub const CATALOG_SOURCE: &str = "/meshport/catalog";

/// One kind of change the catalog makes, each an event type of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ProductPublished,
    ProductCreated,
    ProductUpdated,
    SchemaEvolved,
    NewMajorVersion,
    ProductDeprecated,
    ProductRetired,
    TopicDeleted,
    AccessRequested,
    AccessApproved,
    AccessDenied,
    AccessRevoked,
    AccessExpiring,
    AccessExpired,
    /// A deprecated product's sunset is near: its consumers are reminded.
    SunsetReminder,
    /// A breaking change waits for the sign-off of the product's subscribers.
    ChangeProposed,
    /// A subscribing team objected to a proposed breaking change: it is blocked.
    ChangeObjected,
    /// The owners withdrew a proposed breaking change.
    ChangeWithdrawn,
}

/// Who an event concerns. Each is resolved to teams and people by the API (grants, owners, watchers); this type only
/// says which of them a kind of change is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Teams with an active grant on the product: they consume it.
    Subscribers,
    /// The product's owning team.
    Owners,
    /// The team that asked for access, on the answer to its own request.
    Requester,
    /// Anyone who chose to watch the product.
    Watchers,
}

impl EventKind {
    pub const ALL: [EventKind; 18] = [
        EventKind::ProductPublished,
        EventKind::ProductCreated,
        EventKind::ProductUpdated,
        EventKind::SchemaEvolved,
        EventKind::NewMajorVersion,
        EventKind::ProductDeprecated,
        EventKind::ProductRetired,
        EventKind::TopicDeleted,
        EventKind::AccessRequested,
        EventKind::AccessApproved,
        EventKind::AccessDenied,
        EventKind::AccessRevoked,
        EventKind::AccessExpiring,
        EventKind::AccessExpired,
        EventKind::SunsetReminder,
        EventKind::ChangeProposed,
        EventKind::ChangeObjected,
        EventKind::ChangeWithdrawn,
    ];

    /// The CloudEvents `type`, e.g. `io.meshport.product.deprecated`.
    pub fn event_type(self) -> &'static str {
        match self {
            EventKind::ProductPublished => "io.meshport.product.published",
            EventKind::ProductCreated => "io.meshport.product.created",
            EventKind::ProductUpdated => "io.meshport.product.updated",
            EventKind::SchemaEvolved => "io.meshport.product.schema_evolved",
            EventKind::NewMajorVersion => "io.meshport.product.new_major_version",
            EventKind::ProductDeprecated => "io.meshport.product.deprecated",
            EventKind::ProductRetired => "io.meshport.product.retired",
            EventKind::TopicDeleted => "io.meshport.product.topic_deleted",
            EventKind::AccessRequested => "io.meshport.access.requested",
            EventKind::AccessApproved => "io.meshport.access.approved",
            EventKind::AccessDenied => "io.meshport.access.denied",
            EventKind::AccessRevoked => "io.meshport.access.revoked",
            EventKind::AccessExpiring => "io.meshport.access.expiring",
            EventKind::AccessExpired => "io.meshport.access.expired",
            EventKind::SunsetReminder => "io.meshport.product.sunset_reminder",
            EventKind::ChangeProposed => "io.meshport.product.change_proposed",
            EventKind::ChangeObjected => "io.meshport.product.change_objected",
            EventKind::ChangeWithdrawn => "io.meshport.product.change_withdrawn",
        }
    }

    /// The kind an event type names; `None` for any other type.
    pub fn from_event_type(event_type: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.event_type() == event_type)
    }

    /// Who is told of a change of this kind. Consumers hear of what can break them (deprecation, a breaking schema
    /// change, a new major version, retirement, the topic's deletion); owners of requests for their product; the team
    /// that asked, of the answer and of its grant ending; watchers of everything about the product but access,
    /// which concerns only the two teams involved, and but sunset reminders, which are for those still consuming.
    pub fn audience(self) -> &'static [Audience] {
        use Audience::*;
        match self {
            EventKind::ProductPublished | EventKind::ProductCreated | EventKind::ProductUpdated => &[Watchers],
            EventKind::SchemaEvolved
            | EventKind::NewMajorVersion
            | EventKind::ProductDeprecated
            | EventKind::ProductRetired
            | EventKind::TopicDeleted => &[Subscribers, Watchers],
            EventKind::SunsetReminder | EventKind::ChangeWithdrawn => &[Subscribers],
            // Subscribers sign off a breaking change; the owners hear of an objection, which blocks it.
            EventKind::ChangeProposed => &[Subscribers, Watchers],
            EventKind::ChangeObjected => &[Owners, Watchers],
            EventKind::AccessRequested => &[Owners],
            EventKind::AccessApproved | EventKind::AccessDenied | EventKind::AccessExpiring => &[Requester],
            EventKind::AccessRevoked | EventKind::AccessExpired => &[Requester, Owners],
        }
    }

    /// The change in a few words, for people: "deprecated", "access requested".
    pub fn describe(self) -> &'static str {
        match self {
            EventKind::ProductPublished => "published",
            EventKind::ProductCreated => "created",
            EventKind::ProductUpdated => "updated",
            EventKind::SchemaEvolved => "schema evolved",
            EventKind::NewMajorVersion => "new major version",
            EventKind::ProductDeprecated => "deprecated",
            EventKind::ProductRetired => "retired",
            EventKind::TopicDeleted => "topic deleted",
            EventKind::AccessRequested => "access requested",
            EventKind::AccessApproved => "access approved",
            EventKind::AccessDenied => "access denied",
            EventKind::AccessRevoked => "access revoked",
            EventKind::AccessExpiring => "access expiring",
            EventKind::AccessExpired => "access expired",
            EventKind::SunsetReminder => "sunset reminder",
            EventKind::ChangeProposed => "breaking change proposed",
            EventKind::ChangeObjected => "breaking change objected to",
            EventKind::ChangeWithdrawn => "breaking change withdrawn",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.event_type())
    }
}

/// The product an event is about, as people recognise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventProduct {
    pub id: ProductId,
    pub name: String,
    pub domain: String,
    pub team: String,
}

/// What changed, in words and in the few facts a reader acts on. Only the facts the kind has are present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// One sentence for people, e.g. "Orders is deprecated: use orders.v2".
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<ProductId>,
    /// The team asking for access, or holding the grant, in access events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// When a grant ends, in access events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether a schema change breaks consumers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaking: Option<bool>,
    /// In reminders: the days left before the sunset or the grant's end (0 on the day itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

/// An event's `data`: the product, who changed it, and the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventData {
    pub product: EventProduct,
    pub actor: String,
    pub change: Change,
}

/// One change event, serialized as a CloudEvent in the JSON format.
///
/// `seq` is the catalog's monotonic sequence number of the event, assigned in the change's own transaction; it is
/// the event's `id` too (`source` + `id` are unique, as the spec demands) and travels as the CloudEvents `sequence`
/// extension, a string zero-padded to 20 digits so it orders as text as well (the extension's rule; CloudEvents
/// integers are only 32-bit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub specversion: String,
    pub id: String,
    pub source: String,
    /// `io.meshport.<product|access>.<change>`, e.g. `io.meshport.product.deprecated`.
    #[serde(rename = "type", with = "event_type")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: EventKind,
    /// The product's id.
    pub subject: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub datacontenttype: String,
    /// The catalog's sequence number, 20 digits.
    #[serde(rename = "sequence", with = "sequence")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]{20}$"))]
    pub seq: u64,
    pub data: EventData,
}

mod event_type {
    use super::*;

    pub fn serialize<S: serde::Serializer>(kind: &EventKind, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(kind.event_type())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<EventKind, D::Error> {
        let text = String::deserialize(deserializer)?;
        EventKind::from_event_type(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a Meshport event type")))
    }
}

mod sequence {
    use super::*;

    pub fn serialize<S: serde::Serializer>(seq: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{seq:020}"))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|_| serde::de::Error::custom(format!("sequence `{text}` is not a decimal number")))
    }
}

/// `GET /api/v1/events?after=`: the events after a sequence number, in commit order, and where to go on from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventFeed {
    pub events: Vec<Event>,
    /// The `after` of the next call: the last event's sequence number, or the one asked for when there was none.
    pub next: u64,
}

/// `PUT /api/v1/teams/{team}/channels`: where a team is told of the changes that concern it. It replaces the team's
/// channels: one left out is removed. Secrets (the webhook's, and Slack's and Teams' URLs, which are their
/// credentials) are written here and never answered; `keep` names the ones that stay as they are set, so a change of
/// the email does not need them typed again.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelSettings {
    /// A webhook receiving each event's CloudEvent, signed per the Standard Webhooks spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookSettings>,
    /// A Slack incoming webhook URL (`https://hooks.slack.com/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_url: Option<String>,
    /// A Microsoft Teams incoming webhook (Workflows) URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_url: Option<String>,
    /// An email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
    /// Secrets kept as they are set, not given here: the webhook's secret (with its URL given), the Slack or the
    /// Teams URL (then not given). Never stored: the kept secret takes its place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 3))]
    pub keep: Vec<KeptSecret>,
}

/// A secret a change of a team's channels keeps as it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeptSecret {
    WebhookSecret,
    SlackUrl,
    TeamsUrl,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// `http` or `https`; not a private or loopback address unless the deployment allows them.
    pub url: String,
    /// The signing secret, `whsec_` and base64 of 24 to 64 bytes; left out (or empty) with `webhook_secret` in
    /// the channels' `keep`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(whsec_|$)"))]
    pub secret: String,
}

impl fmt::Debug for ChannelSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelSettings")
            .field("webhook", &self.webhook.as_ref().map(|w| &w.url))
            .field("slack_url", &self.slack_url.as_ref().map(|_| "<redacted>"))
            .field("teams_url", &self.teams_url.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email)
            .field("keep", &self.keep)
            .finish()
    }
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings").field("url", &self.url).field("secret", &"<redacted>").finish()
    }
}

/// A team's channels as answered: which are set, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamChannels {
    /// The webhook's URL (not its secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    pub slack: bool,
    pub teams: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The channels' revision (0: none set yet), as also in `ETag`: what a change sends back in `If-Match`.
    #[serde(default)]
    pub revision: u64,
}

impl From<&ChannelSettings> for TeamChannels {
    fn from(settings: &ChannelSettings) -> Self {
        TeamChannels {
            webhook_url: settings.webhook.as_ref().map(|w| w.url.clone()),
            slack: settings.slack_url.is_some(),
            teams: settings.teams_url.is_some(),
            email: settings.email.clone(),
            revision: 0,
        }
    }
}

/// `PUT /api/v1/products/{id}/watch`: the caller watches the product, told by email of what its watchers hear of
/// (every change but access and sunset reminders), unless muted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WatchRequest {
    /// Where to tell the caller; left out, the address they gave before (`/api/v1/me/notifications`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
    /// Keep watching, but hear nothing of this product for now.
    #[serde(default)]
    pub muted: bool,
}

/// The caller's watch of one product, as `GET`, `PUT` and `DELETE /api/v1/products/{id}/watch` answer it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchState {
    pub watching: bool,
    /// This product's notifications are muted.
    pub muted: bool,
    /// All the caller's personal notifications are muted.
    pub muted_all: bool,
    /// Where the caller is told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `GET`/`PUT /api/v1/me/notifications`: where a person is told of the products they watch, and whether they hear
/// nothing at all for now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonalSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
    /// Mute every personal notification.
    #[serde(default)]
    pub muted: bool,
}

/// One person's watch of one product, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    pub product: ProductId,
    /// The person: their identity's subject (`dev:carol`, or the identity provider's `sub`).
    pub person: String,
    pub muted: bool,
    /// RFC 3339 UTC.
    pub since: String,
}

/// What a change has to tell, before the catalog gives it its sequence number in the change's own transaction: the
/// event's kind, time and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: EventKind,
    /// The audit entry's time, RFC 3339 UTC.
    pub time: String,
    pub data: EventData,
}

impl Notice {
    /// The notice of a change, from its audit entry and what the change stored: the product as it is now (or as
    /// it was, when removed) and, for access, the request as stored. `None` when the entry tells no one: an intent
    /// or a failed outcome, a draft deleted, a topic's settings changed, a sync, an access step no one waits for
    /// (a grant checked active, a request cancelled, a grant repaired), or an access entry without its request.
    /// A reminder is the grant's coming end when it comes with the request, else the product's coming sunset.
    pub fn of(entry: &AuditEntry, product: Option<&DataProduct>, request: Option<&AccessRequest>) -> Option<Notice> {
        if entry.stage != AuditStage::Done {
            return None;
        }
        let mut change = Change { summary: entry.summary.clone(), ..Change::default() };
        let kind = match entry.action {
            AuditAction::Published => EventKind::ProductPublished,
            AuditAction::Created => EventKind::ProductCreated,
            AuditAction::Updated => EventKind::ProductUpdated,
            AuditAction::SchemaEvolved => EventKind::SchemaEvolved,
            AuditAction::Deprecated => {
                deprecation(&mut change, product);
                EventKind::ProductDeprecated
            }
            AuditAction::NewMajorVersion => {
                deprecation(&mut change, product);
                EventKind::NewMajorVersion
            }
            AuditAction::Reminded => match request {
                Some(request) => {
                    change.team = Some(request.team.to_string());
                    change.expires = request.until.clone();
                    change.days_left = days_between(&entry.at, request.until.as_deref()?);
                    EventKind::AccessExpiring
                }
                None => {
                    deprecation(&mut change, product);
                    change.days_left = days_between(&entry.at, change.sunset.as_deref()?);
                    EventKind::SunsetReminder
                }
            },
            AuditAction::Retired => EventKind::ProductRetired,
            AuditAction::TopicDeleted => EventKind::TopicDeleted,
            // A proposal's entries tell through [`Notice::of_proposal`], which sees the proposal.
            AuditAction::Deleted
            | AuditAction::TopicChanged
            | AuditAction::Synced
            | AuditAction::Watched
            | AuditAction::SignOff => {
                return None;
            }
            AuditAction::Access => {
                let request = request?;
                change.team = Some(request.team.to_string());
                change.expires = request.until.clone();
                match request.state {
                    AccessState::Requested => EventKind::AccessRequested,
                    AccessState::Approved => EventKind::AccessApproved,
                    AccessState::Denied => EventKind::AccessDenied,
                    AccessState::Revoked => EventKind::AccessRevoked,
                    AccessState::Expired => EventKind::AccessExpired,
                    AccessState::Active | AccessState::Cancelled | AccessState::Failed => return None,
                }
            }
        };
        if let Some(product) = product {
            change.version = Some(product.version.clone()).filter(|v| !v.is_empty());
        }
        let product = match (product, request) {
            (Some(p), _) => EventProduct {
                id: p.id.clone(),
                name: p.name.clone(),
                domain: p.domain.to_string(),
                team: p.owner.team.to_string(),
            },
            // A request for a product that is gone meanwhile: what the request itself knows.
            (None, Some(r)) => EventProduct {
                id: r.product.clone(),
                name: r.product.to_string(),
                domain: String::new(),
                team: r.owner_team.to_string(),
            },
            (None, None) => return None,
        };
        let data = EventData { product, actor: entry.actor.clone(), change };
        Some(Notice { kind, time: entry.at.clone(), data })
    }

    /// The notice of a step in a proposal's life, from its audit entry, the proposal as stored and its product:
    /// proposed (to the subscribers), objected to (to the owners), withdrawn (to the subscribers). Approving and
    /// applying tell through the new major version's own event.
    pub fn of_proposal(entry: &AuditEntry, product: &DataProduct, proposal: &ChangeProposal) -> Option<Notice> {
        if entry.stage != AuditStage::Done || entry.action != AuditAction::SignOff {
            return None;
        }
        let kind = match proposal.state {
            ProposalState::Open if proposal.votes.is_empty() => EventKind::ChangeProposed,
            ProposalState::Objected => EventKind::ChangeObjected,
            ProposalState::Withdrawn => EventKind::ChangeWithdrawn,
            _ => return None,
        };
        let mut notice =
            Notice::of(&AuditEntry { action: AuditAction::Updated, ..entry.clone() }, Some(product), None)?;
        notice.kind = kind;
        notice.data.change.breaking = Some(true);
        notice.data.change.team = proposal.votes.last().map(|v| v.team.to_string());
        Some(notice)
    }

    /// The event, numbered `seq` by the catalog.
    pub fn into_event(self, seq: u64) -> Event {
        Event::new(seq, self.kind, CATALOG_SOURCE, &self.time, self.data)
    }
}

/// A deprecated product's sunset and replacement, in the change.
fn deprecation(change: &mut Change, product: Option<&DataProduct>) {
    let deprecation = product.and_then(|p| p.deprecation.as_ref());
    change.sunset = deprecation.map(|d| d.sunset.clone());
    change.replacement = deprecation.and_then(|d| d.replacement.clone());
}

/// Whole days from the date of `at` (an RFC 3339 time) to `date` (`2027-01-31`).
fn days_between(at: &str, date: &str) -> Option<i64> {
    Some(crate::policy::day_number(date)? - crate::policy::day_number(at.get(..10)?)?)
}

/// A rule of the CloudEvents spec an event breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the required attribute `{0}` is empty")]
    Empty(&'static str),
    #[error("`specversion` must be `{SPEC_VERSION}`, not `{0}`")]
    SpecVersion(String),
    #[error("`type` must start with `{TYPE_PREFIX}`, not be `{0}`")]
    Type(String),
    #[error("`time` must be an RFC 3339 UTC time like 2026-01-31T12:00:00Z, not `{0}`")]
    Time(String),
    #[error("`subject` must be the product's id `{product}`, not `{subject}`")]
    Subject { subject: String, product: String },
}

impl Event {
    /// An event of `kind` about `data.product`, from `source` (a URI reference naming the Meshport deployment).
    pub fn new(seq: u64, kind: EventKind, source: &str, time: &str, data: EventData) -> Event {
        Event {
            specversion: SPEC_VERSION.to_owned(),
            id: seq.to_string(),
            source: source.to_owned(),
            kind,
            subject: data.product.id.to_string(),
            time: time.to_owned(),
            datacontenttype: DATA_CONTENT_TYPE.to_owned(),
            seq,
            data,
        }
    }

    /// The event as told by `source`, the URI naming the deployment (its public address).
    pub fn from_source(self, source: &str) -> Event {
        Event { source: source.to_owned(), ..self }
    }

    /// Checks the spec's rules an event built or read could break: every required attribute present and non-empty,
    /// the spec version, the type's prefix, the time's format and the subject naming the product.
    pub fn check(&self) -> Result<(), EventError> {
        for (name, value) in [("id", &self.id), ("source", &self.source), ("specversion", &self.specversion)] {
            if value.is_empty() {
                return Err(EventError::Empty(name));
            }
        }
        if self.specversion != SPEC_VERSION {
            return Err(EventError::SpecVersion(self.specversion.clone()));
        }
        if !self.kind.event_type().starts_with(TYPE_PREFIX) {
            return Err(EventError::Type(self.kind.event_type().to_owned()));
        }
        if !is_rfc3339_utc(&self.time) {
            return Err(EventError::Time(self.time.clone()));
        }
        if self.subject != self.data.product.id.as_str() {
            return Err(EventError::Subject {
                subject: self.subject.clone(),
                product: self.data.product.id.to_string(),
            });
        }
        Ok(())
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`: the RFC 3339 times Meshport writes (always UTC).
fn is_rfc3339_utc(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    let seconds_end = 19;
    let shape = digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10)
        && bytes.get(10) == Some(&b'T')
        && digits(11..13)
        && bytes.get(13) == Some(&b':')
        && digits(14..16)
        && bytes.get(16) == Some(&b':')
        && digits(17..19);
    if !shape || !text.ends_with('Z') {
        return false;
    }
    let rest = &text[seconds_end..text.len() - 1];
    rest.is_empty() || (rest.len() > 1 && rest.starts_with('.') && rest[1..].bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> EventData {
        crate::testing::deprecation_event(42, "Orders", "Orders is deprecated").data
    }

    fn event(kind: EventKind) -> Event {
        Event::new(42, kind, "https://meshport.acme.example", "2026-12-05T11:00:00Z", data())
    }

    #[test]
    fn an_event_is_a_cloudevent_with_every_required_attribute_and_the_sequence_extension() {
        let json = serde_json::to_value(event(EventKind::ProductDeprecated)).unwrap();

        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["id"], "42");
        assert_eq!(json["source"], "https://meshport.acme.example");
        assert_eq!(json["type"], "io.meshport.product.deprecated");
        assert_eq!(json["subject"], "sales.orders");
        assert_eq!(json["time"], "2026-12-05T11:00:00Z");
        assert_eq!(json["datacontenttype"], "application/json");
        assert_eq!(json["sequence"], "00000000000000000042");
        assert_eq!(json["data"]["product"]["id"], "sales.orders");
        assert_eq!(json["data"]["actor"], "ada");
        assert_eq!(json["data"]["change"]["sunset"], "2027-01-31");
        assert_eq!(json["data"]["change"]["replacement"], "sales.orders.v2");
        assert!(json["data"]["change"].get("version").is_none(), "absent facts are left out");
    }

    #[test]
    fn attribute_names_follow_the_spec_lowercase_alphanumeric_at_most_twenty_characters() {
        let json = serde_json::to_value(event(EventKind::AccessRequested)).unwrap();
        for name in json.as_object().unwrap().keys() {
            assert!(name.len() <= 20, "`{name}` is longer than the spec recommends");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "`{name}` breaks the spec");
        }
    }

    #[test]
    fn every_kind_has_a_distinct_reverse_dns_type_that_reads_back() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in EventKind::ALL {
            let event_type = kind.event_type();
            assert!(event_type.starts_with(TYPE_PREFIX), "{event_type}");
            assert!(event_type.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'), "{event_type}");
            assert!(seen.insert(event_type), "{event_type} twice");
            assert_eq!(EventKind::from_event_type(event_type), Some(kind));
            event(kind).check().unwrap();
        }
        assert_eq!(EventKind::from_event_type("io.meshport.product.eaten"), None);
    }

    #[test]
    fn an_event_reads_back_from_its_json() {
        let original = event(EventKind::SchemaEvolved);
        let text = serde_json::to_string(&original).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), original);
    }

    #[test]
    fn an_unknown_type_or_a_malformed_sequence_is_refused_on_reading() {
        let mut json = serde_json::to_value(event(EventKind::ProductRetired)).unwrap();
        json["type"] = "com.example.other".into();
        let error = serde_json::from_value::<Event>(json.clone()).unwrap_err().to_string();
        assert!(error.contains("not a Meshport event type"), "{error}");

        json["type"] = "io.meshport.product.retired".into();
        json["sequence"] = "forty-two".into();
        let error = serde_json::from_value::<Event>(json).unwrap_err().to_string();
        assert!(error.contains("not a decimal number"), "{error}");
    }

    #[test]
    fn sequences_order_as_text_as_they_do_as_numbers() {
        let text = |seq: u64| {
            serde_json::to_value(Event::new(seq, EventKind::ProductUpdated, "s", "2026-12-05T11:00:00Z", data()))
                .unwrap()["sequence"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert!(text(9) < text(10));
        assert!(text(99_999) < text(u64::MAX));
    }

    #[test]
    fn check_refuses_what_the_spec_forbids() {
        type Breaks = fn(&mut Event);
        let cases: [(Breaks, EventError); 5] = [
            (|e| e.id.clear(), EventError::Empty("id")),
            (|e| e.source.clear(), EventError::Empty("source")),
            (|e| e.specversion = "0.3".into(), EventError::SpecVersion("0.3".into())),
            (|e| e.time = "5 Dec 2026".into(), EventError::Time("5 Dec 2026".into())),
            (
                |e| e.subject = "sales.other".into(),
                EventError::Subject { subject: "sales.other".into(), product: "sales.orders".into() },
            ),
        ];
        for (breaks, expected) in cases {
            let mut event = event(EventKind::ProductCreated);
            breaks(&mut event);
            assert_eq!(event.check(), Err(expected));
        }
    }

    #[test]
    fn times_are_rfc_3339_in_utc() {
        for good in ["2026-12-05T11:00:00Z", "2026-12-05T11:00:00.123456Z"] {
            assert!(is_rfc3339_utc(good), "{good}");
        }
        for bad in ["", "2026-12-05", "2026-12-05T11:00:00", "2026-12-05T11:00:00+01:00", "2026-12-05T11:00:00.Z"] {
            assert!(!is_rfc3339_utc(bad), "{bad}");
        }
    }

    #[test]
    fn who_is_told_depends_on_the_kind_of_change() {
        use Audience::*;
        let cases = [
            (EventKind::ProductDeprecated, &[Subscribers, Watchers][..]),
            (EventKind::NewMajorVersion, &[Subscribers, Watchers]),
            (EventKind::ProductRetired, &[Subscribers, Watchers]),
            (EventKind::SchemaEvolved, &[Subscribers, Watchers]),
            (EventKind::ProductUpdated, &[Watchers]),
            (EventKind::AccessRequested, &[Owners]),
            (EventKind::AccessApproved, &[Requester]),
            (EventKind::AccessDenied, &[Requester]),
            (EventKind::AccessExpiring, &[Requester]),
            (EventKind::AccessRevoked, &[Requester, Owners]),
            (EventKind::SunsetReminder, &[Subscribers]),
        ];
        for (kind, expected) in cases {
            assert_eq!(kind.audience(), expected, "{kind}");
        }
        for kind in EventKind::ALL {
            assert!(!kind.audience().is_empty(), "{kind} concerns no one");
        }
    }

    fn entry(action: AuditAction, stage: AuditStage) -> AuditEntry {
        AuditEntry {
            id: "2026-12-05T11:00:00.000000Z-0a1b2c3d".into(),
            at: "2026-12-05T11:00:00.000000Z".into(),
            actor: "ada".into(),
            product: ProductId::parse("orders").unwrap(),
            action,
            summary: "a change".into(),
            before: None,
            after: None,
            stage,
        }
    }

    fn request(state: AccessState) -> AccessRequest {
        AccessRequest {
            id: "r1".into(),
            product: ProductId::parse("orders").unwrap(),
            owner_team: crate::TeamName::parse("trading").unwrap(),
            team: crate::TeamName::parse("edge").unwrap(),
            purpose: "fraud models".into(),
            principals: vec![crate::Principal::parse("User:svc-fraud").unwrap()],
            group: crate::GroupName::parse("fraud").unwrap(),
            group_pattern: crate::access::GroupPattern::default(),
            until: Some("2027-06-30".into()),
            state,
            requested_by: "bob".into(),
            requested_at: "2026-12-05T10:00:00Z".into(),
            decided_by: None,
            decided_at: None,
            reason: None,
            revision: 1,
        }
    }

    #[test]
    fn each_notifiable_audit_action_is_its_event_kind_and_the_rest_tell_no_one() {
        let product = crate::testing::product("orders").build();
        let cases = [
            (AuditAction::Published, Some(EventKind::ProductPublished)),
            (AuditAction::Created, Some(EventKind::ProductCreated)),
            (AuditAction::Updated, Some(EventKind::ProductUpdated)),
            (AuditAction::SchemaEvolved, Some(EventKind::SchemaEvolved)),
            (AuditAction::Deprecated, Some(EventKind::ProductDeprecated)),
            (AuditAction::Retired, Some(EventKind::ProductRetired)),
            (AuditAction::TopicDeleted, Some(EventKind::TopicDeleted)),
            (AuditAction::Deleted, None),
            (AuditAction::TopicChanged, None),
            (AuditAction::Synced, None),
            (AuditAction::Access, None),
            (AuditAction::Watched, None),
            (AuditAction::SignOff, None),
            (AuditAction::NewMajorVersion, Some(EventKind::NewMajorVersion)),
            // A reminder of a sunset needs one: this product is not deprecated.
            (AuditAction::Reminded, None),
        ];
        for (action, expected) in cases {
            let notice = Notice::of(&entry(action, AuditStage::Done), Some(&product), None);
            assert_eq!(notice.map(|n| n.kind), expected, "{action:?}");
        }
    }

    #[test]
    fn an_intent_or_a_failed_outcome_tells_no_one() {
        let product = crate::testing::product("orders").build();
        for stage in [AuditStage::Started, AuditStage::Failed] {
            assert_eq!(Notice::of(&entry(AuditAction::Retired, stage), Some(&product), None), None, "{stage:?}");
        }
    }

    #[test]
    fn an_access_entry_is_the_event_of_the_state_its_request_reached() {
        let cases = [
            (AccessState::Requested, Some(EventKind::AccessRequested)),
            (AccessState::Approved, Some(EventKind::AccessApproved)),
            (AccessState::Denied, Some(EventKind::AccessDenied)),
            (AccessState::Revoked, Some(EventKind::AccessRevoked)),
            (AccessState::Expired, Some(EventKind::AccessExpired)),
            (AccessState::Active, None),
            (AccessState::Cancelled, None),
            (AccessState::Failed, None),
        ];
        for (state, expected) in cases {
            let notice = Notice::of(&entry(AuditAction::Access, AuditStage::Done), None, Some(&request(state)));
            assert_eq!(notice.as_ref().map(|n| n.kind), expected, "{state:?}");
            if let Some(notice) = notice {
                assert_eq!(notice.data.change.team.as_deref(), Some("edge"));
                assert_eq!(notice.data.change.expires.as_deref(), Some("2027-06-30"));
                assert_eq!(notice.data.product.team, "trading", "the owners, from the request");
            }
        }
    }

    #[test]
    fn a_deprecation_event_carries_the_sunset_and_replacement_and_is_a_valid_cloudevent() {
        let product =
            crate::testing::product("orders").name("Orders").deprecated("2027-01-31", Some("orders.v2"), "").build();

        let notice = Notice::of(&entry(AuditAction::Deprecated, AuditStage::Done), Some(&product), None).unwrap();
        let event = notice.into_event(7);

        assert_eq!(event.kind, EventKind::ProductDeprecated);
        assert_eq!(event.data.change.sunset.as_deref(), Some("2027-01-31"));
        assert_eq!(event.data.change.replacement.as_ref().map(ProductId::as_str), Some("orders.v2"));
        assert_eq!((event.data.product.name.as_str(), event.data.actor.as_str()), ("Orders", "ada"));
        assert_eq!((event.seq, event.id.as_str(), event.source.as_str()), (7, "7", CATALOG_SOURCE));
        event.check().unwrap();
    }

    #[test]
    fn a_reminder_is_the_sunset_coming_or_with_its_request_the_grant_ending_and_counts_the_days_left() {
        let product = crate::testing::product("orders").deprecated("2026-12-12", Some("orders.v2"), "").build();
        let reminder = entry(AuditAction::Reminded, AuditStage::Done);

        let sunset = Notice::of(&reminder, Some(&product), None).unwrap();
        let expiring = Notice::of(&reminder, Some(&product), Some(&request(AccessState::Active))).unwrap();

        assert_eq!(sunset.kind, EventKind::SunsetReminder);
        assert_eq!(sunset.data.change.sunset.as_deref(), Some("2026-12-12"));
        assert_eq!(sunset.data.change.replacement.as_ref().map(ProductId::as_str), Some("orders.v2"));
        assert_eq!(sunset.data.change.days_left, Some(7), "from 2026-12-05");
        assert_eq!(expiring.kind, EventKind::AccessExpiring);
        assert_eq!(expiring.data.change.team.as_deref(), Some("edge"));
        assert_eq!(expiring.data.change.expires.as_deref(), Some("2027-06-30"));
        assert_eq!(expiring.data.change.days_left, Some(207));
        let permanent = AccessRequest { until: None, ..request(AccessState::Active) };
        assert_eq!(Notice::of(&reminder, Some(&product), Some(&permanent)), None, "a permanent grant never ends");
    }

    #[test]
    fn a_new_major_version_tells_the_old_products_sunset_and_successor() {
        let product = crate::testing::product("orders").deprecated("2027-03-01", Some("orders.v2"), "").build();

        let notice = Notice::of(&entry(AuditAction::NewMajorVersion, AuditStage::Done), Some(&product), None).unwrap();

        assert_eq!(notice.kind, EventKind::NewMajorVersion);
        assert_eq!(notice.data.change.replacement.as_ref().map(ProductId::as_str), Some("orders.v2"));
        assert_eq!(notice.data.change.sunset.as_deref(), Some("2027-03-01"));
    }
}
