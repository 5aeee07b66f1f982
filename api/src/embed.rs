//! Embeddable product cards, oEmbed and badges: rendering (HTML and SVG), escaping and caching rules.
//!
//! This module is pure: it turns a product (and the few facts looked up beside it) into bytes; the HTTP side
//! (status codes, headers, revalidation, who may read) is `routes/embed.rs`. The public URLs, all under the portal's
//! base URL (`MESHPORT_PORTAL_URL`), which is expected to route `/embed`, `/oembed` and `/badge` to the API as it
//! routes `/api` (the local server serves both on one origin):
//!
//! - card, for an iframe: `<portal>/embed/products/{id}` (light) or `<portal>/embed/products/{id}?theme=dark`;
//! - oEmbed endpoint (<https://oembed.com>, JSON only): `<portal>/oembed?url=<portal>/products/{id}&format=json`,
//!   with optional `maxwidth`, `maxheight` and, as an extension, `theme`. The portal announces it on each product
//!   page with `<link rel="alternate" type="application/json+oembed" href="<portal>/oembed?url=...&format=json">`;
//! - badges, shields-style: `<portal>/badge/products/{id}/status.svg`, `.../quality.svg`, `.../sla.svg`.
//!
//! A card shows only what the whole organisation may read: name, domain, owning team, lifecycle (with sunset and
//! replacement), quality, SLA, the purpose (clipped), the number of top-level schema fields and the last change.
//! Never the team's members, contact, personal-field list, schema content, tags or anything from configuration
//! but the portal's URL. Every text goes through [`escape`], and free text is clipped, so a card stays well under
//! [`MAX_CARD_BYTES`] whatever the catalog holds.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hasher};

use meshport_shared::schema::SchemaField;
use meshport_shared::{DataProduct, ProductId, ProductStatus, Quality, SlaTier};
use serde::Serialize;

pub use crate::config::EmbedSettings;

/// The most a card may weigh, whatever the product says.
pub const MAX_CARD_BYTES: usize = 15 * 1024;
/// How long consumers may keep a card, a badge or an oEmbed answer, in seconds.
pub const CACHE_SECONDS: u32 = 60;
/// The size of the iframe an oEmbed answer proposes, before `maxwidth` and `maxheight`. The card is fluid: it
/// fills whatever frame it gets and clips its texts, so a smaller frame shows less rather than scrolling.
pub const CARD_WIDTH: u32 = 480;
pub const CARD_HEIGHT: u32 = 208;
/// The extra height a deprecated or retired product's banner takes.
const BANNER_HEIGHT: u32 = 64;

/// Longest texts shown, in characters; longer ones end with `…`.
const NAME_CHARS: usize = 100;
const PURPOSE_CHARS: usize = 240;
const DEPRECATION_MESSAGE_CHARS: usize = 160;
const SUNSET_CHARS: usize = 32;
const NOTICE_CHARS: usize = 200;

impl EmbedSettings {
    /// The product's page in the portal.
    pub fn product_page(&self, id: &ProductId) -> String {
        format!("{}/products/{id}", self.portal_url)
    }

    /// The card's own URL, what an iframe points at.
    pub fn card_url(&self, id: &ProductId, theme: Theme) -> String {
        let query = match theme {
            Theme::Light => "",
            Theme::Dark => "?theme=dark",
        };
        format!("{}/embed/products/{id}{query}", self.portal_url)
    }

    /// The `Content-Security-Policy` of every card and badge: nothing may load but inline styles and data images,
    /// and only the configured pages may frame it.
    pub fn content_security_policy(&self) -> String {
        format!(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors {}",
            self.frame_ancestors
        )
    }

    /// The product a portal URL (`<portal>/products/{id}`, optionally with a trailing slash, a query or a fragment)
    /// points at; `None` for any other URL, including other portals' and malformed ids.
    pub fn product_of_portal_url(&self, url: &str) -> Option<ProductId> {
        let portal = reqwest::Url::parse(&self.portal_url).ok()?;
        let url = reqwest::Url::parse(url.trim()).ok()?;
        let same_origin = url.scheme() == portal.scheme()
            && url.host_str() == portal.host_str()
            && url.port_or_known_default() == portal.port_or_known_default();
        if !same_origin || !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let prefix = format!("{}/products/", portal.path().trim_end_matches('/'));
        let rest = url.path().strip_prefix(&prefix)?;
        let id = rest.strip_suffix('/').unwrap_or(rest);
        ProductId::parse(id).ok()
    }
}

