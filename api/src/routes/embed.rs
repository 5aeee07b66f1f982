//! The embed surface for wikis: `/embed/products/{id}`, `/oembed` and `/badge/products/{id}/{kind}.svg`.

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
