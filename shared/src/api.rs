//! The API's wire shapes: the error body every failure uses, and the request and response types of each route.

use serde::{Deserialize, Serialize};

use crate::policy::Violation;
use crate::product::DataProduct;

/// A stable, machine-readable error code; clients branch on it, people read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    Internal,
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
            Self::Internal => "internal",
        }
    }
}

/// The body of every error response: `{code, message, details}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct Health {
    /// `ok` when every dependency is up, `degraded` otherwise.
    pub status: HealthStatus,
    pub version: String,
    pub dependencies: Vec<DependencyHealth>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Degraded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[serde(rename_all = "snake_case")]
pub enum Dependency {
    Catalog,
    Kafka,
    Registry,
}

/// `GET /api/v1/products`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductList {
    pub items: Vec<DataProduct>,
}

/// Who is calling: from a verified token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The token's subject, stable per person.
    pub subject: String,
    /// A display name (or the subject when the token has none).
    pub name: String,
    /// The teams the person belongs to, from the token's groups claim.
    pub teams: Vec<crate::names::TeamName>,
    /// Org admins may change every product.
    pub admin: bool,
}

impl Identity {
    /// Only members of the owning team, or org admins, change a product.
    pub fn can_change(&self, product: &DataProduct) -> bool {
        self.admin || self.teams.contains(&product.owner.team)
    }
}
