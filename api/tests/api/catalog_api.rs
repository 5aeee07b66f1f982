//! The catalog API end to end: publish, create, update, evolve, deprecate, retire, delete a topic and search, over
//! HTTP against a real Kafka broker, the project's registry and the embedded catalog, signed in with dev tokens.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;

use meshport_api::kafka::NewTopic;
use meshport_shared::api::{
    Activity, EvolveResponse, Lineage, ProductDetail, ProductRef, PublishableTopic, SchemaCheck, SchemaDetail,
};
use meshport_shared::search::SearchPage;
use meshport_shared::{
    ApiError, AuditAction, ConfigSource, DataProduct, ErrorCode, HistoryKind, ProductStatus, Quality, SchemaFormat,
    TopicName, ViolationCode,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use common::faults::{FaultyCatalog, hook};
use common::{TestApp, product, unique};

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

/// The demo organisation's people, as dev tokens.
#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    /// A member of `edge`, which owns no product in these tests.
    OtherTeam,
    /// A member of `trading`, the owning team of the tests' products.
    Owner,
    Admin,
}

struct Api {
    app: TestApp,
}

impl Api {
    async fn spawn() -> Self {
        Self { app: TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await }
    }

    /// An API whose catalog fails, or lets a change race in, where the test arms it.
    async fn with_faults() -> (Self, Arc<FaultyCatalog>) {
        let faulty = std::sync::Mutex::new(None);
        let app = TestApp::spawn_with_catalog(&[("MESHPORT_DEV_AUTH", "true".into())], |catalog| {
            let catalog = FaultyCatalog::new(catalog);
            *faulty.lock().unwrap() = Some(catalog.clone());
            catalog
        })
        .await;
        let faulty = faulty.into_inner().unwrap().expect("the catalog was wrapped");
        (Self { app }, faulty)
    }

