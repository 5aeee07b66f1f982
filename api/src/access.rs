//! Self-serve access to data products: a team asks, the product's owners decide, and Meshport grants the Kafka ACLs
//! itself (topic READ + DESCRIBE on the product's topic, READ on the team's consumer group), checks them, and deletes
//! exactly those bindings when the access is revoked or expires. Every step is one stored transition of the
//! request (see `meshport_shared::access` for the state machine), audited in the product's history.
//!
//! A grant is idempotent on the cluster: Kafka's ACLs are a set, so approving twice, or retrying after a crash
//! between creating the ACLs and storing `active`, leaves one set of bindings.

use meshport_shared::access::{
    AccessAction, AccessDecision, AccessRequest, AccessRequestDraft, AccessRole, AccessState, GroupPattern,
    MAX_ACCESS_TEXT,
};
use meshport_shared::api::Identity;
use meshport_shared::{AuditAction, DataProduct, ProductId, ProductStatus, TeamName, Violation, ViolationCode};

use crate::audit;
use crate::catalog::StoreError;
use crate::error::{Error, Result};
use crate::kafka::{AclBinding, PatternType};
use crate::mesh::Mesh;

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Today's date, `2026-12-05`, in UTC: what end dates are compared with.
pub fn today() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()
}

/// A new request: `who` asks, for one of their teams, to read `product`.
pub async fn request(
    mesh: &Mesh,
    who: &Identity,
    product: &ProductId,
    draft: AccessRequestDraft,
) -> Result<AccessRequest> {
    if !who.teams.contains(&draft.team) {
        return Err(Error::Forbidden(format!(
            "you are not in team `{}`: ask for access for one of your teams",
            draft.team
        )));
    }
    let product = mesh.catalog.get_product(product).await?.ok_or_else(|| no_product(product))?;
    match product.status {
        ProductStatus::Active => {}
        ProductStatus::Deprecated => {
            return Err(Error::Conflict(format!(
                "product `{}` is deprecated: it takes no new consumers{}",
                product.id,
                product
                    .deprecation
                    .as_ref()
                    .and_then(|d| d.replacement.as_ref())
                    .map_or_else(String::new, |r| { format!("; ask for access to its replacement `{r}`") })
            )));
        }
        other => {
            return Err(Error::Conflict(format!("product `{}` is {}: nobody can read it", product.id, other.as_str())));
        }
    }
    if product.owner.team == draft.team {
        return Err(Error::Conflict(format!("team `{}` owns `{}` already", draft.team, product.id)));
    }
    let personal = !product.personal_fields.is_empty();
    let mut violations = mesh.policy.access.violations(&draft, personal, &today());
    for (i, principal) in draft.principals.iter().enumerate() {
        if let Some(refusal) = crate::accounts::refusal_for_request(mesh, &who.subject, principal, &draft.team).await? {
            violations.push(Violation::new(ViolationCode::AccessNotAllowed, &format!("principals[{i}]"), refusal));
        }
    }
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    let open = mesh.catalog.product_access(&product.id).await?;
    if let Some(existing) = open.iter().find(|r| r.team == draft.team && !r.state.is_final()) {
        return Err(Error::Conflict(format!(
            "team `{}` has a request for `{}` already ({}, `{}`): cancel it first",
            draft.team,
            product.id,
            existing.state.as_str(),
            existing.id
        )));
    }
    let at = now();
    let request = AccessRequest {
        id: format!("{}-{}", at.replace([':', '.'], ""), &uuid::Uuid::new_v4().simple().to_string()[..8]),
        product: product.id.clone(),
        owner_team: product.owner.team.clone(),
        team: draft.team,
        purpose: draft.purpose.trim().to_owned(),
        principals: draft.principals,
        group: draft.group,
        group_pattern: draft.group_pattern,
        until: draft.until,
        state: AccessState::Requested,
        requested_by: who.subject.clone(),
        requested_at: at,
        decided_by: None,
        decided_at: None,
        reason: None,
        revision: 0,
    };
    let summary = format!("team `{}` asked for access: {}", request.team, clip(&request.purpose));
    store(mesh, &who.subject, request, None, summary).await
}