/// A card's colours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    /// Reads the `theme` query parameter; absent means light.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim) {
            None | Some("" | "light") => Ok(Self::Light),
            Some("dark") => Ok(Self::Dark),
            Some(other) => Err(format!("theme `{}` is not `light` or `dark`", clip(other, 40))),
        }
    }

    fn class(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

/// The portal's `index.html` with the oEmbed discovery link of product `id` (oembed.com section 4) at the end of its
/// `<head>`: wiki crawlers do not run the portal's script, so this is how they find the card. `title` is the product's
/// name, or its id where the name is not for everyone. A page without a `<head>` is left as it is.
pub fn with_discovery_link(index_html: &str, id: &ProductId, title: &str, settings: &EmbedSettings) -> String {
    let Some(head_end) = index_html.to_ascii_lowercase().find("</head>") else {
        return index_html.to_owned();
    };
    let endpoint = format!("{}/oembed", settings.portal_url);
    let page = settings.product_page(id);
    let href = reqwest::Url::parse_with_params(&endpoint, [("url", page.as_str()), ("format", "json")])
        .map_or_else(|_| endpoint.clone(), String::from);
    let link = format!(
        "<link rel=\"alternate\" type=\"application/json+oembed\" href=\"{}\" title=\"{}\">",
        escape(&href),
        escape(&clip(title, NAME_CHARS)),
    );
    format!("{}{link}\n{}", &index_html[..head_end], &index_html[head_end..])
}

mod badge;
mod card;
mod oembed;
mod text;

pub use badge::*;
pub use card::*;
pub use oembed::*;
pub use text::*;

#[cfg(test)]
mod tests {
    use meshport_shared::{DomainName, TeamName, testing};

    use super::*;

    const HOSTILE: [&str; 6] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "' onmouseover='alert(1)",
        "Fish & Chips",
        "Zürich → 東京 \u{1F680}",
        "a\u{0}b\u{7}c\u{202E}d",
    ];

    fn settings() -> EmbedSettings {
        EmbedSettings {
            portal_index_url: None,
            portal_url: "https://mesh.acme.example".into(),
            frame_ancestors: "'self' https://wiki.acme.example".into(),
            public_cards: true,
        }
    }

    /// A product whose every private detail is marked, so a test can see it never reaches a card.
    fn product(id: &str) -> DataProduct {
        let mut product = testing::product(id)
            .domain("membership", "accounts")
            .name("Users")
            .purpose("Every registered member.")
            .quality(Quality::Authoritative)
            .sla(SlaTier::Tier1)
            .tags(&["TAG-NOT-SHOWN"])
            .personal_fields(&["PERSONAL-FIELD-NOT-SHOWN"])
            .members(&["alice.secret@acme.example"])
            .build();
        product.owner.contact = "accounts-private@acme.example".into();
        product.description.limitations = "LIMITATIONS-NOT-SHOWN".into();
        product.description.usage = "USAGE-NOT-SHOWN".into();
        product.revision = 3;
        product.created_at = "2026-11-01T00:00:00Z".into();
        product.updated_at = "2026-11-22T10:30:00Z".into();
        product
    }

    fn deprecated(id: &str, status: ProductStatus) -> DataProduct {
        let deprecation = testing::product(id).deprecated("2027-03-01", Some("users.v2"), "Moved to the v2 schema.");
        DataProduct { status, deprecation: deprecation.build().deprecation, ..product(id) }
    }

    /// Fails when a piece of `hostile` that would be markup (a tag, an attribute break, a control character)
    /// reached `html` unescaped.
    fn assert_no_markup_from(html: &str, hostile: &str) {
        for needle in ["<script", "<img", "' onmouseover='", "\u{202E}", "\u{0}", "\u{7}"] {
            if hostile.contains(needle) {
                assert!(!html.contains(needle), "`{needle}` from `{hostile}` reached the markup:\n{html}");
            }
        }
    }

    #[test]
    fn escaping_covers_every_markup_character_and_drops_what_xml_forbids() {
        let check = |input: &str, expected: &str| assert_eq!(escape(input), expected, "{input:?}");
        check("plain text", "plain text");
        check("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
        check("\"><img src=x onerror=alert(1)>", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
        check("' onmouseover='x", "&#39; onmouseover=&#39;x");
        check("Fish & Chips &amp;", "Fish &amp; Chips &amp;amp;");
        check("Zürich → 東京", "Zürich → 東京");
        check("a\u{0}b\u{1b}c\td\u{FFFF}", "abc\td");
        assert!(matches!(escape("users"), Cow::Borrowed(_)), "clean text is not copied");
    }

    #[test]
    fn clipping_flattens_whitespace_and_ends_long_text_with_an_ellipsis() {
        let check = |input: &str, max: usize, expected: &str| assert_eq!(clip(input, max), expected, "{input:?}");
        check("  two\n\nlines\t here ", 40, "two lines here");
        check("exactly ten", 11, "exactly ten");
        check("abcdefghijkl", 5, "abcd…");
        check("one two three four five six", 20, "one two three four…");
        check("ümläüts everywhere", 6, "ümläü…");
        check("right\u{202E}to left", 40, "right to left");
        assert_eq!(clip(&"x".repeat(1000), 240).chars().count(), 240);
    }

    #[test]
    fn a_card_shows_the_facts_meant_for_the_whole_organisation() {
        let html = card_html(&product("users"), Some(6), Theme::Light, &settings());

        for expected in [
            "<a href=\"https://mesh.acme.example/products/users\" target=\"_blank\" rel=\"noopener noreferrer\">Users</a>",
            "membership · accounts",
            ">Active</span>",
            "data-testid=\"quality\">authoritative<",
            ">tier-1<",
            "data-testid=\"fields\" title=\"top-level fields of the latest value schema\">6<",
            "<time datetime=\"2026-11-22T10:30:00Z\">22 Nov 2026</time>",
            "Every registered member.",
            "<body class=\"light\">",
        ] {
            assert!(html.contains(expected), "the card lacks `{expected}`:\n{html}");
        }
        for secret in [
            "alice.secret",
            "accounts-private",
            "PERSONAL-FIELD",
            "LIMITATIONS-NOT-SHOWN",
            "USAGE-NOT-SHOWN",
            "TAG-NOT-SHOWN",
            "<script",
        ] {
            assert!(!html.contains(secret), "the card shows `{secret}`");
        }
    }

    #[test]
    fn an_unknown_field_count_and_a_missing_date_show_a_dash() {
        let product = DataProduct { updated_at: String::new(), ..product("users") };

        let html = card_html(&product, None, Theme::Dark, &settings());

        assert!(html.contains("data-testid=\"fields\" title=\"top-level fields of the latest value schema\">—<"));
        assert!(html.contains("data-testid=\"changed\">—<"));
        assert!(html.contains("<body class=\"dark\">"));
    }

    #[test]
    fn deprecated_and_retired_cards_name_the_sunset_and_link_the_replacement() {
        for status in [ProductStatus::Deprecated, ProductStatus::Retired] {
            let html = card_html(&deprecated("users", status), Some(6), Theme::Light, &settings());

            assert!(html.contains("data-testid=\"lifecycle\""), "{html}");
            assert!(html.contains(&format!("<strong>{}</strong>", status_label(status))), "{html}");
            assert!(html.contains("sunset <span data-testid=\"sunset\">2027-03-01</span>"), "{html}");
            assert!(html.contains("href=\"https://mesh.acme.example/products/users.v2\""), "{html}");
            assert!(html.contains("Moved to the v2 schema."), "{html}");
        }
        let active = card_html(&product("users"), Some(6), Theme::Light, &settings());
        assert!(!active.contains("data-testid=\"lifecycle\""));
    }

    #[test]
    fn hostile_text_is_escaped_on_cards_notices_oembed_and_badges() {
        for hostile in HOSTILE {
            let mut product = deprecated("users", ProductStatus::Deprecated);
            product.name = hostile.to_owned();
            product.description.purpose = hostile.to_owned();
            product.updated_at = hostile.to_owned();
            if let Some(deprecation) = &mut product.deprecation {
                deprecation.sunset = hostile.to_owned();
                deprecation.message = hostile.to_owned();
            }

            let card = card_html(&product, Some(1), Theme::Light, &settings());
            let notice = notice_card(Notice::BadRequest(hostile), Theme::Dark, &settings());
            let embed = oembed(&product, Theme::Light, None, None, &settings());
            let badge = badge_svg(hostile, hostile, BadgeColour::Red);

            for markup in [&card, &notice, &embed.html, &badge] {
                assert_no_markup_from(markup, hostile);
            }
            assert!(card.contains(&*escape(&clip(hostile, NAME_CHARS))), "{card}");
            assert_eq!(embed.title, clip(hostile, NAME_CHARS), "oEmbed's title is plain text, escaped by consumers");
        }
    }

    #[test]
    fn a_card_with_every_text_at_its_longest_stays_under_15_kb_in_both_themes() {
        // Four-byte characters that escape to nothing shorter, and quotes that grow six-fold, at every length limit.
        let worst = "\"\u{1F680}".repeat(2000);
        let mut product = deprecated(&"p".repeat(128), ProductStatus::Retired);
        product.name.clone_from(&worst);
        product.description.purpose.clone_from(&worst);
        product.domain = DomainName::parse("d".repeat(64)).unwrap();
        product.owner.team = TeamName::parse("t".repeat(64)).unwrap();
        if let Some(deprecation) = &mut product.deprecation {
            deprecation.sunset.clone_from(&worst);
            deprecation.message.clone_from(&worst);
            deprecation.replacement = Some(ProductId::parse("r".repeat(128)).unwrap());
        }

        for theme in [Theme::Light, Theme::Dark] {
            let bytes = card_html(&product, Some(usize::MAX), theme, &settings()).len();
            println!("longest card, {theme:?}: {bytes} bytes");
            assert!(bytes <= MAX_CARD_BYTES, "{theme:?}: {bytes} bytes");
        }
        let typical = card_html(&deprecated("users", ProductStatus::Deprecated), Some(6), Theme::Light, &settings());
        println!("typical deprecated card: {} bytes", typical.len());
    }

    #[test]
    fn notice_cards_say_what_happened_and_link_into_the_portal() {
        let id = ProductId::parse("users").unwrap();
        let check = |notice: Notice<'_>, kind: &str, text: &str, href: &str| {
            let html = notice_card(notice, Theme::Light, &settings());
            assert!(html.contains(&format!("data-notice=\"{kind}\"")), "{html}");
            assert!(html.contains(text), "{html}");
            assert!(html.contains(&format!("href=\"{href}\"")), "{html}");
        };
        check(Notice::NotFound, "not-found", "Data product not found", "https://mesh.acme.example/");
        check(Notice::BadRequest("theme `x` is bad"), "bad-request", "theme `x` is bad", "https://mesh.acme.example/");
        check(Notice::SignIn(&id), "sign-in", "Sign in", "https://mesh.acme.example/products/users");
        check(Notice::Unavailable, "unavailable", "temporarily unavailable", "https://mesh.acme.example/");
        assert_eq!(not_found_card(Theme::Dark, &settings()), notice_card(Notice::NotFound, Theme::Dark, &settings()));
    }

    #[test]
    fn themes_are_parsed_from_the_query() {
        assert_eq!(Theme::parse(None), Ok(Theme::Light));
        assert_eq!(Theme::parse(Some("light")), Ok(Theme::Light));
        assert_eq!(Theme::parse(Some("dark")), Ok(Theme::Dark));
        assert_eq!(Theme::parse(Some("neon")), Err("theme `neon` is not `light` or `dark`".to_owned()));
    }

    #[test]
    fn badge_width_grows_with_its_text() {
        let width = |svg: &str| -> f64 {
            let start = svg.find("width=\"").unwrap() + 7;
            svg[start..].split('"').next().unwrap().parse().unwrap()
        };
        let short = badge_svg("sla", "tier-1", BadgeColour::Green);
        let long = badge_svg("sla", "tier-1 with a much longer value", BadgeColour::Green);
        let longer_label = badge_svg("service level", "tier-1", BadgeColour::Green);

        assert!(width(&long) > width(&short) + 100.0, "{short}\n{long}");
        assert!(width(&longer_label) > width(&short));
        assert!(short.contains("fill=\"#4c1\""));
        assert!(short.contains("<title>sla: tier-1</title>"));
        assert!(text_width("mmmm") > text_width("iiii"));
    }

    #[test]
    fn badge_values_and_colours_follow_the_product() {
        let mut product = deprecated("users", ProductStatus::Deprecated);
        product.quality = Quality::Raw;
        product.sla = SlaTier::Tier2;

        assert_eq!(BadgeKind::Status.value_of(&product), ("deprecated", BadgeColour::Orange));
        assert_eq!(BadgeKind::Quality.value_of(&product), ("raw", BadgeColour::Grey));
        assert_eq!(BadgeKind::Sla.value_of(&product), ("tier-2", BadgeColour::YellowGreen));
        assert_eq!(BadgeKind::from_file_name("sla.svg"), Some(BadgeKind::Sla));
        assert_eq!(BadgeKind::from_file_name("sla"), None);
        assert_eq!(BadgeKind::from_file_name("owner.svg"), None);
    }

    #[test]
    fn portal_urls_name_a_product_of_this_portal_only() {
        let check = |url: &str, expected: Option<&str>| {
            let got = settings().product_of_portal_url(url);
            assert_eq!(got.as_ref().map(ProductId::as_str), expected, "{url}");
        };
        check("https://mesh.acme.example/products/users", Some("users"));
        check("https://mesh.acme.example/products/users/", Some("users"));
        check("https://MESH.acme.example:443/products/orders.v2?tab=schema#fields", Some("orders.v2"));
        check("http://mesh.acme.example/products/users", None);
        check("https://mesh.acme.example.evil.example/products/users", None);
        check("https://user:pw@mesh.acme.example/products/users", None);
        check("https://mesh.acme.example/products/", None);
        check("https://mesh.acme.example/products/users/schema", None);
        check("https://mesh.acme.example/products/Users%20Table", None);
        check("https://mesh.acme.example/domains/membership", None);
        check("not a url", None);

        let prefixed = EmbedSettings { portal_url: "https://acme.example/mesh".into(), ..settings() };
        assert_eq!(
            prefixed.product_of_portal_url("https://acme.example/mesh/products/users").unwrap().as_str(),
            "users"
        );
        assert_eq!(prefixed.product_of_portal_url("https://acme.example/products/users"), None);
    }

    #[test]
    fn oembed_proposes_the_card_iframe_and_shrinks_it_to_the_consumers_limits() {
        let embed = oembed(&product("users"), Theme::Dark, None, None, &settings());

        assert_eq!((embed.version, embed.kind, embed.provider_name), ("1.0", "rich", "Meshport"));
        assert_eq!((embed.width, embed.height), (CARD_WIDTH, CARD_HEIGHT));
        assert!(embed.html.starts_with("<iframe src=\"https://mesh.acme.example/embed/products/users?theme=dark\""));
        assert!(embed.html.contains(&format!("width=\"{CARD_WIDTH}\" height=\"{CARD_HEIGHT}\"")));

        let small = oembed(&product("users"), Theme::Light, Some(300), Some(150), &settings());
        assert_eq!((small.width, small.height), (300, 150));
        assert!(small.html.contains("width=\"300\" height=\"150\""));
        let roomy = oembed(&product("users"), Theme::Light, Some(2000), Some(2000), &settings());
        assert_eq!((roomy.width, roomy.height), (CARD_WIDTH, CARD_HEIGHT));
        let banner = oembed(&deprecated("users", ProductStatus::Deprecated), Theme::Light, None, None, &settings());
        assert_eq!(banner.height, CARD_HEIGHT + BANNER_HEIGHT);
    }

    #[test]
    fn the_field_count_is_of_the_top_level_record() {
        let record = r#"{"type": "record", "name": "User", "fields": [
            {"name": "id", "type": "string"},
            {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                {"name": "street", "type": "string"}, {"name": "city", "type": "string"}]}},
            {"name": "joined", "type": "long"}]}"#;
        let check = |schema: &str, expected: usize| {
            let fields = crate::schema::fields(schema).unwrap();
            assert_eq!(top_level_field_count(&fields), expected, "{schema}");
        };
        check(record, 3);
        check(r#""string""#, 0);
        check(&format!(r#"["null", {record}]"#), 3);
    }

    #[test]
    fn etags_are_quoted_and_follow_the_bytes() {
        let a = etag(b"card one");

        assert_eq!(a, etag(b"card one"));
        assert_ne!(a, etag(b"card two"));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34, "{a}");
    }

    #[test]
    fn the_content_security_policy_names_the_configured_frame_ancestors() {
        assert_eq!(
            settings().content_security_policy(),
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self' https://wiki.acme.example"
        );
    }

    #[test]
    fn the_discovery_link_goes_at_the_end_of_the_head_with_everything_escaped() {
        let index = "<!DOCTYPE html><html><HEAD><title>Meshport</title></HEAD><body></body></html>";
        let id = ProductId::parse("users.v2").unwrap();
        for title in HOSTILE {
            let page = with_discovery_link(index, &id, title, &settings());
            let link = page.split("<link ").nth(1).and_then(|rest| rest.split('>').next()).unwrap();
            assert!(!link.contains('<') && !link.contains("\"><") && !link.contains("'>"), "{link}");
            assert_eq!(link.matches('"').count(), 8, "every attribute stays inside its quotes: {link}");
            assert!(page.ends_with("\n</HEAD><body></body></html>"), "{page}");
        }
        let page = with_discovery_link(index, &id, "Users", &settings());
        assert!(page.contains(
            "<link rel=\"alternate\" type=\"application/json+oembed\" \
             href=\"https://mesh.acme.example/oembed?url=https%3A%2F%2Fmesh.acme.example%2Fproducts%2Fusers.v2&amp;format=json\" \
             title=\"Users\">"
        ), "{page}");
        assert_eq!(with_discovery_link("<p>no head</p>", &id, "Users", &settings()), "<p>no head</p>");
    }
}
