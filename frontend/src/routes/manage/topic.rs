//! Changing a product topic's settings: more partitions, another retention or cleanup policy. Each field is checked
//! as it changes with the policy's own topic limits (`TopicLimits`, the API's check), and only what changed is sent,
//! with the revision read.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use meshport_shared::api::TopicChangeRequest;
use meshport_shared::policy::CLEANUP_POLICIES;
use meshport_shared::{ConfigSource, DataProduct, TopicLimits};
use serde::Deserialize;

use super::{Call, ChangeError, ChangeSection, Managed, Policy, failure, field_message};
use crate::api;
use crate::components::form::{FieldError, Problems, fixed_options, focus, invalid_if};
use crate::reactive::{live, live_text};

const PARTITIONS: &str = "topic-settings-partitions";
const RETENTION: &str = "topic-settings-retention";
const RETENTION_AMOUNT: &str = "topic-settings-retention-amount";
const CLEANUP: &str = "topic-settings-cleanup";

/// Links the API's violations of a topic change to the controls they concern.
const FIELDS: &[(&str, &str)] = &[("partitions", PARTITIONS), ("retention_ms", RETENTION), ("cleanup_policy", CLEANUP)];

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The retentions offered at a click, in milliseconds (`-1` keeps everything); any other is typed in hours or days.
const RETENTIONS: [i64; 4] = [-1, DAY, 7 * DAY, 30 * DAY];

/// The retention choice that keeps the topic's retention as it is, offered when it is none of the others.
const AS_NOW: &str = "now";
/// The retention choices whose amount is typed, in hours or in days.
const HOURS: &str = "hours";
const DAYS: &str = "days";

/// What this section reads of the topic as last synced (the shared `TopicFacts`, in the product's detail).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct SyncedTopic {
    partitions: i32,
    configs: BTreeMap<String, String>,
    #[serde(default)]
    config_sources: BTreeMap<String, ConfigSource>,
    present: bool,
}

/// The topic's settings as the mirror last read them, with where each config comes from.
#[derive(Debug, Clone, PartialEq)]
struct Current {
    present: bool,
    partitions: i32,
    retention_ms: Option<i64>,
    retention_source: Option<ConfigSource>,
    cleanup_policy: Option<String>,
    cleanup_source: Option<ConfigSource>,
}

impl Current {
    fn of(topic: &SyncedTopic) -> Self {
        Self {
            present: topic.present,
            partitions: topic.partitions,
            retention_ms: topic.configs.get("retention.ms").and_then(|ms| ms.trim().parse().ok()),
            retention_source: topic.config_sources.get("retention.ms").copied(),
            cleanup_policy: topic.configs.get("cleanup.policy").cloned(),
            cleanup_source: topic.config_sources.get("cleanup.policy").copied(),
        }
    }
}

#[component]
pub(super) fn TopicSettings(managed: Managed, policy: Policy) -> impl IntoView {
    // The form starts again from the topic whenever the product's revision moves (a change here and the reload that
    // follows, another change on this page, a reload), as the metadata form does: the topic's facts come with it.
    let revision = Memo::new(move |_| managed.detail.with(|d| d.product.revision));
    let change = Call::<api::Result<DataProduct>>::new();
    let form = live(move || {
        // `get`, not `track`: reading computes the memo, which is what subscribes it to the product.
        let _revision = revision.get();
        let (topic, current) = managed
            .detail
            .with_untracked(|d| (d.product.output_port.topic.to_string(), d.topic.as_ref().map(Current::of)));
        let limits =
            policy.answer.with(|p| p.as_ref().map(|p| p.as_ref().map(|p| p.topics.clone()).map_err(Clone::clone)));
        match (current, limits) {
            // Nothing to change before a sync has read the topic, or after it found the topic gone.
            (None, _) | (Some(Current { present: false, .. }), _) => note(
                "muted",
                "note",
                "topic-settings-unsynced",
                format!(
                    "Topic {topic} is not in the mirror (not synced yet, or gone from the cluster): nothing to change."
                ),
            ),
            (Some(_), None) => {
                note("muted", "status", "topic-settings-loading", "Loading the topic limits…".to_owned())
            }
            // The metadata form above says why the policy could not be read, and offers to try again.
            (Some(_), Some(Err(_))) => ().into_any(),
            (Some(current), Some(Ok(limits))) => topic_form(managed, current, limits, change),
        }
    });
    let outcome = live(move || match change.answer.get() {
        None => ().into_any(),
        Some(Ok(_)) => note(
            "notice manage-success",
            "status",
            "topic-settings-done",
            "Changed: the settings above are the topic's now, as on the product page.".to_owned(),
        ),
        Some(Err(error)) => view! { <ChangeError error managed fields=FIELDS/> }.into_any(),
    });
    view! {
        <ChangeSection name="topic-settings" title="Topic settings">
            <p>
                "How the topic keeps its events, within the organisation's limits."
            </p>
            {form}
            <div aria-live="polite">{outcome}</div>
        </ChangeSection>
    }
}

