//! One breaking change waiting for sign-off, as a row of a list: what breaks, which subscribing teams must still
//! approve, the grace period if the policy has one, its state, and the votes cast; a subscribing team approves, or
//! objects with a reason, and the owners withdraw. The Access page lists the person's teams' proposals, and a
//! product's (`routes/product/proposals.rs`), with this one row. What it offers comes from the shared state machine
//! (`meshport_shared::proposals`), the one the API enforces.

use leptos::prelude::*;
use meshport_shared::proposals::{ChangeProposal, ProposalDecision, Vote};

use crate::api;
use crate::components::change::{Refusal, Sent, problem, text_box};
use crate::components::form::Field;
use crate::reactive::live;
use crate::session;

/// A proposal with the actions the signed-in person's teams may take on it; `done` runs once the API took one.
#[component]
pub fn ProposalRow(proposal: ChangeProposal, done: Callback<()>) -> impl IntoView {
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
    let waiting: Vec<String> = proposal
        .subscribers
        .iter()
        .filter(|team| !proposal.votes.iter().any(|v| &v.team == *team))
        .map(ToString::to_string)
        .collect();
    let waiting = (proposal.state.takes_votes() && !waiting.is_empty()).then(|| {
        let grace = proposal.grace_until.as_ref().map(|day| format!(" Approved on {day} unless a team objects."));
        view! {
            <p class="access-request__text" data-testid="proposal-waiting">
                {format!("Waiting for {} to approve.", waiting.join(", "))}
                {grace}
            </p>
        }
        .into_any()
    });
    let successor = proposal.new_product.map(|id| {
        view! {
            <p class="access-request__text" data-testid="proposal-successor">
                "The new major version is "
                <a href=format!("/products/{}", api::encode(id.as_str()))>{id.to_string()}</a>
                "; this one is deprecated in its favour."
            </p>
        }
        .into_any()
    });
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
            {live(move || {
                if !objecting.get() {
                    return ().into_any();
                }
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
                .into_any()
            })}
        }
        .into_any()
    });
    let withdraw = owner.then(|| {
        view! {
            <button type="button" class="button" data-testid="proposal-withdraw" disabled=move || sent.pending.get()
                on:click=move |_| send("withdraw", None, None)>"Withdraw"</button>
        }
        .into_any()
    });
    let state = proposal.state.as_str();
    view! {
        <li class="access-request" data-testid="proposal" data-proposal-id=proposal.id.clone() data-state=state>
            <p class="access-request__title">
                <span class=format!("access-state access-state--{state}") data-testid="proposal-state">{state}</span>
                " "
                <a href=format!("/products/{}", api::encode(proposal.product.as_str()))>{proposal.product.to_string()}</a>
                {format!(" of team {}: a new major version, for {} to sign off.", proposal.owner_team,
                    proposal.subscribers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))}
            </p>
            <p class="access-request__text" data-testid="proposal-breaking">
                {format!("Breaking: {}", proposal.breaking.join("; "))}
            </p>
            {waiting}
            {(!votes.is_empty()).then(|| view! { <p class="access-request__text" data-testid="proposal-votes">{votes}</p> }.into_any())}
            {proposal.outcome.map(|outcome| view! { <p class="access-request__text">{outcome}</p> }.into_any())}
            {successor}
            {vote_buttons}
            {withdraw}
            <Refusal failed/>
        </li>
    }
}
