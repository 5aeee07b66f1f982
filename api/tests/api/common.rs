//! Helpers shared by the API's integration tests: sample products, unique names, the test services' addresses.
#![allow(dead_code)]

pub mod faults;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use meshport_api::app::{AppState, Application};
use meshport_api::catalog::CatalogStore;
use meshport_api::config::Config;
use meshport_shared::api::Health;
use reqwest::StatusCode;

use meshport_shared::{AuditAction, AuditEntry, DataProduct};

/// A name no other test in this run uses: tests share one broker and one moto server.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn service(variable: &str, what: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: these tests need {what}; run them with scripts/test, which starts it")
    })
}

pub fn dynamodb_endpoint() -> String {
    service("MESHPORT_TEST_DYNAMODB_ENDPOINT", "a moto_server")
}

/// The broker's plain listener, where anonymous callers are super users: for tests that do not test authorization.
pub fn kafka_bootstrap() -> String {
    service("MESHPORT_TEST_KAFKA_BOOTSTRAP", "a Kafka broker")
}

/// The broker's secured listener (SASL/SCRAM, ACLs on), as production clusters run.
pub fn kafka_sasl_bootstrap() -> String {
    service("MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP", "a Kafka broker with a SASL listener")
}

/// Meshport's principal on the secured listener, in `MESHPORT_KAFKA_CONFIG`'s format.
pub fn kafka_config() -> String {
    service("MESHPORT_TEST_KAFKA_CONFIG", "Meshport's SASL settings for the test broker")
}

/// A valid product of the demo organisation's policy, owned by the domain's demo team.
pub fn product(id: &str, domain: &str) -> DataProduct {
    let team = match domain {
        "membership" => "accounts",
        "analytics" => "edge",
        _ => "trading",
    };
    meshport_shared::testing::product(id).domain(domain, team).build()
}

/// An audit entry for a test's change to `product`.
pub fn audit(product: &DataProduct) -> AuditEntry {
    meshport_api::audit::entry("test", &product.id, AuditAction::Updated, "a test change", None, Some(product))
}

/// A running application and a client for it; one method per endpoint.
pub struct TestApp {
    pub address: SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// A schema registry of the project's own on a random port.
pub async fn spawn_registry() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, meshport_registry::router()).await });
    format!("http://{address}")
}

impl TestApp {
    /// An application with every dependency up and reads open to callers without a token; `vars` override the
    /// configuration.
    pub async fn spawn(vars: &[(&str, String)]) -> Self {
        Self::spawn_with_catalog(vars, |catalog| catalog).await
    }

    /// Like [`TestApp::spawn`], with the catalog wrapped by `wrap` (to inject faults).
    pub async fn spawn_with_catalog(
        vars: &[(&str, String)],
        wrap: impl FnOnce(Arc<dyn CatalogStore>) -> Arc<dyn CatalogStore>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = HashMap::from([
            ("MESHPORT_LISTEN".into(), "127.0.0.1:0".into()),
            ("MESHPORT_DATA_DIR".into(), dir.path().join("data").display().to_string()),
            ("MESHPORT_KAFKA_BOOTSTRAP".into(), kafka_bootstrap()),
            ("MESHPORT_REGISTRY_URL".into(), spawn_registry().await),
            ("MESHPORT_STATIC_DIR".into(), dir.path().join("no-portal").display().to_string()),
            ("MESHPORT_DEPENDENCY_TIMEOUT_MS".into(), "1500".into()),
            // Most tests are about something else and read without a token; the tests of who reads what set it.
            ("MESHPORT_PUBLIC_READS".into(), "true".into()),
        ]);
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        let mut state = AppState::build(&config).unwrap();
        state.mesh.catalog = wrap(state.mesh.catalog);
        let application = Application::bind(&config, state.clone()).await.unwrap();
        let address = application.address();
        tokio::spawn(application.serve(std::future::pending()));
        Self { address, state, http: reqwest::Client::new(), _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn health(&self) -> Health {
        let response = self.get("/api/health").await;
        assert_eq!(response.status(), StatusCode::OK, "health always answers 200");
        response.json().await.unwrap()
    }

    pub async fn products(&self) -> reqwest::Response {
        self.get("/api/v1/products").await
    }

    pub async fn product(&self, id: &str) -> reqwest::Response {
        self.get(&format!("/api/v1/products/{id}")).await
    }

    pub async fn seed(&self, product: DataProduct) -> DataProduct {
        let audit = audit(&product);
        self.state.mesh.catalog.put_product(product, None, audit).await.unwrap()
    }
}
