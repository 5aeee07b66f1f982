//! Data product.

use leptos::prelude::*;

#[component]
pub fn Product() -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title">"Data product"</h1>
        </section>
    }
}
