//! The catalog API end to end: publish, create, update, evolve, deprecate, retire, delete a topic and search, over
//! HTTP against a real Kafka broker, the project's registry and the embedded catalog, signed in with dev tokens.

use crate::common;

use std::collections::BTreeMap;

use meshport_api::kafka::NewTopic;
use meshport_shared::api::{
    Activity, CreateRequest, DeprecateRequest, EvolveRequest, EvolveResponse, Lineage, ProductDetail, ProductRef,
    PublishableTopic, RetireRequest, Sample, SchemaCheck, SchemaCheckRequest, SchemaDetail, TopicChangeRequest,
    TopicSettings,
};
use meshport_shared::search::SearchPage;
use meshport_shared::{
    ApiError, AuditAction, AuditStage, ConfigSource, DataProduct, ErrorCode, HistoryKind, ProductStatus, Quality,
    SchemaFormat, TopicName, ViolationCode,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use common::faults::{hook, with_faults};
use common::{Answer, TestApp, Who, product, unique};

const ORDER_V1: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"id","type":"string","doc":"Order id."},
  {"name":"cents","type":"long"}]}"#;
/// Adds a field with a default: backward compatible.
const ORDER_V2: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"id","type":"string","doc":"Order id."},
  {"name":"cents","type":"long"},
  {"name":"currency","type":"string","default":"EUR"}]}"#;
/// Adds a field without a default: breaks backward compatibility.
const ORDER_BREAKING: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"id","type":"string"},
  {"name":"cents","type":"long"},
  {"name":"channel","type":"string"}]}"#;

/// An application with dev sign-in, so that tests call it as whoever they need.
async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await
}

/// A topic with a registered value schema, not yet a product.
async fn topic_with_schema(app: &TestApp, prefix: &str) -> TopicName {
    let topic = TopicName::parse(unique(prefix)).unwrap();
    let spec = NewTopic {
        name: topic.clone(),
        partitions: 2,
        replication_factor: 1,
        configs: BTreeMap::from([("retention.ms".to_owned(), "-1".to_owned())]),
    };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
    app.state.mesh.registry.register(&format!("{topic}-value"), ORDER_V1, SchemaFormat::Avro).await.unwrap();
    topic
}

/// A published product owned by `trading`, on a fresh topic.
async fn published(app: &TestApp) -> DataProduct {
    let topic = topic_with_schema(app, "orders").await;
    app.as_(Who::Owner).publish(&product(topic.as_str(), "execution")).await.ok().await
}

/// A create of product `id` (of `execution`) on a new topic of three partitions with `schema` as its value schema.
fn create_request(id: &str, schema: &str) -> CreateRequest {
    let topic = TopicSettings {
        partitions: 3,
        replication_factor: 1,
        retention_ms: Some(604_800_000),
        cleanup_policy: "delete".into(),
    };
    CreateRequest { product: product(id, "execution"), topic, schema: schema.into() }
}

/// A new value schema, proposed at `revision`.
fn evolution(schema: &str, revision: u64) -> EvolveRequest {
    EvolveRequest { schema: schema.into(), dry_run: false, new_major_version: false, revision }
}

/// A new value schema, only checked: a dry run needs no revision.
fn dry_run_evolution(schema: &str) -> EvolveRequest {
    EvolveRequest { dry_run: true, ..evolution(schema, 0) }
}

/// A deprecation at `revision` with a sunset date and nothing else.
fn deprecation(sunset: &str, revision: u64) -> DeprecateRequest {
    DeprecateRequest { sunset: sunset.into(), replacement: None, message: String::new(), revision }
}

/// A topic change to `partitions` partitions, decided at `revision`.
fn partitions(revision: u64, partitions: i32) -> TopicChangeRequest {
    TopicChangeRequest { revision, partitions: Some(partitions), ..TopicChangeRequest::default() }
}

fn codes(error: &ApiError) -> Vec<(ViolationCode, &str)> {
    error.details.iter().map(|v| (v.code, v.field.as_str())).collect()
}

#[tokio::test]
async fn publishing_a_topic_makes_a_product_whose_page_shows_topic_schema_and_history() {
    let app = spawn().await;

    let published = published(&app).await;
    let detail: ProductDetail = app.as_(Who::OtherTeam).product(&published.id).await.ok().await;

    assert_eq!((published.status, published.revision), (ProductStatus::Active, 1));
    let topic = detail.topic.expect("the topic is mirrored by the publish itself");
    assert_eq!((topic.partitions, topic.history), (2, HistoryKind::FullHistory));
    let schema = detail.schema.expect("the schema is mirrored too");
    let fields: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, ["id", "cents"]);
    assert_eq!(schema.fields[0].doc.as_deref(), Some("Order id."));
    assert_eq!(detail.versions.len(), 1);
    assert_eq!(detail.history.len(), 1);
    assert_eq!(detail.history[0].actor, "dev:carol");
    assert!(detail.links.portal.ends_with(&format!("/products/{}", published.id)));
    assert!(detail.warnings.is_empty(), "{:?}", detail.warnings);
    let consume = detail.consume;
    assert_eq!(consume.bootstrap_servers, common::kafka_bootstrap(), "consumers use the API's Kafka by default");
    assert!(consume.registry_url.starts_with("http://127.0.0.1:"), "{}", consume.registry_url);
    assert_eq!(
        (consume.topic, consume.value_subject),
        (published.output_port.topic, published.output_port.value_subject)
    );
    assert_eq!((consume.key_subject, consume.format), (None, SchemaFormat::Avro));
}

#[tokio::test]
async fn a_product_page_tells_consumers_the_public_addresses_when_they_differ() {
    let app = TestApp::spawn(&[
        ("MESHPORT_DEV_AUTH", "true".into()),
        ("MESHPORT_PUBLIC_KAFKA_BOOTSTRAP", "kafka.acme.example:9094".into()),
        ("MESHPORT_PUBLIC_REGISTRY_URL", "https://schemas.acme.example/".into()),
    ])
    .await;
    let published = published(&app).await;

    let detail: ProductDetail = app.product(&published.id).await.ok().await;

    assert_eq!(detail.consume.bootstrap_servers, "kafka.acme.example:9094");
    assert_eq!(detail.consume.registry_url, "https://schemas.acme.example");
}