/// A sentence of the section's own: why there is no form, or what a change did. One view type for all of them.
fn note(class: &'static str, role: &'static str, test_id: &'static str, text: String) -> AnyView {
    view! { <p class=class role=role data-testid=test_id>{text}</p> }.into_any()
}

/// What the person has chosen, as the controls hold it, in signals of a type the Manage bundle has already.
#[derive(Clone, Copy)]
struct Draft {
    partitions: RwSignal<String>,
    /// One of `RETENTIONS` (in milliseconds), `AS_NOW`, `HOURS` or `DAYS`.
    retention: RwSignal<String>,
    /// The retention typed, a whole number of hours or days.
    amount: RwSignal<String>,
    /// One of `CLEANUP_POLICIES`, or empty to keep the topic's.
    cleanup: RwSignal<String>,
}

/// The topic's settings and the policy's limits the form started from.
struct Start {
    current: Current,
    limits: TopicLimits,
}

/// What a draft asks for, field by field: `Ok(None)` where it keeps the topic's setting, the violation in words
/// where the topic or the policy refuses it.
struct Wanted {
    partitions: Result<Option<i32>, String>,
    retention_ms: Result<Option<i64>, String>,
    cleanup_policy: Result<Option<String>, String>,
}

impl Wanted {
    /// What `draft` asks for now; read in a reactive context, it follows every control.
    fn of(draft: Draft, start: &Start) -> Self {
        let Start { current, limits } = start;
        Self {
            partitions: draft.partitions.with(|p| partitions_change(p, current, limits)),
            retention_ms: draft.retention.with(|r| draft.amount.with(|a| retention_change(r, a, current, limits))),
            cleanup_policy: draft.cleanup.with(|c| cleanup_change(c, current, limits)),
        }
    }

    /// The live violation of an API field (`partitions`, `retention_ms`, `cleanup_policy`), if any.
    fn violation(&self, field: &str) -> Option<String> {
        match field {
            "partitions" => self.partitions.clone().err(),
            "retention_ms" => self.retention_ms.clone().err(),
            _ => self.cleanup_policy.clone().err(),
        }
    }
}

