//! Sign-off on breaking changes: a breaking schema change asked as a new major version of a product that teams
//! consume is stored as a change proposal instead of taking effect. Each subscribing team approves it, or objects
//! with a reason (which blocks it); once all approve, or the policy's grace period ends without objection, the same
//! new major version `evolve` makes is made, and the old product deprecated. The owners may withdraw it until then.
//! Every step is one stored transition of the proposal (see `meshport_shared::proposals`), audited in the product's
//! history, its events (proposed, objected, withdrawn) written in the same transaction.

use meshport_shared::access::{AccessState, MAX_ACCESS_TEXT};
use meshport_shared::api::Identity;
use meshport_shared::proposals::{ChangeProposal, ProposalDecision, ProposalState, TeamVote, Vote};
use meshport_shared::{AuditAction, DataProduct, ProductId, TeamName, Violation, ViolationCode};

use crate::audit;
use crate::error::{Error, Result};
use crate::mesh::Mesh;

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// The teams with an active grant on `product`: those who sign off a breaking change to it.
pub async fn subscribers(mesh: &Mesh, product: &DataProduct) -> Result<Vec<TeamName>> {
    let mut teams: Vec<TeamName> = mesh
        .catalog
        .product_access(&product.id)
        .await?
        .into_iter()
        .filter(|grant| grant.state == AccessState::Active && grant.team != product.owner.team)
        .map(|grant| grant.team)
        .collect();
    teams.sort();
    teams.dedup();
    Ok(teams)
}

/// Stores an open proposal of `schema` as `product`'s next major version, for `subscribers` to sign off; `who`
/// has been checked to change the product. One proposal waits per product at a time.
pub async fn propose(
    mesh: &Mesh,
    who: &Identity,
    product: &DataProduct,
    schema: &str,
    breaking: Vec<String>,
    subscribers: Vec<TeamName>,
) -> Result<ChangeProposal> {
    if let Some(waiting) = mesh.catalog.product_proposals(&product.id).await?.into_iter().find(|p| waits(p.state)) {
        return Err(Error::Conflict(format!(
            "product `{}` has a breaking change waiting for sign-off already (`{}`, {}): withdraw it first",
            product.id,
            waiting.id,
            waiting.state.as_str()
        )));
    }
    let at = now();
    let grace_until = mesh.policy.sign_off.grace_days.and_then(|days| {
        let today = meshport_shared::policy::day_number(&crate::access::today())?;
        Some(meshport_shared::policy::date_of(today + i64::from(days)))
    });
    let proposal = ChangeProposal {
        id: format!("{}-{}", at.replace([':', '.'], ""), &uuid::Uuid::new_v4().simple().to_string()[..8]),
        product: product.id.clone(),
        owner_team: product.owner.team.clone(),
        schema: schema.to_owned(),
        breaking,
        proposed_by: who.subject.clone(),
        created_at: at,
        subscribers,
        votes: Vec::new(),
        state: ProposalState::Open,
        grace_until,
        new_product: None,
        outcome: None,
        revision: 0,
    };
    let teams = proposal.subscribers.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ");
    let summary = format!("proposed a breaking change as a new major version, for {teams} to sign off");
    store(mesh, &who.subject, proposal, None, summary).await
}

/// Whether a proposal in `state` still waits: for votes, or to be applied.
fn waits(state: ProposalState) -> bool {
    matches!(state, ProposalState::Open | ProposalState::Approved | ProposalState::Objected)
}

