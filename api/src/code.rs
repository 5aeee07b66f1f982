//! Products as code: a product exported as its two files (ODPS v1.0.0 for the product, ODCS v3.1.0 for its topic's
//! contract), and the same files imported through the normal lifecycle (authorization, policy, claims, revisions,
//! audit), so that a product can live in git.
//!
//! `document` is the mapping (pure), `kept` what the files say beyond it, `yaml` the bounded reader and the writer.

pub mod document;
mod kept;
pub mod yaml;

use meshport_shared::api::{CreateRequest, EvolveRequest, EvolveResponse, Identity, TopicSettings};
use meshport_shared::proposals::ChangeProposal;
use meshport_shared::{
    DataProduct, ProductId, ProductStatus, SchemaFact, TopicFacts, Violation, ViolationCode, validate,
};

use crate::auth::require_change;
use crate::error::{Error, Result};
use crate::lifecycle::{self, Run};
use crate::mesh::Mesh;
use document::{Documents, Facts, Imported};

/// A product's two files, as YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    pub odps: String,
    pub odcs: String,
}

/// What an import did, or would do on a dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ImportChange)]
pub enum Change {
    /// A new topic, its schema and the product (`lifecycle::create`).
    Created,
    /// A topic already on the cluster became the product (`lifecycle::publish`).
    Published,
    /// The product's metadata changed (`lifecycle::update`).
    Updated,
    /// The files' schema, compatible with the latest version, was registered (`lifecycle::evolve`), then the files'
    /// metadata stored (`lifecycle::update`).
    Evolved,
    /// A breaking schema change under a raised major version, on a product with subscribers: a change proposal
    /// waiting for their sign-off (`lifecycle::evolve` asked for a new major version).
    Proposed,
    /// The same without subscribers: the next major version `<id>.v<N>` was made and the product deprecated in its
    /// favour.
    NewMajorVersion,
    /// The files say what the catalog holds (or what a change proposal waiting for sign-off asks): nothing was
    /// written, no revision taken, nothing audited.
    Unchanged,
}

/// What an import did, with the product the files describe as stored (or as it would be) and what an evolution
/// made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub change: Change,
    pub product: DataProduct,
    /// The schema version registered (`Evolved`, not on a dry run).
    pub registered_version: Option<i32>,
    /// The change proposal made (`Proposed`, not on a dry run), or the one still waiting for sign-off
    /// (`Unchanged`).
    pub proposal: Option<ChangeProposal>,
    /// The next major version made (`NewMajorVersion`, not on a dry run).
    pub new_product: Option<ProductId>,
}

impl Outcome {
    fn of(change: Change, product: DataProduct) -> Self {
        Self { change, product, registered_version: None, proposal: None, new_product: None }
    }
}

/// The topic settings a mirrored topic has, as a create would ask for them.
pub fn settings_of(topic: &TopicFacts) -> TopicSettings {
    TopicSettings {
        partitions: topic.partitions,
        replication_factor: topic.replication_factor,
        retention_ms: topic.configs.get("retention.ms").and_then(|ms| ms.parse().ok()),
        cleanup_policy: topic.configs.get("cleanup.policy").cloned().unwrap_or_else(|| "delete".into()),
    }
}

/// The files of product `id`, from the catalog and its mirror (the latest value schema, the topic's settings, the
/// inputs' versions); `bootstrap` is the contract's server.
pub async fn export(mesh: &Mesh, id: &ProductId, bootstrap: &str) -> Result<Files> {
    let Some(product) = mesh.catalog.get_product(id).await? else {
        return Err(Error::NotFound(format!("no data product `{id}`")));
    };
    let versions = mesh.catalog.schema_versions(product.output_port.value_subject.as_str()).await?;
    let topic = mesh.catalog.topic(&product.output_port.topic).await?;
    let mut input_versions = std::collections::BTreeMap::new();
    for input in &product.inputs {
        if let Some(upstream) = mesh.catalog.get_product(input).await? {
            input_versions.insert(input.clone(), upstream.version);
        }
    }
    let facts = Facts { schema: versions.last(), topic: topic.as_ref().map(settings_of), bootstrap, input_versions };
    let Documents { odps, odcs } = document::export(&product, &facts);
    Ok(Files { odps: yaml::write(&odps), odcs: yaml::write(&odcs) })
}