/// Takes `action` on request `id` as `who`, on the revision they decided on. Approving (or retrying) grants the
/// ACLs; revoking deletes them.
pub async fn decide(
    mesh: &Mesh,
    who: &Identity,
    id: &str,
    action: AccessAction,
    decision: AccessDecision,
) -> Result<AccessRequest> {
    let stored = mesh.catalog.get_access(id).await?.ok_or_else(|| no_request(id))?;
    require_role(who, &stored, action)?;
    if decision.revision != stored.revision {
        return Err(Error::Stale(format!(
            "request `{id}` changed since you read it (you sent revision {}, it is at {}): reload and try again",
            decision.revision, stored.revision
        )));
    }
    let Some(next) = stored.state.after(action) else {
        return Err(Error::Conflict(format!(
            "request `{id}` is {}: it cannot be {}",
            stored.state.as_str(),
            past(action)
        )));
    };
    let reason = decision.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if matches!(action, AccessAction::Deny | AccessAction::Revoke) && reason.is_none() {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::RequiredFieldMissing,
            "reason",
            format!("say why the request is {}", past(action)),
        )]));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_ACCESS_TEXT) {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::TooLong,
            "reason",
            format!("the text is longer than {MAX_ACCESS_TEXT} characters"),
        )]));
    }
    let mut changed = stored.clone();
    changed.state = next;
    changed.decided_by = Some(who.subject.clone());
    changed.decided_at = Some(now());
    changed.reason = reason.clone();
    match action {
        AccessAction::Approve | AccessAction::Retry => {
            let summary = format!("{} access of team `{}`", past(action), stored.team);
            let approved = store(mesh, &who.subject, changed, Some(stored.revision), summary).await?;
            grant(mesh, &who.subject, approved).await
        }
        AccessAction::Revoke => {
            let product =
                mesh.catalog.get_product(&stored.product).await?.ok_or_else(|| no_product(&stored.product))?;
            // The ACLs go first: a grant stored as revoked must not keep working.
            delete_acls(mesh, &stored, &product).await?;
            let summary =
                format!("revoked access of team `{}`: {}", stored.team, clip(reason.as_deref().unwrap_or("")));
            store(mesh, &who.subject, changed, Some(stored.revision), summary).await
        }
        _ => {
            let why = reason.as_deref().map_or_else(String::new, |r| format!(": {}", clip(r)));
            let summary = format!("{} access of team `{}`{why}", past(action), stored.team);
            store(mesh, &who.subject, changed, Some(stored.revision), summary).await
        }
    }
}

/// Creates the ACLs of an approved request, checks that the cluster shows them, and stores the outcome: `active`, or
/// `failed` with the error (owners may retry).
async fn grant(mesh: &Mesh, actor: &str, approved: AccessRequest) -> Result<AccessRequest> {
    let product = mesh.catalog.get_product(&approved.product).await?.ok_or_else(|| no_product(&approved.product))?;
    let outcome = create_acls(mesh, &approved, &product).await;
    let mut next = approved.clone();
    let (action, summary) = match &outcome {
        Ok(()) => (AccessAction::Granted, format!("granted team `{}` read access on the cluster", approved.team)),
        Err(e) => {
            next.reason = Some(e.to_string());
            (AccessAction::GrantFailed, format!("granting team `{}` failed: {e}", approved.team))
        }
    };
    next.state = approved.state.after(action).unwrap_or(AccessState::Failed);
    store(mesh, actor, next, Some(approved.revision), summary).await
}

/// Creates a request's bindings for each of its principals, then checks the cluster has every one.
async fn create_acls(mesh: &Mesh, request: &AccessRequest, product: &DataProduct) -> Result<()> {
    let topic = &product.output_port.topic;
    let pattern = group_pattern(request);
    let mut created = Vec::new();
    for principal in &request.principals {
        created.extend(mesh.kafka.grant_read(topic, principal.as_str(), request.group.as_str(), pattern).await?);
    }
    let missing = mesh.kafka.absent(&created).await?;
    if !missing.is_empty() {
        return Err(Error::Conflict(format!("the cluster does not show {} of the ACLs just created", missing.len())));
    }
    Ok(())
}

fn group_pattern(request: &AccessRequest) -> PatternType {
    match request.group_pattern {
        GroupPattern::Literal => PatternType::Literal,
        GroupPattern::Prefixed => PatternType::Prefixed,
    }
}

/// The bindings of a request's grant.
fn bindings_of(request: &AccessRequest, product: &DataProduct) -> Result<Vec<AclBinding>> {
    let mut bindings = Vec::new();
    for principal in &request.principals {
        bindings.extend(crate::kafka::read_bindings(
            &product.output_port.topic,
            principal.as_str(),
            request.group.as_str(),
            group_pattern(request),
        )?);
    }
    Ok(bindings)
}

/// Deletes the ACLs of `request`'s grant, except those another active grant needs too (Kafka keeps one binding for
/// both: two groups of one principal on one topic share topic READ, two topics read in one group share group READ).
async fn delete_acls(mesh: &Mesh, request: &AccessRequest, product: &DataProduct) -> Result<()> {
    let mut needed = Vec::new();
    for other in mesh.catalog.access_in_state(AccessState::Active).await? {
        if other.id == request.id {
            continue;
        }
        let other_product = match &other.product {
            id if *id == product.id => product.clone(),
            id => match mesh.catalog.get_product(id).await? {
                Some(p) => p,
                None => continue,
            },
        };
        needed.extend(bindings_of(&other, &other_product)?);
    }
    let only_this: Vec<AclBinding> =
        bindings_of(request, product)?.into_iter().filter(|b| !needed.contains(b)).collect();
    mesh.kafka.revoke(&only_this).await?;
    Ok(())
}

