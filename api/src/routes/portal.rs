//! The portal as the local server serves it: its files gzipped; for a client-side route, the `index.html` of the
//! bundle that has the page (Publish, Create and Sign in get Studio's `studio/index.html`, Manage's pages
//! `studio/manage/index.html`, Access's `studio/access/index.html`, every other path Discover's `index.html`); on
//! a product's page (`/products/{id}`) with the oEmbed discovery link in its `<head>`, for wiki crawlers that run no
//! script.
//!
//! The session's token lives in the page's `localStorage`, so every page goes out with a strict
//! Content-Security-Policy ([`page_policy`]): scripts only from the portal's own files and the one inline script
//! trunk writes to start the WebAssembly (allowed by its hash), nothing framing the portal; and every file with
//! `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use meshport_shared::ProductId;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

use super::{Access, Route, Verb};
use crate::embed;
use crate::state::AppState;

/// A product's page in the portal, served only by a local server that serves the portal (`MESHPORT_STATIC_DIR`).
pub const PRODUCT_PAGE: Route = Route { method: Verb::Get, path: "/products/{id}", access: Access::Open };

/// What a product page needs: the state (for the product's name) and where the portal's `index.html` comes from.
#[derive(Debug, Clone)]
pub struct Portal {
    pub state: AppState,
    pub index: PortalIndex,
}

/// Where the portal's `index.html` comes from: the built portal's directory (local server), or the CDN that serves
/// it (the cloud, where the API has no portal files), fetched and kept for a minute.
#[derive(Debug, Clone)]
pub enum PortalIndex {
    Dir(PathBuf),
    Url { url: String, http: reqwest::Client, kept: Arc<Mutex<Option<(Instant, String)>>> },
}

impl PortalIndex {
    /// How long a fetched `index.html` is used before it is fetched again (a new deployment shows within it).
    const KEEP: Duration = Duration::from_secs(60);

    pub fn url(url: String, timeout: Duration) -> Self {
        let http = reqwest::Client::builder().timeout(timeout).build().unwrap_or_default();
        Self::Url { url, http, kept: Arc::default() }
    }

    async fn read(&self) -> Result<String, String> {
        match self {
            Self::Dir(dir) => tokio::fs::read_to_string(dir.join("index.html"))
                .await
                .map_err(|e| format!("cannot read {}: {e}", dir.join("index.html").display())),
            Self::Url { url, http, kept } => {
                let previous = kept.lock().map(|k| k.clone()).unwrap_or_default();
                if let Some((at, page)) = &previous
                    && at.elapsed() < Self::KEEP
                {
                    return Ok(page.clone());
                }
                match fetch(http, url).await {
                    Ok(page) => {
                        if let Ok(mut kept) = kept.lock() {
                            *kept = Some((Instant::now(), page.clone()));
                        }
                        Ok(page)
                    }
                    // An older copy beats no page while the CDN cannot be reached.
                    Err(e) => previous.map(|(_, page)| page).ok_or(e),
                }
            }
        }
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = http.get(url).send().await.map_err(|e| format!("cannot fetch {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    response.text().await.map_err(|e| format!("cannot read {url}: {e}"))
}

/// `GET /products/{id}`: the portal's `index.html`, with the discovery link when `id` is a product id. The link's
/// title is the product's name where cards or reads are public, and its id otherwise, so that a crawler without a
/// sign-in learns nothing the URL does not say.
#[utoipa::path(
    get,
    path = "/products/{id}",
    tag = "portal",
    params(("id" = ProductId, Path, description = "The product's id")),
    responses((status = 200, description = "The portal's page, with the product's oEmbed discovery link", content_type = "text/html"))
)]
pub async fn product_page(State(portal): State<Portal>, Path(id): Path<String>) -> Response {
    let index = match portal.index.read().await {
        Ok(index) => index,
        Err(error) => {
            tracing::error!(%error, "cannot read the portal's index.html");
            let mut response =
                (StatusCode::SERVICE_UNAVAILABLE, "The portal cannot be loaded right now: try again in a minute.")
                    .into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return response;
        }
    };
    let page = match ProductId::parse(id) {
        Ok(id) => {
            let settings = portal.state.embed.as_ref();
            let name = if settings.public_cards || portal.state.auth.public_reads() {
                portal.state.mesh.catalog.get_product(&id).await.ok().flatten().map(|product| product.name)
            } else {
                None
            };
            embed::with_discovery_link(&index, &id, name.as_deref().unwrap_or(id.as_str()), settings)
        }
        // Not a product id: the portal shows its own "not found".
        Err(_) => index,
    };
    let policy = page_policy(&portal.state, &page);
    let mut response = page.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // The page carries a product's name, which may change: revalidate rather than keep it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    protect(headers, Some(policy));
    response
}

/// The Content-Security-Policy of a portal page `html`: its scripts are the portal's own files, and its inline
/// scripts by their hash (trunk's, which starts the WebAssembly, which needs `'wasm-unsafe-eval'`); styles only from
/// its files; it fetches from the API and the identity provider (the portal exchanges its sign-in code at the
/// provider's token endpoint); it shows images and the card preview from the portal's URL; nothing frames it.
pub fn page_policy(state: &AppState, html: &str) -> String {
    let portal = origin(&state.embed.portal_url).map(|origin| format!(" {origin}")).unwrap_or_default();
    let scripts: String = inline_scripts(html)
        .map(|script| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script))))
        .collect();
    let provider: BTreeSet<String> = state.auth.provider_fetch_urls().iter().filter_map(|url| origin(url)).collect();
    let provider: String = provider.iter().map(|origin| format!(" {origin}")).collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'; \
         img-src 'self' data:{portal}; frame-src 'self'{portal}; connect-src 'self'{provider}; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The text of each inline script (one without `src`) in `html`, as the browser hashes it.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    // ASCII lowercasing keeps every byte where it was, so offsets found in `lower` hold in `html`.
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let Some(body) = lower[start..].find('>').map(|i| start + i + 1) else { break };
        let Some(end) = lower[body..].find("</script").map(|i| body + i) else { break };
        let has_src =
            lower[start..body].split(|c: char| c.is_ascii_whitespace() || c == '>').any(|a| a.starts_with("src="));
        if !has_src {
            scripts.push(&html[body..end]);
        }
        at = end;
    }
    scripts.into_iter()
}

