//! The calls against a real Apache Kafka broker (`scripts/test` starts one): its secured listener (SASL/SCRAM, the
//! StandardAuthorizer) in MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP, Meshport's principal (a super user) in
//! MESHPORT_TEST_KAFKA_CONFIG. Every test names its own resources and users, so tests never see each other's.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use meshport_kafka_ext::{
    AclBinding, AclBindingFilter, AclOperation, PatternFilter, PatternType, ResourceType, ScramCredential,
    ScramCredentialChange, ScramMechanism, alter_user_scram_credentials, create_acls, delete_acls, describe_acls,
    describe_user_scram_credentials,
};
use rdkafka::ClientConfig;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

const TIMEOUT: Duration = Duration::from_secs(5);

fn variable(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test, which starts a broker"))
}

/// A client signed in as Meshport, a super user of the cluster.
fn meshport() -> AdminClient<DefaultClientContext> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", variable("MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP"));
    for (key, value) in variable("MESHPORT_TEST_KAFKA_CONFIG").split(';').filter_map(|pair| pair.split_once('=')) {
        config.set(key, value);
    }
    config.create().unwrap()
}

/// A name no other test (or earlier run against the same broker) uses.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}-{nanos}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Every binding on the topic `name` (literal), sorted.
fn on_topic(name: &str) -> AclBindingFilter {
    AclBindingFilter {
        resource_type: Some(ResourceType::Topic),
        name: Some(name.to_owned()),
        pattern: PatternFilter::Literal,
        ..AclBindingFilter::any()
    }
}

