//! Activity.

use leptos::prelude::*;

#[component]
pub fn Activity() -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title">"Activity"</h1>
        </section>
    }
}
