//! The catalog mirror: where data products live between requests. One trait, two backends: an embedded redb file
//! for local runs and DynamoDB in the cloud. Both pass the same conformance suite (`api/tests/api/catalog_conformance.rs`).
//!
//! Only this module and its children know table and attribute names.

pub mod dynamo;
pub mod embedded;

use async_trait::async_trait;
use jiff::Timestamp;
use meshport_shared::access::{AccessRequest, AccessState};
use meshport_shared::accounts::ServiceAccount;
use meshport_shared::events::{ChannelSettings, Event, PersonalSettings, Watch};
use meshport_shared::proposals::ChangeProposal;
use meshport_shared::{
    AuditEntry, DataProduct, DomainName, Principal, ProductId, SchemaVersion, TeamName, TopicFacts, TopicName,
};

use serde::{Deserialize, Serialize};

pub use dynamo::DynamoStore;
pub use embedded::EmbeddedStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached or opened right now; it may come back by itself.
    #[error("the catalog is unavailable: {0}")]
    Unavailable(String),
    /// A write lost an optimistic-concurrency race, or created something that exists.
    #[error("product `{id}` is at revision {actual:?}, not {expected:?}")]
    Conflict { id: ProductId, expected: Option<u64>, actual: Option<u64> },
    /// The backend holds or returned something we cannot read; a bug or a manual edit, not a passing fault.
    #[error("the catalog holds unreadable data: {0}")]
    Corrupt(String),
    /// A record other than a product, an access request or an account (a team's channels, a delivery) is not as it
    /// was read: another writer changed it first.
    #[error("{0} changed since it was read")]
    Changed(String),
    /// A write kept colliding with other writes at the same moment; trying again shortly is expected to succeed.
    #[error("the catalog is busy with other changes: {0}")]
    Busy(String),
    /// An access request changed since it was read (or exists already).
    #[error("access request `{id}` is at revision {actual:?}, not {expected:?}")]
    AccessConflict { id: String, expected: Option<u64>, actual: Option<u64> },
    /// A service account changed since it was read, or (`expected` none) a team holds its principal already.
    #[error("service account `{principal}` is at revision {actual:?}, not {expected:?}")]
    AccountConflict { principal: Principal, expected: Option<u64>, actual: Option<u64> },
    /// A write that would bind a topic or subject another product holds.
    #[error("{claim} is already data product `{holder}`'s")]
    Claimed { claim: Claim, holder: ProductId },
}

impl StoreError {
    /// A new change proposal of `product`, which has one that is not final.
    pub fn waiting_proposal(product: &ProductId) -> Self {
        Self::Changed(format!("the change proposals of product `{product}`"))
    }
}

/// What one product holds exclusively: its topic and each of its subjects. The store writes a product's claims in
/// the same transaction as the product, each on condition that no other product holds it, so two teams publishing
/// the same topic at once cannot both succeed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Claim {
    Topic(String),
    Subject(String),
}

impl Claim {
    /// The claims of `product`: its topic, its value subject and its key subject if it has one.
    pub fn of(product: &DataProduct) -> Vec<Claim> {
        let port = &product.output_port;
        let mut claims = vec![Claim::Topic(port.topic.to_string()), Claim::Subject(port.value_subject.to_string())];
        claims.extend(port.key_subject.iter().map(|s| Claim::Subject(s.to_string())));
        claims
    }

    /// The claim's key in a store: kinds never collide, whatever the names.
    fn key(&self) -> String {
        match self {
            Self::Topic(name) => format!("topic\u{0}{name}"),
            Self::Subject(name) => format!("subject\u{0}{name}"),
        }
    }

    /// The claim's field in a product, for violations.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Topic(_) => "output_port.topic",
            Self::Subject(_) => "output_port.value_subject",
        }
    }
}

impl std::fmt::Display for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Topic(name) => write!(f, "topic `{name}`"),
            Self::Subject(name) => write!(f, "subject `{name}`"),
        }
    }
}

/// A claim two stored products both hold, found by the backfill: written before claims were enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimClash {
    pub claim: Claim,
    pub holder: ProductId,
    pub other: ProductId,
}

/// The operations the API needs from a catalog, each one request-sized: no full scans on request paths.
#[async_trait]
pub trait CatalogStore: Send + Sync + std::fmt::Debug {
    /// A cheap round trip that proves the backend answers.
    async fn ping(&self) -> Result<()>;

    async fn get_product(&self, id: &ProductId) -> Result<Option<DataProduct>>;

