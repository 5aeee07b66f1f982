//! The catalog API's figures, printed (no assertions: targets are read by people, not enforced by timing tests).
//! Run with `scripts/bench`, which starts Kafka and moto and sets MESHPORT_TEST_KAFKA_BOOTSTRAP and
//! MESHPORT_TEST_DYNAMODB_ENDPOINT.
//!
//! - search and get over local HTTP with 10,000 products in the embedded catalog;
//! - search over the DynamoDB catalog (moto): cold (index build) and warm;
//! - 100 products read through the mirror vs. live from broker + registry per request (the seed's way);
//! - sync of 1,000 topics and subjects against Kafka and the project's registry;
//! - the server as its own process with 10,000 and 100,000 products: start to first served request, resident memory
//!   before and after the index is built, and search over local HTTP.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use meshport_api::app::{AppState, Application};
use meshport_api::catalog::StoreError;
use meshport_api::config::Config;
use meshport_api::kafka::NewTopic;
use meshport_api::registry::VersionRef;
use meshport_shared::testing;
use meshport_shared::{AuditAction, DataProduct, ProductId, Quality, SchemaFormat, SlaTier, SubjectName, TopicName};

const WORDS: &[&str] = &[
    "orders",
    "payments",
    "customers",
    "clicks",
    "sessions",
    "inventory",
    "shipments",
    "refunds",
    "invoices",
    "ledger",
    "prices",
    "trades",
    "quotes",
    "accounts",
    "members",
    "devices",
    "events",
    "alerts",
    "metrics",
    "reviews",
];
const DOMAINS: &[(&str, &str)] = &[("membership", "accounts"), ("analytics", "edge"), ("execution", "trading")];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let run = std::env::var("MESHPORT_BENCH_RUN").unwrap_or_default();
        http_over_embedded(10_000).await;
        if std::env::var("MESHPORT_TEST_DYNAMODB_ENDPOINT").is_ok() {
            search_over_dynamodb(1_000).await;
        } else {
            println!("dynamodb search: skipped (MESHPORT_TEST_DYNAMODB_ENDPOINT not set)");
        }
        if std::env::var("MESHPORT_TEST_KAFKA_BOOTSTRAP").is_ok() {
            mirror_vs_live(100, &run).await;
            sync_at_scale(1_000, &run).await;
        } else {
            println!("mirror vs live, sync: skipped (MESHPORT_TEST_KAFKA_BOOTSTRAP not set)");
        }
        separate_process(10_000).await;
        // The issue's scale target: search p95 at most 10 ms over HTTP with 100,000 products.
        separate_process(100_000).await;
    });
}

fn product(n: usize) -> DataProduct {
    let (domain, team) = DOMAINS[n % DOMAINS.len()];
    let word = WORDS[n % WORDS.len()];
    let other = WORDS[(n / WORDS.len()) % WORDS.len()];
    testing::product(&format!("{word}-{other}-{n}"))
        .topic(&format!("{word}.{other}.{n}"))
        .name(&format!("{word} {other} {n}"))
        .domain(domain, team)
        .purpose(&format!("Every {word} event joined with {other}, as the {team} team publishes it."))
        .tags(&[word, other])
        .quality([Quality::Authoritative, Quality::Curated, Quality::Raw][n % 3])
        .sla([SlaTier::Tier1, SlaTier::Tier2, SlaTier::Tier3][n % 3])
        .build()
}

async fn seed(state: &AppState, count: usize) -> Duration {
    let started = Instant::now();
    for n in 0..count {
        let product = product(n);
        let entry = meshport_api::audit::entry("bench", &product.id, AuditAction::Published, "seeded", None, None);
        // moto on a busy machine may time out a write; the same change sent again is done once (its audit entry).
        let mut attempts = 0;
        while let Err(e) = state.mesh.catalog.put_product(product.clone(), None, entry.clone()).await {
            attempts += 1;
            assert!(attempts < 3 && matches!(e, StoreError::Unavailable(_)), "a stored product: {e:?}");
        }
    }
    started.elapsed()
}

fn config(vars: &[(&str, String)]) -> Config {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    Config::from_lookup(|name| vars.get(name).cloned()).expect("a bench configuration")
}

fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)].as_secs_f64() * 1000.0;
    format!("p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms", at(0.50), at(0.95), at(0.99))
}

async fn time_requests(http: &reqwest::Client, urls: &[String]) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(urls.len());
    for url in urls {
        let started = Instant::now();
        let response = http.get(url).send().await.expect("an answer");
        assert!(response.status().is_success(), "{url}: {}", response.status());
        response.bytes().await.expect("a body");
        samples.push(started.elapsed());
    }
    samples
}

fn dead(port_of: &str) -> String {
    format!("{port_of}127.0.0.1:9")
}

/// A server on a free port; reads are open, so the figures are the catalog's, not a token check's.
async fn spawn(vars: &[(&str, String)]) -> (String, AppState) {
    let mut vars = vars.to_vec();
    vars.push(("MESHPORT_PUBLIC_READS", "true".into()));
    let config = config(&vars);
    let state = AppState::build(&config).expect("the app state");
    let application = Application::bind(&config, state.clone()).await.expect("a bound server");
    let base = format!("http://{}", application.address());
    tokio::spawn(application.serve(std::future::pending()));
    (base, state)
}