/// Expires the grants whose end date is before `today`: their ACLs are deleted, then the request stored as expired.
/// Answers the expired requests' ids; a grant whose ACLs cannot be deleted now is left active for the next run.
pub async fn expire_due(mesh: &Mesh, today: &str) -> Result<Vec<String>> {
    let mut expired = Vec::new();
    for request in mesh.catalog.access_in_state(AccessState::Active).await? {
        let due = request.until.as_deref().is_some_and(|until| until < today);
        if !due {
            continue;
        }
        let Some(product) = mesh.catalog.get_product(&request.product).await? else { continue };
        if let Err(e) = delete_acls(mesh, &request, &product).await {
            tracing::warn!(request = %request.id, error = %e, "an expired grant's ACLs not deleted; the next sync retries");
            continue;
        }
        let mut next = request.clone();
        next.state = AccessState::Expired;
        next.decided_by = Some("meshport".into());
        next.decided_at = Some(now());
        let summary =
            format!("access of team `{}` expired (until {})", request.team, request.until.as_deref().unwrap_or(""));
        match store(mesh, "meshport", next, Some(request.revision), summary).await {
            Ok(stored) => expired.push(stored.id),
            Err(e) => {
                tracing::warn!(request = %request.id, error = %e, "an expired grant not recorded; the next sync retries")
            }
        }
    }
    Ok(expired)
}

/// Finishes the grants a crash left approved, between storing the decision and storing the grant's outcome: their
/// ACLs are created again (a set: a second create changes nothing) and checked, and the outcome stored. Answers
/// the ids of the requests it finished.
pub async fn finish_approved(mesh: &Mesh) -> Result<Vec<String>> {
    let mut finished = Vec::new();
    for approved in mesh.catalog.access_in_state(AccessState::Approved).await? {
        let actor = approved.decided_by.clone().unwrap_or_else(|| "meshport".into());
        match grant(mesh, &actor, approved.clone()).await {
            Ok(stored) => finished.push(stored.id),
            Err(e) => {
                tracing::warn!(request = %approved.id, error = %e, "an approved grant not finished; the next sync retries")
            }
        }
    }
    Ok(finished)
}

/// Puts back the ACLs of active grants that vanished from the cluster (someone deleted them by hand, or the cluster
/// was rebuilt): each grant's bindings are checked, and the missing ones created again. Answers the ids of the grants
/// it repaired; a grant it cannot check or repair now is left for the next run.
pub async fn repair_active(mesh: &Mesh) -> Result<Vec<String>> {
    let mut repaired = Vec::new();
    for request in mesh.catalog.access_in_state(AccessState::Active).await? {
        let Some(product) = mesh.catalog.get_product(&request.product).await? else { continue };
        let outcome = async {
            let missing = mesh.kafka.absent(&bindings_of(&request, &product)?).await?;
            if missing.is_empty() {
                return Ok(false);
            }
            create_acls(mesh, &request, &product).await?;
            Ok::<_, Error>(true)
        };
        match outcome.await {
            Ok(true) => {
                tracing::warn!(request = %request.id, "an active grant's ACLs had vanished from the cluster; created again");
                let entry = audit::entry(
                    "meshport",
                    &request.product,
                    AuditAction::Access,
                    format!("access of team `{}` repaired: its ACLs had vanished from the cluster", request.team),
                    None,
                    None,
                );
                if let Err(e) = mesh.catalog.record(entry).await {
                    tracing::warn!(request = %request.id, error = %e, "a repaired grant not recorded");
                }
                repaired.push(request.id);
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(request = %request.id, error = %e, "an active grant not checked; the next sync retries")
            }
        }
    }
    Ok(repaired)
}

/// Ends every open request of a product that is being retired: active and failed grants lose their ACLs and are
/// revoked, requests not decided yet are denied, all with `reason`. Answers the ids of the requests it ended.
pub async fn end_all(mesh: &Mesh, actor: &str, product: &DataProduct, reason: &str) -> Result<Vec<String>> {
    let mut ended = Vec::new();
    for request in mesh.catalog.product_access(&product.id).await? {
        let action = match request.state {
            AccessState::Active | AccessState::Failed => AccessAction::Revoke,
            AccessState::Requested => AccessAction::Deny,
            _ => continue,
        };
        if action == AccessAction::Revoke {
            delete_acls(mesh, &request, product).await?;
        }
        let mut next = request.clone();
        next.state = request.state.after(action).unwrap_or(request.state);
        next.decided_by = Some(actor.to_owned());
        next.decided_at = Some(now());
        next.reason = Some(reason.to_owned());
        let summary = format!("{} access of team `{}`: {reason}", past(action), request.team);
        ended.push(store(mesh, actor, next, Some(request.revision), summary).await?.id);
    }
    Ok(ended)
}

