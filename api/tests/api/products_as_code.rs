//! Products as code end to end: a product exported as ODPS and ODCS YAML, the contract accepted by an independent
//! tool (datacontract-cli's `lint`), the same files imported through the lifecycle (idempotent, unknown fields
//! kept), and hostile or policy-breaking files refused with every problem at once.

use crate::common;

use meshport_api::code::yaml;
use meshport_shared::api::{CreateRequest, TopicSettings};
use meshport_shared::{ApiError, DataProduct, ErrorCode, ProductStatus, ViolationCode};
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
