//! Sign-off on breaking changes over HTTP: a product's change proposals, those waiting for the caller's teams, and a
//! subscribing team's approval or objection, or the owners' withdrawal. The work is `crate::proposals`.

use axum::Json;
use axum::extract::{Path, State};
use meshport_shared::proposals::{ChangeProposal, ProposalDecision, Vote};
use meshport_shared::{ApiError, ProductId};

use super::AppError;
use super::extract::{Body, ProductPath, SignedIn};
use crate::proposals;
use crate::state::AppState;

/// `GET /api/v1/products/{id}/proposals`
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/proposals",
    operation_id = "product_proposals",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "Its breaking changes proposed to its subscribers, newest first, with each team's vote", body = Vec<ChangeProposal>),
        (status = 400, description = "`bad_request`: not a product id", body = ApiError),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn for_product(
    State(state): State<AppState>,
    SignedIn(_who): SignedIn,
    ProductPath(id): ProductPath,
) -> Result<Json<Vec<ChangeProposal>>, AppError> {
    Ok(Json(proposals::for_product(&state.mesh, &id).await?))
}

/// `GET /api/v1/proposals/mine`
#[utoipa::path(
    get,
    path = "/api/v1/proposals/mine",
    operation_id = "my_proposals",
    tag = "access",
    responses(
        (status = 200, description = "The proposals waiting that concern the caller's teams (to sign off as subscribers, or as owners), newest first", body = Vec<ChangeProposal>),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
    )
)]
pub async fn mine(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<ChangeProposal>>, AppError> {
    Ok(Json(proposals::mine(&state.mesh, &who).await?))
}

/// `POST /api/v1/proposals/{proposal}/{action}`
#[utoipa::path(
    post,
    path = "/api/v1/proposals/{proposal}/{action}",
    operation_id = "decide_proposal",
    tag = "access",
    params(
        ("proposal" = String, Path, description = "The proposal's id"),
        ("action" = String, Path, description = "`approve` or `object` (a subscribing team), `withdraw` (the owners)"),
    ),
    request_body = ProposalDecision,
    responses(
        (status = 200, description = "The proposal after the vote (the last approval makes the new major version: `applied`, with `new_product`) or the withdrawal", body = ChangeProposal),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team voted for, a team that does not subscribe, or not the owners to withdraw", body = ApiError),
        (status = 404, description = "`not_found`: no such proposal or action", body = ApiError),
        (status = 409, description = "`conflict`: a stale revision, the team voted already, or not allowed in the proposal's state", body = ApiError),
        (status = 422, description = "`validation_failed`: an objection without a reason, a reason too long, or no team named where the caller could vote for several", body = ApiError),
        (status = 503, description = "`kafka_unavailable` or `registry_unavailable`: the new major version could not be made now (sync tries again)", body = ApiError),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, action)): Path<(String, String)>,
    Body(decision): Body<ProposalDecision>,
) -> Result<Json<ChangeProposal>, AppError> {
    if id.len() > 128 {
        return Err(AppError::not_found("no such change proposal"));
    }
    let mesh = &state.mesh;
    let proposal = match action.as_str() {
        "approve" => proposals::vote(mesh, &who, &id, Vote::Approve, decision).await?,
        "object" => proposals::vote(mesh, &who, &id, Vote::Object, decision).await?,
        "withdraw" => proposals::withdraw(mesh, &who, &id, decision).await?,
        _ => return Err(AppError::not_found("no such action: use approve, object or withdraw")),
    };
    Ok(Json(proposal))
}
