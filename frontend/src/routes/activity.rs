//! Activity: the newest changes across the mesh, from the audit log.

use std::sync::Arc;

use leptos::prelude::*;
use meshport_shared::mirror::AuditAction;
use serde::Deserialize;

use crate::api;
use crate::components::feedback::{Empty, Loaded, Loading, Show};

/// How many changes the page lists.
const SHOWN: usize = 100;

#[component]
pub fn Activity() -> impl IntoView {
    let show: Show = Arc::new(|answer| {
        let activity = api::read::<Changes>(answer)?;
        Ok(view! { <ActivityList entries=activity.items/> }.into_any())
    });
    view! {
        <section class="activity" aria-labelledby="page-title">
            <h1 id="page-title">"Activity"</h1>
            <p class="lede">"What changed in the mesh, newest first: who did it, to which product, and when."</p>
            <Loaded
                path=|| format!("/api/v1/activity?limit={SHOWN}")
                loading=|| view! { <Loading what="recent changes"/> }
                sign_in="Sign in to see what changed"
                show
            />
        </section>
    }
}

/// `GET /api/v1/activity` as the page reads it: the API's `Activity`, each entry a [`Change`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Changes {
    pub items: Vec<Change>,
}

/// One entry of the audit log as the reader's pages show it (Activity, a product's history): the API's `AuditEntry`
/// without what they never show (its id, and the product before and after as JSON), which the bundle then has no
/// decoder for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Change {
    pub at: String,
    pub actor: String,
    pub product: String,
    pub action: AuditAction,
    pub summary: String,
}

/// Audit entries as a feed; also used for one product's history.
#[component]
pub fn ActivityList(entries: Vec<Change>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <Empty title="Nothing has changed yet">"Publishing a product is the first change."</Empty> }
            .into_any();
    }
    let items = entries
        .into_iter()
        .map(|entry| {
            let Change { at, actor, product, action, summary } = entry;
            let when = readable_time(&at);
            view! {
                <li class="change" data-testid="activity-item">
                    <span class=format!("change__action change__action--{}", action.as_str())>{describe(action)}</span>
                    <a class="change__product" href=format!("/products/{product}")>{product.to_string()}</a>
                    <p class="change__summary">{summary}</p>
                    <p class="change__meta">
                        <span>{actor}</span>
                        " · "
                        <time datetime=at>{when}</time>
                    </p>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="changes" role="list" data-testid="activity">{items}</ol> }.into_any()
}

fn describe(action: AuditAction) -> &'static str {
    match action {
        AuditAction::Published => "Published",
        AuditAction::Created => "Created",
        AuditAction::Updated => "Updated",
        AuditAction::SchemaEvolved => "Schema evolved",
        AuditAction::Deprecated => "Deprecated",
        AuditAction::Retired => "Retired",
        AuditAction::Deleted => "Deleted",
        AuditAction::TopicDeleted => "Topic deleted",
        AuditAction::TopicChanged => "Topic changed",
        AuditAction::Synced => "Synced",
        AuditAction::Access => "Access",
        AuditAction::NewMajorVersion => "New major version",
        AuditAction::Reminded => "Reminded",
        AuditAction::Watched => "Watched",
        AuditAction::SignOff => "Sign-off",
    }
}

/// `2026-11-22T09:30:12.123Z` → `2026-11-22 09:30 UTC`: the minute is precise enough for a feed.
fn readable_time(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(day), Some(minute)) => format!("{day} {minute} UTC"),
        _ => at.to_owned(),
    }
}