/// A subscribing team's vote on proposal `id`, cast by `who` for `decision.team` (or their one team that may vote).
/// The last approval makes the new major version.
pub async fn vote(
    mesh: &Mesh,
    who: &Identity,
    id: &str,
    vote: Vote,
    decision: ProposalDecision,
) -> Result<ChangeProposal> {
    let stored = existing(mesh, id).await?;
    let team = match decision.team {
        Some(team) => team,
        None => {
            let mut mine = stored.subscribers.iter().filter(|t| who.teams.contains(t));
            match (mine.next(), mine.next()) {
                (Some(team), None) => team.clone(),
                _ => {
                    return Err(Error::Violations(vec![Violation::new(
                        ViolationCode::RequiredFieldMissing,
                        "team",
                        "name the subscribing team you vote for",
                    )]));
                }
            }
        }
    };
    if !who.acts_for(&team) {
        return Err(Error::Forbidden(format!("you are not in team `{team}`: vote for one of your teams")));
    }
    if !stored.subscribers.contains(&team) {
        return Err(Error::Forbidden(format!(
            "team `{team}` did not subscribe to `{}` when the change was proposed: only its subscribers sign it off",
            stored.product
        )));
    }
    require_revision(&stored, decision.revision)?;
    if !stored.may_vote(&team) {
        return Err(Error::Conflict(match stored.state {
            ProposalState::Open => format!("team `{team}` voted on proposal `{id}` already"),
            state => format!("proposal `{id}` is {}: it takes no more votes", state.as_str()),
        }));
    }
    let reason = decision.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if vote == Vote::Object && reason.is_none() {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::RequiredFieldMissing,
            "reason",
            "say why your team objects, so that the owners can answer it",
        )]));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_ACCESS_TEXT) {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::TooLong,
            "reason",
            format!("the text is longer than {MAX_ACCESS_TEXT} characters"),
        )]));
    }
    let mut next = stored.clone();
    next.state = stored.state_after(vote);
    next.votes.push(TeamVote { team: team.clone(), vote, reason: reason.clone(), by: who.subject.clone(), at: now() });
    let summary = match (vote, next.state) {
        (Vote::Object, _) => format!("team `{team}` objected to the breaking change: {}", reason.unwrap_or_default()),
        (Vote::Approve, ProposalState::Approved) => {
            format!("team `{team}` approved the breaking change; every subscriber approved")
        }
        (Vote::Approve, _) => format!("team `{team}` approved the breaking change"),
    };
    let stored = store(mesh, &who.subject, next, Some(stored.revision), summary).await?;
    match stored.state {
        ProposalState::Approved => apply(mesh, stored).await,
        _ => Ok(stored),
    }
}

/// The owners take proposal `id` back: it is over, nothing changes.
pub async fn withdraw(mesh: &Mesh, who: &Identity, id: &str, decision: ProposalDecision) -> Result<ChangeProposal> {
    let stored = existing(mesh, id).await?;
    if !who.acts_for(&stored.owner_team) {
        return Err(Error::Forbidden(format!(
            "only team `{}` (the product's owners) or org admins withdraw this proposal",
            stored.owner_team
        )));
    }
    require_revision(&stored, decision.revision)?;
    if !stored.state.withdrawable() {
        return Err(Error::Conflict(format!("proposal `{id}` is {}: it cannot be withdrawn", stored.state.as_str())));
    }
    let mut next = stored.clone();
    next.state = ProposalState::Withdrawn;
    next.outcome = Some(format!("withdrawn by {}", who.subject));
    store(mesh, &who.subject, next, Some(stored.revision), "withdrew the breaking change".into()).await
}

/// Makes the new major version of an approved proposal, as `evolve` does (in the name of whoever proposed it, for
/// the owning team), and stores it applied; when that fails, it stays approved with the error, and sync tries again.
async fn apply(mesh: &Mesh, approved: ChangeProposal) -> Result<ChangeProposal> {
    let product = mesh
        .catalog
        .get_product(&approved.product)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no data product `{}`", approved.product)))?;
    let proposer = Identity {
        subject: approved.proposed_by.clone(),
        name: approved.proposed_by.clone(),
        teams: vec![product.owner.team.clone()],
        admin: false,
        scope: Default::default(),
    };
    let mut next = approved.clone();
    let (summary, outcome) =
        match crate::lifecycle::new_major_version(mesh, &proposer, &product, &approved.schema).await {
            Ok(successor) => {
                next.state = ProposalState::Applied;
                next.new_product = Some(successor.id.clone());
                next.outcome = None;
                (format!("signed off: made the new major version `{}`", successor.id), Ok(()))
            }
            Err(e) => {
                next.outcome = Some(e.to_string());
                (format!("signed off, but the new major version could not be made: {e}"), Err(e))
            }
        };
    let stored = store(mesh, "meshport", next, Some(approved.revision), summary).await?;
    outcome.map(|()| stored)
}

