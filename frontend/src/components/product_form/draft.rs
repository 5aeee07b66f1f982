//! The form's text and how it becomes a `DataProduct`: names parse, lists split, and every rule of the policy is
//! checked by `meshport_shared::validate` (the API's own check), each problem tied to the field path the API's
//! violations use, so the portal and the API always point at the same field.

use meshport_shared::api::Identity;
use meshport_shared::{
    DataProduct, Description, DomainName, GovernancePolicy, NameError, OutputPort, Owner, ProductId, ProductStatus,
    Quality, SchemaFact, SchemaFormat, SlaTier, SubjectName, SupportChannel, SupportKind, TeamName, TopicName,
    Violation, ViolationCode, validate,
};
use serde::{Deserialize, Serialize};

/// One problem with what was entered: the field it concerns (by the path the API's violations use, e.g.
/// `owner.contact`) and a sentence saying how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

impl From<&Violation> for Problem {
    /// A violation of one list entry (`inputs[2]`) is a problem of the list's field, where it is typed.
    fn from(violation: &Violation) -> Self {
        let field = violation.field.split_once('[').map_or(violation.field.as_str(), |(list, _)| list);
        Self::new(field, violation.message.clone())
    }
}

/// One support channel row; `key` keeps rows apart while they are edited, added and removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRow {
    pub key: u32,
    pub kind: SupportKind,
    pub address: String,
}

/// Every field of the form as typed, before it parses into a `DataProduct`. Lists are kept as people type them:
/// tags comma-separated, members one per line. Serializable, so a form's draft can be kept (`crate::drafts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub id: String,
    pub name: String,
    pub version: String,
    pub domain: String,
    pub team: String,
    pub contact: String,
    pub members: String,
    pub purpose: String,
    pub limitations: String,
    pub usage: String,
    pub tags: String,
    pub quality: Quality,
    pub sla: SlaTier,
    pub support: Vec<SupportRow>,
    pub personal_fields: Vec<String>,
    /// Input products' ids, comma-separated.
    pub inputs: String,
    pub key_subject: String,
    pub topic: String,
    pub schema_format: SchemaFormat,
    next_key: u32,
}

impl Draft {
    /// A new product's starting point: the first domain and team the person may publish for, version 1.0.0, and
    /// the most modest quality and SLA the policy allows (a team raises them deliberately, never by default).
    pub fn blank(policy: &GovernancePolicy, identity: &Identity) -> Self {
        let domain = domains_for(policy, identity).into_iter().next().map(|d| d.to_string()).unwrap_or_default();
        let team = teams_for(policy, identity, &domain).into_iter().next().map(|t| t.to_string()).unwrap_or_default();
        let quality = match &policy.allowed_qualities[..] {
            allowed if allowed.contains(&Quality::Raw) => Quality::Raw,
            [first, ..] => *first,
            [] => Quality::Raw,
        };
        let sla = match &policy.allowed_slas[..] {
            allowed if allowed.contains(&SlaTier::Tier3) => SlaTier::Tier3,
            [.., last] => *last,
            [] => SlaTier::Tier3,
        };
        Self {
            id: String::new(),
            name: String::new(),
            version: "1.0.0".to_owned(),
            domain,
            team,
            contact: String::new(),
            members: String::new(),
            purpose: String::new(),
            limitations: String::new(),
            usage: String::new(),
            tags: String::new(),
            quality,
            sla,
            support: Vec::new(),
            personal_fields: Vec::new(),
            inputs: String::new(),
            key_subject: String::new(),
            topic: String::new(),
            schema_format: SchemaFormat::Avro,
            next_key: 0,
        }
    }

    /// The fields of a stored product, to edit it.
    pub fn from_product(product: &DataProduct) -> Self {
        let support: Vec<SupportRow> = product
            .support
            .iter()
            .zip(0..)
            .map(|(channel, key)| SupportRow { key, kind: channel.kind, address: channel.address.clone() })
            .collect();
        Self {
            id: product.id.to_string(),
            name: product.name.clone(),
            version: product.version.clone(),
            domain: product.domain.to_string(),
            team: product.owner.team.to_string(),
            contact: product.owner.contact.clone(),
            members: product.owner.members.join("\n"),
            purpose: product.description.purpose.clone(),
            limitations: product.description.limitations.clone(),
            usage: product.description.usage.clone(),
            tags: product.tags.join(", "),
            quality: product.quality,
            sla: product.sla,
            next_key: support.len() as u32,
            support,
            personal_fields: product.personal_fields.clone(),
            inputs: product.inputs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            key_subject: product.output_port.key_subject.as_ref().map(ToString::to_string).unwrap_or_default(),
            topic: product.output_port.topic.to_string(),
            schema_format: product.output_port.schema_format,
        }
    }

