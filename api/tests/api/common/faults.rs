//! Fault injection for the catalog: a real store (the embedded one) behind a wrapper that fails or lets someone
//! else's change race in at exactly the step a test names, so every step of a multi-step change can be tested.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use meshport_api::catalog::{
    Attempt, CatalogStore, Claim, Delivery, DeliveryKey, Result, StoreError, TeamChannelSettings,
};
use meshport_shared::access::{AccessRequest, AccessState};
use meshport_shared::accounts::ServiceAccount;
use meshport_shared::events::{PersonalSettings, Watch};
use meshport_shared::proposals::ChangeProposal;
use meshport_shared::{
    AuditEntry, DataProduct, DomainName, Principal, ProductId, SchemaVersion, TeamName, TopicFacts, TopicName,
};

use super::TestApp;

/// Work a test runs at a chosen moment, e.g. creating a topic as if someone else did.
pub type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A hook from an async block: `hook(move || async move { ... })`.
pub fn hook<F>(work: impl FnOnce() -> F + Send + 'static) -> Hook
where
    F: Future<Output = ()> + Send + 'static,
{
    Box::new(move || Box::pin(work()))
}

/// The real catalog, with the faults a test arms. Every `put_product` is counted from 1.
pub struct FaultyCatalog {
    inner: Arc<dyn CatalogStore>,
    plan: Mutex<Plan>,
}

#[derive(Default)]
struct Plan {
    puts: usize,
    /// Which `put_product` calls fail as if the catalog were down.
    failing_puts: Vec<usize>,
    /// Whether `delete_product` fails as if the catalog were down.
    failing_deletes: bool,
    /// Hooks run after the numbered `put_product` succeeded.
    after_puts: Vec<(usize, Hook)>,
    /// Hooks run right before the numbered `put_product` writes.
    before_puts: Vec<(usize, Hook)>,
    /// A hook run right before the next `delete_account` writes.
    before_account_delete: Option<Hook>,
    /// A product that someone else changes right after the next read of it.
    racing_change: Option<ProductId>,
    /// Access request writes counted from 1, and which of them fail as if the catalog were down.
    access_puts: usize,
    failing_access_puts: Vec<usize>,
    /// Whether listings may lag behind writes, as DynamoDB's indexes do.
    lagging: bool,
    /// What the next `list_products` answers instead of the truth: the listing from before some writes.
    stale_listing: Option<Vec<DataProduct>>,
}

impl std::fmt::Debug for FaultyCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyCatalog").field("inner", &self.inner).finish_non_exhaustive()
    }
}

fn down() -> StoreError {
    StoreError::Unavailable("injected fault: the catalog is down".into())
}

impl FaultyCatalog {
    pub fn new(inner: Arc<dyn CatalogStore>) -> Arc<Self> {
        Arc::new(Self { inner, plan: Mutex::default() })
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.plan.lock().unwrap()
    }

    /// The `nth` `put_product` (counted from 1 since the catalog was made) fails.
    pub fn fail_put(&self, nth: usize) {
        self.plan().failing_puts.push(nth);
    }

    /// Every `delete_product` fails from now on.
    pub fn fail_deletes(&self) {
        self.plan().failing_deletes = true;
    }

    /// The `nth` `put_access` (counted from 1 since the catalog was made) fails.
    pub fn fail_access_put(&self, nth: usize) {
        self.plan().failing_access_puts.push(nth);
    }

    /// Runs `hook` right after the `nth` `put_product` succeeded.
    pub fn after_put(&self, nth: usize, hook: Hook) {
        self.plan().after_puts.push((nth, hook));
    }

    /// Runs `hook` right before the `nth` `put_product` writes, as work racing in between a change's steps would.
    pub fn before_put(&self, nth: usize, hook: Hook) {
        self.plan().before_puts.push((nth, hook));
    }

    /// Runs `hook` right before the next `delete_account` writes.
    pub fn before_account_delete(&self, hook: Hook) {
        self.plan().before_account_delete = Some(hook);
    }

