//! The product page's typed fetchers, on the portal's one API client.

use meshport_shared::api::Sample;
use meshport_shared::schema::SchemaChange;

use crate::api::{Result, encode, get};

/// `GET /api/v1/products/{id}/schema/diff?from=&to=`: every change between two versions of the value schema.
pub async fn schema_diff(id: &str, from: i32, to: i32) -> Result<Vec<SchemaChange>> {
    get(&format!("/api/v1/products/{}/schema/diff?from={from}&to={to}", encode(id))).await
}

/// `GET /api/v1/products/{id}/sample?limit=`: the newest events, personal fields masked.
pub async fn sample(id: &str, limit: usize) -> Result<Sample> {
    get(&format!("/api/v1/products/{}/sample?limit={limit}", encode(id))).await
}
