//! The schema registry client against the project's dev registry, against recorded Confluent responses, and
//! against no registry at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use meshport_api::registry::{
    Compatibility, CompatibilityLevel, RegisteredSchema, RegistryClient, RegistryError, SchemaReference,
    SubjectVersion, VersionRef,
};
use meshport_shared::SchemaFormat;
use serde::Deserialize;
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(5);
const USER: &str = "registry-key";
const PASSWORD: &str = "s3cr3t-registry-password";

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// A client of a fresh, empty dev registry.
async fn dev_registry() -> RegistryClient {
    RegistryClient::new(&serve(meshport_registry::router()).await, None, TIMEOUT).unwrap()
}

fn user_v1() -> String {
    json!({ "type": "record", "name": "User", "fields": [{ "name": "id", "type": "long" }] }).to_string()
}

fn user_with_email(default: Option<&str>) -> String {
    let mut email = json!({ "name": "email", "type": "string" });
    if let Some(default) = default {
        email["default"] = json!(default);
    }
    json!({ "type": "record", "name": "User", "fields": [{ "name": "id", "type": "long" }, email] }).to_string()
}

// (a) Against the project's dev registry.

#[tokio::test]
async fn a_registered_schema_reads_back_by_id_and_as_the_latest_version() {
    let client = dev_registry().await;

    let id = client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();
    let by_id = client.schema_by_id(id).await.unwrap();
    let latest = client.version("users-value", VersionRef::Latest).await.unwrap();

    assert_eq!(by_id, RegisteredSchema { id, format: SchemaFormat::Avro, schema: user_v1(), references: vec![] });
    assert_eq!(
        latest,
        SubjectVersion {
            subject: "users-value".into(),
            version: 1,
            id,
            format: SchemaFormat::Avro,
            schema: user_v1(),
            references: vec![]
        }
    );
}

#[tokio::test]
async fn registering_the_same_schema_again_returns_the_same_id() {
    let client = dev_registry().await;

    let first = client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();
    let second = client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();

    assert_eq!(first, second);
    assert_eq!(client.versions("users-value").await.unwrap(), vec![1]);
}

