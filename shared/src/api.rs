//! The API's wire shapes: the error body every failure uses, and the request and response types of each route.

use serde::{Deserialize, Serialize};

use crate::policy::Violation;
use crate::product::DataProduct;

/// A stable, machine-readable error code; clients branch on it, people read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    ValidationFailed,
    NotFound,
    Conflict,
    PayloadTooLarge,
    Unauthorized,
    Forbidden,
    CatalogUnavailable,
    KafkaUnavailable,
    RegistryUnavailable,
    /// The organisation's identity provider cannot be asked for its signing keys, so no token can be checked.
    IdentityProviderUnavailable,
    /// A schema change refused because it breaks consumers.
    IncompatibleSchema,
    /// A schema text that cannot be read in its format (`POST /api/v1/schemas/check`).
    InvalidSchema,
    Internal,
    /// An API token past its expiry: create a new one.
    TokenExpired,
    /// An API token its team revoked.
    TokenRevoked,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::ValidationFailed => "validation_failed",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::CatalogUnavailable => "catalog_unavailable",
            Self::KafkaUnavailable => "kafka_unavailable",
            Self::RegistryUnavailable => "registry_unavailable",
            Self::IncompatibleSchema => "incompatible_schema",
            Self::InvalidSchema => "invalid_schema",
            Self::IdentityProviderUnavailable => "identity_provider_unavailable",
            Self::Internal => "internal",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
        }
    }
}

/// The body of every error response: `{code, message, details}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Every governance violation, for `validation_failed`; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Violation>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// `GET /api/health`: the API is up; each dependency is reported on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when every dependency is up, `degraded` otherwise.
    pub status: HealthStatus,
    pub version: String,
    pub dependencies: Vec<DependencyHealth>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Degraded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependencyHealth {
    pub name: Dependency,
    pub up: bool,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// Why it is down, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Dependency {
    Catalog,
    Kafka,
    Registry,
}

/// Who is calling: from a verified token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    /// The token's subject, stable per person.
    pub subject: String,
    /// A display name (or the subject when the token has none).
    pub name: String,
    /// The teams the person belongs to, from the token's groups claim.
    pub teams: Vec<crate::names::TeamName>,
    /// Org admins may change every product.
    pub admin: bool,
    /// What the caller may do: `change` for people; an API token's own scope for a token, so a read token changes
    /// nothing. The portal, where only people sign in, neither reads nor writes it: that keeps the bundles smaller.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub scope: crate::tokens::Scope,
}

impl Identity {
    /// Only members of the owning team, or org admins, change a product.
    pub fn can_change(&self, product: &DataProduct) -> bool {
        self.acts_for(&product.owner.team)
    }

    /// Members of `team`, and org admins, act for it: change its products, accounts and channels. A caller whose
    /// scope is `read` (an API token) acts for no team.
    pub fn acts_for(&self, team: &crate::names::TeamName) -> bool {
        self.may_change() && (self.admin || self.teams.contains(team))
    }

    /// Whether the caller's scope allows changes at all.
    pub fn may_change(&self) -> bool {
        self.scope == crate::tokens::Scope::Change
    }
}

/// `GET /api/v1/products/{id}`: everything the product page shows, read from the catalog mirror.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductDetail {
    pub product: DataProduct,
    /// The topic as last synced; `None` before the first sync saw it.
    pub topic: Option<crate::mirror::TopicFacts>,
    /// The latest value schema, parsed into fields; `None` when the mirror holds no version.
    pub schema: Option<SchemaDetail>,
    /// Every mirrored version of the value subject, oldest first.
    pub versions: Vec<VersionSummary>,
    /// Consumer groups with committed offsets on the topic; empty when Kafka cannot be asked right now.
    pub consumers: Vec<crate::mirror::Consumer>,
    pub links: ProductLinks,
    /// The newest changes, newest first.
    pub history: Vec<crate::mirror::AuditEntry>,
    /// Things a reader should know: the topic vanished, Kafka could not be asked for consumers...
    pub warnings: Vec<String>,
    /// What a consumer needs to read the product: addresses, topic, subjects and format.
    pub consume: ConsumeInfo,
    /// The products this one is derived from, and those derived from it.
    pub lineage: Lineage,
}

