//! Products as code over HTTP: a product's ODPS and ODCS files, and an import of them (`crate::code`).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meshport_shared::{ApiError, DataProduct};
use serde::{Deserialize, Serialize};

use super::AppError;
use super::extract::{Body, Params, ProductPath, SignedIn};
use crate::code::{self, Files};
use crate::lifecycle::Run;
use crate::state::AppState;

/// A product's two files: ODPS v1.0.0 (the product) and ODCS v3.1.0 (its topic's contract), as YAML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductFiles {
    /// The product, as an ODPS v1.0.0 YAML document (up to 256 KiB).
    pub odps: String,
    /// Its output port's contract, as an ODCS v3.1.0 YAML document (up to 256 KiB).
    pub odcs: String,
}

/// Which file to answer as YAML rather than both in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Odps,
    Odcs,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `odps` or `odcs`: that file alone, as `application/yaml` to save (`<id>.odps.yaml`, `<id>.odcs.yaml`);
    /// without it, both in JSON.
    part: Option<Part>,
}

/// `GET /api/v1/products/{id}/export?part=`: the product as code.
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/export",
    tag = "catalog",
    params(("id" = meshport_shared::ProductId, Path, description = "The product's id, e.g. `users`"), ExportQuery),
    responses(
        (status = 200, description = "Both files in JSON, or with `part` the one file as YAML (`Content-Disposition: attachment`), a mapping", body = ProductFiles,
         content((ProductFiles = "application/json"), (Object = "application/yaml"))),
        (status = 400, description = "`bad_request`: not a product id, or an unknown `part`", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    ProductPath(id): ProductPath,
    Params(query): Params<ExportQuery>,
) -> Result<Response, AppError> {
    let Files { odps, odcs } = code::export(&state.mesh, &id, &state.public.kafka_bootstrap).await?;
    let (text, suffix) = match query.part {
        None => return Ok(Json(ProductFiles { odps, odcs }).into_response()),
        Some(Part::Odps) => (odps, "odps"),
        Some(Part::Odcs) => (odcs, "odcs"),
    };
    // Product ids are letters, digits, `.`, `_` and `-`, so the file name needs no quoting beyond its quotes.
    let disposition = format!("attachment; filename=\"{id}.{suffix}.yaml\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/yaml; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Run every check, change nothing and record nothing: what would change, and the product as it would be.
    #[serde(default)]
    dry_run: bool,
}

/// What an import did to the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportChange {
    Created,
    Published,
    Updated,
    Unchanged,
}

impl From<code::Change> for ImportChange {
    fn from(change: code::Change) -> Self {
        match change {
            code::Change::Created => Self::Created,
            code::Change::Published => Self::Published,
            code::Change::Updated => Self::Updated,
            code::Change::Unchanged => Self::Unchanged,
        }
    }
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    /// `created` (topic, schema and product), `published` (a topic on the cluster became the product), `updated`
    /// (its metadata changed) or `unchanged` (the files say what the catalog holds: nothing written or audited).
    pub change: ImportChange,
    pub dry_run: bool,
    /// The product as stored, or as it would be.
    pub product: DataProduct,
}

/// `POST /api/v1/products/import?dry_run=`: creates or updates the product its files describe.
#[utoipa::path(
    post,
    path = "/api/v1/products/import",
    tag = "changes",
    params(ImportQuery),
    request_body = ProductFiles,
    responses(
        (status = 200, description = "Imported, or a dry run passed: what changed and the product", body = ImportOutcome),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 409, description = "`conflict`: the product or its topic changed meanwhile, or is held by another", body = ApiError),
        (status = 413, description = "`payload_too_large`", body = ApiError),
        (status = 422, description = "`validation_failed`, every problem in `details`: `invalid_document` for a file Meshport cannot read (not YAML, too large, too deep, an alias bomb, a wrong type, an unknown `apiVersion`), the policy's codes for a product that breaks it, `immutable` for a status or schema the import cannot change", body = ApiError),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Params(query): Params<ImportQuery>,
    Body(files): Body<ProductFiles>,
) -> Result<Json<ImportOutcome>, AppError> {
    let run = if query.dry_run { Run::DryRun } else { Run::Apply };
    let files = Files { odps: files.odps, odcs: files.odcs };
    let (change, product) = code::import(&state.mesh, &who, &files, run).await?;
    Ok(Json(ImportOutcome { change: change.into(), dry_run: query.dry_run, product }))
}
