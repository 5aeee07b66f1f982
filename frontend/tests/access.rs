//! Access: the product page's way to it, the request form and the Access page's lists, rendered into a real headless
//! Chromium by wasm-bindgen-test, against the shared fake API.
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p meshport-frontend --target wasm32-unknown-unknown --test access
//! ```

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos_router::components::Router;
use meshport_frontend::routes::access::Access;
use meshport_frontend::routes::access::accounts::ServiceAccounts;
use meshport_frontend::routes::access::channels::NotificationChannels;
use meshport_frontend::routes::access::request::AccessPanel;
use meshport_frontend::routes::access::tokens::ApiTokens;
use meshport_frontend::routes::product::sample::SamplePanel;
use meshport_frontend::routes::product::{PageDetail, ProductView};
use meshport_shared::api::ProductDetail;
use meshport_shared::{ProductId, ProductStatus, TeamName};
use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::{
    FakeApi, all, click, container, eventually, find, member_of, proposal, read_as, sleep, text_of, type_into,
};

wasm_bindgen_test_configure!(run_in_browser);

/// A request of team `edge` for `users` (owned by `accounts`), in `state`.
fn request(id: &str, state: &str) -> Value {
    json!({
        "id": id, "product": "users", "owner_team": "accounts", "team": "edge",
        "purpose": "Audience analysis", "principals": ["User:svc-fraud"], "group": "edge.users",
        "group_pattern": "literal", "until": "2027-03-01", "state": state,
        "requested_by": "bob", "requested_at": "2026-12-05T09:00:00Z", "revision": 3
    })
}

/// The API's detail of `users`, owned by `accounts`, without personal fields, on a secured cluster.
fn users_detail() -> Value {
    json!({
        "product": {
            "id": "users", "name": "Users", "version": "1.0.0", "domain": "membership",
            "owner": { "team": "accounts", "contact": "accounts@acme.example" }, "status": "active",
            "description": { "purpose": "Every registered member" },
            "output_port": { "topic": "users", "value_subject": "users-value", "schema_format": "avro" },
            "quality": "authoritative", "sla": "tier-1", "revision": 4
        },
        "topic": null, "schema": null, "versions": [], "consumers": [],
        "links": { "portal": "/products/users", "embed": "/embed/products/users",
                   "badge": "/badge/products/users/status.svg", "card_width": 480, "card_height": 208 },
        "history": [], "warnings": [],
        "consume": {
            "bootstrap_servers": "127.0.0.1:9092", "registry_url": "http://127.0.0.1:8081",
            "topic": "users", "value_subject": "users-value", "format": "avro",
            "security": { "protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512" }
        },
        "lineage": { "inputs": [], "downstream": [] }
    })
}

/// The `users` panel of the Access page, owned by `accounts`, with personal fields.
fn users_panel() -> impl IntoView {
    view! {
        <AccessPanel
            product=ProductId::parse("users").unwrap()
            owner=TeamName::parse("accounts").unwrap()
            status=ProductStatus::Active
            personal=true
        />
    }
}

#[wasm_bindgen_test]
async fn the_request_form_states_the_limits_and_shows_the_apis_violations_next_to_their_fields() {
    // Arrange
    member_of("edge");
    let api = FakeApi::answering(json!({
        "GET /api/v1/products/users/access": { "status": 200, "body": [] },
        "POST /api/v1/products/users/access": { "status": 422, "body": {
            "code": "validation_failed", "message": "the request breaks the access policy",
            "details": [
                { "code": "required_field_missing", "field": "purpose", "message": "say what your team will use the data for" },
                { "code": "access_not_allowed", "field": "principals[0]", "message": "`User:svc-fraud` belongs to team `trading`: name one of your team's own principals" },
                { "code": "access_not_allowed", "field": "until", "message": "access lasts at most 90 days (personal data): until 2027-03-05 at the latest" }
            ]
        } }
    }));
    let root = container();
    let _view = mount_to(root.clone(), users_panel);
    let form = eventually(&root, "access-form").await;
    assert!(text_of(&form, "access-limits").contains("at most 90 days"), "the limit is stated before sending");

    // Act
    type_into(&root, "access-principals", "User:svc-fraud");
    type_into(&root, "access-until", "2027-12-31");
    click(&root, "access-submit");
    eventually(&root, "access-until-error").await;

    // Assert
    assert_eq!(text_of(&root, "access-purpose-error"), "say what your team will use the data for");
    assert!(text_of(&root, "access-principals-error").contains("belongs to team `trading`"));
    assert!(text_of(&root, "access-until-error").contains("until 2027-03-05 at the latest"));
    assert!(find(&root, "access-group-error").is_none(), "the group had no problem");
    let sent = api.sent("POST /api/v1/products/users/access");
    assert_eq!(
        sent,
        vec![json!({
            "team": "edge", "purpose": "", "principals": ["User:svc-fraud"], "group": "edge.users",
            "group_pattern": "literal", "until": "2027-12-31"
        })]
    );
}

