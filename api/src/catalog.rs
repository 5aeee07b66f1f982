//! The catalog mirror: where data products live between requests. One trait, two backends: an embedded redb file
//! for local runs and DynamoDB in the cloud. Both pass the same conformance suite (`api/tests/catalog_conformance.rs`).
//!
//! Only this module and its children know table and attribute names.

pub mod dynamo;
pub mod embedded;

use async_trait::async_trait;
use meshport_shared::{DataProduct, DomainName, ProductId};

pub use dynamo::DynamoStore;
pub use embedded::EmbeddedStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached or opened right now; it may come back by itself.
    #[error("the catalog is unavailable: {0}")]
    Unavailable(String),
    /// A write lost an optimistic-concurrency race, or created something that exists.
    #[error("product `{id}` is at revision {actual:?}, not {expected:?}")]
    Conflict { id: ProductId, expected: Option<u64>, actual: Option<u64> },
    /// The backend holds or returned something we cannot read; a bug or a manual edit, not a passing fault.
    #[error("the catalog holds unreadable data: {0}")]
    Corrupt(String),
}

/// The operations the API needs from a catalog, each one request-sized: no full scans on request paths.
#[async_trait]
pub trait CatalogStore: Send + Sync + std::fmt::Debug {
    /// A cheap round trip that proves the backend answers.
    async fn ping(&self) -> Result<()>;

    async fn get_product(&self, id: &ProductId) -> Result<Option<DataProduct>>;

    /// Every product, ordered by id.
    async fn list_products(&self) -> Result<Vec<DataProduct>>;

    /// The products of one domain, ordered by id.
    async fn list_domain_products(&self, domain: &DomainName) -> Result<Vec<DataProduct>>;

    /// Stores `product` only if the stored revision is `expected` (`None`: the product must not exist yet), and
    /// returns it as stored, with its revision advanced by one.
    async fn put_product(&self, product: DataProduct, expected: Option<u64>) -> Result<DataProduct>;

    /// Removes a product; answers whether it existed.
    async fn delete_product(&self, id: &ProductId) -> Result<bool>;
}

/// The revision a product gets when stored over `expected`.
fn next_revision(expected: Option<u64>) -> u64 {
    expected.map_or(1, |revision| revision + 1)
}

fn encode(product: &DataProduct) -> Result<String> {
    serde_json::to_string(product)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode product `{}`: {e}", product.id)))
}

fn decode(key: &str, bytes: &[u8]) -> Result<DataProduct> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("product `{key}` cannot be read: {e}")))
}
