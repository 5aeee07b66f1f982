//! Self-serve access to data products: a team asks, the product's owners decide, and Meshport grants the Kafka ACLs
//! itself (topic READ + DESCRIBE on the product's topic, READ on the team's consumer group), checks them, and deletes
//! exactly those bindings when the access is revoked or expires. Every step is one stored transition of the
//! request (see `meshport_shared::access` for the state machine), audited in the product's history.
//!
//! A grant is idempotent on the cluster: Kafka's ACLs are a set, so approving twice, or retrying after a crash
//! between creating the ACLs and storing `active`, leaves one set of bindings.

use std::collections::{HashMap, HashSet};

use meshport_shared::access::{
    AccessAction, AccessDecision, AccessRequest, AccessRequestDraft, AccessRole, AccessState, ConsumerGrant,
    GroupPattern, MAX_ACCESS_TEXT, ProductConsumers, RetirementPreview, UnmanagedBinding,
};
use meshport_shared::api::Identity;
use meshport_shared::{
    AuditAction, DataProduct, ProductId, ProductStatus, TeamName, TopicName, Violation, ViolationCode,
};

use crate::audit;
use crate::catalog::StoreError;
use crate::error::{Error, Result};
use crate::kafka::{AclBinding, PatternType, ResourceType};
use crate::mesh::Mesh;

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Today's date, `2026-12-05`, in UTC: what end dates are compared with.
pub fn today() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()
}

/// A new request: `who` asks, for one of their teams, to read `product`.
pub async fn request(
    mesh: &Mesh,
    who: &Identity,
    product: &ProductId,
    draft: AccessRequestDraft,
) -> Result<AccessRequest> {
    if !who.teams.contains(&draft.team) {
        return Err(Error::Forbidden(format!(
            "you are not in team `{}`: ask for access for one of your teams",
            draft.team
        )));
    }
    let product = mesh.catalog.get_product(product).await?.ok_or_else(|| no_product(product))?;
    match product.status {
        ProductStatus::Active => {}
        ProductStatus::Deprecated => {
            return Err(Error::Conflict(format!(
                "product `{}` is deprecated: it takes no new consumers{}",
                product.id,
                product
                    .deprecation
                    .as_ref()
                    .and_then(|d| d.replacement.as_ref())
                    .map_or_else(String::new, |r| { format!("; ask for access to its replacement `{r}`") })
            )));
        }
        other => {
            return Err(Error::Conflict(format!("product `{}` is {}: nobody can read it", product.id, other.as_str())));
        }
    }
    if product.owner.team == draft.team {
        return Err(Error::Conflict(format!("team `{}` owns `{}` already", draft.team, product.id)));
    }
    let personal = !product.personal_fields.is_empty();
    let mut violations = mesh.policy.access.violations(&draft, personal, &today());
    for (i, principal) in draft.principals.iter().enumerate() {
        if let Some(refusal) = crate::accounts::refusal_for_request(mesh, &who.subject, principal, &draft.team).await? {
            violations.push(Violation::new(ViolationCode::AccessNotAllowed, &format!("principals[{i}]"), refusal));
        }
    }
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    let open = mesh.catalog.product_access(&product.id).await?;
    if let Some(existing) = open.iter().find(|r| r.team == draft.team && !r.state.is_final()) {
        return Err(Error::Conflict(format!(
            "team `{}` has a request for `{}` already ({}, `{}`): cancel it first",
            draft.team,
            product.id,
            existing.state.as_str(),
            existing.id
        )));
    }
    let at = now();
    let request = AccessRequest {
        id: format!("{}-{}", at.replace([':', '.'], ""), &uuid::Uuid::new_v4().simple().to_string()[..8]),
        product: product.id.clone(),
        owner_team: product.owner.team.clone(),
        team: draft.team,
        purpose: draft.purpose.trim().to_owned(),
        principals: draft.principals,
        group: draft.group,
        group_pattern: draft.group_pattern,
        until: draft.until,
        state: AccessState::Requested,
        requested_by: who.subject.clone(),
        requested_at: at,
        decided_by: None,
        decided_at: None,
        reason: None,
        revision: 0,
    };
    let summary = format!("team `{}` asked for access: {}", request.team, clip(&request.purpose));
    store(mesh, &who.subject, request, None, summary).await
}

