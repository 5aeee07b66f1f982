//! The embed surface for wikis: `/embed/products/{id}`, `/oembed` and `/badge/products/{id}/{kind}.svg`.
//!
//! Cards and badges always answer with something a frame or an `<img>` can show, never a blank or a JSON body:
//! a malformed id or query is a 400 card (or badge), an unknown product a 404 "not found" card, an unreadable
//! catalog a 503 "unavailable" card, and, when the organisation has not made cards public, every request gets a
//! 200 "sign in" card (or badge), checked before the catalog is read so that it does not reveal which ids exist.
//! An unknown badge kind (anything but `status.svg`, `quality.svg`, `sla.svg`) is a 404 "no such badge" badge.
//! `/oembed` follows oembed.com: 400 without `url` (or with a bad `maxwidth`/`maxheight`), 501 for any format but
//! JSON, 404 for a URL that is not a product page of this portal or names no product, 401 when cards are not public.
//!
//! Cards and badges of a product carry a strong `ETag` (a hash of the exact bytes) and `Last-Modified` (the
//! product's `updated_at`) and answer 304 to a matching `If-None-Match`, or, without one, to an
//! `If-Modified-Since` not older than the last change. Every card and badge carries the organisation's
//! `Content-Security-Policy` (only inline styles, only configured framing pages).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::fmt::rfc2822::{DateTimeParser, DateTimePrinter};
use meshport_shared::{ApiError, DataProduct, ErrorCode, ProductId};
use serde::Deserialize;

use super::AppError;
use crate::catalog::StoreError;
use crate::embed::{self, BadgeColour, BadgeKind, EmbedSettings, Notice, Theme};
use crate::registry::VersionRef;
use crate::state::AppState;

/// How long a card waits for the registry before it shows the field count as unknown: a card is glanced at, and
/// the count is the least of what it says.
const SCHEMA_LOOKUP_BUDGET: Duration = Duration::from_millis(500);
const HTML: &str = "text/html; charset=utf-8";
const SVG: &str = "image/svg+xml";
/// Answers that say why there is nothing to show: not worth keeping, and a product may appear any moment.
const NO_STORE: &str = "no-store";
/// The sign-in card: about this viewer, so no cache may keep it.
const PRIVATE_NO_STORE: &str = "private, no-store";

/// Stands in for a signed-in member until authentication exists. It has no values: today nobody is signed in.
#[derive(Debug, Clone)]
enum Identity {}

/// Who asks for a card. Authentication will read the session into the `Option`; what a viewer may see and how
/// answers may be cached are decided here only.
#[derive(Debug, Clone)]
pub struct Viewer(Option<Identity>);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(None))
    }
}

impl Viewer {
    fn may_read(&self, settings: &EmbedSettings) -> bool {
        settings.public_cards || self.0.is_some()
    }

    /// Public cards may sit in shared caches; a card shown because of who asks may not.
    fn cache_control(&self, settings: &EmbedSettings) -> String {
        let scope = if settings.public_cards { "public" } else { "private" };
        format!("{scope}, max-age={}", embed::CACHE_SECONDS)
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardQuery {
    /// `light` (the default) or `dark`.
    #[param(pattern = "^(light|dark)$")]
    theme: Option<String>,
}

#[utoipa::path(
    get,
    path = "/embed/products/{id}",
    tag = "embeds",
    params(("id" = ProductId, Path, description = "The product's id"), CardQuery),
    responses(
        (status = 200, description = "The product's card (or a sign-in card when cards are not public); no script, inline CSS", content_type = "text/html"),
        (status = 304, description = "The client's copy is current (`If-None-Match` / `If-Modified-Since`)"),
        (status = 400, description = "A card saying the link is malformed", content_type = "text/html"),
        (status = 404, description = "A card saying there is no such product", content_type = "text/html"),
        (status = 503, description = "A card saying the catalog cannot be read right now", content_type = "text/html"),
    )
)]
pub async fn card(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<CardQuery>, QueryRejection>,
    request: HeaderMap,
) -> Response {
    let settings = state.embed.as_ref();
    let theme = match query.map_err(|e| e.body_text()).and_then(|Query(query)| Theme::parse(query.theme.as_deref())) {
        Ok(theme) => theme,
        Err(message) => return notice(StatusCode::BAD_REQUEST, Notice::BadRequest(&message), Theme::Light, settings),
    };
    let id = match parse_id(id) {
        Ok(id) => id,
        Err(message) => return notice(StatusCode::BAD_REQUEST, Notice::BadRequest(&message), theme, settings),
    };
    if !viewer.may_read(settings) {
        return notice(StatusCode::OK, Notice::SignIn(&id), theme, settings);
    }
    let product = match read_product(&state, &id).await {
        Ok(Some(product)) => product,
        Ok(None) => return notice(StatusCode::NOT_FOUND, Notice::NotFound, theme, settings),
        Err(()) => return notice(StatusCode::SERVICE_UNAVAILABLE, Notice::Unavailable, theme, settings),
    };
    let fields = schema_field_count(&state, &product).await;
    let html = embed::card_html(&product, fields, theme, settings);
    revalidated(&request, &product, HTML, html, &viewer.cache_control(settings), settings)
}

