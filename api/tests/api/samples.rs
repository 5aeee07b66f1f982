//! Samples of records nobody vouches for: whoever can write to a product's topic chooses its bytes, and no record
//! may take the API down, make it decode with a schema of the writer's choosing or hold more than a sample shows.

use crate::common;

use std::collections::BTreeMap;

use meshport_api::kafka::NewTopic;
use meshport_shared::api::{Sample, SampleEvent};
use meshport_shared::{DataProduct, ErrorCode, SchemaFormat, TopicName};
use reqwest::StatusCode;
use serde_json::json;

use common::{Answer, TestApp, Who, product, unique};

/// A record that can hold itself, and an array: a schema its owners may register, and whose records can be made as
/// deep or claim as many items as their writer likes.
const NODE: &str = r#"{"type": "record", "name": "Node", "fields": [
    {"name": "next", "type": ["null", "Node"]},
    {"name": "items", "type": {"type": "array", "items": "long"}}
]}"#;
const OTHER: &str = r#"{"type": "record", "name": "Other", "fields": [{"name": "secret", "type": "string"}]}"#;

/// A published product of one partition whose value subject's only version is `schema`, and that version's id.
async fn published_with(app: &TestApp, schema: &str) -> (DataProduct, i32) {
    let topic = TopicName::parse(unique("untrusted")).unwrap();
    let spec = NewTopic {
        name: topic.clone(),
        partitions: 1,
        replication_factor: 1,
        configs: BTreeMap::from([("retention.ms".to_owned(), "-1".to_owned())]),
    };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
    let id = app.state.mesh.registry.register(&format!("{topic}-value"), schema, SchemaFormat::Avro).await.unwrap();
    let published = app.as_(Who::Owner).publish(&product(topic.as_str(), "execution")).await.ok().await;
    (published, id)
}

/// `body` in Confluent's wire format: the magic byte and the schema id first.
fn framed(schema_id: i32, body: &[u8]) -> Vec<u8> {
    let mut framed = vec![0];
    framed.extend(schema_id.to_be_bytes());
    framed.extend(body);
    framed
}

/// Avro's zig-zag varint of `n`.
fn long(n: i64) -> Vec<u8> {
    let mut bits = ((n << 1) ^ (n >> 63)) as u64;
    let mut bytes = Vec::new();
    while bits >= 0x80 {
        bytes.push((bits & 0x7f) as u8 | 0x80);
        bits >>= 7;
    }
    bytes.push(bits as u8);
    bytes
}

/// `levels` nodes, each the `next` of the one before, the last one's `next` null, every `items` empty.
fn nested(levels: usize) -> Vec<u8> {
    let mut bytes = vec![2; levels - 1];
    bytes.extend(std::iter::repeat_n(0, levels + 1));
    bytes
}

fn why(event: &SampleEvent) -> &str {
    let why = event.undecodable.as_deref().unwrap_or_else(|| panic!("decoded: {:?}", event.value));
    assert_eq!(event.value, json!({ "undecodable": why }), "clients that predate `undecodable` read it in the value");
    why
}

