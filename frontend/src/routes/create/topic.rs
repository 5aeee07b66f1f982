//! The new topic's settings: its name (the product's output port), partitions, how long events are kept, and how
//! old events go.

use leptos::prelude::*;
use meshport_shared::api::TopicSettings;
use serde::{Deserialize, Serialize};

use crate::components::form::{FieldError, Problems, described_by, field_id, hint_id, invalid, radio};
use crate::components::product_form::{Problem, ProductFormState};
use crate::drafts::keep;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long the topic keeps events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Retention {
    /// Every event ever written (`retention.ms = -1`).
    FullHistory,
    /// The last N days, N typed next to the choice.
    Days,
    /// Whatever the broker is configured with.
    BrokerDefault,
}

/// How old events go: deleted after the retention, or compacted to the latest event per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cleanup {
    Delete,
    Compact,
}

impl Cleanup {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Compact => "compact",
        }
    }
}

/// The topic settings as typed.
#[derive(Debug, Clone, Copy)]
pub struct TopicDraft {
    pub partitions: RwSignal<String>,
    pub retention: RwSignal<Retention>,
    pub days: RwSignal<String>,
    pub cleanup: RwSignal<Cleanup>,
}

impl TopicDraft {
    /// The settings as typed before on this tab (`crate::drafts`, keys starting `kept_as`), or the defaults: 3
    /// partitions, a week of events, deleted after; and whether any came back.
    pub fn kept(kept_as: &str) -> (Self, bool) {
        let (partitions, a) = keep(format!("{kept_as}.partitions"), "3".to_owned());
        let (retention, b) = keep(format!("{kept_as}.retention"), Retention::Days);
        let (days, c) = keep(format!("{kept_as}.days"), "7".to_owned());
        let (cleanup, d) = keep(format!("{kept_as}.cleanup"), Cleanup::Delete);
        (Self { partitions, retention, days, cleanup }, a || b || c || d)
    }

    /// The settings were used: nothing typed needs keeping any more.
    pub fn forget(kept_as: &str) {
        for part in ["partitions", "retention", "days", "cleanup"] {
            crate::drafts::forget(&format!("{kept_as}.{part}"));
        }
    }

    /// What cannot be read as settings at all; the ranges the API allows are its to say (a dry run asks it).
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.partitions.with(|p| p.trim().parse::<i32>().map_or(true, |n| n < 1)) {
            problems
                .push(Problem::new("topic.partitions", "give the number of partitions as a whole number, 1 or more"));
        }
        if self.retention.get() == Retention::Days && self.retention_ms().is_none() {
            problems
                .push(Problem::new("topic.retention_ms", "give the days to keep events as a whole number, 1 or more"));
        }
        problems
    }

    fn retention_ms(&self) -> Option<i64> {
        let days = self.days.with(|d| d.trim().parse::<i64>().ok()).filter(|d| *d >= 1)?;
        days.checked_mul(DAY_MS)
    }

    /// The settings to send, once `problems` is empty. Reactive.
    pub fn settings(&self) -> Option<TopicSettings> {
        let partitions = self.partitions.with(|p| p.trim().parse().ok())?;
        let retention_ms = match self.retention.get() {
            Retention::FullHistory => Some(-1),
            Retention::Days => Some(self.retention_ms()?),
            Retention::BrokerDefault => None,
        };
        Some(TopicSettings {
            partitions,
            // One copy is what a local broker can hold; clusters that need more set it as their default.
            replication_factor: 1,
            retention_ms,
            cleanup_policy: self.cleanup.get().as_str().to_owned(),
        })
    }
}

