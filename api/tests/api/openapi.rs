//! The OpenAPI document the API serves: every route the router serves is in it and nothing else, with who may call
//! it, its query parameters and its error shape. (scripts/test also validates it with openapi-spec-validator.)

use crate::common;

use std::collections::BTreeSet;

use meshport_api::routes::{self, Access};
use meshport_shared::{
    DataProduct, DomainName, GovernancePolicy, ProductId, SchemaFact, SubjectName, SupportChannel, SupportKind,
    TeamName, TopicName, ViolationCode, validate,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{TestApp, Who};

async fn document(app: &TestApp) -> Value {
    let response = app.openapi().await;
    assert_eq!(response.status(), StatusCode::OK, "the document needs no sign-in, even where reads are private");
    response.json().await.unwrap()
}

fn operation<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not in the document");
    operation
}

fn parameters(operation: &Value) -> BTreeSet<&str> {
    operation["parameters"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect()
}

#[tokio::test]
async fn every_route_the_router_serves_is_documented_and_nothing_else() {
    let portal = tempfile::tempdir().unwrap();
    std::fs::write(portal.path().join("index.html"), "<html><head></head></html>").unwrap();
    let app = TestApp::spawn(&[
        ("MESHPORT_DEV_AUTH", "true".into()),
        ("MESHPORT_PUBLIC_READS", "false".into()),
        ("MESHPORT_STATIC_DIR", portal.path().display().to_string()),
    ])
    .await;

    let document = document(&app).await;

    // The router's own table, plus the product page the local server adds when it serves the portal.
    let served: BTreeSet<(String, &str)> = routes::served(app.state.auth.dev_mode())
        .into_iter()
        .chain([routes::portal::PRODUCT_PAGE])
        .map(|route| (route.path.to_owned(), route.method.as_str()))
        .collect();
    let documented: BTreeSet<(String, &str)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            ["get", "put", "post", "delete", "patch", "head", "options"]
                .into_iter()
                .filter(|method| item.get(*method).is_some())
                .map(|method| (path.clone(), method))
        })
        .collect();
    assert!(served.len() > 20, "{served:?}");
    assert_eq!(documented, served);
}

#[tokio::test]
async fn every_route_says_who_may_call_it_and_catalog_reads_need_no_token_only_where_reads_are_public() {
    for public in [false, true] {
        let app =
            TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_PUBLIC_READS", public.to_string())])
                .await;

        let document = document(&app).await;

        let scheme = &document["components"]["securitySchemes"]["bearer"];
        assert_eq!((scheme["type"].as_str(), scheme["scheme"].as_str()), (Some("http"), Some("bearer")));
        let error = &document["components"]["schemas"]["ApiError"];
        let fields: BTreeSet<&str> = error["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, BTreeSet::from(["code", "message", "details"]));
        let catalog = if public { json!([{"bearer": []}, {}]) } else { json!([{"bearer": []}]) };
        for route in routes::documented() {
            let operation = operation(&document, route.path, route.method.as_str());
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.keys().any(|status| status.starts_with('2')), "{} has no success answer", route.path);
            let expected = match route.access {
                Access::Catalog => &catalog,
                Access::Members => &json!([{"bearer": []}]),
                Access::Open => &json!([{}]),
            };
            assert_eq!(&operation["security"], expected, "{} (public reads: {public})", route.path);
            if route.access != Access::Open {
                let unauthorized = &responses["401"]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(unauthorized, "#/components/schemas/ApiError", "{}", route.path);
            }
        }
        assert_eq!(document["servers"][0]["url"], app.state.embed.portal_url);
    }
}

