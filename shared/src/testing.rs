//! Test data for every crate's tests and benchmarks (feature `testing`): one builder for a valid data product, so
//! no test or benchmark writes a `DataProduct` out field by field.
//!
//! ```
//! # use meshport_shared::{Quality, testing::product};
//! let users = product("users").domain("membership", "accounts").quality(Quality::Authoritative).build();
//! assert_eq!(users.output_port.topic.as_str(), "users");
//! ```

use crate::names::{DomainName, ProductId, SubjectName, TeamName, TopicName};
use crate::product::{
    DataProduct, Deprecation, Description, OutputPort, Owner, ProductStatus, Quality, SchemaFormat, SlaTier,
};

/// When test products were made and last changed, unless a test says otherwise.
pub const CREATED_AT: &str = "2026-11-22T00:00:00Z";

/// A product with id `id` (and a topic of the same name, with its `-value` subject), of team `trading` in domain
/// `execution`, curated, tier-2, active, at revision 0: valid under the demo organisation's policy.
pub fn product(id: &str) -> ProductBuilder {
    let topic = TopicName::parse(id).expect("a test product's id is also a valid topic name");
    let team = TeamName::parse("trading").expect("a team name");
    ProductBuilder(DataProduct {
        id: ProductId::parse(id).expect("a valid product id"),
        name: format!("{id} product"),
        version: "1.0.0".into(),
        domain: DomainName::parse("execution").expect("a domain name"),
        owner: Owner { contact: format!("{team}@acme.example"), team, members: vec![] },
        status: ProductStatus::Active,
        description: Description { purpose: format!("Every {id} event"), ..Description::default() },
        tags: vec!["execution".into()],
        output_port: OutputPort {
            value_subject: SubjectName::value_of(&topic),
            topic,
            key_subject: None,
            schema_format: SchemaFormat::Avro,
        },
        quality: Quality::Curated,
        sla: SlaTier::Tier2,
        support: vec![],
        personal_fields: vec![],
        inputs: vec![],
        deprecation: None,
        revision: 0,
        created_at: CREATED_AT.into(),
        updated_at: CREATED_AT.into(),
        extensions: None,
    })
}

/// A [`DataProduct`] in the making; [`ProductBuilder::build`] hands it over. Anything it has no method for, set on
/// the built product.
#[derive(Debug, Clone)]
pub struct ProductBuilder(DataProduct);

impl ProductBuilder {
    /// The domain and owning team; the contact follows the team, and the domain is the one tag.
    pub fn domain(mut self, domain: &str, team: &str) -> Self {
        let team = TeamName::parse(team).expect("a team name");
        self.0.domain = DomainName::parse(domain).expect("a domain name");
        self.0.owner.contact = format!("{team}@acme.example");
        self.0.owner.team = team;
        self.0.tags = vec![domain.to_owned()];
        self
    }

    /// Another topic than the id's, with its `-value` subject.
    pub fn topic(mut self, topic: &str) -> Self {
        let topic = TopicName::parse(topic).expect("a topic name");
        self.0.output_port.value_subject = SubjectName::value_of(&topic);
        self.0.output_port.topic = topic;
        self
    }

    pub fn name(mut self, name: &str) -> Self {
        self.0.name = name.to_owned();
        self
    }

    pub fn purpose(mut self, purpose: &str) -> Self {
        self.0.description.purpose = purpose.to_owned();
        self
    }

    pub fn quality(mut self, quality: Quality) -> Self {
        self.0.quality = quality;
        self
    }

    pub fn sla(mut self, sla: SlaTier) -> Self {
        self.0.sla = sla;
        self
    }

    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.0.tags = tags.iter().map(|tag| (*tag).to_owned()).collect();
        self
    }

    pub fn personal_fields(mut self, fields: &[&str]) -> Self {
        self.0.personal_fields = fields.iter().map(|field| (*field).to_owned()).collect();
        self
    }

    pub fn members(mut self, members: &[&str]) -> Self {
        self.0.owner.members = members.iter().map(|member| (*member).to_owned()).collect();
        self
    }

    /// Deprecated until `sunset`, pointing to `replacement` if any.
    pub fn deprecated(mut self, sunset: &str, replacement: Option<&str>, message: &str) -> Self {
        self.0.status = ProductStatus::Deprecated;
        self.0.deprecation = Some(Deprecation {
            sunset: sunset.to_owned(),
            replacement: replacement.map(|id| ProductId::parse(id).expect("a product id")),
            message: message.to_owned(),
        });
        self
    }

    pub fn status(mut self, status: ProductStatus) -> Self {
        self.0.status = status;
        self
    }

    pub fn build(self) -> DataProduct {
        self.0
    }
}

/// A deprecation event, number `seq`, about `sales.orders` (named `name`, of team `trading`; sunset 2027-01-31,
/// replaced by `sales.orders.v2`), made by `ada` at 2026-12-05T11:00:00Z from `https://meshport.acme.example`: what
/// the notification tests and benchmarks render and deliver.
pub fn deprecation_event(seq: u64, name: &str, summary: &str) -> crate::events::Event {
    use crate::events::{Change, Event, EventData, EventKind, EventProduct};
    let data = EventData {
        product: EventProduct {
            id: ProductId::parse("sales.orders").expect("a valid id"),
            name: name.into(),
            domain: "sales".into(),
            team: "trading".into(),
        },
        actor: "ada".into(),
        change: Change {
            summary: summary.into(),
            sunset: Some("2027-01-31".into()),
            replacement: Some(ProductId::parse("sales.orders.v2").expect("a valid id")),
            ..Change::default()
        },
    };
    Event::new(seq, EventKind::ProductDeprecated, "https://meshport.acme.example", "2026-12-05T11:00:00Z", data)
}

/// An active grant of team `team` on `product`, id `grant-<team>`, for principal `User:svc-<team>` and consumer group
/// `<team>-readers`, permanent, requested by `bob` and approved by `carol`, at revision 0: not yet stored.
pub fn grant(product: &DataProduct, team: &str) -> crate::access::AccessRequest {
    use crate::access::{AccessRequest, AccessState, GroupPattern};
    AccessRequest {
        id: format!("grant-{team}"),
        product: product.id.clone(),
        owner_team: product.owner.team.clone(),
        team: TeamName::parse(team).expect("a valid team"),
        purpose: "Fraud scoring".into(),
        principals: vec![crate::Principal::parse(format!("User:svc-{team}")).expect("a valid principal")],
        group: crate::GroupName::parse(format!("{team}-readers")).expect("a valid group"),
        group_pattern: GroupPattern::Literal,
        until: None,
        state: AccessState::Active,
        requested_by: "dev:bob".into(),
        requested_at: "2026-12-05T10:00:00Z".into(),
        decided_by: Some("dev:carol".into()),
        decided_at: Some("2026-12-05T10:05:00Z".into()),
        reason: None,
        revision: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{GovernancePolicy, SchemaFact, validate};

    #[test]
    fn a_built_product_complies_with_the_demo_policy_in_every_domain() {
        let policy: GovernancePolicy = serde_json::from_str(include_str!("../../api/src/default_policy.json")).unwrap();
        for (domain, team) in [("execution", "trading"), ("membership", "accounts"), ("analytics", "edge")] {
            let product = product("orders").domain(domain, team).build();
            assert_eq!(validate(&product, &policy, SchemaFact::Registered), vec![], "{domain}");
        }
    }
}