    /// From now on the store says its listings lag, and the next `list_products` answers what it answers now, as
    /// an index that has not caught up with the writes in between would.
    pub async fn lag_listings(&self) {
        let listing = self.inner.list_products().await.unwrap();
        let mut plan = self.plan();
        plan.lagging = true;
        plan.stale_listing = Some(listing);
    }

    /// Disarms every fault not yet triggered: the catalog works again.
    pub fn heal(&self) {
        let mut plan = self.plan();
        plan.failing_puts.clear();
        plan.failing_deletes = false;
        plan.after_puts.clear();
        plan.before_puts.clear();
        plan.racing_change = None;
    }

    /// Right after the next read of `id`, someone else changes it: the reader holds a stale revision from then on.
    pub fn race_after_read(&self, id: &ProductId) {
        self.plan().racing_change = Some(id.clone());
    }

    /// The hooks of `hooks` due at the `nth` `put_product`, taken out of the plan.
    fn due(&self, nth: usize, hooks: impl FnOnce(&mut Plan) -> &mut Vec<(usize, Hook)>) -> Vec<Hook> {
        let mut plan = self.plan();
        let hooks = hooks(&mut plan);
        let (due, later) = std::mem::take(hooks).into_iter().partition(|(n, _)| *n == nth);
        *hooks = later;
        due.into_iter().map(|(_, hook)| hook).collect()
    }
}