#[tokio::test]
async fn lineage_links_a_derived_product_and_its_input_both_ways() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let source = published(&app).await;
    let topic = topic_with_schema(&app, "enriched").await;
    let mut derived = product(topic.as_str(), "execution");
    derived.inputs = vec![source.id.clone()];

    let derived: DataProduct = owner.publish(&derived).await.ok().await;
    let source_page: ProductDetail = app.product(&source.id).await.ok().await;
    let derived_page: ProductDetail = app.product(&derived.id).await.ok().await;

    assert_eq!(source_page.lineage, Lineage { inputs: vec![], downstream: vec![ProductRef::of(&derived)] });
    assert_eq!(derived_page.lineage, Lineage { inputs: vec![ProductRef::of(&source)], downstream: vec![] });

    // Dropping the input drops the edge from both pages.
    let mut unlinked = derived.clone();
    unlinked.inputs.clear();
    let _: DataProduct = owner.update(&unlinked).await.ok().await;
    let source_page: ProductDetail = app.product(&source.id).await.ok().await;
    assert!(source_page.lineage.downstream.is_empty(), "{:?}", source_page.lineage);
}

#[tokio::test]
async fn inputs_must_name_other_products_that_exist() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;
    let topic = topic_with_schema(&app, "derived").await;
    let mut derived = product(topic.as_str(), "execution");
    derived.inputs = vec!["no-such-product".parse().unwrap(), derived.id.clone(), published.id.clone()];
    let mut updated = published.clone();
    updated.inputs = vec![published.id.clone(), "gone".parse().unwrap()];

    let (status, publish_error) = owner.publish(&derived).await.error().await;
    let (_, update_error) = owner.update(&updated).await.error().await;

    assert_eq!((status, publish_error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(
        codes(&publish_error),
        [(ViolationCode::CircularLineage, "inputs[1]"), (ViolationCode::UnknownProduct, "inputs[0]")]
    );
    assert!(publish_error.details[1].message.contains("`no-such-product`"), "{:?}", publish_error.details);
    assert_eq!(
        codes(&update_error),
        [(ViolationCode::CircularLineage, "inputs[0]"), (ViolationCode::UnknownProduct, "inputs[1]")]
    );
}

#[tokio::test]
async fn publishing_reports_every_violation_at_once() {
    let app = spawn().await;
    let mut bad = product(&unique("ghost"), "execution");
    bad.owner.contact.clear();
    bad.name = String::new();
    bad.version = "one".into();

    let (status, error) = app.as_(Who::Owner).publish(&bad).await.error().await;

    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(
        codes(&error),
        [
            (ViolationCode::TopicMissing, "output_port.topic"),
            (ViolationCode::RequiredFieldMissing, "name"),
            (ViolationCode::InvalidVersion, "version"),
            (ViolationCode::RequiredFieldMissing, "owner.contact"),
            (ViolationCode::SchemaMissing, "output_port.value_subject"),
        ]
    );
    assert!(error.details[4].message.ends_with("-value` first"), "{}", error.details[4].message);
}

#[tokio::test]
async fn a_topic_without_a_schema_cannot_be_published_while_the_policy_requires_one() {
    let app = spawn().await;
    let topic = TopicName::parse(unique("raw")).unwrap();
    let spec = NewTopic { name: topic.clone(), partitions: 1, replication_factor: 1, configs: BTreeMap::new() };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();

    let (_, error) = app.as_(Who::Owner).publish(&product(topic.as_str(), "execution")).await.error().await;

    assert_eq!(codes(&error), [(ViolationCode::SchemaMissing, "output_port.value_subject")]);
}

#[tokio::test]
async fn publishable_topics_are_the_synced_topics_no_product_uses() {
    let app = spawn().await;
    let free = topic_with_schema(&app, "free").await;
    let taken = published(&app).await;
    meshport_api::sync::run_once(&app.state.mesh).await.unwrap();

    let topics: Vec<PublishableTopic> = app.as_(Who::Owner).publishable_topics("execution").await.ok().await;

    let free_topic = topics.iter().find(|t| t.name == free).expect("the unpublished topic is offered");
    assert!(free_topic.has_value_schema);
    assert!(topics.iter().all(|t| t.name != taken.output_port.topic));
    let (status, _) = app.as_(Who::Owner).publishable_topics("finance").await.error().await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn creating_makes_topic_schema_and_an_active_product_in_one_step() {
    let app = spawn().await;
    let id = unique("payments");

    let created: DataProduct = app.as_(Who::Owner).create(&create_request(&id, ORDER_V1)).await.ok().await;

    assert_eq!(created.status, ProductStatus::Active);
    let topic = app.state.mesh.kafka.topic(&created.output_port.topic).await.unwrap().unwrap();
    assert_eq!(topic.partitions, 3);
    assert_eq!(app.state.mesh.registry.versions(&format!("{id}-value")).await.unwrap(), [1]);
    let history: Activity = app.as_(Who::Owner).history(&id).await.ok().await;
    let actions: Vec<&str> = history.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["published", "created"]);
}

#[tokio::test]
async fn a_create_with_an_invalid_schema_is_refused_before_anything_is_made() {
    let app = spawn().await;
    let id = unique("broken");

    let (status, error) =
        app.as_(Who::Owner).create(&create_request(&id, "{\"type\": \"recrod\"}")).await.error().await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&error), [(ViolationCode::RequiredFieldMissing, "schema")]);
    assert!(app.state.mesh.kafka.topic(&TopicName::parse(&id).unwrap()).await.unwrap().is_none());
    assert!(app.state.mesh.catalog.get_product(&id.parse().unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_create_on_a_subject_whose_versions_the_schema_breaks_is_refused_before_anything_is_made() {
    let app = spawn().await;
    let id = unique("clash");
    app.state.mesh.registry.register(&format!("{id}-value"), ORDER_V1, SchemaFormat::Avro).await.unwrap();

    let (status, error) = app.as_(Who::Owner).create(&create_request(&id, ORDER_BREAKING)).await.error().await;

    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(codes(&error), [(ViolationCode::BreakingChange, "schema")]);
    assert!(error.details[0].message.contains(&format!("`{id}-value` holds versions")), "{}", error.details[0].message);
    assert!(app.state.mesh.kafka.topic(&TopicName::parse(&id).unwrap()).await.unwrap().is_none(), "no topic");
    assert!(app.state.mesh.catalog.product_history(&id.parse().unwrap(), 10).await.unwrap().is_empty(), "no audit");
}

#[tokio::test]
async fn a_create_with_kafka_down_fails_cleanly_and_leaves_nothing_behind() {
    let closed = format!("127.0.0.1:{}", common::closed_port());
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_KAFKA_BOOTSTRAP", closed)]).await;
    let id = unique("offline");

    let (status, error) = app.as_(Who::Owner).create(&create_request(&id, ORDER_V1)).await.error().await;

    assert_eq!((status, error.code), (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::KafkaUnavailable));
    assert!(app.state.mesh.catalog.get_product(&id.parse().unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn an_update_at_a_stale_revision_is_refused_and_the_current_one_wins() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;
    let mut first = published.clone();
    first.description.purpose = "Orders, as placed".into();
    let mut stale = published.clone();
    stale.description.purpose = "Orders, stale".into();

    let updated: DataProduct = owner.update(&first).await.ok().await;
    let (status, error) = owner.update(&stale).await.error().await;

    assert_eq!(updated.revision, 2);
    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    let detail: ProductDetail = app.product(&published.id).await.ok().await;
    assert_eq!(detail.product.description.purpose, "Orders, as placed");
}

#[tokio::test]
async fn an_update_without_the_revision_read_is_a_bad_request_that_says_what_to_send() {
    let app = spawn().await;
    let published = published(&app).await;
    let path = format!("/api/v1/products/{}", published.id);
    let mut body = serde_json::to_value(&published).unwrap();
    body.as_object_mut().unwrap().remove("revision");

    let request = app.as_(Who::Owner).request(Method::PUT, &path).await;
    let (status, error) = request.json(&body).send().await.unwrap().error().await;

    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::BadRequest));
    assert!(error.message.contains("send the revision"), "{}", error.message);
}

#[tokio::test]
async fn an_update_takes_the_revision_from_if_match_and_never_changes_the_topic() {
    let app = spawn().await;
    let published = published(&app).await;
    let path = format!("/api/v1/products/{}", published.id);
    let mut moved = published.clone();
    moved.output_port.topic = TopicName::parse("elsewhere").unwrap();
    moved.revision = 99;

    let request = app.as_(Who::Owner).request(Method::PUT, &path).await;
    let response = request.header("If-Match", "\"1\"").json(&moved).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(codes(&error)[0], (ViolationCode::Immutable, "output_port.topic"));
}

#[tokio::test]
async fn a_compatible_schema_is_registered_and_the_product_gets_a_minor_version() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;

    let dry: EvolveResponse = owner.evolve(&published.id, &dry_run_evolution(ORDER_V2)).await.ok().await;
    let evolved: EvolveResponse = owner.evolve(&published.id, &evolution(ORDER_V2, 1)).await.ok().await;

    assert!(dry.compatible && dry.registered_version.is_none());
    assert_eq!(dry.changes.len(), 1, "{:?}", dry.changes);
    assert!(!dry.changes[0].breaking);
    assert_eq!(evolved.registered_version, Some(2));
    let detail: ProductDetail = app.product(&published.id).await.ok().await;
    assert_eq!(detail.product.version, "1.1.0");
    assert_eq!(detail.versions.len(), 2);
    let diff: Vec<Value> = app.anonymous().diff(&published.id, 1, 2).await.ok().await;
    assert_eq!(diff.len(), 1);
}

#[tokio::test]
async fn a_breaking_schema_change_is_refused_with_each_break_in_words() {
    let app = spawn().await;
    let published = published(&app).await;

    let (status, error) = app.as_(Who::Owner).evolve(&published.id, &evolution(ORDER_BREAKING, 1)).await.error().await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::IncompatibleSchema));
    assert_eq!(codes(&error), [(ViolationCode::BreakingChange, "channel")]);
    assert!(error.details[0].message.contains("default"), "{}", error.details[0].message);
    assert_eq!(app.state.mesh.registry.versions(&format!("{}-value", published.output_port.topic)).await.unwrap(), [1]);
}

