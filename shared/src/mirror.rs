//! What the catalog mirror knows about the cluster and the registry: topic facts, schema versions, consumers, and
//! the audit trail of every change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::names::{ProductId, TopicName};
use crate::product::SchemaFormat;

/// A topic as last seen on the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicFacts {
    pub name: TopicName,
    pub partitions: i32,
    pub replication_factor: i32,
    /// The topic's configuration as the cluster applies it: the topic's own values and the defaults it inherits.
    pub configs: BTreeMap<String, String>,
    /// Where each of `configs` comes from. Empty for topics mirrored before sources were recorded, or from a broker
    /// that does not say.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config_sources: BTreeMap<String, ConfigSource>,
    pub history: HistoryKind,
    /// False when the last sync did not find the topic on the cluster any more.
    pub present: bool,
    /// When the mirror last saw the topic (RFC 3339).
    pub synced_at: String,
    /// Consumer groups with committed offsets on the topic, as of `synced_at`.
    #[serde(default)]
    pub consumers: Vec<Consumer>,
}

/// Where a topic's config value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConfigSource {
    /// Set on the topic itself.
    Topic,
    /// Inherited from the cluster's broker configuration, set by its operators.
    Broker,
    /// Kafka's own default.
    Default,
}

impl ConfigSource {
    /// The source in words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Topic => "set on the topic",
            Self::Broker => "broker setting",
            Self::Default => "Kafka default",
        }
    }
}

/// How much of a topic's past a new consumer can read. On the wire `{"kind": "window", "retention_ms": 3600000}`:
/// an internally tagged enum, read through a flat struct ([`HistoryKindWire`]) because serde's own code for tagged
/// enums buffers the whole object first, which costs the portal's wasm several kilobytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[serde(try_from = "HistoryKindWire", into = "HistoryKindWire")]
pub enum HistoryKind {
    /// Every event ever written (`retention.ms = -1`).
    FullHistory,
    /// Events of the last `retention_ms` milliseconds.
    Window { retention_ms: i64 },
    /// The latest event per key (`cleanup.policy = compact`), kept forever.
    Compacted,
    /// Compacted, and also deleted after `retention_ms`.
    CompactedWindow { retention_ms: i64 },
    /// The topic sets no retention of its own: the broker's default applies.
    BrokerDefault,
}

/// [`HistoryKind`] as it travels: the tag, and the retention of the kinds that have one.
#[derive(Serialize, Deserialize)]
struct HistoryKindWire {
    kind: HistoryKindName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retention_ms: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HistoryKindName {
    FullHistory,
    Window,
    Compacted,
    CompactedWindow,
    BrokerDefault,
}

impl TryFrom<HistoryKindWire> for HistoryKind {
    type Error = &'static str;

    fn try_from(wire: HistoryKindWire) -> Result<Self, Self::Error> {
        use HistoryKindName as Name;
        Ok(match (wire.kind, wire.retention_ms) {
            (Name::FullHistory, _) => Self::FullHistory,
            (Name::Compacted, _) => Self::Compacted,
            (Name::BrokerDefault, _) => Self::BrokerDefault,
            (Name::Window, Some(retention_ms)) => Self::Window { retention_ms },
            (Name::CompactedWindow, Some(retention_ms)) => Self::CompactedWindow { retention_ms },
            (Name::Window | Name::CompactedWindow, None) => return Err("missing field `retention_ms`"),
        })
    }
}

impl From<HistoryKind> for HistoryKindWire {
    fn from(kind: HistoryKind) -> Self {
        let (kind, retention_ms) = match kind {
            HistoryKind::FullHistory => (HistoryKindName::FullHistory, None),
            HistoryKind::Window { retention_ms } => (HistoryKindName::Window, Some(retention_ms)),
            HistoryKind::Compacted => (HistoryKindName::Compacted, None),
            HistoryKind::CompactedWindow { retention_ms } => (HistoryKindName::CompactedWindow, Some(retention_ms)),
            HistoryKind::BrokerDefault => (HistoryKindName::BrokerDefault, None),
        };
        Self { kind, retention_ms }
    }
}

impl HistoryKind {
    /// Reads the history kind from a topic's `cleanup.policy` and `retention.ms`.
    pub fn from_configs(configs: &BTreeMap<String, String>) -> Self {
        let compacted = configs.get("cleanup.policy").is_some_and(|p| p.split(',').any(|p| p.trim() == "compact"));
        let deletes = configs.get("cleanup.policy").is_none_or(|p| p.split(',').any(|p| p.trim() == "delete"));
        let retention = configs.get("retention.ms").and_then(|r| r.trim().parse::<i64>().ok());
        match (compacted, deletes, retention) {
            (true, true, Some(ms)) if ms >= 0 => Self::CompactedWindow { retention_ms: ms },
            (true, _, _) => Self::Compacted,
            (false, _, Some(ms)) if ms < 0 => Self::FullHistory,
            (false, _, Some(ms)) => Self::Window { retention_ms: ms },
            (false, _, None) => Self::BrokerDefault,
        }
    }

