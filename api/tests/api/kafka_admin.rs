//! `KafkaAdmin` against a real Apache Kafka broker, which `scripts/test` starts: its plain listener (anonymous callers
//! are super users there) in MESHPORT_TEST_KAFKA_BOOTSTRAP, its secured one (SASL/SCRAM, ACLs on) in
//! MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP with Meshport's settings in MESHPORT_TEST_KAFKA_CONFIG. Every test uses its own
//! topic and group names, so tests never see each other's.
//!
//! The outage tests start and stop a broker of their own (`scripts/kafka-broker`), since they must not take down the
//! broker the other tests share.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use meshport_api::kafka::{KafkaAdmin, KafkaError, NewTopic, PartitionOffset};
use meshport_shared::{ConfigSource, HistoryKind, TopicName};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(2);

fn bootstrap() -> String {
    std::env::var("MESHPORT_TEST_KAFKA_BOOTSTRAP").unwrap_or_else(|_| {
        panic!("MESHPORT_TEST_KAFKA_BOOTSTRAP is not set: run scripts/test, which starts a broker and sets it")
    })
}

fn admin() -> KafkaAdmin {
    KafkaAdmin::new(&bootstrap(), &[], TIMEOUT).unwrap()
}

/// A name no other test (or earlier run against the same broker) uses.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn unique_topic() -> TopicName {
    TopicName::parse(unique("meshport-test")).unwrap()
}

fn new_topic(name: &TopicName, partitions: i32, configs: &[(&str, &str)]) -> NewTopic {
    NewTopic {
        name: name.clone(),
        partitions,
        replication_factor: 1,
        configs: configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

/// Polls `check` until it returns `Some`, for brokers that apply changes asynchronously.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Commits `group`'s offsets as `(partition, offset)` the way any consumer would, with a client of its own.
async fn commit_as_a_consumer(group: &str, topic: &TopicName, offsets: &[(i32, i64)]) {
    let mut commits = TopicPartitionList::new();
    for &(partition, offset) in offsets {
        commits.add_partition_offset(topic.as_str(), partition, Offset::Offset(offset)).unwrap();
    }
    let group = group.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", &group)
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        consumer.commit(&commits, CommitMode::Sync).unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_reachable_broker_answers_ping() {
    admin().ping().await.unwrap();
}

#[tokio::test]
async fn a_created_topic_is_listed_with_its_partitions_and_configs() {
    let admin = admin();
    let name = unique_topic();

    admin
        .create_topic(&new_topic(&name, 3, &[("retention.ms", "3600000"), ("cleanup.policy", "compact")]))
        .await
        .unwrap();

    let topic = eventually("the topic is listed", || async {
        admin.topics().await.unwrap().into_iter().find(|topic| topic.name == name.as_str())
    })
    .await;
    assert_eq!(topic.partitions, 3);
    assert_eq!(topic.replication_factor, 1);
    assert!(!topic.internal);
    assert_eq!(topic.configs.get("retention.ms").map(String::as_str), Some("3600000"), "{:?}", topic.configs);
    assert_eq!(topic.configs.get("cleanup.policy").map(String::as_str), Some("compact"), "{:?}", topic.configs);
    assert_eq!(admin.topic(&name).await.unwrap(), Some(topic));
}

#[tokio::test]
async fn topics_are_listed_sorted_by_name() {
    let admin = admin();
    let prefix = unique("meshport-test-sorted");
    let names: Vec<TopicName> =
        ["b", "a", "c"].iter().map(|s| TopicName::parse(format!("{prefix}-{s}")).unwrap()).collect();
    for name in &names {
        admin.create_topic(&new_topic(name, 1, &[])).await.unwrap();
    }

    let listed = eventually("all three topics are listed", || async {
        let mine: Vec<String> =
            admin.topics().await.unwrap().into_iter().map(|t| t.name).filter(|n| n.starts_with(&prefix)).collect();
        (mine.len() == 3).then_some(mine)
    })
    .await;

    assert_eq!(listed, [format!("{prefix}-a"), format!("{prefix}-b"), format!("{prefix}-c")]);
}

#[tokio::test]
async fn creating_an_existing_topic_is_refused() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();

    let error = admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap_err();

    assert_eq!(error, KafkaError::TopicExists(name.to_string()));
}

#[tokio::test]
async fn a_topic_without_partitions_is_refused_before_reaching_the_broker() {
    let admin = admin();
    let name = unique_topic();

    let error = admin.create_topic(&new_topic(&name, 0, &[])).await.unwrap_err();

    assert!(matches!(error, KafkaError::InvalidConfig(_)), "{error:?}");
    assert_eq!(admin.topic(&name).await.unwrap(), None);
}

#[tokio::test]
async fn a_deleted_topic_is_gone() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 2, &[])).await.unwrap();

    admin.delete_topic(&name).await.unwrap();

    eventually("the topic is gone", || async { admin.topic(&name).await.unwrap().is_none().then_some(()) }).await;
    assert!(admin.topics().await.unwrap().iter().all(|topic| topic.name != name.as_str()));
}