/// Takes `action` on request `id` as `who`, on the revision they decided on. Approving (or retrying) grants the
/// ACLs; revoking deletes them.
pub async fn decide(
    mesh: &Mesh,
    who: &Identity,
    id: &str,
    action: AccessAction,
    decision: AccessDecision,
) -> Result<AccessRequest> {
    let stored = mesh.catalog.get_access(id).await?.ok_or_else(|| no_request(id))?;
    require_role(who, &stored, action)?;
    if decision.revision != stored.revision {
        return Err(Error::Stale(format!(
            "request `{id}` changed since you read it (you sent revision {}, it is at {}): reload and try again",
            decision.revision, stored.revision
        )));
    }
    let Some(next) = stored.state.after(action) else {
        return Err(Error::Conflict(format!(
            "request `{id}` is {}: it cannot be {}",
            stored.state.as_str(),
            past(action)
        )));
    };
    let reason = decision.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if matches!(action, AccessAction::Deny | AccessAction::Revoke) && reason.is_none() {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::RequiredFieldMissing,
            "reason",
            format!("say why the request is {}", past(action)),
        )]));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_ACCESS_TEXT) {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::TooLong,
            "reason",
            format!("the text is longer than {MAX_ACCESS_TEXT} characters"),
        )]));
    }
    let mut changed = stored.clone();
    changed.state = next;
    changed.decided_by = Some(who.subject.clone());
    changed.decided_at = Some(now());
    changed.reason = reason.clone();
    match action {
        AccessAction::Approve | AccessAction::Retry => {
            let summary = format!("{} access of team `{}`", past(action), stored.team);
            let approved = store(mesh, &who.subject, changed, Some(stored.revision), summary).await?;
            grant(mesh, &who.subject, approved).await
        }
        AccessAction::Revoke => {
            let product =
                mesh.catalog.get_product(&stored.product).await?.ok_or_else(|| no_product(&stored.product))?;
            // The ACLs go first: a grant stored as revoked must not keep working.
            delete_acls(mesh, &stored, &product).await?;
            let summary =
                format!("revoked access of team `{}`: {}", stored.team, clip(reason.as_deref().unwrap_or("")));
            store(mesh, &who.subject, changed, Some(stored.revision), summary).await
        }
        _ => {
            let why = reason.as_deref().map_or_else(String::new, |r| format!(": {}", clip(r)));
            let summary = format!("{} access of team `{}`{why}", past(action), stored.team);
            store(mesh, &who.subject, changed, Some(stored.revision), summary).await
        }
    }
}

/// Creates the ACLs of an approved request, checks that the cluster shows them, and stores the outcome: `active`, or
/// `failed` with the error (owners may retry).
async fn grant(mesh: &Mesh, actor: &str, approved: AccessRequest) -> Result<AccessRequest> {
    let product = mesh.catalog.get_product(&approved.product).await?.ok_or_else(|| no_product(&approved.product))?;
    let outcome = create_acls(mesh, &approved, &product).await;
    let mut next = approved.clone();
    let (action, summary) = match &outcome {
        Ok(()) => (AccessAction::Granted, format!("granted team `{}` read access on the cluster", approved.team)),
        Err(e) => {
            next.reason = Some(e.to_string());
            (AccessAction::GrantFailed, format!("granting team `{}` failed: {e}", approved.team))
        }
    };
    next.state = approved.state.after(action).unwrap_or(AccessState::Failed);
    store(mesh, actor, next, Some(approved.revision), summary).await
}

/// Creates a request's bindings for each of its principals, then checks the cluster has every one.
async fn create_acls(mesh: &Mesh, request: &AccessRequest, product: &DataProduct) -> Result<()> {
    let topic = &product.output_port.topic;
    let pattern = group_pattern(request);
    let mut created = Vec::new();
    for principal in &request.principals {
        created.extend(mesh.kafka.grant_read(topic, principal.as_str(), request.group.as_str(), pattern).await?);
    }
    let missing = mesh.kafka.absent(&created).await?;
    if !missing.is_empty() {
        return Err(Error::Conflict(format!("the cluster does not show {} of the ACLs just created", missing.len())));
    }
    Ok(())
}

fn group_pattern(request: &AccessRequest) -> PatternType {
    match request.group_pattern {
        GroupPattern::Literal => PatternType::Literal,
        GroupPattern::Prefixed => PatternType::Prefixed,
    }
}

/// The bindings of a request's grant.
fn bindings_of(request: &AccessRequest, product: &DataProduct) -> Result<Vec<AclBinding>> {
    let mut bindings = Vec::new();
    for principal in &request.principals {
        bindings.extend(crate::kafka::read_bindings(
            &product.output_port.topic,
            principal.as_str(),
            request.group.as_str(),
            group_pattern(request),
        )?);
    }
    Ok(bindings)
}

/// Deletes the ACLs of `request`'s grant, except those another active grant needs too (Kafka keeps one binding for
/// both: two groups of one principal on one topic share topic READ, two topics read in one group share group READ).
async fn delete_acls(mesh: &Mesh, request: &AccessRequest, product: &DataProduct) -> Result<()> {
    let others: Vec<AccessRequest> = mesh
        .catalog
        .access_in_state(AccessState::Active)
        .await?
        .into_iter()
        .filter(|other| other.id != request.id)
        .collect();
    let mut products = products_of(mesh, &others).await?;
    products.insert(product.id.clone(), product.clone());
    let needs = Needs::of(&others, &products);
    mesh.kafka.revoke(&needs.unneeded(&bindings_of(request, product)?)).await?;
    Ok(())
}

