//! Self-serve access on the secured broker (SASL/SCRAM, ACLs enforced), as `scripts/bench` starts it: approval to
//! an active grant over local HTTP (the ACLs created and verified on the cluster; goal p95 under 500 ms), and a sync
//! reconciling 1,000 active grants (goal under 10 s): with every grant in force, then with 100 of them past their end
//! date and the ACLs of 100 others deleted behind Meshport's back. It prints and asserts nothing:
//! `cargo bench -p meshport-api --bench access` with MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP and MESHPORT_TEST_KAFKA_CONFIG.

mod common;

use common::{report, spawn_registry};
use std::collections::HashMap;
use std::time::Instant;

use meshport_api::app::{AppState, Application};
use meshport_api::config::Config;
use meshport_api::kafka::PatternType;
use meshport_shared::access::{AccessDecision, AccessRequest, AccessRequestDraft, AccessState, GroupPattern};
use meshport_shared::api::{DevToken, DevTokenRequest};
use meshport_shared::{AuditAction, DataProduct, GroupName, Principal, TeamName, testing};

const APPROVALS: usize = 100;
const GRANTS: usize = 1_000;
const PRODUCTS: usize = 100;
const CHANGED: usize = 100;
/// How many grants' ACLs the setup creates at once.
const SETUP_CONCURRENCY: usize = 16;

fn main() {
    let (Ok(bootstrap), Ok(kafka_config)) =
        (std::env::var("MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP"), std::env::var("MESHPORT_TEST_KAFKA_CONFIG"))
    else {
        println!("access: skipped (MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP and MESHPORT_TEST_KAFKA_CONFIG not set)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let data = tempfile::tempdir().expect("a temporary directory");
        let env = HashMap::from([
            ("MESHPORT_LISTEN", "127.0.0.1:0".to_owned()),
            ("MESHPORT_DATA_DIR", data.path().display().to_string()),
            ("MESHPORT_KAFKA_BOOTSTRAP", bootstrap),
            ("MESHPORT_KAFKA_CONFIG", kafka_config),
            ("MESHPORT_REGISTRY_URL", spawn_registry().await),
            ("MESHPORT_STATIC_DIR", data.path().join("no-portal").display().to_string()),
            ("MESHPORT_DEV_AUTH", "true".to_owned()),
            ("MESHPORT_DEPENDENCY_TIMEOUT_MS", "10000".to_owned()),
        ]);
        let config = Config::from_lookup(|name| env.get(name).cloned()).expect("a configuration");
        let state = AppState::build(&config).expect("the application state");
        let application = Application::bind(&config, state.clone()).await.expect("the application bound");
        let base = format!("http://{}", application.address());
        tokio::spawn(application.serve(std::future::pending()));
        let run = &uuid::Uuid::new_v4().simple().to_string()[..6];
        approval_over_http(&state, &base, run).await;
        sync_of_grants(&state, run).await;
    });
}

/// A product of `trading`, which `edge` may ask for.
async fn seed_product(state: &AppState, id: &str) -> DataProduct {
    let product = testing::product(id).topic(id).domain("execution", "trading").build();
    let entry = meshport_api::audit::entry("bench", &product.id, AuditAction::Published, "seeded", None, None);
    state.mesh.catalog.put_product(product, None, entry).await.expect("a stored product")
}

fn in_days(days: i64) -> String {
    let today = meshport_api::access::today();
    meshport_shared::policy::date_of(meshport_shared::policy::day_number(&today).expect("a date") + days)
}

fn draft(run: &str, n: usize, until: String) -> AccessRequestDraft {
    AccessRequestDraft {
        team: TeamName::parse("edge").expect("a team"),
        purpose: "Benchmarking grants".into(),
        principals: vec![Principal::parse(format!("User:svc-bench-{run}-{n}")).expect("a principal")],
        group: GroupName::parse(format!("bench-{run}-{n}")).expect("a group"),
        group_pattern: GroupPattern::Literal,
        until: Some(until),
    }
}

async fn token(http: &reqwest::Client, base: &str, user: &str, team: &str) -> String {
    let request =
        DevTokenRequest { user: user.into(), teams: vec![TeamName::parse(team).expect("a team")], admin: false };
    let answer = http.post(format!("{base}/api/v1/dev/token")).json(&request).send().await.expect("an answer");
    answer.json::<DevToken>().await.expect("a token").token
}

