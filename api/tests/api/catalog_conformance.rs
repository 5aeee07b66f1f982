//! The catalog conformance suite: the same test bodies run against the embedded store and against DynamoDB
//! (moto_server, whose endpoint `scripts/test` exports as MESHPORT_TEST_DYNAMODB_ENDPOINT). Each test gets its own
//! file or table, so tests never see each other's products.

use crate::common;

use std::time::Duration;

use meshport_api::catalog::dynamo::DynamoSettings;
use meshport_api::catalog::{
    Attempt, CatalogStore, Claim, Delivery, DeliveryKey, DeliveryState, DestinationId, DynamoStore, EmbeddedStore,
    StoreError, TeamChannelSettings,
};
use meshport_shared::access::{AccessRequest, AccessState};
use meshport_shared::accounts::{AccountRole, ServiceAccount};
use meshport_shared::events::EventKind;
use meshport_shared::{
    AuditAction, DataProduct, DomainName, HistoryKind, Principal, ProductId, SchemaFormat, SchemaVersion, SubjectName,
    TeamName, TopicFacts, TopicName,
};

use common::{access_request, product, unique};

/// Stores a product with a test audit entry.
async fn put(store: &dyn CatalogStore, product: DataProduct, expected: Option<u64>) -> Result<DataProduct, StoreError> {
    let audit = common::audit(&product);
    store.put_product(product, expected, audit).await
}

async fn a_missing_product_reads_as_none(store: &dyn CatalogStore) {
    store.ping().await.unwrap();
    assert_eq!(store.get_product(&ProductId::parse("nothing-here").unwrap()).await.unwrap(), None);
    assert!(store.list_products().await.unwrap().is_empty());
}

async fn a_new_product_is_stored_at_revision_one_and_read_back(store: &dyn CatalogStore) {
    let stored = put(store, product("users", "membership"), None).await.unwrap();

    assert_eq!(stored.revision, 1);
    assert_eq!(store.get_product(&stored.id).await.unwrap(), Some(stored));
}

async fn creating_an_existing_product_is_a_conflict(store: &dyn CatalogStore) {
    put(store, product("users", "membership"), None).await.unwrap();

    let err = put(store, product("users", "membership"), None).await.unwrap_err();

    assert!(matches!(err, StoreError::Conflict { expected: None, actual: Some(1), .. }), "{err:?}");
}

async fn a_write_at_the_current_revision_advances_it(store: &dyn CatalogStore) {
    let stored = put(store, product("users", "membership"), None).await.unwrap();
    let mut changed = stored.clone();
    changed.description.purpose = "Every registered user, with their tier".into();

    let updated = put(store, changed, Some(stored.revision)).await.unwrap();

    assert_eq!(updated.revision, 2);
    let read = store.get_product(&updated.id).await.unwrap().unwrap();
    assert_eq!(read.description.purpose, "Every registered user, with their tier");
    assert_eq!(read.revision, 2);
}

async fn a_stale_write_is_a_conflict_and_changes_nothing(store: &dyn CatalogStore) {
    let first = put(store, product("users", "membership"), None).await.unwrap();
    let mut winner = first.clone();
    winner.name = "Winner".into();
    put(store, winner, Some(1)).await.unwrap();
    let mut loser = first;
    loser.name = "Loser".into();

    let err = put(store, loser, Some(1)).await.unwrap_err();

    assert!(matches!(err, StoreError::Conflict { expected: Some(1), actual: Some(2), .. }), "{err:?}");
    let read = store.get_product(&ProductId::parse("users").unwrap()).await.unwrap().unwrap();
    assert_eq!(read.name, "Winner");
}

async fn updating_a_missing_product_is_a_conflict(store: &dyn CatalogStore) {
    let err = put(store, product("ghost", "membership"), Some(3)).await.unwrap_err();

    assert!(matches!(err, StoreError::Conflict { expected: Some(3), actual: None, .. }), "{err:?}");
    assert_eq!(store.get_product(&ProductId::parse("ghost").unwrap()).await.unwrap(), None);
}

async fn products_are_listed_in_id_order(store: &dyn CatalogStore) {
    for (id, domain) in [("pageviews", "analytics"), ("users", "membership"), ("clicks", "analytics")] {
        put(store, product(id, domain), None).await.unwrap();
    }

    let ids: Vec<String> = store.list_products().await.unwrap().into_iter().map(|p| p.id.to_string()).collect();

    assert_eq!(ids, ["clicks", "pageviews", "users"]);
}

async fn a_domain_lists_only_its_own_products(store: &dyn CatalogStore) {
    for (id, domain) in [("pageviews", "analytics"), ("users", "membership"), ("clicks", "analytics")] {
        put(store, product(id, domain), None).await.unwrap();
    }

    let analytics = store.list_domain_products(&DomainName::parse("analytics").unwrap()).await.unwrap();
    let empty = store.list_domain_products(&DomainName::parse("execution").unwrap()).await.unwrap();

    let ids: Vec<&str> = analytics.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["clicks", "pageviews"]);
    assert!(empty.is_empty());
}

async fn moving_a_product_to_another_domain_moves_it_between_domain_lists(store: &dyn CatalogStore) {
    let stored = put(store, product("clicks", "analytics"), None).await.unwrap();
    let mut moved = stored.clone();
    moved.domain = DomainName::parse("membership").unwrap();

    put(store, moved, Some(stored.revision)).await.unwrap();

    assert!(store.list_domain_products(&DomainName::parse("analytics").unwrap()).await.unwrap().is_empty());
    assert_eq!(store.list_domain_products(&DomainName::parse("membership").unwrap()).await.unwrap().len(), 1);
}

async fn deleting_a_product_removes_it_and_says_whether_it_existed(store: &dyn CatalogStore) {
    let stored = put(store, product("users", "membership"), None).await.unwrap();

    assert!(store.delete_product(&stored.id, stored.revision, common::audit(&stored)).await.unwrap());
    assert!(!store.delete_product(&stored.id, stored.revision, common::audit(&stored)).await.unwrap());
    assert_eq!(store.get_product(&stored.id).await.unwrap(), None);
    // The id is free again.
    assert_eq!(put(store, product("users", "membership"), None).await.unwrap().revision, 1);
}

async fn deleting_a_product_changed_meanwhile_keeps_it(store: &dyn CatalogStore) {
    let draft = put(store, product("users", "membership"), None).await.unwrap();
    let finished = put(store, draft.clone(), Some(draft.revision)).await.unwrap();

    let err = store.delete_product(&draft.id, draft.revision, common::audit(&draft)).await.unwrap_err();

    assert!(matches!(err, StoreError::Conflict { expected: Some(1), actual: Some(2), .. }), "{err:?}");
    assert_eq!(store.get_product(&draft.id).await.unwrap(), Some(finished));
    assert_eq!(store.claim_holder(&Claim::Topic("users".into())).await.unwrap(), Some(draft.id.clone()));
}

async fn a_large_product_round_trips_unchanged(store: &dyn CatalogStore) {
    let mut big = product("orders", "execution");
    big.description.usage = "Join on order_id. ".repeat(200);
    big.tags = (0..20).map(|i| format!("tag-{i}")).collect();
    big.personal_fields = vec!["customer.email".into(), "customer.address.street".into()];

    let stored = put(store, big.clone(), None).await.unwrap();

    big.revision = 1;
    assert_eq!(stored, big);
    assert_eq!(store.get_product(&big.id).await.unwrap(), Some(big));
}

