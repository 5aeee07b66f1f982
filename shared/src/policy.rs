//! The organisation's governance policy, as data, and the one `validate` that checks a product against it.
//!
//! The API runs `validate` before every write and the portal runs it on every keystroke, so both always agree.

use serde::{Deserialize, Serialize};

use crate::names::{DomainName, SubjectName, TeamName, TopicName};
use crate::product::{DataProduct, ProductStatus, Quality, SlaTier};

/// What an organisation demands of every data product.
///
/// The API reads it strictly (an unknown key in a policy file is a mistake to report); the portal, which only reads
/// the API's answer, ignores what it does not use (the ownership and access rules), which keeps their code out of its bundles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(not(target_arch = "wasm32"), serde(deny_unknown_fields))]
pub struct GovernancePolicy {
    /// The organisation's domains and the teams that belong to each. Empty means any domain is accepted.
    #[serde(default)]
    pub domains: Vec<DomainPolicy>,
    /// Optional fields this organisation makes mandatory.
    #[serde(default)]
    pub required_fields: Vec<RequiredField>,
    pub allowed_qualities: Vec<Quality>,
    pub allowed_slas: Vec<SlaTier>,
    /// A convention every product topic name must follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_naming: Option<NamingConvention>,
    /// Whether a product's topic must have a registered value schema.
    pub schema_required: bool,
    /// Whether the owning team must be one of the product domain's teams.
    pub owner_must_belong_to_domain: bool,
    /// Limits on product topics: what owners may create and change.
    #[serde(default)]
    pub topics: TopicLimits,
    /// Which topics and subjects a team may claim as its product's.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub ownership: Ownership,
    /// How long, and how, teams may be given access to read a product.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub access: AccessRules,
    /// How the teams consuming a product sign off a breaking change to it.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub sign_off: SignOffRules,
}

/// The policy's `sign_off` section: a breaking change to a product with subscribers waits for their sign-off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct SignOffRules {
    /// Days after which a proposal no subscriber objected to is approved; absent, every subscriber must approve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
}

/// The policy's `access` section: the limits of self-serve access to products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct AccessRules {
    /// The longest access a request may ask for, in days.
    pub max_days: u32,
    /// The longest access to a product with personal fields, in days.
    pub personal_data_max_days: u32,
    /// Whether access may be permanent (no end date); never to a product with personal fields.
    pub permanent: bool,
    /// Whether a request may name a prefix of consumer group ids rather than one group.
    pub group_prefixes: bool,
    /// How many days before a deprecated product's sunset the teams still consuming it are reminded, each once.
    pub sunset_reminder_days: Vec<u32>,
    /// How many days before a grant ends the team holding it is reminded, each once.
    pub expiry_reminder_days: Vec<u32>,
}

impl Default for AccessRules {
    fn default() -> Self {
        Self {
            max_days: 365,
            personal_data_max_days: 90,
            permanent: false,
            group_prefixes: true,
            sunset_reminder_days: vec![30, 7, 1],
            expiry_reminder_days: vec![7, 1],
        }
    }
}

impl AccessRules {
    /// Every reason `draft` breaks these rules for a product with (`personal`) or without personal fields, as of
    /// `today` (`2026-12-05`).
    pub fn violations(&self, draft: &crate::access::AccessRequestDraft, personal: bool, today: &str) -> Vec<Violation> {
        use crate::access::{GroupPattern, MAX_ACCESS_TEXT, MAX_PRINCIPALS};
        use ViolationCode as C;
        let mut violations = Vec::new();
        let mut push = |code, field: &str, message: String| violations.push(Violation::new(code, field, message));
        if draft.purpose.trim().is_empty() {
            push(C::RequiredFieldMissing, "purpose", "say what your team will use the data for".into());
        } else if draft.purpose.chars().count() > MAX_ACCESS_TEXT {
            push(C::TooLong, "purpose", format!("the text is longer than {MAX_ACCESS_TEXT} characters"));
        }
        if draft.principals.is_empty() {
            push(C::RequiredFieldMissing, "principals", "name the principal your team will read as".into());
        } else if draft.principals.len() > MAX_PRINCIPALS {
            push(C::TooLong, "principals", format!("at most {MAX_PRINCIPALS} principals"));
        }
        if draft.group_pattern == GroupPattern::Prefixed && !self.group_prefixes {
            push(C::AccessNotAllowed, "group_pattern", "the policy grants one consumer group, not a prefix".into());
        }
        let max = if personal { self.personal_data_max_days.min(self.max_days) } else { self.max_days };
        match &draft.until {
            None if self.permanent && !personal => {}
            None => push(
                C::AccessNotAllowed,
                "until",
                format!(
                    "give an end date: access lasts at most {max} days{}",
                    if personal { " (personal data)" } else { "" }
                ),
            ),
            Some(until) => match (day_number(until), day_number(today)) {
                (Some(until_day), Some(today_day)) if until_day < today_day => {
                    push(C::AccessNotAllowed, "until", format!("{until} is in the past"))
                }
                (Some(until_day), Some(today_day)) if until_day - today_day > i64::from(max) => push(
                    C::AccessNotAllowed,
                    "until",
                    format!(
                        "access lasts at most {max} days{}: until {} at the latest",
                        if personal { " (personal data)" } else { "" },
                        date_of(today_day + i64::from(max))
                    ),
                ),
                (Some(_), _) => {}
                (None, _) => push(C::InvalidDate, "until", format!("`{}` is not a date like 2027-01-31", short(until))),
            },
        }
        violations
    }