#[tokio::test]
async fn a_breaking_change_can_become_a_new_major_version_that_replaces_the_old_product() {
    let app = spawn().await;
    let published = published(&app).await;
    let new_major = EvolveRequest { new_major_version: true, ..evolution(ORDER_BREAKING, 1) };

    let evolved: EvolveResponse = app.as_(Who::Owner).evolve(&published.id, &new_major).await.ok().await;

    let successor = evolved.new_product.expect("a new major version");
    assert_eq!(successor.as_str(), format!("{}.v2", published.id));
    let new: ProductDetail = app.product(&successor).await.ok().await;
    assert_eq!((new.product.version.as_str(), new.product.status), ("2.0.0", ProductStatus::Active));
    let old: ProductDetail = app.product(&published.id).await.ok().await;
    assert_eq!(old.product.status, ProductStatus::Deprecated);
    assert_eq!(old.product.deprecation.unwrap().replacement, Some(successor));
}

#[tokio::test]
async fn deprecating_needs_a_real_replacement_and_retiring_hides_the_product_from_search() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;
    let id = &published.id;
    let unknown_replacement =
        DeprecateRequest { replacement: Some("nothing".parse().unwrap()), ..deprecation("2027-13-01", 1) };
    let moving_on = DeprecateRequest { message: "moving on".into(), ..deprecation("2027-06-30", 1) };

    let (_, bad) = owner.deprecate(id, &unknown_replacement).await.error().await;
    let deprecated: DataProduct = owner.deprecate(id, &moving_on).await.ok().await;
    let retired: DataProduct = owner.retire(id, &RetireRequest { revision: 2 }).await.ok().await;
    let found: SearchPage = app.anonymous().search(&format!("q={id}")).await.ok().await;
    let with_retired: SearchPage = app.anonymous().search(&format!("q={id}&status=retired")).await.ok().await;

    assert_eq!(
        codes(&bad),
        [
            (ViolationCode::UnknownProduct, "deprecation.replacement"),
            (ViolationCode::InvalidDate, "deprecation.sunset")
        ]
    );
    assert_eq!(deprecated.status, ProductStatus::Deprecated);
    assert_eq!(retired.status, ProductStatus::Retired);
    assert!(found.items.is_empty(), "retired products leave discovery");
    assert_eq!(with_retired.items.len(), 1, "and stay findable on purpose");
}

#[tokio::test]
async fn a_topic_with_consumers_is_deleted_only_when_forced() {
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;
    let group = unique("reader");
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", common::kafka_bootstrap())
        .set("group.id", &group)
        .create()
        .unwrap();
    // One key, so all three land on one partition.
    let mut partition = 0;
    for n in 0..3 {
        let event = format!("event {n}");
        (partition, _) =
            app.state.mesh.kafka.produce(&published.output_port.topic, Some(b"key"), event.as_bytes()).await.unwrap();
    }
    let mut offsets = rdkafka::TopicPartitionList::new();
    offsets.add_partition_offset(published.output_port.topic.as_str(), partition, rdkafka::Offset::Offset(1)).unwrap();
    consumer.commit(&offsets, CommitMode::Sync).unwrap();
    meshport_api::sync::run_once(&app.state.mesh).await.unwrap();
    let before: ProductDetail = app.product(&published.id).await.ok().await;
    let reader =
        before.consumers.iter().find(|c| c.group == group).expect("the group is on the product page after a sync");
    // Three records, one read: two left, exactly.
    assert_eq!(reader.partitions[0].partition, partition);
    assert_eq!(reader.partitions[0].committed, Some(1));
    assert_eq!(reader.partitions[0].end_offset, Some(3));
    assert_eq!(reader.partitions[0].lag, Some(2));

    let (status, error) = owner.delete_topic(&published.id, Some(1)).await.error().await;
    let deleted: DataProduct = owner.force_delete_topic(&published.id, 1).await.ok().await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error.message.contains("consumer groups"), "{}", error.message);
    assert_eq!(deleted.revision, 2);
    assert!(app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().is_none());
    let detail: ProductDetail = app.product(&published.id).await.ok().await;
    assert!(detail.warnings.iter().any(|w| w.contains("not found on the cluster")), "{:?}", detail.warnings);
}

