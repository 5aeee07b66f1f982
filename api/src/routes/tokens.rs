//! A team's API tokens over HTTP: list, create (the secret answered once), revoke. The work is `crate::tokens`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use meshport_shared::tokens::{ApiToken, TokenAnswer, TokenDraft};
use meshport_shared::{ApiError, TeamName};

use super::AppError;
use super::extract::{Body, SignedIn, team_of};
use crate::state::AppState;
use crate::tokens;

/// `GET /api/v1/teams/{team}/tokens`
#[utoipa::path(
    get,
    path = "/api/v1/teams/{team}/tokens",
    operation_id = "list_api_tokens",
    tag = "access",
    params(("team" = TeamName, Path, description = "The team, e.g. `trading`")),
    responses(
        (status = 200, description = "The team's API tokens, newest first, revoked and expired ones too, each with its last use (never a secret)", body = Vec<ApiToken>),
        (status = 400, description = "`bad_request`: not a team name", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin (or a token whose scope is `read`)", body = ApiError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
) -> Result<Json<Vec<ApiToken>>, AppError> {
    Ok(Json(tokens::list(&state.mesh, &who, &team_of(team)?).await?))
}

/// `POST /api/v1/teams/{team}/tokens`
#[utoipa::path(
    post,
    path = "/api/v1/teams/{team}/tokens",
    operation_id = "create_api_token",
    tag = "access",
    params(("team" = TeamName, Path, description = "The team, e.g. `trading`")),
    request_body = TokenDraft,
    responses(
        (status = 201, description = "The token, and its secret, shown this once: send it as `Authorization: Bearer <secret>`", body = TokenAnswer),
        (status = 400, description = "`bad_request`: a malformed body, or a lifetime outside 1 to 365 days", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin, or an API token (people create tokens)", body = ApiError),
        (status = 409, description = "`conflict`: a token of the team in force has that name", body = ApiError),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
    Body(draft): Body<TokenDraft>,
) -> Result<(StatusCode, Json<TokenAnswer>), AppError> {
    let answer = tokens::create(&state.mesh, &who, &team_of(team)?, draft).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `DELETE /api/v1/teams/{team}/tokens/{id}`
#[utoipa::path(
    delete,
    path = "/api/v1/teams/{team}/tokens/{id}",
    operation_id = "revoke_api_token",
    tag = "access",
    params(
        ("team" = TeamName, Path, description = "The team, e.g. `trading`"),
        ("id" = String, Path, description = "The token's id, e.g. `3f9c0a1b2d4e5f60`"),
    ),
    responses(
        (status = 200, description = "The token, revoked (at once: it is refused from now on); revoking it again changes nothing", body = ApiToken),
        (status = 400, description = "`bad_request`: not a team name", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
        (status = 404, description = "`not_found`: the team has no such token", body = ApiError),
        (status = 409, description = "`conflict`: it changed meanwhile; try again", body = ApiError),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((team, id)): Path<(String, String)>,
) -> Result<Json<ApiToken>, AppError> {
    Ok(Json(tokens::revoke(&state.mesh, &who, &team_of(team)?, &id).await?))
}
