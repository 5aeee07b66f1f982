//! The data product: a Kafka topic, its schema and the governance metadata that make it discoverable and
//! trustworthy. Field names follow the Bitol Open Data Product Standard (ODPS v1.0.0) where it has one.

use serde::{Deserialize, Serialize};

use crate::names::{DomainName, ProductId, SubjectName, TeamName, TopicName};

/// A data product as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// The portal reads past what it has no field for (`extensions`); the API refuses unknown fields.
#[cfg_attr(not(target_arch = "wasm32"), serde(deny_unknown_fields))]
pub struct DataProduct {
    pub id: ProductId,
    /// The human name shown in the portal: up to 120 characters, not only white space.
    #[cfg_attr(feature = "openapi", schema(pattern = r"[^\s\x85]", max_length = 120))]
    pub name: String,
    /// The product's own semantic version (ODPS `version`): `MAJOR.MINOR.PATCH`, plain numbers of up to 9 digits;
    /// a breaking schema change makes a new major version.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$"))]
    pub version: String,
    pub domain: DomainName,
    pub owner: Owner,
    pub status: ProductStatus,
    pub description: Description,
    /// Up to 20 tags of 1 to 40 letters, digits or `-` (the document names ASCII ones; the API also takes other
    /// alphabets' letters and digits).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20, pattern = "^[A-Za-z0-9-]{1,40}$"))]
    pub tags: Vec<String>,
    pub output_port: OutputPort,
    pub quality: Quality,
    pub sla: SlaTier,
    /// Up to 20 channels.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub support: Vec<SupportChannel>,
    /// Schema field paths (`customer.email`) that hold personal data and are masked in samples: up to 100 of up to
    /// 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100, max_length = 200))]
    pub personal_fields: Vec<String>,
    /// The products this one is derived from (ODPS input ports): its lineage upstream. Each must exist, and a
    /// product never lists itself. Up to 100, each once.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = inputs_schema))]
    pub inputs: Vec<ProductId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation: Option<Deprecation>,
    /// Increases on every stored change; writers send the revision they read to detect lost updates.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "crate::api::whole::number"))]
    pub revision: u64,
    /// RFC 3339 UTC timestamps, set by the API.
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    /// What an imported ODPS (`odps`) or ODCS (`odcs`) document said that Meshport does not use (custom
    /// properties, authoritative definitions, a team member's role...), kept as JSON and written back on export, so
    /// that a product kept in git loses nothing on its way through Meshport. Absent for products never imported;
    /// a change that leaves it out keeps what is stored.
    /// The portal has no such field: it neither shows nor sends them (a JSON tree reader would cost each of its
    /// bundles over a kilobyte), so its changes keep what is stored.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extensions: Option<Extensions>,
}

/// What imported files said beyond a product, as JSON.
#[cfg(not(target_arch = "wasm32"))]
pub type Extensions = serde_json::Map<String, serde_json::Value>;

/// `inputs` in the OpenAPI document: up to 100 product ids, none twice (the derive cannot say `uniqueItems`).
#[cfg(feature = "openapi")]
fn inputs_schema() -> utoipa::openapi::Array {
    use utoipa::ToSchema;
    utoipa::openapi::ArrayBuilder::new()
        .items(utoipa::openapi::Ref::from_schema_name(ProductId::name()))
        .max_items(Some(100))
        .unique_items(true)
        .description(Some("The products this one is derived from (ODPS input ports): its lineage upstream. Each must exist, a product never lists itself, and none is listed twice; up to 100."))
        .build()
}

/// Who owns a product and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub team: TeamName,
    /// A contact address for the team (mail or chat handle), up to 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub contact: String,
    /// Up to 100 members of up to 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100, max_length = 200))]
    pub members: Vec<String>,
}

/// Where a product stands in its life. Only `active` and `deprecated` products are offered for new consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    Active,
    Deprecated,
    Retired,
}

impl ProductStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Active, Self::Deprecated, Self::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Deprecated => "deprecated",
            Self::Retired => "retired",
        }
    }
}

/// ODPS's description block: why the product exists, what it cannot be used for, how to use it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// Up to 4,000 characters, not only white space.
    #[cfg_attr(feature = "openapi", schema(pattern = r"[^\s\x85]", max_length = 4000))]
    pub purpose: String,
    /// Up to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub limitations: String,
    /// Up to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub usage: String,
}

/// The product's output port: the topic consumers read and the subjects describing its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OutputPort {
    pub topic: TopicName,
    pub value_subject: SubjectName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_subject: Option<SubjectName>,
    pub schema_format: SchemaFormat,
}

/// The schema languages a registry stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SchemaFormat {
    Avro,
    Json,
    Protobuf,
}

impl SchemaFormat {
    /// The name Confluent's REST API uses in `schemaType`.
    pub fn registry_name(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Json => "JSON",
            Self::Protobuf => "PROTOBUF",
        }
    }
}

/// How far the data can be trusted, from the source of truth down to raw feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// The system of record for this data.
    Authoritative,
    /// Cleaned, joined or enriched from other products.
    Curated,
    /// As captured, with no guarantees on content.
    Raw,
}

impl Quality {
    pub const ALL: [Self; 3] = [Self::Authoritative, Self::Curated, Self::Raw];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authoritative => "authoritative",
            Self::Curated => "curated",
            Self::Raw => "raw",
        }
    }
}

/// The service level the owning team commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SlaTier {
    /// Around the clock, incidents answered within the hour.
    #[serde(rename = "tier-1")]
    Tier1,
    /// Business hours, next-day fixes.
    #[serde(rename = "tier-2")]
    Tier2,
    /// Best effort.
    #[serde(rename = "tier-3")]
    Tier3,
}

impl SlaTier {
    pub const ALL: [Self; 3] = [Self::Tier1, Self::Tier2, Self::Tier3];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tier1 => "tier-1",
            Self::Tier2 => "tier-2",
            Self::Tier3 => "tier-3",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Self::Tier1 => "24x7, response within 1 hour",
            Self::Tier2 => "business hours, fix next working day",
            Self::Tier3 => "best effort",
        }
    }
}

/// A way to get help with a product (ODPS `support`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupportChannel {
    pub kind: SupportKind,
    /// Up to 200 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupportKind {
    Chat,
    Email,
    Issues,
    Docs,
}

/// Set when a product is deprecated: when it goes away and what to use instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    /// The day (YYYY-MM-DD) after which the product may be retired.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub sunset: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<ProductId>,
    /// Up to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub message: String,
}