/// `scheme://host[:port]` of `url`.
fn origin(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.has_host().then(|| url.origin().ascii_serialization())
}

/// The headers every file of the portal carries, and a page its `policy`: its type is never guessed, no address
/// leaves in a `Referer`, and the portal is never framed (by older browsers' header too).
fn protect(headers: &mut HeaderMap, policy: Option<String>) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(policy) = policy.and_then(|policy| HeaderValue::from_str(&policy).ok()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
}

/// The `index.html` of the bundle that has the page at `path`, when it is not Discover's: `studio/index.html` for
/// Publish, Create and Sign in, `studio/manage/index.html` for Manage's pages, `studio/access/index.html` for Access's.
/// The same rule as the portal's `Bundle::of` (frontend/src/lib.rs) and the CloudFront function in
/// infra/template.json.
pub fn owner_bundle_index(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["publish"] | ["create"] | ["sign-in"] => Some("studio/index.html"),
        ["manage"] | ["manage", _] => Some("studio/manage/index.html"),
        ["access"] | ["access", "accounts" | "channels" | "tokens"] => Some("studio/access/index.html"),
        _ => None,
    }
}

/// The built portal's files, and the state its pages' policy is made from.
#[derive(Debug, Clone)]
pub struct Files {
    pub dir: PathBuf,
    pub state: AppState,
}

/// Every other path: a file of the built portal, or a client-side route answered with its bundle's `index.html`.
/// Gzipped when the browser accepts it, as the CDN does in the cloud: the wasm shrinks to about a third.
pub async fn files(State(files): State<Files>, request: Request) -> Response {
    let serve = tower::service_fn(move |request: Request| {
        let files = files.clone();
        async move { Ok::<_, std::convert::Infallible>(serve_file(&files, request).await) }
    });
    match tower::Layer::layer(&CompressionLayer::new(), serve).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// One file of the portal, uncompressed, with the headers every file carries, and a page with its policy.
async fn serve_file(files: &Files, request: Request) -> Response {
    let dir = &files.dir;
    let answer = match owner_bundle_index(request.uri().path()) {
        Some(index) => ServeFile::new(dir.join(index)).oneshot(request).await,
        None => ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))).oneshot(request).await,
    };
    let response = match answer {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    // Only a page's full answer gets a policy: a 304's headers would replace those of the cached page, whose
    // policy names the scripts of the body the browser keeps.
    let is_page = response.status() == StatusCode::OK
        && response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let (mut parts, body) = response.into_parts();
    if !is_page {
        protect(&mut parts.headers, None);
        return Response::from_parts(parts, body);
    }
    // A page is a few KB: read it whole to name its inline scripts in the policy.
    let Ok(page) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    protect(&mut parts.headers, Some(page_policy(&files.state, &String::from_utf8_lossy(&page))));
    Response::from_parts(parts, Body::from(page))
}

#[cfg(test)]
mod tests {
    use super::owner_bundle_index;

    #[test]
    fn publish_create_and_sign_in_are_studio_pages_and_manage_and_access_have_their_own_bundles() {
        let cases = [
            ("/publish", Some("studio/index.html")),
            ("/create/", Some("studio/index.html")),
            ("/manage", Some("studio/manage/index.html")),
            ("/manage/orders.v2", Some("studio/manage/index.html")),
            ("/", None),
            ("/products/users", None),
            ("/activity", None),
            ("/sign-in", Some("studio/index.html")),
            ("/manage/a/b", None),
            ("/publish/now", None),
            ("/studio/x.js", None),
            ("/studio/manage/", None),
            ("/access", Some("studio/access/index.html")),
            ("/access/", Some("studio/access/index.html")),
            ("/access/users", None),
            ("/access/accounts", Some("studio/access/index.html")),
            ("/access/accounts/", Some("studio/access/index.html")),
            ("/access/accounts/users", None),
            ("/access/channels", Some("studio/access/index.html")),
            ("/access/tokens", Some("studio/access/index.html")),
            ("/studio/access/access-0e1f2a3b4c5d6e7f.js", None),
        ];
        for (path, expected) in cases {
            assert_eq!(owner_bundle_index(path), expected, "{path}");
        }
    }
}
