//! The product page's parts (its breaking changes to sign off and its download as code among them), rendered from
//! hand-made `ProductDetail` answers into a real headless Chromium.
//!
//! Run from the repo root, after `eval "$(bash scripts/frontend-tools.sh)"`:
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p meshport-frontend --target wasm32-unknown-unknown --test product
//! ```

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement, HtmlSelectElement};
use meshport_frontend::api;
use meshport_frontend::components::product_card::ShownProduct;
use meshport_frontend::routes::activity::Change;
use meshport_frontend::routes::product::code::DownloadCode;
use meshport_frontend::routes::product::consume::{
    ConsumeSnippets, PRINCIPAL, java_snippet, kcat_snippet, python_snippet, rust_snippet,
};
use meshport_frontend::routes::product::consumers::ConsumerList;
use meshport_frontend::routes::product::embed::EmbedPanel;
use meshport_frontend::routes::product::history::AuditHistory;
use meshport_frontend::routes::product::lineage::LineageGraph;
use meshport_frontend::routes::product::overview::{ProductHeader, UsageNotes};
use meshport_frontend::routes::product::proposals::ProductProposals;
use meshport_frontend::routes::product::sample::{SampleError, SampleEvents, SamplePanel};
use meshport_frontend::routes::product::schema::SchemaTable;
use meshport_frontend::routes::product::topic::TopicSummary;
use meshport_frontend::routes::product::versions::{ChangeList, SchemaVersions};
use meshport_frontend::routes::product::watch::WatchToggle;
use meshport_frontend::routes::product::{PageDetail, ProductView};
use meshport_shared::api::{ConsumeInfo, ProductDetail, ProductLinks, Sample, VersionSummary};
use meshport_shared::schema::SchemaChange;
use meshport_shared::{ApiError, ErrorCode, TopicFacts};
use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::{
    FakeApi, all, click, container, eventually, find, member_of, proposal, read_as, sleep, text_of, type_into,
};

wasm_bindgen_test_configure!(run_in_browser);

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// The product page's answer for a product like the demo's `users`, as JSON, so tests can change any part of it.
fn detail_json() -> Value {
    json!({
        "product": {
            "id": "users",
            "name": "Users",
            "version": "1.2.0",
            "domain": "membership",
            "owner": { "team": "accounts", "contact": "accounts@acme.example" },
            "status": "active",
            "description": {
                "purpose": "Everyone who signed up, with their plan",
                "usage": "Read it as a table keyed by user id.",
                "limitations": "Email is personal data."
            },
            "tags": ["users", "pii"],
            "output_port": {
                "topic": "membership.users",
                "value_subject": "membership.users-value",
                "schema_format": "avro"
            },
            "quality": "authoritative",
            "sla": "tier-1",
            "personal_fields": ["email", "address.street"],
            "revision": 3,
            "created_at": "2026-01-02T03:04:05Z",
            "updated_at": "2026-02-03T04:05:06.789Z"
        },
        "topic": {
            "name": "membership.users",
            "partitions": 3,
            "replication_factor": 1,
            "configs": { "cleanup.policy": "compact" },
            "history": { "kind": "compacted" },
            "present": true,
            "synced_at": "2026-02-03T04:05:06Z",
            "consumers": []
        },
        "schema": {
            "subject": "membership.users-value",
            "version": 2,
            "id": 7,
            "format": "avro",
            "schema": "{\"type\":\"record\",\"name\":\"User\",\"fields\":[]}",
            "fields": [
                { "name": "userid", "path": "userid", "type_name": "string", "doc": "Stable user id.", "optional": false },
                { "name": "email", "path": "email", "type_name": "string", "doc": "Contact address.",
                  "optional": true, "default": null },
                { "name": "address", "path": "address", "type_name": "record Address", "optional": false, "fields": [
                    { "name": "street", "path": "address.street", "type_name": "string", "optional": false },
                    { "name": "geo", "path": "address.geo", "type_name": "record Geo", "optional": true,
                      "default": null, "fields": [
                        { "name": "lat", "path": "address.geo.lat", "type_name": "double", "optional": false }
                    ] }
                ] }
            ]
        },
        "versions": [ { "version": 1, "id": 5 }, { "version": 2, "id": 7 } ],
        "consumers": [
            { "group": "billing", "partitions": [ { "partition": 0, "committed": 42 }, { "partition": 1, "committed": 7, "lag": 3 } ] }
        ],
        "links": {
            "portal": "https://mesh.acme.example/products/users",
            "embed": "https://mesh.acme.example/embed/products/users",
            "badge": "https://mesh.acme.example/badge/products/users/status.svg",
            "card_width": 480,
            "card_height": 208
        },
        "history": [
            { "id": "2026-02-03T04:05:06Z-a", "at": "2026-02-03T04:05:06Z", "actor": "alice", "product": "users",
              "action": "updated", "summary": "description changed" }
        ],
        "warnings": [],
        "consume": {
            "bootstrap_servers": "kafka-1.acme.example:9092,kafka-2.acme.example:9092",
            "registry_url": "https://registry.acme.example",
            "topic": "membership.users",
            "value_subject": "membership.users-value",
            "format": "avro"
        },
        "lineage": {
            "inputs": [ { "id": "signups", "name": "Sign-ups", "status": "active" } ],
            "downstream": [ { "id": "stocktrades", "name": "Stock trades", "status": "active" } ]
        }
    })
}

fn detail(json: Value) -> ProductDetail {
    serde_json::from_value(json).expect("the test answer is a valid ProductDetail")
}

/// A fresh container in the page, so tests never see each other's output.
/// Every element with this tag name under `root`, in document order (`*` for all).
fn tagged(root: &Element, tag: &str) -> Vec<Element> {
    let found = root.get_elements_by_tag_name(tag);
    (0..found.length()).filter_map(|i| found.item(i)).collect()
}

/// The dotted paths of the schema rows on screen, in order.
fn schema_paths(root: &Element) -> Vec<String> {
    all(root, "schema-field").iter().filter_map(|row| row.get_attribute("data-path")).collect()
}

/// The row of one field path.
fn schema_row(root: &Element, path: &str) -> Element {
    root.query_selector(&format!("[data-testid='schema-field'][data-path='{path}']"))
        .unwrap()
        .unwrap_or_else(|| panic!("no schema row for `{path}`"))
}

fn toggle_of(root: &Element, path: &str) -> HtmlElement {
    find(&schema_row(root, path), "schema-toggle").expect("a record has a toggle").unchecked_into()
}

