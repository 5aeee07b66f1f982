//! Kafka admin through rdkafka: the only module that knows rdkafka.
//!
//! `KafkaAdmin` is built once at start and cloned into every handler. librdkafka connects lazily and reconnects on its
//! own, so building it never blocks or fails because the cluster is down, and the same instance recovers when the
//! cluster returns; every call is bounded by the timeout given at construction and reports a cluster it cannot reach
//! as `KafkaError::Unavailable`. librdkafka's synchronous calls run on tokio's blocking pool so they never stall the
//! async runtime.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Kafka's ACL vocabulary, `meshport_kafka_ext`'s, named through this module so that no other module uses that crate.
pub use meshport_kafka_ext::{AclBinding, AclOperation, AclPermission, PatternType, ResourceType};
use meshport_kafka_ext::{
    AclBindingFilter, AdminError, ConfigChange, PatternFilter, ScramCredential, ScramCredentialChange, ScramMechanism,
};
use meshport_shared::{ConfigSource, TopicName};
use rdkafka::admin::{AdminClient, AdminOptions, ConfigResource, NewPartitions, ResourceSpecifier, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError as RdKafkaError, RDKafkaErrorCode};
use rdkafka::metadata::Metadata;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::Serialize;

/// What went wrong talking to Kafka, split by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KafkaError {
    /// The cluster could not be reached, or did not answer within the timeout; retrying later may work.
    #[error("Kafka is unavailable: {0}")]
    Unavailable(String),
    #[error("topic `{0}` already exists")]
    TopicExists(String),
    #[error("topic `{0}` does not exist")]
    UnknownTopic(String),
    /// The broker lacks the API the operation needs (some Kafka-compatible brokers implement only part of it).
    #[error("the Kafka broker does not support {operation}: {reason}")]
    Unsupported { operation: &'static str, reason: String },
    /// The cluster's authorizer refused our principal the operation: its ACLs lack a right Meshport needs.
    #[error("Kafka refused Meshport's principal: {0}")]
    NotAuthorized(String),
    /// Kafka or librdkafka refused a setting: a client property, or a topic's partitions, replication or configs.
    #[error("Kafka refused the configuration: {0}")]
    InvalidConfig(String),
    #[error("Kafka failed: {0}")]
    Other(String),
}

/// A topic as the cluster describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i32,
    /// The topic's configuration as DescribeConfigs reports it, defaults included, sensitive entries left out.
    pub configs: BTreeMap<String, String>,
    /// Where each of `configs` comes from, where the broker says.
    pub config_sources: BTreeMap<String, ConfigSource>,
    /// Kafka's own bookkeeping topics (`__consumer_offsets`, `__transaction_state`).
    pub internal: bool,
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: TopicName,
    pub partitions: i32,
    /// `-1` leaves it to the broker's default.
    pub replication_factor: i32,
    pub configs: BTreeMap<String, String>,
}

/// One record read back from a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampledRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<Payload>,
    pub value: Option<Payload>,
}

impl SampledRecord {
    /// Oldest first: by timestamp (none before any), then partition, then offset.
    fn age(&self) -> (Option<i64>, i32, i64) {
        (self.timestamp_ms, self.partition, self.offset)
    }
}

/// A record's key or value as a sample keeps it: its bytes, or only its length when it is larger than kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Bytes(Vec<u8>),
    TooLarge(usize),
}

impl Payload {
    fn of(bytes: &[u8], max: usize) -> Self {
        match bytes.len() <= max {
            true => Self::Bytes(bytes.to_vec()),
            false => Self::TooLarge(bytes.len()),
        }
    }
}

/// How much a sample reads and keeps: at most `records` records of the whole topic, each key and value kept up to
/// its limit in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSize {
    pub records: usize,
    pub key_bytes: usize,
    pub value_bytes: usize,
}

/// How many samples are read at once; a further one waits [`SAMPLE_QUEUE_WAIT`] for a turn, then is refused as busy.
/// Each holds one consumer, its prefetched records and a blocking thread.
pub const MAX_CONCURRENT_SAMPLES: usize = 4;
const SAMPLE_QUEUE_WAIT: Duration = Duration::from_secs(1);
/// What one sampling consumer prefetches at most (librdkafka's default is 64 MB).
const SAMPLE_PREFETCH_KBYTES: &str = "4096";

/// A consumer group's committed offset on one partition; `None` when the group has committed nothing there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PartitionOffset {
    pub partition: i32,
    pub offset: Option<i64>,
}

/// The Kafka cluster, as the portal administers it. Cheap to clone: the clients live behind an `Arc`.
#[derive(Clone)]
pub struct KafkaAdmin {
    inner: Arc<Inner>,
    /// The cluster's super users (`MESHPORT_KAFKA_SUPER_USERS`): they need no ACL, and bindings naming them are
    /// not anyone's unmanaged access.
    super_users: Arc<[String]>,
}

struct Inner {
    admin: AdminClient<QuietContext>,
    producer: FutureProducer<QuietContext>,
    /// The settings every client shares, kept to build the short-lived consumers that read committed offsets.
    consumer_config: ClientConfig,
    timeout: Duration,
    bootstrap_servers: String,
    /// Only the names of the extra properties: their values may be credentials.
    extra_keys: Vec<String>,
    /// The principal Meshport signs in as, when its settings say (`User:<sasl.username>`, `User:ANONYMOUS` without
    /// security); `None` where the cluster names it from a certificate.
    principal: Option<String>,
    /// The client context every client of this admin shares.
    context: QuietContext,
    samplers: Samplers,
}

/// The consumers samples read with, kept between requests, and the permits that cap how many samples run at once
/// (and so how many consumers there are).
struct Samplers {
    permits: Arc<tokio::sync::Semaphore>,
    idle: Mutex<Vec<BaseConsumer<QuietContext>>>,
}

