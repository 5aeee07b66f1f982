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

/// What the organisation configured for embeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedSettings {
    /// The portal's public base URL, without a trailing slash: `https://mesh.acme.example`.
    pub portal_url: String,
    /// The CSP source list of the pages allowed to frame cards: `'self' https://wiki.acme.example`.
    pub frame_ancestors: String,
    /// Whether cards, badges and oEmbed answer without sign-in.
    pub public_cards: bool,
    /// Where the portal's `index.html` is served (the CDN in the cloud), for an API without the portal's files to
    /// answer product pages with the oEmbed discovery link.
    pub portal_index_url: Option<String>,
}

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

/// Escapes text for HTML (text and double- or single-quoted attributes) and for XML (SVG), and drops the
/// characters XML forbids (control characters other than tab and newlines, U+FFFE, U+FFFF).
pub fn escape(text: &str) -> Cow<'_, str> {
    let needs_work = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || !is_xml_char(c);
    if !text.contains(needs_work) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
}

/// Bidirectional embeddings, overrides and isolates: in a name they can make the rest of the card read backwards.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Free text made fit for one line or paragraph of a card: whitespace runs become one space, control characters go,
/// and text longer than `max_chars` is cut at a word boundary when one is near, ending with `…`. Not escaped.
pub fn clip(text: &str, max_chars: usize) -> String {
    let mut flat = String::with_capacity(text.len().min(max_chars * 4 + 4));
    let mut count = 0;
    let mut cut = false;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control() || is_bidi_control(c)) {
        if word.is_empty() {
            continue;
        }
        if count > 0 {
            flat.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= max_chars {
                cut = true;
                break;
            }
            flat.push(c);
            count += 1;
        }
        if cut {
            break;
        }
    }
    if !cut && count <= max_chars {
        return flat.trim_end().to_owned();
    }
    // Leave room for the ellipsis, and prefer a word boundary in the last fifth of the text.
    let mut end: usize = flat.char_indices().nth(max_chars.saturating_sub(1)).map_or(flat.len(), |(i, _)| i);
    if let Some(space) = flat[..end].rfind(' ')
        && flat[..space].chars().count() >= max_chars * 4 / 5
    {
        end = space;
    }
    let mut clipped = flat[..end].trim_end().to_owned();
    clipped.push('…');
    clipped
}

/// A strong validator for a representation: a hash of its exact bytes, quoted as `ETag` wants.
pub fn etag(bytes: &[u8]) -> String {
    // `DefaultHasher::new` is keyed identically in every process, so every instance of one build agrees.
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    let low = hasher.finish();
    hasher.write_u8(0xff);
    let high = hasher.finish();
    format!("\"{high:016x}{low:016x}\"")
}

/// The number a card shows for a schema read by `crate::schema::fields`: its top-level record's fields, or, for a
/// value that is not a record (a union of events, a string), the fields of the record it holds, if any.
pub fn top_level_field_count(fields: &[SchemaField]) -> usize {
    match fields {
        [whole_value] if whole_value.name.is_empty() => whole_value.fields.len(),
        fields => fields.len(),
    }
}

/// A lifecycle status as people read it on a card.
fn status_label(status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Draft => "Draft",
        ProductStatus::Active => "Active",
        ProductStatus::Deprecated => "Deprecated",
        ProductStatus::Retired => "Retired",
    }
}

/// An RFC 3339 timestamp as a day (`22 Nov 2026`), or `None` when it is not one.
fn day_of(timestamp: &str) -> Option<String> {
    let timestamp: jiff::Timestamp = timestamp.parse().ok()?;
    Some(timestamp.strftime("%-d %b %Y").to_string())
}

