//! `/compatibility`: would this schema be accepted, without registering it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::subjects::SchemaRequest;
use super::{ConfluentJson, Flags, Shared, confluent_json};
use crate::error::RegistryError;
use crate::store::VersionSpec;

/// `{is_compatible, messages?}`; `messages` only with `?verbose=true`, as Confluent does.
#[derive(Debug, Serialize)]
struct Verdict {
    is_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<String>>,
}

/// `POST /compatibility/subjects/{subject}/versions/{version}`: checks against one version under the subject's
/// level. Against `latest` of a subject without versions, every schema is compatible.
pub(super) async fn against_version(
    State(shared): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    flags: Flags,
    ConfluentJson(request): ConfluentJson<SchemaRequest>,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    verdict(&shared, &subject, Some(spec), &flags, request)
}

/// `POST /compatibility/subjects/{subject}/versions`: checks against what a registration would be checked against.
pub(super) async fn against_subject(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    flags: Flags,
    ConfluentJson(request): ConfluentJson<SchemaRequest>,
) -> Result<Response, RegistryError> {
    verdict(&shared, &subject, None, &flags, request)
}

fn verdict(
    shared: &Shared,
    subject: &str,
    against: Option<VersionSpec>,
    flags: &Flags,
    request: SchemaRequest,
) -> Result<Response, RegistryError> {
    let verbose = flags.is_set("verbose");
    let registry = shared.read()?;
    let messages = match request.into_candidate(&registry) {
        Ok(candidate) => registry.check(subject, &candidate, against)?,
        // Confluent reports an unparsable schema as an incompatibility when asked to explain itself.
        Err(RegistryError::InvalidSchema(message)) if verbose => vec![message],
        Err(error) => return Err(error),
    };
    let body = Verdict { is_compatible: messages.is_empty(), messages: verbose.then_some(messages) };
    Ok(confluent_json(StatusCode::OK, &body))
}
