//! The demo mesh for local runs: the seed prototype's world of three domains and their products (`users`,
//! `pageviews`, `stocktrades` derived from `users`, and `signups`, deprecated in favour of `users`), a few topics not
//! yet published (one without a schema), a generator that keeps producing realistic Avro events in Confluent's wire
//! format, and consumer groups that commit offsets behind the newest events, so product pages show real lag.
//!
//! Team `insights` subscribes to `stocktrades` (an access request granted by `trading`, its ACLs made as for any
//! grant), so a change to `stocktrades` has someone to tell; told where the demo mail and webhook catcher is (`scripts/run` starts
//! one), the demo teams' channels are set to it.
//!
//! Seeding is idempotent and never overwrites a product someone edited; it waits for Kafka and the registry to come
//! up, so the server can start before them.

use std::collections::BTreeMap;
use std::time::Duration;

use apache_avro::Schema;
use apache_avro::types::Value;
use meshport_shared::{
    DataProduct, Deprecation, Description, DomainName, OutputPort, Owner, ProductId, ProductStatus, Quality,
    SchemaFormat, SlaTier, SubjectName, SupportChannel, SupportKind, TeamName, TopicName,
};

use crate::catalog::StoreError;
use crate::kafka::{KafkaError, NewTopic};
use crate::mesh::Mesh;
use meshport_shared::access::{AccessAction, AccessDecision, AccessRequestDraft, GroupPattern};
use meshport_shared::accounts::{AccountRole, ServiceAccount};
use meshport_shared::api::Identity;
use meshport_shared::events::{ChannelSettings, WebhookSettings};
use meshport_shared::{GroupName, Principal};

/// How often the generator produces one event per demo product.
const EVENT_INTERVAL: Duration = Duration::from_millis(1000);

/// Demo consumer groups: the group, the product topic it reads, and how many events per partition it stays behind
/// the newest (it commits every [`COMMIT_EVERY`] generator ticks, so its lag also grows between commits).
const CONSUMER_GROUPS: &[(&str, &str, i64)] = &[
    ("fraud-detection", "stocktrades", 0),
    ("positions-report", "stocktrades", 25),
    ("audience-insights", "pageviews", 3),
    ("crm-sync", "users", 1),
    ("legacy-signups-export", "signups", 40),
];
const COMMIT_EVERY: u32 = 5;

/// The demo's subscription: team `insights` reads `stocktrades` as this principal with this group (the consumer
/// group above), granted by the owners, `trading`, for [`SUBSCRIPTION_DAYS`] (personal data: the default policy
/// grants at most 90).
const SUBSCRIPTION: (&str, &str, &str, &str) = ("insights", "stocktrades", "User:svc-fraud", "fraud-detection");
const SUBSCRIPTION_DAYS: i64 = 60;

/// The teams whose channels point at the demo catcher.
const CHANNEL_TEAMS: &[&str] = &["accounts", "edge", "trading", "insights"];

/// The demo catcher's webhook signing secret: fixed, so `scripts/run` can hand the same one to the catcher. Not a
/// secret: the demo's webhooks go to this machine only.
pub const CATCHER_WEBHOOK_SECRET: &str = "whsec_bWVzaHBvcnQgZGVtbyBjYXRjaGVyLCBub3QgYSBzZWNyZXQ=";

/// The demo's service accounts (the principals `scripts/kafka.sh` creates): each team's producer, and the
/// `insights` team's two consumers, which have no rights until an access request naming them is granted.
const SERVICE_ACCOUNTS: &[(&str, &str, AccountRole)] = &[
    ("User:svc-accounts", "accounts", AccountRole::Producer),
    ("User:svc-edge", "edge", AccountRole::Producer),
    ("User:svc-trading", "trading", AccountRole::Producer),
    ("User:svc-fraud", "insights", AccountRole::Consumer),
    ("User:svc-reporting", "insights", AccountRole::Consumer),
];