    async fn token(&self, who: Who) -> Option<String> {
        let body = match who {
            Who::Anonymous => return None,
            Who::OtherTeam => json!({"user": "bob", "teams": ["edge"], "admin": false}),
            Who::Owner => json!({"user": "carol", "teams": ["trading"], "admin": false}),
            Who::Admin => json!({"user": "root", "teams": [], "admin": true}),
        };
        let response = self.app.http.post(self.app.url("/api/v1/dev/token")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let token: Value = response.json().await.unwrap();
        Some(token["token"].as_str().unwrap().to_owned())
    }

    async fn call(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self.app.http.request(method, self.app.url(path));
        if let Some(token) = self.token(who).await {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn ok<T: serde::de::DeserializeOwned>(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> T {
        let response = self.call(who, method.clone(), path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn error(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> (StatusCode, ApiError) {
        let response = self.call(who, method.clone(), path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(!status.is_success(), "{method} {path} should fail: {text}");
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an error body ({e}): {text}")))
    }

    /// A topic with a registered value schema, not yet a product.
    async fn topic_with_schema(&self, prefix: &str) -> TopicName {
        let topic = TopicName::parse(unique(prefix)).unwrap();
        let spec = NewTopic {
            name: topic.clone(),
            partitions: 2,
            replication_factor: 1,
            configs: BTreeMap::from([("retention.ms".to_owned(), "-1".to_owned())]),
        };
        self.app.state.mesh.kafka.create_topic(&spec).await.unwrap();
        self.app.state.mesh.registry.register(&format!("{topic}-value"), ORDER_V1, SchemaFormat::Avro).await.unwrap();
        topic
    }

    /// A published product owned by `trading`, on a fresh topic.
    async fn published(&self) -> DataProduct {
        let topic = self.topic_with_schema("orders").await;
        let body = serde_json::to_value(product(topic.as_str(), "execution")).unwrap();
        self.ok(Who::Owner, Method::POST, "/api/v1/products/publish", Some(body)).await
    }
}

fn create_body(id: &str, schema: &str) -> Value {
    json!({
        "product": product(id, "execution"),
        "topic": {"partitions": 3, "retention_ms": 604800000, "cleanup_policy": "delete"},
        "schema": schema,
    })
}

fn codes(error: &ApiError) -> Vec<(ViolationCode, &str)> {
    error.details.iter().map(|v| (v.code, v.field.as_str())).collect()
}

#[tokio::test]
async fn publishing_a_topic_makes_a_product_whose_page_shows_topic_schema_and_history() {
    let api = Api::spawn().await;

    let published = api.published().await;
    let detail: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", published.id), None).await;

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
    let api = Api { app };
    let published = api.published().await;

    let detail: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", published.id), None).await;

    assert_eq!(detail.consume.bootstrap_servers, "kafka.acme.example:9094");
    assert_eq!(detail.consume.registry_url, "https://schemas.acme.example");
}

#[tokio::test]
async fn lineage_links_a_derived_product_and_its_input_both_ways() {
    let api = Api::spawn().await;
    let source = api.published().await;
    let topic = api.topic_with_schema("enriched").await;
    let mut derived = product(topic.as_str(), "execution");
    derived.inputs = vec![source.id.clone()];

    let derived: DataProduct = api
        .ok(Who::Owner, Method::POST, "/api/v1/products/publish", Some(serde_json::to_value(&derived).unwrap()))
        .await;
    let source_page: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", source.id), None).await;
    let derived_page: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", derived.id), None).await;

    assert_eq!(source_page.lineage, Lineage { inputs: vec![], downstream: vec![ProductRef::of(&derived)] });
    assert_eq!(derived_page.lineage, Lineage { inputs: vec![ProductRef::of(&source)], downstream: vec![] });

    // Dropping the input drops the edge from both pages.
    let mut unlinked = derived.clone();
    unlinked.inputs.clear();
    let _: DataProduct = api
        .ok(
            Who::Owner,
            Method::PUT,
            &format!("/api/v1/products/{}", derived.id),
            Some(serde_json::to_value(&unlinked).unwrap()),
        )
        .await;
    let source_page: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", source.id), None).await;
    assert!(source_page.lineage.downstream.is_empty(), "{:?}", source_page.lineage);
}

#[tokio::test]
async fn inputs_must_name_other_products_that_exist() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let topic = api.topic_with_schema("derived").await;
    let mut derived = product(topic.as_str(), "execution");
    derived.inputs = vec!["no-such-product".parse().unwrap(), derived.id.clone(), published.id.clone()];
    let mut updated = published.clone();
    updated.inputs = vec![published.id.clone(), "gone".parse().unwrap()];

    let (status, publish_error) = api
        .error(Who::Owner, Method::POST, "/api/v1/products/publish", Some(serde_json::to_value(&derived).unwrap()))
        .await;
    let (_, update_error) = api
        .error(
            Who::Owner,
            Method::PUT,
            &format!("/api/v1/products/{}", published.id),
            Some(serde_json::to_value(&updated).unwrap()),
        )
        .await;

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
    let api = Api::spawn().await;
    let mut bad = product(&unique("ghost"), "execution");
    bad.owner.contact.clear();
    bad.name = String::new();
    bad.version = "one".into();

    let (status, error) = api
        .error(Who::Owner, Method::POST, "/api/v1/products/publish", Some(serde_json::to_value(&bad).unwrap()))
        .await;

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
    let api = Api::spawn().await;
    let topic = TopicName::parse(unique("raw")).unwrap();
    let spec = NewTopic { name: topic.clone(), partitions: 1, replication_factor: 1, configs: BTreeMap::new() };
    api.app.state.mesh.kafka.create_topic(&spec).await.unwrap();

    let body = serde_json::to_value(product(topic.as_str(), "execution")).unwrap();
    let (_, error) = api.error(Who::Owner, Method::POST, "/api/v1/products/publish", Some(body)).await;

    assert_eq!(codes(&error), [(ViolationCode::SchemaMissing, "output_port.value_subject")]);
}

#[tokio::test]
async fn publishable_topics_are_the_synced_topics_no_product_uses() {
    let api = Api::spawn().await;
    let free = api.topic_with_schema("free").await;
    let taken = api.published().await;
    meshport_api::sync::run_once(&api.app.state.mesh).await.unwrap();

    let topics: Vec<PublishableTopic> =
        api.ok(Who::Anonymous, Method::GET, "/api/v1/domains/execution/publishable-topics", None).await;

    let free_topic = topics.iter().find(|t| t.name == free).expect("the unpublished topic is offered");
    assert!(free_topic.has_value_schema);
    assert!(topics.iter().all(|t| t.name != taken.output_port.topic));
    let (status, _) = api.error(Who::Anonymous, Method::GET, "/api/v1/domains/finance/publishable-topics", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn creating_makes_topic_schema_and_an_active_product_in_one_step() {
    let api = Api::spawn().await;
    let id = unique("payments");

    let created: DataProduct =
        api.ok(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_V1))).await;

    assert_eq!(created.status, ProductStatus::Active);
    let topic = api.app.state.mesh.kafka.topic(&created.output_port.topic).await.unwrap().unwrap();
    assert_eq!(topic.partitions, 3);
    assert_eq!(api.app.state.mesh.registry.versions(&format!("{id}-value")).await.unwrap(), [1]);
    let history: Activity = api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{id}/history"), None).await;
    let actions: Vec<&str> = history.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["published", "created"]);
}

#[tokio::test]
async fn a_create_with_an_invalid_schema_is_refused_before_anything_is_made() {
    let api = Api::spawn().await;
    let id = unique("broken");

    let (status, error) = api
        .error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, "{\"type\": \"recrod\"}")))
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&error), [(ViolationCode::RequiredFieldMissing, "schema")]);
    assert!(api.app.state.mesh.kafka.topic(&TopicName::parse(&id).unwrap()).await.unwrap().is_none());
    assert!(api.app.state.mesh.catalog.get_product(&id.parse().unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_create_on_a_subject_whose_versions_the_schema_breaks_is_refused_before_anything_is_made() {
    let api = Api::spawn().await;
    let id = unique("clash");
    api.app.state.mesh.registry.register(&format!("{id}-value"), ORDER_V1, SchemaFormat::Avro).await.unwrap();

    let (status, error) =
        api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_BREAKING))).await;

    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(codes(&error), [(ViolationCode::BreakingChange, "schema")]);
    assert!(error.details[0].message.contains(&format!("`{id}-value` holds versions")), "{}", error.details[0].message);
    assert!(api.app.state.mesh.kafka.topic(&TopicName::parse(&id).unwrap()).await.unwrap().is_none(), "no topic");
    assert!(api.app.state.mesh.catalog.product_history(&id.parse().unwrap(), 10).await.unwrap().is_empty(), "no audit");
}

#[tokio::test]
async fn a_create_with_kafka_down_fails_cleanly_and_leaves_nothing_behind() {
    let closed = format!("127.0.0.1:{}", common::closed_port());
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_KAFKA_BOOTSTRAP", closed)]).await;
    let api = Api { app };
    let id = unique("offline");

    let (status, error) =
        api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_V1))).await;

    assert_eq!((status, error.code), (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::KafkaUnavailable));
    assert!(api.app.state.mesh.catalog.get_product(&id.parse().unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn an_update_at_a_stale_revision_is_refused_and_the_current_one_wins() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let path = format!("/api/v1/products/{}", published.id);
    let mut first = published.clone();
    first.description.purpose = "Orders, as placed".into();
    let mut stale = published.clone();
    stale.description.purpose = "Orders, stale".into();

    let updated: DataProduct =
        api.ok(Who::Owner, Method::PUT, &path, Some(serde_json::to_value(&first).unwrap())).await;
    let (status, error) = api.error(Who::Owner, Method::PUT, &path, Some(serde_json::to_value(&stale).unwrap())).await;

    assert_eq!(updated.revision, 2);
    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    let detail: ProductDetail = api.ok(Who::Anonymous, Method::GET, &path, None).await;
    assert_eq!(detail.product.description.purpose, "Orders, as placed");
}

#[tokio::test]
async fn an_update_without_the_revision_read_is_a_bad_request_that_says_what_to_send() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let path = format!("/api/v1/products/{}", published.id);
    let mut body = serde_json::to_value(&published).unwrap();
    body.as_object_mut().unwrap().remove("revision");

    let (status, error) = api.error(Who::Owner, Method::PUT, &path, Some(body)).await;

    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::BadRequest));
    assert!(error.message.contains("send the revision"), "{}", error.message);
}

