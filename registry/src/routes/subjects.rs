//! `/subjects`: registering, listing, reading, looking up and deleting a subject's versions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{ConfluentJson, Flags, Shared, confluent_json, raw_schema};
use crate::error::RegistryError;
use crate::schema::{Candidate, Reference, SchemaType};
use crate::store::{Registry, VersionSpec, VersionView};

/// The body of every request that carries a schema: `{schema, schemaType?, references?}`.
#[derive(Debug, Deserialize)]
pub(super) struct SchemaRequest {
    schema: Option<String>,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    references: Option<Vec<Reference>>,
}

impl SchemaRequest {
    /// The schema this request carries, checked against what `registry` holds.
    pub(super) fn into_candidate(self, registry: &Registry) -> Result<Candidate, RegistryError> {
        let schema_type = SchemaType::parse(self.schema_type.as_deref())?;
        let text = self.schema.filter(|s| !s.is_empty()).ok_or_else(|| {
            // Confluent's documented answer to a request without a schema.
            RegistryError::Unprocessable("schema may not be empty".to_owned())
        })?;
        registry.candidate(schema_type, text, self.references.unwrap_or_default())
    }
}

/// A subject's version as Confluent shows it; `schemaType` is left out for Avro, `references` when there are none.
#[derive(Debug, Serialize)]
pub(super) struct VersionBody<'a> {
    subject: &'a str,
    version: i32,
    id: i32,
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [Reference],
    schema: &'a str,
}

impl<'a> VersionBody<'a> {
    fn new(subject: &'a str, view: VersionView<'a>) -> Self {
        Self {
            subject,
            version: view.version,
            id: view.schema.id,
            schema_type: view.schema.schema_type.in_response(),
            references: &view.schema.references,
            schema: &view.schema.text,
        }
    }
}

/// `GET /subjects`, optionally `?deleted=true` and `?subjectPrefix=...`.
pub(super) async fn list(State(shared): State<Shared>, flags: Flags) -> Result<Response, RegistryError> {
    let mut subjects = shared.read()?.subjects(flags.deleted());
    if let Some(prefix) = flags.get("subjectPrefix") {
        subjects.retain(|s| s.starts_with(prefix));
    }
    Ok(confluent_json(StatusCode::OK, &subjects))
}

/// `GET /subjects/{subject}/versions`.
pub(super) async fn versions(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let versions = shared.read()?.versions(&subject, flags.deleted())?;
    Ok(confluent_json(StatusCode::OK, &versions))
}

/// `GET /subjects/{subject}/versions/{version}`.
pub(super) async fn version(
    State(shared): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    let registry = shared.read()?;
    let view = registry.version(&subject, spec, flags.deleted())?;
    Ok(confluent_json(StatusCode::OK, &VersionBody::new(&subject, view)))
}

/// `GET /subjects/{subject}/versions/{version}/schema`: the schema text alone.
pub(super) async fn raw_version(
    State(shared): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    let registry = shared.read()?;
    let view = registry.version(&subject, spec, flags.deleted())?;
    Ok(raw_schema(&view.schema.text))
}

#[derive(Debug, Serialize)]
struct Registered {
    id: i32,
}

/// `POST /subjects/{subject}/versions`: registers a schema, answering `{"id": N}`.
pub(super) async fn register(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    ConfluentJson(request): ConfluentJson<SchemaRequest>,
) -> Result<Response, RegistryError> {
    let mut registry = shared.write()?;
    let candidate = request.into_candidate(&registry)?;
    let id = registry.register(&subject, candidate)?;
    Ok(confluent_json(StatusCode::OK, &Registered { id }))
}

/// `POST /subjects/{subject}`: which version of the subject, if any, is this schema.
pub(super) async fn lookup(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    flags: Flags,
    ConfluentJson(request): ConfluentJson<SchemaRequest>,
) -> Result<Response, RegistryError> {
    let registry = shared.read()?;
    let candidate = request.into_candidate(&registry)?;
    let view = registry.lookup(&subject, &candidate, flags.deleted())?;
    Ok(confluent_json(StatusCode::OK, &VersionBody::new(&subject, view)))
}

/// `DELETE /subjects/{subject}`, soft unless `?permanent=true`: answers the deleted versions.
pub(super) async fn delete(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let deleted = shared.write()?.delete_subject(&subject, flags.is_set("permanent"))?;
    Ok(confluent_json(StatusCode::OK, &deleted))
}

/// `DELETE /subjects/{subject}/versions/{version}`, soft unless `?permanent=true`: answers the deleted version.
pub(super) async fn delete_version(
    State(shared): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    let deleted = shared.write()?.delete_version(&subject, spec, flags.is_set("permanent"))?;
    Ok(confluent_json(StatusCode::OK, &deleted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avro_versions_leave_out_schema_type_and_empty_references() {
        let registry = Registry::default();
        let candidate = registry.candidate(SchemaType::Avro, r#""string""#.to_owned(), vec![]).unwrap();
        let stored = candidate.into_stored(1);
        let body = VersionBody::new("s", VersionView { version: 1, schema: &stored });
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json, serde_json::json!({"subject": "s", "version": 1, "id": 1, "schema": "\"string\""}));
    }
}
