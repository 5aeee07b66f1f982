//! The OpenAPI document the API serves: every route the router serves is in it and nothing else, with who may call
//! it, its query parameters and its error shape. (scripts/test also validates it with openapi-spec-validator.)

use crate::common;

use std::collections::BTreeSet;

use meshport_api::routes::{self, Access};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;

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
            "/api/v1/products/{id}/schema/diff",
        ])
    );
    assert_eq!(
        reads(Access::Members),
        BTreeSet::from([
            "/api/v1/access/inbox",
            "/api/v1/access/mine",
            "/api/v1/products/{id}/access",
            "/api/v1/activity",
            "/api/v1/domains/{domain}/publishable-topics",
            "/api/v1/me",
            "/api/v1/products/{id}/history",
            "/api/v1/products/{id}/sample",
            "/api/v1/subjects/{subject}",
        ])
    );
    let changes = routes::served(true).into_iter().filter(|route| route.method != routes::Verb::Get);
    for route in changes.filter(|route| !route.path.starts_with("/api/v1/dev/")) {
        assert_eq!(route.access, Access::Members, "{:?} {}", route.method, route.path);
    }
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