    /// Every product, ordered by id.
    async fn list_products(&self) -> Result<Vec<DataProduct>>;

    /// The products of one domain, ordered by id.
    async fn list_domain_products(&self, domain: &DomainName) -> Result<Vec<DataProduct>>;

    /// Stores `product` only if the stored revision is `expected` (`None`: the product must not exist yet), together
    /// with its audit entry and its claims ([`Claim::of`]) in the same transaction, and returns it as stored, with its
    /// revision advanced by one. A claim another product holds fails the write with [`StoreError::Claimed`]; claims
    /// the product no longer makes are released.
    async fn put_product(&self, product: DataProduct, expected: Option<u64>, audit: AuditEntry) -> Result<DataProduct>;

    /// Removes a product at revision `expected` and releases its claims (its audit history stays); answers whether
    /// it existed. A product at another revision (changed meanwhile, say a draft a teammate finished) is kept, and
    /// the answer is a conflict.
    async fn delete_product(&self, id: &ProductId, expected: u64, audit: AuditEntry) -> Result<bool>;

    /// Records an audit entry that comes with no change to the product: the intent of a change with a side effect,
    /// or the outcome of one whose change could not be stored.
    async fn record(&self, entry: AuditEntry) -> Result<()>;

    /// Stores an access request only if its stored revision is `expected` (`None`: it must not exist yet), with its
    /// audit entry in the same transaction; returns it as stored, its revision advanced by one.
    async fn put_access(
        &self,
        request: AccessRequest,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<AccessRequest>;

    async fn get_access(&self, id: &str) -> Result<Option<AccessRequest>>;

    /// The access requests of one product, oldest first.
    async fn product_access(&self, product: &ProductId) -> Result<Vec<AccessRequest>>;

    /// The access requests to one team's products (its owners' inbox), oldest first.
    async fn inbox(&self, owner_team: &TeamName) -> Result<Vec<AccessRequest>>;

    /// One team's own access requests, oldest first.
    async fn team_access(&self, team: &TeamName) -> Result<Vec<AccessRequest>>;

    /// The requests in one state, oldest first: for sync, to expire active grants and finish approved ones.
    async fn access_in_state(&self, state: AccessState) -> Result<Vec<AccessRequest>>;

    /// The one record of which team holds `principal`, if any: its service account.
    async fn get_account(&self, principal: &Principal) -> Result<Option<ServiceAccount>>;

    /// One team's service accounts, by principal.
    async fn team_accounts(&self, team: &TeamName) -> Result<Vec<ServiceAccount>>;

    /// Stores a service account only if its stored revision is `expected` (`None`: no team holds the principal
    /// yet), with its audit entry in the same transaction; returns it as stored, its revision advanced by one. So a
    /// principal is unique across teams by the store's guarantee, and moving it to another team (`team` changed)
    /// is one conditional write. Otherwise [`StoreError::AccountConflict`].
    async fn put_account(
        &self,
        account: ServiceAccount,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ServiceAccount>;

    /// Removes a service account at revision `expected`, with its audit entry; answers whether it existed. One at
    /// another revision is kept, and the answer is [`StoreError::AccountConflict`].
    async fn delete_account(&self, principal: &Principal, expected: u64, audit: AuditEntry) -> Result<bool>;

    /// The product that holds `claim`, if any.
    async fn claim_holder(&self, claim: &Claim) -> Result<Option<ProductId>>;

    /// Writes the claims of `product` that no product holds yet, and answers the ones another product holds
    /// (idempotent: for the backfill of catalogs written before claims).
    async fn add_claims(&self, product: &DataProduct) -> Result<Vec<(Claim, ProductId)>>;

    /// Whether the backfill of claims ran to its end on this catalog.
    async fn claims_backfilled(&self) -> Result<bool>;

    async fn mark_claims_backfilled(&self) -> Result<()>;

    /// Gives every stored product its claim records, once per catalog (a catalog written before claims were
    /// enforced upgrades without manual steps); run by sync. Idempotent, and safe to run again after a failure
    /// halfway. Answers the claims two stored products both hold, which only people can settle.
    async fn backfill_claims(&self) -> Result<Vec<ClaimClash>> {
        if self.claims_backfilled().await? {
            return Ok(Vec::new());
        }
        let mut clashes = Vec::new();
        for product in self.list_products().await? {
            for (claim, holder) in self.add_claims(&product).await? {
                clashes.push(ClaimClash { claim, holder, other: product.id.clone() });
            }
        }
        self.mark_claims_backfilled().await?;
        Ok(clashes)
    }

    /// A product's audit entries, newest first.
    async fn product_history(&self, id: &ProductId, limit: usize) -> Result<Vec<AuditEntry>>;

    /// The newest audit entries across the whole mesh, newest first.
    async fn recent_activity(&self, limit: usize) -> Result<Vec<AuditEntry>>;

    /// Up to `limit` change events numbered after `after`, in commit order. Every write above that stores an audit
    /// entry also stores the event the entry tells ([`Notice::of`](meshport_shared::events::Notice::of)), if any, in
    /// the same transaction, numbered one after the last event: so the numbers follow commit order without gaps,
    /// and a change that did not commit left no event.
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>>;

    /// The sequence number of the last event the notifier has handed to the outbox (0 before the first).
    async fn notified(&self) -> Result<u64>;

    /// Moves the notifier's mark from `from` to `to`, on condition it is still at `from` (otherwise
    /// [`StoreError::Busy`]: another notifier moved it), so two notifiers never both hand an event out.
    async fn advance_notified(&self, from: u64, to: u64) -> Result<()> {
        self.hand_out(from, to, Vec::new()).await
    }

    /// A team's notification channels, secrets included (for the notifier only, never for an answer), and their
    /// revision.
    async fn team_channels(&self, team: &TeamName) -> Result<Option<TeamChannelSettings>>;

    /// Replaces a team's notification channels only if their stored revision is `expected` (`None`: the team has
    /// none yet), with its audit entry in the same transaction; answers the new revision. Otherwise
    /// [`StoreError::Changed`].
    async fn put_team_channels(
        &self,
        team: &TeamName,
        channels: &ChannelSettings,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<u64>;

    /// Creates or replaces the mirror of these topics.
    async fn put_topics(&self, topics: Vec<TopicFacts>) -> Result<()>;

    async fn topic(&self, name: &TopicName) -> Result<Option<TopicFacts>>;

    /// Every mirrored topic, by name.
    async fn list_topics(&self) -> Result<Vec<TopicFacts>>;

    /// Creates or replaces the mirror of these schema versions.
    async fn put_schema_versions(&self, versions: Vec<SchemaVersion>) -> Result<()>;

    /// The mirrored versions of one subject, oldest first.
    async fn schema_versions(&self, subject: &str) -> Result<Vec<SchemaVersion>>;

    /// Every mirrored schema version, by subject then version: for sync and for building the search index.
    async fn all_schema_versions(&self) -> Result<Vec<SchemaVersion>>;

    /// Whether listings (`list_products`, `all_schema_versions`) may lag behind writes for a moment, as DynamoDB's
    /// global secondary indexes do; [`Discovery`](crate::discovery::Discovery) then waits for them to settle.
    fn listings_lag(&self) -> bool {
        false
    }

    /// A number that grows with every product change and every mirrored schema version, so a process holding
    /// derived state (the search index) knows with one cheap read whether it is still current.
    async fn generation(&self) -> Result<u64>;

    /// Hands events out to the outbox: stores `deliveries` (each pending) and moves the notifier's mark from `from`
    /// to `to`, in one transaction, on condition the mark is still at `from` (otherwise [`StoreError::Busy`] and
    /// nothing is stored). So an event's deliveries are stored exactly once: a crash before the commit leaves the
    /// mark where it was and the event to hand out again, one after it leaves both.
    async fn hand_out(&self, from: u64, to: u64, deliveries: Vec<Delivery>) -> Result<()>;

    /// One delivery, read consistently.
    async fn delivery(&self, key: &DeliveryKey) -> Result<Option<Delivery>>;

    /// Up to `limit` pending deliveries due at `now`, the earliest due first (an index of pending deliveries by
    /// when they are due, never a scan).
    async fn pending_deliveries(&self, now: Timestamp, limit: usize) -> Result<Vec<Delivery>>;

    /// Records attempt `attempt` (counted from 1) of delivery `key` and how it went, on condition the delivery is
    /// pending with `attempt - 1` attempts made, so two dispatchers never both count an attempt (otherwise
    /// [`StoreError::Changed`]).
    async fn record_attempt(&self, key: &DeliveryKey, attempt: u32, outcome: Attempt) -> Result<()>;

    /// Up to `limit` dead-lettered deliveries, oldest event first.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>>;

    /// Puts dead-lettered delivery `key` back, due at `now` with its attempts counted afresh, with its audit entry
    /// in the same transaction; [`StoreError::Changed`] when it is not dead-lettered (or does not exist).
    async fn redeliver(&self, key: &DeliveryKey, now: Timestamp, audit: AuditEntry) -> Result<()>;

    /// Records a reminder (`entry`, a [`AuditAction::Reminded`](meshport_shared::AuditAction::Reminded) entry
    /// about `product` or, with it, the grant `request`) and the event it tells, once per `key`: on condition, in
    /// the same transaction, that no reminder was recorded under `key` before. Answers whether this call recorded
    /// it; `false` when an earlier run, or one racing this one, did.
    async fn remind(
        &self,
        key: &str,
        entry: AuditEntry,
        product: &DataProduct,
        request: Option<&AccessRequest>,
    ) -> Result<bool>;

    /// The people watching `product`, by person.
    async fn watchers(&self, product: &ProductId) -> Result<Vec<Watch>>;

    /// Creates or replaces a person's watch of a product, with its audit entry in the same transaction.
    async fn put_watch(&self, watch: Watch, audit: AuditEntry) -> Result<()>;

    /// Removes a person's watch of a product, with its audit entry in the same transaction; answers whether there
    /// was one (when there was none, nothing is written).
    async fn delete_watch(&self, product: &ProductId, person: &str, audit: AuditEntry) -> Result<bool>;

    /// Where a person is told of what they watch, and whether they muted it all.
    async fn personal_settings(&self, person: &str) -> Result<Option<PersonalSettings>>;

    /// Replaces a person's notification settings.
    async fn put_personal_settings(&self, person: &str, settings: &PersonalSettings) -> Result<()>;

    /// The sequence number of the last event produced to the audit topic (0 before the first).
    async fn published(&self) -> Result<u64>;

    /// Moves the audit topic's mark from `from` to `to`, on condition it is still at `from` (otherwise
    /// [`StoreError::Busy`]: another process published those events).
    async fn advance_published(&self, from: u64, to: u64) -> Result<()>;

    /// An API token by its id, with the hash of its secret: one read, for every request that sends one.
    async fn get_token(&self, id: &str) -> Result<Option<StoredToken>>;

    /// One team's API tokens, revoked and expired ones too, by id.
    async fn team_tokens(&self, team: &TeamName) -> Result<Vec<StoredToken>>;

    /// Stores an API token only if its stored revision is `expected` (`None`: it must not exist yet), with its audit
    /// entry in the same transaction; returns it as stored, its revision advanced by one. Otherwise
    /// [`StoreError::Changed`]: it changed meanwhile, or (a new one) its team has a token in force of its name
    /// ([`StoredToken::name_taken`]), which the store refuses itself so that two made at once cannot share a name.
    async fn put_token(&self, token: StoredToken, expected: Option<u64>, audit: AuditEntry) -> Result<StoredToken>;

    /// Records a token's last use (`token` as read, its `last_used_at` set) on condition that it is still at
    /// `token.revision`, which this leaves as it is: a token revoked meanwhile stays revoked. Neither audited nor a
    /// change of the catalog's generation. Answers whether it was written.
    async fn touch_token(&self, token: &StoredToken) -> Result<bool>;

    /// Stores a change proposal only if its stored revision is `expected` (`None`: it must not exist yet), with its
    /// audit entry and its event ([`Notice::of_proposal`](meshport_shared::events::Notice::of_proposal)) in the same
    /// transaction; returns it as stored, its revision advanced by one. Otherwise [`StoreError::Changed`]: it
    /// changed meanwhile, or (a new one) its product has another proposal that is not final, which the store refuses
    /// itself so that two owners proposing at once cannot both succeed.
    async fn put_proposal(
        &self,
        proposal: ChangeProposal,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ChangeProposal>;

    /// A change proposal by its id.
    async fn get_proposal(&self, id: &str) -> Result<Option<ChangeProposal>>;

    /// One product's change proposals, every state, oldest first.
    async fn product_proposals(&self, product: &ProductId) -> Result<Vec<ChangeProposal>>;

    /// The proposals still waiting: open for votes, or approved and not yet applied (a crash between the two).
    async fn waiting_proposals(&self) -> Result<Vec<ChangeProposal>>;
}

/// A team's notification channels as stored, with their revision (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamChannelSettings {
    pub settings: ChannelSettings,
    pub revision: u64,
}

/// Which destination a delivery goes to: a team's channel, `<team>/<kind>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DestinationId(pub String);

impl std::fmt::Display for DestinationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A delivery's key: the event's sequence number and the destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeliveryKey {
    pub seq: u64,
    pub destination: DestinationId,
}

impl std::fmt::Display for DeliveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "delivery of event {} to `{}`", self.seq, self.destination)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    DeadLettered,
}

/// One event to one destination, and how its delivery went so far: the outbox's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub key: DeliveryKey,
    pub event: Event,
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is due next, while pending.
    pub next_at: Timestamp,
    /// Why the last attempt failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl Delivery {
    /// A pending delivery of `event` to `destination`, due at `now`.
    pub fn new(event: Event, destination: DestinationId, now: Timestamp) -> Self {
        let key = DeliveryKey { seq: event.seq, destination };
        Self { key, event, state: DeliveryState::Pending, attempts: 0, next_at: now, last_error: None }
    }

