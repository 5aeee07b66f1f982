//! The Manage pages' components, rendered into a real headless Chromium by wasm-bindgen-test.
//!
//! Run from the repo root, after `eval "$(bash scripts/frontend-tools.sh)"`:
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p meshport-frontend --target wasm32-unknown-unknown --test manage
//! ```
//!
//! The test runner's own web server stands in for the API where a component calls it: it answers every API path
//! with something that is not the API's JSON, which the portal reports as `unexpected_response`. That is how a test
//! sees that a call was made.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use meshport_frontend::api;
use meshport_frontend::routes::manage::{CompatibilityAnswer, EvolveRefusal, Manage, ProductManagement};
use meshport_frontend::session;
use meshport_shared::api::{EvolveResponse, Identity, ProductDetail};
use meshport_shared::{ApiError, ErrorCode};
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::{all, click, container, eventually, find, text_of};

wasm_bindgen_test_configure!(run_in_browser);

/// The `users` product page as the API would send it, owned by team `accounts`, with `status` and `deprecation`.
fn detail(status: &str, deprecation: serde_json::Value) -> ProductDetail {
    let mut product = json!({
        "id": "users",
        "name": "Users",
        "version": "1.0.0",
        "domain": "membership",
        "owner": { "team": "accounts", "contact": "accounts@acme.example" },
        "status": status,
        "description": { "purpose": "Every registered member" },
        "output_port": { "topic": "users", "value_subject": "users-value", "schema_format": "avro" },
        "quality": "authoritative",
        "sla": "tier-1",
        "revision": 4
    });
    if !deprecation.is_null() {
        product["deprecation"] = deprecation;
    }
    serde_json::from_value(json!({
        "product": product,
        "topic": null,
        "schema": {
            "subject": "users-value", "version": 1, "id": 1, "format": "avro",
            "schema": "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"userid\",\"type\":\"string\"}]}",
            "fields": []
        },
        "versions": [{ "version": 1, "id": 1 }],
        "consumers": [],
        "links": { "portal": "/products/users", "embed": "/embed/products/users", "badge": "/badge/products/users/status.svg",
                   "card_width": 480, "card_height": 208 },
        "history": [],
        "warnings": [],
        "consume": {
            "bootstrap_servers": "127.0.0.1:9092", "registry_url": "http://127.0.0.1:8081",
            "topic": "users", "value_subject": "users-value", "format": "avro"
        },
        "lineage": { "inputs": [], "downstream": [] }
    }))
    .expect("the test product page is valid")
}

fn person(teams: &[&str], admin: bool) -> Identity {
    serde_json::from_value(json!({ "subject": "alice", "name": "Alice", "teams": teams, "admin": admin }))
        .expect("the test identity is valid")
}

/// A dry run's answer at BACKWARD: two breaking changes and a safe one, unless `compatible`.
fn answer(compatible: bool) -> EvolveResponse {
    let changes = if compatible {
        json!([{ "kind": "field_added", "path": "plan", "description": "field `plan` was added with a default", "breaking": false }])
    } else {
        json!([
            { "kind": "doc_changed", "path": "userid", "description": "the doc of `userid` changed", "breaking": false },
            { "kind": "field_removed", "path": "regionid", "description": "field `regionid` was removed and had no default", "breaking": true },
            { "kind": "type_changed", "path": "registertime", "description": "field `registertime` changed from long to string", "breaking": true }
        ])
    };
    let messages = if compatible { json!([]) } else { json!(["reader's field regionid has no default"]) };
    serde_json::from_value(json!({
        "compatible": compatible, "level": "BACKWARD", "changes": changes, "registry_messages": messages
    }))
    .expect("the test answer is valid")
}