/// Asks `describe` until it answers `expected`: brokers apply what the controller committed a moment after it
/// answers.
fn eventually<T: PartialEq + std::fmt::Debug>(expected: &[T], mut describe: impl FnMut() -> Vec<T>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let described = describe();
        if described == expected {
            return;
        }
        assert!(Instant::now() < deadline, "described {described:#?}, expected {expected:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Describes with `filter` until the answer, sorted, is `expected`, sorted.
fn described_eventually(
    client: &AdminClient<DefaultClientContext>,
    filter: &AclBindingFilter,
    expected: &[AclBinding],
) {
    let mut expected = expected.to_vec();
    expected.sort();
    eventually(&expected, || {
        let mut described = describe_acls(client.inner(), filter, TIMEOUT).unwrap();
        described.sort();
        described
    });
}

#[test]
fn created_bindings_are_described_and_deleted_one_by_one() {
    let client = meshport();
    let topic = unique("ext-acl");
    let read =
        AclBinding::allow(ResourceType::Topic, &topic, PatternType::Literal, "User:svc-fraud", AclOperation::Read);
    let describe =
        AclBinding::allow(ResourceType::Topic, &topic, PatternType::Literal, "User:svc-fraud", AclOperation::Describe);
    let other =
        AclBinding::allow(ResourceType::Topic, &topic, PatternType::Literal, "User:svc-reporting", AclOperation::Read);

    create_acls(client.inner(), &[read.clone(), describe.clone(), other.clone()], TIMEOUT).unwrap();
    described_eventually(&client, &on_topic(&topic), &[read.clone(), describe.clone(), other.clone()]);

    let deleted = delete_acls(client.inner(), &[AclBindingFilter::exactly(&read)], TIMEOUT).unwrap();
    assert_eq!(deleted, std::slice::from_ref(&read));
    described_eventually(&client, &on_topic(&topic), &[describe.clone(), other.clone()]);

    let again = delete_acls(client.inner(), &[AclBindingFilter::exactly(&read)], TIMEOUT).unwrap();
    assert_eq!(again, [], "nothing left to delete");
}

#[test]
fn creating_a_binding_twice_leaves_one() {
    let client = meshport();
    let group = unique("ext-acl-group");
    let binding =
        AclBinding::allow(ResourceType::Group, &group, PatternType::Prefixed, "User:svc-fraud", AclOperation::Read);
    let filter = AclBindingFilter {
        resource_type: Some(ResourceType::Group),
        name: Some(group.clone()),
        ..AclBindingFilter::any()
    };

    create_acls(client.inner(), std::slice::from_ref(&binding), TIMEOUT).unwrap();
    create_acls(client.inner(), &[binding.clone(), binding.clone()], TIMEOUT).unwrap();

    described_eventually(&client, &filter, &[binding]);
}

#[test]
fn a_match_filter_finds_the_literal_prefixed_and_wildcard_bindings_that_apply_to_a_name() {
    let client = meshport();
    let prefix = unique("ext-acl-match");
    let topic = format!("{prefix}.orders");
    let principal = format!("User:{}", unique("svc-match"));
    let literal = AclBinding::allow(ResourceType::Topic, &topic, PatternType::Literal, &principal, AclOperation::Read);
    let prefixed =
        AclBinding::allow(ResourceType::Topic, &prefix, PatternType::Prefixed, &principal, AclOperation::Describe);
    // Harmless: the principal is this test's own name, which nobody signs in as.
    let wildcard =
        AclBinding::allow(ResourceType::Topic, "*", PatternType::Literal, &principal, AclOperation::Describe);
    let elsewhere = AclBinding::allow(
        ResourceType::Topic,
        &format!("{prefix}.other"),
        PatternType::Literal,
        &principal,
        AclOperation::Read,
    );
    let all = [literal.clone(), prefixed.clone(), wildcard.clone(), elsewhere];
    create_acls(client.inner(), &all, TIMEOUT).unwrap();

    let matching = AclBindingFilter {
        resource_type: Some(ResourceType::Topic),
        name: Some(topic.clone()),
        pattern: PatternFilter::Match,
        principal: Some(principal.clone()),
        ..AclBindingFilter::any()
    };
    described_eventually(&client, &matching, &[literal, prefixed, wildcard]);

    let by_principal = AclBindingFilter { principal: Some(principal.clone()), ..AclBindingFilter::any() };
    let mut deleted = delete_acls(client.inner(), std::slice::from_ref(&by_principal), TIMEOUT).unwrap();
    deleted.sort();
    let mut all = all.to_vec();
    all.sort();
    assert_eq!(deleted, all);
    described_eventually(&client, &by_principal, &[]);
}

#[test]
fn a_binding_the_cluster_refuses_is_named_in_the_error() {
    let client = meshport();
    let topic = unique("ext-acl-refused");
    let fine =
        AclBinding::allow(ResourceType::Topic, &topic, PatternType::Literal, "User:svc-fraud", AclOperation::Read);
    // A cluster's one resource is `kafka-cluster`; Kafka refuses any other name.
    let refused =
        AclBinding::allow(ResourceType::Cluster, &topic, PatternType::Literal, "User:svc-fraud", AclOperation::Alter);

    let error = create_acls(client.inner(), &[fine, refused.clone()], TIMEOUT).unwrap_err();

    assert_ne!(error.code, RDKafkaErrorCode::NoError);
    assert!(error.message.contains(&refused.to_string()), "{error}");
}

#[test]
fn scram_credentials_are_added_and_deleted_per_mechanism() {
    let client = meshport();
    let user = unique("svc-ext");
    let upsert = |mechanism| ScramCredentialChange::Upsert {
        user: &user,
        mechanism,
        iterations: 4096,
        password: b"a password",
        salt: None,
    };

    let twice = alter_user_scram_credentials(
        client.inner(),
        &[upsert(ScramMechanism::ScramSha256), upsert(ScramMechanism::ScramSha512)],
        TIMEOUT,
    )
    .unwrap_err();
    assert_eq!(twice.code, RDKafkaErrorCode::DuplicateResource, "one change per user and request: {twice}");
    alter_user_scram_credentials(client.inner(), &[upsert(ScramMechanism::ScramSha256)], TIMEOUT).unwrap();
    alter_user_scram_credentials(client.inner(), &[upsert(ScramMechanism::ScramSha512)], TIMEOUT).unwrap();
    let both = [
        ScramCredential { mechanism: ScramMechanism::ScramSha256, iterations: 4096 },
        ScramCredential { mechanism: ScramMechanism::ScramSha512, iterations: 4096 },
    ];
    eventually(&both, || describe_user_scram_credentials(client.inner(), &user, TIMEOUT).unwrap());

    let delete = ScramCredentialChange::Delete { user: &user, mechanism: ScramMechanism::ScramSha256 };
    alter_user_scram_credentials(client.inner(), &[delete], TIMEOUT).unwrap();
    eventually(&both[1..], || describe_user_scram_credentials(client.inner(), &user, TIMEOUT).unwrap());

    let error = alter_user_scram_credentials(client.inner(), &[delete], TIMEOUT).unwrap_err();
    assert_eq!(error.code, RDKafkaErrorCode::ResourceNotFound, "{error}");
    assert!(error.message.contains(&format!("user `{user}`")), "{error}");
}

#[test]
fn a_user_without_credentials_has_none_described() {
    let described = describe_user_scram_credentials(meshport().inner(), &unique("svc-nobody"), TIMEOUT).unwrap();

    assert_eq!(described, []);
}

#[test]
fn too_few_iterations_are_refused_for_the_user_named() {
    let user = unique("svc-weak");
    let change = ScramCredentialChange::Upsert {
        user: &user,
        mechanism: ScramMechanism::ScramSha512,
        iterations: 1,
        password: b"a password",
        salt: Some(b"some salt"),
    };

    let error = alter_user_scram_credentials(meshport().inner(), &[change], TIMEOUT).unwrap_err();

    assert_eq!(error.code, RDKafkaErrorCode::UnacceptableCredential, "{error}");
    assert!(error.message.contains(&user), "{error}");
}