#[test]
fn public_reads_open_the_catalog_only_and_never_samples_unclaimed_topics_subjects_or_the_audit_trail() {
    let reads = |access: Access| -> BTreeSet<&str> {
        routes::served(true)
            .into_iter()
            .filter(|route| route.access == access && route.method == routes::Verb::Get)
            .map(|route| route.path)
            .collect()
    };

    assert_eq!(
        reads(Access::Catalog),
        BTreeSet::from([
            "/api/v1/policy",
            "/api/v1/products",
            "/api/v1/products/{id}",
            "/api/v1/products/{id}/consumers",
            "/api/v1/products/{id}/export",
            "/api/v1/products/{id}/schema/diff",
        ])
    );
    assert_eq!(
        reads(Access::Members),
        BTreeSet::from([
            "/api/v1/access/inbox",
            "/api/v1/access/mine",
            "/api/v1/products/{id}/access",
            "/api/v1/products/{id}/access/unmanaged",
            "/api/v1/activity",
            "/api/v1/domains/{domain}/publishable-topics",
            "/api/v1/events",
            "/api/v1/me",
            "/api/v1/notifications/dead-letters",
            "/api/v1/products/{id}/history",
            "/api/v1/products/{id}/retire",
            "/api/v1/products/{id}/sample",
            "/api/v1/subjects/{subject}",
            "/api/v1/teams/{team}/channels",
            "/api/v1/teams/{team}/service-accounts",
            "/api/v1/products/{id}/watch",
            "/api/v1/me/notifications",
            "/api/v1/teams/{team}/tokens",
            "/api/v1/products/{id}/proposals",
            "/api/v1/proposals/mine",
        ])
    );
    let changes = routes::served(true).into_iter().filter(|route| route.method != routes::Verb::Get);
    let mut checks = Vec::new();
    for route in changes.filter(|route| !route.path.starts_with("/api/v1/dev/")) {
        assert_eq!(route.access, Access::Members, "{:?} {}", route.method, route.path);
        if !route.changes() {
            checks.push(route.path);
        }
    }
    // Every other one is behind `Changer`: a read token is refused by each.
    // An evolve's dry run is a check too; its handler refuses a real one to a read token.
    assert_eq!(
        checks,
        ["/api/v1/products/{id}/schema", "/api/v1/schemas/check"],
        "the routes a read token may POST to"
    );
}

#[tokio::test]
async fn query_parameters_are_documented() {
    let app = TestApp::spawn(&[]).await;

    let document = document(&app).await;

    let search = parameters(operation(&document, "/api/v1/products", "get"));
    assert_eq!(search, meshport_shared::search::PARAMETERS.into_iter().collect(), "every search parameter");
    let delete = parameters(operation(&document, "/api/v1/products/{id}/topic", "delete"));
    assert_eq!(delete, BTreeSet::from(["id", "revision", "force", "If-Match"]));
    let publish = parameters(operation(&document, "/api/v1/products/publish", "post"));
    assert_eq!(publish, BTreeSet::from(["dry_run"]));
    let oembed = parameters(operation(&document, "/oembed", "get"));
    assert!(oembed.contains("url") && oembed.contains("maxwidth"), "{oembed:?}");
}

/// A string constraint of the document, read as a client validating against it reads it: the pattern matches
/// anywhere in the text unless anchored, lengths count characters.
struct StringRule {
    pattern: Option<regex_lite::Regex>,
    min: usize,
    max: usize,
}

impl StringRule {
    fn of(schema: &Value) -> Self {
        let length = |key: &str| schema[key].as_u64().map(|n| usize::try_from(n).unwrap());
        Self {
            pattern: schema["pattern"].as_str().map(|p| regex_lite::Regex::new(p).unwrap()),
            min: length("minLength").unwrap_or(0),
            max: length("maxLength").unwrap_or(usize::MAX),
        }
    }

    fn admits(&self, text: &str) -> bool {
        let length = text.chars().count();
        self.pattern.as_ref().is_none_or(|p| p.is_match(text)) && (self.min..=self.max).contains(&length)
    }
}

fn generated() -> Value {
    serde_json::to_value(routes::openapi_document("http://127.0.0.1", false)).unwrap()
}

/// The document's rule for `name` admits exactly the samples its type parses.
fn check_name<T: std::str::FromStr>(document: &Value, name: &str, samples: &[&str]) {
    let rule = StringRule::of(&document["components"]["schemas"][name]);
    assert!(rule.pattern.is_some() && rule.max < usize::MAX, "{name} states no pattern or length");
    for sample in samples {
        assert_eq!(rule.admits(sample), sample.parse::<T>().is_ok(), "{name} `{}`", sample.escape_debug());
    }
}

