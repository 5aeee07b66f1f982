//! The embedded catalog: one redb file under the data directory, the default for local runs.
//!
//! The file is opened lazily and reopened after a failure, so an unwritable or missing data directory makes the
//! catalog "down" (reported by health, 503 on requests) rather than stopping the server, and it recovers by itself
//! once the directory is usable.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::Timestamp;
use meshport_shared::access::{AccessRequest, AccessState};
use meshport_shared::accounts::ServiceAccount;
use meshport_shared::events::{ChannelSettings, Event, Notice, PersonalSettings, Watch};
use meshport_shared::proposals::{ChangeProposal, ProposalState};
use meshport_shared::{
    AuditEntry, DataProduct, DomainName, Principal, ProductId, SchemaVersion, TeamName, TopicFacts, TopicName,
};
use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};

use super::{
    Attempt, CatalogStore, Claim, Delivery, DeliveryKey, DeliveryState, Result, StoreError, StoredToken,
    TeamChannelSettings, decode, encode, legacy_account, next_revision, version_key,
};

/// Product id -> the product as JSON.
const PRODUCTS: TableDefinition<&str, &[u8]> = TableDefinition::new("products");
/// Audit entry id (time-ordered) -> the entry as JSON.
const AUDIT: TableDefinition<&str, &[u8]> = TableDefinition::new("audit");
/// `<product id>\0<audit entry id>` -> nothing: a product's history, in order.
const PRODUCT_AUDIT: TableDefinition<&str, ()> = TableDefinition::new("product_audit");
/// Topic name -> the mirrored topic as JSON.
const TOPICS: TableDefinition<&str, &[u8]> = TableDefinition::new("topics");
/// `<subject>\0<version, zero-padded>` -> the mirrored schema version as JSON.
const SCHEMAS: TableDefinition<&str, &[u8]> = TableDefinition::new("schemas");
/// `generation` -> how many product changes were committed; `claims_backfilled` -> 1 once the backfill ran;
/// `event_seq` -> the sequence number of the last event written; `notified` -> the last one the notifier handed out.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Team name -> its notification channels and their revision as JSON, secrets included (written before revisions:
/// the bare channels, read as revision 1).
const CHANNELS: TableDefinition<&str, &[u8]> = TableDefinition::new("channels");
/// An event's sequence number -> the event as JSON: the outbox, in commit order.
const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
/// `<seq, 20 digits>\0<destination>` -> the delivery as JSON: the outbox.
const DELIVERIES: TableDefinition<&str, &[u8]> = TableDefinition::new("deliveries");
/// `<due, epoch ms, 20 digits>\0<delivery key>` -> nothing: the pending deliveries, the earliest due first.
const PENDING: TableDefinition<&str, ()> = TableDefinition::new("pending_deliveries");
/// A delivery key -> nothing: the dead-lettered deliveries, oldest event first.
const DEAD_LETTERS: TableDefinition<&str, ()> = TableDefinition::new("dead_letters");
/// A claim's key ([`Claim::key`]) -> the id of the product holding it.
const CLAIMS: TableDefinition<&str, &str> = TableDefinition::new("claims");
/// Access request id (time-ordered) -> the request as JSON.
const ACCESS: TableDefinition<&str, &[u8]> = TableDefinition::new("access");
/// `<index>\0<value>\0<request id>` -> nothing: requests by product, by owning team (inbox), by requesting team,
/// and by state.
const ACCESS_INDEX: TableDefinition<&str, ()> = TableDefinition::new("access_index");
/// A reminder's key -> the id of the audit entry that recorded it: each reminder once.
const REMINDERS: TableDefinition<&str, &str> = TableDefinition::new("reminders");
/// `<product id>\0<person>` -> the person's watch of the product as JSON.
const WATCHES: TableDefinition<&str, &[u8]> = TableDefinition::new("watches");
/// A person (their identity's subject) -> their notification settings as JSON.
const PEOPLE: TableDefinition<&str, &[u8]> = TableDefinition::new("people");
/// Kafka principal -> its service account as JSON (or, written before service accounts, the bare name of the team
/// that named it first in an access request: read as a consumer account at revision 0).
const PRINCIPALS: TableDefinition<&str, &str> = TableDefinition::new("principals");

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

impl EmbeddedStore {
    /// Replaces delivery `key` by what `change` makes of it (or fails with), with `audit` if any, in one transaction.
    async fn change_delivery(
        &self,
        key: &DeliveryKey,
        audit: Option<AuditEntry>,
        change: impl FnOnce(Delivery) -> Result<Delivery> + Send + 'static,
    ) -> Result<()> {
        let key = key.clone();
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let stored = stored_delivery(&tx, &key)?;
            put_delivery(&tx, &change(stored.clone())?, Some(&stored))?;
            if let Some(audit) = &audit {
                append_audit(&tx, audit)?;
            }
            tx.commit().map_err(storage)
        })
        .await
    }
}