pub(crate) const USERS_SCHEMA: &str = r#"{
  "type": "record", "name": "User", "namespace": "com.acme.membership",
  "doc": "A registered member, keyed by user id; the latest record per key is the member's current mesh.",
  "fields": [
    {"name": "userid", "type": "string", "doc": "Stable user id, e.g. User_42."},
    {"name": "registertime", "type": {"type": "long", "logicalType": "timestamp-millis"}, "doc": "When the user signed up."},
    {"name": "regionid", "type": "string", "doc": "Home region, e.g. Region_3."},
    {"name": "gender", "type": {"type": "enum", "name": "Gender", "symbols": ["FEMALE", "MALE", "OTHER"]}},
    {"name": "email", "type": ["null", "string"], "default": null, "doc": "Contact address. Personal data."}
  ]
}"#;

const PAGEVIEWS_SCHEMA: &str = r#"{
  "type": "record", "name": "PageView", "namespace": "com.acme.edge",
  "doc": "One page served by the edge tier.",
  "fields": [
    {"name": "viewtime", "type": {"type": "long", "logicalType": "timestamp-millis"}, "doc": "When the page was served."},
    {"name": "userid", "type": "string", "doc": "The viewer; joins with users.userid."},
    {"name": "pageid", "type": "string", "doc": "The page, e.g. Page_17."}
  ]
}"#;

pub(crate) const STOCKTRADES_SCHEMA: &str = r#"{
  "type": "record", "name": "StockTrade", "namespace": "com.acme.execution",
  "doc": "A trade executed for a customer account.",
  "fields": [
    {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}},
    {"name": "quantity", "type": "int", "doc": "Number of shares."},
    {"name": "symbol", "type": "string", "doc": "Ticker symbol."},
    {"name": "price", "type": "int", "doc": "Price per share in cents."},
    {"name": "account", "type": "string", "doc": "Trading account id."},
    {"name": "userid", "type": "string", "doc": "The customer; joins with users.userid."}
  ]
}"#;

const CLICKSTREAM_SCHEMA: &str = r#"{
  "type": "record", "name": "Click", "namespace": "com.acme.edge",
  "fields": [
    {"name": "ts", "type": "long"},
    {"name": "element", "type": "string"},
    {"name": "userid", "type": "string"}
  ]
}"#;

/// One demo product with the topic settings it needs.
struct Seed {
    id: &'static str,
    name: &'static str,
    domain: &'static str,
    team: &'static str,
    schema: &'static str,
    partitions: i32,
    configs: &'static [(&'static str, &'static str)],
    quality: Quality,
    sla: SlaTier,
    purpose: &'static str,
    usage: &'static str,
    limitations: &'static str,
    tags: &'static [&'static str],
    personal_fields: &'static [&'static str],
    /// The demo products this one is derived from.
    inputs: &'static [&'static str],
    /// The product that replaces this deprecated one.
    replaced_by: Option<&'static str>,
}

fn seeds() -> [Seed; 4] {
    [
        Seed {
            id: "users",
            name: "Users",
            domain: "membership",
            team: "accounts",
            schema: USERS_SCHEMA,
            partitions: 3,
            configs: &[("cleanup.policy", "compact")],
            quality: Quality::Authoritative,
            sla: SlaTier::Tier1,
            purpose: "Every registered member and their current profile; the system of record for who our users are.",
            usage: "Key is the user id; read it as a table (latest record per key) and join other products on userid.",
            limitations: "Email is personal data: masked in samples, and only for purposes covered by consent.",
            tags: &["users", "members", "pii"],
            personal_fields: &["email"],
            inputs: &[],
            replaced_by: None,
        },
        Seed {
            id: "pageviews",
            name: "Page views",
            domain: "analytics",
            team: "edge",
            schema: PAGEVIEWS_SCHEMA,
            partitions: 6,
            configs: &[("cleanup.policy", "delete"), ("retention.ms", "604800000")],
            quality: Quality::Raw,
            sla: SlaTier::Tier3,
            purpose: "Every page served by the edge tier, as it happens.",
            usage: "Aggregate by pageid for traffic, or join with users on userid for audience analysis.",
            limitations: "Raw clickstream: bots are not filtered and late events happen. Kept for 7 days.",
            tags: &["web", "clickstream"],
            personal_fields: &[],
            inputs: &[],
            replaced_by: None,
        },
        Seed {
            id: "stocktrades",
            name: "Stock trades",
            domain: "execution",
            team: "trading",
            schema: STOCKTRADES_SCHEMA,
            partitions: 3,
            configs: &[("cleanup.policy", "delete"), ("retention.ms", "-1")],
            quality: Quality::Curated,
            sla: SlaTier::Tier1,
            purpose: "Executed stock trades per customer account, validated and enriched by the trading desk.",
            usage: "Replay from the beginning for positions; prices are in cents.",
            limitations: "Only trades executed by our own desk; no market data.",
            tags: &["trading", "finance"],
            personal_fields: &["account"],
            // Trades are enriched with the customer's membership data: the demo's lineage edge.
            inputs: &["users"],
            replaced_by: None,
        },
        Seed {
            id: "signups",
            name: "Sign-ups (legacy)",
            domain: "membership",
            team: "accounts",
            schema: USERS_SCHEMA,
            partitions: 1,
            configs: &[("cleanup.policy", "delete"), ("retention.ms", "2592000000")],
            quality: Quality::Curated,
            sla: SlaTier::Tier3,
            purpose: "New members as they signed up, from the old registration service.",
            usage: "Read `users` instead: it has every member, not only new ones, and their current profile.",
            limitations: "Deprecated: no new consumers; the old registration service stops writing at the sunset.",
            tags: &["users", "legacy", "pii"],
            personal_fields: &["email"],
            inputs: &[],
            replaced_by: Some("users"),
        },
    ]
}

