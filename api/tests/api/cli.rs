//! The `meshport product` command line end to end, run as the example workflow (`examples/github-actions/`) runs
//! it: a team's API tokens, a product exported into a directory, edited, linted and diffed as in a pull request
//! (a read token), applied as on merge (a change token), twice, and pruned only of the team's own products.

use std::path::Path;
use std::process::Output;

use meshport_api::code::yaml;
use meshport_shared::api::{CreateRequest, EvolveRequest, TopicSettings};
use meshport_shared::tokens::{Scope, TokenAnswer, TokenDraft, TokenName};
use meshport_shared::{DataProduct, ErrorCode, ProductStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Answer, TestApp, Who, product, unique};

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"com.acme.execution","fields":[
  {"name":"id","type":"string"},{"name":"cents","type":"long"}]}"#;

/// [`ORDER`] with `cents` a string: a break at BACKWARD.
const ORDER_V2_BREAKING: &str = r#"{"type":"record","name":"Order","namespace":"com.acme.execution","fields":[
  {"name":"id","type":"string"},{"name":"cents","type":"string"}]}"#;

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_PUBLIC_READS", "false".into())]).await
}

/// A product of `trading` created with its topic and schema.
async fn created(app: &TestApp) -> DataProduct {
    let product = product(&unique("cliorders"), "execution");
    let topic =
        TopicSettings { partitions: 1, replication_factor: 1, retention_ms: None, cleanup_policy: "delete".into() };
    let request = CreateRequest { product, topic, schema: ORDER.into() };
    app.as_(Who::Owner)
        .request(Method::POST, "/api/v1/products/create")
        .await
        .json(&request)
        .send()
        .await
        .unwrap()
        .ok()
        .await
}

/// An API token of `trading`, as its member makes one for CI.
async fn token(app: &TestApp, name: &str, scope: Scope) -> String {
    let draft = TokenDraft { name: TokenName::parse(name).unwrap(), scope, expires_in_days: None };
    let request = app.as_(Who::Owner).request(Method::POST, "/api/v1/teams/trading/tokens").await.json(&draft);
    request.send().await.unwrap().ok::<TokenAnswer>().await.secret
}

/// What a run of the binary printed and ended with.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `meshport <args>` against the app with `token` in MESHPORT_TOKEN, off the runtime's thread so the app
/// keeps answering.
async fn meshport(app: &TestApp, token: &str, args: &[impl AsRef<std::ffi::OsStr>]) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_meshport"));
    command.args(args).env("MESHPORT_URL", app.url("")).env("MESHPORT_TOKEN", token).env_remove("RUST_LOG");
    let Output { status, stdout, stderr } =
        tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    let run = Run {
        code: status.code().unwrap(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    };
    assert!(token.is_empty() || !(run.stdout.contains(token) || run.stderr.contains(token)), "the token was printed");
    run
}

fn edit(path: &Path, change: impl FnOnce(&mut Value)) {
    let mut value = yaml::read(&std::fs::read_to_string(path).unwrap(), yaml::LIMITS).unwrap();
    change(&mut value);
    std::fs::write(path, yaml::write(&value)).unwrap();
}

