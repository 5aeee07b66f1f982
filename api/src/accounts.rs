//! Service accounts: the Kafka principals a team owns. A team registers a principal that exists already, or has
//! Meshport create one with SCRAM credentials (the password answered once, never stored, rotatable). The catalog's
//! service account is the one record of which team holds a principal: access requests may name only their own
//! team's (a principal no team holds is registered to the team on its first request, as a consumer). Producer
//! accounts get WRITE + DESCRIBE on their team's live products' topics, and lose them when a product is retired or
//! the account deleted; each such change is audited in the product's history, its intent before the side effect.
//! A grant that failed, or bindings deleted behind Meshport's back, are put back by sync (`repair_producers`).
//!
//! A change to an account itself is audited under `service-accounts.<team>`, as audit entries name a product.

use std::collections::HashMap;

use base64::Engine;
use meshport_shared::accounts::{
    AccountRole, ScramCredentials, ServiceAccount, ServiceAccountAnswer, ServiceAccountDraft,
};
use meshport_shared::api::Identity;
use meshport_shared::{AuditAction, AuditEntry, DataProduct, Principal, ProductId, ProductStatus, TeamName};

use crate::audit;
use crate::catalog::StoreError;
use crate::error::{Error, Result};
use crate::mesh::Mesh;

/// Who sync acts as in the products' histories, as in access repair and reminders.
const SYNC: &str = "meshport";

/// The mechanisms a password Meshport sets works with (`KafkaAdmin::upsert_scram_user` sets both).
const MECHANISMS: [&str; 2] = ["SCRAM-SHA-256", "SCRAM-SHA-512"];

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// A new password: 32 bytes from the operating system's random source (two version 4 UUIDs, 244 random bits), in
/// unpadded base64url (43 characters).
fn new_password() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Where a team's account changes are audited.
fn trail(team: &TeamName) -> Result<ProductId> {
    meshport_shared::Trail::ServiceAccounts.of(team).map_err(|e| Error::Invalid(e.to_string()))
}

fn require_member(who: &Identity, team: &TeamName) -> Result<()> {
    if who.acts_for(team) {
        return Ok(());
    }
    Err(Error::Forbidden(format!("only members of team `{team}` or org admins manage its service accounts")))
}

/// Team `team`'s service accounts, for its members and org admins.
pub async fn list(mesh: &Mesh, who: &Identity, team: &TeamName) -> Result<Vec<ServiceAccount>> {
    require_member(who, team)?;
    Ok(mesh.catalog.team_accounts(team).await?)
}