/// The facts a consumer's client configuration needs, for the portal's copy-ready snippets. Never credentials:
/// each consumer brings their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsumeInfo {
    /// Kafka bootstrap servers as consumers reach them (`MESHPORT_PUBLIC_KAFKA_BOOTSTRAP`).
    pub bootstrap_servers: String,
    /// The schema registry's URL as consumers reach it (`MESHPORT_PUBLIC_REGISTRY_URL`).
    pub registry_url: String,
    pub topic: crate::names::TopicName,
    pub value_subject: crate::names::SubjectName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_subject: Option<crate::names::SubjectName>,
    pub format: crate::product::SchemaFormat,
    /// How clients authenticate to the cluster, when it is secured; each consumer brings its own principal and secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<ConsumeSecurity>,
}

/// A secured cluster's client settings, never a credential: e.g. `SASL_SSL` with `SCRAM-SHA-512`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsumeSecurity {
    /// `security.protocol`: `SASL_PLAINTEXT`, `SASL_SSL` or `SSL`.
    pub protocol: String,
    /// `sasl.mechanism`, e.g. `SCRAM-SHA-512`, where the protocol uses SASL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sasl_mechanism: Option<String>,
}

/// A product's place in the mesh's lineage: one step upstream and one step downstream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lineage {
    /// The products named in `inputs`, in that order; an input that no longer exists is left out.
    pub inputs: Vec<ProductRef>,
    /// The products that name this one among their inputs, by id.
    pub downstream: Vec<ProductRef>,
}

/// Enough of another product to show and link it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductRef {
    pub id: crate::names::ProductId,
    pub name: String,
    pub status: crate::product::ProductStatus,
}

impl ProductRef {
    pub fn of(product: &DataProduct) -> Self {
        Self { id: product.id.clone(), name: product.name.clone(), status: product.status }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaDetail {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    pub format: crate::product::SchemaFormat,
    pub schema: String,
    pub fields: Vec<crate::schema::SchemaField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionSummary {
    pub version: i32,
    pub id: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
/// Where the product is on the web, and the size its card proposes to embedders (oEmbed's `width` and `height`:
/// taller for a deprecated or retired product, whose card carries a banner).
pub struct ProductLinks {
    pub portal: String,
    pub embed: String,
    pub badge: String,
    pub card_width: u32,
    pub card_height: u32,
}

/// `POST /api/v1/schemas/check`: is this schema text readable, and what fields does it declare? The portal's forms
/// ask as people type or upload a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SchemaCheckRequest {
    pub format: crate::product::SchemaFormat,
    /// The schema's text, not only white space.
    #[cfg_attr(feature = "openapi", schema(pattern = r"[^\s\x85]"))]
    pub schema: String,
}

/// The answer to a readable schema: its fields as the product page shows them. Only Avro schemas are read into
/// fields; a JSON schema is checked to be JSON, a Protobuf file to be non-empty, and both answer no fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaCheck {
    pub fields: Vec<crate::schema::SchemaField>,
}

/// `GET /api/v1/domains/{domain}/publishable-topics`: topics not yet products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishableTopic {
    pub name: crate::names::TopicName,
    pub partitions: i32,
    pub history: crate::mirror::HistoryKind,
    /// Whether `<topic>-value` has a registered schema.
    pub has_value_schema: bool,
}

/// `POST /api/v1/products/create`: a topic, its schema and the product, in one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub product: DataProduct,
    pub topic: TopicSettings,
    /// The value schema's text (an Avro `.avsc`, a JSON schema or a Protobuf file, per the output port's format).
    #[cfg_attr(feature = "openapi", schema(pattern = r"[^\s\x85]"))]
    pub schema: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TopicSettings {
    /// At least 1, at most the policy's `topics.max_partitions`.
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::number"))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub partitions: i32,
    /// `-1` for the cluster's default, or 1 to the policy's `topics.max_replication_factor` (default 1).
    #[serde(default = "one")]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::number"))]
    #[cfg_attr(feature = "openapi", schema(schema_with = replication_factor_schema))]
    pub replication_factor: i32,
    /// `-1` keeps every event, otherwise milliseconds within the policy's limits; absent uses the broker's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::optional"))]
    #[cfg_attr(feature = "openapi", schema(schema_with = retention_schema))]
    pub retention_ms: Option<i64>,
    /// `delete`, `compact` or `compact,delete`.
    #[serde(default = "delete")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(delete|compact|compact,delete|delete,compact)$"))]
    pub cleanup_policy: String,
}

/// A change to a product topic's settings by its owners: more partitions, another retention or cleanup policy.
/// What is absent stays as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TopicChangeRequest {
    /// The product's revision this change was decided on (or send it in `If-Match`).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::number"))]
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 1))]
    pub revision: u64,
    /// The new partition count: more than the topic has (Kafka cannot take partitions away).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::optional"))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub partitions: Option<i32>,
    /// `-1` keeps every event; otherwise milliseconds within the policy's limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::optional"))]
    #[cfg_attr(feature = "openapi", schema(schema_with = retention_schema))]
    pub retention_ms: Option<i64>,
    /// `delete`, `compact` or `compact,delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(delete|compact|compact,delete|delete,compact)$"))]
    pub cleanup_policy: Option<String>,
}