    fn check(&self) -> Result<(), String> {
        if self.max_days < 1 || self.personal_data_max_days < 1 {
            return Err("access.max_days and access.personal_data_max_days must be at least 1".into());
        }
        Ok(())
    }
}

/// The policy's `topics` section: the limits within which owners create topics and change their partitions,
/// retention and cleanup policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct TopicLimits {
    /// The most partitions a product topic may have.
    pub max_partitions: i32,
    /// The highest replication factor owners may ask for when they create a topic.
    pub max_replication_factor: i32,
    /// The shortest retention owners may set, in milliseconds.
    pub min_retention_ms: i64,
    /// The longest retention owners may set, in milliseconds; absent means no limit, keeping everything (`-1`)
    /// included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retention_ms: Option<i64>,
}

impl Default for TopicLimits {
    fn default() -> Self {
        Self { max_partitions: 100, max_replication_factor: 3, min_retention_ms: 3_600_000, max_retention_ms: None }
    }
}

/// The cleanup policies a product topic may have.
pub const CLEANUP_POLICIES: [&str; 3] = ["delete", "compact", "compact,delete"];

impl TopicLimits {
    /// Violations of a topic's partitions against the limits (`field` names them in the answer).
    pub fn partitions(&self, field: &str, partitions: i32) -> Option<Violation> {
        (!(1..=self.max_partitions).contains(&partitions)).then(|| {
            Violation::new(
                ViolationCode::InvalidTopicSettings,
                field,
                format!("use 1 to {} partitions (the organisation's limit)", self.max_partitions),
            )
        })
    }

    /// A violation when a new topic's replication factor is out of range; `-1` asks for the cluster's default.
    pub fn replication_factor(&self, field: &str, factor: i32) -> Option<Violation> {
        (factor != -1 && !(1..=self.max_replication_factor).contains(&factor)).then(|| {
            Violation::new(
                ViolationCode::InvalidTopicSettings,
                field,
                format!(
                    "use a replication factor from 1 to {} (the organisation's limit), or -1 for the cluster's default",
                    self.max_replication_factor
                ),
            )
        })
    }

    /// Violations of a retention against the limits: `-1` keeps everything, otherwise milliseconds.
    pub fn retention(&self, field: &str, retention_ms: i64) -> Option<Violation> {
        let too_long = match self.max_retention_ms {
            Some(max) => retention_ms == -1 || retention_ms > max,
            None => false,
        };
        let message = if retention_ms < -1 || retention_ms == 0 {
            "use -1 (keep everything) or a positive number of milliseconds".to_owned()
        } else if retention_ms != -1 && retention_ms < self.min_retention_ms {
            format!("keep events at least {} ms (the organisation's limit)", self.min_retention_ms)
        } else if too_long {
            format!("keep events at most {} ms (the organisation's limit)", self.max_retention_ms.unwrap_or_default())
        } else {
            return None;
        };
        Some(Violation::new(ViolationCode::InvalidTopicSettings, field, message))
    }

    /// A violation when `policy` is not one of [`CLEANUP_POLICIES`] (`delete,compact` is read as `compact,delete`).
    pub fn cleanup_policy(&self, field: &str, policy: &str) -> Option<Violation> {
        let known = CLEANUP_POLICIES.contains(&policy) || policy == "delete,compact";
        (!known).then(|| {
            Violation::new(
                ViolationCode::InvalidTopicSettings,
                field,
                format!("`{policy}` is not a cleanup policy: use delete, compact or compact,delete"),
            )
        })
    }

    fn check(&self) -> Result<(), String> {
        if self.max_partitions < 1 {
            return Err("topics.max_partitions must be at least 1".into());
        }
        if self.max_replication_factor < 1 {
            return Err("topics.max_replication_factor must be at least 1".into());
        }
        if self.min_retention_ms < 1 {
            return Err("topics.min_retention_ms must be at least 1".into());
        }
        if self.max_retention_ms.is_some_and(|max| max < self.min_retention_ms) {
            return Err("topics.max_retention_ms must not be below topics.min_retention_ms".into());
        }
        Ok(())
    }
}

/// The policy's `ownership` section: which topics a team may claim as its product's, and how subjects are named.
/// A topic or subject is one product's at most (the catalog guarantees it); these rules decide who may make the
/// first claim, so that no team can take a topic of Kafka Connect, Kafka Streams or another team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Ownership {
    /// A prefix every product topic must start with, `{domain}` standing for the product's domain, e.g.
    /// `{domain}.`; absent means any name the naming convention allows. Assigned topics need not follow it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_prefix: Option<String>,
    /// Topic name patterns no product may claim (`*` stands for any run of characters). Topics starting with `__`
    /// (Kafka's own) are never claimable, whatever this list says.
    pub reserved_topics: Vec<String>,
    /// Topics the org admins assigned to a team (patterns as in `reserved_topics`): only that team may claim them.
    pub assignments: Vec<TopicAssignment>,
    /// How a product's value and key subjects are named after its topic.
    pub subject_naming: SubjectNaming,
}

impl Default for Ownership {
    fn default() -> Self {
        Self {
            topic_prefix: None,
            reserved_topics: DEFAULT_RESERVED_TOPICS.iter().map(|p| (*p).to_owned()).collect(),
            assignments: Vec::new(),
            subject_naming: SubjectNaming::default(),
        }
    }
}

