//! Mirror sync: reconciles the catalog with the cluster and the registry.
//!
//! New topics appear in the mirror (and so become publishable), changed partitions or configs are updated, topics
//! that vanished stay mirrored as `present: false` (their products are flagged, never silently dropped), and schema
//! versions the mirror lacks are copied in. It is idempotent: a second run with nothing changed writes nothing and
//! reports nothing. It also reconciles access grants (`access::reconcile`), gives producers back the write access they
//! lack (`accounts::repair_producers`) and sends the reminders due (`reminders`). It runs on a schedule (EventBridge
//! in the cloud, a background task locally) and on demand.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use meshport_shared::mirror::{Consumer, ConsumerPartition};
use meshport_shared::{HistoryKind, ProductId, SchemaVersion, TopicFacts, TopicName};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::error::Error;
use crate::kafka::TopicInfo;
use crate::mesh::Mesh;
use crate::registry::{RegistryClient, RegistryError, VersionRef};

/// How many registry requests sync keeps in flight.
const REGISTRY_CONCURRENCY: usize = 16;

/// What one sync changed in the mirror.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SyncReport {
    pub topics_added: Vec<String>,
    pub topics_changed: Vec<String>,
    pub topics_vanished: Vec<String>,
    /// Topics whose consumer groups or committed offsets moved.
    pub consumers_changed: usize,
    /// `subject` `v<version>` pairs newly mirrored.
    pub schema_versions_added: Vec<String>,
    /// Products whose topic is not on the cluster any more.
    pub products_without_topic: Vec<ProductId>,
    /// Topics or subjects two products hold, found when a catalog from before claims got its claim records: people
    /// must settle which product keeps it (retire the other).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claim_clashes: Vec<String>,
    /// Access requests whose end date passed: their ACLs deleted, the requests expired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_expired: Vec<String>,
    /// Approved requests a crash left without their grant, now granted (or failed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_finished: Vec<String>,
    /// Active grants whose ACLs had vanished from the cluster, now created again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_repaired: Vec<String>,
    /// Live products whose owning team's producer accounts lacked write access to their topic (a grant that failed,
    /// or ACLs deleted behind Meshport's back), now granted it again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub producers_repaired: Vec<ProductId>,
    /// ACLs on products' topics that no grant explains (not Meshport's, a super user's or the owners' producers'):
    /// access given outside Meshport, which each product's owners see at `GET /api/v1/products/{id}/access/unmanaged`.
    #[serde(skip_serializing_if = "is_zero")]
    pub access_unmanaged: usize,
    /// Reminders sent: a deprecated product's sunset to the teams still consuming it, a grant's end to its team.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reminders: Vec<String>,
    /// Breaking changes signed off (every subscriber approved, or the grace period ended without objection) and
    /// now applied: the ids of their proposals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proposals_applied: Vec<String>,
    /// Change events produced to `_meshport.audit` (`audit::publish_events`).
    #[serde(skip_serializing_if = "is_zero")]
    pub events_published: usize,
    pub duration_ms: f64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl SyncReport {
    pub fn changed_anything(&self) -> bool {
        !(self.topics_added.is_empty()
            && self.topics_changed.is_empty()
            && self.topics_vanished.is_empty()
            && self.schema_versions_added.is_empty()
            && self.consumers_changed == 0
            && self.access_expired.is_empty()
            && self.access_finished.is_empty()
            && self.access_repaired.is_empty()
            && self.producers_repaired.is_empty()
            && self.reminders.is_empty()
            && self.proposals_applied.is_empty())
    }
}

