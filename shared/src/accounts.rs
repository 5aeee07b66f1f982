//! Service accounts: the Kafka principals a team produces and consumes as (`User:svc-fraud`). Each principal belongs
//! to one team at most. A team registers a principal that exists on the cluster already, or has Meshport create one
//! with SCRAM credentials, whose password is answered once and never stored. A producer account gets WRITE on its
//! team's live products' topics; a consumer account is what the team's access requests name.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::names::{Principal, TeamName};
use crate::policy::{Violation, ViolationCode};

/// What a team uses an account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    /// Writes the team's products: it gets WRITE and DESCRIBE on each live product's topic.
    Producer,
    /// Reads other teams' products, once an access request naming it is granted.
    Consumer,
}

impl AccountRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Producer => "producer",
            Self::Consumer => "consumer",
        }
    }
}

/// A team's Kafka principal, as the catalog keeps it. Nothing of its password is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceAccount {
    pub principal: Principal,
    /// The team that holds the principal: no other team may name it.
    pub team: TeamName,
    pub roles: Vec<AccountRole>,
    /// Whether Meshport created its SCRAM credentials (and so may rotate them), rather than the team registering a
    /// principal that exists elsewhere.
    pub managed: bool,
    /// Who registered or created it, and when.
    pub registered_by: String,
    pub registered_at: String,
    /// When Meshport last set its password (managed accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_at: Option<String>,
    /// Grows with every change.
    pub revision: u64,
}

impl ServiceAccount {
    pub fn is(&self, role: AccountRole) -> bool {
        self.roles.contains(&role)
    }
}

/// `POST /api/v1/teams/{team}/service-accounts`: register a principal, or have Meshport create it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceAccountDraft {
    pub principal: Principal,
    /// One role at least (a role named twice counts once).
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub roles: Vec<AccountRole>,
    /// Meshport creates the user's SCRAM credentials (SCRAM-SHA-256 and SCRAM-SHA-512) and answers its password
    /// once; the user must not have credentials on the cluster yet. Without it, the principal is registered as is.
    #[serde(default)]
    pub create_credentials: bool,
    /// An org admin moves a principal another team holds to this team (it loses its write access there).
    #[serde(default)]
    pub reassign: bool,
}

impl ServiceAccountDraft {
    /// What is wrong with the draft itself, whatever the mesh holds.
    pub fn violations(&self) -> Vec<Violation> {
        let mut violations = Vec::new();
        if self.roles.is_empty() {
            violations.push(Violation::new(
                ViolationCode::RequiredFieldMissing,
                "roles",
                "mark the account as a producer, a consumer, or both",
            ));
        }
        violations
    }
}

/// A password Meshport set, shown once: in the answer that created or rotated it, and nowhere else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScramCredentials {
    /// The SCRAM user name: the principal without `User:`.
    pub username: String,
    pub password: String,
    /// The mechanisms the password works with.
    pub mechanisms: Vec<String>,
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("mechanisms", &self.mechanisms)
            .finish()
    }
}

/// The answer to registering, creating or rotating an account: the account, and the password where Meshport just
/// set one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceAccountAnswer {
    pub account: ServiceAccount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<ScramCredentials>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(roles: &[AccountRole]) -> ServiceAccountDraft {
        ServiceAccountDraft {
            principal: Principal::parse("User:svc-a").unwrap(),
            roles: roles.to_vec(),
            create_credentials: false,
            reassign: false,
        }
    }

    #[test]
    fn an_account_has_one_role_at_least() {
        let check = |roles: &[AccountRole], fields: &[&str]| {
            let found: Vec<String> = draft(roles).violations().into_iter().map(|v| v.field).collect();
            assert_eq!(found, fields, "{roles:?}");
        };
        check(&[AccountRole::Producer], &[]);
        check(&[AccountRole::Consumer, AccountRole::Producer], &[]);
        check(&[], &["roles"]);
        check(&[AccountRole::Consumer, AccountRole::Consumer], &[]);
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let credentials = ScramCredentials { username: "svc-a".into(), password: "hunter2".into(), mechanisms: vec![] };
        assert!(!format!("{credentials:?}").contains("hunter2"));
    }
}
