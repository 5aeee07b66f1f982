//! Watching products: a person watches over the API, is told by email of what watchers hear of, and can mute a
//! product or everything.

use meshport_api::catalog::{CatalogStore, EmbeddedStore};
use meshport_api::notify::{Destination, watcher_destinations};
use meshport_shared::api::DeprecateRequest;
use meshport_shared::events::{Event, EventKind, PersonalSettings, Watch, WatchRequest, WatchState};
use meshport_shared::{AuditAction, DataProduct, ErrorCode, ProductId, ViolationCode};
use reqwest::{Method, Response, StatusCode};

use crate::common::{Answer, TestApp, Who, product};

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await
}

async fn call(app: &TestApp, who: Who, method: Method, path: &str, body: Option<&impl serde::Serialize>) -> Response {
    let request = app.as_(who).request(method, path).await;
    let request = match body {
        Some(body) => request.json(body),
        None => request,
    };
    request.send().await.unwrap()
}

async fn watch(app: &TestApp, who: Who, product: &DataProduct, email: &str, muted: bool) -> WatchState {
    let body = WatchRequest { email: Some(email.into()), muted };
    call(app, who, Method::PUT, &format!("/api/v1/products/{}/watch", product.id), Some(&body)).await.ok().await
}

/// Who is told of `event` as a watcher: each destination's id and address.
async fn told(app: &TestApp, event: &Event) -> Vec<(String, String)> {
    let destinations = watcher_destinations(&*app.state.mesh.catalog, event).await.unwrap();
    destinations
        .into_iter()
        .map(|(id, destination)| match destination {
            Destination::Email { to } => (id.0, to.iter().map(|m| m.email.to_string()).collect::<Vec<_>>().join(",")),
            other => panic!("a watcher is told by email, not {other:?}"),
        })
        .collect()
}

async fn last_event(app: &TestApp) -> Event {
    app.state.mesh.catalog.events_after(0, 500).await.unwrap().pop().expect("an event")
}

#[tokio::test]
async fn a_watcher_is_told_by_email_and_one_who_muted_the_product_or_everything_is_not() {
    // Arrange: bob watches; root watches, muted; carol watches, then mutes all her notifications.
    let app = spawn().await;
    let orders = app.seed(product("orders", "execution")).await;
    let bob = watch(&app, Who::OtherTeam, &orders, "bob@edge.example", false).await;
    let root = watch(&app, Who::Admin, &orders, "root@acme.example", true).await;
    watch(&app, Who::Owner, &orders, "carol@trading.example", false).await;
    let mute_all = PersonalSettings { email: Some("carol@trading.example".into()), muted: true };
    let carol: PersonalSettings =
        call(&app, Who::Owner, Method::PUT, "/api/v1/me/notifications", Some(&mute_all)).await.ok().await;

    // Act
    let deprecation =
        DeprecateRequest { sunset: "2027-06-30".into(), replacement: None, message: String::new(), revision: 1 };
    app.as_(Who::Owner).deprecate(&orders.id, &deprecation).await.ok::<DataProduct>().await;
    let deprecated = last_event(&app).await;

    // Assert
    assert_eq!(deprecated.kind, EventKind::ProductDeprecated);
    assert_eq!(told(&app, &deprecated).await, [("person/dev:bob/email".to_owned(), "bob@edge.example".to_owned())]);
    assert_eq!(
        bob,
        WatchState { watching: true, muted: false, muted_all: false, email: Some("bob@edge.example".into()) }
    );
    assert!(root.watching && root.muted);
    assert!(carol.muted);
    let history = app.state.mesh.catalog.product_history(&orders.id, 50).await.unwrap();
    assert_eq!(history.iter().filter(|e| e.action == AuditAction::Watched).count(), 3, "each watch audited");
}