/// Whether `who` may read `product`'s events through Meshport (its samples): its owning team, org admins, and the
/// teams with an active grant. Meshport never lends its own broker rights to anyone else.
pub async fn may_read(mesh: &Mesh, who: &Identity, product: &DataProduct) -> Result<bool> {
    if who.admin || who.teams.contains(&product.owner.team) {
        return Ok(true);
    }
    let requests = mesh.catalog.product_access(&product.id).await?;
    Ok(requests.iter().any(|r| r.state == AccessState::Active && who.teams.contains(&r.team)))
}

/// The requests for `product` that `who` may see: all of them for its owners and org admins, their own teams'
/// otherwise.
pub async fn for_product(mesh: &Mesh, who: &Identity, product: &ProductId) -> Result<Vec<AccessRequest>> {
    let stored = mesh.catalog.get_product(product).await?.ok_or_else(|| no_product(product))?;
    let all = mesh.catalog.product_access(product).await?;
    if who.admin || who.teams.contains(&stored.owner.team) {
        return Ok(all);
    }
    Ok(all.into_iter().filter(|r| who.teams.contains(&r.team)).collect())
}

/// The requests to the products of `who`'s teams: their inbox, newest first.
pub async fn inbox(mesh: &Mesh, who: &Identity) -> Result<Vec<AccessRequest>> {
    let mut requests = Vec::new();
    for team in &who.teams {
        requests.extend(mesh.catalog.inbox(team).await?);
    }
    requests.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(requests)
}

/// The requests of `who`'s teams: grants expiring soonest first, then the rest newest first.
pub async fn mine(mesh: &Mesh, who: &Identity) -> Result<Vec<AccessRequest>> {
    let mut requests = Vec::new();
    for team in &who.teams {
        requests.extend(mesh.catalog.team_access(team).await?);
    }
    requests.sort_by(|a, b| {
        let key =
            |r: &AccessRequest| (r.state != AccessState::Active, r.until.clone().unwrap_or_else(|| "9999".into()));
        key(a).cmp(&key(b)).then_with(|| b.id.cmp(&a.id))
    });
    Ok(requests)
}

fn require_role(who: &Identity, request: &AccessRequest, action: AccessAction) -> Result<()> {
    let member = |team: &TeamName| who.teams.contains(team);
    match action.taken_by() {
        AccessRole::Owners if member(&request.team) => Err(Error::Forbidden(format!(
            "you are in team `{}`, which asked: the product's owners decide on its request",
            request.team
        ))),
        AccessRole::Owners if who.admin || member(&request.owner_team) => Ok(()),
        AccessRole::Owners => Err(Error::Forbidden(format!(
            "only team `{}` (the product's owners) or org admins decide on this request",
            request.owner_team
        ))),
        AccessRole::Requesters if who.admin || member(&request.team) => Ok(()),
        AccessRole::Requesters => {
            Err(Error::Forbidden(format!("only team `{}`, which asked, may cancel this request", request.team)))
        }
        AccessRole::Meshport => {
            Err(Error::Forbidden(format!("only Meshport itself may {} a request", action.as_str())))
        }
    }
}

/// Stores a request's change with its audit entry in the product's history.
async fn store(
    mesh: &Mesh,
    actor: &str,
    request: AccessRequest,
    expected: Option<u64>,
    summary: String,
) -> Result<AccessRequest> {
    let entry = audit::entry(actor, &request.product, AuditAction::Access, summary, None, None);
    let stored = mesh.catalog.put_access(request, expected, entry.clone()).await.map_err(|e| match e {
        StoreError::AccessConflict { id, actual, .. } => Error::Stale(format!(
            "request `{id}` changed meanwhile (it is at revision {}): reload and try again",
            actual.map_or_else(|| "none".to_owned(), |r| r.to_string())
        )),
        other => other.into(),
    })?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(stored)
}

fn past(action: AccessAction) -> &'static str {
    match action {
        AccessAction::Approve => "approved",
        AccessAction::Deny => "denied",
        AccessAction::Cancel => "cancelled",
        AccessAction::Revoke => "revoked",
        AccessAction::Retry => "retried",
        AccessAction::Expire => "expired",
        AccessAction::Granted => "granted",
        AccessAction::GrantFailed => "failed",
    }
}

fn clip(text: &str) -> String {
    let mut clipped: String = text.chars().take(120).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}

fn no_product(id: &ProductId) -> Error {
    Error::NotFound(format!("no data product `{id}`"))
}

fn no_request(id: &str) -> Error {
    Error::NotFound(format!("no access request `{}`", clip(id)))
}
