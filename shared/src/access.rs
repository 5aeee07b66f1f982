//! Self-serve access: a team asks to read a data product, its owners decide, and Meshport grants (and later revokes)
//! the Kafka ACLs itself. The request's life is one state machine, written here once so that the portal offers only
//! the actions the API will take.
//!
//! ```text
//! requested ──approve──▶ approved ──(ACLs created and verified)──▶ active ──revoke──▶ revoked
//!     │                     │                                        └──(its end date passed)──▶ expired
//!     ├──deny──▶ denied     └──(the grant failed)──▶ failed ──retry──▶ approved
//!     └──cancel──▶ cancelled                            ├──cancel──▶ cancelled
//!                                                       └──revoke──▶ revoked
//! ```

use serde::{Deserialize, Serialize};

use crate::names::{GroupName, Principal, ProductId, TeamName};

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessState {
    /// Waiting for the product's owners.
    Requested,
    /// Decided; the ACLs are being created.
    Approved,
    /// The ACLs exist on the cluster and were checked.
    Active,
    /// The end date passed and the ACLs were removed.
    Expired,
    /// Owners or admins took the access back and the ACLs were removed.
    Revoked,
    /// The owners said no, with a reason.
    Denied,
    /// The requesting team withdrew it.
    Cancelled,
    /// Approved, but the ACLs could not be created; owners may retry.
    Failed,
}

impl AccessState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Denied => "denied",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    /// Whether the request is over: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Expired | Self::Revoked | Self::Denied | Self::Cancelled)
    }

    /// The state `action` leads to from this one, or `None` when it is not allowed here.
    pub fn after(self, action: AccessAction) -> Option<AccessState> {
        use AccessAction as A;
        use AccessState as S;
        match (self, action) {
            (S::Requested, A::Approve) | (S::Failed, A::Retry) => Some(S::Approved),
            (S::Approved, A::Granted) => Some(S::Active),
            (S::Approved, A::GrantFailed) => Some(S::Failed),
            (S::Requested, A::Deny) => Some(S::Denied),
            (S::Requested | S::Failed, A::Cancel) => Some(S::Cancelled),
            (S::Active | S::Failed, A::Revoke) => Some(S::Revoked),
            (S::Active, A::Expire) => Some(S::Expired),
            _ => None,
        }
    }
}

/// What can happen to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    /// The owners (or an org admin) say yes: Meshport creates the ACLs.
    Approve,
    /// The owners say no, with a reason.
    Deny,
    /// The requesting team withdraws its request.
    Cancel,
    /// The owners take the access back: Meshport deletes the ACLs.
    Revoke,
    /// The owners try a failed grant again.
    Retry,
    /// Meshport: the end date passed.
    Expire,
    /// Meshport: the ACLs were created and verified.
    Granted,
    /// Meshport: the ACLs could not be created.
    GrantFailed,
}

impl AccessAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
            Self::Cancel => "cancel",
            Self::Revoke => "revoke",
            Self::Retry => "retry",
            Self::Expire => "expire",
            Self::Granted => "granted",
            Self::GrantFailed => "grant_failed",
        }
    }

    /// Who may take this action.
    pub fn taken_by(self) -> AccessRole {
        match self {
            Self::Approve | Self::Deny | Self::Revoke | Self::Retry => AccessRole::Owners,
            Self::Cancel => AccessRole::Requesters,
            Self::Expire | Self::Granted | Self::GrantFailed => AccessRole::Meshport,
        }
    }
}

/// Who takes an action: members of the owning team (or org admins, but never a member of the requesting team), the
/// requesting team (or org admins), or Meshport itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRole {
    Owners,
    Requesters,
    Meshport,
}

/// How the consumer group in a request is matched: exactly, or as a prefix of the group ids the consumer may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupPattern {
    #[default]
    Literal,
    Prefixed,
}

/// `POST /api/v1/products/{id}/access`: a team asks to read a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessRequestDraft {
    /// The team that will read: one of the requester's teams.
    pub team: TeamName,
    /// What the team will use the data for (required, at most 2,000 characters).
    #[cfg_attr(feature = "openapi", schema(pattern = r"[^\s\x85]", max_length = 2000))]
    pub purpose: String,
    /// The team's Kafka principals that will read, e.g. `User:svc-fraud`.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10))]
    pub principals: Vec<Principal>,
    /// The consumer group id the team will read with (or, with `prefixed`, the prefix of its group ids).
    pub group: GroupName,
    #[serde(default)]
    pub group_pattern: GroupPattern,
    /// The last day of access (`2027-06-30`); absent asks for permanent access, where the policy allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub until: Option<String>,
}

