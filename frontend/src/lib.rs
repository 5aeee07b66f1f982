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
pub mod session;

use components::layout::{NotFound, SiteHeader};
use routes::activity::Activity;
use routes::create::Create;
use routes::explore::Explore;
use routes::manage::{Manage, ManageProduct};
use routes::product::Product;
use routes::publish::Publish;
use routes::sign_in::SignIn;

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
                    <Route path=path!("/products/:id") view=Product/>
                    <Route path=path!("/publish") view=Publish/>
                    <Route path=path!("/create") view=Create/>
                    <Route path=path!("/manage") view=Manage/>
                    <Route path=path!("/manage/:id") view=ManageProduct/>
                    <Route path=path!("/activity") view=Activity/>
                    <Route path=path!("/sign-in") view=SignIn/>
                </Routes>
            </main>
        </Router>
    }
}
