//! The API over HTTP: each test builds its own application on a random port, against a real Kafka broker, the
//! project's schema registry and a catalog of its own.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use meshport_api::state::KeptHealth;
use meshport_shared::api::{Dependency, DevTokenRequest, Health, HealthStatus, ProductDetail};
use meshport_shared::search::SearchPage;
use meshport_shared::{ApiError, ErrorCode, GovernancePolicy, TopicName};
use reqwest::{Method, StatusCode};

use common::{TestApp, Who, product};

async fn error_of(response: reqwest::Response) -> (StatusCode, ApiError) {
    let status = response.status();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "errors are JSON, got {content_type}");
    (status, response.json().await.unwrap())
}

fn up(health: &Health, name: Dependency) -> bool {
    health.dependencies.iter().find(|d| d.name == name).unwrap().up
}

/// The test application with dev sign-in, so that an admin may ask for health's details.
async fn spawn_with_admin(vars: &[(&str, String)]) -> TestApp {
    let vars: Vec<(&str, String)> =
        [("MESHPORT_DEV_AUTH", "true".to_owned())].into_iter().chain(vars.iter().cloned()).collect();
    TestApp::spawn(&vars).await
}

#[tokio::test]
async fn health_reports_every_dependency_up_with_its_latency_to_an_admin() {
    let app = spawn_with_admin(&[]).await;

    let health = app.as_(Who::Admin).health().await;

    assert_eq!(health.status, HealthStatus::Ok, "{health:?}");
    assert_eq!(health.dependencies.len(), 3);
    assert!(health.dependencies.iter().all(|d| d.up && d.latency_ms >= 0.0 && d.error.is_none()), "{health:?}");
}

#[tokio::test]
async fn callers_other_than_admins_learn_whether_the_api_is_up_but_not_what_is_down_nor_where() {
    let registry = format!("http://127.0.0.1:{}", common::closed_port());
    let app = spawn_with_admin(&[("MESHPORT_REGISTRY_URL", registry.clone())]).await;

    let anonymous = app.get("/api/health").await.text().await.unwrap();
    let member = app.as_(Who::Owner).health().await;
    let admin = app.as_(Who::Admin).health().await;

    let port = registry.rsplit(':').next().unwrap();
    assert!(!anonymous.contains(port) && !anonymous.contains("registry"), "no details: {anonymous}");
    let anonymous: Health = serde_json::from_str(&anonymous).unwrap();
    assert_eq!((anonymous.status, anonymous.dependencies.len()), (HealthStatus::Degraded, 0), "{anonymous:?}");
    assert_eq!((member.status, member.dependencies.len()), (HealthStatus::Degraded, 0), "{member:?}");
    assert_eq!(admin.status, HealthStatus::Degraded);
    assert!(!up(&admin, Dependency::Registry) && up(&admin, Dependency::Kafka), "{admin:?}");
    let registry_error = admin.dependencies.iter().find(|d| d.name == Dependency::Registry).unwrap().error.clone();
    assert!(registry_error.is_some_and(|error| !error.is_empty()), "an admin learns why: {admin:?}");
}

/// A stand-in registry that answers every request `{}` and counts them: one per health probe.
async fn counting_registry() -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let router = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { axum::Json(serde_json::json!({})) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, requests)
}

#[tokio::test]
async fn however_many_ask_health_probes_the_dependencies_once_per_few_seconds_but_afresh_for_an_admin() {
    let (registry, probes) = counting_registry().await;
    let app = spawn_with_admin(&[("MESHPORT_REGISTRY_URL", registry)]).await;
    let started = std::time::Instant::now();

    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (http, url) = (app.http.clone(), app.url("/api/health"));
        callers.spawn(async move { http.get(url).send().await.unwrap().json::<Health>().await.unwrap() });
    }
    let mut verdicts = callers.join_all().await;
    for _ in 0..10 {
        verdicts.push(app.health().await);
    }
    let anonymous_probes = probes.load(Ordering::SeqCst);
    let admin = app.as_(Who::Admin).health().await;

    assert!(verdicts.iter().all(|health| health.status == HealthStatus::Ok), "{verdicts:?}");
    let windows = started.elapsed().as_secs_f64() / KeptHealth::KEEP.as_secs_f64();
    assert!(
        (1..=1 + windows as usize).contains(&anonymous_probes),
        "{anonymous_probes} probes for 30 callers in {:?}",
        started.elapsed()
    );
    assert_eq!(admin.dependencies.len(), 3);
    assert_eq!(probes.load(Ordering::SeqCst), anonymous_probes + 1, "an admin's health is checked afresh");
}

