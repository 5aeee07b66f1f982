//! `GET /api/health`: the API answers, and says whether its dependencies are up. Anyone may ask, so anyone gets the
//! verdict only (`ok` or `degraded`), kept a few seconds so that however many ask, the dependencies are probed at
//! most once per [`KeptHealth::KEEP`](crate::state::KeptHealth::KEEP); org admins get each dependency with its latency and why it is down, probed
//! afresh (an error may name hosts, which is no one else's business).

use std::future::Future;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use meshport_shared::api::{Dependency, DependencyHealth, Health, HealthStatus};

use super::extract::Caller;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/health",
    tag = "operations",
    responses((status = 200, description = "Always: the API answers, with `status` `ok` when every dependency is up \
        and `degraded` otherwise (kept a few seconds). Only for an org admin's token does it list each dependency \
        with its latency and error, checked afresh; `dependencies` is empty for everyone else", body = Health))
)]
pub async fn health(State(state): State<AppState>, Caller(caller): Caller) -> Json<Health> {
    if caller.is_some_and(|identity| identity.admin) {
        return Json(check(&state).await);
    }
    let status = state.health.status(|| async { check(&state).await.status }).await;
    Json(Health { status, version: version(), dependencies: Vec::new() })
}

fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every dependency probed now, at once.
async fn check(state: &AppState) -> Health {
    let (catalog, kafka, registry) = tokio::join!(
        probe(Dependency::Catalog, state.timeout, state.mesh.catalog.ping()),
        probe(Dependency::Kafka, state.timeout, state.mesh.kafka.ping()),
        probe(Dependency::Registry, state.timeout, state.mesh.registry.ping()),
    );
    let dependencies = vec![catalog, kafka, registry];
    let status = if dependencies.iter().all(|d| d.up) { HealthStatus::Ok } else { HealthStatus::Degraded };
    Health { status, version: version(), dependencies }
}

async fn probe<E: std::fmt::Display>(
    name: Dependency,
    timeout: std::time::Duration,
    check: impl Future<Output = Result<(), E>>,
) -> DependencyHealth {
    let started = Instant::now();
    // Each client bounds its own calls by `timeout` and then says why it failed (rejected credentials, say); this
    // backstop only catches one that does not.
    let outcome = tokio::time::timeout(timeout + std::time::Duration::from_secs(1), check).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {} ms", timeout.as_millis())),
    };
    DependencyHealth { name, up: error.is_none(), latency_ms, error }
}
