//! Service accounts (`/access/accounts`), in the Access bundle: the Kafka principals of the person's teams (roles,
//! whether Meshport manages their credentials, when it last set a password), a form to register a principal that
//! exists or have Meshport create one with SCRAM credentials, and rotation and deletion. A password Meshport sets
//! is in the API's answer only, so the page shows it once, in a box that says so, and holds it in one signal of
//! the page's own (never in `localStorage` or a draft), emptied when the person says it is stored, the team
//! changes or the page is left.

use leptos::prelude::*;
use meshport_shared::accounts::{
    AccountRole, ScramCredentials, ServiceAccount, ServiceAccountAnswer, ServiceAccountDraft,
};
use meshport_shared::{Principal, TeamName};

use super::request::{check, input};
use super::team::{for_my_teams, team_choice, team_list};
use super::{Refusal, Sent, problem};
use crate::api;
use crate::components::form::Field;
use crate::reactive::live;
use crate::routes::product::copy::CopyBlock;
use crate::session;

#[component]
pub fn ServiceAccounts() -> impl IntoView {
    let page = for_my_teams(
        "Sign in to see your teams' service accounts",
        "Service accounts are a team's, and you are in none.",
        |teams| view! { <TeamAccounts teams/> }.into_any(),
    );
    view! {
        <div class="access-page" data-testid="accounts-page">
            <p>
                <a href="/access">"Access"</a>
            </p>
            <h1>"Service accounts"</h1>
            <p class="muted">
                "The Kafka principals your teams produce and consume as. A producer account may write your team's "
                "products; a consumer account is what your access requests name. Meshport can create an account "
                "with a password of its own making, which it shows once and never keeps."
            </p>
            {page}
        </div>
    }
}

/// A password just set, and the account it is for.
#[derive(Clone)]
struct Shown {
    principal: Principal,
    credentials: ScramCredentials,
}

/// One of `teams`' accounts, the form to add one, and the password Meshport just set, if any.
#[component]
fn TeamAccounts(teams: Vec<TeamName>) -> impl IntoView {
    let team = RwSignal::new(teams[0].clone());
    let changes = RwSignal::new(0_u32);
    let accounts = LocalResource::new(move || {
        changes.track();
        session::current().track();
        api::service_accounts(team.get())
    });
    // The only place a password is held: it goes with the page.
    let secret = RwSignal::new(None::<Shown>);
    let done = Callback::new(move |shown: Option<Shown>| {
        secret.set(shown);
        changes.update(|n| *n += 1);
    });
    let choice = team_choice(&teams, team, "accounts-team", move || secret.set(None));
    let empty = ("No service accounts", "Your team has none yet: add one below.");
    let list = team_list(accounts, "service accounts", empty, "accounts-list", move |account| {
        view! { <AccountRow account done/> }.into_any()
    });
    view! {
        {choice}
        <OnceShown secret/>
        <section class="access-list" aria-labelledby="accounts-title" data-testid="accounts">
            <h2 id="accounts-title">"Our service accounts"</h2>
            {list}
        </section>
        <section class="access-list" aria-labelledby="add-title">
            <h2 id="add-title">"Add a service account"</h2>
            <AddAccount team done/>
        </section>
    }
}

/// The password Meshport just set, shown this once, with a way to copy it.
#[component]
fn OnceShown(secret: RwSignal<Option<Shown>>) -> impl IntoView {
    live(move || {
        let Some(Shown { principal, credentials }) = secret.get() else { return ().into_any() };
        let ScramCredentials { username, password, mechanisms } = credentials;
        view! {
            <section class="account-secret" role="alert" aria-labelledby="secret-title" data-testid="account-secret">
                <h2 id="secret-title">{format!("The password of {principal}")}</h2>
                <p class="account-secret__warning" data-testid="account-secret-warning">
                    <strong>"Shown once: it will not be shown again."</strong>
                    " Meshport keeps nothing of it. Put it in your secret store now; should it be lost, rotate the "
                    "account for a new one."
                </p>
                <p data-testid="account-secret-user">
                    {format!("User name {username}, for {}", mechanisms.join(" and "))}
                </p>
                <CopyBlock label="password".to_owned() text=password testid="account-secret-password"/>
                <button
                    type="button"
                    class="button"
                    data-testid="account-secret-done"
                    on:click=move |_| secret.set(None)
                >
                    "I have stored it"
                </button>
            </section>
        }
        .into_any()
    })
}

/// What may be done to an account, each asked to be confirmed first: both end something that works now.
#[derive(Clone, Copy, PartialEq)]
enum Change {
    Rotate,
    Delete,
}