    /// A phrase for people: "full history", "last 7 days", "latest per key".
    pub fn describe(self) -> String {
        match self {
            Self::FullHistory => "full history".into(),
            Self::Window { retention_ms } => format!("last {}", duration(retention_ms)),
            Self::Compacted => "latest per key (compacted)".into(),
            Self::CompactedWindow { retention_ms } => format!("latest per key, for {}", duration(retention_ms)),
            Self::BrokerDefault => "retention not reported by the broker".into(),
        }
    }
}

fn duration(ms: i64) -> String {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    match ms {
        ms if ms >= DAY && ms % DAY == 0 => plural(ms / DAY, "day"),
        ms if ms >= HOUR && ms % HOUR == 0 => plural(ms / HOUR, "hour"),
        ms if ms >= 60_000 && ms % 60_000 == 0 => plural(ms / 60_000, "minute"),
        ms => format!("{ms} ms"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

/// One registered version of a subject, as mirrored from the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaVersion {
    pub subject: String,
    pub version: i32,
    /// The registry's global schema id (the one in each record's wire-format header).
    pub id: i32,
    pub format: SchemaFormat,
    pub schema: String,
}

/// A consumer group reading a product's topic, and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consumer {
    pub group: String,
    pub partitions: Vec<ConsumerPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsumerPartition {
    pub partition: i32,
    pub committed: Option<i64>,
    /// The partition's log end offset (the offset the next event will get), when the sync could read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_offset: Option<i64>,
    /// Events not yet read: the log end offset minus the committed offset (never below zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag: Option<i64>,
}

/// What happened to a product, recorded with every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Published,
    Created,
    Updated,
    SchemaEvolved,
    Deprecated,
    Retired,
    Deleted,
    TopicDeleted,
    /// The topic's partitions, retention or cleanup policy changed.
    TopicChanged,
    Synced,
    /// A request for access to the product was made, decided, granted, revoked or expired (the summary says which).
    Access,
    /// A breaking schema change made the product's next major version, which deprecated this one.
    NewMajorVersion,
    /// Meshport reminded those concerned of a date coming: the product's sunset, or a grant's end.
    Reminded,
    /// A person started or stopped watching the product, or muted it (the summary says which).
    Watched,
    /// A breaking change was proposed to the product's subscribers, voted on, withdrawn or applied (the summary
    /// says which).
    SignOff,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Created => "created",
            Self::Updated => "updated",
            Self::SchemaEvolved => "schema_evolved",
            Self::Deprecated => "deprecated",
            Self::Retired => "retired",
            Self::Deleted => "deleted",
            Self::TopicDeleted => "topic_deleted",
            Self::TopicChanged => "topic_changed",
            Self::Synced => "synced",
            Self::Access => "access",
            Self::NewMajorVersion => "new_major_version",
            Self::Reminded => "reminded",
            Self::Watched => "watched",
            Self::SignOff => "sign_off",
        }
    }
}

/// How far a change had got when its entry was written. A change with a side effect on Kafka or the registry
/// (deleting or changing a topic, registering a schema) records its intent (`started`) before the side effect, and
/// its outcome after: `done` with the change itself, or `failed` when the side effect happened but the catalog
/// could not record the change. So the trail never misses a side effect, even one whose change failed halfway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditStage {
    Started,
    #[default]
    Done,
    Failed,
}

impl AuditStage {
    pub fn is_done(&self) -> bool {
        *self == Self::Done
    }
}

/// One entry of the audit log: who did what to which product, when, and what changed: `before` and `after` hold
/// only the product's top-level fields that differ (all of them when the product was created or removed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Sortable and unique: the RFC 3339 time followed by a random suffix.
    pub id: String,
    pub at: String,
    pub actor: String,
    pub product: ProductId,
    pub action: AuditAction,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "AuditStage::is_done")]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub stage: AuditStage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_kinds_travel_as_a_tag_with_the_retention_of_the_kinds_that_have_one() {
        let cases = [
            (HistoryKind::FullHistory, r#"{"kind":"full_history"}"#),
            (HistoryKind::Window { retention_ms: 3_600_000 }, r#"{"kind":"window","retention_ms":3600000}"#),
            (HistoryKind::Compacted, r#"{"kind":"compacted"}"#),
            (HistoryKind::CompactedWindow { retention_ms: 5 }, r#"{"kind":"compacted_window","retention_ms":5}"#),
            (HistoryKind::BrokerDefault, r#"{"kind":"broker_default"}"#),
        ];
        for (kind, json) in cases {
            assert_eq!(serde_json::to_string(&kind).unwrap(), json);
            assert_eq!(serde_json::from_str::<HistoryKind>(json).unwrap(), kind, "{json}");
        }
        let missing = serde_json::from_str::<HistoryKind>(r#"{"kind":"window"}"#).unwrap_err();
        assert!(missing.to_string().contains("missing field `retention_ms`"), "{missing}");
        assert!(serde_json::from_str::<HistoryKind>(r#"{"kind":"forever"}"#).is_err());
    }

    fn check(configs: &[(&str, &str)], expected: HistoryKind, words: &str) {
        let configs = configs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let kind = HistoryKind::from_configs(&configs);
        assert_eq!(kind, expected);
        assert_eq!(kind.describe(), words);
    }

    #[test]
    fn history_kind_follows_cleanup_policy_and_retention() {
        check(&[("retention.ms", "-1")], HistoryKind::FullHistory, "full history");
        check(
            &[("cleanup.policy", "delete"), ("retention.ms", "604800000")],
            HistoryKind::Window { retention_ms: 604_800_000 },
            "last 7 days",
        );
        check(&[("retention.ms", "3600000")], HistoryKind::Window { retention_ms: 3_600_000 }, "last 1 hour");
        check(&[("cleanup.policy", "compact")], HistoryKind::Compacted, "latest per key (compacted)");
        check(
            &[("cleanup.policy", "compact,delete"), ("retention.ms", "86400000")],
            HistoryKind::CompactedWindow { retention_ms: 86_400_000 },
            "latest per key, for 1 day",
        );
        check(&[], HistoryKind::BrokerDefault, "retention not reported by the broker");
        check(&[("retention.ms", "soon")], HistoryKind::BrokerDefault, "retention not reported by the broker");
    }
}
