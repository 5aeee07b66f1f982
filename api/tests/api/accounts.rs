//! Service accounts end to end, against the real broker's secured listener (SASL/SCRAM, StandardAuthorizer): a
//! password Meshport creates signs in until it is rotated or the account deleted, and is shown once only; a producer
//! account writes its team's product only while the product is live (sync gives back write access that vanished);
//! a principal belongs to one team.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use meshport_api::kafka::{NewTopic, write_bindings};
use meshport_api::sync::run_once;
use meshport_shared::access::{AccessRequest, AccessRequestDraft, GroupPattern};
use meshport_shared::accounts::{AccountRole, ServiceAccount, ServiceAccountAnswer, ServiceAccountDraft};
use meshport_shared::api::RetireRequest;
use meshport_shared::{DataProduct, GroupName, Principal, SchemaFormat, TeamName, TopicName};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};
use reqwest::{Method, Response, StatusCode};

use common::faults::FaultyCatalog;
use common::{Answer, Client, TestApp, Who, product, unique};

const SCHEMA: &str = r#"{"type":"record","name":"Fill","fields":[{"name":"id","type":"string"}]}"#;

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await
}

/// `POST /api/v1/teams/{team}/service-accounts`.
async fn register(client: &Client<'_>, team: &str, draft: &ServiceAccountDraft) -> Response {
    let path = format!("/api/v1/teams/{team}/service-accounts");
    client.request(Method::POST, &path).await.json(draft).send().await.unwrap()
}

/// `GET /api/v1/teams/{team}/service-accounts`.
async fn list(client: &Client<'_>, team: &str) -> Response {
    client.get(&format!("/api/v1/teams/{team}/service-accounts")).await
}

/// `POST /api/v1/teams/{team}/service-accounts/{principal}/rotate`.
async fn rotate(client: &Client<'_>, team: &str, principal: &Principal) -> Response {
    let path = format!("/api/v1/teams/{team}/service-accounts/{principal}/rotate");
    client.request(Method::POST, &path).await.send().await.unwrap()
}

/// `DELETE /api/v1/teams/{team}/service-accounts/{principal}`.
async fn delete(client: &Client<'_>, team: &str, principal: &Principal) -> Response {
    let path = format!("/api/v1/teams/{team}/service-accounts/{principal}");
    client.request(Method::DELETE, &path).await.send().await.unwrap()
}

/// A principal no other test uses.
fn new_principal() -> Principal {
    Principal::parse(format!("User:{}", unique("svc"))).unwrap()
}

fn draft(principal: &Principal, roles: &[AccountRole], create_credentials: bool) -> ServiceAccountDraft {
    ServiceAccountDraft { principal: principal.clone(), roles: roles.to_vec(), create_credentials, reassign: false }
}

/// librdkafka settings of `user` on the secured listener.
fn sasl(user: &str, password: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", common::kafka_sasl_bootstrap())
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "SCRAM-SHA-512")
        .set("sasl.username", user)
        .set("sasl.password", password);
    config
}

/// Whether `user` signs in with `password` as the broker sees it now. A credential change takes a moment to reach
/// the broker, so this asks until the answer is `expected` (bounded).
async fn eventually_signs_in(user: &str, password: &str, expected: bool) -> bool {
    let mut signed_in = !expected;
    for _ in 0..15 {
        let config = sasl(user, password);
        signed_in = tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = config.create().unwrap();
            consumer.fetch_metadata(None, Duration::from_secs(3)).is_ok()
        })
        .await
        .unwrap();
        if signed_in == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    signed_in
}

/// What became of a record a principal produced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Write {
    Written,
    /// Topic authorization failed.
    Refused,
    Failed(String),
}