/// Registers `draft`'s principal as `team`'s, or creates it with SCRAM credentials; a producer gets write access to
/// the team's live products. An org admin may move a principal another team holds (`reassign`): it loses the write
/// access it had there first.
pub async fn register(
    mesh: &Mesh,
    who: &Identity,
    team: &TeamName,
    draft: ServiceAccountDraft,
) -> Result<ServiceAccountAnswer> {
    require_member(who, team)?;
    let violations = draft.violations();
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    let principal = draft.principal.clone();
    let stored = mesh.catalog.get_account(&principal).await?;
    let previous = match stored {
        Some(held) if held.team == *team => {
            return Err(Error::Conflict(format!("`{principal}` is team `{team}`'s service account already")));
        }
        Some(held) if !draft.reassign => {
            return Err(Error::Conflict(format!(
                "`{principal}` belongs to team `{}`: an org admin may reassign it",
                held.team
            )));
        }
        Some(_) if !who.admin => {
            return Err(Error::Forbidden(format!("only org admins reassign `{principal}` to another team")));
        }
        Some(_) if draft.create_credentials => {
            return Err(Error::Conflict(format!(
                "`{principal}` exists: reassign it without creating credentials, then rotate them"
            )));
        }
        other => other,
    };
    if draft.create_credentials && mesh.kafka.scram_user_exists(principal.user()).await? {
        return Err(Error::Conflict(format!(
            "`{principal}` has SCRAM credentials on the cluster already: register it without creating credentials"
        )));
    }
    if let Some(held) = &previous {
        require_unused(mesh, held).await?;
        if held.is(AccountRole::Producer) {
            for product in live_products(mesh, &held.team).await? {
                revoke_writes(mesh, &who.subject, &product, std::slice::from_ref(&principal)).await?;
            }
        }
    }
    let at = now();
    let mut roles = draft.roles.clone();
    roles.sort();
    roles.dedup();
    let account = ServiceAccount {
        principal: principal.clone(),
        team: team.clone(),
        roles,
        managed: previous.as_ref().map_or(draft.create_credentials, |held| held.managed),
        registered_by: who.subject.clone(),
        registered_at: at.clone(),
        rotated_at: match &previous {
            Some(held) => held.rotated_at.clone(),
            None => draft.create_credentials.then(|| at.clone()),
        },
        revision: 0,
    };
    let roles = roles_text(&account);
    let summary = match (&previous, draft.create_credentials) {
        (Some(held), _) => format!("reassigned `{principal}` ({roles}) from team `{}` to team `{team}`", held.team),
        (None, true) => format!("created `{principal}` ({roles}) with SCRAM credentials"),
        (None, false) => format!("registered `{principal}` ({roles})"),
    };
    let expected = previous.as_ref().map(|held| held.revision);
    let stored = store(mesh, &who.subject, account, expected, summary).await?;
    let credentials = match draft.create_credentials {
        true => Some(set_password(mesh, &who.subject, &stored, "creating its SCRAM credentials").await?),
        false => None,
    };
    if stored.is(AccountRole::Producer) {
        for product in live_products(mesh, team).await? {
            grant_writes(mesh, &who.subject, &product, std::slice::from_ref(&principal), None).await;
        }
    }
    Ok(ServiceAccountAnswer { account: stored, credentials })
}

/// Gives a managed account a new password and answers it, once; the old one stops working.
pub async fn rotate(
    mesh: &Mesh,
    who: &Identity,
    team: &TeamName,
    principal: &Principal,
) -> Result<ServiceAccountAnswer> {
    require_member(who, team)?;
    let stored = team_account(mesh, team, principal).await?;
    if !stored.managed {
        return Err(Error::Conflict(format!(
            "`{principal}` was registered, not created by Meshport: its credentials are not Meshport's to rotate"
        )));
    }
    let credentials = set_password(mesh, &who.subject, &stored, "rotating its password").await?;
    let mut rotated = stored.clone();
    rotated.rotated_at = Some(now());
    let summary = format!("rotated the password of `{principal}`");
    let account = store(mesh, &who.subject, rotated, Some(stored.revision), summary).await?;
    Ok(ServiceAccountAnswer { account, credentials: Some(credentials) })
}

/// Deletes a team's account. Refused while an access request of the team that is not over names it (its grant
/// would stop working unnoticed: the owners revoke it, or the team cancels it, first). A producer's write access is
/// revoked first, and a managed account's credentials are deleted, so it can no longer sign in.
pub async fn delete(mesh: &Mesh, who: &Identity, team: &TeamName, principal: &Principal) -> Result<()> {
    require_member(who, team)?;
    let stored = team_account(mesh, team, principal).await?;
    require_unused(mesh, &stored).await?;
    if stored.is(AccountRole::Producer) {
        for product in live_products(mesh, team).await? {
            revoke_writes(mesh, &who.subject, &product, std::slice::from_ref(principal)).await?;
        }
    }
    if stored.managed {
        let what = format!("deleting the SCRAM credentials of `{principal}`");
        intend(mesh, &who.subject, team, &what).await?;
        if let Err(e) = mesh.kafka.delete_scram_user(principal.user()).await {
            let e = Error::from(e);
            record(mesh, failed_entry(&who.subject, trail(team)?, format!("failed: {what}: {e}"))).await;
            return Err(e);
        }
    }
    let entry = account_entry(&who.subject, team, format!("deleted `{principal}`"))?;
    mesh.catalog.delete_account(principal, stored.revision, entry.clone()).await.map_err(stale)?;
    audit::publish(&mesh.kafka, &entry).await;
    if stored.is(AccountRole::Producer) {
        // What sync gave back meanwhile, reading the account still there.
        for product in live_products(mesh, team).await? {
            revoke_leftover(mesh, &who.subject, &product, std::slice::from_ref(principal)).await;
        }
    }
    Ok(())
}