/// Adds `field` to the Avro schema the contract carries (in its `meshportSchema` custom property).
fn add_field(value: &mut Value, field: &Value) {
    match value {
        Value::String(text) => {
            if let Ok(mut schema) = serde_json::from_str::<Value>(text)
                && schema["type"] == "record"
            {
                schema["fields"].as_array_mut().unwrap().push(field.clone());
                *text = schema.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| add_field(item, field)),
        Value::Object(map) => map.values_mut().for_each(|item| add_field(item, field)),
        _ => {}
    }
}

/// The example workflow's `meshport product <command>` step, its `products/` directory replaced by `dir`.
fn workflow(command: &str, dir: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/github-actions/meshport-products.yml");
    let workflow = std::fs::read_to_string(path).unwrap();
    let step = format!("run: meshport product {command} ");
    let line =
        workflow.lines().find_map(|line| line.trim().strip_prefix("run: meshport ").filter(|_| line.contains(&step)));
    let line = line.unwrap_or_else(|| panic!("the example workflow has no `{step}` step"));
    line.split_whitespace().map(|arg| if arg == "products/" { dir.to_owned() } else { arg.to_owned() }).collect()
}

/// A new product's files exported into `out`, and the live policy saved as `dir/policy.json`.
async fn exported_with_policy(app: &TestApp, token: &str, out: &Path, dir: &Path) -> (DataProduct, std::path::PathBuf) {
    let orders = created(app).await;
    let exported =
        meshport(app, token, &["product", "export", orders.id.as_str(), "--out", out.to_str().unwrap()]).await;
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    let policy: Value = app.as_(Who::Owner).get("/api/v1/policy").await.ok().await;
    let policy_file = dir.join("policy.json");
    std::fs::write(&policy_file, policy.to_string()).unwrap();
    (orders, policy_file)
}

/// The value schema a pair of files carries.
fn schema_in(odps: &Path, odcs: &Path) -> String {
    let files = meshport_api::code::Files {
        odps: std::fs::read_to_string(odps).unwrap(),
        odcs: std::fs::read_to_string(odcs).unwrap(),
    };
    meshport_api::code::read(&files).unwrap().schema.unwrap()
}

/// Whether the registry takes the value schema the files carry for `product`'s subject.
async fn registry_accepts(app: &TestApp, product: &DataProduct, odps: &Path, odcs: &Path) -> bool {
    let (subject, schema) = (product.output_port.value_subject.as_str(), schema_in(odps, odcs));
    let verdict = app.state.mesh.registry.check_compatibility(subject, &schema, product.output_port.schema_format);
    verdict.await.unwrap().is_compatible
}

async fn stored(app: &TestApp, id: &str) -> DataProduct {
    app.state.mesh.catalog.get_product(&id.parse().unwrap()).await.unwrap().unwrap()
}

async fn status_of(app: &TestApp, id: &str) -> ProductStatus {
    stored(app, id).await.status
}

#[tokio::test]
async fn the_example_workflows_commands_keep_a_product_in_git_lint_diff_apply_and_prune_only_the_teams_own() {
    // Arrange: a product of trading, another of trading the files will not describe, one of another team.
    let app = spawn().await;
    let orders = created(&app).await;
    let stale = app.seed(product(&unique("clistale"), "execution")).await;
    let foreign = app.seed(product(&unique("cliforeign"), "analytics")).await;
    let (read, change) = (token(&app, "ci-review", Scope::Read).await, token(&app, "ci-deploy", Scope::Change).await);
    let dir = tempfile::tempdir().unwrap();
    let products = dir.path().join("products");
    let out = products.to_str().unwrap();
    let id = orders.id.to_string();
    let odps = products.join(format!("{id}.odps.yaml"));
    let odcs = products.join(format!("{id}.odcs.yaml"));

    // Export, then lint as in a pull request: clean.
    let export = meshport(&app, &read, &["product", "export", &id, "--out", out]).await;
    assert_eq!(export.code, 0, "{}", export.stderr);
    let exported_odcs = std::fs::read_to_string(&odcs).unwrap();
    let (lint_step, diff_step, apply_step) = (workflow("lint", out), workflow("diff", out), workflow("apply", out));
    let lint = meshport(&app, &read, &lint_step).await;
    assert_eq!((lint.code, lint.stdout.contains("::error")), (0, false), "{}{}", lint.stdout, lint.stderr);

    // A nameless product breaks the live policy: exit 1, annotated on the ODPS file.
    edit(&odps, |v| v["name"] = json!(""));
    let lint = meshport(&app, &read, &lint_step).await;
    assert_eq!(lint.code, 1, "{}{}", lint.stdout, lint.stderr);
    let annotation = format!("::error file={},line=", odps.display());
    assert!(lint.stdout.starts_with(&annotation), "{}", lint.stdout);
    assert!(lint.stdout.contains("required_field_missing::give the product a name"), "{}", lint.stdout);

    // A compatible schema change and a new purpose: listed, nothing marked breaking; the version must be raised with
    // the schema.
    edit(&odps, |v| v["name"] = json!(orders.name));
    edit(&odcs, |v| add_field(v, &json!({"name": "coupon", "type": ["null", "string"], "default": null})));
    let unraised = meshport(&app, &read, &diff_step).await;
    assert_eq!(unraised.code, 1, "{}{}", unraised.stdout, unraised.stderr);
    let errors: Vec<&str> = unraised.stdout.lines().filter(|line| line.starts_with("::error")).collect();
    assert_eq!(errors.len(), 1, "{}", unraised.stdout);
    assert!(errors[0].contains("invalid_version::the contract's schema changed"), "{}", errors[0]);
    std::fs::write(&odcs, &exported_odcs).unwrap();
    edit(&odps, |v| {
        v["version"] = json!("1.1.0");
        v["description"]["purpose"] = json!("Every order, as placed.");
    });
    edit(&odcs, |v| add_field(v, &json!({"name": "coupon", "type": ["null", "string"], "default": null})));
    let diff = meshport(&app, &read, &diff_step).await;
    assert_eq!((diff.code, diff.stdout.contains("::error")), (0, false), "{}{}", diff.stdout, diff.stderr);
    let diff = meshport(&app, &read, &["product", "diff", "--format", "json", out]).await;
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    let report: Value = serde_json::from_str(&diff.stdout).unwrap();
    let changes = report["products"][0]["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["path"] == "odps.description.purpose"), "{changes:?}");
    let schema: Vec<&Value> = changes.iter().filter(|c| c["kind"] == "schema").collect();
    assert_eq!(schema.len(), 1, "{schema:?}");
    assert_eq!(
        (&schema[0]["path"], &schema[0]["breaking"], &schema[0]["level"]),
        (&json!("schema.coupon"), &json!(false), &json!("BACKWARD"))
    );

    // A field without a default breaks consumers at BACKWARD: exactly that change is marked, with the level, as the
    // registry judges it for the read token of the pull request.
    assert!(registry_accepts(&app, &orders, &odps, &odcs).await, "the registry takes the coupon");
    edit(&odcs, |v| add_field(v, &json!({"name": "currency", "type": "string"})));
    assert!(!registry_accepts(&app, &orders, &odps, &odcs).await, "the registry refuses the currency");
    let audited = app.state.mesh.catalog.product_history(&orders.id, 100).await.unwrap().len();
    let diff = meshport(&app, &read, &diff_step).await;
    assert_eq!(diff.code, 1, "{}{}", diff.stdout, diff.stderr);
    let errors: Vec<&str> = diff.stdout.lines().filter(|line| line.starts_with("::error")).collect();
    assert_eq!(errors.len(), 1, "{}", diff.stdout);
    assert!(errors[0].starts_with(&format!("::error file={},line=", odcs.display())), "{}", errors[0]);
    assert!(
        errors[0].contains("breaking_change::breaking at BACKWARD") && errors[0].contains("currency"),
        "{}",
        errors[0]
    );
    assert!(!diff.stdout.contains("compared locally"), "{}", diff.stdout);
    let (registered, history) = (stored(&app, &id).await, app.state.mesh.catalog.product_history(&orders.id, 100));
    assert_eq!(
        (registered.revision, history.await.unwrap().len()),
        (orders.revision, audited),
        "a dry run records nothing"
    );
    // The read token asked a dry run; a real evolve it may not make.
    let real = EvolveRequest {
        schema: schema_in(&odps, &odcs),
        dry_run: false,
        new_major_version: false,
        revision: orders.revision,
    };
    let (status, error) = app.with_token(&read).evolve(&orders.id, &real).await.error().await;
    assert_eq!((status, error.code), (StatusCode::FORBIDDEN, ErrorCode::Forbidden), "{}", error.message);
    assert!(error.message.contains("may only read"), "{}", error.message);
    // Under a raised major version the same break is deliberate: still marked breaking, but no finding; a note says
    // what apply will make of it.
    edit(&odps, |v| v["version"] = json!("2.0.0"));
    let major = meshport(&app, &read, &diff_step).await;
    assert_eq!((major.code, major.stdout.contains("::error")), (0, false), "{}{}", major.stdout, major.stderr);
    assert!(
        major.stdout.contains("::notice title=") && major.stdout.contains("next major version"),
        "{}",
        major.stdout
    );
    edit(&odps, |v| v["version"] = json!("1.1.0"));

    // Apply as on merge (the schema as registered): updated, then unchanged; the stale product only listed.
    std::fs::write(&odcs, &exported_odcs).unwrap();
    let apply = meshport(&app, &change, &apply_step).await;
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stderr.contains(&format!("[1/1] {id}: updated")), "{}", apply.stderr);
    assert!(apply.stdout.contains(&format!("{}: not in the files", stale.id)), "{}", apply.stdout);
    assert!(!apply.stdout.contains(foreign.id.as_str()), "{}", apply.stdout);
    let again = meshport(&app, &change, &apply_step).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.starts_with(&format!("{id}: unchanged\n")), "{}", again.stdout);
    assert_eq!(stored(&app, &id).await.description.purpose, "Every order, as placed.");

    // Prune: a dry run changes nothing; then the team's own undescribed product is deprecated, no other team's.
    let dry = meshport(&app, &change, &["product", "apply", "--prune", "--dry-run", out]).await;
    assert!(dry.stdout.contains(&format!("{}: would be deprecated", stale.id)), "{}", dry.stdout);
    assert_eq!(status_of(&app, stale.id.as_str()).await, ProductStatus::Active);
    let prune = meshport(&app, &change, &["product", "apply", "--prune", out]).await;
    assert_eq!(prune.code, 0, "{}{}", prune.stdout, prune.stderr);
    assert!(prune.stdout.contains(&format!("{}: deprecated (pruned)", stale.id)), "{}", prune.stdout);
    assert_eq!(status_of(&app, stale.id.as_str()).await, ProductStatus::Deprecated);
    assert_eq!(status_of(&app, foreign.id.as_str()).await, ProductStatus::Active);
    assert_eq!(status_of(&app, &id).await, ProductStatus::Active);
}