async fn every_change_is_in_the_products_history_newest_first(store: &dyn CatalogStore) {
    let stored = put(store, product("users", "membership"), None).await.unwrap();
    let mut renamed = stored.clone();
    renamed.name = "Members".into();
    let audit =
        meshport_api::audit::entry("bob", &stored.id, AuditAction::Updated, "renamed", Some(&stored), Some(&renamed));
    store.put_product(renamed, Some(1), audit).await.unwrap();
    put(store, product("pageviews", "analytics"), None).await.unwrap();

    let history = store.product_history(&stored.id, 10).await.unwrap();
    let recent = store.recent_activity(2).await.unwrap();

    assert_eq!(history.len(), 2);
    assert_eq!((history[0].actor.as_str(), history[0].summary.as_str()), ("bob", "renamed"));
    assert_eq!(history[0].before.as_ref().unwrap()["name"], "users product");
    assert_eq!(history[0].after.as_ref().unwrap()["name"], "Members");
    assert!(history[0].id > history[1].id);
    let recent_products: Vec<&str> = recent.iter().map(|e| e.product.as_str()).collect();
    assert_eq!(recent_products, ["pageviews", "users"]);
    assert_eq!(store.product_history(&stored.id, 1).await.unwrap().len(), 1, "the limit holds");
}

async fn a_lost_race_records_no_audit_entry(store: &dyn CatalogStore) {
    let stored = put(store, product("users", "membership"), None).await.unwrap();

    put(store, stored.clone(), Some(7)).await.unwrap_err();

    assert_eq!(store.product_history(&stored.id, 10).await.unwrap().len(), 1);
}

async fn the_generation_grows_with_product_changes_and_schema_versions_only(store: &dyn CatalogStore) {
    let start = store.generation().await.unwrap();
    let stored = put(store, product("users", "membership"), None).await.unwrap();
    put(store, stored.clone(), Some(1)).await.unwrap();
    put(store, stored.clone(), Some(1)).await.unwrap_err();
    store.put_topics(vec![topic("users", 1)]).await.unwrap();
    let after_writes = store.generation().await.unwrap();
    store.delete_product(&stored.id, 2, common::audit(&stored)).await.unwrap();
    store.put_schema_versions(vec![version("users-value", 1, 1)]).await.unwrap();

    assert_eq!(after_writes, start + 2, "two product writes; the lost race and the topic mirror do not count");
    assert_eq!(store.generation().await.unwrap(), start + 4, "a deletion and new schema versions count");
}

async fn deleting_a_product_keeps_its_history(store: &dyn CatalogStore) {
    let stored = put(store, product("users", "membership"), None).await.unwrap();
    let audit = meshport_api::audit::entry("admin", &stored.id, AuditAction::Deleted, "gone", Some(&stored), None);

    store.delete_product(&stored.id, stored.revision, audit).await.unwrap();

    let history = store.product_history(&stored.id, 10).await.unwrap();
    assert_eq!(history.iter().map(|e| e.action).collect::<Vec<_>>(), [AuditAction::Deleted, AuditAction::Updated]);
}

async fn mirrored_topics_are_replaced_and_listed_by_name(store: &dyn CatalogStore) {
    let mut orders = topic("orders", 3);
    store.put_topics(vec![orders.clone(), topic("clicks", 1)]).await.unwrap();
    orders.partitions = 6;
    orders.present = false;

    store.put_topics(vec![orders.clone()]).await.unwrap();

    let names: Vec<String> = store.list_topics().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names, ["clicks", "orders"]);
    assert_eq!(store.topic(&orders.name).await.unwrap(), Some(orders));
    assert_eq!(store.topic(&TopicName::parse("nothing").unwrap()).await.unwrap(), None);
}

async fn many_topics_are_mirrored_in_batches(store: &dyn CatalogStore) {
    let topics: Vec<TopicFacts> = (0..60).map(|i| topic(&format!("t{i:03}"), 1)).collect();

    store.put_topics(topics).await.unwrap();

    assert_eq!(store.list_topics().await.unwrap().len(), 60);
}

async fn schema_versions_are_kept_per_subject_in_version_order(store: &dyn CatalogStore) {
    let versions = vec![version("orders-value", 10, 31), version("orders-value", 2, 12), version("clicks-value", 1, 5)];

    store.put_schema_versions(versions).await.unwrap();

    let orders: Vec<i32> = store.schema_versions("orders-value").await.unwrap().iter().map(|v| v.version).collect();
    assert_eq!(orders, [2, 10]);
    assert!(store.schema_versions("orders").await.unwrap().is_empty(), "a prefix is not a subject");
    let all: Vec<(String, i32)> =
        store.all_schema_versions().await.unwrap().into_iter().map(|v| (v.subject, v.version)).collect();
    assert_eq!(all, [("clicks-value".to_owned(), 1), ("orders-value".to_owned(), 2), ("orders-value".to_owned(), 10)]);
}

async fn put_access(
    store: &dyn CatalogStore,
    request: AccessRequest,
    expected: Option<u64>,
) -> Result<AccessRequest, StoreError> {
    let entry = meshport_api::audit::entry("test", &request.product, AuditAction::Access, "a test", None, None);
    store.put_access(request, expected, entry).await
}

async fn access_requests_are_found_by_product_owners_team_and_state(store: &dyn CatalogStore) {
    let fraud = put_access(store, access_request("r1", "orders", "fraud"), None).await.unwrap();
    put_access(store, access_request("r2", "orders", "reporting"), None).await.unwrap();
    put_access(store, access_request("r3", "fills", "fraud"), None).await.unwrap();
    let mut active = fraud.clone();
    active.state = AccessState::Active;

    let active = put_access(store, active, Some(fraud.revision)).await.unwrap();
    let stale = put_access(store, fraud.clone(), Some(fraud.revision)).await.unwrap_err();
    let twice = put_access(store, access_request("r1", "orders", "fraud"), None).await.unwrap_err();

    let ids = |requests: Vec<AccessRequest>| requests.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let orders = ProductId::parse("orders").unwrap();
    assert_eq!(ids(store.product_access(&orders).await.unwrap()), ["r1", "r2"]);
    assert_eq!(ids(store.inbox(&TeamName::parse("trading").unwrap()).await.unwrap()), ["r1", "r2", "r3"]);
    assert_eq!(ids(store.team_access(&TeamName::parse("fraud").unwrap()).await.unwrap()), ["r1", "r3"]);
    assert_eq!(ids(store.access_in_state(AccessState::Active).await.unwrap()), ["r1"]);
    assert_eq!(ids(store.access_in_state(AccessState::Requested).await.unwrap()), ["r2", "r3"]);
    assert_eq!(store.get_access("r1").await.unwrap(), Some(active.clone()));
    assert_eq!(active.revision, 2);
    assert!(matches!(stale, StoreError::AccessConflict { actual: Some(2), .. }), "{stale:?}");
    assert!(matches!(twice, StoreError::AccessConflict { expected: None, .. }), "{twice:?}");
    let history = store.product_history(&orders, 10).await.unwrap();
    assert_eq!(history.len(), 3, "every stored change of a request is in the product's history");

    let mut revoked = active.clone();
    revoked.state = AccessState::Revoked;
    put_access(store, revoked, Some(active.revision)).await.unwrap();
    assert!(store.access_in_state(AccessState::Active).await.unwrap().is_empty(), "a revoked grant is not active");
}

fn account(principal: &str, team: &str, roles: &[AccountRole]) -> ServiceAccount {
    ServiceAccount {
        principal: Principal::parse(principal).unwrap(),
        team: TeamName::parse(team).unwrap(),
        roles: roles.to_vec(),
        managed: false,
        registered_by: "dev:bob".into(),
        registered_at: "2026-12-05T10:00:00Z".into(),
        rotated_at: None,
        revision: 0,
    }
}

