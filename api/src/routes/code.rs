//! Products as code over HTTP: a product's ODPS and ODCS files, and an import of them (`crate::code`).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meshport_shared::proposals::ChangeProposal;
use meshport_shared::{ApiError, DataProduct, ProductId};
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
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), ExportQuery),
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

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    /// `created` (topic, schema and product), `published` (a topic on the cluster became the product), `updated`
    /// (its metadata changed), `evolved` (the files' compatible schema registered, then their metadata),
    /// `proposed` (a breaking schema under a raised major version, waiting in `proposal` for the subscribers'
    /// sign-off), `new_major_version` (the same without subscribers: `new_product` made, the product deprecated for
    /// it; its own files are the ones to keep now) or `unchanged` (the files say what the catalog holds, or what the
    /// change proposal in `proposal` waits to make: nothing written or audited).
    pub change: code::Change,
    pub dry_run: bool,
    /// The product as stored, or as it would be.
    pub product: DataProduct,
    /// The schema version registered (`evolved`, not on a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_version: Option<i32>,
    /// The change proposal made (`proposed`), or the one still waiting for sign-off (`unchanged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<ChangeProposal>,
    /// The next major version made (`new_major_version`, not on a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_product: Option<ProductId>,
}

/// `POST /api/v1/products/import?dry_run=`: creates, updates or evolves the product its files describe.
#[utoipa::path(
    post,
    path = "/api/v1/products/import",
    tag = "changes",
    params(ImportQuery),
    request_body = ProductFiles,
    responses(
        (status = 200, description = "Imported, or a dry run passed: what changed and the product", body = ImportOutcome),
        (status = 202, description = "A breaking schema under a raised major version of a product with subscribers: stored as a change proposal (in `proposal`, `change` `proposed`) waiting for their sign-off", body = ImportOutcome),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 409, description = "`conflict` (the product or its topic changed meanwhile, or is held by another; a product that does not evolve; another change proposal waiting for sign-off) or `incompatible_schema` (a breaking schema change without a raised major version: each break in `details`, `breaking_change`)", body = ApiError),
        (status = 413, description = "`payload_too_large`", body = ApiError),
        (status = 422, description = "`validation_failed`, every problem in `details`: `invalid_document` for a file Meshport cannot read (not YAML, too large, too deep, an alias bomb, a wrong type, an unknown `apiVersion`), the policy's codes for a product that breaks it, `immutable` for a status the import cannot change, `invalid_version` for a changed schema whose version is not raised, `superseded` for files of a product replaced by the next major version they asked for (export the new product's files), `required_field_missing` for a schema that is not valid Avro", body = ApiError),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Params(query): Params<ImportQuery>,
    Body(files): Body<ProductFiles>,
) -> Result<(StatusCode, Json<ImportOutcome>), AppError> {
    let run = if query.dry_run { Run::DryRun } else { Run::Apply };
    let files = Files { odps: files.odps, odcs: files.odcs };
    let outcome = code::import(&state.mesh, &who, &files, run).await?;
    let status = match outcome.change {
        code::Change::Proposed if !query.dry_run => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    Ok((
        status,
        Json(ImportOutcome {
            change: outcome.change,
            dry_run: query.dry_run,
            product: outcome.product,
            registered_version: outcome.registered_version,
            proposal: outcome.proposal,
            new_product: outcome.new_product,
        }),
    ))
}