/// Why `team`'s access request may not name `principal`, if it may not: another team holds it, or it is the team's
/// but not a consumer. A principal no team holds becomes the team's consumer account, as its first request names it.
pub async fn refusal_for_request(
    mesh: &Mesh,
    actor: &str,
    principal: &Principal,
    team: &TeamName,
) -> Result<Option<String>> {
    let held = match mesh.catalog.get_account(principal).await? {
        Some(held) => held,
        None => {
            let account = ServiceAccount {
                principal: principal.clone(),
                team: team.clone(),
                roles: vec![AccountRole::Consumer],
                managed: false,
                registered_by: actor.to_owned(),
                registered_at: now(),
                rotated_at: None,
                revision: 0,
            };
            let summary = format!("registered `{principal}` (consumer): named by an access request of the team");
            match store(mesh, actor, account, None, summary).await {
                Ok(stored) => stored,
                // Another team's request named it at the same moment.
                Err(Error::Conflict(_)) => mesh
                    .catalog
                    .get_account(principal)
                    .await?
                    .ok_or_else(|| Error::Conflict(format!("`{principal}` changed meanwhile: try again")))?,
                Err(e) => return Err(e),
            }
        }
    };
    Ok(if held.team != *team {
        Some(format!("`{principal}` belongs to team `{}`: name one of your team's own principals", held.team))
    } else if !held.is(AccountRole::Consumer) {
        Some(format!("`{principal}` is not one of team `{team}`'s consumer accounts: register one that is"))
    } else {
        None
    })
}

/// Gives the owning team's producer accounts write access to `product`'s topic, once it is live (published or
/// created). A failure is recorded in the product's history and logged, not answered: the product is stored.
pub async fn grant_producers(mesh: &Mesh, actor: &str, product: &DataProduct) {
    match producers(mesh, &product.owner.team).await {
        Ok(principals) => {
            grant_writes(mesh, actor, product, &principals, None).await;
        }
        Err(e) => tracing::warn!(product = %product.id, error = %e, "producers not granted write access"),
    }
}

/// Takes the owning team's producer accounts' write access to `product`'s topic away (it is being retired). A
/// failure stops the retirement.
pub async fn revoke_producers(mesh: &Mesh, actor: &str, product: &DataProduct) -> Result<()> {
    let principals = producers(mesh, &product.owner.team).await?;
    revoke_writes(mesh, actor, product, &principals).await
}

/// After `product`'s retirement or handover is stored: takes back the write access to its topic that the owning
/// team's producers (as `product` says) still hold, which sync can have given back between the revocation before
/// the change and its storing.
pub async fn revoke_leftover_producers(mesh: &Mesh, actor: &str, product: &DataProduct) {
    match producers(mesh, &product.owner.team).await {
        Ok(principals) => revoke_leftover(mesh, actor, product, &principals).await,
        Err(e) => tracing::warn!(product = %product.id, error = %e, "producers' leftover write access not checked"),
    }
}

/// Revokes the write bindings on `product`'s topic that `principals` still hold, audited only when there are any;
/// a failure is logged (the change that asked for it is stored), and sync's repair does not give them back (it
/// reads the stored change).
async fn revoke_leftover(mesh: &Mesh, actor: &str, product: &DataProduct, principals: &[Principal]) {
    let leftover = async {
        let topic = &product.output_port.topic;
        let present = mesh.kafka.acls_for_topic(topic).await?;
        let mut holding = Vec::new();
        for principal in principals {
            if crate::kafka::write_bindings(topic, principal.as_str())?.iter().any(|b| present.contains(b)) {
                holding.push(principal.clone());
            }
        }
        revoke_writes(mesh, actor, product, &holding).await
    };
    if let Err(e) = leftover.await {
        tracing::warn!(product = %product.id, error = %e, "producers' leftover write access not taken back");
    }
}

