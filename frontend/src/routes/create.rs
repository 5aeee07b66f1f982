//! Create a data product.

use leptos::prelude::*;

#[component]
pub fn Create() -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title">"Create a data product"</h1>
        </section>
    }
}