#[test]
fn the_document_admits_exactly_the_names_that_parse() {
    let document = generated();
    let long = |c: &str, n: usize| c.repeat(n);

    let slugs = ["a", "0", "a-b", "growth-analytics", "A", "-a", "a_b", "a.b", "a b", "", "é"];
    let (team_max, team_over) = (long("t", 64), long("t", 65));
    let teams: Vec<&str> = slugs.iter().copied().chain([team_max.as_str(), team_over.as_str()]).collect();
    check_name::<TeamName>(&document, "TeamName", &teams);
    check_name::<DomainName>(&document, "DomainName", &teams);
    let (id_max, id_over) = (long("p", 128), long("p", 129));
    let more = ["orders.v2", "a_b.c-d", ".a", id_max.as_str(), id_over.as_str()];
    let ids: Vec<&str> = slugs.iter().copied().chain(more).collect();
    check_name::<ProductId>(&document, "ProductId", &ids);
    let (topic_max, topic_over) = (long("T", 249), long("T", 250));
    let topics = [
        "orders",
        "Orders.v2_eu-west",
        ".",
        "..",
        "...",
        ".a",
        "..a",
        "a.",
        "a..",
        "-",
        "_",
        "orders/eu",
        "a b",
        "",
        "<script>",
        "é",
        &topic_max,
        &topic_over,
    ];
    check_name::<TopicName>(&document, "TopicName", &topics);
    // Whitespace outside ASCII is left out: the test's regex engine reads `\s` as ASCII only.
    let (subject_max, subject_over) = (long("s", 255), long("é", 256));
    let subjects = [
        "orders-value",
        "com.acme.Order",
        "a b",
        " a ",
        "é",
        "日本",
        "a/b",
        "",
        " ",
        "\t\n",
        "a\nb",
        "a\u{7f}",
        "a\u{85}",
        "a\u{9f}b",
        "a\u{a0}",
        &subject_max,
        &subject_over,
    ];
    check_name::<SubjectName>(&document, "SubjectName", &subjects);
}

/// The rules of the governance policy that do not depend on the organisation: any product the document admits
/// breaks none of them.
fn stated_violations(product: &DataProduct) -> Vec<(ViolationCode, String)> {
    let policy: GovernancePolicy = serde_json::from_str(include_str!("../../src/default_policy.json")).unwrap();
    let stated = [
        ViolationCode::TooLong,
        ViolationCode::InvalidVersion,
        ViolationCode::InvalidTag,
        ViolationCode::InvalidDate,
        ViolationCode::DuplicateInput,
    ];
    // Other required fields are the policy's (`required_fields`).
    let always_required = ["name", "description.purpose"];
    validate(product, &policy, SchemaFact::Registered)
        .into_iter()
        .filter(|v| {
            stated.contains(&v.code)
                || (v.code == ViolationCode::RequiredFieldMissing && always_required.contains(&v.field.as_str()))
        })
        .map(|v| (v.code, v.field))
        .collect()
}