/// A fresh container in the page, so tests never see each other's output.
#[wasm_bindgen_test]
fn the_compatibility_answer_names_each_breaking_change_in_words() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || view! { <CompatibilityAnswer answer=answer(false)/> });

    // Assert
    let answer = find(&root, "compatibility-answer").expect("the answer is rendered");
    assert_eq!(answer.get_attribute("data-compatible").as_deref(), Some("false"));
    assert_eq!(
        text_of(&answer, "compatibility-verdict"),
        "Breaking at the registry's level BACKWARD: 2 breaking changes"
    );
    let changes = all(&answer, "schema-change");
    assert_eq!(changes.len(), 3, "every change is listed, breaking or not");
    let breaking: Vec<String> = changes
        .iter()
        .filter(|c| c.get_attribute("data-breaking").as_deref() == Some("true"))
        .map(|c| c.text_content().unwrap_or_default())
        .collect();
    assert_eq!(breaking.len(), 2);
    assert!(
        breaking[0].contains("Breaking") && breaking[0].contains("field `regionid` was removed and had no default")
    );
    assert!(breaking[1].contains("registertime") && breaking[1].contains("changed from long to string"));
    assert_eq!(changes[0].get_attribute("data-breaking").as_deref(), Some("true"), "breaking changes come first");
    assert!(changes[2].text_content().unwrap_or_default().starts_with("Safe"));
    assert_eq!(text_of(&answer, "registry-message"), "reader's field regionid has no default");
}

#[wasm_bindgen_test]
fn a_compatible_answer_says_so_and_marks_nothing_breaking() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || view! { <CompatibilityAnswer answer=answer(true)/> });

    // Assert
    assert_eq!(text_of(&root, "compatibility-verdict"), "Compatible at the registry's level BACKWARD");
    let changes = all(&root, "schema-change");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].get_attribute("data-breaking").as_deref(), Some("false"));
    assert!(find(&root, "registry-message").is_none());
}

#[wasm_bindgen_test]
async fn a_refused_schema_shows_the_code_each_break_and_offers_a_new_major_version() {
    // Arrange
    let root = container();
    let refusal = api::Error::Api {
        status: 409,
        error: serde_json::from_value::<ApiError>(json!({
            "code": "incompatible_schema",
            "message": "the new schema breaks consumers in 1 way(s) at compatibility level BACKWARD",
            "details": [{ "code": "breaking_change", "field": "regionid", "message": "field `regionid` was removed and had no default" }]
        }))
        .unwrap(),
    };
    assert_eq!(refusal.code(), ErrorCode::IncompatibleSchema.as_str());
    let asked = Arc::new(AtomicU32::new(0));
    let counter = asked.clone();

    // Act
    let _view = mount_to(root.clone(), move || {
        let on_major = Callback::new(move |()| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        view! { <EvolveRefusal error=refusal.clone() on_major pending=false/> }
    });

    // Assert
    let refused = find(&root, "evolve-refused").expect("the refusal is rendered");
    assert_eq!(refused.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(text_of(&refused, "error-code"), "incompatible_schema");
    let breaks = all(&refused, "breaking-change");
    assert_eq!(breaks.len(), 1);
    assert!(breaks[0].text_content().unwrap_or_default().contains("field `regionid` was removed and had no default"));
    click(&root, "publish-major");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "the offer publishes a new major version when taken");
}

#[wasm_bindgen_test]
async fn retiring_calls_the_api_only_after_the_person_confirms() {
    // Arrange
    let root = container();
    let _view = mount_to(root.clone(), || {
        view! { <ProductManagement detail=detail("active", serde_json::Value::Null) who=person(&["accounts"], false)/> }
    });
    let retire = find(&root, "retire").expect("an owner may retire");

    // Act: ask to retire without confirming.
    click(&retire, "retire-submit");
    leptos::task::tick().await;

    // Assert: told to confirm, taken to the box, and nothing sent.
    assert!(text_of(&retire, "retire-confirm-error").starts_with("Tick the box first"));
    let active = document().active_element().expect("something has focus");
    assert_eq!(active.id(), "retire-confirm");
    let confirm = find(&retire, "retire-confirm").unwrap();
    assert_eq!(confirm.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(text_of(&retire, "retire-submit"), "Retire this product", "no retire is under way");
    assert!(find(&retire, "change-error").is_none());

    // Act: confirm, then retire.
    click(&retire, "retire-confirm");
    leptos::task::tick().await;
    assert!(find(&retire, "retire-confirm-error").is_none(), "confirming clears the request to confirm");
    click(&retire, "retire-submit");

    // Assert: now the call is made (and answered by the test server, which is not the API).
    let failure = eventually(&retire, "change-error").await;
    assert_eq!(text_of(&failure, "error-code"), "unexpected_response");
}

#[wasm_bindgen_test]
fn someone_outside_the_owning_team_sees_the_product_read_only_and_why() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || {
        view! { <ProductManagement detail=detail("active", serde_json::Value::Null) who=person(&["edge"], false)/> }
    });

    // Assert
    let note = find(&root, "read-only-note").expect("the note is shown");
    let text = note.text_content().unwrap_or_default();
    assert!(text.contains("not change it"), "{text}");
    assert_eq!(text_of(&note, "read-only-team"), "accounts");
    assert!(text.contains("you are in team edge"), "{text}");
    for section in ["edit", "evolve", "deprecate", "retire"] {
        assert!(find(&root, section).is_none(), "{section} is not offered to a non-owner");
    }
    assert_eq!(text_of(&root, "manage-name"), "Users", "the product itself is still shown");
}