fn open(path: &Path) -> Result<Database> {
    let unavailable =
        |e: &dyn std::fmt::Display| StoreError::Unavailable(format!("cannot open {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| unavailable(&e))?;
    }
    let db = Database::create(path).map_err(|e| unavailable(&e))?;
    // Create the tables up front so readers never meet a missing one.
    let tx = db.begin_write().map_err(|e| unavailable(&e))?;
    for table in [PRODUCTS, AUDIT, TOPICS, SCHEMAS] {
        tx.open_table(table).map_err(|e| unavailable(&e))?;
    }
    tx.open_table(PRODUCT_AUDIT).map_err(|e| unavailable(&e))?;
    tx.open_table(META).map_err(|e| unavailable(&e))?;
    tx.open_table(CLAIMS).map_err(|e| unavailable(&e))?;
    tx.open_table(ACCESS).map_err(|e| unavailable(&e))?;
    tx.open_table(ACCESS_INDEX).map_err(|e| unavailable(&e))?;
    tx.open_table(PRINCIPALS).map_err(|e| unavailable(&e))?;
    tx.open_table(EVENTS).map_err(|e| unavailable(&e))?;
    tx.open_table(CHANNELS).map_err(|e| unavailable(&e))?;
    tx.open_table(DELIVERIES).map_err(|e| unavailable(&e))?;
    tx.open_table(PENDING).map_err(|e| unavailable(&e))?;
    tx.open_table(DEAD_LETTERS).map_err(|e| unavailable(&e))?;
    tx.open_table(WATCHES).map_err(|e| unavailable(&e))?;
    tx.open_table(PEOPLE).map_err(|e| unavailable(&e))?;
    tx.commit().map_err(|e| unavailable(&e))?;
    Ok(db)
}

fn storage(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Unavailable(e.into().to_string())
}

/// Every value of `table` whose key is in `range`, decoded, in key order, kept by `keep`.
fn read_range<T: serde::de::DeserializeOwned>(
    db: &Database,
    table: TableDefinition<&str, &[u8]>,
    range: impl std::ops::RangeBounds<&'static str>,
    keep: impl Fn(&T) -> bool,
) -> Result<Vec<T>> {
    let tx = db.begin_read().map_err(storage)?;
    let table = tx.open_table(table).map_err(storage)?;
    let mut values = Vec::new();
    for entry in table.range::<&str>(range).map_err(storage)? {
        let (key, value) = entry.map_err(storage)?;
        let value = decode(key.value(), value.value())?;
        if keep(&value) {
            values.push(value);
        }
    }
    Ok(values)
}

fn read_one<T: serde::de::DeserializeOwned>(
    db: &Database,
    table: TableDefinition<&str, &[u8]>,
    key: &str,
) -> Result<Option<T>> {
    let tx = db.begin_read().map_err(storage)?;
    let table = tx.open_table(table).map_err(storage)?;
    let value = table.get(key).map_err(storage)?;
    value.map(|v| decode(key, v.value())).transpose()
}

fn bump_generation(tx: &WriteTransaction) -> Result<()> {
    let mut meta = tx.open_table(META).map_err(storage)?;
    let generation = meta.get("generation").map_err(storage)?.map_or(0, |g| g.value());
    meta.insert("generation", generation + 1).map_err(storage)?;
    Ok(())
}

/// Records a product change: its audit entry, and one more generation.
fn append_audit(tx: &WriteTransaction, entry: &AuditEntry) -> Result<()> {
    bump_generation(tx)?;
    tx.open_table(AUDIT)
        .map_err(storage)?
        .insert(entry.id.as_str(), encode(&entry.id, entry)?.as_bytes())
        .map_err(storage)?;
    let key = format!("{}\u{0}{}", entry.product, entry.id);
    tx.open_table(PRODUCT_AUDIT).map_err(storage)?.insert(key.as_str(), ()).map_err(storage)?;
    Ok(())
}

/// Writes the event of a change, if it tells anyone, numbered one after the last: write transactions run one at a
/// time, so the numbers follow commit order without gaps, and a transaction dropped takes its number with it.
fn append_event(tx: &WriteTransaction, notice: Option<Notice>) -> Result<()> {
    let Some(notice) = notice else { return Ok(()) };
    let mut meta = tx.open_table(META).map_err(storage)?;
    let seq = meta.get("event_seq").map_err(storage)?.map_or(0, |s| s.value()) + 1;
    meta.insert("event_seq", seq).map_err(storage)?;
    let event = notice.into_event(seq);
    tx.open_table(EVENTS).map_err(storage)?.insert(seq, encode(&event.id, &event)?.as_bytes()).map_err(storage)?;
    Ok(())
}

/// Makes `holder` hold exactly `claims` (releasing what `previous` held and `claims` does not), or fails with the
/// first claim another product holds; nothing is written then, as the transaction is dropped.
fn hold_claims(tx: &WriteTransaction, holder: &ProductId, claims: &[Claim], previous: &[Claim]) -> Result<()> {
    let mut table = tx.open_table(CLAIMS).map_err(storage)?;
    for claim in claims {
        let key = claim.key();
        if let Some(other) = table.get(key.as_str()).map_err(storage)?
            && other.value() != holder.as_str()
        {
            let other =
                ProductId::parse(other.value()).map_err(|e| StoreError::Corrupt(format!("claim `{key}`: {e}")))?;
            return Err(StoreError::Claimed { claim: claim.clone(), holder: other });
        }
        table.insert(key.as_str(), holder.as_str()).map_err(storage)?;
    }
    for claim in previous.iter().filter(|c| !claims.contains(c)) {
        let key = claim.key();
        let held = table.get(key.as_str()).map_err(storage)?.is_some_and(|h| h.value() == holder.as_str());
        if held {
            table.remove(key.as_str()).map_err(storage)?;
        }
    }
    Ok(())
}

/// A mark kept in `META` (`notified`, `published`): how far through the events something got.
fn read_mark(db: &Database, name: &str) -> Result<u64> {
    let tx = db.begin_read().map_err(storage)?;
    let meta = tx.open_table(META).map_err(storage)?;
    Ok(meta.get(name).map_err(storage)?.map_or(0, |n| n.value()))
}

/// Moves mark `name` from `from` to `to`, or fails as busy when it is elsewhere.
fn advance_mark(db: &Database, name: &str, from: u64, to: u64) -> Result<()> {
    let tx = db.begin_write().map_err(storage)?;
    {
        let mut meta = tx.open_table(META).map_err(storage)?;
        let at = meta.get(name).map_err(storage)?.map_or(0, |n| n.value());
        if at != from {
            return Err(StoreError::Busy(format!("the mark `{name}` is at {at}, not {from}")));
        }
        meta.insert(name, to).map_err(storage)?;
    }
    tx.commit().map_err(storage)
}

fn watch_key(product: &ProductId, person: &str) -> String {
    format!("{product}\u{0}{person}")
}

/// The index keys of a request: by product, by owning team, by requesting team, and by state.
fn access_keys(request: &AccessRequest) -> Vec<String> {
    let id = &request.id;
    let mut keys = vec![
        format!("product\u{0}{}\u{0}{id}", request.product),
        format!("inbox\u{0}{}\u{0}{id}", request.owner_team),
        format!("team\u{0}{}\u{0}{id}", request.team),
    ];
    keys.push(format!("state\u{0}{}\u{0}{id}", request.state.as_str()));
    keys
}

/// The requests under one index value, oldest first.
fn access_by(db: &Database, index: &str, value: &str) -> Result<Vec<AccessRequest>> {
    let tx = db.begin_read().map_err(storage)?;
    let keys = tx.open_table(ACCESS_INDEX).map_err(storage)?;
    let requests = tx.open_table(ACCESS).map_err(storage)?;
    let (start, end) = (format!("{index}\u{0}{value}\u{0}"), format!("{index}\u{0}{value}\u{1}"));
    let mut found = Vec::new();
    for key in keys.range(start.as_str()..end.as_str()).map_err(storage)? {
        let (key, _) = key.map_err(storage)?;
        let id = key.value().rsplit('\u{0}').next().unwrap_or_default().to_owned();
        if let Some(request) = requests.get(id.as_str()).map_err(storage)? {
            found.push(decode(&id, request.value())?);
        }
    }
    Ok(found)
}

/// A stored service account: its JSON, or the bare team name an access request claimed the principal for before
/// service accounts existed.
fn account_of(principal: &Principal, value: &str) -> Result<ServiceAccount> {
    if value.starts_with('{') {
        return decode(principal.as_str(), value.as_bytes());
    }
    let team = TeamName::parse(value).map_err(|e| StoreError::Corrupt(format!("principal `{principal}`: {e}")))?;
    Ok(legacy_account(principal, team))
}

fn write_all<T: serde::Serialize>(
    db: &Database,
    table: TableDefinition<&str, &[u8]>,
    items: Vec<(String, T)>,
) -> Result<()> {
    let tx = db.begin_write().map_err(storage)?;
    {
        let mut table = tx.open_table(table).map_err(storage)?;
        for (key, item) in &items {
            table.insert(key.as_str(), encode(key, item)?.as_bytes()).map_err(storage)?;
        }
    }
    tx.commit().map_err(storage)
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
        self.with_db(move |db| read_one(db, PRODUCTS, id.as_str())).await
    }

    async fn list_products(&self) -> Result<Vec<DataProduct>> {
        self.with_db(|db| read_range(db, PRODUCTS, .., |_: &DataProduct| true)).await
    }

    async fn list_domain_products(&self, domain: &DomainName) -> Result<Vec<DataProduct>> {
        let domain = domain.clone();
        self.with_db(move |db| read_range(db, PRODUCTS, .., |p: &DataProduct| p.domain == domain)).await
    }

    async fn put_product(
        &self,
        mut product: DataProduct,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<DataProduct> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            {
                let mut table = tx.open_table(PRODUCTS).map_err(storage)?;
                let key = product.id.as_str();
                let stored = match table.get(key).map_err(storage)? {
                    Some(stored) => Some(decode::<DataProduct>(key, stored.value())?),
                    None => None,
                };
                let actual = stored.as_ref().map(|p| p.revision);
                if actual != expected {
                    return Err(StoreError::Conflict { id: product.id.clone(), expected, actual });
                }
                let previous = stored.as_ref().map(Claim::of).unwrap_or_default();
                hold_claims(&tx, &product.id, &Claim::of(&product), &previous)?;
                product.revision = next_revision(expected);
                table.insert(key, encode(key, &product)?.as_bytes()).map_err(storage)?;
            }
            append_audit(&tx, &audit)?;
            append_event(&tx, Notice::of(&audit, Some(&product), None))?;
            tx.commit().map_err(storage)?;
            Ok(product)
        })
        .await
    }

    async fn delete_product(&self, id: &ProductId, expected: u64, audit: AuditEntry) -> Result<bool> {
        let id = id.clone();
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let removed = match tx.open_table(PRODUCTS).map_err(storage)?.remove(id.as_str()).map_err(storage)? {
                Some(stored) => Some(decode::<DataProduct>(id.as_str(), stored.value())?),
                None => None,
            };
            if let Some(product) = &removed
                && product.revision != expected
            {
                // Dropping the transaction keeps the product.
                return Err(StoreError::Conflict { id, expected: Some(expected), actual: Some(product.revision) });
            }
            let existed = removed.is_some();
            if let Some(product) = removed {
                hold_claims(&tx, &id, &[], &Claim::of(&product))?;
                append_audit(&tx, &audit)?;
                append_event(&tx, Notice::of(&audit, Some(&product), None))?;
            }
            tx.commit().map_err(storage)?;
            Ok(existed)
        })
        .await
    }

    async fn record(&self, entry: AuditEntry) -> Result<()> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            append_audit(&tx, &entry)?;
            append_event(&tx, Notice::of(&entry, None, None))?;
            tx.commit().map_err(storage)
        })
        .await
    }

    async fn put_access(
        &self,
        mut request: AccessRequest,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<AccessRequest> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            {
                let mut table = tx.open_table(ACCESS).map_err(storage)?;
                let id = request.id.clone();
                let stored: Option<AccessRequest> = match table.get(id.as_str()).map_err(storage)? {
                    Some(stored) => Some(decode(&id, stored.value())?),
                    None => None,
                };
                let actual = stored.as_ref().map(|r| r.revision);
                if actual != expected {
                    return Err(StoreError::AccessConflict { id, expected, actual });
                }
                request.revision = next_revision(expected);
                table.insert(id.as_str(), encode(&id, &request)?.as_bytes()).map_err(storage)?;
                let mut index = tx.open_table(ACCESS_INDEX).map_err(storage)?;
                for key in stored.as_ref().map(access_keys).unwrap_or_default() {
                    index.remove(key.as_str()).map_err(storage)?;
                }
                for key in access_keys(&request) {
                    index.insert(key.as_str(), ()).map_err(storage)?;
                }
            }
            append_audit(&tx, &audit)?;
            let product: Option<DataProduct> =
                match tx.open_table(PRODUCTS).map_err(storage)?.get(request.product.as_str()).map_err(storage)? {
                    Some(stored) => Some(decode(request.product.as_str(), stored.value())?),
                    None => None,
                };
            append_event(&tx, Notice::of(&audit, product.as_ref(), Some(&request)))?;
            tx.commit().map_err(storage)?;
            Ok(request)
        })
        .await
    }

    async fn get_access(&self, id: &str) -> Result<Option<AccessRequest>> {
        let id = id.to_owned();
        self.with_db(move |db| read_one(db, ACCESS, &id)).await
    }

    async fn product_access(&self, product: &ProductId) -> Result<Vec<AccessRequest>> {
        let product = product.to_string();
        self.with_db(move |db| access_by(db, "product", &product)).await
    }

    async fn inbox(&self, owner_team: &TeamName) -> Result<Vec<AccessRequest>> {
        let team = owner_team.to_string();
        self.with_db(move |db| access_by(db, "inbox", &team)).await
    }

    async fn team_access(&self, team: &TeamName) -> Result<Vec<AccessRequest>> {
        let team = team.to_string();
        self.with_db(move |db| access_by(db, "team", &team)).await
    }

    async fn access_in_state(&self, state: AccessState) -> Result<Vec<AccessRequest>> {
        self.with_db(move |db| access_by(db, "state", state.as_str())).await
    }

    async fn get_account(&self, principal: &Principal) -> Result<Option<ServiceAccount>> {
        let principal = principal.clone();
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(PRINCIPALS).map_err(storage)?;
            let value = table.get(principal.as_str()).map_err(storage)?;
            value.map(|v| account_of(&principal, v.value())).transpose()
        })
        .await
    }

    async fn team_accounts(&self, team: &TeamName) -> Result<Vec<ServiceAccount>> {
        let team = team.clone();
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(PRINCIPALS).map_err(storage)?;
            let mut accounts = Vec::new();
            for entry in table.iter().map_err(storage)? {
                let (key, value) = entry.map_err(storage)?;
                let principal = Principal::parse(key.value())
                    .map_err(|e| StoreError::Corrupt(format!("principal `{}`: {e}", key.value())))?;
                let account = account_of(&principal, value.value())?;
                if account.team == team {
                    accounts.push(account);
                }
            }
            Ok(accounts)
        })
        .await
    }

    async fn put_account(
        &self,
        mut account: ServiceAccount,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ServiceAccount> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            {
                let mut table = tx.open_table(PRINCIPALS).map_err(storage)?;
                let key = account.principal.to_string();
                let actual = match table.get(key.as_str()).map_err(storage)? {
                    Some(stored) => Some(account_of(&account.principal, stored.value())?.revision),
                    None => None,
                };
                if actual != expected {
                    return Err(StoreError::AccountConflict { principal: account.principal, expected, actual });
                }
                account.revision = next_revision(expected);
                table.insert(key.as_str(), encode(&key, &account)?.as_str()).map_err(storage)?;
            }
            append_audit(&tx, &audit)?;
            append_event(&tx, Notice::of(&audit, None, None))?;
            tx.commit().map_err(storage)?;
            Ok(account)
        })
        .await
    }

    async fn delete_account(&self, principal: &Principal, expected: u64, audit: AuditEntry) -> Result<bool> {
        let principal = principal.clone();
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let removed =
                match tx.open_table(PRINCIPALS).map_err(storage)?.remove(principal.as_str()).map_err(storage)? {
                    Some(stored) => Some(account_of(&principal, stored.value())?),
                    None => None,
                };
            if let Some(account) = &removed
                && account.revision != expected
            {
                // Dropping the transaction keeps the account.
                let actual = Some(account.revision);
                return Err(StoreError::AccountConflict { principal, expected: Some(expected), actual });
            }
            if removed.is_some() {
                append_audit(&tx, &audit)?;
                append_event(&tx, Notice::of(&audit, None, None))?;
            }
            tx.commit().map_err(storage)?;
            Ok(removed.is_some())
        })
        .await
    }

    async fn claim_holder(&self, claim: &Claim) -> Result<Option<ProductId>> {
        let key = claim.key();
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(CLAIMS).map_err(storage)?;
            let holder = table.get(key.as_str()).map_err(storage)?;
            holder
                .map(|h| ProductId::parse(h.value()).map_err(|e| StoreError::Corrupt(format!("claim `{key}`: {e}"))))
                .transpose()
        })
        .await
    }

    async fn add_claims(&self, product: &DataProduct) -> Result<Vec<(Claim, ProductId)>> {
        let id = product.id.clone();
        let claims = Claim::of(product);
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let mut held = Vec::new();
            {
                let mut table = tx.open_table(CLAIMS).map_err(storage)?;
                for claim in claims {
                    let key = claim.key();
                    let holder = table.get(key.as_str()).map_err(storage)?.map(|h| h.value().to_owned());
                    match holder {
                        Some(holder) if holder != id.as_str() => {
                            let holder = ProductId::parse(holder)
                                .map_err(|e| StoreError::Corrupt(format!("claim `{key}`: {e}")))?;
                            held.push((claim, holder));
                        }
                        Some(_) => {}
                        None => {
                            table.insert(key.as_str(), id.as_str()).map_err(storage)?;
                        }
                    }
                }
            }
            tx.commit().map_err(storage)?;
            Ok(held)
        })
        .await
    }

    async fn claims_backfilled(&self) -> Result<bool> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(storage)?;
            let meta = tx.open_table(META).map_err(storage)?;
            Ok(meta.get("claims_backfilled").map_err(storage)?.is_some())
        })
        .await
    }

    async fn mark_claims_backfilled(&self) -> Result<()> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(storage)?;
            tx.open_table(META).map_err(storage)?.insert("claims_backfilled", 1).map_err(storage)?;
            tx.commit().map_err(storage)
        })
        .await
    }

    async fn product_history(&self, id: &ProductId, limit: usize) -> Result<Vec<AuditEntry>> {
        let prefix = format!("{id}\u{0}");
        let end = format!("{id}\u{1}");
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let index = tx.open_table(PRODUCT_AUDIT).map_err(storage)?;
            let audit = tx.open_table(AUDIT).map_err(storage)?;
            let mut entries = Vec::new();
            // Keys sort by product then time; walk this product's range backwards for newest first.
            for key in index.range(prefix.as_str()..end.as_str()).map_err(storage)?.rev().take(limit) {
                let (key, _) = key.map_err(storage)?;
                let entry_id = key.value().split_once('\u{0}').map_or("", |(_, e)| e).to_owned();
                if let Some(entry) = audit.get(entry_id.as_str()).map_err(storage)? {
                    entries.push(decode(&entry_id, entry.value())?);
                }
            }
            Ok(entries)
        })
        .await
    }

    async fn recent_activity(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let audit = tx.open_table(AUDIT).map_err(storage)?;
            let mut entries = Vec::new();
            for entry in audit.iter().map_err(storage)?.rev().take(limit) {
                let (key, value) = entry.map_err(storage)?;
                entries.push(decode(key.value(), value.value())?);
            }
            Ok(entries)
        })
        .await
    }

    async fn put_topics(&self, topics: Vec<TopicFacts>) -> Result<()> {
        let items = topics.into_iter().map(|t| (t.name.to_string(), t)).collect();
        self.with_db(move |db| write_all(db, TOPICS, items)).await
    }

    async fn topic(&self, name: &TopicName) -> Result<Option<TopicFacts>> {
        let name = name.clone();
        self.with_db(move |db| read_one(db, TOPICS, name.as_str())).await
    }

    async fn list_topics(&self) -> Result<Vec<TopicFacts>> {
        self.with_db(|db| read_range(db, TOPICS, .., |_: &TopicFacts| true)).await
    }

    async fn put_schema_versions(&self, versions: Vec<SchemaVersion>) -> Result<()> {
        let items: Vec<(String, SchemaVersion)> =
            versions.into_iter().map(|v| (version_key(&v.subject, v.version), v)).collect();
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            {
                let mut table = tx.open_table(SCHEMAS).map_err(storage)?;
                for (key, item) in &items {
                    table.insert(key.as_str(), encode(key, item)?.as_bytes()).map_err(storage)?;
                }
                // New versions change what search finds (field names): move the generation so indexes rebuild.
                bump_generation(&tx)?;
            }
            tx.commit().map_err(storage)
        })
        .await
    }

    async fn schema_versions(&self, subject: &str) -> Result<Vec<SchemaVersion>> {
        let subject = subject.to_owned();
        self.with_db(move |db| {
            let start = format!("{subject}\u{0}");
            let end = format!("{subject}\u{1}");
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(SCHEMAS).map_err(storage)?;
            let mut versions = Vec::new();
            for entry in table.range(start.as_str()..end.as_str()).map_err(storage)? {
                let (key, value) = entry.map_err(storage)?;
                versions.push(decode(key.value(), value.value())?);
            }
            Ok(versions)
        })
        .await
    }

    async fn all_schema_versions(&self) -> Result<Vec<SchemaVersion>> {
        self.with_db(|db| read_range(db, SCHEMAS, .., |_: &SchemaVersion| true)).await
    }

    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(EVENTS).map_err(storage)?;
            let mut events = Vec::new();
            for entry in table.range(after.saturating_add(1)..).map_err(storage)?.take(limit) {
                let (seq, event) = entry.map_err(storage)?;
                events.push(decode(&seq.value().to_string(), event.value())?);
            }
            Ok(events)
        })
        .await
    }

    async fn notified(&self) -> Result<u64> {
        self.with_db(|db| read_mark(db, "notified")).await
    }

    async fn team_channels(&self, team: &TeamName) -> Result<Option<TeamChannelSettings>> {
        let team = team.clone();
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(CHANNELS).map_err(storage)?;
            let value = table.get(team.as_str()).map_err(storage)?;
            value.map(|v| super::channels_of(team.as_str(), v.value())).transpose()
        })
        .await
    }

    async fn put_team_channels(
        &self,
        team: &TeamName,
        channels: &ChannelSettings,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<u64> {
        let (team, settings) = (team.clone(), channels.clone());
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let revision = next_revision(expected);
            {
                let mut table = tx.open_table(CHANNELS).map_err(storage)?;
                let actual = match table.get(team.as_str()).map_err(storage)? {
                    Some(stored) => Some(super::channels_of(team.as_str(), stored.value())?.revision),
                    None => None,
                };
                if actual != expected {
                    return Err(StoreError::Changed(format!("team `{team}`'s channels")));
                }
                let stored = TeamChannelSettings { settings, revision };
                table.insert(team.as_str(), encode(team.as_str(), &stored)?.as_bytes()).map_err(storage)?;
            }
            append_audit(&tx, &audit)?;
            append_event(&tx, Notice::of(&audit, None, None))?;
            tx.commit().map_err(storage)?;
            Ok(revision)
        })
        .await
    }

    async fn generation(&self) -> Result<u64> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(storage)?;
            let meta = tx.open_table(META).map_err(storage)?;
            Ok(meta.get("generation").map_err(storage)?.map_or(0, |g| g.value()))
        })
        .await
    }

    async fn hand_out(&self, from: u64, to: u64, deliveries: Vec<Delivery>) -> Result<()> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            {
                let mut meta = tx.open_table(META).map_err(storage)?;
                let at = meta.get("notified").map_err(storage)?.map_or(0, |n| n.value());
                if at != from {
                    return Err(StoreError::Busy(format!("the notifier's mark is at {at}, not {from}")));
                }
                meta.insert("notified", to).map_err(storage)?;
            }
            for delivery in &deliveries {
                put_delivery(&tx, delivery, None)?;
            }
            tx.commit().map_err(storage)
        })
        .await
    }

    async fn delivery(&self, key: &DeliveryKey) -> Result<Option<Delivery>> {
        let key = delivery_key(key);
        self.with_db(move |db| read_one(db, DELIVERIES, &key)).await
    }

    async fn pending_deliveries(&self, now: Timestamp, limit: usize) -> Result<Vec<Delivery>> {
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let index = tx.open_table(PENDING).map_err(storage)?;
            let deliveries = tx.open_table(DELIVERIES).map_err(storage)?;
            let end = format!("{}\u{1}", due_key(now));
            let mut due = Vec::new();
            for entry in index.range(..end.as_str()).map_err(storage)? {
                if due.len() >= limit {
                    break;
                }
                let (entry, _) = entry.map_err(storage)?;
                let key = entry.value().split_once('\u{0}').map_or("", |(_, key)| key).to_owned();
                let Some(stored) = deliveries.get(key.as_str()).map_err(storage)? else { continue };
                let delivery: Delivery = decode(&key, stored.value())?;
                if delivery.next_at <= now {
                    due.push(delivery);
                }
            }
            Ok(due)
        })
        .await
    }

    async fn record_attempt(&self, key: &DeliveryKey, attempt: u32, outcome: Attempt) -> Result<()> {
        self.change_delivery(key, None, move |stored| stored.attempted(attempt, outcome)).await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>> {
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let index = tx.open_table(DEAD_LETTERS).map_err(storage)?;
            let deliveries = tx.open_table(DELIVERIES).map_err(storage)?;
            let mut dead = Vec::new();
            for entry in index.iter().map_err(storage)?.take(limit) {
                let (key, _) = entry.map_err(storage)?;
                if let Some(stored) = deliveries.get(key.value()).map_err(storage)? {
                    dead.push(decode(key.value(), stored.value())?);
                }
            }
            Ok(dead)
        })
        .await
    }

    async fn redeliver(&self, key: &DeliveryKey, now: Timestamp, audit: AuditEntry) -> Result<()> {
        self.change_delivery(key, Some(audit), move |stored| stored.redelivered(now)).await
    }

    async fn remind(
        &self,
        key: &str,
        entry: AuditEntry,
        product: &DataProduct,
        request: Option<&AccessRequest>,
    ) -> Result<bool> {
        let key = key.to_owned();
        let notice = Notice::of(&entry, Some(product), request);
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            {
                let mut reminders = tx.open_table(REMINDERS).map_err(storage)?;
                if reminders.get(key.as_str()).map_err(storage)?.is_some() {
                    return Ok(false);
                }
                reminders.insert(key.as_str(), entry.id.as_str()).map_err(storage)?;
            }
            append_audit(&tx, &entry)?;
            append_event(&tx, notice)?;
            tx.commit().map_err(storage)?;
            Ok(true)
        })
        .await
    }
    async fn watchers(&self, product: &ProductId) -> Result<Vec<Watch>> {
        let (from, to) = (format!("{product}\u{0}"), format!("{product}\u{1}"));
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let table = tx.open_table(WATCHES).map_err(storage)?;
            let mut watches = Vec::new();
            for entry in table.range(from.as_str()..to.as_str()).map_err(storage)? {
                let (key, value) = entry.map_err(storage)?;
                watches.push(decode(key.value(), value.value())?);
            }
            Ok(watches)
        })
        .await
    }

    async fn put_watch(&self, watch: Watch, audit: AuditEntry) -> Result<()> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let key = watch_key(&watch.product, &watch.person);
            tx.open_table(WATCHES)
                .map_err(storage)?
                .insert(key.as_str(), encode(&key, &watch)?.as_bytes())
                .map_err(storage)?;
            append_audit(&tx, &audit)?;
            tx.commit().map_err(storage)
        })
        .await
    }

    async fn delete_watch(&self, product: &ProductId, person: &str, audit: AuditEntry) -> Result<bool> {
        let key = watch_key(product, person);
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let existed = tx.open_table(WATCHES).map_err(storage)?.remove(key.as_str()).map_err(storage)?.is_some();
            if existed {
                append_audit(&tx, &audit)?;
                tx.commit().map_err(storage)?;
            }
            Ok(existed)
        })
        .await
    }

    async fn personal_settings(&self, person: &str) -> Result<Option<PersonalSettings>> {
        let person = person.to_owned();
        self.with_db(move |db| read_one(db, PEOPLE, person.as_str())).await
    }

    async fn put_personal_settings(&self, person: &str, settings: &PersonalSettings) -> Result<()> {
        let items = vec![(person.to_owned(), settings.clone())];
        self.with_db(move |db| write_all(db, PEOPLE, items)).await
    }
    async fn published(&self) -> Result<u64> {
        self.with_db(|db| read_mark(db, "published")).await
    }

    async fn advance_published(&self, from: u64, to: u64) -> Result<()> {
        self.with_db(move |db| advance_mark(db, "published", from, to)).await
    }

    async fn get_token(&self, id: &str) -> Result<Option<StoredToken>> {
        let id = id.to_owned();
        self.with_db(move |db| {
            let tx = db.begin_read().map_err(storage)?;
            let Some(table) = tokens_table(&tx)? else { return Ok(None) };
            let value = table.get(id.as_str()).map_err(storage)?;
            value.map(|v| decode(&id, v.value())).transpose()
        })
        .await
    }

    async fn team_tokens(&self, team: &TeamName) -> Result<Vec<StoredToken>> {
        let team = team.clone();
        self.with_db(move |db| Ok(read_tokens(db)?.into_iter().filter(|stored| stored.token.team == team).collect()))
            .await
    }

    async fn put_token(&self, mut token: StoredToken, expected: Option<u64>, audit: AuditEntry) -> Result<StoredToken> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            token.revision = next_revision(expected);
            if expected.is_none() {
                let table = tx.open_table(TOKENS).map_err(storage)?;
                for entry in table.iter().map_err(storage)? {
                    let (key, value) = entry.map_err(storage)?;
                    if token.takes_the_name_of(&decode(key.value(), value.value())?) {
                        return Err(token.name_taken());
                    }
                }
            }
            if !write_token_at(&tx, &token, expected)? {
                return Err(token_changed(&token.token.id));
            }
            append_audit(&tx, &audit)?;
            tx.commit().map_err(storage)?;
            Ok(token)
        })
        .await
    }

    async fn touch_token(&self, token: &StoredToken) -> Result<bool> {
        let token = token.clone();
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            let written = write_token_at(&tx, &token, Some(token.revision))?;
            if written {
                tx.commit().map_err(storage)?;
            }
            Ok(written)
        })
        .await
    }

    async fn put_proposal(
        &self,
        mut proposal: ChangeProposal,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ChangeProposal> {
        self.with_db(move |db| {
            let tx = db.begin_write().map_err(storage)?;
            proposal.revision = next_revision(expected);
            {
                let mut table = tx.open_table(PROPOSALS).map_err(storage)?;
                let key = proposal.id.as_str();
                let actual = match table.get(key).map_err(storage)? {
                    Some(stored) => Some(decode::<ChangeProposal>(key, stored.value())?.revision),
                    None => None,
                };
                if actual != expected {
                    return Err(proposal_changed(key));
                }
                if expected.is_none() {
                    for entry in table.iter().map_err(storage)? {
                        let (other, value) = entry.map_err(storage)?;
                        let other: ChangeProposal = decode(other.value(), value.value())?;
                        if other.product == proposal.product && !other.state.is_final() {
                            return Err(StoreError::waiting_proposal(&proposal.product));
                        }
                    }
                }
                table.insert(key, encode(key, &proposal)?.as_bytes()).map_err(storage)?;
            }
            append_audit(&tx, &audit)?;
            let product: Option<DataProduct> =
                match tx.open_table(PRODUCTS).map_err(storage)?.get(proposal.product.as_str()).map_err(storage)? {
                    Some(stored) => Some(decode(proposal.product.as_str(), stored.value())?),
                    None => None,
                };
            append_event(&tx, product.and_then(|product| Notice::of_proposal(&audit, &product, &proposal)))?;
            tx.commit().map_err(storage)?;
            Ok(proposal)
        })
        .await
    }

    async fn get_proposal(&self, id: &str) -> Result<Option<ChangeProposal>> {
        let id = id.to_owned();
        self.with_db(move |db| Ok(read_proposals(db)?.into_iter().find(|p| p.id == id))).await
    }

    async fn product_proposals(&self, product: &ProductId) -> Result<Vec<ChangeProposal>> {
        let product = product.clone();
        self.with_db(move |db| Ok(read_proposals(db)?.into_iter().filter(|p| p.product == product).collect())).await
    }

    async fn waiting_proposals(&self) -> Result<Vec<ChangeProposal>> {
        let waiting = |p: &ChangeProposal| matches!(p.state, ProposalState::Open | ProposalState::Approved);
        self.with_db(move |db| Ok(read_proposals(db)?.into_iter().filter(waiting).collect())).await
    }
}

