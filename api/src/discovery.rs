//! Discovery: the in-memory search index over the catalog, kept current by the catalog's generation.
//!
//! DynamoDB cannot search text, so every process (a local server, or each warm Lambda container) holds its own
//! index. Before answering, it reads the catalog's generation (one GetItem); if a product changed anywhere since the
//! index was built, it rebuilds from one paged Query of the products and one of the schema versions. A cold
//! container pays that build once; a warm one pays one small read per search.

use std::collections::HashMap;

use meshport_shared::SchemaVersion;
use meshport_shared::schema::SchemaField;
use meshport_shared::search::{SearchPage, SearchQuery};
use tokio::sync::RwLock;

use crate::catalog::{CatalogStore, StoreError};
use crate::search::{SearchError, SearchIndex};

#[derive(Debug, Default)]
pub struct Discovery {
    loaded: RwLock<Option<Loaded>>,
}

#[derive(Debug)]
struct Loaded {
    generation: u64,
    index: SearchIndex,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

impl Discovery {
    pub async fn search(&self, catalog: &dyn CatalogStore, query: &SearchQuery) -> Result<SearchPage, DiscoveryError> {
        let generation = catalog.generation().await?;
        {
            let loaded = self.loaded.read().await;
            if let Some(loaded) = loaded.as_ref().filter(|l| l.generation == generation) {
                return Ok(loaded.index.search(query)?);
            }
        }
        let mut loaded = self.loaded.write().await;
        // Another request may have rebuilt it while this one waited for the lock.
        if loaded.as_ref().is_none_or(|l| l.generation != generation) {
            let index = build(catalog).await?;
            *loaded = Some(Loaded { generation, index });
        }
        let index = &loaded.as_ref().map(|l| &l.index).ok_or_else(|| StoreError::Unavailable("no index".into()))?;
        Ok(index.search(query)?)
    }
}

async fn build(catalog: &dyn CatalogStore) -> Result<SearchIndex, StoreError> {
    let (products, versions) = tokio::try_join!(catalog.list_products(), catalog.all_schema_versions())?;
    let latest = latest_per_subject(versions);
    let mut index = SearchIndex::new();
    for product in products {
        let names = latest.get(product.output_port.value_subject.as_str()).map(field_names).unwrap_or_default();
        index.upsert(product, names);
    }
    Ok(index)
}

fn latest_per_subject(versions: Vec<SchemaVersion>) -> HashMap<String, SchemaVersion> {
    let mut latest: HashMap<String, SchemaVersion> = HashMap::new();
    for version in versions {
        match latest.get(&version.subject) {
            Some(known) if known.version >= version.version => {}
            _ => {
                latest.insert(version.subject.clone(), version);
            }
        }
    }
    latest
}

/// The searchable names of a schema: every field's name and dotted path. Unreadable schemas add nothing.
fn field_names(version: &SchemaVersion) -> Vec<String> {
    fn walk(fields: &[SchemaField], out: &mut Vec<String>) {
        for field in fields {
            out.push(field.path.clone());
            walk(&field.fields, out);
        }
    }
    let mut names = Vec::new();
    if let Ok(fields) = crate::schema::fields(&version.schema) {
        walk(&fields, &mut names);
    }
    names
}
