//! The products the signed-in person's teams own (every product, for org admins, with a team filter), each with its
//! status and the way to its management page and its product page.

use leptos::prelude::*;
use meshport_shared::api::Identity;
use meshport_shared::search::{MAX_LIMIT, SearchPage, SearchQuery};
use meshport_shared::{DataProduct, ProductStatus, TeamName};

use super::Call;
use crate::api;
use crate::components::feedback::{Empty, Loading};
use crate::components::product_form::load_failed;
use crate::components::status_badge::StatusBadge;
use crate::reactive::{fetched, live, live_text};

#[component]
pub(super) fn OwnedProducts(who: Identity) -> impl IntoView {
    if !who.admin && who.teams.is_empty() {
        return view! {
            <section class="manage-block" aria-labelledby="owned-title" data-testid="owned-products">
                <h2 id="owned-title">"Your products"</h2>
                <Empty title="You are in no team yet">
                    "Products belong to teams, so there is nothing for you to manage. Ask your organisation's admins to "
                    "add you to your team, then sign in again."
                </Empty>
            </section>
        }
        .into_any();
    }
    let admin = who.admin;
    // Org admins may change every product, so they see all of them and may narrow the list to one team.
    let team = RwSignal::new(String::new());
    let query = move || SearchQuery {
        team: match admin {
            true => Some(team.get()).filter(|t| !t.is_empty()).into_iter().collect(),
            false => who.teams.iter().map(ToString::to_string).collect(),
        },
        // Owners manage their retired products too (their topics stay until deleted).
        status: ProductStatus::ALL.to_vec(),
        limit: Some(MAX_LIMIT),
        ..SearchQuery::default()
    };
    let query = Memo::new(move |_| query());
    let retries = RwSignal::new(0_u32);
    let first = fetched(move || (retries.get(), query.get()), |(_, query)| search(query));
    // Pages after the first, appended by "Show more"; a new filter starts again from the first page.
    let more = RwSignal::new(Vec::<SearchPage>::new());
    let filter = admin.then(|| view! { <TeamFilter team more/> });
    let list = live(move || match first.get() {
        None => view! { <Loading what="your data products"/> }.into_any(),
        Some(Err(error)) => load_failed("Your data products", &error, move || retries.update(|n| *n += 1)),
        Some(Ok(page)) => view! { <OwnedList first=page more query/> }.into_any(),
    });

    view! {
        <section class="manage-block" aria-labelledby="owned-title" data-testid="owned-products">
            <h2 id="owned-title">{if admin { "All products (you are an org admin)" } else { "Your teams' products" }}</h2>
            {filter}
            <div class="manage-list-area">{list}</div>
        </section>
    }
    .into_any()
}

/// The org admin's choice of team, from the teams the policy knows.
#[component]
fn TeamFilter(team: RwSignal<String>, more: RwSignal<Vec<SearchPage>>) -> impl IntoView {
    let policy = fetched(|| (), |()| api::policy());
    let options = live(move || {
        let mut teams: Vec<TeamName> = Vec::new();
        // In the policy's order, each team once (a team may serve several domains).
        for team in policy.get().and_then(Result::ok).into_iter().flat_map(|p| p.domains).flat_map(|d| d.teams) {
            if !teams.contains(&team) {
                teams.push(team);
            }
        }
        teams
            .into_iter()
            .map(|t| {
                let name = t.to_string();
                view! { <option value=name.clone() selected=move || team.with(|s| *s == name)>{t.to_string()}</option> }
            })
            .collect_view()
            .into_any()
    });
    view! {
        <div class="field manage-filter">
            <label class="field__label" for="owned-team">"Team"</label>
            <select
                class="field__control"
                id="owned-team"
                data-testid="owned-team-filter"
                on:change=move |ev| {
                    more.set(Vec::new());
                    team.set(event_target_value(&ev));
                }
            >
                <option value="">"All teams"</option>
                {options}
            </select>
        </div>
    }
}

#[component]
fn OwnedList(first: SearchPage, more: RwSignal<Vec<SearchPage>>, query: Memo<SearchQuery>) -> impl IntoView {
    if first.items.is_empty() {
        return view! {
            <Empty title="No products yet">
                "Your teams own no data product yet. Publish one of the topics below, or "
                <a href="/create">"create a new one"</a>
                "."
            </Empty>
        }
        .into_any();
    }
    let total = first.total;
    let first_cursor = first.next_cursor.clone();
    let first_items = first.items;
    let next_cursor = move || more.with(|pages| pages.last().map_or(first_cursor.clone(), |p| p.next_cursor.clone()));
    let load_more = Call::<api::Result<()>>::new();
    let count = match total {
        1 => "1 data product".to_owned(),
        n => format!("{n} data products"),
    };
    let show_more = live(move || {
        let Some(cursor) = next_cursor() else { return ().into_any() };
        view! {
            <div class="manage-actions">
                <button
                    type="button"
                    class="button"
                    data-testid="owned-more"
                    disabled=move || load_more.pending.get()
                    on:click=move |_| {
                        let page = search(SearchQuery { cursor: Some(cursor.clone()), ..query.get_untracked() });
                        load_more.start(async move { page.await.map(|page| more.update(|pages| pages.push(page))) });
                    }
                >
                    {live_text(move || if load_more.pending.get() { "Loading…" } else { "Show more" }.to_owned())}
                </button>
            </div>
        }
        .into_any()
    });
    let more_error = live(move || match load_more.answer.get() {
        Some(Err(error)) => view! {
            <p class="field__error-message" role="alert">
                {error.message()} " " <code class="error-code">{error.code().to_owned()}</code>
            </p>
        }
        .into_any(),
        _ => ().into_any(),
    });
    view! {
        <p class="result-count" data-testid="owned-count">{count}</p>
        <ul class="manage-rows" role="list">
            {first_items.into_iter().map(|product| view! { <OwnedRow product/> }).collect_view()}
            {live(move || {
                more.get()
                    .into_iter()
                    .flat_map(|page| page.items)
                    .map(|product| view! { <OwnedRow product/> })
                    .collect_view()
                    .into_any()
            })}
        </ul>
        {more_error}
        {show_more}
    }
    .into_any()
}

/// One page of search results; the query is owned, so one request future serves every call.
async fn search(query: SearchQuery) -> api::Result<SearchPage> {
    api::search(&query).await
}

#[component]
fn OwnedRow(product: DataProduct) -> impl IntoView {
    let DataProduct { id, name, domain, owner, status, deprecation, .. } = product;
    let manage = format!("/manage/{}", api::encode(id.as_str()));
    let page = format!("/products/{}", api::encode(id.as_str()));
    let sunset = deprecation.filter(|_| status == ProductStatus::Deprecated).map(|d| {
        view! {
            <span class="manage-row__sunset" data-testid="owned-sunset">
                "sunset " <time datetime=d.sunset.clone()>{d.sunset.clone()}</time>
            </span>
        }
    });
    view! {
        <li class="manage-row" data-testid="owned-product" data-product-id=id.to_string()>
            <div class="manage-row__main">
                <a class="manage-row__name" href=manage data-testid="owned-manage-link">{name.clone()}</a>
                <code class="manage-row__id">{id.to_string()}</code>
            </div>
            <div class="manage-row__status">
                <StatusBadge status test_id="owned-status"/>
                {sunset}
            </div>
            <p class="manage-row__owner">{format!("{domain} · {}", owner.team)}</p>
            <a class="manage-row__view" href=page>
                "Product page" <span class="visually-hidden">{format!(" of {name}")}</span>
            </a>
        </li>
    }
}