#[tokio::test]
async fn an_update_takes_the_revision_from_if_match_and_never_changes_the_topic() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let path = format!("/api/v1/products/{}", published.id);
    let mut moved = published.clone();
    moved.output_port.topic = TopicName::parse("elsewhere").unwrap();
    moved.revision = 99;
    let token = api.token(Who::Owner).await.unwrap();

    let response = api
        .app
        .http
        .put(api.app.url(&path))
        .bearer_auth(token)
        .header("If-Match", "\"1\"")
        .json(&moved)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(codes(&error)[0], (ViolationCode::Immutable, "output_port.topic"));
}

#[tokio::test]
async fn a_compatible_schema_is_registered_and_the_product_gets_a_minor_version() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let path = format!("/api/v1/products/{}/schema", published.id);

    let dry: EvolveResponse =
        api.ok(Who::Owner, Method::POST, &path, Some(json!({"schema": ORDER_V2, "dry_run": true}))).await;
    let evolved: EvolveResponse =
        api.ok(Who::Owner, Method::POST, &path, Some(json!({"schema": ORDER_V2, "revision": 1}))).await;

    assert!(dry.compatible && dry.registered_version.is_none());
    assert_eq!(dry.changes.len(), 1, "{:?}", dry.changes);
    assert!(!dry.changes[0].breaking);
    assert_eq!(evolved.registered_version, Some(2));
    let detail: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", published.id), None).await;
    assert_eq!(detail.product.version, "1.1.0");
    assert_eq!(detail.versions.len(), 2);
    let diff: Vec<Value> = api
        .ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}/schema/diff?from=1&to=2", published.id), None)
        .await;
    assert_eq!(diff.len(), 1);
}

#[tokio::test]
async fn a_breaking_schema_change_is_refused_with_each_break_in_words() {
    let api = Api::spawn().await;
    let published = api.published().await;

    let (status, error) = api
        .error(
            Who::Owner,
            Method::POST,
            &format!("/api/v1/products/{}/schema", published.id),
            Some(json!({"schema": ORDER_BREAKING, "revision": 1})),
        )
        .await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::IncompatibleSchema));
    assert_eq!(codes(&error), [(ViolationCode::BreakingChange, "channel")]);
    assert!(error.details[0].message.contains("default"), "{}", error.details[0].message);
    assert_eq!(
        api.app.state.mesh.registry.versions(&format!("{}-value", published.output_port.topic)).await.unwrap(),
        [1]
    );
}

#[tokio::test]
async fn a_breaking_change_can_become_a_new_major_version_that_replaces_the_old_product() {
    let api = Api::spawn().await;
    let published = api.published().await;

    let evolved: EvolveResponse = api
        .ok(
            Who::Owner,
            Method::POST,
            &format!("/api/v1/products/{}/schema", published.id),
            Some(json!({"schema": ORDER_BREAKING, "new_major_version": true, "revision": 1})),
        )
        .await;

    let successor = evolved.new_product.expect("a new major version");
    assert_eq!(successor.as_str(), format!("{}.v2", published.id));
    let new: ProductDetail = api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{successor}"), None).await;
    assert_eq!((new.product.version.as_str(), new.product.status), ("2.0.0", ProductStatus::Active));
    let old: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", published.id), None).await;
    assert_eq!(old.product.status, ProductStatus::Deprecated);
    assert_eq!(old.product.deprecation.unwrap().replacement, Some(successor));
}

#[tokio::test]
async fn deprecating_needs_a_real_replacement_and_retiring_hides_the_product_from_search() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let id = &published.id;
    let deprecate = format!("/api/v1/products/{id}/deprecate");

    let (_, bad) = api
        .error(
            Who::Owner,
            Method::POST,
            &deprecate,
            Some(json!({"sunset": "2027-13-01", "replacement": "nothing", "revision": 1})),
        )
        .await;
    let deprecated: DataProduct = api
        .ok(
            Who::Owner,
            Method::POST,
            &deprecate,
            Some(json!({"sunset": "2027-06-30", "message": "moving on", "revision": 1})),
        )
        .await;
    let retired: DataProduct =
        api.ok(Who::Owner, Method::POST, &format!("/api/v1/products/{id}/retire"), Some(json!({"revision": 2}))).await;
    let found: SearchPage = api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products?q={id}"), None).await;
    let with_retired: SearchPage =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products?q={id}&status=retired"), None).await;

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
    let api = Api::spawn().await;
    let published = api.published().await;
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
        (partition, _) = api
            .app
            .state
            .mesh
            .kafka
            .produce(&published.output_port.topic, Some(b"key"), event.as_bytes())
            .await
            .unwrap();
    }
    let mut offsets = rdkafka::TopicPartitionList::new();
    offsets.add_partition_offset(published.output_port.topic.as_str(), partition, rdkafka::Offset::Offset(1)).unwrap();
    consumer.commit(&offsets, CommitMode::Sync).unwrap();
    let path = format!("/api/v1/products/{}/topic", published.id);
    meshport_api::sync::run_once(&api.app.state.mesh).await.unwrap();
    let before: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", published.id), None).await;
    let reader =
        before.consumers.iter().find(|c| c.group == group).expect("the group is on the product page after a sync");
    // Three records, one read: two left, exactly.
    assert_eq!(reader.partitions[0].partition, partition);
    assert_eq!(reader.partitions[0].committed, Some(1));
    assert_eq!(reader.partitions[0].end_offset, Some(3));
    assert_eq!(reader.partitions[0].lag, Some(2));

    let (status, error) = api.error(Who::Owner, Method::DELETE, &format!("{path}?revision=1"), None).await;
    let deleted: DataProduct = api.ok(Who::Owner, Method::DELETE, &format!("{path}?revision=1&force=true"), None).await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error.message.contains("consumer groups"), "{}", error.message);
    assert_eq!(deleted.revision, 2);
    assert!(api.app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().is_none());
    let detail: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", published.id), None).await;
    assert!(detail.warnings.iter().any(|w| w.contains("not found on the cluster")), "{:?}", detail.warnings);
}