#[tokio::test]
async fn an_unwatched_product_tells_its_former_watcher_nothing_and_access_is_never_a_watchers_business() {
    let app = spawn().await;
    let orders = app.seed(product("orders", "execution")).await;
    let path = format!("/api/v1/products/{}/watch", orders.id);
    watch(&app, Who::OtherTeam, &orders, "bob@edge.example", false).await;
    app.as_(Who::Owner)
        .deprecate(
            &orders.id,
            &DeprecateRequest { sunset: "2027-06-30".into(), replacement: None, message: String::new(), revision: 1 },
        )
        .await
        .ok::<DataProduct>()
        .await;
    let mut access = last_event(&app).await;
    access.kind = EventKind::AccessRequested;

    let unwatched: WatchState = call(&app, Who::OtherTeam, Method::DELETE, &path, None::<&()>).await.ok().await;
    let read: WatchState = call(&app, Who::OtherTeam, Method::GET, &path, None::<&()>).await.ok().await;

    assert!(told(&app, &access).await.is_empty(), "access concerns only the two teams involved");
    assert!(!unwatched.watching && !read.watching, "{unwatched:?} {read:?}");
    assert_eq!(read.email.as_deref(), Some("bob@edge.example"), "the address is kept for the next watch");
    assert!(told(&app, &last_event(&app).await).await.is_empty());
}

#[tokio::test]
async fn watching_needs_an_address_a_product_and_a_signed_in_person() {
    let app = spawn().await;
    let orders = app.seed(product("orders", "execution")).await;
    let path = format!("/api/v1/products/{}/watch", orders.id);
    let nowhere = WatchRequest::default();
    let malformed = WatchRequest { email: Some("not-an-address".into()), muted: false };

    let (missing, no_email) = call(&app, Who::OtherTeam, Method::PUT, &path, Some(&nowhere)).await.error().await;
    let (_, bad_email) = call(&app, Who::OtherTeam, Method::PUT, &path, Some(&malformed)).await.error().await;
    let (unknown, _) =
        call(&app, Who::OtherTeam, Method::PUT, "/api/v1/products/nothing/watch", Some(&nowhere)).await.error().await;
    let (anonymous, _) = call(&app, Who::Anonymous, Method::PUT, &path, Some(&nowhere)).await.error().await;

    assert_eq!((missing, no_email.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(no_email.details[0].code, ViolationCode::RequiredFieldMissing);
    assert_eq!(bad_email.details[0].code, ViolationCode::InvalidChannel);
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    assert_eq!(anonymous, StatusCode::UNAUTHORIZED);
}

/// A store keeps each person's watch per product and their settings; removing a watch says whether there was one.
async fn watches_are_kept_per_product_and_person(store: &dyn CatalogStore) {
    let orders = product("orders", "execution");
    let entry = || meshport_api::audit::entry("dev:bob", &orders.id, AuditAction::Watched, "watches", None, None);
    let watch =
        |person: &str, muted| Watch { product: orders.id.clone(), person: person.into(), muted, since: "t".into() };
    let settings = PersonalSettings { email: Some("bob@edge.example".into()), muted: false };

    store.put_watch(watch("dev:bob", false), entry()).await.unwrap();
    store.put_watch(watch("dev:carol", false), entry()).await.unwrap();
    store.put_watch(watch("dev:bob", true), entry()).await.unwrap();
    store.put_personal_settings("dev:bob", &settings).await.unwrap();
    let removed = store.delete_watch(&orders.id, "dev:carol", entry()).await.unwrap();
    let again = store.delete_watch(&orders.id, "dev:carol", entry()).await.unwrap();

    assert_eq!(store.watchers(&orders.id).await.unwrap(), [watch("dev:bob", true)]);
    assert!(store.watchers(&ProductId::parse("orders.v2").unwrap()).await.unwrap().is_empty(), "per product");
    assert_eq!((removed, again), (true, false));
    assert_eq!(store.personal_settings("dev:bob").await.unwrap(), Some(settings));
    assert_eq!(store.personal_settings("dev:carol").await.unwrap(), None);
    assert_eq!(store.product_history(&orders.id, 10).await.unwrap().len(), 4, "every change audited, not the no-op");
}

#[tokio::test]
async fn watches_are_kept_per_product_and_person_in_the_embedded_catalog() {
    let dir = tempfile::tempdir().unwrap();
    watches_are_kept_per_product_and_person(&EmbeddedStore::new(dir.path())).await;
}

#[tokio::test]
async fn watches_are_kept_per_product_and_person_in_dynamodb() {
    watches_are_kept_per_product_and_person(&crate::reminders::dynamo_store().await).await;
}