/// Each of `APPROVALS` requests (asked beforehand, each for its own product) approved with one POST, timed until
/// the answer says `active`: the ACLs created and verified on the cluster, the grant stored and audited.
async fn approval_over_http(state: &AppState, base: &str, run: &str) {
    let http = reqwest::Client::new();
    let (asker, owner) =
        (token(&http, base, "bench-bob", "edge").await, token(&http, base, "bench-carol", "trading").await);
    let mut asked = Vec::with_capacity(APPROVALS);
    for n in 0..APPROVALS {
        let product = seed_product(state, &format!("bench-approve-{run}-{n}")).await;
        let request: AccessRequest = http
            .post(format!("{base}/api/v1/products/{}/access", product.id))
            .bearer_auth(&asker)
            .json(&draft(run, n, in_days(30)))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("a request");
        asked.push(request);
    }
    let mut timings = Vec::with_capacity(APPROVALS);
    for request in &asked {
        let decision = AccessDecision { revision: request.revision, reason: None };
        let started = Instant::now();
        let answer = http
            .post(format!("{base}/api/v1/access/{}/approve", request.id))
            .bearer_auth(&owner)
            .json(&decision)
            .send()
            .await
            .expect("an answer");
        let granted: AccessRequest = answer.json().await.expect("the request");
        timings.push(started.elapsed());
        assert_eq!(granted.state, AccessState::Active, "{granted:?}");
    }
    report(
        &format!("approval to active grant over local HTTP (ACLs created and verified), {APPROVALS} grants"),
        &mut timings,
    );
}

/// `GRANTS` active grants over `PRODUCTS` products, their ACLs on the cluster; then two syncs, timed.
async fn sync_of_grants(state: &AppState, run: &str) {
    let mut products = Vec::with_capacity(PRODUCTS);
    for n in 0..PRODUCTS {
        products.push(seed_product(state, &format!("bench-sync-{run}-{n}")).await);
    }
    let started = Instant::now();
    let mut grants = Vec::with_capacity(GRANTS);
    for n in 0..GRANTS {
        let product = &products[n % PRODUCTS];
        let until = in_days(30);
        let grant = stored_grant(state, product, draft(run, n, until), n).await;
        grants.push((grant, product.clone()));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (grant, product) in grants.iter().cloned() {
        if tasks.len() >= SETUP_CONCURRENCY {
            tasks.join_next().await.expect("a task").expect("the task ran");
        }
        let kafka = state.mesh.kafka.clone();
        tasks.spawn(async move {
            kafka
                .grant_read(
                    &product.output_port.topic,
                    grant.principals[0].as_str(),
                    grant.group.as_str(),
                    PatternType::Literal,
                )
                .await
                .expect("granted")
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("the task ran");
    }
    println!(
        "access setup: {GRANTS} active grants on {PRODUCTS} products, ACLs created, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    timed_sync(state, "every grant in force").await;
    // The first CHANGED grants end yesterday; the ACLs of CHANGED others vanish behind Meshport's back.
    for (grant, _) in grants.iter().take(CHANGED) {
        let mut ended = grant.clone();
        ended.until = Some(in_days(-1));
        let entry = meshport_api::audit::entry("bench", &grant.product, AuditAction::Access, "ends", None, None);
        state.mesh.catalog.put_access(ended, Some(grant.revision), entry).await.expect("an ended grant");
    }
    for (grant, product) in grants.iter().skip(CHANGED).take(CHANGED) {
        let bindings = meshport_api::kafka::read_bindings(
            &product.output_port.topic,
            grant.principals[0].as_str(),
            grant.group.as_str(),
            PatternType::Literal,
        )
        .expect("bindings");
        state.mesh.kafka.revoke(&bindings).await.expect("revoked");
    }
    timed_sync(state, &format!("{CHANGED} past their end date, {CHANGED} whose ACLs vanished")).await;
}

/// Stores an active grant as approving it would, without the HTTP round trips.
async fn stored_grant(state: &AppState, product: &DataProduct, draft: AccessRequestDraft, n: usize) -> AccessRequest {
    let request = AccessRequest {
        id: format!("bench-{n:05}-{}", uuid::Uuid::new_v4().simple()),
        product: product.id.clone(),
        owner_team: product.owner.team.clone(),
        team: draft.team,
        purpose: draft.purpose,
        principals: draft.principals,
        group: draft.group,
        group_pattern: draft.group_pattern,
        until: draft.until,
        state: AccessState::Active,
        requested_by: "bench".into(),
        requested_at: "2026-12-05T10:00:00Z".into(),
        decided_by: Some("bench".into()),
        decided_at: Some("2026-12-05T10:00:00Z".into()),
        reason: None,
        revision: 0,
    };
    let entry = meshport_api::audit::entry("bench", &product.id, AuditAction::Access, "seeded grant", None, None);
    state.mesh.catalog.put_access(request, None, entry).await.expect("a stored grant")
}

async fn timed_sync(state: &AppState, what: &str) {
    let started = Instant::now();
    let report = meshport_api::sync::run_once(&state.mesh).await.expect("a sync");
    let took = started.elapsed();
    println!(
        "sync reconciling {GRANTS} grants ({what}): {:.2} s ({} expired, {} repaired)",
        took.as_secs_f64(),
        report.access_expired.len(),
        report.access_repaired.len()
    );
}