/// `-1` or a positive number up to `max`, described for the document (the derive cannot say "one of").
#[cfg(feature = "openapi")]
fn minus_one_or_positive(description: &str, max: i64) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some([-1])))
        .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(max)))
        .description(Some(description))
        .into()
}

#[cfg(feature = "openapi")]
fn replication_factor_schema() -> utoipa::openapi::schema::Schema {
    let description = "`-1` for the cluster's default, or 1 to the policy's `topics.max_replication_factor`";
    minus_one_or_positive(description, i32::MAX.into())
}

#[cfg(feature = "openapi")]
fn retention_schema() -> utoipa::openapi::schema::Schema {
    let description = "`-1` keeps every event, otherwise milliseconds within the policy's `topics` limits";
    minus_one_or_positive(description, i64::MAX)
}

fn one() -> i32 {
    1
}

fn delete() -> String {
    "delete".into()
}

/// `POST /api/v1/products/{id}/schema`: propose a new value schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvolveRequest {
    /// The new schema's text, not only white space.
    #[cfg_attr(feature = "openapi", schema(pattern = r"[^\s\x85]"))]
    pub schema: String,
    /// Only check: report compatibility and changes, register nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// On a breaking change, publish a new major version product (`<id>.v<N>`) instead of refusing.
    #[serde(default)]
    pub new_major_version: bool,
    /// The product's revision the caller read (or send it in `If-Match`); a stale one is refused with a conflict
    /// before anything is registered. A dry run may leave it out (0); the document asks for it always.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::number"))]
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 1))]
    pub revision: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvolveResponse {
    pub compatible: bool,
    /// The registry's compatibility level the change was checked at.
    pub level: String,
    /// Every difference from the latest version, each marked breaking or not at that level.
    pub changes: Vec<crate::schema::SchemaChange>,
    /// The registry's own words, when it found the change incompatible.
    pub registry_messages: Vec<String>,
    /// The version registered, unless this was a dry run or refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_version: Option<i32>,
    /// The new major version product, when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_product: Option<crate::names::ProductId>,
    /// The change proposal made instead, when the product has subscribers: the new major version waits for their
    /// sign-off (answered with 202). The portal's Manage bundle leaves it out: its size is at its budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg(not(target_arch = "wasm32"))]
    pub proposal: Option<crate::proposals::ChangeProposal>,
}

/// `POST /api/v1/products/{id}/deprecate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeprecateRequest {
    /// The day (YYYY-MM-DD) after which the product may be retired.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub sunset: String,
    #[serde(default)]
    pub replacement: Option<crate::names::ProductId>,
    /// Up to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub message: String,
    /// The revision the caller read, to refuse a stale write.
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::number"))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub revision: u64,
}

/// `POST /api/v1/products/{id}/retire`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetireRequest {
    /// The revision the caller read, to refuse a stale write.
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "whole::number"))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub revision: u64,
}

/// `GET /api/v1/activity` and `GET /api/v1/products/{id}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub items: Vec<crate::mirror::AuditEntry>,
    /// More entries were asked for than one answer carries (each answer stays under a size budget, whatever the
    /// entries hold): ask again with a smaller `limit`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// `POST /api/v1/dev/token`, only when dev sign-in is on: a token for anyone, as anyone, for local runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DevTokenRequest {
    /// Who to be: 1 to 64 letters, digits, `.`, `_`, `-` and `@`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._@-]{1,64}$"))]
    pub user: String,
    #[serde(default)]
    pub teams: Vec<crate::names::TeamName>,
    #[serde(default)]
    pub admin: bool,
}

/// A signed-in session: the bearer token to send as `Authorization: Bearer <token>`, and who it says the caller is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevToken {
    pub token: String,
    pub identity: Identity,
    /// RFC 3339.
    pub expires_at: String,
}

/// `GET /api/v1/sign-in`: how people sign in to this Meshport, so the portal's sign-in page offers exactly that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInOptions {
    /// Dev sign-in is on: the demo people of `GET /api/v1/dev/users`, each a click away.
    pub dev: bool,
    /// The organisation's identity provider, when the portal may send people there to sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrganisationSignIn>,
}

