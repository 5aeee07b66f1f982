//! Reminders (a deprecated product's sunset, a grant's end) and the new major version's event: who they reach, and
//! that each is sent once however often, and however concurrently, they are run.

use std::collections::BTreeSet;
use std::time::Duration;

use meshport_api::catalog::dynamo::DynamoSettings;
use meshport_api::catalog::{CatalogStore, DynamoStore, EmbeddedStore};
use meshport_api::notify::audience;
use meshport_api::reminders;
use meshport_shared::access::{AccessRequest, AccessState};
use meshport_shared::api::{EvolveRequest, EvolveResponse};
use meshport_shared::events::{Event, EventKind};
use meshport_shared::policy::{date_of, day_number};
use meshport_shared::{AuditAction, DataProduct, SchemaFormat, TopicName};

use crate::common::{self, Answer, TestApp, Who, unique};

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await
}

/// Today, and `days` from today, as the reminders count them.
fn today() -> String {
    meshport_api::access::today()
}

fn in_days(days: i64) -> String {
    date_of(day_number(&today()).unwrap() + days)
}

/// A product of `trading`'s, deprecated with its sunset `days` from today.
fn deprecated(id: &str, days: i64) -> DataProduct {
    meshport_shared::testing::product(id).domain("execution", "trading").deprecated(&in_days(days), None, "").build()
}

/// A grant of `team`'s on `product`, in `state`, ending on `until`.
async fn grant(
    catalog: &dyn CatalogStore,
    product: &DataProduct,
    team: &str,
    state: AccessState,
    until: Option<String>,
) {
    let request = AccessRequest {
        id: unique(&format!("grant-{team}")),
        until,
        state,
        ..meshport_shared::testing::grant(product, team)
    };
    let entry = meshport_api::audit::entry("test", &product.id, AuditAction::Access, "granted", None, None);
    catalog.put_access(request, None, entry).await.unwrap();
}

/// The events of `kind` in the catalog.
async fn events_of(catalog: &dyn CatalogStore, kind: EventKind) -> Vec<Event> {
    catalog.events_after(0, 500).await.unwrap().into_iter().filter(|e| e.kind == kind).collect()
}

async fn teams_told(catalog: &dyn CatalogStore, event: &Event) -> Vec<String> {
    audience(catalog, event).await.unwrap().into_iter().map(|t| t.to_string()).collect()
}

#[tokio::test]
async fn a_sunset_reminder_reaches_only_teams_still_consuming_and_each_threshold_once_even_when_run_twice() {
    // Arrange: `edge` consumes `orders`; `insights` did until its grant was revoked. No one consumes `quotes`.
    let app = spawn().await;
    let mesh = &app.state.mesh;
    let catalog = &*mesh.catalog;
    let orders = app.seed(deprecated("orders", 7)).await;
    let quotes = app.seed(deprecated("quotes", 7)).await;
    grant(catalog, &orders, "edge", AccessState::Active, None).await;
    grant(catalog, &orders, "insights", AccessState::Revoked, None).await;
    grant(catalog, &quotes, "insights", AccessState::Revoked, None).await;

    // Act: two runs at once, then one more, then one the day before the sunset.
    let today = today();
    let (first, second) = tokio::join!(reminders::send_due(mesh, &today), reminders::send_due(mesh, &today));
    let again = reminders::send_due(mesh, &today).await.unwrap();
    let day_before = reminders::send_due(mesh, &in_days(6)).await.unwrap();

    // Assert
    let mut sent = [first.unwrap(), second.unwrap()].concat();
    sent.sort();
    assert_eq!(sent, ["sunset of orders in 7 days"], "one of the racing runs sent it");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(day_before, ["sunset of orders in 1 day"], "the next threshold is a reminder of its own");
    let events = events_of(catalog, EventKind::SunsetReminder).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.subject == "orders"), "no one consumes `quotes`: {events:?}");
    assert_eq!(events[0].data.change.sunset, Some(in_days(7)));
    assert_eq!(events[0].data.change.days_left, Some(7));
    assert_eq!(teams_told(catalog, &events[0]).await, ["edge"], "not `insights`, whose grant was revoked");
    let history = catalog.product_history(&orders.id, 50).await.unwrap();
    assert_eq!(history.iter().filter(|e| e.action == AuditAction::Reminded).count(), 2, "each reminder audited");
}

#[tokio::test]
async fn a_grant_ending_soon_is_told_to_the_team_holding_it_once() {
    let app = spawn().await;
    let catalog = &*app.state.mesh.catalog;
    let orders = app.seed(common::product("orders", "execution")).await;
    grant(catalog, &orders, "edge", AccessState::Active, Some(in_days(7))).await;
    grant(catalog, &orders, "insights", AccessState::Active, Some(in_days(60))).await;
    grant(catalog, &orders, "accounts", AccessState::Active, None).await;

    let sent = reminders::send_due(&app.state.mesh, &today()).await.unwrap();
    let again = reminders::send_due(&app.state.mesh, &today()).await.unwrap();

    assert_eq!(sent.len(), 1, "only the grant ending within 7 days: {sent:?}");
    assert!(again.is_empty(), "{again:?}");
    let events = events_of(catalog, EventKind::AccessExpiring).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].data.change.team.as_deref(), Some("edge"));
    assert_eq!(events[0].data.change.expires, Some(in_days(7)));
    assert_eq!(teams_told(catalog, &events[0]).await, ["edge"], "the requester, not the owners");
}