/// The topic's fields. The name is the form's (`output_port.topic`), so the policy's naming convention and Kafka's
/// rules check it; the rest are the page's.
#[component]
pub fn TopicFields(state: ProductFormState, topic: TopicDraft) -> impl IntoView {
    let name_field = "output_port.topic";
    let partitions_field = "topic.partitions";
    let retention_field = "topic.retention_ms";
    let cleanup_field = "topic.cleanup_policy";
    state.also_check(Signal::derive(move || topic.problems()));
    let naming = state.policy().topic_naming.map(|n| format!(" The organisation's convention: e.g. {}.", n.example));
    let kept = move || state.changed(retention_field);
    let cleaned = move || state.changed(cleanup_field);
    let days = view! {
        <input
            type="number"
            inputmode="numeric"
            min="1"
            step="1"
            id="retention-days-count"
            class="field__control field__control--short"
            aria-label="Days to keep events"
            aria-invalid=invalid(state, retention_field)
            aria-describedby=described_by(retention_field, true)
            data-testid="field-topic.retention_days"
            prop:value=move || topic.days.get()
            on:input:target=move |ev| {
                // Typing a number of days means keeping that many.
                topic.days.set(ev.target().value());
                topic.retention.set(Retention::Days);
                kept();
            }
            on:blur=move |_| state.touch(retention_field)
        />
        <span aria-hidden="true">"days"</span>
    };
    view! {
        <fieldset class="form-section">
            <legend class="form-section__title">"Topic"</legend>
            <div class="field">
                <label class="field__label" for=field_id(name_field)>
                    "Topic name" <span class="field__required">" (required)"</span>
                </label>
                <p class="field__hint" id=hint_id(name_field)>
                    "Letters, digits, " <code>"."</code> ", " <code>"_"</code> " and " <code>"-"</code>
                    "; it must not exist yet." {naming}
                </p>
                <input
                    type="text"
                    id=field_id(name_field)
                    name="topic"
                    class="field__control field__control--code"
                    required=true
                    spellcheck="false"
                    autocapitalize="none"
                    prop:value=move || state.read(|d| d.topic.clone())
                    aria-invalid=invalid(state, name_field)
                    aria-describedby=described_by(name_field, true)
                    data-testid="field-output_port.topic"
                    on:input:target=move |ev| state.set_topic(&ev.target().value())
                    on:blur=move |_| state.touch(name_field)
                />
                <FieldError problems=Problems::Form(state, name_field)/>
            </div>
            <div class="field">
                <label class="field__label" for=field_id(partitions_field)>
                    "Partitions" <span class="field__required">" (required)"</span>
                </label>
                <p class="field__hint" id=hint_id(partitions_field)>
                    "How many consumers of one group can read in parallel. Kafka can add partitions later, never remove them."
                </p>
                <input
                    type="number"
                    inputmode="numeric"
                    min="1"
                    step="1"
                    id=field_id(partitions_field)
                    class="field__control field__control--short"
                    required=true
                    prop:value=move || topic.partitions.get()
                    aria-invalid=invalid(state, partitions_field)
                    aria-describedby=described_by(partitions_field, true)
                    data-testid="field-topic.partitions"
                    on:input:target=move |ev| {
                        topic.partitions.set(ev.target().value());
                        state.changed(partitions_field);
                    }
                    on:blur=move |_| state.touch(partitions_field)
                />
                <FieldError problems=Problems::Form(state, partitions_field)/>
            </div>
            <fieldset
                class="field field--group"
                id=field_id(retention_field)
                tabindex="-1"
                aria-describedby=described_by(retention_field, true)
            >
                <legend class="field__label">"Keep events"</legend>
                <p class="field__hint" id=hint_id(retention_field)>
                    "Consumers can replay what is kept: a full history lets a new consumer rebuild everything."
                </p>
                <ul class="choices" role="list">
                    {radio("retention", topic.retention, Retention::FullHistory, "retention-full", "Full history, forever", (), kept)}
                    {radio("retention", topic.retention, Retention::Days, "retention-days", "For the last", days, kept)}
                    {radio("retention", topic.retention, Retention::BrokerDefault, "retention-default", "The broker's default", (), kept)}
                </ul>
                <FieldError problems=Problems::Form(state, retention_field)/>
            </fieldset>
            <fieldset
                class="field field--group"
                id=field_id(cleanup_field)
                tabindex="-1"
                aria-describedby=error_ids(cleanup_field)
            >
                <legend class="field__label">"Old events"</legend>
                <ul class="choices" role="list">
                    {radio(
                        "cleanup",
                        topic.cleanup,
                        Cleanup::Delete,
                        "cleanup-delete",
                        view! { "Delete " <span class="choice__facts">"removed once older than the retention above"</span> },
                        (),
                        cleaned,
                    )}
                    {radio(
                        "cleanup",
                        topic.cleanup,
                        Cleanup::Compact,
                        "cleanup-compact",
                        view! { "Compact " <span class="choice__facts">"only the latest event per key is kept, forever"</span> },
                        (),
                        cleaned,
                    )}
                </ul>
                <FieldError problems=Problems::Form(state, cleanup_field)/>
            </fieldset>
        </fieldset>
    }
}

fn error_ids(field: &str) -> String {
    described_by(field, false)
}
