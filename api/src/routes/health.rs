//! `GET /api/health`: the API answers, and says for each dependency whether it is up and how fast.

use std::future::Future;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use meshport_shared::api::{Dependency, DependencyHealth, Health, HealthStatus};

use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/health",
    tag = "operations",
    responses((status = 200, description = "Always: the API answers; each dependency says whether it is up", body = Health))
)]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let (catalog, kafka, registry) = tokio::join!(
        probe(Dependency::Catalog, state.timeout, state.mesh.catalog.ping()),
        probe(Dependency::Kafka, state.timeout, state.mesh.kafka.ping()),
        probe(Dependency::Registry, state.timeout, state.mesh.registry.ping()),
    );
    let dependencies = vec![catalog, kafka, registry];
    let status = if dependencies.iter().all(|d| d.up) { HealthStatus::Ok } else { HealthStatus::Degraded };
    Json(Health { status, version: env!("CARGO_PKG_VERSION").to_owned(), dependencies })
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