#[wasm_bindgen_test]
async fn an_owner_is_offered_every_change_and_an_org_admin_too() {
    for who in [person(&["accounts"], false), person(&[], true)] {
        // Arrange
        let root = container();

        // Act
        let _view = mount_to(root.clone(), move || {
            view! { <ProductManagement detail=detail("active", serde_json::Value::Null) who=who.clone()/> }
        });

        // Assert: properties are set once the reactive system has run.
        leptos::task::tick().await;
        assert!(find(&root, "read-only-note").is_none());
        for section in ["edit", "evolve", "deprecate", "retire"] {
            assert!(find(&root, section).is_some(), "{section} is offered");
        }
        let schema: web_sys::HtmlTextAreaElement = find(&root, "evolve-schema").unwrap().unchecked_into();
        assert!(schema.value().contains("\"name\":\"User\""), "the new schema starts as the current one");
    }
}

#[wasm_bindgen_test]
async fn a_deprecated_product_shows_its_sunset_and_replacement_and_a_form_to_change_them() {
    // Arrange
    let root = container();
    let deprecation = json!({ "sunset": "2027-06-30", "replacement": "members", "message": "Move to members" });

    // Act
    let _view = mount_to(root.clone(), move || {
        view! { <ProductManagement detail=detail("deprecated", deprecation.clone()) who=person(&["accounts"], false)/> }
    });

    // Assert
    leptos::task::tick().await;
    assert_eq!(text_of(&root, "manage-status"), "deprecated");
    assert_eq!(text_of(&root, "manage-sunset"), "2027-06-30");
    assert_eq!(text_of(&root, "manage-replacement"), "members");
    let sunset: web_sys::HtmlInputElement = find(&root, "deprecate-sunset").unwrap().unchecked_into();
    assert_eq!(sunset.value(), "2027-06-30");
    assert_eq!(text_of(&root, "deprecate-submit"), "Update the deprecation");
}

#[wasm_bindgen_test]
fn a_retired_product_offers_no_more_changes() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || {
        view! { <ProductManagement detail=detail("retired", serde_json::Value::Null) who=person(&["accounts"], false)/> }
    });

    // Assert
    assert!(text_of(&root, "status-note").contains("retired"));
    for form in ["edit", "evolve", "deprecate", "retire-form"] {
        assert!(find(&root, form).is_none(), "{form} is not offered for a retired product");
    }
}

#[wasm_bindgen_test]
fn manage_asks_to_sign_in_when_nobody_is_signed_in() {
    // Arrange
    session::sign_out();
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || view! { <Manage/> });

    // Assert
    let prompt = find(&root, "sign-in-prompt").expect("the prompt is shown");
    let link = find(&prompt, "sign-in-prompt-link").unwrap();
    let href = link.get_attribute("href").unwrap_or_default();
    assert!(href.starts_with("/sign-in?next="), "{href}");
    assert!(find(&root, "owned-products").is_none());
}
