//! The audit topic carries the catalog's change events: the feed's CloudEvents, in commit order, each once per mark.

use meshport_api::audit::publish_events_to;
use meshport_shared::TopicName;
use meshport_shared::events::Event;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::common::{self, TestApp, unique};

/// The first `count` records (key, value) of `topic`'s one partition, read from the start without joining a group.
pub fn records(topic: &TopicName, count: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", common::kafka_bootstrap())
        .set("group.id", unique("audit-events-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut partitions = rdkafka::TopicPartitionList::new();
    partitions.add_partition_offset(topic.as_str(), 0, rdkafka::Offset::Beginning).unwrap();
    consumer.assign(&partitions).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut read = Vec::new();
    while read.len() < count {
        assert!(std::time::Instant::now() < deadline, "{} of {count} records within 20 s", read.len());
        if let Some(Ok(message)) = consumer.poll(std::time::Duration::from_millis(200)) {
            read.push((message.key().unwrap().to_vec(), message.payload().unwrap().to_vec()));
        }
    }
    read
}

#[tokio::test]
async fn the_audit_topic_carries_the_feeds_cloudevents_in_order_and_each_once() {
    // Arrange: two changes, each with its event.
    let app = TestApp::spawn(&[]).await;
    let catalog = &*app.state.mesh.catalog;
    let kafka = &app.state.mesh.kafka;
    let topic = TopicName::parse(unique("audit-events")).unwrap();
    let orders = app.seed(common::product("orders", "execution")).await;
    app.seed(common::product("quotes", "execution")).await;
    let feed = catalog.events_after(0, 10).await.unwrap();

    // Act
    let first = publish_events_to(catalog, kafka, &topic).await.unwrap();
    let again = publish_events_to(catalog, kafka, &topic).await.unwrap();

    // Assert
    assert_eq!((feed.len(), first, again), (2, 2, 0), "each event once");
    let read = records(&topic, 2);
    let events: Vec<Event> = read.iter().map(|(_, value)| serde_json::from_slice(value).unwrap()).collect();
    assert_eq!(events, feed, "the feed's CloudEvents, in commit order");
    assert_eq!(read[0].0, orders.id.as_str().as_bytes(), "keyed by product");
    let json: serde_json::Value = serde_json::from_slice(&read[0].1).unwrap();
    assert_eq!(json["specversion"], "1.0", "told apart from audit entries by the CloudEvents attribute");
    assert_eq!(catalog.published().await.unwrap(), 2);
}
