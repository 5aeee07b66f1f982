//! The frame around every page: the site header with its navigation, and the page for unknown addresses.

use leptos::prelude::*;
use leptos_router::components::A;

/// The banner at the top of every page. `A` marks the link of the current page with `aria-current="page"`.
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">"Meshport"</a>
                <nav aria-label="Main">
                    <ul class="nav" role="list">
                        <li><A href="/" exact=true>"Explore"</A></li>
                    </ul>
                </nav>
            </div>
        </header>
    }
}

/// Shown for any address no route matches.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="not-found" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. " <a href="/">"Explore the data products"</a> " instead."</p>
        </section>
    }
}