#[tokio::test]
async fn a_bad_token_ends_a_run_with_exit_3_and_a_policy_file_needs_no_meshport() {
    let app = spawn().await;
    let read = token(&app, "ci-review", Scope::Read).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (_, policy_file) = exported_with_policy(&app, &read, dir.path(), dir.path()).await;

    let refused = meshport(&app, "mpt_notatoken_atall", &["product", "lint", out]).await;
    let offline = meshport(&app, "", &["product", "lint", "--policy", policy_file.to_str().unwrap(), out]).await;
    let apply = meshport(&app, &read, &["product", "apply", out]).await;

    assert_eq!(refused.code, 3, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("401") && refused.stderr.contains("MESHPORT_TOKEN"), "{}", refused.stderr);
    assert_eq!(offline.code, 0, "{}{}", offline.stdout, offline.stderr);
    // A read token applies nothing: the import is refused, a finding (exit 1) with the API's code.
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains("[forbidden]"), "{}", apply.stdout);
}

/// Runs `program` in `dir` with the built `meshport` first on the PATH.
fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_meshport")).parent().unwrap().to_owned();
    let path =
        std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())));
    let mut command = std::process::Command::new(program);
    command.args(args).current_dir(dir).env("PATH", path.unwrap()).env_remove("MESHPORT_TOKEN");
    command.envs(env.iter().map(|(k, v)| (*k, v.as_os_str()))).output().unwrap()
}