async fn put_account(
    store: &dyn CatalogStore,
    account: ServiceAccount,
    expected: Option<u64>,
) -> Result<ServiceAccount, StoreError> {
    let trail = ProductId::parse(format!("service-accounts.{}", account.team)).unwrap();
    let entry = meshport_api::audit::entry("test", &trail, AuditAction::Access, "a test", None, None);
    store.put_account(account, expected, entry).await
}

async fn a_principal_belongs_to_one_team_and_moves_only_at_its_revision(store: &dyn CatalogStore) {
    let fraud = put_account(store, account("User:svc-fraud", "fraud", &[AccountRole::Consumer]), None).await.unwrap();
    put_account(store, account("User:svc-fraud-2", "fraud", &[AccountRole::Producer]), None).await.unwrap();
    put_account(store, account("User:svc-edge", "edge", &[AccountRole::Producer]), None).await.unwrap();

    let taken =
        put_account(store, account("User:svc-fraud", "edge", &[AccountRole::Consumer]), None).await.unwrap_err();
    let mut moved = fraud.clone();
    moved.team = TeamName::parse("edge").unwrap();
    let moved = put_account(store, moved, Some(fraud.revision)).await.unwrap();
    let stale = put_account(store, fraud.clone(), Some(fraud.revision)).await.unwrap_err();

    let principals =
        |accounts: Vec<ServiceAccount>| accounts.into_iter().map(|a| a.principal.to_string()).collect::<Vec<_>>();
    assert!(matches!(taken, StoreError::AccountConflict { expected: None, actual: Some(1), .. }), "{taken:?}");
    assert!(matches!(stale, StoreError::AccountConflict { actual: Some(2), .. }), "{stale:?}");
    assert_eq!((fraud.revision, moved.revision), (1, 2));
    assert_eq!(store.get_account(&fraud.principal).await.unwrap(), Some(moved.clone()));
    assert_eq!(
        principals(store.team_accounts(&TeamName::parse("fraud").unwrap()).await.unwrap()),
        ["User:svc-fraud-2"]
    );
    assert_eq!(
        principals(store.team_accounts(&TeamName::parse("edge").unwrap()).await.unwrap()),
        ["User:svc-edge", "User:svc-fraud"]
    );
    let trail = ProductId::parse("service-accounts.fraud").unwrap();
    assert_eq!(store.product_history(&trail, 10).await.unwrap().len(), 2, "each stored change has its entry");
}

async fn deleting_an_account_frees_its_principal_only_at_its_revision(store: &dyn CatalogStore) {
    let stored = put_account(store, account("User:svc-a", "fraud", &[AccountRole::Producer]), None).await.unwrap();
    let entry = |summary: &str| {
        let trail = ProductId::parse("service-accounts.fraud").unwrap();
        meshport_api::audit::entry("test", &trail, AuditAction::Access, summary, None, None)
    };

    let stale = store.delete_account(&stored.principal, 7, entry("stale")).await.unwrap_err();
    let deleted = store.delete_account(&stored.principal, stored.revision, entry("deleted")).await.unwrap();
    let again = store.delete_account(&stored.principal, stored.revision, entry("again")).await.unwrap();

    assert!(matches!(stale, StoreError::AccountConflict { actual: Some(1), .. }), "{stale:?}");
    assert!(deleted);
    assert!(!again, "gone already");
    assert_eq!(store.get_account(&stored.principal).await.unwrap(), None);
    assert!(store.team_accounts(&stored.team).await.unwrap().is_empty());
    put_account(store, account("User:svc-a", "edge", &[AccountRole::Consumer]), None).await.unwrap();
    let trail = ProductId::parse("service-accounts.fraud").unwrap();
    let summaries: Vec<String> =
        store.product_history(&trail, 10).await.unwrap().into_iter().map(|e| e.summary).collect();
    assert_eq!(summaries, ["deleted", "a test"], "a refused delete records nothing");
}

/// `product(id)` with `topic` as its topic (and `<topic>-value` as its subject).
fn on_topic(id: &str, topic: &str) -> DataProduct {
    let mut product = product(id, "membership");
    let topic = TopicName::parse(topic).unwrap();
    product.output_port.value_subject = SubjectName::value_of(&topic);
    product.output_port.topic = topic;
    product
}

fn holder_of(err: &StoreError) -> Option<(&Claim, &str)> {
    match err {
        StoreError::Claimed { claim, holder } => Some((claim, holder.as_str())),
        _ => None,
    }
}

async fn a_topic_or_subject_another_product_holds_cannot_be_stored(store: &dyn CatalogStore) {
    let users = put(store, product("users", "membership"), None).await.unwrap();
    let mut keyed = on_topic("keyed", "keyed");
    keyed.output_port.key_subject = Some(users.output_port.value_subject.clone());

    let same_topic = put(store, on_topic("copycat", "users"), None).await.unwrap_err();
    let same_subject = put(store, keyed, None).await.unwrap_err();

    assert_eq!(holder_of(&same_topic), Some((&Claim::Topic("users".into()), "users")), "{same_topic:?}");
    assert_eq!(holder_of(&same_subject), Some((&Claim::Subject("users-value".into()), "users")), "{same_subject:?}");
    for id in ["copycat", "keyed"] {
        let id = ProductId::parse(id).unwrap();
        assert_eq!(store.get_product(&id).await.unwrap(), None, "nothing of `{id}` is stored");
        assert!(store.product_history(&id, 10).await.unwrap().is_empty(), "no audit entry for `{id}`");
    }
}

async fn two_products_claiming_one_topic_at_once_leave_exactly_one(store: &dyn CatalogStore) {
    let (first, second) =
        tokio::join!(put(store, on_topic("first", "shared"), None), put(store, on_topic("second", "shared"), None));

    let winners: Vec<&DataProduct> = [&first, &second].into_iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one claim wins: {first:?} / {second:?}");
    let loser = [&first, &second].into_iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(matches!(loser, StoreError::Claimed { .. }), "{loser:?}");
    let holder = store.claim_holder(&Claim::Topic("shared".into())).await.unwrap();
    assert_eq!(holder.as_ref(), Some(&winners[0].id));
    assert_eq!(store.list_products().await.unwrap().len(), 1);
}

async fn claims_follow_the_product_and_are_released_when_it_is_deleted(store: &dyn CatalogStore) {
    let mut users = product("users", "membership");
    users.output_port.key_subject = Some(SubjectName::parse("users-key").unwrap());
    let stored = put(store, users, None).await.unwrap();
    let mut keyless = stored.clone();
    keyless.output_port.key_subject = None;

    let keyless = put(store, keyless, Some(stored.revision)).await.unwrap();

    let key = Claim::Subject("users-key".into());
    assert_eq!(store.claim_holder(&key).await.unwrap(), None, "the key subject is released");
    assert_eq!(store.claim_holder(&Claim::Topic("users".into())).await.unwrap(), Some(stored.id.clone()));

    assert!(store.delete_product(&stored.id, keyless.revision, common::audit(&stored)).await.unwrap());

    assert_eq!(store.claim_holder(&Claim::Topic("users".into())).await.unwrap(), None);
    put(store, on_topic("users-again", "users"), None).await.expect("the topic is free once its product is gone");
}

async fn the_claims_backfill_runs_once_and_is_harmless_on_claimed_products(store: &dyn CatalogStore) {
    put(store, product("users", "membership"), None).await.unwrap();
    assert!(!store.claims_backfilled().await.unwrap());

    assert!(store.backfill_claims().await.unwrap().is_empty());
    assert!(store.claims_backfilled().await.unwrap());
    assert!(store.backfill_claims().await.unwrap().is_empty());
    assert_eq!(store.claim_holder(&Claim::Topic("users".into())).await.unwrap().unwrap().as_str(), "users");
}

