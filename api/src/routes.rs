//! The HTTP surface: one router, and the one place that turns errors into status codes and `{code, message, details}`.

mod access;
mod accounts;
mod auth;
mod channels;
mod code;
mod embed;
mod events;
pub mod extract;
mod health;
mod notifications;
mod openapi;
pub mod portal;
mod products;
mod proposals;
mod schemas;
mod tokens;
mod watch;

use axum::Json;
use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, any, on};
use meshport_shared::{ApiError, ErrorCode};

pub use openapi::document as openapi_document;

use crate::catalog::StoreError;
use crate::error::Error;
use crate::kafka::KafkaError;
use crate::registry::RegistryError;
use crate::state::AppState;
use extract::{Changer, Reader, SignedIn};

/// Requests larger than this are refused before they are read (`payload_too_large`).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health (details for org admins only), dev sign-in (how a caller gets a token), the OpenAPI document,
    /// and the embeds (which answer by `MESHPORT_PUBLIC_CARDS` themselves).
    Open,
    /// The catalog as a visitor sees it (search, a product's page, the policy), behind [`Reader`]: a caller without
    /// a token gets a 401 unless the organisation opened reads (`MESHPORT_PUBLIC_READS`).
    Catalog,
    /// Behind [`SignedIn`], whatever `MESHPORT_PUBLIC_READS` says: every change (behind [`Changer`], which refuses
    /// a caller whose scope is `read`; its handler also checks the owning team), and the reads that show more than the catalog: samples of the events, topics and subjects no
    /// product has claimed, the audit trail (who changed what, with the products before and after) and the change
    /// events feed.
    Members,
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

/// The routes that take a body by POST but change nothing: checks, which a token whose scope is `read` may call. A
/// schema evolution is one while a dry run (the registry's verdict); `lifecycle::evolve` refuses a real one to a
/// caller who may not change the product, a read scope included.
const CHECKS: [&str; 2] = ["/api/v1/schemas/check", "/api/v1/products/{id}/schema"];

