//! Access on the secured listener (SASL/SCRAM, the StandardAuthorizer): `KafkaAdmin`'s grants, revocations and SCRAM
//! users, checked by what other principals can then do. The broker's principals (`scripts/kafka.sh`): `meshport` a
//! super user, `svc-fraud` and `svc-reporting` consumers and `svc-accounts` a producer, none with any right of its
//! own. Every test uses its own topics and groups, so grants never leak between tests.

use std::time::{Duration, Instant};

use meshport_api::kafka::{
    AclBinding, AclOperation, KafkaAdmin, KafkaError, NewTopic, PatternType, ResourceType, read_bindings,
};
use meshport_shared::TopicName;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};

use crate::common::{kafka_config, kafka_sasl_bootstrap, unique};

const TIMEOUT: Duration = Duration::from_secs(5);
const FRAUD: (&str, &str) = ("svc-fraud", "svc-fraud-secret");
const REPORTING: (&str, &str) = ("svc-reporting", "svc-reporting-secret");
const ACCOUNTS: (&str, &str) = ("svc-accounts", "svc-accounts-secret");

/// Meshport on the secured listener, as it runs in production.
fn meshport() -> KafkaAdmin {
    let config: Vec<(String, String)> = kafka_config()
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    KafkaAdmin::new(&kafka_sasl_bootstrap(), &config, TIMEOUT).unwrap()
}

/// librdkafka settings for `user` on the secured listener.
fn signed_in_as((user, password): (&str, &str)) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", kafka_sasl_bootstrap())
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "SCRAM-SHA-512")
        .set("sasl.username", user)
        .set("sasl.password", password);
    config
}

fn principal((user, _): (&str, &str)) -> String {
    format!("User:{user}")
}

/// A topic of its own holding one record, created by Meshport.
async fn topic_with_a_record(admin: &KafkaAdmin) -> TopicName {
    let name = TopicName::parse(unique("meshport-acl")).unwrap();
    let spec = NewTopic { name: name.clone(), partitions: 1, replication_factor: 1, configs: Default::default() };
    admin.create_topic(&spec).await.unwrap();
    admin.produce(&name, None, b"the record").await.unwrap();
    name
}

/// The errors a client gets when the authorizer refuses it.
const REFUSALS: [RDKafkaErrorCode; 2] =
    [RDKafkaErrorCode::TopicAuthorizationFailed, RDKafkaErrorCode::GroupAuthorizationFailed];

/// What a consumer signed in as `who` gets when it subscribes to `topic` in `group` and reads from the start,
/// committing what it read: the first record's value, or the authorization error that refused it. It asks for the
/// topic's metadata first, as a subscription does, so a consumer without topic rights is refused for the topic
/// (while subscribed, librdkafka may report the group's refusal first).
async fn consume_as(who: (&str, &str), topic: &TopicName, group: &str) -> Result<Vec<u8>, RDKafkaErrorCode> {
    let mut config = signed_in_as(who);
    config.set("group.id", group).set("auto.offset.reset", "earliest").set("enable.auto.commit", "false");
    let topic = topic.as_str().to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config.create().unwrap();
        let metadata = consumer.fetch_metadata(Some(&topic), Duration::from_secs(10)).unwrap();
        if let Some(error) = metadata.topics().iter().find(|t| t.name() == topic).and_then(|t| t.error()) {
            return Err(RDKafkaErrorCode::from(error));
        }
        consumer.subscribe(&[&topic]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(200)) {
                Some(Ok(message)) => {
                    let value = message.payload().unwrap_or_default().to_vec();
                    consumer.commit_message(&message, CommitMode::Sync).map_err(|e| e.rdkafka_error_code().unwrap())?;
                    return Ok(value);
                }
                Some(Err(error)) => {
                    // Other errors are librdkafka's to retry.
                    if let Some(code) = error.rdkafka_error_code().filter(|code| REFUSALS.contains(code)) {
                        return Err(code);
                    }
                }
                None => {}
            }
        }
        panic!("the consumer neither read `{topic}` nor was refused within 20 s");
    })
    .await
    .unwrap()
}

/// What a producer signed in as `who` gets when it writes one record to `topic`: its offset, or the error.
async fn produce_as(who: (&str, &str), topic: &TopicName) -> Result<i64, RDKafkaErrorCode> {
    let producer: FutureProducer = signed_in_as(who).set("message.timeout.ms", "10000").create().unwrap();
    let record = FutureRecord::<(), [u8]>::to(topic.as_str()).payload(b"written");
    let delivered = producer.send(record, Duration::from_secs(10)).await;
    delivered.map(|delivery| delivery.offset).map_err(|(error, _)| error.rdkafka_error_code().unwrap())
}