/// An account: its principal, roles and credentials, rotation for those whose credentials Meshport made, deletion.
#[component]
fn AccountRow(account: ServiceAccount, done: Callback<Option<Shown>>) -> impl IntoView {
    let ServiceAccount { principal, team, roles, managed, registered_by, registered_at, rotated_at, .. } = account;
    let roles = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" and ");
    let credentials = match (managed, rotated_at) {
        (true, Some(at)) => format!("Meshport manages its credentials; password set on {}", day(&at)),
        (true, None) => "Meshport manages its credentials".to_owned(),
        (false, _) => "registered: its credentials are kept outside Meshport".to_owned(),
    };
    let facts = format!("{roles}; {credentials}; added by {registered_by} on {}", day(&registered_at));
    let asking = RwSignal::new(None::<Change>);
    let sent = Sent::new();
    let (team, account) = (StoredValue::new(team), StoredValue::new(principal.clone()));
    // Made with the row, not in a click handler, which has no owner to keep them.
    let (rotated, deleted) = (shown(done), Callback::new(move |()| done.run(None)));
    let change = move |change: Change| {
        let (team, principal) = (team.get_value(), account.get_value());
        asking.set(None);
        match change {
            Change::Rotate => {
                sent.start(Box::pin(async move { api::rotate_service_account(&team, &principal).await }), rotated);
            }
            Change::Delete => {
                sent.start(Box::pin(async move { api::delete_service_account(&team, &principal).await }), deleted);
            }
        }
    };
    let confirm = live(move || {
        let Some(asked) = asking.get() else { return ().into_any() };
        let (question, yes) = match asked {
            Change::Rotate => ("Set a new password? The current one stops working at once.", "Rotate the password"),
            Change::Delete => (
                "Delete this account? Its write access goes, and with it the credentials Meshport made.",
                "Delete the account",
            ),
        };
        view! {
            <div class="access-request__actions" data-testid="account-confirm">
                <span>{question}</span>
                <button type="button" class="button" data-testid="account-confirm-yes" on:click=move |_| change(asked)>
                    {yes}
                </button>
                <button type="button" class="button button--quiet" on:click=move |_| asking.set(None)>
                    "Keep it"
                </button>
            </div>
        }
        .into_any()
    });
    let button = move |what: Change, label: &'static str, testid: &'static str| {
        view! {
            <button
                type="button"
                class="button"
                data-testid=testid
                disabled=move || sent.pending.get()
                on:click=move |_| asking.set(Some(what))
            >
                {label}
            </button>
        }
    };
    view! {
        <li class="access-request" data-testid="account" data-principal=principal.to_string()>
            <p class="access-request__title">
                <code>{principal.to_string()}</code>
            </p>
            <p class="access-request__text" data-testid="account-facts">{facts}</p>
            <div class="access-request__actions">
                {managed.then(|| button(Change::Rotate, "Rotate the password", "account-rotate"))}
                {button(Change::Delete, "Delete", "account-delete")}
            </div>
            {confirm}
            <Refusal failed=sent.failed()/>
        </li>
    }
}

/// The form that registers a principal, or has Meshport create it with a password.
#[component]
fn AddAccount(team: RwSignal<TeamName>, done: Callback<Option<Shown>>) -> impl IntoView {
    let principal = RwSignal::new(String::new());
    let producer = RwSignal::new(false);
    let consumer = RwSignal::new(true);
    let create = RwSignal::new(true);
    // What the portal itself found wrong: never sent then.
    let (principal_typed, roles_typed) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let sent = Sent::new();
    let shown = shown(done);
    let added = Callback::new(move |answer: ServiceAccountAnswer| {
        principal.set(String::new());
        shown.run(answer);
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = Principal::parse(principal.get_untracked().trim()).map_err(|e| e.to_string());
        principal_typed.set(parsed.as_ref().err().cloned().unwrap_or_default());
        let roles = [(producer, AccountRole::Producer), (consumer, AccountRole::Consumer)]
            .into_iter()
            .filter_map(|(on, role)| on.get_untracked().then_some(role))
            .collect();
        let Ok(principal_name) = parsed else { return };
        let draft = ServiceAccountDraft {
            principal: principal_name,
            roles,
            create_credentials: create.get_untracked(),
            reassign: false,
        };
        // The shared rules the API applies too.
        let mistakes = draft.violations();
        roles_typed.set(mistakes.iter().map(|v| v.message.clone()).collect::<Vec<_>>().join("; "));
        if !mistakes.is_empty() {
            return;
        }
        let team = team.get_untracked();
        sent.start(Box::pin(async move { api::add_service_account(&team, &draft).await }), added);
    };
    let failed = sent.failed();
    let principal_message = problem(principal_typed.into(), failed, &["principal"]);
    let roles_message = problem(roles_typed.into(), failed, &["roles"]);
    view! {
        <form class="access-form" novalidate on:submit=on_submit data-testid="account-form">
            <Field
                id="account-principal"
                label="Principal"
                hint="The Kafka user, e.g. User:svc-fraud."
                message=principal_message
            >
                {input("account-principal", "text", principal, principal_message)}
            </Field>
            <Field id="account-roles" label="Roles" message=roles_message>
                {check(producer, "account-producer", " Producer: writes our team's products")}
                {check(consumer, "account-consumer", " Consumer: reads the products our team is granted")}
            </Field>
            {check(
                create,
                "account-create",
                " Meshport creates it with a password (shown once); unticked, a user that exists on the cluster is registered",
            )}
            <Refusal failed/>
            <button type="submit" class="button" data-testid="account-submit" disabled=move || sent.pending.get()>
                "Add the account"
            </button>
        </form>
    }
}

/// What runs `done` with the password an answer carries, if any.
fn shown(done: Callback<Option<Shown>>) -> Callback<ServiceAccountAnswer> {
    Callback::new(move |answer: ServiceAccountAnswer| {
        let principal = answer.account.principal;
        done.run(answer.credentials.map(|credentials| Shown { principal, credentials }));
    })
}

/// The day of a timestamp (`2026-12-05T09:00:00Z`).
fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}