#[test]
fn the_document_states_every_rule_of_a_product_that_is_not_the_organisations() {
    let document = generated();
    let schemas = &document["components"]["schemas"];
    let field = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
    let max = |schema: &Value, key: &str| usize::try_from(schema[key].as_u64().unwrap()).unwrap();
    let valid = || meshport_shared::testing::product("orders").build();
    assert_eq!(stated_violations(&valid()), []);

    // Texts: at the document's maximum length a product is valid, one character more it is not.
    type Text = fn(&mut DataProduct) -> &mut String;
    let texts: [(&str, &str, Text); 5] = [
        ("DataProduct", "name", |p| &mut p.name),
        ("Description", "purpose", |p| &mut p.description.purpose),
        ("Description", "limitations", |p| &mut p.description.limitations),
        ("Description", "usage", |p| &mut p.description.usage),
        ("Owner", "contact", |p| &mut p.owner.contact),
    ];
    for (schema, name, text) in texts {
        let rule = StringRule::of(&field(schema, name));
        assert!(rule.max < usize::MAX, "{schema}.{name} states no maximum length");
        for length in [rule.max, rule.max + 1] {
            let mut product = valid();
            *text(&mut product) = "x".repeat(length);
            let admitted = rule.admits(&"x".repeat(length));
            assert_eq!(stated_violations(&product).is_empty(), admitted, "{schema}.{name} of {length} characters");
        }
        for blank in ["", " ", "\t\n"] {
            let mut product = valid();
            *text(&mut product) = blank.to_owned();
            assert!(!rule.admits(blank) || stated_violations(&product).is_empty(), "{schema}.{name} `{blank:?}`");
        }
    }

    // Lists: at the document's maximum count a product is valid, one more it is not; likewise their items' lengths.
    type List = fn(&mut DataProduct, usize, usize);
    let lists: [(&str, &str, List); 4] = [
        ("DataProduct", "tags", |p, n, len| p.tags = (0..n).map(|i| format!("{i:0>len$}")).collect()),
        ("DataProduct", "personal_fields", |p, n, len| {
            p.personal_fields = (0..n).map(|i| format!("{i:0>len$}")).collect()
        }),
        ("Owner", "members", |p, n, len| p.owner.members = (0..n).map(|i| format!("{i:0>len$}")).collect()),
        ("DataProduct", "support", |p, n, len| {
            let channel = |i: usize| SupportChannel { kind: SupportKind::Chat, address: format!("{i:0>len$}") };
            p.support = (0..n).map(channel).collect();
        }),
    ];
    for (schema, name, set) in lists {
        let list = field(schema, name);
        let items = match list["items"]["$ref"].as_str() {
            Some(_) => field("SupportChannel", "address"),
            None => list["items"].clone(),
        };
        let (count, rule) = (max(&list, "maxItems"), StringRule::of(&items));
        for (n, len, admitted) in [(count, 8, true), (count + 1, 8, false)] {
            let mut product = valid();
            set(&mut product, n, len);
            assert_eq!(stated_violations(&product).is_empty(), admitted, "{name}: {n} items of {len}");
        }
        if rule.max < usize::MAX {
            let mut product = valid();
            set(&mut product, 1, rule.max + 1);
            assert!(!stated_violations(&product).is_empty(), "{name}: an item of {} characters", rule.max + 1);
        }
    }

    // Versions, tags and sunsets: every sample the document admits is valid.
    let version = StringRule::of(&field("DataProduct", "version"));
    for sample in ["1.0.0", "0.0.0", "123456789.0.1", "1.2", "1.2.3.4", "1.2.x", "v1.2.3", "1234567890.0.0", ""] {
        let mut product = valid();
        product.version = sample.to_owned();
        assert_eq!(version.admits(sample), stated_violations(&product).is_empty(), "version `{sample}`");
    }
    let tag = StringRule::of(&field("DataProduct", "tags")["items"]);
    for sample in ["web", "click-stream", "a", "", "a b", "a_b", "données", &"t".repeat(40), &"t".repeat(41)] {
        let mut product = valid();
        product.tags = vec![sample.to_owned()];
        assert!(!tag.admits(sample) || stated_violations(&product).is_empty(), "tag `{sample}`");
    }
    assert_eq!(field("Deprecation", "sunset")["format"], "date", "a sunset is a full date");
    for sunset in ["2027-01-31", "2028-02-29", "2027-02-29", "2027-13-01", "27-01-31", "tomorrow"] {
        let product = meshport_shared::testing::product("orders").deprecated(sunset, None, "").build();
        let date = sunset.parse::<jiff::civil::Date>().is_ok();
        assert_eq!(date, stated_violations(&product).is_empty(), "sunset `{sunset}`");
    }

    // Inputs: at most the document's count, none twice.
    let inputs = field("DataProduct", "inputs");
    assert_eq!(inputs["uniqueItems"], true);
    let ids = |n: usize| (0..n).map(|i| ProductId::parse(format!("input-{i}")).unwrap()).collect::<Vec<_>>();
    let mut product = valid();
    product.inputs = ids(max(&inputs, "maxItems"));
    assert_eq!(stated_violations(&product), []);
    product.inputs = ids(max(&inputs, "maxItems") + 1);
    assert_eq!(stated_violations(&product), [(ViolationCode::TooLong, "inputs".to_owned())]);
}

#[tokio::test]
async fn limits_within_the_documented_range_are_taken_and_others_refused() {
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await;
    let document = document(&app).await;

    for (path, route) in [("/api/v1/products", "/api/v1/products"), ("/api/v1/activity", "/api/v1/activity")] {
        let limit = operation(&document, route, "get")["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap()["schema"]
            .clone();
        let bound = |key: &str| limit[key].as_i64().unwrap_or_else(|| panic!("{route}: `limit` has no {key}"));
        let (min, max) = (bound("minimum"), bound("maximum"));
        for (n, taken) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
            // The activity feed is for members: ask as one.
            let status = app.as_(Who::Owner).get(&format!("{path}?limit={n}")).await.status();
            assert_eq!(status.is_success(), taken, "{path}?limit={n}: {status}");
        }
    }
}

#[test]
fn no_parameter_can_be_sent_as_null() {
    let document = generated();

    let nullable: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().iter().map(move |(method, op)| (path, method, op)))
        .flat_map(|(path, method, op)| {
            op["parameters"].as_array().into_iter().flatten().map(move |p| (path, method, p))
        })
        .filter(|(_, _, p)| p["schema"]["type"].as_array().is_some_and(|t| t.contains(&Value::from("null"))))
        .map(|(path, method, p)| format!("{method} {path} {}", p["name"]))
        .collect();

    // A query string or header has no null: an optional parameter is left out.
    assert_eq!(nullable, Vec::<String>::new());
}

/// Operation ids name one operation each (OpenAPI requires it; generated clients key methods on them): handlers of
/// the same name in two route modules, such as two `list`s, must be told apart.
#[test]
fn every_operation_id_is_unique() {
    let document = generated();
    let mut seen = BTreeSet::new();

    let repeated: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .filter(|id| !seen.insert(*id))
        .collect();

    assert_eq!(repeated, Vec::<&str>::new());
}