/// Lets the reactive system apply what a click changed.
async fn settle() {
    leptos::task::tick().await;
}

fn versions(numbers: &[i32]) -> Vec<VersionSummary> {
    numbers.iter().map(|&version| VersionSummary { version, id: version * 10 }).collect()
}

#[wasm_bindgen_test]
fn the_header_shows_the_name_status_and_identity() {
    // Arrange
    let root = container();
    let product: ShownProduct = read_as(detail(detail_json()).product);

    // Act
    let _view = mount_to(root.clone(), move || view! { <ProductHeader product/> });

    // Assert
    assert_eq!(text_of(&root, "product-title"), "Users");
    assert_eq!(text_of(&root, "product-status"), "active");
    assert_eq!(text_of(&root, "product-id"), "users");
    assert_eq!(text_of(&root, "product-version"), "1.2.0");
    assert_eq!(text_of(&root, "product-purpose"), "Everyone who signed up, with their plan");
    assert!(find(&root, "deprecation").is_none(), "an active product has no lifecycle notice");
}

#[wasm_bindgen_test]
fn a_deprecated_product_shows_its_sunset_and_links_its_replacement() {
    // Arrange
    let root = container();
    let mut json = detail_json();
    json["product"]["status"] = json!("deprecated");
    json["product"]["deprecation"] =
        json!({ "sunset": "2026-12-31", "replacement": "users.v2", "message": "Moved to the v2 schema." });
    let product: ShownProduct = read_as(detail(json).product);

    // Act
    let _view = mount_to(root.clone(), move || view! { <ProductHeader product/> });

    // Assert
    assert_eq!(text_of(&root, "product-status"), "deprecated");
    let notice = find(&root, "deprecation").expect("a deprecated product says so");
    assert_eq!(text_of(&notice, "sunset"), "2026-12-31");
    let replacement = find(&notice, "replacement-link").expect("the replacement is linked");
    assert_eq!(replacement.get_attribute("href").as_deref(), Some("/products/users.v2"));
    assert_eq!(replacement.text_content().as_deref(), Some("users.v2"));
    assert!(notice.text_content().unwrap().contains("Moved to the v2 schema."));
}

#[wasm_bindgen_test]
fn the_schema_table_shows_each_fields_type_presence_default_and_doc() {
    // Arrange
    let root = container();
    let schema = detail(detail_json()).schema.unwrap();

    // Act
    let _view =
        mount_to(root.clone(), move || view! { <SchemaTable schema personal_fields=vec!["email".to_owned()]/> });

    // Assert: nested records start closed.
    assert_eq!(schema_paths(&root), ["userid", "email", "address"]);
    let email = schema_row(&root, "email");
    assert_eq!(text_of(&email, "schema-field-name"), "email");
    assert_eq!(text_of(&email, "schema-field-type"), "string");
    assert_eq!(text_of(&email, "schema-field-presence"), "optional");
    assert_eq!(text_of(&email, "schema-field-default"), "null");
    assert_eq!(text_of(&email, "schema-field-doc"), "Contact address.");
    assert!(email.text_content().unwrap().contains("personal data"));
    let userid = schema_row(&root, "userid");
    assert_eq!(text_of(&userid, "schema-field-presence"), "required");
    assert!(find(&userid, "schema-field-default").is_none(), "a field without a default shows none");
    assert!(find(&userid, "schema-toggle").is_none(), "only records open");
    assert_eq!(text_of(&root, "schema-version"), "2");
}

#[wasm_bindgen_test]
async fn a_nested_record_opens_and_closes_with_its_button() {
    // Arrange
    let root = container();
    let schema = detail(detail_json()).schema.unwrap();
    let _view = mount_to(root.clone(), move || view! { <SchemaTable schema/> });
    let toggle = toggle_of(&root, "address");
    assert_eq!(toggle.tag_name(), "BUTTON", "a real button, so Enter and Space work");
    assert_eq!(toggle.get_attribute("type").as_deref(), Some("button"));
    assert_eq!(toggle.get_attribute("aria-expanded").as_deref(), Some("false"));
    assert!(toggle.text_content().unwrap().contains("Fields of address"), "the button has a name");

    // Act: open the record.
    toggle.click();
    settle().await;

    // Assert: its fields follow it, and its own nested record is closed.
    assert_eq!(toggle.get_attribute("aria-expanded").as_deref(), Some("true"));
    assert_eq!(schema_paths(&root), ["userid", "email", "address", "address.street", "address.geo"]);
    assert_eq!(schema_row(&root, "address.geo").get_attribute("data-depth").as_deref(), Some("1"));

    // Act: open the inner record, then close the outer one.
    toggle_of(&root, "address.geo").click();
    settle().await;
    assert_eq!(schema_paths(&root).last().map(String::as_str), Some("address.geo.lat"));
    toggle.click();
    settle().await;

    // Assert
    assert_eq!(toggle.get_attribute("aria-expanded").as_deref(), Some("false"));
    assert_eq!(schema_paths(&root), ["userid", "email", "address"]);
}

#[wasm_bindgen_test]
async fn open_all_and_close_all_reach_every_depth() {
    // Arrange
    let root = container();
    let schema = detail(detail_json()).schema.unwrap();
    let _view = mount_to(root.clone(), move || view! { <SchemaTable schema/> });

    // Act
    find(&root, "schema-expand-all").unwrap().unchecked_into::<HtmlElement>().click();
    settle().await;

    // Assert
    assert_eq!(schema_paths(&root), ["userid", "email", "address", "address.street", "address.geo", "address.geo.lat"]);
    find(&root, "schema-collapse-all").unwrap().unchecked_into::<HtmlElement>().click();
    settle().await;
    assert_eq!(schema_paths(&root), ["userid", "email", "address"]);
}

#[wasm_bindgen_test]
fn a_description_with_markup_is_shown_as_text() {
    // Arrange
    let root = container();
    let mut json = detail_json();
    json["product"]["description"] =
        json!({ "purpose": SCRIPT, "usage": IMG, "limitations": format!("{SCRIPT}{IMG}") });
    let product: ShownProduct = read_as(detail(json).product);
    let description = product.description.clone();

    // Act
    let _view = mount_to(root.clone(), move || {
        view! {
            <ProductHeader product=product.clone()/>
            <UsageNotes description=description.clone()/>
        }
    });

    // Assert
    assert_eq!(text_of(&root, "product-purpose"), SCRIPT);
    assert_eq!(text_of(&root, "product-usage"), IMG);
    assert_eq!(text_of(&root, "product-limitations"), format!("{SCRIPT}{IMG}"));
    assert!(root.query_selector("script, img").unwrap().is_none(), "markup must not become elements");
}