/// The form, drawn from the topic's settings as they are. The Manage bundle is held to a size budget, so the form uses
/// signal types the bundle has already, one closure type for every control's edit and one for every field's
/// message, no memo, and hides the typed retention rather than mounting it.
fn topic_form(
    managed: Managed,
    current: Current,
    limits: TopicLimits,
    change: Call<api::Result<DataProduct>>,
) -> AnyView {
    let partitions_hint = format!(
        "Now {}; up to {} allowed. Kafka adds partitions but never removes them, and new events of a key may go to \
         another one.",
        current.partitions, limits.max_partitions
    );
    let retention_hint = format!(
        "Now {}. At least {}.",
        now(current.retention_ms.map(words).as_deref(), current.retention_source),
        words(limits.min_retention_ms)
    );
    let cleanup_hint = format!(
        "Now {}. compact keeps the latest event per key.",
        now(current.cleanup_policy.as_deref(), current.cleanup_source)
    );
    let (retention, amount) = retention_choice(current.retention_ms);
    // A retention none of the choices expresses, or none reported, is kept by a choice of its own; likewise a
    // cleanup policy that is not one of the three.
    let mut retentions: Vec<(String, String)> = Vec::new();
    if retention == AS_NOW {
        let now = current.retention_ms.map_or_else(|| "not reported".to_owned(), words);
        retentions.push((AS_NOW.to_owned(), format!("As now ({now})")));
    }
    retentions.extend(RETENTIONS.iter().map(|ms| (ms.to_string(), words(*ms))));
    retentions.push((HOURS.to_owned(), "Other, in hours…".to_owned()));
    retentions.push((DAYS.to_owned(), "Other, in days…".to_owned()));
    let cleanup = current.cleanup_policy.clone().filter(|p| CLEANUP_POLICIES.contains(&p.as_str())).unwrap_or_default();
    let mut cleanups: Vec<(String, String)> = Vec::new();
    if cleanup.is_empty() {
        let now = current.cleanup_policy.as_deref().unwrap_or("not reported");
        cleanups.push((String::new(), format!("As now ({now})")));
    }
    cleanups.extend(CLEANUP_POLICIES.iter().map(|p| (p.to_string(), p.to_string())));
    let partitions = current.partitions.to_string();

    let draft = Draft {
        partitions: RwSignal::new(partitions.clone()),
        retention: RwSignal::new(retention.clone()),
        amount: RwSignal::new(amount.clone()),
        cleanup: RwSignal::new(cleanup.clone()),
    };
    let start = Arc::new(Start { current, limits });

    // A field's live violation, else what the API said about it last.
    let message = |field: &'static str| {
        let start = start.clone();
        Signal::derive(move || {
            Wanted::of(draft, &start)
                .violation(field)
                .unwrap_or_else(|| change.answer.with(|a| field_message(failure(a).as_ref(), &[field])))
        })
    };
    let partitions_message = message("partitions");
    let retention_message = message("retention_ms");
    let cleanup_message = message("cleanup_policy");
    let edit = |control: RwSignal<String>| move |ev: leptos::ev::Event| control.set(event_target_value(&ev));
    let typed = move || draft.retention.with(|r| r == HOURS || r == DAYS);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Wanted { partitions, retention_ms, cleanup_policy } = untrack(|| Wanted::of(draft, &start));
        let (Ok(partitions), Ok(retention_ms), Ok(cleanup_policy)) = (&partitions, &retention_ms, &cleanup_policy)
        else {
            let retention = if untrack(typed) { RETENTION_AMOUNT } else { RETENTION };
            focus(match (partitions.is_err(), retention_ms.is_err()) {
                (true, _) => PARTITIONS,
                (false, true) => retention,
                (false, false) => CLEANUP,
            });
            return;
        };
        let (partitions, retention_ms, cleanup_policy) = (*partitions, *retention_ms, cleanup_policy.clone());
        let request = TopicChangeRequest { revision: managed.revision(), partitions, retention_ms, cleanup_policy };
        let id = managed.id();
        change.start(async move {
            let result = api::change_topic(&id, &request).await;
            match &result {
                // The answer is the product; the topic's new facts come with its page, read again (which moves the
                // revision, so the form starts again from them).
                Ok(_) => managed.reload(),
                // A failure on the API's side may come after part of the change was made (and the revision moved):
                // read the product again so the page shows what the topic has now.
                Err(error) if error.status().is_some_and(|status| status >= 500) => managed.reload(),
                Err(_) => {}
            }
            result
        });
    };

    view! {
        <form class="manage-form" novalidate on:submit=on_submit data-testid="topic-settings-form">
            <div class="field">
                <label class="field__label" for=PARTITIONS>"Partitions"</label>
                <p class="field__hint" id="topic-settings-partitions-hint">{partitions_hint}</p>
                <input
                    id=PARTITIONS
                    type="number"
                    min=partitions.clone()
                    class="field__control field__control--short"
                    aria-describedby="topic-settings-partitions-hint topic-settings-partitions-error"
                    aria-invalid=invalid_if(partitions_message)
                    value=partitions
                    on:input=edit(draft.partitions)
                    data-testid=PARTITIONS
                />
                <FieldError problems=Problems::Message(PARTITIONS, partitions_message)/>
            </div>
            <div class="field">
                <label class="field__label" for=RETENTION>"Retention"</label>
                <p class="field__hint" id="topic-settings-retention-hint">{retention_hint}</p>
                <select
                    id=RETENTION
                    class="field__control manage-choice"
                    aria-describedby="topic-settings-retention-hint topic-settings-retention-error"
                    aria-invalid=invalid_if(retention_message)
                    on:change=edit(draft.retention)
                    data-testid=RETENTION
                >
                    {fixed_options(retentions, &retention)}
                </select>
                // Shown while the retention is typed, in hours or days as chosen above.
                <input
                    id=RETENTION_AMOUNT
                    type="number"
                    min="1"
                    class="field__control field__control--short"
                    aria-label="Retention in the unit chosen"
                    aria-describedby="topic-settings-retention-hint topic-settings-retention-error"
                    aria-invalid=invalid_if(retention_message)
                    hidden=move || !typed()
                    value=amount
                    on:input=edit(draft.amount)
                    data-testid=RETENTION_AMOUNT
                />
                <FieldError problems=Problems::Message(RETENTION, retention_message)/>
            </div>
            <div class="field">
                <label class="field__label" for=CLEANUP>"Cleanup policy"</label>
                <p class="field__hint" id="topic-settings-cleanup-hint">{cleanup_hint}</p>
                <select
                    id=CLEANUP
                    class="field__control manage-choice"
                    aria-describedby="topic-settings-cleanup-hint topic-settings-cleanup-error"
                    aria-invalid=invalid_if(cleanup_message)
                    on:change=edit(draft.cleanup)
                    data-testid=CLEANUP
                >
                    {fixed_options(cleanups, &cleanup)}
                </select>
                <FieldError problems=Problems::Message(CLEANUP, cleanup_message)/>
            </div>
            <div class="manage-actions">
                <button type="submit" class="button" data-testid="topic-settings-submit" disabled=move || change.pending.get()>
                    {live_text(move || if change.pending.get() { "Changing…" } else { "Change the topic" }.to_owned())}
                </button>
            </div>
        </form>
    }
    .into_any()
}

