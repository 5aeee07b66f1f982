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
use meshport_frontend::components::product_card::{ProductCard, ProductList};
use meshport_frontend::routes::explore::Explore;
use meshport_shared::{ApiError, DataProduct, ErrorCode};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::{container, eventually, find, text_of};

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
    let _view = mount_to(root.clone(), || view! { <ProductCard product=product("users", "Users")/> });

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
    let _view = mount_to(root.clone(), move || view! { <ProductCard product=product("hostile", hostile)/> });

    // Assert
    assert_eq!(text_of(&root, "product-name"), hostile);
    assert!(root.query_selector("script, img").unwrap().is_none(), "markup in a name must not become elements");
}

#[wasm_bindgen_test]
fn a_list_shows_one_row_per_product_and_how_many_there_are() {
    // Arrange
    let root = container();
    let products = vec![product("users", "Users"), product("orders.v2", "Orders")];

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
fn an_api_error_is_shown_with_its_code_and_message() {
    // Arrange
    let root = container();
    let failure = api::Error::Api {
        status: 503,
        error: ApiError {
            code: ErrorCode::CatalogUnavailable,
            message: "the catalog is not reachable: try again in a minute".to_owned(),
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
    assert_eq!(text_of(&banner, "error-message"), "the catalog is not reachable: try again in a minute");
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
    use meshport_frontend::Bundle::{Discover, Manage, Studio};
    let cases = [
        ("/", Some(Discover)),
        ("/products/users", Some(Discover)),
        ("/products/orders.v2/", Some(Discover)),
        ("/activity", Some(Discover)),
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
        ("/manage/a/b", None),
        ("/no/such/page", None),
    ];
    for (path, expected) in cases {
        assert_eq!(meshport_frontend::Bundle::of(path), expected, "{path}");
    }
}