#[async_trait]
impl CatalogStore for FaultyCatalog {
    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }

    async fn get_product(&self, id: &ProductId) -> Result<Option<DataProduct>> {
        let read = self.inner.get_product(id).await?;
        let racing = {
            let mut plan = self.plan();
            if plan.racing_change.as_ref() == Some(id) { plan.racing_change.take() } else { None }
        };
        if let (Some(_), Some(product)) = (racing, &read) {
            let mut changed = product.clone();
            changed.description.purpose = format!("{} (changed meanwhile)", product.description.purpose);
            let entry = meshport_api::audit::entry(
                "someone-else",
                id,
                meshport_shared::AuditAction::Updated,
                "a change racing in",
                Some(product),
                Some(&changed),
            );
            self.inner.put_product(changed, Some(product.revision), entry).await?;
        }
        Ok(read)
    }

    async fn list_products(&self) -> Result<Vec<DataProduct>> {
        let stale = self.plan().stale_listing.take();
        match stale {
            Some(listing) => Ok(listing),
            None => self.inner.list_products().await,
        }
    }

    fn listings_lag(&self) -> bool {
        self.plan().lagging
    }

    async fn list_domain_products(&self, domain: &DomainName) -> Result<Vec<DataProduct>> {
        self.inner.list_domain_products(domain).await
    }

    async fn put_product(&self, product: DataProduct, expected: Option<u64>, audit: AuditEntry) -> Result<DataProduct> {
        let nth = {
            let mut plan = self.plan();
            plan.puts += 1;
            plan.puts
        };
        if self.plan().failing_puts.contains(&nth) {
            return Err(down());
        }
        for hook in self.due(nth, |plan| &mut plan.before_puts) {
            hook().await;
        }
        let stored = self.inner.put_product(product, expected, audit).await?;
        for hook in self.due(nth, |plan| &mut plan.after_puts) {
            hook().await;
        }
        Ok(stored)
    }

    async fn delete_product(&self, id: &ProductId, expected: u64, audit: AuditEntry) -> Result<bool> {
        if self.plan().failing_deletes {
            return Err(down());
        }
        self.inner.delete_product(id, expected, audit).await
    }

    async fn record(&self, entry: AuditEntry) -> Result<()> {
        self.inner.record(entry).await
    }

    async fn put_access(
        &self,
        request: AccessRequest,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<AccessRequest> {
        let failing = {
            let mut plan = self.plan();
            plan.access_puts += 1;
            plan.failing_access_puts.contains(&plan.access_puts)
        };
        if failing {
            return Err(down());
        }
        self.inner.put_access(request, expected, audit).await
    }

    async fn get_access(&self, id: &str) -> Result<Option<AccessRequest>> {
        self.inner.get_access(id).await
    }

    async fn product_access(&self, product: &ProductId) -> Result<Vec<AccessRequest>> {
        self.inner.product_access(product).await
    }

    async fn inbox(&self, owner_team: &TeamName) -> Result<Vec<AccessRequest>> {
        self.inner.inbox(owner_team).await
    }

    async fn team_access(&self, team: &TeamName) -> Result<Vec<AccessRequest>> {
        self.inner.team_access(team).await
    }

    async fn access_in_state(&self, state: AccessState) -> Result<Vec<AccessRequest>> {
        self.inner.access_in_state(state).await
    }

    async fn get_account(&self, principal: &Principal) -> Result<Option<ServiceAccount>> {
        self.inner.get_account(principal).await
    }

    async fn team_accounts(&self, team: &TeamName) -> Result<Vec<ServiceAccount>> {
        self.inner.team_accounts(team).await
    }

    async fn put_account(
        &self,
        account: ServiceAccount,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ServiceAccount> {
        self.inner.put_account(account, expected, audit).await
    }

    async fn delete_account(&self, principal: &Principal, expected: u64, audit: AuditEntry) -> Result<bool> {
        let hook = self.plan().before_account_delete.take();
        if let Some(hook) = hook {
            hook().await;
        }
        self.inner.delete_account(principal, expected, audit).await
    }

    async fn claim_holder(&self, claim: &Claim) -> Result<Option<ProductId>> {
        self.inner.claim_holder(claim).await
    }

    async fn add_claims(&self, product: &DataProduct) -> Result<Vec<(Claim, ProductId)>> {
        self.inner.add_claims(product).await
    }

    async fn claims_backfilled(&self) -> Result<bool> {
        self.inner.claims_backfilled().await
    }

    async fn mark_claims_backfilled(&self) -> Result<()> {
        self.inner.mark_claims_backfilled().await
    }

    async fn product_history(&self, id: &ProductId, limit: usize) -> Result<Vec<AuditEntry>> {
        self.inner.product_history(id, limit).await
    }

    async fn recent_activity(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.inner.recent_activity(limit).await
    }

    async fn put_topics(&self, topics: Vec<TopicFacts>) -> Result<()> {
        self.inner.put_topics(topics).await
    }

    async fn topic(&self, name: &TopicName) -> Result<Option<TopicFacts>> {
        self.inner.topic(name).await
    }

    async fn list_topics(&self) -> Result<Vec<TopicFacts>> {
        self.inner.list_topics().await
    }

    async fn put_schema_versions(&self, versions: Vec<SchemaVersion>) -> Result<()> {
        self.inner.put_schema_versions(versions).await
    }

    async fn schema_versions(&self, subject: &str) -> Result<Vec<SchemaVersion>> {
        self.inner.schema_versions(subject).await
    }

    async fn all_schema_versions(&self) -> Result<Vec<SchemaVersion>> {
        self.inner.all_schema_versions().await
    }

    async fn generation(&self) -> Result<u64> {
        self.inner.generation().await
    }

    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<meshport_shared::events::Event>> {
        self.inner.events_after(after, limit).await
    }

    async fn notified(&self) -> Result<u64> {
        self.inner.notified().await
    }

    async fn advance_notified(&self, from: u64, to: u64) -> Result<()> {
        self.inner.advance_notified(from, to).await
    }

    async fn team_channels(&self, team: &TeamName) -> Result<Option<TeamChannelSettings>> {
        self.inner.team_channels(team).await
    }

    async fn put_team_channels(
        &self,
        team: &TeamName,
        channels: &meshport_shared::events::ChannelSettings,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<u64> {
        self.inner.put_team_channels(team, channels, expected, audit).await
    }

    async fn hand_out(&self, from: u64, to: u64, deliveries: Vec<Delivery>) -> Result<()> {
        self.inner.hand_out(from, to, deliveries).await
    }

    async fn delivery(&self, key: &DeliveryKey) -> Result<Option<Delivery>> {
        self.inner.delivery(key).await
    }

    async fn pending_deliveries(&self, now: jiff::Timestamp, limit: usize) -> Result<Vec<Delivery>> {
        self.inner.pending_deliveries(now, limit).await
    }

    async fn record_attempt(&self, key: &DeliveryKey, attempt: u32, outcome: Attempt) -> Result<()> {
        self.inner.record_attempt(key, attempt, outcome).await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>> {
        self.inner.dead_letters(limit).await
    }

    async fn redeliver(&self, key: &DeliveryKey, now: jiff::Timestamp, audit: AuditEntry) -> Result<()> {
        self.inner.redeliver(key, now, audit).await
    }

    async fn remind(
        &self,
        key: &str,
        entry: AuditEntry,
        product: &DataProduct,
        request: Option<&AccessRequest>,
    ) -> Result<bool> {
        self.inner.remind(key, entry, product, request).await
    }

    async fn watchers(&self, product: &ProductId) -> Result<Vec<Watch>> {
        self.inner.watchers(product).await
    }

    async fn put_watch(&self, watch: Watch, audit: AuditEntry) -> Result<()> {
        self.inner.put_watch(watch, audit).await
    }

    async fn delete_watch(&self, product: &ProductId, person: &str, audit: AuditEntry) -> Result<bool> {
        self.inner.delete_watch(product, person, audit).await
    }

    async fn personal_settings(&self, person: &str) -> Result<Option<PersonalSettings>> {
        self.inner.personal_settings(person).await
    }

    async fn put_personal_settings(&self, person: &str, settings: &PersonalSettings) -> Result<()> {
        self.inner.put_personal_settings(person, settings).await
    }

    async fn published(&self) -> Result<u64> {
        self.inner.published().await
    }

    async fn advance_published(&self, from: u64, to: u64) -> Result<()> {
        self.inner.advance_published(from, to).await
    }

    async fn get_token(&self, id: &str) -> Result<Option<meshport_api::catalog::StoredToken>> {
        self.inner.get_token(id).await
    }

    async fn team_tokens(&self, team: &TeamName) -> Result<Vec<meshport_api::catalog::StoredToken>> {
        self.inner.team_tokens(team).await
    }

    async fn put_token(
        &self,
        token: meshport_api::catalog::StoredToken,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<meshport_api::catalog::StoredToken> {
        self.inner.put_token(token, expected, audit).await
    }

    async fn touch_token(&self, token: &meshport_api::catalog::StoredToken) -> Result<bool> {
        self.inner.touch_token(token).await
    }

    async fn put_proposal(
        &self,
        proposal: ChangeProposal,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ChangeProposal> {
        self.inner.put_proposal(proposal, expected, audit).await
    }

    async fn get_proposal(&self, id: &str) -> Result<Option<ChangeProposal>> {
        self.inner.get_proposal(id).await
    }

    async fn product_proposals(&self, product: &ProductId) -> Result<Vec<ChangeProposal>> {
        self.inner.product_proposals(product).await
    }

    async fn waiting_proposals(&self) -> Result<Vec<ChangeProposal>> {
        self.inner.waiting_proposals().await
    }
}

/// An application whose catalog fails, or lets a change race in, where the test arms it.
pub async fn with_faults() -> (TestApp, Arc<FaultyCatalog>) {
    let faulty = Mutex::new(None);
    let app = TestApp::spawn_with_catalog(&[("MESHPORT_DEV_AUTH", "true".into())], |catalog| {
        let catalog = FaultyCatalog::new(catalog);
        *faulty.lock().unwrap() = Some(catalog.clone());
        catalog
    })
    .await;
    let faulty = faulty.into_inner().unwrap().expect("the catalog was wrapped");
    (app, faulty)
}