/// A catalog written before claims existed gets them from the backfill; two products on one topic are reported, the
/// first (by id) keeps it, and from then on no third product can take it.
async fn a_catalog_from_before_claims_is_backfilled(store: &dyn CatalogStore) {
    assert_eq!(store.list_products().await.unwrap().len(), 3, "the legacy catalog's products are readable");
    assert_eq!(store.claim_holder(&Claim::Topic("orders".into())).await.unwrap(), None, "no claims yet");

    let clashes = store.backfill_claims().await.unwrap();

    assert_eq!(clashes.len(), 2, "topic and subject of `orders-copy`: {clashes:?}");
    assert!(clashes.iter().all(|c| c.holder.as_str() == "orders" && c.other.as_str() == "orders-copy"), "{clashes:?}");
    let holder = store.claim_holder(&Claim::Topic("orders".into())).await.unwrap();
    assert_eq!(holder.unwrap().as_str(), "orders");
    assert_eq!(store.claim_holder(&Claim::Topic("users".into())).await.unwrap().unwrap().as_str(), "users");
    let err = put(store, on_topic("orders-third", "orders"), None).await.unwrap_err();
    assert!(matches!(err, StoreError::Claimed { .. }), "{err:?}");
    assert!(store.backfill_claims().await.unwrap().is_empty(), "once is enough");
}

/// The products of a legacy catalog: `orders` and `orders-copy` share a topic, as nothing prevented it then.
fn legacy_products() -> Vec<DataProduct> {
    let mut products =
        vec![product("users", "membership"), on_topic("orders", "orders"), on_topic("orders-copy", "orders")];
    for p in &mut products {
        p.revision = 1;
    }
    products
}

/// The kinds and numbers of every event after `after`.
async fn events(store: &dyn CatalogStore, after: u64) -> Vec<(u64, EventKind)> {
    store.events_after(after, 1000).await.unwrap().into_iter().map(|e| (e.seq, e.kind)).collect()
}

fn entry(product: &DataProduct, action: AuditAction) -> meshport_shared::AuditEntry {
    meshport_api::audit::entry("dev:carol", &product.id, action, "a test change", None, Some(product))
}

async fn every_change_that_tells_someone_is_an_event_numbered_in_commit_order(store: &dyn CatalogStore) {
    let users = store
        .put_product(
            product("users", "membership"),
            None,
            entry(&product("users", "membership"), AuditAction::Published),
        )
        .await
        .unwrap();
    let mut deprecated = users.clone();
    deprecated.deprecation =
        Some(meshport_shared::Deprecation { sunset: "2027-01-31".into(), replacement: None, message: String::new() });
    let deprecated = store
        .put_product(deprecated.clone(), Some(users.revision), entry(&deprecated, AuditAction::Deprecated))
        .await
        .unwrap();
    put_access(store, access_request("r1", "users", "fraud"), None).await.unwrap();
    store
        .record(meshport_api::audit::started("dev:carol", &deprecated, AuditAction::Retired, "started"))
        .await
        .unwrap();
    put_account(store, account("User:svc-fraud", "fraud", &[AccountRole::Consumer]), None).await.unwrap();
    let draft = put(store, product("draft", "membership"), None).await.unwrap();
    store.delete_product(&draft.id, draft.revision, entry(&draft, AuditAction::Deleted)).await.unwrap();

    let all = store.events_after(0, 1000).await.unwrap();

    let numbered: Vec<(u64, EventKind)> = all.iter().map(|e| (e.seq, e.kind)).collect();
    assert_eq!(
        numbered,
        [
            (1, EventKind::ProductPublished),
            (2, EventKind::ProductDeprecated),
            (3, EventKind::AccessRequested),
            (4, EventKind::ProductUpdated),
        ],
        "an intent, an account and a draft's deletion tell no one"
    );
    assert_eq!(all[1].data.change.sunset.as_deref(), Some("2027-01-31"));
    assert_eq!(all[1].data.actor, "dev:carol");
    assert_eq!(all[2].data.product.name, users.name, "an access event names the product as it is");
    assert_eq!(all[2].data.change.team.as_deref(), Some("fraud"));
    assert!(all.iter().all(|e| e.check().is_ok()));
    assert_eq!(events(store, 2).await, numbered[2..], "after a number, the ones after it");
    assert_eq!(store.events_after(1, 2).await.unwrap().len(), 2, "at most the limit");
    assert!(events(store, 4).await.is_empty());
}

async fn a_change_whose_transaction_failed_leaves_no_event_and_no_gap(store: &dyn CatalogStore) {
    let users = put(store, product("users", "membership"), None).await.unwrap();
    put(store, users.clone(), Some(users.revision)).await.unwrap();

    let stale = put(store, users.clone(), Some(users.revision)).await.unwrap_err();
    let claimed = put(store, on_topic("copycat", "users"), None).await.unwrap_err();
    let twice = put_access(store, access_request("r1", "users", "fraud"), None)
        .await
        .and(put_access(store, access_request("r1", "users", "fraud"), None).await);
    let after = put(store, product("orders", "membership"), None).await.unwrap();

    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale:?}");
    assert!(matches!(claimed, StoreError::Claimed { .. }), "{claimed:?}");
    assert!(matches!(twice, Err(StoreError::AccessConflict { .. })), "{twice:?}");
    let numbered = events(store, 0).await;
    assert_eq!(numbered.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), [1, 2, 3, 4], "{numbered:?}");
    let last = store.events_after(3, 10).await.unwrap();
    assert_eq!(last[0].subject, after.id.as_str(), "the next change takes the next number");
}

async fn a_teams_channels_are_replaced_whole_and_the_notifiers_mark_moves_only_from_where_it_was(
    store: &dyn CatalogStore,
) {
    use meshport_shared::events::{ChannelSettings, WebhookSettings};

    let team = TeamName::parse("fraud").unwrap();
    let first = ChannelSettings {
        webhook: Some(WebhookSettings {
            url: "https://hooks.fraud.example/in".into(),
            secret: "whsec_c2VjcmV0".into(),
        }),
        email: Some("fraud@acme.example".into()),
        ..ChannelSettings::default()
    };
    let second = ChannelSettings {
        slack_url: Some("https://hooks.slack.com/services/T/B/x".into()),
        ..ChannelSettings::default()
    };

    let set = |settings: &ChannelSettings, expected| {
        let entry = meshport_api::audit::entry(
            "dev:carol",
            &ProductId::parse("notifications.fraud").unwrap(),
            AuditAction::Updated,
            "notification channels set",
            None,
            None,
        );
        let settings = settings.clone();
        let team = team.clone();
        async move { store.put_team_channels(&team, &settings, expected, entry).await }
    };

    assert_eq!(store.team_channels(&team).await.unwrap(), None);
    assert_eq!(set(&first, None).await.unwrap(), 1);
    assert_eq!(
        store.team_channels(&team).await.unwrap(),
        Some(TeamChannelSettings { settings: first.clone(), revision: 1 })
    );
    assert_eq!(set(&second, Some(1)).await.unwrap(), 2);
    let stale = set(&first, Some(1)).await.unwrap_err();
    let exists = set(&first, None).await.unwrap_err();
    assert!(matches!(stale, StoreError::Changed(_)), "{stale:?}");
    assert!(matches!(exists, StoreError::Changed(_)), "{exists:?}");
    assert_eq!(
        store.team_channels(&team).await.unwrap(),
        Some(TeamChannelSettings { settings: second, revision: 2 }),
        "replaced whole, and only at its revision"
    );
    assert_eq!(store.team_channels(&TeamName::parse("edge").unwrap()).await.unwrap(), None);
    let trail = store.product_history(&ProductId::parse("notifications.fraud").unwrap(), 10).await.unwrap();
    assert_eq!(trail.len(), 2, "each change audited, the refused ones not: {trail:?}");
    assert!(store.events_after(0, 10).await.unwrap().is_empty(), "a change of channels tells no one");

    assert_eq!(store.notified().await.unwrap(), 0);
    store.advance_notified(0, 3).await.unwrap();
    let moved = store.advance_notified(0, 5).await.unwrap_err();
    store.advance_notified(3, 5).await.unwrap();
    assert!(matches!(moved, StoreError::Busy(_)), "{moved:?}");
    assert_eq!(store.notified().await.unwrap(), 5);
}

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn delivery(seq: u64, destination: &str, due: &str) -> Delivery {
    let event = meshport_shared::testing::deprecation_event(seq, "Orders", "Orders is deprecated.");
    Delivery::new(event, DestinationId(destination.to_owned()), at(due))
}

