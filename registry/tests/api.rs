//! The dev registry over HTTP, as Confluent clients see it: every test spawns its own registry on a free port.

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

/// One registry on 127.0.0.1:0 and a client for it, with one method per endpoint.
struct TestApp {
    base: Url,
    http: reqwest::Client,
}

/// A response: its status, its JSON body (or the text as a JSON string when it is not JSON), its content type.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    body: Value,
    content_type: String,
}

impl Answer {
    fn error_code(&self) -> i64 {
        self.body["error_code"].as_i64().unwrap_or_else(|| panic!("not an error body: {self:?}"))
    }

    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

const CONFLUENT: &str = "application/vnd.schemaregistry.v1+json";

impl TestApp {
    async fn spawn() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, meshport_registry::router()).await.unwrap() });
        Self { base: Url::parse(&format!("http://{address}/")).unwrap(), http: reqwest::Client::new() }
    }

    /// The URL of `segments`, each percent-encoded as one path segment, as a subject with `/` needs.
    fn url(&self, segments: &[&str], query: &str) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut().unwrap().pop_if_empty().extend(segments);
        url.set_query((!query.is_empty()).then_some(query));
        url
    }

    async fn send(&self, method: Method, segments: &[&str], query: &str, body: Option<&Value>) -> Answer {
        let mut request = self.http.request(method, self.url(segments, query)).header("Accept", CONFLUENT);
        if let Some(body) = body {
            request = request.header("Content-Type", CONFLUENT).body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body, content_type }
    }

    async fn root(&self) -> Answer {
        self.send(Method::GET, &[], "", None).await
    }

    async fn register(&self, subject: &str, body: Value) -> Answer {
        self.send(Method::POST, &["subjects", subject, "versions"], "", Some(&body)).await
    }

    /// Registers an Avro schema and returns its id, failing the test if the registry refuses it.
    async fn register_avro(&self, subject: &str, schema: &Value) -> i64 {
        let answer = self.register(subject, json!({ "schema": schema.to_string() })).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body["id"].as_i64().unwrap()
    }

    async fn subjects(&self, query: &str) -> Answer {
        self.send(Method::GET, &["subjects"], query, None).await
    }

    async fn versions(&self, subject: &str, query: &str) -> Answer {
        self.send(Method::GET, &["subjects", subject, "versions"], query, None).await
    }

    async fn version(&self, subject: &str, version: &str) -> Answer {
        self.send(Method::GET, &["subjects", subject, "versions", version], "", None).await
    }

    async fn raw_version(&self, subject: &str, version: &str) -> Answer {
        self.send(Method::GET, &["subjects", subject, "versions", version, "schema"], "", None).await
    }

    async fn lookup(&self, subject: &str, body: Value) -> Answer {
        self.send(Method::POST, &["subjects", subject], "", Some(&body)).await
    }

    async fn schema_by_id(&self, id: &str) -> Answer {
        self.send(Method::GET, &["schemas", "ids", id], "", None).await
    }

    async fn schema_versions(&self, id: &str) -> Answer {
        self.send(Method::GET, &["schemas", "ids", id, "versions"], "", None).await
    }

    async fn check(&self, subject: &str, version: Option<&str>, query: &str, schema: &Value) -> Answer {
        let body = json!({ "schema": schema.to_string() });
        match version {
            Some(version) => {
                self.send(
                    Method::POST,
                    &["compatibility", "subjects", subject, "versions", version],
                    query,
                    Some(&body),
                )
                .await
            }
            None => {
                self.send(Method::POST, &["compatibility", "subjects", subject, "versions"], query, Some(&body)).await
            }
        }
    }

    async fn config(&self) -> Answer {
        self.send(Method::GET, &["config"], "", None).await
    }

    async fn set_config(&self, level: &str) -> Answer {
        self.send(Method::PUT, &["config"], "", Some(&json!({ "compatibility": level }))).await
    }

    async fn subject_config(&self, subject: &str, query: &str) -> Answer {
        self.send(Method::GET, &["config", subject], query, None).await
    }

    async fn set_subject_config(&self, subject: &str, level: &str) -> Answer {
        self.send(Method::PUT, &["config", subject], "", Some(&json!({ "compatibility": level }))).await
    }

    async fn delete_subject_config(&self, subject: &str) -> Answer {
        self.send(Method::DELETE, &["config", subject], "", None).await
    }

    async fn delete_subject(&self, subject: &str, query: &str) -> Answer {
        self.send(Method::DELETE, &["subjects", subject], query, None).await
    }

    async fn delete_version(&self, subject: &str, version: &str, query: &str) -> Answer {
        self.send(Method::DELETE, &["subjects", subject, "versions", version], query, None).await
    }
}

