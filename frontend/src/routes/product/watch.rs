//! Watching the product: a signed-in reader is told by email of its changes (its deprecation, a breaking schema, a new
//! major version...), and can mute it without losing the watch. Shown only to those the API answers: signed in.

use leptos::prelude::*;
use meshport_shared::events::{WatchRequest, WatchState};

use crate::api;

/// The reader's watch of the product, read after the page (`GET .../watch`): a Watch button with the address to be
/// told at, or, when watching, Unwatch and a Mute box.
#[component]
pub fn WatchToggle(product_id: String) -> impl IntoView {
    let state = RwSignal::new(None::<WatchState>);
    let problem = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let id = StoredValue::new(product_id);
    leptos::task::spawn_local(async move {
        if let Ok(answer) = api::watch_state(&id.get_value()).await {
            email.try_set(answer.email.clone().unwrap_or_default());
            state.try_set(Some(answer));
        }
    });
    // One path for the three changes, so the bundle holds one future for them.
    let change = move |watching: bool, muted: bool| {
        leptos::task::spawn_local(async move {
            let id = id.get_value();
            let address = email.get_untracked();
            let request = WatchRequest { email: Some(address).filter(|a| !a.trim().is_empty()), muted };
            let answer = if watching { api::watch(&id, &request).await } else { api::unwatch(&id).await };
            match answer {
                Ok(answer) => {
                    problem.set(String::new());
                    state.set(Some(answer));
                }
                Err(error) => problem.set(error.message()),
            }
        });
    };
    move || {
        let current = state.get()?;
        let controls = if current.watching {
            view! {
                <button type="button" data-testid="unwatch" on:click=move |_| change(false, false)>"Unwatch"</button>
                <label>
                    <input
                        type="checkbox"
                        data-testid="watch-mute"
                        prop:checked=current.muted
                        on:change=move |event| change(true, event_target_checked(&event))
                    />
                    " Mute"
                </label>
            }
            .into_any()
        } else {
            view! {
                <input
                    type="email"
                    aria-label="Email to be told at"
                    placeholder="you@example.com"
                    data-testid="watch-email"
                    prop:value=move || email.get()
                    on:input=move |event| email.set(event_target_value(&event))
                />
                <button type="button" data-testid="watch" on:click=move |_| change(true, false)>"Watch"</button>
            }
            .into_any()
        };
        let said = match (current.watching, current.muted || current.muted_all) {
            (false, _) => "Watch it to be told by email when it changes.",
            (true, false) => "You watch it: you are told by email when it changes.",
            (true, true) => "You watch it, muted: you are told nothing for now.",
        };
        Some(view! {
            <div class="watch" data-testid="watch-panel">
                <p data-testid="watch-state">{said}</p>
                {controls}
                <p class="error" role="alert" data-testid="watch-problem">{move || problem.get()}</p>
            </div>
        })
    }
}