    /// Adds an empty support channel row.
    pub fn add_support(&mut self, kind: SupportKind) {
        self.support.push(SupportRow { key: self.next_key, kind, address: String::new() });
        self.next_key += 1;
    }

    /// The product these fields describe, and every problem with them: names that do not parse, then every
    /// violation of the policy. A name that does not parse stands in as a placeholder while the rest is checked, so
    /// one typo never hides the other problems; the placeholder's own violations are dropped.
    ///
    /// `base` is the stored product when editing: what the form does not show (status, revision, timestamps,
    /// deprecation) comes from it, and its id and value subject stay.
    pub fn check(&self, base: Option<&DataProduct>, policy: &GovernancePolicy, schema: SchemaFact) -> Checked {
        let mut problems = Vec::new();
        let mut name = |field: &str, text: &str, empty: &str| -> Option<String> {
            let text = text.trim();
            if text.is_empty() {
                problems.push(Problem::new(field, empty));
                return None;
            }
            Some(text.to_owned())
        };
        let id = name("id", &self.id, "give the product an id, e.g. `orders`");
        let domain = name("domain", &self.domain, "choose the product's domain");
        let team = name("owner.team", &self.team, "choose the team that owns the product");
        let topic = name("output_port.topic", &self.topic, "choose the product's topic");
        let mut parse_failed = |field: &str, error: NameError| problems.push(Problem::new(field, error.to_string()));
        let id = parsed(id, ProductId::parse, "placeholder", "id", &mut parse_failed);
        let domain = parsed(domain, DomainName::parse, "placeholder", "domain", &mut parse_failed);
        let team = parsed(team, TeamName::parse, "placeholder", "owner.team", &mut parse_failed);
        let topic = parsed(topic, TopicName::parse, "placeholder", "output_port.topic", &mut parse_failed);
        let key_subject = match self.key_subject.trim() {
            "" => None,
            text => Some(parsed(
                Some(text.to_owned()),
                SubjectName::parse,
                "placeholder-key",
                "output_port.key_subject",
                &mut parse_failed,
            )),
        };
        let inputs = self
            .inputs
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .filter_map(|i| ProductId::parse(i).map_err(|e| parse_failed("inputs", e)).ok())
            .collect();
        let id = base.map_or(id, |b| b.id.clone());
        let value_subject = match base {
            Some(b) if b.output_port.topic == topic => b.output_port.value_subject.clone(),
            _ => SubjectName::value_of(&topic),
        };
        let product = DataProduct {
            id,
            name: self.name.trim().to_owned(),
            version: self.version.trim().to_owned(),
            domain,
            owner: Owner { team, contact: self.contact.trim().to_owned(), members: lines(&self.members) },
            status: base.map_or(ProductStatus::Active, |b| b.status),
            description: Description {
                purpose: self.purpose.trim().to_owned(),
                limitations: self.limitations.trim().to_owned(),
                usage: self.usage.trim().to_owned(),
            },
            tags: self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
            output_port: OutputPort { topic, value_subject, key_subject, schema_format: self.schema_format },
            quality: self.quality,
            sla: self.sla,
            support: self
                .support
                .iter()
                .filter(|row| !row.address.trim().is_empty())
                .map(|row| SupportChannel { kind: row.kind, address: row.address.trim().to_owned() })
                .collect(),
            personal_fields: self.personal_fields.clone(),
            inputs,
            deprecation: base.and_then(|b| b.deprecation.clone()),
            revision: base.map_or(0, |b| b.revision),
            created_at: base.map(|b| b.created_at.clone()).unwrap_or_default(),
            updated_at: base.map(|b| b.updated_at.clone()).unwrap_or_default(),
        };
        let unparsed: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
        // A placeholder topic cannot have a schema of its own, so schema rules wait for a real one.
        let schema = if unparsed.iter().any(|f| f == "output_port.topic") { SchemaFact::Unknown } else { schema };
        problems.extend(
            validate(&product, policy, schema).iter().filter(|v| !unparsed.contains(&v.field)).map(Problem::from),
        );
        Checked { product, problems, names_parse: unparsed.is_empty() }
    }
}

