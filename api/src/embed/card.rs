//! The product card (HTML, no JavaScript) and the notice cards shown instead of one.

use super::*;

/// The number a card shows for a schema read by `crate::schema::fields`: its top-level record's fields, or, for a
/// value that is not a record (a union of events, a string), the fields of the record it holds, if any.
pub fn top_level_field_count(fields: &[SchemaField]) -> usize {
    match fields {
        [whole_value] if whole_value.name.is_empty() => whole_value.fields.len(),
        fields => fields.len(),
    }
}

/// A lifecycle status as people read it on a card.
pub(super) fn status_label(status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Draft => "Draft",
        ProductStatus::Active => "Active",
        ProductStatus::Deprecated => "Deprecated",
        ProductStatus::Retired => "Retired",
    }
}

/// An RFC 3339 timestamp as a day (`22 Nov 2026`), or `None` when it is not one.
pub(super) fn day_of(timestamp: &str) -> Option<String> {
    let timestamp: jiff::Timestamp = timestamp.parse().ok()?;
    Some(timestamp.strftime("%-d %b %Y").to_string())
}

/// The card's stylesheet: both themes as custom properties, one class on `<body>` picks one. The page itself stays
/// transparent (no `color-scheme` either, which would make browsers paint the frame opaque) so the card's rounded
/// corners sit on the embedding page.
pub(super) const STYLE: &str = "\
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
pub(super) fn page(title: &str, theme: Theme, body: &str) -> String {
    let mut html = String::with_capacity(STYLE.len() + body.len() + 400);
    html.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    html.push_str("<meta name=\"robots\" content=\"noindex\">");
    let _ = write!(html, "<title>{} · Meshport</title><style>{STYLE}</style></head>", escape(title));
    let _ = write!(html, "<body class=\"{}\">{body}</body></html>", theme.class());
    html
}

/// A link that leaves the frame: wikis embed cards in frames too small to browse the portal in.
pub(super) fn link(href: &str, text: &str) -> String {
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
pub(super) fn lifecycle_banner(product: &DataProduct, settings: &EmbedSettings) -> String {
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