#[wasm_bindgen_test]
async fn a_principal_that_is_not_a_kafka_user_is_refused_before_anything_is_sent() {
    // Arrange
    member_of("edge");
    let api = FakeApi::answering(json!({
        "GET /api/v1/products/users/access": { "status": 200, "body": [] },
        "POST /api/v1/products/users/access": { "status": 201, "body": request("r1", "requested") }
    }));
    let root = container();
    let _view = mount_to(root.clone(), users_panel);
    eventually(&root, "access-form").await;

    // Act
    type_into(&root, "access-principals", "svc-fraud");
    click(&root, "access-submit");

    // Assert
    let error = eventually(&root, "access-principals-error").await;
    assert!(error.text_content().unwrap_or_default().contains("must be a Kafka user"));
    sleep(100).await;
    assert!(api.sent("POST /api/v1/products/users/access").is_empty());
}

#[wasm_bindgen_test]
async fn a_team_with_an_open_request_sees_where_it_stands_instead_of_the_form() {
    // Arrange
    member_of("edge");
    let _api = FakeApi::answering(json!({
        "GET /api/v1/products/users/access": { "status": 200, "body": [request("r0", "denied"), request("r1", "requested")] }
    }));
    let root = container();

    // Act
    let _view = mount_to(root.clone(), users_panel);
    let open = eventually(&root, "access-request").await;

    // Assert
    assert_eq!(all(&root, "access-request").len(), 1, "a denied request is over");
    assert_eq!(text_of(&open, "access-state"), "requested");
    assert!(find(&open, "access-cancel").is_some(), "the team may withdraw it here");
    assert!(find(&root, "access-form").is_none());
}

#[wasm_bindgen_test]
async fn the_owning_team_is_not_offered_the_form() {
    // Arrange
    member_of("accounts");
    let _api = FakeApi::answering(json!({
        "GET /api/v1/products/users/access": { "status": 200, "body": [] },
        "GET /api/v1/products/users/access/unmanaged": { "status": 200, "body": [] }
    }));
    let root = container();

    // Act
    let _view = mount_to(root.clone(), users_panel);

    // Assert
    eventually(&root, "access-owned").await;
    assert!(find(&root, "access-form").is_none());
    eventually(&root, "unmanaged-none").await;
}

#[wasm_bindgen_test]
async fn the_owners_see_the_acls_on_their_topic_that_no_grant_explains_in_words() {
    // Arrange
    member_of("accounts");
    let binding = |principal: &str, operation: &str, pattern: &str, resource: &str, host: &str| {
        json!({ "principal": principal, "operation": operation, "permission": "allow", "pattern": pattern,
                "resource": resource, "host": host })
    };
    let _api = FakeApi::answering(json!({
        "GET /api/v1/products/users/access": { "status": 200, "body": [] },
        "GET /api/v1/products/users/access/unmanaged": { "status": 200, "body": [
            binding("User:svc-legacy", "read", "literal", "users", "*"),
            binding("User:svc-etl", "all", "prefixed", "us", "10.0.0.7"),
            binding("User:svc-ops", "describe", "literal", "*", "*")
        ] }
    }));
    let root = container();

    // Act
    let _view = mount_to(root.clone(), users_panel);

    // Assert
    let list = eventually(&root, "unmanaged-list").await;
    let rows: Vec<String> = (0..list.children().length())
        .map(|i| list.children().item(i).unwrap().text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        rows,
        [
            "allow read to User:svc-legacy on the topic users, from any host",
            "allow all to User:svc-etl on the topics starting with us, from 10.0.0.7",
            "allow describe to User:svc-ops on every topic, from any host",
        ]
    );
    assert!(text_of(&root, "access-unmanaged").contains("Meshport does not manage them"));
}

#[wasm_bindgen_test]
async fn the_owners_see_what_retiring_would_end_before_they_retire() {
    // Arrange
    member_of("accounts");
    let _api = FakeApi::answering(json!({
        "GET /api/v1/products/users/access": { "status": 200, "body": [] },
        "GET /api/v1/products/users/access/unmanaged": { "status": 200, "body": [] },
        "GET /api/v1/products/users/retire": { "status": 200, "body": {
            "revoked": [request("r1", "active")], "denied": [request("r2", "requested")]
        } }
    }));
    let root = container();

    // Act
    let _view = mount_to(root.clone(), users_panel);

    // Assert
    let list = eventually(&root, "retirement-list").await;
    let rows: Vec<String> = (0..list.children().length())
        .map(|i| list.children().item(i).unwrap().text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        rows,
        ["edge (User:svc-fraud): grant revoked, its ACLs deleted", "edge (User:svc-fraud): request denied"]
    );
}

#[wasm_bindgen_test]
async fn a_sample_refused_for_want_of_access_says_to_ask_for_it() {
    // Arrange
    member_of("edge");
    let _api = FakeApi::answering(json!({
        "GET /api/v1/products/users/sample": { "status": 403, "body": {
            "code": "forbidden", "message": "only the owning team and teams granted access read `users`'s events"
        } }
    }));
    let root = container();
    let _view = mount_to(root.clone(), || view! { <SamplePanel product_id="users".to_owned()/> });

    // Act
    click(&root, "sample-load");

    // Assert
    let note = eventually(&root, "sample-needs-access").await;
    assert!(note.text_content().unwrap_or_default().contains("ask for access to see events"));
    assert!(find(&root, "sample-error").is_none());
}

