//! The mesh that domain operations act on: the catalog mirror, the Kafka cluster, the schema registry, the
//! organisation's policy and the discovery index. Lifecycle, sync, samples and the demo take a `&Mesh`; none of them
//! sees HTTP. Cheap to clone: everything inside is shared.

use std::sync::Arc;

use meshport_shared::GovernancePolicy;

use crate::catalog::CatalogStore;
use crate::discovery::Discovery;
use crate::kafka::KafkaAdmin;
use crate::registry::RegistryClient;

#[derive(Debug, Clone)]
pub struct Mesh {
    pub catalog: Arc<dyn CatalogStore>,
    pub kafka: KafkaAdmin,
    pub registry: RegistryClient,
    pub policy: Arc<GovernancePolicy>,
    pub discovery: Arc<Discovery>,
}