impl Samplers {
    fn new() -> Self {
        Self { permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_SAMPLES)), idle: Mutex::new(Vec::new()) }
    }

    /// An idle consumer, or a new one: only a sample's permit holder asks, so there are never more than the permits.
    fn take(&self, inner: &Inner) -> Result<BaseConsumer<QuietContext>, RdKafkaError> {
        if let Some(consumer) = self.idle().pop() {
            return Ok(consumer);
        }
        inner
            .consumer_config
            .clone()
            // It never joins the group, commits or reads committed offsets: `assign` with explicit offsets only.
            .set("group.id", "meshport-sample")
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "earliest")
            .set("queued.max.messages.kbytes", SAMPLE_PREFETCH_KBYTES)
            // librdkafka learns a partition's end from a fetch that finds nothing more, which the broker holds for up
            // to this wait (500 ms by default): every sample waits for it once. Only a sample's short reads fetch.
            .set("fetch.wait.max.ms", "20")
            .create_with_context(inner.context.clone())
    }

    fn give_back(&self, consumer: BaseConsumer<QuietContext>) {
        self.idle().push(consumer);
    }

    /// The idle consumers. A panic while the lock was held cannot leave the list half-changed.
    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<BaseConsumer<QuietContext>>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for KafkaAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaAdmin")
            .field("bootstrap_servers", &self.inner.bootstrap_servers)
            .field("extra_config_keys", &self.inner.extra_keys)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl KafkaAdmin {
    /// Builds the clients without contacting the cluster. `extra_config` holds further librdkafka properties
    /// (`security.protocol`, `sasl.*`, ...) and overrides ours; its values are never logged or echoed in errors.
    /// Fails only when librdkafka refuses a property.
    pub fn new(
        bootstrap_servers: &str,
        extra_config: &[(String, String)],
        timeout: Duration,
    ) -> Result<Self, KafkaError> {
        let timeout_ms = timeout.as_millis().clamp(1, i32::MAX as u128).to_string();
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", bootstrap_servers)
            .set("client.id", "meshport")
            // A portal never means to create a topic by looking at it or writing to it.
            .set("allow.auto.create.topics", "false")
            // librdkafka backs off up to 10 s between reconnects by default; a returning cluster should be noticed
            // by the next request, not ten seconds later.
            .set("reconnect.backoff.max.ms", "1000")
            .set("socket.connection.setup.timeout.ms", timeout.as_millis().clamp(1000, i32::MAX as u128).to_string())
            .set_log_level(RDKafkaLogLevel::Warning);
        for (key, value) in extra_config {
            config.set(key, value);
        }

        let mut consumer_config = config.clone();
        consumer_config.set("enable.auto.commit", "false");

        let mut producer_config = config.clone();
        // A message that cannot be delivered within the timeout fails instead of waiting the default five minutes,
        // and one for a topic the cluster does not have fails as such before that (librdkafka waits 30 s by default
        // for a new topic to show up), rather than as a timeout that looks like an outage.
        producer_config
            .set("message.timeout.ms", &timeout_ms)
            .set("topic.metadata.propagation.max.ms", (timeout.as_millis() / 2).clamp(1, i32::MAX as u128).to_string());

        let context = QuietContext::default();
        let admin = config.create_with_context(context.clone()).map_err(|e| refused_property(&e, extra_config))?;
        let producer =
            producer_config.create_with_context(context.clone()).map_err(|e| refused_property(&e, extra_config))?;

        Ok(Self {
            inner: Arc::new(Inner {
                admin,
                producer,
                consumer_config,
                timeout,
                bootstrap_servers: bootstrap_servers.to_owned(),
                extra_keys: extra_config.iter().map(|(key, _)| key.clone()).collect(),
                principal: own_principal(extra_config),
                context,
                samplers: Samplers::new(),
            }),
            super_users: Arc::from([]),
        })
    }

    /// The same admin, knowing the cluster's super users (`User:<name>`).
    pub fn with_super_users(self, super_users: Vec<String>) -> Self {
        Self { super_users: super_users.into(), ..self }
    }

    /// The principals whose bindings are nobody's unmanaged access: Meshport's own and the cluster's super users.
    pub fn trusted_principals(&self) -> Vec<String> {
        self.inner.principal.iter().chain(self.super_users.iter()).cloned().collect()
    }

    /// A metadata round trip: the cluster answers within the timeout, or this says why not.
    pub async fn ping(&self) -> Result<(), KafkaError> {
        self.metadata("reaching the cluster").await.map(drop)
    }

    /// Every topic except Kafka's internal ones, sorted by name.
    pub async fn topics(&self) -> Result<Vec<TopicInfo>, KafkaError> {
        let metadata = self.metadata("listing topics").await?;
        let mut topics: Vec<TopicInfo> = metadata.into_iter().filter(|topic| !topic.internal).collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        self.add_configs(&mut topics).await?;
        Ok(topics)
    }

    /// One topic, or `None` when the cluster has no such topic.
    pub async fn topic(&self, name: &TopicName) -> Result<Option<TopicInfo>, KafkaError> {
        // Asking for every topic and picking ours can never create it: a request naming the topic could, on a broker
        // with `auto.create.topics.enable` that predates the request's opt-out (Kafka 0.11).
        let metadata = self.metadata("describing a topic").await?;
        let Some(topic) = metadata.into_iter().find(|topic| topic.name == name.as_str()) else {
            return Ok(None);
        };
        let mut topics = vec![topic];
        self.add_configs(&mut topics).await?;
        Ok(topics.pop())
    }

    /// Creates a topic; it is in the cluster's metadata when this returns (within the timeout).
    pub async fn create_topic(&self, spec: &NewTopic) -> Result<(), KafkaError> {
        const OPERATION: &str = "creating topics";
        let name = spec.name.as_str();
        // Kafka refuses these itself, but not every Kafka-compatible broker does, and a topic nobody can write to is
        // never what was meant.
        if spec.partitions == 0 || spec.partitions < -1 {
            return Err(KafkaError::InvalidConfig(format!(
                "`{name}`: partitions must be at least 1, or -1 for the broker's default, not {}",
                spec.partitions
            )));
        }
        if spec.replication_factor == 0 || spec.replication_factor < -1 {
            return Err(KafkaError::InvalidConfig(format!(
                "`{name}`: replication factor must be at least 1, or -1 for the broker's default, not {}",
                spec.replication_factor
            )));
        }
        let mut topic =
            rdkafka::admin::NewTopic::new(name, spec.partitions, TopicReplication::Fixed(spec.replication_factor));
        for (key, value) in &spec.configs {
            topic = topic.set(key, value);
        }
        let results = self
            .bounded(OPERATION, async {
                self.inner
                    .admin
                    .create_topics([&topic], &self.admin_options())
                    .await
                    .map_err(|e| classify(OPERATION, name, &e))
            })
            .await?;
        topic_outcome(OPERATION, name, results)?;
        self.settle(&spec.name, true).await;
        Ok(())
    }

    /// Deletes a topic; it is gone from the cluster's metadata when this returns (within the timeout).
    pub async fn delete_topic(&self, name: &TopicName) -> Result<(), KafkaError> {
        const OPERATION: &str = "deleting topics";
        let topic = name;
        let name = name.as_str();
        let results = self
            .bounded(OPERATION, async {
                self.inner
                    .admin
                    .delete_topics(&[name], &self.admin_options())
                    .await
                    .map_err(|e| classify(OPERATION, name, &e))
            })
            .await?;
        topic_outcome(OPERATION, name, results)?;
        self.settle(topic, false).await;
        Ok(())
    }

    /// Waits (at most the timeout) until the brokers' metadata shows the topic `present` or not: Kafka answers
    /// CreateTopics and DeleteTopics once the controller has decided, and the brokers learn of it a moment later.
    /// Whoever created or deleted a topic expects the next look to see it so.
    async fn settle(&self, topic: &TopicName, present: bool) {
        let deadline = Instant::now() + self.inner.timeout;
        while Instant::now() < deadline {
            match self.metadata("waiting for a topic change to show").await {
                Ok(topics) if topics.iter().any(|t| t.name == topic.as_str()) == present => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(_) => return,
            }
        }
        tracing::debug!(%topic, present, "the topic change did not show in the metadata within the timeout");
    }

    /// Waits (at most the timeout) until the topic's description satisfies `shows`: a broker applies a committed
    /// config or partition change shortly after it answers, and whoever changed a topic expects the next look to
    /// see the change.
    async fn settle_description(&self, topic: &TopicName, shows: impl Fn(&TopicInfo) -> bool) {
        let deadline = Instant::now() + self.inner.timeout;
        while Instant::now() < deadline {
            match self.topic(topic).await {
                Ok(Some(info)) if shows(&info) => return,
                Ok(Some(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
                Ok(None) | Err(_) => return,
            }
        }
        tracing::debug!(%topic, "the topic change did not show in its description within the timeout");
    }

    /// Changes some of a topic's configs and leaves the rest as they are (IncrementalAlterConfigs: never the legacy
    /// AlterConfigs, which replaces a topic's whole configuration). `None` removes the topic's own value, so the
    /// cluster's default applies again. The change shows in the topic's description when this returns (within the
    /// timeout).
    pub async fn alter_topic_configs(
        &self,
        topic: &TopicName,
        changes: &[(String, Option<String>)],
    ) -> Result<(), KafkaError> {
        const OPERATION: &str = "changing topic configs";
        let name = topic.as_str().to_owned();
        let owned = changes.to_vec();
        self.blocking(OPERATION, move |inner| {
            let changes: Vec<ConfigChange<'_>> = owned
                .iter()
                .map(|(key, value)| match value {
                    Some(value) => ConfigChange::Set(key, value),
                    None => ConfigChange::Delete(key),
                })
                .collect();
            meshport_kafka_ext::incremental_alter_topic_configs(inner.admin.inner(), &name, &changes, inner.timeout)
                .map_err(|e| classify_admin(OPERATION, &name, &e))
        })
        .await?;
        self.settle_description(topic, |info| {
            changes.iter().all(|(key, value)| value.is_none() || info.configs.get(key) == value.as_ref())
        })
        .await;
        Ok(())
    }

    /// Grows a topic to `partitions` partitions (CreatePartitions). Kafka can only add partitions: fewer than the topic
    /// has is refused as an invalid config. The new count shows in the topic's description when this returns (within
    /// the timeout).
    pub async fn add_partitions(&self, topic: &TopicName, partitions: i32) -> Result<(), KafkaError> {
        const OPERATION: &str = "adding partitions";
        let name = topic.as_str();
        let Ok(count) = usize::try_from(partitions) else {
            return Err(KafkaError::InvalidConfig(format!("`{name}`: {partitions} is not a partition count")));
        };
        let request = NewPartitions::new(name, count);
        let results = self
            .bounded(OPERATION, async {
                self.inner
                    .admin
                    .create_partitions([&request], &self.admin_options())
                    .await
                    .map_err(|e| classify(OPERATION, name, &e))
            })
            .await?;
        topic_outcome(OPERATION, name, results)?;
        self.settle_description(topic, |info| info.partitions == partitions).await;
        Ok(())
    }

    /// Lets `principal` (`User:svc-fraud`) consume `topic` in the consumer group `group` (or, with
    /// [`PatternType::Prefixed`], every group whose name starts with it): creates exactly [`read_bindings`]' bindings
    /// and returns them. Idempotent: bindings that exist already are left as they are, so granting twice leaves one
    /// set. When this returns, DescribeAcls shows every binding (an `Unavailable` error if it does not within the
    /// timeout, which a retry may cure).
    pub async fn grant_read(
        &self,
        topic: &TopicName,
        principal: &str,
        group: &str,
        group_pattern: PatternType,
    ) -> Result<Vec<AclBinding>, KafkaError> {
        self.grant("granting read access", read_bindings(topic, principal, group, group_pattern)?).await
    }

    /// Lets `principal` produce to `topic` (its owners' producers): creates exactly [`write_bindings`]' bindings and
    /// returns them, as [`KafkaAdmin::grant_read`] does.
    pub async fn grant_write(&self, topic: &TopicName, principal: &str) -> Result<Vec<AclBinding>, KafkaError> {
        self.grant("granting write access", write_bindings(topic, principal)?).await
    }

    /// Every binding that applies to `topic`, sorted: its literal ones, the wildcard `*`'s and every prefixed one
    /// whose prefix the name starts with (DescribeAcls with a MATCH filter). Group bindings are not about a topic:
    /// [`KafkaAdmin::absent`] checks those of a grant. Meshport's principal needs DESCRIBE on the cluster (which
    /// ALTER, needed to grant, implies): without it the answer is empty rather than an error, as librdkafka drops
    /// DescribeAcls' refusal.
    pub async fn acls_for_topic(&self, topic: &TopicName) -> Result<Vec<AclBinding>, KafkaError> {
        const OPERATION: &str = "listing a topic's ACLs";
        let filter = AclBindingFilter {
            resource_type: Some(ResourceType::Topic),
            name: Some(topic.as_str().to_owned()),
            pattern: PatternFilter::Match,
            ..AclBindingFilter::any()
        };
        let name = topic.as_str().to_owned();
        self.blocking(OPERATION, move |inner| {
            let mut bindings = meshport_kafka_ext::describe_acls(inner.admin.inner(), &filter, inner.timeout)
                .map_err(|e| classify_admin(OPERATION, &name, &e))?;
            bindings.sort();
            Ok(bindings)
        })
        .await
    }

    /// Every binding on resources of `resource_type` (every topic's or every group's), sorted: one DescribeAcls,
    /// which is how reconciliation reads the cluster's ACLs once for all grants rather than once per grant.
    pub async fn acls_of(&self, resource_type: ResourceType) -> Result<Vec<AclBinding>, KafkaError> {
        const OPERATION: &str = "listing ACLs";
        let filter = AclBindingFilter { resource_type: Some(resource_type), ..AclBindingFilter::any() };
        self.blocking(OPERATION, move |inner| {
            let mut bindings = meshport_kafka_ext::describe_acls(inner.admin.inner(), &filter, inner.timeout)
                .map_err(|e| classify_admin(OPERATION, "", &e))?;
            bindings.sort();
            Ok(bindings)
        })
        .await
    }

    /// The bindings of `bindings` the cluster does not have (DescribeAcls), in their order: empty when every one is
    /// in force. Reconciliation asks it of a grant's bindings.
    pub async fn absent(&self, bindings: &[AclBinding]) -> Result<Vec<AclBinding>, KafkaError> {
        self.absent_for("checking ACLs", bindings).await
    }

    /// Deletes exactly `bindings` (never another binding of the same resources) and returns those the cluster had;
    /// deleting bindings it does not have is no error, so revoking twice is fine. When this returns, DescribeAcls
    /// shows none of them (an `Unavailable` error if it still does after the timeout).
    ///
    /// The cluster keeps bindings as a set, not one copy per grant: two grants of one principal can share a binding
    /// (read grants of one topic for two groups share topic READ and DESCRIBE; a read and a write grant share
    /// DESCRIBE). Revoking one of them must leave out the bindings another live grant still needs.
    pub async fn revoke(&self, bindings: &[AclBinding]) -> Result<Vec<AclBinding>, KafkaError> {
        const OPERATION: &str = "revoking access";
        let bindings = distinct(bindings);
        let filters: Vec<AclBindingFilter> = bindings.iter().map(AclBindingFilter::exactly).collect();
        let mut deleted = self
            .blocking(OPERATION, move |inner| {
                meshport_kafka_ext::delete_acls(inner.admin.inner(), &filters, inner.timeout)
                    .map_err(|e| classify_admin(OPERATION, "", &e))
            })
            .await?;
        deleted.sort();
        deleted.dedup();
        self.settle_until(OPERATION, "the deleted bindings are gone", || async {
            Ok(self.absent_for(OPERATION, &bindings).await?.len() == bindings.len())
        })
        .await?;
        Ok(deleted)
    }

    /// Gives `user` (the principal `User:<user>`) the password `password` for SCRAM-SHA-256 and SCRAM-SHA-512 (a
    /// cluster enables either or both), creating the user or replacing its password. The password is salted and
    /// hashed on our side; the cluster never sees it. When this returns, the cluster describes the new credentials,
    /// so a new user can sign in and a replaced password no longer works (an `Unavailable` error if the cluster does
    /// not show them within the timeout).
    pub async fn upsert_scram_user(&self, user: &str, password: &str) -> Result<(), KafkaError> {
        const OPERATION: &str = "setting a SCRAM password";
        if user.is_empty() || password.is_empty() {
            return Err(KafkaError::InvalidConfig(format!(
                "{OPERATION}: the user name and password must not be empty"
            )));
        }
        // A description shows a credential's mechanism and iteration count, never its secret: writing a count other
        // than the current one makes the new credential visible, so this can wait until it is in force.
        let current = self.scram_credentials(OPERATION, user).await?;
        let wanted: Vec<ScramCredential> = SCRAM_MECHANISMS
            .into_iter()
            .map(|mechanism| {
                let now = ScramCredential { mechanism, iterations: SCRAM_ITERATIONS };
                let iterations = if current.contains(&now) { SCRAM_ITERATIONS + 1 } else { SCRAM_ITERATIONS };
                ScramCredential { mechanism, iterations }
            })
            .collect();
        let name = user.to_owned();
        let password = password.to_owned();
        let credentials = wanted.clone();
        self.blocking(OPERATION, move |inner| {
            let deadline = Instant::now() + inner.timeout;
            // Kafka takes one change per user and request.
            for credential in credentials {
                let change = ScramCredentialChange::Upsert {
                    user: &name,
                    mechanism: credential.mechanism,
                    iterations: credential.iterations,
                    password: password.as_bytes(),
                    salt: None,
                };
                meshport_kafka_ext::alter_user_scram_credentials(inner.admin.inner(), &[change], remaining(deadline))
                    .map_err(|e| classify_admin(OPERATION, "", &e))?;
            }
            Ok(())
        })
        .await?;
        self.settle_until(OPERATION, "the cluster describes the new credentials", || async {
            Ok(self.scram_credentials(OPERATION, user).await? == wanted)
        })
        .await
    }

    /// Whether `user` has SCRAM credentials on the cluster (of any mechanism): a user Meshport must not give a new
    /// password, as someone else signs in as it.
    pub async fn scram_user_exists(&self, user: &str) -> Result<bool, KafkaError> {
        Ok(!self.scram_credentials("describing a SCRAM user", user).await?.is_empty())
    }

    /// Removes every SCRAM credential of `user`, so it can no longer sign in (its connections already open stay
    /// until they reconnect). A user without credentials is no error. When this returns, the cluster describes none.
    pub async fn delete_scram_user(&self, user: &str) -> Result<(), KafkaError> {
        const OPERATION: &str = "deleting a SCRAM user";
        let present = self.scram_credentials(OPERATION, user).await?;
        let name = user.to_owned();
        self.blocking(OPERATION, move |inner| {
            let deadline = Instant::now() + inner.timeout;
            // Kafka takes one change per user and request.
            for credential in present {
                let change = ScramCredentialChange::Delete { user: &name, mechanism: credential.mechanism };
                match meshport_kafka_ext::alter_user_scram_credentials(
                    inner.admin.inner(),
                    &[change],
                    remaining(deadline),
                ) {
                    // Deleted meanwhile by someone else.
                    Err(e) if e.code == RDKafkaErrorCode::ResourceNotFound => {}
                    outcome => outcome.map_err(|e| classify_admin(OPERATION, "", &e))?,
                }
            }
            Ok(())
        })
        .await?;
        self.settle_until(OPERATION, "the cluster describes no credentials", || async {
            Ok(self.scram_credentials(OPERATION, user).await?.is_empty())
        })
        .await
    }

    /// Creates `bindings`, then waits until DescribeAcls shows them all.
    async fn grant(&self, operation: &'static str, bindings: Vec<AclBinding>) -> Result<Vec<AclBinding>, KafkaError> {
        let created = bindings.clone();
        self.blocking(operation, move |inner| {
            meshport_kafka_ext::create_acls(inner.admin.inner(), &created, inner.timeout)
                .map_err(|e| classify_admin(operation, "", &e))
        })
        .await?;
        self.settle_until(operation, "the new bindings show", || async {
            Ok(self.absent_for(operation, &bindings).await?.is_empty())
        })
        .await?;
        Ok(bindings)
    }

    /// Which of `bindings` DescribeAcls does not show: one request per resource and principal they name.
    async fn absent_for(
        &self,
        operation: &'static str,
        bindings: &[AclBinding],
    ) -> Result<Vec<AclBinding>, KafkaError> {
        let bindings = bindings.to_vec();
        self.blocking(operation, move |inner| {
            let deadline = Instant::now() + inner.timeout;
            let mut filters: Vec<AclBindingFilter> = Vec::new();
            for binding in &bindings {
                // Everything the principal has on the binding's resource, whatever the operation and host.
                let filter = AclBindingFilter {
                    host: None,
                    operation: None,
                    permission: None,
                    ..AclBindingFilter::exactly(binding)
                };
                if !filters.contains(&filter) {
                    filters.push(filter);
                }
            }
            let mut present = Vec::new();
            for filter in &filters {
                present.extend(
                    meshport_kafka_ext::describe_acls(inner.admin.inner(), filter, remaining(deadline))
                        .map_err(|e| classify_admin(operation, "", &e))?,
                );
            }
            Ok(bindings.into_iter().filter(|binding| !present.contains(binding)).collect())
        })
        .await
    }

    /// The SCRAM credentials `user` has, sorted (none for a user the cluster does not know).
    async fn scram_credentials(&self, operation: &'static str, user: &str) -> Result<Vec<ScramCredential>, KafkaError> {
        let user = user.to_owned();
        self.blocking(operation, move |inner| {
            meshport_kafka_ext::describe_user_scram_credentials(inner.admin.inner(), &user, inner.timeout)
                .map_err(|e| classify_admin(operation, "", &e))
        })
        .await
    }

    /// Asks `settled` until it says yes, for at most the timeout: Kafka answers an ACL or credential change once its
    /// controller has committed it, and each broker applies it a moment later; whoever made the change expects the
    /// cluster to act on it. Still not settled after the timeout is `Unavailable`, which a retry may cure.
    async fn settle_until<F, Fut>(&self, operation: &'static str, what: &str, mut settled: F) -> Result<(), KafkaError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<bool, KafkaError>>,
    {
        let deadline = Instant::now() + self.inner.timeout;
        loop {
            if settled().await? {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(KafkaError::Unavailable(format!(
                    "{operation}: the cluster did not show the change ({what}) within {:?}",
                    self.inner.timeout
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The names of every consumer group the cluster knows, sorted.
    pub async fn consumer_groups(&self) -> Result<Vec<String>, KafkaError> {
        const OPERATION: &str = "listing consumer groups";
        self.blocking(OPERATION, move |inner| {
            let list =
                inner.admin.inner().fetch_group_list(None, inner.timeout).map_err(|e| classify(OPERATION, "", &e))?;
            let mut names: Vec<String> = list.groups().iter().map(|group| group.name().to_owned()).collect();
            names.sort();
            names.dedup();
            Ok(names)
        })
        .await
    }

    /// What `group` has committed on each partition of `topic`, by partition. Reads the offsets (OffsetFetch) without
    /// joining the group, so its members are not disturbed.
    pub async fn committed_offsets(&self, group: &str, topic: &TopicName) -> Result<Vec<PartitionOffset>, KafkaError> {
        const OPERATION: &str = "reading committed offsets";
        let group = group.to_owned();
        let topic = topic.as_str().to_owned();
        self.blocking(OPERATION, move |inner| {
            let deadline = Instant::now() + inner.timeout;
            let mut config = inner.consumer_config.clone();
            config.set("group.id", &group);
            let consumer: BaseConsumer<QuietContext> =
                config.create_with_context(inner.context.clone()).map_err(|e| classify(OPERATION, &group, &e))?;

            // The consumer opts out of auto-creation (`allow.auto.create.topics`), so naming the topic is safe on any
            // broker from Kafka 0.11 on, and cheaper than listing them all.
            let metadata = consumer
                .fetch_metadata(Some(&topic), remaining(deadline))
                .map_err(|e| classify(OPERATION, &topic, &e))?;
            let partitions = match metadata.topics().iter().find(|t| t.name() == topic) {
                Some(t) if t.error().is_none() && !t.partitions().is_empty() => t.partitions().len(),
                _ => return Err(KafkaError::UnknownTopic(topic)),
            };

            let mut wanted = TopicPartitionList::with_capacity(partitions);
            wanted.add_partition_range(&topic, 0, partitions as i32 - 1);
            let committed =
                consumer.committed_offsets(wanted, remaining(deadline)).map_err(|e| classify(OPERATION, &group, &e))?;
            let mut offsets = Vec::with_capacity(partitions);
            for element in committed.elements() {
                element.error().map_err(|e| classify(OPERATION, &group, &e))?;
                let offset = match element.offset() {
                    Offset::Offset(offset) => Some(offset),
                    _ => None,
                };
                offsets.push(PartitionOffset { partition: element.partition(), offset });
            }
            offsets.sort_by_key(|offset| offset.partition);
            Ok(offsets)
        })
        .await
    }

    /// Commits `group`'s offsets on `topic` as `(partition, offset)`, the way a consumer of the group would (without
    /// joining it). The demo mesh's consumer groups use it.
    pub async fn commit_offsets(
        &self,
        group: &str,
        topic: &TopicName,
        offsets: &[(i32, i64)],
    ) -> Result<(), KafkaError> {
        const OPERATION: &str = "committing offsets";
        let group = group.to_owned();
        let topic = topic.as_str().to_owned();
        let offsets = offsets.to_vec();
        self.blocking(OPERATION, move |inner| {
            let mut config = inner.consumer_config.clone();
            config.set("group.id", &group);
            let consumer: BaseConsumer<QuietContext> =
                config.create_with_context(inner.context.clone()).map_err(|e| classify(OPERATION, &group, &e))?;
            let mut list = TopicPartitionList::with_capacity(offsets.len());
            for (partition, offset) in offsets {
                list.add_partition_offset(&topic, partition, Offset::Offset(offset))
                    .map_err(|e| classify(OPERATION, &topic, &e))?;
            }
            consumer.commit(&list, rdkafka::consumer::CommitMode::Sync).map_err(|e| classify(OPERATION, &group, &e))
        })
        .await
    }

    /// The high watermark (the offset the next record will get) of each partition of `topic`, as `(partition,
    /// offset)`; partitions the broker does not answer for are left out.
    pub async fn high_watermarks(&self, topic: &TopicName, partitions: i32) -> Result<Vec<(i32, i64)>, KafkaError> {
        const OPERATION: &str = "reading high watermarks";
        let topic = topic.as_str().to_owned();
        self.blocking(OPERATION, move |inner| {
            let deadline = Instant::now() + inner.timeout;
            let consumer: BaseConsumer<QuietContext> = inner
                .consumer_config
                .clone()
                .set("group.id", "meshport-watermarks")
                .create_with_context(inner.context.clone())
                .map_err(|e| classify(OPERATION, &topic, &e))?;
            Ok((0..partitions)
                .filter_map(|partition| {
                    let (_, high) = consumer.fetch_watermarks(&topic, partition, remaining(deadline)).ok()?;
                    Some((partition, high))
                })
                .collect())
        })
        .await
    }

    /// Every committed offset of `group` on the given topics (name, partition count), in one OffsetFetch, as
    /// `(topic, partition, offset)`; partitions without a commit are left out.
    pub async fn group_offsets(
        &self,
        group: &str,
        topics: &[(TopicName, i32)],
    ) -> Result<Vec<(String, i32, i64)>, KafkaError> {
        const OPERATION: &str = "reading committed offsets";
        let group = group.to_owned();
        let mut wanted = TopicPartitionList::new();
        for (topic, partitions) in topics.iter().filter(|(_, p)| *p > 0) {
            wanted.add_partition_range(topic.as_str(), 0, partitions - 1);
        }
        self.blocking(OPERATION, move |inner| {
            let mut config = inner.consumer_config.clone();
            config.set("group.id", &group);
            let consumer: BaseConsumer<QuietContext> =
                config.create_with_context(inner.context.clone()).map_err(|e| classify(OPERATION, &group, &e))?;
            let committed =
                consumer.committed_offsets(wanted, inner.timeout).map_err(|e| classify(OPERATION, &group, &e))?;
            Ok(committed
                .elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(offset) if e.error().is_ok() => Some((e.topic().to_owned(), e.partition(), offset)),
                    _ => None,
                })
                .collect())
        })
        .await
    }

    /// The newest `size.records` records of `topic` across its partitions, oldest first, each key and value kept up
    /// to its limit. Reads each partition from just before its end (or from its start, when the broker's end offsets
    /// are not to be trusted) up to its end, within the timeout, with a consumer kept for samples that commits
    /// nothing. At most [`MAX_CONCURRENT_SAMPLES`] run at once; one more waits briefly for a turn, then is refused as
    /// `Unavailable`.
    pub async fn sample(&self, topic: &TopicName, size: SampleSize) -> Result<Vec<SampledRecord>, KafkaError> {
        const OPERATION: &str = "sampling records";
        let permits = Arc::clone(&self.inner.samplers.permits);
        let Ok(Ok(permit)) = tokio::time::timeout(SAMPLE_QUEUE_WAIT, permits.acquire_owned()).await else {
            return Err(KafkaError::Unavailable(format!(
                "Meshport is reading {MAX_CONCURRENT_SAMPLES} samples already, the most it reads at once; try again \
                 in a few seconds"
            )));
        };
        let topic = topic.as_str().to_owned();
        self.blocking(OPERATION, move |inner| {
            // Held until librdkafka is done, even when the caller stopped waiting: the cap is on real work.
            let _permit = permit;
            let deadline = Instant::now() + inner.timeout;
            let consumer = inner.samplers.take(inner).map_err(|e| classify(OPERATION, &topic, &e))?;
            let newest = read_newest(&consumer, &topic, size, deadline).map_err(|e| classify(OPERATION, &topic, &e));
            // A consumer that cannot let go of its partitions is not reused.
            if consumer.unassign().is_ok() {
                inner.samplers.give_back(consumer);
            }
            newest
        })
        .await
    }

    /// How many consumers are kept for samples, idle now: never more than [`MAX_CONCURRENT_SAMPLES`].
    pub fn sampling_consumers(&self) -> usize {
        self.inner.samplers.idle().len()
    }

    /// Writes one record and returns where it landed: `(partition, offset)`.
    pub async fn produce(&self, topic: &TopicName, key: Option<&[u8]>, value: &[u8]) -> Result<(i32, i64), KafkaError> {
        const OPERATION: &str = "producing a record";
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic.as_str()).payload(value);
        if let Some(key) = key {
            record = record.key(key);
        }
        self.bounded(OPERATION, async {
            match self.inner.producer.send(record, Timeout::After(self.inner.timeout)).await {
                Ok(delivery) => Ok((delivery.partition, delivery.offset)),
                Err((e, _)) => Err(classify(OPERATION, topic.as_str(), &e)),
            }
        })
        .await
    }

    /// Every topic in the cluster, configs not yet filled in.
    async fn metadata(&self, operation: &'static str) -> Result<Vec<TopicInfo>, KafkaError> {
        self.blocking(operation, move |inner| {
            let metadata =
                inner.admin.inner().fetch_metadata(None, inner.timeout).map_err(|e| classify(operation, "", &e))?;
            Ok(topic_infos(&metadata))
        })
        .await
    }

    /// Fills in each topic's configs with one DescribeConfigs request.
    async fn add_configs(&self, topics: &mut [TopicInfo]) -> Result<(), KafkaError> {
        const OPERATION: &str = "describing topic configs";
        if topics.is_empty() {
            return Ok(());
        }
        let resources: Vec<ResourceSpecifier<'_>> =
            topics.iter().map(|topic| ResourceSpecifier::Topic(&topic.name)).collect();
        let described = self
            .bounded(OPERATION, async {
                self.inner
                    .admin
                    .describe_configs(&resources, &self.admin_options())
                    .await
                    .map_err(|e| classify(OPERATION, "", &e))
            })
            .await;
        let mut by_name: BTreeMap<String, TopicConfigs> = BTreeMap::new();
        for result in described? {
            // A topic deleted between the two requests keeps empty configs.
            let Ok(resource) = result else { continue };
            if let Some((name, configs)) = resource_configs(resource) {
                by_name.insert(name, configs);
            }
        }
        for topic in topics {
            if let Some((configs, sources)) = by_name.remove(&topic.name) {
                topic.configs = configs;
                topic.config_sources = sources;
            }
        }
        Ok(())
    }

    fn admin_options(&self) -> AdminOptions {
        AdminOptions::new().request_timeout(Some(self.inner.timeout)).operation_timeout(Some(self.inner.timeout))
    }

    /// Runs one of librdkafka's synchronous calls on tokio's blocking pool.
    async fn blocking<T, F>(&self, operation: &'static str, call: F) -> Result<T, KafkaError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, KafkaError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let task = tokio::task::spawn_blocking(move || call(&inner));
        self.bounded(operation, async {
            task.await.map_err(|e| KafkaError::Other(format!("{operation} was abandoned: {e}")))?
        })
        .await
    }

    /// librdkafka enforces our timeout itself; this backstop makes sure no call outlives it by much, whatever
    /// librdkafka does.
    async fn bounded<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, KafkaError>>,
    ) -> Result<T, KafkaError> {
        let limit = self.inner.timeout + Duration::from_secs(1);
        let outcome = tokio::time::timeout(limit, call)
            .await
            .unwrap_or_else(|_| Err(KafkaError::Unavailable(format!("{operation} took longer than {limit:?}"))));
        match outcome {
            Ok(value) => {
                self.inner.context.forget_authentication_failure();
                Ok(value)
            }
            // librdkafka reports rejected credentials only to the context; the caller would otherwise see a
            // timeout that looks like an outage.
            Err(KafkaError::Unavailable(message)) => match self.inner.context.authentication_failure() {
                Some(reason) => {
                    Err(KafkaError::Unavailable(format!("{message}; the cluster refused our credentials: {reason}")))
                }
                None => Err(KafkaError::Unavailable(message)),
            },
            Err(e) => Err(e),
        }
    }
}

/// What [`KafkaAdmin::sample`] reads with one consumer: the newest `size.records` records of `topic`, never holding
/// more, read until every partition's end or the deadline.
fn read_newest(
    consumer: &BaseConsumer<QuietContext>,
    topic: &str,
    size: SampleSize,
    deadline: Instant,
) -> Result<Vec<SampledRecord>, RdKafkaError> {
    // What the consumer was told while idle (a broker that left and came back) is not about this sample.
    for _ in 0..1000 {
        if consumer.poll(Duration::ZERO).is_none() {
            break;
        }
    }
    let metadata = consumer.fetch_metadata(Some(topic), remaining(deadline))?;
    let partitions: Vec<i32> = match metadata.topics().iter().find(|t| t.name() == topic) {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => t.partitions().iter().map(|p| p.id()).collect(),
        _ => return Err(RdKafkaError::MetadataFetch(RDKafkaErrorCode::UnknownTopicOrPartition)),
    };
    let count = i64::try_from(size.records).unwrap_or(i64::MAX);
    let mut starts = BTreeMap::new();
    let mut assignment = TopicPartitionList::with_capacity(partitions.len());
    for &partition in &partitions {
        let start = match consumer.fetch_watermarks(topic, partition, remaining(deadline)) {
            Ok((low, high)) if high >= low && low >= 0 => low.max(high.saturating_sub(count)),
            _ => 0,
        };
        let offset = if start > 0 { Offset::Offset(start) } else { Offset::Beginning };
        assignment.add_partition_offset(topic, partition, offset)?;
        starts.insert(partition, start);
    }
    consumer.assign(&assignment)?;

    // The newest records so far, the oldest of them on top, never more than asked for.
    let mut kept: BinaryHeap<Reverse<ByAge>> = BinaryHeap::with_capacity(size.records.min(1024) + 1);
    let mut at_end = BTreeSet::new();
    while at_end.len() < partitions.len() && Instant::now() < deadline {
        let message = match consumer.poll(remaining(deadline).min(Duration::from_millis(200))) {
            None => continue,
            Some(Err(RdKafkaError::PartitionEOF(partition))) => {
                at_end.insert(partition);
                continue;
            }
            Some(Err(e)) => return Err(e),
            Some(Ok(message)) => message,
        };
        // Anything left from an earlier sample's assignment is not this sample's.
        if message.topic() != topic || starts.get(&message.partition()).is_none_or(|&start| message.offset() < start) {
            continue;
        }
        let age = (message.timestamp().to_millis(), message.partition(), message.offset());
        if kept.len() >= size.records {
            match kept.peek() {
                Some(Reverse(oldest)) if oldest.0.age() < age => {
                    kept.pop();
                }
                _ => continue,
            }
        }
        kept.push(Reverse(ByAge(SampledRecord {
            partition: message.partition(),
            offset: message.offset(),
            timestamp_ms: message.timestamp().to_millis(),
            key: message.key().map(|key| Payload::of(key, size.key_bytes)),
            value: message.payload().map(|value| Payload::of(value, size.value_bytes)),
        })));
    }
    let mut records: Vec<SampledRecord> = kept.into_iter().map(|Reverse(ByAge(record))| record).collect();
    records.sort_by_key(SampledRecord::age);
    Ok(records)
}

/// A sampled record ordered by its age alone.
struct ByAge(SampledRecord);

impl PartialEq for ByAge {
    fn eq(&self, other: &Self) -> bool {
        self.0.age() == other.0.age()
    }
}

impl Eq for ByAge {}

impl PartialOrd for ByAge {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByAge {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.age().cmp(&other.0.age())
    }
}

/// The SCRAM mechanisms Meshport gives its users a credential for, sorted as descriptions are.
const SCRAM_MECHANISMS: [ScramMechanism; 2] = [ScramMechanism::ScramSha256, ScramMechanism::ScramSha512];

/// PBKDF2 rounds of the credentials Meshport creates (or one more, to tell a new credential from the one it
/// replaces): twice Kafka's minimum (4096), about half its maximum (16384).
const SCRAM_ITERATIONS: i32 = 8192;

/// The bindings that let `principal` consume `topic` in `group` (literal, or a prefix of group names): topic READ and
/// DESCRIBE, literal, and group READ, all ALLOW from any host. What [`KafkaAdmin::grant_read`] creates, for callers
/// that keep a grant's bindings or compare them with the cluster's. Refuses a principal that is not `User:<name>`,
/// and a wildcard or empty group, which would grant far more than one consumer.
pub fn read_bindings(
    topic: &TopicName,
    principal: &str,
    group: &str,
    group_pattern: PatternType,
) -> Result<Vec<AclBinding>, KafkaError> {
    check_principal(principal)?;
    if group.is_empty() || group == "*" || group_pattern == PatternType::Unknown {
        return Err(KafkaError::InvalidConfig(format!(
            "consumer group `{group}` ({}): a grant names one group or a non-empty prefix, never every group",
            group_pattern.as_str()
        )));
    }
    let topic =
        |operation| AclBinding::allow(ResourceType::Topic, topic.as_str(), PatternType::Literal, principal, operation);
    Ok(vec![
        topic(AclOperation::Read),
        topic(AclOperation::Describe),
        AclBinding::allow(ResourceType::Group, group, group_pattern, principal, AclOperation::Read),
    ])
}

/// The bindings that let `principal` produce to `topic`: topic WRITE and DESCRIBE, literal, ALLOW from any host
/// (Kafka lets a principal with WRITE on a topic write idempotently). What [`KafkaAdmin::grant_write`] creates.
pub fn write_bindings(topic: &TopicName, principal: &str) -> Result<Vec<AclBinding>, KafkaError> {
    check_principal(principal)?;
    let topic =
        |operation| AclBinding::allow(ResourceType::Topic, topic.as_str(), PatternType::Literal, principal, operation);
    Ok(vec![topic(AclOperation::Write), topic(AclOperation::Describe)])
}

/// The principal `extra_config` signs in as: the SASL user, or `User:ANONYMOUS` on a plaintext listener; `None`
/// over SSL, where the broker takes the name from the client's certificate.
fn own_principal(extra_config: &[(String, String)]) -> Option<String> {
    let last = |key: &str| extra_config.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let protocol = last("security.protocol").unwrap_or("plaintext").to_ascii_uppercase();
    match protocol.as_str() {
        "PLAINTEXT" => Some("User:ANONYMOUS".to_owned()),
        p if p.starts_with("SASL") => last("sasl.username").map(|user| format!("User:{user}")),
        _ => None,
    }
}

/// A grant names one user: `User:*` (every principal) or a malformed principal never reaches the cluster.
fn check_principal(principal: &str) -> Result<(), KafkaError> {
    match principal.strip_prefix("User:") {
        Some(name) if !name.is_empty() && name != "*" => Ok(()),
        _ => Err(KafkaError::InvalidConfig(format!("principal `{principal}` is not one user (`User:<name>`)"))),
    }
}

/// The bindings once each, in their first order.
fn distinct(bindings: &[AclBinding]) -> Vec<AclBinding> {
    let mut seen = Vec::with_capacity(bindings.len());
    for binding in bindings {
        if !seen.contains(binding) {
            seen.push(binding.clone());
        }
    }
    seen
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))
}

fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}

fn topic_infos(metadata: &Metadata) -> Vec<TopicInfo> {
    metadata
        .topics()
        .iter()
        .map(|topic| TopicInfo {
            name: topic.name().to_owned(),
            partitions: topic.partitions().len() as i32,
            replication_factor: topic.partitions().iter().map(|p| p.replicas().len() as i32).max().unwrap_or(0),
            configs: BTreeMap::new(),
            config_sources: BTreeMap::new(),
            internal: is_internal(topic.name()),
        })
        .collect()
}

/// A topic's config values and where each comes from.
type TopicConfigs = (BTreeMap<String, String>, BTreeMap<String, ConfigSource>);

fn resource_configs(resource: ConfigResource) -> Option<(String, TopicConfigs)> {
    use rdkafka::admin::ConfigSource as Source;
    let rdkafka::admin::OwnedResourceSpecifier::Topic(name) = resource.specifier else {
        return None;
    };
    let mut configs = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for entry in resource.entries.into_iter().filter(|entry| !entry.is_sensitive) {
        let Some(value) = entry.value else { continue };
        let source = match entry.source {
            Source::DynamicTopic => Some(ConfigSource::Topic),
            Source::DynamicBroker | Source::DynamicDefaultBroker | Source::StaticBroker => Some(ConfigSource::Broker),
            Source::Default => Some(ConfigSource::Default),
            Source::Unknown => None,
        };
        if let Some(source) = source {
            sources.insert(entry.name.clone(), source);
        }
        configs.insert(entry.name, value);
    }
    Some((name, (configs, sources)))
}

/// The outcome for the one topic a CreateTopics or DeleteTopics request was about.
fn topic_outcome(
    operation: &'static str,
    name: &str,
    results: Vec<rdkafka::admin::TopicResult>,
) -> Result<(), KafkaError> {
    match results.into_iter().next() {
        Some(Ok(_)) => Ok(()),
        Some(Err((_, code))) => Err(classify_code(operation, name, code, &code.to_string())),
        None => Err(KafkaError::Other(format!("{operation} failed: the broker did not answer for topic `{name}`"))),
    }
}

/// Maps an rdkafka error to ours. `subject` is the topic (or group) the operation was about, `""` when none.
fn classify(operation: &'static str, subject: &str, error: &RdKafkaError) -> KafkaError {
    // rdkafka reports no code for a failed admin request as a whole, though it has one.
    let code = match error {
        RdKafkaError::AdminOp(code) => Some(*code),
        other => other.rdkafka_error_code(),
    };
    match code {
        Some(code) => classify_code(operation, subject, code, &code.to_string()),
        None => KafkaError::Other(format!("{operation} failed: {error}")),
    }
}

/// Maps an error of the admin calls rdkafka lacks (`meshport_kafka_ext`) to ours.
fn classify_admin(operation: &'static str, subject: &str, error: &AdminError) -> KafkaError {
    classify_code(operation, subject, error.code, &error.to_string())
}

fn classify_code(operation: &'static str, subject: &str, code: RDKafkaErrorCode, detail: &str) -> KafkaError {
    use RDKafkaErrorCode as Code;
    match code {
        Code::TopicAlreadyExists => KafkaError::TopicExists(subject.to_owned()),
        Code::UnknownTopicOrPartition | Code::UnknownTopic => KafkaError::UnknownTopic(subject.to_owned()),
        // SECURITY_DISABLED: the cluster has no authorizer, so ACLs mean nothing to it.
        Code::UnsupportedVersion | Code::UnsupportedFeature | Code::NotImplemented | Code::SecurityDisabled => {
            KafkaError::Unsupported { operation, reason: detail.to_owned() }
        }
        Code::TopicAuthorizationFailed
        | Code::GroupAuthorizationFailed
        | Code::ClusterAuthorizationFailed
        | Code::TransactionalIdAuthorizationFailed => {
            KafkaError::NotAuthorized(format!("{operation}: {}", with_subject(subject, detail)))
        }
        Code::InvalidConfig
        | Code::InvalidArgument
        | Code::InvalidRequest
        | Code::InvalidPartitions
        | Code::InvalidReplicationFactor
        | Code::InvalidReplicaAssignment
        | Code::InvalidTopic
        | Code::UnacceptableCredential
        | Code::PolicyViolation => KafkaError::InvalidConfig(with_subject(subject, detail)),
        Code::BrokerTransportFailure
        | Code::AllBrokersDown
        | Code::Resolve
        | Code::OperationTimedOut
        | Code::MessageTimedOut
        | Code::TimedOutQueue
        | Code::RequestTimedOut
        | Code::NetworkException
        | Code::BrokerNotAvailable
        | Code::LeaderNotAvailable
        | Code::NotController
        | Code::CoordinatorNotAvailable
        | Code::CoordinatorLoadInProgress
        | Code::NotCoordinator
        | Code::WaitingForCoordinator => KafkaError::Unavailable(format!("{operation} failed: {detail}")),
        _ => KafkaError::Other(format!("{operation} failed: {}", with_subject(subject, detail))),
    }
}

fn with_subject(subject: &str, detail: &str) -> String {
    if subject.is_empty() { detail.to_owned() } else { format!("`{subject}`: {detail}") }
}

/// librdkafka's message about a refused property quotes the value, and the value may be a credential: name the
/// property, keep librdkafka's reason, never the value.
fn refused_property(error: &RdKafkaError, extra_config: &[(String, String)]) -> KafkaError {
    match error {
        RdKafkaError::ClientConfig(_, description, key, value) => {
            let mut description = description.clone();
            if !value.is_empty() {
                description = description.replace(value.as_str(), "<redacted>");
            }
            KafkaError::InvalidConfig(format!("librdkafka refused property `{key}`: {description}"))
        }
        other => {
            let mut message = other.to_string();
            for (_, value) in extra_config.iter().filter(|(_, value)| !value.is_empty()) {
                message = message.replace(value.as_str(), "<redacted>");
            }
            KafkaError::InvalidConfig(message)
        }
    }
}

/// Sends librdkafka's own logging to `tracing`, mostly at debug level: a cluster that is down already reaches the
/// caller as `KafkaError::Unavailable`, and repeating it on every reconnect attempt would drown the log. It also keeps
/// the last authentication failure (librdkafka's message, which names the mechanism, never the secret), so an
/// outage caused by rejected credentials says so.
#[derive(Debug, Clone, Default)]
struct QuietContext {
    authentication: Arc<Mutex<Option<(Instant, String)>>>,
}

impl QuietContext {
    /// How long a rejection explains later failures: a few reconnect attempts' worth.
    const REMEMBERED: Duration = Duration::from_secs(60);

    fn authentication_failure(&self) -> Option<String> {
        let failure = self.authentication.lock().ok()?;
        failure.as_ref().filter(|(at, _)| at.elapsed() < Self::REMEMBERED).map(|(_, reason)| reason.clone())
    }

    fn forget_authentication_failure(&self) {
        if let Ok(mut failure) = self.authentication.lock() {
            *failure = None;
        }
    }
}

impl ClientContext for QuietContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical => {
                tracing::error!(target: "librdkafka", facility, "{message}");
            }
            _ => tracing::debug!(target: "librdkafka", facility, "{message}"),
        }
    }

    fn error(&self, error: RdKafkaError, reason: &str) {
        if matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed)
        ) && let Ok(mut failure) = self.authentication.lock()
        {
            *failure = Some((Instant::now(), reason.to_owned()));
        }
        match error.rdkafka_error_code() {
            Some(
                RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::Resolve,
            ) => {
                tracing::debug!(target: "librdkafka", %error, "{reason}");
            }
            // Rejected credentials and the like never reach a caller as such (their requests just time out), so
            // they are worth a warning.
            _ => tracing::warn!(target: "librdkafka", %error, "{reason}"),
        }
    }
}