    /// The delivery after attempt `attempt` went as `outcome` said, if it was pending with the attempts before it.
    fn attempted(mut self, attempt: u32, outcome: Attempt) -> Result<Self> {
        if self.state != DeliveryState::Pending || self.attempts.saturating_add(1) != attempt {
            return Err(StoreError::Changed(self.key.to_string()));
        }
        self.attempts = attempt;
        match outcome {
            Attempt::Delivered => {
                self.state = DeliveryState::Delivered;
                self.last_error = None;
            }
            Attempt::Failed { next_at, error } => {
                self.next_at = next_at;
                self.last_error = Some(error);
            }
            Attempt::DeadLettered { error } => {
                self.state = DeliveryState::DeadLettered;
                self.last_error = Some(error);
            }
        }
        Ok(self)
    }

    /// The dead-lettered delivery put back, due at `now`.
    fn redelivered(mut self, now: Timestamp) -> Result<Self> {
        if self.state != DeliveryState::DeadLettered {
            return Err(StoreError::Changed(self.key.to_string()));
        }
        self.state = DeliveryState::Pending;
        self.attempts = 0;
        self.next_at = now;
        Ok(self)
    }
}

/// How one attempt of a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    /// Failed with `error`; due again at `next_at`.
    Failed {
        next_at: Timestamp,
        error: String,
    },
    /// The last allowed attempt failed with `error`: the delivery waits for an admin.
    DeadLettered {
        error: String,
    },
}

