//! The API calls the Manage pages make, typed with the shared request and response shapes.

use meshport_shared::api::{
    DeprecateRequest, EvolveRequest, EvolveResponse, PublishableTopic, RetireRequest, TopicChangeRequest,
};
use meshport_shared::{DataProduct, DomainName, ProductId};

use crate::api::{Result, encode, get, patch, post, put};

/// `GET /api/v1/domains/{domain}/publishable-topics`: synced topics that are not products yet.
pub async fn publishable_topics(domain: &DomainName) -> Result<Vec<PublishableTopic>> {
    get(&format!("/api/v1/domains/{}/publishable-topics", encode(domain.as_str()))).await
}

/// `PUT /api/v1/products/{id}`: new metadata, with the revision read in the body; the product as stored.
pub async fn update(id: &ProductId, product: &DataProduct) -> Result<DataProduct> {
    put(&format!("/api/v1/products/{}", encode(id.as_str())), product).await
}

/// `POST /api/v1/products/{id}/schema`: checks (`dry_run`) or registers a new value schema.
pub async fn evolve(id: &ProductId, request: &EvolveRequest) -> Result<EvolveResponse> {
    post(&format!("/api/v1/products/{}/schema", encode(id.as_str())), request).await
}

/// `POST /api/v1/products/{id}/deprecate`: the product as stored afterwards.
pub async fn deprecate(id: &ProductId, request: &DeprecateRequest) -> Result<DataProduct> {
    post(&format!("/api/v1/products/{}/deprecate", encode(id.as_str())), request).await
}

/// `POST /api/v1/products/{id}/retire`: the product as stored afterwards.
pub async fn retire(id: &ProductId, revision: u64) -> Result<DataProduct> {
    post(&format!("/api/v1/products/{}/retire", encode(id.as_str())), &RetireRequest { revision }).await
}

/// `PATCH /api/v1/products/{id}/topic`: more partitions, another retention or cleanup policy; the product as stored
/// afterwards (its topic's new facts come with the product page, read again).
pub async fn change_topic(id: &ProductId, request: &TopicChangeRequest) -> Result<DataProduct> {
    patch(&format!("/api/v1/products/{}/topic", encode(id.as_str())), request).await
}