/// The products `requests` are for, each read once.
async fn products_of(mesh: &Mesh, requests: &[AccessRequest]) -> Result<HashMap<ProductId, DataProduct>> {
    let mut products = HashMap::new();
    for request in requests {
        if !products.contains_key(&request.product)
            && let Some(product) = mesh.catalog.get_product(&request.product).await?
        {
            products.insert(product.id.clone(), product);
        }
    }
    Ok(products)
}

/// How many active grants need each binding on the cluster: a binding is deleted only when none does. Counted once
/// for all grants, so ending many grants costs one pass, not one pass per grant.
struct Needs(HashMap<AclBinding, usize>);

impl Needs {
    fn of(grants: &[AccessRequest], products: &HashMap<ProductId, DataProduct>) -> Self {
        let mut needs = Self(HashMap::new());
        for grant in grants {
            needs.add(&distinct_bindings(grant, products));
        }
        needs
    }

    fn add(&mut self, bindings: &HashSet<AclBinding>) {
        for binding in bindings {
            *self.0.entry(binding.clone()).or_default() += 1;
        }
    }

    fn remove(&mut self, bindings: &HashSet<AclBinding>) {
        for binding in bindings {
            if let Some(count) = self.0.get_mut(binding) {
                *count = count.saturating_sub(1);
            }
        }
    }

    /// Those of `bindings` no grant counted here needs.
    fn unneeded(&self, bindings: &[AclBinding]) -> Vec<AclBinding> {
        bindings.iter().filter(|b| self.0.get(*b).is_none_or(|count| *count == 0)).cloned().collect()
    }
}

/// A grant's bindings as a set; none when its product is gone or its bindings cannot be built (they never were).
fn distinct_bindings(grant: &AccessRequest, products: &HashMap<ProductId, DataProduct>) -> HashSet<AclBinding> {
    products
        .get(&grant.product)
        .and_then(|product| bindings_of(grant, product).ok())
        .map(|bindings| bindings.into_iter().collect())
        .unwrap_or_default()
}

/// Expires the grants whose end date is before `today`: their ACLs are deleted (all in one DeleteAcls, less those a
/// grant still active needs), then each request stored as expired. Answers the expired requests' ids; when the ACLs
/// cannot be deleted now, every due grant is left active for the next run. One read of the active grants and their
/// products, whatever the number of grants.
pub async fn expire_due(mesh: &Mesh, today: &str) -> Result<Vec<String>> {
    let active = mesh.catalog.access_in_state(AccessState::Active).await?;
    let products = products_of(mesh, &active).await?;
    let mut needs = Needs::of(&active, &products);
    let due: Vec<(&AccessRequest, &DataProduct)> = active
        .iter()
        .filter(|r| r.until.as_deref().is_some_and(|until| until < today))
        .filter_map(|r| products.get(&r.product).map(|product| (r, product)))
        .collect();
    if due.is_empty() {
        return Ok(Vec::new());
    }
    for (request, _) in &due {
        needs.remove(&distinct_bindings(request, &products));
    }
    // A grant whose bindings cannot be built never had any on the cluster: it just expires.
    let unneeded: Vec<AclBinding> = due
        .iter()
        .filter_map(|(request, product)| bindings_of(request, product).ok())
        .flat_map(|bindings| needs.unneeded(&bindings))
        .collect();
    if let Err(e) = mesh.kafka.revoke(&unneeded).await {
        tracing::warn!(grants = due.len(), error = %e, "expired grants' ACLs not deleted; the next sync retries");
        return Ok(Vec::new());
    }
    let mut expired = Vec::new();
    for (request, _) in due {
        let mut next = request.clone();
        next.state = AccessState::Expired;
        next.decided_by = Some("meshport".into());
        next.decided_at = Some(now());
        let summary =
            format!("access of team `{}` expired (until {})", request.team, request.until.as_deref().unwrap_or(""));
        match store(mesh, "meshport", next, Some(request.revision), summary).await {
            Ok(stored) => expired.push(stored.id),
            Err(e) => {
                tracing::warn!(request = %request.id, error = %e, "an expired grant not recorded; the next sync retries")
            }
        }
    }
    Ok(expired)
}

/// Finishes the grants a crash left approved, between storing the decision and storing the grant's outcome: their
/// ACLs are created again (a set: a second create changes nothing) and checked, and the outcome stored. Answers
/// the ids of the requests it finished.
pub async fn finish_approved(mesh: &Mesh) -> Result<Vec<String>> {
    let mut finished = Vec::new();
    for approved in mesh.catalog.access_in_state(AccessState::Approved).await? {
        let actor = approved.decided_by.clone().unwrap_or_else(|| "meshport".into());
        match grant(mesh, &actor, approved.clone()).await {
            Ok(stored) => finished.push(stored.id),
            Err(e) => {
                tracing::warn!(request = %approved.id, error = %e, "an approved grant not finished; the next sync retries")
            }
        }
    }
    Ok(finished)
}

