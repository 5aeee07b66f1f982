//! What a page shows while it waits, when there is nothing to show, and when a request failed.

use leptos::error::{Error, Errors};
use leptos::prelude::*;

use crate::api;

/// A polite live region, so screen readers announce that something is on its way.
#[component]
pub fn Loading(
    /// What is being loaded, e.g. "data products".
    what: &'static str,
) -> impl IntoView {
    view! {
        <p class="notice notice--loading" role="status" data-testid="loading-state">
            <span class="spinner" aria-hidden="true"></span>
            {format!("Loading {what}…")}
        </p>
    }
}

/// An empty result, with what a person can do about it.
#[component]
pub fn Empty(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="notice notice--empty" data-testid="empty-state">
            <p class="notice__title">{title}</p>
            <p>{children()}</p>
        </div>
    }
}

/// Every error an `ErrorBoundary` caught, each in words for people with its stable code in small print, to quote to
/// support. `children` holds the actions (e.g. a retry button). Pages show a read refused for want of a session as
/// `SignInPrompt` rather than as an error; one that still gets here (a sign-in that expired while the page was open)
/// says so and links to the Sign in page.
#[component]
pub fn ErrorBanner(errors: ArcRwSignal<Errors>, children: Children) -> impl IntoView {
    let refused_errors = errors.clone();
    let problems = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| {
                let (code, message) = describe(&error);
                view! {
                    <li data-testid="error-item">
                        <span data-testid="error-message">{message}</span>
                        " "
                        <code class="error-code" data-testid="error-code">{code}</code>
                    </li>
                }
            })
            .collect_view()
    };
    // A read refused for want of a session: say so, and offer the way in and back here afterwards.
    let refused = Memo::new(move |_| {
        refused_errors.with(|errors| {
            errors.iter().any(|(_, e)| e.downcast_ref::<api::Error>().is_some_and(|e| e.status() == Some(401)))
        })
    });
    let sign_in = move || {
        refused.get().then(|| {
            let here = web_sys::window()
                .and_then(|w| w.location().pathname().ok().zip(w.location().search().ok()))
                .map(|(path, search)| format!("{path}{search}"))
                .unwrap_or_else(|| "/".to_owned());
            view! {
                <a class="button" href=format!("/sign-in?next={}", api::encode(&here)) data-testid="error-sign-in">
                    "Sign in"
                </a>
            }
        })
    };
    let title = move || if refused.get() { "Sign in to see this" } else { "Something went wrong" };
    view! {
        <div class="notice notice--error" role="alert" data-testid="error-state">
            <p class="notice__title">{title}</p>
            <ul class="error-list">{problems}</ul>
            <div class="notice__actions">{sign_in}{children()}</div>
        </div>
    }
}

/// The code and the message for people of an API error; other errors (bugs in the portal) have no code of their own.
fn describe(error: &Error) -> (String, String) {
    match error.downcast_ref::<api::Error>() {
        Some(error) => (error.code().to_owned(), error.message()),
        None => ("internal".to_owned(), error.to_string()),
    }
}
