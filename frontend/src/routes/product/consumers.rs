//! Who reads the product: the teams with an active grant (its subscribers), and the consumer groups with committed
//! offsets, each with the team whose grant covers it (or flagged when none does) and how far it has got.

use leptos::prelude::*;
use meshport_shared::access::ProductConsumers;
use meshport_shared::mirror::{Consumer, ConsumerPartition};

use super::{ScrollTable, columns};
use crate::api;

/// The subscribers, then one row per group: its team, its committed offset on each partition (of the partition's
/// end, where the sync read it), and how many events it has still to read. The groups come with the page; who they
/// are is read after it (`GET .../consumers`), and a part the API does not answer (a reader not signed in) is left
/// out.
#[component]
pub fn ConsumerList(product_id: String, consumers: Vec<Consumer>) -> impl IntoView {
    let joined = RwSignal::new(None::<ProductConsumers>);
    leptos::task::spawn_local(async move {
        if let Ok(answer) = api::product_consumers(&product_id).await {
            joined.try_set(Some(answer));
        }
    });
    let subscribers = move || {
        joined.with(|joined| match joined.as_ref().map(|j| &j.subscribers) {
            None => String::new(),
            Some(teams) if teams.is_empty() => "No team has an active grant to read it.".to_owned(),
            Some(teams) => format!(
                "Subscribers, the teams granted access: {}.",
                teams.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        })
    };
    let subscribers = view! { <p data-testid="consumer-subscribers">{subscribers}</p> };
    if consumers.is_empty() {
        return view! {
            {subscribers}
            <p class="muted" data-testid="consumers-empty">
                "No consumer group has committed offsets on this topic yet."
            </p>
        }
        .into_any();
    }
    let rows = consumers
        .into_iter()
        .map(|Consumer { group, partitions }| {
            let offsets = partitions.iter().map(offset).collect::<Vec<_>>().join(", ");
            let lag = lag(&partitions);
            let team = team_of(joined, group.clone());
            view! {
                <tr data-testid="consumer-row">
                    <th scope="row"><code data-testid="consumer-group">{group}</code></th>
                    <td data-testid="consumer-team">{team}</td>
                    <td data-testid="consumer-offsets">{offsets}</td>
                    <td data-testid="consumer-lag">{lag}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {subscribers}
        <ScrollTable
            label="Consumer groups"
            testid="consumers"
            columns=columns(&["Group", "Team", "Committed offset per partition (of its end)", "Lag"])
        >
            {rows}
        </ScrollTable>
    }
    .into_any()
}

/// The team whose grant covers `group`, or "no grant" flagged: its offsets are not explained by any grant (the
/// owners' own group, or access given outside Meshport). Empty until known.
fn team_of(joined: RwSignal<Option<ProductConsumers>>, group: String) -> impl IntoView {
    move || {
        joined.with(|joined| {
            let grant = joined.as_ref()?.groups.iter().find(|g| g.group == group).and_then(|g| g.granted_to.clone());
            Some(match grant {
                Some(team) => view! { <span>{team.to_string()}</span> }.into_any(),
                None => view! {
                    <strong class="consumer__ungranted" data-testid="consumer-ungranted">"no grant"</strong>
                }
                .into_any(),
            })
        })
    }
}

/// A partition's committed offset, of its end offset where known: "1: 7 of 10".
fn offset(p: &ConsumerPartition) -> String {
    let committed = p.committed.map_or_else(|| "none".to_owned(), |o| o.to_string());
    match p.end_offset {
        Some(end) => format!("{}: {committed} of {end}", p.partition),
        None => format!("{}: {committed}", p.partition),
    }
}

/// The group's lag over its partitions: exact (end minus committed) where the sync read both, and said to be partial
/// where some partition's is unknown.
fn lag(partitions: &[ConsumerPartition]) -> String {
    let lags: Vec<i64> =
        partitions.iter().filter_map(|p| p.lag.or_else(|| Some((p.end_offset? - p.committed?).max(0)))).collect();
    let behind = match lags.iter().sum::<i64>() {
        0 => "up to date".to_owned(),
        n => format!("{n} behind"),
    };
    match lags.len() {
        0 => "not reported".to_owned(),
        n if n == partitions.len() => behind,
        _ => format!("{behind} (some partitions unknown)"),
    }
}