#[wasm_bindgen_test]
async fn the_product_page_leads_to_the_access_pages_form_for_the_product() {
    // Arrange
    member_of("edge");
    let detail: PageDetail = read_as(serde_json::from_value::<ProductDetail>(users_detail()).unwrap());
    let root = container();

    // Act
    let _view = mount_to(root.clone(), move || view! { <ProductView detail/> });

    // Assert
    let link = find(&root, "access-link").unwrap();
    assert_eq!(link.get_attribute("href").as_deref(), Some("/access?product=users"));
    assert!(find(&root, "access-form").is_none(), "the form is the Access bundle's");
}

/// The Access page at `/access{search}` with `mine` and `inbox` as the API's lists, and `more` answers.
fn mount_access_page(
    search: &str,
    mine: Value,
    inbox: Value,
    more: Value,
) -> (FakeApi, web_sys::HtmlElement, impl Sized) {
    let mut answers = json!({
        "GET /api/v1/access/mine": { "status": 200, "body": mine },
        "GET /api/v1/access/inbox": { "status": 200, "body": inbox }
    });
    answers.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
    let api = FakeApi::answering(answers);
    // The router reads the query from the test page's own address.
    js_sys::eval(&format!("history.replaceState(null, '', location.pathname + '{search}')")).unwrap();
    let root = container();
    let view = mount_to(root.clone(), || view! { <Router><Access/></Router> });
    (api, root, view)
}

/// The Access page at `/access?product=users`, with no requests in its lists, `users` and no request for it as the
/// API's answers, and `more` answers.
fn access_page_for_users(more: Value) -> (FakeApi, web_sys::HtmlElement, impl Sized) {
    let mut answers = json!({
        "GET /api/v1/products/users": { "status": 200, "body": users_detail() },
        "GET /api/v1/products/users/access": { "status": 200, "body": [] }
    });
    answers.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
    mount_access_page("?product=users", json!([]), json!([]), answers)
}

#[wasm_bindgen_test]
async fn a_request_sent_from_the_access_page_is_read_again_into_my_teams_access() {
    // Arrange
    member_of("edge");
    let (api, root, _view) = access_page_for_users(json!({
        "POST /api/v1/products/users/access": { "status": 201, "body": request("r1", "requested") }
    }));
    eventually(&root, "access-form").await;
    type_into(&root, "access-purpose", "Audience analysis");
    type_into(&root, "access-principals", "User:svc-fraud");
    let read_before = api.sent("GET /api/v1/access/mine").len();

    // Act
    click(&root, "access-submit");
    sleep(300).await;

    // Assert
    assert_eq!(api.sent("POST /api/v1/products/users/access").len(), 1);
    assert_eq!(api.sent("GET /api/v1/access/mine").len(), read_before + 1, "my team's access is read again");
    assert_eq!(api.sent("GET /api/v1/products/users/access").len(), 2, "and the product's requests");
}

/// The Access page with `mine` and `inbox` as the API's lists, and `more` answers, once a request shows.
async fn access_page(mine: Value, inbox: Value, more: Value) -> (FakeApi, web_sys::HtmlElement, impl Sized) {
    let (api, root, view) = mount_access_page("", mine, inbox, more);
    eventually(&root, "access-request").await;
    (api, root, view)
}

#[wasm_bindgen_test]
async fn asked_about_a_product_the_access_page_shows_its_form_above_the_lists() {
    // Arrange
    member_of("edge");

    // Act
    let (_api, root, _view) = access_page_for_users(json!({}));
    let ask = eventually(&root, "access-ask").await;
    let form = eventually(&ask, "access-form").await;

    // Assert
    assert!(ask.text_content().unwrap_or_default().starts_with("Access to users"));
    assert!(text_of(&form, "access-limits").contains("at most 365 days"), "users has no personal fields");
    assert!(find(&root, "my-access").is_some() && find(&root, "access-inbox").is_some());
}

#[wasm_bindgen_test]
async fn owners_approve_a_request_in_the_inbox_on_the_revision_they_saw() {
    // Arrange
    member_of("accounts");
    let (api, root, _view) = access_page(
        json!([]),
        json!([request("r1", "requested")]),
        json!({ "POST /api/v1/access/r1/approve": { "status": 200, "body": request("r1", "active") } }),
    )
    .await;
    let inbox = find(&root, "access-inbox").unwrap();
    assert!(find(&inbox, "access-revoke").is_none(), "nothing granted yet to revoke");
    assert!(find(&inbox, "access-cancel").is_none(), "owners do not cancel");

    // Act
    click(&inbox, "access-approve");
    sleep(200).await;

    // Assert
    assert_eq!(api.sent("POST /api/v1/access/r1/approve"), vec![json!({ "revision": 3 })]);
}

#[wasm_bindgen_test]
async fn denying_asks_for_the_reason_and_sends_it() {
    // Arrange
    member_of("accounts");
    let (api, root, _view) = access_page(
        json!([]),
        json!([request("r1", "requested")]),
        json!({ "POST /api/v1/access/r1/deny": { "status": 200, "body": request("r1", "denied") } }),
    )
    .await;

    // Act
    click(&root, "access-deny");
    assert!(api.sent("POST /api/v1/access/r1/deny").is_empty(), "a denial waits for its reason");
    eventually(&root, "access-reason-form").await;
    type_into(&root, "access-reason", "Consent does not cover audience analysis");
    click(&root, "access-confirm");
    sleep(200).await;

    // Assert
    assert_eq!(
        api.sent("POST /api/v1/access/r1/deny"),
        vec![json!({ "revision": 3, "reason": "Consent does not cover audience analysis" })]
    );
}