fn delivery_key(seq: u64, destination: &str) -> DeliveryKey {
    DeliveryKey { seq, destination: DestinationId(destination.to_owned()) }
}

/// The keys of what `pending_deliveries` answers at `now`.
async fn due(store: &dyn CatalogStore, now: &str) -> Vec<(u64, String)> {
    let due = store.pending_deliveries(at(now), 100).await.unwrap();
    due.into_iter().map(|d| (d.key.seq, d.key.destination.0)).collect()
}

async fn handing_out_stores_the_deliveries_with_the_mark_or_neither(store: &dyn CatalogStore) {
    let first =
        vec![delivery(1, "edge/webhook", "2026-12-05T10:00:00Z"), delivery(1, "edge/slack", "2026-12-05T10:00:00Z")];

    store.hand_out(0, 1, first).await.unwrap();
    let again = store.hand_out(0, 1, vec![delivery(1, "edge/teams", "2026-12-05T10:00:00Z")]).await.unwrap_err();

    assert!(matches!(again, StoreError::Busy(_)), "{again:?}");
    assert_eq!(store.notified().await.unwrap(), 1);
    assert_eq!(
        due(store, "2026-12-05T10:00:00Z").await,
        [(1, "edge/slack".to_owned()), (1, "edge/webhook".to_owned())]
    );
    assert_eq!(
        store.delivery(&delivery_key(1, "edge/teams")).await.unwrap(),
        None,
        "the losing hand-out stored nothing"
    );
    let stored = store.delivery(&delivery_key(1, "edge/webhook")).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts, stored.event.seq), (DeliveryState::Pending, 0, 1));
}

async fn more_deliveries_than_one_transaction_holds_are_handed_out_once(store: &dyn CatalogStore) {
    let many: Vec<Delivery> =
        (0..130).map(|n| delivery(1, &format!("team{n:03}/webhook"), "2026-12-05T10:00:00Z")).collect();

    store.hand_out(0, 1, many.clone()).await.unwrap();
    let again = store.hand_out(0, 1, many).await.unwrap_err();

    assert!(matches!(again, StoreError::Busy(_)), "{again:?}");
    assert_eq!(store.pending_deliveries(at("2026-12-05T10:00:00Z"), 500).await.unwrap().len(), 130);
}

async fn pending_deliveries_come_earliest_due_first_and_only_once_due(store: &dyn CatalogStore) {
    store
        .hand_out(
            0,
            3,
            vec![
                delivery(1, "a/webhook", "2026-12-05T12:00:00Z"),
                delivery(2, "b/webhook", "2026-12-05T10:00:00Z"),
                delivery(3, "c/webhook", "2026-12-05T11:00:00.500Z"),
            ],
        )
        .await
        .unwrap();

    assert!(due(store, "2026-12-05T09:59:59Z").await.is_empty());
    assert_eq!(due(store, "2026-12-05T11:00:00.499Z").await, [(2, "b/webhook".to_owned())]);
    assert_eq!(
        due(store, "2026-12-05T13:00:00Z").await,
        [(2, "b/webhook".to_owned()), (3, "c/webhook".to_owned()), (1, "a/webhook".to_owned())]
    );
    assert_eq!(store.pending_deliveries(at("2026-12-05T13:00:00Z"), 2).await.unwrap().len(), 2, "at most the limit");
}

async fn an_attempt_is_counted_once_and_moves_the_delivery_along(store: &dyn CatalogStore) {
    store.hand_out(0, 1, vec![delivery(1, "edge/webhook", "2026-12-05T10:00:00Z")]).await.unwrap();
    let key = delivery_key(1, "edge/webhook");
    let failed = |error: &str| Attempt::Failed { next_at: at("2026-12-05T10:05:00Z"), error: error.to_owned() };

    // Two dispatchers took the same delivery: the first to record attempt 1 counts, the second is refused.
    store.record_attempt(&key, 1, failed("the receiver answered 503")).await.unwrap();
    let second = store.record_attempt(&key, 1, Attempt::Delivered).await.unwrap_err();

    assert!(matches!(second, StoreError::Changed(_)), "{second:?}");
    let stored = store.delivery(&key).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts), (DeliveryState::Pending, 1));
    assert_eq!(stored.last_error.as_deref(), Some("the receiver answered 503"));
    assert!(due(store, "2026-12-05T10:04:59Z").await.is_empty(), "not due before its retry");
    assert_eq!(due(store, "2026-12-05T10:05:00Z").await.len(), 1);

    store.record_attempt(&key, 2, Attempt::Delivered).await.unwrap();
    let after_delivered = store.record_attempt(&key, 3, Attempt::Delivered).await.unwrap_err();

    assert!(matches!(after_delivered, StoreError::Changed(_)), "{after_delivered:?}");
    let stored = store.delivery(&key).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts, stored.last_error), (DeliveryState::Delivered, 2, None));
    assert!(due(store, "2026-12-06T00:00:00Z").await.is_empty(), "a delivered one is no longer pending");
    let missing = store.record_attempt(&delivery_key(9, "edge/webhook"), 1, Attempt::Delivered).await.unwrap_err();
    assert!(matches!(missing, StoreError::Changed(_)), "{missing:?}");
}

async fn dead_letters_are_listed_oldest_first_and_redelivered_once_with_an_audit_entry(store: &dyn CatalogStore) {
    let deliveries = vec![
        delivery(1, "edge/webhook", "2026-12-05T10:00:00Z"),
        delivery(2, "edge/webhook", "2026-12-05T10:00:00Z"),
        delivery(2, "edge/slack", "2026-12-05T10:00:00Z"),
    ];
    store.hand_out(0, 2, deliveries).await.unwrap();
    for (seq, destination) in [(2, "edge/webhook"), (1, "edge/webhook")] {
        let error = Attempt::DeadLettered { error: "the receiver answered 500: down".into() };
        store.record_attempt(&delivery_key(seq, destination), 1, error).await.unwrap();
    }
    let trail = ProductId::parse("notifications.edge").unwrap();
    let audit = || meshport_api::audit::entry("dev:alice", &trail, AuditAction::Updated, "redelivery", None, None);

    let dead = store.dead_letters(10).await.unwrap();
    store.redeliver(&delivery_key(1, "edge/webhook"), at("2026-12-05T12:00:00Z"), audit()).await.unwrap();
    let twice = store.redeliver(&delivery_key(1, "edge/webhook"), at("2026-12-05T12:00:00Z"), audit()).await;
    let pending = store.redeliver(&delivery_key(2, "edge/slack"), at("2026-12-05T12:00:00Z"), audit()).await;

    let keys: Vec<(u64, DeliveryState, u32)> = dead.iter().map(|d| (d.key.seq, d.state, d.attempts)).collect();
    assert_eq!(keys, [(1, DeliveryState::DeadLettered, 1), (2, DeliveryState::DeadLettered, 1)]);
    assert_eq!(dead[0].last_error.as_deref(), Some("the receiver answered 500: down"));
    assert!(matches!(twice, Err(StoreError::Changed(_))), "{twice:?}");
    assert!(matches!(pending, Err(StoreError::Changed(_))), "{pending:?}");
    let left: Vec<u64> = store.dead_letters(10).await.unwrap().iter().map(|d| d.key.seq).collect();
    assert_eq!(left, [2]);
    let back = store.delivery(&delivery_key(1, "edge/webhook")).await.unwrap().unwrap();
    assert_eq!((back.state, back.attempts, back.next_at), (DeliveryState::Pending, 0, at("2026-12-05T12:00:00Z")));
    assert!(due(store, "2026-12-05T12:00:00Z").await.contains(&(1, "edge/webhook".to_owned())));
    assert_eq!(store.product_history(&trail, 10).await.unwrap().len(), 1, "one redelivery, one audit entry");
}

