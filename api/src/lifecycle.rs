//! The life of a data product: publish an existing topic, create topic + schema + product in one step, update,
//! evolve the schema, deprecate, retire, and delete the topic. Each operation checks who may do it and the
//! organisation's policy before it touches anything, performs the Kafka and registry work, keeps the catalog mirror
//! true, and leaves one audit entry.

use std::collections::BTreeMap;

use meshport_shared::api::Identity;
use meshport_shared::api::{
    CreateRequest, DeprecateRequest, EvolveRequest, EvolveResponse, TopicChangeRequest, TopicSettings,
};
use meshport_shared::{
    AuditAction, ConfigSource, DataProduct, Deprecation, HistoryKind, ProductId, ProductStatus, SchemaFact,
    SchemaFormat, SchemaVersion, SubjectName, TopicFacts, TopicLimits, TopicName, Violation, ViolationCode, validate,
};

use crate::audit;
use crate::auth::require_change;
use crate::catalog::{Claim, StoreError};
use crate::error::{Error, Result};
use crate::kafka::{KafkaError, NewTopic, TopicInfo};
use crate::mesh::Mesh;
use crate::registry::{RegistryError, VersionRef};

/// Whether a write is carried out, or only checked: a dry run runs every check a real call runs (authorization,
/// policy, topic and subject, claims) and answers what would be stored, but changes nothing and records nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    Apply,
    DryRun,
}

/// How long a product replaced by a new major version stays before its sunset, in days.
const MAJOR_VERSION_SUNSET_DAYS: i64 = 90;

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn violation(code: ViolationCode, field: &str, message: impl Into<String>) -> Violation {
    Violation::new(code, field, message)
}

async fn schema_fact(mesh: &Mesh, subject: &SubjectName) -> Result<SchemaFact> {
    match mesh.registry.versions(subject.as_str()).await {
        Ok(versions) if !versions.is_empty() => Ok(SchemaFact::Registered),
        Ok(_) | Err(RegistryError::SubjectNotFound(_)) => Ok(SchemaFact::Missing),
        Err(e) => Err(e.into()),
    }
}

/// Violations of the claims a new product makes: a topic the policy's ownership rules keep from this team (the
/// platform's own, another domain's, another team's by assignment), subjects not named after the topic, a topic or
/// subject another product holds, and the next major version of another team's product. One topic and one subject
/// make one product, so nobody can claim (and then delete, or read) another team's data. The holders are looked up
/// one claim at a time; the store enforces them again when the product is written, so a race loses there.
async fn claims(mesh: &Mesh, product: &DataProduct) -> Result<Vec<Violation>> {
    let port = &product.output_port;
    let ownership = &mesh.policy.ownership;
    let mut violations = ownership.topic_violations(&port.topic, &product.domain, &product.owner.team);
    violations.extend(ownership.subject_violations(product));
    for claim in Claim::of(product) {
        if let Some(holder) = mesh.catalog.claim_holder(&claim).await?
            && holder != product.id
        {
            violations.push(claimed(&claim, &holder));
        }
    }
    violations.extend(successor_violations(mesh, product).await?);
    Ok(violations)
}

/// The violation of a claim `holder` makes already.
fn claimed(claim: &Claim, holder: &ProductId) -> Violation {
    match claim {
        Claim::Topic(topic) => violation(
            ViolationCode::TopicExists,
            claim.field(),
            format!("topic `{topic}` is already data product `{holder}`"),
        ),
        Claim::Subject(subject) => violation(
            ViolationCode::Immutable,
            claim.field(),
            format!("subject `{subject}` already describes data product `{holder}`"),
        ),
    }
}

/// `orders.v2` (as an id or a topic) is the next major version of `orders`: only the team owning `orders` (or the
/// version before) may take it, so no other team can squat on a successor before its owners ask for it.
async fn successor_violations(mesh: &Mesh, product: &DataProduct) -> Result<Vec<Violation>> {
    let mut violations = Vec::new();
    for (field, name) in [("id", product.id.as_str()), ("output_port.topic", product.output_port.topic.as_str())] {
        let Some(predecessors) = predecessors(name) else { continue };
        for predecessor in predecessors {
            let holder = match field {
                "id" => ProductId::parse(predecessor.as_str()).ok(),
                _ => mesh.catalog.claim_holder(&Claim::Topic(predecessor.clone())).await?,
            };
            let Some(holder) = holder.filter(|h| h != &product.id) else { continue };
            let Some(previous) = mesh.catalog.get_product(&holder).await? else { continue };
            if previous.owner.team != product.owner.team {
                violations.push(violation(
                    ViolationCode::ReservedVersion,
                    field,
                    format!(
                        "`{name}` is the next major version of `{predecessor}`, which team `{}` owns: only that team \
                         may create it",
                        previous.owner.team
                    ),
                ));
            }
            break;
        }
    }
    Ok(violations)
}

/// For a successor name (`orders.v3`), the names it succeeds, nearest first (`orders.v2`, `orders`).
fn predecessors(name: &str) -> Option<[String; 2]> {
    let (base, major) = name.rsplit_once(".v")?;
    let major: u32 = major.parse().ok().filter(|&m| m >= 2)?;
    (!base.is_empty()).then(|| [successor_name(base, major - 1), base.to_owned()])
}

