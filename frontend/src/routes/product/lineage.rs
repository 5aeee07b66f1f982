//! Where the product sits in the mesh: the products it is made from, and the products and consumer groups that
//! read it, drawn as linked boxes with arrows (HTML and CSS, so it reads as lists to a screen reader).

use leptos::prelude::*;
use meshport_shared::ProductStatus;
use meshport_shared::api::{Lineage, ProductRef};

use crate::api::encode;

/// Inputs → this product → downstream products and consumer groups.
#[component]
pub fn LineageGraph(
    /// The product the page is about.
    name: String,
    lineage: Lineage,
    /// The consumer groups with committed offsets on the product's topic.
    groups: Vec<String>,
) -> impl IntoView {
    let Lineage { inputs, downstream } = lineage;
    let summary = format!(
        "{name} is made from {} and read by {} and {}.",
        count(inputs.len(), "product"),
        count(downstream.len(), "product"),
        count(groups.len(), "consumer group"),
    );
    let inputs = if inputs.is_empty() {
        view! { <p class="lineage__none" data-testid="lineage-no-inputs">"No inputs recorded"</p> }.into_any()
    } else {
        view! {
            <ul class="lineage__nodes" role="list">
                {inputs.into_iter().map(|input| view! { <li><ProductNode product=input testid="lineage-input"/></li> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let readers = if downstream.is_empty() && groups.is_empty() {
        view! { <p class="lineage__none" data-testid="lineage-no-readers">"Nothing reads it yet"</p> }.into_any()
    } else {
        view! {
            <ul class="lineage__nodes" role="list">
                {downstream
                    .into_iter()
                    .map(|product| view! { <li><ProductNode product testid="lineage-downstream"/></li> })
                    .collect_view()}
                {groups
                    .into_iter()
                    .map(|group| {
                        view! {
                            <li>
                                <span class="lineage__node lineage__node--group" data-testid="lineage-group">
                                    <span class="lineage__kind">"consumer group"</span>
                                    <code>{group}</code>
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <div class="lineage" data-testid="lineage">
            <p class="visually-hidden" data-testid="lineage-summary">{summary}</p>
            <div class="lineage__column">
                <h3 class="lineage__title">"Made from"</h3>
                {inputs}
            </div>
            <div class="lineage__arrow" aria-hidden="true"></div>
            <div class="lineage__column">
                <h3 class="lineage__title">"This product"</h3>
                <span class="lineage__node lineage__node--self" data-testid="lineage-self">{name}</span>
            </div>
            <div class="lineage__arrow" aria-hidden="true"></div>
            <div class="lineage__column">
                <h3 class="lineage__title">"Read by"</h3>
                {readers}
            </div>
        </div>
    }
}

/// Another product, linked to its page; a status other than active is said next to its name.
#[component]
fn ProductNode(product: ProductRef, testid: &'static str) -> impl IntoView {
    let ProductRef { id, name, status } = product;
    let href = format!("/products/{}", encode(id.as_str()));
    let status = (status != ProductStatus::Active)
        .then(|| view! { <span class=format!("badge badge--{}", status.as_str())>{status.as_str()}</span> });
    view! {
        <a class="lineage__node" href=href data-testid=testid data-product-id=id.to_string()>
            <span class="lineage__name">{name}</span>
            <code class="lineage__id">{id.to_string()}</code>
            {status}
        </a>
    }
}

fn count(n: usize, what: &str) -> String {
    match n {
        0 => format!("no {what}"),
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}