#[wasm_bindgen_test]
async fn a_revocation_without_a_reason_shows_the_apis_answer_next_to_the_reason() {
    // Arrange
    member_of("accounts");
    let (_api, root, _view) = access_page(
        json!([]),
        json!([request("r1", "active")]),
        json!({ "POST /api/v1/access/r1/revoke": { "status": 422, "body": {
            "code": "validation_failed", "message": "a revocation needs a reason",
            "details": [{ "code": "required_field_missing", "field": "reason", "message": "say why you revoke the access" }]
        } } }),
    )
    .await;
    assert!(find(&root, "access-approve").is_none(), "an active grant is not approved again");

    // Act
    click(&root, "access-revoke");
    eventually(&root, "access-reason-form").await;
    click(&root, "access-confirm");

    // Assert
    let error = eventually(&root, "access-reason-error").await;
    assert_eq!(error.text_content().unwrap_or_default(), "say why you revoke the access");
}

#[wasm_bindgen_test]
async fn my_active_grant_shows_its_consumer_code_with_the_granted_principal_and_group() {
    // Arrange
    member_of("edge");
    let (_api, root, _view) = access_page(
        json!([request("r1", "active")]),
        json!([]),
        json!({ "GET /api/v1/products/users": { "status": 200, "body": users_detail() } }),
    )
    .await;
    let mine = find(&root, "my-access").unwrap();
    assert!(find(&mine, "access-cancel").is_none(), "an active grant is revoked by the owners, not cancelled");

    // Act
    click(&mine, "access-show-consume");
    let snippet = eventually(&mine, "consume-snippet").await;

    // Assert
    let code = snippet.text_content().unwrap_or_default();
    assert!(code.contains("\"sasl.username\", \"svc-fraud\""), "{code}");
    assert!(code.contains("\"group.id\", \"edge.users\""), "{code}");
    assert!(!code.contains("<your-principal>"), "{code}");
}

#[wasm_bindgen_test]
async fn a_team_cancels_its_request_while_it_waits() {
    // Arrange
    member_of("edge");
    let (api, root, _view) = access_page(
        json!([request("r1", "requested")]),
        json!([]),
        json!({ "POST /api/v1/access/r1/cancel": { "status": 200, "body": request("r1", "cancelled") } }),
    )
    .await;

    // Act
    click(&root, "access-cancel");
    sleep(200).await;

    // Assert
    assert_eq!(api.sent("POST /api/v1/access/r1/cancel"), vec![json!({ "revision": 3 })]);
}

/// The API's detail of `users`, deprecated in favour of `users.v2`.
fn users_replaced() -> Value {
    let mut detail = users_detail();
    detail["product"]["status"] = json!("deprecated");
    detail["product"]["deprecation"] = json!({ "sunset": "2027-06-30", "replacement": "users.v2", "message": "" });
    detail
}

#[wasm_bindgen_test]
async fn an_active_grant_on_a_replaced_product_asks_for_its_successor_in_one_click() {
    // Arrange
    member_of("edge");
    let mut successor = request("r2", "requested");
    successor["product"] = json!("users.v2");
    let (api, root, _view) = access_page(
        json!([request("r1", "active")]),
        json!([]),
        json!({
            "GET /api/v1/products/users": { "status": 200, "body": users_replaced() },
            "POST /api/v1/access/r1/successor": { "status": 201, "body": successor }
        }),
    )
    .await;
    let offer = eventually(&root, "access-successor").await;
    assert!(offer.text_content().unwrap_or_default().contains("users is deprecated in favour of users.v2"));
    let reads = api.sent("GET /api/v1/access/mine").len();

    // Act
    click(&offer, "access-request-successor");
    sleep(300).await;

    // Assert
    assert_eq!(api.sent("POST /api/v1/access/r1/successor").len(), 1);
    assert_eq!(api.sent("GET /api/v1/access/mine").len(), reads + 1, "my team's access is read again");
}

#[wasm_bindgen_test]
async fn a_grant_whose_team_asked_for_the_successor_offers_it_no_more_and_others_offer_nothing() {
    // Arrange
    member_of("edge");
    let mut asked = request("r2", "requested");
    asked["product"] = json!("users.v2");
    let mut other = request("r3", "active");
    other["product"] = json!("orders");
    let mut orders = users_detail();
    orders["product"]["id"] = json!("orders");

    // Act
    let (_api, root, _view) = access_page(
        json!([request("r1", "active"), asked, other]),
        json!([]),
        json!({
            "GET /api/v1/products/users": { "status": 200, "body": users_replaced() },
            "GET /api/v1/products/orders": { "status": 200, "body": orders }
        }),
    )
    .await;

    // Assert
    let said = eventually(&root, "access-successor-asked").await;
    assert!(said.text_content().unwrap_or_default().contains("Team edge has asked for users.v2"));
    sleep(200).await;
    assert_eq!(all(&root, "access-successor").len(), 1, "only the replaced product's grant mentions a successor");
    assert!(find(&root, "access-request-successor").is_none());
}

