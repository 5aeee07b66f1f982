//! Explore: the catalog of every data product in the mesh, the portal's landing page.

use leptos::prelude::*;

use crate::api;
use crate::components::feedback::{ErrorBanner, Loading};
use crate::components::product_card::ProductList;

#[component]
pub fn Explore() -> impl IntoView {
    let products = LocalResource::new(api::list_products);
    view! {
        <section class="explore" aria-labelledby="explore-title">
            <h1 id="explore-title">"Data products"</h1>
            <p class="lede">
                "Every data product in the mesh: who owns it, how far it can be trusted and what its team commits to."
            </p>
            <ErrorBoundary fallback=move |errors| {
                view! {
                    <ErrorBanner errors>
                        <button type="button" class="button" on:click=move |_| products.refetch()>
                            "Try again"
                        </button>
                    </ErrorBanner>
                }
            }>
                // Transition rather than Suspense: a refetch keeps the current list on screen until the new one arrives.
                <Transition fallback=|| view! { <Loading what="data products"/> }>
                    {move || Suspend::new(async move {
                        products.await.map(|list| view! { <ProductList products=list.items/> })
                    })}
                </Transition>
            </ErrorBoundary>
        </section>
    }
}