/// What becomes of a record `user` produces to `topic`, asked until it is `expected` (bounded), as ACL changes take
/// a moment to reach the broker's authorizer; the last outcome.
async fn eventually_writes(user: &str, password: &str, topic: &str, expected: Write) -> Write {
    let mut outcome = Write::Failed("never tried".into());
    for _ in 0..20 {
        let producer: FutureProducer = sasl(user, password).set("message.timeout.ms", "3000").create().unwrap();
        let record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).key(&b"k"[..]).payload(&b"a fill"[..]);
        outcome = match producer.send(record, Duration::from_secs(3)).await {
            Ok(_) => Write::Written,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::TopicAuthorizationFailed), _)) => Write::Refused,
            Err((e, _)) => Write::Failed(e.to_string()),
        };
        if outcome == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    outcome
}

/// A fresh topic with a value schema, not yet a product, and the `trading` product it would be.
async fn unpublished_product(app: &TestApp) -> DataProduct {
    let topic = TopicName::parse(unique("fills")).unwrap();
    let spec = NewTopic { name: topic.clone(), partitions: 1, replication_factor: 1, configs: Default::default() };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
    app.state.mesh.registry.register(&format!("{topic}-value"), SCHEMA, SchemaFormat::Avro).await.unwrap();
    product(topic.as_str(), "execution")
}

#[tokio::test]
async fn a_created_accounts_password_signs_in_until_rotated_and_until_deleted() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let principal = new_principal();
    let user = principal.user().to_owned();

    let created: ServiceAccountAnswer =
        register(&owner, "trading", &draft(&principal, &[AccountRole::Consumer], true)).await.ok().await;
    let first = created.credentials.clone().expect("a created account's password is answered");
    assert!(eventually_signs_in(&user, &first.password, true).await, "the new password signs in");

    let rotated: ServiceAccountAnswer = rotate(&owner, "trading", &principal).await.ok().await;
    let second = rotated.credentials.clone().expect("a rotation answers the new password");
    assert!(eventually_signs_in(&user, &second.password, true).await, "the new password signs in");
    assert!(!eventually_signs_in(&user, &first.password, false).await, "the old one no longer does");

    let deleted = delete(&owner, "trading", &principal).await.status();
    let listed: Vec<ServiceAccount> = list(&owner, "trading").await.ok().await;

    assert_eq!(deleted, StatusCode::NO_CONTENT);
    assert!(!eventually_signs_in(&user, &second.password, false).await, "nothing signs in after the delete");
    assert!(listed.iter().all(|a| a.principal != principal), "{listed:?}");
    assert_eq!((created.account.team.as_str(), created.account.managed), ("trading", true));
    assert_eq!(first.username, user);
    assert_eq!(first.password.len(), 43, "32 random bytes, base64url");
    assert_ne!(first.password, second.password);
    assert!(rotated.account.rotated_at.is_some());
}

/// Creates `principal` as a `trading` producer and rotates its password: both passwords.
async fn created_and_rotated(owner: &Client<'_>, principal: &Principal) -> [String; 2] {
    let created: ServiceAccountAnswer =
        register(owner, "trading", &draft(principal, &[AccountRole::Producer], true)).await.ok().await;
    let rotated: ServiceAccountAnswer = rotate(owner, "trading", principal).await.ok().await;
    [created.credentials.unwrap().password, rotated.credentials.unwrap().password]
}

#[tokio::test]
async fn a_password_is_shown_once_and_never_in_listings_or_the_audit_trail() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let principal = new_principal();
    let passwords = created_and_rotated(&owner, &principal).await;

    let listing = list(&owner, "trading").await.text().await.unwrap();
    let activity = owner.activity().await.text().await.unwrap();
    let history = owner.history("service-accounts.trading").await.text().await.unwrap();
    let stored = serde_json::to_string(&app.state.mesh.catalog.get_account(&principal).await.unwrap()).unwrap();
    let trail = app.state.mesh.catalog.recent_activity(100).await.unwrap();

    assert!(listing.contains(principal.as_str()), "{listing}");
    assert!(trail.iter().any(|e| e.summary.contains(principal.as_str())), "the changes are audited");
    for password in &passwords {
        for (what, text) in [("listing", &listing), ("activity", &activity), ("history", &history), ("store", &stored)]
        {
            assert!(!text.contains(password.as_str()), "the password shows in the {what}: {text}");
        }
        assert!(!format!("{trail:?}").contains(password.as_str()), "the password is in the audit trail");
    }
}