#[tokio::test]
async fn deleting_a_missing_topic_is_an_unknown_topic() {
    let name = unique_topic();

    let error = admin().delete_topic(&name).await.unwrap_err();

    assert_eq!(error, KafkaError::UnknownTopic(name.to_string()));
}

#[tokio::test]
async fn a_missing_topic_reads_as_none() {
    assert_eq!(admin().topic(&unique_topic()).await.unwrap(), None);
}

#[tokio::test]
async fn produced_records_get_consecutive_offsets() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();

    let (first_partition, first) = admin.produce(&name, Some(b"user-1"), b"{\"id\":1}").await.unwrap();
    let (second_partition, second) = admin.produce(&name, None, b"{\"id\":2}").await.unwrap();

    assert_eq!((first_partition, second_partition), (0, 0));
    assert!(first >= 0, "{first}");
    assert_eq!(second, first + 1);
}

#[tokio::test]
async fn producing_to_a_missing_topic_is_an_unknown_topic() {
    let admin = admin();
    let name = unique_topic();

    let error = admin.produce(&name, None, b"lost").await.unwrap_err();

    assert_eq!(error, KafkaError::UnknownTopic(name.to_string()));
    assert_eq!(admin.topic(&name).await.unwrap(), None, "producing must not create the topic");
}

#[tokio::test]
async fn a_group_that_committed_offsets_is_listed_with_them() {
    let admin = admin();
    let name = unique_topic();
    let group = unique("meshport-test-group");
    admin.create_topic(&new_topic(&name, 3, &[])).await.unwrap();
    commit_as_a_consumer(&group, &name, &[(0, 1), (2, 5)]).await;

    eventually("the group is listed", || async {
        admin.consumer_groups().await.unwrap().contains(&group).then_some(())
    })
    .await;
    let offsets = admin.committed_offsets(&group, &name).await.unwrap();

    assert_eq!(
        offsets,
        [
            PartitionOffset { partition: 0, offset: Some(1) },
            PartitionOffset { partition: 1, offset: None },
            PartitionOffset { partition: 2, offset: Some(5) },
        ]
    );
}

#[tokio::test]
async fn committed_offsets_of_a_missing_topic_are_an_unknown_topic() {
    let name = unique_topic();

    let error = admin().committed_offsets(&unique("meshport-test-group"), &name).await.unwrap_err();

    assert_eq!(error, KafkaError::UnknownTopic(name.to_string()));
}

