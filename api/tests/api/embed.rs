//! Cards, oEmbed and badges over HTTP: each test runs its own application (own catalog, own in-process registry)
//! and reads the embed surface as a wiki, an oEmbed consumer or a Markdown renderer would.

use crate::common;

use meshport_shared::api::ProductDetail;
use meshport_shared::{DataProduct, Deprecation, ProductId, ProductStatus, Quality, SchemaFormat, SlaTier};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde_json::Value;

use common::{TestApp, product};

const PORTAL: &str = "https://mesh.acme.example";
const FRAME_ANCESTORS: &str = "'self' https://wiki.acme.example";
/// Four top-level fields, one of them a record of two: the card counts four.
const USERS_SCHEMA: &str = r#"{"type": "record", "name": "User", "namespace": "com.acme", "fields": [
    {"name": "userid", "type": "string"},
    {"name": "email", "type": "string"},
    {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
        {"name": "street", "type": "string"}, {"name": "city", "type": "string"}]}},
    {"name": "registertime", "type": "long"}
]}"#;
const HOSTILE: [&str; 5] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "Fish & \"Chips\"",
    "Zürich → 東京 🚀",
];

/// An application whose organisation made cards public, with its own portal URL and framing pages.
async fn public() -> TestApp {
    spawn(&[("MESHPORT_PUBLIC_CARDS", "true".into())]).await
}

/// An application with its own portal URL and framing pages; `vars` add to its configuration.
async fn spawn(vars: &[(&str, String)]) -> TestApp {
    let mut all = vec![
        ("MESHPORT_PORTAL_URL", PORTAL.to_owned()),
        ("MESHPORT_EMBED_FRAME_ANCESTORS", FRAME_ANCESTORS.to_owned()),
    ];
    all.extend(vars.iter().cloned());
    TestApp::spawn(&all).await
}

/// Stores `product` with the users schema registered under its value subject.
async fn seed_with_schema(app: &TestApp, product: DataProduct) -> DataProduct {
    let subject = product.output_port.value_subject.as_str().to_owned();
    app.state.mesh.registry.register(&subject, USERS_SCHEMA, SchemaFormat::Avro).await.unwrap();
    app.seed(product).await
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers.get(&name).unwrap_or_else(|| panic!("no {name} header in {headers:?}")).to_str().unwrap()
}

/// Status, headers and text of an HTML card, checking it is one.
async fn html_of(response: reqwest::Response) -> (StatusCode, HeaderMap, String) {
    let status = response.status();
    let headers = response.headers().clone();
    assert_eq!(header(&headers, header::CONTENT_TYPE), "text/html; charset=utf-8", "{status}");
    let body = response.text().await.unwrap();
    assert!(body.starts_with("<!doctype html>") && body.ends_with("</html>"), "a whole page, never blank: {body}");
    assert!(!body.contains("<script"), "cards carry no script: {body}");
    (status, headers, body)
}

async fn svg_of(response: reqwest::Response) -> (StatusCode, HeaderMap, String) {
    let status = response.status();
    let headers = response.headers().clone();
    assert_eq!(header(&headers, header::CONTENT_TYPE), "image/svg+xml", "{status}");
    let body = response.text().await.unwrap();
    assert!(body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && body.ends_with("</svg>"), "{body}");
    (status, headers, body)
}

fn deprecated(status: ProductStatus) -> DataProduct {
    DataProduct {
        status,
        deprecation: Some(Deprecation {
            sunset: "2027-03-01".into(),
            replacement: Some(ProductId::parse("users.v2").unwrap()),
            message: "Moved to the v2 schema.".into(),
        }),
        ..product("users", "membership")
    }
}