#[tokio::test]
async fn a_consumer_is_refused_before_its_grant_reads_with_it_and_is_refused_after_revocation() {
    let admin = meshport();
    let topic = topic_with_a_record(&admin).await;
    let group = unique("fraud-detector");

    let before = consume_as(FRAUD, &topic, &group).await;
    let granted = admin.grant_read(&topic, &principal(FRAUD), &group, PatternType::Literal).await.unwrap();
    let during = consume_as(FRAUD, &topic, &group).await;
    admin.revoke(&granted).await.unwrap();
    let after = consume_as(FRAUD, &topic, &group).await;

    assert_eq!(before, Err(RDKafkaErrorCode::TopicAuthorizationFailed));
    assert_eq!(during.as_deref(), Ok(&b"the record"[..]));
    assert_eq!(after, Err(RDKafkaErrorCode::TopicAuthorizationFailed));
}

#[tokio::test]
async fn a_grant_is_exactly_topic_read_and_describe_and_group_read() {
    let admin = meshport();
    let topic = topic_with_a_record(&admin).await;
    let group = unique("fraud-detector");
    let allow = |resource_type, name: &str, pattern, operation| {
        AclBinding::allow(resource_type, name, pattern, "User:svc-fraud", operation)
    };

    let granted = admin.grant_read(&topic, &principal(FRAUD), &group, PatternType::Prefixed).await.unwrap();

    let expected = [
        allow(ResourceType::Topic, topic.as_str(), PatternType::Literal, AclOperation::Read),
        allow(ResourceType::Topic, topic.as_str(), PatternType::Literal, AclOperation::Describe),
        allow(ResourceType::Group, &group, PatternType::Prefixed, AclOperation::Read),
    ];
    assert_eq!(granted, expected);
    assert_eq!(admin.acls_for_topic(&topic).await.unwrap(), expected[..2]);
    assert_eq!(admin.absent(&expected).await.unwrap(), []);
}

#[tokio::test]
async fn granting_twice_leaves_one_set_of_bindings() {
    let admin = meshport();
    let topic = topic_with_a_record(&admin).await;
    let group = unique("fraud-detector");

    let first = admin.grant_read(&topic, &principal(FRAUD), &group, PatternType::Literal).await.unwrap();
    let second = admin.grant_read(&topic, &principal(FRAUD), &group, PatternType::Literal).await.unwrap();

    assert_eq!(first, second);
    let on_topic = admin.acls_for_topic(&topic).await.unwrap();
    assert_eq!(on_topic.len(), 2, "{on_topic:#?}");
    let deleted = admin.revoke(&first).await.unwrap();
    assert_eq!(deleted.len(), 3, "one of each binding was there to delete: {deleted:#?}");
}

#[tokio::test]
async fn revoking_deletes_exactly_the_granted_bindings_and_may_be_repeated() {
    let admin = meshport();
    let topic = topic_with_a_record(&admin).await;
    let group = unique("fraud-detector");
    let reporting_group = unique("reporting");
    let fraud = admin.grant_read(&topic, &principal(FRAUD), &group, PatternType::Literal).await.unwrap();
    let reporting =
        admin.grant_read(&topic, &principal(REPORTING), &reporting_group, PatternType::Literal).await.unwrap();
    let producer = admin.grant_write(&topic, &principal(ACCOUNTS)).await.unwrap();

    let deleted = admin.revoke(&fraud).await.unwrap();
    let again = admin.revoke(&fraud).await.unwrap();

    assert_eq!(sorted(&deleted), sorted(&fraud));
    assert_eq!(again, []);
    assert_eq!(admin.absent(&fraud).await.unwrap(), fraud);
    let others: Vec<AclBinding> = reporting.iter().chain(&producer).cloned().collect();
    assert_eq!(admin.absent(&others).await.unwrap(), []);
    let on_topic: Vec<AclBinding> =
        others.into_iter().filter(|binding| binding.resource_type == ResourceType::Topic).collect();
    assert_eq!(admin.acls_for_topic(&topic).await.unwrap(), sorted(&on_topic));
    assert_eq!(consume_as(REPORTING, &topic, &reporting_group).await.as_deref(), Ok(&b"the record"[..]));
}

fn sorted(bindings: &[AclBinding]) -> Vec<AclBinding> {
    let mut sorted = bindings.to_vec();
    sorted.sort();
    sorted
}

