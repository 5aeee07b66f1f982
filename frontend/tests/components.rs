//! The portal's components, rendered into a real headless Chromium by wasm-bindgen-test.
//!
//! Run from the repo root, after `eval "$(bash scripts/frontend-tools.sh)"`:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver \
//!     cargo test -p meshport-frontend --target wasm32-unknown-unknown
//! ```
//!
//! cargo runs the runner in `frontend/`, where it finds `webdriver.json` with Chromium's path and flags.

use leptos::error::Errors;
use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::web_sys::Element;
use leptos_router::components::Router;
use meshport_frontend::api;
use meshport_frontend::components::feedback::ErrorBanner;
use meshport_frontend::components::product_card::{ProductCard, ProductList, ShownProduct};
use meshport_frontend::routes::explore::Explore;
use meshport_frontend::session;
use meshport_shared::search::SearchPage;
use meshport_shared::{ApiError, DataProduct, ErrorCode};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::{FakeApi, click, container, eventually, find, read_as, text_of};

wasm_bindgen_test_configure!(run_in_browser);

/// A product as the API would send it, with the given id and name.
fn product(id: &str, name: &str) -> DataProduct {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "name": name,
        "version": "1.0.0",
        "domain": "membership",
        "owner": { "team": "growth-analytics" },
        "status": "active",
        "description": { "purpose": "Everyone who signed up, with their plan" },
        "output_port": { "topic": "membership.users", "value_subject": "membership.users-value", "schema_format": "avro" },
        "quality": "authoritative",
        "sla": "tier-1"
    }))
    .expect("the test product is valid")
}

/// `product` as Explore's cards read it from the API's answer.
fn shown(product: DataProduct) -> ShownProduct {
    read_as(product)
}

/// Every product row under `root`, in document order.
fn rows(root: &Element) -> Vec<Element> {
    let all = root.get_elements_by_tag_name("*");
    (0..all.length())
        .filter_map(|i| all.item(i))
        .filter(|element| element.get_attribute("data-testid").as_deref() == Some("product-row"))
        .collect()
}

#[wasm_bindgen_test]
fn a_product_card_shows_every_field_a_consumer_needs() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || view! { <ProductCard product=shown(product("users", "Users"))/> });

    // Assert
    let row = find(&root, "product-row").expect("the card is rendered");
    assert_eq!(row.get_attribute("data-product-id").as_deref(), Some("users"));
    assert_eq!(text_of(&row, "product-name"), "Users");
    assert_eq!(text_of(&row, "product-id"), "users");
    assert_eq!(text_of(&row, "product-domain"), "membership");
    assert_eq!(text_of(&row, "product-team"), "growth-analytics");
    assert_eq!(text_of(&row, "product-quality"), "authoritative");
    assert!(text_of(&row, "product-sla").starts_with("tier-1"));
    assert_eq!(text_of(&row, "product-status"), "active");
    assert_eq!(text_of(&row, "product-purpose"), "Everyone who signed up, with their plan");
}

#[wasm_bindgen_test]
fn a_product_name_with_markup_is_shown_as_text() {
    // Arrange
    let root = container();
    let hostile = "<script>window.pwned = true</script><img src=x onerror=alert(1)>";

    // Act
    let _view = mount_to(root.clone(), move || view! { <ProductCard product=shown(product("hostile", hostile))/> });

    // Assert
    assert_eq!(text_of(&root, "product-name"), hostile);
    assert!(root.query_selector("script, img").unwrap().is_none(), "markup in a name must not become elements");
}

#[wasm_bindgen_test]
fn a_list_shows_one_row_per_product_and_how_many_there_are() {
    // Arrange
    let root = container();
    let products = vec![shown(product("users", "Users")), shown(product("orders.v2", "Orders"))];

    // Act
    let _view = mount_to(root.clone(), move || view! { <ProductList products/> });

    // Assert
    let ids: Vec<_> = rows(&root).iter().filter_map(|row| row.get_attribute("data-product-id")).collect();
    assert_eq!(ids, ["users", "orders.v2"]);
    assert_eq!(text_of(&root, "product-count"), "2 data products");
    assert!(find(&root, "empty-state").is_none());
}

#[wasm_bindgen_test]
fn an_empty_catalog_says_so_instead_of_showing_nothing() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || view! { <ProductList products=Vec::new()/> });

    // Assert
    assert!(text_of(&root, "empty-state").contains("No data products yet"));
    assert!(rows(&root).is_empty());
}