#[tokio::test]
async fn owners_change_partitions_retention_and_cleanup_and_the_change_is_mirrored_and_audited() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let path = format!("/api/v1/products/{}/topic", published.id);
    let page = format!("/api/v1/products/{}", published.id);

    let changed: DataProduct = api
        .ok(
            Who::Owner,
            Method::PATCH,
            &path,
            Some(
                json!({"revision": 1, "partitions": 4, "retention_ms": 86_400_000, "cleanup_policy": "compact,delete"}),
            ),
        )
        .await;

    assert_eq!(changed.revision, 2);
    let detail: ProductDetail = api.ok(Who::Anonymous, Method::GET, &page, None).await;
    let topic = detail.topic.expect("the mirror holds the changed topic");
    assert_eq!(topic.partitions, 4);
    assert_eq!(topic.history, HistoryKind::CompactedWindow { retention_ms: 86_400_000 });
    assert_eq!(topic.config_sources.get("retention.ms"), Some(&ConfigSource::Topic));
    assert_eq!(topic.config_sources.get("segment.bytes"), Some(&ConfigSource::Default), "defaults are mirrored too");
    let entry = detail.history.iter().find(|e| e.action == AuditAction::TopicChanged).expect("the change is audited");
    assert!(entry.summary.contains("partitions 2 -> 4"), "{}", entry.summary);
    assert!(entry.summary.contains("retention.ms -1 -> 86400000"), "{}", entry.summary);
    assert_eq!(entry.actor, "dev:carol");
    let cluster = api.app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().unwrap();
    assert_eq!(cluster.configs.get("cleanup.policy").map(String::as_str), Some("compact,delete"));
}

#[tokio::test]
async fn a_topic_change_beyond_the_policy_or_taking_partitions_away_is_refused_with_every_reason() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let path = format!("/api/v1/products/{}/topic", published.id);

    let (fewer_status, fewer) =
        api.error(Who::Owner, Method::PATCH, &path, Some(json!({"revision": 1, "partitions": 1}))).await;
    let (beyond_status, beyond) = api
        .error(
            Who::Owner,
            Method::PATCH,
            &path,
            Some(json!({"revision": 1, "partitions": 1000, "retention_ms": 1000, "cleanup_policy": "keep"})),
        )
        .await;
    let (nothing_status, nothing) =
        api.error(Who::Owner, Method::PATCH, &path, Some(json!({"revision": 1, "partitions": 2}))).await;
    let (stale_status, _) =
        api.error(Who::Owner, Method::PATCH, &path, Some(json!({"revision": 7, "partitions": 3}))).await;
    let (missing_status, _) = api.error(Who::Owner, Method::PATCH, &path, Some(json!({"partitions": 3}))).await;

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
    assert_eq!(nothing_status, StatusCode::BAD_REQUEST);
    assert!(nothing.message.contains("nothing to change"), "{}", nothing.message);
    assert_eq!(stale_status, StatusCode::CONFLICT);
    assert_eq!(missing_status, StatusCode::BAD_REQUEST);
    let cluster = api.app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().unwrap();
    assert_eq!(cluster.partitions, 2, "nothing reached the cluster");
    assert_eq!(cluster.configs.get("retention.ms").map(String::as_str), Some("-1"));
}

#[tokio::test]
async fn search_finds_products_by_text_and_schema_fields_with_facets() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let mut curated = product(&unique("refunds"), "execution");
    curated.quality = Quality::Raw;
    api.app.seed(curated).await;

    let by_field: SearchPage = api.ok(Who::Anonymous, Method::GET, "/api/v1/products?q=cents", None).await;
    let filtered: SearchPage = api.ok(Who::Anonymous, Method::GET, "/api/v1/products?quality=raw", None).await;
    let (status, error) = api.error(Who::Anonymous, Method::GET, "/api/v1/products?quality=gold", None).await;

    assert_eq!(by_field.items.iter().map(|p| &p.id).collect::<Vec<_>>(), [&published.id], "found by a schema field");
    assert_eq!(filtered.total, 1);
    assert!(filtered.facets.quality.iter().any(|f| f.value == "curated" && f.count == 1), "{:?}", filtered.facets);
    assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::BadRequest));
    assert!(error.message.contains("quality"), "{}", error.message);
}

