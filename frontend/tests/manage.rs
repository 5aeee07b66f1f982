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
use meshport_frontend::routes::manage::{CompatibilityAnswer, EvolveRefusal, Manage, ManagedDetail, ProductManagement};
use meshport_frontend::session;
use meshport_shared::api::{EvolveResponse, Identity, ProductDetail};
use meshport_shared::{ApiError, ErrorCode};
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::{FakeApi, all, click, container, eventually, find, sleep, text_of};

wasm_bindgen_test_configure!(run_in_browser);

/// The `users` product page as the API would send it, owned by team `accounts`, with `status` and `deprecation`.
fn page(status: &str, deprecation: serde_json::Value) -> ProductDetail {
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

/// `page` as Manage reads it: the API's answer, decoded into the part of it the Manage pages use.
fn managed(page: ProductDetail) -> ManagedDetail {
    serde_json::from_value(serde_json::to_value(page).unwrap()).expect("Manage reads the product page")
}

/// The `users` product page as Manage reads it, with `status` and `deprecation`.
fn detail(status: &str, deprecation: serde_json::Value) -> ManagedDetail {
    managed(page(status, deprecation))
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
    for section in ["edit", "evolve", "topic-settings", "deprecate", "retire"] {
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
        for section in ["edit", "evolve", "topic-settings", "deprecate", "retire"] {
            assert!(find(&root, section).is_some(), "{section} is offered");
        }
        assert!(find(&root, "topic-settings-unsynced").is_some(), "a topic not synced yet has no settings to change");
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
    for form in ["edit", "evolve", "topic-settings", "deprecate", "retire-form"] {
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

/// `page` with the topic as the mirror read it: 3 partitions, 7 days' retention set on the topic, and the cluster's
/// default cleanup policy.
fn detail_with_topic(partitions: i32, revision: u64) -> ProductDetail {
    let mut detail = serde_json::to_value(page("active", serde_json::Value::Null)).unwrap();
    detail["product"]["revision"] = json!(revision);
    detail["topic"] = json!({
        "name": "users",
        "partitions": partitions,
        "replication_factor": 1,
        "configs": { "cleanup.policy": "delete", "retention.ms": "604800000" },
        "config_sources": { "cleanup.policy": "default", "retention.ms": "topic" },
        "history": { "kind": "window", "retention_ms": 604_800_000 },
        "present": true,
        "synced_at": "2026-02-03T04:05:06Z"
    });
    serde_json::from_value(detail).expect("the test product page is valid")
}

/// The organisation's policy, with topics limited to 12 partitions and 1 hour to 30 days of retention.
fn policy_answer() -> serde_json::Value {
    json!({ "status": 200, "body": {
        "allowed_qualities": ["authoritative", "curated", "raw"],
        "allowed_slas": ["tier-1", "tier-2", "tier-3"],
        "schema_required": true,
        "owner_must_belong_to_domain": false,
        "topics": { "max_partitions": 12, "min_retention_ms": 3_600_000, "max_retention_ms": 2_592_000_000_i64 }
    } })
}

const CHANGE_TOPIC: &str = "PATCH /api/v1/products/users/topic";

/// Sets a control's value as a person does, with the event the portal listens to (`input` or `change`).
fn set(root: &web_sys::Element, test_id: &str, value: &str, event: &str) {
    let control = find(root, test_id).unwrap_or_else(|| panic!("no [data-testid='{test_id}']"));
    let set = js_sys::Function::new_with_args(
        "control, value, event",
        "control.value = value; control.dispatchEvent(new Event(event, { bubbles: true }));",
    );
    set.call3(&wasm_bindgen::JsValue::NULL, &control, &value.into(), &event.into()).unwrap();
}

/// Mounts the Manage page of `users` with its topic, for an owner, once the policy has come.
async fn topic_settings(detail: ProductDetail) -> (web_sys::HtmlElement, impl Sized) {
    let detail = managed(detail);
    let root = container();
    let view = mount_to(
        root.clone(),
        move || view! { <ProductManagement detail=detail.clone() who=person(&["accounts"], false)/> },
    );
    eventually(&root, "topic-settings-form").await;
    leptos::task::tick().await;
    (root, view)
}

#[wasm_bindgen_test]
async fn the_topic_settings_start_from_the_topic_and_say_where_each_value_comes_from() {
    // Arrange
    let _api = FakeApi::answering(json!({ "GET /api/v1/policy": policy_answer() }));

    // Act
    let (root, _view) = topic_settings(detail_with_topic(3, 4)).await;

    // Assert
    let partitions: web_sys::HtmlInputElement = find(&root, "topic-settings-partitions").unwrap().unchecked_into();
    assert_eq!(partitions.value(), "3");
    assert_eq!(partitions.min(), "3", "the browser is told fewer is not possible");
    let retention: web_sys::HtmlSelectElement = find(&root, "topic-settings-retention").unwrap().unchecked_into();
    assert_eq!(retention.value(), "604800000", "7 days is one of the choices");
    let hints = find(&root, "topic-settings").unwrap().text_content().unwrap_or_default();
    assert!(hints.contains("Now 7 days (set on the topic)"), "{hints}");
    assert!(hints.contains("Now delete (Kafka default)"), "{hints}");
    assert!(hints.contains("Now 3; up to 12 allowed. Kafka adds partitions but never removes them"), "{hints}");
    assert!(hints.contains("At least 1 hour"), "the policy's limit is said: {hints}");
    let cleanup: web_sys::HtmlSelectElement = find(&root, "topic-settings-cleanup").unwrap().unchecked_into();
    assert_eq!(cleanup.value(), "delete");
}

#[wasm_bindgen_test]
async fn the_topic_settings_check_the_policy_limits_as_the_owner_types_and_refuse_fewer_partitions() {
    // Arrange
    let api = FakeApi::answering(
        json!({ "GET /api/v1/policy": policy_answer(), CHANGE_TOPIC: { "status": 500, "body": {} } }),
    );
    let (root, _view) = topic_settings(detail_with_topic(3, 4)).await;

    // Act: fewer partitions than the topic has.
    set(&root, "topic-settings-partitions", "2", "input");
    leptos::task::tick().await;

    // Assert
    let message = text_of(&root, "topic-settings-partitions-error");
    assert!(message.contains("Kafka cannot take partitions away"), "{message}");
    let control = find(&root, "topic-settings-partitions").unwrap();
    assert_eq!(control.get_attribute("aria-invalid").as_deref(), Some("true"));

    // Act: more than the policy allows.
    set(&root, "topic-settings-partitions", "13", "input");
    leptos::task::tick().await;

    // Assert: the policy's own words.
    assert!(text_of(&root, "topic-settings-partitions-error").contains("use 1 to 12 partitions"));

    // Act: a retention beyond the policy's, then one below it.
    set(&root, "topic-settings-retention", "-1", "change");
    leptos::task::tick().await;
    assert!(text_of(&root, "topic-settings-retention-error").contains("at most 2592000000 ms"));
    let amount: web_sys::HtmlInputElement = find(&root, "topic-settings-retention-amount").unwrap().unchecked_into();
    assert!(amount.hidden(), "a number is typed only for a retention in hours or days");
    set(&root, "topic-settings-retention", "days", "change");
    leptos::task::tick().await;
    assert!(!amount.hidden());
    set(&root, "topic-settings-retention-amount", "31", "input");
    leptos::task::tick().await;
    assert!(text_of(&root, "topic-settings-retention-error").contains("at most"), "31 days is over 30");
    set(&root, "topic-settings-retention-amount", "0", "input");
    leptos::task::tick().await;
    assert!(text_of(&root, "topic-settings-retention-error").contains("whole number"));

    // Act: submit anyway.
    click(&root, "topic-settings-submit");
    sleep(100).await;

    // Assert: nothing sent, and the person is taken to the first field to fix.
    assert!(api.sent(CHANGE_TOPIC).is_empty(), "a change the policy refuses is not sent");
    assert_eq!(document().active_element().map(|e| e.id()).as_deref(), Some("topic-settings-partitions"));

    // Act: fix both.
    set(&root, "topic-settings-partitions", "12", "input");
    set(&root, "topic-settings-retention-amount", "36", "input");
    set(&root, "topic-settings-retention", "hours", "change");
    leptos::task::tick().await;

    // Assert
    assert!(find(&root, "topic-settings-partitions-error").is_none());
    assert!(find(&root, "topic-settings-retention-error").is_none());

    // Act: now it is sent, the retention in milliseconds.
    click(&root, "topic-settings-submit");
    eventually(&root, "change-error").await;

    // Assert
    assert_eq!(
        api.sent(CHANGE_TOPIC),
        vec![json!({ "revision": 4, "partitions": 12, "retention_ms": 36 * 3_600_000_i64 })]
    );
}

#[wasm_bindgen_test]
async fn changing_the_topic_sends_only_what_changed_with_the_revision_and_shows_the_new_settings() {
    // Arrange
    let mut stored = detail_with_topic(6, 5);
    let topic = stored.topic.as_mut().unwrap();
    topic.configs.insert("retention.ms".to_owned(), "2592000000".to_owned());
    let api = FakeApi::answering(json!({
        "GET /api/v1/policy": policy_answer(),
        CHANGE_TOPIC: { "status": 200, "body": stored.product },
        "GET /api/v1/products/users": { "status": 200, "body": stored },
    }));
    let (root, _view) = topic_settings(detail_with_topic(3, 4)).await;

    // Act: more partitions and 30 days' retention; the cleanup policy stays.
    set(&root, "topic-settings-partitions", "6", "input");
    set(&root, "topic-settings-retention", "2592000000", "change");
    leptos::task::tick().await;
    click(&root, "topic-settings-submit");
    let done = eventually(&root, "topic-settings-done").await;

    // Assert: only the changes, with the revision read.
    assert_eq!(
        api.sent(CHANGE_TOPIC),
        vec![json!({ "revision": 4, "partitions": 6, "retention_ms": 2_592_000_000_i64 })]
    );
    assert!(done.text_content().unwrap_or_default().starts_with("Changed"));
    // The product is read again, and the form starts from the topic as it is now: its new settings.
    let section = find(&root, "topic-settings").unwrap();
    for _ in 0..100 {
        if text_of(&root, "manage-revision") == "5" {
            break;
        }
        sleep(50).await;
    }
    leptos::task::tick().await;
    let now = section.text_content().unwrap_or_default();
    assert!(now.contains("Now 6;") && now.contains("Now 30 days (set on the topic)"), "{now}");
    let partitions: web_sys::HtmlInputElement = find(&root, "topic-settings-partitions").unwrap().unchecked_into();
    assert_eq!(partitions.value(), "6");
    let retention: web_sys::HtmlSelectElement = find(&root, "topic-settings-retention").unwrap().unchecked_into();
    assert_eq!(retention.value(), "2592000000");
    assert!(find(&root, "topic-settings-done").is_some(), "the answer stays while the form starts again");
}

#[wasm_bindgen_test]
async fn the_apis_topic_violations_go_next_to_their_fields_and_a_stale_revision_offers_a_reload() {
    // Arrange
    let refusal = json!({ "status": 422, "body": {
        "code": "validation_failed",
        "message": "the change breaks 1 rule(s)",
        "details": [{ "code": "invalid_topic_settings", "field": "cleanup_policy", "message": "compaction needs keyed events" }]
    } });
    let api = FakeApi::answering(json!({ "GET /api/v1/policy": policy_answer(), CHANGE_TOPIC: refusal }));
    let (root, _view) = topic_settings(detail_with_topic(3, 4)).await;

    // Act
    set(&root, "topic-settings-cleanup", "compact", "change");
    leptos::task::tick().await;
    click(&root, "topic-settings-submit");
    let error = eventually(&root, "change-error").await;

    // Assert: the violation is next to its field, and listed with a link to it.
    assert_eq!(api.sent(CHANGE_TOPIC), vec![json!({ "revision": 4, "cleanup_policy": "compact" })]);
    assert_eq!(text_of(&root, "topic-settings-cleanup-error"), "compaction needs keyed events");
    assert_eq!(text_of(&error, "error-code"), "validation_failed");
    let link = error.query_selector("[data-testid='violation'] a").unwrap().expect("the violation links its field");
    assert_eq!(link.get_attribute("href").as_deref(), Some("#topic-settings-cleanup"));
    drop(api);

    // Act: someone else changed the product meanwhile.
    let conflict = json!({ "status": 409, "body": { "code": "conflict", "message": "product `users` changed: revision 4 is stale" } });
    let _api = FakeApi::answering(json!({ "GET /api/v1/policy": policy_answer(), CHANGE_TOPIC: conflict }));
    click(&root, "topic-settings-submit");
    for _ in 0..100 {
        if find(&root, "reload-product").is_some() {
            break;
        }
        sleep(50).await;
    }

    // Assert
    let section = find(&root, "topic-settings").unwrap();
    assert_eq!(text_of(&section, "error-code"), "conflict");
    assert!(find(&section, "reload-product").is_some(), "a stale revision offers to read the product again");
}
