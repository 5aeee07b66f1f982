//! The frame around every page: the site header with its navigation, and the page for unknown addresses.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session;

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
                        <li><A href="/publish">"Publish"</A></li>
                        <li><A href="/create">"Create"</A></li>
                        <li><A href="/manage">"Manage"</A></li>
                        <li><A href="/access">"Access"</A></li>
                        <li><A href="/activity">"Activity"</A></li>
                    </ul>
                </nav>
                <SignedInAs/>
            </div>
        </header>
    }
}

/// The signed-in person and their teams, with a way out; or a way in.
#[component]
fn SignedInAs() -> impl IntoView {
    move || match session::identity() {
        Some(who) => {
            let teams = match (who.admin, who.teams.is_empty()) {
                (true, _) => "org admin".to_owned(),
                (false, true) => "no team".to_owned(),
                (false, false) => who.teams.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
            };
            view! {
                <div class="who" data-testid="signed-in">
                    <span class="who__name" data-testid="signed-in-name">{who.name}</span>
                    <span class="who__teams" data-testid="signed-in-teams">{teams}</span>
                    <button type="button" class="button button--quiet" on:click=|_| session::sign_out()>
                        "Sign out"
                    </button>
                </div>
            }
            .into_any()
        }
        None => view! { <a class="button button--quiet who" href="/sign-in" data-testid="sign-in-link">"Sign in"</a> }
            .into_any(),
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