/// Reads both files, every problem of both at once.
pub fn read(files: &Files) -> Result<Imported> {
    let mut problems = Vec::new();
    let mut read_one = |file: &str, text: &str| match yaml::read(text, yaml::LIMITS) {
        Ok(value) => Some(value),
        Err(e) => {
            let name = file.to_ascii_uppercase();
            problems.push(Violation::new(ViolationCode::InvalidDocument, file, format!("{name} file: {e}")));
            None
        }
    };
    let (odps, odcs) = (read_one("odps", &files.odps), read_one("odcs", &files.odcs));
    let (Some(odps), Some(odcs)) = (odps, odcs) else { return Err(Error::Violations(problems)) };
    document::import(&odps, &odcs).map_err(Error::Violations)
}

/// Creates, updates or evolves the product the files describe, through the lifecycle; a dry run checks and answers
/// what would be stored. Files that say what the catalog holds change nothing.
///
/// A schema other than the latest registered version is an evolution: a compatible one is registered, then the
/// metadata stored; a breaking one is refused with every break, unless the files raise the major version, which
/// asks for the next major version (a proposal to the subscribers first, when there are any).
pub async fn import(mesh: &Mesh, who: &Identity, files: &Files, run: Run) -> Result<Outcome> {
    let Imported { mut product, schema, topic } = read(files)?;
    let Some(stored) = mesh.catalog.get_product(&product.id).await? else {
        let (change, product) = import_new(mesh, who, product, schema, topic, run).await?;
        return Ok(Outcome::of(change, product));
    };
    require_change(who, &stored)?;
    if let Some(violation) = superseded(mesh, &stored, &product).await? {
        return Err(Error::Violations(vec![violation]));
    }
    if product.status != stored.status || product.deprecation != stored.deprecation {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::Immutable,
            "odps.status",
            format!(
                "the files say `{}` and the catalog `{}`: a product's status changes by deprecating or retiring it",
                product.status.as_str(),
                stored.status.as_str()
            ),
        )]));
    }
    align(&mut product, &stored);
    let latest = mesh.catalog.schema_versions(stored.output_port.value_subject.as_str()).await?;
    match (schema, latest.last()) {
        (Some(schema), Some(latest)) if schema != latest.schema => {
            evolve(mesh, who, stored, product, schema, run).await
        }
        _ => {
            if product == stored {
                return Ok(Outcome::of(Change::Unchanged, stored));
            }
            let product = match run {
                Run::Apply => lifecycle::update(mesh, who, &stored.id, product).await?,
                Run::DryRun => {
                    let fact = if latest.is_empty() { SchemaFact::Unknown } else { SchemaFact::Registered };
                    check_metadata(mesh, who, &product, fact)?;
                    product.revision = stored.revision + 1;
                    product
                }
            };
            Ok(Outcome::of(Change::Updated, product))
        }
    }
}

/// What the store and the lifecycle set is not the files' to say: taken from `base`, so that files saying what
/// the catalog holds compare equal to it.
fn align(product: &mut DataProduct, base: &DataProduct) {
    product.revision = base.revision;
    // Files that say nothing beyond the product replace what earlier files said (an update without `extensions`
    // would keep it).
    if product.extensions.is_none() && base.extensions.is_some() {
        product.extensions = Some(serde_json::Map::new());
    }
    product.created_at.clone_from(&base.created_at);
    product.updated_at.clone_from(&base.updated_at);
}

/// The checks of an update that need nothing but the files and the policy; the lifecycle repeats them with the
/// rest (claims, inputs) when it is applied.
fn check_metadata(mesh: &Mesh, who: &Identity, product: &DataProduct, fact: SchemaFact) -> Result<()> {
    require_change(who, product)?;
    let violations = validate(product, &mesh.policy, fact);
    if violations.is_empty() { Ok(()) } else { Err(Error::Violations(violations)) }
}

