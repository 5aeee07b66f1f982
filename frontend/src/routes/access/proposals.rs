//! "Breaking changes to sign off", on the Access page: the breaking changes waiting that concern the person's teams.
//! A subscribing team approves, or objects with a reason; the owners withdraw. What each row offers comes from the
//! shared state machine (`meshport_shared::proposals`), the one the API enforces.

use leptos::prelude::*;
use meshport_shared::proposals::{ChangeProposal, ProposalDecision, Vote};

use super::{Refusal, Sent, problem, text_box};
use crate::api;
use crate::components::feedback::{Empty, Loading};
use crate::components::form::Field;
use crate::reactive::live;
use crate::routes::product::Problem;
use crate::session;

/// The person's teams' waiting proposals, read again whenever one of them is decided here or the session changes.
#[component]
pub fn Proposals() -> impl IntoView {
    let decided = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        session::current().track();
        decided.track();
        api::my_proposals()
    });
    let done = Callback::new(move |()| decided.update(|n| *n += 1));
    let shown = live(move || {
        match list.get() {
        None => view! { <Loading what="the breaking changes to sign off"/> }.into_any(),
        Some(Err(error)) => view! { <Problem error/> }.into_any(),
        Some(Ok(proposals)) if proposals.is_empty() => view! {
            <Empty title="Nothing to sign off">"No breaking change to a product your teams read or own is waiting."</Empty>
        }
        .into_any(),
        Some(Ok(proposals)) => {
            let rows = proposals.into_iter().map(|proposal| view! { <ProposalRow proposal done/> });
            view! { <ul class="access-requests" role="list">{rows.collect_view()}</ul> }.into_any()
        }
    }
    });
    view! {
        <section class="access-list" aria-labelledby="proposals-title" data-testid="proposals">
            <h2 id="proposals-title">"Breaking changes to sign off"</h2>
            {shown}
        </section>
    }
}

#[component]
fn ProposalRow(proposal: ChangeProposal, done: Callback<()>) -> impl IntoView {
    let teams = session::identity().map(|who| who.teams).unwrap_or_default();
    let voter = teams.iter().find(|team| proposal.may_vote(team)).cloned();
    let owner = teams.contains(&proposal.owner_team) && proposal.state.withdrawable();
    let (id, revision) = (StoredValue::new(proposal.id.clone()), proposal.revision);
    let reason = RwSignal::new(String::new());
    let objecting = RwSignal::new(false);
    let sent = Sent::new();
    let send = move |action: &'static str, team, reason: Option<String>| {
        let id = id.get_value();
        let decision = ProposalDecision { team, reason, revision };
        sent.start(Box::pin(async move { api::decide_proposal(&id, action, &decision).await.map(drop) }), done);
    };
    let failed = sent.failed();
    let reason_message = problem(Signal::stored(String::new()), failed, &["reason"]);
    let votes = proposal
        .votes
        .iter()
        .map(|v| match v.vote {
            Vote::Approve => format!("{} approved", v.team),
            Vote::Object => format!("{} objected: {}", v.team, v.reason.clone().unwrap_or_default()),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let waiting = proposal.grace_until.as_ref().map(|day| format!(" Approved on {day} unless a team objects."));
    let vote_buttons = voter.map(|team| {
        let object_team = team.clone();
        view! {
            <div class="access-request__actions">
                <button type="button" class="button" data-testid="proposal-approve" disabled=move || sent.pending.get()
                    on:click=move |_| send("approve", Some(team.clone()), None)>"Approve"</button>
                <button type="button" class="button" data-testid="proposal-object" on:click=move |_| objecting.set(true)>
                    "Object"
                </button>
            </div>
            {move || objecting.get().then(|| {
                let team = object_team.clone();
                view! {
                    <form class="access-reason" novalidate data-testid="proposal-reason-form" on:submit=move |ev| {
                        ev.prevent_default();
                        send("object", Some(team.clone()), Some(reason.get_untracked()));
                    }>
                        <Field id="proposal-reason" label="Why does your team object?"
                            hint="The owners read it; the change is blocked." message=reason_message>
                            {text_box("proposal-reason", reason, reason_message)}
                        </Field>
                        <button type="submit" class="button" data-testid="proposal-confirm">"Object"</button>
                    </form>
                }
            })}
        }
    });
    let withdraw = owner.then(|| {
        view! {
            <button type="button" class="button" data-testid="proposal-withdraw" disabled=move || sent.pending.get()
                on:click=move |_| send("withdraw", None, None)>"Withdraw"</button>
        }
    });
    let state = proposal.state.as_str();
    view! {
        <li class="access-request" data-testid="proposal" data-state=state>
            <p class="access-request__title">
                <span class=format!("access-state access-state--{state}")>{state}</span>
                " "
                <a href=format!("/products/{}", api::encode(proposal.product.as_str()))>{proposal.product.to_string()}</a>
                {format!(" of team {}: a new major version, for {} to sign off.", proposal.owner_team,
                    proposal.subscribers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))}
                {waiting}
            </p>
            <p class="access-request__text">{format!("Breaking: {}", proposal.breaking.join("; "))}</p>
            {(!votes.is_empty()).then(|| view! { <p class="access-request__text">{votes}</p> })}
            {vote_buttons}
            {withdraw}
            <Refusal failed/>
        </li>
    }
}
