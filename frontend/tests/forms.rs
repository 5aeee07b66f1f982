//! The product metadata form and the create page's schema field, rendered into a real headless Chromium by
//! wasm-bindgen-test, checked with the very policy the API ships (`api/src/default_policy.json`).
//!
//! Run from the repo root, after `eval "$(bash scripts/frontend-tools.sh)"`:
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p meshport-frontend --target wasm32-unknown-unknown --test forms
//! ```

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::wasm_bindgen::{JsCast, JsValue};
use leptos::web_sys::{Element, Event, HtmlElement, HtmlInputElement};
use meshport_frontend::components::form::ProblemSummary;
use meshport_frontend::components::product_form::{ProductForm, ProductFormState};
use meshport_frontend::routes::create::{SchemaDraft, SchemaInput};
use meshport_shared::api::Identity;
use meshport_shared::{DataProduct, GovernancePolicy, TeamName, Violation, ViolationCode};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::type_into;

wasm_bindgen_test_configure!(run_in_browser);

/// The policy the API runs with unless an organisation sets its own: it requires a contact.
fn policy() -> GovernancePolicy {
    serde_json::from_str(include_str!("../../api/src/default_policy.json")).expect("the default policy parses")
}

fn member_of(team: &str) -> Identity {
    Identity {
        subject: "bob".to_owned(),
        name: "Bob".to_owned(),
        teams: vec![TeamName::parse(team).unwrap()],
        admin: false,
        scope: Default::default(),
    }
}

/// A product of team edge that complies with the default policy.
fn clicks() -> DataProduct {
    serde_json::from_value(serde_json::json!({
        "id": "clickstream.raw",
        "name": "Clicks",
        "version": "1.0.0",
        "domain": "analytics",
        "owner": { "team": "edge", "contact": "edge@acme.example" },
        "status": "active",
        "description": { "purpose": "Every click on the web shop" },
        "tags": ["web"],
        "output_port": { "topic": "clickstream.raw", "value_subject": "clickstream.raw-value", "schema_format": "avro" },
        "quality": "raw",
        "sla": "tier-3",
        "revision": 4
    }))
    .expect("the test product is valid")
}