#[tokio::test]
async fn subjects_and_their_versions_are_listed() {
    let client = dev_registry().await;
    client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();
    client.register("users-value", &user_with_email(Some("")), SchemaFormat::Avro).await.unwrap();
    client.register("names-value", r#""string""#, SchemaFormat::Avro).await.unwrap();

    assert_eq!(client.subjects().await.unwrap(), vec!["names-value", "users-value"]);
    assert_eq!(client.versions("users-value").await.unwrap(), vec![1, 2]);
    assert_eq!(client.version("users-value", VersionRef::Number(1)).await.unwrap().schema, user_v1());
}

#[tokio::test]
async fn a_json_schema_comes_back_in_the_json_format() {
    let client = dev_registry().await;
    let schema = json!({ "type": "object" }).to_string();

    let id = client.register("users-json", &schema, SchemaFormat::Json).await.unwrap();

    assert_eq!(client.schema_by_id(id).await.unwrap().format, SchemaFormat::Json);
    assert_eq!(client.version("users-json", VersionRef::Latest).await.unwrap().format, SchemaFormat::Json);
}

#[tokio::test]
async fn subject_names_with_slashes_spaces_and_percent_signs_are_url_encoded() {
    let client = dev_registry().await;
    let subject = "team/a b:orders%2F-value?x#y";

    client.register(subject, r#""string""#, SchemaFormat::Avro).await.unwrap();

    assert_eq!(client.subjects().await.unwrap(), vec![subject]);
    assert_eq!(client.version(subject, VersionRef::Latest).await.unwrap().subject, subject);
}

#[tokio::test]
async fn an_unknown_subject_version_or_id_is_reported_as_not_found() {
    let client = dev_registry().await;
    client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();

    let subject = client.versions("nobody-value").await.unwrap_err();
    let version = client.version("users-value", VersionRef::Number(9)).await.unwrap_err();
    let id = client.schema_by_id(999).await.unwrap_err();

    assert_eq!(subject, RegistryError::SubjectNotFound("nobody-value".into()));
    assert_eq!(version, RegistryError::VersionNotFound { subject: "users-value".into(), version: "9".into() });
    assert_eq!(id, RegistryError::SchemaNotFound("with id 999".into()));
}

#[tokio::test]
async fn an_incompatible_schema_is_refused_with_the_registrys_explanation() {
    let client = dev_registry().await;
    client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();

    let error = client.register("users-value", &user_with_email(None), SchemaFormat::Avro).await.unwrap_err();

    let RegistryError::Incompatible(message) = &error else { panic!("expected Incompatible, got {error:?}") };
    assert!(message.contains("The field 'email' in the new schema has no default value"), "{message}");
}

#[tokio::test]
async fn an_invalid_schema_is_reported_as_invalid() {
    let client = dev_registry().await;

    let error = client.register("users-value", r#"{"type": "record"}"#, SchemaFormat::Avro).await.unwrap_err();

    assert!(matches!(&error, RegistryError::InvalidSchema(m) if m.starts_with("Invalid schema")), "{error:?}");
}

#[tokio::test]
async fn any_other_refusal_keeps_the_status_code_and_message() {
    let client = dev_registry().await;
    client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();

    let error = client.version("users-value", VersionRef::Number(0)).await.unwrap_err();

    let RegistryError::Rejected { status: 422, code: 42202, message } = &error else { panic!("got {error:?}") };
    assert!(message.contains("'0' is not a valid version id"), "{message}");
}

#[tokio::test]
async fn a_compatibility_check_explains_each_incompatibility() {
    let client = dev_registry().await;
    client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();

    let refused = client.check_compatibility("users-value", &user_with_email(None), SchemaFormat::Avro).await.unwrap();
    let accepted =
        client.check_compatibility("users-value", &user_with_email(Some("")), SchemaFormat::Avro).await.unwrap();

    assert!(!refused.is_compatible);
    assert!(refused.messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{:?}", refused.messages);
    assert!(refused.messages.contains(&"{oldSchemaVersion: 1}".to_owned()), "{:?}", refused.messages);
    assert_eq!(accepted, Compatibility { is_compatible: true, messages: vec![] });
}

#[tokio::test]
async fn any_schema_is_compatible_with_a_subject_that_has_no_versions() {
    let client = dev_registry().await;

    let verdict = client.check_compatibility("new-value", &user_v1(), SchemaFormat::Avro).await.unwrap();

    assert_eq!(verdict, Compatibility { is_compatible: true, messages: vec![] });
}

#[tokio::test]
async fn a_subject_without_its_own_level_follows_the_global_one_until_it_gets_one() {
    let client = dev_registry().await;

    let initial_global = client.compatibility_level(None).await.unwrap();
    client.set_compatibility_level(None, CompatibilityLevel::Full).await.unwrap();
    let inherited = client.compatibility_level(Some("users-value")).await.unwrap();
    client.set_compatibility_level(Some("users-value"), CompatibilityLevel::ForwardTransitive).await.unwrap();
    let own = client.compatibility_level(Some("users-value")).await.unwrap();

    assert_eq!(initial_global, CompatibilityLevel::Backward);
    assert_eq!(inherited, CompatibilityLevel::Full);
    assert_eq!(own, CompatibilityLevel::ForwardTransitive);
    assert_eq!(client.compatibility_level(None).await.unwrap(), CompatibilityLevel::Full);
}

#[tokio::test]
async fn a_subject_level_changes_what_registration_accepts() {
    let client = dev_registry().await;
    client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap();
    client.set_compatibility_level(Some("users-value"), CompatibilityLevel::None).await.unwrap();

    let id = client.register("users-value", &user_with_email(None), SchemaFormat::Avro).await;

    assert!(id.is_ok(), "{id:?}");
}

#[tokio::test]
async fn ping_succeeds_when_the_registry_is_up() {
    let client = dev_registry().await;

    client.ping().await.unwrap();
}

// (b) Against recorded responses of Confluent's API.

#[derive(Debug, Deserialize)]
struct Cassette {
    request: RecordedRequest,
    response: RecordedResponse,
}

#[derive(Debug, Deserialize)]
struct RecordedRequest {
    method: String,
    path: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RecordedResponse {
    status: u16,
    content_type: String,
    body: Value,
}

/// A request the fake received.
#[derive(Debug, Clone)]
struct Received {
    key: String,
    headers: HeaderMap,
    body: String,
}

#[derive(Debug, Default)]
struct Replay {
    responses: HashMap<String, RecordedResponse>,
    received: Mutex<Vec<Received>>,
}

/// Serves every fixture under `tests/fixtures/registry` at its recorded method, path and query.
async fn replay() -> (String, Arc<Replay>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/registry");
    let mut responses = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let cassette: Cassette = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let key = format!("{} {}", cassette.request.method, cassette.request.path);
            assert!(responses.insert(key.clone(), cassette.response).is_none(), "two fixtures record {key}");
        }
    }
    let state = Arc::new(Replay { responses, received: Mutex::default() });
    let router = axum::Router::new().fallback(answer).with_state(state.clone());
    (serve(router).await, state)
}

async fn answer(State(replay): State<Arc<Replay>>, request: Request) -> Response {
    let key = format!("{} {}", request.method(), request.uri().path_and_query().map_or("", |p| p.as_str()));
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap();
    replay.received.lock().unwrap().push(Received {
        key: key.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let Some(recorded) = replay.responses.get(&key) else {
        return (StatusCode::IM_A_TEAPOT, format!("no fixture records {key}")).into_response();
    };
    let body = match &recorded.body {
        Value::String(text) if !recorded.content_type.contains("json") => text.clone(),
        json => json.to_string(),
    };
    Response::builder()
        .status(recorded.status)
        .header(header::CONTENT_TYPE, &recorded.content_type)
        .body(Body::from(body))
        .unwrap()
}

async fn replayed() -> (RegistryClient, Arc<Replay>) {
    let (url, replay) = replay().await;
    let client = RegistryClient::new(&url, Some((USER.into(), PASSWORD.into())), TIMEOUT).unwrap();
    (client, replay)
}

#[tokio::test]
async fn confluents_subject_and_version_listings_parse() {
    let (client, _) = replayed().await;

    assert_eq!(client.subjects().await.unwrap(), vec!["Kafka-key", "Kafka-value"]);
    assert_eq!(client.versions("Kafka-value").await.unwrap(), vec![1, 2, 3, 4]);
}

#[tokio::test]
async fn a_confluent_avro_version_has_no_schema_type_and_parses_as_avro() {
    let (client, _) = replayed().await;

    let version = client.version("Kafka-value", VersionRef::Number(1)).await.unwrap();

    assert_eq!((version.subject.as_str(), version.version, version.id), ("Kafka-value", 1, 1));
    assert_eq!(version.format, SchemaFormat::Avro);
    assert!(version.schema.contains(r#""name":"User""#));
}

#[tokio::test]
async fn a_confluent_json_version_carries_its_schema_type() {
    let (client, _) = replayed().await;

    let version = client.version("orders-json-value", VersionRef::Latest).await.unwrap();

    assert_eq!((version.version, version.id, version.format), (3, 2, SchemaFormat::Json));
}

#[tokio::test]
async fn a_confluent_version_with_references_lists_them() {
    let (client, _) = replayed().await;

    let version = client.version("customer-value", VersionRef::Latest).await.unwrap();

    assert_eq!(
        version.references,
        vec![SchemaReference { name: "io.confluent.examples.Address".into(), subject: "address".into(), version: 1 }]
    );
}

#[tokio::test]
async fn confluent_schemas_by_id_parse_with_and_without_a_schema_type() {
    let (client, _) = replayed().await;

    let avro = client.schema_by_id(1).await.unwrap();
    let protobuf = client.schema_by_id(3).await.unwrap();

    assert_eq!(avro.format, SchemaFormat::Avro);
    assert_eq!(protobuf.format, SchemaFormat::Protobuf);
    assert!(protobuf.schema.starts_with("syntax = \"proto3\";"));
}

#[tokio::test]
async fn confluents_not_found_codes_become_not_found_errors() {
    let (client, _) = replayed().await;

    assert_eq!(
        client.versions("unknown-value").await.unwrap_err(),
        RegistryError::SubjectNotFound("unknown-value".into())
    );
    assert_eq!(
        client.version("Kafka-value", VersionRef::Number(9)).await.unwrap_err(),
        RegistryError::VersionNotFound { subject: "Kafka-value".into(), version: "9".into() }
    );
    assert_eq!(client.schema_by_id(42).await.unwrap_err(), RegistryError::SchemaNotFound("with id 42".into()));
}

#[tokio::test]
async fn confluents_invalid_version_answer_is_a_rejection_with_its_code() {
    let (client, _) = replayed().await;

    let error = client.version("Kafka-value", VersionRef::Number(0)).await.unwrap_err();

    assert!(matches!(error, RegistryError::Rejected { status: 422, code: 42202, .. }), "{error:?}");
}

#[tokio::test]
async fn a_confluent_registration_answers_the_id() {
    let (client, _) = replayed().await;

    assert_eq!(client.register("Kafka-value", &user_v1(), SchemaFormat::Avro).await.unwrap(), 1);
}

#[tokio::test]
async fn confluents_409_becomes_incompatible_with_its_details_under_either_error_code() {
    let (client, _) = replayed().await;

    let platform_7 = client.register("users-value", &user_with_email(None), SchemaFormat::Avro).await.unwrap_err();
    let platform_8 = client.register("users-v8-value", &user_with_email(None), SchemaFormat::Avro).await.unwrap_err();

    for error in [platform_7, platform_8] {
        let RegistryError::Incompatible(message) = &error else { panic!("expected Incompatible, got {error:?}") };
        assert!(message.contains("errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"), "{message}");
    }
}

#[tokio::test]
async fn confluents_42201_becomes_invalid_schema() {
    let (client, _) = replayed().await;

    let error = client.register("broken-value", "{}", SchemaFormat::Avro).await.unwrap_err();

    assert_eq!(error, RegistryError::InvalidSchema("Either the input schema or one its references is invalid".into()));
}

#[tokio::test]
async fn confluents_verbose_compatibility_messages_are_kept_as_given() {
    let (client, _) = replayed().await;

    let refused = client.check_compatibility("users-value", &user_with_email(None), SchemaFormat::Avro).await.unwrap();
    let accepted = client.check_compatibility("Kafka-value", &user_v1(), SchemaFormat::Avro).await.unwrap();
    let terse = client.check_compatibility("Kafka-key", r#""string""#, SchemaFormat::Avro).await.unwrap();

    assert!(!refused.is_compatible);
    assert_eq!(refused.messages.len(), 4);
    assert!(refused.messages[0].starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"));
    assert_eq!(refused.messages[3], "{validateFields: 'false', compatibility: 'BACKWARD'}");
    assert_eq!(accepted, Compatibility { is_compatible: true, messages: vec![] });
    assert_eq!(terse, Compatibility { is_compatible: true, messages: vec![] });
}

#[tokio::test]
async fn confluents_compatibility_levels_parse_and_updates_are_accepted() {
    let (client, _) = replayed().await;

    assert_eq!(client.compatibility_level(None).await.unwrap(), CompatibilityLevel::Full);
    assert_eq!(client.compatibility_level(Some("Kafka-value")).await.unwrap(), CompatibilityLevel::FullTransitive);
    client.set_compatibility_level(None, CompatibilityLevel::None).await.unwrap();
    client.set_compatibility_level(Some("Kafka-value"), CompatibilityLevel::Full).await.unwrap();
}

#[tokio::test]
async fn an_older_registry_without_default_to_global_falls_back_to_the_global_level() {
    let (client, replay) = replayed().await;

    let level = client.compatibility_level(Some("Kafka-key")).await.unwrap();

    assert_eq!(level, CompatibilityLevel::Full);
    let keys: Vec<String> = replay.received.lock().unwrap().iter().map(|r| r.key.clone()).collect();
    assert_eq!(keys, ["GET /config/Kafka-key?defaultToGlobal=true", "GET /config"]);
}

#[tokio::test]
async fn a_backend_error_or_rate_limit_means_unavailable() {
    let (client, _) = replayed().await;

    let backend = client.versions("Kafka-broken-value").await.unwrap_err();
    let busy = client.versions("Kafka-busy-value").await.unwrap_err();

    assert!(matches!(&backend, RegistryError::Unavailable(m) if m.contains("50001")), "{backend:?}");
    assert!(matches!(busy, RegistryError::Unavailable(_)), "{busy:?}");
}

#[tokio::test]
async fn a_proxys_html_error_page_means_unavailable_and_is_quoted_briefly() {
    let (client, _) = replayed().await;

    let error = client.versions("Kafka-proxied-value").await.unwrap_err();

    let RegistryError::Unavailable(message) = &error else { panic!("expected Unavailable, got {error:?}") };
    assert!(message.contains("HTTP 502") && message.contains("502 Bad Gateway"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[tokio::test]
async fn a_login_page_answered_with_200_is_an_invalid_response() {
    let (client, _) = replayed().await;

    let error = client.versions("Kafka-sso-value").await.unwrap_err();

    assert!(matches!(&error, RegistryError::InvalidResponse(m) if m.contains("<!DOCTYPE html>")), "{error:?}");
}

#[tokio::test]
async fn an_unauthorized_answer_is_a_rejection_that_does_not_repeat_the_credentials() {
    let (client, _) = replayed().await;

    let error = client.versions("Kafka-secret-value").await.unwrap_err();

    assert!(matches!(error, RegistryError::Rejected { status: 401, code: 401, .. }), "{error:?}");
    assert!(!format!("{error} {error:?}").contains(PASSWORD));
}

#[tokio::test]
async fn requests_carry_confluents_content_types_and_basic_auth() {
    let (client, replay) = replayed().await;

    client.register("Kafka-value", &user_v1(), SchemaFormat::Avro).await.unwrap();
    client.check_compatibility("orders-json-value", "{}", SchemaFormat::Json).await.ok();

    let received = replay.received.lock().unwrap().clone();
    let register = &received[0];
    assert_eq!(register.key, "POST /subjects/Kafka-value/versions");
    assert_eq!(register.headers["accept"], "application/vnd.schemaregistry.v1+json, application/json");
    assert_eq!(register.headers["content-type"], "application/vnd.schemaregistry.v1+json");
    // "registry-key:s3cr3t-registry-password" in base64.
    assert_eq!(register.headers["authorization"], "Basic cmVnaXN0cnkta2V5OnMzY3IzdC1yZWdpc3RyeS1wYXNzd29yZA==");
    assert_eq!(serde_json::from_str::<Value>(&register.body).unwrap(), json!({ "schema": user_v1() }));
    let check = &received[1];
    assert_eq!(check.key, "POST /compatibility/subjects/orders-json-value/versions/latest?verbose=true");
    assert_eq!(serde_json::from_str::<Value>(&check.body).unwrap(), json!({ "schema": "{}", "schemaType": "JSON" }));
}

#[tokio::test]
async fn ping_asks_for_the_root() {
    let (client, replay) = replayed().await;

    client.ping().await.unwrap();

    assert_eq!(replay.received.lock().unwrap()[0].key, "GET /");
}

// (c) Without a registry, and with bad settings.

/// A local port nothing listens on: bound, then released.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

#[tokio::test]
async fn a_registry_that_is_down_is_unavailable_at_once() {
    let client = RegistryClient::new(&closed_port_url().await, Some((USER.into(), PASSWORD.into())), TIMEOUT).unwrap();
    let started = Instant::now();

    let ping = client.ping().await.unwrap_err();
    let register = client.register("users-value", &user_v1(), SchemaFormat::Avro).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    for error in [ping, register] {
        let RegistryError::Unavailable(message) = &error else { panic!("expected Unavailable, got {error:?}") };
        assert!(message.contains("cannot connect"), "{message}");
        assert!(!message.contains(PASSWORD));
    }
}

#[tokio::test]
async fn a_registry_that_never_answers_is_unavailable_after_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts connections and never answers them.
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let client = RegistryClient::new(&url, None, Duration::from_millis(300)).unwrap();
    let started = Instant::now();

    let error = client.subjects().await.unwrap_err();

    assert!(matches!(&error, RegistryError::Unavailable(m) if m.contains("within")), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

#[test]
fn urls_that_are_not_http_or_embed_credentials_are_refused_without_echoing_the_password() {
    for url in ["registry:8081", "ftp://registry:8081", "not a url", "http://registry:8081/?x=1"] {
        let error = RegistryClient::new(url, None, TIMEOUT).unwrap_err();
        assert!(matches!(error, RegistryError::InvalidUrl(_)), "`{url}`: {error:?}");
    }
    let error = RegistryClient::new(&format!("https://{USER}:{PASSWORD}@registry:8081"), None, TIMEOUT).unwrap_err();
    assert!(matches!(error, RegistryError::InvalidUrl(_)), "{error:?}");
    assert!(!error.to_string().contains(PASSWORD), "{error}");
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_keeps_it() {
    let (url, replay) = replay().await;
    let client = RegistryClient::new(&format!("{url}/registry/"), None, TIMEOUT).unwrap();

    // Nothing is recorded under the prefix: only the path the client asked for matters here.
    let _ = client.subjects().await;

    assert_eq!(replay.received.lock().unwrap()[0].key, "GET /registry/subjects");
}

#[test]
fn debug_output_redacts_the_credentials() {
    let client = RegistryClient::new("http://registry:8081", Some((USER.into(), PASSWORD.into())), TIMEOUT).unwrap();

    let debug = format!("{client:?}");

    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(!debug.contains(PASSWORD) && !debug.contains(USER), "{debug}");
}
