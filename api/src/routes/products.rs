//! Reading the catalog: the product list, one product, and the governance policy the portal validates with.

use axum::Json;
use axum::extract::{Path, State};
use meshport_shared::api::ProductList;
use meshport_shared::{DataProduct, GovernancePolicy, ProductId};

use super::AppError;
use crate::app::AppState;

pub async fn list(State(state): State<AppState>) -> Result<Json<ProductList>, AppError> {
    let items = state.catalog.list_products().await?;
    Ok(Json(ProductList { items }))
}

pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<DataProduct>, AppError> {
    let id = ProductId::parse(id).map_err(|e| AppError::BadRequest(e.to_string()))?;
    match state.catalog.get_product(&id).await? {
        Some(product) => Ok(Json(product)),
        None => Err(AppError::NotFound(format!("no data product `{id}`"))),
    }
}

pub async fn policy(State(state): State<AppState>) -> Json<GovernancePolicy> {
    Json(state.policy.as_ref().clone())
}
