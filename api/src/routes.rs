//! The HTTP surface: one router, and the one place that turns errors into status codes and `{code, message, details}`.

mod auth;
mod embed;
pub mod extract;
mod health;
mod openapi;
pub mod portal;
mod products;
mod schemas;

use axum::Json;
use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, any, on};
use meshport_shared::{ApiError, ErrorCode, Violation};

pub use openapi::document as openapi_document;

use crate::catalog::StoreError;
use crate::error::Error;
use crate::kafka::KafkaError;
use crate::registry::RegistryError;
use crate::state::AppState;
use extract::Reader;

/// Requests larger than this are refused before they are read (`payload_too_large`).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, dev sign-in (how a caller gets a token), the OpenAPI document, and the embeds (which answer
    /// by `MESHPORT_PUBLIC_CARDS` themselves).
    Open,
    /// Behind [`Reader`]: a caller without a token gets a 401 unless the organisation opened reads
    /// (`MESHPORT_PUBLIC_READS`). Changes check more in their handlers: sign-in, and the owning team.
    Catalog,
}

/// The HTTP methods the API answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Put => MethodFilter::PUT,
            Self::Patch => MethodFilter::PATCH,
            Self::Delete => MethodFilter::DELETE,
        }
    }

    /// The method as OpenAPI names it in a path item.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Put => "put",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }
}

/// One route: its method, its full path (as the OpenAPI document writes it) and who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: Verb,
    pub path: &'static str,
    pub access: Access,
}

fn route<H, T>(method: Verb, path: &'static str, access: Access, handler: H) -> (Route, MethodRouter<AppState>)
where
    H: Handler<T, AppState>,
    T: 'static,
{
    (Route { method, path, access }, on(method.filter(), handler))
}

/// Every route the API serves, in one table: the router is built from it, and the OpenAPI document is checked
/// against it. The dev sign-in routes exist only when the server signs dev tokens.
fn table(dev_sign_in: bool) -> Vec<(Route, MethodRouter<AppState>)> {
    use Access::{Catalog, Open};
    use Verb::{Delete, Get, Patch, Post, Put};
    let mut routes = vec![
        route(Get, "/api/health", Open, health::health),
        route(Get, "/api/v1/openapi.json", Open, openapi::openapi),
        route(Get, "/api/v1/policy", Catalog, products::policy),
        route(Get, "/api/v1/products", Catalog, products::list),
        route(Post, "/api/v1/products/publish", Catalog, products::publish),
        route(Post, "/api/v1/products/create", Catalog, products::create),
        route(Get, "/api/v1/products/{id}", Catalog, products::get),
        route(Put, "/api/v1/products/{id}", Catalog, products::update),
        route(Get, "/api/v1/products/{id}/history", Catalog, products::history),
        route(Post, "/api/v1/products/{id}/schema", Catalog, products::evolve),
        route(Get, "/api/v1/products/{id}/schema/diff", Catalog, products::diff),
        route(Post, "/api/v1/products/{id}/deprecate", Catalog, products::deprecate),
        route(Post, "/api/v1/products/{id}/retire", Catalog, products::retire),
        route(Patch, "/api/v1/products/{id}/topic", Catalog, products::change_topic),
        route(Delete, "/api/v1/products/{id}/topic", Catalog, products::delete_topic),
        route(Get, "/api/v1/products/{id}/sample", Catalog, products::sample),
        route(Get, "/api/v1/domains/{domain}/publishable-topics", Catalog, products::publishable),
        route(Get, "/api/v1/activity", Catalog, products::activity),
        route(Post, "/api/v1/schemas/check", Catalog, schemas::check),
        route(Get, "/api/v1/subjects/{subject}", Catalog, schemas::subject),
        route(Post, "/api/v1/sync", Catalog, products::sync),
        route(Get, "/api/v1/me", Catalog, auth::me),
        route(Get, "/api/v1/sign-in", Open, auth::sign_in_options),
        route(Get, "/embed/products/{id}", Open, embed::card),
        route(Get, "/oembed", Open, embed::oembed),
        route(Get, "/badge/products/{id}/{file}", Open, embed::badge),
    ];
    if dev_sign_in {
        routes.push(route(Get, "/api/v1/dev/users", Open, auth::dev_users));
        routes.push(route(Post, "/api/v1/dev/token", Open, auth::dev_token));
    }
    routes
}

/// Every route the router serves (with the dev sign-in routes when `dev_sign_in`), for the OpenAPI document and its
/// tests.
pub fn served(dev_sign_in: bool) -> Vec<Route> {
    table(dev_sign_in).into_iter().map(|(route, _)| route).collect()
}

/// Every route the OpenAPI document describes: those of [`served`] with dev sign-in, and the portal's product page.
pub fn documented() -> Vec<Route> {
    let mut routes = served(true);
    routes.push(portal::PRODUCT_PAGE);
    routes
}

/// Every route: the JSON API under `/api` (unknown `/api/...` paths answer a JSON `not_found`), and the embed surface
/// for wikis (`/embed`, `/oembed`, `/badge`).
pub fn api_router(state: AppState) -> Router {
    let reader = middleware::from_extractor_with_state::<Reader, AppState>(state.clone());
    let mut router = Router::new();
    for (route, handler) in table(state.auth.dev_mode()) {
        let handler = match route.access {
            Access::Catalog => handler.route_layer(reader.clone()),
            Access::Open => handler,
        };
        router = router.route(route.path, handler);
    }
    router
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
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

/// The domain's errors as the API answers them: the one place where a domain outcome picks its status.
impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound(message) => Self::NotFound(message),
            Error::Invalid(message) | Error::MissingRevision(message) => Self::BadRequest(message),
            Error::Stale(message) | Error::Conflict(message) => Self::Conflict(message),
            Error::Unauthorized(message) => Self::Unauthorized(message),
            Error::Forbidden(message) => Self::Forbidden(message),
            Error::Violations(violations) => Self::Validation(violations),
            Error::InvalidSchema(message) => Self::InvalidSchema(message),
            Error::Incompatible { level, changes } => Self::Incompatible { level, changes },
            Error::IdentityProviderUnavailable(message) => Self::IdentityProviderUnavailable(message),
            Error::Store(e) => Self::Store(e),
            Error::Kafka(e) => Self::Kafka(e),
            Error::Registry(e) => Self::Registry(e),
        }
    }
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
