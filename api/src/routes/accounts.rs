//! A team's service accounts over HTTP: list, register or create, rotate a password, delete. The work is
//! `crate::accounts`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use meshport_shared::accounts::{ServiceAccount, ServiceAccountAnswer, ServiceAccountDraft};
use meshport_shared::{ApiError, Principal, TeamName};

use super::AppError;
use super::extract::{Body, SignedIn, team_of};
use crate::accounts;
use crate::state::AppState;

fn principal_of(raw: String) -> Result<Principal, AppError> {
    Principal::parse(raw).map_err(|e| AppError::invalid(e.to_string()))
}

/// `GET /api/v1/teams/{team}/service-accounts`
#[utoipa::path(
    get,
    path = "/api/v1/teams/{team}/service-accounts",
    operation_id = "list_service_accounts",
    tag = "access",
    params(("team" = TeamName, Path, description = "The team, e.g. `trading`")),
    responses(
        (status = 200, description = "The team's service accounts, by principal (never a password)", body = Vec<ServiceAccount>),
        (status = 400, description = "`bad_request`: not a team name", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
) -> Result<Json<Vec<ServiceAccount>>, AppError> {
    Ok(Json(accounts::list(&state.mesh, &who, &team_of(team)?).await?))
}

/// `POST /api/v1/teams/{team}/service-accounts`
#[utoipa::path(
    post,
    path = "/api/v1/teams/{team}/service-accounts",
    operation_id = "register_service_account",
    tag = "access",
    params(("team" = TeamName, Path, description = "The team, e.g. `trading`")),
    request_body = ServiceAccountDraft,
    responses(
        (status = 201, description = "The account; with `create_credentials`, its password, shown this once", body = ServiceAccountAnswer),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin; reassigning without being an org admin", body = ApiError),
        (status = 409, description = "`conflict`: the principal is a team's already (the message names it; reassigning keeps its credentials), has SCRAM credentials already, or an open access request names it", body = ApiError),
        (status = 422, description = "`validation_failed`: no role", body = ApiError),
        (status = 503, description = "`kafka_unavailable`: the credentials or ACLs could not be changed", body = ApiError),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
    Body(draft): Body<ServiceAccountDraft>,
) -> Result<(StatusCode, Json<ServiceAccountAnswer>), AppError> {
    let answer = accounts::register(&state.mesh, &who, &team_of(team)?, draft).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `POST /api/v1/teams/{team}/service-accounts/{principal}/rotate`
#[utoipa::path(
    post,
    path = "/api/v1/teams/{team}/service-accounts/{principal}/rotate",
    operation_id = "rotate_service_account",
    tag = "access",
    params(
        ("team" = TeamName, Path, description = "The team, e.g. `trading`"),
        ("principal" = Principal, Path, description = "The account's principal, e.g. `User:svc-trading`"),
    ),
    responses(
        (status = 200, description = "The account and its new password, shown this once; the old one no longer works", body = ServiceAccountAnswer),
        (status = 400, description = "`bad_request`: not a team name or principal", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
        (status = 404, description = "`not_found`: no such account of the team", body = ApiError),
        (status = 409, description = "`conflict`: a registered account, whose credentials are not Meshport's", body = ApiError),
        (status = 503, description = "`kafka_unavailable`: the password could not be set", body = ApiError),
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((team, principal)): Path<(String, String)>,
) -> Result<Json<ServiceAccountAnswer>, AppError> {
    let (team, principal) = (team_of(team)?, principal_of(principal)?);
    Ok(Json(accounts::rotate(&state.mesh, &who, &team, &principal).await?))
}

/// `DELETE /api/v1/teams/{team}/service-accounts/{principal}`
#[utoipa::path(
    delete,
    path = "/api/v1/teams/{team}/service-accounts/{principal}",
    operation_id = "delete_service_account",
    tag = "access",
    params(
        ("team" = TeamName, Path, description = "The team, e.g. `trading`"),
        ("principal" = Principal, Path, description = "The account's principal, e.g. `User:svc-trading`"),
    ),
    responses(
        (status = 204, description = "Deleted: a producer's write access revoked, Meshport's credentials deleted"),
        (status = 400, description = "`bad_request`: not a team name or principal", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
        (status = 404, description = "`not_found`: no such account of the team", body = ApiError),
        (status = 409, description = "`conflict`: an access request not over yet names it", body = ApiError),
        (status = 503, description = "`kafka_unavailable`: the ACLs or credentials could not be deleted", body = ApiError),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((team, principal)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let (team, principal) = (team_of(team)?, principal_of(principal)?);
    accounts::delete(&state.mesh, &who, &team, &principal).await?;
    Ok(StatusCode::NO_CONTENT)
}