#[tokio::test]
async fn a_prefixed_group_grant_covers_the_groups_with_the_prefix_and_no_other() {
    let admin = meshport();
    let topic = topic_with_a_record(&admin).await;
    let prefix = unique("fraud");

    admin.grant_read(&topic, &principal(FRAUD), &format!("{prefix}."), PatternType::Prefixed).await.unwrap();

    assert_eq!(consume_as(FRAUD, &topic, &format!("{prefix}.scoring")).await.as_deref(), Ok(&b"the record"[..]));
    assert_eq!(
        consume_as(FRAUD, &topic, &format!("{prefix}-elsewhere")).await,
        Err(RDKafkaErrorCode::GroupAuthorizationFailed)
    );
}

#[tokio::test]
async fn a_producer_writes_only_with_its_grant() {
    let admin = meshport();
    let topic = topic_with_a_record(&admin).await;

    let before = produce_as(ACCOUNTS, &topic).await;
    let granted = admin.grant_write(&topic, &principal(ACCOUNTS)).await.unwrap();
    let during = produce_as(ACCOUNTS, &topic).await;
    admin.revoke(&granted).await.unwrap();
    let after = produce_as(ACCOUNTS, &topic).await;

    assert_eq!(before, Err(RDKafkaErrorCode::TopicAuthorizationFailed));
    assert_eq!(during, Ok(1), "the second record of the topic");
    assert_eq!(after, Err(RDKafkaErrorCode::TopicAuthorizationFailed));
}

#[tokio::test]
async fn a_grant_to_every_user_or_every_group_never_reaches_the_cluster() {
    let admin = meshport();
    let topic = TopicName::parse(unique("meshport-acl")).unwrap();

    for (principal, group, pattern) in [
        ("User:*", "fraud", PatternType::Literal),
        ("svc-fraud", "fraud", PatternType::Literal),
        ("User:", "fraud", PatternType::Literal),
        ("User:svc-fraud", "*", PatternType::Literal),
        ("User:svc-fraud", "", PatternType::Prefixed),
    ] {
        let error = admin.grant_read(&topic, principal, group, pattern).await.unwrap_err();
        assert!(matches!(error, KafkaError::InvalidConfig(_)), "{principal} {group}: {error:?}");
        assert!(read_bindings(&topic, principal, group, pattern).is_err());
    }
    let error = admin.grant_write(&topic, "User:*").await.unwrap_err();
    assert!(matches!(error, KafkaError::InvalidConfig(_)), "{error:?}");
    assert_eq!(admin.acls_for_topic(&topic).await.unwrap(), []);
}

#[tokio::test]
async fn a_scram_user_meshport_creates_signs_in_until_it_is_deleted() {
    let admin = meshport();
    let user = unique("svc-new");
    let signs_in = |password: &str| {
        let config = [
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", user.as_str()),
            ("sasl.password", password),
        ]
        .map(|(key, value)| (key.to_owned(), value.to_owned()));
        let client = KafkaAdmin::new(&kafka_sasl_bootstrap(), &config, Duration::from_secs(2)).unwrap();
        async move { client.ping().await }
    };
    let before = signs_in("first-password").await;

    admin.upsert_scram_user(&user, "first-password").await.unwrap();
    let created = signs_in("first-password").await;
    admin.upsert_scram_user(&user, "second-password").await.unwrap();
    let rotated_new = signs_in("second-password").await;
    let rotated_old = signs_in("first-password").await;
    admin.delete_scram_user(&user).await.unwrap();
    let deleted = signs_in("second-password").await;
    admin.delete_scram_user(&user).await.unwrap();

    assert!(matches!(&before, Err(KafkaError::Unavailable(m)) if m.contains("refused our credentials")), "{before:?}");
    assert_eq!(created, Ok(()));
    assert_eq!(rotated_new, Ok(()));
    assert!(
        matches!(&rotated_old, Err(KafkaError::Unavailable(m)) if m.contains("refused our credentials")),
        "{rotated_old:?}"
    );
    assert!(
        matches!(&deleted, Err(KafkaError::Unavailable(m)) if m.contains("refused our credentials")),
        "{deleted:?}"
    );
}

#[tokio::test]
async fn a_scram_user_needs_a_name_and_a_password() {
    let admin = meshport();

    let no_name = admin.upsert_scram_user("", "a password").await.unwrap_err();
    let no_password = admin.upsert_scram_user(&unique("svc-new"), "").await.unwrap_err();

    assert!(matches!(no_name, KafkaError::InvalidConfig(_)), "{no_name:?}");
    assert!(matches!(no_password, KafkaError::InvalidConfig(_)), "{no_password:?}");
}