#[tokio::test]
async fn the_api_reaches_a_secured_cluster_as_meshports_principal() {
    let app = spawn_with_admin(&[
        ("MESHPORT_KAFKA_BOOTSTRAP", common::kafka_sasl_bootstrap()),
        ("MESHPORT_KAFKA_CONFIG", common::kafka_config()),
    ])
    .await;

    let health = app.as_(Who::Admin).health().await;

    assert!(up(&health, Dependency::Kafka), "{health:?}");
}

#[tokio::test]
async fn health_says_the_cluster_refused_our_credentials_and_never_shows_them() {
    let app = spawn_with_admin(&[
        ("MESHPORT_KAFKA_BOOTSTRAP", common::kafka_sasl_bootstrap()),
        (
            "MESHPORT_KAFKA_CONFIG",
            "security.protocol=SASL_PLAINTEXT;sasl.mechanism=SCRAM-SHA-512;sasl.username=meshport;\
             sasl.password=not-the-password"
                .into(),
        ),
    ])
    .await;
    let started = std::time::Instant::now();

    let health = app.as_(Who::Admin).health().await;

    let kafka = health.dependencies.iter().find(|d| d.name == Dependency::Kafka).unwrap();
    let error = kafka.error.as_deref().unwrap_or_default();
    assert!(!kafka.up, "{health:?}");
    assert!(error.contains("refused our credentials"), "{error}");
    assert!(!error.contains("not-the-password"), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn listed_products_come_from_the_catalog_in_id_order() {
    let app = TestApp::spawn(&[]).await;
    app.seed(product("users", "membership")).await;
    app.seed(product("pageviews", "analytics")).await;

    let response = app.products().await;

    assert_eq!(response.status(), StatusCode::OK);
    let list: SearchPage = response.json().await.unwrap();
    let ids: Vec<&str> = list.items.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["pageviews", "users"]);
}

#[tokio::test]
async fn a_product_is_read_by_id() {
    let app = TestApp::spawn(&[]).await;
    let stored = app.seed(product("users", "membership")).await;

    let response = app.product("users").await;

    assert_eq!(response.status(), StatusCode::OK);
    let detail: ProductDetail = response.json().await.unwrap();
    assert_eq!(detail.product, stored);
}

#[tokio::test]
async fn an_unknown_product_is_a_json_404() {
    let app = TestApp::spawn(&[]).await;

    let (status, error) = error_of(app.product("nothing-here").await).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(error.message, "no data product `nothing-here`");
}

#[tokio::test]
async fn a_malformed_product_id_is_a_bad_request_naming_the_problem() {
    let app = TestApp::spawn(&[]).await;

    let (status, error) = error_of(app.product("Users%20Table").await).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error.code, ErrorCode::BadRequest);
    assert!(error.message.starts_with("product id `Users Table` must start with a lowercase"), "{}", error.message);
}

#[tokio::test]
async fn unknown_api_routes_answer_json_not_found() {
    let app = TestApp::spawn(&[]).await;

    let (status, error) = error_of(app.get("/api/v1/nothing").await).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn private_reads_without_any_sign_in_configured_say_how_to_fix_it() {
    let app = TestApp::spawn(&[("MESHPORT_PUBLIC_READS", "false".into())]).await;

    let (status, error) = error_of(app.products().await).await;

    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized));
    assert!(error.message.contains("MESHPORT_OIDC_ISSUER"), "{}", error.message);
    assert!(error.message.contains("MESHPORT_PUBLIC_READS=true"), "{}", error.message);
    assert_eq!(app.get("/api/health").await.status(), StatusCode::OK, "health needs no sign-in");
}

#[tokio::test]
async fn the_policy_is_served_for_the_portal_to_validate_with() {
    let app = TestApp::spawn(&[]).await;

    let policy: GovernancePolicy = app.anonymous().policy().await.json().await.unwrap();

    assert_eq!(&policy, app.state.mesh.policy.as_ref());
}