#[tokio::test]
async fn owners_change_partitions_retention_and_cleanup_and_the_change_is_mirrored_and_audited() {
    let app = spawn().await;
    let published = published(&app).await;
    let change = TopicChangeRequest {
        revision: 1,
        partitions: Some(4),
        retention_ms: Some(86_400_000),
        cleanup_policy: Some("compact,delete".into()),
    };

    let changed: DataProduct = app.as_(Who::Owner).change_topic(&published.id, &change).await.ok().await;

    assert_eq!(changed.revision, 2);
    let detail: ProductDetail = app.as_(Who::Owner).product(&published.id).await.ok().await;
    let topic = detail.topic.expect("the mirror holds the changed topic");
    assert_eq!(topic.partitions, 4);
    assert_eq!(topic.history, HistoryKind::CompactedWindow { retention_ms: 86_400_000 });
    assert_eq!(topic.config_sources.get("retention.ms"), Some(&ConfigSource::Topic));
    assert_eq!(topic.config_sources.get("segment.bytes"), Some(&ConfigSource::Default), "defaults are mirrored too");
    let entry = detail.history.iter().find(|e| e.action == AuditAction::TopicChanged).expect("the change is audited");
    assert!(entry.summary.contains("partitions 2 -> 4"), "{}", entry.summary);
    assert!(entry.summary.contains("retention.ms -1 -> 86400000"), "{}", entry.summary);
    assert_eq!(entry.actor, "dev:carol");
    let cluster = app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().unwrap();
    assert_eq!(cluster.configs.get("cleanup.policy").map(String::as_str), Some("compact,delete"));
}

#[tokio::test]
async fn a_topic_change_beyond_the_policy_or_taking_partitions_away_is_refused_with_every_reason() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;
    let id = &published.id;
    let beyond_policy = TopicChangeRequest {
        revision: 1,
        partitions: Some(1000),
        retention_ms: Some(1000),
        cleanup_policy: Some("keep".into()),
    };
    let without_revision = owner.request(Method::PATCH, &format!("/api/v1/products/{id}/topic")).await;

    let (fewer_status, fewer) = owner.change_topic(id, &partitions(1, 1)).await.error().await;
    let (beyond_status, beyond) = owner.change_topic(id, &beyond_policy).await.error().await;
    let (nothing_status, nothing) = owner.change_topic(id, &partitions(1, 2)).await.error().await;
    let (stale_status, _) = owner.change_topic(id, &partitions(7, 3)).await.error().await;
    let (missing_status, _) = without_revision.json(&json!({"partitions": 3})).send().await.unwrap().error().await;

    assert_eq!(fewer_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&fewer), [(ViolationCode::InvalidTopicSettings, "partitions")]);
    assert!(fewer.details[0].message.contains("cannot take partitions away"), "{:?}", fewer.details);
    assert_eq!(beyond_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&beyond),
        [
            (ViolationCode::InvalidTopicSettings, "partitions"),
            (ViolationCode::InvalidTopicSettings, "retention_ms"),
            (ViolationCode::InvalidTopicSettings, "cleanup_policy"),
        ]
    );
    assert_eq!(nothing_status, StatusCode::CONFLICT, "the request is valid; the topic's state makes it a no-op");
    assert!(nothing.message.contains("nothing to change"), "{}", nothing.message);
    assert_eq!(stale_status, StatusCode::CONFLICT);
    assert_eq!(missing_status, StatusCode::BAD_REQUEST);
    let cluster = app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().unwrap();
    assert_eq!(cluster.partitions, 2, "nothing reached the cluster");
    assert_eq!(cluster.configs.get("retention.ms").map(String::as_str), Some("-1"));
}

#[tokio::test]
async fn search_finds_products_by_text_and_schema_fields_with_facets() {
    let app = spawn().await;
    let published = published(&app).await;
    let mut curated = product(&unique("refunds"), "execution");
    curated.quality = Quality::Raw;
    app.seed(curated).await;

    let by_field: SearchPage = app.anonymous().search("q=cents").await.ok().await;
    let filtered: SearchPage = app.anonymous().search("quality=raw").await.ok().await;
    let (status, error) = app.anonymous().search("quality=gold").await.error().await;

    assert_eq!(by_field.items.iter().map(|p| &p.id).collect::<Vec<_>>(), [&published.id], "found by a schema field");
    assert_eq!(filtered.total, 1);
    assert!(filtered.facets.quality.iter().any(|f| f.value == "curated" && f.count == 1), "{:?}", filtered.facets);
    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::BadRequest));
    assert!(error.message.contains("quality"), "{}", error.message);
}

#[tokio::test]
async fn bad_bodies_get_clear_errors_never_a_500() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let post = async |body: String| {
        let request = owner.request(Method::POST, "/api/v1/products/publish").await;
        request.header("content-type", "application/json").body(body).send().await
    };

    let mut unknown_field = serde_json::to_value(product("orders", "execution")).unwrap();
    unknown_field["owner_email"] = json!("x@y");
    let cases = [
        ("{not json".to_owned(), StatusCode::BAD_REQUEST, "not valid JSON"),
        (unknown_field.to_string(), StatusCode::BAD_REQUEST, "unknown field `owner_email`"),
        (json!({"id": "Bad Id"}).to_string(), StatusCode::BAD_REQUEST, "product id `Bad Id`"),
        ("x".repeat(300 * 1024), StatusCode::PAYLOAD_TOO_LARGE, "larger than"),
    ];
    for (body, status, fragment) in cases {
        let response = post(body).await.unwrap();
        assert_eq!(response.status(), status);
        let error: ApiError = response.json().await.unwrap();
        assert!(error.message.contains(fragment), "`{}` lacks `{fragment}`", error.message);
    }
}

