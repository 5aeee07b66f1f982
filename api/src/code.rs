//! Products as code: a product exported as its two files (ODPS v1.0.0 for the product, ODCS v3.1.0 for its topic's
//! contract), and the same files imported through the normal lifecycle (authorization, policy, claims, revisions,
//! audit), so that a product can live in git.
//!
//! `document` is the mapping (pure), `kept` what the files say beyond it, `yaml` the bounded reader and the writer.

pub mod document;
mod kept;
pub mod yaml;

use meshport_shared::api::{CreateRequest, Identity, TopicSettings};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new topic, its schema and the product (`lifecycle::create`).
    Created,
    /// A topic already on the cluster became the product (`lifecycle::publish`).
    Published,
    /// The product's metadata changed (`lifecycle::update`).
    Updated,
    /// The files say what the catalog holds: nothing was written, no revision taken, nothing audited.
    Unchanged,
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

/// Creates or updates the product the files describe, through the lifecycle; a dry run checks and answers what
/// would be stored. Files that say what the catalog holds change nothing.
pub async fn import(mesh: &Mesh, who: &Identity, files: &Files, run: Run) -> Result<(Change, DataProduct)> {
    let Imported { mut product, schema, topic } = read(files)?;
    let Some(stored) = mesh.catalog.get_product(&product.id).await? else {
        return import_new(mesh, who, product, schema, topic, run).await;
    };
    require_change(who, &stored)?;
    let latest = mesh.catalog.schema_versions(stored.output_port.value_subject.as_str()).await?;
    let mut violations = Vec::new();
    if let (Some(text), Some(latest)) = (&schema, latest.last())
        && text != &latest.schema
    {
        violations.push(Violation::new(
            ViolationCode::Immutable,
            "odcs.schema",
            format!(
                "the contract's schema is not version {} of `{}`: evolve the product's schema, then export it again",
                latest.version, latest.subject
            ),
        ));
    }
    if product.status != stored.status || product.deprecation != stored.deprecation {
        violations.push(Violation::new(
            ViolationCode::Immutable,
            "odps.status",
            format!(
                "the files say `{}` and the catalog `{}`: a product's status changes by deprecating or retiring it",
                product.status.as_str(),
                stored.status.as_str()
            ),
        ));
    }
    if !violations.is_empty() {
        return Err(Error::Violations(violations));
    }
    // What the store and the lifecycle set is not the files' to say.
    product.revision = stored.revision;
    // Files that say nothing beyond the product replace what earlier files said (an update without `extensions`
    // would keep it).
    if product.extensions.is_none() && stored.extensions.is_some() {
        product.extensions = Some(serde_json::Map::new());
    }
    product.created_at.clone_from(&stored.created_at);
    product.updated_at.clone_from(&stored.updated_at);
    if product == stored {
        return Ok((Change::Unchanged, stored));
    }
    match run {
        Run::Apply => Ok((Change::Updated, lifecycle::update(mesh, who, &stored.id, product).await?)),
        Run::DryRun => {
            // The checks of an update that need nothing but the files and the policy; the lifecycle repeats them
            // with the rest (claims, inputs) when it is applied.
            require_change(who, &product)?;
            let fact = if latest.is_empty() { SchemaFact::Unknown } else { SchemaFact::Registered };
            let violations = validate(&product, &mesh.policy, fact);
            if !violations.is_empty() {
                return Err(Error::Violations(violations));
            }
            product.revision = stored.revision + 1;
            Ok((Change::Updated, product))
        }
    }
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