/// A new `trading` producer account Meshport creates: its principal and password.
async fn created_producer(owner: &Client<'_>) -> (Principal, String) {
    let principal = new_principal();
    let created: ServiceAccountAnswer =
        register(owner, "trading", &draft(&principal, &[AccountRole::Producer], true)).await.ok().await;
    (principal, created.credentials.unwrap().password)
}

#[tokio::test]
async fn a_producer_writes_its_teams_product_only_while_it_is_live() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let (principal, password) = created_producer(&owner).await;
    let user = principal.user();
    let unpublished = unpublished_product(&app).await;
    let topic = unpublished.output_port.topic.to_string();
    assert!(eventually_signs_in(user, &password, true).await);
    assert_eq!(eventually_writes(user, &password, &topic, Write::Refused).await, Write::Refused, "before the publish");

    let published: DataProduct = owner.publish(&unpublished).await.ok().await;
    let writes = eventually_writes(user, &password, &topic, Write::Written).await;
    let retired: DataProduct =
        owner.retire(&published.id, &RetireRequest { revision: published.revision }).await.ok().await;
    let refused_after = eventually_writes(user, &password, &topic, Write::Refused).await;

    assert_eq!(writes, Write::Written, "the owning team's producer writes once the product is published");
    assert_eq!(refused_after, Write::Refused, "and is refused again once it is retired");
    assert_eq!(retired.status, meshport_shared::ProductStatus::Retired);
    let bindings = app.state.mesh.kafka.acls_for_topic(&published.output_port.topic).await.unwrap();
    assert!(bindings.iter().all(|b| b.principal != principal.as_str()), "exactly its bindings went: {bindings:?}");
    let history = app.state.mesh.catalog.product_history(&published.id, 20).await.unwrap();
    let summaries: Vec<&str> = history.iter().map(|e| e.summary.as_str()).collect();
    assert!(summaries.iter().any(|s| s.starts_with("started: granting")), "intent first: {summaries:?}");
    assert!(summaries.iter().any(|s| s.starts_with("granted")), "{summaries:?}");
    assert!(summaries.iter().any(|s| s.starts_with("revoked the write access")), "{summaries:?}");
}

#[tokio::test]
async fn a_producer_registered_later_writes_the_live_products_until_it_is_deleted() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let published: DataProduct = owner.publish(&unpublished_product(&app).await).await.ok().await;
    let topic = published.output_port.topic.to_string();

    let (principal, password) = created_producer(&owner).await;
    let writes = eventually_writes(principal.user(), &password, &topic, Write::Written).await;
    let before = app.state.mesh.kafka.acls_for_topic(&published.output_port.topic).await.unwrap();
    let deleted = delete(&owner, "trading", &principal).await.status();
    let after = app.state.mesh.kafka.acls_for_topic(&published.output_port.topic).await.unwrap();

    let of_principal = |bindings: &[meshport_api::kafka::AclBinding]| {
        bindings.iter().filter(|b| b.principal == principal.as_str()).count()
    };
    assert_eq!(writes, Write::Written, "a new producer writes its team's live products");
    assert_eq!(of_principal(&before), 2, "WRITE and DESCRIBE: {before:?}");
    assert_eq!(deleted, StatusCode::NO_CONTENT);
    assert_eq!(of_principal(&after), 0, "deleting the account revokes them: {after:?}");
}