/// The card's stylesheet: both themes as custom properties, one class on `<body>` picks one. The page itself stays
/// transparent (no `color-scheme` either, which would make browsers paint the frame opaque) so the card's rounded
/// corners sit on the embedding page.
const STYLE: &str = "\
:root{--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--link:#0969da;--green:#1a7f37;--blue:#0969da;\
--orange:#bc4c00;--red:#cf222e;--grey:#59636e;--warn:#fff1e5;--stop:#ffebe9}\
.dark{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--link:#4493f8;--green:#3fb950;\
--blue:#4493f8;--orange:#f0883e;--red:#f85149;--grey:#9198a1;--warn:#2d1d0b;--stop:#2f1315}\
*{box-sizing:border-box;margin:0;padding:0}\
html,body{height:100%}\
body{color:var(--fg);font:14px/1.4 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}\
a{color:var(--link)}\
.card{height:100%;background:var(--bg);display:flex;flex-direction:column;gap:8px;padding:12px 14px;border:1px solid var(--line);\
border-radius:8px;overflow:hidden}\
.top{display:flex;justify-content:space-between;align-items:center;gap:8px;color:var(--muted);font-size:12px}\
.where{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
.pill{flex:none;border:1px solid currentColor;border-radius:999px;padding:0 8px;font-weight:600}\
.active{color:var(--green)}.draft{color:var(--blue)}.deprecated{color:var(--orange)}.retired{color:var(--red)}\
h1{font-size:17px;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
h1 a{color:inherit;text-decoration:none}\
.purpose{color:var(--muted);display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;overflow:hidden}\
.banner{padding:6px 10px;border-left:4px solid var(--orange);border-radius:4px;background:var(--warn);\
font-size:13px;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;overflow:hidden}\
.banner.gone{border-color:var(--red);background:var(--stop)}\
dl{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:8px}\
dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em}\
dd{font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
.foot{margin-top:auto;display:flex;justify-content:space-between;gap:8px;color:var(--muted);font-size:12px}\
.notice{justify-content:center;text-align:center}\
.notice h1{white-space:normal}";

/// The document around a card's body.
fn page(title: &str, theme: Theme, body: &str) -> String {
    let mut html = String::with_capacity(STYLE.len() + body.len() + 400);
    html.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    html.push_str("<meta name=\"robots\" content=\"noindex\">");
    let _ = write!(html, "<title>{} · Meshport</title><style>{STYLE}</style></head>", escape(title));
    let _ = write!(html, "<body class=\"{}\">{body}</body></html>", theme.class());
    html
}

/// A link that leaves the frame: wikis embed cards in frames too small to browse the portal in.
fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>", escape(href), escape(text))
}

/// The card of a product. `schema_fields` is the number of top-level fields of its latest value schema, `None`
/// when it could not be read (shown as `—`).
pub fn card_html(
    product: &DataProduct,
    schema_fields: Option<usize>,
    theme: Theme,
    settings: &EmbedSettings,
) -> String {
    let name = clip(&product.name, NAME_CHARS);
    let page_url = settings.product_page(&product.id);
    let status = product.status.as_str();
    let mut body = String::with_capacity(2048);
    let _ = write!(
        body,
        "<article class=\"card\" data-testid=\"embed-card\" data-product-id=\"{}\" data-status=\"{status}\">",
        escape(product.id.as_str()),
    );
    let _ = write!(
        body,
        "<div class=\"top\"><span class=\"where\" title=\"domain · owning team\">{} · {}</span>\
         <span class=\"pill {status}\" data-testid=\"status\">{}</span></div>",
        escape(product.domain.as_str()),
        escape(product.owner.team.as_str()),
        status_label(product.status),
    );
    let _ = write!(body, "<h1 title=\"{}\">{}</h1>", escape(&name), link(&page_url, &name));
    body.push_str(&lifecycle_banner(product, settings));
    let purpose = clip(&product.description.purpose, PURPOSE_CHARS);
    if !purpose.is_empty() {
        let _ = write!(body, "<p class=\"purpose\" data-testid=\"purpose\">{}</p>", escape(&purpose));
    }
    let fields = schema_fields.map_or_else(|| "—".to_owned(), |n| n.to_string());
    let changed = match day_of(&product.updated_at) {
        Some(day) => format!("<time datetime=\"{}\">{day}</time>", escape(&product.updated_at)),
        None => "—".to_owned(),
    };
    let _ = write!(
        body,
        "<dl><div><dt>Quality</dt><dd data-testid=\"quality\">{}</dd></div>\
         <div><dt>SLA</dt><dd data-testid=\"sla\" title=\"{}\">{}</dd></div>\
         <div><dt>Fields</dt><dd data-testid=\"fields\" title=\"top-level fields of the latest value schema\">{fields}</dd></div>\
         <div><dt>Changed</dt><dd data-testid=\"changed\">{changed}</dd></div></dl>",
        product.quality.as_str(),
        product.sla.summary(),
        product.sla.as_str(),
    );
    let _ = write!(
        body,
        "<div class=\"foot\"><span>Meshport data product</span>{}</div>",
        link(&page_url, "Open in Meshport ↗")
    );
    body.push_str("</article>");
    page(&name, theme, &body)
}