/// What reconciling the grants with the cluster found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Grants past their end date, now expired.
    pub expired: Vec<String>,
    /// Approved requests a crash left without their grant, now granted (or failed).
    pub finished: Vec<String>,
    /// Active grants whose ACLs had vanished, now created again.
    pub repaired: Vec<String>,
    /// Bindings on products' topics that no grant explains, over all products.
    pub unmanaged: usize,
}

/// Reconciles every grant with the cluster, as sync does: expires those past `today`, finishes those a crash left
/// approved, re-creates the ACLs of active grants that vanished, and counts the bindings on products' topics that
/// no grant explains. The cluster's ACLs are read once (two DescribeAcls: every topic binding, every group binding),
/// the grants and products once, so the work grows with the number of grants, not its square.
pub async fn reconcile(mesh: &Mesh, today: &str) -> Result<Reconciliation> {
    let expired = expire_due(mesh, today).await?;
    let finished = finish_approved(mesh).await?;
    // Read after expiring and finishing, so the cluster's ACLs and the active grants are compared as they are now.
    let cluster = ClusterAcls::read(mesh).await?;
    let repaired = repair(mesh, &cluster).await?;
    let mut unmanaged = 0;
    let products = mesh.catalog.list_products().await?;
    let active = mesh.catalog.access_in_state(AccessState::Active).await?;
    let mut grants: HashMap<&ProductId, Vec<&AccessRequest>> = HashMap::new();
    for grant in &active {
        grants.entry(&grant.product).or_default().push(grant);
    }
    let trusted = mesh.kafka.trusted_principals();
    let mut owners: HashMap<TeamName, HashSet<String>> = HashMap::new();
    for product in products.iter().filter(|p| p.status != ProductStatus::Retired) {
        let on_topic = cluster.on_topic(&product.output_port.topic);
        if on_topic.is_empty() {
            continue;
        }
        if !owners.contains_key(&product.owner.team) {
            owners.insert(product.owner.team.clone(), team_principals(mesh, &product.owner.team).await?);
        }
        let granted = grants.get(&product.id).map(Vec::as_slice).unwrap_or_default();
        let explained = Explained::new(granted, product, &owners[&product.owner.team], &trusted);
        unmanaged += on_topic.iter().filter(|b| !explained.explains(b, product)).count();
    }
    Ok(Reconciliation { expired, finished, repaired, unmanaged })
}

/// Puts back the ACLs of active grants that vanished from the cluster (someone deleted them by hand, or the cluster
/// was rebuilt): each grant's bindings are checked, and the missing ones created again. Answers the ids of the grants
/// it repaired; a grant it cannot check or repair now is left for the next run.
pub async fn repair_active(mesh: &Mesh) -> Result<Vec<String>> {
    repair(mesh, &ClusterAcls::read(mesh).await?).await
}

async fn repair(mesh: &Mesh, cluster: &ClusterAcls) -> Result<Vec<String>> {
    let active = mesh.catalog.access_in_state(AccessState::Active).await?;
    let products = products_of(mesh, &active).await?;
    let vanished: Vec<(AccessRequest, DataProduct)> = active
        .into_iter()
        .filter_map(|request| {
            let product = products.get(&request.product)?;
            let whole = bindings_of(&request, product).is_ok_and(|b| b.iter().all(|b| cluster.has(b)));
            (!whole).then(|| (request, product.clone()))
        })
        .collect();
    Ok(repair_each(vanished, |(request, product)| {
        let mesh = mesh.clone();
        async move { repair_one(&mesh, request, &product).await }
    })
    .await)
}

/// How many repairs run at once.
const REPAIR_CONCURRENCY: usize = 16;

/// Runs `repair` on each of `broken`, `REPAIR_CONCURRENCY` at once (each waits until the cluster shows its change),
/// and answers what those that succeeded answer. Producers' write access is repaired the same way
/// (`accounts::repair_producers`).
pub(crate) async fn repair_each<I, T, F, Fut>(broken: Vec<I>, repair: F) -> Vec<T>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    let mut repaired = Vec::new();
    for item in broken {
        if tasks.len() >= REPAIR_CONCURRENCY
            && let Some(done) = tasks.join_next().await
        {
            repaired.extend(done.ok().flatten());
        }
        tasks.spawn(repair(item));
    }
    while let Some(done) = tasks.join_next().await {
        repaired.extend(done.ok().flatten());
    }
    repaired
}