/// Violations for inputs that name no product, or one derived from this product (which would close a cycle in the
/// lineage), as `inputs[i]`; checked against the discovery index (current as of the catalog's generation) rather
/// than one read per input. Naming itself is the policy's own `circular_lineage`.
async fn input_violations(mesh: &Mesh, product: &DataProduct) -> Result<Vec<Violation>> {
    let problems = mesh.discovery.input_problems(mesh.catalog.as_ref(), product).await?;
    let mut violations: Vec<Violation> = problems
        .unknown
        .into_iter()
        .filter(|&i| product.inputs[i] != product.id)
        .map(|i| {
            let message = format!("no data product `{}` to derive this one from", product.inputs[i]);
            violation(ViolationCode::UnknownProduct, &format!("inputs[{i}]"), message)
        })
        .collect();
    for (i, chain) in problems.cycles {
        let path = chain.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(" -> ");
        let message = format!(
            "`{}` is derived from this product ({path}), so deriving this product from it would make a cycle",
            product.inputs[i]
        );
        violations.push(violation(ViolationCode::CircularLineage, &format!("inputs[{i}]"), message));
    }
    Ok(violations)
}

/// Refuses a change decided on a stale read, before any side effect: `sent` is the revision the caller read (0 when
/// it sent none). The final catalog write is conditional on the same revision, so a change racing in after this check
/// still loses with a conflict.
fn require_revision(id: &ProductId, sent: u64, stored: &DataProduct) -> Result<()> {
    if sent == 0 {
        return Err(Error::MissingRevision(format!(
            "send the revision of `{id}` you read (it is at {}), as `revision` or in If-Match, so that a change made \
             meanwhile is not overwritten",
            stored.revision
        )));
    }
    if sent != stored.revision {
        return Err(Error::Stale(format!(
            "product `{id}` changed since you read it (you sent revision {sent}, it is at {}): reload and try again",
            stored.revision
        )));
    }
    Ok(())
}

async fn existing(mesh: &Mesh, id: &ProductId) -> Result<DataProduct> {
    mesh.catalog.get_product(id).await?.ok_or_else(|| Error::NotFound(format!("no data product `{id}`")))
}

/// Stores a change with its audit entry, then tells other systems about it (best effort).
async fn commit(
    mesh: &Mesh,
    who: &Identity,
    product: DataProduct,
    before: Option<&DataProduct>,
    action: AuditAction,
    summary: String,
) -> Result<DataProduct> {
    let expected = before.map(|b| b.revision);
    let entry = audit::entry(&who.subject, &product.id, action, summary, before, Some(&product));
    let stored = mesh.catalog.put_product(product, expected, entry.clone()).await.map_err(|e| match e {
        StoreError::Conflict { id, actual, .. } => Error::Stale(format!(
            "product `{id}` changed since you read it (it is at revision {}): reload and try again",
            actual.map_or_else(|| "none".to_owned(), |r| r.to_string())
        )),
        // Another product took the topic or a subject between the checks and this write.
        StoreError::Claimed { claim, holder } => Error::Violations(vec![claimed(&claim, &holder)]),
        other => other.into(),
    })?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(stored)
}

/// Records the intent of a change with a side effect on Kafka or the registry, before the side effect: when the
/// intent cannot be recorded, the side effect does not happen.
async fn intend(mesh: &Mesh, who: &Identity, product: &DataProduct, action: AuditAction, what: &str) -> Result<()> {
    let entry = audit::started(&who.subject, product, action, format!("started: {what}"));
    mesh.catalog.record(entry.clone()).await?;
    audit::publish(&mesh.kafka, &entry).await;
    Ok(())
}

/// Records that a change failed after its intent: its side effect failed (`happened` false), or happened while the
/// catalog could not store the change. Best effort: the error the caller returns says it too.
async fn record_failure(
    mesh: &Mesh,
    who: &Identity,
    product: &DataProduct,
    action: AuditAction,
    what: &str,
    happened: bool,
    error: &Error,
) {
    let summary = match happened {
        true => format!("{what}, but the change could not be recorded: {error}"),
        false => format!("failed: {what}: {error}"),
    };
    let entry = audit::failed(&who.subject, product, action, summary);
    match mesh.catalog.record(entry.clone()).await {
        Ok(()) => audit::publish(&mesh.kafka, &entry).await,
        Err(e) => {
            tracing::error!(product = %product.id, error = %e, entry = ?entry, "a failed change's outcome not recorded")
        }
    }
}

/// [`commit`] after a side effect: when the change cannot be stored, the trail still says what happened.
async fn commit_outcome(
    mesh: &Mesh,
    who: &Identity,
    product: DataProduct,
    before: &DataProduct,
    action: AuditAction,
    summary: String,
) -> Result<DataProduct> {
    match commit(mesh, who, product, Some(before), action, summary.clone()).await {
        Ok(stored) => Ok(stored),
        Err(e) => {
            record_failure(mesh, who, before, action, &summary, true, &e).await;
            Err(e)
        }
    }
}

