//! Products as code end to end: a product exported as ODPS and ODCS YAML, the contract accepted by an independent
//! tool (datacontract-cli's `lint`), the same files imported through the lifecycle (idempotent, unknown fields
//! kept), their schema changes evolving it (compatible ones registered, breaking ones refused unless the files ask
//! for the next major version, which waits for its subscribers' sign-off), and hostile or policy-breaking files
//! refused with every problem at once.

use crate::common;

use meshport_api::code::yaml;
use meshport_shared::api::{CreateRequest, TopicSettings};
use meshport_shared::{ApiError, AuditAction, DataProduct, ErrorCode, ProductStatus, ViolationCode};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use common::{Answer, TestApp, Who, product, unique};

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"com.acme.execution","fields":[
  {"name":"id","type":"string","doc":"Order id."},
  {"name":"cents","type":"long"},
  {"name":"placed","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"note","type":["null","string"],"default":null}]}"#;

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await
}

/// A product of `trading` created with its topic and schema.
async fn created(app: &TestApp) -> DataProduct {
    let id = unique("codeorders");
    let mut product = product(&id, "execution");
    product.description.usage = "Join on id.".into();
    product.personal_fields = vec!["note".into()];
    let topic = TopicSettings {
        partitions: 2,
        replication_factor: 1,
        retention_ms: Some(86_400_000),
        cleanup_policy: "delete".into(),
    };
    let request = CreateRequest { product, topic, schema: ORDER.into() };
    let response = app.as_(Who::Owner).request(Method::POST, "/api/v1/products/create").await.json(&request);
    response.send().await.unwrap().ok().await
}

async fn export(app: &TestApp, who: Who, id: &impl std::fmt::Display) -> (Value, Value) {
    let files: Value = app.as_(who).get(&format!("/api/v1/products/{id}/export")).await.ok().await;
    let read = |part: &str| yaml::read(files[part].as_str().unwrap(), yaml::LIMITS).unwrap();
    (read("odps"), read("odcs"))
}

async fn import(app: &TestApp, who: Who, odps: &str, odcs: &str, dry_run: bool) -> Response {
    let path = format!("/api/v1/products/import?dry_run={dry_run}");
    let body = json!({"odps": odps, "odcs": odcs});
    app.as_(who).request(Method::POST, &path).await.json(&body).send().await.unwrap()
}

async fn import_values(app: &TestApp, odps: &Value, odcs: &Value, dry_run: bool) -> Response {
    import(app, Who::Owner, &yaml::write(odps), &yaml::write(odcs), dry_run).await
}

async fn history_len(app: &TestApp, product: &DataProduct) -> usize {
    app.state.mesh.catalog.product_history(&product.id, 100).await.unwrap().len()
}

fn datacontract() -> String {
    std::env::var("MESHPORT_TEST_DATACONTRACT").unwrap_or_else(|_| {
        panic!(
            "MESHPORT_TEST_DATACONTRACT is not set: these tests hand the exported contract to datacontract-cli, which \
             scripts/common.sh's ensure_datacontract installs; run them with scripts/test (or source \
             scripts/common.sh and call ensure_datacontract)"
        )
    })
}

#[tokio::test]
async fn an_exported_contract_is_accepted_by_datacontract_lint() {
    let app = spawn().await;
    let product = created(&app).await;
    let response = app.as_(Who::OtherTeam).get(&format!("/api/v1/products/{}/export?part=odcs", product.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/yaml; charset=utf-8");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert_eq!(disposition, format!("attachment; filename=\"{}.odcs.yaml\"", product.id));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("contract.odcs.yaml");
    std::fs::write(&file, response.text().await.unwrap()).unwrap();

    let lint = std::process::Command::new(datacontract()).arg("lint").arg(&file).output().unwrap();

    let said = format!("{}{}", String::from_utf8_lossy(&lint.stdout), String::from_utf8_lossy(&lint.stderr));
    assert!(lint.status.success(), "datacontract lint refused the export:\n{said}");
    assert!(said.contains("valid against ODCS v3.1.0"), "{said}");
}

#[tokio::test]
async fn importing_a_products_own_files_changes_nothing() {
    let app = spawn().await;
    let product = created(&app).await;
    let audited = history_len(&app, &product).await;
    let (odps, odcs) = export(&app, Who::Owner, &product.id).await;

    let outcome: Value = import_values(&app, &odps, &odcs, false).await.ok().await;

    assert_eq!(outcome["change"], "unchanged");
    let stored = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    assert_eq!(stored, product, "same revision, nothing written");
    assert_eq!(history_len(&app, &product).await, audited, "no audit entry for a no-op");
}

/// The files of a product exported, renamed to a new id and topic.
fn renamed(odps: &Value, odcs: &Value, id: &str) -> (Value, Value) {
    let (mut odps, mut odcs) = (odps.clone(), odcs.clone());
    odps["id"] = id.into();
    odps["outputPorts"][0]["name"] = id.into();
    odps["outputPorts"][0]["contractId"] = id.into();
    odcs["id"] = id.into();
    odcs["schema"][0]["name"] = id.into();
    odcs["schema"][0]["physicalName"] = id.into();
    odcs["schema"][0]["customProperties"][0]["value"] = format!("{id}-value").into();
    (odps, odcs)
}

#[tokio::test]
async fn new_files_create_topic_schema_and_product_once_and_keep_what_meshport_does_not_use() {
    let app = spawn().await;
    let template = created(&app).await;
    let (odps, odcs) = export(&app, Who::Owner, &template.id).await;
    let id = unique("codeimported");
    let (mut odps, mut odcs) = renamed(&odps, &odcs, &id);
    odps["tenant"] = "acme".into();
    odps["customProperties"].as_array_mut().unwrap().push(json!({"property": "costCenter", "value": "cc-42"}));
    odcs["schema"][0]["properties"][0]["classification"] = "restricted".into();
    odcs["price"] = json!({"priceAmount": 1, "priceCurrency": "EUR", "priceUnit": "megabyte"});
    odcs.as_object_mut().unwrap().remove("contractCreatedTs");
    odps.as_object_mut().unwrap().remove("productCreatedTs");

    let first: Value = import_values(&app, &odps, &odcs, false).await.ok().await;
    let second: Value = import_values(&app, &odps, &odcs, false).await.ok().await;

    assert_eq!((first["change"].as_str(), second["change"].as_str()), (Some("created"), Some("unchanged")));
    let stored: DataProduct = serde_json::from_value(second["product"].clone()).unwrap();
    assert_eq!((stored.status, stored.revision), (ProductStatus::Active, 2), "the draft, then its activation");
    let subject = app.state.mesh.registry.versions(&format!("{id}-value")).await.unwrap();
    assert_eq!(subject.len(), 1, "the contract's schema was registered");
    let (odps_after, odcs_after) = export(&app, Who::OtherTeam, &id).await;
    assert_eq!(odps_after["tenant"], "acme");
    assert_eq!(odps_after["customProperties"][1], json!({"property": "costCenter", "value": "cc-42"}));
    assert_eq!(odcs_after["schema"][0]["properties"][0]["classification"], "restricted");
    assert_eq!(odcs_after["price"]["priceUnit"], "megabyte");
    assert_eq!(odcs_after["schema"][0]["customProperties"][2]["value"], ORDER, "the Avro text, exactly");
}

#[tokio::test]
async fn a_dry_run_answers_the_update_and_changes_nothing_then_the_update_is_one_revision() {
    let app = spawn().await;
    let product = created(&app).await;
    let (mut odps, odcs) = export(&app, Who::Owner, &product.id).await;
    odps["description"]["purpose"] = "Every order, as placed.".into();

    let dry: Value = import_values(&app, &odps, &odcs, true).await.ok().await;
    let unchanged = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    let applied: Value = import_values(&app, &odps, &odcs, false).await.ok().await;

    assert_eq!((dry["change"].as_str(), dry["dry_run"].as_bool()), (Some("updated"), Some(true)));
    assert_eq!(dry["product"]["revision"], product.revision + 1);
    assert_eq!(unchanged, product, "a dry run writes nothing");
    assert_eq!(applied["change"], "updated");
    assert_eq!(applied["product"]["description"]["purpose"], "Every order, as placed.");
    assert_eq!(applied["product"]["revision"], product.revision + 1);
}

#[tokio::test]
async fn only_the_owning_team_imports_its_product() {
    let app = spawn().await;
    let product = created(&app).await;
    let (mut odps, odcs) = export(&app, Who::Owner, &product.id).await;
    odps["name"] = "Taken over".into();

    let (status, error) =
        import(&app, Who::OtherTeam, &yaml::write(&odps), &yaml::write(&odcs), false).await.error().await;

    assert_eq!((status, error.code), (StatusCode::FORBIDDEN, ErrorCode::Forbidden));
}

#[tokio::test]
async fn files_that_break_the_policy_get_every_violation_at_once() {
    let app = spawn().await;
    let product = created(&app).await;
    let (mut odps, odcs) = export(&app, Who::Owner, &product.id).await;
    odps["version"] = "one".into();
    odps["tags"] = json!(["not a tag!"]);

    let (status, error) = import_values(&app, &odps, &odcs, false).await.error().await;

    assert_eq!((status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    let codes: Vec<ViolationCode> = error.details.iter().map(|v| v.code).collect();
    assert!(codes.contains(&ViolationCode::InvalidVersion) && codes.contains(&ViolationCode::InvalidTag), "{codes:?}");
}

fn invalid_document(error: &ApiError) -> Vec<(&str, &str)> {
    assert_eq!(error.code, ErrorCode::ValidationFailed);
    error
        .details
        .iter()
        .inspect(|v| assert_eq!(v.code, ViolationCode::InvalidDocument, "{v:?}"))
        .map(|v| (v.field.as_str(), v.message.as_str()))
        .collect()
}

#[tokio::test]
async fn hostile_and_malformed_files_get_a_clear_4xx() {
    let app = spawn().await;
    let product = created(&app).await;
    let (odps, odcs) = export(&app, Who::Owner, &product.id).await;
    let (odps_text, odcs_text) = (yaml::write(&odps), yaml::write(&odcs));
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h"].iter().zip(["a", "b", "c", "d", "e", "f", "g"]) {
        let refs = vec![format!("*{previous}"); 10].join(", ");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let mut wrong_version = odps.clone();
    wrong_version["apiVersion"] = "v0.9.0".into();
    let mut wrong_type = odcs.clone();
    wrong_type["slaProperties"] = "tier-1".into();

    let (status, error) = import(&app, Who::Owner, &bomb, &odcs_text, false).await.error().await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = invalid_document(&error);
    assert_eq!(problems[0].0, "odps");
    assert!(problems[0].1.contains("more than 50000 values"), "{problems:?}");

    let (status, error) = import(&app, Who::Owner, &odps_text, &deep, false).await.error().await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid_document(&error)[0].1.contains("deeper than 32 levels"), "{error:?}");

    let (_, error) = import(&app, Who::Owner, "id: [unclosed", "- a\nb: c", false).await.error().await;
    let problems = invalid_document(&error);
    assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), ["odps", "odcs"], "both files' problems at once");

    let (status, error) = import_values(&app, &wrong_version, &wrong_type, false).await.error().await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = invalid_document(&error);
    assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), ["odps.apiVersion", "odcs.slaProperties"]);
    assert!(problems[0].1.contains("`v0.9.0` is not supported: Meshport reads v1.0.0"), "{problems:?}");

    let huge = format!("description: \"{}\"\n", "x".repeat(300 * 1024));
    let (status, error) = import(&app, Who::Owner, &huge, &odcs_text, false).await.error().await;
    assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge));

    let stored = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    assert_eq!(stored, product, "nothing was written");
}