impl ConsumerContext for QuietContext {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_names_extra_properties_but_not_their_values() {
        let extra = [("sasl.password".to_owned(), "hunter2".to_owned())];
        let admin = KafkaAdmin::new("127.0.0.1:1", &extra, Duration::from_secs(1)).unwrap();
        let debug = format!("{admin:?}");
        assert!(debug.contains("sasl.password"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn a_refused_property_is_named_without_its_value() {
        let extra = [("security.protocol".to_owned(), "s3cr3t-looking-value".to_owned())];
        let error = KafkaAdmin::new("127.0.0.1:1", &extra, Duration::from_secs(1)).unwrap_err();
        let KafkaError::InvalidConfig(message) = &error else { panic!("expected InvalidConfig, got {error:?}") };
        assert!(message.contains("security.protocol"), "{message}");
        assert!(!message.contains("s3cr3t-looking-value"), "{message}");
    }

    #[tokio::test]
    async fn a_sample_beyond_the_concurrent_limit_is_refused_as_busy() {
        let admin = KafkaAdmin::new("127.0.0.1:1", &[], Duration::from_secs(1)).unwrap();
        let permits = Arc::clone(&admin.inner.samplers.permits);
        let _running = permits.acquire_many_owned(MAX_CONCURRENT_SAMPLES as u32).await.unwrap();
        let size = SampleSize { records: 1, key_bytes: 1, value_bytes: 1 };

        let error = admin.sample(&TopicName::parse("orders").unwrap(), size).await.unwrap_err();

        let KafkaError::Unavailable(message) = &error else { panic!("expected Unavailable, got {error:?}") };
        assert!(message.contains("samples already, the most it reads at once"), "{message}");
    }

    #[test]
    fn an_unknown_property_is_refused_at_construction() {
        let extra = [("no.such.property".to_owned(), "1".to_owned())];
        let error = KafkaAdmin::new("127.0.0.1:1", &extra, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(error, KafkaError::InvalidConfig(_)), "{error:?}");
    }
}
