//! The catalog conformance suite: the same test bodies run against the embedded store and against DynamoDB
//! (moto_server, whose endpoint `scripts/test` exports as MESHPORT_TEST_DYNAMODB_ENDPOINT). Each test gets its own
//! file or table, so tests never see each other's products.

mod common;

use std::time::Duration;

use meshport_api::catalog::dynamo::DynamoSettings;
use meshport_api::catalog::{CatalogStore, DynamoStore, EmbeddedStore, StoreError};
use meshport_shared::{DomainName, ProductId};

use common::{product, unique};

async fn a_missing_product_reads_as_none(store: &dyn CatalogStore) {
    store.ping().await.unwrap();
    assert_eq!(store.get_product(&ProductId::parse("nothing-here").unwrap()).await.unwrap(), None);
    assert!(store.list_products().await.unwrap().is_empty());
}

async fn a_new_product_is_stored_at_revision_one_and_read_back(store: &dyn CatalogStore) {
    let stored = store.put_product(product("users", "membership"), None).await.unwrap();

    assert_eq!(stored.revision, 1);
    assert_eq!(store.get_product(&stored.id).await.unwrap(), Some(stored));
}

async fn creating_an_existing_product_is_a_conflict(store: &dyn CatalogStore) {
    store.put_product(product("users", "membership"), None).await.unwrap();

    let err = store.put_product(product("users", "membership"), None).await.unwrap_err();

    assert!(matches!(err, StoreError::Conflict { expected: None, actual: Some(1), .. }), "{err:?}");
}

async fn a_write_at_the_current_revision_advances_it(store: &dyn CatalogStore) {
    let stored = store.put_product(product("users", "membership"), None).await.unwrap();
    let mut changed = stored.clone();
    changed.description.purpose = "Every registered user, with their tier".into();

    let updated = store.put_product(changed, Some(stored.revision)).await.unwrap();

    assert_eq!(updated.revision, 2);
    let read = store.get_product(&updated.id).await.unwrap().unwrap();
    assert_eq!(read.description.purpose, "Every registered user, with their tier");
    assert_eq!(read.revision, 2);
}

async fn a_stale_write_is_a_conflict_and_changes_nothing(store: &dyn CatalogStore) {
    let first = store.put_product(product("users", "membership"), None).await.unwrap();
    let mut winner = first.clone();
    winner.name = "Winner".into();
    store.put_product(winner, Some(1)).await.unwrap();
    let mut loser = first;
    loser.name = "Loser".into();

    let err = store.put_product(loser, Some(1)).await.unwrap_err();

    assert!(matches!(err, StoreError::Conflict { expected: Some(1), actual: Some(2), .. }), "{err:?}");
    let read = store.get_product(&ProductId::parse("users").unwrap()).await.unwrap().unwrap();
    assert_eq!(read.name, "Winner");
}

async fn updating_a_missing_product_is_a_conflict(store: &dyn CatalogStore) {
    let err = store.put_product(product("ghost", "membership"), Some(3)).await.unwrap_err();

    assert!(matches!(err, StoreError::Conflict { expected: Some(3), actual: None, .. }), "{err:?}");
    assert_eq!(store.get_product(&ProductId::parse("ghost").unwrap()).await.unwrap(), None);
}

async fn products_are_listed_in_id_order(store: &dyn CatalogStore) {
    for (id, domain) in [("pageviews", "analytics"), ("users", "membership"), ("clicks", "analytics")] {
        store.put_product(product(id, domain), None).await.unwrap();
    }

    let ids: Vec<String> = store.list_products().await.unwrap().into_iter().map(|p| p.id.to_string()).collect();

    assert_eq!(ids, ["clicks", "pageviews", "users"]);
}

async fn a_domain_lists_only_its_own_products(store: &dyn CatalogStore) {
    for (id, domain) in [("pageviews", "analytics"), ("users", "membership"), ("clicks", "analytics")] {
        store.put_product(product(id, domain), None).await.unwrap();
    }

    let analytics = store.list_domain_products(&DomainName::parse("analytics").unwrap()).await.unwrap();
    let empty = store.list_domain_products(&DomainName::parse("execution").unwrap()).await.unwrap();

    let ids: Vec<&str> = analytics.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["clicks", "pageviews"]);
    assert!(empty.is_empty());
}

async fn moving_a_product_to_another_domain_moves_it_between_domain_lists(store: &dyn CatalogStore) {
    let stored = store.put_product(product("clicks", "analytics"), None).await.unwrap();
    let mut moved = stored.clone();
    moved.domain = DomainName::parse("membership").unwrap();

    store.put_product(moved, Some(stored.revision)).await.unwrap();

    assert!(store.list_domain_products(&DomainName::parse("analytics").unwrap()).await.unwrap().is_empty());
    assert_eq!(store.list_domain_products(&DomainName::parse("membership").unwrap()).await.unwrap().len(), 1);
}

