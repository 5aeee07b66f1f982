//! Property tests of `validate`, the stable toolchain's stand-in for fuzzing: any product (every field generated,
//! from well-formed to hostile) against any policy never panics, and every violation names the field to fix.
//!
//! Each property runs proptest's default 256 cases (`PROPTEST_CASES` overrides it), a few seconds in all.

use proptest::prelude::*;

use super::*;
use crate::names::{ProductId, SubjectName, TopicName};
use crate::product::{Deprecation, SupportChannel, SupportKind};

/// The top-level fields of a product, which every violation's path starts with.
const FIELDS: &[&str] = &[
    "name",
    "version",
    "domain",
    "owner",
    "status",
    "description",
    "tags",
    "output_port",
    "quality",
    "sla",
    "support",
    "personal_fields",
    "inputs",
    "deprecation",
];

/// Short and long text, any characters, to cross every length limit.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        1 => "\\PC{110,130}",
        1 => "[a-z ]{3990,4010}",
        1 => Just(" ".to_owned()),
    ]
}

fn slug<T>(parse: fn(String) -> Result<T, crate::NameError>, known: &'static str) -> impl Strategy<Value = T>
where
    T: std::fmt::Debug,
{
    prop_oneof![Just(known.to_owned()), "[a-z0-9][a-z0-9-]{0,20}"].prop_map(move |name| parse(name).unwrap())
}

fn product_id() -> impl Strategy<Value = ProductId> {
    prop_oneof![Just("users".to_owned()), "[a-z][a-z0-9._-]{0,10}"].prop_map(|id| ProductId::parse(id).unwrap())
}

fn list(item: impl Strategy<Value = String>) -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        proptest::collection::vec(item, 0..4),
        proptest::collection::vec("[a-z]{0,5}", 95..105),
        proptest::collection::vec("[a-z]{195,205}", 1..3),
    ]
}

fn deprecation() -> impl Strategy<Value = Option<Deprecation>> {
    let sunset = prop_oneof!["[0-9]{4}-[0-9]{2}-[0-9]{2}", "20[0-9]{2}-0[1-9]-[0-3][0-9]", any::<String>()];
    proptest::option::of((sunset, proptest::option::of(product_id()), text())).prop_map(|deprecation| {
        deprecation.map(|(sunset, replacement, message)| Deprecation { sunset, replacement, message })
    })
}

prop_compose! {
    fn data_product()(
        (name, version, purpose, limitations, usage) in (
            text(),
            prop_oneof!["[0-9]{1,10}\\.[0-9]{1,3}\\.[0-9]{1,3}", any::<String>()],
            text(),
            text(),
            text(),
        ),
        (domain, team, contact, members) in (
            slug(DomainName::parse, "membership"),
            slug(TeamName::parse, "accounts"),
            text(),
            list(any::<String>()),
        ),
        (status, quality, sla) in (
            proptest::sample::select(ProductStatus::ALL.to_vec()),
            proptest::sample::select(Quality::ALL.to_vec()),
            proptest::sample::select(SlaTier::ALL.to_vec()),
        ),
        (tags, personal_fields, inputs) in (
            prop_oneof![list("[a-z0-9-]{1,12}"), proptest::collection::vec(text(), 0..25)],
            list(any::<String>()),
            proptest::collection::vec(product_id(), 0..6),
        ),
        (topic, key_subject, support, deprecation) in (
            "[a-zA-Z0-9._-]{1,40}".prop_filter_map("Kafka's reserved names", |topic| TopicName::parse(topic).ok()),
            proptest::option::of("\\PC{1,30}".prop_filter_map("a subject", |s| SubjectName::parse(s).ok())),
            proptest::collection::vec(
                (proptest::sample::select(vec![SupportKind::Chat, SupportKind::Email, SupportKind::Issues, SupportKind::Docs]), text())
                    .prop_map(|(kind, address)| SupportChannel { kind, address }),
                0..22,
            ),
            deprecation(),
        ),
    ) -> DataProduct {
        let mut product = crate::testing::product("users").build();
        product.name = name;
        product.version = version;
        product.description = crate::product::Description { purpose, limitations, usage };
        product.domain = domain;
        product.owner = crate::product::Owner { team, contact, members };
        (product.status, product.quality, product.sla) = (status, quality, sla);
        (product.tags, product.personal_fields, product.inputs) = (tags, personal_fields, inputs);
        product.output_port.value_subject = SubjectName::value_of(&topic);
        (product.output_port.topic, product.output_port.key_subject) = (topic, key_subject);
        (product.support, product.deprecation) = (support, deprecation);
        product
    }
}

