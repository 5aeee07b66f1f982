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
pub mod drafts;
pub mod reactive;
pub mod routes;
pub mod session;

use components::feedback::Loading;
use components::layout::{NotFound, SiteHeader};
use routes::access::Access;
use routes::access::accounts::ServiceAccounts;
use routes::access::channels::NotificationChannels;
use routes::access::tokens::ApiTokens;
use routes::activity::Activity;
use routes::create::Create;
use routes::explore::Explore;
use routes::manage::{Manage, ManageProduct};
use routes::product::Product;
use routes::publish::Publish;
use routes::sign_in::SignIn;

/// The portal ships as four bundles, so a visit downloads only what its pages need: **Discover** (Explore, product
/// pages, Activity: what every reader uses), **Studio** (Publish, Create: what a team uses to add a data product;
/// and Sign in, visited now and then, whose identity provider code every reader would otherwise download),
/// **Manage** (Manage: what owners use to look after theirs) and **Access** (Access: a team's requests and grants,
/// the owners' inbox, which put Discover over the target, and the teams' service accounts). All share this library,
/// the session and the look; moving between them is a full page load. One bundle for everything would be about 540 KB gzipped, two (owners'
/// pages together) put the owners' one over the portal's 350 KB target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    Discover,
    Studio,
    Manage,
    Access,
}

impl Bundle {
    /// Which bundle has the page at `path`; `None` when none has one. The API's static file server and the
    /// CloudFront function in `infra/template.json` apply the same rule to pick `index.html`, `studio/index.html`,
    /// `studio/manage/index.html` or `studio/access/index.html`.
    pub fn of(path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] | ["activity"] | ["products", _] => Some(Self::Discover),
            ["publish"] | ["create"] | ["sign-in"] => Some(Self::Studio),
            ["manage"] | ["manage", _] => Some(Self::Manage),
            ["access"] | ["access", "accounts" | "channels" | "tokens"] => Some(Self::Access),
            _ => None,
        }
    }
}

/// The Discover bundle: the site header and the reader's pages.
#[component]
pub fn Discover() -> impl IntoView {
    view! {
        <Shell bundle=Bundle::Discover>
            <Routes fallback=|| view! { <Elsewhere bundle=Bundle::Discover/> }>
                <Route path=path!("/") view=Explore/>
                <Route path=path!("/products/:id") view=Product/>
                <Route path=path!("/activity") view=Activity/>
            </Routes>
        </Shell>
    }
}

/// The Studio bundle: the site header, the pages that add a data product, and Sign in.
#[component]
pub fn Studio() -> impl IntoView {
    view! {
        <Shell bundle=Bundle::Studio>
            <Routes fallback=|| view! { <Elsewhere bundle=Bundle::Studio/> }>
                <Route path=path!("/publish") view=Publish/>
                <Route path=path!("/create") view=Create/>
                <Route path=path!("/sign-in") view=SignIn/>
            </Routes>
        </Shell>
    }
}

/// The Manage bundle: the site header and the owners' pages.
#[component]
pub fn ManagePages() -> impl IntoView {
    view! {
        <Shell bundle=Bundle::Manage>
            <Routes fallback=|| view! { <Elsewhere bundle=Bundle::Manage/> }>
                <Route path=path!("/manage") view=Manage/>
                <Route path=path!("/manage/:id") view=ManageProduct/>
            </Routes>
        </Shell>
    }
}

/// The Access bundle: the site header, the page of a team's access and its owners' inbox, the teams' service
/// accounts and their notification channels.
#[component]
pub fn AccessPages() -> impl IntoView {
    view! {
        <Shell bundle=Bundle::Access>
            <Routes fallback=|| view! { <Elsewhere bundle=Bundle::Access/> }>
                <Route path=path!("/access") view=Access/>
                <Route path=path!("/access/accounts") view=ServiceAccounts/>
                <Route path=path!("/access/channels") view=NotificationChannels/>
                <Route path=path!("/access/tokens") view=ApiTokens/>
            </Routes>
        </Shell>
    }
}

/// Where the last hop between bundles went (`Elsewhere`), until a bundle that has that page shows it.
const HOP: &str = "meshport.bundle-hop";

/// What every bundle has around its pages.
#[component]
fn Shell(bundle: Bundle, children: Children) -> impl IntoView {
    // Arrived at one of this bundle's own pages: any hop here succeeded, so a later one to the same page (after the
    // back button, say) is not mistaken for a loop.
    if let Some(window) = web_sys::window()
        && let Ok(path) = window.location().pathname()
        && Bundle::of(&path) == Some(bundle)
        && let Ok(Some(storage)) = window.session_storage()
    {
        let _ = storage.remove_item(HOP);
    }
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <main id="main" class="page" tabindex="-1">{children()}</main>
        </Router>
    }
}

/// An address this bundle has no page for: another bundle's pages load it with a full navigation; anything else
/// is not found. The hop's path stays in `sessionStorage` until a bundle that has the page shows it, so should a
/// server answer a path with the wrong bundle, the second arrival shows "not found" instead of hopping for ever.
#[component]
fn Elsewhere(bundle: Bundle) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let path = location.pathname.get_untracked();
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    let hopped_here = storage.as_ref().and_then(|s| s.get_item(HOP).ok().flatten()).is_some_and(|p| p == path);
    match Bundle::of(&path) {
        Some(other) if other != bundle && !hopped_here => {
            if let Some(storage) = &storage {
                let _ = storage.set_item(HOP, &path);
            }
            // The router's `search` comes without its `?`. (The browser's own address may still be the previous
            // page's while the router renders this one, so it cannot stand in.)
            let search = location.search.get_untracked();
            let target = if search.is_empty() { path } else { format!("{path}?{search}") };
            if let Some(window) = web_sys::window() {
                let _ = window.location().replace(&target);
            }
            view! { <Loading what="the page"/> }.into_any()
        }
        _ => view! { <NotFound/> }.into_any(),
    }
}