#[utoipa::path(
    get,
    path = "/badge/products/{id}/{file}",
    tag = "embeds",
    params(
        ("id" = ProductId, Path, description = "The product's id"),
        ("file" = String, Path, description = "`status.svg`, `quality.svg` or `sla.svg`", pattern = r"^(status|quality|sla)\.svg$"),
    ),
    responses(
        (status = 200, description = "A shields-style badge (or one asking to sign in when cards are not public)", content_type = "image/svg+xml"),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "A badge saying the link is malformed", content_type = "image/svg+xml"),
        (status = 404, description = "A badge saying there is no such product or badge", content_type = "image/svg+xml"),
        (status = 503, description = "A badge saying the catalog cannot be read right now", content_type = "image/svg+xml"),
    )
)]
pub async fn badge(
    State(state): State<AppState>,
    viewer: Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
    request: HeaderMap,
) -> Response {
    let settings = state.embed.as_ref();
    let Ok(Path((id, file))) = path else {
        return badge_notice(StatusCode::BAD_REQUEST, "badge", "invalid link", NO_STORE, settings);
    };
    let Some(kind) = BadgeKind::from_file_name(&file) else {
        return badge_notice(StatusCode::NOT_FOUND, "badge", "no such badge", NO_STORE, settings);
    };
    let label = kind.label();
    let Ok(id) = ProductId::parse(id) else {
        return badge_notice(StatusCode::BAD_REQUEST, label, "invalid id", NO_STORE, settings);
    };
    if !viewer.may_read(settings) {
        return badge_notice(StatusCode::OK, label, "sign in", PRIVATE_NO_STORE, settings);
    }
    let product = match read_product(&state, &id).await {
        Ok(Some(product)) => product,
        Ok(None) => return badge_notice(StatusCode::NOT_FOUND, label, "not found", NO_STORE, settings),
        Err(()) => return badge_notice(StatusCode::SERVICE_UNAVAILABLE, label, "unavailable", NO_STORE, settings),
    };
    let (value, colour) = kind.value_of(&product);
    let svg = embed::badge_svg(label, value, colour);
    revalidated(&request, &product, SVG, svg, &viewer.cache_control(settings), settings)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OEmbedQuery {
    /// The portal page of a product, `<portal>/products/<id>` (required).
    #[param(required = true, pattern = r"[^\s\x85]")]
    url: Option<String>,
    /// `json` (the default); anything else is 501, as oEmbed says.
    #[param(pattern = "^json$")]
    format: Option<String>,
    /// The widest iframe the consumer can show, in pixels.
    #[param(value_type = Option<u32>, minimum = 1)]
    maxwidth: Option<String>,
    /// The tallest iframe the consumer can show, in pixels.
    #[param(value_type = Option<u32>, minimum = 1)]
    maxheight: Option<String>,
    /// Not in the oEmbed spec: lets a consumer ask for the dark card.
    #[param(pattern = "^(light|dark)$")]
    theme: Option<String>,
}

#[utoipa::path(
    get,
    path = "/oembed",
    tag = "embeds",
    params(OEmbedQuery),
    responses(
        (status = 200, description = "An oEmbed `rich` answer with the card's iframe", body = embed::OEmbed),
        (status = 400, description = "`bad_request`: no `url`, or a bad size or theme", body = ApiError),
        (status = 401, description = "`unauthorized`: this organisation's cards are not public", body = ApiError),
        (status = 404, description = "`not_found`: not a product page of this portal, or no such product", body = ApiError),
        (status = 501, description = "`bad_request`: a format other than JSON", body = ApiError),
        (status = 503, description = "`catalog_unavailable`", body = ApiError),
    )
)]
pub async fn oembed(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<OEmbedQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let settings = state.embed.as_ref();
    let Query(query) = query.map_err(|e| AppError::invalid(e.body_text()))?;
    let url = query.url.filter(|url| !url.trim().is_empty()).ok_or_else(|| {
        AppError::invalid(format!(
            "`url` is required: the portal page of a data product, like {}/products/users",
            settings.portal_url
        ))
    })?;
    match query.format.as_deref().map(str::trim) {
        None | Some("" | "json") => {}
        Some(other) => {
            let message = format!("oEmbed format `{}` is not implemented: use `format=json`", embed::clip(other, 40));
            return Ok(api_error(StatusCode::NOT_IMPLEMENTED, ErrorCode::BadRequest, message));
        }
    }
    let maxwidth = pixels("maxwidth", query.maxwidth.as_deref())?;
    let maxheight = pixels("maxheight", query.maxheight.as_deref())?;
    let theme = Theme::parse(query.theme.as_deref()).map_err(AppError::invalid)?;
    let id = settings.product_of_portal_url(&url).ok_or_else(|| {
        AppError::not_found(format!(
            "`{}` is not a data product page of this portal ({}/products/<id>)",
            embed::clip(&url, 200),
            settings.portal_url
        ))
    })?;
    if !viewer.may_read(settings) {
        let message = "sign in to Meshport to embed its data products: this organisation's cards are not public";
        return Ok(api_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message.to_owned()));
    }
    let product = state
        .mesh
        .catalog
        .get_product(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no data product `{id}`")))?;
    let mut response = Json(embed::oembed(&product, theme, maxwidth, maxheight, settings)).into_response();
    let headers = response.headers_mut();
    insert(headers, header::CACHE_CONTROL, &viewer.cache_control(settings));
    if settings.public_cards {
        // Public data: browser-side oEmbed consumers may read it too.
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    Ok(response)
}

/// An optional positive size in pixels; empty counts as absent.
fn pixels(name: &str, raw: Option<&str>) -> Result<Option<u32>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => match raw.parse::<u32>() {
            Ok(pixels) if pixels > 0 => Ok(Some(pixels)),
            _ => Err(AppError::invalid(format!(
                "`{name}` must be a positive whole number of pixels, not `{}`",
                embed::clip(raw, 40)
            ))),
        },
    }
}