#[tokio::test]
async fn bad_bodies_get_clear_errors_never_a_500() {
    let api = Api::spawn().await;
    let token = api.token(Who::Owner).await.unwrap();
    let post = |body: String| {
        api.app
            .http
            .post(api.app.url("/api/v1/products/publish"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
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
    let api = Api::spawn().await;
    let expected = [
        (Who::Anonymous, Some(StatusCode::UNAUTHORIZED)),
        (Who::OtherTeam, Some(StatusCode::FORBIDDEN)),
        (Who::Owner, None),
        (Who::Admin, None),
    ];
    for (who, refusal) in expected {
        let published = api.published().await;
        let id = &published.id;
        let topic = api.topic_with_schema("matrix").await;
        let routes: Vec<(Method, String, Value)> = vec![
            (
                Method::POST,
                "/api/v1/products/publish".into(),
                serde_json::to_value(product(topic.as_str(), "execution")).unwrap(),
            ),
            (Method::POST, "/api/v1/products/create".into(), create_body(&unique("matrix"), ORDER_V1)),
            (Method::PUT, format!("/api/v1/products/{id}"), serde_json::to_value(&published).unwrap()),
            (Method::POST, format!("/api/v1/products/{id}/schema"), json!({"schema": ORDER_V2, "dry_run": true})),
            (Method::PATCH, format!("/api/v1/products/{id}/topic"), json!({"partitions": 3, "revision": 2})),
            (Method::POST, format!("/api/v1/products/{id}/deprecate"), json!({"sunset": "2027-06-30", "revision": 3})),
            (Method::POST, format!("/api/v1/products/{id}/retire"), json!({"revision": 4})),
            (Method::DELETE, format!("/api/v1/products/{id}/topic?revision=5"), Value::Null),
        ];
        for (method, path, body) in routes {
            let body = (!body.is_null()).then_some(body);
            let response = api.call(who, method.clone(), &path, body).await;
            let status = response.status();
            let text = response.text().await.unwrap();
            match refusal {
                Some(refused) => assert_eq!(status, refused, "{who:?} {method} {path}: {text}"),
                None => assert!(status.is_success(), "{who:?} {method} {path}: {status} {text}"),
            }
        }
    }
    let (status, _) = api.error(Who::Owner, Method::POST, "/api/v1/sync", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "sync on demand is for admins");
    let _: Value = api.ok(Who::Admin, Method::POST, "/api/v1/sync", None).await;
}

/// Every read route against anonymous, another team, the owning team and an admin, with reads private and public.
#[tokio::test]
async fn reads_need_sign_in_unless_the_organisation_opens_them_and_anyone_signed_in_reads_everything() {
    for public in [false, true] {
        let vars = [("MESHPORT_DEV_AUTH", "true".to_owned()), ("MESHPORT_PUBLIC_READS", public.to_string())];
        let api = Api { app: TestApp::spawn(&vars).await };
        let published = api.published().await;
        let id = &published.id;
        let reads: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, "/api/v1/products?q=orders".into(), None),
            (Method::GET, format!("/api/v1/products/{id}"), None),
            (Method::GET, format!("/api/v1/products/{id}/history"), None),
            (Method::GET, format!("/api/v1/products/{id}/schema/diff?from=1&to=1"), None),
            (Method::GET, format!("/api/v1/products/{id}/sample?limit=1"), None),
            (Method::GET, "/api/v1/domains/execution/publishable-topics".into(), None),
            (Method::GET, "/api/v1/activity".into(), None),
            (Method::GET, format!("/api/v1/subjects/{}", published.output_port.value_subject), None),
            (Method::POST, "/api/v1/schemas/check".into(), Some(json!({"format": "avro", "schema": ORDER_V1}))),
            (Method::GET, "/api/v1/policy".into(), None),
        ];
        for who in [Who::Anonymous, Who::OtherTeam, Who::Owner, Who::Admin] {
            let refused = matches!(who, Who::Anonymous) && !public;
            for (method, path, body) in &reads {
                let response = api.call(who, method.clone(), path, body.clone()).await;
                let status = response.status();
                let text = response.text().await.unwrap();
                if refused {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{who:?} {method} {path}: {text}");
                    let error: ApiError = serde_json::from_str(&text).unwrap();
                    assert_eq!(error.code, ErrorCode::Unauthorized);
                    assert!(error.message.contains("sign in first"), "{}", error.message);
                } else {
                    assert!(status.is_success(), "{who:?} {method} {path} (public reads: {public}): {status} {text}");
                }
            }
            let me = api.call(who, Method::GET, "/api/v1/me", None).await.status();
            assert_eq!(me == StatusCode::UNAUTHORIZED, matches!(who, Who::Anonymous), "{who:?} /api/v1/me");
        }
        // What a caller needs before signing in, and the embeds (guarded by MESHPORT_PUBLIC_CARDS), stay open.
        for path in ["/api/health".to_owned(), "/api/v1/dev/users".to_owned(), format!("/embed/products/{id}")] {
            let status = api.call(Who::Anonymous, Method::GET, &path, None).await.status();
            assert_eq!(status, StatusCode::OK, "{path} (public reads: {public})");
        }
        let (status, _) = api.error(Who::Anonymous, Method::GET, "/api/v1/nothing", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "an unknown route is still unknown");
    }
}

#[tokio::test]
async fn a_sample_shows_the_newest_events_decoded_with_personal_fields_masked() {
    use apache_avro::types::Value as Avro;
    let api = Api::spawn().await;
    let published = api.published().await;
    let mut marked = published.clone();
    marked.personal_fields = vec!["id".into()];
    let _: DataProduct = api
        .ok(
            Who::Owner,
            Method::PUT,
            &format!("/api/v1/products/{}", published.id),
            Some(serde_json::to_value(&marked).unwrap()),
        )
        .await;
    let subject = format!("{}-value", published.output_port.topic);
    let registered =
        api.app.state.mesh.registry.version(&subject, meshport_api::registry::VersionRef::Latest).await.unwrap();
    let schema = apache_avro::Schema::parse_str(ORDER_V1).unwrap();
    for cents in 0..15_i64 {
        let record = Avro::Record(vec![
            ("id".into(), Avro::String(format!("order-{cents}"))),
            ("cents".into(), Avro::Long(cents)),
        ]);
        let framed = meshport_api::demo::frame(&schema, registered.id as u32, record).unwrap();
        api.app.state.mesh.kafka.produce(&published.output_port.topic, Some(b"k"), &framed).await.unwrap();
    }
    api.app.state.mesh.kafka.produce(&published.output_port.topic, None, b"plain text").await.unwrap();

    let sample: meshport_shared::api::Sample =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}/sample?limit=5", published.id), None).await;

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
    let api = Api::spawn().await;
    let published = api.published().await;
    let mut takeover = product(&unique("takeover"), "analytics");
    takeover.output_port = published.output_port.clone();
    let mut system = product(&unique("system"), "execution");
    system.output_port.topic = TopicName::parse("_schemas").unwrap();
    system.output_port.value_subject = meshport_shared::SubjectName::value_of(&system.output_port.topic);

    let bob = json!({"user": "bob", "teams": ["edge"], "admin": false});
    let token: Value =
        api.app.http.post(api.app.url("/api/v1/dev/token")).json(&bob).send().await.unwrap().json().await.unwrap();
    let response = api
        .app
        .http
        .post(api.app.url("/api/v1/products/publish"))
        .bearer_auth(token["token"].as_str().unwrap())
        .json(&takeover)
        .send()
        .await
        .unwrap();
    let (_, system_error) = api
        .error(Who::Admin, Method::POST, "/api/v1/products/publish", Some(serde_json::to_value(&system).unwrap()))
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: ApiError = response.json().await.unwrap();
    assert!(codes(&error).contains(&(ViolationCode::TopicExists, "output_port.topic")), "{error:?}");
    assert!(codes(&error).contains(&(ViolationCode::Immutable, "output_port.value_subject")), "{error:?}");
    assert!(codes(&system_error).contains(&(ViolationCode::TopicExists, "output_port.topic")), "{system_error:?}");
}

