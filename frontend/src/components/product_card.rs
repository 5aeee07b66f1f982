//! A data product at a glance: what it is, who owns it and how far it can be trusted.

use leptos::prelude::*;
use meshport_shared::{Deprecation, Description, ProductStatus, Quality, SlaTier, SupportChannel};
use serde::Deserialize;

use super::status_badge::StatusBadge;
use crate::components::feedback::Empty;

/// The catalog as a list of cards, or an empty state when there is nothing in it yet.
#[component]
pub fn ProductList(products: Vec<ShownProduct>) -> impl IntoView {
    if products.is_empty() {
        return view! {
            <Empty title="No data products yet">
                "When a team publishes its first data product, it shows up here."
            </Empty>
        }
        .into_any();
    }
    let count = match products.len() {
        1 => "1 data product".to_owned(),
        n => format!("{n} data products"),
    };
    view! {
        <p class="result-count" data-testid="product-count">{count}</p>
        <ul class="product-grid" role="list">
            {products.into_iter().map(|product| view! { <ProductCard product/> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// One product. Every text is rendered as a text node, never as HTML, so hostile names show as typed.
#[component]
pub fn ProductCard(product: ShownProduct) -> impl IntoView {
    let ShownProduct { id, name, domain, owner, status, description, quality, sla, deprecation, .. } = product;
    let sunset = deprecation.map(|d| {
        view! { <p class="product-card__sunset" data-testid="product-sunset">"Sunset " {d.sunset}</p> }
    });
    view! {
        <li class="product-card" data-testid="product-row" data-product-id=id.to_string()>
            <div class="product-card__head">
                <h2 class="product-card__name">
                    <a href=format!("/products/{id}") data-testid="product-name">{name}</a>
                </h2>
                <StatusBadge status test_id="product-status"/>
            </div>
            <p class="product-card__id"><code data-testid="product-id">{id.to_string()}</code></p>
            <p class="product-card__purpose" data-testid="product-purpose">{description.purpose}</p>
            {sunset}
            <dl class="facts">
                <div>
                    <dt>"Domain"</dt>
                    <dd data-testid="product-domain">{domain.to_string()}</dd>
                </div>
                <div>
                    <dt>"Owning team"</dt>
                    <dd data-testid="product-team">{owner.team.to_string()}</dd>
                </div>
                <div>
                    <dt>"Quality"</dt>
                    <dd data-testid="product-quality">{quality.as_str()}</dd>
                </div>
                <div>
                    <dt>"SLA tier"</dt>
                    <dd data-testid="product-sla">
                        {sla.as_str()}
                        <span class="facts__hint">{sla.summary()}</span>
                    </dd>
                </div>
            </dl>
        </li>
    }
}

/// A data product as the reader's pages show it (Explore's cards, the product page): the part of the API's
/// `DataProduct` they use, read into its own type so that the Discover bundle carries no decoder for the rest
/// (members, inputs, subjects, revision...) nor the checks of names the API made when it stored them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShownProduct {
    pub id: String,
    pub name: String,
    pub version: String,
    pub domain: String,
    pub owner: ShownOwner,
    pub status: ProductStatus,
    pub description: Description,
    #[serde(default)]
    pub tags: Vec<String>,
    pub output_port: ShownPort,
    pub quality: Quality,
    pub sla: SlaTier,
    #[serde(default)]
    pub support: Vec<SupportChannel>,
    #[serde(default)]
    pub personal_fields: Vec<String>,
    #[serde(default)]
    pub deprecation: Option<Deprecation>,
    #[serde(default)]
    pub updated_at: String,
}

/// The owning team and how to reach it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShownOwner {
    pub team: String,
    #[serde(default)]
    pub contact: String,
}

/// The topic of the product's output port.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShownPort {
    pub topic: String,
}
