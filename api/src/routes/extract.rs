//! What handlers take from a request, every rejection in our error shape: the caller ([`Caller`], [`Reader`],
//! [`SignedIn`], verified once per request by `auth`), the product a path names ([`ProductPath`]), query parameters
//! ([`Params`]) and a JSON [`Body`] (unknown fields, wrong types and malformed JSON answer `bad_request` naming the
//! problem, oversized bodies `payload_too_large`); and, in front of everything the local server serves, that the
//! request is for one of its own host names ([`KnownHost`]).

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use meshport_shared::api::Identity;
use meshport_shared::{ProductId, TeamName};
use serde::de::DeserializeOwned;

use super::AppError;
use crate::config::AllowedHosts;
use crate::state::AppState;

#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge(format!("the body is larger than {} KiB", super::MAX_BODY_BYTES / 1024));
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::invalid("send the body as JSON with `Content-Type: application/json`")
        }
        JsonRejection::JsonDataError(e) => AppError::invalid(format!("the body does not fit: {}", e.body_text())),
        JsonRejection::JsonSyntaxError(e) => {
            AppError::invalid(format!("the body is not valid JSON: {}", e.body_text()))
        }
        other => AppError::invalid(other.body_text()),
    }
}

/// Whoever calls, signed in or not. A token that does not verify is still a 401.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Identity>);

/// A caller allowed to read the catalog: anyone signed in, and anyone at all where reads are public.
#[derive(Debug, Clone)]
pub struct Reader(pub Option<Identity>);

/// A caller with a verified identity; anonymous requests get a 401 saying how to sign in.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Identity);

/// The verified caller, kept in the request's extensions so several extractors verify the token once.
#[derive(Clone)]
struct Verified(Option<Identity>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(Verified(identity)) = parts.extensions.get::<Verified>() {
            return Ok(Self(identity.clone()));
        }
        let authorization = parts.headers.get(AUTHORIZATION).map(|value| value.to_str().map_err(drop));
        let identity = state.auth.identify(authorization).await?;
        parts.extensions.insert(Verified(identity.clone()));
        Ok(Self(identity))
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(identity) = Caller::from_request_parts(parts, state).await?;
        if identity.is_none() && !state.auth.public_reads() {
            return Err(state.auth.reads_need_sign_in().into());
        }
        Ok(Self(identity))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(identity) = Caller::from_request_parts(parts, state).await?;
        identity.map(Self).ok_or_else(|| state.auth.sign_in_required().into())
    }
}

/// A signed-in caller whose scope allows changes: in front of every route that changes something
/// ([`super::Route::changes`]), so an API token made for reading changes nothing (403 `forbidden`).
#[derive(Debug, Clone)]
pub struct Changer(pub Identity);

impl FromRequestParts<AppState> for Changer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let SignedIn(identity) = SignedIn::from_request_parts(parts, state).await?;
        crate::auth::require_change_scope(&identity)?;
        Ok(Self(identity))
    }
}

/// The product a path names (`/api/v1/products/{id}/...`), parsed: a malformed id is `bad_request` saying why.
#[derive(Debug, Clone)]
pub struct ProductPath(pub ProductId);

impl<S: Send + Sync> FromRequestParts<S> for ProductPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The product's id is the route's first path parameter (`{id}`); some routes have more.
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::invalid(e.body_text()))?;
        let raw = params
            .into_iter()
            .find(|(name, _)| name == "id")
            .map(|(_, value)| value)
            .ok_or_else(|| AppError::not_found("no product in this path"))?;
        ProductId::parse(raw).map(Self).map_err(|e| AppError::invalid(e.to_string()))
    }
}

/// A request's query parameters as `T`: unknown parameters, missing ones and wrong types are `bad_request` naming
/// the problem.
#[derive(Debug, Clone)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(params) =
            Query::<T>::from_request_parts(parts, state).await.map_err(|e| AppError::invalid(e.body_text()))?;
        Ok(Self(params))
    }
}

/// A request for one of the local server's own host names ([`AllowedHosts`]). Any other name reached it through
/// someone else's DNS: a web page that rebinds its own name to 127.0.0.1 could otherwise call the API (dev sign-in
/// first) as a page of this origin. Refused with 421 `bad_request`. Not used on Lambda, where API Gateway and
/// CloudFront set the `Host`.
#[derive(Debug, Clone, Copy)]
pub struct KnownHost;

impl FromRequestParts<Arc<AllowedHosts>> for KnownHost {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, hosts: &Arc<AllowedHosts>) -> Result<Self, Self::Rejection> {
        // HTTP/1.1 names the host in `Host`, HTTP/2 in the URI's authority.
        let named = match parts.headers.get(HOST) {
            Some(value) => value.to_str().ok().and_then(|value| value.parse::<Authority>().ok()),
            None => parts.uri.authority().cloned(),
        };
        match named {
            Some(authority) if hosts.allows(authority.host()) => Ok(Self),
            Some(authority) => Err(AppError::MisdirectedHost(format!(
                "this server does not answer for the host `{}`: if that name is this server's, add it to \
                 MESHPORT_ALLOWED_HOSTS",
                authority.host()
            ))),
            None => Err(AppError::MisdirectedHost(
                "the request names no host (`Host` header) this server answers for".into(),
            )),
        }
    }
}

/// A team named in a path (`/api/v1/teams/{team}/...`), or a 400 saying what is wrong with the name.
pub fn team_of(raw: String) -> Result<TeamName, AppError> {
    TeamName::parse(raw).map_err(|e| AppError::invalid(e.to_string()))
}