#[wasm_bindgen_test]
fn every_text_a_team_wrote_renders_as_text_on_the_whole_page() {
    // Arrange: markup everywhere a team or the API puts free text.
    let root = container();
    let mut json = detail_json();
    json["product"]["name"] = json!(SCRIPT);
    json["product"]["description"] = json!({ "purpose": IMG, "usage": SCRIPT, "limitations": IMG });
    json["product"]["tags"] = json!([SCRIPT]);
    json["product"]["owner"]["contact"] = json!(IMG);
    json["schema"]["fields"][0]["doc"] = json!(SCRIPT);
    json["history"][0]["summary"] = json!(IMG);
    json["warnings"] = json!([SCRIPT]);
    let detail: PageDetail = read_as(detail(json));

    // Act
    let _view = mount_to(root.clone(), move || view! { <ProductView detail/> });

    // Assert
    assert_eq!(text_of(&root, "product-title"), SCRIPT);
    assert_eq!(text_of(&root, "product-purpose"), IMG);
    assert_eq!(text_of(&root, "product-contact"), IMG);
    assert_eq!(text_of(&root, "warning"), SCRIPT);
    assert!(text_of(&root, "embed-iframe-code").contains("title=\"&lt;script&gt;alert(1)&lt;/script&gt; (Meshport"));
    let injected = "script, img:not([data-testid='embed-badge-preview'])";
    assert!(root.query_selector(injected).unwrap().is_none(), "markup must not become elements");
    assert!(
        tagged(&root, "a").iter().all(|a| !a
            .get_attribute("href")
            .unwrap_or_default()
            .to_lowercase()
            .contains("javascript:")),
        "no link runs script"
    );
}

#[wasm_bindgen_test]
fn the_page_lists_the_apis_warnings() {
    // Arrange
    let root = container();
    let mut json = detail_json();
    json["warnings"] = json!(["topic `membership.users` has not been synced yet"]);
    let detail: PageDetail = read_as(detail(json));

    // Act
    let _view = mount_to(root.clone(), move || view! { <ProductView detail/> });

    // Assert
    assert_eq!(text_of(&root, "warning"), "topic `membership.users` has not been synced yet");
    assert_eq!(text_of(&root, "product-team"), "accounts");
    assert_eq!(
        find(&root, "product-contact").unwrap().query_selector("a").unwrap().unwrap().get_attribute("href").as_deref(),
        Some("mailto:accounts@acme.example")
    );
}

#[wasm_bindgen_test]
fn a_single_version_says_there_is_nothing_to_compare() {
    // Arrange
    let root = container();

    // Act
    let _view =
        mount_to(root.clone(), || view! { <SchemaVersions product_id="users".to_owned() versions=versions(&[1])/> });

    // Assert
    assert_eq!(all(&root, "schema-version-item").len(), 1);
    assert!(find(&root, "diff-unavailable").is_some());
    assert!(find(&root, "diff-form").is_none());
}

#[wasm_bindgen_test]
fn versions_are_listed_newest_first_and_the_comparison_starts_with_the_last_step() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(
        root.clone(),
        || view! { <SchemaVersions product_id="users".to_owned() versions=versions(&[1, 2, 3])/> },
    );

    // Assert
    let listed: Vec<_> =
        all(&root, "schema-version-item").iter().filter_map(|item| item.get_attribute("data-version")).collect();
    assert_eq!(listed, ["3", "2", "1"]);
    assert!(all(&root, "schema-version-item")[0].text_content().unwrap().contains("latest"));
    let from: HtmlSelectElement = find(&root, "diff-from").unwrap().unchecked_into();
    let to: HtmlSelectElement = find(&root, "diff-to").unwrap().unchecked_into();
    assert_eq!((from.value(), to.value()), ("2".to_owned(), "3".to_owned()));
}

#[wasm_bindgen_test]
async fn a_comparison_the_api_cannot_answer_shows_the_error_with_its_code() {
    // Arrange: the test runner's web server stands in for the API and has no diff route.
    let root = container();
    let _view =
        mount_to(root.clone(), || view! { <SchemaVersions product_id="users".to_owned() versions=versions(&[1, 2])/> });

    // Act
    click(&root, "diff-compare");

    // Assert
    let banner = eventually(&root, "error-state").await;
    assert_eq!(text_of(&banner, "error-code"), "unexpected_response");
    assert!(find(&root, "schema-diff").is_none());
}

#[wasm_bindgen_test]
fn a_change_list_puts_breaking_changes_first_and_counts_them() {
    // Arrange
    let root = container();
    let changes: Vec<SchemaChange> = serde_json::from_value(json!([
        { "kind": "field_added", "path": "nickname", "description": "field `nickname` was added with a default", "breaking": false },
        { "kind": "field_removed", "path": "email", "description": format!("field `email` was removed {SCRIPT}"), "breaking": true }
    ]))
    .unwrap();

    // Act
    let _view = mount_to(root.clone(), move || view! { <ChangeList from=1 to=2 changes/> });

    // Assert
    assert_eq!(text_of(&root, "schema-diff-summary"), "2 changes from version 1 to version 2, 1 breaking.");
    let items = all(&root, "schema-change");
    assert_eq!(items[0].get_attribute("data-breaking").as_deref(), Some("true"));
    assert!(items[0].text_content().unwrap().contains(SCRIPT), "descriptions are text");
    assert!(items[1].text_content().unwrap().contains("compatible"));
    assert!(root.query_selector("script").unwrap().is_none());
}

#[wasm_bindgen_test]
fn identical_versions_say_there_is_no_difference() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || view! { <ChangeList from=2 to=3 changes=Vec::new()/> });

    // Assert
    assert_eq!(text_of(&root, "schema-diff-summary"), "No differences from version 2 to version 3.");
}

/// Topic facts with these configs and history kind.
fn topic(configs: Value, history: Value) -> TopicFacts {
    let mut json = detail_json()["topic"].clone();
    json["configs"] = configs;
    json["history"] = history;
    serde_json::from_value(json).unwrap()
}