/// Every mutating route against anonymous, another team, the owning team and an admin.
#[tokio::test]
async fn only_the_owning_team_and_admins_change_a_product() {
    let app = spawn().await;
    let expected = [
        (Who::Anonymous, Some(StatusCode::UNAUTHORIZED)),
        (Who::OtherTeam, Some(StatusCode::FORBIDDEN)),
        (Who::Owner, None),
        (Who::Admin, None),
    ];
    for (who, refusal) in expected {
        let published = published(&app).await;
        let id = &published.id;
        let topic = topic_with_schema(&app, "matrix").await;
        let caller = app.as_(who);
        let answers = [
            caller.publish(&product(topic.as_str(), "execution")).await,
            caller.create(&create_request(&unique("matrix"), ORDER_V1)).await,
            caller.update(&published).await,
            caller.evolve(id, &evolution(ORDER_V2, 2)).await,
            caller.change_topic(id, &partitions(3, 3)).await,
            caller.deprecate(id, &deprecation("2027-06-30", 4)).await,
            caller.retire(id, &RetireRequest { revision: 5 }).await,
            caller.delete_topic(id, Some(6)).await,
        ];
        for response in answers {
            let (url, status) = (response.url().clone(), response.status());
            let text = response.text().await.unwrap();
            match refusal {
                Some(refused) => assert_eq!(status, refused, "{who:?} {url}: {text}"),
                None => assert!(status.is_success(), "{who:?} {url}: {status} {text}"),
            }
        }
    }
    let (status, _) = app.as_(Who::Owner).sync().await.error().await;
    assert_eq!(status, StatusCode::FORBIDDEN, "sync on demand is for admins");
    let _: Value = app.as_(Who::Admin).sync().await.ok().await;
}

/// Every read route against anonymous, another team, the owning team and an admin, with reads private and public:
/// public reads open the catalog (search, a product's page, its schema's changes, the policy) and nothing more.
#[tokio::test]
async fn reads_need_sign_in_unless_the_organisation_opens_the_catalog_and_anyone_signed_in_reads_everything() {
    for public in [false, true] {
        let vars = [("MESHPORT_DEV_AUTH", "true".to_owned()), ("MESHPORT_PUBLIC_READS", public.to_string())];
        let app = TestApp::spawn(&vars).await;
        let published = published(&app).await;
        let id = &published.id;
        let check = SchemaCheckRequest { format: SchemaFormat::Avro, schema: ORDER_V1.into() };
        for who in [Who::Anonymous, Who::OtherTeam, Who::Owner, Who::Admin] {
            let caller = app.as_(who);
            let catalog = [
                caller.search("q=orders").await,
                caller.product(id).await,
                caller.diff(id, 1, 1).await,
                caller.policy().await,
            ];
            let members_only = [
                caller.history(id).await,
                caller.publishable_topics("execution").await,
                caller.activity().await,
                caller.subject(&published.output_port.value_subject).await,
                caller.check_schema(&check).await,
            ];
            let reads = catalog.into_iter().map(|r| (r, false)).chain(members_only.into_iter().map(|r| (r, true)));
            for (response, members_only) in reads {
                let refused = matches!(who, Who::Anonymous) && (members_only || !public);
                let (url, status) = (response.url().clone(), response.status());
                let text = response.text().await.unwrap();
                if refused {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{who:?} {url}: {text}");
                    let error: ApiError = serde_json::from_str(&text).unwrap();
                    assert_eq!(error.code, ErrorCode::Unauthorized);
                    assert!(error.message.contains("sign in first"), "{}", error.message);
                } else {
                    assert!(status.is_success(), "{who:?} {url} (public reads: {public}): {status} {text}");
                }
            }
            let me = caller.me().await.status();
            assert_eq!(me == StatusCode::UNAUTHORIZED, matches!(who, Who::Anonymous), "{who:?} /api/v1/me");
            // Events are for the owning team, admins and teams with an active grant only.
            let expected = match who {
                Who::Anonymous => StatusCode::UNAUTHORIZED,
                Who::OtherTeam => StatusCode::FORBIDDEN,
                Who::Owner | Who::Admin => StatusCode::OK,
            };
            assert_eq!(caller.sample(id, 1).await.status(), expected, "{who:?} sample (public reads: {public})");
        }
        // A product's page shows its history (who changed what, before and after) to members only.
        if public {
            let page: ProductDetail = app.anonymous().product(id).await.ok().await;
            assert!(page.history.is_empty(), "{:?}", page.history);
        }
        let page: ProductDetail = app.as_(Who::OtherTeam).product(id).await.ok().await;
        assert!(!page.history.is_empty());
        // What a caller needs before signing in, and the embeds (guarded by MESHPORT_PUBLIC_CARDS), stay open.
        for response in [app.get("/api/health").await, app.dev_users().await, app.card(id.as_str()).await] {
            assert_eq!(response.status(), StatusCode::OK, "{} (public reads: {public})", response.url());
        }
        let (status, _) = app.get("/api/v1/nothing").await.error().await;
        assert_eq!(status, StatusCode::NOT_FOUND, "an unknown route is still unknown");
    }
}

#[tokio::test]
async fn a_sample_shows_the_newest_events_decoded_with_personal_fields_masked() {
    use apache_avro::types::Value as Avro;
    let app = spawn().await;
    let published = published(&app).await;
    let mut marked = published.clone();
    marked.personal_fields = vec!["id".into()];
    let _: DataProduct = app.as_(Who::Owner).update(&marked).await.ok().await;
    let subject = format!("{}-value", published.output_port.topic);
    let registered =
        app.state.mesh.registry.version(&subject, meshport_api::registry::VersionRef::Latest).await.unwrap();
    let schema = apache_avro::Schema::parse_str(ORDER_V1).unwrap();
    for cents in 0..15_i64 {
        let record = Avro::Record(vec![
            ("id".into(), Avro::String(format!("order-{cents}"))),
            ("cents".into(), Avro::Long(cents)),
        ]);
        let framed = meshport_api::demo::frame(&schema, registered.id as u32, record).unwrap();
        app.state.mesh.kafka.produce(&published.output_port.topic, Some(b"k"), &framed).await.unwrap();
    }
    app.state.mesh.kafka.produce(&published.output_port.topic, None, b"plain text").await.unwrap();

    let sample: Sample = app.as_(Who::Owner).sample(&published.id, 5).await.ok().await;

    assert_eq!(sample.events.len(), 5);
    let last = sample.events.last().unwrap();
    assert!(last.value["undecodable"].as_str().unwrap().contains("wire format"), "{:?}", last.value);
    let decoded = &sample.events[3];
    assert_eq!(decoded.value["id"], "***", "personal data never leaves the API");
    assert_eq!(decoded.value["cents"], 14);
    assert_eq!(decoded.schema_id, Some(registered.id));
    assert_eq!(decoded.key.as_deref(), Some("***"), "keys are masked with the personal fields");
    assert_eq!(sample.masked_fields, ["id"]);
}

