//! The product's audit history: who changed what, and when, newest first.

use leptos::prelude::*;

use super::When;
use crate::routes::activity::Change;

#[component]
pub fn AuditHistory(entries: Vec<Change>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="muted" data-testid="history-empty">"No changes recorded yet."</p> }.into_any();
    }
    let items = entries
        .into_iter()
        .map(|Change { at, actor, action, summary, .. }| {
            view! {
                <li class="history__entry" data-testid="history-entry">
                    <span class="history__when"><When at/></span>
                    <span class="history__what">
                        <span class="history__action" data-testid="history-action">{action.as_str().replace('_', " ")}</span>
                        " by "
                        <span class="history__actor" data-testid="history-actor">{actor}</span>
                    </span>
                    <span class="history__summary" data-testid="history-summary">{summary}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="history" role="list">{items}</ol> }.into_any()
}