/// The prominent line a deprecated or retired product carries: since when it goes away and what replaces it.
fn lifecycle_banner(product: &DataProduct, settings: &EmbedSettings) -> String {
    let (class, headline) = match product.status {
        ProductStatus::Deprecated => ("banner", "Deprecated"),
        ProductStatus::Retired => ("banner gone", "Retired"),
        ProductStatus::Draft | ProductStatus::Active => return String::new(),
    };
    let mut banner =
        format!("<p class=\"{class}\" role=\"status\" data-testid=\"lifecycle\"><strong>{headline}</strong>");
    if let Some(deprecation) = &product.deprecation {
        let sunset = clip(&deprecation.sunset, SUNSET_CHARS);
        if !sunset.is_empty() {
            let _ = write!(banner, " · sunset <span data-testid=\"sunset\">{}</span>", escape(&sunset));
        }
        if let Some(replacement) = &deprecation.replacement {
            let _ =
                write!(banner, " · use {} instead", link(&settings.product_page(replacement), replacement.as_str()));
        }
        let message = clip(&deprecation.message, DEPRECATION_MESSAGE_CHARS);
        if !message.is_empty() {
            let _ = write!(banner, ". {}", escape(&message));
        }
    }
    banner.push_str("</p>");
    banner
}

/// Why a card cannot show a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice<'a> {
    /// No product has this id.
    NotFound,
    /// The request itself is wrong; the message says how.
    BadRequest(&'a str),
    /// Cards are not public and the viewer is not signed in.
    SignIn(&'a ProductId),
    /// The catalog cannot be read right now.
    Unavailable,
}

/// A card that says why there is no product to show, so a frame is never blank.
pub fn notice_card(notice: Notice<'_>, theme: Theme, settings: &EmbedSettings) -> String {
    let catalog = format!("{}/", settings.portal_url);
    let (kind, title, text, href, action) = match notice {
        Notice::NotFound => (
            "not-found",
            "Data product not found",
            "No data product has this id; it may have been renamed or removed.".to_owned(),
            catalog,
            "Browse the catalog ↗",
        ),
        Notice::BadRequest(message) => {
            ("bad-request", "Invalid embed link", clip(message, NOTICE_CHARS), catalog, "Browse the catalog ↗")
        }
        Notice::SignIn(id) => (
            "sign-in",
            "Sign in to see this data product",
            "Data product cards are visible to signed-in members of the organisation only.".to_owned(),
            settings.product_page(id),
            "Sign in to Meshport ↗",
        ),
        Notice::Unavailable => (
            "unavailable",
            "Data product temporarily unavailable",
            "The catalog cannot be read right now; this card recovers by itself.".to_owned(),
            catalog,
            "Open Meshport ↗",
        ),
    };
    let body = format!(
        "<article class=\"card notice\" data-testid=\"embed-notice\" data-notice=\"{kind}\"><h1>{}</h1>\
         <p class=\"purpose\">{}</p><div class=\"foot\"><span>Meshport</span>{}</div></article>",
        escape(title),
        escape(&text),
        link(&href, action),
    );
    page(title, theme, &body)
}

/// The card for an id no product has.
pub fn not_found_card(theme: Theme, settings: &EmbedSettings) -> String {
    notice_card(Notice::NotFound, theme, settings)
}

/// The oEmbed size of a product's card: taller when it carries a lifecycle banner, then shrunk to the consumer's
/// `maxwidth` and `maxheight`.
pub fn card_size(product: &DataProduct, maxwidth: Option<u32>, maxheight: Option<u32>) -> (u32, u32) {
    let height = match product.status {
        ProductStatus::Deprecated | ProductStatus::Retired => CARD_HEIGHT + BANNER_HEIGHT,
        ProductStatus::Draft | ProductStatus::Active => CARD_HEIGHT,
    };
    (maxwidth.map_or(CARD_WIDTH, |max| CARD_WIDTH.min(max)), maxheight.map_or(height, |max| height.min(max)))
}

/// An oEmbed `rich` response (oembed.com, section 2.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OEmbed {
    pub version: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub author_name: String,
    pub provider_name: &'static str,
    pub provider_url: String,
    pub cache_age: u32,
    pub html: String,
    pub width: u32,
    pub height: u32,
}