/// Change proposal id -> the proposal as JSON. Created by its first write: a catalog without it has no proposals.
/// Proposals are few (one per breaking change waiting), so they are read whole.
const PROPOSALS: TableDefinition<&str, &[u8]> = TableDefinition::new("proposals");

/// Every stored proposal, in id order (the time each was made).
fn read_proposals(db: &Database) -> Result<Vec<ChangeProposal>> {
    let tx = db.begin_read().map_err(storage)?;
    let table = match tx.open_table(PROPOSALS) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(storage(e)),
    };
    let mut proposals = Vec::new();
    for entry in table.iter().map_err(storage)? {
        let (key, value) = entry.map_err(storage)?;
        proposals.push(decode(key.value(), value.value())?);
    }
    Ok(proposals)
}

fn proposal_changed(id: &str) -> StoreError {
    StoreError::Changed(format!("change proposal `{id}`"))
}

/// API token id -> the token as JSON ([`StoredToken`]). Created by its first write: a catalog without it has no
/// tokens.
const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_tokens");

/// The tokens' table, `None` before the first token.
fn tokens_table(tx: &redb::ReadTransaction) -> Result<Option<redb::ReadOnlyTable<&'static str, &'static [u8]>>> {
    match tx.open_table(TOKENS) {
        Ok(table) => Ok(Some(table)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(storage(e)),
    }
}

/// Every stored token, in id order.
fn read_tokens(db: &Database) -> Result<Vec<StoredToken>> {
    let tx = db.begin_read().map_err(storage)?;
    let Some(table) = tokens_table(&tx)? else { return Ok(Vec::new()) };
    let mut tokens = Vec::new();
    for entry in table.iter().map_err(storage)? {
        let (key, value) = entry.map_err(storage)?;
        tokens.push(decode(key.value(), value.value())?);
    }
    Ok(tokens)
}

/// Writes `token` if the stored one is at revision `expected` (`None`: there is none yet); answers whether it did.
fn write_token_at(tx: &WriteTransaction, token: &StoredToken, expected: Option<u64>) -> Result<bool> {
    let mut table = tx.open_table(TOKENS).map_err(storage)?;
    let key = token.token.id.as_str();
    let actual = match table.get(key).map_err(storage)? {
        Some(stored) => Some(decode::<StoredToken>(key, stored.value())?.revision),
        None => None,
    };
    if actual != expected {
        return Ok(false);
    }
    table.insert(key, encode(key, token)?.as_bytes()).map_err(storage)?;
    Ok(true)
}

fn token_changed(id: &str) -> StoreError {
    StoreError::Changed(format!("API token `{id}`"))
}

/// A delivery's key in the outbox's tables: by event, then destination.
fn delivery_key(key: &DeliveryKey) -> String {
    format!("{:020}\u{0}{}", key.seq, key.destination)
}

/// When a delivery is due, as a key that sorts in time order (to the millisecond; the exact time is in the delivery).
fn due_key(at: Timestamp) -> String {
    format!("{:020}", at.as_millisecond().max(0))
}

/// The index entries a delivery in its state has: pending ones by when they are due, dead letters by event.
fn delivery_indexes(tx: &WriteTransaction, delivery: &Delivery, keep: bool) -> Result<()> {
    let key = delivery_key(&delivery.key);
    match delivery.state {
        DeliveryState::Pending => {
            let entry = format!("{}\u{0}{key}", due_key(delivery.next_at));
            let mut pending = tx.open_table(PENDING).map_err(storage)?;
            if keep { pending.insert(entry.as_str(), ()) } else { pending.remove(entry.as_str()) }.map_err(storage)?;
        }
        DeliveryState::DeadLettered => {
            let mut dead = tx.open_table(DEAD_LETTERS).map_err(storage)?;
            if keep { dead.insert(key.as_str(), ()) } else { dead.remove(key.as_str()) }.map_err(storage)?;
        }
        DeliveryState::Delivered => {}
    }
    Ok(())
}

/// Stores `delivery` over `previous` (what was read in this transaction), moving its index entries.
fn put_delivery(tx: &WriteTransaction, delivery: &Delivery, previous: Option<&Delivery>) -> Result<()> {
    if let Some(previous) = previous {
        delivery_indexes(tx, previous, false)?;
    }
    let key = delivery_key(&delivery.key);
    tx.open_table(DELIVERIES)
        .map_err(storage)?
        .insert(key.as_str(), encode(&key, delivery)?.as_bytes())
        .map_err(storage)?;
    delivery_indexes(tx, delivery, true)
}

fn stored_delivery(tx: &WriteTransaction, key: &DeliveryKey) -> Result<Delivery> {
    let table = tx.open_table(DELIVERIES).map_err(storage)?;
    let stored = table.get(delivery_key(key).as_str()).map_err(storage)?;
    match stored {
        Some(stored) => decode(&delivery_key(key), stored.value()),
        None => Err(StoreError::Changed(key.to_string())),
    }
}