#[wasm_bindgen_test]
fn the_history_a_new_consumer_can_read_is_said_in_words() {
    let check = |configs: Value, history: Value, words: &str, retention: &str| {
        // Arrange
        let root = container();
        let topic = topic(configs, history);

        // Act
        let _view = mount_to(root.clone(), move || {
            view! { <TopicSummary topic_name="membership.users".to_owned() topic=Some(topic.clone())/> }
        });

        // Assert
        assert_eq!(text_of(&root, "topic-history"), words);
        assert!(text_of(&root, "topic-retention").starts_with(retention), "{}", text_of(&root, "topic-retention"));
        assert_eq!(text_of(&root, "topic-partitions"), "3");
    };
    check(json!({ "retention.ms": "-1" }), json!({ "kind": "full_history" }), "full history", "forever");
    check(
        json!({ "cleanup.policy": "delete", "retention.ms": "604800000" }),
        json!({ "kind": "window", "retention_ms": 604_800_000 }),
        "last 7 days",
        "last 7 days",
    );
    check(
        json!({ "cleanup.policy": "compact" }),
        json!({ "kind": "compacted" }),
        "latest per key (compacted)",
        "no time limit",
    );
}

#[wasm_bindgen_test]
fn each_setting_says_whether_the_topic_sets_it_or_inherits_it() {
    // Arrange
    let root = container();
    let mut json = detail_json()["topic"].clone();
    json["configs"] = json!({ "cleanup.policy": "compact", "retention.ms": "604800000" });
    json["config_sources"] = json!({ "cleanup.policy": "topic", "retention.ms": "default" });
    json["history"] = json!({ "kind": "compacted_window", "retention_ms": 604_800_000 });
    let topic: TopicFacts = serde_json::from_value(json).unwrap();

    // Act
    let _view = mount_to(root.clone(), move || {
        view! { <TopicSummary topic_name="membership.users".to_owned() topic=Some(topic.clone())/> }
    });

    // Assert
    assert_eq!(text_of(&root, "source-cleanup.policy"), "set on the topic");
    assert_eq!(text_of(&root, "source-retention.ms"), "Kafka default");
}

#[wasm_bindgen_test]
fn a_topic_not_synced_yet_says_so() {
    // Arrange
    let root = container();

    // Act
    let _view =
        mount_to(root.clone(), || view! { <TopicSummary topic_name="membership.users".to_owned() topic=None/> });

    // Assert
    assert!(text_of(&root, "topic-unsynced").contains("membership.users"));
    assert!(find(&root, "topic-facts").is_none());
}