/// The oEmbed answer for a product: the card's iframe, sized to fit `maxwidth` and `maxheight`.
pub fn oembed(
    product: &DataProduct,
    theme: Theme,
    maxwidth: Option<u32>,
    maxheight: Option<u32>,
    settings: &EmbedSettings,
) -> OEmbed {
    let (width, height) = card_size(product, maxwidth, maxheight);
    let title = clip(&product.name, NAME_CHARS);
    // Sandboxed without scripts or same-origin rights: the card needs neither, and links still open a new tab.
    let html = format!(
        "<iframe src=\"{}\" width=\"{width}\" height=\"{height}\" title=\"{} (Meshport data product)\" \
         style=\"border:0;max-width:100%\" loading=\"lazy\" referrerpolicy=\"no-referrer\" \
         sandbox=\"allow-popups allow-popups-to-escape-sandbox\"></iframe>",
        escape(&settings.card_url(&product.id, theme)),
        escape(&title),
    );
    OEmbed {
        version: "1.0",
        kind: "rich",
        title,
        author_name: product.owner.team.to_string(),
        provider_name: "Meshport",
        provider_url: format!("{}/", settings.portal_url),
        cache_age: CACHE_SECONDS,
        html,
        width,
        height,
    }
}

/// What a badge shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeKind {
    Status,
    Quality,
    Sla,
}

impl BadgeKind {
    /// Reads the last path segment of a badge URL: `status.svg`, `quality.svg` or `sla.svg`.
    pub fn from_file_name(file: &str) -> Option<Self> {
        match file.strip_suffix(".svg")? {
            "status" => Some(Self::Status),
            "quality" => Some(Self::Quality),
            "sla" => Some(Self::Sla),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Quality => "quality",
            Self::Sla => "sla",
        }
    }

    /// The value a product shows on this badge, and its colour.
    pub fn value_of(self, product: &DataProduct) -> (&'static str, BadgeColour) {
        match self {
            Self::Status => (product.status.as_str(), status_colour(product.status)),
            Self::Quality => (product.quality.as_str(), quality_colour(product.quality)),
            Self::Sla => (product.sla.as_str(), sla_colour(product.sla)),
        }
    }
}

fn status_colour(status: ProductStatus) -> BadgeColour {
    match status {
        ProductStatus::Active => BadgeColour::Green,
        ProductStatus::Deprecated => BadgeColour::Orange,
        ProductStatus::Retired => BadgeColour::Red,
        ProductStatus::Draft => BadgeColour::Blue,
    }
}

fn quality_colour(quality: Quality) -> BadgeColour {
    match quality {
        Quality::Authoritative => BadgeColour::Green,
        Quality::Curated => BadgeColour::Blue,
        Quality::Raw => BadgeColour::Grey,
    }
}

fn sla_colour(sla: SlaTier) -> BadgeColour {
    match sla {
        SlaTier::Tier1 => BadgeColour::Green,
        SlaTier::Tier2 => BadgeColour::YellowGreen,
        SlaTier::Tier3 => BadgeColour::Grey,
    }
}

/// The value side of a badge, in shields.io's palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeColour {
    Green,
    YellowGreen,
    Orange,
    Red,
    Blue,
    Grey,
}

impl BadgeColour {
    pub fn hex(self) -> &'static str {
        match self {
            Self::Green => "#4c1",
            Self::YellowGreen => "#a4a61d",
            Self::Orange => "#fe7d37",
            Self::Red => "#e05d44",
            Self::Blue => "#007ec6",
            Self::Grey => "#9f9f9f",
        }
    }
}

/// The label side's colour.
const BADGE_LABEL_COLOUR: &str = "#555";
/// Space on each side of a badge's text, in pixels.
const BADGE_PADDING: f64 = 6.0;

