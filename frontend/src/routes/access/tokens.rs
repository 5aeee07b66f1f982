//! API tokens (`/access/tokens`), in the Access bundle: the tokens of the person's teams that their machines (CI,
//! the command line) call the API with (scope, who made it, when it expires, when it was last used, whether it was
//! revoked), a form to create one, and revocation. A token's secret is in the API's answer only, so the page shows
//! it once, with how to hand it to a job, and holds it in one signal of the page's own (never in storage), emptied
//! when the person says it is stored, the team changes or the page is left.

use leptos::prelude::*;
use meshport_shared::TeamName;
use meshport_shared::tokens::{ApiToken, DEFAULT_LIFETIME_DAYS, Scope, TokenAnswer, TokenDraft, TokenName};

use super::request::input;
use super::team::{for_my_teams, team_choice, team_list};
use super::{Refusal, Sent};
use crate::api;
use crate::components::form::Field;
use crate::reactive::live;
use crate::routes::product::copy::CopyBlock;
use crate::session;

#[component]
pub fn ApiTokens() -> impl IntoView {
    let page = for_my_teams(
        "Sign in to see your teams' API tokens",
        "API tokens are a team's, and you are in none.",
        |teams| view! { <TeamTokens teams/> }.into_any(),
    );
    view! {
        <div class="access-page" data-testid="tokens-page">
            <p>
                <a href="/access">"Access"</a>
            </p>
            <h1>"API tokens"</h1>
            <p class="muted">
                "What your team's machines (CI jobs, the command line) call Meshport's API with. A token acts for "
                "its team only: a read token reads, a change token changes what your team may change. Each expires, "
                "is shown once and can be revoked; its calls are audited under its name."
            </p>
            {page}
        </div>
    }
}

/// `teams`' tokens, the form to create one, and the secret just made, if any.
#[component]
fn TeamTokens(teams: Vec<TeamName>) -> impl IntoView {
    let team = RwSignal::new(teams[0].clone());
    let changes = RwSignal::new(0_u32);
    let tokens = LocalResource::new(move || {
        changes.track();
        session::current().track();
        api::api_tokens(team.get())
    });
    // The only place a secret is held: it goes with the page.
    let secret = RwSignal::new(None::<TokenAnswer>);
    let done = Callback::new(move |answer: Option<TokenAnswer>| {
        secret.set(answer);
        changes.update(|n| *n += 1);
    });
    let choice = team_choice(&teams, team, "tokens-team", move || secret.set(None));
    let empty = ("No API tokens", "Your team has none yet: create one below.");
    let list =
        team_list(tokens, "API tokens", empty, "tokens-list", move |token| view! { <TokenRow token done/> }.into_any());
    view! {
        {choice}
        <OnceShown secret/>
        <section class="access-list" aria-labelledby="tokens-title" data-testid="tokens">
            <h2 id="tokens-title">"Our API tokens"</h2>
            {list}
        </section>
        <section class="access-list" aria-labelledby="create-title">
            <h2 id="create-title">"Create an API token"</h2>
            <CreateToken team done/>
        </section>
    }
}

/// The secret just made, shown this once, with a way to copy it.
#[component]
fn OnceShown(secret: RwSignal<Option<TokenAnswer>>) -> impl IntoView {
    live(move || {
        let Some(TokenAnswer { token, secret: text }) = secret.get() else { return ().into_any() };
        view! {
            <section class="account-secret" role="alert" aria-labelledby="secret-title" data-testid="token-secret">
                <h2 id="secret-title">{format!("API token {} of {}", token.name, token.team)}</h2>
                <p class="account-secret__warning" data-testid="token-secret-warning">
                    <strong>"Shown once: it will not be shown again."</strong>
                    " Meshport keeps only its hash. Put it in your CI's secret store now, e.g. as MESHPORT_TOKEN, "
                    "and send it as Authorization: Bearer $MESHPORT_TOKEN; should it be lost, revoke it and create "
                    "another."
                </p>
                <CopyBlock label="token".to_owned() text testid="token-secret-text"/>
                <button type="button" class="button" data-testid="token-secret-done" on:click=move |_| secret.set(None)>
                    "I have stored it"
                </button>
            </section>
        }
        .into_any()
    })
}

