//! Building the application: clients made once (at cold start on Lambda), shared as state by every request.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tower_http::trace::TraceLayer;

use crate::auth::{AuthStartError, Authenticator};
use crate::catalog::{CatalogStore, DynamoStore, EmbeddedStore};
use crate::config::{CatalogConfig, Config, PublicEndpoints};
use crate::embed::EmbedSettings;
use crate::kafka::{KafkaAdmin, KafkaError};
use crate::mesh::Mesh;
use crate::registry::{RegistryClient, RegistryError};
use crate::routes;

/// What every handler can reach: the mesh the domain acts on, and what only the HTTP side needs. Cheap to clone:
/// everything inside is shared.
#[derive(Debug, Clone)]
pub struct AppState {
    pub mesh: Mesh,
    pub timeout: Duration,
    pub embed: Arc<EmbedSettings>,
    pub auth: Authenticator,
    /// Where consumers reach Kafka and the registry, shown on product pages.
    pub public: Arc<PublicEndpoints>,
}

/// Why the application could not be built; dependencies being down is not one of them.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("Kafka client: {0}")]
    Kafka(#[from] KafkaError),
    #[error("schema registry client: {0}")]
    Registry(#[from] RegistryError),
    #[error("sign-in: {0}")]
    Auth(#[from] AuthStartError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
}

impl AppState {
    /// Builds the clients without contacting anything, so the API starts even when every dependency is down.
    pub fn build(config: &Config) -> Result<Self, StartError> {
        let catalog: Arc<dyn CatalogStore> = match &config.catalog {
            CatalogConfig::Embedded { data_dir } => Arc::new(EmbeddedStore::new(data_dir)),
            CatalogConfig::DynamoDb(settings) => {
                let store = DynamoStore::new(settings);
                if settings.endpoint.is_some() {
                    // A local endpoint (moto, DynamoDB Local) starts empty; in AWS the deployment creates the table.
                    tokio::spawn(ensure_table_until_ready(store.clone()));
                }
                Arc::new(store)
            }
        };
        let kafka = KafkaAdmin::new(&config.kafka_bootstrap, &config.kafka_config, config.dependency_timeout)?;
        let registry =
            RegistryClient::new(&config.registry_url, config.registry_auth.clone(), config.dependency_timeout)?;
        Ok(Self {
            mesh: Mesh { catalog, kafka, registry, policy: Arc::new(config.policy.clone()), discovery: Arc::default() },
            timeout: config.dependency_timeout,
            embed: Arc::new(config.embed.clone()),
            auth: Authenticator::new(&config.auth, config.dependency_timeout)?,
            public: Arc::new(config.public.clone()),
        })
    }
}

async fn ensure_table_until_ready(store: DynamoStore) {
    let mut delay = Duration::from_millis(250);
    loop {
        match store.ensure_table().await {
            Ok(()) => return tracing::info!(table = store.table(), "DynamoDB table ready"),
            Err(e) => tracing::warn!(table = store.table(), error = %e, "DynamoDB table not ready; retrying"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// The whole HTTP surface: the API, and the built portal when a directory is given (local server only; in the
/// cloud the CDN serves the portal).
pub fn router(state: AppState, static_dir: Option<&Path>) -> Router {
    let api = routes::api_router(state.clone());
    let router = match static_dir {
        // Unknown paths are portal routes: hand them their bundle's index.html and let its client-side router decide.
        // A product's page gets the oEmbed discovery link too.
        Some(dir) => {
            let product_page = product_page(state, routes::portal::PortalIndex::Dir(dir.to_owned()));
            let files = Router::new().fallback(routes::portal::files).with_state(dir.to_owned());
            api.merge(product_page).fallback_service(files)
        }
        // In the cloud the CDN serves the portal and sends product pages here, for the oEmbed discovery link.
        None => match state.embed.portal_index_url.clone() {
            Some(url) => {
                let index = routes::portal::PortalIndex::url(url, state.timeout);
                api.merge(product_page(state, index)).fallback(routes::not_found)
            }
            None => api.fallback(routes::not_found),
        },
    };
    router.layer(TraceLayer::new_for_http())
}

/// `GET /products/{id}`: the portal's page with the product's oEmbed discovery link.
fn product_page(state: AppState, index: routes::portal::PortalIndex) -> Router {
    let portal = routes::portal::Portal { state, index };
    Router::new()
        .route(routes::portal::PRODUCT_PAGE.path, axum::routing::get(routes::portal::product_page))
        .with_state(portal)
}

/// The local server: bound, not yet serving, so callers (tests) can learn the port first.
#[derive(Debug)]
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    pub async fn bind(config: &Config, state: AppState) -> Result<Self, StartError> {
        let address = config.listen;
        let listener =
            tokio::net::TcpListener::bind(address).await.map_err(|source| StartError::Listen { address, source })?;
        Ok(Self { listener, router: router(state, config.static_dir.as_deref()) })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown).await
    }
}