fn api_error(status: StatusCode, code: ErrorCode, message: String) -> Response {
    (status, Json(ApiError { code, message, details: Vec::new() })).into_response()
}

fn parse_id(path: Result<Path<String>, PathRejection>) -> Result<ProductId, String> {
    let Path(raw) = path.map_err(|e| e.body_text())?;
    ProductId::parse(raw).map_err(|e| e.to_string())
}

/// The product, `None` when no product has this id, `Err` (logged here) when the catalog cannot say.
async fn read_product(state: &AppState, id: &ProductId) -> Result<Option<DataProduct>, ()> {
    state.mesh.catalog.get_product(id).await.map_err(|error| match error {
        StoreError::Corrupt(_) => tracing::error!(%error, product = %id, "cannot read a product for its card"),
        _ => tracing::warn!(%error, product = %id, "cannot read a product for its card"),
    })
}

/// The number of top-level fields of the product's latest value schema; `None` when the registry is down, slow or
/// does not have it, or the schema cannot be read. A card shows `—` then rather than failing.
async fn schema_field_count(state: &AppState, product: &DataProduct) -> Option<usize> {
    let subject = product.output_port.value_subject.as_str();
    let lookup = state.mesh.registry.version(subject, VersionRef::Latest);
    let version = match tokio::time::timeout(SCHEMA_LOOKUP_BUDGET.min(state.timeout), lookup).await {
        Ok(Ok(version)) => version,
        Ok(Err(error)) => {
            tracing::debug!(%error, subject, "no schema for a card's field count");
            return None;
        }
        Err(_) => {
            tracing::debug!(subject, "the registry was too slow for a card's field count");
            return None;
        }
    };
    match crate::schema::fields(&version.schema) {
        Ok(fields) => Some(embed::top_level_field_count(&fields)),
        Err(error) => {
            tracing::debug!(%error, subject, "unreadable schema for a card's field count");
            None
        }
    }
}

