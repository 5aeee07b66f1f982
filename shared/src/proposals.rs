//! Sign-off on breaking changes: a breaking schema change to a product that teams consume does not take effect at
//! once, it becomes a change proposal that each subscribing team approves, or objects to with a reason. Its life is
//! one state machine, written here once so that the portal offers only what the API allows.
//!
//! ```text
//! open ──(every subscriber approved)──▶ approved ──(new major version made)──▶ applied
//!   │  ──(grace period over, no objection, where the policy allows it)──▶ approved
//!   ├──object──▶ objected (blocked; the owners may still withdraw it)
//!   └──withdraw──▶ withdrawn
//! ```

use serde::{Deserialize, Serialize};

use crate::names::{ProductId, TeamName};

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    /// Waiting for the subscribing teams.
    Open,
    /// Every subscriber approved, or the grace period ended without objection: the new major version is being made.
    Approved,
    /// The new major version exists and the old product is deprecated in its favour.
    Applied,
    /// A subscribing team objected: the change is blocked.
    Objected,
    /// The owners took the proposal back.
    Withdrawn,
}

impl ProposalState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Approved => "approved",
            Self::Applied => "applied",
            Self::Objected => "objected",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Whether nothing more will happen to the proposal.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Applied | Self::Withdrawn)
    }

    /// Whether a subscribing team may still vote.
    pub fn takes_votes(self) -> bool {
        self == Self::Open
    }

    /// Whether the owners may still withdraw it: until it is applied.
    pub fn withdrawable(self) -> bool {
        matches!(self, Self::Open | Self::Objected)
    }
}

/// A subscribing team's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Approve,
    Object,
}

/// One team's vote, who cast it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamVote {
    pub team: TeamName,
    pub vote: Vote,
    /// Why the team objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub by: String,
    pub at: String,
}

/// A breaking change waiting for its subscribers' sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeProposal {
    /// Unique, sortable by time.
    pub id: String,
    pub product: ProductId,
    /// The team owning the product when it was proposed.
    pub owner_team: TeamName,
    /// The proposed value schema.
    pub schema: String,
    /// Each breaking change, in words.
    pub breaking: Vec<String>,
    pub proposed_by: String,
    pub created_at: String,
    /// The teams with an active grant when it was proposed: those who sign off.
    pub subscribers: Vec<TeamName>,
    pub votes: Vec<TeamVote>,
    pub state: ProposalState,
    /// When the grace period ends (`2027-01-31`), where the policy has one: from then, no objection means approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until: Option<String>,
    /// The new major version, once applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_product: Option<ProductId>,
    /// Who withdrew it, or the error that stopped applying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Grows with every change; a vote names the revision it was cast on.
    pub revision: u64,
}

impl ChangeProposal {
    /// Whether `team` may still vote: it subscribes, has not voted, and the proposal is open.
    pub fn may_vote(&self, team: &TeamName) -> bool {
        self.state.takes_votes() && self.subscribers.contains(team) && !self.votes.iter().any(|v| &v.team == team)
    }

    /// The state after `vote` is added: objected on any objection, approved once every subscriber approved.
    pub fn state_after(&self, vote: Vote) -> ProposalState {
        if vote == Vote::Object {
            return ProposalState::Objected;
        }
        let approved = self.votes.iter().filter(|v| v.vote == Vote::Approve).count() + 1;
        if approved >= self.subscribers.len() { ProposalState::Approved } else { ProposalState::Open }
    }

    /// Whether the grace period ended by `today` (`2027-01-31`) with the proposal open: no objection, so approved.
    pub fn grace_over(&self, today: &str) -> bool {
        self.state == ProposalState::Open && self.grace_until.as_deref().is_some_and(|until| until <= today)
    }
}

/// `POST /api/v1/proposals/{id}/approve|object|withdraw`: a vote or withdrawal, on the revision read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProposalDecision {
    /// The team voting: one of the caller's, a subscriber of the product (not needed to withdraw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamName>,
    /// Why the team objects (required to object, at most 2,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub reason: Option<String>,
    /// The proposal's revision the caller read.
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "crate::api::whole::number"))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub revision: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_may_be_written_as_json_schema_allows_an_integer() {
        let decision: ProposalDecision = serde_json::from_str(r#"{"revision": 227.0}"#).unwrap();

        assert_eq!(decision.revision, 227);
        assert!(serde_json::from_str::<ProposalDecision>(r#"{"revision": 2.5}"#).is_err(), "a fraction is no revision");
    }

    fn team(name: &str) -> TeamName {
        TeamName::parse(name).unwrap()
    }

    fn proposal(subscribers: &[&str], votes: &[(&str, Vote)]) -> ChangeProposal {
        ChangeProposal {
            id: "p".into(),
            product: ProductId::parse("orders").unwrap(),
            owner_team: team("trading"),
            schema: String::new(),
            breaking: Vec::new(),
            proposed_by: "carol".into(),
            created_at: "2026-12-05T00:00:00Z".into(),
            subscribers: subscribers.iter().map(|t| team(t)).collect(),
            votes: votes
                .iter()
                .map(|(t, vote)| TeamVote {
                    team: team(t),
                    vote: *vote,
                    reason: None,
                    by: "x".into(),
                    at: String::new(),
                })
                .collect(),
            state: ProposalState::Open,
            grace_until: Some("2026-12-19".into()),
            new_product: None,
            outcome: None,
            revision: 1,
        }
    }

    #[test]
    fn the_last_approval_approves_and_any_objection_blocks() {
        let open = proposal(&["edge", "insights"], &[("edge", Vote::Approve)]);
        assert_eq!(open.state_after(Vote::Approve), ProposalState::Approved);
        assert_eq!(open.state_after(Vote::Object), ProposalState::Objected);
        let fresh = proposal(&["edge", "insights"], &[]);
        assert_eq!(fresh.state_after(Vote::Approve), ProposalState::Open);
    }

    #[test]
    fn only_subscribers_that_have_not_voted_vote_and_only_while_open() {
        let open = proposal(&["edge", "insights"], &[("edge", Vote::Approve)]);
        assert!(open.may_vote(&team("insights")));
        assert!(!open.may_vote(&team("edge")), "once");
        assert!(!open.may_vote(&team("accounts")), "not a subscriber");
        let withdrawn = ChangeProposal { state: ProposalState::Withdrawn, ..open };
        assert!(!withdrawn.may_vote(&team("insights")));
        assert!(!ProposalState::Applied.withdrawable());
        assert!(ProposalState::Objected.withdrawable());
    }

    #[test]
    fn the_grace_period_approves_an_open_proposal_from_its_last_day() {
        let open = proposal(&["edge"], &[]);
        assert!(!open.grace_over("2026-12-18"));
        assert!(open.grace_over("2026-12-19"));
        let no_grace = ChangeProposal { grace_until: None, ..open.clone() };
        assert!(!no_grace.grace_over("2030-01-01"));
        let objected = ChangeProposal { state: ProposalState::Objected, ..open };
        assert!(!objected.grace_over("2030-01-01"));
    }
}