#[tokio::test]
async fn a_card_shows_the_products_governance_facts_and_links_into_the_portal() {
    let app = public().await;
    let mut users = product("users", "membership");
    users.name = "Users".into();
    users.quality = Quality::Authoritative;
    users.sla = SlaTier::Tier1;
    users.owner.members = vec!["alice.member@acme.example".into()];
    users.personal_fields = vec!["email".into()];
    users.description.limitations = "LIMITATIONS-ARE-NOT-ON-CARDS".into();
    seed_with_schema(&app, users).await;

    let (status, headers, html) = html_of(app.card("users").await).await;

    assert_eq!(status, StatusCode::OK);
    for expected in [
        ">Users</a></h1>",
        "membership · accounts",
        ">Active</span>",
        "data-testid=\"quality\">authoritative<",
        "data-testid=\"sla\" title=\"24x7, response within 1 hour\">tier-1<",
        "title=\"top-level fields of the latest value schema\">4<",
        "<time datetime=\"2026-11-22T00:00:00Z\">22 Nov 2026</time>",
        "Every users event",
        "href=\"https://mesh.acme.example/products/users\"",
        "<body class=\"light\">",
    ] {
        assert!(html.contains(expected), "the card lacks `{expected}`:\n{html}");
    }
    for private in ["alice.member", "accounts@acme.example", "LIMITATIONS", "registertime", "\"email\""] {
        assert!(!html.contains(private), "the card shows `{private}`");
    }
    assert!(html.len() <= 15 * 1024, "{} bytes", html.len());
    assert_eq!(header(&headers, header::CACHE_CONTROL), "public, max-age=60");
    assert_eq!(header(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
}

#[tokio::test]
async fn cards_carry_a_content_security_policy_with_the_configured_frame_ancestors() {
    let app = public().await;
    app.seed(product("users", "membership")).await;

    for response in [app.card("users").await, app.card("nothing-here").await, app.badge("users", "sla.svg").await] {
        assert_eq!(
            header(response.headers(), header::CONTENT_SECURITY_POLICY),
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self' https://wiki.acme.example"
        );
    }
}

#[tokio::test]
async fn the_dark_theme_is_chosen_by_query_parameter_and_an_unknown_one_is_a_400_card() {
    let app = public().await;
    app.seed(product("users", "membership")).await;

    let (light_status, _, light) = html_of(app.card("users?theme=light").await).await;
    let (dark_status, _, dark) = html_of(app.card("users?theme=dark").await).await;
    let (neon_status, _, neon) = html_of(app.card("users?theme=neon").await).await;

    assert_eq!((light_status, dark_status), (StatusCode::OK, StatusCode::OK));
    assert!(light.contains("<body class=\"light\">"));
    assert!(dark.contains("<body class=\"dark\">"));
    assert!(dark.contains(">users product</a></h1>"), "{dark}");
    assert!(dark.len() <= 15 * 1024);
    assert_eq!(neon_status, StatusCode::BAD_REQUEST);
    assert!(neon.contains("data-notice=\"bad-request\"") && neon.contains("theme `neon` is not `light` or `dark`"));
}

#[tokio::test]
async fn deprecated_and_retired_cards_say_so_with_the_sunset_and_a_link_to_the_replacement() {
    for status in [ProductStatus::Deprecated, ProductStatus::Retired] {
        let app = public().await;
        app.seed(deprecated(status)).await;

        let (code, _, html) = html_of(app.card("users").await).await;

        assert_eq!(code, StatusCode::OK);
        let headline = if status == ProductStatus::Deprecated { "Deprecated" } else { "Retired" };
        assert!(html.contains(&format!("data-testid=\"lifecycle\"><strong>{headline}</strong>")), "{html}");
        assert!(html.contains("sunset <span data-testid=\"sunset\">2027-03-01</span>"), "{html}");
        assert!(html.contains("use <a href=\"https://mesh.acme.example/products/users.v2\""), "{html}");
        assert!(html.contains("Moved to the v2 schema."), "{html}");
    }
}

#[tokio::test]
async fn an_unknown_product_is_a_404_card_and_a_malformed_id_a_400_card() {
    let app = public().await;

    let (missing_status, missing_headers, missing) = html_of(app.card("nothing-here").await).await;
    let (malformed_status, _, malformed) = html_of(app.card("Users%20Table?theme=dark").await).await;

    assert_eq!(missing_status, StatusCode::NOT_FOUND);
    assert!(missing.contains("data-notice=\"not-found\"") && missing.contains("Data product not found"));
    assert!(missing.contains("href=\"https://mesh.acme.example/\""), "a way on into the catalog");
    assert_eq!(header(&missing_headers, header::CACHE_CONTROL), "no-store");
    assert_eq!(malformed_status, StatusCode::BAD_REQUEST);
    assert!(malformed.contains("data-notice=\"bad-request\""));
    assert!(malformed.contains("product id `Users Table` must start with a lowercase"), "{malformed}");
    assert!(malformed.contains("<body class=\"dark\">"), "the notice keeps the asked-for theme");
}

#[tokio::test]
async fn without_the_registry_or_a_schema_the_card_still_renders_with_an_unknown_field_count() {
    let down = spawn(&[
        ("MESHPORT_PUBLIC_CARDS", "true".into()),
        ("MESHPORT_REGISTRY_URL", format!("http://127.0.0.1:{}", common::closed_port())),
    ])
    .await;
    down.seed(product("users", "membership")).await;
    let up = public().await;
    up.seed(product("pageviews", "analytics")).await;

    for (app, id) in [(&down, "users"), (&up, "pageviews")] {
        let (status, _, html) = html_of(app.card(id).await).await;

        assert_eq!(status, StatusCode::OK, "{id}");
        assert!(html.contains("title=\"top-level fields of the latest value schema\">—<"), "{html}");
    }
}

#[tokio::test]
async fn with_the_catalog_down_the_card_says_it_is_unavailable() {
    let blocked = tempfile::tempdir().unwrap();
    let data_dir = blocked.path().join("data");
    std::fs::write(&data_dir, b"a file where the data directory should be").unwrap();
    let app =
        spawn(&[("MESHPORT_PUBLIC_CARDS", "true".into()), ("MESHPORT_DATA_DIR", data_dir.display().to_string())]).await;

    let (status, headers, html) = html_of(app.card("users").await).await;
    let badge = app.badge("users", "status.svg").await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("data-notice=\"unavailable\""), "{html}");
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-store");
    assert_eq!(badge.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(svg_of(badge).await.2.contains(">unavailable</text>"));
}

#[tokio::test]
async fn cards_and_badges_revalidate_with_etag_and_last_modified() {
    let app = public().await;
    seed_with_schema(&app, product("users", "membership")).await;
    let first = app.card("users").await;
    let etag = header(first.headers(), header::ETAG).to_owned();
    let last_modified = header(first.headers(), header::LAST_MODIFIED).to_owned();

    let by_tag = app.card_with("users", &[(header::IF_NONE_MATCH, &etag)]).await;
    let by_date = app.card_with("users", &[(header::IF_MODIFIED_SINCE, &last_modified)]).await;
    let stale_tag = app.card_with("users", &[(header::IF_NONE_MATCH, "\"stale\"")]).await;
    let older_date = app.card_with("users", &[(header::IF_MODIFIED_SINCE, "Sat, 21 Nov 2026 00:00:00 GMT")]).await;
    let other_theme = app.card_with("users?theme=dark", &[(header::IF_NONE_MATCH, &etag)]).await;

    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "a strong validator: {etag}");
    assert_eq!(last_modified, "Sun, 22 Nov 2026 00:00:00 GMT");
    for fresh in [&by_tag, &by_date] {
        assert_eq!(fresh.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(fresh.headers(), header::ETAG), etag);
        assert_eq!(header(fresh.headers(), header::CACHE_CONTROL), "public, max-age=60");
        assert!(fresh.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    }
    assert_eq!(by_tag.text().await.unwrap(), "", "a 304 has no body");
    assert_eq!(stale_tag.status(), StatusCode::OK);
    assert_eq!(older_date.status(), StatusCode::OK);
    assert_eq!(other_theme.status(), StatusCode::OK, "each theme is its own representation");

    // A new schema version changes the field count, so the card and its tag change while updated_at does not.
    let wider = USERS_SCHEMA.replace(
        r#"{"name": "registertime", "type": "long"}"#,
        r#"{"name": "registertime", "type": "long"}, {"name": "locale", "type": "string", "default": "en"}"#,
    );
    app.state.mesh.registry.register("users-value", &wider, SchemaFormat::Avro).await.unwrap();
    let changed = app.card_with("users", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(changed.headers(), header::ETAG), etag);
    assert!(changed.text().await.unwrap().contains("title=\"top-level fields of the latest value schema\">5<"));

    let badge = app.badge("users", "status.svg").await;
    let badge_tag = header(badge.headers(), header::ETAG).to_owned();
    let fresh_badge = app.badge_with("users", "status.svg", &[(header::IF_NONE_MATCH, &badge_tag)]).await;
    assert_eq!(fresh_badge.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(badge.headers(), header::LAST_MODIFIED), "Sun, 22 Nov 2026 00:00:00 GMT");
}

#[tokio::test]
async fn oembed_answers_a_rich_response_with_the_card_iframe() {
    let app = public().await;
    seed_with_schema(&app, product("users", "membership")).await;

    let response = app.oembed(&[("url", "https://mesh.acme.example/products/users"), ("format", "json")]).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(response.headers(), header::CONTENT_TYPE).starts_with("application/json"));
    assert_eq!(header(response.headers(), header::CACHE_CONTROL), "public, max-age=60");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["type"], "rich");
    assert_eq!(body["provider_name"], "Meshport");
    assert_eq!(body["provider_url"], "https://mesh.acme.example/");
    assert_eq!(body["title"], "users product");
    assert_eq!(body["author_name"], "accounts");
    assert_eq!(body["cache_age"], 60);
    let (width, height) = (body["width"].as_u64().unwrap(), body["height"].as_u64().unwrap());
    assert!(width > 0 && height > 0);
    let html = body["html"].as_str().unwrap();
    let src = "https://mesh.acme.example/embed/products/users";
    assert!(html.starts_with(&format!("<iframe src=\"{src}\" width=\"{width}\" height=\"{height}\"")), "{html}");

    // The iframe's source is the card, served by this same application behind the portal's URL.
    let (status, _, card) = html_of(app.get(src.strip_prefix(PORTAL).unwrap()).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(card.contains(">users product</a></h1>"));
}

#[tokio::test]
async fn oembed_shrinks_to_maxwidth_and_maxheight_and_never_grows() {
    let app = public().await;
    app.seed(product("users", "membership")).await;
    let url = ("url", "https://mesh.acme.example/products/users");
    let natural: Value = app.oembed(&[url]).await.json().await.unwrap();
    let (width, height) = (natural["width"].as_u64().unwrap(), natural["height"].as_u64().unwrap());

    let small: Value = app.oembed(&[url, ("maxwidth", "300"), ("maxheight", "120")]).await.json().await.unwrap();
    let large: Value = app.oembed(&[url, ("maxwidth", "4000"), ("maxheight", "4000")]).await.json().await.unwrap();
    let bad = app.oembed(&[url, ("maxwidth", "-5")]).await;

    assert_eq!((small["width"].as_u64(), small["height"].as_u64()), (Some(300), Some(120)));
    assert!(small["html"].as_str().unwrap().contains("width=\"300\" height=\"120\""));
    assert_eq!((large["width"].as_u64(), large["height"].as_u64()), (Some(width), Some(height)));
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn oembed_refuses_xml_foreign_urls_unknown_products_and_a_missing_url() {
    let app = public().await;
    app.seed(product("users", "membership")).await;

    let xml = app.oembed(&[("url", "https://mesh.acme.example/products/users"), ("format", "xml")]).await;
    let foreign = app.oembed(&[("url", "https://evil.example/products/users")]).await;
    let not_a_product_page = app.oembed(&[("url", "https://mesh.acme.example/domains/membership")]).await;
    let unknown = app.oembed(&[("url", "https://mesh.acme.example/products/nothing-here")]).await;
    let missing = app.oembed(&[("format", "json")]).await;

    assert_eq!(xml.status(), StatusCode::NOT_IMPLEMENTED);
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(not_a_product_page.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
    assert!(body["message"].as_str().unwrap().contains("`url` is required"), "{body}");
}

#[tokio::test]
async fn badges_show_status_quality_and_sla_in_their_colours() {
    let app = public().await;
    let mut users = deprecated(ProductStatus::Deprecated);
    users.quality = Quality::Authoritative;
    users.sla = SlaTier::Tier2;
    app.seed(users).await;

    for (file, label, value, colour) in [
        ("status.svg", "status", "deprecated", "#fe7d37"),
        ("quality.svg", "quality", "authoritative", "#4c1"),
        ("sla.svg", "sla", "tier-2", "#a4a61d"),
    ] {
        let (status, headers, svg) = svg_of(app.badge("users", file).await).await;

        assert_eq!(status, StatusCode::OK, "{file}");
        assert!(svg.contains(&format!("<title>{label}: {value}</title>")), "{svg}");
        assert!(svg.contains(&format!("fill=\"{colour}\"")), "{svg}");
        assert_eq!(header(&headers, header::CACHE_CONTROL), "public, max-age=60");
    }
}

#[tokio::test]
async fn unknown_products_kinds_and_ids_get_grey_badges_with_their_status() {
    let app = public().await;

    let (missing, _, missing_svg) = svg_of(app.badge("nothing-here", "status.svg").await).await;
    let (kind, _, kind_svg) = svg_of(app.badge("users", "owner.svg").await).await;
    let (malformed, _, malformed_svg) = svg_of(app.badge("Users%20Table", "sla.svg").await).await;

    assert_eq!(missing, StatusCode::NOT_FOUND);
    assert!(missing_svg.contains("<title>status: not found</title>") && missing_svg.contains("fill=\"#9f9f9f\""));
    assert_eq!(kind, StatusCode::NOT_FOUND);
    assert!(kind_svg.contains("<title>badge: no such badge</title>"));
    assert_eq!(malformed, StatusCode::BAD_REQUEST);
    assert!(malformed_svg.contains("<title>sla: invalid id</title>"));
}

#[tokio::test]
async fn when_cards_are_not_public_everyone_is_asked_to_sign_in_and_nothing_is_cached() {
    let app = spawn(&[]).await;
    app.seed(product("users", "membership")).await;

    let (status, headers, html) = html_of(app.card("users").await).await;
    let (unknown_status, _, unknown) = html_of(app.card("nothing-here").await).await;
    let (badge_status, badge_headers, badge) = svg_of(app.badge("users", "status.svg").await).await;
    let oembed = app.oembed(&[("url", "https://mesh.acme.example/products/users")]).await;

    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-notice=\"sign-in\"") && html.contains("Sign in to see this data product"));
    assert!(html.contains("href=\"https://mesh.acme.example/products/users\""), "{html}");
    assert!(!html.contains("users product") && !html.contains("Every users event"), "{html}");
    assert_eq!(header(&headers, header::CACHE_CONTROL), "private, no-store");
    assert!(!headers.contains_key(header::ETAG));
    assert_eq!(unknown_status, StatusCode::OK, "unknown ids look the same, so ids cannot be probed");
    assert!(unknown.contains("data-notice=\"sign-in\""));
    assert_eq!(badge_status, StatusCode::OK);
    assert!(badge.contains("<title>status: sign in</title>"));
    assert_eq!(header(&badge_headers, header::CACHE_CONTROL), "private, no-store");
    assert_eq!(oembed.status(), StatusCode::UNAUTHORIZED, "oEmbed's answer for a private resource");
}

#[tokio::test]
async fn hostile_text_is_escaped_on_cards_in_oembed_and_badges() {
    for hostile in HOSTILE {
        let app = public().await;
        let mut users = deprecated(ProductStatus::Deprecated);
        users.name = hostile.to_owned();
        users.description.purpose = format!("{hostile} purpose");
        if let Some(deprecation) = &mut users.deprecation {
            deprecation.sunset = hostile.to_owned();
            deprecation.message = hostile.to_owned();
        }
        app.seed(users).await;

        let (_, _, light) = html_of(app.card("users").await).await;
        let (_, _, dark) = html_of(app.card("users?theme=dark").await).await;
        let oembed: Value =
            app.oembed(&[("url", "https://mesh.acme.example/products/users")]).await.json().await.unwrap();
        let (_, _, badge) = svg_of(app.badge("users", "status.svg").await).await;
        let escaped = hostile
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");

        let iframe = oembed["html"].as_str().unwrap();
        for markup in [&light, &dark, iframe, &badge] {
            for raw in ["<script>", "<img", "' onmouseover='", "\"Chips\""] {
                assert!(!(hostile.contains(raw) && markup.contains(raw)), "`{raw}` unescaped in:\n{markup}");
            }
        }
        assert!(light.contains(&format!("<title>{escaped} · Meshport</title>")), "{light}");
        assert!(light.contains(&format!(">{escaped}</a></h1>")), "{light}");
        assert!(light.contains(&format!(">{escaped} purpose</p>")), "{light}");
        assert!(light.contains(&format!("sunset <span data-testid=\"sunset\">{escaped}</span>")), "{light}");
        assert!(iframe.contains(&format!("title=\"{escaped} (Meshport data product)\"")), "{iframe}");
        assert_eq!(oembed["title"], hostile, "oEmbed's title is plain text, for consumers to escape");
    }
}

#[tokio::test]
async fn the_product_page_proposes_the_card_size_oembed_answers() {
    let app = spawn(&[("MESHPORT_PUBLIC_CARDS", "true".into()), ("MESHPORT_PUBLIC_READS", "true".into())]).await;
    seed_with_schema(&app, product("users", "membership")).await;
    let orders = meshport_shared::testing::product("orders").build().output_port;
    app.seed(DataProduct {
        id: ProductId::parse("orders").unwrap(),
        output_port: orders,
        ..deprecated(ProductStatus::Deprecated)
    })
    .await;

    for id in ["users", "orders"] {
        let detail: ProductDetail = app.product(id).await.json().await.unwrap();
        let url = format!("https://mesh.acme.example/products/{id}");
        let oembed: Value = app.oembed(&[("url", url.as_str()), ("format", "json")]).await.json().await.unwrap();

        let proposed = (u64::from(detail.links.card_width), u64::from(detail.links.card_height));
        assert_eq!(proposed, (oembed["width"].as_u64().unwrap(), oembed["height"].as_u64().unwrap()), "{id}");
    }
}