/// Topics that belong to the platform rather than to a team: Kafka's and Meshport's own (`_*`), Kafka Connect's
/// (`connect-*`) and Kafka Streams' internal topics.
pub const DEFAULT_RESERVED_TOPICS: [&str; 5] = ["__*", "_*", "connect-*", "*-changelog", "*-repartition"];

/// A topic (or pattern of topics) the org admins gave to one team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TopicAssignment {
    pub topic: String,
    pub team: TeamName,
}

/// The subject naming strategies of Confluent's serializers that a policy may allow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubjectNaming {
    /// `TopicNameStrategy`: `<topic>-value` and `<topic>-key`.
    #[default]
    TopicName,
    /// `TopicRecordNameStrategy`: `<topic>-<record full name>`.
    TopicRecordName,
}

impl SubjectNaming {
    /// Whether `subject` may describe `topic`'s values (`key` false) or keys under this strategy.
    pub fn allows(self, topic: &TopicName, subject: &SubjectName, key: bool) -> bool {
        match self {
            Self::TopicName => {
                let expected = if key { SubjectName::key_of(topic) } else { SubjectName::value_of(topic) };
                *subject == expected
            }
            Self::TopicRecordName => subject
                .as_str()
                .strip_prefix(topic.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|record| !record.is_empty()),
        }
    }

