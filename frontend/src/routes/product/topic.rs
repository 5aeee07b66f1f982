//! The product's topic as the cluster last reported it: partitions, and how much history a new consumer finds.

use leptos::prelude::*;
use meshport_shared::{ConfigSource, HistoryKind, TopicFacts};

use super::{Fact, When};

/// The topic's facts, or why there are none yet.
#[component]
pub fn TopicSummary(
    /// The topic the product's output port names, shown even before the first sync saw it.
    topic_name: String,
    topic: Option<TopicFacts>,
) -> impl IntoView {
    let Some(topic) = topic else {
        return view! {
            <p class="muted" data-testid="topic-unsynced">
                "Topic " <code>{topic_name}</code> " has not been synced yet: its facts appear after the next sync."
            </p>
        }
        .into_any();
    };
    let TopicFacts {
        name, partitions, replication_factor, configs, config_sources, history, present, synced_at, ..
    } = topic;
    // Where a value comes from, in words: set on the topic, or inherited from the cluster.
    let source = |key: &str| {
        config_sources.get(key).map(|source: &ConfigSource| {
            view! { <span class="facts__hint" data-testid=format!("source-{key}")>{source.describe()}</span> }
        })
    };
    let cleanup = configs.get("cleanup.policy").cloned().unwrap_or_else(|| "not reported".to_owned());
    let cleanup_source = source("cleanup.policy");
    let retention_ms =
        configs.get("retention.ms").map(|ms| view! { <span class="facts__hint">"retention.ms = " {ms.clone()}</span> });
    let retention_source = source("retention.ms");
    let gone = (!present).then(|| {
        view! {
            <p class="topic__gone" role="note" data-testid="topic-gone">
                "The last sync did not find this topic on the cluster."
            </p>
        }
    });
    view! {
        {gone}
        <dl class="facts topic__facts" data-testid="topic-facts">
            <Fact term="Topic"><code data-testid="topic-name">{name.to_string()}</code></Fact>
            <Fact term="History a new consumer can read" testid="topic-history">{history.describe()}</Fact>
            <Fact term="Partitions" testid="topic-partitions">{partitions}</Fact>
            <Fact term="Replication factor">{replication_factor}</Fact>
            <Fact term="Cleanup policy" testid="topic-cleanup"><code>{cleanup}</code> {cleanup_source}</Fact>
            <Fact term="Retention" testid="topic-retention">
                {retention(history)} {retention_ms} {retention_source}
            </Fact>
            <Fact term="Last synced"><When at=synced_at/></Fact>
        </dl>
    }
    .into_any()
}

/// How long events stay, in the words `HistoryKind` uses for time windows.
fn retention(history: HistoryKind) -> String {
    match history {
        HistoryKind::FullHistory => "forever".to_owned(),
        HistoryKind::Window { retention_ms } | HistoryKind::CompactedWindow { retention_ms } => {
            HistoryKind::Window { retention_ms }.describe()
        }
        HistoryKind::Compacted => "no time limit: the latest event per key is kept".to_owned(),
        HistoryKind::BrokerDefault => "not reported by the broker".to_owned(),
    }
}
