//! Schemas for the portal's forms: check a schema text as it is typed (`POST /api/v1/schemas/check`), and preview
//! the latest mirrored version of a subject (`GET /api/v1/subjects/{subject}`).

use axum::Json;
use axum::extract::{Path, State};
use meshport_shared::api::{SchemaCheck, SchemaCheckRequest, SchemaDetail};
use meshport_shared::{ApiError, SchemaFormat, SchemaVersion, SubjectName};

use super::AppError;
use super::extract::Body;
use crate::state::AppState;

/// `POST /api/v1/schemas/check`: 200 with the schema's fields when it reads, 422 `invalid_schema` saying why not.
/// Nothing is registered and the registry is not asked, so it answers even while the registry is down.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/check",
    tag = "schemas",
    request_body = SchemaCheckRequest,
    responses(
        (status = 200, description = "The schema reads; its fields (Avro only)", body = SchemaCheck),
        (status = 400, description = "`bad_request`: the body is not `{format, schema}`", body = ApiError),
        (status = 422, description = "`invalid_schema`: the schema does not read, and why", body = ApiError),
    )
)]
pub async fn check(Body(request): Body<SchemaCheckRequest>) -> Result<Json<SchemaCheck>, AppError> {
    Ok(Json(SchemaCheck { fields: read(request.format, &request.schema).map_err(AppError::invalid_schema)? }))
}

fn read(format: SchemaFormat, schema: &str) -> Result<Vec<meshport_shared::schema::SchemaField>, String> {
    if schema.trim().is_empty() {
        return Err("the schema is empty: paste or upload one".into());
    }
    match format {
        SchemaFormat::Avro => crate::schema::fields(schema).map_err(|e| e.to_string()),
        SchemaFormat::Json => {
            crate::schema::within_bounds(schema, "schema").map_err(|e| e.to_string())?;
            match serde_json::from_str::<serde_json::Value>(schema) {
                Ok(serde_json::Value::Object(_) | serde_json::Value::Bool(_)) => Ok(Vec::new()),
                Ok(_) => Err("a JSON schema is an object (or `true`/`false`), not another JSON value".into()),
                Err(e) => Err(format!("the schema is not valid JSON: {e}")),
            }
        }
        // Reading Protobuf needs a compiler the API does not carry; the registry checks it on registration.
        SchemaFormat::Protobuf => Ok(Vec::new()),
    }
}

/// `GET /api/v1/subjects/{subject}`: the latest version of a subject in the mirror, so the publish form can show a
/// topic's schema before it becomes a product.
#[utoipa::path(
    get,
    path = "/api/v1/subjects/{subject}",
    tag = "schemas",
    params(("subject" = SubjectName, Path, description = "A registry subject, e.g. `clickstream.raw-value`")),
    responses(
        (status = 200, description = "The subject's latest mirrored version", body = SchemaDetail),
        (status = 400, description = "`bad_request`: not a subject name", body = ApiError),
        (status = 404, description = "`not_found`: the mirror holds no version of the subject", body = ApiError),
    )
)]
pub async fn subject(
    State(state): State<AppState>,
    Path(subject): Path<String>,
) -> Result<Json<SchemaDetail>, AppError> {
    let subject = SubjectName::parse(subject).map_err(|e| AppError::invalid(e.to_string()))?;
    let versions = state.mesh.catalog.schema_versions(subject.as_str()).await?;
    let latest = versions
        .last()
        .ok_or_else(|| AppError::not_found(format!("no version of subject `{subject}` is in the mirror")))?;
    Ok(Json(schema_detail(latest)))
}

/// A mirrored schema version with its fields read for people (none when the schema cannot be read as Avro).
pub fn schema_detail(version: &SchemaVersion) -> SchemaDetail {
    SchemaDetail {
        subject: version.subject.clone(),
        version: version.version,
        id: version.id,
        format: version.format,
        schema: version.schema.clone(),
        fields: crate::schema::fields(&version.schema).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(format: SchemaFormat, schema: &str, expected: Result<usize, &str>) {
        match (read(format, schema), expected) {
            (Ok(fields), Ok(count)) => assert_eq!(fields.len(), count, "{schema}"),
            (Err(message), Err(fragment)) => assert!(message.contains(fragment), "`{message}` lacks `{fragment}`"),
            (got, expected) => panic!("{schema}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn schemas_are_read_per_format() {
        let avro = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
        check(SchemaFormat::Avro, avro, Ok(2));
        check(SchemaFormat::Avro, r#"{"type":"recrod","name":"R"}"#, Err("not a valid Avro schema"));
        check(SchemaFormat::Avro, "message R {}", Err("not even JSON"));
        check(SchemaFormat::Avro, "  ", Err("the schema is empty"));
        check(SchemaFormat::Json, r#"{"type":"object"}"#, Ok(0));
        check(SchemaFormat::Json, "[1]", Err("a JSON schema is an object"));
        check(SchemaFormat::Json, "{", Err("not valid JSON"));
        check(SchemaFormat::Protobuf, "syntax = \"proto3\"; message R {}", Ok(0));
    }

    #[test]
    fn a_schema_nested_ten_thousand_levels_deep_is_refused_in_words_in_either_json_format() {
        let deep = format!("{}{}", "{\"a\": ".repeat(10_000), "}".repeat(10_000));

        for format in [SchemaFormat::Avro, SchemaFormat::Json] {
            check(format, &deep, Err("the schema is too large to read: it nests objects and arrays more than 120"));
        }
    }
}
