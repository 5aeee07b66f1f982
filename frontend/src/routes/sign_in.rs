//! Sign in: at the organisation's identity provider when the portal is its client, as one of the demo people when
//! the API runs in dev mode, or else with a token from the identity provider pasted in.
//!
//! After signing in the person goes back to where they were (`?next=/products/users`); only paths on this site are
//! followed, so a crafted link cannot send them elsewhere.

mod organisation;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use meshport_shared::api::OrganisationSignIn;

use crate::api;
use crate::components::feedback::Loading;
use crate::components::sign_in::DemoPeople;
use crate::session::{self, Session};

#[component]
pub fn SignIn() -> impl IntoView {
    let query = use_query_map();
    let next = StoredValue::new(query.with_untracked(|query| safe_next(query.get("next").as_deref())));
    let answer = query.with_untracked(|query| organisation::Answer::from_query(|name| query.get(name)));
    let failure = RwSignal::new(None::<api::Error>);
    let navigate = StoredValue::new_local(use_navigate());
    let go_to = move |session: Session, path: &str| {
        session::sign_in(session);
        // Replace: the provider's answer in this address must not be reached again with the back button.
        // `try_`: the page may be gone by the time a sign-in completes (the person clicked elsewhere meanwhile).
        navigate.try_with_value(|navigate| navigate(path, NavigateOptions { replace: true, ..Default::default() }));
    };
    let done = move |session: Session| go_to(session, &next.try_get_value().unwrap_or_else(|| "/".to_owned()));
    // Back from the identity provider: finish that sign-in before offering any other.
    let finishing = RwSignal::new(answer.is_some());
    if let Some(answer) = answer {
        leptos::task::spawn_local(async move {
            match organisation::finish(answer).await {
                Ok((session, path)) => go_to(session, &safe_next(Some(&path))),
                Err(error) => {
                    failure.set(Some(error));
                    finishing.set(false);
                }
            }
        });
    }
    let options = LocalResource::new(|| async {
        let options = api::sign_in_options().await?;
        let people = if options.dev { api::dev_users().await?.items } else { Vec::new() };
        Ok::<_, api::Error>((options.organisation, people))
    });

    view! {
        <section class="sign-in" aria-labelledby="page-title">
            <h1 id="page-title">"Sign in"</h1>
            {move || session::identity().map(|who| view! {
                <p class="notice" data-testid="already-signed-in">
                    "You are signed in as " <strong>{who.name}</strong> ". Sign in as someone else below, or "
                    <button type="button" class="link-button" on:click=|_| session::sign_out()>"sign out"</button>
                    "."
                </p>
            })}
            {move || failure.get().map(|error| view! {
                <p class="notice notice--error" role="alert" data-testid="error-state">
                    {error.message()}
                    " "
                    <code class="error-code" data-testid="error-code">{error.code().to_owned()}</code>
                </p>
            })}
            <Show when=move || !finishing.get() fallback=|| view! { <Loading what="your sign-in"/> }>
                <Transition fallback=|| view! { <Loading what="sign-in options"/> }>
                    {move || Suspend::new(async move {
                        match options.await {
                            Ok((Some(provider), people)) => view! {
                                <Organisation provider failure next=next.get_value()/>
                                {(!people.is_empty()).then(|| view! { <DemoPeople people failure done/> })}
                            }
                            .into_any(),
                            Ok((None, people)) if !people.is_empty() => {
                                view! { <DemoPeople people failure done/> }.into_any()
                            }
                            Ok(_) => view! { <TokenForm failure done/> }.into_any(),
                            Err(error) => {
                                failure.set(Some(error));
                                view! { <TokenForm failure done/> }.into_any()
                            }
                        }
                    })}
                </Transition>
            </Show>
        </section>
    }
}

/// The way most people sign in: at the organisation's identity provider, and back.
#[component]
fn Organisation(provider: OrganisationSignIn, failure: RwSignal<Option<api::Error>>, next: String) -> impl IntoView {
    let busy = RwSignal::new(false);
    // Back from the provider without signing in, the browser may show this page from its cache as it was left,
    // button disabled: enable it again.
    let shown = window_event_listener(leptos::ev::pageshow, move |_| busy.set(false));
    on_cleanup(move || shown.remove());
    let on_click = move |_| {
        let (provider, next) = (provider.clone(), next.clone());
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            // On success the browser is already on its way to the provider.
            if let Err(error) = organisation::begin(&provider, &next).await {
                failure.set(Some(error));
                busy.set(false);
            }
        });
    };
    view! {
        <p class="lede">"Sign in with your organisation's account; you come back here afterwards."</p>
        <button type="button" class="button" disabled=move || busy.get() data-testid="sign-in-organisation"
            on:click=on_click>
            "Sign in with your organisation"
        </button>
    }
}

/// Where to go after signing in: a path on this site, never another origin.
/// Browsers drop tabs and line breaks from an address and read `\\` as `/`, so `/\t/evil.example` would leave the
/// site: a path with any of them, or with spaces, is not followed either.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::safe_next;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn only_paths_on_this_site_are_followed_after_signing_in() {
        for (next, expected) in [
            (Some("/products/users?tab=schema#fields"), "/products/users?tab=schema#fields"),
            (Some("/manage/orders.v2"), "/manage/orders.v2"),
            (None, "/"),
            (Some(""), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example/"), "/"),
            (Some("/\t/evil.example"), "/"),
            (Some("/\n/evil.example"), "/"),
            (Some("/ /evil.example"), "/"),
            (Some("javascript:alert(1)"), "/"),
        ] {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }
}

/// Sign-in with an access token the organisation's identity provider issued, checked by the API before it is kept.
#[component]
fn TokenForm(failure: RwSignal<Option<api::Error>>, done: impl Fn(Session) + Copy + 'static) -> impl IntoView {
    let token = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let token = token.get_untracked().trim().to_owned();
        if token.is_empty() {
            return;
        }
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match api::me_with(&token).await {
                // Signed in, the page goes: nothing of it may be touched after `done`.
                Ok(identity) => {
                    let expires_at = expiry(&token).unwrap_or_else(in_one_hour);
                    done(Session { token, identity, expires_at, provider: None });
                }
                Err(error) => {
                    failure.set(Some(error));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <p class="lede">
            "Sign in with an access token from your organisation's identity provider (the OIDC issuer this "
            "Meshport trusts). The portal keeps it in this browser until it expires."
        </p>
        <form class="token-form" on:submit=on_submit>
            <label for="access-token">"Access token"</label>
            <input id="access-token" class="control" type="password" autocomplete="off" spellcheck="false" required=true
                data-testid="access-token" prop:value=move || token.get()
                on:input=move |event| token.set(event_target_value(&event))/>
            <button type="submit" class="button" disabled=move || busy.get()>"Sign in"</button>
        </form>
    }
}

/// The claims of a JWT, read without checking its signature (the API checks it); `None` when it is not a JWT.
fn claims(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    let mut base64 = payload.replace('-', "+").replace('_', "/");
    while base64.len() % 4 != 0 {
        base64.push('=');
    }
    let json = web_sys::window()?.atob(&base64).ok()?;
    serde_json::from_str(&json).ok()
}

/// The `exp` claim of a JWT, as RFC 3339; `None` when the token is not a readable JWT.
fn expiry(token: &str) -> Option<String> {
    let exp = claims(token)?.get("exp")?.as_f64()?;
    js_sys::Date::new(&(exp * 1000.0).into()).to_iso_string().as_string()
}

fn in_one_hour() -> String {
    js_sys::Date::new(&(js_sys::Date::now() + 3_600_000.0).into()).to_iso_string().into()
}
