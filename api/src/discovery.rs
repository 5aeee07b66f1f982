//! Discovery: the in-memory search index over the catalog, and the lineage graph, kept current by the catalog's
//! generation.
//!
//! DynamoDB cannot search text, so every process (a local server, or each warm Lambda container) holds its own
//! index. Before answering, it reads the catalog's generation (one GetItem); if a product changed anywhere since the
//! index was built, it rebuilds from one paged Query of the products and one of the schema versions. A cold
//! container pays that build once; a warm one pays one small read per search.
//!
//! A store whose listings lag behind its writes (DynamoDB's GSIs are eventually consistent) may answer the rebuild's
//! listing without the change that moved the generation. So an index built from such a store counts as current only
//! once it was built [`SETTLE`] after its generation was first seen; until then each read rebuilds it (at most every
//! [`REBUILD_EVERY`]), and a just-published product shows in search as soon as the index has caught up, not only
//! after the next write.
//!
//! Lineage comes from the same build: which products exist (to resolve and check `inputs`) and, reversed, which
//! products list each one as an input (its downstream), so a product page never scans the catalog for them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use meshport_shared::api::{Lineage, ProductRef};
use meshport_shared::schema::SchemaField;
use meshport_shared::search::{SearchPage, SearchQuery};
use meshport_shared::{DataProduct, ProductId, SchemaVersion};
use tokio::sync::RwLock;

use crate::catalog::{CatalogStore, StoreError};
use crate::search::{SearchError, SearchIndex};

#[derive(Debug, Default)]
pub struct Discovery {
    loaded: RwLock<Option<Loaded>>,
}

/// How long after a generation is first seen a lagging store's listings are taken to include its changes.
pub const SETTLE: Duration = Duration::from_secs(1);
/// How often an index not settled yet is rebuilt, at most.
const REBUILD_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug)]
struct Loaded {
    generation: u64,
    /// When this process first saw `generation`, and when it built this index.
    first_seen: Instant,
    built: Instant,
    /// Whether the listings the index was built from may lack the latest changes.
    settled: bool,
    index: SearchIndex,
    /// Every product, as lineage shows it.
    refs: HashMap<ProductId, ProductRef>,
    /// Product id -> the products listing it among their inputs, by id.
    downstream: HashMap<ProductId, Vec<ProductRef>>,
}

/// What is wrong with a product's inputs ([`Discovery::input_problems`]).
#[derive(Debug, Default)]
pub struct InputProblems {
    /// Positions of inputs that name no product.
    pub unknown: Vec<usize>,
    /// Positions of inputs derived from the product itself, each with the chain from the product down to it.
    pub cycles: Vec<(usize, Vec<ProductId>)>,
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
        Ok(self.with_current(catalog, |loaded| loaded.index.search(query)).await??)
    }

    /// `product`'s inputs (those that exist, in its order) and the products derived from it, by id.
    pub async fn lineage(&self, catalog: &dyn CatalogStore, product: &DataProduct) -> Result<Lineage, StoreError> {
        self.with_current(catalog, |loaded| Lineage {
            inputs: product.inputs.iter().filter_map(|id| loaded.refs.get(id).cloned()).collect(),
            downstream: loaded.downstream.get(&product.id).cloned().unwrap_or_default(),
        })
        .await
    }

    /// What is wrong with `product`'s inputs, from one read of the index: which name no product (by position), and
    /// which are derived from `product` itself, however indirectly (by position, with the chain of products from
    /// `product` down to it), so that naming them would close a cycle.
    pub async fn input_problems(
        &self,
        catalog: &dyn CatalogStore,
        product: &DataProduct,
    ) -> Result<InputProblems, StoreError> {
        if product.inputs.is_empty() {
            return Ok(InputProblems::default());
        }
        self.with_current(catalog, |loaded| {
            // Breadth first down the stored graph from `product`, remembering how each product was reached.
            let mut reached_from: HashMap<&ProductId, &ProductId> = HashMap::new();
            let mut queue = std::collections::VecDeque::from([&product.id]);
            while let Some(id) = queue.pop_front() {
                for next in loaded.downstream.get(id).into_iter().flatten() {
                    if next.id != product.id && !reached_from.contains_key(&next.id) {
                        reached_from.insert(&next.id, id);
                        queue.push_back(&next.id);
                    }
                }
            }
            let mut problems = InputProblems::default();
            for (i, input) in product.inputs.iter().enumerate() {
                if !loaded.refs.contains_key(input) {
                    problems.unknown.push(i);
                } else if reached_from.contains_key(input) {
                    let mut chain = vec![input.clone()];
                    let mut at = input;
                    while let Some(&from) = reached_from.get(at) {
                        chain.push(from.clone());
                        at = from;
                    }
                    chain.reverse();
                    problems.cycles.push((i, chain));
                }
            }
            problems
        })
        .await
    }

    /// Runs `read` on the index of the catalog's current generation, rebuilding it first if the catalog moved.
    async fn with_current<T>(
        &self,
        catalog: &dyn CatalogStore,
        read: impl FnOnce(&Loaded) -> T,
    ) -> Result<T, StoreError> {
        let generation = catalog.generation().await?;
        let lagging = catalog.listings_lag();
        {
            let loaded = self.loaded.read().await;
            if let Some(loaded) = loaded.as_ref().filter(|l| l.generation == generation && l.fresh_enough()) {
                return Ok(read(loaded));
            }
        }
        let mut loaded = self.loaded.write().await;
        // Another request may have rebuilt it while this one waited for the lock.
        let first_seen = match loaded.as_ref() {
            Some(current) if current.generation == generation && current.fresh_enough() => return Ok(read(current)),
            Some(current) if current.generation == generation => current.first_seen,
            _ => Instant::now(),
        };
        let mut built = build(catalog, generation).await?;
        built.first_seen = first_seen;
        built.settled = !lagging || built.built.duration_since(first_seen) >= SETTLE;
        Ok(read(loaded.insert(built)))
    }
}

impl Loaded {
    /// Whether this index may answer for its generation: it is settled, or was rebuilt a moment ago.
    fn fresh_enough(&self) -> bool {
        self.settled || self.built.elapsed() < REBUILD_EVERY
    }
}

async fn build(catalog: &dyn CatalogStore, generation: u64) -> Result<Loaded, StoreError> {
    let (products, versions) = tokio::try_join!(catalog.list_products(), catalog.all_schema_versions())?;
    let latest = latest_per_subject(versions);
    let mut index = SearchIndex::new();
    let mut refs = HashMap::with_capacity(products.len());
    let mut downstream: HashMap<ProductId, Vec<ProductRef>> = HashMap::new();
    // Products come ordered by id, so each downstream list is too.
    for product in products {
        let this = ProductRef::of(&product);
        for input in &product.inputs {
            downstream.entry(input.clone()).or_default().push(this.clone());
        }
        refs.insert(product.id.clone(), this);
        let names = latest.get(product.output_port.value_subject.as_str()).map(field_names).unwrap_or_default();
        index.upsert(product, names);
    }
    let now = Instant::now();
    Ok(Loaded { generation, first_seen: now, built: now, settled: true, index, refs, downstream })
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