#[tokio::test]
async fn an_update_cannot_point_a_product_at_another_subject() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let mut moved = published.clone();
    moved.output_port.value_subject = meshport_shared::SubjectName::parse("someone-elses-value").unwrap();

    let (status, error) = api
        .error(
            Who::Owner,
            Method::PUT,
            &format!("/api/v1/products/{}", published.id),
            Some(serde_json::to_value(&moved).unwrap()),
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&error), [(ViolationCode::Immutable, "output_port")]);
}

#[tokio::test]
async fn a_schema_is_checked_into_fields_or_refused_saying_what_is_wrong() {
    let api = Api::spawn().await;
    let check = |format: &str, schema: &str| json!({"format": format, "schema": schema});

    let fields: SchemaCheck =
        api.ok(Who::Anonymous, Method::POST, "/api/v1/schemas/check", Some(check("avro", ORDER_V1))).await;
    let (status, error) = api
        .error(Who::Anonymous, Method::POST, "/api/v1/schemas/check", Some(check("avro", r#"{"type": "recrod"}"#)))
        .await;
    let json_schema: SchemaCheck = api
        .ok(Who::Anonymous, Method::POST, "/api/v1/schemas/check", Some(check("json", r#"{"type": "object"}"#)))
        .await;
    let (bad_format, _) =
        api.error(Who::Anonymous, Method::POST, "/api/v1/schemas/check", Some(check("xml", "<a/>"))).await;

    let names: Vec<&str> = fields.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "cents"]);
    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSchema));
    assert!(error.message.contains("not a valid Avro schema"), "{}", error.message);
    assert!(json_schema.fields.is_empty());
    assert_eq!(bad_format, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_subjects_latest_mirrored_version_is_served_for_previews() {
    let api = Api::spawn().await;
    let topic = api.topic_with_schema("preview").await;
    meshport_api::sync::run_once(&api.app.state.mesh).await.unwrap();

    let detail: SchemaDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/subjects/{topic}-value"), None).await;
    let (status, error) =
        api.error(Who::Anonymous, Method::GET, &format!("/api/v1/subjects/{}-value", unique("none")), None).await;

    assert_eq!((detail.subject, detail.version), (format!("{topic}-value"), 1));
    assert_eq!(detail.fields.len(), 2);
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
}

#[tokio::test]
async fn a_dry_run_publish_checks_everything_and_changes_nothing() {
    let api = Api::spawn().await;
    let topic = api.topic_with_schema("dry").await;
    let body = serde_json::to_value(product(topic.as_str(), "execution")).unwrap();
    let mut bad = product(&unique("ghost"), "execution");
    bad.name.clear();
    let bad = serde_json::to_value(&bad).unwrap();
    let path = "/api/v1/products/publish?dry_run=true";

    let response = api.call(Who::Owner, Method::POST, path, Some(body.clone())).await;
    let status = response.status();
    let would_be: DataProduct = response.json().await.unwrap();
    let (_, dry_error) = api.error(Who::Owner, Method::POST, path, Some(bad.clone())).await;
    let (_, real_error) = api.error(Who::Owner, Method::POST, "/api/v1/products/publish", Some(bad)).await;
    let (anonymous, _) = api.error(Who::Anonymous, Method::POST, path, Some(body.clone())).await;
    let (other_team, _) = api.error(Who::OtherTeam, Method::POST, path, Some(body)).await;

    assert_eq!(status, StatusCode::OK, "a dry run stores nothing, so nothing is created");
    assert_eq!((would_be.status, would_be.revision), (ProductStatus::Active, 1));
    assert_eq!(dry_error, real_error, "the same violations as a real call");
    assert_eq!((anonymous, other_team), (StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN));
    assert!(api.app.state.mesh.catalog.get_product(&would_be.id).await.unwrap().is_none(), "nothing stored");
    assert!(api.app.state.mesh.catalog.product_history(&would_be.id, 10).await.unwrap().is_empty(), "nothing audited");
}

#[tokio::test]
async fn a_dry_run_create_checks_everything_and_makes_no_topic_schema_or_product() {
    let api = Api::spawn().await;
    let id = unique("dry-create");
    let taken = api.published().await;
    let mut clash = create_body(&unique("clash"), "");
    clash["product"]["output_port"] = serde_json::to_value(&taken.output_port).unwrap();
    let path = "/api/v1/products/create?dry_run=true";

    let would_be: DataProduct = api.ok(Who::Owner, Method::POST, path, Some(create_body(&id, ORDER_V1))).await;
    let (status, dry_error) = api.error(Who::Owner, Method::POST, path, Some(clash.clone())).await;
    let (_, real_error) = api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(clash)).await;

    assert_eq!((would_be.id.as_str(), would_be.status), (id.as_str(), ProductStatus::Active));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dry_error, real_error, "the same violations as a real call");
    assert!(codes(&dry_error).contains(&(ViolationCode::TopicExists, "output_port.topic")), "{dry_error:?}");
    assert!(codes(&dry_error).contains(&(ViolationCode::RequiredFieldMissing, "schema")), "{dry_error:?}");
    assert!(api.app.state.mesh.kafka.topic(&TopicName::parse(&id).unwrap()).await.unwrap().is_none(), "no topic");
    assert!(api.app.state.mesh.registry.versions(&format!("{id}-value")).await.is_err(), "no schema registered");
    assert!(api.app.state.mesh.catalog.get_product(&would_be.id).await.unwrap().is_none(), "no product");
    assert!(api.app.state.mesh.catalog.product_history(&would_be.id, 10).await.unwrap().is_empty(), "nothing audited");
}

#[tokio::test]
async fn an_evolve_or_a_topic_delete_at_a_stale_revision_is_refused_before_anything_happens() {
    let api = Api::spawn().await;
    let published = api.published().await;
    let id = &published.id;
    let _: DataProduct = api
        .ok(Who::Owner, Method::PUT, &format!("/api/v1/products/{id}"), Some(serde_json::to_value(&published).unwrap()))
        .await;
    let evolve = format!("/api/v1/products/{id}/schema");
    let topic = format!("/api/v1/products/{id}/topic");
    let token = api.token(Who::Owner).await.unwrap();
    let with_if_match = |method: Method, path: &str, tag: &str| {
        api.app.http.request(method, api.app.url(path)).bearer_auth(&token).header("If-Match", tag)
    };

    let (stale_body, _) =
        api.error(Who::Owner, Method::POST, &evolve, Some(json!({"schema": ORDER_V2, "revision": 1}))).await;
    let stale_header =
        with_if_match(Method::POST, &evolve, "\"1\"").json(&json!({"schema": ORDER_V2, "revision": 2})).send().await;
    let (missing, missing_error) =
        api.error(Who::Owner, Method::POST, &evolve, Some(json!({"schema": ORDER_V2}))).await;
    let dry: EvolveResponse =
        api.ok(Who::Owner, Method::POST, &evolve, Some(json!({"schema": ORDER_V2, "dry_run": true}))).await;
    let (stale_delete, _) = api.error(Who::Owner, Method::DELETE, &format!("{topic}?revision=1"), None).await;
    let stale_delete_header = with_if_match(Method::DELETE, &format!("{topic}?revision=2"), "1").send().await;
    let (no_revision_delete, _) = api.error(Who::Owner, Method::DELETE, &topic, None).await;

    assert_eq!(stale_body, StatusCode::CONFLICT);
    assert_eq!(stale_header.unwrap().status(), StatusCode::CONFLICT, "If-Match wins over the body");
    assert_eq!(missing, StatusCode::BAD_REQUEST);
    assert!(missing_error.message.contains("send the revision"), "{}", missing_error.message);
    assert!(dry.compatible, "a dry run may leave the revision out");
    assert_eq!(stale_delete, StatusCode::CONFLICT);
    assert_eq!(stale_delete_header.unwrap().status(), StatusCode::CONFLICT, "If-Match wins over the query");
    assert_eq!(no_revision_delete, StatusCode::BAD_REQUEST);
    let subject = format!("{}-value", published.output_port.topic);
    assert_eq!(api.app.state.mesh.registry.versions(&subject).await.unwrap(), [1], "nothing registered");
    assert!(api.app.state.mesh.kafka.topic(&published.output_port.topic).await.unwrap().is_some(), "no topic deleted");
    let history = api.app.state.mesh.catalog.product_history(id, 10).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["updated", "published"], "no audit entry for a refused change");

    let deleted = with_if_match(Method::DELETE, &topic, "W/\"2\"").send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::OK, "the current revision deletes");
}

