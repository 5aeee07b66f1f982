//! Who may claim what: topics of the platform, of another domain or team, subjects not named after their topic, the
//! next major version of another team's product, a team's audit trail's id, and drafts that cannot be deprecated. Over HTTP against the real
//! broker and the project's registry.

use crate::common;

use std::collections::BTreeMap;

use meshport_api::kafka::NewTopic;
use meshport_shared::api::{CreateRequest, DeprecateRequest, PublishableTopic, TopicSettings};
use meshport_shared::{ApiError, DataProduct, ProductStatus, SchemaFormat, SubjectName, TopicName, ViolationCode};
use reqwest::StatusCode;

use common::{Answer, TestApp, Who, product, unique};

const SCHEMA: &str = r#"{"type":"record","name":"Event","fields":[{"name":"id","type":"string"}]}"#;

async fn spawn(vars: &[(&str, String)]) -> TestApp {
    let mut vars = vars.to_vec();
    vars.push(("MESHPORT_DEV_AUTH", "true".into()));
    TestApp::spawn(&vars).await
}

/// An application whose policy is the built-in one with `ownership` as its ownership section.
async fn with_ownership(ownership: serde_json::Value) -> (TestApp, tempfile::NamedTempFile) {
    let mut policy: serde_json::Value = serde_json::from_str(meshport_api::config::DEFAULT_POLICY).unwrap();
    policy["ownership"] = ownership;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), policy.to_string()).unwrap();
    let app = spawn(&[("MESHPORT_POLICY_FILE", file.path().display().to_string())]).await;
    (app, file)
}

/// A topic named `name` on the cluster, with a registered value schema.
async fn topic(app: &TestApp, name: &str) -> TopicName {
    let topic = TopicName::parse(name).unwrap();
    let spec = NewTopic { name: topic.clone(), partitions: 1, replication_factor: 1, configs: BTreeMap::new() };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
    app.state.mesh.registry.register(&format!("{topic}-value"), SCHEMA, SchemaFormat::Avro).await.unwrap();
    topic
}

/// A product of `domain` (its demo team) on `topic`.
fn on(id: &str, domain: &str, topic: &TopicName) -> DataProduct {
    let mut product = product(id, domain);
    product.output_port.value_subject = SubjectName::value_of(topic);
    product.output_port.topic = topic.clone();
    product
}

fn codes(error: &ApiError) -> Vec<(ViolationCode, &str)> {
    error.details.iter().map(|v| (v.code, v.field.as_str())).collect()
}

#[tokio::test]
async fn connect_and_streams_topics_cannot_be_published_as_products() {
    let app = spawn(&[]).await;
    for name in [unique("connect-offsets"), format!("{}-changelog", unique("app-store")), unique("_internal")] {
        let topic = topic(&app, &name).await;

        let (status, error) =
            app.as_(Who::Owner).publish(&on(&unique("grab"), "execution", &topic)).await.error().await;

        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(codes(&error).contains(&(ViolationCode::ReservedTopic, "output_port.topic")), "{name}: {error:?}");
    }
}

#[tokio::test]
async fn a_value_subject_not_named_after_the_topic_is_refused() {
    let app = spawn(&[]).await;
    let topic = topic(&app, &unique("orders")).await;
    let other = unique("payments");
    app.state.mesh.registry.register(&format!("{other}-key"), SCHEMA, SchemaFormat::Avro).await.unwrap();
    let mut product = on(topic.as_str(), "execution", &topic);
    product.output_port.value_subject = SubjectName::parse(format!("{other}-key")).unwrap();

    let (status, error) = app.as_(Who::Owner).publish(&product).await.error().await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(codes(&error).contains(&(ViolationCode::SubjectNaming, "output_port.value_subject")), "{error:?}");
}

