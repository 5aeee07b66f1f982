//! The audit trail: one entry for every change to a product, stored with the change itself, and published as an
//! event to `_meshport.audit` so other systems can react. Publishing is best effort: the catalog is the record.
//!
//! The topic carries the catalog's change events too, the same CloudEvents the feed (`GET /api/v1/events`) hands
//! out, in commit order, keyed by product: [`publish_events`], run by sync, produces those after the catalog's
//! `published` mark and moves it (at least once: a consumer deduplicates on the event's `id`, as with the feed). Tell
//! the two kinds of record apart by the CloudEvent's `specversion` attribute, which an audit entry has not; their
//! `source` is the catalog's URI reference (`/meshport/catalog`) rather than the deployment's address.

use meshport_shared::api::Activity;
use meshport_shared::{AuditAction, AuditEntry, AuditStage, DataProduct, ProductId, TopicName};
use serde_json::Value;

use crate::catalog::{CatalogStore, StoreError};
use crate::kafka::{KafkaAdmin, KafkaError, NewTopic};

/// The topic audit events are produced to.
pub const AUDIT_TOPIC: &str = "_meshport.audit";

/// A new entry, its id sortable by time (microseconds, then a random suffix against collisions).
pub fn entry(
    actor: &str,
    product: &ProductId,
    action: AuditAction,
    summary: impl Into<String>,
    before: Option<&DataProduct>,
    after: Option<&DataProduct>,
) -> AuditEntry {
    let now = jiff::Timestamp::now();
    let at = now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (before, after) = changes(before, after);
    AuditEntry {
        id: format!("{at}-{suffix}"),
        at,
        actor: actor.to_owned(),
        product: product.clone(),
        action,
        summary: summary.into(),
        before,
        after,
        stage: AuditStage::Done,
    }
}

/// The intent of a change with a side effect, recorded before the side effect.
pub fn started(actor: &str, product: &DataProduct, action: AuditAction, summary: impl Into<String>) -> AuditEntry {
    AuditEntry { stage: AuditStage::Started, ..entry(actor, &product.id, action, summary, None, None) }
}

/// The outcome of a change whose side effect happened but whose catalog change did not.
pub fn failed(actor: &str, product: &DataProduct, action: AuditAction, summary: impl Into<String>) -> AuditEntry {
    AuditEntry { stage: AuditStage::Failed, ..entry(actor, &product.id, action, summary, None, None) }
}