#[tokio::test]
async fn hostile_records_are_undecodable_entries_and_the_api_stays_up() {
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await;
    let (published, node) = published_with(&app, NODE).await;
    let foreign =
        app.state.mesh.registry.register(&format!("{}-value", unique("foreign")), OTHER, SchemaFormat::Avro).await;
    let foreign = foreign.unwrap();
    let topic = &published.output_port.topic;
    let records = [
        // 100,000 levels deep: reading it recursively without a limit overflows the stack and aborts the process.
        (None, framed(node, &nested(100_000))),
        // Another subject's schema: the writer chooses the id, and with it what decoding costs.
        (None, framed(foreign, &[12, b's', b'e', b'c', b'r', b'e', b't'])),
        // An array that claims 500 million items: reserving them takes tens of gigabytes.
        (None, framed(node, &[[0].as_slice(), &long(500_000_000)].concat())),
        // Larger than a sample decodes, under a key larger than it shows.
        (Some(vec![b'k'; 2048]), framed(node, &vec![0; 300 * 1024])),
        (Some(b"fine".to_vec()), framed(node, &nested(2))),
    ];
    for (key, value) in &records {
        app.state.mesh.kafka.produce(topic, key.as_deref(), value).await.unwrap();
    }

    let sample: Sample = app.as_(Who::Owner).sample(&published.id, 10).await.ok().await;

    let [deep, other, claims, large, fine] = &sample.events[..] else { panic!("five events: {sample:?}") };
    assert!(why(deep).contains("deeper than 64 levels"), "{deep:?}");
    assert_eq!(deep.schema_id, Some(node));
    assert!(why(other).contains(&format!("schema {foreign} is not a version of `{topic}-value`")), "{other:?}");
    assert!(why(claims).contains(&format!("does not match schema {node}")), "{claims:?}");
    assert!(why(large).contains("a sample decodes values up to 256 KiB"), "{large:?}");
    assert_eq!(large.key.as_deref(), Some("(2048 bytes, too long to show)"));
    assert_eq!(fine.undecodable, None);
    assert_eq!(fine.value, json!({"next": {"next": null, "items": []}, "items": []}));
    assert_eq!(fine.key.as_deref(), Some("fine"));
    // Still up, and still sampling.
    assert_eq!(app.health().await.version, env!("CARGO_PKG_VERSION"));
    let again: Sample = app.as_(Who::Owner).sample(&published.id, 1).await.ok().await;
    assert_eq!(again.events.last().map(|e| e.offset), Some(fine.offset));
}

#[tokio::test]
async fn a_version_registered_after_the_last_sync_is_found_in_the_registry() {
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await;
    let (published, _) = published_with(&app, NODE).await;
    // A compatible second version, which the catalog has not mirrored yet.
    let evolved =
        NODE.replace(r#"{"name": "items""#, r#"{"name": "note", "type": "string", "default": ""}, {"name": "items""#);
    let subject = published.output_port.value_subject.as_str();
    let v2 = app.state.mesh.registry.register(subject, &evolved, SchemaFormat::Avro).await.unwrap();
    let body = [vec![0, 4], b"hi".to_vec(), vec![0]].concat();
    app.state.mesh.kafka.produce(&published.output_port.topic, None, &framed(v2, &body)).await.unwrap();

    let sample: Sample = app.as_(Who::Owner).sample(&published.id, 1).await.ok().await;

    assert_eq!(sample.events[0].value, json!({"next": null, "note": "hi", "items": []}), "{sample:?}");
}

#[tokio::test]
async fn samples_read_with_kept_consumers() {
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await;
    let (published, node) = published_with(&app, NODE).await;
    app.state.mesh.kafka.produce(&published.output_port.topic, None, &framed(node, &nested(1))).await.unwrap();

    for _ in 0..3 {
        let sample: Sample = app.as_(Who::Owner).sample(&published.id, 5).await.ok().await;
        assert_eq!(sample.events.len(), 1);
    }

    assert_eq!(app.state.mesh.kafka.sampling_consumers(), 1, "one consumer, kept, served the three samples");
}

#[tokio::test]
async fn a_sample_kafka_cannot_serve_is_unavailable_with_a_hint_when_to_retry() {
    let kafka = format!("127.0.0.1:{}", common::closed_port());
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_KAFKA_BOOTSTRAP", kafka)]).await;
    let stored = product(&unique("offline"), "execution");
    app.state.mesh.catalog.put_product(stored.clone(), None, common::audit(&stored)).await.unwrap();

    let response = app.as_(Who::Owner).sample(&stored.id, 5).await;

    assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("2"));
    let (status, error) = response.error().await;
    assert_eq!((status, error.code), (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::KafkaUnavailable));
}