#[tokio::test]
async fn a_principal_another_team_holds_is_a_conflict_naming_it_and_only_an_admin_reassigns_it() {
    let app = spawn().await;
    let fills: DataProduct = app.as_(Who::Owner).publish(&unpublished_product(&app).await).await.ok().await;
    let principal = new_principal();
    register(&app.as_(Who::Owner), "trading", &draft(&principal, &[AccountRole::Producer], false))
        .await
        .ok::<ServiceAccountAnswer>()
        .await;
    let writes_fills = |app: &TestApp| {
        let (kafka, topic, principal) =
            (app.state.mesh.kafka.clone(), fills.output_port.topic.clone(), principal.clone());
        async move { kafka.acls_for_topic(&topic).await.unwrap().iter().any(|b| b.principal == principal.as_str()) }
    };
    assert!(writes_fills(&app).await, "trading's producer writes trading's product");
    let mut reassign = draft(&principal, &[AccountRole::Consumer], false);
    reassign.reassign = true;

    let (taken, taken_error) =
        register(&app.as_(Who::OtherTeam), "edge", &draft(&principal, &[AccountRole::Consumer], false))
            .await
            .error()
            .await;
    let (not_admin, _) = register(&app.as_(Who::OtherTeam), "edge", &reassign).await.error().await;
    let (again, _) = register(&app.as_(Who::Owner), "trading", &draft(&principal, &[AccountRole::Consumer], false))
        .await
        .error()
        .await;
    let mut with_credentials = reassign.clone();
    with_credentials.create_credentials = true;
    let (new_password, _) = register(&app.as_(Who::Admin), "edge", &with_credentials).await.error().await;
    let moved: ServiceAccountAnswer = register(&app.as_(Who::Admin), "edge", &reassign).await.ok().await;
    let request = AccessRequestDraft {
        team: TeamName::parse("trading").unwrap(),
        purpose: "Reading with a principal that moved".into(),
        principals: vec![principal.clone()],
        group: GroupName::parse(unique("g")).unwrap(),
        group_pattern: GroupPattern::Literal,
        until: Some(meshport_api::access::today()),
    };
    let users: DataProduct = app.seed(product(&unique("users"), "membership")).await;
    let (named_by_old_team, refusal) = app.as_(Who::Owner).request_access(&users.id, &request).await.error().await;

    assert_eq!(taken, StatusCode::CONFLICT);
    assert!(taken_error.message.contains("team `trading`"), "{}", taken_error.message);
    assert_eq!(not_admin, StatusCode::FORBIDDEN, "only org admins reassign");
    assert_eq!(again, StatusCode::CONFLICT, "registered already");
    assert_eq!(new_password, StatusCode::CONFLICT, "a reassigned principal keeps its credentials");
    assert_eq!(moved.account.team.as_str(), "edge");
    assert!(!writes_fills(&app).await, "and no longer once it is edge's");
    assert_eq!(named_by_old_team, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refusal.details.iter().any(|v| v.message.contains("belongs to team `edge`")), "{refusal:?}");
    let edge_trail = meshport_shared::ProductId::parse("service-accounts.edge").unwrap();
    let trail = app.state.mesh.catalog.product_history(&edge_trail, 5).await.unwrap();
    assert!(trail[0].summary.contains("reassigned"), "{:?}", trail[0]);
    assert_eq!(trail[0].actor, "dev:root");
}

#[tokio::test]
async fn only_the_teams_members_and_org_admins_manage_its_accounts() {
    let app = spawn().await;
    let principal = new_principal();
    let other = app.as_(Who::OtherTeam);
    register(&app.as_(Who::Owner), "trading", &draft(&principal, &[AccountRole::Consumer], false))
        .await
        .ok::<ServiceAccountAnswer>()
        .await;

    let statuses = [
        list(&other, "trading").await.status(),
        register(&other, "trading", &draft(&new_principal(), &[AccountRole::Consumer], false)).await.status(),
        rotate(&other, "trading", &principal).await.status(),
        delete(&other, "trading", &principal).await.status(),
        list(&app.anonymous(), "trading").await.status(),
    ];
    let admin: Vec<ServiceAccount> = list(&app.as_(Who::Admin), "trading").await.ok().await;
    let (no_role, no_role_error) =
        register(&app.as_(Who::Owner), "trading", &draft(&new_principal(), &[], false)).await.error().await;
    let (registered_rotation, _) = rotate(&app.as_(Who::Owner), "trading", &principal).await.error().await;

    assert_eq!(statuses[..4], [StatusCode::FORBIDDEN; 4]);
    assert_eq!(statuses[4], StatusCode::UNAUTHORIZED);
    assert!(admin.iter().any(|a| a.principal == principal));
    assert_eq!(no_role, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_role_error.details[0].field, "roles");
    assert_eq!(registered_rotation, StatusCode::CONFLICT, "a registered account's credentials are not Meshport's");
}