    fn describe(self, topic: &TopicName, key: bool) -> String {
        match (self, key) {
            (Self::TopicName, false) => format!("`{}`", SubjectName::value_of(topic)),
            (Self::TopicName, true) => format!("`{}`", SubjectName::key_of(topic)),
            (Self::TopicRecordName, _) => format!("`{topic}-<record full name>`"),
        }
    }
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters (none included).
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first().expect("split yields at least one part");
    let Some(mut left) = name.strip_prefix(first) else { return false };
    let Some((last, middle)) = rest.split_last() else { return left.is_empty() };
    for part in middle {
        match left.find(part) {
            Some(at) => left = &left[at + part.len()..],
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

impl Ownership {
    /// Whether no product may ever claim `topic`.
    pub fn is_reserved(&self, topic: &str) -> bool {
        topic.starts_with("__") || self.reserved_topics.iter().any(|p| matches_pattern(p, topic))
    }

    /// The team the org admins assigned `topic` to, if any.
    pub fn assignee(&self, topic: &str) -> Option<&TeamName> {
        self.assignments.iter().find(|a| matches_pattern(&a.topic, topic)).map(|a| &a.team)
    }

    /// Whether some team of `domain` (`teams`) may claim `topic`: what the domain's publishable topics list.
    pub fn claimable_in(&self, topic: &TopicName, domain: &DomainName, teams: &[TeamName]) -> bool {
        if self.is_reserved(topic.as_str()) {
            return false;
        }
        match (self.assignee(topic.as_str()), &self.topic_prefix) {
            (Some(assignee), _) => teams.contains(assignee),
            (None, Some(prefix)) => topic.as_str().starts_with(&prefix.replace("{domain}", domain.as_str())),
            (None, None) => true,
        }
    }

    /// Every reason `team` may not claim `topic` for a product of `domain` (empty: it may).
    pub fn topic_violations(&self, topic: &TopicName, domain: &DomainName, team: &TeamName) -> Vec<Violation> {
        let field = "output_port.topic";
        if self.is_reserved(topic.as_str()) {
            let message =
                format!("topic `{topic}` is reserved for the platform (Kafka, Connect, Streams) by the policy");
            return vec![Violation::new(ViolationCode::ReservedTopic, field, message)];
        }
        match self.assignee(topic.as_str()) {
            Some(assignee) if assignee == team => Vec::new(),
            Some(assignee) => vec![Violation::new(
                ViolationCode::TopicNotOwned,
                field,
                format!("topic `{topic}` is assigned to team `{assignee}`: only it may publish it"),
            )],
            None => match &self.topic_prefix {
                Some(prefix) => {
                    let prefix = prefix.replace("{domain}", domain.as_str());
                    (!topic.as_str().starts_with(&prefix))
                        .then(|| {
                            Violation::new(
                                ViolationCode::TopicNotOwned,
                                field,
                                format!(
                                    "topic `{topic}` is outside domain `{domain}`: its topics start with `{prefix}` \
                                     (ask an org admin to assign other topics to your team)"
                                ),
                            )
                        })
                        .into_iter()
                        .collect()
                }
                None => Vec::new(),
            },
        }
    }

    /// Violations of the product's subjects against the naming strategy.
    pub fn subject_violations(&self, product: &DataProduct) -> Vec<Violation> {
        let port = &product.output_port;
        let mut violations = Vec::new();
        let subjects = [
            ("output_port.value_subject", Some(&port.value_subject), false),
            ("output_port.key_subject", port.key_subject.as_ref(), true),
        ];
        for (field, subject, key) in subjects {
            if let Some(subject) = subject
                && !self.subject_naming.allows(&port.topic, subject, key)
            {
                violations.push(Violation::new(
                    ViolationCode::SubjectNaming,
                    field,
                    format!(
                        "subject `{subject}` does not describe topic `{}`: the policy's naming gives {}",
                        port.topic,
                        self.subject_naming.describe(&port.topic, key)
                    ),
                ));
            }
        }
        violations
    }

    fn check(&self) -> Result<(), String> {
        for pattern in self.reserved_topics.iter().chain(self.assignments.iter().map(|a| &a.topic)) {
            if pattern.is_empty() || pattern.len() > 249 {
                return Err(format!("ownership: topic pattern `{pattern}` must be 1 to 249 characters"));
            }
        }
        if self.topic_prefix.as_deref().is_some_and(|p| p.is_empty() || p.len() > 200) {
            return Err("ownership.topic_prefix must be 1 to 200 characters".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DomainPolicy {
    pub name: DomainName,
    #[serde(default)]
    pub description: String,
    pub teams: Vec<TeamName>,
}

/// A regular expression topic names must match, with an example shown to people who break it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NamingConvention {
    pub pattern: String,
    pub example: String,
}

/// Product fields that are optional in the data model but may be required by policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequiredField {
    DescriptionUsage,
    DescriptionLimitations,
    OwnerContact,
    Tags,
    Support,
    KeySubject,
}

impl RequiredField {
    fn path(self) -> &'static str {
        match self {
            Self::DescriptionUsage => "description.usage",
            Self::DescriptionLimitations => "description.limitations",
            Self::OwnerContact => "owner.contact",
            Self::Tags => "tags",
            Self::Support => "support",
            Self::KeySubject => "output_port.key_subject",
        }
    }

    fn is_missing(self, product: &DataProduct) -> bool {
        match self {
            Self::DescriptionUsage => product.description.usage.trim().is_empty(),
            Self::DescriptionLimitations => product.description.limitations.trim().is_empty(),
            Self::OwnerContact => product.owner.contact.trim().is_empty(),
            Self::Tags => product.tags.is_empty(),
            Self::Support => product.support.is_empty(),
            Self::KeySubject => product.output_port.key_subject.is_none(),
        }
    }
}

/// What is known about the product topic's value schema when validating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaFact {
    Registered,
    Missing,
    /// Not looked up (the portal before the topic is chosen); schema rules are then not checked.
    Unknown,
}

/// A stable, machine-readable reason a product breaks the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ViolationCode {
    RequiredFieldMissing,
    TooLong,
    InvalidVersion,
    InvalidTag,
    InvalidDate,
    UnknownDomain,
    OwnerNotInDomain,
    QualityNotAllowed,
    SlaNotAllowed,
    TopicNamingConvention,
    SchemaMissing,
    DeprecationMissing,
    PolicyInvalid,
    /// The product's topic is not on the cluster.
    TopicMissing,
    /// Create was asked for a topic that already exists.
    TopicExists,
    /// Partitions, replication or cleanup policy out of range.
    InvalidTopicSettings,
    /// A field the operation may not change (the id, the topic).
    Immutable,
    /// A schema change that breaks consumers at the subject's compatibility level.
    BreakingChange,
    /// A replacement or input product that does not exist.
    UnknownProduct,
    /// A product that names itself among its inputs, or one derived from it (a cycle in the lineage).
    CircularLineage,
    /// The same input named twice.
    DuplicateInput,
    /// A topic the policy reserves for the platform (Kafka's, Connect's, Streams').
    ReservedTopic,
    /// A product id Meshport keeps for a team's audit trail (`service-accounts.`, `notifications.`, `api-tokens.`).
    ReservedId,
    /// A topic outside the team's domain prefix, or assigned to another team.
    TopicNotOwned,
    /// A subject not named after the topic as the policy's subject naming says.
    SubjectNaming,
    /// A next major version of another team's product.
    ReservedVersion,
    /// Access the policy does not give: too long, permanent, a group prefix.
    AccessNotAllowed,
    /// A notification channel Meshport will not send to: not an http(s) URL, an internal address, a malformed
    /// webhook secret or email address.
    InvalidChannel,
    /// A product-as-code file (ODPS or ODCS YAML) Meshport cannot read: not YAML, too large, too deep or with too
    /// many nodes (an alias bomb), a field of the wrong type, an unknown `apiVersion`, or two files that disagree.
    InvalidDocument,
    /// Product files of a product since replaced by the next major version they asked for: its successor's files
    /// are the ones to keep.
    Superseded,
}

/// One broken rule: which field, and a sentence saying how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    pub code: ViolationCode,
    pub field: String,
    pub message: String,
}

impl Violation {
    pub fn new(code: ViolationCode, field: &str, message: impl Into<String>) -> Self {
        Self { code, field: field.to_owned(), message: message.into() }
    }
}

const MAX_NAME: usize = 120;
const MAX_TEXT: usize = 4_000;
const MAX_TAGS: usize = 20;
const MAX_TAG: usize = 40;
/// Caps on list fields, so a product (and its audit entry, which holds two copies) always fits the catalog.
const MAX_LIST: usize = 100;
const MAX_ITEM: usize = 200;

impl GovernancePolicy {
    /// Checks the policy itself, so a broken policy file is refused when the API starts rather than on a write.
    pub fn check(&self) -> Result<(), String> {
        if let Some(naming) = &self.topic_naming {
            regex_lite::Regex::new(&naming.pattern)
                .map_err(|e| format!("topic_naming.pattern `{}` is not a valid regex: {e}", naming.pattern))?;
        }
        if self.allowed_qualities.is_empty() {
            return Err("allowed_qualities must name at least one quality".into());
        }
        if self.allowed_slas.is_empty() {
            return Err("allowed_slas must name at least one SLA tier".into());
        }
        self.topics.check()?;
        self.ownership.check()?;
        self.access.check()
    }