#[tokio::test]
async fn with_every_dependency_down_the_api_still_answers_and_says_what_is_down() {
    let blocked = tempfile::tempdir().unwrap();
    let data_dir = blocked.path().join("data");
    std::fs::write(&data_dir, b"a file where the data directory should be").unwrap();
    let app = spawn_with_admin(&[
        ("MESHPORT_DATA_DIR", data_dir.display().to_string()),
        ("MESHPORT_KAFKA_BOOTSTRAP", format!("127.0.0.1:{}", common::closed_port())),
        ("MESHPORT_REGISTRY_URL", format!("http://127.0.0.1:{}", common::closed_port())),
    ])
    .await;

    let health = app.as_(Who::Admin).health().await;
    let (status, error) = error_of(app.products().await).await;

    assert_eq!(health.status, HealthStatus::Degraded);
    assert!(health.dependencies.iter().all(|d| !d.up && d.error.is_some()), "{health:?}");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error.code, ErrorCode::CatalogUnavailable);

    // The catalog comes back by itself once its directory is usable.
    std::fs::remove_file(&data_dir).unwrap();
    assert_eq!(app.products().await.status(), StatusCode::OK);
    assert!(up(&app.as_(Who::Admin).health().await, Dependency::Catalog));
}

#[tokio::test]
async fn the_api_runs_on_the_dynamodb_catalog_too() {
    let table = common::unique("api");
    let app = spawn_with_admin(&[
        ("MESHPORT_CATALOG", "dynamodb".into()),
        ("MESHPORT_DYNAMODB_TABLE", table),
        ("MESHPORT_DYNAMODB_ENDPOINT", common::dynamodb_endpoint()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ])
    .await;

    // The local endpoint's table is created in the background at start.
    let mut health = app.as_(Who::Admin).health().await;
    for _ in 0..50 {
        if up(&health, Dependency::Catalog) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        health = app.as_(Who::Admin).health().await;
    }
    assert!(up(&health, Dependency::Catalog), "{health:?}");
    app.seed(product("stocktrades", "execution")).await;

    let list: SearchPage = app.products().await.json().await.unwrap();

    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].id.as_str(), "stocktrades");
}