/// Creates a vanished grant's ACLs again and records it in the product's history: the grant's id, or `None` when it
/// cannot be repaired now (the next run tries again).
async fn repair_one(mesh: &Mesh, request: AccessRequest, product: &DataProduct) -> Option<String> {
    if let Err(e) = create_acls(mesh, &request, product).await {
        tracing::warn!(request = %request.id, error = %e, "an active grant not repaired; the next sync retries");
        return None;
    }
    tracing::warn!(request = %request.id, "an active grant's ACLs had vanished from the cluster; created again");
    let entry = audit::entry(
        "meshport",
        &request.product,
        AuditAction::Access,
        format!("access of team `{}` repaired: its ACLs had vanished from the cluster", request.team),
        None,
        None,
    );
    if let Err(e) = mesh.catalog.record(entry).await {
        tracing::warn!(request = %request.id, error = %e, "a repaired grant not recorded");
    }
    Some(request.id)
}

/// The cluster's topic and group bindings, read once (two DescribeAcls); access reconciliation and the repair of
/// producers' write access (`accounts::repair_producers`) check bindings against it.
pub(crate) struct ClusterAcls {
    all: HashSet<AclBinding>,
    topics: Vec<AclBinding>,
}

impl ClusterAcls {
    pub(crate) async fn read(mesh: &Mesh) -> Result<Self> {
        let (topics, groups) =
            tokio::try_join!(mesh.kafka.acls_of(ResourceType::Topic), mesh.kafka.acls_of(ResourceType::Group))?;
        Ok(Self { all: topics.iter().chain(&groups).cloned().collect(), topics })
    }

    pub(crate) fn has(&self, binding: &AclBinding) -> bool {
        self.all.contains(binding)
    }

    /// The bindings that apply to `topic`: its literal ones, the wildcard's, and the prefixed ones it starts with.
    fn on_topic(&self, topic: &TopicName) -> Vec<&AclBinding> {
        self.topics.iter().filter(|b| applies_to(b, topic)).collect()
    }
}

/// Whether a topic binding applies to `topic`, as Kafka's authorizer matches names.
fn applies_to(binding: &AclBinding, topic: &TopicName) -> bool {
    match binding.pattern {
        PatternType::Literal => binding.name == topic.as_str() || binding.name == "*",
        PatternType::Prefixed => topic.as_str().starts_with(&binding.name),
        PatternType::Unknown => false,
    }
}

/// What explains a binding on a product's topic: the product's active grants, the owners' producers, Meshport
/// itself and the super users.
struct Explained<'a> {
    /// The bindings of the product's active grants.
    granted: HashSet<AclBinding>,
    /// The principals the owning team holds: their WRITE and DESCRIBE on the topic are the owners' producers'.
    owners: &'a HashSet<String>,
    /// Meshport's own principal and the cluster's super users.
    trusted: &'a [String],
}

impl<'a> Explained<'a> {
    fn new(
        grants: &[&AccessRequest],
        product: &DataProduct,
        owners: &'a HashSet<String>,
        trusted: &'a [String],
    ) -> Self {
        let granted = grants.iter().filter_map(|grant| bindings_of(grant, product).ok()).flatten().collect();
        Self { granted, owners, trusted }
    }

    fn explains(&self, binding: &AclBinding, product: &DataProduct) -> bool {
        self.trusted.contains(&binding.principal)
            || self.granted.contains(binding)
            || (self.owners.contains(&binding.principal)
                && crate::kafka::write_bindings(&product.output_port.topic, &binding.principal)
                    .is_ok_and(|producer| producer.contains(binding)))
    }
}

/// The principals `team` holds: its service accounts (registered, created, or claimed by its first access request).
async fn team_principals(mesh: &Mesh, team: &TeamName) -> Result<HashSet<String>> {
    Ok(mesh.catalog.team_accounts(team).await?.into_iter().map(|a| a.principal.as_str().to_owned()).collect())
}

/// The bindings on `product`'s topic that no grant explains, for its owners and org admins: read from the cluster
/// now (one DescribeAcls), so owners see what is in force.
pub async fn unmanaged(mesh: &Mesh, who: &Identity, id: &ProductId) -> Result<Vec<UnmanagedBinding>> {
    let product = mesh.catalog.get_product(id).await?.ok_or_else(|| no_product(id))?;
    require_owner(who, &product)?;
    let (on_topic, requests, owners) = tokio::try_join!(
        async { Ok::<_, Error>(mesh.kafka.acls_for_topic(&product.output_port.topic).await?) },
        async { Ok(mesh.catalog.product_access(id).await?) },
        team_principals(mesh, &product.owner.team),
    )?;
    let grants: Vec<&AccessRequest> = requests.iter().filter(|r| r.state == AccessState::Active).collect();
    let trusted = mesh.kafka.trusted_principals();
    let explained = Explained::new(&grants, &product, &owners, &trusted);
    Ok(on_topic
        .into_iter()
        .filter(|b| b.resource_type == ResourceType::Topic && !explained.explains(b, &product))
        .map(|b| UnmanagedBinding {
            principal: b.principal,
            operation: b.operation.as_str().to_ascii_lowercase(),
            permission: b.permission.as_str().to_ascii_lowercase(),
            pattern: b.pattern.as_str().to_ascii_lowercase(),
            resource: b.name,
            host: b.host,
        })
        .collect())
}