async fn producers(mesh: &Mesh, team: &TeamName) -> Result<Vec<Principal>> {
    let accounts = mesh.catalog.team_accounts(team).await?;
    Ok(accounts.into_iter().filter(|a| a.is(AccountRole::Producer)).map(|a| a.principal).collect())
}

/// Gives the owning teams' producer accounts back the write access they lack on their live products' topics (a grant
/// that failed, or bindings deleted behind Meshport's back), each product's grant audited as on publish; run by
/// sync. The cluster's ACLs are read once and each owning team's accounts once, so a run that finds every binding in
/// force makes no other call and records nothing. Retired products are not live: their producers get nothing back.
/// Answers the products repaired, sorted; one that cannot be repaired now is left for the next run.
pub async fn repair_producers(mesh: &Mesh) -> Result<Vec<ProductId>> {
    // The bindings before the products and accounts: a retirement, handover or deletion revokes the writes before it
    // stores its change, so sync finds them missing without seeing that change only when it reads in between; it
    // then takes back what it granted once it reads the change (`withdraw_stale`).
    let cluster = crate::access::ClusterAcls::read(mesh).await?;
    let products = mesh.catalog.list_products().await?;
    let mut teams: HashMap<TeamName, Vec<Principal>> = HashMap::new();
    let mut broken = Vec::new();
    for product in products.into_iter().filter(is_live) {
        let team = &product.owner.team;
        if !teams.contains_key(team) {
            teams.insert(team.clone(), producers(mesh, team).await?);
        }
        let topic = &product.output_port.topic;
        let lacking: Vec<Principal> = teams[team]
            .iter()
            .filter(|p| {
                crate::kafka::write_bindings(topic, p.as_str()).is_ok_and(|b| !b.iter().all(|b| cluster.has(b)))
            })
            .cloned()
            .collect();
        if !lacking.is_empty() {
            broken.push((product, lacking));
        }
    }
    let mut repaired = crate::access::repair_each(broken, |(product, lacking)| {
        let mesh = mesh.clone();
        async move { repair_writes(&mesh, &product, &lacking).await.then_some(product.id) }
    })
    .await;
    repaired.sort();
    Ok(repaired)
}

/// Grants `lacking` write access to `product`'s topic again: whether it did, and they all still write it.
async fn repair_writes(mesh: &Mesh, product: &DataProduct, lacking: &[Principal]) -> bool {
    tracing::warn!(product = %product.id, producers = %names(lacking), "producers lack write access");
    if !grant_writes(mesh, SYNC, product, lacking, Some("the cluster lacked it")).await {
        return false;
    }
    match withdraw_stale(mesh, product, lacking).await {
        Ok(withdrawn) => withdrawn.is_empty(),
        Err(e) => {
            tracing::warn!(product = %product.id, error = %e, "a repaired write access not checked again");
            false
        }
    }
}

/// Revokes what sync just granted on `product` to principals that stopped writing it meanwhile (the product retired
/// or handed over, or the account deleted, after sync read it): whoever changed it revoked the writes before storing
/// the change, so without this they would stay. Answers the principals it took them back from.
async fn withdraw_stale(mesh: &Mesh, product: &DataProduct, granted: &[Principal]) -> Result<Vec<Principal>> {
    let writers = match mesh.catalog.get_product(&product.id).await? {
        Some(now) if is_live(&now) && now.owner.team == product.owner.team => producers(mesh, &now.owner.team).await?,
        _ => Vec::new(),
    };
    let stale: Vec<Principal> = granted.iter().filter(|p| !writers.contains(p)).cloned().collect();
    revoke_writes(mesh, SYNC, product, &stale).await?;
    Ok(stale)
}