/// Approves the open proposals whose grace period ended by `today` without objection, and applies every approved
/// one (those just approved, and those a crash or a failure left approved). Answers the ids of those applied.
pub async fn apply_due(mesh: &Mesh, today: &str) -> Result<Vec<String>> {
    let mut applied = Vec::new();
    for proposal in mesh.catalog.waiting_proposals().await? {
        let approved = if proposal.grace_over(today) {
            let mut next = proposal.clone();
            next.state = ProposalState::Approved;
            let summary =
                format!("no subscriber objected by {}: approved", proposal.grace_until.clone().unwrap_or_default());
            match store(mesh, "meshport", next, Some(proposal.revision), summary).await {
                Ok(stored) => stored,
                Err(e) => {
                    tracing::warn!(proposal = %proposal.id, error = %e, "a proposal's grace period not applied; the next sync retries");
                    continue;
                }
            }
        } else if proposal.state == ProposalState::Approved {
            proposal
        } else {
            continue;
        };
        let id = approved.id.clone();
        match apply(mesh, approved).await {
            Ok(_) => applied.push(id),
            Err(e) => {
                tracing::warn!(proposal = %id, error = %e, "an approved proposal not applied; the next sync retries")
            }
        }
    }
    Ok(applied)
}

/// A product's proposals, newest first.
pub async fn for_product(mesh: &Mesh, product: &ProductId) -> Result<Vec<ChangeProposal>> {
    if mesh.catalog.get_product(product).await?.is_none() {
        return Err(Error::NotFound(format!("no data product `{product}`")));
    }
    let mut proposals = mesh.catalog.product_proposals(product).await?;
    proposals.reverse();
    Ok(proposals)
}

/// The proposals waiting that concern `who`'s teams: to sign off as a subscriber, or as the owners. Newest first.
pub async fn mine(mesh: &Mesh, who: &Identity) -> Result<Vec<ChangeProposal>> {
    let concerns = |p: &ChangeProposal| {
        who.teams.contains(&p.owner_team) || p.subscribers.iter().any(|team| who.teams.contains(team))
    };
    let mut proposals: Vec<ChangeProposal> =
        mesh.catalog.waiting_proposals().await?.into_iter().filter(concerns).collect();
    proposals.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(proposals)
}

async fn existing(mesh: &Mesh, id: &str) -> Result<ChangeProposal> {
    let shown: String = id.chars().take(120).collect();
    mesh.catalog.get_proposal(id).await?.ok_or_else(|| Error::NotFound(format!("no change proposal `{shown}`")))
}

fn require_revision(stored: &ChangeProposal, sent: u64) -> Result<()> {
    if sent != stored.revision {
        return Err(Error::Stale(format!(
            "proposal `{}` changed since you read it (you sent revision {sent}, it is at {}): reload and try again",
            stored.id, stored.revision
        )));
    }
    Ok(())
}

/// Stores a proposal's change with its audit entry in the product's history.
async fn store(
    mesh: &Mesh,
    actor: &str,
    proposal: ChangeProposal,
    expected: Option<u64>,
    summary: String,
) -> Result<ChangeProposal> {
    let entry = audit::entry(actor, &proposal.product, AuditAction::SignOff, summary, None, None);
    let stored = mesh.catalog.put_proposal(proposal, expected, entry.clone()).await?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(stored)
}