fn require_owner(who: &Identity, product: &DataProduct) -> Result<()> {
    if who.can_change(product) {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "only team `{}` (the product's owners) or org admins see who else has access to `{}`",
        product.owner.team, product.id
    )))
}

/// Ends every open request of a product that is being retired: active and failed grants lose their ACLs and are
/// revoked, requests not decided yet are denied, all with `reason`. Answers the ids of the requests it ended.
pub async fn end_all(mesh: &Mesh, actor: &str, product: &DataProduct, reason: &str) -> Result<Vec<String>> {
    let mut ended = Vec::new();
    for request in mesh.catalog.product_access(&product.id).await? {
        let Some(action) = ended_by_retirement(request.state) else { continue };
        if action == AccessAction::Revoke {
            delete_acls(mesh, &request, product).await?;
        }
        let mut next = request.clone();
        next.state = request.state.after(action).unwrap_or(request.state);
        next.decided_by = Some(actor.to_owned());
        next.decided_at = Some(now());
        next.reason = Some(reason.to_owned());
        let summary = format!("{} access of team `{}`: {reason}", past(action), request.team);
        ended.push(store(mesh, actor, next, Some(request.revision), summary).await?.id);
    }
    Ok(ended)
}

/// What retiring a product does to a request in `state`: grants are revoked, undecided requests denied.
fn ended_by_retirement(state: AccessState) -> Option<AccessAction> {
    match state {
        AccessState::Active | AccessState::Failed => Some(AccessAction::Revoke),
        AccessState::Requested => Some(AccessAction::Deny),
        _ => None,
    }
}

/// What retiring product `id` would end, for its owners (and org admins) to read before they retire it: the grants
/// [`end_all`] would revoke and the requests it would deny. Changes nothing.
pub async fn retirement(mesh: &Mesh, who: &Identity, id: &ProductId) -> Result<RetirementPreview> {
    let product = mesh.catalog.get_product(id).await?.ok_or_else(|| no_product(id))?;
    if !who.can_change(&product) {
        return Err(Error::Forbidden(format!(
            "only team `{}` (the product's owners) or org admins retire `{id}`",
            product.owner.team
        )));
    }
    let mut preview = RetirementPreview::default();
    for request in mesh.catalog.product_access(id).await? {
        match ended_by_retirement(request.state) {
            Some(AccessAction::Revoke) => preview.revoked.push(request),
            Some(_) => preview.denied.push(request),
            None => {}
        }
    }
    Ok(preview)
}

/// Asks, for the team holding grant `id`, for the same access to the product that replaces the grant's product (its
/// next major version, which evolve names as the replacement): the same principals, group, purpose and end date, as
/// a new request that the successor's owners decide on as on any other.
pub async fn request_successor(mesh: &Mesh, who: &Identity, id: &str) -> Result<AccessRequest> {
    let grant = mesh.catalog.get_access(id).await?.ok_or_else(|| no_request(id))?;
    if !who.teams.contains(&grant.team) {
        return Err(Error::Forbidden(format!(
            "only team `{}`, which holds this grant, may carry it over to a successor",
            grant.team
        )));
    }
    if grant.state != AccessState::Active {
        return Err(Error::Conflict(format!(
            "request `{id}` is {}: only an active grant carries over to a successor",
            grant.state.as_str()
        )));
    }
    let product = mesh.catalog.get_product(&grant.product).await?.ok_or_else(|| no_product(&grant.product))?;
    let Some(successor) = product.deprecation.as_ref().and_then(|d| d.replacement.clone()) else {
        return Err(Error::Conflict(format!(
            "product `{}` has no successor: it is not deprecated in favour of another product",
            product.id
        )));
    };
    let draft = AccessRequestDraft {
        team: grant.team,
        purpose: grant.purpose,
        principals: grant.principals,
        group: grant.group,
        group_pattern: grant.group_pattern,
        until: grant.until,
    };
    request(mesh, who, &successor, draft).await
}