/// Topics that exist but are not products yet: what "publish an existing topic" starts from.
const UNPUBLISHED: &[(&str, Option<&str>, i32)] =
    &[("clickstream.raw", Some(CLICKSTREAM_SCHEMA), 2), ("inventory.snapshots", None, 1)];

#[derive(Debug, thiserror::Error)]
enum SeedError {
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mesh(crate::error::Error),
    #[error("demo data is broken: {0}")]
    Broken(String),
}

impl From<crate::error::Error> for SeedError {
    /// A dependency that is down is waited for, as in the rest of the seeding; anything else is the demo's own fault.
    fn from(e: crate::error::Error) -> Self {
        use crate::error::Error;
        match e {
            Error::Store(e) => SeedError::Store(e),
            Error::Kafka(e) => SeedError::Kafka(e),
            Error::Registry(e) => SeedError::Registry(e),
            other => SeedError::Mesh(other),
        }
    }
}

/// Seeds the demo mesh (retrying until Kafka, the registry and the catalog answer), then generates events forever.
pub async fn run(mesh: Mesh) {
    run_with(mesh, None).await;
}

/// [`run`], with the demo teams' channels (an email address each and a webhook signed with
/// [`CATCHER_WEBHOOK_SECRET`]) set to the demo catcher at `catcher`, a base URL, on every start.
pub async fn run_with(mesh: Mesh, catcher: Option<String>) {
    let mut delay = Duration::from_millis(500);
    let streams = loop {
        let seeded = match &catcher {
            Some(catcher) => match set_channels(&mesh, catcher).await {
                Ok(()) => seed(&mesh).await,
                Err(e) => Err(e),
            },
            None => seed(&mesh).await,
        };
        match seeded {
            Ok(streams) => break streams,
            Err(SeedError::Broken(e)) => return tracing::error!("demo mesh not seeded: {e}"),
            Err(e) => {
                tracing::warn!(error = %e, "demo mesh not seeded yet; retrying in {} ms", delay.as_millis());
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    };
    // Mirror the seeded topics and schemas now rather than at the next scheduled sync.
    if let Err(e) = crate::sync::run_once(&mesh).await {
        tracing::warn!(error = %e, "demo mesh seeded, but not synced yet");
    }
    tracing::info!(products = streams.len(), "demo mesh seeded; generating events");
    generate(&mesh, streams).await;
}

/// Commits each demo consumer group's offsets a little behind the newest events, as a real consumer that keeps up
/// (or does not) would.
async fn consume(mesh: &Mesh) -> Result<(), SeedError> {
    for (group, topic, behind) in CONSUMER_GROUPS {
        // The demo seeded these topics, so it knows their partitions without describing the cluster every time.
        let Some(seed) = seeds().into_iter().find(|seed| seed.id == *topic) else { continue };
        let topic = topic_name(topic)?;
        let ends = mesh.kafka.high_watermarks(&topic, seed.partitions).await?;
        let offsets: Vec<(i32, i64)> =
            ends.into_iter().map(|(partition, end)| (partition, (end - behind).max(0))).collect();
        mesh.kafka.commit_offsets(group, &topic, &offsets).await?;
    }
    Ok(())
}

/// A product's topic, its parsed schema and the registry id that frames each record.
struct Stream {
    topic: TopicName,
    schema: Schema,
    schema_id: u32,
}

async fn seed(mesh: &Mesh) -> Result<Vec<Stream>, SeedError> {
    // The topics that are not products yet go first: once the products show, the whole mesh is there.
    for (name, schema, partitions) in UNPUBLISHED {
        let topic = topic_name(name)?;
        create_topic(mesh, &topic, *partitions, &[]).await?;
        if let Some(schema) = schema {
            mesh.registry.register(SubjectName::value_of(&topic).as_str(), schema, SchemaFormat::Avro).await?;
        }
    }
    let new_producers = register_accounts(mesh).await?;
    let mut streams = Vec::new();
    for seed in seeds() {
        let product = product_of(&seed)?;
        let topic = product.output_port.topic.clone();
        create_topic(mesh, &topic, seed.partitions, seed.configs).await?;
        let subject = product.output_port.value_subject.as_str();
        let schema_id = mesh.registry.register(subject, seed.schema, SchemaFormat::Avro).await?;
        let schema = Schema::parse_str(seed.schema).map_err(|e| SeedError::Broken(e.to_string()))?;
        let audit = crate::audit::entry(
            "meshport-demo",
            &product.id,
            meshport_shared::AuditAction::Published,
            "seeded by the demo mesh",
            None,
            Some(&product),
        );
        let (id, team) = (product.id.clone(), product.owner.team.clone());
        let stored = match mesh.catalog.put_product(product, None, audit).await {
            Ok(stored) => Some(stored),
            Err(StoreError::Conflict { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        // A new product, or a team's new producer: the team's producers write its topic, as after a publish.
        let stored = match stored {
            None if new_producers.contains(&team) => mesh.catalog.get_product(&id).await?,
            stored => stored,
        };
        if let Some(stored) = stored {
            crate::accounts::grant_producers(mesh, "meshport-demo", &stored).await;
        }
        let schema_id = u32::try_from(schema_id).map_err(|_| SeedError::Broken(format!("schema id {schema_id}")))?;
        streams.push(Stream { topic, schema, schema_id });
    }
    match subscribe(mesh).await {
        // The subscription is a refinement: a policy that refuses it leaves the rest of the demo running.
        Err(SeedError::Mesh(e)) => tracing::warn!(error = %e, "the demo's subscription was not granted"),
        subscribed => subscribed?,
    }
    Ok(streams)
}

/// The demo acting for `team`, as one of its members would.
fn member_of(team: TeamName) -> Identity {
    Identity {
        subject: "meshport-demo".into(),
        name: "Meshport demo".into(),
        teams: vec![team],
        admin: false,
        scope: Default::default(),
    }
}

/// Grants the demo's [`SUBSCRIPTION`] through the same steps as anyone's: the team asks, the owners approve and
/// Meshport makes the ACLs. Once the team has any request for the product (someone may have revoked it since),
/// nothing is done.
async fn subscribe(mesh: &Mesh) -> Result<(), SeedError> {
    let (team, product, principal, group) = SUBSCRIPTION;
    let broken = |e: meshport_shared::NameError| SeedError::Broken(e.to_string());
    let product = ProductId::parse(product).map_err(broken)?;
    let asker = member_of(TeamName::parse(team).map_err(broken)?);
    if mesh.catalog.product_access(&product).await?.iter().any(|request| asker.teams.contains(&request.team)) {
        return Ok(());
    }
    let until = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(SUBSCRIPTION_DAYS))
        .map_err(|e| SeedError::Broken(e.to_string()))?
        .to_string();
    let draft = AccessRequestDraft {
        team: asker.teams[0].clone(),
        purpose: "Fraud detection: scoring every executed trade against the customer's usual behaviour.".into(),
        principals: vec![Principal::parse(principal).map_err(broken)?],
        group: GroupName::parse(group).map_err(broken)?,
        group_pattern: GroupPattern::Literal,
        until: Some(until),
    };
    let asked = crate::access::request(mesh, &asker, &product, draft).await?;
    let decision = AccessDecision { revision: asked.revision, reason: None };
    let owners = member_of(asked.owner_team.clone());
    crate::access::decide(mesh, &owners, &asked.id, AccessAction::Approve, decision).await?;
    Ok(())
}

/// Points every demo team's channels at the demo catcher: `<team>@acme.example` by email (the catcher receives all
/// mail) and a webhook to `<catcher>/webhooks/<team>` signed with [`CATCHER_WEBHOOK_SECRET`].
async fn set_channels(mesh: &Mesh, catcher: &str) -> Result<(), SeedError> {
    for team in CHANNEL_TEAMS {
        let settings = ChannelSettings {
            webhook: Some(WebhookSettings {
                url: format!("{catcher}/webhooks/{team}"),
                secret: CATCHER_WEBHOOK_SECRET.to_owned(),
            }),
            email: Some(format!("{team}@acme.example")),
            ..ChannelSettings::default()
        };
        let team = TeamName::parse(*team).map_err(|e| SeedError::Broken(e.to_string()))?;
        let stored = mesh.catalog.team_channels(&team).await?;
        if stored.as_ref().is_some_and(|stored| stored.settings == settings) {
            continue;
        }
        // The catcher is on this machine: private addresses are allowed here, whatever the deployment says.
        let revision = stored.map_or(0, |stored| stored.revision);
        crate::notify::set_channels(&*mesh.catalog, &member_of(team.clone()), &team, settings, Some(revision), true)
            .await?;
    }
    Ok(())
}

/// Registers the demo's service accounts that no team holds yet; answers the teams that got a new producer.
async fn register_accounts(mesh: &Mesh) -> Result<Vec<TeamName>, SeedError> {
    let broken = |e: meshport_shared::NameError| SeedError::Broken(e.to_string());
    let mut new_producers = Vec::new();
    for (principal, team, role) in SERVICE_ACCOUNTS {
        let account = ServiceAccount {
            principal: Principal::parse(*principal).map_err(broken)?,
            team: TeamName::parse(*team).map_err(broken)?,
            roles: vec![*role],
            managed: false,
            registered_by: "meshport-demo".into(),
            registered_at: jiff::Timestamp::now().to_string(),
            rotated_at: None,
            revision: 0,
        };
        let summary = format!("registered `{principal}` ({}): seeded by the demo mesh", role.as_str());
        let audit = crate::accounts::account_entry("meshport-demo", &account.team, summary)
            .map_err(|e| SeedError::Broken(e.to_string()))?;
        match mesh.catalog.put_account(account, None, audit).await {
            Ok(stored) if *role == AccountRole::Producer => new_producers.push(stored.team),
            Ok(_) | Err(StoreError::AccountConflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(new_producers)
}

async fn create_topic(
    mesh: &Mesh,
    topic: &TopicName,
    partitions: i32,
    configs: &[(&str, &str)],
) -> Result<(), SeedError> {
    let spec = NewTopic {
        name: topic.clone(),
        partitions,
        replication_factor: 1,
        configs: configs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>(),
    };
    match mesh.kafka.create_topic(&spec).await {
        Ok(()) | Err(KafkaError::TopicExists(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn topic_name(name: &str) -> Result<TopicName, SeedError> {
    TopicName::parse(name).map_err(|e| SeedError::Broken(e.to_string()))
}

fn product_of(seed: &Seed) -> Result<DataProduct, SeedError> {
    let broken = |e: meshport_shared::NameError| SeedError::Broken(e.to_string());
    let topic = topic_name(seed.id)?;
    let team = TeamName::parse(seed.team).map_err(broken)?;
    let now = jiff::Timestamp::now().to_string();
    Ok(DataProduct {
        id: ProductId::parse(seed.id).map_err(broken)?,
        name: seed.name.to_owned(),
        version: "1.0.0".to_owned(),
        domain: DomainName::parse(seed.domain).map_err(broken)?,
        owner: Owner {
            contact: format!("{team}@acme.example"),
            members: vec![format!("lead@{team}.acme.example")],
            team,
        },
        status: if seed.replaced_by.is_some() { ProductStatus::Deprecated } else { ProductStatus::Active },
        description: Description {
            purpose: seed.purpose.to_owned(),
            limitations: seed.limitations.to_owned(),
            usage: seed.usage.to_owned(),
        },
        tags: seed.tags.iter().map(|t| (*t).to_owned()).collect(),
        output_port: OutputPort {
            value_subject: SubjectName::value_of(&topic),
            topic,
            key_subject: None,
            schema_format: SchemaFormat::Avro,
        },
        quality: seed.quality,
        sla: seed.sla,
        support: vec![SupportChannel { kind: SupportKind::Chat, address: format!("#{}-data", seed.team) }],
        personal_fields: seed.personal_fields.iter().map(|f| (*f).to_owned()).collect(),
        inputs: seed.inputs.iter().map(|id| ProductId::parse(*id)).collect::<Result<_, _>>().map_err(broken)?,
        deprecation: match seed.replaced_by {
            Some(replacement) => Some(Deprecation {
                sunset: jiff::Zoned::now()
                    .date()
                    .checked_add(jiff::Span::new().days(60))
                    .map_err(|e| SeedError::Broken(e.to_string()))?
                    .to_string(),
                replacement: Some(ProductId::parse(replacement).map_err(broken)?),
                message: format!("replaced by `{replacement}`, which has every member and their current profile"),
            }),
            None => None,
        },
        revision: 0,
        created_at: now.clone(),
        updated_at: now,
        extensions: None,
    })
}

/// The demo's products with their value schemas and topic settings, for tests of what is made of them.
#[cfg(test)]
pub(crate) fn products() -> Vec<(DataProduct, &'static str, meshport_shared::api::TopicSettings)> {
    seeds()
        .iter()
        .map(|seed| {
            let config = |key: &str| seed.configs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
            let settings = meshport_shared::api::TopicSettings {
                partitions: seed.partitions,
                replication_factor: 1,
                retention_ms: config("retention.ms").and_then(|ms| ms.parse().ok()),
                cleanup_policy: config("cleanup.policy").unwrap_or("delete").to_owned(),
            };
            (product_of(seed).expect("the demo's products are valid"), seed.schema, settings)
        })
        .collect()
}

async fn generate(mesh: &Mesh, streams: Vec<Stream>) {
    let mut random = Random::seeded();
    let mut interval = tokio::time::interval(EVENT_INTERVAL);
    let mut failing = false;
    let mut ticks: u32 = 0;
    loop {
        interval.tick().await;
        ticks = ticks.wrapping_add(1);
        if ticks.is_multiple_of(COMMIT_EVERY)
            && let Err(e) = consume(mesh).await
        {
            tracing::debug!(error = %e, "demo consumer groups did not commit this time");
        }
        for stream in &streams {
            let (key, record) = event(&stream.topic, &mut random);
            let framed = match frame(&stream.schema, stream.schema_id, record) {
                Ok(framed) => framed,
                Err(e) => return tracing::error!(topic = %stream.topic, "demo event does not fit its schema: {e}"),
            };
            match mesh.kafka.produce(&stream.topic, Some(key.as_bytes()), &framed).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("demo events flowing again");
                }
                Ok(_) => {}
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "demo events paused until Kafka answers");
                }
                Err(_) => {}
            }
        }
    }
}

/// Confluent's wire format: magic byte 0, the schema id as 4 big-endian bytes, then the Avro binary datum.
pub fn frame(schema: &Schema, schema_id: u32, record: Value) -> Result<Vec<u8>, apache_avro::Error> {
    let mut framed = vec![0];
    framed.extend_from_slice(&schema_id.to_be_bytes());
    framed.extend(apache_avro::to_avro_datum(schema, record)?);
    Ok(framed)
}

fn event(topic: &TopicName, random: &mut Random) -> (String, Value) {
    let now = jiff::Timestamp::now().as_millisecond();
    let user = format!("User_{}", random.below(100));
    let string = |s: &str| Value::String(s.to_owned());
    let fields = match topic.as_str() {
        "users" | "signups" => {
            let gender = random.below(3);
            let symbol = ["FEMALE", "MALE", "OTHER"][gender as usize];
            vec![
                ("userid", string(&user)),
                ("registertime", Value::TimestampMillis(now - i64::from(random.below(90 * 24 * 3600)) * 1000)),
                ("regionid", Value::String(format!("Region_{}", random.below(9) + 1))),
                ("gender", Value::Enum(gender, symbol.to_owned())),
                ("email", Value::Union(1, Box::new(Value::String(format!("{}@mail.example", user.to_lowercase()))))),
            ]
        }
        "pageviews" => vec![
            ("viewtime", Value::TimestampMillis(now)),
            ("userid", string(&user)),
            ("pageid", Value::String(format!("Page_{}", random.below(90) + 10))),
        ],
        _ => {
            let symbols = ["ACME", "GLOBX", "INITECH", "UMBRL", "HOOLI", "STARK"];
            let side = random.below(2);
            vec![
                ("side", Value::Enum(side, ["BUY", "SELL"][side as usize].to_owned())),
                ("quantity", Value::Int(random.below(4_000) as i32 + 1)),
                ("symbol", string(symbols[random.below(symbols.len() as u32) as usize])),
                ("price", Value::Int(random.below(90_000) as i32 + 1_000)),
                ("account", Value::String(format!("ABC{}", random.below(900) + 100))),
                ("userid", string(&user)),
            ]
        }
    };
    let record = Value::Record(fields.into_iter().map(|(name, value)| (name.to_owned(), value)).collect());
    (user, record)
}

/// A small xorshift generator: demo data needs variety, not cryptographic randomness.
struct Random(u64);

impl Random {
    fn seeded() -> Self {
        let nanos = jiff::Timestamp::now().as_nanosecond() as u64;
        Self(nanos | 1)
    }

    fn below(&mut self, bound: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(bound.max(1))) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_product_complies_with_the_default_policy() {
        let policy: meshport_shared::GovernancePolicy = serde_json::from_str(crate::config::DEFAULT_POLICY).unwrap();
        for seed in seeds() {
            let product = product_of(&seed).unwrap();
            let violations = meshport_shared::validate(&product, &policy, meshport_shared::SchemaFact::Registered);
            assert!(violations.is_empty(), "{}: {violations:?}", seed.id);
        }
    }

    #[test]
    fn generated_events_fit_their_schemas_and_carry_the_confluent_frame() {
        let mut random = Random::seeded();
        for seed in seeds() {
            let schema = Schema::parse_str(seed.schema).unwrap();
            let topic = TopicName::parse(seed.id).unwrap();
            for _ in 0..50 {
                let (_, record) = event(&topic, &mut random);
                let framed = frame(&schema, 7, record).unwrap();
                assert_eq!(&framed[..5], &[0, 0, 0, 0, 7]);
                let decoded = apache_avro::from_avro_datum(&schema, &mut &framed[5..], None).unwrap();
                assert!(matches!(decoded, Value::Record(_)), "{}: {decoded:?}", seed.id);
            }
        }
    }

    #[test]
    fn every_demo_consumer_group_reads_a_demo_product() {
        for (group, topic, _) in CONSUMER_GROUPS {
            assert!(seeds().iter().any(|seed| seed.id == *topic), "{group} reads `{topic}`, which is no demo product");
        }
    }

    #[test]
    fn the_catcher_checks_webhooks_with_the_demos_secret_and_the_demos_channels_are_valid() {
        let run = include_str!("../../scripts/run");
        assert!(run.contains(CATCHER_WEBHOOK_SECRET), "scripts/run hands the catcher another secret than the demo's");
        let settings = ChannelSettings {
            webhook: Some(WebhookSettings {
                url: "http://127.0.0.1:8025/webhooks/insights".into(),
                secret: CATCHER_WEBHOOK_SECRET.into(),
            }),
            ..ChannelSettings::default()
        };
        crate::notify::check(&settings, true).unwrap();
    }

    #[test]
    fn unpublished_demo_topics_are_valid_names_and_one_lacks_a_schema() {
        assert!(UNPUBLISHED.iter().all(|(name, _, _)| TopicName::parse(*name).is_ok()));
        assert!(UNPUBLISHED.iter().any(|(_, schema, _)| schema.is_none()));
    }
}