#[tokio::test]
async fn the_local_server_serves_the_portal_and_its_client_side_routes() {
    let portal = tempfile::tempdir().unwrap();
    write(portal.path(), "index.html", "<html><body>meshport portal</body></html>");
    write(portal.path(), "app.js", "console.log('portal')");
    let app = TestApp::spawn(&[("MESHPORT_STATIC_DIR", portal.path().display().to_string())]).await;

    let index = app.get("/").await.text().await.unwrap();
    let script = app.get("/app.js").await.text().await.unwrap();
    let deep_link = app.get("/products/users").await;
    let api_miss = app.get("/api/v1/nothing").await;

    assert!(index.contains("meshport portal"));
    assert!(script.contains("console.log"));
    assert_eq!(deep_link.status(), StatusCode::OK);
    assert!(deep_link.text().await.unwrap().contains("meshport portal"));
    assert_eq!(error_of(api_miss).await.1.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn owners_pages_get_their_bundles_and_the_portal_is_sent_gzipped() {
    let portal = tempfile::tempdir().unwrap();
    write(portal.path(), "index.html", "<html><body>discover bundle</body></html>");
    std::fs::create_dir_all(portal.path().join("studio/manage")).unwrap();
    std::fs::create_dir_all(portal.path().join("studio/access")).unwrap();
    write(&portal.path().join("studio"), "index.html", "<html><body>studio bundle</body></html>");
    write(&portal.path().join("studio/manage"), "index.html", "<html><body>manage bundle</body></html>");
    write(&portal.path().join("studio/access"), "index.html", "<html><body>access bundle</body></html>");
    write(portal.path(), "app.wasm", &"wasm bytes that repeat ".repeat(200));
    let app = TestApp::spawn(&[("MESHPORT_STATIC_DIR", portal.path().display().to_string())]).await;

    for path in ["/publish", "/create", "/sign-in"] {
        assert!(app.get(path).await.text().await.unwrap().contains("studio bundle"), "{path}");
    }
    for path in ["/manage", "/manage/orders.v2"] {
        assert!(app.get(path).await.text().await.unwrap().contains("manage bundle"), "{path}");
    }
    assert!(app.get("/access").await.text().await.unwrap().contains("access bundle"));
    for path in ["/", "/products/orders.v2", "/activity", "/manage/a/b", "/access/users"] {
        assert!(app.get(path).await.text().await.unwrap().contains("discover bundle"), "{path}");
    }
    let wasm = app.request(Method::GET, "/app.wasm").header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(wasm.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let plain = app.get("/app.wasm").await;
    assert!(plain.headers().get("content-encoding").is_none(), "only clients that accept gzip get it");
    assert_eq!(plain.text().await.unwrap().len(), "wasm bytes that repeat ".len() * 200);
}

#[tokio::test]
async fn a_product_page_carries_the_oembed_discovery_link_for_wiki_crawlers() {
    let portal = tempfile::tempdir().unwrap();
    write(portal.path(), "index.html", "<!DOCTYPE html><html><head><title>Meshport</title></head><body></body></html>");
    let static_dir = ("MESHPORT_STATIC_DIR", portal.path().display().to_string());
    let app = TestApp::spawn(&[static_dir.clone(), ("MESHPORT_PUBLIC_CARDS", "true".into())]).await;
    let private = TestApp::spawn(&[static_dir, ("MESHPORT_PUBLIC_READS", "false".into())]).await;
    let mut users = product("users", "membership");
    users.name = "Users <b>&\"all\"</b>".into();
    app.seed(users.clone()).await;
    private.seed(users).await;

    let page = app.get("/products/users").await;
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    let page = page.text().await.unwrap();
    let private_page = private.get("/products/users").await.text().await.unwrap();
    let not_an_id = app.get("/products/Not%20An%20Id").await.text().await.unwrap();
    let home = app.get("/").await.text().await.unwrap();

    let href = "http://127.0.0.1:8080/oembed?url=http%3A%2F%2F127.0.0.1%3A8080%2Fproducts%2Fusers&amp;format=json";
    let link = format!(
        "<link rel=\"alternate\" type=\"application/json+oembed\" href=\"{href}\" \
         title=\"Users &lt;b&gt;&amp;&quot;all&quot;&lt;/b&gt;\">"
    );
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(page.contains(&link), "{page}");
    assert!(page.find(&link) < page.find("</head>"), "the link is in the head: {page}");
    assert!(private_page.contains("title=\"users\">"), "no name for crawlers where nothing is public: {private_page}");
    assert!(!not_an_id.contains("json+oembed") && not_an_id.contains("<title>Meshport</title>"), "{not_an_id}");
    assert!(!home.contains("json+oembed"), "{home}");
    // The link leads to the card's oEmbed answer.
    let oembed = app.get(&href.replace("http://127.0.0.1:8080", "").replace("&amp;", "&")).await;
    assert_eq!(oembed.status(), StatusCode::OK);
    let oembed: serde_json::Value = oembed.json().await.unwrap();
    assert_eq!(oembed["type"], "rich");
}

fn write(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).unwrap();
}

#[tokio::test]
async fn the_demo_mesh_is_seeded_and_keeps_producing_avro_events_in_the_confluent_frame() {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};

    let app = TestApp::spawn(&[]).await;
    tokio::spawn(meshport_api::demo::run(app.state.mesh.clone()));

    let mut seeded = 0;
    for _ in 0..100 {
        seeded = app.products().await.json::<SearchPage>().await.unwrap().items.len();
        if seeded == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seeded, 4, "users, pageviews, stocktrades and signups are seeded");
    let accounts_of = |team: &str| {
        let (catalog, team) = (app.state.mesh.catalog.clone(), meshport_shared::TeamName::parse(team).unwrap());
        async move {
            let accounts = catalog.team_accounts(&team).await.unwrap();
            accounts.into_iter().map(|a| (a.principal.to_string(), a.roles)).collect::<Vec<_>>()
        }
    };
    use meshport_shared::accounts::AccountRole;
    assert_eq!(accounts_of("trading").await, [("User:svc-trading".to_owned(), vec![AccountRole::Producer])]);
    assert_eq!(
        accounts_of("insights").await,
        [
            ("User:svc-fraud".to_owned(), vec![AccountRole::Consumer]),
            ("User:svc-reporting".to_owned(), vec![AccountRole::Consumer])
        ]
    );
    let trades = app.state.mesh.kafka.acls_for_topic(&TopicName::parse("stocktrades").unwrap()).await.unwrap();
    assert!(
        trades
            .iter()
            .any(|b| b.principal == "User:svc-trading" && b.operation == meshport_api::kafka::AclOperation::Write),
        "the owning team's producer writes its product: {trades:?}"
    );
    let signups: ProductDetail = app.product("signups").await.json().await.unwrap();
    assert_eq!(signups.product.status, meshport_shared::ProductStatus::Deprecated);
    let replacement = signups.product.deprecation.as_ref().and_then(|d| d.replacement.as_ref());
    assert_eq!(replacement.map(|id| id.as_str()), Some("users"), "the deprecated product names its successor");
    let users: ProductDetail = app.product("users").await.json().await.unwrap();
    let downstream: Vec<&str> = users.lineage.downstream.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(downstream, ["stocktrades"], "the demo's lineage edge: trades are enriched with users");
    let subjects = app.state.mesh.registry.subjects().await.unwrap();
    assert!(subjects.contains(&"clickstream.raw-value".to_owned()), "{subjects:?}");
    assert!(!subjects.contains(&"inventory.snapshots-value".to_owned()), "one unpublished topic has no schema");

    // Read events as any consumer would: from the beginning of every partition, decoding with the registered schema.
    // Assigned rather than subscribed: joining a group is not what this test is about, and on a fresh, busy broker
    // the first group join can take longer than the events do.
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", common::kafka_bootstrap())
        .set("group.id", common::unique("demo-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut partitions = rdkafka::TopicPartitionList::new();
    for partition in 0..3 {
        partitions.add_partition_offset("stocktrades", partition, rdkafka::Offset::Beginning).unwrap();
    }
    consumer.assign(&partitions).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let payload = loop {
        if std::time::Instant::now() > deadline {
            let topic = TopicName::parse("stocktrades").unwrap();
            let ends = app.state.mesh.kafka.high_watermarks(&topic, 3).await;
            panic!("no stocktrades event read within 20 s; the partitions end at {ends:?}");
        }
        // Never block the test's runtime: the demo's generator runs on it.
        if let Some(Ok(message)) = consumer.poll(std::time::Duration::ZERO)
            && let Some(payload) = message.payload()
        {
            break payload.to_vec();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };

    assert_eq!(payload[0], 0, "Confluent magic byte");
    let id = i32::from_be_bytes(payload[1..5].try_into().unwrap());
    let registered = app.state.mesh.registry.schema_by_id(id).await.unwrap();
    let schema = apache_avro::Schema::parse_str(&registered.schema).unwrap();
    let event = apache_avro::from_avro_datum(&schema, &mut &payload[5..], None).unwrap();
    let apache_avro::types::Value::Record(fields) = event else { panic!("not a record: {event:?}") };
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["side", "quantity", "symbol", "price", "account", "userid"]);

    // The demo's consumer groups commit behind the newest events, so a sync shows them with their lag.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let reporting = loop {
        meshport_api::sync::run_once(&app.state.mesh).await.unwrap();
        let trades: ProductDetail = app.product("stocktrades").await.json().await.unwrap();
        if let Some(group) = trades.consumers.into_iter().find(|c| c.group == "positions-report") {
            break group;
        }
        assert!(std::time::Instant::now() < deadline, "no demo consumer group on stocktrades within 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert!(reporting.partitions.iter().all(|p| p.lag.is_some() && p.end_offset.is_some()), "{reporting:?}");
}

#[tokio::test]
async fn an_audit_entry_reaches_its_topic_even_when_the_topic_is_created_for_it() {
    let app = TestApp::spawn(&[]).await;
    let topic = TopicName::parse(common::unique("audit")).unwrap();
    let entry = common::audit(&product(&common::unique("audited"), "analytics"));

    meshport_api::audit::publish_to(&app.state.mesh.kafka, &topic, &entry).await.expect("published to a new topic");

    let (key, value) = crate::audit_events::records(&topic, 1).remove(0);
    assert_eq!(key, entry.product.as_str().as_bytes(), "keyed by product, so one product's events stay in order");
    let read: meshport_shared::AuditEntry = serde_json::from_slice(&value).unwrap();
    assert_eq!(read, entry);
}

#[tokio::test]
async fn without_the_portal_files_a_product_page_comes_from_the_cdn_with_the_discovery_link() {
    // Arrange: a stand-in CDN serving the portal's index.html, as CloudFront does in the cloud.
    let cdn = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cdn_address = cdn.local_addr().unwrap();
    let pages = axum::Router::new().route(
        "/index.html",
        axum::routing::get(|| async {
            "<!DOCTYPE html><html><head><title>Meshport</title></head><body>cdn</body></html>"
        }),
    );
    tokio::spawn(async move { axum::serve(cdn, pages).await.unwrap() });
    let app = TestApp::spawn(&[
        ("MESHPORT_STATIC_DIR", "/nonexistent".into()),
        ("MESHPORT_PORTAL_INDEX_URL", format!("http://{cdn_address}/index.html")),
        ("MESHPORT_PUBLIC_CARDS", "true".into()),
    ])
    .await;
    app.seed(product("orders.v2", "execution")).await;

    // Act
    let page = app.get("/products/orders.v2").await;
    let elsewhere = app.get("/publish").await;

    // Assert
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("cdn"), "{html}");
    assert!(html.contains("application/json+oembed") && html.contains("orders.v2"), "{html}");
    assert_eq!(error_of(elsewhere).await.1.code, ErrorCode::NotFound, "only product pages come to the API");
}

#[tokio::test]
async fn a_product_page_says_to_try_again_when_the_cdn_cannot_be_reached() {
    let app = TestApp::spawn(&[
        ("MESHPORT_STATIC_DIR", "/nonexistent".into()),
        ("MESHPORT_PORTAL_INDEX_URL", format!("http://127.0.0.1:{}/index.html", common::closed_port())),
    ])
    .await;

    let page = app.get("/products/users").await;

    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.text().await.unwrap().contains("try again"));
}

#[tokio::test]
async fn the_local_server_answers_only_for_its_own_host_names_so_a_rebound_name_cannot_sign_in() {
    let portal = tempfile::tempdir().unwrap();
    write(portal.path(), "index.html", "<html><body>meshport portal</body></html>");
    let app = spawn_with_admin(&[
        ("MESHPORT_STATIC_DIR", portal.path().display().to_string()),
        ("MESHPORT_ALLOWED_HOSTS", "meshport.internal".into()),
    ])
    .await;
    let port = app.address.port();
    let sign_in = |host: String| {
        let request = DevTokenRequest { user: "mallory".into(), teams: Vec::new(), admin: true };
        app.request(Method::POST, "/api/v1/dev/token").header("host", host).json(&request).send()
    };

    for host in [format!("evil.example:{port}"), "evil.example".into(), format!("127.0.0.1.evil.example:{port}")] {
        let (status, error) = error_of(sign_in(host.clone()).await.unwrap()).await;
        assert_eq!((status, error.code), (StatusCode::MISDIRECTED_REQUEST, ErrorCode::BadRequest), "{host}");
        assert!(
            error.message.contains("MESHPORT_ALLOWED_HOSTS") && error.message.contains("evil.example"),
            "{error:?}"
        );
    }
    let page = app.request(Method::GET, "/").header("host", "evil.example").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::MISDIRECTED_REQUEST, "the portal's files too");
    for host in
        [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}"), "meshport.internal".into()]
    {
        assert_eq!(sign_in(host.clone()).await.unwrap().status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn portal_pages_carry_a_strict_content_security_policy_naming_their_one_inline_script() {
    use base64::Engine;
    use sha2::Digest;
    let portal = tempfile::tempdir().unwrap();
    // trunk starts the WebAssembly with an inline module script like this one.
    let start = "import init from '/app.js';\nconst wasm = await init({ module_or_path: '/app_bg.wasm' });\n";
    let index = format!(
        "<!doctype html><html><head><title>Meshport</title><script type=module>{start}</script>\
         <script src=/other.js></script></head><body></body></html>"
    );
    write(portal.path(), "index.html", &index);
    std::fs::create_dir_all(portal.path().join("studio")).unwrap();
    write(&portal.path().join("studio"), "index.html", &index.replace("/app", "/studio/app"));
    write(portal.path(), "app.js", "export default async function init() {}");
    let app = TestApp::spawn(&[("MESHPORT_STATIC_DIR", portal.path().display().to_string())]).await;
    let hash = |script: &str| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));

    let pages = [
        ("/", hash(start)),
        ("/activity", hash(start)),
        ("/products/users", hash(start)),
        ("/publish", hash(&start.replace("/app", "/studio/app"))),
    ];
    for (path, hash) in pages {
        let response = app.request(Method::GET, path).header("accept-encoding", "gzip").send().await.unwrap();
        let headers = response.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains(&format!("script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';")), "{path}: {policy}");
        let directives = ["default-src 'self'", "connect-src 'self';", "object-src 'none'", "frame-ancestors 'none'"];
        for directive in directives {
            assert!(policy.contains(directive), "{path}: `{directive}` missing from {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
    let script = app.get("/app.js").await;
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    assert!(script.headers().get("content-security-policy").is_none(), "a policy is for pages");
    // A revalidated page keeps the policy of the body the browser has: a 304 brings none to replace it.
    let index = app.get("/").await;
    let modified = index.headers()["last-modified"].to_str().unwrap().to_owned();
    let unchanged = app.request(Method::GET, "/").header("if-modified-since", modified).send().await.unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert!(unchanged.headers().get("content-security-policy").is_none());
}