#[tokio::test]
async fn a_topic_or_subject_that_is_already_a_product_cannot_be_claimed_by_anyone() {
    let app = spawn().await;
    let published = published(&app).await;
    let mut takeover = product(&unique("takeover"), "analytics");
    takeover.output_port = published.output_port.clone();
    let mut system = product(&unique("system"), "execution");
    system.output_port.topic = TopicName::parse("_schemas").unwrap();
    system.output_port.value_subject = meshport_shared::SubjectName::value_of(&system.output_port.topic);

    let response = app.as_(Who::OtherTeam).publish(&takeover).await;
    let (_, system_error) = app.as_(Who::Admin).publish(&system).await.error().await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: ApiError = response.json().await.unwrap();
    assert!(codes(&error).contains(&(ViolationCode::TopicExists, "output_port.topic")), "{error:?}");
    assert!(codes(&error).contains(&(ViolationCode::Immutable, "output_port.value_subject")), "{error:?}");
    assert!(codes(&system_error).contains(&(ViolationCode::ReservedTopic, "output_port.topic")), "{system_error:?}");
}

#[tokio::test]
async fn an_update_cannot_point_a_product_at_another_subject() {
    let app = spawn().await;
    let published = published(&app).await;
    let mut moved = published.clone();
    moved.output_port.value_subject = meshport_shared::SubjectName::parse("someone-elses-value").unwrap();

    let (status, error) = app.as_(Who::Owner).update(&moved).await.error().await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&error), [(ViolationCode::Immutable, "output_port")]);
}

#[tokio::test]
async fn a_schema_is_checked_into_fields_or_refused_saying_what_is_wrong() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let check = |format, schema: &str| SchemaCheckRequest { format, schema: schema.into() };
    let unknown_format = owner.request(Method::POST, "/api/v1/schemas/check").await;

    let fields: SchemaCheck = owner.check_schema(&check(SchemaFormat::Avro, ORDER_V1)).await.ok().await;
    let (status, error) = owner.check_schema(&check(SchemaFormat::Avro, r#"{"type": "recrod"}"#)).await.error().await;
    let json_schema: SchemaCheck =
        owner.check_schema(&check(SchemaFormat::Json, r#"{"type": "object"}"#)).await.ok().await;
    let xml = json!({"format": "xml", "schema": "<a/>"});
    let (bad_format, _) = unknown_format.json(&xml).send().await.unwrap().error().await;

    let names: Vec<&str> = fields.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "cents"]);
    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSchema));
    assert!(error.message.contains("not a valid Avro schema"), "{}", error.message);
    assert!(json_schema.fields.is_empty());
    assert_eq!(bad_format, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_subjects_latest_mirrored_version_is_served_for_previews() {
    let app = spawn().await;
    let topic = topic_with_schema(&app, "preview").await;
    meshport_api::sync::run_once(&app.state.mesh).await.unwrap();

    let detail: SchemaDetail = app.as_(Who::Owner).subject(format!("{topic}-value")).await.ok().await;
    let (status, error) = app.as_(Who::Owner).subject(format!("{}-value", unique("none"))).await.error().await;

    assert_eq!((detail.subject, detail.version), (format!("{topic}-value"), 1));
    assert_eq!(detail.fields.len(), 2);
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
}

#[tokio::test]
async fn a_dry_run_publish_checks_everything_and_changes_nothing() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let topic = topic_with_schema(&app, "dry").await;
    let good = product(topic.as_str(), "execution");
    let mut bad = product(&unique("ghost"), "execution");
    bad.name.clear();

    let response = owner.publish_dry_run(&good).await;
    let status = response.status();
    let would_be: DataProduct = response.json().await.unwrap();
    let (_, dry_error) = owner.publish_dry_run(&bad).await.error().await;
    let (_, real_error) = owner.publish(&bad).await.error().await;
    let (anonymous, _) = app.anonymous().publish_dry_run(&good).await.error().await;
    let (other_team, _) = app.as_(Who::OtherTeam).publish_dry_run(&good).await.error().await;

    assert_eq!(status, StatusCode::OK, "a dry run stores nothing, so nothing is created");
    assert_eq!((would_be.status, would_be.revision), (ProductStatus::Active, 1));
    assert_eq!(dry_error, real_error, "the same violations as a real call");
    assert_eq!((anonymous, other_team), (StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN));
    assert!(app.state.mesh.catalog.get_product(&would_be.id).await.unwrap().is_none(), "nothing stored");
    assert!(app.state.mesh.catalog.product_history(&would_be.id, 10).await.unwrap().is_empty(), "nothing audited");
}

#[tokio::test]
async fn a_dry_run_create_checks_everything_and_makes_no_topic_schema_or_product() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let id = unique("dry-create");
    let taken = published(&app).await;
    let mut clash = create_request(&unique("clash"), "");
    clash.product.output_port = taken.output_port.clone();

    let would_be: DataProduct = owner.create_dry_run(&create_request(&id, ORDER_V1)).await.ok().await;
    let (status, dry_error) = owner.create_dry_run(&clash).await.error().await;
    let (_, real_error) = owner.create(&clash).await.error().await;

    assert_eq!((would_be.id.as_str(), would_be.status), (id.as_str(), ProductStatus::Active));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dry_error, real_error, "the same violations as a real call");
    assert!(codes(&dry_error).contains(&(ViolationCode::TopicExists, "output_port.topic")), "{dry_error:?}");
    assert!(codes(&dry_error).contains(&(ViolationCode::RequiredFieldMissing, "schema")), "{dry_error:?}");
    assert!(app.state.mesh.kafka.topic(&TopicName::parse(&id).unwrap()).await.unwrap().is_none(), "no topic");
    assert!(app.state.mesh.registry.versions(&format!("{id}-value")).await.is_err(), "no schema registered");
    assert!(app.state.mesh.catalog.get_product(&would_be.id).await.unwrap().is_none(), "no product");
    assert!(app.state.mesh.catalog.product_history(&would_be.id, 10).await.unwrap().is_empty(), "nothing audited");
}