async fn deleting_a_product_removes_it_and_says_whether_it_existed(store: &dyn CatalogStore) {
    let stored = store.put_product(product("users", "membership"), None).await.unwrap();

    assert!(store.delete_product(&stored.id).await.unwrap());
    assert!(!store.delete_product(&stored.id).await.unwrap());
    assert_eq!(store.get_product(&stored.id).await.unwrap(), None);
    // The id is free again.
    assert_eq!(store.put_product(product("users", "membership"), None).await.unwrap().revision, 1);
}

async fn a_large_product_round_trips_unchanged(store: &dyn CatalogStore) {
    let mut big = product("orders", "execution");
    big.description.usage = "Join on order_id. ".repeat(200);
    big.tags = (0..20).map(|i| format!("tag-{i}")).collect();
    big.personal_fields = vec!["customer.email".into(), "customer.address.street".into()];

    let stored = store.put_product(big.clone(), None).await.unwrap();

    big.revision = 1;
    assert_eq!(stored, big);
    assert_eq!(store.get_product(&big.id).await.unwrap(), Some(big));
}

macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $test() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = super::EmbeddedStore::new(dir.path());
                    super::$test(&store).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $test() {
                    let store = super::dynamo_store().await;
                    super::$test(&store).await;
                }
            )*
        }
    };
}

conformance!(
    a_missing_product_reads_as_none,
    a_new_product_is_stored_at_revision_one_and_read_back,
    creating_an_existing_product_is_a_conflict,
    a_write_at_the_current_revision_advances_it,
    a_stale_write_is_a_conflict_and_changes_nothing,
    updating_a_missing_product_is_a_conflict,
    products_are_listed_in_id_order,
    a_domain_lists_only_its_own_products,
    moving_a_product_to_another_domain_moves_it_between_domain_lists,
    deleting_a_product_removes_it_and_says_whether_it_existed,
    a_large_product_round_trips_unchanged,
);

fn dynamo_settings(endpoint: &str, table: String) -> DynamoSettings {
    DynamoSettings {
        table,
        region: "us-east-1".into(),
        endpoint: Some(endpoint.into()),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        session_token: None,
        timeout: Duration::from_secs(3),
    }
}

/// A DynamoDB store on a fresh table of moto's.
async fn dynamo_store() -> DynamoStore {
    let endpoint = common::dynamodb_endpoint();
    let store = DynamoStore::new(&dynamo_settings(&endpoint, unique("catalog")));
    store.ensure_table().await.unwrap();
    store
}

#[tokio::test]
async fn ensuring_the_table_twice_is_harmless() {
    let store = dynamo_store().await;
    store.ensure_table().await.unwrap();
    store.ping().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_dynamodb_is_unavailable_not_a_panic() {
    let mut settings = dynamo_settings(&format!("http://127.0.0.1:{}", common::closed_port()), unique("catalog"));
    settings.timeout = Duration::from_millis(500);
    let store = DynamoStore::new(&settings);

    let err = store.ping().await.unwrap_err();
    let get = store.get_product(&ProductId::parse("users").unwrap()).await.unwrap_err();

    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(matches!(get, StoreError::Unavailable(_)), "{get:?}");
}

#[tokio::test]
async fn a_missing_table_is_unavailable() {
    let store = DynamoStore::new(&dynamo_settings(&common::dynamodb_endpoint(), unique("never-created")));

    let err = store.list_products().await.unwrap_err();

    assert!(matches!(&err, StoreError::Unavailable(m) if m.contains("ResourceNotFound")), "{err:?}");
}

#[tokio::test]
async fn an_unusable_data_directory_is_unavailable_and_recovers_once_fixed() {
    // A file where the data directory should be: refused even to root, unlike permission bits.
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    std::fs::write(&data_dir, b"not a directory").unwrap();
    let store = EmbeddedStore::new(&data_dir);

    let err = store.ping().await.unwrap_err();
    assert!(matches!(&err, StoreError::Unavailable(m) if m.contains("cannot open")), "{err:?}");

    std::fs::remove_file(&data_dir).unwrap();
    store.ping().await.unwrap();
    store.put_product(product("users", "membership"), None).await.unwrap();
}

#[tokio::test]
async fn the_embedded_catalog_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::new(dir.path());
        store.put_product(product("users", "membership"), None).await.unwrap();
    }

    let reopened = EmbeddedStore::new(dir.path());

    assert_eq!(reopened.get_product(&ProductId::parse("users").unwrap()).await.unwrap().unwrap().revision, 1);
}
