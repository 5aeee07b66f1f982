//! Sign in.

use leptos::prelude::*;

#[component]
pub fn SignIn() -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title">"Sign in"</h1>
        </section>
    }
}