#[tokio::test]
async fn an_evolve_or_a_topic_delete_at_a_stale_revision_is_refused_before_anything_happens() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;
    let id = &published.id;
    let _: DataProduct = owner.update(&published).await.ok().await;
    let evolve = format!("/api/v1/products/{id}/schema");
    let topic = format!("/api/v1/products/{id}/topic");
    let with_if_match =
        async |method: Method, path: &str, tag: &str| owner.request(method, path).await.header("If-Match", tag);

    let (stale_body, _) = owner.evolve(id, &evolution(ORDER_V2, 1)).await.error().await;
    let stale_header = with_if_match(Method::POST, &evolve, "\"1\"").await.json(&evolution(ORDER_V2, 2)).send().await;
    let without_revision = owner.request(Method::POST, &evolve).await.json(&json!({"schema": ORDER_V2}));
    let (missing, missing_error) = without_revision.send().await.unwrap().error().await;
    let dry: EvolveResponse = owner.evolve(id, &dry_run_evolution(ORDER_V2)).await.ok().await;
    let (stale_delete, _) = owner.delete_topic(id, Some(1)).await.error().await;
    let stale_delete_header = with_if_match(Method::DELETE, &format!("{topic}?revision=2"), "1").await.send().await;
    let (no_revision_delete, _) = owner.delete_topic(id, None).await.error().await;

    assert_eq!(stale_body, StatusCode::CONFLICT);
    assert_eq!(stale_header.unwrap().status(), StatusCode::CONFLICT, "If-Match wins over the body");
    assert_eq!(missing, StatusCode::BAD_REQUEST);
    assert!(missing_error.message.contains("send the revision"), "{}", missing_error.message);
    assert!(dry.compatible, "a dry run may leave the revision out");
    assert_eq!(stale_delete, StatusCode::CONFLICT);
    assert_eq!(stale_delete_header.unwrap().status(), StatusCode::CONFLICT, "If-Match wins over the query");
    assert_eq!(no_revision_delete, StatusCode::BAD_REQUEST);
    let subject = format!("{}-value", published.output_port.topic);
    assert_eq!(app.state.mesh.registry.versions(&subject).await.unwrap(), [1], "nothing registered");
    assert!(app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().is_some(), "no topic deleted");
    let history = app.state.mesh.catalog.product_history(id, 10).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["updated", "published"], "no audit entry for a refused change");

    let deleted = with_if_match(Method::DELETE, &topic, "W/\"2\"").await.send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::OK, "the current revision deletes");
}

