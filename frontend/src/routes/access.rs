//! The Access page (`/access`), its own bundle: "My team's access", the requests and grants of the person's teams
//! (those expiring soonest first, each active grant with its consumer code filled in for the granted principal and
//! group), and "Requests to our products", the owners' inbox, where they approve, deny, revoke and retry. Which
//! action a request offers comes from the shared state machine, the one the API enforces. With `?product=<id>` (the
//! product page's Access section leads there), the request form for that product and its teams' open requests, in
//! the same rows, come first, then its breaking changes waiting for sign-off (`product/proposals.rs`). Its link leads to the teams' service accounts (`accounts.rs`, `/access/accounts`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use meshport_shared::access::{AccessAction, AccessDecision, AccessRequest, AccessState, GroupPattern};
use meshport_shared::api::ProductDetail;

pub mod accounts;
pub mod channels;
mod proposals;
pub mod request;
pub mod retirement;
mod team;
pub mod tokens;
pub mod unmanaged;

use crate::api;
use crate::components::feedback::{Empty, Loading};
use crate::components::form::Field;
use crate::components::sign_in::SignInPrompt;
use crate::reactive::live;
use crate::routes::product::Problem;
use crate::routes::product::consume::{ConsumeSnippets, Granted};
use crate::routes::product::proposals::ProductProposals;
use crate::session;
use request::AccessPanel;

// The pieces of a change sent from a row, shared with the product page's votes: the access pages name them here.
pub(crate) use crate::components::change::{Refusal, Sent, problem, text_box};

/// What the requesting team may do with its requests.
pub const REQUESTERS: &[AccessAction] = &[AccessAction::Cancel];
/// What the owning team may do with requests to its products.
pub const OWNERS: &[AccessAction] =
    &[AccessAction::Approve, AccessAction::Retry, AccessAction::Deny, AccessAction::Revoke];

/// A list of requests as the API answers it.
pub type Requests = LocalResource<api::Result<Vec<AccessRequest>>>;

/// A request for a list of requests, boxed: every list is then one `LocalResource` type in the bundle.
pub type Read = Pin<Box<dyn Future<Output = api::Result<Vec<AccessRequest>>>>>;

/// The list `read` answers, read again whenever the session or a signal `read` tracks changes.
pub fn requests(read: Arc<dyn Fn() -> Read + Send + Sync>) -> Requests {
    LocalResource::new(move || {
        session::current().track();
        read()
    })
}

#[component]
pub fn Access() -> impl IntoView {
    // The product asked about, if any. The lists are read again when it changes too: the header's Access link,
    // followed from `?product=`, shows the lists as they are now, as a fresh page would.
    let query = use_query_map();
    let asked = Memo::new(move |_| query.with(|q| q.get("product")));
    // Counts the changes of requests made here: each one reads every list again, since a request may be in several.
    let decided = RwSignal::new(0_u32);
    let mine = requests(Arc::new(move || {
        decided.track();
        asked.track();
        Box::pin(api::my_access())
    }));
    let inbox = requests(Arc::new(move || {
        decided.track();
        asked.track();
        Box::pin(api::access_inbox())
    }));
    let done = Callback::new(move |()| decided.update(|n| *n += 1));
    // Counts the decisions on change proposals made here: the product's list and the teams' list read again.
    let signed = RwSignal::new(0_u32);
    provide_context(Mine(mine));
    let list = move |list: Requests, actions: &'static [AccessAction], empty: (&'static str, &'static str)| {
        loaded(
            list,
            Callback::new(move |requests: Vec<AccessRequest>| {
                if requests.is_empty() {
                    return view! { <Empty title=empty.0>{empty.1}</Empty> }.into_any();
                }
                let rows = requests.into_iter().map(|request| view! { <RequestRow request actions done/> });
                view! { <ul class="access-requests" role="list">{rows.collect_view()}</ul> }.into_any()
            }),
        )
    };
    let page = live(move || {
        if session::identity().is_none() {
            return view! { <SignInPrompt title="Sign in to see your team's access"/> }.into_any();
        }
        view! {
            {move || asked.get().map(|id| view! { <Ask id=id.clone() changes=decided/> <ProductProposals product_id=id decided=signed/> })}
            <section class="access-list" aria-labelledby="mine-title" data-testid="my-access">
                <h2 id="mine-title">"My team's access"</h2>
                {list(mine, REQUESTERS, ("No access yet", "Your teams have asked for none: ask on a product's page, under Access."))}
            </section>
            <section class="access-list" aria-labelledby="inbox-title" data-testid="access-inbox">
                <h2 id="inbox-title">"Requests to our products"</h2>
                {list(inbox, OWNERS, ("No requests", "Nobody has asked for access to your teams' products."))}
            </section>
            <proposals::Proposals decided=signed/>
        }
        .into_any()
    });
    view! {
        <div class="access-page" data-testid="access-page">
            <h1>"Access"</h1>
            <p class="muted">
                "Who reads what: the access your teams asked for and were granted, and the requests to read your "
                "teams' products. Meshport creates the Kafka ACLs of a grant when it is approved and deletes them when "
                "it is revoked or ends."
            </p>
            <p>
                <a href="/access/accounts" data-testid="accounts-link">"Your teams' service accounts"</a>
                ": the Kafka principals your requests name and your producers write as. "
                <a href="/access/channels" data-testid="channels-link">"Your teams' notification channels"</a>
                ": where Meshport tells your teams of changes to what they read and of requests to what they own."
            </p>
            <p>
                <a href="/access/tokens" data-testid="tokens-link">"Your teams' API tokens"</a>
                ": what your CI jobs call Meshport with."
            </p>
            {page}
        </div>
    }
}