#[tokio::test]
async fn an_account_an_open_request_names_is_not_deleted_and_an_existing_user_gets_no_new_password() {
    let app = spawn().await;
    let other = app.as_(Who::OtherTeam);
    let fills: DataProduct = app.as_(Who::Owner).publish(&unpublished_product(&app).await).await.ok().await;
    let principal = new_principal();
    let request = AccessRequestDraft {
        team: TeamName::parse("edge").unwrap(),
        purpose: "Scoring fills".into(),
        principals: vec![principal.clone()],
        group: GroupName::parse(unique("g")).unwrap(),
        group_pattern: GroupPattern::Literal,
        until: Some(meshport_api::access::today()),
    };
    let asked: AccessRequest = other.request_access(&fills.id, &request).await.ok().await;
    let registered: Vec<ServiceAccount> = list(&other, "edge").await.ok().await;

    let (in_use, in_use_error) = delete(&other, "edge", &principal).await.error().await;
    let producer = new_principal();
    register(&other, "edge", &draft(&producer, &[AccountRole::Producer], false))
        .await
        .ok::<ServiceAccountAnswer>()
        .await;
    let mut as_producer = request.clone();
    as_producer.principals = vec![producer];
    let (producer_named, producer_refusal) = other.request_access(&fills.id, &as_producer).await.error().await;
    let existing = Principal::parse("User:svc-fraud").unwrap();
    let (taken_user, _) =
        register(&other, "edge", &draft(&existing, &[AccountRole::Consumer], true)).await.error().await;

    assert!(registered.iter().any(|a| a.principal == principal), "a request's principal is registered to its team");
    assert_eq!(in_use, StatusCode::CONFLICT);
    assert!(in_use_error.message.contains(&asked.id), "{}", in_use_error.message);
    assert_eq!(taken_user, StatusCode::CONFLICT, "svc-fraud signs in with its own password already");
    assert_eq!(producer_named, StatusCode::UNPROCESSABLE_ENTITY, "a request names consumer accounts only");
    assert!(producer_refusal.details[0].message.contains("consumer accounts"), "{producer_refusal:?}");
}

/// Every log line of this test process, at every level. nextest runs each test in a process of its own, so the test
/// that sets this as the global subscriber sees everything the application logs.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_password_never_reaches_the_logs() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish();
    let logging = tracing::subscriber::set_global_default(subscriber).is_ok();
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let principal = new_principal();

    let passwords = created_and_rotated(&owner, &principal).await;
    let deleted = delete(&owner, "trading", &principal).await.status();

    assert!(logging, "this test's process logs to the buffer (run it with nextest, a process per test)");
    assert_eq!(deleted, StatusCode::NO_CONTENT);
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logs.contains(principal.user()), "the logs are captured: {} bytes", logs.len());
    for password in passwords {
        assert!(!logs.contains(&password), "a password is in the logs");
    }
}

#[tokio::test]
async fn a_product_handed_to_another_team_is_written_by_that_teams_producers() {
    let app = spawn().await;
    let fills: DataProduct = app.as_(Who::Owner).publish(&unpublished_product(&app).await).await.ok().await;
    let (trading, edge) = (new_principal(), new_principal());
    register(&app.as_(Who::Owner), "trading", &draft(&trading, &[AccountRole::Producer], false))
        .await
        .ok::<ServiceAccountAnswer>()
        .await;
    register(&app.as_(Who::OtherTeam), "edge", &draft(&edge, &[AccountRole::Producer], false))
        .await
        .ok::<ServiceAccountAnswer>()
        .await;
    let writers = || async {
        let bindings = app.state.mesh.kafka.acls_for_topic(&fills.output_port.topic).await.unwrap();
        let writes = |p: &Principal| bindings.iter().any(|b| b.principal == p.as_str());
        (writes(&trading), writes(&edge))
    };
    let before = writers().await;
    let mut handed = fills.clone();
    handed.domain = meshport_shared::DomainName::parse("analytics").unwrap();
    handed.owner.team = TeamName::parse("edge").unwrap();

    let updated: DataProduct = app.as_(Who::Admin).update(&handed).await.ok().await;

    assert_eq!(before, (true, false), "trading's producer writes trading's product");
    assert_eq!(updated.owner.team.as_str(), "edge");
    assert_eq!(writers().await, (false, true), "once edge's, edge's producer writes it and trading's no longer");
}

