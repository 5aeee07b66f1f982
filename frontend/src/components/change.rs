//! A change sent to the API from a row or a small form (a request's decision, a service account, a vote on a change
//! proposal): whether it is on its way, the API's refusal shown as the page's errors are, and the problem shown next
//! to a field. Pages of several kinds send such changes (access, service accounts, tokens, sign-off), so the pieces
//! live here once.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;

use crate::api;
use crate::components::form::invalid_if;
use crate::reactive::live;
use crate::routes::product::Problem;

/// A change sent to the API (a request's, a service account's): whether it is on its way, and why the API refused
/// it, if it did. (Not an `Action`: one small type for every change keeps the bundle lean.)
#[derive(Clone, Copy)]
pub(crate) struct Sent {
    pub(crate) pending: RwSignal<bool>,
    refused: RwSignal<Option<api::Error>>,
}

impl Sent {
    pub(crate) fn new() -> Self {
        Self { pending: RwSignal::new(false), refused: RwSignal::new(None) }
    }

    /// Sends `request`; `done` runs with the API's answer once it accepted it.
    pub(crate) fn start<T: 'static>(self, request: Pin<Box<dyn Future<Output = api::Result<T>>>>, done: Callback<T>) {
        self.pending.set(true);
        self.refused.set(None);
        leptos::task::spawn_local(async move {
            let answer = request.await;
            // `try_`: the form may be gone by the time the answer comes.
            self.pending.try_set(false);
            match answer {
                Ok(answer) => {
                    done.try_run(answer);
                }
                Err(error) => {
                    self.refused.try_set(Some(error));
                }
            }
        });
    }

    /// Why the API refused the last change, if it did.
    pub(crate) fn failed(self) -> Signal<Option<api::Error>> {
        self.refused.into()
    }
}

/// A refusal about no one field (a stale revision, a state that no longer allows it, a team the person is not in),
/// shown as the page's errors are.
#[component]
pub fn Refusal(failed: Signal<Option<api::Error>>) -> impl IntoView {
    let refusal = live(move || match failed.get().filter(|e| e.violations().is_empty()) {
        Some(error) => view! { <Problem error/> }.into_any(),
        None => ().into_any(),
    });
    view! { <div aria-live="polite" data-testid="access-refusal">{refusal}</div> }
}

/// The problem shown next to a field: what the portal found wrong with what was `typed` (never sent then), or else
/// what the API said about `fields`. One function, so that each form field's message is one closure type.
pub fn problem(
    typed: Signal<String>,
    failed: Signal<Option<api::Error>>,
    fields: &'static [&'static str],
) -> Signal<String> {
    Signal::derive(move || match typed.get() {
        mine if mine.is_empty() => said_about(failed.get(), fields),
        mine => mine,
    })
}

/// What the API said about `fields` (a field, or an item of it: `principals` covers `principals[1]`), joined; empty
/// when it said nothing about them.
pub fn said_about(error: Option<api::Error>, fields: &[&str]) -> String {
    let Some(error) = error else { return String::new() };
    let concerns = |field: &str| {
        fields.iter().any(|f| field == *f || field.strip_prefix(f).is_some_and(|rest| rest.starts_with('[')))
    };
    let messages: Vec<&str> =
        error.violations().iter().filter(|v| concerns(&v.field)).map(|v| v.message.as_str()).collect();
    messages.join("; ")
}

/// A text area bound to `value` inside its `Field` (`id`, with a hint), showing `message` as its problem.
pub fn text_box(id: &'static str, value: RwSignal<String>, message: Signal<String>) -> impl IntoView {
    view! {
        <textarea
            id=id
            class="field__control"
            rows="2"
            aria-describedby=format!("{id}-hint {id}-error")
            aria-invalid=invalid_if(message)
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
            data-testid=id
        ></textarea>
    }
}
