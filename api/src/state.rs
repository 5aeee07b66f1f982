//! The state every request handler reaches: clients made once (at cold start on Lambda), shared by every request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use meshport_shared::api::HealthStatus;

use crate::auth::{AuthStartError, Authenticator};
use crate::catalog::{CatalogStore, DynamoStore, EmbeddedStore};
use crate::config::{CatalogConfig, Config, PublicEndpoints};
use crate::embed::EmbedSettings;
use crate::kafka::{KafkaAdmin, KafkaError};
use crate::mesh::Mesh;
use crate::registry::{RegistryClient, RegistryError};

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
    /// The health verdict given to callers who see no details.
    pub health: Arc<KeptHealth>,
    /// Whether teams' channel URLs may name loopback or private addresses.
    pub notify_allow_private: bool,
}

/// The last health verdict given to callers who see no details, kept [`KeptHealth::KEEP`] so that however many ask,
/// the dependencies (a metadata request to the cluster, a call to the registry, a read of the catalog's table) are
/// probed at most once in that time.
#[derive(Debug, Default)]
pub struct KeptHealth(tokio::sync::Mutex<Option<(Instant, HealthStatus)>>);

impl KeptHealth {
    pub const KEEP: Duration = Duration::from_secs(5);

    /// The kept verdict while it is fresh; otherwise `probe`'s, which is kept. Callers arriving during a probe wait
    /// for its verdict rather than start their own.
    pub async fn status<F: Future<Output = HealthStatus>>(&self, probe: impl FnOnce() -> F) -> HealthStatus {
        let mut kept = self.0.lock().await;
        if let Some((at, status)) = *kept
            && at.elapsed() < Self::KEEP
        {
            return status;
        }
        let status = probe().await;
        *kept = Some((Instant::now(), status));
        status
    }
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
        let kafka = KafkaAdmin::new(&config.kafka_bootstrap, &config.kafka_config, config.dependency_timeout)?
            .with_super_users(config.kafka_super_users.clone());
        let registry =
            RegistryClient::new(&config.registry_url, config.registry_auth.clone(), config.dependency_timeout)?;
        let auth = Authenticator::new(&config.auth, config.dependency_timeout)?.with_tokens(Arc::clone(&catalog));
        Ok(Self {
            mesh: Mesh { catalog, kafka, registry, policy: Arc::new(config.policy.clone()), discovery: Arc::default() },
            timeout: config.dependency_timeout,
            embed: Arc::new(config.embed.clone()),
            auth,
            public: Arc::new(config.public.clone()),
            health: Arc::default(),
            notify_allow_private: config.notify_allow_private,
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