#[tokio::test]
async fn sync_gives_producers_back_the_write_access_deleted_behind_meshports_back_but_not_on_a_retired_product() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let (principal, password) = created_producer(&owner).await;
    let live: DataProduct = owner.publish(&unpublished_product(&app).await).await.ok().await;
    let retired: DataProduct = owner.publish(&unpublished_product(&app).await).await.ok().await;
    owner.retire(&retired.id, &RetireRequest { revision: retired.revision }).await.ok::<DataProduct>().await;
    let kafka = &app.state.mesh.kafka;
    let writes = |product: &DataProduct| write_bindings(&product.output_port.topic, principal.as_str()).unwrap();
    // Someone deletes them behind Meshport's back.
    kafka.revoke(&writes(&live)).await.unwrap();
    let topic = live.output_port.topic.as_str();
    assert_eq!(eventually_writes(principal.user(), &password, topic, Write::Refused).await, Write::Refused);

    let first = run_once(&app.state.mesh).await.unwrap();
    let second = run_once(&app.state.mesh).await.unwrap();

    assert_eq!(first.producers_repaired, std::slice::from_ref(&live.id), "{first:?}");
    assert!(kafka.absent(&writes(&live)).await.unwrap().is_empty(), "WRITE and DESCRIBE are back");
    assert_eq!(eventually_writes(principal.user(), &password, topic, Write::Written).await, Write::Written);
    assert_eq!(kafka.absent(&writes(&retired)).await.unwrap().len(), 2, "a retired product's producers get nothing");
    assert!(second.producers_repaired.is_empty(), "nothing to repair the second time: {second:?}");
    let history = app.state.mesh.catalog.product_history(&live.id, 50).await.unwrap();
    let again: Vec<(&str, &str)> = history
        .iter()
        .filter(|e| e.summary.contains("again"))
        .map(|e| (e.actor.as_str(), e.summary.as_str()))
        .collect();
    let granted = format!("granted `{principal}` write access to topic `{topic}` again");
    assert_eq!(again.len(), 2, "intent and outcome, once: {again:?}");
    assert!(again.iter().all(|(actor, _)| *actor == "meshport"), "{again:?}");
    assert!(again[0].1.starts_with(&granted), "newest first, the outcome: {again:?}");
    assert!(again[1].1.starts_with(&format!("started: granting `{principal}`")), "{again:?}");
    let retired_history = app.state.mesh.catalog.product_history(&retired.id, 50).await.unwrap();
    assert!(retired_history.iter().all(|e| !e.summary.contains("again")), "{retired_history:?}");
}

/// An app over a catalog with faults to arm, `trading`'s producer, and a product `trading` published (the
/// catalog's first product write).
async fn faulty_with_a_producer() -> (TestApp, Arc<FaultyCatalog>, Principal, DataProduct) {
    let (app, faults) = common::faults::with_faults().await;
    let owner = app.as_(Who::Owner);
    let principal = new_principal();
    register(&owner, "trading", &draft(&principal, &[AccountRole::Producer], false))
        .await
        .ok::<ServiceAccountAnswer>()
        .await;
    let fills: DataProduct = owner.publish(&unpublished_product(&app).await).await.ok().await;
    (app, faults, principal, fills)
}