/// Who reads `id`: the teams with an active grant, and each consumer group of the last sync joined to the grant
/// that covers it (a group no grant covers has none: the portal flags it).
pub async fn consumers(mesh: &Mesh, id: &ProductId) -> Result<ProductConsumers> {
    let product = mesh.catalog.get_product(id).await?.ok_or_else(|| no_product(id))?;
    let (topic, requests) =
        tokio::try_join!(mesh.catalog.topic(&product.output_port.topic), mesh.catalog.product_access(id))?;
    let active: Vec<&AccessRequest> = requests.iter().filter(|r| r.state == AccessState::Active).collect();
    let mut subscribers: Vec<TeamName> = active.iter().map(|r| r.team.clone()).collect();
    subscribers.sort();
    subscribers.dedup();
    let groups = topic
        .map(|t| t.consumers)
        .unwrap_or_default()
        .into_iter()
        .map(|consumer| ConsumerGrant {
            granted_to: active.iter().find(|r| covers(r, &consumer.group)).map(|r| r.team.clone()),
            group: consumer.group,
        })
        .collect();
    Ok(ProductConsumers { subscribers, groups })
}

/// Whether `grant`'s group binding lets consumers use `group`.
fn covers(grant: &AccessRequest, group: &str) -> bool {
    match grant.group_pattern {
        GroupPattern::Literal => grant.group.as_str() == group,
        GroupPattern::Prefixed => group.starts_with(grant.group.as_str()),
    }
}

/// Whether `who` may read `product`'s events through Meshport (its samples): its owning team, org admins, and the
/// teams with an active grant. Meshport never lends its own broker rights to anyone else.
pub async fn may_read(mesh: &Mesh, who: &Identity, product: &DataProduct) -> Result<bool> {
    if who.admin || who.teams.contains(&product.owner.team) {
        return Ok(true);
    }
    let requests = mesh.catalog.product_access(&product.id).await?;
    Ok(requests.iter().any(|r| r.state == AccessState::Active && who.teams.contains(&r.team)))
}

/// The requests for `product` that `who` may see: all of them for its owners and org admins, their own teams'
/// otherwise.
pub async fn for_product(mesh: &Mesh, who: &Identity, product: &ProductId) -> Result<Vec<AccessRequest>> {
    let stored = mesh.catalog.get_product(product).await?.ok_or_else(|| no_product(product))?;
    let all = mesh.catalog.product_access(product).await?;
    if who.admin || who.teams.contains(&stored.owner.team) {
        return Ok(all);
    }
    Ok(all.into_iter().filter(|r| who.teams.contains(&r.team)).collect())
}

/// The requests to the products of `who`'s teams: their inbox, newest first.
pub async fn inbox(mesh: &Mesh, who: &Identity) -> Result<Vec<AccessRequest>> {
    let mut requests = Vec::new();
    for team in &who.teams {
        requests.extend(mesh.catalog.inbox(team).await?);
    }
    if who.admin {
        // Org admins decide for every team, in a team or not: every request waiting for a decision or a retry.
        for state in [AccessState::Requested, AccessState::Failed] {
            requests.extend(mesh.catalog.access_in_state(state).await?);
        }
    }
    requests.sort_by(|a, b| b.id.cmp(&a.id));
    requests.dedup_by(|a, b| a.id == b.id);
    Ok(requests)
}

/// The requests of `who`'s teams: grants expiring soonest first, then the rest newest first.
pub async fn mine(mesh: &Mesh, who: &Identity) -> Result<Vec<AccessRequest>> {
    let mut requests = Vec::new();
    for team in &who.teams {
        requests.extend(mesh.catalog.team_access(team).await?);
    }
    requests.sort_by(|a, b| {
        let key =
            |r: &AccessRequest| (r.state != AccessState::Active, r.until.clone().unwrap_or_else(|| "9999".into()));
        key(a).cmp(&key(b)).then_with(|| b.id.cmp(&a.id))
    });
    Ok(requests)
}

fn require_role(who: &Identity, request: &AccessRequest, action: AccessAction) -> Result<()> {
    let member = |team: &TeamName| who.teams.contains(team);
    match action.taken_by() {
        AccessRole::Owners if member(&request.team) => Err(Error::Forbidden(format!(
            "you are in team `{}`, which asked: the product's owners decide on its request",
            request.team
        ))),
        AccessRole::Owners if who.admin || member(&request.owner_team) => Ok(()),
        AccessRole::Owners => Err(Error::Forbidden(format!(
            "only team `{}` (the product's owners) or org admins decide on this request",
            request.owner_team
        ))),
        AccessRole::Requesters if who.admin || member(&request.team) => Ok(()),
        AccessRole::Requesters => {
            Err(Error::Forbidden(format!("only team `{}`, which asked, may cancel this request", request.team)))
        }
        AccessRole::Meshport => {
            Err(Error::Forbidden(format!("only Meshport itself may {} a request", action.as_str())))
        }
    }
}