#[tokio::test]
async fn the_example_pre_commit_hook_lints_the_staged_product_files_against_a_policy_file() {
    let app = spawn().await;
    let read = token(&app, "hook", Scope::Read).await;
    let repo = tempfile::tempdir().unwrap();
    let products = repo.path().join("products");
    let (orders, policy_file) = exported_with_policy(&app, &read, &products, repo.path()).await;
    let hook = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/pre-commit/pre-commit");
    let git = |args: &[&str]| assert!(run_in(repo.path(), "git", args, &[]).status.success(), "git {args:?}");
    git(&["init", "-q"]);
    git(&["add", "products"]);

    let clean = run_in(repo.path(), "sh", &[hook], &[("MESHPORT_POLICY", &policy_file)]);
    edit(&products.join(format!("{}.odps.yaml", orders.id)), |v| v["name"] = json!(""));
    git(&["add", "products"]);
    let broken = run_in(repo.path(), "sh", &[hook], &[("MESHPORT_POLICY", &policy_file)]);

    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stderr));
    assert_eq!(broken.status.code(), Some(1), "{}", String::from_utf8_lossy(&broken.stderr));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("[required_field_missing] give the product a name"));
}

/// Replaces the Avro schema the contract carries (in its `meshportSchema` custom property) by `schema`.
fn set_schema(value: &mut Value, schema: &str) {
    let custom = value["schema"][0]["customProperties"].as_array_mut().unwrap();
    custom.iter_mut().find(|p| p["property"] == "meshportSchema").unwrap()["value"] = schema.into();
}

