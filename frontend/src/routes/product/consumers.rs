//! The consumer groups reading the product, and how far each has got.

use leptos::prelude::*;
use meshport_shared::mirror::Consumer;

use super::{ScrollTable, columns};

/// One row per group: its committed offset on each partition, and its lag where the broker reports one.
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
            let offsets = partitions
                .iter()
                .map(|p| match p.committed {
                    Some(offset) => format!("{}: {offset}", p.partition),
                    None => format!("{}: none", p.partition),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let lags: Vec<i64> = partitions.iter().filter_map(|p| p.lag).collect();
            let lag = match lags.len() {
                0 => "not reported".to_owned(),
                n if n == partitions.len() => lags.iter().sum::<i64>().to_string(),
                _ => format!("{} (some partitions unknown)", lags.iter().sum::<i64>()),
            };
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
            columns=columns(&["Group", "Committed offset per partition", "Lag"])
        >
            {rows}
        </ScrollTable>
    }
    .into_any()
}
