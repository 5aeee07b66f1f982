//! API tokens: what a team's machines (CI, the command line) call the API with instead of a person's sign-in. A
//! token belongs to one team and has a scope (read, or change as well); it expires, is shown once when created and
//! kept only as a hash, can be revoked, and is listed with its last use. The API answers a token's calls as the
//! identity `token:<team>/<name>`, which is what audit entries name.

use serde::{Deserialize, Serialize};

use crate::names::TeamName;
pub use crate::names::TokenName;

/// How every token starts (`mpt_<id>_<secret>`), so that people and secret scanners recognise one.
pub const TOKEN_PREFIX: &str = "mpt_";
/// How long a token lasts unless its creator says otherwise.
pub const DEFAULT_LIFETIME_DAYS: u32 = 90;
/// The longest a token may last: a year. No token lasts forever, so a forgotten one stops working by itself.
pub const MAX_LIFETIME_DAYS: u32 = 365;

/// What a caller may do. People sign in with `change` (what they may change is then their teams' business); an API
/// token has the scope it was created with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Reads only: every change is refused (403 `forbidden`).
    Read,
    /// Reads, and changes what its team may change.
    #[default]
    Change,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Change => "change",
        }
    }
}

/// An API token as its team sees it: never its secret, nor the secret's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// The token's public id: the part of the token after `mpt_` and before the secret.
    pub id: String,
    pub team: TeamName,
    /// Unique among the team's tokens that are not revoked.
    pub name: TokenName,
    pub scope: Scope,
    /// Who created it (their subject), and when.
    pub created_by: String,
    pub created_at: String,
    /// After this instant the token is refused (401 `token_expired`).
    pub expires_at: String,
    /// When the API last answered a call made with it, to the minute; none before its first use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// When it was revoked, and by whom; a revoked token is refused (401 `token_revoked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
}

impl ApiToken {
    /// The identity's subject for calls made with this token, and so the actor of their audit entries.
    pub fn subject(&self) -> String {
        subject(&self.team, &self.name)
    }
}

/// `token:<team>/<name>`: the subject of a token's calls.
pub fn subject(team: &TeamName, name: &TokenName) -> String {
    format!("token:{team}/{name}")
}

/// `POST /api/v1/teams/{team}/tokens`: a new token for the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenDraft {
    pub name: TokenName,
    pub scope: Scope,
    /// How many days it lasts: 90 unless given, a year at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), serde(deserialize_with = "crate::api::whole::optional"))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub expires_in_days: Option<u32>,
}

impl TokenDraft {
    /// The token's lifetime in days, or why the one asked for is refused.
    pub fn lifetime_days(&self) -> Result<u32, String> {
        match self.expires_in_days {
            None => Ok(DEFAULT_LIFETIME_DAYS),
            Some(days @ 1..=MAX_LIFETIME_DAYS) => Ok(days),
            Some(days) => Err(format!(
                "a token lasts 1 to {MAX_LIFETIME_DAYS} days, not {days}: create a new one before it expires"
            )),
        }
    }
}

/// The answer to creating a token: the token, and its secret, shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenAnswer {
    pub token: ApiToken,
    /// What to send as `Authorization: Bearer <secret>` (e.g. from a CI secret in an environment variable):
    /// `mpt_<id>_<secret>`, letters, digits and `_` only. Meshport keeps only its hash and never shows it again.
    pub secret: String,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer").field("token", &self.token).field("secret", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(days: Option<u32>) -> TokenDraft {
        TokenDraft { name: TokenName::parse("ci").unwrap(), scope: Scope::Read, expires_in_days: days }
    }

    #[test]
    fn a_token_lasts_ninety_days_unless_asked_and_a_year_at_most() {
        assert_eq!(draft(None).lifetime_days(), Ok(90));
        assert_eq!(draft(Some(1)).lifetime_days(), Ok(1));
        assert_eq!(draft(Some(365)).lifetime_days(), Ok(365));
        assert!(draft(Some(0)).lifetime_days().unwrap_err().contains("1 to 365 days, not 0"));
        assert!(draft(Some(366)).lifetime_days().unwrap_err().contains("not 366"));
    }

    #[test]
    fn a_lifetime_may_be_written_as_json_schema_allows_an_integer() {
        let draft: TokenDraft =
            serde_json::from_str(r#"{"name": "ci", "scope": "change", "expires_in_days": 30.0}"#).unwrap();
        assert_eq!((draft.scope, draft.expires_in_days), (Scope::Change, Some(30)));
        assert!(
            serde_json::from_str::<TokenDraft>(r#"{"name": "ci", "scope": "read", "expires_in_days": 1.5}"#).is_err()
        );
        assert!(serde_json::from_str::<TokenDraft>(r#"{"name": "ci", "scope": "read", "extra": 1}"#).is_err());
    }

    #[test]
    fn token_names_are_slugs() {
        assert!(TokenName::parse("ci-deploy.v2_main").is_ok());
        assert!(TokenName::parse("CI").unwrap_err().to_string().contains("must start with a lowercase letter"));
        assert!(TokenName::parse("ci/deploy").unwrap_err().to_string().contains("contains `/`"));
        assert!(TokenName::parse("a".repeat(65)).is_err());
        assert!(TokenName::parse("").is_err());
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let token: ApiToken = serde_json::from_value(serde_json::json!({
            "id": "abc", "team": "edge", "name": "ci", "scope": "read", "created_by": "dev:bob",
            "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-04-01T00:00:00Z",
        }))
        .unwrap();
        assert_eq!(token.subject(), "token:edge/ci");
        let answer = TokenAnswer { token, secret: "mpt_abc_hunter2".into() };
        assert!(!format!("{answer:?}").contains("hunter2"));
    }
}