/// The files' schema `schema` made the product's next version. Everything is checked before anything changes: the
/// registry's verdict (an evolve's dry run), the version the files give it, the files' metadata; then the schema
/// is registered and the metadata stored, in that order, since the evolve moves the product's version.
async fn evolve(
    mesh: &Mesh,
    who: &Identity,
    stored: DataProduct,
    mut product: DataProduct,
    schema: String,
    run: Run,
) -> Result<Outcome> {
    let raised_major = raises_major(&product.version, &stored.version);
    let waiting = if raised_major {
        mesh.catalog.product_proposals(&stored.id).await?.into_iter().find(|p| !p.state.is_final())
    } else {
        None
    };
    if let Some(waiting) = waiting.as_ref().filter(|waiting| waiting.schema == schema) {
        // The very change these files asked for waits for its sign-off: asking again changes nothing.
        return Ok(Outcome { proposal: Some(waiting.clone()), ..Outcome::of(Change::Unchanged, stored) });
    }
    let revision = stored.revision;
    let request =
        |dry_run| EvolveRequest { schema: schema.clone(), dry_run, new_major_version: raised_major, revision };
    let verdict = lifecycle::evolve(mesh, who, &stored.id, request(true)).await?;
    if !verdict.compatible {
        if !raised_major {
            return Err(Error::Incompatible { changes: breaks(&verdict), level: verdict.level });
        }
        if let Some(other) = waiting {
            // Another breaking change waits for sign-off: a dry run says what the apply would meet.
            return Err(Error::Conflict(format!(
                "product `{}` has another breaking change waiting for sign-off (`{}`, {}): withdraw it first",
                stored.id,
                other.id,
                other.state.as_str()
            )));
        }
        return next_major_version(mesh, who, stored, request(false), run).await;
    }
    if let Some(violation) = unraised_version(&product.version, &stored.version) {
        return Err(Error::Violations(vec![violation]));
    }
    check_metadata(mesh, who, &product, SchemaFact::Registered)?;
    match run {
        Run::DryRun => {
            let mut evolved = stored.clone();
            evolved.version = lifecycle::bump_minor(&stored.version);
            product.revision = stored.revision + if product == evolved { 1 } else { 2 };
            Ok(Outcome::of(Change::Evolved, product))
        }
        Run::Apply => {
            // Compatible as checked: should the registry's verdict change meanwhile, a conflict, never a new major
            // version reported as an evolution.
            let request = EvolveRequest { new_major_version: false, ..request(false) };
            let response = lifecycle::evolve(mesh, who, &stored.id, request).await?;
            let evolved = stored_product(mesh, &stored.id).await?;
            align(&mut product, &evolved);
            let product =
                if product == evolved { evolved } else { lifecycle::update(mesh, who, &stored.id, product).await? };
            Ok(Outcome { registered_version: response.registered_version, ..Outcome::of(Change::Evolved, product) })
        }
    }
}

/// A breaking change under a raised major version: the next major version, or a proposal of it to the product's
/// subscribers. The files' other changes are the next major version's to make, in its own files.
async fn next_major_version(
    mesh: &Mesh,
    who: &Identity,
    stored: DataProduct,
    request: EvolveRequest,
    run: Run,
) -> Result<Outcome> {
    if run == Run::DryRun {
        let subscribers = crate::proposals::subscribers(mesh, &stored).await?;
        let change = if subscribers.is_empty() { Change::NewMajorVersion } else { Change::Proposed };
        return Ok(Outcome::of(change, stored));
    }
    let response = lifecycle::evolve(mesh, who, &stored.id, request).await?;
    let product = stored_product(mesh, &stored.id).await?;
    Ok(match (response.proposal, response.new_product) {
        (Some(proposal), _) => Outcome { proposal: Some(proposal), ..Outcome::of(Change::Proposed, product) },
        (None, Some(successor)) => {
            Outcome { new_product: Some(successor), ..Outcome::of(Change::NewMajorVersion, product) }
        }
        // The registry took it meanwhile (its compatibility level changed): registered as a compatible version.
        (None, None) => {
            Outcome { registered_version: response.registered_version, ..Outcome::of(Change::Evolved, product) }
        }
    })
}

