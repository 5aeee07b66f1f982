//! Dev sign-in for local runs: the demo people, and the tokens this process signs and checks for them.

use super::*;

/// The demo people of dev mode: one per team of the policy's domains, and an org admin.
pub fn demo_users(policy: &GovernancePolicy) -> Vec<DevUser> {
    const NAMES: &[&str] = &["alice", "bob", "carol", "dana", "erin", "frank", "grace", "heidi", "ivan", "judy"];
    let mut teams: Vec<&TeamName> = Vec::new();
    for team in policy.domains.iter().flat_map(|domain| &domain.teams) {
        if !teams.contains(&team) {
            teams.push(team);
        }
    }
    let mut users: Vec<DevUser> = teams
        .into_iter()
        .enumerate()
        .map(|(i, team)| {
            let user = NAMES.get(i).map_or_else(|| format!("{team}-member"), |name| (*name).to_owned());
            DevUser { name: display_name(&user), user, teams: vec![team.clone()], admin: false }
        })
        .collect();
    users.push(DevUser { user: "admin".into(), name: "Admin".into(), teams: Vec::new(), admin: true });
    users
}

/// `alice` → `Alice`.
pub fn display_name(user: &str) -> String {
    let mut chars = user.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The claims of a dev token: the identity itself, signed by this server.
#[derive(Serialize, Deserialize)]
pub(super) struct DevClaims {
    pub(super) iss: String,
    pub(super) aud: String,
    pub(super) sub: String,
    pub(super) name: String,
    pub(super) teams: Vec<TeamName>,
    pub(super) admin: bool,
    pub(super) iat: u64,
    pub(super) nbf: u64,
    pub(super) exp: u64,
}

pub(super) struct DevKeys {
    pub(super) encoding: EncodingKey,
    pub(super) decoding: DecodingKey,
}

impl DevKeys {
    pub(super) fn verify(&self, token: &str) -> Result<Identity, Error> {
        let validation = validation(Algorithm::HS256, DEV_ISSUER, DEV_AUDIENCE);
        let claims = jsonwebtoken::decode::<DevClaims>(token, &self.decoding, &validation)
            .map_err(|e| rejected(&e, Some((DEV_ISSUER, DEV_AUDIENCE))))?
            .claims;
        Ok(Identity {
            subject: claims.sub,
            name: claims.name,
            teams: claims.teams,
            admin: claims.admin,
            scope: Scope::Change,
        })
    }
}