#[tokio::test]
async fn with_a_domain_prefix_a_team_claims_only_its_domains_topics_and_what_admins_assigned_it() {
    let (app, _policy) = with_ownership(serde_json::json!({
        "topic_prefix": "{domain}.",
        "assignments": [{ "topic": "legacy-trades-*", "team": "trading" }]
    }))
    .await;
    let own = topic(&app, &format!("execution.{}", unique("fills"))).await;
    let foreign = topic(&app, &format!("membership.{}", unique("users"))).await;
    let assigned = topic(&app, &unique("legacy-trades")).await;

    let (_, refused) = app.as_(Who::Owner).publish(&on(&unique("grab"), "execution", &foreign)).await.error().await;
    app.as_(Who::Owner).publish(&on(&unique("fills"), "execution", &own)).await.ok::<DataProduct>().await;
    app.as_(Who::Owner).publish(&on(&unique("legacy"), "execution", &assigned)).await.ok::<DataProduct>().await;

    assert_eq!(codes(&refused), [(ViolationCode::TopicNotOwned, "output_port.topic")], "{refused:?}");
    meshport_api::sync::run_once(&app.state.mesh).await.unwrap();
    let listed: Vec<PublishableTopic> = app.as_(Who::Owner).publishable_topics("membership").await.ok().await;
    assert!(listed.iter().any(|t| t.name == foreign), "the domain's own topics are publishable there");
    assert!(listed.iter().all(|t| t.name.as_str().starts_with("membership.")), "and only those: {listed:?}");
}

#[tokio::test]
async fn the_next_major_version_of_another_teams_product_is_reserved_for_its_owners() {
    let app = spawn(&[]).await;
    let orders = topic(&app, &unique("orders")).await;
    app.as_(Who::Owner).publish(&on(orders.as_str(), "execution", &orders)).await.ok::<DataProduct>().await;
    let successor = topic(&app, &format!("{orders}.v2")).await;
    let squatter = on(successor.as_str(), "analytics", &successor);

    let (status, error) = app.as_(Who::OtherTeam).publish(&squatter).await.error().await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(codes(&error).contains(&(ViolationCode::ReservedVersion, "id")), "{error:?}");
    assert!(codes(&error).contains(&(ViolationCode::ReservedVersion, "output_port.topic")), "{error:?}");
    let mine = on(successor.as_str(), "execution", &successor);
    app.as_(Who::Owner).publish(&mine).await.ok::<DataProduct>().await;
}

#[tokio::test]
async fn a_new_topic_is_held_to_the_policys_replication_limit() {
    let app = spawn(&[]).await;
    let id = unique("wide");
    let topic =
        TopicSettings { partitions: 3, replication_factor: 10, retention_ms: None, cleanup_policy: "delete".into() };
    let request = CreateRequest { product: product(&id, "execution"), topic, schema: SCHEMA.into() };

    let (status, error) = app.as_(Who::Owner).create(&request).await.error().await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&error), [(ViolationCode::InvalidTopicSettings, "topic.replication_factor")], "{error:?}");
    assert!(app.state.mesh.kafka.topic(&TopicName::parse(id).unwrap()).await.unwrap().is_none(), "nothing created");
}

#[tokio::test]
async fn a_draft_cannot_be_deprecated() {
    let app = spawn(&[]).await;
    let draft = app.seed(DataProduct { status: ProductStatus::Draft, ..product(&unique("draft"), "execution") }).await;
    let request = DeprecateRequest {
        sunset: "2030-01-01".into(),
        replacement: None,
        message: String::new(),
        revision: draft.revision,
    };

    let (status, error) = app.as_(Who::Owner).deprecate(&draft.id, &request).await.error().await;

    assert_eq!(status, StatusCode::CONFLICT, "{error:?}");
    assert!(error.message.contains("draft"), "{error:?}");
    let stored = app.state.mesh.catalog.get_product(&draft.id).await.unwrap().unwrap();
    assert_eq!(stored.status, ProductStatus::Draft);
}

#[tokio::test]
async fn the_id_of_a_teams_audit_trail_is_no_products() {
    // A team's service accounts are audited under `service-accounts.<team>`: a product of that id would share it.
    let app = spawn(&[]).await;
    let topic = topic(&app, &unique("accounts-feed")).await;
    let squatter = on("service-accounts.trading", "execution", &topic);

    let (status, error) = app.as_(Who::Owner).publish(&squatter).await.error().await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&error), [(ViolationCode::ReservedId, "id")], "{error:?}");
    assert!(app.state.mesh.catalog.get_product(&squatter.id).await.unwrap().is_none(), "nothing stored");
}
