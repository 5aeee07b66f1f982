//! Mirror sync against a real Kafka broker and the project's registry: what it adds, changes and flags, and that
//! a second run changes nothing.

use crate::common;

use std::collections::BTreeMap;

use meshport_api::kafka::NewTopic;
use meshport_api::sync::run_once;
use meshport_shared::{HistoryKind, SchemaFormat, TopicName};

use common::{TestApp, product, unique};

async fn create_topic(app: &TestApp, name: &TopicName, partitions: i32, configs: &[(&str, &str)]) {
    let configs: BTreeMap<String, String> = configs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    let spec = NewTopic { name: name.clone(), partitions, replication_factor: 1, configs };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
}

#[tokio::test]
async fn a_new_topic_and_its_schema_appear_in_the_mirror_and_a_second_sync_changes_nothing() {
    let app = TestApp::spawn(&[]).await;
    let topic = TopicName::parse(unique("orders")).unwrap();
    create_topic(&app, &topic, 3, &[("cleanup.policy", "compact")]).await;
    let subject = format!("{topic}-value");
    app.state
        .mesh
        .registry
        .register(
            &subject,
            r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#,
            SchemaFormat::Avro,
        )
        .await
        .unwrap();

    let first = run_once(&app.state.mesh).await.unwrap();
    let second = run_once(&app.state.mesh).await.unwrap();

    assert!(first.topics_added.contains(&topic.to_string()), "{first:?}");
    assert_eq!(first.schema_versions_added, [format!("{subject} v1")]);
    let mirrored = app.state.mesh.catalog.topic(&topic).await.unwrap().unwrap();
    assert_eq!((mirrored.partitions, mirrored.history, mirrored.present), (3, HistoryKind::Compacted, true));
    assert_eq!(app.state.mesh.catalog.schema_versions(&subject).await.unwrap().len(), 1);
    assert!(!second.topics_added.contains(&topic.to_string()), "{second:?}");
    assert!(!second.topics_changed.contains(&topic.to_string()), "{second:?}");
    assert!(second.schema_versions_added.is_empty(), "{second:?}");
}

#[tokio::test]
async fn a_new_schema_version_is_mirrored_next_to_the_old_one() {
    let app = TestApp::spawn(&[]).await;
    let subject = unique("payments-value");
    let v1 = r#"{"type":"record","name":"Payment","fields":[{"name":"id","type":"string"}]}"#;
    let v2 = r#"{"type":"record","name":"Payment","fields":[{"name":"id","type":"string"},{"name":"cents","type":"long","default":0}]}"#;
    app.state.mesh.registry.register(&subject, v1, SchemaFormat::Avro).await.unwrap();
    run_once(&app.state.mesh).await.unwrap();
    app.state.mesh.registry.register(&subject, v2, SchemaFormat::Avro).await.unwrap();

    let report = run_once(&app.state.mesh).await.unwrap();

    assert_eq!(report.schema_versions_added, [format!("{subject} v2")]);
    let versions = app.state.mesh.catalog.schema_versions(&subject).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(versions[1].schema, v2);
}

#[tokio::test]
async fn a_topic_that_vanished_is_kept_flagged_and_its_product_is_reported() {
    let app = TestApp::spawn(&[]).await;
    let topic = TopicName::parse(unique("clicks")).unwrap();
    create_topic(&app, &topic, 1, &[]).await;
    app.seed(product(topic.as_str(), "analytics")).await;
    run_once(&app.state.mesh).await.unwrap();

    app.state.mesh.kafka.delete_topic(&topic).await.unwrap();
    let report = run_once(&app.state.mesh).await.unwrap();
    let again = run_once(&app.state.mesh).await.unwrap();

    assert!(report.topics_vanished.contains(&topic.to_string()), "{report:?}");
    assert!(report.products_without_topic.iter().any(|p| p.as_str() == topic.as_str()), "{report:?}");
    assert!(!app.state.mesh.catalog.topic(&topic).await.unwrap().unwrap().present);
    assert!(!again.topics_vanished.contains(&topic.to_string()), "reported once: {again:?}");
    assert!(again.products_without_topic.iter().any(|p| p.as_str() == topic.as_str()), "still flagged");
}

#[tokio::test]
async fn a_topic_changed_on_the_cluster_is_reported_changed_with_its_new_history() {
    let app = TestApp::spawn(&[]).await;
    let topic = TopicName::parse(unique("trades")).unwrap();
    create_topic(&app, &topic, 1, &[("retention.ms", "-1")]).await;
    run_once(&app.state.mesh).await.unwrap();
    app.state
        .mesh
        .kafka
        .alter_topic_configs(&topic, &[("retention.ms".into(), Some("86400000".into()))])
        .await
        .unwrap();
    app.state.mesh.kafka.add_partitions(&topic, 4).await.unwrap();
    // The broker applies a change shortly after it answers.
    for _ in 0..50 {
        let seen = app.state.mesh.kafka.topic(&topic).await.unwrap().unwrap();
        if seen.partitions == 4 && seen.configs.get("retention.ms").is_some_and(|ms| ms == "86400000") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let report = run_once(&app.state.mesh).await.unwrap();

    assert!(report.topics_changed.contains(&topic.to_string()), "{report:?}");
    let mirrored = app.state.mesh.catalog.topic(&topic).await.unwrap().unwrap();
    assert_eq!((mirrored.partitions, mirrored.history), (4, HistoryKind::Window { retention_ms: 86_400_000 }));
}

#[tokio::test]
async fn sync_with_kafka_down_fails_with_kafka_unavailable_and_changes_nothing() {
    let app = TestApp::spawn(&[("MESHPORT_KAFKA_BOOTSTRAP", format!("127.0.0.1:{}", common::closed_port()))]).await;

    let err = run_once(&app.state.mesh).await.unwrap_err();

    assert!(
        matches!(err, meshport_api::error::Error::Kafka(meshport_api::kafka::KafkaError::Unavailable(_))),
        "{err:?}"
    );
    assert!(app.state.mesh.catalog.list_topics().await.unwrap().is_empty());
}