/// The side effect (a registered schema, a deleted topic) happened before the racing change won: the trail says so,
/// from the intent to the outcome, though the product itself keeps only the racing changes.
#[tokio::test]
async fn a_change_racing_in_after_the_revision_check_still_loses_with_a_conflict_and_the_trail_keeps_its_side_effect() {
    let (app, faults) = with_faults().await;
    let owner = app.as_(Who::Owner);
    let published = published(&app).await;
    let id = &published.id;

    faults.race_after_read(id);
    let (evolve_status, evolve_error) = owner.evolve(id, &evolution(ORDER_V2, 1)).await.error().await;
    faults.race_after_read(id);
    let (delete_status, _) = owner.delete_topic(id, Some(2)).await.error().await;

    assert_eq!((evolve_status, evolve_error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    assert_eq!(delete_status, StatusCode::CONFLICT);
    let stored = app.state.mesh.catalog.get_product(id).await.unwrap().unwrap();
    assert_eq!((stored.revision, stored.version.as_str()), (3, "1.0.0"), "only the racing changes were stored");
    let history = app.state.mesh.catalog.product_history(id, 10).await.unwrap();
    let trail: Vec<(&str, AuditStage)> = history.iter().map(|e| (e.action.as_str(), e.stage)).collect();
    use AuditStage::{Done, Failed, Started};
    assert_eq!(
        trail,
        [
            ("topic_deleted", Failed),
            ("topic_deleted", Started),
            ("updated", Done),
            ("schema_evolved", Failed),
            ("schema_evolved", Started),
            ("updated", Done),
            ("published", Done)
        ],
        "{history:#?}"
    );
    assert!(history[0].summary.contains("deleted topic") && history[0].summary.contains("could not be recorded"));
    assert!(history[3].summary.contains("registered schema version 2"), "{}", history[3].summary);
}

/// What a create of `id` left: whether its topic exists, its subject's versions, the product, and the product's audit
/// actions, newest first.
async fn left_by_create(app: &TestApp, id: &str) -> (bool, Vec<i32>, Option<DataProduct>, Vec<String>) {
    let state = &app.state;
    let topic = state.mesh.kafka.topic(&TopicName::parse(id).unwrap()).await.unwrap().is_some();
    let versions = state.mesh.registry.versions(&format!("{id}-value")).await.unwrap_or_default();
    let product = state.mesh.catalog.get_product(&id.parse().unwrap()).await.unwrap();
    let history = state.mesh.catalog.product_history(&id.parse().unwrap(), 10).await.unwrap();
    (topic, versions, product, history.into_iter().map(|e| e.action.as_str().to_owned()).collect())
}

/// Someone registers `ORDER_V1` on `<id>-value` between a create's checks and its step 3.
fn registered_meanwhile(app: &TestApp, id: &str) -> common::faults::Hook {
    let (registry, subject) = (app.state.mesh.registry.clone(), format!("{id}-value"));
    hook(move || async move {
        registry.register(&subject, ORDER_V1, SchemaFormat::Avro).await.unwrap();
    })
}

#[tokio::test]
async fn a_create_whose_draft_cannot_be_stored_makes_nothing() {
    let (app, faults) = with_faults().await;
    let id = unique("no-draft");
    faults.fail_put(1);

    let (status, error) = app.as_(Who::Owner).create(&create_request(&id, ORDER_V1)).await.error().await;

    assert_eq!((status, error.code), (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::CatalogUnavailable));
    let (topic, versions, product, history) = left_by_create(&app, &id).await;
    assert!(!topic && versions.is_empty() && product.is_none() && history.is_empty(), "{versions:?} {history:?}");
}

#[tokio::test]
async fn a_create_whose_topic_cannot_be_made_removes_its_draft_and_leaves_the_topic_it_found_alone() {
    let (app, faults) = with_faults().await;
    let id = unique("taken-meanwhile");
    // Someone else creates the topic between the checks and step 2.
    let (kafka, topic) = (app.state.mesh.kafka.clone(), TopicName::parse(&id).unwrap());
    faults.after_put(
        1,
        hook(move || async move {
            let spec = NewTopic { name: topic, partitions: 1, replication_factor: 1, configs: BTreeMap::new() };
            kafka.create_topic(&spec).await.unwrap();
        }),
    );

    let (status, error) = app.as_(Who::Owner).create(&create_request(&id, ORDER_V1)).await.error().await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    let (topic, versions, product, history) = left_by_create(&app, &id).await;
    assert!(topic, "the topic someone else made is not ours to delete");
    assert!(versions.is_empty() && product.is_none(), "{versions:?}");
    assert_eq!(history, ["deleted", "created"], "the draft and its undo are on record");
}

#[tokio::test]
async fn a_create_whose_schema_is_refused_removes_its_topic_and_its_draft() {
    let (app, faults) = with_faults().await;
    let id = unique("refused-meanwhile");
    faults.after_put(1, registered_meanwhile(&app, &id));

    let (status, error) = app.as_(Who::Owner).create(&create_request(&id, ORDER_BREAKING)).await.error().await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    let (topic, versions, product, history) = left_by_create(&app, &id).await;
    assert!(!topic, "the topic the create made is deleted again");
    assert_eq!(versions, [1], "only the other schema is registered");
    assert!(product.is_none());
    assert_eq!(history, ["deleted", "created"]);
}

#[tokio::test]
async fn a_create_whose_activation_fails_leaves_a_visible_draft_that_a_publish_finishes() {
    let (app, faults) = with_faults().await;
    let owner = app.as_(Who::Owner);
    let id = unique("half-made");
    faults.fail_put(2);

    let (status, error) = owner.create(&create_request(&id, ORDER_V1)).await.error().await;
    let page: ProductDetail = app.product(&id).await.ok().await;
    let finished: DataProduct = owner.publish(&page.product).await.ok().await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    assert!(error.message.contains("visible as a draft: publish it to finish"), "{}", error.message);
    assert_eq!(page.product.status, ProductStatus::Draft, "the half-made product is visible, as a draft");
    assert_eq!(finished.status, ProductStatus::Active);
    let (topic, versions, _, history) = left_by_create(&app, &id).await;
    assert!(topic);
    assert_eq!(versions, [1]);
    assert_eq!(history, ["published", "created"]);
}

#[tokio::test]
async fn a_create_whose_undo_fails_leaves_a_visible_draft_that_the_next_create_takes_over() {
    let (app, faults) = with_faults().await;
    let owner = app.as_(Who::Owner);
    let id = unique("stranded");
    faults.after_put(1, registered_meanwhile(&app, &id));
    faults.fail_deletes();

    let (status, _) = owner.create(&create_request(&id, ORDER_BREAKING)).await.error().await;
    let (topic, _, stranded, _) = left_by_create(&app, &id).await;
    faults.heal();
    let (other_team, _) = app.as_(Who::OtherTeam).create(&create_request(&id, ORDER_V1)).await.error().await;
    let retried: DataProduct = owner.create(&create_request(&id, ORDER_V1)).await.ok().await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(!topic, "the topic was undone");
    assert_eq!(stranded.map(|p| p.status), Some(ProductStatus::Draft), "the draft stays visible, not half-hidden");
    assert_eq!(other_team, StatusCode::FORBIDDEN, "only its owners take a draft over");
    assert_eq!((retried.status, retried.revision), (ProductStatus::Active, 3));
    let (topic, versions, _, history) = left_by_create(&app, &id).await;
    assert!(topic);
    assert_eq!(versions, [1], "the same schema again is the same version");
    assert_eq!(history, ["published", "created", "created"]);
}

#[tokio::test]
async fn a_failed_create_leaves_what_a_teammate_finished_meanwhile() {
    let (app, faults) = with_faults().await;
    let id = unique("finished");
    let (registry, catalog, subject, product_id) =
        (app.state.mesh.registry.clone(), app.state.mesh.catalog.clone(), format!("{id}-value"), id.clone());
    // Right after the draft is stored: an incompatible schema lands on its subject (so step 3 fails), and a teammate
    // publishes the draft.
    faults.after_put(
        1,
        hook(move || async move {
            registry.register(&subject, ORDER_V1, SchemaFormat::Avro).await.unwrap();
            let mut draft = catalog.get_product(&product_id.parse().unwrap()).await.unwrap().unwrap();
            draft.status = ProductStatus::Active;
            let entry =
                meshport_api::audit::entry("teammate", &draft.id, AuditAction::Published, "finished", None, None);
            let revision = draft.revision;
            catalog.put_product(draft, Some(revision), entry).await.unwrap();
        }),
    );

    let (status, _) = app.as_(Who::Owner).create(&create_request(&id, ORDER_BREAKING)).await.error().await;

    assert_eq!(status, StatusCode::CONFLICT);
    let (topic, _, product, _) = left_by_create(&app, &id).await;
    assert!(topic, "the topic the teammate's product uses stays");
    assert_eq!(product.map(|p| (p.status, p.revision)), Some((ProductStatus::Active, 2)), "and so does the product");
}

/// DynamoDB's indexes may answer a listing without the latest write: the search index built from such a listing must
/// not stay behind until the next write.
#[tokio::test]
async fn a_product_published_while_listings_lag_shows_in_search_once_they_catch_up() {
    let (app, faults) = with_faults().await;
    let topic = topic_with_schema(&app, "lagging").await;
    let found = |page: SearchPage| page.items.iter().any(|hit| hit.id.as_str() == topic.as_str());
    let before: SearchPage = app.anonymous().search(&format!("q={topic}")).await.ok().await;
    faults.lag_listings().await;

    app.as_(Who::Owner).publish(&product(topic.as_str(), "execution")).await.ok::<DataProduct>().await;
    let _lagging: SearchPage = app.anonymous().search(&format!("q={topic}")).await.ok().await;
    tokio::time::sleep(meshport_api::discovery::SETTLE + std::time::Duration::from_millis(200)).await;
    let after: SearchPage = app.anonymous().search(&format!("q={topic}")).await.ok().await;

    assert!(!found(before));
    assert!(found(after), "the product shows once the listing caught up, with no further write");
}

#[tokio::test]
async fn an_input_derived_from_the_product_itself_is_refused_as_a_cycle() {
    // Arrange: source -> middle -> last, each derived from the one before.
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let source = published(&app).await;
    let mut chain = vec![source.clone()];
    for name in ["middle", "last"] {
        let topic = topic_with_schema(&app, name).await;
        let mut derived = product(topic.as_str(), "execution");
        derived.inputs = vec![chain.last().unwrap().id.clone()];
        let derived: DataProduct = owner.publish(&derived).await.ok().await;
        chain.push(derived);
    }
    let last = chain.last().unwrap().clone();

    // Act: derive the source from the last product, closing the loop.
    let mut looped = source.clone();
    looped.inputs = vec![last.id.clone()];
    let (status, error) = owner.update(&looped).await.error().await;

    // Assert: refused with the way round the loop; the source is unchanged.
    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(codes(&error), [(ViolationCode::CircularLineage, "inputs[0]")]);
    let path = format!("`{}` -> `{}` -> `{}`", source.id, chain[1].id, last.id);
    assert!(error.details[0].message.contains(&path), "{:?}", error.details);
    let page: ProductDetail = app.product(&source.id).await.ok().await;
    assert!(page.lineage.inputs.is_empty());
}