/// An Avro record `User` with the given fields, each `(name, type)` or `(name, type, default)`.
fn user(fields: &[Value]) -> Value {
    json!({ "type": "record", "name": "User", "namespace": "meshport.test", "fields": fields })
}

fn field(name: &str, kind: &str) -> Value {
    json!({ "name": name, "type": kind })
}

fn field_with_default(name: &str, kind: &str, default: Value) -> Value {
    json!({ "name": name, "type": kind, "default": default })
}

#[tokio::test]
async fn the_root_answers_an_empty_object_with_confluents_content_type() {
    let app = TestApp::spawn().await;

    let answer = app.root().await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({}));
    assert_eq!(answer.content_type, CONFLUENT);
}

#[tokio::test]
async fn registering_the_same_schema_twice_returns_the_same_id_and_one_version() {
    let app = TestApp::spawn().await;
    let schema = user(&[field("id", "long")]);

    let first = app.register_avro("users-value", &schema).await;
    let second = app.register_avro("users-value", &schema).await;

    assert_eq!(first, second);
    assert_eq!(app.versions("users-value", "").await.body, json!([1]));
}

#[tokio::test]
async fn an_identical_schema_under_two_subjects_shares_one_global_id() {
    let app = TestApp::spawn().await;
    let schema = user(&[field("id", "long")]);
    let other = json!({ "type": "string" });

    let first = app.register_avro("users-value", &schema).await;
    let unrelated = app.register_avro("names-value", &other).await;
    let shared = app.register_avro("users-copy-value", &schema).await;

    assert_eq!(first, shared);
    assert_ne!(first, unrelated);
    let usages = app.schema_versions(&first.to_string()).await;
    assert_eq!(
        usages.body,
        json!([{ "subject": "users-copy-value", "version": 1 }, { "subject": "users-value", "version": 1 }])
    );
}

#[tokio::test]
async fn whitespace_and_key_order_do_not_make_a_new_schema() {
    let app = TestApp::spawn().await;
    let compact = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#;
    let spaced = r#"{ "fields": [ { "type": "long", "name": "id" } ], "name": "User", "type": "record" }"#;

    let first = app.register("users-value", json!({ "schema": compact })).await;
    let second = app.register("users-value", json!({ "schema": spaced })).await;

    assert_eq!(first.body, second.body);
}

#[tokio::test]
async fn versions_are_listed_in_order_and_latest_is_the_newest() {
    let app = TestApp::spawn().await;
    let v1 = user(&[field("id", "long")]);
    let v2 = user(&[field("id", "long"), field_with_default("email", "string", json!(""))]);
    app.register_avro("users-value", &v1).await;
    let id2 = app.register_avro("users-value", &v2).await;

    let versions = app.versions("users-value", "").await;
    let latest = app.version("users-value", "latest").await;
    let minus_one = app.version("users-value", "-1").await;
    let first = app.version("users-value", "1").await;

    assert_eq!(versions.body, json!([1, 2]));
    assert_eq!(
        latest.body,
        json!({ "subject": "users-value", "version": 2, "id": id2, "schema": v2.to_string() }),
        "Avro versions carry no schemaType, like Confluent's"
    );
    assert_eq!(minus_one.body, latest.body);
    assert_eq!(first.body["version"], 1);
}