/// An account of team `edge`, as the API lists it.
fn account(principal: &str, roles: &[&str], managed: bool) -> Value {
    json!({
        "principal": principal, "team": "edge", "roles": roles, "managed": managed,
        "registered_by": "bob", "registered_at": "2026-12-01T09:00:00Z",
        "rotated_at": if managed { json!("2026-12-02T09:00:00Z") } else { Value::Null }, "revision": 1
    })
}

/// The service accounts page of a member of `edge`, with the API answering `answers` and listing `accounts`.
async fn accounts_page(accounts: Value, mut answers: Value) -> (FakeApi, web_sys::HtmlElement, impl Sized) {
    member_of("edge");
    answers["GET /api/v1/teams/edge/service-accounts"] = json!({ "status": 200, "body": accounts });
    let api = FakeApi::answering(answers);
    let root = container();
    let view = mount_to(root.clone(), ServiceAccounts);
    eventually(&root, "account-form").await;
    (api, root, view)
}

/// Whether the tab's `localStorage` or `sessionStorage` holds `text` anywhere.
fn stored_anywhere(text: &str) -> bool {
    let window = web_sys::window().unwrap();
    [window.local_storage().unwrap().unwrap(), window.session_storage().unwrap().unwrap()].iter().any(|storage| {
        (0..storage.length().unwrap()).any(|i| {
            let key = storage.key(i).unwrap().unwrap();
            storage.get_item(&key).unwrap().unwrap_or_default().contains(text)
        })
    })
}

#[wasm_bindgen_test]
async fn an_account_meshport_creates_shows_its_password_once_and_forgets_it_once_stored() {
    // Arrange
    let created = json!({
        "account": account("User:svc-new", &["consumer"], true),
        "credentials": { "username": "svc-new", "password": "s3cret-once", "mechanisms": ["SCRAM-SHA-256", "SCRAM-SHA-512"] }
    });
    let (api, root, _view) = accounts_page(
        json!([]),
        json!({ "POST /api/v1/teams/edge/service-accounts": { "status": 201, "body": created } }),
    )
    .await;

    // Act
    type_into(&root, "account-principal", "User:svc-new");
    click(&root, "account-submit");
    let secret = eventually(&root, "account-secret").await;

    // Assert
    assert_eq!(
        api.sent("POST /api/v1/teams/edge/service-accounts"),
        vec![
            json!({ "principal": "User:svc-new", "roles": ["consumer"], "create_credentials": true, "reassign": false })
        ]
    );
    assert_eq!(text_of(&secret, "account-secret-password"), "s3cret-once");
    assert!(text_of(&secret, "account-secret-warning").contains("it will not be shown again"));
    assert!(find(&secret, "copy-button").is_some(), "the password can be copied");
    assert!(!stored_anywhere("s3cret-once"), "the password is in no storage");
    click(&root, "account-secret-done");
    sleep(50).await;
    assert!(find(&root, "account-secret").is_none());
    assert!(!root.text_content().unwrap_or_default().contains("s3cret-once"), "the password is gone from the page");
}

#[wasm_bindgen_test]
async fn accounts_show_their_roles_and_credentials_and_only_meshports_can_be_rotated() {
    // Arrange
    let rotated = json!({
        "account": account("User:svc-edge", &["producer"], true),
        "credentials": { "username": "svc-edge", "password": "rotated-pw", "mechanisms": ["SCRAM-SHA-512"] }
    });
    let (api, root, _view) = accounts_page(
        json!([account("User:svc-edge", &["producer"], true), account("User:svc-legacy", &["consumer"], false)]),
        json!({ "POST /api/v1/teams/edge/service-accounts/User%3Asvc-edge/rotate": { "status": 200, "body": rotated } }),
    )
    .await;
    eventually(&root, "accounts-list").await;
    let rows = all(&root, "account");
    assert_eq!(rows.len(), 2);
    assert!(
        text_of(&rows[0], "account-facts")
            .contains("producer; Meshport manages its credentials; password set on 2026-12-02")
    );
    assert!(
        text_of(&rows[1], "account-facts").contains("consumer; registered: its credentials are kept outside Meshport")
    );
    assert!(find(&rows[1], "account-rotate").is_none(), "a registered account's password is not Meshport's");

    // Act
    click(&rows[0], "account-rotate");
    eventually(&rows[0], "account-confirm-yes").await;
    click(&rows[0], "account-confirm-yes");
    let secret = eventually(&root, "account-secret").await;

    // Assert
    assert_eq!(api.sent("POST /api/v1/teams/edge/service-accounts/User%3Asvc-edge/rotate").len(), 1);
    assert_eq!(text_of(&secret, "account-secret-password"), "rotated-pw");
    assert!(text_of(&secret, "account-secret-warning").contains("it will not be shown again"));
}