#[tokio::test]
async fn a_group_that_committed_nothing_has_no_offsets() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 2, &[])).await.unwrap();

    let offsets = admin.committed_offsets(&unique("meshport-test-idle"), &name).await.unwrap();

    assert_eq!(
        offsets,
        [PartitionOffset { partition: 0, offset: None }, PartitionOffset { partition: 1, offset: None }]
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn every_call_to_an_absent_broker_is_unavailable_within_the_timeout() {
    // Nothing listens on a port we just released, so every connection attempt is refused.
    let admin = KafkaAdmin::new(&format!("127.0.0.1:{}", free_port()), &[], TIMEOUT).unwrap();
    let topic = unique_topic();
    let spec = new_topic(&topic, 1, &[]);
    let started = Instant::now();

    // One at a time, these would take a timeout each; together they take one.
    let (ping, topics, one, create, delete, groups, offsets, produce) = tokio::join!(
        admin.ping(),
        admin.topics(),
        admin.topic(&topic),
        admin.create_topic(&spec),
        admin.delete_topic(&topic),
        admin.consumer_groups(),
        admin.committed_offsets("meshport-test-absent", &topic),
        admin.produce(&topic, None, b"nowhere"),
    );

    let elapsed = started.elapsed();
    let outcomes = [
        ("ping", ping.err()),
        ("topics", topics.err()),
        ("topic", one.err()),
        ("create_topic", create.err()),
        ("delete_topic", delete.err()),
        ("consumer_groups", groups.err()),
        ("committed_offsets", offsets.err()),
        ("produce", produce.err()),
    ];
    for (call, outcome) in outcomes {
        assert!(matches!(outcome, Some(KafkaError::Unavailable(_))), "{call}: {outcome:?}");
    }
    assert!(elapsed < TIMEOUT + Duration::from_millis(1500), "took {elapsed:?}");
}

/// A broker of the test's own (`scripts/kafka-broker`), on ports of its own, stopped when dropped. Its data outlives
/// a stop, so a restart finds its topics again.
struct OwnBroker {
    child: Child,
}

impl OwnBroker {
    fn start(dir: &std::path::Path, port: u16) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/kafka-broker");
        let secured = free_port();
        let child = Command::new("bash")
            .arg(&script)
            .arg(dir)
            .args([secured.to_string(), port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let broker = Self { child };
        // A JVM, formatting its storage on the first start: seconds, more on a busy machine.
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Kafka did not listen on 127.0.0.1:{port} within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        broker
    }

    fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn the_same_admin_recovers_when_the_broker_returns() {
    let port = free_port();
    let data = tempfile::tempdir().unwrap();
    let broker = OwnBroker::start(data.path(), port);
    let admin = KafkaAdmin::new(&format!("127.0.0.1:{port}"), &[], TIMEOUT).unwrap();
    admin.ping().await.unwrap();

    broker.stop();
    let started = Instant::now();
    let error = admin.ping().await.unwrap_err();
    assert!(matches!(error, KafkaError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < TIMEOUT + Duration::from_millis(1500), "took {:?}", started.elapsed());

    let _broker = OwnBroker::start(data.path(), port);
    eventually("the admin reaches the restarted broker", || async { admin.ping().await.ok() }).await;
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();
    assert_eq!(admin.produce(&name, None, b"back").await.unwrap().0, 0);
}

fn secured_bootstrap() -> String {
    std::env::var("MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP")
        .unwrap_or_else(|_| panic!("MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP is not set: run scripts/test, which sets it"))
}

/// librdkafka settings for a principal of the secured listener.
fn scram(user: &str, password: &str) -> Vec<(String, String)> {
    [
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "SCRAM-SHA-512"),
        ("sasl.username", user),
        ("sasl.password", password),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// Meshport's own settings, as `scripts/test` passes them (and `scripts/run` to the API).
fn meshport_config() -> Vec<(String, String)> {
    let raw = std::env::var("MESHPORT_TEST_KAFKA_CONFIG")
        .unwrap_or_else(|_| panic!("MESHPORT_TEST_KAFKA_CONFIG is not set: run scripts/test, which sets it"));
    raw.split(';').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

#[tokio::test]
async fn a_topic_reports_every_config_the_cluster_applies_with_its_source() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 1, &[("cleanup.policy", "compact")])).await.unwrap();

    let topic = eventually("the topic is described", || async { admin.topic(&name).await.unwrap() }).await;

    // Set on the topic.
    assert_eq!(topic.configs.get("cleanup.policy").map(String::as_str), Some("compact"));
    assert_eq!(topic.config_sources.get("cleanup.policy"), Some(&ConfigSource::Topic));
    // Never set: Kafka's default of 7 days, and the history it gives the topic.
    assert_eq!(topic.configs.get("retention.ms").map(String::as_str), Some("604800000"), "{:?}", topic.configs);
    assert_eq!(topic.config_sources.get("retention.ms"), Some(&ConfigSource::Default));
    assert!(topic.configs.contains_key("segment.bytes"), "{:?}", topic.configs.keys());
    assert_eq!(HistoryKind::from_configs(&topic.configs), HistoryKind::Compacted);
}

#[tokio::test]
async fn a_topic_without_its_own_retention_has_the_clusters_default_retention() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();

    let topic = eventually("the topic is described", || async { admin.topic(&name).await.unwrap() }).await;

    assert_eq!(HistoryKind::from_configs(&topic.configs), HistoryKind::Window { retention_ms: 604_800_000 });
    assert_eq!(topic.config_sources.get("cleanup.policy"), Some(&ConfigSource::Default));
}

#[tokio::test]
async fn changing_one_config_leaves_the_others_as_they_were() {
    let admin = admin();
    let name = unique_topic();
    admin
        .create_topic(&new_topic(&name, 1, &[("cleanup.policy", "compact"), ("retention.ms", "3600000")]))
        .await
        .unwrap();

    admin.alter_topic_configs(&name, &[("retention.ms".into(), Some("7200000".into()))]).await.unwrap();

    let topic = eventually("the new retention shows", || async {
        admin.topic(&name).await.unwrap().filter(|t| t.configs.get("retention.ms").is_some_and(|v| v == "7200000"))
    })
    .await;
    assert_eq!(topic.configs.get("cleanup.policy").map(String::as_str), Some("compact"), "{:?}", topic.configs);
    assert_eq!(topic.config_sources.get("cleanup.policy"), Some(&ConfigSource::Topic));

    admin.alter_topic_configs(&name, &[("retention.ms".into(), None)]).await.unwrap();

    let topic = eventually("the default retention is back", || async {
        admin
            .topic(&name)
            .await
            .unwrap()
            .filter(|t| t.config_sources.get("retention.ms") == Some(&ConfigSource::Default))
    })
    .await;
    assert_eq!(topic.configs.get("retention.ms").map(String::as_str), Some("604800000"));
    assert_eq!(topic.configs.get("cleanup.policy").map(String::as_str), Some("compact"));
}

#[tokio::test]
async fn a_config_the_broker_does_not_know_is_refused() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();

    let error = admin.alter_topic_configs(&name, &[("retention.forever".into(), Some("1".into()))]).await.unwrap_err();

    assert!(matches!(error, KafkaError::InvalidConfig(_)), "{error:?}");
}

#[tokio::test]
async fn changing_configs_of_a_missing_topic_is_an_unknown_topic() {
    let name = unique_topic();

    let error = admin().alter_topic_configs(&name, &[("retention.ms".into(), Some("1000".into()))]).await.unwrap_err();

    assert_eq!(error, KafkaError::UnknownTopic(name.to_string()));
}

#[tokio::test]
async fn partitions_can_be_added_but_never_taken_away() {
    let admin = admin();
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 2, &[])).await.unwrap();

    admin.add_partitions(&name, 5).await.unwrap();
    eventually("the topic has five partitions", || async {
        admin.topic(&name).await.unwrap().filter(|t| t.partitions == 5).map(drop)
    })
    .await;
    let fewer = admin.add_partitions(&name, 3).await.unwrap_err();

    assert!(matches!(fewer, KafkaError::InvalidConfig(_)), "{fewer:?}");
    assert_eq!(admin.topic(&name).await.unwrap().unwrap().partitions, 5);
}

