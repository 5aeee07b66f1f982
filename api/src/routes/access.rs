//! Self-serve access over HTTP: ask for access to a product, see a product's requests, the owners' inbox and a
//! team's own requests, and decide (approve, deny, cancel, revoke, retry); a product's subscribers and consumer
//! groups joined to grants, the ACLs on its topic no grant explains, what retiring it would end, and a grant carried
//! over to a successor. The work is `crate::access`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use meshport_shared::access::{
    AccessAction, AccessDecision, AccessRequest, AccessRequestDraft, ProductConsumers, RetirementPreview,
    UnmanagedBinding,
};
use meshport_shared::{ApiError, ProductId};

use super::AppError;
use super::extract::{Body, ProductPath, SignedIn};
use crate::access;
use crate::state::AppState;

/// `POST /api/v1/products/{id}/access`
#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/access",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    request_body = AccessRequestDraft,
    responses(
        (status = 201, description = "The request, waiting for the product's owners", body = AccessRequest),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the requesting team", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 409, description = "`conflict`: the product takes no new consumers, the team owns it, or the team has an open request", body = ApiError),
        (status = 422, description = "`validation_failed`: the policy's access limits, another team's principal", body = ApiError),
    )
)]
pub async fn request(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    Body(draft): Body<AccessRequestDraft>,
) -> Result<(StatusCode, Json<AccessRequest>), AppError> {
    Ok((StatusCode::CREATED, Json(access::request(&state.mesh, &who, &id, draft).await?)))
}

/// `GET /api/v1/products/{id}/access`
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/access",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "Its requests and grants: all of them for its owners and admins, the caller's teams' otherwise", body = Vec<AccessRequest>),
        (status = 400, description = "`bad_request`: not a product id", body = ApiError),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn for_product(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
) -> Result<Json<Vec<AccessRequest>>, AppError> {
    Ok(Json(access::for_product(&state.mesh, &who, &id).await?))
}

/// `GET /api/v1/access/inbox`
#[utoipa::path(
    get,
    path = "/api/v1/access/inbox",
    tag = "access",
    responses(
        (status = 200, description = "Requests to the products of the caller's teams, newest first; for an org admin also every request of any team waiting for a decision or a retry", body = Vec<AccessRequest>),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
    )
)]
pub async fn inbox(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<AccessRequest>>, AppError> {
    Ok(Json(access::inbox(&state.mesh, &who).await?))
}

/// `GET /api/v1/access/mine`
#[utoipa::path(
    get,
    path = "/api/v1/access/mine",
    tag = "access",
    responses(
        (status = 200, description = "The caller's teams' requests and grants, those expiring soonest first", body = Vec<AccessRequest>),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
    )
)]
pub async fn mine(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<AccessRequest>>, AppError> {
    Ok(Json(access::mine(&state.mesh, &who).await?))
}

/// `POST /api/v1/access/{request}/{action}`
#[utoipa::path(
    post,
    path = "/api/v1/access/{request}/{action}",
    tag = "access",
    params(
        ("request" = String, Path, description = "The request's id"),
        ("action" = String, Path, description = "`approve`, `deny`, `cancel`, `revoke` or `retry`"),
    ),
    request_body = AccessDecision,
    responses(
        (status = 200, description = "The request after the decision (approving grants the ACLs: `active`, or `failed` with the reason)", body = AccessRequest),
        (status = 400, description = "`bad_request`: a malformed body or an unknown action", body = ApiError),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 403, description = "`forbidden`: not the product's owners (or an admin) for a decision, not the requesting team to cancel; never the requesting team to approve", body = ApiError),
        (status = 404, description = "`not_found`: no such request", body = ApiError),
        (status = 409, description = "`conflict`: a stale revision, or not allowed in the request's state", body = ApiError),
        (status = 422, description = "`validation_failed`: a denial or revocation without a reason", body = ApiError),
        (status = 503, description = "`kafka_unavailable`: the ACLs could not be deleted", body = ApiError),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, action)): Path<(String, String)>,
    Body(decision): Body<AccessDecision>,
) -> Result<Json<AccessRequest>, AppError> {
    let action = match action.as_str() {
        "approve" => AccessAction::Approve,
        "deny" => AccessAction::Deny,
        "cancel" => AccessAction::Cancel,
        "revoke" => AccessAction::Revoke,
        "retry" => AccessAction::Retry,
        _ => return Err(AppError::not_found("no such action: use approve, deny, cancel, revoke or retry")),
    };
    if id.len() > 128 {
        return Err(AppError::not_found("no such access request"));
    }
    Ok(Json(access::decide(&state.mesh, &who, &id, action, decision).await?))
}

/// `GET /api/v1/products/{id}/access/unmanaged`
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/access/unmanaged",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "The ACLs on the product's topic, as the cluster holds them now, that no grant explains (nor Meshport's own principal, the cluster's super users or the owners' producers): access given outside Meshport", body = Vec<UnmanagedBinding>),
        (status = 400, description = "`bad_request`: not a product id", body = ApiError),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 403, description = "`forbidden`: not the product's owners or an org admin", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 503, description = "`kafka_unavailable`: the cluster's ACLs could not be read", body = ApiError),
    )
)]
pub async fn unmanaged(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
) -> Result<Json<Vec<UnmanagedBinding>>, AppError> {
    Ok(Json(access::unmanaged(&state.mesh, &who, &id).await?))
}

/// `GET /api/v1/products/{id}/consumers`
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/consumers",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "The teams with an active grant, and each consumer group of the last sync with the team whose grant covers it (none: no grant explains it)", body = ProductConsumers),
        (status = 400, description = "`bad_request`: not a product id", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn consumers(
    State(state): State<AppState>,
    ProductPath(id): ProductPath,
) -> Result<Json<ProductConsumers>, AppError> {
    Ok(Json(access::consumers(&state.mesh, &id).await?))
}

/// `GET /api/v1/products/{id}/retire`
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/retire",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "What retiring the product would end: the grants it revokes (their ACLs deleted) and the requests it denies; nothing changes", body = RetirementPreview),
        (status = 400, description = "`bad_request`: not a product id", body = ApiError),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 403, description = "`forbidden`: not the product's owners or an org admin", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn retirement(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
) -> Result<Json<RetirementPreview>, AppError> {
    Ok(Json(access::retirement(&state.mesh, &who, &id).await?))
}

/// `POST /api/v1/access/{request}/successor`
#[utoipa::path(
    post,
    path = "/api/v1/access/{request}/successor",
    tag = "access",
    params(("request" = String, Path, description = "The id of an active grant on a product that has a successor")),
    responses(
        (status = 201, description = "A new request for the product's successor (its next major version), with the grant's principals, group, purpose and end date, waiting for the successor's owners", body = AccessRequest),
        (status = 401, description = "`unauthorized`: nobody is signed in", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team holding the grant", body = ApiError),
        (status = 404, description = "`not_found`: no such request", body = ApiError),
        (status = 409, description = "`conflict`: the grant is not active, its product has no successor, or the team has an open request for the successor", body = ApiError),
        (status = 422, description = "`validation_failed`: the successor's policy limits (e.g. the end date)", body = ApiError),
    )
)]
pub async fn successor(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<AccessRequest>), AppError> {
    if id.len() > 128 {
        return Err(AppError::not_found("no such access request"));
    }
    Ok((StatusCode::CREATED, Json(access::request_successor(&state.mesh, &who, &id).await?)))
}