/// Writes an outbox that [`finds_the_outbox_written`] then reads from another process, or after a restart.
async fn write_an_outbox(store: &dyn CatalogStore) {
    let deliveries =
        vec![delivery(1, "edge/webhook", "2026-12-05T10:00:00Z"), delivery(2, "edge/webhook", "2026-12-05T10:00:00Z")];
    store.hand_out(0, 2, deliveries).await.unwrap();
    let dead = Attempt::DeadLettered { error: "down".into() };
    store.record_attempt(&delivery_key(2, "edge/webhook"), 1, dead).await.unwrap();
}

async fn finds_the_outbox_written(store: &dyn CatalogStore) {
    assert_eq!(store.notified().await.unwrap(), 2);
    assert_eq!(due(store, "2026-12-05T10:00:00Z").await, [(1, "edge/webhook".to_owned())]);
    assert_eq!(store.dead_letters(10).await.unwrap().len(), 1);
    store.record_attempt(&delivery_key(1, "edge/webhook"), 1, Attempt::Delivered).await.unwrap();
    let delivered = store.delivery(&delivery_key(1, "edge/webhook")).await.unwrap().unwrap();
    assert_eq!(delivered.state, DeliveryState::Delivered);
}

#[tokio::test]
async fn the_embedded_outbox_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::new(dir.path());
        write_an_outbox(&store).await;
    }

    let reopened = EmbeddedStore::new(dir.path());

    finds_the_outbox_written(&reopened).await;
}

#[tokio::test]
async fn the_dynamodb_outbox_is_seen_by_another_process() {
    let first = dynamo_store().await;
    write_an_outbox(&first).await;

    let second = DynamoStore::new(&dynamo_settings(&common::dynamodb_endpoint(), first.table().to_owned()));

    finds_the_outbox_written(&second).await;
}

fn topic(name: &str, partitions: i32) -> TopicFacts {
    TopicFacts {
        name: TopicName::parse(name).unwrap(),
        partitions,
        replication_factor: 1,
        configs: [("cleanup.policy".to_owned(), "compact".to_owned())].into(),
        config_sources: [("cleanup.policy".to_owned(), meshport_shared::ConfigSource::Topic)].into(),
        history: HistoryKind::Compacted,
        present: true,
        synced_at: "2026-11-22T00:00:00Z".into(),
        consumers: vec![],
    }
}

fn version(subject: &str, version: i32, id: i32) -> SchemaVersion {
    SchemaVersion {
        subject: subject.into(),
        version,
        id,
        format: SchemaFormat::Avro,
        schema: format!("\"string\" {id}"),
    }
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
    deleting_a_product_changed_meanwhile_keeps_it,
    a_large_product_round_trips_unchanged,
    every_change_is_in_the_products_history_newest_first,
    a_lost_race_records_no_audit_entry,
    the_generation_grows_with_product_changes_and_schema_versions_only,
    deleting_a_product_keeps_its_history,
    mirrored_topics_are_replaced_and_listed_by_name,
    many_topics_are_mirrored_in_batches,
    schema_versions_are_kept_per_subject_in_version_order,
    a_topic_or_subject_another_product_holds_cannot_be_stored,
    claims_follow_the_product_and_are_released_when_it_is_deleted,
    the_claims_backfill_runs_once_and_is_harmless_on_claimed_products,
    access_requests_are_found_by_product_owners_team_and_state,
    a_principal_belongs_to_one_team_and_moves_only_at_its_revision,
    deleting_an_account_frees_its_principal_only_at_its_revision,
    every_change_that_tells_someone_is_an_event_numbered_in_commit_order,
    a_change_whose_transaction_failed_leaves_no_event_and_no_gap,
    a_teams_channels_are_replaced_whole_and_the_notifiers_mark_moves_only_from_where_it_was,
    handing_out_stores_the_deliveries_with_the_mark_or_neither,
    more_deliveries_than_one_transaction_holds_are_handed_out_once,
    pending_deliveries_come_earliest_due_first_and_only_once_due,
    an_attempt_is_counted_once_and_moves_the_delivery_along,
    dead_letters_are_listed_oldest_first_and_redelivered_once_with_an_audit_entry,
    an_api_token_is_read_by_id_listed_by_team_revoked_at_its_revision_and_touched_only_at_it,
    a_change_proposal_is_stored_at_its_revision_found_by_product_and_while_it_waits,
    a_product_has_one_proposal_that_is_not_final_at_a_time_whoever_writes_it,
    a_teams_token_in_force_holds_its_name_until_revoked_or_expired_whoever_writes,
);

/// Many writers at once: every committed change has its event, numbered 1, 2, 3... in the order the changes
/// committed (each product's own changes in order), with no number missing or taken twice. Only against the embedded
/// store, for the reason below.
#[tokio::test]
async fn events_of_concurrent_writers_in_the_embedded_catalog_are_numbered_in_commit_order_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(EmbeddedStore::new(dir.path()));
    let writers = (0..8).map(|writer| {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move {
            let mut stored = put(&*store, product(&format!("p{writer}"), "membership"), None).await.unwrap();
            for _ in 0..5 {
                let revision = stored.revision;
                stored = put(&*store, stored, Some(revision)).await.unwrap();
            }
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }

    let all = store.events_after(0, 1000).await.unwrap();

    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=48).collect::<Vec<u64>>());
    for writer in 0..8 {
        let times: Vec<&str> =
            all.iter().filter(|e| e.subject == format!("p{writer}")).map(|e| e.time.as_str()).collect();
        assert_eq!(times.len(), 6, "p{writer}");
        assert!(times.is_sorted(), "a product's changes in the order they committed: {times:?}");
    }
}

/// Only against the embedded store: moto runs each DynamoDB transaction without isolation from the others in flight
/// (a cancelled one restores the table as it was when it started, undoing what a concurrent one wrote meanwhile), so
/// a race there tests moto, not us. DynamoDB's conditional transactions are what the store relies on, and the
/// sequential case (`a_topic_or_subject_another_product_holds_cannot_be_stored`) runs against both.
#[tokio::test]
async fn two_products_claiming_one_topic_at_once_in_the_embedded_catalog_leave_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    two_products_claiming_one_topic_at_once_leave_exactly_one(&EmbeddedStore::new(dir.path())).await;
}