#[tokio::test]
async fn an_update_that_leaves_extensions_out_keeps_what_the_files_said() {
    // Arrange: files with a field Meshport does not use, imported.
    let app = spawn().await;
    let product = created(&app).await;
    let (mut odps, odcs) = export(&app, Who::Owner, &product.id).await;
    odps["tenant"] = "acme".into();
    let imported: Value = import_values(&app, &odps, &odcs, false).await.ok().await;

    // Act: a change as the portal sends it, without `extensions`.
    let mut edit = imported["product"].clone();
    edit.as_object_mut().unwrap().remove("extensions");
    edit["name"] = "Renamed in the portal".into();
    let path = format!("/api/v1/products/{}", product.id);
    let response = app.as_(Who::Owner).request(Method::PUT, &path).await.json(&edit).send().await.unwrap();
    let _: Value = response.ok().await;

    // Assert
    let (odps_after, _) = export(&app, Who::OtherTeam, &product.id).await;
    assert_eq!(odps_after["name"], "Renamed in the portal");
    assert_eq!(odps_after["tenant"], "acme");
}

/// A field with a default: compatible at BACKWARD.
const ORDER_COUPON: &str = r#"{"type":"record","name":"Order","namespace":"com.acme.execution","fields":[
  {"name":"id","type":"string","doc":"Order id."},
  {"name":"cents","type":"long"},
  {"name":"placed","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"coupon","type":["null","string"],"default":null}]}"#;

/// Two breaks at BACKWARD: `cents` changes type, `currency` comes without a default.
const ORDER_BREAKING: &str = r#"{"type":"record","name":"Order","namespace":"com.acme.execution","fields":[
  {"name":"id","type":"string","doc":"Order id."},
  {"name":"cents","type":"string"},
  {"name":"placed","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"currency","type":"string"}]}"#;

/// The product's files with the contract's value schema replaced by `schema` and the product's version by
/// `version`.
async fn files_with(app: &TestApp, product: &DataProduct, schema: &str, version: &str) -> (Value, Value) {
    let (mut odps, mut odcs) = export(app, Who::Owner, &product.id).await;
    odps["version"] = version.into();
    let custom = odcs["schema"][0]["customProperties"].as_array_mut().unwrap();
    let text = custom.iter_mut().find(|p| p["property"] == "meshportSchema").unwrap();
    text["value"] = schema.into();
    (odps, odcs)
}

async fn versions(app: &TestApp, product: &DataProduct) -> Vec<i32> {
    app.state.mesh.registry.versions(product.output_port.value_subject.as_str()).await.unwrap()
}

#[tokio::test]
async fn a_compatible_schema_in_the_files_is_registered_with_their_metadata_once() {
    let app = spawn().await;
    let product = created(&app).await;
    let (mut odps, odcs) = files_with(&app, &product, ORDER_COUPON, "1.1.0").await;
    odps["description"]["purpose"] = "Every order, with its coupon.".into();
    let (same_version, _) = files_with(&app, &product, ORDER_COUPON, &product.version).await;
    let (patch_only, _) = files_with(&app, &product, ORDER_COUPON, "1.0.1").await;

    let (status, unraised) = import_values(&app, &same_version, &odcs, false).await.error().await;
    // Below the evolve's 1.1.0, the files would take the product's version back down after it.
    let (_, below) = import_values(&app, &patch_only, &odcs, false).await.error().await;
    let dry: Value = import_values(&app, &odps, &odcs, true).await.ok().await;
    let registered_before = versions(&app, &product).await;
    let applied: Value = import_values(&app, &odps, &odcs, false).await.ok().await;
    let audited = history_len(&app, &product).await;
    let again: Value = import_values(&app, &odps, &odcs, false).await.ok().await;

    assert_eq!((status, unraised.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
    assert_eq!(codes(&unraised), [(ViolationCode::InvalidVersion, "odps.version")], "{unraised:?}");
    assert!(unraised.details[0].message.contains("`1.1.0`"), "{unraised:?}");
    assert_eq!(codes(&below), [(ViolationCode::InvalidVersion, "odps.version")], "{below:?}");
    assert_eq!((dry["change"].as_str(), dry.get("registered_version")), (Some("evolved"), None));
    assert_eq!(dry["product"]["revision"], product.revision + 2, "the evolve, then the purpose");
    assert_eq!(dry["product"]["description"]["purpose"], "Every order, with its coupon.");
    assert_eq!(registered_before, [1], "neither the refusal nor the dry run registered anything");
    assert_eq!((applied["change"].as_str(), applied["registered_version"].as_i64()), (Some("evolved"), Some(2)));
    assert_eq!(versions(&app, &product).await, [1, 2]);
    let stored = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    assert_eq!(stored.version, "1.1.0");
    assert_eq!(stored.description.purpose, "Every order, with its coupon.");
    assert_eq!(stored.revision, product.revision + 2, "the evolve, then the purpose");
    assert_eq!((again["change"].as_str(), again.get("proposal")), (Some("unchanged"), None));
    assert_eq!(history_len(&app, &product).await, audited, "the second apply recorded nothing");
    assert_eq!(versions(&app, &product).await, [1, 2]);
}

fn codes(error: &ApiError) -> Vec<(ViolationCode, &str)> {
    error.details.iter().map(|v| (v.code, v.field.as_str())).collect()
}

#[tokio::test]
async fn a_breaking_schema_in_the_files_without_a_new_major_version_is_refused_with_every_break() {
    let app = spawn().await;
    let product = created(&app).await;
    let (odps, odcs) = files_with(&app, &product, ORDER_BREAKING, "1.1.0").await;

    let (dry_status, dry) = import_values(&app, &odps, &odcs, true).await.error().await;
    let (status, error) = import_values(&app, &odps, &odcs, false).await.error().await;

    assert_eq!((dry_status, dry.details.len()), (StatusCode::CONFLICT, error.details.len()), "{dry:?}");
    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::IncompatibleSchema));
    assert!(error.details.iter().all(|v| v.code == ViolationCode::BreakingChange), "{error:?}");
    let mut breaks: Vec<&str> = error.details.iter().map(|v| v.field.as_str()).collect();
    breaks.sort_unstable();
    assert_eq!(breaks, ["schema.cents", "schema.currency"], "{error:?}");
    assert_eq!(versions(&app, &product).await, [1], "nothing registered");
    let stored = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    assert_eq!(stored, product, "nothing written");
}

#[tokio::test]
async fn a_breaking_schema_under_a_new_major_version_is_proposed_to_the_subscribers_once() {
    // Arrange: a product `insights` consumes, and files raising its major version with a breaking schema.
    let app = spawn().await;
    let product = created(&app).await;
    let grant = meshport_shared::access::AccessRequest {
        id: unique("grant-insights"),
        ..meshport_shared::testing::grant(&product, "insights")
    };
    let entry = meshport_api::audit::entry("test", &product.id, AuditAction::Access, "granted", None, None);
    app.state.mesh.catalog.put_access(grant, None, entry).await.unwrap();
    let (odps, odcs) = files_with(&app, &product, ORDER_BREAKING, "2.0.0").await;

    // Act
    let dry: Value = import_values(&app, &odps, &odcs, true).await.ok().await;
    let response = import_values(&app, &odps, &odcs, false).await;
    let first_status = response.status();
    let first: Value = response.json().await.unwrap();
    let again: Value = import_values(&app, &odps, &odcs, false).await.ok().await;
    // Another breaking change while the first waits: refused, by a dry run as by the apply.
    let (other_odps, other_odcs) =
        files_with(&app, &product, &ORDER_BREAKING.replace("currency", "region"), "2.0.0").await;
    let (other_dry, _) = import_values(&app, &other_odps, &other_odcs, true).await.error().await;
    let (other, _) = import_values(&app, &other_odps, &other_odcs, false).await.error().await;

    // Assert: proposed (202), then unchanged naming the same proposal; no second proposal, nothing made.
    assert_eq!((dry["change"].as_str(), dry.get("proposal")), (Some("proposed"), None));
    assert_eq!((first_status, first["change"].as_str()), (StatusCode::ACCEPTED, Some("proposed")), "{first}");
    assert_eq!(first["proposal"]["subscribers"], json!(["insights"]));
    assert_eq!(first["proposal"]["schema"], ORDER_BREAKING);
    assert_eq!((again["change"].as_str(), &again["proposal"]["id"]), (Some("unchanged"), &first["proposal"]["id"]));
    assert_eq!((other_dry, other), (StatusCode::CONFLICT, StatusCode::CONFLICT), "one breaking change at a time");
    let proposals = app.state.mesh.catalog.product_proposals(&product.id).await.unwrap();
    assert_eq!(proposals.len(), 1, "{proposals:?}");
    let stored = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.version.as_str()), (ProductStatus::Active, "1.0.0"), "waits for sign-off");
    assert_eq!(versions(&app, &product).await, [1]);
}

