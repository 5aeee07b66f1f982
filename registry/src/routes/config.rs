//! `/config`: the global and per-subject compatibility levels.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{ConfluentJson, Flags, Shared, confluent_json};
use crate::compatibility::Level;
use crate::error::RegistryError;

/// What `GET` and `DELETE` answer.
#[derive(Debug, Serialize)]
struct Config {
    #[serde(rename = "compatibilityLevel")]
    compatibility_level: &'static str,
}

impl Config {
    fn of(level: Level) -> Self {
        Self { compatibility_level: level.as_str() }
    }
}

/// What `PUT` takes, and echoes back on success.
#[derive(Debug, Deserialize)]
pub(super) struct ConfigUpdate {
    #[serde(alias = "compatibilityLevel")]
    compatibility: Option<String>,
}

#[derive(Debug, Serialize)]
struct Updated {
    compatibility: &'static str,
}

impl ConfigUpdate {
    fn level(&self) -> Result<Level, RegistryError> {
        self.compatibility.as_deref().and_then(Level::parse).ok_or(RegistryError::InvalidCompatibilityLevel)
    }
}

/// `GET /config`.
pub(super) async fn global(State(shared): State<Shared>) -> Result<Response, RegistryError> {
    let level = shared.read()?.global_level();
    Ok(confluent_json(StatusCode::OK, &Config::of(level)))
}

/// `PUT /config`.
pub(super) async fn set_global(
    State(shared): State<Shared>,
    ConfluentJson(update): ConfluentJson<ConfigUpdate>,
) -> Result<Response, RegistryError> {
    let level = update.level()?;
    shared.write()?.set_global_level(level);
    tracing::info!(level = level.as_str(), "set the global compatibility level");
    Ok(confluent_json(StatusCode::OK, &Updated { compatibility: level.as_str() }))
}

/// `GET /config/{subject}`: the subject's own level, 40408 without one unless `?defaultToGlobal=true`.
pub(super) async fn subject(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    flags: Flags,
) -> Result<Response, RegistryError> {
    let level = shared.read()?.subject_level(&subject, flags.is_set("defaultToGlobal"))?;
    Ok(confluent_json(StatusCode::OK, &Config::of(level)))
}

/// `PUT /config/{subject}`; the subject need not have versions yet.
pub(super) async fn set_subject(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    ConfluentJson(update): ConfluentJson<ConfigUpdate>,
) -> Result<Response, RegistryError> {
    let level = update.level()?;
    shared.write()?.set_subject_level(&subject, level);
    tracing::info!(subject, level = level.as_str(), "set a subject's compatibility level");
    Ok(confluent_json(StatusCode::OK, &Updated { compatibility: level.as_str() }))
}

/// `DELETE /config/{subject}`: back to the global level; answers the level removed.
pub(super) async fn delete_subject(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
) -> Result<Response, RegistryError> {
    let level = shared.write()?.delete_subject_level(&subject)?;
    Ok(confluent_json(StatusCode::OK, &Config::of(level)))
}
