//! The value schema's version history, and what changed between any two versions a reader picks.

use leptos::prelude::*;
use meshport_shared::api::VersionSummary;
use meshport_shared::schema::SchemaChange;

use super::{NumberChoice, Problem};
use crate::api;
use crate::components::feedback::Loading;

/// Every mirrored version, newest first, with a comparison of any two: by default the latest against the one
/// before it.
#[component]
pub fn SchemaVersions(product_id: String, versions: Vec<VersionSummary>) -> impl IntoView {
    let latest = versions.last().map(|v| v.version);
    let numbers: Vec<i32> = versions.iter().rev().map(|v| v.version).collect();
    let list = versions
        .iter()
        .rev()
        .map(|v| {
            let tag = (Some(v.version) == latest).then(|| view! { <span class="tag">"latest"</span> });
            view! {
                <li data-testid="schema-version-item" data-version=v.version.to_string()>
                    <span class="versions__number">{format!("Version {}", v.version)}</span>
                    <span class="muted">{format!(" · schema id {}", v.id)}</span>
                    " "
                    {tag}
                </li>
            }
        })
        .collect_view();
    let single = (numbers.len() == 1)
        .then(|| view! { <p class="muted" data-testid="diff-unavailable">"Only one version so far: nothing to compare yet."</p> });
    let compare = (numbers.len() >= 2).then(|| view! { <VersionDiff product_id numbers/> });
    view! {
        <div class="versions" data-testid="schema-versions">
            <h3 class="subhead">"Versions"</h3>
            <ul class="versions__list" role="list">{list}</ul>
            {compare}
            {single}
        </div>
    }
}

/// Two version pickers and the changes between them, each marked breaking or compatible.
#[component]
fn VersionDiff(
    product_id: String,
    /// Version numbers, newest first; at least two.
    numbers: Vec<i32>,
) -> impl IntoView {
    let from = RwSignal::new(numbers[1]);
    let to = RwSignal::new(numbers[0]);
    let compare = Action::new_local(move |&(from, to): &(i32, i32)| {
        let id = product_id.clone();
        async move { (from, to, api::schema_diff(&id, from, to).await) }
    });
    let same = move || from.get() == to.get();
    let choices: Vec<(i32, String)> = numbers.iter().map(|&n| (n, format!("Version {n}"))).collect();
    let result = move || {
        if compare.pending().get() {
            return view! { <Loading what="the changes"/> }.into_any();
        }
        match compare.value().get() {
            None => ().into_any(),
            Some((from, to, Ok(changes))) => view! { <ChangeList from to changes/> }.into_any(),
            Some((from, to, Err(error))) => view! {
                <Problem error>
                    <button type="button" class="button" on:click=move |_| {
                        compare.dispatch((from, to));
                    }>"Try again"</button>
                </Problem>
            }
            .into_any(),
        }
    };
    view! {
        <form
            class="diff-form"
            data-testid="diff-form"
            on:submit=move |event| {
                event.prevent_default();
                compare.dispatch((from.get_untracked(), to.get_untracked()));
            }
        >
            <NumberChoice label="From" testid="diff-from" choices=choices.clone() chosen=from/>
            <NumberChoice label="To" testid="diff-to" choices chosen=to/>
            <button type="submit" class="button" data-testid="diff-compare" disabled=same>"Compare"</button>
        </form>
        <p class="muted diff-hint" hidden=move || !same()>"Pick two different versions to compare."</p>
        <div class="diff-result" aria-live="polite">{result}</div>
    }
}

/// The changes from one version to another, breaking ones first.
#[component]
pub fn ChangeList(from: i32, to: i32, changes: Vec<SchemaChange>) -> impl IntoView {
    // A partition rather than a sort: it keeps the API's order within each group, and costs the bundle no sort.
    let (mut changes, compatible): (Vec<_>, Vec<_>) = changes.into_iter().partition(|change| change.breaking);
    let breaking = changes.len();
    changes.extend(compatible);
    let summary = match (changes.len(), breaking) {
        (0, _) => format!("No differences from version {from} to version {to}."),
        (n, 0) => format!("{} from version {from} to version {to}, none breaking.", changes_word(n)),
        (n, b) => format!("{} from version {from} to version {to}, {b} breaking.", changes_word(n)),
    };
    let items = changes
        .into_iter()
        .map(|change| {
            let (class, word) = if change.breaking { ("change--breaking", "breaking") } else { ("change--ok", "compatible") };
            let path = (!change.path.is_empty()).then(|| view! { <code class="change__path">{change.path}</code> });
            view! {
                <li class=format!("change {class}") data-testid="schema-change" data-breaking=change.breaking.to_string()>
                    <span class="change__verdict">{word}</span>
                    <span class="change__kind">{change.kind.as_str().replace('_', " ")}</span>
                    {path}
                    <p class="change__text">{change.description}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="diff" data-testid="schema-diff">
            <p class="diff__summary" data-testid="schema-diff-summary">{summary}</p>
            <ul class="changes" role="list">{items}</ul>
        </div>
    }
}

fn changes_word(n: usize) -> String {
    if n == 1 { "1 change".to_owned() } else { format!("{n} changes") }
}
