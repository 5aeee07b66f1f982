//! The audit trail: one entry for every change to a product, stored with the change itself, and published as an
//! event to `_meshport.audit` so other systems can react. Publishing is best effort: the catalog is the record.

use meshport_shared::{AuditAction, AuditEntry, DataProduct, ProductId, TopicName};

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
    let snapshot = |p: Option<&DataProduct>| p.and_then(|p| serde_json::to_value(p).ok());
    AuditEntry {
        id: format!("{at}-{suffix}"),
        at,
        actor: actor.to_owned(),
        product: product.clone(),
        action,
        summary: summary.into(),
        before: snapshot(before),
        after: snapshot(after),
    }
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
    const NEW_TOPIC_PAUSES_MS: [u64; 6] = [50, 100, 200, 400, 800, 1600];
    let value = serde_json::to_vec(entry)
        .map_err(|e| KafkaError::Unsupported { operation: "serializing an audit entry", reason: e.to_string() })?;
    let key = entry.product.as_str().as_bytes();
    let mut result = kafka.produce(topic, Some(key), &value).await;
    if let Err(KafkaError::UnknownTopic(_)) = result {
        let spec = NewTopic { name: topic.clone(), partitions: 1, replication_factor: -1, configs: Default::default() };
        match kafka.create_topic(&spec).await {
            Ok(()) | Err(KafkaError::TopicExists(_)) => {}
            Err(e) => return Err(e),
        }
        for pause in NEW_TOPIC_PAUSES_MS {
            result = kafka.produce(topic, Some(key), &value).await;
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
}