#[tokio::test]
async fn apply_evolves_a_schema_changed_in_git_and_a_new_major_version_tells_which_files_to_keep() {
    // Arrange: a product's files in git, its schema changed compatibly and the version raised.
    let app = spawn().await;
    let orders = created(&app).await;
    let change = token(&app, "ci-deploy", Scope::Change).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let id = orders.id.to_string();
    let (odps, odcs) = (dir.path().join(format!("{id}.odps.yaml")), dir.path().join(format!("{id}.odcs.yaml")));
    let export = meshport(&app, &change, &["product", "export", &id, "--out", out]).await;
    assert_eq!(export.code, 0, "{}", export.stderr);
    edit(&odps, |v| v["version"] = json!("1.1.0"));
    edit(&odcs, |v| add_field(v, &json!({"name": "coupon", "type": ["null", "string"], "default": null})));
    let subject = orders.output_port.value_subject.to_string();

    // Act and assert: a dry run says what it would register, the apply registers it, a second changes nothing.
    let dry = meshport(&app, &change, &["product", "apply", "--dry-run", out]).await;
    assert!(dry.stdout.contains(&format!("would register a new version of `{subject}`")), "{}", dry.stdout);
    let apply = meshport(&app, &change, &["product", "apply", out]).await;
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stderr.contains(&format!("[1/1] {id}: evolved")), "{}", apply.stderr);
    assert!(apply.stdout.contains(&format!("note: registered version 2 of `{subject}`")), "{}", apply.stdout);
    let again = meshport(&app, &change, &["product", "apply", out]).await;
    assert!(again.stdout.starts_with(&format!("{id}: unchanged\n")), "{}", again.stdout);

    // A breaking schema under version 2.0.0, nobody subscribing: the next major version, and its files to keep.
    edit(&odps, |v| v["version"] = json!("2.0.0"));
    edit(&odcs, |v| set_schema(v, ORDER_V2_BREAKING));
    let major = meshport(&app, &change, &["product", "apply", "--format", "json", out]).await;
    assert_eq!(major.code, 0, "{}{}", major.stdout, major.stderr);
    let report: Value = serde_json::from_str(&major.stdout).unwrap();
    assert_eq!(report["products"][0]["outcome"], "new_major_version");
    let note = report["products"][0]["notes"][0].as_str().unwrap();
    assert!(note.contains(&format!("meshport product export {id}.v2")), "{note}");
    assert_eq!(status_of(&app, &id).await, ProductStatus::Deprecated);

    // The same files again: refused, saying whose files to keep instead.
    let stale = meshport(&app, &change, &["product", "apply", out]).await;
    assert_eq!(stale.code, 1, "{}{}", stale.stdout, stale.stderr);
    assert!(stale.stdout.contains("[superseded]") && stale.stdout.contains(&format!("{id}.v2")), "{}", stale.stdout);
}