/// The partitions typed, against the topic's and the policy's: Kafka never takes partitions away.
fn partitions_change(text: &str, current: &Current, limits: &TopicLimits) -> Result<Option<i32>, String> {
    let Ok(wanted) = text.trim().parse::<i32>() else {
        return Err("type a whole number of partitions".to_owned());
    };
    if wanted == current.partitions {
        return Ok(None);
    }
    if wanted < current.partitions {
        return Err(format!(
            "the topic has {} partitions and Kafka cannot take partitions away: keep {0} or add more",
            current.partitions
        ));
    }
    match limits.partitions("partitions", wanted) {
        Some(violation) => Err(violation.message),
        None => Ok(Some(wanted)),
    }
}

/// The retention chosen (a choice, or a whole number of hours or days typed) in milliseconds, against the policy.
fn retention_change(
    choice: &str,
    amount: &str,
    current: &Current,
    limits: &TopicLimits,
) -> Result<Option<i64>, String> {
    let wanted = match choice {
        AS_NOW => return Ok(None),
        HOURS | DAYS => {
            let per_unit = if choice == DAYS { DAY } else { HOUR };
            match amount.trim().parse::<i64>() {
                Ok(n) if n > 0 => n.saturating_mul(per_unit),
                _ => return Err(format!("type a whole number of {choice}, 1 or more")),
            }
        }
        // The other choices are the retentions offered, in milliseconds.
        chosen => chosen.parse::<i64>().unwrap_or_default(),
    };
    if current.retention_ms == Some(wanted) {
        return Ok(None);
    }
    match limits.retention("retention_ms", wanted) {
        Some(violation) => Err(violation.message),
        None => Ok(Some(wanted)),
    }
}

/// The cleanup policy chosen, against the policy's list; empty keeps the topic's.
fn cleanup_change(chosen: &str, current: &Current, limits: &TopicLimits) -> Result<Option<String>, String> {
    if chosen.is_empty() || current.cleanup_policy.as_deref() == Some(chosen) {
        return Ok(None);
    }
    match limits.cleanup_policy("cleanup_policy", chosen) {
        Some(violation) => Err(violation.message),
        None => Ok(Some(chosen.to_owned())),
    }
}

/// How the retention starts: the choice matching the topic's retention, a number of days or hours, or "as now" for
/// one neither expresses (or none reported).
fn retention_choice(retention_ms: Option<i64>) -> (String, String) {
    match retention_ms {
        Some(ms) if RETENTIONS.contains(&ms) => (ms.to_string(), String::new()),
        Some(ms) if ms > 0 && ms % DAY == 0 => (DAYS.to_owned(), (ms / DAY).to_string()),
        Some(ms) if ms > 0 && ms % HOUR == 0 => (HOURS.to_owned(), (ms / HOUR).to_string()),
        _ => (AS_NOW.to_owned(), String::new()),
    }
}

/// A retention in words: "keep everything", "7 days", "36 hours", "90000 ms".
fn words(ms: i64) -> String {
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    match ms {
        -1 => "keep everything".to_owned(),
        ms if ms > 0 && ms % DAY == 0 => plural(ms / DAY, "day"),
        ms if ms > 0 && ms % HOUR == 0 => plural(ms / HOUR, "hour"),
        ms => format!("{ms} ms"),
    }
}

/// A current value and where it comes from: "7 days (broker setting)".
fn now(value: Option<&str>, source: Option<ConfigSource>) -> String {
    match (value, source) {
        (Some(value), Some(source)) => format!("{value} ({})", source.describe()),
        (Some(value), None) => value.to_owned(),
        (None, _) => "not reported by the broker".to_owned(),
    }
}