/// Access to product `id`: the form to ask for it, or where the person's teams' requests stand, once the product's
/// owner and status are known. `changes` counts the page's changes of requests, the panel's among them.
#[component]
fn Ask(id: String, changes: RwSignal<u32>) -> impl IntoView {
    let heading = format!("Access to {id}");
    let href = format!("/products/{}", api::encode(&id));
    let detail = LocalResource::new(move || api::product(id.clone()));
    let panel = live(move || match detail.get() {
        None => view! { <Loading what="the product"/> }.into_any(),
        Some(Ok(detail)) => {
            let product = detail.product;
            view! {
                <AccessPanel
                    product=product.id
                    owner=product.owner.team
                    status=product.status
                    personal=!product.personal_fields.is_empty()
                    changes
                />
            }
            .into_any()
        }
        Some(Err(error)) => view! { <Problem error/> }.into_any(),
    });
    view! {
        <section class="access-list" aria-labelledby="ask-title" data-testid="access-ask">
            <h2 id="ask-title">
                <a href=href>{heading}</a>
            </h2>
            {panel}
        </section>
    }
}

/// A list of requests once it came (`shown`), or why it did not. One function for the page's lists and a product's
/// (`request.rs`), so their code is in the bundle once.
pub fn loaded(list: Requests, shown: Callback<Vec<AccessRequest>, AnyView>) -> impl IntoView {
    live(move || match list.get() {
        None => view! { <Loading what="requests"/> }.into_any(),
        Some(Ok(requests)) => shown.run(requests),
        Some(Err(error)) => view! {
            <Problem error>
                <button type="button" class="button" on:click=move |_| list.refetch()>"Try again"</button>
            </Problem>
        }
        .into_any(),
    })
}

/// A request: its state, product, teams, principals, group and end date, what was said about it, and the `actions`
/// its state allows.
#[component]
pub fn RequestRow(request: AccessRequest, actions: &'static [AccessAction], done: Callback<()>) -> impl IntoView {
    let offered: Vec<AccessAction> = actions.iter().copied().filter(|a| request.state.after(*a).is_some()).collect();
    let granted = request.state == AccessState::Active && actions == REQUESTERS;
    let consume = granted.then(|| {
        view! {
            <Successor request=request.clone() done/>
            <GrantedCode request=request.clone()/>
        }
    });
    let decisions = (!offered.is_empty()).then(|| view! { <Decisions request=request.clone() offered done/> });
    let AccessRequest {
        id,
        product,
        owner_team,
        team,
        purpose,
        principals,
        group,
        group_pattern,
        until,
        state,
        requested_at,
        reason,
        ..
    } = request;
    let principals = principals.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let prefix = if group_pattern == GroupPattern::Prefixed { " (a prefix)" } else { "" };
    let until = until.map_or_else(|| "permanently".to_owned(), |day| format!("until {day}"));
    let asked = requested_at.get(..10).unwrap_or_default().to_owned();
    let facts = format!("{until}, as {principals}, consumer group {group}{prefix}; asked on {asked}");
    view! {
        <li class="access-request" data-testid="access-request" data-request-id=id data-state=state.as_str()>
            <p class="access-request__title">
                <span class=format!("access-state access-state--{}", state.as_str()) data-testid="access-state">
                    {state.as_str()}
                </span>
                " "
                <a href=format!("/products/{}", api::encode(product.as_str()))>{product.to_string()}</a>
                {format!(" for team {team}, owned by {owner_team}")}
            </p>
            <p class="access-request__text" data-testid="access-facts">{facts}</p>
            <p class="access-request__text">{format!("Purpose: {purpose}")}</p>
            {reason.map(|reason| view! { <p class="access-request__text" data-testid="access-why">{format!("Why: {reason}")}</p> })}
            {decisions}
            {consume}
        </li>
    }
}

