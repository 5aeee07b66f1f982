//! What a page shows while it waits, when there is nothing to show, and when a request failed.

use std::sync::Arc;

use leptos::error::{Error, Errors};
use leptos::prelude::*;

use crate::api;
use crate::components::sign_in::SignInPrompt;
use crate::session;

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

/// What a reader's page makes of one API answer, from [`Loaded`]: its view, or the error to show in the banner.
pub type Show = Arc<dyn Fn(api::Result<(u16, String)>) -> api::Result<AnyView> + Send + Sync>;

/// A reader's page (Explore, a product, Activity) showing the API's answer to `GET path`: `loading` until it first
/// arrives (a newer one keeps the last on screen until it comes, so nothing jumps while typing), then what `show`
/// makes of it (read with `api::read`); asked again when `path` changes or someone signs in or out. A read refused
/// for want of a session shows the sign-in prompt titled `sign_in`; an error `show` passes on, the error banner with
/// "Try again" and the page's other `actions`. The answer stays untyped here, so Leptos' code for loading it is in
/// the bundle once for all these pages rather than once per type of answer.
#[component]
pub fn Loaded(
    #[prop(into)] path: Signal<String>,
    #[prop(into)] loading: ViewFn,
    sign_in: &'static str,
    show: Show,
    #[prop(optional, into)] actions: ViewFn,
) -> impl IntoView {
    let answer = LocalResource::new(move || {
        let path = path.get();
        // Signing in or out changes what the API may show: read again.
        session::current().track();
        api::get_body(path)
    });
    view! {
        <ErrorBoundary fallback=move |errors| {
            let actions = actions.clone();
            view! {
                <ErrorBanner errors>
                    <button type="button" class="button" on:click=move |_| answer.refetch()>"Try again"</button>
                    {actions.run()}
                </ErrorBanner>
            }
        }>
            <Transition fallback=move || loading.run()>
                {move || {
                    let show = show.clone();
                    Suspend::new(async move {
                        match answer.await {
                            Err(error) if error.status() == Some(401) => Ok(view! { <SignInPrompt title=sign_in/> }.into_any()),
                            answer => show(answer),
                        }
                    })
                }}
            </Transition>
        </ErrorBoundary>
    }
}