fn queries(base: &str, rounds: usize) -> Vec<String> {
    let mix =
        ["", "q=orders", "q=pay", "q=customers%20inv", "domain=analytics&quality=raw", "q=trades&sort=name&limit=50"];
    (0..rounds).map(|i| format!("{base}/api/v1/products?{}", mix[i % mix.len()])).collect()
}

async fn http_over_embedded(count: usize) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (base, state) = spawn(&[
        ("MESHPORT_LISTEN", "127.0.0.1:0".into()),
        ("MESHPORT_DATA_DIR", dir.path().display().to_string()),
        ("MESHPORT_KAFKA_BOOTSTRAP", dead("")),
        ("MESHPORT_REGISTRY_URL", dead("http://")),
    ])
    .await;
    let seeded = seed(&state, count).await;
    println!("embedded catalog: stored {count} products in {:.1} s (one transaction each)", seeded.as_secs_f64());
    let http = reqwest::Client::new();
    let cold = Instant::now();
    time_requests(&http, &queries(&base, 1)).await;
    println!(
        "search {count} products over HTTP: first search (index build) {:.1} ms",
        cold.elapsed().as_secs_f64() * 1000.0
    );
    time_requests(&http, &queries(&base, 100)).await;
    let search = time_requests(&http, &queries(&base, 2_000)).await;
    println!("search {count} products over HTTP: {}", percentiles(search));
    let gets: Vec<String> =
        (0..2_000).map(|i| format!("{base}/api/v1/products/{}", product(i * 7 % count).id)).collect();
    let get = time_requests(&http, &gets).await;
    println!("get one of {count} products over HTTP: {}", percentiles(get));
}

async fn search_over_dynamodb(count: usize) {
    let endpoint = std::env::var("MESHPORT_TEST_DYNAMODB_ENDPOINT").expect("checked by the caller");
    let table = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let vars = [
        ("MESHPORT_LISTEN", "127.0.0.1:0".to_owned()),
        ("MESHPORT_CATALOG", "dynamodb".into()),
        ("MESHPORT_DEPENDENCY_TIMEOUT_MS", "10000".into()),
        ("MESHPORT_DYNAMODB_TABLE", table),
        ("MESHPORT_DYNAMODB_ENDPOINT", endpoint),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("MESHPORT_KAFKA_BOOTSTRAP", dead("")),
        ("MESHPORT_REGISTRY_URL", dead("http://")),
    ];
    let (_, state) = spawn(&vars).await;
    // Wait for the background table creation.
    while state.mesh.catalog.ping().await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seeded = seed(&state, count).await;
    println!("dynamodb (moto) catalog: stored {count} products in {:.1} s", seeded.as_secs_f64());
    // A fresh process against the same table: the cold container of a Lambda.
    let (base, _) = spawn(&vars).await;
    let http = reqwest::Client::new();
    let cold = Instant::now();
    time_requests(&http, &queries(&base, 1)).await;
    println!(
        "search {count} products over DynamoDB (moto): cold container {:.1} ms",
        cold.elapsed().as_secs_f64() * 1000.0
    );
    let warm = time_requests(&http, &queries(&base, 500)).await;
    println!("search {count} products over DynamoDB (moto): warm container {}", percentiles(warm));
}

async fn kafka_app(run: &str) -> (String, AppState, String) {
    let registry = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, meshport_registry::router()).await });
        format!("http://{address}")
    };
    let dir = tempfile::tempdir().expect("a temp dir").keep();
    let (base, state) = spawn(&[
        ("MESHPORT_LISTEN", "127.0.0.1:0".into()),
        ("MESHPORT_DATA_DIR", dir.display().to_string()),
        ("MESHPORT_KAFKA_BOOTSTRAP", std::env::var("MESHPORT_TEST_KAFKA_BOOTSTRAP").expect("checked")),
        ("MESHPORT_REGISTRY_URL", registry),
        ("MESHPORT_DEPENDENCY_TIMEOUT_MS", "10000".into()),
    ])
    .await;
    let prefix = format!("bench{}{}", run, &uuid::Uuid::new_v4().simple().to_string()[..6]);
    (base, state, prefix)
}

const SCHEMA: &str =
    r#"{"type":"record","name":"Row","fields":[{"name":"id","type":"string"},{"name":"n","type":"long"}]}"#;

async fn topics_and_subjects(state: &AppState, prefix: &str, count: usize) -> Vec<TopicName> {
    let mut names = Vec::with_capacity(count);
    for n in 0..count {
        let name = TopicName::parse(format!("{prefix}.t{n}")).expect("a topic name");
        let spec = NewTopic { name: name.clone(), partitions: 1, replication_factor: 1, configs: BTreeMap::new() };
        state.mesh.kafka.create_topic(&spec).await.expect("a topic");
        state.mesh.registry.register(&format!("{name}-value"), SCHEMA, SchemaFormat::Avro).await.expect("a schema");
        names.push(name);
    }
    names
}