/// The actions offered on a request: one click for approve, retry and cancel; deny and revoke ask for the reason
/// the requesting team will read first.
#[component]
fn Decisions(request: AccessRequest, offered: Vec<AccessAction>, done: Callback<()>) -> impl IntoView {
    let (id, revision) = (StoredValue::new(request.id), request.revision);
    // The action waiting for its reason.
    let asking = RwSignal::new(None::<AccessAction>);
    let reason = RwSignal::new(String::new());
    let sent = Sent::new();
    let decide = move |action: AccessAction, reason: Option<String>| {
        let id = id.get_value();
        sent.start(
            Box::pin(
                async move { api::decide_access(&id, action, &AccessDecision { revision, reason }).await.map(drop) },
            ),
            done,
        );
    };
    let failed = sent.failed();
    let reason_message = problem(Signal::stored(String::new()), failed, &["reason"]);
    let buttons = offered
        .into_iter()
        .map(|action| {
            let needs_reason = matches!(action, AccessAction::Deny | AccessAction::Revoke);
            view! {
                <button
                    type="button"
                    class="button"
                    data-testid=format!("access-{}", action.as_str())
                    disabled=move || sent.pending.get()
                    on:click=move |_| if needs_reason { asking.set(Some(action)) } else { decide(action, None) }
                >
                    {label(action)}
                </button>
            }
        })
        .collect_view();
    let reason_form = live(move || {
        let Some(action) = asking.get() else { return ().into_any() };
        view! {
            <form
                class="access-reason"
                novalidate
                data-testid="access-reason-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    decide(action, Some(reason.get_untracked()));
                }
            >
                <Field
                    id="access-reason"
                    label=format!("Why {}?", label(action).to_lowercase())
                    hint="The requesting team reads it with the decision."
                    message=reason_message
                >
                    {text_box("access-reason", reason, reason_message)}
                </Field>
                <button type="submit" class="button" data-testid="access-confirm">
                    {label(action)}
                </button>
            </form>
        }
        .into_any()
    });
    view! {
        <div class="access-request__actions">{buttons}</div>
        {reason_form}
        <Refusal failed/>
    }
}

/// My team's access as the page read it, for a grant to tell whether its team has asked for the successor already.
#[derive(Clone, Copy)]
struct Mine(Requests);

/// For an active grant on a product deprecated in favour of another (its next major version): one click asks for the
/// same access to that one (the API copies principals, group, purpose and end date), unless the team has asked.
#[component]
fn Successor(request: AccessRequest, done: Callback<()>) -> impl IntoView {
    let product = request.product.to_string();
    let detail = LocalResource::new(move || api::product(product.clone()));
    let mine = use_context::<Mine>();
    let (id, team, product) = (StoredValue::new(request.id), request.team, request.product);
    let sent = Sent::new();
    live(move || {
        let Some(Ok(detail)) = detail.get() else { return ().into_any() };
        let Some(next) = detail.product.deprecation.and_then(|d| d.replacement) else { return ().into_any() };
        let asked = mine
            .and_then(|Mine(list)| list.get())
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(|r| r.team == team && r.product == next && !r.state.is_final()));
        let said = format!("{product} is deprecated in favour of {next}.");
        let offer = if asked {
            view! { <span data-testid="access-successor-asked">{format!(" Team {team} has asked for {next}.")}</span> }
                .into_any()
        } else {
            let ask = move |_| {
                let id = id.get_value();
                sent.start(Box::pin(async move { api::request_successor(&id).await.map(drop) }), done);
            };
            view! {
                " "
                <button
                    type="button"
                    class="button"
                    data-testid="access-request-successor"
                    disabled=move || sent.pending.get()
                    on:click=ask
                >
                    {format!("Request access to {next}")}
                </button>
                <Refusal failed=sent.failed()/>
            }
            .into_any()
        };
        view! {
            <div class="access-request__actions" data-testid="access-successor">
                <span>{said}</span>
                {offer}
            </div>
        }
        .into_any()
    })
}

/// An active grant's consumer code, filled in for its first principal and its group: the product's connection
/// facts are read when asked for.
#[component]
fn GrantedCode(request: AccessRequest) -> impl IntoView {
    let product = request.product.to_string();
    let loaded = RwSignal::new(None::<api::Result<ProductDetail>>);
    let granted = request.principals.first().cloned().map(|principal| Granted {
        principal,
        group: match request.group_pattern {
            // A prefix grants every group id that starts with it: name one for this product.
            GroupPattern::Prefixed => format!("{}{}", request.group, request.product),
            GroupPattern::Literal => request.group.to_string(),
        },
    });
    let shown = live(move || match loaded.get() {
        None => ().into_any(),
        Some(Ok(detail)) => view! {
            <ConsumeSnippets product_id=detail.product.id.to_string() consume=detail.consume granted=granted.clone()/>
        }
        .into_any(),
        Some(Err(error)) => view! { <Problem error/> }.into_any(),
    });
    let load = move |_| {
        let product = product.clone();
        leptos::task::spawn_local(async move {
            loaded.try_set(Some(api::product(product).await));
        });
    };
    view! {
        <div class="access-request__consume">
            <button type="button" class="button button--quiet" data-testid="access-show-consume" on:click=load>
                "How to consume"
            </button>
            <div data-testid="access-consume">{shown}</div>
        </div>
    }
}

fn label(action: AccessAction) -> &'static str {
    match action {
        AccessAction::Approve => "Approve",
        AccessAction::Deny => "Deny",
        AccessAction::Cancel => "Cancel the request",
        AccessAction::Revoke => "Revoke",
        AccessAction::Retry => "Retry the grant",
        AccessAction::Expire | AccessAction::Granted | AccessAction::GrantFailed => "",
    }
}
