//! Publish a topic.

use leptos::prelude::*;

#[component]
pub fn Publish() -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title">"Publish a topic"</h1>
        </section>
    }
}