#[wasm_bindgen_test]
fn sample_events_show_masked_fields_as_masked_and_other_values_as_text() {
    // Arrange
    let root = container();
    let sample: Sample = serde_json::from_value(json!({
        "masked_fields": ["email"],
        "events": [
            { "partition": 0, "offset": 41, "timestamp": "2026-02-03T04:05:06Z", "key": "***",
              "value": { "userid": "User_1", "email": "***", "regionid": SCRIPT } },
            { "partition": 1, "offset": 7, "value": { "undecodable": "not in Confluent's wire format" } },
            { "partition": 1, "offset": 8, "key": "***", "value": null }
        ]
    }))
    .unwrap();
    let order = vec!["userid".to_owned(), "email".to_owned()];

    // Act
    let _view = mount_to(root.clone(), move || view! { <SampleEvents sample field_order=order/> });

    // Assert
    let mut rows = all(&root, "sample-event");
    assert_eq!(rows.len(), 3);
    rows.reverse(); // Newest first on screen: back to the API's order.
    assert_eq!(all(&rows[0], "masked-value").len(), 2, "the masked key and the masked email");
    let first = rows[0].text_content().unwrap();
    assert!(first.contains("User_1") && first.contains(SCRIPT) && !first.contains("***"), "{first}");
    let headers: Vec<_> = tagged(&root, "th").iter().filter_map(|th| th.text_content()).collect();
    assert_eq!(headers, ["userid", "email", "regionid", "Key", "Time", "Partition", "Offset"], "schema order first");
    assert!(rows[1].text_content().unwrap().contains("Could not decode: not in Confluent's wire format"));
    assert!(rows[2].text_content().unwrap().contains("tombstone"));
    assert!(text_of(&root, "sample-masked-fields").contains("email"));
    assert!(root.query_selector("script").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_sample_is_read_only_on_request_and_a_failure_shows_its_code() {
    // Arrange: the test runner's web server stands in for the API and has no sample route.
    let root = container();
    let _view = mount_to(root.clone(), || view! { <SamplePanel product_id="users".to_owned()/> });
    assert!(find(&root, "sample-idle").is_some(), "nothing is read before the reader asks");
    assert_eq!(text_of(&root, "sample-load"), "Load recent events");

    // Act
    click(&root, "sample-load");

    // Assert
    let failure = eventually(&root, "sample-error").await;
    assert_eq!(text_of(&failure, "error-code"), "unexpected_response");
    assert!(find(&failure, "sample-unavailable").is_none(), "only a 503 is called unavailable");
    assert_eq!(text_of(&root, "sample-load"), "Load again");
}

#[wasm_bindgen_test]
fn a_sample_kafka_cannot_serve_says_it_is_unavailable() {
    // Arrange
    let root = container();
    let error = api::Error::Api {
        status: 503,
        error: ApiError {
            code: ErrorCode::KafkaUnavailable,
            message: "Kafka at 127.0.0.1:9092 did not answer within 3 s".to_owned(),
            details: Vec::new(),
        },
    };

    // Act
    let _view = mount_to(root.clone(), move || view! { <SampleError error retry=|| ()/> });

    // Assert
    assert!(text_of(&root, "sample-unavailable").contains("Kafka cannot be reached"));
    assert_eq!(text_of(&root, "error-code"), "kafka_unavailable");
    assert!(!text_of(&root, "error-message").contains("127.0.0.1:9092"), "the broker's address is for operators");
}

#[wasm_bindgen_test]
fn consumers_show_their_committed_offsets_and_lag() {
    // Arrange
    let root = container();
    let consumers = detail(detail_json()).consumers;

    // Act
    let _view = mount_to(root.clone(), move || view! { <ConsumerList product_id="users".to_owned() consumers/> });

    // Assert
    assert_eq!(text_of(&root, "consumer-group"), "billing");
    assert_eq!(text_of(&root, "consumer-offsets"), "0: 42, 1: 7");
    assert_eq!(text_of(&root, "consumer-lag"), "3 behind (some partitions unknown)");
}

#[wasm_bindgen_test]
fn consumers_show_their_exact_lag_against_the_end_of_each_partition() {
    // Arrange
    let root = container();
    let mut json = detail_json();
    json["consumers"] = json!([
        { "group": "billing", "partitions": [ { "partition": 0, "committed": 1, "end_offset": 3, "lag": 2 } ] },
        { "group": "audit", "partitions": [
            { "partition": 0, "committed": 3, "end_offset": 3, "lag": 0 },
            { "partition": 1, "committed": 5, "end_offset": 5, "lag": 0 }
        ] }
    ]);
    let consumers = detail(json).consumers;

    // Act
    let _view = mount_to(root.clone(), move || view! { <ConsumerList product_id="users".to_owned() consumers/> });

    // Assert
    let offsets: Vec<String> = all(&root, "consumer-offsets").iter().filter_map(|e| e.text_content()).collect();
    let lags: Vec<String> = all(&root, "consumer-lag").iter().filter_map(|e| e.text_content()).collect();
    assert_eq!(offsets, ["0: 1 of 3", "0: 3 of 3, 1: 5 of 5"]);
    assert_eq!(lags, ["2 behind", "up to date"]);
}

#[wasm_bindgen_test]
async fn consumers_show_the_subscribers_and_each_groups_team_and_flag_a_group_no_grant_covers() {
    // Arrange
    let _api = FakeApi::answering(json!({
        "GET /api/v1/products/users/consumers": { "status": 200, "body": {
            "subscribers": ["edge", "insights"],
            "groups": [{ "group": "edge.users", "granted_to": "edge" }, { "group": "legacy" }]
        } }
    }));
    let root = container();
    let mut json = detail_json();
    json["consumers"] = json!([
        { "group": "edge.users", "partitions": [ { "partition": 0, "committed": 1 } ] },
        { "group": "legacy", "partitions": [ { "partition": 0, "committed": 2 } ] }
    ]);
    let consumers = detail(json).consumers;

    // Act
    let _view = mount_to(root.clone(), move || view! { <ConsumerList product_id="users".to_owned() consumers/> });
    eventually(&root, "consumer-ungranted").await;

    // Assert
    assert_eq!(text_of(&root, "consumer-subscribers"), "Subscribers, the teams granted access: edge, insights.");
    let teams: Vec<String> = all(&root, "consumer-team").iter().filter_map(|e| e.text_content()).collect();
    assert_eq!(teams, ["edge", "no grant"]);
}

/// The consume facts of a cluster secured as the local run's is: SASL_PLAINTEXT with `mechanism`.
fn secured(mechanism: &str) -> ConsumeInfo {
    let mut json = detail_json();
    json["consume"]["security"] = json!({ "protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism });
    detail(json).consume
}

/// Every snippet of `info`, by language.
fn snippets(info: &ConsumeInfo) -> [(&'static str, String); 4] {
    let group = "your-team.users";
    [
        ("Rust", rust_snippet(info, group, PRINCIPAL)),
        ("Java", java_snippet(info, group, PRINCIPAL)),
        ("Python", python_snippet(info, group, PRINCIPAL)),
        ("kcat", kcat_snippet(info, PRINCIPAL)),
    ]
}

#[wasm_bindgen_test]
fn on_a_secured_cluster_every_snippet_signs_in_with_a_placeholder_principal_and_a_secret_from_the_environment() {
    // Arrange
    let info = secured("SCRAM-SHA-512");

    // Act
    let [(_, rust), (_, java), (_, python), (_, kcat)] = snippets(&info);

    // Assert
    for (language, snippet) in snippets(&info) {
        assert!(snippet.contains("security.protocol") && snippet.contains("SASL_PLAINTEXT"), "{language}: {snippet}");
        assert!(snippet.contains("sasl.mechanism") && snippet.contains("SCRAM-SHA-512"), "{language}: {snippet}");
        assert!(snippet.contains("<your-principal>"), "{language}: the principal is a placeholder: {snippet}");
        for line in snippet.lines().filter(|line| line.to_lowercase().contains("password")) {
            assert!(
                line.contains("KAFKA_PASSWORD"),
                "{language}: a secret only ever comes from the environment: {line}"
            );
        }
        assert!(snippet.contains("KAFKA_PASSWORD"), "{language}: {snippet}");
    }
    assert!(rust.contains(r#".set("sasl.password", std::env::var("KAFKA_PASSWORD")?)"#), "{rust}");
    assert!(java.contains("org.apache.kafka.common.security.scram.ScramLoginModule required"), "{java}");
    assert!(java.contains(r#"System.getenv("KAFKA_PASSWORD")"#), "{java}");
    assert!(python.starts_with("# pip install") && python.contains("\nimport os\n"), "{python}");
    assert!(python.contains(r#""sasl.password": os.environ["KAFKA_PASSWORD"]"#), "{python}");
    assert!(kcat.contains(r#"-X sasl.username='<your-principal>' -X sasl.password="$KAFKA_PASSWORD""#), "{kcat}");
}

#[wasm_bindgen_test]
fn java_signs_in_with_the_login_module_of_the_mechanism() {
    // Act
    let [_, (_, java), ..] = snippets(&secured("PLAIN"));

    // Assert
    assert!(java.contains("org.apache.kafka.common.security.plain.PlainLoginModule required"), "{java}");
    assert!(!java.contains("ScramLoginModule"), "{java}");
}

#[wasm_bindgen_test]
fn on_an_open_cluster_no_snippet_mentions_security() {
    // Arrange
    let info = detail(detail_json()).consume;

    // Act and Assert
    for (language, snippet) in snippets(&info) {
        for word in ["security.protocol", "sasl.", "KAFKA_PASSWORD", "<your-principal>", "import os"] {
            assert!(!snippet.contains(word), "{language} mentions {word}: {snippet}");
        }
    }
}

#[wasm_bindgen_test]
fn the_consume_facts_name_the_clusters_security_and_where_the_secret_goes() {
    // Arrange
    let root = container();
    let consume = secured("SCRAM-SHA-512");

    // Act
    let _view = mount_to(root.clone(), move || view! { <ConsumeSnippets product_id="users".to_owned() consume/> });

    // Assert
    assert_eq!(text_of(&root, "consume-security"), "SASL_PLAINTEXT, SCRAM-SHA-512");
    assert!(text_of(&root, "consume-note").contains("KAFKA_PASSWORD"));
    assert!(text_of(&root, "consume-snippet").contains("sasl.username"), "the first tab's snippet signs in");
}

#[wasm_bindgen_test]
fn an_open_cluster_has_no_security_fact() {
    // Arrange
    let root = container();
    let consume = detail(detail_json()).consume;

    // Act
    let _view = mount_to(root.clone(), move || view! { <ConsumeSnippets product_id="users".to_owned() consume/> });

    // Assert
    assert!(find(&root, "consume-security").is_none());
    assert!(!text_of(&root, "consume-note").contains("KAFKA_PASSWORD"));
}

#[wasm_bindgen_test]
async fn every_snippet_is_filled_with_the_topic_bootstrap_servers_subject_and_registry() {
    // Arrange
    let root = container();
    let consume = detail(detail_json()).consume;
    let _view = mount_to(root.clone(), move || view! { <ConsumeSnippets product_id="users".to_owned() consume/> });
    assert_eq!(text_of(&root, "consume-bootstrap"), "kafka-1.acme.example:9092,kafka-2.acme.example:9092");
    assert_eq!(text_of(&root, "consume-topic"), "membership.users");
    let tabs = all(&root, "consume-tab");
    let names: Vec<_> = tabs.iter().filter_map(|tab| tab.text_content()).collect();
    assert_eq!(names, ["Rust", "Java", "Python", "kcat"]);

    for (i, tab) in tabs.iter().enumerate() {
        // Act
        tab.clone().unchecked_into::<HtmlElement>().click();
        settle().await;

        // Assert
        assert_eq!(tab.get_attribute("aria-selected").as_deref(), Some("true"), "{}", names[i]);
        let snippet = text_of(&root, "consume-snippet");
        assert!(snippet.contains("membership.users"), "{}: the topic", names[i]);
        assert!(snippet.contains("kafka-1.acme.example:9092,kafka-2.acme.example:9092"), "{}: the servers", names[i]);
        assert!(snippet.contains("https://registry.acme.example"), "{}: the registry", names[i]);
        assert_eq!(all(&root, "consume-snippet").len(), 1, "one panel at a time");
    }
    assert!(text_of(&root, "consume-snippet").contains("-s value=avro"), "kcat decodes Avro");
}

#[wasm_bindgen_test]
async fn the_snippet_tabs_follow_the_arrow_keys() {
    // Arrange
    let root = container();
    let consume = detail(detail_json()).consume;
    let _view = mount_to(root.clone(), move || view! { <ConsumeSnippets product_id="users".to_owned() consume/> });
    let tabs = all(&root, "consume-tab");
    let key = |target: &Element, key: &str| {
        // web-sys is built without `KeyboardEventInit`; the constructor with its options is plain JavaScript.
        let event = js_sys::eval(&format!("new KeyboardEvent('keydown', {{ key: '{key}', bubbles: true }})"))
            .unwrap()
            .unchecked_into::<web_sys::Event>();
        target.dispatch_event(&event).unwrap();
    };

    // Act
    key(&tabs[0], "ArrowLeft");
    settle().await;

    // Assert: wraps to the last tab, which takes the focus and the only tab stop.
    assert_eq!(tabs[3].get_attribute("aria-selected").as_deref(), Some("true"));
    assert_eq!(tabs[3].get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(tabs[0].get_attribute("tabindex").as_deref(), Some("-1"));
    assert_eq!(document().active_element().as_ref(), Some(&tabs[3]));
    key(&tabs[3], "Home");
    settle().await;
    assert_eq!(tabs[0].get_attribute("aria-selected").as_deref(), Some("true"));
    assert!(text_of(&root, "consume-snippet").contains("rdkafka"));
}

#[wasm_bindgen_test]
fn kcat_quotes_what_a_shell_would_split() {
    // Arrange
    let mut consume = detail(detail_json()).consume;
    consume.registry_url = "https://user's registry".to_owned();

    // Act
    let command = kcat_snippet(&consume, PRINCIPAL);

    // Assert
    assert!(command.contains("-r 'https://user'\\''s registry'"), "{command}");
    assert!(command.contains("-b kafka-1.acme.example:9092,kafka-2.acme.example:9092 -t membership.users"));
}

#[wasm_bindgen_test]
fn lineage_links_inputs_and_downstream_products_and_names_the_consumer_groups() {
    // Arrange
    let root = container();
    let lineage = detail(detail_json()).lineage;
    let groups = vec!["billing".to_owned()];

    // Act
    let _view = mount_to(root.clone(), move || view! { <LineageGraph name="Users".to_owned() lineage groups/> });

    // Assert
    let input = find(&root, "lineage-input").expect("the input is drawn");
    assert_eq!(input.get_attribute("href").as_deref(), Some("/products/signups"));
    assert!(input.text_content().unwrap().contains("Sign-ups"));
    let downstream = find(&root, "lineage-downstream").expect("the downstream product is drawn");
    assert_eq!(downstream.get_attribute("href").as_deref(), Some("/products/stocktrades"));
    assert_eq!(text_of(&root, "lineage-self"), "Users");
    assert!(text_of(&root, "lineage-group").contains("billing"));
    assert_eq!(
        text_of(&root, "lineage-summary"),
        "Users is made from 1 product and read by 1 product and 1 consumer group."
    );
}

#[wasm_bindgen_test]
fn a_product_nothing_reads_says_so() {
    // Arrange
    let root = container();

    // Act
    let _view = mount_to(root.clone(), || {
        view! { <LineageGraph name="Users".to_owned() lineage=Default::default() groups=Vec::new()/> }
    });

    // Assert
    assert!(find(&root, "lineage-no-inputs").is_some());
    assert!(find(&root, "lineage-no-readers").is_some());
}

/// The embed panel of the fixture's product, with this name and the card height the API proposed.
fn embed_panel(name: &str, card_height: u32) -> (HtmlElement, impl Sized) {
    let root = container();
    let links = ProductLinks { card_height, ..detail(detail_json()).links };
    let name = name.to_owned();
    let view = mount_to(root.clone(), move || {
        view! { <EmbedPanel id="users".to_owned() name=name.clone() links=links.clone()/> }
    });
    (root, view)
}

#[wasm_bindgen_test]
fn the_embed_panel_offers_the_card_oembed_and_badges_of_the_product() {
    // Arrange and act
    let (root, _view) = embed_panel("Users", 208);

    // Assert
    assert_eq!(
        text_of(&root, "embed-iframe-code"),
        "<iframe src=\"https://mesh.acme.example/embed/products/users\" width=\"480\" height=\"208\" \
         title=\"Users (Meshport data product)\" style=\"border:0;max-width:100%\" loading=\"lazy\" \
         referrerpolicy=\"no-referrer\" sandbox=\"allow-popups allow-popups-to-escape-sandbox\"></iframe>"
    );
    assert_eq!(
        text_of(&root, "embed-oembed-url"),
        "https://mesh.acme.example/oembed?url=https%3A%2F%2Fmesh.acme.example%2Fproducts%2Fusers&format=json"
    );
    let badges = text_of(&root, "embed-badges");
    for kind in ["status", "quality", "sla"] {
        let line = format!(
            "[![{kind}](https://mesh.acme.example/badge/products/users/{kind}.svg)](https://mesh.acme.example/products/users)"
        );
        assert!(badges.contains(&line), "{badges}");
    }
    let preview = find(&root, "embed-preview").expect("a live preview of the card");
    assert_eq!(preview.get_attribute("src").as_deref(), Some("https://mesh.acme.example/embed/products/users"));
    assert_eq!(all(&root, "embed-badge-preview").len(), 3);
}

#[wasm_bindgen_test]
async fn the_dark_theme_changes_the_code_and_the_preview() {
    // Arrange
    // A deprecated product's card carries a banner: the API proposes it taller, and the code follows.
    let (root, _view) = embed_panel("Users", 272);
    assert!(text_of(&root, "embed-iframe-code").contains("width=\"480\" height=\"272\""));

    // Act
    click(&root, "embed-theme-dark");
    settle().await;

    // Assert
    let dark = "https://mesh.acme.example/embed/products/users?theme=dark";
    assert!(text_of(&root, "embed-iframe-code").contains(&format!("src=\"{dark}\"")));
    assert_eq!(find(&root, "embed-preview").unwrap().get_attribute("src").as_deref(), Some(dark));
}

#[wasm_bindgen_test]
fn a_name_with_markup_is_escaped_in_the_code_people_paste() {
    // Arrange and act
    let (root, _view) = embed_panel(IMG, 208);

    // Assert
    let code = text_of(&root, "embed-iframe-code");
    assert!(code.contains("title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt; (Meshport data product)\""), "{code}");
    assert!(root.query_selector("img:not([data-testid='embed-badge-preview'])").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn copy_says_copied_or_selects_the_text_to_copy_by_hand() {
    // Arrange
    let (root, _view) = embed_panel("Users", 208);
    let block = find(&root, "embed-oembed-url").unwrap().closest(".copy-block").unwrap().unwrap();
    assert_eq!(text_of(&block, "copy-status"), "");
    assert_eq!(find(&block, "copy-status").unwrap().get_attribute("role").as_deref(), Some("status"));

    // Act
    click(&block, "copy-button");
    for _ in 0..40 {
        if !text_of(&block, "copy-status").is_empty() {
            break;
        }
        sleep(25).await;
    }

    // Assert: a headless browser without focus may refuse the clipboard; then the text is selected instead.
    let status = text_of(&block, "copy-status");
    let selected = js_sys::eval("String(window.getSelection())").unwrap().as_string().unwrap();
    match status.as_str() {
        "Copied" => {}
        said if said.starts_with("Selected") => assert_eq!(selected, text_of(&block, "embed-oembed-url")),
        said => panic!("the copy button said {said:?}"),
    }
}

#[wasm_bindgen_test]
fn history_lists_who_did_what_and_when() {
    // Arrange
    let root = container();
    let entries: Vec<Change> = read_as(detail(detail_json()).history);

    // Act
    let _view = mount_to(root.clone(), move || view! { <AuditHistory entries/> });

    // Assert
    let entry = find(&root, "history-entry").unwrap();
    assert_eq!(text_of(&entry, "history-action"), "updated");
    assert_eq!(text_of(&entry, "history-actor"), "alice");
    assert_eq!(text_of(&entry, "history-summary"), "description changed");
    assert!(entry.text_content().unwrap().contains("2026-02-03 04:05 UTC"));
}

#[wasm_bindgen_test]
async fn watching_sends_the_address_given_and_offers_unwatch_and_mute_once_watching() {
    // Arrange
    let watching = json!({ "watching": true, "muted": false, "muted_all": false, "email": "ada@acme.example" });
    let api = FakeApi::answering(json!({
        "GET /api/v1/products/users/watch": { "status": 200, "body": {
            "watching": false, "muted": false, "muted_all": false
        } },
        "PUT /api/v1/products/users/watch": { "status": 200, "body": watching },
    }));
    let root = container();
    let _view = mount_to(root.clone(), || view! { <WatchToggle product_id="users".to_owned()/> });
    eventually(&root, "watch-email").await;

    // Act
    type_into(&root, "watch-email", "ada@acme.example");
    click(&root, "watch");
    eventually(&root, "unwatch").await;

    // Assert
    assert_eq!(api.sent("PUT /api/v1/products/users/watch"), [json!({ "email": "ada@acme.example", "muted": false })]);
    assert_eq!(text_of(&root, "watch-state"), "You watch it: you are told by email when it changes.");
    assert!(find(&root, "watch-mute").is_some(), "a watcher can mute the product");
}

fn mount_proposals() -> (HtmlElement, impl Sized) {
    let root = container();
    let view = mount_to(root.clone(), || view! { <ProductProposals product_id="users".to_owned()/> });
    (root, view)
}

#[wasm_bindgen_test]
async fn a_subscribing_team_sees_who_must_still_approve_and_objects_with_a_reason() {
    // Arrange
    member_of("edge");
    let approved = json!([{ "team": "insights", "vote": "approve", "by": "carol", "at": "2026-12-05T10:00:00Z" }]);
    let api = FakeApi::answering(json!({
        "GET /api/v1/products/users/proposals": { "status": 200, "body": [proposal("p1", "open", approved)] },
        "POST /api/v1/proposals/p1/object": { "status": 200, "body": proposal("p1", "objected", json!([])) },
    }));
    let (root, _view) = mount_proposals();
    let row = eventually(&root, "proposal").await;
    assert_eq!(text_of(&row, "proposal-breaking"), "Breaking: field `plan` was removed");
    assert_eq!(
        text_of(&row, "proposal-waiting"),
        "Waiting for edge to approve. Approved on 2027-01-31 unless a team objects."
    );
    assert_eq!(text_of(&row, "proposal-votes"), "insights approved");
    assert!(find(&row, "proposal-withdraw").is_none(), "only the owners withdraw");

    // Act
    click(&row, "proposal-object");
    eventually(&root, "proposal-reason-form").await;
    type_into(&root, "proposal-reason", "Our dashboards read `plan`");
    click(&root, "proposal-confirm");
    sleep(300).await;

    // Assert
    assert_eq!(
        api.sent("POST /api/v1/proposals/p1/object"),
        [json!({ "team": "edge", "reason": "Our dashboards read `plan`", "revision": 2 })]
    );
    assert_eq!(api.sent("GET /api/v1/products/users/proposals").len(), 2, "the proposals are read again");
    meshport_frontend::session::sign_out();
}

#[wasm_bindgen_test]
async fn of_the_closed_proposals_only_the_newest_shows_with_its_new_major_version() {
    // Arrange
    member_of("accounts");
    let mut applied = proposal("p2", "applied", json!([]));
    applied["new_product"] = json!("users.v2");
    let _api = FakeApi::answering(json!({
        "GET /api/v1/products/users/proposals": { "status": 200, "body": [
            applied, proposal("p1", "withdrawn", json!([]))
        ] },
    }));

    // Act
    let (root, _view) = mount_proposals();
    eventually(&root, "proposal").await;

    // Assert
    let rows = all(&root, "proposal");
    assert_eq!(rows.iter().map(|r| r.get_attribute("data-proposal-id").unwrap()).collect::<Vec<_>>(), ["p2"]);
    assert!(text_of(&root, "proposal-successor").contains("users.v2"));
    assert!(find(&root, "proposal-waiting").is_none() && find(&root, "proposal-approve").is_none());
    assert!(find(&root, "proposal-withdraw").is_none(), "an applied change is not withdrawn");
    meshport_frontend::session::sign_out();
}

#[wasm_bindgen_test]
async fn a_product_without_proposals_shows_nothing_and_a_reader_not_signed_in_asks_for_none() {
    // Arrange
    meshport_frontend::session::sign_out();
    let api = FakeApi::answering(json!({
        "GET /api/v1/products/users/proposals": { "status": 200, "body": [] },
    }));

    // Act
    let (root, _view) = mount_proposals();
    sleep(200).await;

    // Assert
    assert!(find(&root, "product-proposals").is_none());
    assert!(api.sent("GET /api/v1/products/users/proposals").is_empty(), "the API answers signed-in people only");

    // Signed in, the list is asked for; empty, nothing shows.
    member_of("edge");
    let (signed_in, _view) = mount_proposals();
    sleep(200).await;
    assert_eq!(api.sent("GET /api/v1/products/users/proposals").len(), 1);
    assert!(find(&signed_in, "product-proposals").is_none(), "no proposals, no section");
    meshport_frontend::session::sign_out();
}

/// Makes the API answer `users`' export with `answer` (a JavaScript expression of the file's `part` giving a
/// `Response`), and records the file each link's click would save instead of saving it.
fn intercept_export(answer: &str) {
    js_sys::eval(&format!(
        "window.realFetch = window.realFetch || window.fetch; \
         window.fetch = async (input, init) => {{ \
           const url = new URL(new Request(input, init).url); \
           if (url.pathname !== '/api/v1/products/users/export') return window.realFetch(input, init); \
           const part = url.searchParams.get('part'); \
           return {answer}; \
         }}; \
         window.savedFiles = []; window.realAnchorClick = HTMLAnchorElement.prototype.click; \
         HTMLAnchorElement.prototype.click = function () {{ window.savedFiles.push([this.download, this.href]); }};"
    ))
    .unwrap();
}

/// The files the links' recorded clicks saved (`window.savedFiles`), each with its content; then fetch and links
/// work as before [`intercept_export`].
async fn saved_files() -> Vec<(String, String)> {
    let promise = js_sys::eval(
        "Promise.all((window.savedFiles || []).map(async ([name, href]) => [name, await (await fetch(href)).text()]))",
    )
    .unwrap();
    let files = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await.unwrap();
    js_sys::eval("HTMLAnchorElement.prototype.click = window.realAnchorClick; window.fetch = window.realFetch")
        .unwrap();
    serde_json::from_str(&js_sys::JSON::stringify(&files).unwrap().as_string().unwrap()).unwrap()
}

#[wasm_bindgen_test]
async fn download_as_code_saves_the_products_odps_and_odcs_files() {
    // Arrange: the API answers each file as YAML text; a link's click records the file it saves.
    intercept_export(
        "new Response(`apiVersion: ${part}\\nid: users\\n`, { headers: { 'content-type': 'application/yaml' } })",
    );
    let root = container();
    let _view = mount_to(root.clone(), || view! { <DownloadCode product_id="users".to_owned()/> });
    let button = find(&root, "code-download-button").unwrap();
    assert_eq!(button.tag_name(), "BUTTON");
    assert_eq!(button.text_content().as_deref(), Some("Download as code"));
    assert!(root.text_content().unwrap_or_default().contains("meshport product export users"), "the CLI's way");

    // Act
    click(&root, "code-download-button");
    sleep(300).await;

    // Assert
    let files = saved_files().await;
    assert_eq!(
        files,
        [
            ("users.odps.yaml".to_owned(), "apiVersion: odps\nid: users\n".to_owned()),
            ("users.odcs.yaml".to_owned(), "apiVersion: odcs\nid: users\n".to_owned()),
        ]
    );
    assert_eq!(text_of(&root, "code-download-problem"), "");
}

#[wasm_bindgen_test]
async fn a_download_the_api_refuses_says_why_and_saves_nothing() {
    // Arrange: the product's file is answered, its contract's refused; a link's click records the file it saves.
    intercept_export(
        "part === 'odps' ? new Response('id: users\\n') \
         : new Response(JSON.stringify({ code: 'not_found', message: 'no data product `users`' }), \
             { status: 404, headers: { 'content-type': 'application/json' } })",
    );
    let root = container();
    let _view = mount_to(root.clone(), || view! { <DownloadCode product_id="users".to_owned()/> });

    // Act
    click(&root, "code-download-button");
    sleep(300).await;

    // Assert
    let files = saved_files().await;
    assert_eq!(text_of(&root, "code-download-problem"), "not_found: no data product `users`");
    assert!(files.is_empty(), "no half of the pair is saved: {files:?}");
}
