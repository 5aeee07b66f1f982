//! API tokens for a team's machines (CI, the command line): created by the team's members or org admins, listed with
//! their last use, revoked. A token's secret is answered once and only its hash stored (`auth::tokens` makes and
//! checks them). Every change is audited under `api-tokens.<team>`, as audit entries name a product.

use meshport_shared::api::Identity;
use meshport_shared::tokens::{ApiToken, TokenAnswer, TokenDraft};
use meshport_shared::{AuditAction, AuditEntry, ProductId, TeamName};

use crate::audit;
use crate::auth::tokens::mint;
use crate::catalog::StoredToken;
use crate::error::{Error, Result};
use crate::mesh::Mesh;

/// Where a team's token changes are audited.
fn trail(team: &TeamName) -> Result<ProductId> {
    meshport_shared::Trail::ApiTokens.of(team).map_err(|e| Error::Invalid(e.to_string()))
}

fn require_member(who: &Identity, team: &TeamName) -> Result<()> {
    if who.acts_for(team) {
        return Ok(());
    }
    Err(Error::Forbidden(format!("only members of team `{team}` or org admins manage its API tokens")))
}

/// Team `team`'s tokens, newest first, revoked and expired ones too: never a secret nor its hash.
pub async fn list(mesh: &Mesh, who: &Identity, team: &TeamName) -> Result<Vec<ApiToken>> {
    require_member(who, team)?;
    let mut tokens: Vec<ApiToken> = mesh.catalog.team_tokens(team).await?.into_iter().map(|s| s.token).collect();
    tokens.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(tokens)
}

/// Creates a token for `team` and answers its secret, this once. Its name must be unique among the team's tokens in
/// force, so the audit trail's `token:<team>/<name>` names one token at a time. A token does not create tokens: a
/// person does, so that a leaked token cannot outlive its expiry.
pub async fn create(mesh: &Mesh, who: &Identity, team: &TeamName, draft: TokenDraft) -> Result<TokenAnswer> {
    require_member(who, team)?;
    if who.subject.starts_with("token:") {
        return Err(Error::Forbidden("an API token cannot create API tokens: a member of the team does".into()));
    }
    let days = draft.lifetime_days().map_err(Error::Invalid)?;
    let now = jiff::Timestamp::now();
    let taken = mesh.catalog.team_tokens(team).await?;
    if taken.iter().any(|s| s.token.name == draft.name && s.in_force(now)) {
        return Err(Error::Conflict(format!(
            "team `{team}` has an API token named `{}` already: revoke it first, or choose another name",
            draft.name
        )));
    }
    let expires = now
        .checked_add(jiff::SignedDuration::from_hours(i64::from(days) * 24))
        .map_err(|e| Error::Invalid(format!("cannot compute the expiry: {e}")))?;
    let minted = mint();
    let token = ApiToken {
        id: minted.id.clone(),
        team: team.clone(),
        name: draft.name,
        scope: draft.scope,
        created_by: who.subject.clone(),
        created_at: now.to_string(),
        expires_at: expires.to_string(),
        last_used_at: None,
        revoked_at: None,
        revoked_by: None,
    };
    let summary = format!(
        "created API token `{}` ({}, id `{}`), expiring at {}",
        token.name,
        token.scope.as_str(),
        token.id,
        token.expires_at
    );
    let stored =
        store(mesh, &who.subject, StoredToken { token, hash: minted.hash, revision: 0 }, None, summary).await?;
    Ok(TokenAnswer { token: stored.token, secret: minted.secret })
}

/// Revokes one of `team`'s tokens: it is refused from now on (401 `token_revoked`). Revoking a revoked token
/// changes nothing.
pub async fn revoke(mesh: &Mesh, who: &Identity, team: &TeamName, id: &str) -> Result<ApiToken> {
    require_member(who, team)?;
    let stored = match mesh.catalog.get_token(id).await? {
        Some(stored) if stored.token.team == *team => stored,
        _ => return Err(Error::NotFound(format!("team `{team}` has no API token `{id}`"))),
    };
    if stored.token.revoked_at.is_some() {
        return Ok(stored.token);
    }
    let mut revoked = stored.clone();
    revoked.token.revoked_at = Some(jiff::Timestamp::now().to_string());
    revoked.token.revoked_by = Some(who.subject.clone());
    let summary = format!("revoked API token `{}` (id `{}`)", stored.token.name, stored.token.id);
    Ok(store(mesh, &who.subject, revoked, Some(stored.revision), summary).await?.token)
}

/// Stores a token change with its audit entry.
async fn store(
    mesh: &Mesh,
    actor: &str,
    token: StoredToken,
    expected: Option<u64>,
    summary: String,
) -> Result<StoredToken> {
    let entry: AuditEntry = audit::entry(actor, &trail(&token.token.team)?, AuditAction::Access, summary, None, None);
    let stored = mesh.catalog.put_token(token, expected, entry.clone()).await?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_team_has_an_audit_trail_for_its_tokens() {
        let team = TeamName::parse("a-very-long-team-name-that-is-sixty-four-characters-long-exactly").unwrap();
        assert_eq!(trail(&team).unwrap().as_str(), format!("api-tokens.{team}"));
    }
}
