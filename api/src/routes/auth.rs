//! Who am I (`GET /api/v1/me`), and, only when dev sign-in is on, the demo sign-in of local runs:
//! `GET /api/v1/dev/users` (the portal's picker) and `POST /api/v1/dev/token`.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::{get, post};
use axum::{Json, Router};
use meshport_shared::api::{DevToken, DevTokenRequest, DevUserList, Identity};

use super::AppError;
use crate::app::AppState;
use crate::auth::{self, Authenticator, SignedIn};

pub fn me_router() -> Router<AppState> {
    Router::new().route("/v1/me", get(me))
}

/// The dev routes exist only when `auth` signs dev tokens; otherwise they are unknown API routes.
pub fn dev_router(auth: &Authenticator) -> Router<AppState> {
    let router = Router::new();
    if !auth.dev_mode() {
        return router;
    }
    router.route("/v1/dev/users", get(dev_users)).route("/v1/dev/token", post(dev_token))
}

async fn me(SignedIn(identity): SignedIn) -> Json<Identity> {
    Json(identity)
}

async fn dev_users(State(state): State<AppState>) -> Json<DevUserList> {
    Json(DevUserList { items: auth::demo_users(&state.policy) })
}

async fn dev_token(
    State(state): State<AppState>,
    request: Result<Json<DevTokenRequest>, JsonRejection>,
) -> Result<Json<DevToken>, AppError> {
    let Json(request) = request.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let user = request.user.trim();
    if user.is_empty()
        || user.len() > 64
        || !user.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(AppError::BadRequest(
            "`user` must be 1 to 64 letters, digits, `.`, `_`, `-` or `@`, like `alice`".into(),
        ));
    }
    let mut teams = request.teams;
    teams.sort();
    teams.dedup();
    let identity =
        Identity { subject: format!("dev:{user}"), name: auth::display_name(user), teams, admin: request.admin };
    let token = state
        .auth
        .dev_token(&identity)
        .ok_or_else(|| AppError::NotFound("dev sign-in is off on this server".into()))?;
    Ok(Json(token))
}