/// Stores a request's change with its audit entry in the product's history.
async fn store(
    mesh: &Mesh,
    actor: &str,
    request: AccessRequest,
    expected: Option<u64>,
    summary: String,
) -> Result<AccessRequest> {
    let entry = audit::entry(actor, &request.product, AuditAction::Access, summary, None, None);
    let stored = mesh.catalog.put_access(request, expected, entry.clone()).await.map_err(|e| match e {
        StoreError::AccessConflict { id, actual, .. } => Error::Stale(format!(
            "request `{id}` changed meanwhile (it is at revision {}): reload and try again",
            actual.map_or_else(|| "none".to_owned(), |r| r.to_string())
        )),
        other => other.into(),
    })?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(stored)
}

fn past(action: AccessAction) -> &'static str {
    match action {
        AccessAction::Approve => "approved",
        AccessAction::Deny => "denied",
        AccessAction::Cancel => "cancelled",
        AccessAction::Revoke => "revoked",
        AccessAction::Retry => "retried",
        AccessAction::Expire => "expired",
        AccessAction::Granted => "granted",
        AccessAction::GrantFailed => "failed",
    }
}

fn clip(text: &str) -> String {
    let mut clipped: String = text.chars().take(120).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}

fn no_product(id: &ProductId) -> Error {
    Error::NotFound(format!("no data product `{id}`"))
}

fn no_request(id: &str) -> Error {
    Error::NotFound(format!("no access request `{}`", clip(id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{AclOperation, write_bindings};

    fn topic(name: &str) -> TopicName {
        TopicName::parse(name).unwrap()
    }

    fn on_topic(name: &str, pattern: PatternType, principal: &str, operation: AclOperation) -> AclBinding {
        AclBinding::allow(ResourceType::Topic, name, pattern, principal, operation)
    }

    #[test]
    fn a_topic_binding_applies_as_the_authorizer_matches_names() {
        let orders = topic("orders.v2");
        let cases = [
            ("orders.v2", PatternType::Literal, true),
            ("*", PatternType::Literal, true),
            ("orders.v", PatternType::Literal, false),
            ("orders.", PatternType::Prefixed, true),
            ("orders.v2", PatternType::Prefixed, true),
            ("payments", PatternType::Prefixed, false),
            ("orders.v2", PatternType::Unknown, false),
        ];
        for (name, pattern, expected) in cases {
            let binding = on_topic(name, pattern, "User:x", AclOperation::Read);
            assert_eq!(applies_to(&binding, &orders), expected, "{name} {}", pattern.as_str());
        }
    }

    fn grant(group: &str, pattern: GroupPattern) -> AccessRequest {
        AccessRequest {
            id: "r1".into(),
            product: ProductId::parse("orders").unwrap(),
            owner_team: TeamName::parse("trading").unwrap(),
            team: TeamName::parse("edge").unwrap(),
            purpose: "p".into(),
            principals: vec![meshport_shared::Principal::parse("User:svc-fraud").unwrap()],
            group: meshport_shared::GroupName::parse(group).unwrap(),
            group_pattern: pattern,
            until: None,
            state: AccessState::Active,
            requested_by: "bob".into(),
            requested_at: "2026-12-05T10:00:00Z".into(),
            decided_by: None,
            decided_at: None,
            reason: None,
            revision: 2,
        }
    }

    #[test]
    fn a_grant_covers_its_literal_group_or_every_group_its_prefix_starts() {
        let cases = [
            (GroupPattern::Literal, "fraud", true),
            (GroupPattern::Literal, "fraud-eu", false),
            (GroupPattern::Prefixed, "fraud-eu", true),
            (GroupPattern::Prefixed, "fraud", true),
            (GroupPattern::Prefixed, "frau", false),
        ];
        for (pattern, group, expected) in cases {
            assert_eq!(covers(&grant("fraud", pattern), group), expected, "{pattern:?} {group}");
        }
    }

    #[test]
    fn grants_trusted_principals_and_the_owners_producers_explain_bindings_and_nothing_else_does() {
        let product =
            meshport_shared::testing::product("orders").topic("orders").domain("execution", "trading").build();
        let grant = grant("fraud", GroupPattern::Literal);
        let owners: HashSet<String> = ["User:svc-orders".to_owned()].into();
        let trusted = ["User:meshport".to_owned()];
        let explained = Explained::new(&[&grant], &product, &owners, &trusted);
        let read = |principal: &str| on_topic("orders", PatternType::Literal, principal, AclOperation::Read);
        let cases = [
            (read("User:svc-fraud"), true),
            (read("User:meshport"), true),
            (read("User:svc-legacy"), false),
            (write_bindings(&topic("orders"), "User:svc-orders").unwrap()[0].clone(), true),
            (read("User:svc-orders"), false),
            (write_bindings(&topic("orders"), "User:svc-fraud").unwrap()[0].clone(), false),
            (on_topic("ord", PatternType::Prefixed, "User:svc-fraud", AclOperation::Read), false),
        ];
        for (binding, expected) in cases {
            assert_eq!(explained.explains(&binding, &product), expected, "{binding}");
        }
    }
}
