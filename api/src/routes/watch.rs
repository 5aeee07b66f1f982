//! Watching a product and a person's notification settings over HTTP: `GET`/`PUT`/`DELETE
//! /api/v1/products/{id}/watch` and `GET`/`PUT /api/v1/me/notifications`. The work is `crate::watch`.

use axum::Json;
use axum::extract::State;
use meshport_shared::events::{PersonalSettings, WatchRequest, WatchState};
use meshport_shared::{ApiError, ProductId};

use super::AppError;
use super::extract::{Body, ProductPath, SignedIn};
use crate::state::AppState;
use crate::watch;

/// `GET /api/v1/products/{id}/watch`
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/watch",
    operation_id = "get_watch",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "Whether the caller watches the product, and what they muted", body = WatchState),
        (status = 400, description = "`bad_request`: a malformed product id", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
) -> Result<Json<WatchState>, AppError> {
    Ok(Json(watch::state(&*state.mesh.catalog, &who, &id).await?))
}

/// `PUT /api/v1/products/{id}/watch`
#[utoipa::path(
    put,
    path = "/api/v1/products/{id}/watch",
    operation_id = "watch_product",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    request_body = WatchRequest,
    responses(
        (status = 200, description = "The caller watches the product (muted or not)", body = WatchState),
        (status = 400, description = "`bad_request`: a malformed body or product id", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 422, description = "`validation_failed`: no email address given now or before (`required_field_missing`), or one that is not an address (`invalid_channel`)", body = ApiError),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    Body(request): Body<WatchRequest>,
) -> Result<Json<WatchState>, AppError> {
    Ok(Json(watch::watch(&*state.mesh.catalog, &who, &id, request).await?))
}

/// `DELETE /api/v1/products/{id}/watch`
#[utoipa::path(
    delete,
    path = "/api/v1/products/{id}/watch",
    operation_id = "unwatch_product",
    tag = "access",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "The caller no longer watches the product", body = WatchState),
        (status = 400, description = "`bad_request`: a malformed product id", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
) -> Result<Json<WatchState>, AppError> {
    Ok(Json(watch::unwatch(&*state.mesh.catalog, &who, &id).await?))
}

/// `GET /api/v1/me/notifications`
#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    operation_id = "get_personal_notifications",
    tag = "access",
    responses(
        (status = 200, description = "Where the caller is told of what they watch, and whether they muted it all", body = PersonalSettings),
    )
)]
pub async fn settings(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<PersonalSettings>, AppError> {
    Ok(Json(watch::settings(&*state.mesh.catalog, &who).await?))
}

/// `PUT /api/v1/me/notifications`
#[utoipa::path(
    put,
    path = "/api/v1/me/notifications",
    operation_id = "set_personal_notifications",
    tag = "access",
    request_body = PersonalSettings,
    responses(
        (status = 200, description = "The caller's settings as now set", body = PersonalSettings),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 422, description = "`validation_failed`: an email that is not an address (`invalid_channel`)", body = ApiError),
    )
)]
pub async fn set_settings(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Body(settings): Body<PersonalSettings>,
) -> Result<Json<PersonalSettings>, AppError> {
    Ok(Json(watch::set_settings(&*state.mesh.catalog, &who, settings).await?))
}
