//! The OpenAPI document the API serves: every route the router serves is in it and nothing else, with who may call
//! it, its query parameters and its error shape. (scripts/test also validates it with openapi-spec-validator.)

use crate::common;

use std::collections::BTreeSet;

use meshport_api::routes::{self, Access};
use reqwest::StatusCode;
use serde_json::Value;

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
async fn catalog_routes_need_the_bearer_scheme_and_document_its_errors() {
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await;

    let document = document(&app).await;

    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!((scheme["type"].as_str(), scheme["scheme"].as_str()), (Some("http"), Some("bearer")));
    let error = &document["components"]["schemas"]["ApiError"];
    let fields: BTreeSet<&str> = error["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, BTreeSet::from(["code", "message", "details"]));
    for route in routes::documented() {
        let operation = operation(&document, route.path, route.method.as_str());
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.keys().any(|status| status.starts_with('2')), "{} has no success answer", route.path);
        match route.access {
            Access::Catalog => {
                assert_eq!(operation["security"], serde_json::json!([{"bearer": []}]), "{}", route.path);
                let unauthorized = &responses["401"]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(unauthorized, "#/components/schemas/ApiError", "{}", route.path);
            }
            Access::Open => assert_eq!(operation["security"], serde_json::json!([{}]), "{}", route.path),
        }
    }
    assert_eq!(document["servers"][0]["url"], app.state.embed.portal_url);
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