/// A token: its name, scope and dates, and revocation, asked to be confirmed first (it ends what works now).
#[component]
fn TokenRow(token: ApiToken, done: Callback<Option<TokenAnswer>>) -> impl IntoView {
    let ApiToken { id, team, name, scope, created_by, created_at, expires_at, last_used_at, revoked_at, .. } = token;
    let used = last_used_at.map_or_else(|| "never used".to_owned(), |at| format!("last used {}", minute(&at)));
    let state = match &revoked_at {
        Some(at) => format!("revoked on {}", day(at)),
        None => format!("expires on {}", day(&expires_at)),
    };
    let facts = format!("{}; made by {created_by} on {}; {state}; {used}", scope.as_str(), day(&created_at));
    let asking = RwSignal::new(false);
    let sent = Sent::new();
    let (team, token_id) = (StoredValue::new(team), StoredValue::new(id.clone()));
    // Made with the row, not in a click handler, which has no owner to keep it.
    let revoked = Callback::new(move |_: ApiToken| done.run(None));
    let revoke = move |_| {
        let (team, id) = (team.get_value(), token_id.get_value());
        asking.set(false);
        sent.start(Box::pin(async move { api::revoke_api_token(&team, &id).await }), revoked);
    };
    let confirm = move || {
        asking.get().then(|| {
            view! {
                <div class="access-request__actions" data-testid="token-confirm">
                    <span>"Revoke this token? Every job using it is refused from now on."</span>
                    <button type="button" class="button" data-testid="token-confirm-yes" on:click=revoke>
                        "Revoke the token"
                    </button>
                    <button type="button" class="button button--quiet" on:click=move |_| asking.set(false)>
                        "Keep it"
                    </button>
                </div>
            }
        })
    };
    let action = revoked_at.is_none().then(|| {
        view! {
            <div class="access-request__actions">
                <button
                    type="button"
                    class="button"
                    data-testid="token-revoke"
                    disabled=move || sent.pending.get()
                    on:click=move |_| asking.set(true)
                >
                    "Revoke"
                </button>
            </div>
        }
    });
    view! {
        <li class="access-request" data-testid="token" data-id=id>
            <p class="access-request__title">
                <code>{name.to_string()}</code>
            </p>
            <p class="access-request__text" data-testid="token-facts">{facts}</p>
            {action}
            {confirm}
            <Refusal failed=sent.failed()/>
        </li>
    }
}

/// The form that creates a token: its name, scope and lifetime.
#[component]
fn CreateToken(team: RwSignal<TeamName>, done: Callback<Option<TokenAnswer>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(Scope::Read);
    let days = RwSignal::new(DEFAULT_LIFETIME_DAYS.to_string());
    // What the portal itself found wrong: never sent then.
    let (name_typed, days_typed) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let sent = Sent::new();
    let created = Callback::new(move |answer: TokenAnswer| {
        name.set(String::new());
        done.run(Some(answer));
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = TokenName::parse(name.get_untracked().trim()).map_err(|e| e.to_string());
        name_typed.set(parsed.as_ref().err().cloned().unwrap_or_default());
        // Empty: the API's default; anything but a number is refused like a number out of range.
        let expires_in_days = match days.get_untracked().trim() {
            "" => None,
            text => Some(text.parse::<u32>().unwrap_or(0)),
        };
        let Ok(name) = parsed else { return };
        let draft = TokenDraft { name, scope: scope.get_untracked(), expires_in_days };
        // The shared rule the API applies too.
        days_typed.set(draft.lifetime_days().err().unwrap_or_default());
        if !days_typed.get_untracked().is_empty() {
            return;
        }
        let team = team.get_untracked();
        sent.start(Box::pin(async move { api::create_api_token(&team, &draft).await }), created);
    };
    let (name_message, days_message) = (name_typed.into(), days_typed.into());
    view! {
        <form class="access-form" novalidate on:submit=on_submit data-testid="token-form">
            <Field
                id="token-name"
                label="Name"
                hint="What uses it, e.g. ci-deploy: its calls are audited under it."
                message=name_message
            >
                {input("token-name", "text", name, name_message)}
            </Field>
            <Field id="token-days" label="Lasts (days)" hint="1 to 365." message=days_message>
                {input("token-days", "number", days, days_message)}
            </Field>
            <label class="field">
                <span class="field__label">"Scope"</span>
                <select
                    class="field__control"
                    data-testid="token-scope"
                    on:change=move |ev| {
                        scope.set(if event_target_value(&ev) == "change" { Scope::Change } else { Scope::Read })
                    }
                >
                    <option value="read">"read: reads only"</option>
                    <option value="change">"change: changes what the team may change"</option>
                </select>
            </label>
            <Refusal failed=sent.failed()/>
            <button type="submit" class="button" data-testid="token-submit" disabled=move || sent.pending.get()>
                "Create the token"
            </button>
        </form>
    }
}

/// The day of a timestamp (`2026-12-05T09:00:00Z`).
fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

/// A timestamp to the minute, `2026-12-05 09:00`.
fn minute(at: &str) -> String {
    at.get(..16).unwrap_or(at).replacen('T', " ", 1)
}