#[tokio::test]
async fn the_end_offset_minus_the_commit_is_the_exact_lag() {
    let admin = admin();
    let name = unique_topic();
    let group = unique("meshport-test-lag");
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();
    for n in 0..7 {
        admin.produce(&name, None, format!("record {n}").as_bytes()).await.unwrap();
    }
    commit_as_a_consumer(&group, &name, &[(0, 3)]).await;

    let ends = admin.high_watermarks(&name, 1).await.unwrap();
    let committed = admin.committed_offsets(&group, &name).await.unwrap();

    assert_eq!(ends, [(0, 7)]);
    assert_eq!(committed, [PartitionOffset { partition: 0, offset: Some(3) }]);
    assert_eq!(meshport_api::sync::lag(3, Some(ends[0].1)), Some(4));
}

#[tokio::test]
async fn meshport_authenticates_with_scram_and_works_with_the_authorizer_on() {
    let admin = KafkaAdmin::new(&secured_bootstrap(), &meshport_config(), TIMEOUT).unwrap();
    let name = unique_topic();

    admin.ping().await.unwrap();
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();
    let (partition, _) = admin.produce(&name, Some(b"k"), b"over SASL").await.unwrap();

    assert_eq!(partition, 0);
    assert!(admin.topic(&name).await.unwrap().is_some());
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_unavailable_error_within_the_timeout() {
    let admin = KafkaAdmin::new(&secured_bootstrap(), &scram("meshport", "not-the-password"), TIMEOUT).unwrap();
    let started = Instant::now();

    let error = admin.ping().await.unwrap_err();

    let KafkaError::Unavailable(message) = &error else { panic!("expected Unavailable, got {error:?}") };
    assert!(message.contains("refused our credentials"), "{message}");
    assert!(message.contains("SCRAM-SHA-512"), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");
    assert!(started.elapsed() < TIMEOUT + Duration::from_millis(1500), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_principal_without_acls_sees_no_topics_and_may_not_create_any() {
    let meshport = KafkaAdmin::new(&secured_bootstrap(), &meshport_config(), TIMEOUT).unwrap();
    let name = unique_topic();
    meshport.create_topic(&new_topic(&name, 1, &[])).await.unwrap();
    let consumer = KafkaAdmin::new(&secured_bootstrap(), &scram("svc-fraud", "svc-fraud-secret"), TIMEOUT).unwrap();

    let seen = consumer.topic(&name).await.unwrap();
    let create = consumer.create_topic(&new_topic(&unique_topic(), 1, &[])).await.unwrap_err();

    assert_eq!(seen, None, "the authorizer hides topics the principal may not describe");
    assert!(matches!(create, KafkaError::NotAuthorized(_)), "{create:?}");
}