/// A request for access and, once granted, the grant itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequest {
    /// Unique, sortable by time.
    pub id: String,
    pub product: ProductId,
    /// The team that owned the product when the request was made: whose inbox it is in.
    pub owner_team: TeamName,
    pub team: TeamName,
    pub purpose: String,
    pub principals: Vec<Principal>,
    pub group: GroupName,
    pub group_pattern: GroupPattern,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub state: AccessState,
    /// Who asked, and when.
    pub requested_by: String,
    pub requested_at: String,
    /// Who last moved the request, when, and why (a denial's or revocation's reason, a failed grant's error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Grows with every change; a decision names the revision it was made on.
    pub revision: u64,
}

/// `POST /api/v1/access/{id}/{action}`: a decision on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessDecision {
    /// The revision of the request the decision was made on.
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "crate::api::whole::number"))]
    pub revision: u64,
    /// Why: required to deny and to revoke, at most 2,000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub reason: Option<String>,
}

/// An ACL on a product's topic that no grant explains: access given outside Meshport (by hand, by another tool),
/// shown to the product's owners. Each part is Kafka's own word, lower case, so the portal reads it as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnmanagedBinding {
    /// Who it lets in (or keeps out), e.g. `User:svc-legacy`.
    pub principal: String,
    /// `read`, `write`, `describe`, `all`...
    pub operation: String,
    /// `allow` or `deny`.
    pub permission: String,
    /// How `resource` names topics: `literal` (the topic itself, or `*` for every topic) or `prefixed`.
    pub pattern: String,
    /// The name the binding is on: the product's topic, a prefix of it, or `*`.
    pub resource: String,
    /// The host it applies from, `*` for any.
    #[serde(default)]
    pub host: String,
}

/// `GET /api/v1/products/{id}/retire`: what retiring the product will end, for its owners to read first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetirementPreview {
    /// Grants (active or failed) that will be revoked, their ACLs deleted.
    #[serde(default)]
    pub revoked: Vec<AccessRequest>,
    /// Requests not decided yet that will be denied.
    #[serde(default)]
    pub denied: Vec<AccessRequest>,
}

/// `GET /api/v1/products/{id}/consumers`: who reads a product, by grant and by consumer group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductConsumers {
    /// The teams with an active grant, by name.
    #[serde(default)]
    pub subscribers: Vec<TeamName>,
    /// The consumer groups with committed offsets on the product's topic (as of the last sync), each joined to the
    /// grant that covers it.
    #[serde(default)]
    pub groups: Vec<ConsumerGrant>,
}

/// A consumer group and the team whose active grant covers it: its literal group, or a prefix of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsumerGrant {
    pub group: String,
    /// `None`: no grant explains the group's committed offsets (the owners' own groups, or access given outside
    /// Meshport), which the portal flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_to: Option<TeamName>,
}

/// The longest purpose or reason, in characters.
pub const MAX_ACCESS_TEXT: usize = 2000;
/// The most principals one request may name.
pub const MAX_PRINCIPALS: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STATES: [AccessState; 8] = [
        AccessState::Requested,
        AccessState::Approved,
        AccessState::Active,
        AccessState::Expired,
        AccessState::Revoked,
        AccessState::Denied,
        AccessState::Cancelled,
        AccessState::Failed,
    ];
    const ALL_ACTIONS: [AccessAction; 8] = [
        AccessAction::Approve,
        AccessAction::Deny,
        AccessAction::Cancel,
        AccessAction::Revoke,
        AccessAction::Retry,
        AccessAction::Expire,
        AccessAction::Granted,
        AccessAction::GrantFailed,
    ];

    #[test]
    fn exactly_the_drawn_transitions_are_allowed() {
        use AccessAction as A;
        use AccessState as S;
        let allowed = [
            (S::Requested, A::Approve, S::Approved),
            (S::Requested, A::Deny, S::Denied),
            (S::Requested, A::Cancel, S::Cancelled),
            (S::Approved, A::Granted, S::Active),
            (S::Approved, A::GrantFailed, S::Failed),
            (S::Active, A::Revoke, S::Revoked),
            (S::Active, A::Expire, S::Expired),
            (S::Failed, A::Retry, S::Approved),
            (S::Failed, A::Cancel, S::Cancelled),
            (S::Failed, A::Revoke, S::Revoked),
        ];
        for state in ALL_STATES {
            for action in ALL_ACTIONS {
                let expected = allowed.iter().find(|(s, a, _)| *s == state && *a == action).map(|(_, _, to)| *to);
                assert_eq!(state.after(action), expected, "{} --{}-->", state.as_str(), action.as_str());
            }
        }
    }

    #[test]
    fn final_states_allow_nothing() {
        for state in ALL_STATES.into_iter().filter(|s| s.is_final()) {
            assert!(ALL_ACTIONS.iter().all(|a| state.after(*a).is_none()), "{}", state.as_str());
        }
    }
}