#[wasm_bindgen_test]
fn an_api_error_is_shown_in_words_for_people_with_its_code_for_support() {
    // Arrange
    let root = container();
    let failure = api::Error::Api {
        status: 503,
        error: ApiError {
            code: ErrorCode::CatalogUnavailable,
            message: "DynamoDB GetItem on table meshport-catalog timed out after 3 s".to_owned(),
            details: Vec::new(),
        },
    };
    let mut errors = Errors::default();
    errors.insert_with_default_key(failure);

    // Act
    let _view = mount_to(root.clone(), move || {
        view! { <ErrorBanner errors=ArcRwSignal::new(errors)>"retry"</ErrorBanner> }
    });

    // Assert
    let banner = find(&root, "error-state").expect("the banner is rendered");
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(text_of(&banner, "error-code"), "catalog_unavailable");
    assert_eq!(text_of(&banner, "error-message"), "Meshport's catalog cannot be read right now: try again in a minute");
    assert!(!banner.text_content().unwrap().contains("DynamoDB"), "the API's text for operators is not shown");
}

#[wasm_bindgen_test]
fn people_read_the_apis_words_only_where_they_are_written_for_them() {
    // (code, the API's message, whether people see it as it is)
    let cases = [
        (ErrorCode::Unauthorized, "sign in first: send your token as `Authorization: Bearer <token>`", false),
        (ErrorCode::Unauthorized, "reads need sign-in on this server (MESHPORT_PUBLIC_READS is off)", false),
        (ErrorCode::Unauthorized, "the sign-in token was refused: its `exp` claim is malformed", false),
        (ErrorCode::IdentityProviderUnavailable, "GET https://idp.example/jwks: connection refused", false),
        (ErrorCode::KafkaUnavailable, "describe topics took longer than 3s", false),
        (ErrorCode::RegistryUnavailable, "cannot build an HTTP client: invalid certificate", false),
        (ErrorCode::Internal, "something went wrong on our side; it has been logged", false),
        (ErrorCode::Forbidden, "only members of team `accounts` or org admins may change `users`", true),
        (ErrorCode::ValidationFailed, "the product breaks 2 governance rule(s)", true),
        (ErrorCode::Conflict, "data product `users` already exists", true),
        (ErrorCode::NotFound, "no data product `users`", true),
        (ErrorCode::BadRequest, "unknown sort `size`: use relevance, name or updated", true),
    ];
    for (code, message, as_is) in cases {
        let error =
            api::Error::Api { status: 400, error: ApiError { code, message: message.to_owned(), details: Vec::new() } };
        let shown = error.message();
        if as_is {
            assert_eq!(shown, message, "{code:?}");
        } else {
            assert!(!shown.contains(message), "{code:?} shows the API's text: {shown}");
            assert!(!shown.contains("Bearer") && !shown.contains("MESHPORT_"), "{code:?}: {shown}");
        }
    }
    let offline = api::Error::Network("TypeError: Failed to fetch".to_owned());
    assert!(!offline.message().contains("TypeError"), "{}", offline.message());
}

/// The API's answer to a read when nobody is signed in, in its own words for programs.
fn refused() -> serde_json::Value {
    serde_json::json!({
        "status": 401,
        "body": { "code": "unauthorized", "message": "sign in first: send your token as `Authorization: Bearer <token>`" }
    })
}