pub async fn run_once(mesh: &Mesh) -> Result<SyncReport, Error> {
    let started = Instant::now();
    let now = jiff::Timestamp::now().to_string();
    let mut report = SyncReport::default();

    // Once per catalog: products stored before claims were enforced get their claim records.
    for clash in mesh.catalog.backfill_claims().await? {
        tracing::warn!(claim = %clash.claim, holder = %clash.holder, other = %clash.other, "two products claim the same");
        report
            .claim_clashes
            .push(format!("{} is held by `{}` and also claimed by `{}`", clash.claim, clash.holder, clash.other));
    }

    let cluster = mesh.kafka.topics().await?;
    let consumers = consumers_by_topic(mesh, &cluster).await?;
    let mirrored: BTreeMap<String, TopicFacts> =
        mesh.catalog.list_topics().await?.into_iter().map(|t| (t.name.to_string(), t)).collect();
    let mut writes = Vec::new();
    let mut seen = BTreeSet::new();
    for info in cluster.iter().filter(|t| !is_system_topic(&t.name)) {
        let Ok(mut facts) = facts_of(info, &now) else { continue };
        facts.consumers = consumers.get(&info.name).cloned().unwrap_or_default();
        seen.insert(info.name.clone());
        match mirrored.get(&info.name) {
            None => report.topics_added.push(info.name.clone()),
            Some(old) if !same_topic(old, &facts) => report.topics_changed.push(info.name.clone()),
            Some(old) if old.consumers != facts.consumers => report.consumers_changed += 1,
            Some(_) => continue,
        }
        writes.push(facts);
    }
    for (name, old) in &mirrored {
        if old.present && !seen.contains(name) {
            report.topics_vanished.push(name.clone());
            writes.push(TopicFacts { present: false, synced_at: now.clone(), ..old.clone() });
        }
    }
    if !writes.is_empty() {
        mesh.catalog.put_topics(writes).await?;
    }

    let heads: Vec<(String, i32)> =
        mesh.catalog.all_schema_versions().await?.into_iter().map(|v| (v.subject, v.version)).collect();
    let missing = missing_versions(&mesh.registry, &heads).await?;
    report.schema_versions_added = missing.iter().map(|v| format!("{} v{}", v.subject, v.version)).collect();
    if !missing.is_empty() {
        mesh.catalog.put_schema_versions(missing).await?;
    }

    let vanished: BTreeSet<&str> = mirrored
        .values()
        .filter(|t| !t.present)
        .map(|t| t.name.as_str())
        .chain(report.topics_vanished.iter().map(String::as_str))
        .collect();
    report.products_without_topic = mesh
        .catalog
        .list_products()
        .await?
        .into_iter()
        .filter(|p| vanished.contains(p.output_port.topic.as_str()))
        .map(|p| p.id)
        .collect();
    // Access grants: those past their end date lose their ACLs; those a crash left approved get them; those whose
    // ACLs vanished get them back; bindings on products' topics that no grant explains are counted.
    let access = crate::access::reconcile(mesh, &crate::access::today()).await?;
    report.access_expired = access.expired;
    report.access_finished = access.finished;
    report.access_repaired = access.repaired;
    report.access_unmanaged = access.unmanaged;
    // The owning teams' producers get back the write access they lack on live products' topics.
    report.producers_repaired = crate::accounts::repair_producers(mesh).await?;
    // After expiry, so a grant that just ended is reminded of nothing.
    report.reminders = crate::reminders::send_due(mesh, &crate::access::today()).await?;
    // Breaking changes whose grace period ended without objection take effect, as do those approved but not applied.
    report.proposals_applied = crate::proposals::apply_due(mesh, &crate::access::today()).await?;
    // The catalog's events, the reminders' included, to `_meshport.audit`: best effort, as every publication there.
    match crate::audit::publish_events(&*mesh.catalog, &mesh.kafka).await {
        Ok(published) => report.events_published = published,
        Err(e) => tracing::warn!(error = %e, "events not published to the audit topic; the next sync tries again"),
    }

    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// Runs sync every `interval` until the process ends (the local server's schedule).
pub async fn every(mesh: Mesh, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        match run_once(&mesh).await {
            Ok(report) if report.changed_anything() => tracing::info!(?report, "mirror synced"),
            Ok(_) => tracing::debug!("mirror sync: nothing changed"),
            Err(e) => tracing::warn!(error = %e, "mirror sync failed; retrying at the next tick"),
        }
    }
}

/// Every consumer group's committed offsets, by topic: one OffsetFetch per group for all topics at once.
async fn consumers_by_topic(mesh: &Mesh, cluster: &[TopicInfo]) -> Result<BTreeMap<String, Vec<Consumer>>, Error> {
    let topics: Vec<(TopicName, i32)> = cluster
        .iter()
        .filter(|t| !is_system_topic(&t.name))
        .filter_map(|t| TopicName::parse(t.name.clone()).ok().map(|name| (name, t.partitions)))
        .collect();
    let mut by_topic: BTreeMap<String, Vec<Consumer>> = BTreeMap::new();
    // High watermarks, asked once per topic that has a consumer, for the lag.
    let mut watermarks: BTreeMap<String, BTreeMap<i32, i64>> = BTreeMap::new();
    for group in mesh.kafka.consumer_groups().await? {
        let mut partitions: BTreeMap<String, Vec<ConsumerPartition>> = BTreeMap::new();
        for (topic, partition, offset) in mesh.kafka.group_offsets(&group, &topics).await? {
            if !watermarks.contains_key(&topic)
                && let Some((name, count)) = topics.iter().find(|(name, _)| name.as_str() == topic)
            {
                // Without watermarks the lag is unknown, not zero: the offsets are still worth showing.
                let highs = mesh.kafka.high_watermarks(name, *count).await.unwrap_or_default();
                watermarks.insert(topic.clone(), highs.into_iter().collect());
            }
            let end = watermarks.get(&topic).and_then(|highs| highs.get(&partition)).copied();
            partitions.entry(topic).or_default().push(ConsumerPartition {
                partition,
                committed: Some(offset),
                end_offset: end,
                lag: lag(offset, end),
            });
        }
        for (topic, mut partitions) in partitions {
            partitions.sort_by_key(|p| p.partition);
            by_topic.entry(topic).or_default().push(Consumer { group: group.clone(), partitions });
        }
    }
    Ok(by_topic)
}

