//! What the pages around the form share: the gate that lets only people who may own products in, with the policy
//! loaded; answers fetched into signals; the notice for a request the API refused; the API's dry runs.
//!
//! Answers are fetched into plain signals rather than resources under `Suspense`: the pages need nothing more, and
//! each resource and suspense boundary costs the portal's bundle far more than a signal does.

use leptos::prelude::*;
use leptos::task::spawn_local;
use meshport_shared::api::Identity;
use meshport_shared::{DataProduct, GovernancePolicy};

use super::{ProductFormState, domains_for};
use crate::api;
use crate::components::feedback::Loading;
use crate::reactive::{fetched, live, watch};
use crate::session;

/// A fetch that failed: what could not be loaded, the API's code and message, and a way to try again.
pub fn load_failed(what: &'static str, error: &api::Error, retry: impl Fn() + 'static) -> AnyView {
    view! {
        <div class="notice notice--error" role="alert" data-testid="load-error">
            <p class="notice__title">{format!("{what} could not be loaded")}</p>
            <p>
                {error.message()}
                " "
                <code class="error-code">{error.code().to_owned()}</code>
            </p>
            <div class="notice__actions">
                <button type="button" class="button" on:click=move |_| retry()>
                    "Try again"
                </button>
            </div>
        </div>
    }
    .into_any()
}

/// Shows `form` once someone is signed in who may own products and the policy is loaded. Otherwise it says what is
/// missing: a prompt to sign in (back to `here` afterwards), or why a person without a team, or whose teams are in
/// none of the policy's domains, cannot go on.
#[component]
pub fn ForTeamMembers(
    /// This page's address, to come back to after signing in.
    here: &'static str,
    /// What the page does, for the prompts: "publish a topic".
    action: &'static str,
    form: fn(GovernancePolicy, Identity) -> AnyView,
) -> impl IntoView {
    // Fetched again when the session changes (reads may need one) and on "Try again".
    let retries = RwSignal::new(0_u32);
    let session = session::current();
    let policy =
        fetched(move || (retries.get(), session.with(|s| s.as_ref().map(|s| s.token.clone()))), |_| api::policy());
    live(move || {
        match session::identity() {
        None => view! {
            <div class="notice" data-testid="sign-in-prompt">
                <p class="notice__title">{format!("Sign in to {action}")}</p>
                <p>"Data products belong to teams, so Meshport needs to know who you are and which teams you act for."</p>
                <div class="notice__actions">
                    <a class="button" href=format!("/sign-in?next={}", api::encode(here))>"Sign in"</a>
                </div>
            </div>
        }
        .into_any(),
        Some(who) if who.teams.is_empty() && !who.admin => view! {
            <div class="notice" data-testid="no-team">
                <p class="notice__title">{format!("You cannot {action} yet")}</p>
                <p>
                    "You are signed in as " <strong>{who.name}</strong> ", but you belong to no team. Every data "
                    "product is owned by a team: ask whoever manages your organisation's groups to add you to your "
                    "team's, then sign in again."
                </p>
            </div>
        }
        .into_any(),
        Some(who) => match policy.get() {
            None => view! { <Loading what="the governance policy"/> }.into_any(),
            Some(Err(error)) => load_failed("The governance policy", &error, move || retries.update(|n| *n += 1)),
            Some(Ok(policy)) => gate(policy, who, action, form),
        },
    }
    })
}

fn gate(
    policy: GovernancePolicy,
    who: Identity,
    action: &str,
    form: fn(GovernancePolicy, Identity) -> AnyView,
) -> AnyView {
    if !policy.domains.is_empty() && domains_for(&policy, &who).is_empty() {
        let teams = who.teams.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
        return view! {
            <div class="notice" data-testid="no-domain">
                <p class="notice__title">{format!("You cannot {action} yet")}</p>
                <p>
                    {format!(
                        "None of your teams ({teams}) belongs to one of the organisation's domains, and every data \
                         product lives in a domain. Ask whoever keeps the governance policy to add your team to its domain."
                    )}
                </p>
            </div>
        }
        .into_any();
    }
    form(policy, who)
}

/// The API refused a submit for a reason that is not a field's: its code, and its message saying what to do.
#[component]
pub fn SubmitFailure(
    /// E.g. "Not published".
    title: &'static str,
    failure: ReadSignal<Option<api::Error>>,
    /// More to say under the message (e.g. what a failed create left behind).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let extra = children.map(|children| children());
    view! {
        <div
            class="notice notice--error"
            id="submit-error"
            tabindex="-1"
            role="alert"
            data-testid="submit-error"
            hidden=move || failure.with(Option::is_none)
        >
            <p class="notice__title">{title}</p>
            {live(move || {
                failure
                    .get()
                    .map(|error| {
                        view! {
                            <p>
                                <span data-testid="submit-error-message">{error.message()}</span>
                                " "
                                <code class="error-code" data-testid="submit-error-code">{error.code().to_owned()}</code>
                            </p>
                        }
                    })
                    .into_any()
            })}
            {extra}
        </div>
    }
}