#[wasm_bindgen_test]
async fn a_visitor_not_signed_in_is_offered_the_demo_people_and_then_sees_the_products() {
    // Arrange: reads need sign-in, and dev sign-in is on.
    session::sign_out();
    let root = container();
    let page =
        SearchPage { items: vec![product("users", "Users")], total: 1, next_cursor: None, facets: Default::default() };
    let identity = serde_json::json!({ "subject": "alice", "name": "Alice", "teams": ["accounts"], "admin": false });
    let _api = FakeApi::answering(serde_json::json!({
        "GET /api/v1/products": refused(),
        "GET /api/v1/dev/users": { "status": 200, "body": { "items": [
            { "user": "alice", "name": "Alice", "teams": ["accounts"], "admin": false }
        ] } },
        "POST /api/v1/dev/token": { "status": 200, "body": {
            "token": "a.dev.token", "identity": identity, "expires_at": "2999-01-01T00:00:00Z"
        } },
        "GET /api/v1/products signed-in": { "status": 200, "body": page },
    }));

    // Act
    let _view = mount_to(root.clone(), || view! { <Router><Explore/></Router> });

    // Assert: a calm prompt with the demo people, not an error, and none of the API's words for programs.
    let prompt = eventually(&root, "sign-in-prompt").await;
    assert!(prompt.text_content().unwrap().contains("Sign in to see the data products"));
    assert!(prompt.get_attribute("role").is_none(), "the prompt is not an alert");
    eventually(&prompt, "sign-in-as-alice").await;
    assert!(find(&root, "error-state").is_none(), "no error banner");
    let text = root.text_content().unwrap();
    assert!(!text.contains("Bearer") && !text.contains("Authorization"), "{text}");

    // Act: one click signs in, and the page reads again.
    click(&root, "sign-in-as-alice");

    // Assert
    eventually(&root, "product-row").await;
    assert!(find(&root, "sign-in-prompt").is_none());
    assert_eq!(session::identity().map(|who| who.name).as_deref(), Some("Alice"));
    session::sign_out();
}

#[wasm_bindgen_test]
async fn without_dev_sign_in_the_prompt_links_to_the_sign_in_page_and_back_here() {
    // Arrange: reads need sign-in, and dev sign-in is off, so the demo people's route does not exist.
    session::sign_out();
    let root = container();
    let _api = FakeApi::answering(serde_json::json!({
        "GET /api/v1/products": refused(),
        "GET /api/v1/dev/users": { "status": 404, "body": { "code": "not_found", "message": "no such API route" } },
    }));

    // Act
    let _view = mount_to(root.clone(), || view! { <Router><Explore/></Router> });

    // Assert
    let link = eventually(&root, "sign-in-prompt-link").await;
    let here = window().location().pathname().unwrap();
    let href = link.get_attribute("href").unwrap();
    assert!(href.starts_with(&format!("/sign-in?next={}", api::encode(&here))), "{href}");
    assert!(find(&root, "demo-people").is_none());
    assert!(find(&root, "error-state").is_none(), "no error banner");
    assert!(!root.text_content().unwrap().contains("Bearer"));
}

#[wasm_bindgen_test]
async fn explore_shows_loading_then_an_error_when_the_api_answers_with_something_else() {
    // Arrange: the test runner's own web server stands in for the API and has no `/api/v1/products`.
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || view! { <Router><Explore/></Router> });

    // Assert: the fallback goes in on the executor's first turn, long before the response arrives.
    leptos::task::tick().await;
    assert!(find(&root, "loading-state").is_some(), "a loading state is shown while the request is on its way");
    let banner = eventually(&root, "error-state").await;
    assert_eq!(text_of(&banner, "error-code"), "unexpected_response");
    assert!(find(&root, "loading-state").is_none());
    assert!(rows(&root).is_empty());
}

#[wasm_bindgen_test]
fn every_page_belongs_to_one_bundle_and_other_paths_to_none() {
    use meshport_frontend::Bundle::{Access, Discover, Manage, Studio};
    let cases = [
        ("/", Some(Discover)),
        ("/products/users", Some(Discover)),
        ("/products/orders.v2/", Some(Discover)),
        ("/activity", Some(Discover)),
        ("/access", Some(Access)),
        ("/access/", Some(Access)),
        ("/access/accounts", Some(Access)),
        ("/access/accounts/", Some(Access)),
        ("/access/channels", Some(Access)),
        ("/sign-in", Some(Studio)),
        ("/publish", Some(Studio)),
        ("/create", Some(Studio)),
        ("/manage", Some(Manage)),
        ("/manage/users", Some(Manage)),
        ("/manage/orders.v2", Some(Manage)),
        ("/products", None),
        ("/products/a/b", None),
        ("/publish/now", None),
        ("/studio/", None),
        ("/studio/manage/", None),
        ("/studio/access/", None),
        ("/access/users", None),
        ("/access/accounts/users", None),
        ("/access/tokens", Some(Access)),
        ("/manage/a/b", None),
        ("/no/such/page", None),
    ];
    for (path, expected) in cases {
        assert_eq!(meshport_frontend::Bundle::of(path), expected, "{path}");
    }
}