#[tokio::test]
async fn a_change_racing_in_after_the_revision_check_still_loses_with_a_conflict_and_no_audit_entry() {
    let (api, faults) = Api::with_faults().await;
    let published = api.published().await;
    let id = &published.id;

    faults.race_after_read(id);
    let (evolve_status, evolve_error) = api
        .error(
            Who::Owner,
            Method::POST,
            &format!("/api/v1/products/{id}/schema"),
            Some(json!({"schema": ORDER_V2, "revision": 1})),
        )
        .await;
    faults.race_after_read(id);
    let (delete_status, _) =
        api.error(Who::Owner, Method::DELETE, &format!("/api/v1/products/{id}/topic?revision=2"), None).await;

    assert_eq!((evolve_status, evolve_error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    assert_eq!(delete_status, StatusCode::CONFLICT);
    let stored = api.app.state.mesh.catalog.get_product(id).await.unwrap().unwrap();
    assert_eq!((stored.revision, stored.version.as_str()), (3, "1.0.0"), "only the racing changes were stored");
    let history = api.app.state.mesh.catalog.product_history(id, 10).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["updated", "updated", "published"], "the losing changes left no audit entry");
}

/// What a create of `id` left: whether its topic exists, its subject's versions, the product, and the product's audit
/// actions, newest first.
async fn left_by_create(api: &Api, id: &str) -> (bool, Vec<i32>, Option<DataProduct>, Vec<String>) {
    let state = &api.app.state;
    let topic = state.mesh.kafka.topic(&TopicName::parse(id).unwrap()).await.unwrap().is_some();
    let versions = state.mesh.registry.versions(&format!("{id}-value")).await.unwrap_or_default();
    let product = state.mesh.catalog.get_product(&id.parse().unwrap()).await.unwrap();
    let history = state.mesh.catalog.product_history(&id.parse().unwrap(), 10).await.unwrap();
    (topic, versions, product, history.into_iter().map(|e| e.action.as_str().to_owned()).collect())
}

/// Someone registers `ORDER_V1` on `<id>-value` between a create's checks and its step 3.
fn registered_meanwhile(api: &Api, id: &str) -> common::faults::Hook {
    let (registry, subject) = (api.app.state.mesh.registry.clone(), format!("{id}-value"));
    hook(move || async move {
        registry.register(&subject, ORDER_V1, SchemaFormat::Avro).await.unwrap();
    })
}

#[tokio::test]
async fn a_create_whose_draft_cannot_be_stored_makes_nothing() {
    let (api, faults) = Api::with_faults().await;
    let id = unique("no-draft");
    faults.fail_put(1);

    let (status, error) =
        api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_V1))).await;

    assert_eq!((status, error.code), (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::CatalogUnavailable));
    let (topic, versions, product, history) = left_by_create(&api, &id).await;
    assert!(!topic && versions.is_empty() && product.is_none() && history.is_empty(), "{versions:?} {history:?}");
}

