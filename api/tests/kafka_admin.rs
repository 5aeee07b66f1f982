//! `KafkaAdmin` against a real Kafka-API broker: tansu, whose address `scripts/test` exports as
//! MESHPORT_TEST_KAFKA_BOOTSTRAP. Every test uses its own topic and group names, so tests never see each other's.
//!
//! The outage tests start and stop a tansu of their own (found through TANSU, PATH or ~/.cargo/bin), since they must
//! not take down the broker the other tests share.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use meshport_api::kafka::{KafkaAdmin, KafkaError, NewTopic, PartitionOffset};
use meshport_shared::TopicName;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(2);

fn bootstrap() -> String {
    std::env::var("MESHPORT_TEST_KAFKA_BOOTSTRAP").unwrap_or_else(|_| {
        panic!(
            "MESHPORT_TEST_KAFKA_BOOTSTRAP is not set: start a broker with \
             `source scripts/tansu-start.sh && port=$(free_port) && start_tansu $port /tmp/tansu.log` and export \
             MESHPORT_TEST_KAFKA_BOOTSTRAP=127.0.0.1:$port, or run scripts/test"
        )
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
    let mut commits = TopicPartitionList::new();
    commits.add_partition_offset(name.as_str(), 0, Offset::Offset(1)).unwrap();
    commits.add_partition_offset(name.as_str(), 2, Offset::Offset(5)).unwrap();
    let group_for_commit = group.clone();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", &group_for_commit)
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        consumer.commit(&commits, CommitMode::Sync).unwrap();
    })
    .await
    .unwrap();

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

/// A tansu of the test's own, on a port of its own, stopped when dropped.
struct OwnBroker {
    child: Child,
}

impl OwnBroker {
    fn start(port: u16) -> Self {
        let tansu = tansu_binary();
        let address = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&tansu)
            .arg("broker")
            .args(["--cluster-id", &unique("meshport-test-cluster")])
            .args(["--listener-url", &address, "--advertised-listener-url", &address])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tansu at {}: {e}", tansu.display()));
        let broker = Self { child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not listen on 127.0.0.1:{port} within 10 s");
            std::thread::sleep(Duration::from_millis(20));
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

fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("tansu"))
        .find(|candidate| candidate.is_file());
    let home = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin/tansu"));
    on_path.or(home).filter(|path| path.is_file()).unwrap_or_else(|| {
        panic!("no tansu binary: `cargo install tansu --version 0.6.0 --locked --features dynostore` or set TANSU")
    })
}

#[tokio::test]
async fn the_same_admin_recovers_when_the_broker_returns() {
    let port = free_port();
    let broker = OwnBroker::start(port);
    let admin = KafkaAdmin::new(&format!("127.0.0.1:{port}"), &[], TIMEOUT).unwrap();
    admin.ping().await.unwrap();

    broker.stop();
    let started = Instant::now();
    let error = admin.ping().await.unwrap_err();
    assert!(matches!(error, KafkaError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < TIMEOUT + Duration::from_millis(1500), "took {:?}", started.elapsed());

    let _broker = OwnBroker::start(port);
    eventually("the admin reaches the restarted broker", || async { admin.ping().await.ok() }).await;
    let name = unique_topic();
    admin.create_topic(&new_topic(&name, 1, &[])).await.unwrap();
    assert_eq!(admin.produce(&name, None, b"back").await.unwrap().0, 0);
}