#[tokio::test]
async fn a_breaking_schema_under_a_new_major_version_without_subscribers_makes_it_and_its_files_then_say_so() {
    let app = spawn().await;
    let product = created(&app).await;
    let (odps, odcs) = files_with(&app, &product, ORDER_BREAKING, "2.0.0").await;
    let successor = format!("{}.v2", product.id);

    let dry: Value = import_values(&app, &odps, &odcs, true).await.ok().await;
    let made: Value = import_values(&app, &odps, &odcs, false).await.ok().await;
    let (status, again) = import_values(&app, &odps, &odcs, false).await.error().await;

    assert_eq!((dry["change"].as_str(), dry.get("new_product")), (Some("new_major_version"), None));
    assert_eq!((made["change"].as_str(), made["new_product"].as_str()), (Some("new_major_version"), Some(&*successor)));
    let old = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    assert_eq!(old.status, ProductStatus::Deprecated);
    assert_eq!(old.deprecation.unwrap().replacement.unwrap().as_str(), successor);
    let new = app.state.mesh.catalog.get_product(&successor.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!((new.status, new.version.as_str()), (ProductStatus::Active, "2.0.0"));
    let registered = app.state.mesh.registry.versions(new.output_port.value_subject.as_str()).await.unwrap();
    assert_eq!(registered, [1], "the successor's schema");
    assert_eq!(
        (status, codes(&again)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec![(ViolationCode::Superseded, "odps.version")])
    );
    assert!(again.details[0].message.contains(&format!("meshport product export {successor}")), "{again:?}");
}
