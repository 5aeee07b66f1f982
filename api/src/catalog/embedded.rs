//! The embedded catalog: one redb file under the data directory, the default for local runs.
//!
//! The file is opened lazily and reopened after a failure, so an unwritable or missing data directory makes the
//! catalog "down" (reported by health, 503 on requests) rather than stopping the server, and it recovers by itself
//! once the directory is usable.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use meshport_shared::{DataProduct, DomainName, ProductId};
use redb::{Database, ReadableTable, TableDefinition};

use super::{CatalogStore, Result, StoreError, decode, encode, next_revision};

/// Product id -> the product as JSON.
const PRODUCTS: TableDefinition<&str, &[u8]> = TableDefinition::new("products");

pub struct EmbeddedStore {
    path: PathBuf,
    db: Mutex<Option<Arc<Database>>>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// A store whose file is `catalog.redb` in `data_dir`; nothing is touched until first use.
    pub fn new(data_dir: &Path) -> Self {
        Self { path: data_dir.join("catalog.redb"), db: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn database(&self) -> Result<Arc<Database>> {
        let mut slot = self.db.lock().map_err(|_| StoreError::Unavailable("the catalog lock is poisoned".into()))?;
        if let Some(db) = slot.as_ref() {
            return Ok(Arc::clone(db));
        }
        let db = Arc::new(open(&self.path)?);
        *slot = Some(Arc::clone(&db));
        Ok(db)
    }

    /// Runs blocking redb work off the async runtime; a failed file drops the handle so the next call reopens it.
    async fn with_db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = self.database()?;
        let result = tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(|e| StoreError::Unavailable(format!("catalog task failed: {e}")))?;
        if let Err(StoreError::Unavailable(_)) = &result
            && let Ok(mut slot) = self.db.lock()
        {
            *slot = None;
        }
        result
    }
}

fn open(path: &Path) -> Result<Database> {
    let unavailable =
        |e: &dyn std::fmt::Display| StoreError::Unavailable(format!("cannot open {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| unavailable(&e))?;
    }
    let db = Database::create(path).map_err(|e| unavailable(&e))?;
    // Create the table up front so readers never meet a missing one.
    let tx = db.begin_write().map_err(|e| unavailable(&e))?;
    tx.open_table(PRODUCTS).map_err(|e| unavailable(&e))?;
    tx.commit().map_err(|e| unavailable(&e))?;
    Ok(db)
}

fn storage(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Unavailable(e.into().to_string())
}

fn read_all(db: &Database, keep: impl Fn(&DataProduct) -> bool) -> Result<Vec<DataProduct>> {
    let tx = db.begin_read().map_err(storage)?;
    let table = tx.open_table(PRODUCTS).map_err(storage)?;
    let mut products = Vec::new();
    for entry in table.iter().map_err(storage)? {
        let (key, value) = entry.map_err(storage)?;
        let product = decode(key.value(), value.value())?;
        if keep(&product) {
            products.push(product);
        }
    }
    Ok(products)
}

#[async_trait]
impl CatalogStore for EmbeddedStore {
    async fn ping(&self) -> Result<()> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(storage)?;
            tx.open_table(PRODUCTS).map_err(storage)?;
            Ok(())
        })
        .await
    }

    async fn get_product(&self, id: &ProductId) -> Result<Option<DataProduct>> {
        let id = id.clone();
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(PRODUCTS).map_err(storage)?;
            let value = table.get(id.as_str()).map_err(storage)?;
            value.map(|v| decode(id.as_str(), v.value())).transpose()
        })
        .await
    }

    async fn list_products(&self) -> Result<Vec<DataProduct>> {
        self.with_db(|db| read_all(db, |_| true)).await
    }

    async fn list_domain_products(&self, domain: &DomainName) -> Result<Vec<DataProduct>> {
        let domain = domain.clone();
        self.with_db(move |db| read_all(db, |p| p.domain == domain)).await
    }

    async fn put_product(&self, mut product: DataProduct, expected: Option<u64>) -> Result<DataProduct> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            {
                let mut table = tx.open_table(PRODUCTS).map_err(storage)?;
                let key = product.id.as_str();
                let actual = match table.get(key).map_err(storage)? {
                    Some(stored) => Some(decode(key, stored.value())?.revision),
                    None => None,
                };
                if actual != expected {
                    return Err(StoreError::Conflict { id: product.id.clone(), expected, actual });
                }
                product.revision = next_revision(expected);
                table.insert(key, encode(&product)?.as_bytes()).map_err(storage)?;
            }
            tx.commit().map_err(storage)?;
            Ok(product)
        })
        .await
    }

    async fn delete_product(&self, id: &ProductId) -> Result<bool> {
        let id = id.clone();
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let existed = tx.open_table(PRODUCTS).map_err(storage)?.remove(id.as_str()).map_err(storage)?.is_some();
            tx.commit().map_err(storage)?;
            Ok(existed)
        })
        .await
    }
}
