//! How fast samples are: decoding a typical record with the bounded decoder next to apache-avro's own (per record
//! and in MB/s), how soon hostile records are refused, and, when MESHPORT_TEST_KAFKA_BOOTSTRAP names a broker (as
//! `scripts/bench` sets it), a whole `GET /api/v1/products/{id}/sample?limit=100` over local HTTP (p50/p95) and a
//! burst of concurrent ones. It prints and asserts nothing: `cargo bench -p meshport-api --bench sample`.

mod common;

use common::{report, spawn_registry, timed_gets};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use apache_avro::types::Value as Avro;
use meshport_api::app::{AppState, Application};
use meshport_api::config::Config;
use meshport_api::kafka::NewTopic;
use meshport_api::sample::avro::{Budget, WriterSchema};
use meshport_shared::testing;
use meshport_shared::{AuditAction, SchemaFormat, SchemaVersion, TopicName};

const DECODES: usize = 100_000;
const REQUESTS: usize = 100;
const BURST: usize = 12;
const USERS_SCHEMA: &str = r#"{"type": "record", "name": "User", "namespace": "com.acme.membership", "fields": [
    {"name": "registertime", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "userid", "type": "string"}, {"name": "regionid", "type": "string"},
    {"name": "gender", "type": {"type": "enum", "name": "Gender", "symbols": ["FEMALE", "MALE", "OTHER"]}},
    {"name": "email", "type": ["null", "string"]},
    {"name": "interests", "type": {"type": "array", "items": "string"}}
]}"#;
const NODE: &str = r#"{"type": "record", "name": "Node", "fields": [
    {"name": "next", "type": ["null", "Node"]}, {"name": "items", "type": {"type": "array", "items": "null"}}
]}"#;

fn main() {
    decoding();
    hostile();
    match std::env::var("MESHPORT_TEST_KAFKA_BOOTSTRAP") {
        Ok(bootstrap) => {
            let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
            runtime.block_on(over_http(bootstrap));
        }
        Err(_) => println!("sample over HTTP: skipped (MESHPORT_TEST_KAFKA_BOOTSTRAP not set)"),
    }
}

fn budget() -> Budget {
    Budget { values: usize::MAX, text: usize::MAX, deadline: Instant::now() + Duration::from_secs(3600) }
}

fn user(i: usize) -> Avro {
    let string = |s: String| Avro::String(s);
    Avro::Record(vec![
        ("registertime".into(), Avro::TimestampMillis(1_700_000_000_000 + i as i64)),
        ("userid".into(), string(format!("User_{i}"))),
        ("regionid".into(), string(format!("Region_{}", i % 9))),
        ("gender".into(), Avro::Enum(1, "MALE".into())),
        ("email".into(), Avro::Union(1, Box::new(string(format!("user_{i}@mail.example"))))),
        ("interests".into(), Avro::Array(vec![string("cycling".into()), string("chess".into())])),
    ])
}

fn decoding() {
    let parsed = apache_avro::Schema::parse_str(USERS_SCHEMA).expect("the users schema");
    let ours = WriterSchema::parse(USERS_SCHEMA).expect("the users schema");
    let body = apache_avro::to_avro_datum(&parsed, user(42)).expect("a users record");

    let started = Instant::now();
    for _ in 0..DECODES {
        std::hint::black_box(ours.decode(std::hint::black_box(&body), &mut budget()).expect("decoded"));
    }
    let bounded = started.elapsed();
    let started = Instant::now();
    for _ in 0..DECODES {
        let datum = apache_avro::from_avro_datum(&parsed, &mut std::hint::black_box(&body[..]), None);
        std::hint::black_box(serde_json::Value::try_from(datum.expect("decoded")).expect("as JSON"));
    }
    let apache = started.elapsed();
    let per = |total: Duration| total / DECODES as u32;
    let rate = |total: Duration| (body.len() * DECODES) as f64 / total.as_secs_f64() / 1e6;
    println!(
        "decode a users record ({} bytes) to JSON, {DECODES} times: bounded {:?} each ({:.1} MB/s), apache-avro {:?} \
         each ({:.1} MB/s)",
        body.len(),
        per(bounded),
        rate(bounded),
        per(apache),
        rate(apache)
    );
}

