//! Helpers shared by the API's integration tests: sample products, unique names, the test services' addresses.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use meshport_shared::{
    AuditAction, AuditEntry, DataProduct, Description, DomainName, OutputPort, Owner, ProductId, ProductStatus,
    Quality, SchemaFormat, SlaTier, SubjectName, TeamName, TopicName,
};

/// A name no other test in this run uses: tests share one broker and one moto server.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn service(variable: &str, what: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: these tests need {what}; run them with scripts/test, which starts it")
    })
}

pub fn dynamodb_endpoint() -> String {
    service("MESHPORT_TEST_DYNAMODB_ENDPOINT", "a moto_server")
}

pub fn kafka_bootstrap() -> String {
    service("MESHPORT_TEST_KAFKA_BOOTSTRAP", "a tansu broker")
}

/// A valid product of the demo organisation's policy.
pub fn product(id: &str, domain: &str) -> DataProduct {
    let team = match domain {
        "membership" => "accounts",
        "analytics" => "edge",
        _ => "trading",
    };
    let topic = TopicName::parse(id).unwrap();
    DataProduct {
        id: ProductId::parse(id).unwrap(),
        name: format!("{id} product"),
        version: "1.0.0".into(),
        domain: DomainName::parse(domain).unwrap(),
        owner: Owner { team: TeamName::parse(team).unwrap(), contact: format!("{team}@acme.example"), members: vec![] },
        status: ProductStatus::Active,
        description: Description { purpose: format!("Every {id} event"), ..Description::default() },
        tags: vec![domain.to_owned()],
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
        deprecation: None,
        revision: 0,
        created_at: "2026-11-22T00:00:00Z".into(),
        updated_at: "2026-11-22T00:00:00Z".into(),
    }
}

/// An audit entry for a test's change to `product`.
pub fn audit(product: &DataProduct) -> AuditEntry {
    meshport_api::audit::entry("test", &product.id, AuditAction::Updated, "a test change", None, Some(product))
}