/// Where the API's dry run of the form stands.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckStatus {
    Idle,
    Checking,
    /// The API would accept it as it is.
    Passed,
    /// The API listed violations; they are next to their fields.
    Refused(usize),
    /// The API could not check it (refused for another reason, or unreachable).
    Failed(api::Error),
}

/// The API's dry runs of what a form would send, so violations only the server can see (a topic already taken,
/// an input product that does not exist) show before a submit. Only the newest check's answer counts.
#[derive(Debug, Clone, Copy)]
pub struct ApiCheck {
    status: RwSignal<CheckStatus>,
    asked: StoredValue<u64>,
}

/// How long the form must stay unchanged before the API is asked on its own.
const CHECK_DELAY: std::time::Duration = std::time::Duration::from_millis(600);

impl ApiCheck {
    /// Asks the API whenever `request` settles on a new value for a moment; `request` answers `None` while the
    /// form still fails its own checks (the person is at it already, and a submit tells the rest).
    pub fn new<R, F>(
        state: ProductFormState,
        request: impl Fn() -> Option<R> + Send + Sync + 'static,
        dry_run: fn(R) -> F,
    ) -> Self
    where
        R: Clone + PartialEq + Send + Sync + 'static,
        F: Future<Output = api::Result<DataProduct>> + 'static,
    {
        let check = Self { status: RwSignal::new(CheckStatus::Idle), asked: StoredValue::new(0) };
        let request = Memo::new(move |_| request());
        watch(move || {
            let Some(request) = request.get() else {
                check.forget();
                return;
            };
            let asked = check.forget();
            set_timeout(
                move || {
                    // `try_`: the form may be gone by then (an expired sign-in swaps it for a prompt).
                    if check.asked.try_get_value() == Some(asked) {
                        check.run(state, dry_run(request));
                    }
                },
                CHECK_DELAY,
            );
        });
        check
    }

    /// Drops any answer still to come, and says nothing was checked.
    fn forget(&self) -> u64 {
        self.asked.update_value(|n| *n += 1);
        self.status.set(CheckStatus::Idle);
        self.asked.get_value()
    }

    /// Runs one dry run now, its violations going next to their fields.
    pub fn run(&self, state: ProductFormState, dry_run: impl Future<Output = api::Result<DataProduct>> + 'static) {
        let check = *self;
        let asked = check.asked.get_value();
        check.status.set(CheckStatus::Checking);
        spawn_local(async move {
            let answer = dry_run.await;
            // A newer question was asked meanwhile, or the form is gone (an expired sign-in swaps it for a prompt).
            if check.asked.try_get_value() != Some(asked) {
                return;
            }
            let status = match answer {
                Ok(_) => {
                    state.set_server_problems(&[]);
                    CheckStatus::Passed
                }
                Err(error) if !error.violations().is_empty() => {
                    state.set_server_problems(error.violations());
                    CheckStatus::Refused(error.violations().len())
                }
                Err(error) => CheckStatus::Failed(error),
            };
            check.status.set(status);
        });
    }

    pub fn status(&self) -> CheckStatus {
        self.status.get()
    }
}

/// One line saying what the API's dry run found, announced politely.
#[component]
pub fn ApiCheckStatus(
    check: ApiCheck,
    /// What passing means, e.g. "ready to publish".
    ready: &'static str,
) -> impl IntoView {
    let line = live(move || match check.status() {
        CheckStatus::Idle => ().into_any(),
        CheckStatus::Checking => view! { <span>"Checking with the API…"</span> }.into_any(),
        CheckStatus::Passed => {
            view! { <span class="api-check--ok">{format!("The API checked it: {ready}.")}</span> }.into_any()
        }
        CheckStatus::Refused(1) => {
            view! { <span>"The API found 1 problem, shown next to its field."</span> }.into_any()
        }
        CheckStatus::Refused(n) => {
            view! { <span>{format!("The API found {n} problems, shown next to their fields.")}</span> }.into_any()
        }
        CheckStatus::Failed(error) => view! {
            <span>
                "The API could not check it now (" <code>{error.code().to_owned()}</code> "): " {error.message()}
            </span>
        }
        .into_any(),
    });
    view! { <p class="api-check" role="status" data-testid="api-check">{line}</p> }
}