fn hostile() {
    let node = WriterSchema::parse(NODE).expect("the node schema");
    let sample_budget =
        || Budget { values: 100_000, text: 512 * 1024, deadline: Instant::now() + Duration::from_secs(2) };
    let mut deep = vec![2; 100_000];
    deep.extend(std::iter::repeat_n(0, 100_001));
    let mut claims = vec![0];
    claims.extend([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    for (what, bytes) in [("100,000 levels deep", deep), ("an array of i64::MAX nulls", claims)] {
        let started = Instant::now();
        let refused = node.decode(&bytes, &mut sample_budget()).expect_err("refused");
        println!("refuse a record {what}: {:?} ({refused})", started.elapsed());
    }
}

async fn over_http(bootstrap: String) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let registry = spawn_registry().await;
    let env = HashMap::from([
        ("MESHPORT_LISTEN", "127.0.0.1:0".to_owned()),
        ("MESHPORT_DATA_DIR", data.path().display().to_string()),
        ("MESHPORT_KAFKA_BOOTSTRAP", bootstrap),
        ("MESHPORT_REGISTRY_URL", registry),
        ("MESHPORT_STATIC_DIR", data.path().join("no-portal").display().to_string()),
        ("MESHPORT_PUBLIC_READS", "true".to_owned()),
    ]);
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("a configuration");
    let state = AppState::build(&config).expect("the application state");
    let topic = format!("bench-sample-{}", std::process::id());
    let product = testing::product(&topic).domain("membership", "accounts").personal_fields(&["email"]).build();
    let spec = NewTopic {
        name: TopicName::parse(&topic).expect("a topic name"),
        partitions: 3,
        replication_factor: 1,
        configs: Default::default(),
    };
    state.mesh.kafka.create_topic(&spec).await.expect("the topic created");
    let subject = product.output_port.value_subject.as_str();
    let id = state.mesh.registry.register(subject, USERS_SCHEMA, SchemaFormat::Avro).await.expect("registered");
    let version = SchemaVersion {
        subject: subject.into(),
        version: 1,
        id,
        format: SchemaFormat::Avro,
        schema: USERS_SCHEMA.into(),
    };
    state.mesh.catalog.put_schema_versions(vec![version]).await.expect("the version mirrored");
    let audit =
        meshport_api::audit::entry("bench", &product.id, AuditAction::Created, "bench seed", None, Some(&product));
    state.mesh.catalog.put_product(product.clone(), None, audit).await.expect("the product stored");
    let parsed = apache_avro::Schema::parse_str(USERS_SCHEMA).expect("the users schema");
    for i in 0..300 {
        let framed = meshport_api::demo::frame(&parsed, id as u32, user(i)).expect("a framed record");
        let key = format!("User_{i}");
        state.mesh.kafka.produce(&spec.name, Some(key.as_bytes()), &framed).await.expect("produced");
    }

    let application = Application::bind(&config, state).await.expect("the application bound");
    let url = format!("http://{}/api/v1/products/{}/sample?limit=100", application.address(), product.id);
    tokio::spawn(application.serve(std::future::pending()));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let first = http.get(&url).send().await.expect("an answer").bytes().await.expect("a body");
    println!("first sample (a new consumer): {:?}, {} bytes", started.elapsed(), first.len());
    let mut requests = timed_gets(&http, &url, REQUESTS).await;
    report(&format!("GET .../sample?limit=100 of 3 partitions over local HTTP, {REQUESTS} requests"), &mut requests);

    let started = Instant::now();
    let burst: Vec<_> = (0..BURST).map(|_| tokio::spawn(http.get(&url).send())).collect();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for answer in burst {
        let status = answer.await.expect("the request ran").expect("an answer").status().as_u16();
        *statuses.entry(status).or_default() += 1;
    }
    println!("a burst of {BURST} concurrent samples: {statuses:?} in {:?}", started.elapsed());
}