#[tokio::test]
async fn the_schema_endpoint_answers_the_schema_text_alone() {
    let app = TestApp::spawn().await;
    let schema = user(&[field("id", "long")]);
    app.register_avro("users-value", &schema).await;

    let raw = app.raw_version("users-value", "1").await;

    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body, schema);
}

#[tokio::test]
async fn json_schemas_are_stored_and_carry_their_schema_type() {
    let app = TestApp::spawn().await;
    let schema = json!({ "type": "object", "properties": { "id": { "type": "integer" } } }).to_string();

    let registered = app.register("users-json", json!({ "schema": schema, "schemaType": "JSON" })).await;
    let id = registered.body["id"].to_string();

    assert_eq!(registered.status, StatusCode::OK);
    assert_eq!(app.version("users-json", "latest").await.body["schemaType"], "JSON");
    assert_eq!(app.schema_by_id(&id).await.body, json!({ "schemaType": "JSON", "schema": schema }));
}

#[tokio::test]
async fn a_schema_read_by_id_has_no_schema_type_when_it_is_avro() {
    let app = TestApp::spawn().await;
    let schema = json!("string");
    let id = app.register_avro("names-value", &schema).await;

    let answer = app.schema_by_id(&id.to_string()).await;

    assert_eq!(answer.body, json!({ "schema": "\"string\"" }));
}

#[tokio::test]
async fn looking_up_a_registered_schema_finds_its_version() {
    let app = TestApp::spawn().await;
    let v1 = user(&[field("id", "long")]);
    let v2 = user(&[field("id", "long"), field_with_default("email", "string", json!(""))]);
    let id1 = app.register_avro("users-value", &v1).await;
    app.register_avro("users-value", &v2).await;

    let found = app.lookup("users-value", json!({ "schema": v1.to_string() })).await;
    let missing = app.lookup("users-value", json!({ "schema": user(&[field("name", "string")]).to_string() })).await;
    let no_subject = app.lookup("nobody-value", json!({ "schema": v1.to_string() })).await;

    assert_eq!(found.body, json!({ "subject": "users-value", "version": 1, "id": id1, "schema": v1.to_string() }));
    assert_eq!((missing.status, missing.error_code()), (StatusCode::NOT_FOUND, 40403));
    assert_eq!((no_subject.status, no_subject.error_code()), (StatusCode::NOT_FOUND, 40401));
}

#[tokio::test]
async fn unknown_subjects_versions_and_ids_answer_with_confluents_codes() {
    let app = TestApp::spawn().await;
    app.register_avro("users-value", &user(&[field("id", "long")])).await;

    let no_subject = app.versions("nobody-value", "").await;
    let no_version = app.version("users-value", "7").await;
    let bad_version = app.version("users-value", "0").await;
    let no_schema = app.schema_by_id("99").await;
    let no_route = app.send(Method::GET, &["nowhere"], "", None).await;

    assert_eq!((no_subject.status, no_subject.error_code()), (StatusCode::NOT_FOUND, 40401));
    assert_eq!(no_subject.message(), "Subject 'nobody-value' not found.");
    assert_eq!((no_version.status, no_version.error_code()), (StatusCode::NOT_FOUND, 40402));
    assert_eq!(no_version.message(), "Version 7 not found.");
    assert_eq!((bad_version.status, bad_version.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, 42202));
    assert_eq!((no_schema.status, no_schema.error_code()), (StatusCode::NOT_FOUND, 40403));
    assert_eq!(no_schema.message(), "Schema 99 not found");
    assert_eq!((no_route.status, no_route.error_code()), (StatusCode::NOT_FOUND, 404));
}