#[wasm_bindgen_test]
async fn a_deletion_the_api_refuses_says_why() {
    // Arrange
    let (api, root, _view) = accounts_page(
        json!([account("User:svc-fraud", &["consumer"], false)]),
        json!({ "DELETE /api/v1/teams/edge/service-accounts/User%3Asvc-fraud": { "status": 409, "body": {
            "code": "conflict", "message": "access request `r1` names `User:svc-fraud`: cancel it first", "details": []
        } } }),
    )
    .await;
    let row = eventually(&root, "account").await;

    // Act
    click(&row, "account-delete");
    eventually(&row, "account-confirm-yes").await;
    click(&row, "account-confirm-yes");
    sleep(100).await;

    // Assert
    assert_eq!(api.sent("DELETE /api/v1/teams/edge/service-accounts/User%3Asvc-fraud").len(), 1);
    assert!(text_of(&row, "access-refusal").contains("access request `r1` names `User:svc-fraud`: cancel it first"));
}

#[wasm_bindgen_test]
async fn an_account_without_a_role_or_with_a_malformed_principal_is_not_sent() {
    // Arrange
    let (api, root, _view) =
        accounts_page(json!([]), json!({ "POST /api/v1/teams/edge/service-accounts": { "status": 201, "body": {} } }))
            .await;

    // Act
    type_into(&root, "account-principal", "svc-new");
    click(&root, "account-consumer");
    click(&root, "account-submit");
    let principal_error = eventually(&root, "account-principal-error").await;
    type_into(&root, "account-principal", "User:svc-new");
    click(&root, "account-submit");
    let roles_error = eventually(&root, "account-roles-error").await;

    // Assert
    assert!(principal_error.text_content().unwrap_or_default().contains("User:svc-fraud"));
    assert!(roles_error.text_content().unwrap_or_default().contains("producer, a consumer, or both"));
    assert!(api.sent("POST /api/v1/teams/edge/service-accounts").is_empty());
}

/// The notification channels page of a member of `edge`, whose channels stand as `standing`, with the API answering
/// `answers` too.
async fn channels_page(standing: Value, mut answers: Value) -> (FakeApi, web_sys::HtmlElement, impl Sized) {
    member_of("edge");
    answers["GET /api/v1/teams/edge/channels"] = json!({ "status": 200, "body": standing });
    let api = FakeApi::answering(answers);
    let root = container();
    let view = mount_to(root.clone(), NotificationChannels);
    eventually(&root, "channels-form").await;
    (api, root, view)
}

fn value_of(root: &web_sys::Element, test_id: &str) -> String {
    use leptos::wasm_bindgen::JsCast;
    find(root, test_id).unwrap().unchecked_into::<web_sys::HtmlInputElement>().value()
}

