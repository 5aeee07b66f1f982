//! The HTTP layer: Confluent's paths, content types and error bodies over the in-memory [`Registry`].

mod compatibility;
mod config;
mod schemas;
mod subjects;

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::RegistryError;
use crate::store::{Deleted, Registry};

/// The content type Confluent answers with by default.
pub(crate) const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The registry shared by every request. Handlers never hold the lock across an `.await`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shared(Arc<RwLock<Registry>>);

impl Shared {
    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Registry>, RegistryError> {
        self.0.read().map_err(|_| RegistryError::Store)
    }

    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, Registry>, RegistryError> {
        self.0.write().map_err(|_| RegistryError::Store)
    }
}

pub(crate) fn router() -> Router {
    Router::new()
        .route("/", get(root))
        .route("/schemas/types", get(schemas::types))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::raw_by_id))
        .route("/schemas/ids/{id}/versions", get(schemas::versions))
        .route("/schemas/ids/{id}/subjects", get(schemas::subjects))
        .route("/subjects", get(subjects::list))
        .route("/subjects/{subject}", post(subjects::lookup).delete(subjects::delete))
        .route("/subjects/{subject}/versions", get(subjects::versions).post(subjects::register))
        .route("/subjects/{subject}/versions/{version}", get(subjects::version).delete(subjects::delete_version))
        .route("/subjects/{subject}/versions/{version}/schema", get(subjects::raw_version))
        .route("/compatibility/subjects/{subject}/versions", post(compatibility::against_subject))
        .route("/compatibility/subjects/{subject}/versions/{version}", post(compatibility::against_version))
        .route("/config", get(config::global).put(config::set_global))
        .route("/config/{subject}", get(config::subject).put(config::set_subject).delete(config::delete_subject))
        .fallback(|| async { RegistryError::NotFound })
        .method_not_allowed_fallback(|| async { RegistryError::MethodNotAllowed })
        .layer(middleware::from_fn(confluent_responses))
        .with_state(Shared::default())
}

/// `GET /`: Confluent answers an empty object, which makes it a cheap liveness check.
async fn root() -> Response {
    confluent_json(StatusCode::OK, &serde_json::json!({}))
}

/// A JSON response with Confluent's content type.
pub(crate) fn confluent_json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], bytes).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot serialise a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A schema's own text as the body, which is how Confluent answers the `/schema` endpoints.
pub(crate) fn raw_schema(text: &str) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], text.to_owned()).into_response()
}

/// Gives every response Confluent's shape: extractor rejections (which axum answers in plain text) become
/// `{"error_code", "message"}` bodies, and clients that accept only `application/json` get that content type.
async fn confluent_responses(request: Request, next: Next) -> Response {
    let wants_plain_json = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| {
        accept.contains("application/json")
            && !accept.contains("application/vnd.schemaregistry")
            && !accept.contains("*/*")
    });
    let mut response = next.run(request).await;
    let is_plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    if response.status().is_client_error() && is_plain_text {
        let status = response.status();
        let bytes = axum::body::to_bytes(std::mem::replace(response.body_mut(), Body::empty()), 64 * 1024)
            .await
            .unwrap_or_default();
        let message = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::json!({ "error_code": status.as_u16(), "message": message });
        response = confluent_json(status, &body);
    }
    if wants_plain_json {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}

/// A JSON request body under any content type Confluent accepts: its own, `application/json`,
/// `application/octet-stream`, or none at all.
#[derive(Debug)]
pub(crate) struct ConfluentJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ConfluentJson<T> {
    type Rejection = RegistryError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let accepted = match request.headers().get(header::CONTENT_TYPE) {
            None => true,
            Some(value) => {
                let essence = value
                    .to_str()
                    .unwrap_or_default()
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                matches!(
                    essence.as_str(),
                    "application/vnd.schemaregistry.v1+json"
                        | "application/vnd.schemaregistry+json"
                        | "application/json"
                        | "application/octet-stream"
                )
            }
        };
        if !accepted {
            return Err(RegistryError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| RegistryError::BadRequest(rejection.body_text()))?;
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| RegistryError::BadRequest(format!("Request body is not the JSON expected: {e}")))
    }
}

/// The query string, for the few boolean flags Confluent reads from it.
#[derive(Debug)]
pub(crate) struct Flags(HashMap<String, String>);

impl Flags {
    /// A flag is set when its value is `true`, ignoring case, as Java's `Boolean.valueOf` reads it.
    pub(crate) fn is_set(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(crate) fn deleted(&self) -> Deleted {
        if self.is_set("deleted") { Deleted::Included } else { Deleted::Hidden }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Flags {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|rejection| RegistryError::BadRequest(rejection.body_text()))?;
        Ok(Self(query.0))
    }
}
