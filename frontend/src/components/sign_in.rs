//! Signing in from any page: the prompt a page shows instead of its content when the API refuses to read it for
//! anybody not signed in, and the demo people of dev mode, which the prompt and the Sign in page both offer.
//!
//! The organisation's identity provider is not here: its code lives with the Sign in page in the Studio bundle, so
//! readers do not download it with Discover; the prompt links there instead.

use leptos::prelude::*;
use meshport_shared::api::{DevTokenRequest, DevUser};

use crate::api;
use crate::session::{self, Session};

/// A read refused for want of a session: not an error, only the way in. In dev mode the demo people are right here,
/// one click each, and the page loads as soon as one is signed in (its data follows the session); otherwise a link
/// to the Sign in page, which comes back here. (The header's "Sign in" leads there in dev mode too, for the
/// organisation's identity provider when there is one.)
#[component]
pub fn SignInPrompt(
    /// What the page would show, e.g. "Sign in to see the data products".
    title: &'static str,
) -> impl IntoView {
    let failure = RwSignal::new(None::<api::Error>);
    // The demo people, asked for at once: their route exists only while dev sign-in is on, so any failure means
    // the Sign in page is the way in. (A signal filled once rather than a resource under `Suspense`, and no
    // `GET /api/v1/sign-in` first: each would cost every reader kilobytes of Discover.)
    let people = RwSignal::new(None::<Vec<DevUser>>);
    leptos::task::spawn_local(async move {
        let found = api::dev_users().await.map(|list| list.items).unwrap_or_default();
        // `try_`: the prompt may be gone by then (the visitor went elsewhere).
        people.try_set(Some(found));
    });
    let here = web_sys::window()
        .and_then(|w| w.location().pathname().ok().zip(w.location().search().ok()))
        .map(|(path, search)| format!("{path}{search}"))
        .unwrap_or_else(|| "/".to_owned());
    let href = format!("/sign-in?next={}", api::encode(&here));
    let way_in = move || {
        let people = people.get()?;
        Some(if people.is_empty() {
            view! {
                <div class="notice__actions">
                    <a class="button" href=href.clone() data-testid="sign-in-prompt-link">"Sign in"</a>
                </div>
            }
            .into_any()
        } else {
            view! { <DemoPeople people failure done=session::sign_in/> }.into_any()
        })
    };
    view! {
        <div class="notice sign-in-prompt" data-testid="sign-in-prompt">
            <p class="notice__title">{title}</p>
            <p>"This Meshport shows its data products only to people who are signed in."</p>
            {way_in}
            {move || failure.get().map(|error| view! {
                <p class="sign-in-prompt__failure" role="alert" data-testid="sign-in-failure">
                    <span data-testid="error-message">{error.message()}</span>
                    " "
                    <code class="error-code" data-testid="error-code">{error.code().to_owned()}</code>
                </p>
            })}
        </div>
    }
}

/// The demo people of dev mode, one button each: a click asks `POST /api/v1/dev/token` for a session as that
/// person and hands it to `done`.
#[component]
pub fn DemoPeople(
    people: Vec<DevUser>,
    failure: RwSignal<Option<api::Error>>,
    done: impl Fn(Session) + Copy + 'static,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let choices = people
        .into_iter()
        .map(|person| {
            let teams = match (person.admin, person.teams.is_empty()) {
                (true, _) => "org admin: may change every product".to_owned(),
                (false, true) => "no team".to_owned(),
                (false, false) => {
                    let names: Vec<&str> = person.teams.iter().map(|t| t.as_str()).collect();
                    format!("team {}", names.join(", "))
                }
            };
            let request = DevTokenRequest { user: person.user.clone(), teams: person.teams, admin: person.admin };
            let on_click = move |_| {
                let request = request.clone();
                busy.set(true);
                failure.set(None);
                leptos::task::spawn_local(async move {
                    match api::dev_token(&request).await {
                        // Signed in, the page may go (the Sign in page navigates away): nothing of it may be touched
                        // after `done`.
                        Ok(token) => done(token.into()),
                        Err(error) => {
                            failure.set(Some(error));
                            busy.set(false);
                        }
                    }
                });
            };
            view! {
                <li>
                    <button type="button" class="person" disabled=move || busy.get()
                        data-testid=format!("sign-in-as-{}", person.user) on:click=on_click>
                        <span class="person__name">{person.name}</span>
                        <span class="person__teams">{teams}</span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="lede">
            "This Meshport runs in dev mode: pick a demo person. Each belongs to one team and may change that team's "
            "products; everyone may read every product."
        </p>
        <ul class="people" role="list" data-testid="demo-people">{choices}</ul>
    }
}