impl Route {
    /// Whether the route changes something: every method but GET, except [`CHECKS`]. The router puts these behind
    /// [`Changer`], so a caller whose scope is `read` is refused by every one of them, whatever its handler checks.
    pub fn changes(&self) -> bool {
        self.method != Verb::Get && !CHECKS.contains(&self.path)
    }
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
    use Access::{Catalog, Members, Open};
    use Verb::{Delete, Get, Patch, Post, Put};
    let mut routes = vec![
        route(Get, "/api/health", Open, health::health),
        route(Get, "/api/v1/openapi.json", Open, openapi::openapi),
        route(Get, "/api/v1/policy", Catalog, products::policy),
        route(Get, "/api/v1/products", Catalog, products::list),
        route(Post, "/api/v1/products/publish", Members, products::publish),
        route(Post, "/api/v1/products/create", Members, products::create),
        route(Get, "/api/v1/products/{id}", Catalog, products::get),
        route(Put, "/api/v1/products/{id}", Members, products::update),
        route(Get, "/api/v1/products/{id}/history", Members, products::history),
        route(Post, "/api/v1/products/{id}/schema", Members, products::evolve),
        route(Get, "/api/v1/products/{id}/schema/diff", Catalog, products::diff),
        route(Post, "/api/v1/products/{id}/deprecate", Members, products::deprecate),
        route(Post, "/api/v1/products/{id}/retire", Members, products::retire),
        route(Get, "/api/v1/products/{id}/retire", Members, access::retirement),
        route(Patch, "/api/v1/products/{id}/topic", Members, products::change_topic),
        route(Delete, "/api/v1/products/{id}/topic", Members, products::delete_topic),
        route(Get, "/api/v1/products/{id}/sample", Members, products::sample),
        route(Get, "/api/v1/domains/{domain}/publishable-topics", Members, products::publishable),
        route(Post, "/api/v1/products/{id}/access", Members, access::request),
        route(Get, "/api/v1/products/{id}/access", Members, access::for_product),
        route(Get, "/api/v1/products/{id}/access/unmanaged", Members, access::unmanaged),
        route(Get, "/api/v1/products/{id}/consumers", Catalog, access::consumers),
        route(Get, "/api/v1/access/inbox", Members, access::inbox),
        route(Get, "/api/v1/access/mine", Members, access::mine),
        route(Post, "/api/v1/access/{request}/successor", Members, access::successor),
        route(Post, "/api/v1/access/{request}/{action}", Members, access::decide),
        route(Get, "/api/v1/teams/{team}/service-accounts", Members, accounts::list),
        route(Post, "/api/v1/teams/{team}/service-accounts", Members, accounts::register),
        route(Post, "/api/v1/teams/{team}/service-accounts/{principal}/rotate", Members, accounts::rotate),
        route(Delete, "/api/v1/teams/{team}/service-accounts/{principal}", Members, accounts::delete),
        route(Get, "/api/v1/teams/{team}/channels", Members, channels::get),
        route(Put, "/api/v1/teams/{team}/channels", Members, channels::put),
        route(Get, "/api/v1/activity", Members, products::activity),
        route(Get, "/api/v1/events", Members, events::feed),
        route(Post, "/api/v1/schemas/check", Members, schemas::check),
        route(Get, "/api/v1/subjects/{subject}", Members, schemas::subject),
        route(Post, "/api/v1/sync", Members, products::sync),
        route(Get, "/api/v1/me", Members, auth::me),
        route(Get, "/api/v1/sign-in", Open, auth::sign_in_options),
        route(Get, "/embed/products/{id}", Open, embed::card),
        route(Get, "/oembed", Open, embed::oembed),
        route(Get, "/badge/products/{id}/{file}", Open, embed::badge),
        route(Get, "/api/v1/notifications/dead-letters", Members, notifications::dead_letters),
        route(
            Post,
            "/api/v1/notifications/deliveries/{event}/{team}/{channel}/redeliver",
            Members,
            notifications::redeliver,
        ),
        route(Get, "/api/v1/products/{id}/watch", Members, watch::get),
        route(Put, "/api/v1/products/{id}/watch", Members, watch::put),
        route(Delete, "/api/v1/products/{id}/watch", Members, watch::delete),
        route(Get, "/api/v1/me/notifications", Members, watch::settings),
        route(Put, "/api/v1/me/notifications", Members, watch::set_settings),
        route(Get, "/api/v1/teams/{team}/tokens", Members, tokens::list),
        route(Post, "/api/v1/teams/{team}/tokens", Members, tokens::create),
        route(Delete, "/api/v1/teams/{team}/tokens/{id}", Members, tokens::revoke),
        route(Get, "/api/v1/products/{id}/export", Catalog, code::export),
        route(Post, "/api/v1/products/import", Members, code::import),
        route(Get, "/api/v1/products/{id}/proposals", Members, proposals::for_product),
        route(Get, "/api/v1/proposals/mine", Members, proposals::mine),
        route(Post, "/api/v1/proposals/{proposal}/{action}", Members, proposals::decide),
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
    let member = middleware::from_extractor_with_state::<SignedIn, AppState>(state.clone());
    let changer = middleware::from_extractor_with_state::<Changer, AppState>(state.clone());
    let mut router = Router::new();
    for (route, handler) in table(state.auth.dev_mode()) {
        let handler = match route.access {
            Access::Catalog => handler.route_layer(reader.clone()),
            Access::Members if route.changes() => handler.route_layer(changer.clone()),
            Access::Members => handler.route_layer(member.clone()),
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
    AppError::not_found("no such API route")
}

/// Everything a handler can fail with: a domain outcome, or a request that HTTP itself refuses (too large, or for a
/// host that is not this server's). The user's faults carry a message for them; ours are logged in full and
/// answered with an opaque `internal`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] Error),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A request for a host name the local server does not answer for.
    #[error("{0}")]
    MisdirectedHost(String),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Domain(Error::Invalid(message.into()))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::Domain(Error::NotFound(message.into()))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Domain(Error::Forbidden(message.into()))
    }

    pub fn invalid_schema(message: impl Into<String>) -> Self {
        Self::Domain(Error::InvalidSchema(message.into()))
    }

    /// The one table from an outcome to its status and stable code.
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        let error = match self {
            Self::Domain(error) => error,
            Self::PayloadTooLarge(_) => return (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            Self::MisdirectedHost(_) => return (StatusCode::MISDIRECTED_REQUEST, ErrorCode::BadRequest),
        };
        match error {
            Error::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Error::Invalid(_) | Error::MissingRevision(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Error::Stale(_) | Error::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Error::Violations(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed),
            Error::InvalidSchema(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSchema),
            Error::Incompatible { .. } => (StatusCode::CONFLICT, ErrorCode::IncompatibleSchema),
            Error::IdentityProviderUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::IdentityProviderUnavailable)
            }
            Error::Store(StoreError::Unavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::CatalogUnavailable)
            }
            Error::Store(
                StoreError::Conflict { .. }
                | StoreError::AccessConflict { .. }
                | StoreError::AccountConflict { .. }
                | StoreError::Claimed { .. }
                | StoreError::Busy(_)
                | StoreError::Changed(_),
            ) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Error::Store(StoreError::Corrupt(_)) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            Error::Kafka(KafkaError::Unavailable(_)) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::KafkaUnavailable),
            Error::Kafka(KafkaError::TopicExists(_)) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Error::Kafka(KafkaError::UnknownTopic(_)) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Error::Kafka(KafkaError::InvalidConfig(_)) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            Error::Kafka(_) => (StatusCode::BAD_GATEWAY, ErrorCode::KafkaUnavailable),
            Error::Registry(RegistryError::Unavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::RegistryUnavailable)
            }
            Error::Registry(
                RegistryError::SubjectNotFound(_)
                | RegistryError::VersionNotFound { .. }
                | RegistryError::SchemaNotFound(_),
            ) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Error::Registry(RegistryError::Incompatible(_)) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Error::Registry(RegistryError::InvalidSchema(_)) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            Error::Registry(_) => (StatusCode::BAD_GATEWAY, ErrorCode::RegistryUnavailable),
            Error::TokenExpired(_) => (StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired),
            Error::TokenRevoked(_) => (StatusCode::UNAUTHORIZED, ErrorCode::TokenRevoked),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        Self::Domain(error.into())
    }
}

impl From<KafkaError> for AppError {
    fn from(error: KafkaError) -> Self {
        Self::Domain(error.into())
    }
}

impl From<RegistryError> for AppError {
    fn from(error: RegistryError) -> Self {
        Self::Domain(error.into())
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
            Self::Domain(Error::Violations(violations) | Error::Incompatible { changes: violations, .. }) => violations,
            _ => Vec::new(),
        };
        (status, Json(ApiError { code, message, details })).into_response()
    }
}