/// Files asking for the next major version of a product that has it already: its successor's files are the
/// ones to keep, which the violation says rather than a status the files cannot have.
async fn superseded(mesh: &Mesh, stored: &DataProduct, product: &DataProduct) -> Result<Option<Violation>> {
    let replacement = stored.deprecation.as_ref().and_then(|d| d.replacement.as_ref());
    let Some(replacement) = replacement.filter(|_| raises_major(&product.version, &stored.version)) else {
        return Ok(None);
    };
    let Some(successor) = mesh.catalog.get_product(replacement).await? else { return Ok(None) };
    if !raises_major(&successor.version, &stored.version) {
        return Ok(None);
    }
    Ok(Some(Violation::new(
        ViolationCode::Superseded,
        "odps.version",
        format!(
            "`{}` was replaced by `{}`, its next major version (version {}): export the new product's files \
             (`meshport product export {}`) and keep them instead of these",
            stored.id, successor.id, successor.version, successor.id
        ),
    )))
}

async fn stored_product(mesh: &Mesh, id: &ProductId) -> Result<DataProduct> {
    mesh.catalog.get_product(id).await?.ok_or_else(|| Error::NotFound(format!("no data product `{id}`")))
}

/// Each breaking change of the registry's verdict, at its place in the contract's schema; the registry's own words
/// where the comparison found none.
fn breaks(verdict: &EvolveResponse) -> Vec<Violation> {
    let breaking = verdict.changes.iter().filter(|c| c.breaking);
    let mut breaks: Vec<Violation> = breaking
        .map(|c| {
            let field = if c.path.is_empty() { "schema".to_owned() } else { format!("schema.{}", c.path) };
            Violation::new(ViolationCode::BreakingChange, &field, c.description.clone())
        })
        .collect();
    if breaks.is_empty() {
        let messages = verdict.registry_messages.iter();
        breaks = messages.map(|m| Violation::new(ViolationCode::BreakingChange, "schema", m.clone())).collect();
    }
    breaks
}

/// A semantic version's numbers; what does not read as one is the policy's to refuse.
fn numbers(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) => Some((major, minor, patch)),
        _ => None,
    }
}

/// Whether files giving `version` to a product at `stored` ask for its next major version: a breaking schema is
/// then made the next major version rather than refused.
pub fn raises_major(version: &str, stored: &str) -> bool {
    matches!((numbers(version), numbers(stored)), (Some((major, _, _)), Some((was, _, _))) if major > was)
}

/// Files whose schema changed compatibly must raise the product's version, as the evolve does (`1.0.0` to
/// `1.1.0`), or they would differ from the catalog after it; a version that does not read is the policy's to refuse.
pub fn unraised_version(version: &str, stored: &str) -> Option<Violation> {
    // At least the version the evolve gives it, or the files' version would take it back down.
    let raised = match (numbers(version), numbers(&lifecycle::bump_minor(stored))) {
        (Some(version), Some(evolved)) => version >= evolved,
        _ => true,
    };
    (!raised).then(|| {
        Violation::new(
            ViolationCode::InvalidVersion,
            "odps.version",
            format!(
                "the contract's schema changed: raise the product's version above `{stored}` (`{}` for a compatible \
                 change, the next major version for a breaking one)",
                lifecycle::bump_minor(stored)
            ),
        )
    })
}

async fn import_new(
    mesh: &Mesh,
    who: &Identity,
    product: DataProduct,
    schema: Option<String>,
    topic: TopicSettings,
    run: Run,
) -> Result<(Change, DataProduct)> {
    if product.status != ProductStatus::Active {
        return Err(Error::Violations(vec![Violation::new(
            ViolationCode::Immutable,
            "odps.status",
            format!(
                "a product imported for the first time starts active, not `{}`: deprecate or retire it afterwards",
                product.status.as_str()
            ),
        )]));
    }
    let exists = mesh.kafka.topic(&product.output_port.topic).await?.is_some();
    match schema {
        Some(schema) if !exists => {
            let request = CreateRequest { product, topic, schema };
            Ok((Change::Created, lifecycle::create(mesh, who, request, run).await?))
        }
        _ => Ok((Change::Published, lifecycle::publish(mesh, who, product, run).await?)),
    }
}