/// Whether a product's topic is written by its team's producers: it is active or deprecated.
fn is_live(product: &DataProduct) -> bool {
    matches!(product.status, ProductStatus::Active | ProductStatus::Deprecated)
}

/// The team's products whose topics its producers write.
async fn live_products(mesh: &Mesh, team: &TeamName) -> Result<Vec<DataProduct>> {
    let products = mesh.catalog.list_products().await?;
    Ok(products.into_iter().filter(|p| p.owner.team == *team && is_live(p)).collect())
}

fn names(principals: &[Principal]) -> String {
    principals.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
}

/// WRITE + DESCRIBE on `product`'s topic for `principals`, its intent recorded first (with `why`, when given, they
/// are granted again); a failure is recorded and logged. Answers whether they were granted.
async fn grant_writes(
    mesh: &Mesh,
    actor: &str,
    product: &DataProduct,
    principals: &[Principal],
    why: Option<&str>,
) -> bool {
    if principals.is_empty() {
        return true;
    }
    let topic = &product.output_port.topic;
    let again = why.map(|why| format!(" again: {why}")).unwrap_or_default();
    let what = format!("granting {} write access to topic `{topic}`{again}", names(principals));
    let intent = audit::started(actor, product, AuditAction::Access, format!("started: {what}"));
    if let Err(e) = mesh.catalog.record(intent.clone()).await {
        tracing::warn!(product = %product.id, error = %e, "producers not granted write access");
        return false;
    }
    audit::publish(&mesh.kafka, &intent).await;
    for principal in principals {
        if let Err(e) = mesh.kafka.grant_write(topic, principal.as_str()).await {
            tracing::warn!(product = %product.id, %principal, error = %e, "a producer not granted write access");
            record(mesh, audit::failed(actor, product, AuditAction::Access, format!("failed: {what}: {e}"))).await;
            return false;
        }
    }
    let summary = format!("granted {} write access to topic `{topic}`{again}", names(principals));
    record(mesh, audit::entry(actor, &product.id, AuditAction::Access, summary, None, None)).await;
    true
}

/// Deletes exactly the write bindings of `principals` on `product`'s topic, its intent recorded first.
async fn revoke_writes(mesh: &Mesh, actor: &str, product: &DataProduct, principals: &[Principal]) -> Result<()> {
    if principals.is_empty() {
        return Ok(());
    }
    let topic = &product.output_port.topic;
    let mut bindings = Vec::new();
    for principal in principals {
        bindings.extend(crate::kafka::write_bindings(topic, principal.as_str())?);
    }
    let what = format!("revoking the write access of {} to topic `{topic}`", names(principals));
    let intent = audit::started(actor, product, AuditAction::Access, format!("started: {what}"));
    mesh.catalog.record(intent.clone()).await?;
    audit::publish(&mesh.kafka, &intent).await;
    if let Err(e) = mesh.kafka.revoke(&bindings).await {
        let e = Error::from(e);
        record(mesh, audit::failed(actor, product, AuditAction::Access, format!("failed: {what}: {e}"))).await;
        return Err(e);
    }
    let summary = format!("revoked the write access of {} to topic `{topic}`", names(principals));
    record(mesh, audit::entry(actor, &product.id, AuditAction::Access, summary, None, None)).await;
    Ok(())
}

/// Refuses to move or delete an account that an access request of its team, not over yet, names.
async fn require_unused(mesh: &Mesh, account: &ServiceAccount) -> Result<()> {
    let requests = mesh.catalog.team_access(&account.team).await?;
    let using: Vec<String> = requests
        .iter()
        .filter(|r| !r.state.is_final() && r.principals.contains(&account.principal))
        .map(|r| format!("`{}` ({} on `{}`)", r.id, r.state.as_str(), r.product))
        .collect();
    if using.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "`{}` is named by access requests {}: have them revoked or cancelled first",
        account.principal,
        using.join(", ")
    )))
}

