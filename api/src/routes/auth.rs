//! Who am I (`GET /api/v1/me`), how to sign in (`GET /api/v1/sign-in`), and, only when dev sign-in is on, the demo
//! sign-in of local runs:
//! `GET /api/v1/dev/users` (the portal's picker) and `POST /api/v1/dev/token`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use meshport_shared::api::{DevToken, DevTokenRequest, DevUserList, Identity, SignInOptions};
use meshport_shared::tokens::Scope;

use super::AppError;
use super::extract::SignedIn;
use crate::auth;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "sign-in",
    responses((status = 200, description = "The signed-in caller", body = Identity))
)]
pub async fn me(SignedIn(identity): SignedIn) -> Json<Identity> {
    Json(identity)
}

#[utoipa::path(
    get,
    path = "/api/v1/sign-in",
    tag = "sign-in",
    responses(
        (status = 200, description = "How people sign in here: dev sign-in, and the organisation's identity \
            provider when the portal is its client (`MESHPORT_OIDC_CLIENT_ID`)", body = SignInOptions),
        (status = 503, description = "`identity_provider_unavailable`: the provider's discovery document cannot be \
            read and no earlier copy is kept", body = meshport_shared::ApiError),
    )
)]
pub async fn sign_in_options(State(state): State<AppState>) -> Result<Json<SignInOptions>, AppError> {
    Ok(Json(state.auth.sign_in_options().await?))
}

/// Only when dev sign-in is on (`MESHPORT_DEV_AUTH=true`); otherwise the route does not exist.
#[utoipa::path(
    get,
    path = "/api/v1/dev/users",
    tag = "sign-in",
    responses((status = 200, description = "The demo people for the portal's sign-in picker", body = DevUserList))
)]
pub async fn dev_users(State(state): State<AppState>) -> Json<DevUserList> {
    Json(DevUserList { items: auth::demo_users(&state.mesh.policy) })
}

/// Only when dev sign-in is on (`MESHPORT_DEV_AUTH=true`); otherwise the route does not exist.
#[utoipa::path(
    post,
    path = "/api/v1/dev/token",
    tag = "sign-in",
    request_body = DevTokenRequest,
    responses(
        (status = 200, description = "A 12-hour token for whoever was asked for", body = DevToken),
        (status = 400, description = "`bad_request`: a malformed body or user name", body = meshport_shared::ApiError),
    )
)]
pub async fn dev_token(
    State(state): State<AppState>,
    request: Result<Json<DevTokenRequest>, JsonRejection>,
) -> Result<Json<DevToken>, AppError> {
    let Json(request) = request.map_err(|e| AppError::invalid(e.body_text()))?;
    let user = request.user.trim();
    if user.is_empty()
        || user.len() > 64
        || !user.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(AppError::invalid("`user` must be 1 to 64 letters, digits, `.`, `_`, `-` or `@`, like `alice`"));
    }
    let mut teams = request.teams;
    teams.sort();
    teams.dedup();
    let identity = Identity {
        subject: format!("dev:{user}"),
        name: auth::display_name(user),
        teams,
        admin: request.admin,
        scope: Scope::Change,
    };
    let token =
        state.auth.dev_token(&identity).ok_or_else(|| AppError::not_found("dev sign-in is off on this server"))?;
    Ok(Json(token))
}