/// A reminder recorded again under its key, on one store: only the first call records it, with one event.
async fn a_reminder_is_recorded_once_per_key(store: &dyn CatalogStore) {
    let product = deprecated("orders", 7);
    let entry = || meshport_api::audit::entry("meshport", &product.id, AuditAction::Reminded, "soon", None, None);

    let first = store.remind("sunset/orders/x/7", entry(), &product, None).await.unwrap();
    let again = store.remind("sunset/orders/x/7", entry(), &product, None).await.unwrap();
    let other = store.remind("sunset/orders/x/1", entry(), &product, None).await.unwrap();

    assert_eq!((first, again, other), (true, false, true), "another key is another reminder");
    let events = events_of(store, EventKind::SunsetReminder).await;
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2], "{events:?}");
    assert_eq!(store.product_history(&product.id, 10).await.unwrap().len(), 2, "no entry for the refused one");
}

#[tokio::test]
async fn a_reminder_is_recorded_once_per_key_in_the_embedded_catalog() {
    let dir = tempfile::tempdir().unwrap();
    a_reminder_is_recorded_once_per_key(&EmbeddedStore::new(dir.path())).await;
}

#[tokio::test]
async fn a_reminder_is_recorded_once_per_key_in_dynamodb() {
    a_reminder_is_recorded_once_per_key(&dynamo_store().await).await;
}

/// Two callers at once: exactly one records the reminder. Only against the embedded store: moto runs DynamoDB
/// transactions without isolation from each other (see `catalog_conformance`), so a race there tests moto; the
/// store relies on DynamoDB's conditional transactions, which the sequential case above checks.
#[tokio::test]
async fn a_reminder_raced_by_two_callers_in_the_embedded_catalog_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::new(dir.path());
    let product = deprecated("orders", 7);
    let entry = || meshport_api::audit::entry("meshport", &product.id, AuditAction::Reminded, "soon", None, None);

    let (one, two) = tokio::join!(
        store.remind("sunset/orders/x/7", entry(), &product, None),
        store.remind("sunset/orders/x/7", entry(), &product, None)
    );

    let recorded: BTreeSet<bool> = [one.unwrap(), two.unwrap()].into();
    assert_eq!(recorded, [false, true].into());
    assert_eq!(events_of(&store, EventKind::SunsetReminder).await.len(), 1);
}

/// A DynamoDB store on a fresh table of moto's.
pub async fn dynamo_store() -> DynamoStore {
    let settings = DynamoSettings {
        table: unique("reminders"),
        region: "us-east-1".into(),
        endpoint: Some(common::dynamodb_endpoint()),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        session_token: None,
        timeout: Duration::from_secs(3),
    };
    let store = DynamoStore::new(&settings);
    store.ensure_table().await.unwrap();
    store
}

const ORDER_V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
/// Adds a field without a default: breaks backward compatibility.
const ORDER_BREAKING: &str =
    r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"channel","type":"string"}]}"#;

#[tokio::test]
async fn a_new_major_version_is_told_to_the_old_products_subscribers() {
    // Arrange: `edge` consumes a published product.
    let app = spawn().await;
    let topic = TopicName::parse(unique("orders")).unwrap();
    let spec = meshport_api::kafka::NewTopic {
        name: topic.clone(),
        partitions: 1,
        replication_factor: 1,
        configs: Default::default(),
    };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
    app.state.mesh.registry.register(&format!("{topic}-value"), ORDER_V1, SchemaFormat::Avro).await.unwrap();
    let old: DataProduct = app.as_(Who::Owner).publish(&common::product(topic.as_str(), "execution")).await.ok().await;
    grant(&*app.state.mesh.catalog, &old, "edge", AccessState::Active, None).await;
    let new_major = EvolveRequest {
        schema: ORDER_BREAKING.into(),
        dry_run: false,
        new_major_version: true,
        revision: old.revision,
    };

    // Act: the change waits for `edge`'s sign-off, which makes it.
    let evolved: EvolveResponse = app.as_(Who::Owner).evolve(&old.id, &new_major).await.ok().await;
    let proposal = evolved.proposal.expect("a change proposal");
    let decision =
        meshport_shared::proposals::ProposalDecision { team: None, reason: None, revision: proposal.revision };
    let signed: meshport_shared::proposals::ChangeProposal =
        app.as_(Who::OtherTeam).decide_proposal(&proposal.id, "approve", &decision).await.ok().await;

    // Assert
    let catalog = &*app.state.mesh.catalog;
    let successor = signed.new_product.expect("a new major version");
    let events = events_of(catalog, EventKind::NewMajorVersion).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].subject, old.id.as_str(), "about the old product");
    assert_eq!(events[0].data.change.replacement.as_ref(), Some(&successor));
    assert!(events[0].data.change.sunset.is_some());
    assert_eq!(teams_told(catalog, &events[0]).await, ["edge"]);
    assert!(events_of(catalog, EventKind::ProductDeprecated).await.is_empty(), "told once, as the new major version");
}
