//! Manage your data products.

use leptos::prelude::*;

#[component]
pub fn Manage() -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title">"Manage your data products"</h1>
        </section>
    }
}

/// Manage one product: edit, evolve the schema, deprecate, retire.
#[component]
pub fn ManageProduct() -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title">"Manage a data product"</h1>
        </section>
    }
}
