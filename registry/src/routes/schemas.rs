//! `/schemas`: schemas by their global id, and the schema types this registry stores.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::{Flags, Shared, confluent_json, raw_schema};
use crate::error::RegistryError;
use crate::schema::{Reference, SchemaType};

/// Ids that are not numbers do not name a resource at all: Confluent answers a bare 404 for them.
fn parse_id(raw: &str) -> Result<i32, RegistryError> {
    raw.parse().map_err(|_| RegistryError::NotFound)
}

/// `GET /schemas/types`.
pub(super) async fn types() -> Response {
    confluent_json(StatusCode::OK, &SchemaType::ALL.map(SchemaType::as_str))
}

#[derive(Debug, Serialize)]
struct SchemaBody<'a> {
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
    schema: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [Reference],
}

/// `GET /schemas/ids/{id}`: `{schema}`, plus `schemaType` when it is not Avro.
pub(super) async fn by_id(State(shared): State<Shared>, Path(id): Path<String>) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let registry = shared.read()?;
    let stored = registry.schema(id)?;
    let body = SchemaBody {
        schema_type: stored.schema_type.in_response(),
        schema: &stored.text,
        references: &stored.references,
    };
    Ok(confluent_json(StatusCode::OK, &body))
}

/// `GET /schemas/ids/{id}/schema`: the schema text alone.
pub(super) async fn raw_by_id(State(shared): State<Shared>, Path(id): Path<String>) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let registry = shared.read()?;
    Ok(raw_schema(&registry.schema(id)?.text))
}

#[derive(Debug, Serialize)]
struct Usage<'a> {
    subject: &'a str,
    version: i32,
}

/// `GET /schemas/ids/{id}/versions`: every subject and version that uses the schema.
pub(super) async fn versions(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let registry = shared.read()?;
    let usages: Vec<Usage<'_>> = registry
        .usages(id, flags.deleted())?
        .into_iter()
        .map(|(subject, version)| Usage { subject, version })
        .collect();
    Ok(confluent_json(StatusCode::OK, &usages))
}

/// `GET /schemas/ids/{id}/subjects`: every subject that uses the schema.
pub(super) async fn subjects(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let registry = shared.read()?;
    let mut subjects: Vec<&str> = registry.usages(id, flags.deleted())?.into_iter().map(|(s, _)| s).collect();
    subjects.dedup();
    Ok(confluent_json(StatusCode::OK, &subjects))
}