/// The account a principal record written before service accounts stands for: `team` named it first in an access
/// request. A consumer account at revision 0 (stored accounts start at 1), which the next change replaces.
fn legacy_account(principal: &Principal, team: TeamName) -> ServiceAccount {
    ServiceAccount {
        principal: principal.clone(),
        team,
        roles: vec![meshport_shared::accounts::AccountRole::Consumer],
        managed: false,
        registered_by: "meshport".into(),
        registered_at: String::new(),
        rotated_at: None,
        revision: 0,
    }
}

/// The revision a product gets when stored over `expected`.
fn next_revision(expected: Option<u64>) -> u64 {
    expected.map_or(1, |revision| revision + 1)
}

fn encode<T: Serialize>(key: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode `{key}`: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("`{key}` cannot be read: {e}")))
}

/// A key under which a subject's versions sort numerically.
fn version_key(subject: &str, version: i32) -> String {
    format!("{subject}\u{0}{version:010}")
}

/// A team's stored channels: with their revision, or (written before revisions) the bare channels, revision 1.
fn channels_of(team: &str, bytes: &[u8]) -> Result<TeamChannelSettings> {
    decode(team, bytes).or_else(|_| Ok(TeamChannelSettings { settings: decode(team, bytes)?, revision: 1 }))
}

/// An API token as the catalog keeps it: what its team sees, and the SHA-256 of its secret (hex), never the secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredToken {
    #[serde(flatten)]
    pub token: meshport_shared::tokens::ApiToken,
    pub hash: String,
    /// Grows with every change (creation, revocation); not with a recorded use.
    pub revision: u64,
}

impl StoredToken {
    /// Whether the token is accepted at `now`: not revoked, not expired.
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.token.revoked_at.is_none() && self.token.expires_at.parse::<Timestamp>().is_ok_and(|expires| now < expires)
    }

    /// Whether `self`, a token being made, takes the name of `other`, a token of its team in force when it is made.
    pub fn takes_the_name_of(&self, other: &StoredToken) -> bool {
        let made = self.token.created_at.parse::<Timestamp>().unwrap_or(Timestamp::MAX);
        other.token.id != self.token.id
            && other.token.team == self.token.team
            && other.token.name == self.token.name
            && other.in_force(made)
    }

    /// A new token refused by the store: its team has one in force of the same name.
    pub fn name_taken(&self) -> StoreError {
        StoreError::Changed(format!("the API tokens of team `{}` named `{}`", self.token.team, self.token.name))
    }
}