/// Copies a topic and a subject's versions into the mirror, so reads see what a write just did before the next
/// sync. Failures are logged: the next sync repairs the mirror.
async fn mirror(mesh: &Mesh, topic: Option<&TopicInfo>, subject: &SubjectName) {
    if let Some(info) = topic
        && let Ok(name) = TopicName::parse(info.name.clone())
    {
        // Who consumes the topic is the sync's to say; a write keeps what it last saw.
        let consumers = match mesh.catalog.topic(&name).await {
            Ok(Some(known)) => known.consumers,
            _ => Vec::new(),
        };
        let facts = TopicFacts {
            name,
            partitions: info.partitions,
            replication_factor: info.replication_factor,
            history: HistoryKind::from_configs(&info.configs),
            configs: info.configs.clone(),
            config_sources: info.config_sources.clone(),
            present: true,
            synced_at: now(),
            consumers,
        };
        if let Err(e) = mesh.catalog.put_topics(vec![facts]).await {
            tracing::warn!(error = %e, "topic not mirrored; the next sync will");
        }
    }
    let mut versions = Vec::new();
    for number in mesh.registry.versions(subject.as_str()).await.unwrap_or_default() {
        if let Ok(v) = mesh.registry.version(subject.as_str(), VersionRef::Number(number)).await {
            versions.push(SchemaVersion {
                subject: v.subject,
                version: v.version,
                id: v.id,
                format: v.format,
                schema: v.schema,
            });
        }
    }
    if !versions.is_empty()
        && let Err(e) = mesh.catalog.put_schema_versions(versions).await
    {
        tracing::warn!(error = %e, "schema versions not mirrored; the next sync will");
    }
}

/// Turns an existing topic into a product. The topic must exist and every policy rule hold; all violations are
/// returned at once. The owning team's producer accounts get write access to the topic. A draft left by an interrupted create can be published this way too.
pub async fn publish(mesh: &Mesh, who: &Identity, mut product: DataProduct, run: Run) -> Result<DataProduct> {
    require_change(who, &product)?;
    let draft = match mesh.catalog.get_product(&product.id).await? {
        Some(stored) if stored.status == ProductStatus::Draft => {
            // Finishing a draft is a change to it: its owners' right, and the draft's own topic.
            require_change(who, &stored)?;
            if stored.output_port.topic != product.output_port.topic {
                return Err(Error::Conflict(format!(
                    "draft `{}` holds topic `{}`: publish it with that topic",
                    stored.id, stored.output_port.topic
                )));
            }
            Some(stored)
        }
        Some(_) => return Err(Error::Conflict(format!("data product `{}` exists already", product.id))),
        None => None,
    };
    let topic = mesh.kafka.topic(&product.output_port.topic).await?;
    let fact = schema_fact(mesh, &product.output_port.value_subject).await?;
    let mut violations = validate(&product, &mesh.policy, fact);
    violations.extend(input_violations(mesh, &product).await?);
    violations.extend(claims(mesh, &product).await?);
    if topic.is_none() {
        violations.insert(
            0,
            violation(
                ViolationCode::TopicMissing,
                "output_port.topic",
                format!(
                    "topic `{}` does not exist on the cluster: create it first, or create the product with its topic",
                    product.output_port.topic
                ),
            ),
        );
    }
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    let at = now();
    product.status = ProductStatus::Active;
    product.deprecation = None;
    product.created_at = draft.as_ref().map_or_else(|| at.clone(), |d| d.created_at.clone());
    product.updated_at = at;
    if run == Run::DryRun {
        product.revision = draft.as_ref().map_or(1, |d| d.revision + 1);
        return Ok(product);
    }
    let summary = format!("published topic `{}` as a data product", product.output_port.topic);
    let stored = commit(mesh, who, product, draft.as_ref(), AuditAction::Published, summary).await?;
    mirror(mesh, topic.as_ref(), &stored.output_port.value_subject).await;
    crate::accounts::grant_producers(mesh, &who.subject, &stored).await;
    Ok(stored)
}

fn topic_settings_violations(settings: &TopicSettings, limits: &TopicLimits) -> Vec<Violation> {
    let mut violations = Vec::new();
    violations.extend(limits.partitions("topic.partitions", settings.partitions));
    violations.extend(limits.replication_factor("topic.replication_factor", settings.replication_factor));
    violations.extend(limits.cleanup_policy("topic.cleanup_policy", &settings.cleanup_policy));
    if let Some(ms) = settings.retention_ms {
        violations.extend(limits.retention("topic.retention_ms", ms));
    }
    violations
}

fn topic_configs(settings: &TopicSettings) -> BTreeMap<String, String> {
    let mut configs = BTreeMap::from([("cleanup.policy".to_owned(), settings.cleanup_policy.clone())]);
    if let Some(ms) = settings.retention_ms {
        configs.insert("retention.ms".to_owned(), ms.to_string());
    }
    configs
}