#[wasm_bindgen_test]
async fn a_teams_channels_show_secrets_only_as_set_and_the_apis_refusals_next_to_their_fields() {
    // Arrange
    let standing = json!({ "webhook_url": "https://hooks.edge.example/in", "slack": true, "teams": false, "email": "edge@acme.example" });
    let refusal = json!({ "status": 422, "body": {
        "code": "validation_failed", "message": "the request breaks 2 rule(s): each is in `details`",
        "details": [
            { "code": "invalid_channel", "field": "webhook.url", "message": "webhook.url: names a loopback or private address, which this deployment does not send to" },
            { "code": "invalid_channel", "field": "slack_url", "message": "slack_url: must be an http or https URL" }
        ]
    } });
    let (api, root, _view) = channels_page(standing, json!({ "PUT /api/v1/teams/edge/channels": refusal })).await;

    // Act
    type_into(&root, "channels-webhook-url", "http://127.0.0.1:9000/in");
    type_into(&root, "channels-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    type_into(&root, "channels-slack", "ftp://hooks.slack.example/T/B/x");
    click(&root, "channels-submit");
    eventually(&root, "channels-slack-error").await;

    // Assert
    assert_eq!(text_of(&root, "channel-email"), "edge@acme.example");
    assert_eq!(text_of(&root, "channel-webhook"), "https://hooks.edge.example/in (secret set)");
    assert_eq!(text_of(&root, "channel-slack"), "set", "a chat URL is its credential: never shown");
    assert_eq!(text_of(&root, "channel-teams"), "not set");
    assert!(text_of(&root, "channels-kept").contains("a secret field left empty keeps the one set"));
    assert_eq!(value_of(&root, "channels-email"), "edge@acme.example", "what can be read back starts the form");
    assert!(text_of(&root, "channels-webhook-url-error").contains("names a loopback or private address"));
    assert!(text_of(&root, "channels-slack-error").contains("must be an http or https URL"));
    assert!(find(&root, "channels-email-error").is_none(), "the email had no problem");
    assert_eq!(
        api.sent("PUT /api/v1/teams/edge/channels"),
        vec![json!({
            "webhook": { "url": "http://127.0.0.1:9000/in", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
            "slack_url": "ftp://hooks.slack.example/T/B/x",
            "email": "edge@acme.example"
        })]
    );
}

#[wasm_bindgen_test]
async fn secrets_left_empty_are_kept_and_a_ticked_chat_channel_is_removed() {
    // Arrange
    let standing = json!({ "webhook_url": "https://hooks.edge.example/in", "slack": true, "teams": true });
    let answer = json!({ "webhook_url": "https://hooks.edge.example/in", "slack": true, "teams": true, "email": "edge@acme.example" });
    let (api, root, _view) =
        channels_page(standing, json!({ "PUT /api/v1/teams/edge/channels": { "status": 200, "body": answer } })).await;

    // Act
    type_into(&root, "channels-email", "edge@acme.example");
    click(&root, "channels-teams-remove");
    click(&root, "channels-submit");
    eventually(&root, "channels-saved").await;

    // Assert
    assert_eq!(
        api.sent("PUT /api/v1/teams/edge/channels"),
        vec![json!({
            "webhook": { "url": "https://hooks.edge.example/in", "secret": "" },
            "email": "edge@acme.example",
            "keep": ["webhook_secret", "slack_url"]
        })],
        "the webhook's secret and Slack's URL kept without being typed again, Teams removed"
    );
}

#[wasm_bindgen_test]
async fn a_new_webhook_without_its_secret_is_not_sent_and_the_saved_channels_are_what_the_api_answered() {
    // Arrange
    let standing = json!({ "slack": false, "teams": false });
    let answer = json!({ "webhook_url": "https://hooks.edge.example/in", "slack": false, "teams": false });
    let (api, root, _view) =
        channels_page(standing, json!({ "PUT /api/v1/teams/edge/channels": { "status": 200, "body": answer } })).await;

    // Act
    type_into(&root, "channels-webhook-url", "https://hooks.edge.example/in");
    click(&root, "channels-submit");
    let refused = eventually(&root, "channels-webhook-secret-error").await;
    let sent_without = api.sent("PUT /api/v1/teams/edge/channels").len();
    type_into(&root, "channels-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    click(&root, "channels-submit");
    eventually(&root, "channels-saved").await;

    // Assert
    assert!(refused.text_content().unwrap_or_default().contains("signing secret"));
    assert_eq!(sent_without, 0, "the portal's own objection is not sent");
    assert_eq!(api.sent("PUT /api/v1/teams/edge/channels").len(), 1);
    assert_eq!(value_of(&root, "channels-webhook-secret"), "", "a secret is not kept in the form once saved");
    assert_eq!(
        text_of(&root, "channel-webhook"),
        "https://hooks.edge.example/in (secret set)",
        "with \"Saved.\", what the save answered, not what was read before it"
    );
}

/// A token of team `edge`, as the API lists it.
fn api_token(id: &str, name: &str, scope: &str, revoked: bool) -> Value {
    let mut token = json!({
        "id": id, "team": "edge", "name": name, "scope": scope, "created_by": "bob",
        "created_at": "2026-12-01T09:00:00Z", "expires_at": "2027-03-01T09:00:00Z",
        "last_used_at": "2026-12-04T17:30:12Z"
    });
    if revoked {
        token["revoked_at"] = json!("2026-12-05T08:00:00Z");
        token["revoked_by"] = json!("bob");
    }
    token
}

/// The API tokens page of a member of `edge`, with the API answering `answers` and listing `tokens`.
async fn tokens_page(tokens: Value, mut answers: Value) -> (FakeApi, web_sys::HtmlElement, impl Sized) {
    member_of("edge");
    answers["GET /api/v1/teams/edge/tokens"] = json!({ "status": 200, "body": tokens });
    let api = FakeApi::answering(answers);
    let root = container();
    let view = mount_to(root.clone(), ApiTokens);
    eventually(&root, "token-form").await;
    (api, root, view)
}

#[wasm_bindgen_test]
async fn a_new_api_token_is_shown_once_with_how_to_use_it_and_forgotten_once_stored() {
    // Arrange
    let secret = "mpt_0123456789abcdef_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let created = json!({ "token": api_token("0123456789abcdef", "ci-deploy", "change", false), "secret": secret });
    let (api, root, _view) =
        tokens_page(json!([]), json!({ "POST /api/v1/teams/edge/tokens": { "status": 201, "body": created } })).await;

    // Act
    type_into(&root, "token-name", "ci-deploy");
    let scope = find(&root, "token-scope").unwrap();
    js_sys::Function::new_with_args(
        "s",
        "s.value = 'change'; s.dispatchEvent(new Event('change', { bubbles: true }));",
    )
    .call1(&wasm_bindgen::JsValue::NULL, &scope)
    .unwrap();
    type_into(&root, "token-days", "30");
    click(&root, "token-submit");
    let shown = eventually(&root, "token-secret").await;

    // Assert
    assert_eq!(
        api.sent("POST /api/v1/teams/edge/tokens"),
        vec![json!({ "name": "ci-deploy", "scope": "change", "expires_in_days": 30 })]
    );
    assert_eq!(text_of(&shown, "token-secret-text"), secret);
    let warning = text_of(&shown, "token-secret-warning");
    assert!(warning.contains("it will not be shown again"), "{warning}");
    assert!(warning.contains("Authorization: Bearer $MESHPORT_TOKEN"), "{warning}");
    assert!(find(&shown, "copy-button").is_some(), "the token can be copied");
    assert!(!stored_anywhere(secret), "the token is in no storage");
    click(&root, "token-secret-done");
    sleep(50).await;
    assert!(find(&root, "token-secret").is_none());
    assert!(!root.text_content().unwrap_or_default().contains(secret), "the token is gone from the page");
}

#[wasm_bindgen_test]
async fn api_tokens_are_listed_with_their_last_use_and_one_in_force_can_be_revoked() {
    // Arrange
    let (api, root, _view) = tokens_page(
        json!([
            api_token("aaaaaaaaaaaaaaaa", "ci-read", "read", false),
            api_token("bbbbbbbbbbbbbbbb", "old", "change", true)
        ]),
        json!({ "DELETE /api/v1/teams/edge/tokens/aaaaaaaaaaaaaaaa": {
            "status": 200, "body": api_token("aaaaaaaaaaaaaaaa", "ci-read", "read", true)
        } }),
    )
    .await;
    eventually(&root, "tokens-list").await;
    let rows = all(&root, "token");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        text_of(&rows[0], "token-facts"),
        "read; made by bob on 2026-12-01; expires on 2027-03-01; last used 2026-12-04 17:30"
    );
    assert!(text_of(&rows[1], "token-facts").contains("revoked on 2026-12-05"));
    assert!(find(&rows[1], "token-revoke").is_none(), "a revoked token has nothing left to revoke");

    // Act
    click(&rows[0], "token-revoke");
    eventually(&rows[0], "token-confirm-yes").await;
    click(&rows[0], "token-confirm-yes");
    sleep(100).await;

    // Assert
    assert_eq!(api.sent("DELETE /api/v1/teams/edge/tokens/aaaaaaaaaaaaaaaa").len(), 1);
}

#[wasm_bindgen_test]
async fn a_token_with_a_malformed_name_or_a_lifetime_over_a_year_is_not_sent() {
    // Arrange
    let (api, root, _view) =
        tokens_page(json!([]), json!({ "POST /api/v1/teams/edge/tokens": { "status": 201, "body": {} } })).await;

    // Act
    type_into(&root, "token-name", "CI Deploy");
    click(&root, "token-submit");
    let name_error = eventually(&root, "token-name-error").await;
    type_into(&root, "token-name", "ci-deploy");
    type_into(&root, "token-days", "400");
    click(&root, "token-submit");
    let days_error = eventually(&root, "token-days-error").await;

    // Assert
    assert!(name_error.text_content().unwrap_or_default().contains("lowercase"));
    assert!(days_error.text_content().unwrap_or_default().contains("1 to 365 days, not 400"));
    assert!(api.sent("POST /api/v1/teams/edge/tokens").is_empty());
}

#[wasm_bindgen_test]
async fn the_owners_see_who_must_still_approve_their_breaking_change_and_may_withdraw_it() {
    // Arrange
    member_of("accounts");
    let approved = json!([{ "team": "insights", "vote": "approve", "by": "carol", "at": "2026-12-05T10:00:00Z" }]);
    let (api, root, _view) = mount_access_page(
        "",
        json!([]),
        json!([]),
        json!({
            "GET /api/v1/proposals/mine": { "status": 200, "body": [proposal("p1", "open", approved)] },
            "POST /api/v1/proposals/p1/withdraw": { "status": 200, "body": proposal("p1", "withdrawn", json!([])) }
        }),
    );
    let row = eventually(&root, "proposal").await;
    assert_eq!(
        text_of(&row, "proposal-waiting"),
        "Waiting for edge to approve. Approved on 2027-01-31 unless a team objects."
    );
    assert_eq!(text_of(&row, "proposal-votes"), "insights approved");
    assert!(find(&row, "proposal-approve").is_none(), "the owners do not vote");

    // Act
    click(&row, "proposal-withdraw");
    sleep(300).await;

    // Assert
    assert_eq!(api.sent("POST /api/v1/proposals/p1/withdraw"), [json!({ "revision": 2 })]);
    assert_eq!(api.sent("GET /api/v1/proposals/mine").len(), 2, "the list is read again");
}

#[wasm_bindgen_test]
async fn asked_about_a_product_the_access_page_shows_its_breaking_changes_and_a_vote_there_reads_both_lists_again() {
    // Arrange
    member_of("edge");
    let (api, root, _view) = access_page_for_users(json!({
        "GET /api/v1/products/users/proposals": { "status": 200, "body": [proposal("p1", "open", json!([]))] },
        "GET /api/v1/proposals/mine": { "status": 200, "body": [proposal("p1", "open", json!([]))] },
        "POST /api/v1/proposals/p1/approve": { "status": 200, "body": proposal("p1", "open", json!([])) }
    }));
    let section = eventually(&root, "product-proposals").await;
    assert!(section.text_content().unwrap_or_default().starts_with("Breaking changes to sign off on users"));
    let row = find(&section, "proposal").unwrap();
    assert_eq!(
        text_of(&row, "proposal-waiting"),
        "Waiting for edge, insights to approve. Approved on 2027-01-31 unless a team objects."
    );
    let read_before = api.sent("GET /api/v1/proposals/mine").len();

    // Act
    click(&row, "proposal-approve");
    sleep(300).await;

    // Assert
    assert_eq!(api.sent("POST /api/v1/proposals/p1/approve"), [json!({ "team": "edge", "revision": 2 })]);
    assert_eq!(api.sent("GET /api/v1/products/users/proposals").len(), 2, "the product's list is read again");
    assert_eq!(api.sent("GET /api/v1/proposals/mine").len(), read_before + 1, "and the teams' list");
}