fn subset<T: Clone + std::fmt::Debug + 'static>(all: &[T]) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(all.to_vec(), 0..=all.len())
}

prop_compose! {
    fn policy()(
        domains in proptest::collection::vec(
            (slug(DomainName::parse, "membership"), proptest::collection::vec(slug(TeamName::parse, "accounts"), 0..3)),
            0..3,
        ),
        required_fields in subset(&[
            RequiredField::DescriptionUsage,
            RequiredField::DescriptionLimitations,
            RequiredField::OwnerContact,
            RequiredField::Tags,
            RequiredField::Support,
            RequiredField::KeySubject,
        ]),
        allowed_qualities in subset(&Quality::ALL),
        allowed_slas in subset(&SlaTier::ALL),
        // Valid conventions, and a broken one (an organisation's policy file is checked at start, but validate
        // must not depend on it).
        topic_naming in proptest::option::of(proptest::sample::select(vec!["^[a-z][a-z0-9_.-]*$", "^(sales|hr)\\.", "(", ""])),
        (schema_required, owner_must_belong_to_domain) in (any::<bool>(), any::<bool>()),
    ) -> GovernancePolicy {
        GovernancePolicy {
            domains: domains
                .into_iter()
                .map(|(name, teams)| DomainPolicy { name, description: String::new(), teams })
                .collect(),
            required_fields,
            allowed_qualities,
            allowed_slas,
            topic_naming: topic_naming
                .map(|pattern| NamingConvention { pattern: pattern.to_owned(), example: "sales.orders".to_owned() }),
            schema_required,
            owner_must_belong_to_domain,
            topics: TopicLimits::default(),
            ownership: Ownership::default(),
            access: AccessRules::default(),
            sign_off: Default::default(),
        }
    }
}

proptest! {
    #[test]
    fn every_violation_of_any_product_names_the_field_to_fix_and_says_how(
        product in data_product(),
        policy in policy(),
        schema in proptest::sample::select(vec![SchemaFact::Registered, SchemaFact::Missing, SchemaFact::Unknown]),
    ) {
        for violation in validate(&product, &policy, schema) {
            let root = violation.field.split(['.', '[']).next().unwrap_or_default();
            prop_assert!(FIELDS.contains(&root), "{:?}", violation);
            prop_assert!(!violation.message.trim().is_empty(), "{:?}", violation);
        }
    }

    #[test]
    fn a_policy_that_allows_everything_finds_fault_only_with_the_products_own_content(product in data_product()) {
        let open = GovernancePolicy {
            domains: Vec::new(),
            required_fields: Vec::new(),
            allowed_qualities: Quality::ALL.to_vec(),
            allowed_slas: SlaTier::ALL.to_vec(),
            topic_naming: None,
            schema_required: false,
            owner_must_belong_to_domain: false,
            topics: TopicLimits::default(),
            ownership: Ownership::default(),
            access: AccessRules::default(),
            sign_off: Default::default(),
        };

        // Under such a policy only the product's own content can be wrong: nothing about domains, quality or SLA.
        let found = validate(&product, &open, SchemaFact::Missing);

        let policy_codes = [
            ViolationCode::UnknownDomain,
            ViolationCode::OwnerNotInDomain,
            ViolationCode::QualityNotAllowed,
            ViolationCode::SlaNotAllowed,
            ViolationCode::TopicNamingConvention,
            ViolationCode::SchemaMissing,
            ViolationCode::PolicyInvalid,
        ];
        prop_assert!(found.iter().all(|violation| !policy_codes.contains(&violation.code)), "{:?}", found);
    }
}
