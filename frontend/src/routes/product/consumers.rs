//! The consumer groups reading the product, and how far each has got.

use leptos::prelude::*;
use meshport_shared::mirror::{Consumer, ConsumerPartition};

use super::{ScrollTable, columns};

/// One row per group: its committed offset on each partition (of the partition's end, where the sync read it), and
/// how many events it has still to read.
#[component]
pub fn ConsumerList(consumers: Vec<Consumer>) -> impl IntoView {
    if consumers.is_empty() {
        return view! {
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
            view! {
                <tr data-testid="consumer-row">
                    <th scope="row"><code data-testid="consumer-group">{group}</code></th>
                    <td data-testid="consumer-offsets">{offsets}</td>
                    <td data-testid="consumer-lag">{lag}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ScrollTable
            label="Consumer groups"
            testid="consumers"
            columns=columns(&["Group", "Committed offset per partition (of its end)", "Lag"])
        >
            {rows}
        </ScrollTable>
    }
    .into_any()
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
