//! Every way a request can fail, with the HTTP status, Confluent `error_code` and message Confluent answers with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::routes::confluent_json;

/// A failed request. Messages copy Confluent's wording (typos included) where clients might match on them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RegistryError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {0} not found.")]
    VersionNotFound(i32),
    #[error("Schema {0} not found")]
    SchemaIdNotFound(i32),
    #[error("Schema not found")]
    SchemaNotFound,
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently")]
    VersionSoftDeleted { subject: String, version: i32 },
    #[error("Subject '{subject}' Version {version} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted { subject: String, version: i32 },
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    NoSubjectLevelCompatibility(String),
    #[error(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
        .details.join(", ")
    )]
    Incompatible { subject: String, details: Vec<String> },
    #[error("{0}")]
    InvalidSchema(String),
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    #[error(
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
    )]
    InvalidCompatibilityLevel,
    #[error("One or more references exist to the schema {{subject={subject},version={version}}}")]
    ReferenceExists { subject: String, version: i32 },
    /// Our fault: the in-memory store is unusable (a panic poisoned its lock).
    #[error("Error in the backend data store")]
    Store,
    /// A request entity that parses but lacks what it must have, as Confluent's `{"error_code": 422, ...}`.
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("HTTP 404 Not Found")]
    NotFound,
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
}

impl RegistryError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::SubjectNotFound(_)
            | Self::VersionNotFound(_)
            | Self::SchemaIdNotFound(_)
            | Self::SchemaNotFound
            | Self::SubjectSoftDeleted(_)
            | Self::SubjectNotSoftDeleted(_)
            | Self::VersionSoftDeleted { .. }
            | Self::VersionNotSoftDeleted { .. }
            | Self::NoSubjectLevelCompatibility(_)
            | Self::NotFound => StatusCode::NOT_FOUND,
            Self::Incompatible { .. } => StatusCode::CONFLICT,
            Self::InvalidSchema(_)
            | Self::InvalidVersion(_)
            | Self::InvalidCompatibilityLevel
            | Self::ReferenceExists { .. }
            | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Store => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    /// Confluent's `error_code`: a five-digit refinement of the status, or the bare status where Confluent has none.
    pub(crate) fn error_code(&self) -> u32 {
        match self {
            Self::SubjectNotFound(_) => 40401,
            Self::VersionNotFound(_) => 40402,
            Self::SchemaIdNotFound(_) | Self::SchemaNotFound => 40403,
            Self::SubjectSoftDeleted(_) => 40404,
            Self::SubjectNotSoftDeleted(_) => 40405,
            Self::VersionSoftDeleted { .. } => 40406,
            Self::VersionNotSoftDeleted { .. } => 40407,
            Self::NoSubjectLevelCompatibility(_) => 40408,
            Self::InvalidSchema(_) => 42201,
            Self::InvalidVersion(_) => 42202,
            Self::InvalidCompatibilityLevel => 42203,
            Self::ReferenceExists { .. } => 42206,
            Self::Store => 50001,
            // Confluent Platform 7 answers 409 here; Confluent 8 refines it to 40901. We keep the code clients
            // have matched on for years.
            Self::Incompatible { .. }
            | Self::Unprocessable(_)
            | Self::BadRequest(_)
            | Self::NotFound
            | Self::MethodNotAllowed
            | Self::UnsupportedMediaType => u32::from(self.status().as_u16()),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error_code: u32,
    message: String,
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        if matches!(self, Self::Store) {
            tracing::error!("the in-memory store is unusable after an earlier panic");
        }
        let body = ErrorBody { error_code: self.error_code(), message: self.to_string() };
        confluent_json(self.status(), &body)
    }
}