#[tokio::test]
async fn an_invalid_avro_schema_is_rejected_with_42201_and_the_reason() {
    let app = TestApp::spawn().await;

    let answer = app.register("users-value", json!({ "schema": r#"{"type":"record","name":"User"}"# })).await;

    assert_eq!((answer.status, answer.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, 42201));
    assert!(answer.message().starts_with("Invalid schema: "), "{answer:?}");
    assert_eq!(app.subjects("").await.body, json!([]));
}

#[tokio::test]
async fn a_json_schema_that_is_not_json_is_rejected_with_42201() {
    let app = TestApp::spawn().await;

    let answer = app.register("users-json", json!({ "schema": "{not json", "schemaType": "JSON" })).await;

    assert_eq!((answer.status, answer.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, 42201));
}

#[tokio::test]
async fn a_request_without_a_schema_is_unprocessable() {
    let app = TestApp::spawn().await;

    let answer = app.register("users-value", json!({})).await;

    assert_eq!((answer.status, answer.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, 422));
    assert_eq!(answer.message(), "schema may not be empty");
}

#[tokio::test]
async fn requests_may_say_application_json_or_nothing_but_not_another_type() {
    let app = TestApp::spawn().await;
    let body = json!({ "schema": "\"string\"" }).to_string();
    let url = app.url(&["subjects", "names-value", "versions"], "");

    let as_json = app.http.post(url.clone()).header("Content-Type", "application/json").body(body.clone());
    let untyped = app.http.post(url.clone()).body(body.clone());
    let as_xml = app.http.post(url).header("Content-Type", "text/xml").body(body);

    assert_eq!(as_json.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(untyped.send().await.unwrap().status(), StatusCode::OK);
    let refused = as_xml.send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(refused.json::<Value>().await.unwrap()["error_code"], 415);
}

#[tokio::test]
async fn a_client_accepting_only_application_json_gets_application_json() {
    let app = TestApp::spawn().await;

    let response = app.http.get(app.url(&["config"], "")).header("Accept", "application/json").send().await.unwrap();

    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn subjects_with_slashes_and_colons_round_trip_when_url_encoded() {
    let app = TestApp::spawn().await;
    let subject = "team/a:orders-value";

    app.register_avro(subject, &json!("string")).await;

    assert_eq!(app.subjects("").await.body, json!([subject]));
    assert_eq!(app.version(subject, "1").await.body["subject"], subject);
}

#[tokio::test]
async fn a_field_without_default_is_refused_under_backward_and_explained() {
    let app = TestApp::spawn().await;
    app.register_avro("users-value", &user(&[field("id", "long")])).await;

    let answer = app
        .register(
            "users-value",
            json!({ "schema": user(&[field("id", "long"), field("email", "string")]).to_string() }),
        )
        .await;

    assert_eq!((answer.status, answer.error_code()), (StatusCode::CONFLICT, 409));
    assert!(
        answer.message().starts_with(
            "Schema being registered is incompatible with an earlier schema for subject \"users-value\", details: \
             [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' in the new schema has \
             no default value and is missing in the old schema', additionalInfo:'email'}, {oldSchemaVersion: 1}"
        ),
        "{}",
        answer.message()
    );
    assert!(answer.message().ends_with("{compatibility: 'BACKWARD'}]"), "{}", answer.message());
}

#[tokio::test]
async fn a_field_with_a_default_is_accepted_under_backward() {
    let app = TestApp::spawn().await;
    app.register_avro("users-value", &user(&[field("id", "long")])).await;

    app.register_avro("users-value", &user(&[field("id", "long"), field_with_default("email", "string", json!(""))]))
        .await;

    assert_eq!(app.versions("users-value", "").await.body, json!([1, 2]));
}

#[tokio::test]
async fn removing_a_field_without_default_is_refused_under_forward_but_adding_one_is_not() {
    let app = TestApp::spawn().await;
    assert_eq!(app.set_subject_config("users-value", "FORWARD").await.status, StatusCode::OK);
    app.register_avro("users-value", &user(&[field("id", "long"), field("name", "string")])).await;

    let removed = app.register("users-value", json!({ "schema": user(&[field("id", "long")]).to_string() })).await;
    let added = app
        .register(
            "users-value",
            json!({ "schema": user(&[field("id", "long"), field("name", "string"), field("email", "string")]).to_string() }),
        )
        .await;

    assert_eq!(removed.status, StatusCode::CONFLICT);
    assert!(removed.message().contains("The field 'name' in the old schema has no default value"), "{removed:?}");
    assert_eq!(added.status, StatusCode::OK, "{added:?}");
}

#[tokio::test]
async fn full_refuses_changes_either_side_cannot_read_and_accepts_optional_fields() {
    let app = TestApp::spawn().await;
    app.set_config("FULL").await;
    app.register_avro("users-value", &user(&[field("id", "long")])).await;

    let required = app
        .check("users-value", Some("latest"), "verbose=true", &user(&[field("id", "long"), field("email", "string")]))
        .await;
    let retyped = app.check("users-value", Some("latest"), "verbose=true", &user(&[field("id", "string")])).await;
    let optional = app
        .check(
            "users-value",
            Some("latest"),
            "",
            &user(&[field("id", "long"), field_with_default("email", "string", json!(""))]),
        )
        .await;

    assert_eq!(required.body["is_compatible"], false);
    assert_eq!(retyped.body["is_compatible"], false);
    let messages = retyped.body["messages"].as_array().unwrap();
    assert!(messages[0].as_str().unwrap().contains("reader type: STRING not compatible with writer type: LONG"));
    assert!(messages.contains(&json!("{compatibility: 'FULL'}")), "{messages:?}");
    assert_eq!(optional.body, json!({ "is_compatible": true }));
}

/// v1 `{a: int}`, v2 `{}`, v3 `{a: string = ""}`: v3 reads v2's data (no `a`, so its default) but not v1's, whose
/// `a` is an int.
fn transitive_chain() -> [Value; 3] {
    [user(&[field("a", "int")]), user(&[]), user(&[field_with_default("a", "string", json!(""))])]
}

#[tokio::test]
async fn a_change_compatible_with_the_latest_only_passes_backward() {
    let app = TestApp::spawn().await;
    let [v1, v2, v3] = transitive_chain();
    app.register_avro("chain-value", &v1).await;
    app.register_avro("chain-value", &v2).await;

    app.register_avro("chain-value", &v3).await;

    assert_eq!(app.versions("chain-value", "").await.body, json!([1, 2, 3]));
}

#[tokio::test]
async fn the_same_change_fails_backward_transitive_against_the_first_version() {
    let app = TestApp::spawn().await;
    let [v1, v2, v3] = transitive_chain();
    app.set_subject_config("chain-value", "BACKWARD_TRANSITIVE").await;
    app.register_avro("chain-value", &v1).await;
    app.register_avro("chain-value", &v2).await;

    let answer = app.register("chain-value", json!({ "schema": v3.to_string() })).await;
    let against_all = app.check("chain-value", None, "verbose=true", &v3).await;
    let against_latest = app.check("chain-value", Some("latest"), "verbose=true", &v3).await;

    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(answer.message().contains("{oldSchemaVersion: 1}"), "{answer:?}");
    assert!(!answer.message().contains("{oldSchemaVersion: 2}"), "{answer:?}");
    assert_eq!(against_all.body["is_compatible"], false);
    assert_eq!(against_latest.body, json!({ "is_compatible": true, "messages": [] }));
}

#[tokio::test]
async fn checking_against_latest_of_an_unknown_subject_is_compatible_but_a_missing_version_is_not_found() {
    let app = TestApp::spawn().await;
    app.register_avro("users-value", &user(&[field("id", "long")])).await;

    let unknown = app.check("nobody-value", Some("latest"), "", &json!("string")).await;
    let missing = app.check("users-value", Some("5"), "", &json!("string")).await;

    assert_eq!(unknown.body, json!({ "is_compatible": true }));
    assert_eq!((missing.status, missing.error_code()), (StatusCode::NOT_FOUND, 40402));
}

#[tokio::test]
async fn an_unparsable_schema_is_reported_as_incompatible_only_when_verbose() {
    let app = TestApp::spawn().await;
    app.register_avro("users-value", &user(&[field("id", "long")])).await;
    let broken = json!({ "type": "record" });

    let verbose = app.check("users-value", Some("latest"), "verbose=true", &broken).await;
    let terse = app.check("users-value", Some("latest"), "", &broken).await;

    assert_eq!(verbose.body["is_compatible"], false);
    assert!(verbose.body["messages"][0].as_str().unwrap().starts_with("Invalid schema: "));
    assert_eq!(terse.error_code(), 42201);
}

#[tokio::test]
async fn json_schema_compatibility_is_not_guessed_but_none_lets_new_versions_in() {
    let app = TestApp::spawn().await;
    let v1 = json!({ "type": "object" }).to_string();
    let v2 = json!({ "type": "object", "properties": { "id": { "type": "integer" } } }).to_string();
    app.register("users-json", json!({ "schema": v1, "schemaType": "JSON" })).await;

    let refused = app.register("users-json", json!({ "schema": v2, "schemaType": "JSON" })).await;
    app.set_subject_config("users-json", "NONE").await;
    let accepted = app.register("users-json", json!({ "schema": v2, "schemaType": "JSON" })).await;

    assert_eq!((refused.status, refused.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, 42201));
    assert!(refused.message().contains("checks compatibility of AVRO schemas only"), "{refused:?}");
    assert_eq!(accepted.status, StatusCode::OK);
}

#[tokio::test]
async fn the_global_level_defaults_to_backward_and_can_be_changed() {
    let app = TestApp::spawn().await;

    let initial = app.config().await;
    let set = app.set_config("full_transitive").await;
    let after = app.config().await;
    let invalid = app.set_config("SIDEWAYS").await;

    assert_eq!(initial.body, json!({ "compatibilityLevel": "BACKWARD" }));
    assert_eq!(set.body, json!({ "compatibility": "FULL_TRANSITIVE" }));
    assert_eq!(after.body, json!({ "compatibilityLevel": "FULL_TRANSITIVE" }));
    assert_eq!((invalid.status, invalid.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, 42203));
}

#[tokio::test]
async fn a_subject_level_is_reported_only_once_set_unless_defaulting_to_global() {
    let app = TestApp::spawn().await;

    let unset = app.subject_config("users-value", "").await;
    let defaulted = app.subject_config("users-value", "defaultToGlobal=true").await;
    app.set_subject_config("users-value", "FORWARD").await;
    let set = app.subject_config("users-value", "").await;
    let removed = app.delete_subject_config("users-value").await;
    let after = app.subject_config("users-value", "").await;

    assert_eq!((unset.status, unset.error_code()), (StatusCode::NOT_FOUND, 40408));
    assert_eq!(defaulted.body, json!({ "compatibilityLevel": "BACKWARD" }));
    assert_eq!(set.body, json!({ "compatibilityLevel": "FORWARD" }));
    assert_eq!(removed.body, json!({ "compatibilityLevel": "FORWARD" }));
    assert_eq!(after.error_code(), 40408);
}

#[tokio::test]
async fn a_soft_deleted_subject_disappears_but_its_schemas_stay_readable_by_id() {
    let app = TestApp::spawn().await;
    let v1 = user(&[field("id", "long")]);
    let v2 = user(&[field("id", "long"), field_with_default("email", "string", json!(""))]);
    let id = app.register_avro("users-value", &v1).await;
    app.register_avro("users-value", &v2).await;

    let deleted = app.delete_subject("users-value", "").await;

    assert_eq!(deleted.body, json!([1, 2]));
    assert_eq!(app.subjects("").await.body, json!([]));
    assert_eq!(app.subjects("deleted=true").await.body, json!(["users-value"]));
    assert_eq!(app.versions("users-value", "").await.error_code(), 40401);
    assert_eq!(app.versions("users-value", "deleted=true").await.body, json!([1, 2]));
    assert_eq!(app.schema_by_id(&id.to_string()).await.status, StatusCode::OK);
    assert_eq!(app.delete_subject("users-value", "").await.error_code(), 40404);
}

#[tokio::test]
async fn a_permanent_delete_needs_a_soft_delete_first() {
    let app = TestApp::spawn().await;
    app.register_avro("users-value", &user(&[field("id", "long")])).await;

    let too_early = app.delete_subject("users-value", "permanent=true").await;
    app.delete_subject("users-value", "").await;
    let permanent = app.delete_subject("users-value", "permanent=true").await;

    assert_eq!((too_early.status, too_early.error_code()), (StatusCode::NOT_FOUND, 40405));
    assert_eq!(permanent.body, json!([1]));
    assert_eq!(app.subjects("deleted=true").await.body, json!([]));
}

#[tokio::test]
async fn deleting_a_version_hides_it_and_latest_moves_back() {
    let app = TestApp::spawn().await;
    let v1 = user(&[field("id", "long")]);
    let v2 = user(&[field("id", "long"), field_with_default("email", "string", json!(""))]);
    app.register_avro("users-value", &v1).await;
    app.register_avro("users-value", &v2).await;

    let deleted = app.delete_version("users-value", "2", "").await;
    let again = app.delete_version("users-value", "2", "").await;
    let live_permanently = app.delete_version("users-value", "1", "permanent=true").await;

    assert_eq!(deleted.body, json!(2));
    assert_eq!(app.versions("users-value", "").await.body, json!([1]));
    assert_eq!(app.version("users-value", "latest").await.body["version"], 1);
    assert_eq!(again.error_code(), 40406);
    assert_eq!(live_permanently.error_code(), 40407);
}

#[tokio::test]
async fn a_deleted_schema_registered_again_gets_a_new_version_and_its_old_id() {
    let app = TestApp::spawn().await;
    let schema = user(&[field("id", "long")]);
    let id = app.register_avro("users-value", &schema).await;
    app.delete_subject("users-value", "").await;

    let again = app.register_avro("users-value", &schema).await;

    assert_eq!(again, id);
    assert_eq!(app.versions("users-value", "").await.body, json!([2]));
}

#[tokio::test]
async fn an_avro_schema_can_reference_a_schema_registered_under_another_subject() {
    let app = TestApp::spawn().await;
    let address = json!({ "type": "record", "name": "Address", "namespace": "meshport.test", "fields": [field("city", "string")] });
    app.register_avro("address", &address).await;
    let with_reference = user(&[field("id", "long"), field("home", "meshport.test.Address")]).to_string();
    let references = json!([{ "name": "meshport.test.Address", "subject": "address", "version": 1 }]);

    let registered = app.register("users-value", json!({ "schema": with_reference, "references": references })).await;
    let unknown = app
        .register(
            "others-value",
            json!({ "schema": with_reference, "references": [{ "name": "x", "subject": "nowhere", "version": 1 }] }),
        )
        .await;
    let delete_referenced = app.delete_version("address", "1", "").await;

    assert_eq!(registered.status, StatusCode::OK, "{registered:?}");
    assert_eq!(app.version("users-value", "1").await.body["references"], references);
    assert_eq!(unknown.error_code(), 42201);
    assert_eq!((delete_referenced.status, delete_referenced.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, 42206));
}

#[tokio::test]
async fn an_invalid_listen_address_stops_the_binary_with_code_2_naming_the_variable() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meshport-registry"))
        .env("MESHPORT_REGISTRY_LISTEN", "not-an-address")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("MESHPORT_REGISTRY_LISTEN"));
}

/// The registry binary, killed when dropped so that a failing test does not leave it running.
struct Binary(std::process::Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_where_it_listens_and_serves_there() {
    use std::io::BufRead as _;
    let mut binary = Binary(
        std::process::Command::new(env!("CARGO_BIN_EXE_meshport-registry"))
            .env("MESHPORT_REGISTRY_LISTEN", "127.0.0.1:0")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = binary.0.stdout.take().unwrap();

    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url =
        line.trim().strip_prefix("meshport-registry listening on ").unwrap_or_else(|| panic!("unexpected: {line}"));
    let answer = reqwest::get(url).await.unwrap();

    assert_eq!(answer.status(), StatusCode::OK);
}