/// Creates the topic, registers the schema and publishes the product, as one operation. The product is stored as
/// a draft first, so it is never invisible: each later step that fails undoes the steps before it and removes the
/// draft; if only the final activation fails, the draft stays visible, holding topic and schema, for a publish to
/// finish. A draft whose topic is gone (its undo could not remove it) is taken over by the next create of its
/// owners.
pub async fn create(mesh: &Mesh, who: &Identity, request: CreateRequest, run: Run) -> Result<DataProduct> {
    let CreateRequest { mut product, topic: settings, schema } = request;
    require_change(who, &product)?;
    let mut violations = validate(&product, &mesh.policy, SchemaFact::Unknown);
    violations.extend(topic_settings_violations(&settings, &mesh.policy.topics));
    violations.extend(input_violations(mesh, &product).await?);
    violations.extend(claims(mesh, &product).await?);
    let default_subject = SubjectName::value_of(&product.output_port.topic);
    if product.output_port.value_subject != default_subject {
        violations.push(violation(
            ViolationCode::Immutable,
            "output_port.value_subject",
            format!("a new topic's values are described by `{default_subject}`"),
        ));
    }
    if schema.trim().is_empty() {
        violations.push(violation(ViolationCode::RequiredFieldMissing, "schema", "paste or upload the value schema"));
    } else if product.output_port.schema_format == SchemaFormat::Avro
        && let Err(e) = crate::schema::fields(&schema)
    {
        violations.push(violation(
            ViolationCode::RequiredFieldMissing,
            "schema",
            format!("the schema is not valid Avro: {e}"),
        ));
    } else {
        violations.extend(subject_violations(mesh, &product.output_port.value_subject, &schema, &product).await?);
    }
    let topic_name = product.output_port.topic.clone();
    if mesh.kafka.topic(&topic_name).await?.is_some() {
        violations.push(violation(
            ViolationCode::TopicExists,
            "output_port.topic",
            format!("topic `{topic_name}` exists already: publish it instead of creating it"),
        ));
    }
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    let previous = match mesh.catalog.get_product(&product.id).await? {
        // A draft whose create failed halfway: its owners may start again (its topic is gone, checked above).
        Some(draft) if draft.status == ProductStatus::Draft => {
            require_change(who, &draft)?;
            Some(draft)
        }
        Some(_) => return Err(Error::Conflict(format!("data product `{}` exists already", product.id))),
        None => None,
    };

    let at = now();
    product.deprecation = None;
    product.created_at = at.clone();
    product.updated_at = at;
    if run == Run::DryRun {
        product.status = ProductStatus::Active;
        // The draft, then its activation.
        product.revision = previous.as_ref().map_or(0, |d| d.revision) + 2;
        return Ok(product);
    }

    // Step 1: the draft, visible from now on.
    product.status = ProductStatus::Draft;
    let draft = commit(
        mesh,
        who,
        product,
        previous.as_ref(),
        AuditAction::Created,
        "creating topic, schema and product".into(),
    )
    .await?;

    // Step 2: the topic.
    let spec = NewTopic {
        name: topic_name.clone(),
        partitions: settings.partitions,
        replication_factor: settings.replication_factor,
        configs: topic_configs(&settings),
    };
    if let Err(e) = mesh.kafka.create_topic(&spec).await {
        undo_draft(mesh, who, &draft, format!("create failed: topic not created: {e}")).await;
        return Err(e.into());
    }

    // Step 3: the schema.
    let subject = draft.output_port.value_subject.clone();
    if let Err(e) = mesh.registry.register(subject.as_str(), &schema, draft.output_port.schema_format).await {
        // The draft goes first, on condition that nobody finished it meanwhile; its topic only if nobody did.
        let undo = undo_draft(mesh, who, &draft, format!("create failed: schema not registered: {e}")).await;
        if undo != Undo::ChangedMeanwhile
            && let Err(undo) = mesh.kafka.delete_topic(&topic_name).await
        {
            tracing::error!(topic = %topic_name, error = %undo, "topic of a failed create not removed");
        }
        return Err(e.into());
    }

    // Step 4: active.
    let mut active = draft.clone();
    active.status = ProductStatus::Active;
    active.updated_at = now();
    let summary =
        format!("created topic `{topic_name}` ({} partitions) and registered `{subject}`", settings.partitions);
    let stored = commit(mesh, who, active, Some(&draft), AuditAction::Published, summary).await.map_err(|e| {
        Error::Conflict(format!(
            "topic `{topic_name}` and schema `{subject}` were created, but the product could not be activated ({e}); it is visible as a draft: publish it to finish"
        ))
    })?;
    let topic = mesh.kafka.topic(&topic_name).await.ok().flatten();
    mirror(mesh, topic.as_ref(), &subject).await;
    crate::accounts::grant_producers(mesh, &who.subject, &stored).await;
    Ok(stored)
}

/// A create registers its schema on a subject that may hold versions already (an earlier topic of that name left
/// them): the schema must then be compatible with them, or the create would fail halfway.
async fn subject_violations(
    mesh: &Mesh,
    subject: &SubjectName,
    schema: &str,
    product: &DataProduct,
) -> Result<Vec<Violation>> {
    match mesh.registry.versions(subject.as_str()).await {
        Ok(versions) if !versions.is_empty() => {}
        Ok(_) | Err(RegistryError::SubjectNotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    }
    let verdict =
        mesh.registry.check_compatibility(subject.as_str(), schema, product.output_port.schema_format).await?;
    if verdict.is_compatible {
        return Ok(Vec::new());
    }
    let mut message =
        format!("subject `{subject}` holds versions already, and this schema is not compatible with them");
    if !verdict.messages.is_empty() {
        message = format!("{message}: {}", verdict.messages.join("; "));
    }
    Ok(vec![violation(ViolationCode::BreakingChange, "schema", message)])
}

/// Removes the draft of a create that failed, recording why.
async fn undo_draft(mesh: &Mesh, who: &Identity, draft: &DataProduct, reason: String) -> Undo {
    let entry = audit::entry(&who.subject, &draft.id, AuditAction::Deleted, reason, Some(draft), None);
    match mesh.catalog.delete_product(&draft.id, draft.revision, entry).await {
        Ok(_) => Undo::Removed,
        Err(StoreError::Conflict { .. }) => {
            tracing::warn!(product = %draft.id, "draft of a failed create changed meanwhile; left as it is");
            Undo::ChangedMeanwhile
        }
        Err(e) => {
            tracing::error!(product = %draft.id, error = %e, "draft of a failed create not removed");
            Undo::Failed
        }
    }
}

/// What became of a failed create's draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Undo {
    Removed,
    /// Someone (a teammate publishing the draft) changed it meanwhile: what they finished stays, topic included.
    ChangedMeanwhile,
    /// The catalog could not remove it: it stays visible as a draft, which its owners' next create takes over.
    Failed,
}