async fn mirror_vs_live(count: usize, run: &str) {
    let (base, state, prefix) = kafka_app(run).await;
    let topics = topics_and_subjects(&state, &prefix, count).await;
    for topic in &topics {
        let mut product = product(0);
        product.id = ProductId::parse(topic.as_str().replace('.', "-")).expect("an id");
        product.output_port.value_subject = SubjectName::value_of(topic);
        product.output_port.topic = topic.clone();
        let entry = meshport_api::audit::entry("bench", &product.id, AuditAction::Published, "seeded", None, None);
        state.mesh.catalog.put_product(product, None, entry).await.expect("a product");
    }
    meshport_api::sync::run_once(&state.mesh).await.expect("a sync");
    let http = reqwest::Client::new();
    let urls: Vec<String> =
        topics.iter().map(|t| format!("{base}/api/v1/products/{}", t.as_str().replace('.', "-"))).collect();
    time_requests(&http, &urls).await;
    let started = Instant::now();
    time_requests(&http, &urls).await;
    let mirror = started.elapsed();
    let started = Instant::now();
    for topic in &topics {
        // The seed's way: ask the cluster and the registry on every read.
        state.mesh.kafka.topic(topic).await.expect("the topic");
        state.mesh.registry.version(&format!("{topic}-value"), VersionRef::Latest).await.expect("the schema");
    }
    let live = started.elapsed();
    println!(
        "{count} product reads: mirror over HTTP {:.1} ms, live from broker + registry {:.1} ms: live is {:.1}x slower",
        mirror.as_secs_f64() * 1000.0,
        live.as_secs_f64() * 1000.0,
        live.as_secs_f64() / mirror.as_secs_f64()
    );
}

async fn sync_at_scale(count: usize, run: &str) {
    let (_, state, prefix) = kafka_app(run).await;
    let created = Instant::now();
    topics_and_subjects(&state, &prefix, count).await;
    println!("sync setup: {count} topics and subjects created in {:.1} s", created.elapsed().as_secs_f64());
    let report = meshport_api::sync::run_once(&state.mesh).await.expect("a sync");
    println!(
        "sync of {count} new topics and subjects: {:.0} ms ({} topics added, {} schema versions added)",
        report.duration_ms,
        report.topics_added.len(),
        report.schema_versions_added.len()
    );
    let again = meshport_api::sync::run_once(&state.mesh).await.expect("a sync");
    println!("sync again with nothing changed: {:.0} ms", again.duration_ms);
}

/// The `meshport` binary as its own process over an embedded catalog of `count` products: start time, resident
/// memory before and after the first search builds the index, and search over local HTTP. The client runs in this
/// process, so the server's figures are not shared with it.
async fn separate_process(count: usize) {
    let dir = tempfile::tempdir().expect("a temp dir");
    {
        // Seeded without a server, and dropped before the process starts: redb lets one process open the file.
        let state = AppState::build(&config(&[
            ("MESHPORT_DATA_DIR", dir.path().display().to_string()),
            ("MESHPORT_KAFKA_BOOTSTRAP", dead("")),
            ("MESHPORT_REGISTRY_URL", dead("http://")),
        ]))
        .expect("the app state");
        let seeded = seed(&state, count).await;
        println!("embedded catalog: stored {count} products in {:.1} s (one transaction each)", seeded.as_secs_f64());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_meshport"))
        .env("MESHPORT_LISTEN", format!("127.0.0.1:{port}"))
        .env("MESHPORT_DATA_DIR", dir.path())
        .env("MESHPORT_KAFKA_BOOTSTRAP", "127.0.0.1:9")
        .env("MESHPORT_REGISTRY_URL", "http://127.0.0.1:9")
        .env("MESHPORT_SYNC_INTERVAL_SECS", "0")
        .env("MESHPORT_PUBLIC_READS", "true")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the meshport binary");
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1/policy");
    while http.get(&url).send().await.is_err() {
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    println!(
        "process start to first served request (catalog of {count}): {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("resident memory idle (catalog of {count}, not yet searched): {:.1} MB", rss_mb(child.id()));
    let cold = Instant::now();
    time_requests(&http, &queries(&base, 1)).await;
    println!(
        "search {count} products over HTTP, separate process: first search (index build) {:.1} ms",
        cold.elapsed().as_secs_f64() * 1000.0
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("resident memory idle (after the first search built the index of {count}): {:.1} MB", rss_mb(child.id()));
    time_requests(&http, &queries(&base, 100)).await;
    let search = time_requests(&http, &queries(&base, 2_000)).await;
    println!("search {count} products over HTTP, separate process: {}", percentiles(search));
    println!("resident memory after 2,100 searches of {count}: {:.1} MB", rss_mb(child.id()));
    let _ = child.kill();
    let _ = child.wait();
}

/// A process's resident memory in MB, from `/proc` (0 where there is none).
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS"))
                .and_then(|line| line.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
