//! The application: the router over the state (`state.rs`), and the local server that binds and serves it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::{Router, middleware};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::routes;
use crate::routes::extract::KnownHost;
pub use crate::state::{AppState, StartError};

/// The whole HTTP surface: the API, and the built portal when a directory is given (local server only; in the
/// cloud the CDN serves the portal).
pub fn router(state: AppState, static_dir: Option<&Path>) -> Router {
    let api = routes::api_router(state.clone());
    let router = match static_dir {
        // Unknown paths are portal routes: hand them their bundle's index.html and let its client-side router decide.
        // A product's page gets the oEmbed discovery link too.
        Some(dir) => {
            let product_page = product_page(state.clone(), routes::portal::PortalIndex::Dir(dir.to_owned()));
            let files = routes::portal::Files { dir: dir.to_owned(), state };
            let files = Router::new().fallback(routes::portal::files).with_state(files);
            api.merge(product_page).fallback_service(files)
        }
        // In the cloud the CDN serves the portal and sends product pages here, for the oEmbed discovery link.
        None => match state.embed.portal_index_url.clone() {
            Some(url) => {
                let index = routes::portal::PortalIndex::url(url, state.timeout);
                api.merge(product_page(state, index)).fallback(routes::not_found)
            }
            None => api.fallback(routes::not_found),
        },
    };
    router.layer(TraceLayer::new_for_http())
}

/// `GET /products/{id}`: the portal's page with the product's oEmbed discovery link.
fn product_page(state: AppState, index: routes::portal::PortalIndex) -> Router {
    let portal = routes::portal::Portal { state, index };
    Router::new()
        .route(routes::portal::PRODUCT_PAGE.path, axum::routing::get(routes::portal::product_page))
        .with_state(portal)
}

/// The local server: bound, not yet serving, so callers (tests) can learn the port first.
#[derive(Debug)]
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    /// Binds `config.listen`. The server answers only for its own host names (`config.allowed_hosts`): on a
    /// developer's machine, a web page must not reach it under a name of its own (DNS rebinding).
    pub async fn bind(config: &Config, state: AppState) -> Result<Self, StartError> {
        let address = config.listen;
        let listener =
            tokio::net::TcpListener::bind(address).await.map_err(|source| StartError::Listen { address, source })?;
        let hosts = Arc::new(config.allowed_hosts.clone());
        let router = router(state, config.static_dir.as_deref())
            .layer(middleware::from_extractor_with_state::<KnownHost, _>(hosts));
        Ok(Self { listener, router })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown).await
    }
}
