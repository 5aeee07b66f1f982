//! The HTTP surface: one router, and the one place that turns errors into status codes and `{code, message, details}`.

mod auth;
mod body;
mod embed;
mod health;
mod products;
mod schemas;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use meshport_shared::{ApiError, ErrorCode, Violation};

use crate::app::AppState;
use crate::auth::Reader;
use crate::catalog::StoreError;
use crate::kafka::KafkaError;
use crate::registry::RegistryError;

/// Requests larger than this are refused before they are read (`payload_too_large`).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Every route: the JSON API under `/api` (unknown `/api/...` paths answer a JSON `not_found`), and the embed surface
/// for wikis (`/embed`, `/oembed`, `/badge`).
///
/// The catalog's routes, reads included, sit behind [`Reader`]: a caller without a token gets a 401 unless the
/// organisation opened reads (`MESHPORT_PUBLIC_READS`). Health, dev sign-in (what a caller uses to get a token) and
/// the embeds (which have `MESHPORT_PUBLIC_CARDS`) are outside it.
pub fn api_router(state: AppState) -> Router {
    let catalog = Router::new()
        .route("/v1/policy", get(products::policy))
        .route("/v1/products", get(products::list))
        .route("/v1/products/publish", post(products::publish))
        .route("/v1/products/create", post(products::create))
        .route("/v1/products/{id}", get(products::get).put(products::update))
        .route("/v1/products/{id}/history", get(products::history))
        .route("/v1/products/{id}/schema", post(products::evolve))
        .route("/v1/products/{id}/schema/diff", get(products::diff))
        .route("/v1/products/{id}/deprecate", post(products::deprecate))
        .route("/v1/products/{id}/retire", post(products::retire))
        .route("/v1/products/{id}/topic", delete(products::delete_topic))
        .route("/v1/products/{id}/sample", get(products::sample))
        .route("/v1/domains/{domain}/publishable-topics", get(products::publishable))
        .route("/v1/activity", get(products::activity))
        .route("/v1/schemas/check", post(schemas::check))
        .route("/v1/subjects/{subject}", get(schemas::subject))
        .route("/v1/sync", post(products::sync))
        .merge(auth::me_router())
        .route_layer(middleware::from_extractor_with_state::<Reader, AppState>(state.clone()));
    let api = Router::new()
        .route("/health", get(health::health))
        .merge(catalog)
        .merge(auth::dev_router(&state.auth))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state.clone());
    Router::new().nest("/api", api).merge(embed::router().with_state(state))
}

pub async fn not_found() -> AppError {
    AppError::NotFound("no such API route".into())
}

/// Everything a handler can fail with. The user's faults carry a message for them; ours are logged in full and
/// answered with an opaque `internal`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No identity, or one that could not be verified.
    #[error("{0}")]
    Unauthorized(String),
    /// A verified identity that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A write lost a race or collides with what exists.
    #[error("{0}")]
    Conflict(String),
    /// A schema text that cannot be read in its format.
    #[error("{0}")]
    InvalidSchema(String),
    #[error("the product breaks {} governance rule(s)", .0.len())]
    Validation(Vec<Violation>),
    /// A schema change refused because it breaks consumers; each breaking change is a detail.
    #[error("the new schema breaks consumers in {} way(s) at compatibility level {level}", .changes.len())]
    Incompatible { level: String, changes: Vec<Violation> },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The identity provider's signing keys cannot be fetched, so no token can be checked.
    #[error("{0}")]
    IdentityProviderUnavailable(String),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Self::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Self::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed),
            Self::InvalidSchema(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSchema),
            Self::Incompatible { .. } => (StatusCode::CONFLICT, ErrorCode::IncompatibleSchema),
            Self::Store(StoreError::Unavailable(_)) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::CatalogUnavailable),
            Self::Store(StoreError::Conflict { .. }) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Self::Store(StoreError::Corrupt(_)) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            Self::Kafka(KafkaError::Unavailable(_)) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::KafkaUnavailable),
            Self::Kafka(KafkaError::TopicExists(_)) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Self::Kafka(KafkaError::UnknownTopic(_)) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::Kafka(KafkaError::InvalidConfig(_)) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            Self::Kafka(_) => (StatusCode::BAD_GATEWAY, ErrorCode::KafkaUnavailable),
            Self::Registry(RegistryError::Unavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::RegistryUnavailable)
            }
            Self::Registry(
                RegistryError::SubjectNotFound(_)
                | RegistryError::VersionNotFound { .. }
                | RegistryError::SchemaNotFound(_),
            ) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::Registry(RegistryError::Incompatible(_)) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Self::Registry(RegistryError::InvalidSchema(_)) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            Self::Registry(_) => (StatusCode::BAD_GATEWAY, ErrorCode::RegistryUnavailable),
            Self::IdentityProviderUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::IdentityProviderUnavailable)
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, error.debug = ?self, "request failed");
            "something went wrong on our side; it has been logged".to_owned()
        } else {
            if status.is_server_error() {
                tracing::warn!(error = %self, "dependency unavailable");
            }
            self.to_string()
        };
        let details = match self {
            Self::Validation(violations) | Self::Incompatible { changes: violations, .. } => violations,
            _ => Vec::new(),
        };
        (status, Json(ApiError { code, message, details })).into_response()
    }
}