/// Changes a product's metadata. The id and the topic are fixed, and status changes go through deprecate and
/// retire; `revision` is the one the caller read. A live product handed to another team changes producers: the old
/// team's lose write access to its topic, the new team's get it.
pub async fn update(mesh: &Mesh, who: &Identity, id: &ProductId, mut product: DataProduct) -> Result<DataProduct> {
    let stored = existing(mesh, id).await?;
    require_change(who, &stored)?;
    // Handing a product to another team needs the right to change it there too.
    require_change(who, &product)?;
    require_revision(id, product.revision, &stored)?;
    let mut violations = Vec::new();
    if &product.id != id {
        violations.push(violation(ViolationCode::Immutable, "id", "a product's id never changes"));
    }
    if product.output_port.topic != stored.output_port.topic {
        violations.push(violation(
            ViolationCode::Immutable,
            "output_port.topic",
            "a product's topic never changes: publish the other topic as its own product",
        ));
    }
    if product.output_port.value_subject != stored.output_port.value_subject
        || product.output_port.key_subject != stored.output_port.key_subject
        || product.output_port.schema_format != stored.output_port.schema_format
    {
        violations.push(violation(
            ViolationCode::Immutable,
            "output_port",
            "a product's subjects and schema format never change: evolve the schema instead",
        ));
    }
    product.status = stored.status;
    product.deprecation = stored.deprecation.clone();
    // What imported files said beyond the product stays unless the change says otherwise (the portal never does).
    if product.extensions.is_none() {
        product.extensions.clone_from(&stored.extensions);
    }
    let fact = if mesh.catalog.schema_versions(product.output_port.value_subject.as_str()).await?.is_empty() {
        SchemaFact::Unknown
    } else {
        SchemaFact::Registered
    };
    violations.extend(validate(&product, &mesh.policy, fact));
    violations.extend(input_violations(mesh, &product).await?);
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    product.created_at = stored.created_at.clone();
    product.updated_at = now();
    let handed_over = product.owner.team != stored.owner.team
        && matches!(stored.status, ProductStatus::Active | ProductStatus::Deprecated);
    if handed_over {
        // The old team's producers stop writing the product before it is the new team's.
        crate::accounts::revoke_producers(mesh, &who.subject, &stored).await?;
    }
    match commit(mesh, who, product, Some(&stored), AuditAction::Updated, "updated metadata".into()).await {
        Ok(updated) if handed_over => {
            crate::accounts::revoke_leftover_producers(mesh, &who.subject, &stored).await;
            crate::accounts::grant_producers(mesh, &who.subject, &updated).await;
            Ok(updated)
        }
        Ok(updated) => Ok(updated),
        Err(e) => {
            if handed_over {
                // Still the old team's: its producers write it again.
                crate::accounts::grant_producers(mesh, &who.subject, &stored).await;
            }
            Err(e)
        }
    }
}