/// A listing that lags behind the writes (DynamoDB's indexes) shows sync a product that was just retired as live and
/// its producers' writes missing: what sync grants then, it takes back once it reads the product itself.
#[tokio::test]
async fn sync_takes_back_the_write_access_it_gave_on_a_product_a_lagging_listing_showed_live_but_was_retired() {
    let (app, faults, principal, fills) = faulty_with_a_producer().await;
    let owner = app.as_(Who::Owner);
    faults.lag_listings().await;
    owner.retire(&fills.id, &RetireRequest { revision: fills.revision }).await.ok::<DataProduct>().await;

    let repaired = meshport_api::accounts::repair_producers(&app.state.mesh).await.unwrap();

    let writes = write_bindings(&fills.output_port.topic, principal.as_str()).unwrap();
    assert!(repaired.is_empty(), "{repaired:?}");
    assert_eq!(app.state.mesh.kafka.absent(&writes).await.unwrap().len(), 2, "the retired product keeps no writer");
    let history = app.state.mesh.catalog.product_history(&fills.id, 50).await.unwrap();
    let sync: Vec<&str> = history.iter().filter(|e| e.actor == "meshport").map(|e| e.summary.as_str()).collect();
    assert_eq!(sync.len(), 4, "granted, then revoked, each intent first: {sync:?}");
    assert!(sync[0].starts_with(&format!("revoked the write access of `{principal}`")), "{sync:?}");
    assert!(sync[2].starts_with(&format!("granted `{principal}` write access")), "{sync:?}");
}

/// Sync running between a retirement's revocation of its producers' writes and its storing reads the product still
/// live and gives them back; the retirement takes them back once stored.
#[tokio::test]
async fn a_retirement_takes_back_the_write_access_sync_gave_back_while_it_was_being_stored() {
    let (app, faults, principal, fills) = faulty_with_a_producer().await;
    let owner = app.as_(Who::Owner);
    let mesh = app.state.mesh.clone();
    let repaired = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = repaired.clone();
    // The publication was the first product write; the retirement's is the second.
    faults.before_put(
        2,
        common::faults::hook(move || async move {
            *seen.lock().unwrap() = meshport_api::accounts::repair_producers(&mesh).await.unwrap();
        }),
    );

    owner.retire(&fills.id, &RetireRequest { revision: fills.revision }).await.ok::<DataProduct>().await;

    assert_eq!(*repaired.lock().unwrap(), std::slice::from_ref(&fills.id), "sync gave the writes back in the window");
    let writes = write_bindings(&fills.output_port.topic, principal.as_str()).unwrap();
    assert_eq!(app.state.mesh.kafka.absent(&writes).await.unwrap().len(), 2, "the retired product keeps no writer");
    let history = app.state.mesh.catalog.product_history(&fills.id, 50).await.unwrap();
    let newest = &history[0];
    assert!(newest.summary.starts_with(&format!("revoked the write access of `{principal}`")), "{history:?}");
    assert_ne!(newest.actor, "meshport", "by the retirement, not by sync: {history:?}");
}

/// The same for a producer account's deletion: sync running before the account is gone gives its writes back; the
/// deletion takes them back once stored.
#[tokio::test]
async fn a_deleted_producer_keeps_no_write_access_sync_gave_back_while_it_was_being_deleted() {
    let (app, faults, principal, fills) = faulty_with_a_producer().await;
    let mesh = app.state.mesh.clone();
    let repaired = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = repaired.clone();
    faults.before_account_delete(common::faults::hook(move || async move {
        *seen.lock().unwrap() = meshport_api::accounts::repair_producers(&mesh).await.unwrap();
    }));

    let deleted = delete(&app.as_(Who::Owner), "trading", &principal).await.status();

    assert!(deleted.is_success(), "{deleted}");
    assert_eq!(*repaired.lock().unwrap(), std::slice::from_ref(&fills.id), "sync gave the writes back in the window");
    let writes = write_bindings(&fills.output_port.topic, principal.as_str()).unwrap();
    assert_eq!(app.state.mesh.kafka.absent(&writes).await.unwrap().len(), 2, "a deleted account writes nothing");
}