/// The width of `text` in Verdana 11px, the badge font, from per-character advances (approximations of the real
/// metrics; `textLength` makes renderers fit the text to it exactly).
pub fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 3.5,
            ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' => 4.5,
            '-' | '_' | '"' => 5.0,
            'c' | 's' | 'z' | 'x' | 'v' | 'y' | 'k' | 'J' => 6.0,
            'm' => 10.7,
            'w' => 9.0,
            'M' | 'W' => 10.5,
            c if c.is_ascii_digit() => 7.0,
            c if c.is_ascii_lowercase() => 6.8,
            c if c.is_ascii_uppercase() => 7.6,
            c if c.is_ascii() => 7.0,
            // Wide scripts (CJK and the like) take about a full em.
            c if u32::from(c) >= 0x1100 => 11.0,
            _ => 7.5,
        })
        .sum()
}

/// A shields-style flat badge: `label` on grey, `value` on `colour`, each side as wide as its text needs.
pub fn badge_svg(label: &str, value: &str, colour: BadgeColour) -> String {
    let label = clip(label, 40);
    let value = clip(value, 60);
    let label_text = text_width(&label);
    let value_text = text_width(&value);
    let label_width = (label_text + 2.0 * BADGE_PADDING).round();
    let value_width = (value_text + 2.0 * BADGE_PADDING).round();
    let width = label_width + value_width;
    let (label, value) = (escape(&label), escape(&value));
    let label_x = label_width / 2.0;
    let value_x = label_width + value_width / 2.0;
    let mut svg = String::with_capacity(1200);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"20\" role=\"img\" \
         aria-label=\"{label}: {value}\"><title>{label}: {value}</title>\
         <linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/>\
         <stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>\
         <clipPath id=\"r\"><rect width=\"{width}\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\
         <g clip-path=\"url(#r)\"><rect width=\"{label_width}\" height=\"20\" fill=\"{BADGE_LABEL_COLOUR}\"/>\
         <rect x=\"{label_width}\" width=\"{value_width}\" height=\"20\" fill=\"{}\"/>\
         <rect width=\"{width}\" height=\"20\" fill=\"url(#s)\"/></g>\
         <g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" \
         text-rendering=\"geometricPrecision\" font-size=\"11\">",
        colour.hex(),
    );
    for (x, text_length, text) in [(label_x, label_text, &label), (value_x, value_text, &value)] {
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\" textLength=\"{text_length:.1}\" \
             lengthAdjust=\"spacingAndGlyphs\">{text}</text>\
             <text x=\"{x}\" y=\"14\" textLength=\"{text_length:.1}\" lengthAdjust=\"spacingAndGlyphs\">{text}</text>",
        );
    }
    svg.push_str("</g></svg>");
    svg
}

#[cfg(test)]
mod tests {
    use meshport_shared::{
        Deprecation, Description, DomainName, OutputPort, Owner, SchemaFormat, SubjectName, TeamName, TopicName,
    };

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

    fn product(id: &str) -> DataProduct {
        let topic = TopicName::parse(id).unwrap();
        DataProduct {
            id: ProductId::parse(id).unwrap(),
            name: "Users".into(),
            version: "1.0.0".into(),
            domain: DomainName::parse("membership").unwrap(),
            owner: Owner {
                team: TeamName::parse("accounts").unwrap(),
                contact: "accounts-private@acme.example".into(),
                members: vec!["alice.secret@acme.example".into()],
            },
            status: ProductStatus::Active,
            description: Description {
                purpose: "Every registered member.".into(),
                limitations: "LIMITATIONS-NOT-SHOWN".into(),
                usage: "USAGE-NOT-SHOWN".into(),
            },
            tags: vec!["TAG-NOT-SHOWN".into()],
            output_port: OutputPort {
                value_subject: SubjectName::value_of(&topic),
                topic,
                key_subject: None,
                schema_format: SchemaFormat::Avro,
            },
            quality: Quality::Authoritative,
            sla: SlaTier::Tier1,
            support: vec![],
            personal_fields: vec!["PERSONAL-FIELD-NOT-SHOWN".into()],
            inputs: vec![],
            deprecation: None,
            revision: 3,
            created_at: "2026-11-01T00:00:00Z".into(),
            updated_at: "2026-11-22T10:30:00Z".into(),
        }
    }

    fn deprecated(id: &str, status: ProductStatus) -> DataProduct {
        DataProduct {
            status,
            deprecation: Some(Deprecation {
                sunset: "2027-03-01".into(),
                replacement: Some(ProductId::parse("users.v2").unwrap()),
                message: "Moved to the v2 schema.".into(),
            }),
            ..product(id)
        }
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