/// A fresh container in the page, so tests never see each other's output; and an empty `sessionStorage`, so no
/// test gets a form draft another one kept (`meshport_frontend::drafts`).
fn container() -> HtmlElement {
    window().session_storage().unwrap().unwrap().clear().unwrap();
    let div: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

fn by_test_id(root: &Element, test_id: &str) -> Element {
    root.query_selector(&format!("[data-testid='{test_id}']"))
        .unwrap()
        .unwrap_or_else(|| panic!("no [data-testid='{test_id}']"))
}

fn text(root: &Element, test_id: &str) -> String {
    by_test_id(root, test_id).text_content().unwrap_or_default()
}

/// Mounts the whole form for the product `start` makes, in a fresh container; answers both.
async fn form_for(start: fn() -> ProductFormState) -> (HtmlElement, ProductFormState) {
    let root = container();
    let form = RwSignal::new(None::<ProductFormState>);
    mount_to(root.clone(), move || {
        let state = start();
        form.set(Some(state));
        view! { <ProductForm state/> }
    })
    .forget();
    leptos::task::tick().await;
    (root, form.get_untracked().expect("the form was mounted"))
}

fn editing_clicks() -> ProductFormState {
    ProductFormState::edit(clicks(), policy(), member_of("edge"))
}

/// Leaves a control, as tabbing away does.
fn leave(root: &Element, test_id: &str) {
    by_test_id(root, test_id).dispatch_event(&Event::new("blur").unwrap()).unwrap();
}

/// Lets timers, fetches and the reactive system run for `ms` milliseconds.
async fn pause(ms: i32) {
    let wait = js_sys::Promise::new(&mut |resolve, _| {
        window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    JsFuture::from(wait).await.unwrap();
}

/// Waits up to five seconds for `condition` to hold.
async fn until(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..100 {
        if condition() {
            return;
        }
        pause(50).await;
    }
    panic!("{what}: not within 5 seconds");
}

#[wasm_bindgen_test]
async fn a_violation_shows_next_to_its_field_and_clears_when_fixed() {
    // Arrange
    let (root, _) = form_for(editing_clicks).await;
    let contact = by_test_id(&root, "field-owner.contact");
    let error = by_test_id(&root, "error-owner.contact");
    assert_eq!(error.text_content().unwrap_or_default(), "", "a compliant product shows no problem");
    assert_eq!(contact.get_attribute("aria-invalid").as_deref(), Some("false"));

    // Act: the contact the policy requires is removed.
    type_into(&root, "field-owner.contact", "");
    leave(&root, "field-owner.contact");
    leptos::task::tick().await;

    // Assert: the validator's violation is next to the field, and the field says it is invalid and why.
    assert!(
        text(&root, "error-owner.contact").contains("the policy requires owner.contact"),
        "got `{}`",
        text(&root, "error-owner.contact")
    );
    assert_eq!(contact.get_attribute("aria-invalid").as_deref(), Some("true"));
    let described_by = contact.get_attribute("aria-describedby").unwrap_or_default();
    assert!(described_by.split(' ').any(|id| Some(id.to_owned()) == error.get_attribute("id")), "{described_by}");

    // Act: fixed.
    type_into(&root, "field-owner.contact", "edge@acme.example");
    leptos::task::tick().await;

    // Assert: gone at once, without leaving the field.
    assert_eq!(text(&root, "error-owner.contact"), "");
    assert_eq!(contact.get_attribute("aria-invalid").as_deref(), Some("false"));
}

#[wasm_bindgen_test]
async fn a_field_keeps_quiet_until_it_is_visited_or_submitted() {
    // Arrange: a new product, its name and purpose still empty.
    let (root, state) = form_for(|| ProductFormState::new(policy(), member_of("edge"), "test.new")).await;
    assert_eq!(text(&root, "error-name"), "", "nobody typed anything yet");

    // Act
    state.reveal_all();
    leptos::task::tick().await;

    // Assert: every required field says so, and the owner was chosen from the person's team.
    assert_eq!(text(&root, "error-name"), "Problem: give the product a name");
    assert_eq!(text(&root, "error-description.purpose"), "Problem: say what the product is for");
    assert!(text(&root, "error-owner.contact").contains("the policy requires owner.contact"));
    assert_eq!(by_test_id(&root, "field-domain").unchecked_into::<web_sys::HtmlSelectElement>().value(), "analytics");
    assert_eq!(by_test_id(&root, "field-owner.team").unchecked_into::<web_sys::HtmlSelectElement>().value(), "edge");
}

#[wasm_bindgen_test]
async fn the_apis_violations_show_next_to_their_fields_until_the_field_changes() {
    // Arrange
    let (root, state) = form_for(editing_clicks).await;

    // Act: a 422 only the server could know about (the input does not exist).
    state.set_server_problems(&[Violation::new(
        ViolationCode::UnknownProduct,
        "inputs[0]",
        "input product `nowhere` does not exist",
    )]);
    leptos::task::tick().await;

    // Assert
    assert!(text(&root, "error-inputs").contains("input product nowhere does not exist"));
    assert_eq!(by_test_id(&root, "field-inputs").get_attribute("aria-invalid").as_deref(), Some("true"));
    type_into(&root, "field-inputs", "users");
    leptos::task::tick().await;
    assert_eq!(text(&root, "error-inputs"), "");
    assert_eq!(state.product().map(|p| p.inputs.len()), Ok(1));
}

#[wasm_bindgen_test]
async fn an_edit_reports_the_edited_product_with_what_the_form_does_not_show() {
    // Arrange
    let (root, state) = form_for(editing_clicks).await;

    // Act
    type_into(&root, "field-name", "Web clicks");
    type_into(&root, "field-tags", "web, clickstream");

    // Assert: the id stays, and revision and status come through for the API's stale-write check.
    let edited = state.product().expect("the edit complies");
    assert_eq!(edited.name, "Web clicks");
    assert_eq!(edited.tags, ["web", "clickstream"]);
    assert_eq!(edited.id.as_str(), "clickstream.raw");
    assert_eq!(edited.revision, 4);
    assert_eq!(by_test_id(&root, "field-id").get_attribute("readonly").as_deref(), Some(""));
}

#[wasm_bindgen_test]
async fn hostile_text_stays_text_in_fields_problems_and_the_summary() {
    // Arrange
    let root = container();
    let hostile = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=1</script>";
    let _view = mount_to(root.clone(), move || {
        let mut product = clicks();
        product.name = hostile.to_owned();
        product.tags = vec!["<b>bold</b>".to_owned()];
        let state = ProductFormState::edit(product, policy(), member_of("edge"));
        state.reveal_all();
        view! {
            <ProblemSummary state title="Fix these" node_ref=NodeRef::new()/>
            <ProductForm state/>
        }
    });
    leptos::task::tick().await;

    // Assert
    let name: HtmlInputElement = by_test_id(&root, "field-name").unchecked_into();
    assert_eq!(name.value(), hostile);
    assert!(text(&root, "error-tags").contains("tag <b>bold</b> must be"), "{}", text(&root, "error-tags"));
    assert!(text(&root, "problem-summary").contains("<b>bold</b>"));
    let quoted = root.query_selector("[data-testid='error-tags'] code").unwrap().expect("the tag is quoted as code");
    assert_eq!(quoted.text_content().as_deref(), Some("<b>bold</b>"));
    assert!(root.query_selector("img, script, b").unwrap().is_none(), "markup must not become elements");
    assert!(js_sys::Reflect::get(&window(), &JsValue::from_str("pwned")).unwrap().is_undefined());
}

#[wasm_bindgen_test]
async fn an_uploaded_avsc_that_is_not_json_is_reported_next_to_the_schema_field() {
    // Arrange
    let root = container();
    let _view = mount_to(root.clone(), || {
        let state = ProductFormState::new(policy(), member_of("edge"), "test.new");
        let schema = SchemaDraft::default();
        view! { <SchemaInput state schema/> }
    });
    leptos::task::tick().await;

    // Act: a browser cannot set a file input's files from Rust; a DataTransfer does it as a drop would.
    let upload = js_sys::Function::new_with_args(
        "input, text",
        "const files = new DataTransfer(); files.items.add(new File([text], 'broken.avsc'));\
         input.files = files.files; input.dispatchEvent(new Event('change', { bubbles: true }));",
    );
    upload
        .call2(&JsValue::NULL, &by_test_id(&root, "schema-file"), &JsValue::from_str("{\"type\": \"record\","))
        .unwrap();

    // Assert
    until("the parse error is shown", || text(&root, "error-schema").contains("not valid JSON")).await;
    assert!(text(&root, "error-schema").contains("line 1"), "{}", text(&root, "error-schema"));
    assert_eq!(by_test_id(&root, "field-schema").get_attribute("aria-invalid").as_deref(), Some("true"));
    assert!(text(&root, "schema-file-name").contains("broken.avsc"));
    let textarea: web_sys::HtmlTextAreaElement = by_test_id(&root, "field-schema").unchecked_into();
    assert_eq!(textarea.value(), "{\"type\": \"record\",", "the file's text is shown to fix");
}

#[wasm_bindgen_test]
async fn a_pasted_schema_that_is_json_has_no_local_problem() {
    // Arrange
    let root = container();
    let _view = mount_to(root.clone(), || {
        let state = ProductFormState::new(policy(), member_of("edge"), "test.new");
        state.reveal_all();
        let schema = SchemaDraft::default();
        view! { <SchemaInput state schema/> }
    });
    leptos::task::tick().await;
    assert_eq!(text(&root, "error-schema"), "Problem: paste or upload the value schema");

    // Act
    type_into(&root, "field-schema", r#"{"type":"record","name":"Click","fields":[{"name":"url","type":"string"}]}"#);
    leptos::task::tick().await;

    // Assert: JSON reads at once; what the API says about it comes later (this test server has no API, so the page
    // says the API could not check it, which never blocks a create).
    assert_eq!(text(&root, "error-schema"), "");
    until("the API was asked", || root.query_selector("[data-testid='schema-unchecked']").unwrap().is_some()).await;
    assert_eq!(text(&root, "error-schema"), "");
}

#[wasm_bindgen_test]
async fn what_was_typed_comes_back_when_the_form_returns_until_it_is_saved() {
    // Arrange: a new product's form, typed into, then gone (as when an expired sign-in swaps it for the prompt).
    let root = container();
    let mount = |root: &HtmlElement, start: fn() -> ProductFormState| {
        let form = RwSignal::new(None::<ProductFormState>);
        let handle = mount_to(root.clone(), move || {
            let state = start();
            form.set(Some(state));
            view! {
                <ProblemSummary state title="Fix these" node_ref=NodeRef::new()/>
                <ProductForm state/>
            }
        });
        (handle, form)
    };
    let fresh = || ProductFormState::new(policy(), member_of("edge"), "test.kept");
    let (first, _) = mount(&root, fresh);
    leptos::task::tick().await;
    assert!(by_test_id(&root, "draft-restored").has_attribute("hidden"), "nothing was kept yet");
    type_into(&root, "field-name", "Kept clicks");
    type_into(&root, "field-tags", "web, kept");
    leptos::task::tick().await;
    drop(first);

    // Act
    let again = container_keeping_storage();
    let (_second, form) = mount(&again, fresh);
    leptos::task::tick().await;

    // Assert: the typed fields are back, and the form says why.
    let name: HtmlInputElement = by_test_id(&again, "field-name").unchecked_into();
    assert_eq!(name.value(), "Kept clicks");
    assert_eq!(form.get_untracked().unwrap().read_untracked(|d| d.tags.clone()), "web, kept");
    assert!(!by_test_id(&again, "draft-restored").has_attribute("hidden"));

    // Once saved, nothing comes back.
    meshport_frontend::drafts::forget(&form.get_untracked().unwrap().draft_key());
    let last = container_keeping_storage();
    let _third = mount(&last, fresh);
    leptos::task::tick().await;
    assert_eq!(by_test_id(&last, "field-name").unchecked_into::<HtmlInputElement>().value(), "");
    assert!(by_test_id(&last, "draft-restored").has_attribute("hidden"));
}

#[wasm_bindgen_test]
async fn an_edit_kept_for_one_revision_does_not_come_back_on_a_newer_one() {
    // Arrange: an edit typed against revision 4.
    let (root, _) = form_for(editing_clicks).await;
    type_into(&root, "field-name", "Edited at revision 4");
    leptos::task::tick().await;

    // Act: the product moved on (someone saved it) before the form came back.
    let again = container_keeping_storage();
    let _view = mount_to(again.clone(), || {
        let product = DataProduct { revision: 5, ..clicks() };
        let state = ProductFormState::edit(product, policy(), member_of("edge"));
        view! { <ProductForm state/> }
    });
    leptos::task::tick().await;

    // Assert: the stored product's name, not an edit of an older version.
    assert_eq!(by_test_id(&again, "field-name").unchecked_into::<HtmlInputElement>().value(), "Clicks");
}

/// A fresh container that leaves `sessionStorage` as it is, for the form that comes back.
fn container_keeping_storage() -> HtmlElement {
    let div: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

#[wasm_bindgen_test]
async fn a_draft_is_its_authors_only_and_signing_out_forgets_it() {
    // Arrange: Bob types into a new product's form, which is then gone.
    let root = container();
    let first = mount_to(root.clone(), || {
        let state = bobs_form();
        view! { <ProductForm state/> }
    });
    leptos::task::tick().await;
    type_into(&root, "field-name", "Bob's clicks");
    leptos::task::tick().await;
    drop(first);

    // Act and assert: Carol, signed in on the same tab, starts blank; Bob gets his back until he signs out.
    let (carol, _view) = mounted_form(carols_form);
    leptos::task::tick().await;
    assert_eq!(by_test_id(&carol, "field-name").unchecked_into::<HtmlInputElement>().value(), "");
    let (bob, _view) = mounted_form(bobs_form);
    leptos::task::tick().await;
    assert_eq!(by_test_id(&bob, "field-name").unchecked_into::<HtmlInputElement>().value(), "Bob's clicks");
    meshport_frontend::session::sign_out();
    let (after, _view) = mounted_form(bobs_form);
    leptos::task::tick().await;
    assert_eq!(by_test_id(&after, "field-name").unchecked_into::<HtmlInputElement>().value(), "");
}

fn bobs_form() -> ProductFormState {
    ProductFormState::new(policy(), member_of("edge"), "publish")
}

fn carols_form() -> ProductFormState {
    let carol = Identity { subject: "carol".to_owned(), ..member_of("edge") };
    ProductFormState::new(policy(), carol, "publish")
}

/// The form `start` makes, in a fresh container that leaves `sessionStorage` as it is.
fn mounted_form(start: fn() -> ProductFormState) -> (HtmlElement, impl Sized) {
    let root = container_keeping_storage();
    let view = mount_to(root.clone(), move || {
        let state = start();
        view! { <ProductForm state/> }
    });
    (root, view)
}