#[tokio::test]
async fn an_embedded_catalog_from_before_claims_is_backfilled() {
    let dir = tempfile::tempdir().unwrap();
    {
        // What the previous release wrote: products (and their audit), no claims table.
        let db = redb::Database::create(dir.path().join("catalog.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut table = tx.open_table(redb::TableDefinition::<&str, &[u8]>::new("products")).unwrap();
            for p in legacy_products() {
                table.insert(p.id.as_str(), serde_json::to_vec(&p).unwrap().as_slice()).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    a_catalog_from_before_claims_is_backfilled(&EmbeddedStore::new(dir.path())).await;
}

#[tokio::test]
async fn a_dynamodb_catalog_from_before_claims_is_backfilled() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = dynamo_store().await;
    let client = dynamo_client();
    let s = |v: &str| AttributeValue::S(v.to_owned());
    for p in legacy_products() {
        // The item layout of the previous release: the product alone, no claim items.
        let id = p.id.as_str();
        client
            .put_item()
            .table_name(store.table())
            .item("PK", s(&format!("PRODUCT#{id}")))
            .item("SK", s("PRODUCT"))
            .item("GSI2PK", s("PRODUCT"))
            .item("GSI2SK", s(id))
            .item("GSI1PK", s(&format!("DOMAIN#{}", p.domain)))
            .item("GSI1SK", s(id))
            .item("revision", AttributeValue::N("1".into()))
            .item("doc", s(&serde_json::to_string(&p).unwrap()))
            .send()
            .await
            .unwrap();
    }

    a_catalog_from_before_claims_is_backfilled(&store).await;
}

/// A change whose answer was lost (a 5xx after DynamoDB committed it) and that is sent again, same audit entry and
/// all, is done: moto keeps no request tokens, so the second attempt meets the first one's product; the store finds
/// its own audit entry and answers as the first attempt would have. A different change meeting it still conflicts.
#[tokio::test]
async fn a_dynamodb_change_sent_again_after_its_answer_was_lost_is_done_once() {
    let store = dynamo_store().await;
    let first = product("users", "membership");
    let audit = common::audit(&first);
    let stored = store.put_product(first.clone(), None, audit.clone()).await.unwrap();

    let again = store.put_product(first.clone(), None, audit).await.expect("the same change is done, not a conflict");

    assert_eq!(again.revision, stored.revision);
    assert_eq!(store.product_history(&stored.id, 10).await.unwrap().len(), 1, "one change, one entry");
    let other = store.put_product(first.clone(), None, common::audit(&first)).await.unwrap_err();
    assert!(matches!(other, StoreError::Conflict { actual: Some(1), .. }), "{other:?}");
}

/// A principal an access request claimed before service accounts, as the team's name alone: read as the team's
/// consumer account at revision 0, which the next change replaces.
async fn a_principal_claimed_before_service_accounts_is_a_consumer_account(store: &dyn CatalogStore) {
    let principal = Principal::parse("User:svc-old").unwrap();

    let legacy = store.get_account(&principal).await.unwrap().unwrap();
    let taken = put_account(store, account("User:svc-old", "edge", &[AccountRole::Consumer]), None).await.unwrap_err();
    let mut producer = legacy.clone();
    producer.roles = vec![AccountRole::Producer];
    let stored = put_account(store, producer, Some(0)).await.unwrap();

    assert_eq!(
        (legacy.team.as_str(), legacy.roles.as_slice(), legacy.revision),
        ("fraud", &[AccountRole::Consumer][..], 0)
    );
    assert!(matches!(taken, StoreError::AccountConflict { actual: Some(0), .. }), "{taken:?}");
    assert_eq!(stored.revision, 1);
    assert_eq!(store.team_accounts(&legacy.team).await.unwrap(), [stored]);
}

#[tokio::test]
async fn an_embedded_principal_claimed_before_service_accounts_is_read() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = redb::Database::create(dir.path().join("catalog.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(redb::TableDefinition::<&str, &str>::new("principals"))
            .unwrap()
            .insert("User:svc-old", "fraud")
            .unwrap();
        tx.commit().unwrap();
    }

    a_principal_claimed_before_service_accounts_is_a_consumer_account(&EmbeddedStore::new(dir.path())).await;
}

#[tokio::test]
async fn a_dynamodb_principal_claimed_before_service_accounts_is_read() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = dynamo_store().await;
    let s = |v: &str| AttributeValue::S(v.to_owned());
    // The previous release's item: the holding team alone.
    dynamo_client()
        .put_item()
        .table_name(store.table())
        .item("PK", s("PRINCIPAL#User:svc-old"))
        .item("SK", s("PRINCIPAL"))
        .item("holder", s("fraud"))
        .send()
        .await
        .unwrap();

    a_principal_claimed_before_service_accounts_is_a_consumer_account(&store).await;
}

/// A raw client of moto's, to write what an earlier release wrote.
fn dynamo_client() -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(common::dynamodb_endpoint())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

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
    put(&store, product("users", "membership"), None).await.unwrap();
}

#[tokio::test]
async fn the_embedded_catalog_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::new(dir.path());
        put(&store, product("users", "membership"), None).await.unwrap();
    }

    let reopened = EmbeddedStore::new(dir.path());

    assert_eq!(reopened.get_product(&ProductId::parse("users").unwrap()).await.unwrap().unwrap().revision, 1);
}

fn api_token(team: &str, name: &str) -> meshport_api::catalog::StoredToken {
    let minted = meshport_api::auth::tokens::mint();
    let token = meshport_shared::tokens::ApiToken {
        id: minted.id,
        team: TeamName::parse(team).unwrap(),
        name: meshport_shared::tokens::TokenName::parse(name).unwrap(),
        scope: meshport_shared::tokens::Scope::Read,
        created_by: "dev:carol".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        expires_at: "2026-04-01T00:00:00Z".into(),
        last_used_at: None,
        revoked_at: None,
        revoked_by: None,
    };
    meshport_api::catalog::StoredToken { token, hash: minted.hash, revision: 0 }
}

fn token_entry(team: &str) -> meshport_shared::AuditEntry {
    let trail = ProductId::parse(format!("api-tokens.{team}")).unwrap();
    meshport_api::audit::entry("dev:carol", &trail, AuditAction::Access, "a token change", None, None)
}

async fn an_api_token_is_read_by_id_listed_by_team_revoked_at_its_revision_and_touched_only_at_it(
    store: &dyn CatalogStore,
) {
    let trading = TeamName::parse("trading").unwrap();
    assert_eq!(store.get_token("0123456789abcdef").await.unwrap(), None);
    assert!(store.team_tokens(&trading).await.unwrap().is_empty());
    let ci = store.put_token(api_token("trading", "ci"), None, token_entry("trading")).await.unwrap();
    store.put_token(api_token("edge", "ci"), None, token_entry("edge")).await.unwrap();
    assert_eq!(ci.revision, 1);
    let again = store.put_token(ci.clone(), None, token_entry("trading")).await.unwrap_err();
    assert!(matches!(again, StoreError::Changed(_)), "{again:?}");

    let mut used = ci.clone();
    used.token.last_used_at = Some("2026-01-02T00:00:00Z".into());
    assert!(store.touch_token(&used).await.unwrap());
    let mut revoked = used.clone();
    revoked.token.revoked_at = Some("2026-01-03T00:00:00Z".into());
    let revoked = store.put_token(revoked, Some(1), token_entry("trading")).await.unwrap();
    let mut late_use = ci.clone();
    late_use.token.last_used_at = Some("2026-01-04T00:00:00Z".into());

    assert!(!store.touch_token(&late_use).await.unwrap(), "a use recorded late does not undo the revocation");
    assert_eq!(revoked.revision, 2);
    assert_eq!(store.get_token(&ci.token.id).await.unwrap(), Some(revoked.clone()));
    let stale = store.put_token(ci.clone(), Some(1), token_entry("trading")).await.unwrap_err();
    assert!(matches!(stale, StoreError::Changed(_)), "{stale:?}");
    // The team's list comes from an index that may lag behind writes (DynamoDB's).
    let mut listed = store.team_tokens(&trading).await.unwrap();
    for _ in 0..20 {
        if listed == [revoked.clone()] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        listed = store.team_tokens(&trading).await.unwrap();
    }
    assert_eq!(listed, [revoked]);
    let trail = store.product_history(&ProductId::parse("api-tokens.trading").unwrap(), 10).await.unwrap();
    assert_eq!(trail.len(), 2, "creation and revocation are audited; a use is not");
}