/// Sign-in at the organisation's identity provider (OpenID Connect authorization code flow with PKCE, the portal
/// being a public client): where to send people, and where to exchange the code for their ID token, which the
/// portal then sends to the API as its bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationSignIn {
    pub issuer: String,
    pub client_id: String,
    /// Space-separated, always with `openid`.
    pub scope: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// Where signing out of the portal also ends the provider's session (RP-initiated logout), when it has one: the
    /// next person at this browser must not be signed in as the last one without a word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
}

/// `GET /api/v1/dev/users`: the demo people the portal's sign-in picker offers in dev mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevUserList {
    pub items: Vec<DevUser>,
}

/// A demo person: what to send to `POST /api/v1/dev/token` (`user`, `teams`, `admin`), and a name to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevUser {
    pub user: String,
    pub name: String,
    pub teams: Vec<crate::names::TeamName>,
    pub admin: bool,
}

/// `GET /api/v1/products/{id}/sample?limit=`: recent events, decoded, personal fields masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sample {
    pub events: Vec<SampleEvent>,
    /// The product's personal-data fields, shown as `***` wherever they occur.
    pub masked_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleEvent {
    pub partition: i32,
    pub offset: i64,
    /// RFC 3339, when the record carries a timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The decoded value, or `{"undecodable": "<why>"}` when it could not be decoded.
    pub value: serde_json::Value,
    /// The registry id of the writer's schema, from the record's header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<i32>,
    /// Why the value could not be decoded (a foreign schema id, bytes that do not match the schema, a value too
    /// deep or too large to show); absent when it was decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecodable: Option<String>,
}

/// Integers in requests, read from either JSON spelling: JSON Schema, and so the OpenAPI document, counts `2.0` as
/// the integer 2, while serde reads only `2` into an integer type. Anything else (`2.5`, a string, out of range) is
/// refused as before. Only the API reads requests: the portal reads only what it wrote itself, so its bundles do
/// without.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod whole {
    use serde::de::{Error, Unexpected};
    use serde::{Deserialize, Deserializer};

    /// The largest magnitude a JSON float still spells exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;

    pub fn number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i64> + TryFrom<u64>,
    {
        let number = serde_json::Number::deserialize(deserializer)?;
        let out_of_range = || D::Error::invalid_value(Unexpected::Other(&format!("{number}")), &"an integer in range");
        if let Some(n) = number.as_u64() {
            return T::try_from(n).map_err(|_| out_of_range());
        }
        if let Some(n) = number.as_i64() {
            return T::try_from(n).map_err(|_| out_of_range());
        }
        match number.as_f64() {
            #[expect(clippy::cast_possible_truncation, reason = "a whole number within ±2^53 converts exactly")]
            Some(n) if n.fract() == 0.0 && n.abs() <= EXACT => T::try_from(n as i64).map_err(|_| out_of_range()),
            Some(n) => Err(D::Error::invalid_type(Unexpected::Float(n), &"an integer")),
            None => Err(out_of_range()),
        }
    }

    pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i64> + TryFrom<u64>,
    {
        #[derive(Deserialize)]
        struct Whole<T: TryFrom<i64> + TryFrom<u64>>(#[serde(deserialize_with = "number")] T);
        Ok(Option::<Whole<T>>::deserialize(deserializer)?.map(|Whole(n)| n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_requests_may_be_written_as_whole_floats() {
        let settings: TopicSettings =
            serde_json::from_str(r#"{"partitions": 3.0, "replication_factor": -1.0, "retention_ms": 6e4}"#).unwrap();
        assert_eq!((settings.partitions, settings.replication_factor, settings.retention_ms), (3, -1, Some(60_000)));
        let change: TopicChangeRequest = serde_json::from_str(r#"{"revision": 2.0, "partitions": null}"#).unwrap();
        assert_eq!((change.revision, change.partitions), (2, None));
        let retire: RetireRequest = serde_json::from_str(r#"{"revision": 7}"#).unwrap();
        assert_eq!(retire.revision, 7);

        for (body, fragment) in [
            (r#"{"partitions": 2.5}"#, "invalid type: floating point `2.5`, expected an integer"),
            (r#"{"partitions": 3000000000}"#, "expected an integer in range"),
            (r#"{"partitions": "3"}"#, "invalid type: string"),
            (r#"{"partitions": 1e300}"#, "expected an integer"),
        ] {
            let error = serde_json::from_str::<TopicSettings>(body).unwrap_err().to_string();
            assert!(error.contains(fragment), "{body}: `{error}` lacks `{fragment}`");
        }
        let error = serde_json::from_str::<RetireRequest>(r#"{"revision": -1}"#).unwrap_err().to_string();
        assert!(error.contains("expected an integer in range"), "{error}");
    }
}