/// How many records a group has yet to read on a partition: the log end offset minus its committed offset. A commit
/// past the end (a group may commit any offset, and a recreated topic starts again from zero) has nothing left to
/// read, so the lag is never negative; without an end offset it is unknown.
pub fn lag(committed: i64, end_offset: Option<i64>) -> Option<i64> {
    end_offset.map(|end| (end - committed.max(0)).max(0))
}

/// Topics of Kafka's, the registry's or ours, which are never data products.
pub fn is_system_topic(name: &str) -> bool {
    name.starts_with('_')
}

fn facts_of(info: &TopicInfo, now: &str) -> Result<TopicFacts, meshport_shared::NameError> {
    Ok(TopicFacts {
        name: TopicName::parse(info.name.clone())?,
        partitions: info.partitions,
        replication_factor: info.replication_factor,
        history: HistoryKind::from_configs(&info.configs),
        configs: info.configs.clone(),
        config_sources: info.config_sources.clone(),
        present: true,
        synced_at: now.to_owned(),
        consumers: Vec::new(),
    })
}

/// Equal but for when they were seen and who consumes them.
fn same_topic(a: &TopicFacts, b: &TopicFacts) -> bool {
    a.present == b.present
        && a.partitions == b.partitions
        && a.replication_factor == b.replication_factor
        && a.configs == b.configs
        && a.config_sources == b.config_sources
}

/// Every registered version the mirror does not hold yet, fetched with bounded concurrency.
async fn missing_versions(
    registry: &RegistryClient,
    mirrored: &[(String, i32)],
) -> Result<Vec<SchemaVersion>, RegistryError> {
    let mirrored: BTreeSet<(&str, i32)> = mirrored.iter().map(|(s, v)| (s.as_str(), *v)).collect();
    let subjects = registry.subjects().await?;
    let versions = bounded(subjects, |subject| {
        let registry = registry.clone();
        async move {
            match registry.versions(&subject).await {
                Ok(versions) => Ok(versions.into_iter().map(|v| (subject.clone(), v)).collect::<Vec<_>>()),
                // Deleted between listing and reading: nothing to mirror.
                Err(RegistryError::SubjectNotFound(_)) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }
    })
    .await?;
    let wanted: Vec<(String, i32)> =
        versions.into_iter().flatten().filter(|(s, v)| !mirrored.contains(&(s.as_str(), *v))).collect();
    let fetched = bounded(wanted, |(subject, version)| {
        let registry = registry.clone();
        async move {
            match registry.version(&subject, VersionRef::Number(version)).await {
                Ok(v) => Ok(Some(SchemaVersion {
                    subject: v.subject,
                    version: v.version,
                    id: v.id,
                    format: v.format,
                    schema: v.schema,
                })),
                Err(RegistryError::SubjectNotFound(_) | RegistryError::VersionNotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        }
    })
    .await?;
    Ok(fetched.into_iter().flatten().collect())
}

/// Runs `work` over `inputs` with at most `REGISTRY_CONCURRENCY` in flight, keeping input order.
async fn bounded<I, T, F, Fut>(inputs: Vec<I>, work: F) -> Result<Vec<T>, RegistryError>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T, RegistryError>> + Send + 'static,
    T: Send + 'static,
{
    let mut results: Vec<Option<T>> = Vec::with_capacity(inputs.len());
    let mut tasks = JoinSet::new();
    for (index, input) in inputs.into_iter().enumerate() {
        results.push(None);
        if tasks.len() >= REGISTRY_CONCURRENCY
            && let Some(done) = tasks.join_next().await
        {
            let (i, value) = done.map_err(|e| RegistryError::Unavailable(e.to_string()))?;
            results[i] = Some(value?);
        }
        let future = work(input);
        tasks.spawn(async move { (index, future.await) });
    }
    while let Some(done) = tasks.join_next().await {
        let (i, value) = done.map_err(|e| RegistryError::Unavailable(e.to_string()))?;
        results[i] = Some(value?);
    }
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::lag;

    #[test]
    fn lag_is_what_is_left_to_read_never_negative_and_unknown_without_an_end_offset() {
        let cases = [
            (10, Some(25), Some(15)),
            (25, Some(25), Some(0)),
            (30, Some(25), Some(0)),
            (10, None, None),
            (0, Some(25), Some(25)),
        ];
        for (committed, end, expected) in cases {
            assert_eq!(lag(committed, end), expected, "committed {committed}, end offset {end:?}");
        }
    }
}