/// A notice card (not found, bad request, sign in, unavailable).
fn notice(status: StatusCode, notice: Notice<'_>, theme: Theme, settings: &EmbedSettings) -> Response {
    let cache_control = if matches!(notice, Notice::SignIn(_)) { PRIVATE_NO_STORE } else { NO_STORE };
    let html = embed::notice_card(notice, theme, settings);
    representation(status, HTML, html, cache_control, settings)
}

fn badge_notice(
    status: StatusCode,
    label: &str,
    value: &str,
    cache_control: &str,
    settings: &EmbedSettings,
) -> Response {
    let svg = embed::badge_svg(label, value, BadgeColour::Grey);
    representation(status, SVG, svg, cache_control, settings)
}

/// A card or badge with the headers every one carries.
fn representation(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    cache_control: &str,
    settings: &EmbedSettings,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    protect(headers, cache_control, settings);
    response
}

/// What a 200 and a 304 both carry.
fn protect(headers: &mut HeaderMap, cache_control: &str, settings: &EmbedSettings) {
    insert(headers, header::CACHE_CONTROL, cache_control);
    // The configuration refuses values a header cannot carry; should one slip through, nobody may frame the card.
    let policy = HeaderValue::from_str(&settings.content_security_policy()).unwrap_or_else(|_| {
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
    });
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// A product's card or badge with its validators, or a bodiless 304 when the client's copy is still current.
fn revalidated(
    request: &HeaderMap,
    product: &DataProduct,
    content_type: &'static str,
    body: String,
    cache_control: &str,
    settings: &EmbedSettings,
) -> Response {
    let etag = embed::etag(body.as_bytes());
    let last_modified = product.updated_at.parse::<Timestamp>().ok();
    let mut response = if is_current(request, &etag, last_modified) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        protect(response.headers_mut(), cache_control, settings);
        response
    } else {
        representation(StatusCode::OK, content_type, body, cache_control, settings)
    };
    let headers = response.headers_mut();
    insert(headers, header::ETAG, &etag);
    if let Some(http_date) = last_modified.and_then(|t| DateTimePrinter::new().timestamp_to_rfc9110_string(&t).ok()) {
        insert(headers, header::LAST_MODIFIED, &http_date);
    }
    response
}

/// RFC 9110 section 13.2.2: `If-None-Match` decides when present (weak comparison); otherwise `If-Modified-Since`
/// does, compared at whole seconds. A date that does not parse is ignored.
fn is_current(request: &HeaderMap, etag: &str, last_modified: Option<Timestamp>) -> bool {
    if let Some(if_none_match) = request.get(header::IF_NONE_MATCH) {
        let Ok(tags) = if_none_match.to_str() else { return false };
        return tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    }
    let since = request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| DateTimeParser::new().parse_timestamp(value.trim()).ok());
    match (since, last_modified) {
        (Some(since), Some(last_modified)) => last_modified.as_second() <= since.as_second(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "\"0123456789abcdef0123456789abcdef\"";

    fn check(request: &[(header::HeaderName, &str)], expected: bool) {
        let headers: HeaderMap = request.iter().map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap())).collect();
        let last_modified: Timestamp = "2026-11-22T10:30:00.750Z".parse().unwrap();
        assert_eq!(is_current(&headers, ETAG, Some(last_modified)), expected, "{request:?}");
    }

    #[test]
    fn revalidation_follows_rfc_9110() {
        check(&[], false);
        check(&[(header::IF_NONE_MATCH, ETAG)], true);
        check(&[(header::IF_NONE_MATCH, &format!("\"other\", W/{ETAG}"))], true);
        check(&[(header::IF_NONE_MATCH, "*")], true);
        check(&[(header::IF_NONE_MATCH, "\"other\"")], false);
        check(&[(header::IF_MODIFIED_SINCE, "Sun, 22 Nov 2026 10:30:00 GMT")], true);
        check(&[(header::IF_MODIFIED_SINCE, "Mon, 23 Nov 2026 00:00:00 GMT")], true);
        check(&[(header::IF_MODIFIED_SINCE, "Sun, 22 Nov 2026 10:29:59 GMT")], false);
        check(&[(header::IF_MODIFIED_SINCE, "yesterday")], false);
        // A stale entity tag wins over a date that alone would have matched.
        check(
            &[(header::IF_NONE_MATCH, "\"other\""), (header::IF_MODIFIED_SINCE, "Mon, 23 Nov 2026 00:00:00 GMT")],
            false,
        );
    }
}