async fn team_account(mesh: &Mesh, team: &TeamName, principal: &Principal) -> Result<ServiceAccount> {
    match mesh.catalog.get_account(principal).await? {
        Some(account) if account.team == *team => Ok(account),
        _ => Err(Error::NotFound(format!("team `{team}` has no service account `{principal}`"))),
    }
}

/// Sets a new password on the cluster for a managed account, its intent recorded first, and answers it.
async fn set_password(mesh: &Mesh, actor: &str, account: &ServiceAccount, what: &str) -> Result<ScramCredentials> {
    let what = format!("{what}: `{}`", account.principal);
    intend(mesh, actor, &account.team, &what).await?;
    let password = new_password();
    if let Err(e) = mesh.kafka.upsert_scram_user(account.principal.user(), &password).await {
        let e = Error::from(e);
        record(mesh, failed_entry(actor, trail(&account.team)?, format!("failed: {what}: {e}"))).await;
        return Err(e);
    }
    Ok(ScramCredentials {
        username: account.principal.user().to_owned(),
        password,
        mechanisms: MECHANISMS.iter().map(|m| (*m).to_owned()).collect(),
    })
}

fn roles_text(account: &ServiceAccount) -> String {
    account.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" and ")
}

/// An audit entry of a change to one of `team`'s accounts.
pub(crate) fn account_entry(actor: &str, team: &TeamName, summary: String) -> Result<AuditEntry> {
    Ok(audit::entry(actor, &trail(team)?, AuditAction::Access, summary, None, None))
}

fn failed_entry(actor: &str, trail: ProductId, summary: String) -> AuditEntry {
    AuditEntry {
        stage: meshport_shared::AuditStage::Failed,
        ..audit::entry(actor, &trail, AuditAction::Access, summary, None, None)
    }
}

/// Records the intent of a change to a team's account on Kafka: when it cannot be recorded, the change does not
/// happen.
async fn intend(mesh: &Mesh, actor: &str, team: &TeamName, what: &str) -> Result<()> {
    let entry = AuditEntry {
        stage: meshport_shared::AuditStage::Started,
        ..account_entry(actor, team, format!("started: {what}"))?
    };
    mesh.catalog.record(entry.clone()).await?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(())
}

/// Records an audit entry that comes with no stored change; best effort, as the caller's answer says it too.
async fn record(mesh: &Mesh, entry: AuditEntry) {
    match mesh.catalog.record(entry.clone()).await {
        Ok(()) => audit::publish(&mesh.kafka, &entry).await,
        Err(e) => tracing::error!(entry = ?entry, error = %e, "an audit entry not recorded"),
    }
}

/// Stores an account change with its audit entry.
async fn store(
    mesh: &Mesh,
    actor: &str,
    account: ServiceAccount,
    expected: Option<u64>,
    summary: String,
) -> Result<ServiceAccount> {
    let entry = account_entry(actor, &account.team, summary)?;
    let stored = mesh.catalog.put_account(account, expected, entry.clone()).await.map_err(stale)?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(stored)
}

fn stale(e: StoreError) -> Error {
    match e {
        StoreError::AccountConflict { principal, expected: None, .. } => {
            Error::Conflict(format!("`{principal}` was registered by a team meanwhile: reload and try again"))
        }
        StoreError::AccountConflict { principal, .. } => {
            Error::Stale(format!("service account `{principal}` changed meanwhile: reload and try again"))
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_random_and_url_safe() {
        let (a, b) = (new_password(), new_password());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{a}");
    }

    #[test]
    fn every_team_has_an_audit_trail_for_its_accounts() {
        let team = TeamName::parse("a-very-long-team-name-that-is-sixty-four-characters-long-exactly").unwrap();
        assert_eq!(team.as_str().len(), 64);
        assert!(trail(&team).is_ok());
    }
}
