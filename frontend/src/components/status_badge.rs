//! A product's lifecycle status as a coloured badge, read out as "Status: deprecated".

use leptos::prelude::*;
use meshport_shared::ProductStatus;

/// The badge; `test_id` names its text for the page's tests.
#[component]
pub fn StatusBadge(status: ProductStatus, test_id: &'static str) -> impl IntoView {
    view! {
        <span class=format!("badge badge--{}", status.as_str())>
            <span class="visually-hidden">"Status: "</span>
            <span data-testid=test_id>{status.as_str()}</span>
        </span>
    }
}
