//! Meshport's portal: a client-side Leptos app where teams find, understand and publish data products.
//!
//! Pages live under `routes/`, one file each; reusable pieces under `components/`; every call to the API goes
//! through the one typed client in `api`. The portal keeps no business rule of its own: what a product is and
//! what makes it valid come from `meshport-shared`, the very code the API runs.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

pub mod api;
pub mod components;
pub mod routes;

use components::layout::{NotFound, SiteHeader};
use routes::explore::Explore;

/// The whole portal: the site header and the page the URL asks for.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <main id="main" class="page" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Explore/>
                </Routes>
            </main>
        </Router>
    }
}