fn change_proposal(product: &DataProduct, id: &str) -> meshport_shared::proposals::ChangeProposal {
    meshport_shared::proposals::ChangeProposal {
        id: id.into(),
        product: product.id.clone(),
        owner_team: product.owner.team.clone(),
        schema: "\"string\"".into(),
        breaking: vec!["schema: the type changed".into()],
        proposed_by: "dev:carol".into(),
        created_at: "2026-12-05T10:00:00Z".into(),
        subscribers: vec![TeamName::parse("edge").unwrap()],
        votes: Vec::new(),
        state: meshport_shared::proposals::ProposalState::Open,
        grace_until: None,
        new_product: None,
        outcome: None,
        revision: 0,
    }
}

/// Reads `read` until it answers `expected`: lists come from indexes that may lag behind writes (DynamoDB's).
async fn eventually<T: PartialEq + std::fmt::Debug, F: Future<Output = T>>(read: impl Fn() -> F, expected: T) {
    let mut listed = read().await;
    for _ in 0..20 {
        if listed == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        listed = read().await;
    }
    assert_eq!(listed, expected);
}

async fn a_change_proposal_is_stored_at_its_revision_found_by_product_and_while_it_waits(store: &dyn CatalogStore) {
    use meshport_shared::proposals::ProposalState;
    let orders = put(store, product("orders", "execution"), None).await.unwrap();
    let after = store.events_after(0, 1000).await.unwrap().last().map_or(0, |e| e.seq);
    let entry = || entry(&orders, AuditAction::SignOff);
    let open = store.put_proposal(change_proposal(&orders, "p1"), None, entry()).await.unwrap();
    let again = store.put_proposal(open.clone(), None, entry()).await.unwrap_err();
    let mut withdrawn = open.clone();
    withdrawn.state = ProposalState::Withdrawn;
    let withdrawn = store.put_proposal(withdrawn, Some(1), entry()).await.unwrap();
    let stale = store.put_proposal(open.clone(), Some(1), entry()).await.unwrap_err();
    let waiting = store.put_proposal(change_proposal(&orders, "p2"), None, entry()).await.unwrap();

    assert_eq!((open.revision, withdrawn.revision), (1, 2));
    assert!(matches!(again, StoreError::Changed(_)), "{again:?}");
    assert!(matches!(stale, StoreError::Changed(_)), "{stale:?}");
    assert_eq!(store.get_proposal("p1").await.unwrap(), Some(withdrawn.clone()));
    assert_eq!(store.get_proposal("p3").await.unwrap(), None);
    eventually(|| async { store.product_proposals(&orders.id).await.unwrap() }, vec![withdrawn, waiting.clone()]).await;
    eventually(|| async { store.waiting_proposals().await.unwrap() }, vec![waiting]).await;
    let told: Vec<EventKind> = events(store, after).await.into_iter().map(|(_, kind)| kind).collect();
    assert_eq!(told, [EventKind::ChangeProposed, EventKind::ChangeWithdrawn, EventKind::ChangeProposed]);
    let trail = store.product_history(&orders.id, 10).await.unwrap();
    assert_eq!(trail.iter().filter(|e| e.action == AuditAction::SignOff).count(), 3, "each step audited");
}

async fn a_product_has_one_proposal_that_is_not_final_at_a_time_whoever_writes_it(store: &dyn CatalogStore) {
    use meshport_shared::proposals::ProposalState;
    let orders = put(store, product("orders", "execution"), None).await.unwrap();
    let users = put(store, product("users", "membership"), None).await.unwrap();
    let entry = || entry(&orders, AuditAction::SignOff);
    // The store is asked directly, as by two owners who both read the product's proposals before either wrote.
    let first = store.put_proposal(change_proposal(&orders, "p1"), None, entry()).await.unwrap();
    let second = store.put_proposal(change_proposal(&orders, "p2"), None, entry()).await.unwrap_err();
    let elsewhere = store.put_proposal(change_proposal(&users, "p3"), None, entry()).await;
    let mut objected = first.clone();
    objected.state = ProposalState::Objected;
    let objected = store.put_proposal(objected, Some(1), entry()).await.unwrap();
    let while_objected = store.put_proposal(change_proposal(&orders, "p4"), None, entry()).await.unwrap_err();
    let mut withdrawn = objected.clone();
    withdrawn.state = ProposalState::Withdrawn;
    store.put_proposal(withdrawn, Some(2), entry()).await.unwrap();
    let after_it = store.put_proposal(change_proposal(&orders, "p5"), None, entry()).await;

    for refused in [&second, &while_objected] {
        assert!(matches!(refused, StoreError::Changed(m) if m.contains("`orders`")), "{refused:?}");
    }
    assert!(elsewhere.is_ok(), "another product's proposal is its own: {elsewhere:?}");
    assert!(after_it.is_ok(), "once the first is final, a new one may be made: {after_it:?}");
    assert_eq!(store.get_proposal("p2").await.unwrap(), None, "nothing of the refused one is stored");
}

async fn a_teams_token_in_force_holds_its_name_until_revoked_or_expired_whoever_writes(store: &dyn CatalogStore) {
    // The store is asked directly, as by two members who both read the team's tokens before either wrote.
    let entry = || token_entry("trading");
    let first = store.put_token(api_token("trading", "ci"), None, entry()).await.unwrap();
    let same_name = store.put_token(api_token("trading", "ci"), None, entry()).await.unwrap_err();
    let other_team = store.put_token(api_token("edge", "ci"), None, entry()).await;
    let mut revoked = first.clone();
    revoked.token.revoked_at = Some("2026-01-02T00:00:00Z".into());
    store.put_token(revoked, Some(1), entry()).await.unwrap();
    let after_revocation = store.put_token(api_token("trading", "ci"), None, entry()).await.unwrap();
    // Made after the one holding the name expired (api_token's expire on 2026-04-01).
    let mut later = api_token("trading", "ci");
    later.token.created_at = "2026-05-01T00:00:00Z".into();
    later.token.expires_at = "2026-08-01T00:00:00Z".into();
    let after_expiry = store.put_token(later, None, entry()).await;
    // The expired token's revocation leaves the name with the token holding it now.
    let mut expired = after_revocation.clone();
    expired.token.revoked_at = Some("2026-05-02T00:00:00Z".into());
    store.put_token(expired, Some(1), entry()).await.unwrap();
    let mut meanwhile = api_token("trading", "ci");
    meanwhile.token.created_at = "2026-05-03T00:00:00Z".into();
    let still_held = store.put_token(meanwhile, None, entry()).await.unwrap_err();

    for refused in [&same_name, &still_held] {
        assert!(
            matches!(refused, StoreError::Changed(m) if m.contains("`trading`") && m.contains("`ci`")),
            "{refused:?}"
        );
    }
    assert!(other_team.is_ok(), "another team's name is its own: {other_team:?}");
    assert!(after_expiry.is_ok(), "an expired token's name is free: {after_expiry:?}");
}