#[tokio::test]
async fn a_create_whose_topic_cannot_be_made_removes_its_draft_and_leaves_the_topic_it_found_alone() {
    let (api, faults) = Api::with_faults().await;
    let id = unique("taken-meanwhile");
    // Someone else creates the topic between the checks and step 2.
    let (kafka, topic) = (api.app.state.mesh.kafka.clone(), TopicName::parse(&id).unwrap());
    faults.after_put(
        1,
        hook(move || async move {
            let spec = NewTopic { name: topic, partitions: 1, replication_factor: 1, configs: BTreeMap::new() };
            kafka.create_topic(&spec).await.unwrap();
        }),
    );

    let (status, error) =
        api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_V1))).await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    let (topic, versions, product, history) = left_by_create(&api, &id).await;
    assert!(topic, "the topic someone else made is not ours to delete");
    assert!(versions.is_empty() && product.is_none(), "{versions:?}");
    assert_eq!(history, ["deleted", "created"], "the draft and its undo are on record");
}

#[tokio::test]
async fn a_create_whose_schema_is_refused_removes_its_topic_and_its_draft() {
    let (api, faults) = Api::with_faults().await;
    let id = unique("refused-meanwhile");
    faults.after_put(1, registered_meanwhile(&api, &id));

    let (status, error) =
        api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_BREAKING))).await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    let (topic, versions, product, history) = left_by_create(&api, &id).await;
    assert!(!topic, "the topic the create made is deleted again");
    assert_eq!(versions, [1], "only the other schema is registered");
    assert!(product.is_none());
    assert_eq!(history, ["deleted", "created"]);
}

#[tokio::test]
async fn a_create_whose_activation_fails_leaves_a_visible_draft_that_a_publish_finishes() {
    let (api, faults) = Api::with_faults().await;
    let id = unique("half-made");
    faults.fail_put(2);

    let (status, error) =
        api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_V1))).await;
    let page: ProductDetail = api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{id}"), None).await;
    let finished: DataProduct = api
        .ok(Who::Owner, Method::POST, "/api/v1/products/publish", Some(serde_json::to_value(&page.product).unwrap()))
        .await;

    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict));
    assert!(error.message.contains("visible as a draft: publish it to finish"), "{}", error.message);
    assert_eq!(page.product.status, ProductStatus::Draft, "the half-made product is visible, as a draft");
    assert_eq!(finished.status, ProductStatus::Active);
    let (topic, versions, _, history) = left_by_create(&api, &id).await;
    assert!(topic);
    assert_eq!(versions, [1]);
    assert_eq!(history, ["published", "created"]);
}

#[tokio::test]
async fn a_create_whose_undo_fails_leaves_a_visible_draft_that_the_next_create_takes_over() {
    let (api, faults) = Api::with_faults().await;
    let id = unique("stranded");
    faults.after_put(1, registered_meanwhile(&api, &id));
    faults.fail_deletes();

    let (status, _) =
        api.error(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_BREAKING))).await;
    let (topic, _, stranded, _) = left_by_create(&api, &id).await;
    faults.heal();
    let (other_team, _) =
        api.error(Who::OtherTeam, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_V1))).await;
    let retried: DataProduct =
        api.ok(Who::Owner, Method::POST, "/api/v1/products/create", Some(create_body(&id, ORDER_V1))).await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(!topic, "the topic was undone");
    assert_eq!(stranded.map(|p| p.status), Some(ProductStatus::Draft), "the draft stays visible, not half-hidden");
    assert_eq!(other_team, StatusCode::FORBIDDEN, "only its owners take a draft over");
    assert_eq!((retried.status, retried.revision), (ProductStatus::Active, 3));
    let (topic, versions, _, history) = left_by_create(&api, &id).await;
    assert!(topic);
    assert_eq!(versions, [1], "the same schema again is the same version");
    assert_eq!(history, ["published", "created", "created"]);
}

#[tokio::test]
async fn an_input_derived_from_the_product_itself_is_refused_as_a_cycle() {
    // Arrange: source -> middle -> last, each derived from the one before.
    let api = Api::spawn().await;
    let source = api.published().await;
    let mut chain = vec![source.clone()];
    for name in ["middle", "last"] {
        let topic = api.topic_with_schema(name).await;
        let mut derived = product(topic.as_str(), "execution");
        derived.inputs = vec![chain.last().unwrap().id.clone()];
        let derived: DataProduct = api
            .ok(Who::Owner, Method::POST, "/api/v1/products/publish", Some(serde_json::to_value(&derived).unwrap()))
            .await;
        chain.push(derived);
    }
    let last = chain.last().unwrap().clone();

    // Act: derive the source from the last product, closing the loop.
    let mut looped = source.clone();
    looped.inputs = vec![last.id.clone()];
    let (status, error) = api
        .error(
            Who::Owner,
            Method::PUT,
            &format!("/api/v1/products/{}", source.id),
            Some(serde_json::to_value(&looped).unwrap()),
        )
        .await;

    // Assert: refused with the way round the loop; the source is unchanged.
    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(codes(&error), [(ViolationCode::CircularLineage, "inputs[0]")]);
    let path = format!("`{}` -> `{}` -> `{}`", source.id, chain[1].id, last.id);
    assert!(error.details[0].message.contains(&path), "{:?}", error.details);
    let page: ProductDetail =
        api.ok(Who::Anonymous, Method::GET, &format!("/api/v1/products/{}", source.id), None).await;
    assert!(page.lineage.inputs.is_empty());
}
