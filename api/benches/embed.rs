//! How fast a product card is: the pure render (p50/p95 over many renders), and a whole `GET /embed/products/users`
//! over local HTTP (p50/p95), catalog read and registry lookup included, against an embedded catalog and the
//! project's registry in-process. It prints and asserts nothing: `cargo bench -p meshport-api --bench embed`.

mod common;

use common::{report, timed_gets};
use std::collections::HashMap;
use std::time::Instant;

use meshport_api::app::{AppState, Application};
use meshport_api::config::Config;
use meshport_api::embed::{self, Theme};
use meshport_shared::testing;
use meshport_shared::{AuditAction, DataProduct, Quality, SchemaFormat, SlaTier};

const RENDERS: usize = 10_000;
const REQUESTS: usize = 1_000;
const USERS_SCHEMA: &str = r#"{"type": "record", "name": "User", "namespace": "com.acme.membership", "fields": [
    {"name": "registertime", "type": "long"}, {"name": "userid", "type": "string"},
    {"name": "regionid", "type": "string"}, {"name": "gender", "type": "string"},
    {"name": "email", "type": "string"}, {"name": "interests", "type": {"type": "array", "items": "string"}}
]}"#;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port for the registry");
    let registry = format!("http://{}", listener.local_addr().expect("the registry's address"));
    tokio::spawn(async move { axum::serve(listener, meshport_registry::router()).await });
    let env = HashMap::from([
        ("MESHPORT_LISTEN", "127.0.0.1:0".to_owned()),
        ("MESHPORT_DATA_DIR", data.path().display().to_string()),
        // Never contacted by the embed routes.
        ("MESHPORT_KAFKA_BOOTSTRAP", "127.0.0.1:9".to_owned()),
        ("MESHPORT_REGISTRY_URL", registry),
        ("MESHPORT_STATIC_DIR", data.path().join("no-portal").display().to_string()),
        ("MESHPORT_PUBLIC_CARDS", "true".to_owned()),
    ]);
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("a configuration");
    let state = AppState::build(&config).expect("the application state");
    let users = users();
    state.mesh.registry.register("users-value", USERS_SCHEMA, SchemaFormat::Avro).await.expect("the schema registered");
    let audit = meshport_api::audit::entry("bench", &users.id, AuditAction::Created, "bench seed", None, Some(&users));
    state.mesh.catalog.put_product(users.clone(), None, audit).await.expect("the product stored");

    let mut renders = Vec::with_capacity(RENDERS);
    for i in 0..RENDERS {
        let theme = if i % 2 == 0 { Theme::Light } else { Theme::Dark };
        let started = Instant::now();
        let html = embed::card_html(&users, Some(6), theme, &state.embed);
        renders.push(started.elapsed());
        std::hint::black_box(html);
    }
    let light = embed::card_html(&users, Some(6), Theme::Light, &state.embed).len();
    let dark = embed::card_html(&users, Some(6), Theme::Dark, &state.embed).len();
    println!("card size (users): light {light} bytes, dark {dark} bytes");
    report(&format!("render card_html, {RENDERS} renders"), &mut renders);

    let application = Application::bind(&config, state).await.expect("the application bound");
    let url = format!("http://{}/embed/products/users", application.address());
    tokio::spawn(application.serve(std::future::pending()));
    let http = reqwest::Client::new();
    for _ in 0..50 {
        http.get(&url).send().await.expect("a warm-up answer").bytes().await.expect("a warm-up body");
    }
    let served = http.get(&url).send().await.expect("an answer").text().await.expect("a body");
    let fields = served.split("data-testid=\"fields\"").nth(1).and_then(|rest| rest.split(['>', '<']).nth(1));
    println!("served card: {} bytes, fields shown: {}", served.len(), fields.unwrap_or("?"));
    let mut requests = timed_gets(&http, &url, REQUESTS).await;
    report(&format!("GET /embed/products/users over local HTTP, {REQUESTS} requests"), &mut requests);
}

fn users() -> DataProduct {
    testing::product("users")
        .domain("membership", "accounts")
        .name("Users")
        .purpose("Every registered member and their current profile; the system of record for who our users are.")
        .quality(Quality::Authoritative)
        .sla(SlaTier::Tier1)
        .tags(&["users"])
        .personal_fields(&["email"])
        .build()
}