/// What a change changed: the top-level fields of the product that differ, as they were and as they are (the whole
/// product on the side that exists when one side does not). The revision and the update time change every time and
/// say nothing an entry's own time does not.
fn changes(before: Option<&DataProduct>, after: Option<&DataProduct>) -> (Option<Value>, Option<Value>) {
    let fields = |p: Option<&DataProduct>| match p.map(serde_json::to_value) {
        Some(Ok(Value::Object(fields))) => Some(fields),
        _ => None,
    };
    match (fields(before), fields(after)) {
        (Some(mut old), Some(mut new)) => {
            let unchanged: Vec<String> = old
                .iter()
                .filter(|(key, value)| {
                    matches!(key.as_str(), "revision" | "updated_at") || new.get(key.as_str()) == Some(value)
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in unchanged {
                old.remove(&key);
                new.remove(&key);
            }
            new.retain(|key, _| !matches!(key.as_str(), "revision" | "updated_at"));
            (Some(Value::Object(old)), Some(Value::Object(new)))
        }
        (old, new) => (old.map(Value::Object), new.map(Value::Object)),
    }
}

/// The most an answer of audit entries may weigh, in bytes of JSON: well under what Lambda may answer (6 MB).
pub const PAGE_BYTES: usize = 1024 * 1024;

/// The entries, newest first, as many as fit in [`PAGE_BYTES`] (always the first), saying whether some were left out.
pub fn page(entries: Vec<AuditEntry>) -> Activity {
    let mut budget = PAGE_BYTES;
    let mut items = Vec::with_capacity(entries.len());
    let total = entries.len();
    for entry in entries {
        let size = serde_json::to_vec(&entry).map_or(usize::MAX, |bytes| bytes.len());
        if size > budget && !items.is_empty() {
            break;
        }
        budget = budget.saturating_sub(size);
        items.push(entry);
    }
    Activity { truncated: items.len() < total, items }
}

/// Produces `entry` to the audit topic, creating the topic the first time. Failures are logged, never raised: the
/// change is already safely in the catalog.
pub async fn publish(kafka: &KafkaAdmin, entry: &AuditEntry) {
    let Ok(topic) = TopicName::parse(AUDIT_TOPIC) else { return };
    if let Err(e) = publish_to(kafka, &topic, entry).await {
        tracing::warn!(entry = %entry.id, error = %e, "audit event not published to {AUDIT_TOPIC}");
    }
}

/// Produces `entry` to `topic`, keyed by product, creating the topic when the broker does not know it. A topic just
/// created takes a moment to reach the producer's metadata, so producing is retried a few times, briefly.
pub async fn publish_to(kafka: &KafkaAdmin, topic: &TopicName, entry: &AuditEntry) -> Result<(), KafkaError> {
    let value = serde_json::to_vec(entry)
        .map_err(|e| KafkaError::Unsupported { operation: "serializing an audit entry", reason: e.to_string() })?;
    produce(kafka, topic, entry.product.as_str().as_bytes(), &value).await
}

/// Events produced to the audit topic per run of [`publish_events_to`].
const EVENT_BATCH: usize = 256;

/// Why the catalog's events did not all reach the audit topic.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Catalog(#[from] StoreError),
}

/// Produces the catalog's events not yet on `_meshport.audit` and moves the mark past them; answers how many.
pub async fn publish_events(catalog: &dyn CatalogStore, kafka: &KafkaAdmin) -> Result<usize, PublishError> {
    let Ok(topic) = TopicName::parse(AUDIT_TOPIC) else { return Ok(0) };
    publish_events_to(catalog, kafka, &topic).await
}

/// [`publish_events`] to `topic`: up to [`EVENT_BATCH`] events after the catalog's `published` mark, each as its
/// CloudEvent keyed by product, in order; the mark moves past those produced, on condition no other process moved
/// it meanwhile. An event that cannot be produced stops the run, to be tried again the next.
pub async fn publish_events_to(
    catalog: &dyn CatalogStore,
    kafka: &KafkaAdmin,
    topic: &TopicName,
) -> Result<usize, PublishError> {
    let from = catalog.published().await?;
    let events = catalog.events_after(from, EVENT_BATCH).await?;
    let Some(last) = events.last().map(|e| e.seq) else { return Ok(0) };
    for event in &events {
        let value = serde_json::to_vec(event)
            .map_err(|e| KafkaError::Unsupported { operation: "serializing an event", reason: e.to_string() })?;
        produce(kafka, topic, event.subject.as_bytes(), &value).await?;
    }
    catalog.advance_published(from, last).await?;
    Ok(events.len())
}

/// Produces one record to `topic`, creating the topic when the broker does not know it. A topic just created takes a
/// moment to reach the producer's metadata, so producing is retried a few times, briefly.
async fn produce(kafka: &KafkaAdmin, topic: &TopicName, key: &[u8], value: &[u8]) -> Result<(), KafkaError> {
    const NEW_TOPIC_PAUSES_MS: [u64; 6] = [50, 100, 200, 400, 800, 1600];
    let mut result = kafka.produce(topic, Some(key), value).await;
    if let Err(KafkaError::UnknownTopic(_)) = result {
        let spec = NewTopic { name: topic.clone(), partitions: 1, replication_factor: -1, configs: Default::default() };
        match kafka.create_topic(&spec).await {
            Ok(()) | Err(KafkaError::TopicExists(_)) => {}
            Err(e) => return Err(e),
        }
        for pause in NEW_TOPIC_PAUSES_MS {
            result = kafka.produce(topic, Some(key), value).await;
            if !matches!(result, Err(KafkaError::UnknownTopic(_))) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
    }
    result.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_sort_in_time_order_and_never_collide() {
        let id = ProductId::parse("users").unwrap();
        let entries: Vec<AuditEntry> =
            (0..200).map(|_| entry("alice", &id, AuditAction::Updated, "renamed", None, None)).collect();
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "ids are unique");
        assert!(entries.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(
            entries[0].at.len(),
            "2026-11-22T00:00:00.000000Z".len(),
            "fixed width, so text order is time order"
        );
    }

    #[test]
    fn an_entry_keeps_only_what_changed() {
        let before = meshport_shared::testing::product("users").build();
        let mut after = before.clone();
        after.name = "Members".into();
        after.revision += 1;
        after.updated_at = "2027-01-01T00:00:00Z".into();

        let changed = entry("alice", &before.id, AuditAction::Updated, "renamed", Some(&before), Some(&after));
        let created = entry("alice", &before.id, AuditAction::Created, "created", None, Some(&after));

        assert_eq!(changed.before, Some(serde_json::json!({ "name": before.name })));
        assert_eq!(changed.after, Some(serde_json::json!({ "name": "Members" })));
        assert_eq!(created.after.unwrap()["output_port"]["topic"], "users", "a new product is kept whole");
    }

    #[test]
    fn a_page_of_entries_stays_within_its_size_budget_and_says_it_was_cut() {
        let id = ProductId::parse("users").unwrap();
        let big = "x".repeat(PAGE_BYTES / 4);
        let entries: Vec<AuditEntry> =
            (0..10).map(|_| entry("alice", &id, AuditAction::Updated, &big, None, None)).collect();
        let small: Vec<AuditEntry> = entries.iter().take(2).cloned().collect();

        let page = page(entries);

        assert_eq!(page.items.len(), 3, "as many as fit");
        assert!(page.truncated);
        assert!(serde_json::to_vec(&page).unwrap().len() <= PAGE_BYTES + 1024);
        assert!(!super::page(small).truncated);
        let huge = entry("alice", &id, AuditAction::Updated, "x".repeat(2 * PAGE_BYTES), None, None);
        assert_eq!(super::page(vec![huge]).items.len(), 1, "the newest is always there, however big");
    }
}