/// What `Draft::check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The product, with placeholders for names that did not parse.
    pub product: DataProduct,
    pub problems: Vec<Problem>,
    /// Whether every name parsed, so `product` holds only what was typed (and a dry run may send it).
    pub names_parse: bool,
}

/// The parsed name, or `placeholder` (recording why) when it is missing or does not parse.
fn parsed<T>(
    text: Option<String>,
    parse: fn(String) -> Result<T, NameError>,
    placeholder: &str,
    field: &str,
    failed: &mut impl FnMut(&str, NameError),
) -> T {
    let stand_in = || parse(placeholder.to_owned()).unwrap_or_else(|_| unreachable!("placeholders are valid names"));
    match text.map(parse) {
        Some(Ok(name)) => name,
        Some(Err(error)) => {
            failed(field, error);
            stand_in()
        }
        None => stand_in(),
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// The domains a person may publish into: those one of their teams belongs to; every domain for org admins.
pub fn domains_for(policy: &GovernancePolicy, identity: &Identity) -> Vec<DomainName> {
    policy
        .domains
        .iter()
        .filter(|d| identity.admin || d.teams.iter().any(|t| identity.teams.contains(t)))
        .map(|d| d.name.clone())
        .collect()
}

/// The teams that may own a product of `domain`, among those the person may act for. Org admins act for every
/// team; when the policy does not tie teams to domains, any of the person's teams will do.
pub fn teams_for(policy: &GovernancePolicy, identity: &Identity, domain: &str) -> Vec<TeamName> {
    let domain_teams = policy.domains.iter().find(|d| d.name.as_str() == domain).map(|d| &d.teams);
    match (identity.admin, domain_teams) {
        (true, Some(teams)) if policy.owner_must_belong_to_domain => teams.clone(),
        (false, Some(teams)) if policy.owner_must_belong_to_domain => {
            identity.teams.iter().filter(|t| teams.contains(t)).cloned().collect()
        }
        (true, _) => {
            let mut all: Vec<TeamName> = Vec::new();
            for team in policy.domains.iter().flat_map(|d| d.teams.iter()).chain(&identity.teams) {
                if !all.contains(team) {
                    all.push(team.clone());
                }
            }
            all
        }
        (false, _) => identity.teams.clone(),
    }
}

/// The fields a product must fill in under `policy`: the names every product has, plus whatever `validate` reports
/// missing from an empty product. Asking `validate` keeps the policy's rules in one place.
pub fn required_fields(policy: &GovernancePolicy) -> Vec<String> {
    let mut empty = Draft::blank(
        policy,
        &Identity {
            subject: String::new(),
            name: String::new(),
            teams: Vec::new(),
            admin: true,
            scope: Default::default(),
        },
    );
    empty.version.clear();
    let product = empty.check(None, policy, SchemaFact::Unknown).product;
    let mut required: Vec<String> =
        ["id", "name", "version", "domain", "owner.team", "output_port.topic"].map(str::to_owned).into();
    required.extend(
        validate(&product, policy, SchemaFact::Unknown)
            .into_iter()
            .filter(|v| v.code == ViolationCode::RequiredFieldMissing)
            .map(|v| v.field),
    );
    required
}

/// What a field is called on screen, by the path the API's violations use; `None` for paths no form shows.
pub fn label(field: &str) -> Option<&'static str> {
    Some(match field {
        "id" => "Product id",
        "name" => "Name",
        "version" => "Version",
        "domain" => "Domain",
        "owner.team" => "Owning team",
        "owner.contact" => "Contact",
        "owner.members" => "Members",
        "description.purpose" => "Purpose",
        "description.usage" => "How to use it",
        "description.limitations" => "Limitations",
        "tags" => "Tags",
        "quality" => "Quality",
        "sla" => "SLA tier",
        "support" => "Support channels",
        "personal_fields" => "Personal data",
        "inputs" => "Input products",
        "output_port.key_subject" => "Key schema subject",
        "output_port.topic" => "Topic",
        "output_port.value_subject" => "Value schema",
        "topic.partitions" => "Partitions",
        "topic.retention_ms" => "Retention",
        "topic.cleanup_policy" => "Cleanup policy",
        "topic.replication_factor" => "Replication factor",
        "schema" => "Value schema",
        _ => return None,
    })
}