/// Checks a proposed schema against the latest version at the subject's compatibility level, and registers it if
/// compatible. A breaking change is refused with each break in words, or, when asked, becomes a new major version
/// product linked to this one, which is deprecated in its favour.
pub async fn evolve(mesh: &Mesh, who: &Identity, id: &ProductId, request: EvolveRequest) -> Result<EvolveResponse> {
    let stored = existing(mesh, id).await?;
    // A dry run changes nothing and records nothing: it is the registry's read-only compatibility check, which
    // whoever reads the catalog may ask (a read token, another team, as a pull request's `meshport product diff`
    // does). Only a real run needs the right to change the product.
    if !request.dry_run {
        require_change(who, &stored)?;
    }
    // A dry run may leave the revision out; when given, a stale one is refused all the same.
    if !(request.dry_run && request.revision == 0) {
        require_revision(id, request.revision, &stored)?;
    }
    if matches!(stored.status, ProductStatus::Retired | ProductStatus::Draft) {
        return Err(Error::Conflict(format!(
            "product `{id}` is {}: only active or deprecated products evolve",
            stored.status.as_str()
        )));
    }
    let subject = stored.output_port.value_subject.clone();
    let format = stored.output_port.schema_format;
    if format == SchemaFormat::Avro
        && let Err(e) = crate::schema::fields(&request.schema)
    {
        return Err(Error::Violations(vec![violation(
            ViolationCode::RequiredFieldMissing,
            "schema",
            format!("the schema is not valid Avro: {e}"),
        )]));
    }
    let level = mesh.registry.compatibility_level(Some(subject.as_str())).await?;
    let latest = match mesh.registry.version(subject.as_str(), VersionRef::Latest).await {
        Ok(latest) => Some(latest),
        Err(RegistryError::SubjectNotFound(_) | RegistryError::VersionNotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let changes = match (&latest, format) {
        (Some(latest), SchemaFormat::Avro) => crate::schema::changes(&latest.schema, &request.schema, level)
            .map_err(|e| Error::Invalid(format!("cannot compare with version {}: {e}", latest.version)))?,
        _ => Vec::new(),
    };
    let verdict = mesh.registry.check_compatibility(subject.as_str(), &request.schema, format).await?;
    let mut response = EvolveResponse {
        compatible: verdict.is_compatible,
        level: level.to_string(),
        changes,
        registry_messages: if verdict.is_compatible { Vec::new() } else { verdict.messages },
        registered_version: None,
        new_product: None,
        proposal: None,
    };
    if request.dry_run {
        return Ok(response);
    }
    if !response.compatible {
        if !request.new_major_version {
            let breaks = breaks(&response);
            return Err(Error::Incompatible { level: response.level, changes: breaks });
        }
        // The teams consuming the product sign the new major version off first.
        let subscribers = crate::proposals::subscribers(mesh, &stored).await?;
        if !subscribers.is_empty() {
            let breaking = breaks(&response).into_iter().map(|b| format!("{}: {}", b.field, b.message)).collect();
            let proposal =
                crate::proposals::propose(mesh, who, &stored, &request.schema, breaking, subscribers).await?;
            response.proposal = Some(proposal);
            return Ok(response);
        }
        let successor = new_major_version(mesh, who, &stored, &request.schema).await?;
        response.new_product = Some(successor.id);
        return Ok(response);
    }

    let action = AuditAction::SchemaEvolved;
    let what = format!("registering a new schema version of `{subject}`");
    intend(mesh, who, &stored, action, &what).await?;
    if let Err(e) = mesh.registry.register(subject.as_str(), &request.schema, format).await {
        let e = Error::from(e);
        record_failure(mesh, who, &stored, action, &what, false, &e).await;
        return Err(e);
    }
    let registered = match mesh.registry.version(subject.as_str(), VersionRef::Latest).await {
        Ok(registered) => registered,
        Err(e) => {
            let e = Error::from(e);
            record_failure(mesh, who, &stored, action, &format!("registered a schema of `{subject}`"), true, &e).await;
            return Err(e);
        }
    };
    response.registered_version = Some(registered.version);
    let mut evolved = stored.clone();
    evolved.version = bump_minor(&stored.version);
    evolved.updated_at = now();
    let summary = format!("registered schema version {} of `{subject}`", registered.version);
    commit_outcome(mesh, who, evolved, &stored, action, summary).await?;
    mirror(mesh, None, &subject).await;
    Ok(response)
}

/// Each breaking change of an incompatible schema: those the comparison found, else the registry's own words.
fn breaks(response: &EvolveResponse) -> Vec<Violation> {
    let breaks: Vec<Violation> = response
        .changes
        .iter()
        .filter(|c| c.breaking)
        .map(|c| violation(ViolationCode::BreakingChange, &c.path, c.description.clone()))
        .collect();
    if !breaks.is_empty() {
        return breaks;
    }
    response.registry_messages.iter().map(|m| violation(ViolationCode::BreakingChange, "schema", m.clone())).collect()
}

fn major_of(version: &str) -> u32 {
    version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(1)
}

/// The version an evolve gives a product after a compatible change: `1.4.2` becomes `1.5.0`.
pub(crate) fn bump_minor(version: &str) -> String {
    let parts: Vec<u32> = version.split('.').filter_map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [major, minor, _] => format!("{major}.{}.0", minor + 1),
        _ => version.to_owned(),
    }
}

/// `orders` at 1.x becomes `orders.v2` on topic `orders.v2`; `orders.v2` becomes `orders.v3`.
fn successor_name(name: &str, major: u32) -> String {
    let base = match name.rsplit_once(".v") {
        Some((base, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => base,
        _ => name,
    };
    format!("{base}.v{major}")
}

/// Makes `old`'s next major version with `schema`, and deprecates `old` in its favour: what a breaking change asked
/// as a new major version does, at once or once its subscribers signed it off.
pub(crate) async fn new_major_version(
    mesh: &Mesh,
    who: &Identity,
    old: &DataProduct,
    schema: &str,
) -> Result<DataProduct> {
    let major = major_of(&old.version) + 1;
    let parse = |e: meshport_shared::NameError| Error::Invalid(e.to_string());
    let id = ProductId::parse(successor_name(old.id.as_str(), major)).map_err(parse)?;
    let topic = TopicName::parse(successor_name(old.output_port.topic.as_str(), major)).map_err(parse)?;
    let current = mesh.kafka.topic(&old.output_port.topic).await?;
    let configs = current.as_ref().map(|t| t.configs.clone()).unwrap_or_default();
    let settings = TopicSettings {
        partitions: current.as_ref().map_or(1, |t| t.partitions),
        replication_factor: current.as_ref().map_or(1, |t| t.replication_factor.max(1)),
        retention_ms: configs.get("retention.ms").and_then(|r| r.parse().ok()),
        cleanup_policy: configs.get("cleanup.policy").cloned().unwrap_or_else(|| "delete".to_owned()),
    };
    let mut product = old.clone();
    product.id = id.clone();
    product.version = format!("{major}.0.0");
    product.output_port.value_subject = SubjectName::value_of(&topic);
    product.output_port.topic = topic;
    product.revision = 0;
    let request = CreateRequest { product, topic: settings, schema: schema.to_owned() };
    let successor = create(mesh, who, request, Run::Apply).await?;

    let sunset = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(MAJOR_VERSION_SUNSET_DAYS));
    let sunset = sunset.map(|d| d.to_string()).unwrap_or_default();
    let request = DeprecateRequest {
        sunset,
        replacement: Some(id.clone()),
        message: format!("replaced by `{id}` after a breaking schema change"),
        revision: old.revision,
    };
    // Recorded as the new major version, whose event tells the old product's subscribers where to move and by when.
    deprecate_as(mesh, who, &old.id, request, AuditAction::NewMajorVersion).await?;
    Ok(successor)
}

/// Marks a product deprecated: a sunset date, what to use instead, and a message for its consumers.
pub async fn deprecate(mesh: &Mesh, who: &Identity, id: &ProductId, request: DeprecateRequest) -> Result<DataProduct> {
    deprecate_as(mesh, who, id, request, AuditAction::Deprecated).await
}

/// [`deprecate`], audited as `action`.
async fn deprecate_as(
    mesh: &Mesh,
    who: &Identity,
    id: &ProductId,
    request: DeprecateRequest,
    action: AuditAction,
) -> Result<DataProduct> {
    let stored = existing(mesh, id).await?;
    require_change(who, &stored)?;
    match stored.status {
        ProductStatus::Retired => return Err(Error::Conflict(format!("product `{id}` is retired already"))),
        // A deprecated draft could be neither published nor created again: finish it, or let its undo remove it.
        ProductStatus::Draft => {
            return Err(Error::Conflict(format!(
                "product `{id}` is a draft: publish it first, or create it again, before deprecating it"
            )));
        }
        _ => {}
    }
    require_revision(id, request.revision, &stored)?;
    let mut product = stored.clone();
    let mut violations = Vec::new();
    if let Some(replacement) = &request.replacement {
        if replacement == id {
            violations.push(violation(
                ViolationCode::UnknownProduct,
                "deprecation.replacement",
                "a product cannot replace itself",
            ));
        } else if mesh.catalog.get_product(replacement).await?.is_none() {
            violations.push(violation(
                ViolationCode::UnknownProduct,
                "deprecation.replacement",
                format!("no data product `{replacement}` to point consumers to"),
            ));
        }
    }
    product.status = ProductStatus::Deprecated;
    product.deprecation = Some(Deprecation {
        sunset: request.sunset.clone(),
        replacement: request.replacement.clone(),
        message: request.message,
    });
    violations.extend(validate(&product, &mesh.policy, SchemaFact::Unknown));
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    product.updated_at = now();
    let summary = match &request.replacement {
        Some(replacement) => format!("deprecated until {}; use `{replacement}` instead", request.sunset),
        None => format!("deprecated until {}", request.sunset),
    };
    commit(mesh, who, product, Some(&stored), action, summary).await
}

/// Retires a product: gone from discovery, kept in the catalog and its history, its grants ended and its team's
/// producers' write access revoked. The topic stays until deleted.
pub async fn retire(mesh: &Mesh, who: &Identity, id: &ProductId, revision: u64) -> Result<DataProduct> {
    let stored = existing(mesh, id).await?;
    require_change(who, &stored)?;
    require_revision(id, revision, &stored)?;
    if stored.status == ProductStatus::Retired {
        return Err(Error::Conflict(format!("product `{id}` is retired already")));
    }
    // Nobody keeps reading a retired product: its grants go first (a failure stops the retirement).
    crate::access::end_all(mesh, &who.subject, &stored, &format!("product `{id}` was retired")).await?;
    // Nor does its team keep writing it.
    crate::accounts::revoke_producers(mesh, &who.subject, &stored).await?;
    let mut product = stored.clone();
    product.status = ProductStatus::Retired;
    product.updated_at = now();
    let retired = commit(mesh, who, product, Some(&stored), AuditAction::Retired, "retired".into()).await?;
    // What sync gave back meanwhile, reading the product still live.
    crate::accounts::revoke_leftover_producers(mesh, &who.subject, &stored).await;
    Ok(retired)
}

/// Deletes a product's topic, refused while consumer groups hold offsets on it unless `force`d. The product stays
/// (retire it first to take it out of discovery).
pub async fn delete_topic(
    mesh: &Mesh,
    who: &Identity,
    id: &ProductId,
    revision: u64,
    force: bool,
) -> Result<DataProduct> {
    let stored = existing(mesh, id).await?;
    require_change(who, &stored)?;
    require_revision(id, revision, &stored)?;
    let topic = stored.output_port.topic.clone();
    let consumers = active_consumers(mesh, &topic).await?;
    if !consumers.is_empty() && !force {
        return Err(Error::Conflict(format!(
            "topic `{topic}` still has consumer groups: {}; ask them to move, or delete with force",
            consumers.join(", ")
        )));
    }
    let summary = if consumers.is_empty() {
        format!("deleted topic `{topic}`")
    } else {
        format!("deleted topic `{topic}` despite consumer groups {}", consumers.join(", "))
    };
    let action = AuditAction::TopicDeleted;
    intend(mesh, who, &stored, action, &format!("deleting topic `{topic}`")).await?;
    match mesh.kafka.delete_topic(&topic).await {
        Ok(()) | Err(KafkaError::UnknownTopic(_)) => {}
        Err(e) => {
            let e = Error::from(e);
            record_failure(mesh, who, &stored, action, &format!("deleting topic `{topic}`"), false, &e).await;
            return Err(e);
        }
    }
    if let Some(mut facts) = mesh.catalog.topic(&topic).await.ok().flatten() {
        facts.present = false;
        facts.synced_at = now();
        if let Err(e) = mesh.catalog.put_topics(vec![facts]).await {
            tracing::warn!(%topic, error = %e, "deleted topic not marked absent in the mirror; the next sync will");
        }
    }
    let mut product = stored.clone();
    product.updated_at = now();
    commit_outcome(mesh, who, product, &stored, action, summary).await
}

/// Changes a product topic's settings within the policy's topic limits: more partitions (CreatePartitions; Kafka
/// cannot take any away), retention and cleanup policy (IncrementalAlterConfigs, so every other config keeps its
/// value). The mirror gets the topic as the cluster then describes it, its history kind recomputed. When one step
/// succeeds and a later one fails, what did change is still committed and audited before the error is returned.
pub async fn change_topic(
    mesh: &Mesh,
    who: &Identity,
    id: &ProductId,
    request: TopicChangeRequest,
) -> Result<DataProduct> {
    let stored = existing(mesh, id).await?;
    require_change(who, &stored)?;
    require_revision(id, request.revision, &stored)?;
    if stored.status == ProductStatus::Retired {
        return Err(Error::Conflict(format!("product `{id}` is retired: its topic is no longer managed here")));
    }
    let topic = stored.output_port.topic.clone();
    let Some(current) = mesh.kafka.topic(&topic).await? else {
        return Err(Error::Violations(vec![violation(
            ViolationCode::TopicMissing,
            "output_port.topic",
            format!("topic `{topic}` does not exist on the cluster"),
        )]));
    };

    let limits = &mesh.policy.topics;
    let mut violations = Vec::new();
    let partitions = request.partitions.filter(|&p| p != current.partitions);
    if let Some(wanted) = partitions {
        if wanted < current.partitions {
            violations.push(violation(
                ViolationCode::InvalidTopicSettings,
                "partitions",
                format!(
                    "topic `{topic}` has {} partitions and Kafka cannot take partitions away: create a new major \
                     version with fewer",
                    current.partitions
                ),
            ));
        } else {
            violations.extend(limits.partitions("partitions", wanted));
        }
    }
    let mut configs: Vec<(String, Option<String>)> = Vec::new();
    if let Some(ms) = request.retention_ms {
        violations.extend(limits.retention("retention_ms", ms));
        configs.push(("retention.ms".to_owned(), Some(ms.to_string())));
    }
    if let Some(policy) = &request.cleanup_policy {
        violations.extend(limits.cleanup_policy("cleanup_policy", policy));
        configs.push(("cleanup.policy".to_owned(), Some(policy.clone())));
    }
    // A value the topic already has on its own is no change.
    configs.retain(|(key, value)| {
        current.configs.get(key) != value.as_ref() || current.config_sources.get(key) != Some(&ConfigSource::Topic)
    });
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    // The topic's state, not the request, makes this a no-op: a conflict, as a stale revision is.
    if partitions.is_none() && configs.is_empty() {
        return Err(Error::Conflict(format!(
            "nothing to change: topic `{topic}` already has these settings (send partitions, retention_ms or cleanup_policy)"
        )));
    }

    let action = AuditAction::TopicChanged;
    intend(mesh, who, &stored, action, &format!("changing topic `{topic}`")).await?;
    let mut done = Vec::new();
    let mut failure = None;
    if !configs.is_empty() {
        match mesh.kafka.alter_topic_configs(&topic, &configs).await {
            Ok(()) => done.extend(configs.iter().map(|(key, value)| {
                let before = current.configs.get(key).map_or("(unset)", String::as_str);
                format!("{key} {before} -> {}", value.as_deref().unwrap_or("(default)"))
            })),
            Err(e) => failure = Some(e),
        }
    }
    if failure.is_none()
        && let Some(wanted) = partitions
    {
        match mesh.kafka.add_partitions(&topic, wanted).await {
            Ok(()) => done.push(format!("partitions {} -> {wanted}", current.partitions)),
            Err(e) => failure = Some(e),
        }
    }
    if done.is_empty() {
        let e = failure.map_or_else(|| Error::Invalid("nothing changed".into()), Error::from);
        record_failure(mesh, who, &stored, action, &format!("changing topic `{topic}`"), false, &e).await;
        return Err(e);
    }

    let changed = mesh.kafka.topic(&topic).await.ok().flatten();
    let mut product = stored.clone();
    product.updated_at = now();
    let mut summary = format!("changed topic `{topic}`: {}", done.join(", "));
    if let Some(e) = &failure {
        summary.push_str(&format!("; then failed: {e}"));
    }
    let stored = commit_outcome(mesh, who, product, &stored, action, summary).await?;
    mirror(mesh, changed.as_ref(), &stored.output_port.value_subject).await;
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(stored),
    }
}

/// Consumer groups with committed offsets on `topic`.
pub async fn active_consumers(mesh: &Mesh, topic: &TopicName) -> Result<Vec<String>> {
    let mut active = Vec::new();
    for group in mesh.kafka.consumer_groups().await? {
        let offsets = mesh.kafka.committed_offsets(&group, topic).await?;
        if offsets.iter().any(|o| o.offset.is_some()) {
            active.push(group);
        }
    }
    Ok(active)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions_get_a_suffix_that_replaces_the_old_one() {
        assert_eq!(successor_name("orders", 2), "orders.v2");
        assert_eq!(successor_name("orders.v2", 3), "orders.v3");
        assert_eq!(successor_name("orders.video", 2), "orders.video.v2");
    }

    #[test]
    fn a_compatible_schema_change_is_a_minor_version() {
        assert_eq!(bump_minor("1.4.2"), "1.5.0");
        assert_eq!(major_of("3.0.0"), 3);
    }

    #[test]
    fn topic_settings_are_checked_before_anything_is_created() {
        let bad = TopicSettings {
            partitions: 0,
            replication_factor: 0,
            retention_ms: Some(0),
            cleanup_policy: "keep".into(),
        };
        let fields: Vec<String> =
            topic_settings_violations(&bad, &TopicLimits::default()).into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            ["topic.partitions", "topic.replication_factor", "topic.cleanup_policy", "topic.retention_ms"]
        );
        let good = TopicSettings {
            partitions: 3,
            replication_factor: 1,
            retention_ms: Some(-1),
            cleanup_policy: "compact".into(),
        };
        assert!(topic_settings_violations(&good, &TopicLimits::default()).is_empty());
    }
}