    pub fn domain(&self, name: &DomainName) -> Option<&DomainPolicy> {
        self.domains.iter().find(|d| &d.name == name)
    }
}

/// Checks `product` against `policy` and returns every violation, in field order; empty means it complies.
pub fn validate(product: &DataProduct, policy: &GovernancePolicy, schema: SchemaFact) -> Vec<Violation> {
    use ViolationCode as C;
    let mut violations = Vec::new();
    let mut push = |code, field: &str, message: String| violations.push(Violation::new(code, field, message));

    if product.name.trim().is_empty() {
        push(C::RequiredFieldMissing, "name", "give the product a name".into());
    } else if product.name.chars().count() > MAX_NAME {
        push(C::TooLong, "name", format!("the name is longer than {MAX_NAME} characters"));
    }
    if !is_semver(&product.version) {
        push(C::InvalidVersion, "version", format!("`{}` is not a version like 1.0.0", short(&product.version)));
    }
    if let Some(trail) = product.id.trail() {
        let (name, records) = (trail.name(), trail.records());
        let message = format!("`{name}` and ids starting `{name}.` keep a team's {records}: choose another id");
        push(C::ReservedId, "id", message);
    }

    match policy.domain(&product.domain) {
        None if !policy.domains.is_empty() => {
            let known: Vec<&str> = policy.domains.iter().map(|d| d.name.as_str()).collect();
            push(
                C::UnknownDomain,
                "domain",
                format!("domain `{}` is not one of the organisation's domains: {}", product.domain, known.join(", ")),
            );
        }
        Some(domain) if policy.owner_must_belong_to_domain && !domain.teams.contains(&product.owner.team) => {
            push(
                C::OwnerNotInDomain,
                "owner.team",
                format!("team `{}` does not belong to domain `{}`", product.owner.team, product.domain),
            );
        }
        _ => {}
    }

    if product.description.purpose.trim().is_empty() {
        push(C::RequiredFieldMissing, "description.purpose", "say what the product is for".into());
    }
    for (field, text) in [
        ("description.purpose", &product.description.purpose),
        ("description.limitations", &product.description.limitations),
        ("description.usage", &product.description.usage),
    ] {
        if text.chars().count() > MAX_TEXT {
            push(C::TooLong, field, format!("the text is longer than {MAX_TEXT} characters"));
        }
    }
    for required in &policy.required_fields {
        if required.is_missing(product) {
            push(C::RequiredFieldMissing, required.path(), format!("the policy requires `{}`", required.path()));
        }
    }

    if product.tags.len() > MAX_TAGS {
        push(C::InvalidTag, "tags", format!("at most {MAX_TAGS} tags"));
    }
    for tag in &product.tags {
        if tag.is_empty() || tag.chars().count() > MAX_TAG || !tag.chars().all(|c| c.is_alphanumeric() || c == '-') {
            push(C::InvalidTag, "tags", format!("tag `{}` must be 1 to {MAX_TAG} letters, digits or `-`", short(tag)));
        }
    }

    for (field, items) in [("personal_fields", &product.personal_fields), ("owner.members", &product.owner.members)] {
        if items.len() > MAX_LIST || items.iter().any(|i| i.chars().count() > MAX_ITEM) {
            push(C::TooLong, field, format!("at most {MAX_LIST} entries of at most {MAX_ITEM} characters"));
        }
    }
    if product.inputs.len() > MAX_LIST {
        push(C::TooLong, "inputs", format!("at most {MAX_LIST} input products"));
    }
    for (i, input) in product.inputs.iter().enumerate() {
        if input == &product.id {
            push(C::CircularLineage, &format!("inputs[{i}]"), "a product cannot be derived from itself".into());
        } else if product.inputs[..i].contains(input) {
            push(C::DuplicateInput, &format!("inputs[{i}]"), format!("`{input}` is listed more than once"));
        }
    }
    let support_too_long = product.support.iter().any(|s| s.address.chars().count() > MAX_ITEM);
    if product.support.len() > MAX_TAGS || support_too_long || product.owner.contact.chars().count() > MAX_ITEM {
        push(
            C::TooLong,
            "support",
            format!("at most {MAX_TAGS} channels and addresses of at most {MAX_ITEM} characters"),
        );
    }
    if let Some(deprecation) = &product.deprecation
        && deprecation.message.chars().count() > MAX_TEXT
    {
        push(C::TooLong, "deprecation.message", format!("the text is longer than {MAX_TEXT} characters"));
    }

    if !policy.allowed_qualities.contains(&product.quality) {
        push(
            C::QualityNotAllowed,
            "quality",
            format!(
                "quality `{}` is not allowed: use {}",
                product.quality.as_str(),
                list(&policy.allowed_qualities, |q| q.as_str())
            ),
        );
    }
    if !policy.allowed_slas.contains(&product.sla) {
        push(
            C::SlaNotAllowed,
            "sla",
            format!(
                "SLA `{}` is not allowed: use {}",
                product.sla.as_str(),
                list(&policy.allowed_slas, |s| s.as_str())
            ),
        );
    }

    if let Some(naming) = &policy.topic_naming {
        let topic = product.output_port.topic.as_str();
        match regex_lite::Regex::new(&naming.pattern) {
            Ok(re) if re.is_match(topic) => {}
            Ok(_) => push(
                C::TopicNamingConvention,
                "output_port.topic",
                format!(
                    "topic `{topic}` does not follow the naming convention `{}` (e.g. `{}`)",
                    naming.pattern, naming.example
                ),
            ),
            Err(e) => push(C::PolicyInvalid, "output_port.topic", format!("the naming convention is broken: {e}")),
        }
    }
    if policy.schema_required && schema == SchemaFact::Missing {
        push(
            C::SchemaMissing,
            "output_port.value_subject",
            format!(
                "topic `{}` has no value schema: register `{}` first",
                product.output_port.topic, product.output_port.value_subject
            ),
        );
    }

    match (&product.status, &product.deprecation) {
        (ProductStatus::Deprecated, None) => push(
            C::DeprecationMissing,
            "deprecation",
            "a deprecated product needs a sunset date and, ideally, a replacement".into(),
        ),
        (_, Some(deprecation)) if !is_date(&deprecation.sunset) => push(
            C::InvalidDate,
            "deprecation.sunset",
            format!("`{}` is not a date like 2027-01-31", short(&deprecation.sunset)),
        ),
        _ => {}
    }
    violations
}

fn list<T>(items: &[T], name: impl Fn(&T) -> &'static str) -> String {
    items.iter().map(name).collect::<Vec<_>>().join(", ")
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

/// `MAJOR.MINOR.PATCH` with plain numbers, as ODPS versions are.
fn is_semver(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `YYYY-MM-DD` naming a day that exists.
/// Days since 1970-01-01 of a `YYYY-MM-DD` date, or `None` when it is not one.
pub fn day_number(date: &str) -> Option<i64> {
    if !is_date(date) {
        return None;
    }
    let (y, m, d) =
        (date[0..4].parse::<i64>().ok()?, date[5..7].parse::<i64>().ok()?, date[8..10].parse::<i64>().ok()?);
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date of a day number (the inverse of [`day_number`]).
pub fn date_of(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn is_date(date: &str) -> bool {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| date.get(range).and_then(|s| s.parse::<u32>().ok());
    match (number(0..4), number(5..7), number(8..10)) {
        (Some(year), Some(month @ 1..=12), Some(day)) => {
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let february = if leap { 29 } else { 28 };
            let days = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month as usize - 1];
            (1..=days).contains(&day)
        }
        _ => false,
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{ProductId, TopicName};
    use crate::product::Deprecation;

    fn policy() -> GovernancePolicy {
        GovernancePolicy {
            domains: vec![DomainPolicy {
                name: DomainName::parse("membership").unwrap(),
                description: String::new(),
                teams: vec![TeamName::parse("accounts").unwrap()],
            }],
            required_fields: vec![RequiredField::OwnerContact],
            allowed_qualities: vec![Quality::Authoritative, Quality::Curated],
            allowed_slas: vec![SlaTier::Tier1, SlaTier::Tier2],
            topic_naming: Some(NamingConvention { pattern: "^[a-z][a-z0-9_.-]*$".into(), example: "users".into() }),
            schema_required: true,
            owner_must_belong_to_domain: true,
            topics: TopicLimits::default(),
            ownership: Ownership::default(),
            access: AccessRules::default(),
            sign_off: SignOffRules::default(),
        }
    }

    fn product() -> DataProduct {
        let mut product = crate::testing::product("users")
            .domain("membership", "accounts")
            .name("Users")
            .purpose("Every registered user")
            .tags(&["users"])
            .quality(Quality::Authoritative)
            .sla(SlaTier::Tier1)
            .build();
        product.created_at = String::new();
        product.updated_at = String::new();
        product
    }

    fn check(change: impl FnOnce(&mut DataProduct), schema: SchemaFact, expected: &[(ViolationCode, &str)]) {
        let mut product = product();
        change(&mut product);
        let got: Vec<(ViolationCode, String)> =
            validate(&product, &policy(), schema).into_iter().map(|v| (v.code, v.field)).collect();
        let expected: Vec<(ViolationCode, String)> = expected.iter().map(|(c, f)| (*c, f.to_string())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_compliant_product_has_no_violations() {
        check(|_| {}, SchemaFact::Registered, &[]);
        check(|_| {}, SchemaFact::Unknown, &[]);
    }

    #[test]
    fn every_violation_is_returned_at_once() {
        check(
            |p| {
                p.name = " ".into();
                p.owner.team = TeamName::parse("growth").unwrap();
                p.owner.contact.clear();
                p.quality = Quality::Raw;
                p.sla = SlaTier::Tier3;
            },
            SchemaFact::Missing,
            &[
                (ViolationCode::RequiredFieldMissing, "name"),
                (ViolationCode::OwnerNotInDomain, "owner.team"),
                (ViolationCode::RequiredFieldMissing, "owner.contact"),
                (ViolationCode::QualityNotAllowed, "quality"),
                (ViolationCode::SlaNotAllowed, "sla"),
                (ViolationCode::SchemaMissing, "output_port.value_subject"),
            ],
        );
    }

    #[test]
    fn unknown_domains_and_naming_conventions_are_reported() {
        check(
            |p| {
                p.domain = DomainName::parse("finance").unwrap();
                p.output_port.topic = TopicName::parse("Users_RAW").unwrap();
            },
            SchemaFact::Registered,
            &[(ViolationCode::UnknownDomain, "domain"), (ViolationCode::TopicNamingConvention, "output_port.topic")],
        );
    }

    #[test]
    fn a_missing_schema_message_says_what_to_register() {
        let violations = validate(&product(), &policy(), SchemaFact::Missing);
        assert_eq!(violations[0].message, "topic `users` has no value schema: register `users-value` first");
    }

    #[test]
    fn deprecation_needs_a_real_sunset_date() {
        check(
            |p| p.status = ProductStatus::Deprecated,
            SchemaFact::Registered,
            &[(ViolationCode::DeprecationMissing, "deprecation")],
        );
        for (sunset, ok) in [("2028-02-29", true), ("2027-02-29", false), ("2027-13-01", false), ("soon", false)] {
            let expected: &[(ViolationCode, &str)] =
                if ok { &[] } else { &[(ViolationCode::InvalidDate, "deprecation.sunset")] };
            check(
                |p| {
                    p.status = ProductStatus::Deprecated;
                    p.deprecation =
                        Some(Deprecation { sunset: sunset.into(), replacement: None, message: String::new() });
                },
                SchemaFact::Registered,
                expected,
            );
        }
    }

    #[test]
    fn versions_and_tags_are_checked() {
        check(
            |p| {
                p.version = "v1".into();
                p.tags = vec!["ok".into(), "not ok".into()];
            },
            SchemaFact::Registered,
            &[(ViolationCode::InvalidVersion, "version"), (ViolationCode::InvalidTag, "tags")],
        );
    }

    #[test]
    fn ids_of_a_teams_audit_trails_are_no_products() {
        for trail in crate::Trail::ALL {
            let team = TeamName::parse("accounts").unwrap();
            check(|p| p.id = trail.of(&team).unwrap(), SchemaFact::Registered, &[(ViolationCode::ReservedId, "id")]);
        }
        // The bare name too, whose next major version would be team `v2`'s trail.
        let bare = ProductId::parse("notifications").unwrap();
        check(|p| p.id = bare, SchemaFact::Registered, &[(ViolationCode::ReservedId, "id")]);
        check(|p| p.id = ProductId::parse("api-tokens-usage").unwrap(), SchemaFact::Registered, &[]);
    }

    #[test]
    fn list_fields_are_capped_so_a_product_always_fits_the_catalog() {
        check(
            |p| {
                p.personal_fields = vec!["x".into(); 101];
                p.owner.members = vec!["m".repeat(201)];
            },
            SchemaFact::Registered,
            &[(ViolationCode::TooLong, "personal_fields"), (ViolationCode::TooLong, "owner.members")],
        );
    }

    #[test]
    fn inputs_are_capped_never_the_product_itself_and_never_repeated() {
        let id = |s: &str| ProductId::parse(s).unwrap();
        check(
            |p| p.inputs = vec![id("pageviews"), id("users"), id("pageviews")],
            SchemaFact::Registered,
            &[(ViolationCode::CircularLineage, "inputs[1]"), (ViolationCode::DuplicateInput, "inputs[2]")],
        );
        check(
            |p| p.inputs = (0..101).map(|n| id(&format!("p{n}"))).collect(),
            SchemaFact::Registered,
            &[(ViolationCode::TooLong, "inputs")],
        );
    }

    #[test]
    fn a_policy_with_a_broken_regex_is_refused() {
        let mut broken = policy();
        broken.topic_naming = Some(NamingConvention { pattern: "([".into(), example: String::new() });
        assert!(broken.check().unwrap_err().contains("not a valid regex"));
        assert_eq!(policy().check(), Ok(()));
    }

    #[test]
    fn topic_limits_bound_partitions_and_retention() {
        let limits = TopicLimits {
            max_partitions: 12,
            min_retention_ms: 60_000,
            max_retention_ms: Some(86_400_000),
            ..TopicLimits::default()
        };
        assert_eq!(limits.partitions("p", 12), None);
        assert!(limits.partitions("p", 13).unwrap().message.contains("1 to 12"));
        assert!(limits.partitions("p", 0).is_some());
        assert_eq!(limits.retention("r", 60_000), None);
        assert!(limits.retention("r", 59_999).unwrap().message.contains("at least 60000 ms"));
        assert!(limits.retention("r", 86_400_001).unwrap().message.contains("at most 86400000 ms"));
        assert!(limits.retention("r", -1).is_some(), "keeping everything exceeds a maximum");
        assert!(limits.retention("r", 0).unwrap().message.contains("positive"));
        assert_eq!(TopicLimits::default().retention("r", -1), None);
        assert_eq!(limits.cleanup_policy("c", "compact,delete"), None);
        assert!(limits.cleanup_policy("c", "keep").is_some());
    }

    #[test]
    fn a_policy_with_impossible_topic_limits_is_refused() {
        let mut broken = policy();
        broken.topics.max_retention_ms = Some(1);
        assert!(broken.check().unwrap_err().contains("max_retention_ms"));
        broken.topics = TopicLimits { max_partitions: 0, ..TopicLimits::default() };
        assert!(broken.check().unwrap_err().contains("max_partitions"));
    }

    #[test]
    fn patterns_match_with_stars_anywhere() {
        for (pattern, name, expected) in [
            ("connect-*", "connect-offsets", true),
            ("connect-*", "connect-", true),
            ("connect-*", "my-connect-offsets", false),
            ("*-changelog", "app-store-changelog", true),
            ("*-changelog", "changelog", false),
            ("_*", "_schemas", true),
            ("orders", "orders", true),
            ("orders", "orders.v2", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("a*a", "a", false),
        ] {
            assert_eq!(matches_pattern(pattern, name), expected, "`{pattern}` ~ `{name}`");
        }
    }

    fn topic_check(ownership: &Ownership, topic: &str, team: &str) -> Vec<ViolationCode> {
        let topic = TopicName::parse(topic).unwrap();
        let domain = DomainName::parse("membership").unwrap();
        let team = TeamName::parse(team).unwrap();
        ownership.topic_violations(&topic, &domain, &team).into_iter().map(|v| v.code).collect()
    }

    #[test]
    fn internal_topics_are_never_claimable_and_prefixes_tie_topics_to_domains() {
        let mut ownership = Ownership::default();
        for internal in ["__consumer_offsets", "_schemas", "connect-offsets", "app-KSTREAM-changelog", "x-repartition"]
        {
            assert_eq!(topic_check(&ownership, internal, "accounts"), [ViolationCode::ReservedTopic], "{internal}");
        }
        assert!(topic_check(&ownership, "users", "accounts").is_empty(), "no prefix configured: any other name");

        ownership.topic_prefix = Some("{domain}.".into());
        assert!(topic_check(&ownership, "membership.users", "accounts").is_empty());
        assert_eq!(topic_check(&ownership, "users", "accounts"), [ViolationCode::TopicNotOwned]);

        ownership.assignments =
            vec![TopicAssignment { topic: "legacy-*".into(), team: TeamName::parse("accounts").unwrap() }];
        assert!(topic_check(&ownership, "legacy-users", "accounts").is_empty(), "assigned: no prefix needed");
        assert_eq!(topic_check(&ownership, "legacy-users", "edge"), [ViolationCode::TopicNotOwned]);

        ownership.reserved_topics.clear();
        assert_eq!(topic_check(&ownership, "__consumer_offsets", "accounts"), [ViolationCode::ReservedTopic]);
    }

    #[test]
    fn subjects_follow_the_naming_strategy() {
        let mut product = product();
        let ownership = Ownership::default();
        assert!(ownership.subject_violations(&product).is_empty());

        product.output_port.value_subject = SubjectName::parse("orders-key").unwrap();
        product.output_port.key_subject = Some(SubjectName::parse("users-value").unwrap());
        let fields: Vec<String> = ownership.subject_violations(&product).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["output_port.value_subject", "output_port.key_subject"]);

        let records = Ownership { subject_naming: SubjectNaming::TopicRecordName, ..Ownership::default() };
        product.output_port.value_subject = SubjectName::parse("users-com.acme.User").unwrap();
        product.output_port.key_subject = None;
        assert!(records.subject_violations(&product).is_empty());
        product.output_port.value_subject = SubjectName::parse("users-").unwrap();
        assert_eq!(records.subject_violations(&product).len(), 1);
    }

    #[test]
    fn replication_factors_within_the_limit_or_the_clusters_default() {
        let limits = TopicLimits::default();
        assert!(limits.replication_factor("f", -1).is_none());
        assert!(limits.replication_factor("f", 3).is_none());
        assert!(limits.replication_factor("f", 0).is_some());
        assert!(limits.replication_factor("f", 10).is_some());
    }

    #[test]
    fn day_numbers_round_trip_and_count_days() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2024-03-01").unwrap() - day_number("2024-02-28").unwrap(), 2, "leap year");
        assert_eq!(day_number("2026-02-30"), None);
        for day in [-1000, 0, 19_000, 20_000, 40_000] {
            assert_eq!(day_number(&date_of(day)), Some(day));
        }
    }

    fn draft(until: Option<&str>) -> crate::access::AccessRequestDraft {
        crate::access::AccessRequestDraft {
            team: TeamName::parse("fraud").unwrap(),
            purpose: "Scoring signups for fraud".into(),
            principals: vec![crate::names::Principal::parse("User:svc-fraud").unwrap()],
            group: crate::names::GroupName::parse("fraud-scoring").unwrap(),
            group_pattern: crate::access::GroupPattern::Literal,
            until: until.map(str::to_owned),
        }
    }

    #[test]
    fn access_is_held_to_the_policys_limits() {
        let rules = AccessRules::default();
        let fields = |draft, personal| -> Vec<String> {
            rules.violations(&draft, personal, "2026-12-05").into_iter().map(|v| v.field).collect()
        };
        assert!(fields(draft(Some("2027-12-05")), false).is_empty(), "365 days");
        assert_eq!(fields(draft(Some("2027-12-06")), false), ["until"], "366 days");
        assert_eq!(fields(draft(Some("2027-03-06")), true), ["until"], "personal data: 91 days");
        assert_eq!(fields(draft(Some("2026-12-04")), false), ["until"], "the past");
        assert_eq!(fields(draft(None), false), ["until"], "not permanent by default");
        let permanent = AccessRules { permanent: true, ..AccessRules::default() };
        assert!(permanent.violations(&draft(None), false, "2026-12-05").is_empty());
        assert_eq!(permanent.violations(&draft(None), true, "2026-12-05").len(), 1, "never for personal data");
        let mut empty = draft(Some("2027-01-01"));
        empty.purpose = " ".into();
        empty.principals.clear();
        assert_eq!(fields(empty, false), ["purpose", "principals"]);
    }
}
