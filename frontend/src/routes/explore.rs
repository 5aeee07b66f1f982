//! Explore: the catalog of every data product in the mesh, the portal's landing page.
//!
//! The URL is the one source of truth for the search: typing, ticking a filter, sorting or paging writes a new URL,
//! and the results follow the URL. So a search can be shared as a link, and the back button undoes the last change.

use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use meshport_shared::search::{FacetCount, Facets, SearchQuery, SortOrder};
use meshport_shared::{ProductStatus, Quality, SlaTier};
use serde::Deserialize;

use crate::api;
use crate::components::feedback::{Empty, Loaded, Loading, Show};
use crate::components::product_card::{ProductList, ShownProduct};

/// How long typing must pause before the search runs.
const TYPING_PAUSE: Duration = Duration::from_millis(250);

#[component]
pub fn Explore() -> impl IntoView {
    let location = use_location();
    let raw = Memo::new(move |_| location.search.get().trim_start_matches('?').to_owned());
    let searcher = Searcher::new(raw);
    // The search as the address writes it (it may be edited by hand): the API parses it with the same shared code
    // the portal writes it with, and answers a malformed one with a 400 naming the parameter.
    let path = move || match raw.get() {
        raw if raw.is_empty() => "/api/v1/products".to_owned(),
        raw => format!("/api/v1/products?{raw}"),
    };
    let show: Show = Arc::new(move |answer| {
        let page = api::read::<Found>(answer)?;
        Ok(view! { <Results searcher page/> }.into_any())
    });

    view! {
        <section class="explore" aria-labelledby="explore-title">
            <h1 id="explore-title">"Data products"</h1>
            <p class="lede">
                "Every data product in the mesh: who owns it, how far it can be trusted and what its team commits to."
            </p>
            <SearchBox searcher/>
            <Loaded
                path
                loading=|| view! { <Loading what="data products"/> }
                sign_in="Sign in to see the data products"
                show
                actions=|| view! { <a class="button button--quiet" href="/">"Start a new search"</a> }
            />
        </section>
    }
}

/// The router's navigation, kept where event handlers can reach it.
type Navigate = Box<dyn Fn(&str, NavigateOptions)>;

/// The current search, and the one way to change it: by writing a new URL.
#[derive(Clone, Copy)]
struct Searcher {
    query: Memo<SearchQuery>,
    navigate: StoredValue<Navigate, LocalStorage>,
}

impl Searcher {
    fn new(raw: Memo<String>) -> Self {
        // A query the portal cannot read shows the API's error below; the controls start from a blank search.
        let query = Memo::new(move |_| SearchQuery::from_query_string(&raw.get()).unwrap_or_default());
        let navigate = use_navigate();
        Self { query, navigate: StoredValue::new_local(Box::new(navigate)) }
    }

    /// Applies `change` to the current search and goes there. Any change but paging starts from the first page.
    fn update(self, change: impl FnOnce(&mut SearchQuery)) {
        let mut query = self.query.get_untracked();
        query.cursor = None;
        change(&mut query);
        let url = href(&query);
        self.navigate.with_value(|navigate| navigate(&url, NavigateOptions::default()));
    }
}

/// The portal address of a search.
fn href(query: &SearchQuery) -> String {
    match query.to_query_string() {
        qs if qs.is_empty() => "/".to_owned(),
        qs => format!("/?{qs}"),
    }
}

/// The search text, run as the person types (after a short pause) or at once on Enter.
#[component]
fn SearchBox(searcher: Searcher) -> impl IntoView {
    let text = RwSignal::new(searcher.query.get_untracked().q);
    // The back button changes the URL under the box: show the text of the search on screen.
    Effect::new(move |_| {
        let q = searcher.query.get().q;
        if q != text.get_untracked() {
            text.set(q);
        }
    });
    let pending = StoredValue::new_local(None::<TimeoutHandle>);
    let commit = move || {
        if let Some(handle) = pending.try_update_value(Option::take).flatten() {
            handle.clear();
        }
        let q = text.get_untracked();
        if q == searcher.query.get_untracked().q {
            return;
        }
        searcher.update(|query| {
            // Keep a sort the person chose; otherwise rank by relevance once there is text to rank by.
            if query.sort == SortOrder::default_for(&query.q) {
                query.sort = SortOrder::default_for(&q);
            }
            query.q = q;
        });
    };
    let on_input = move |event| {
        text.set(event_target_value(&event));
        if let Some(handle) = pending.try_update_value(Option::take).flatten() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(commit, TYPING_PAUSE).ok();
        pending.set_value(handle);
    };
    view! {
        <form
            class="search"
            role="search"
            on:submit=move |event| {
                event.prevent_default();
                commit();
            }
        >
            <label for="search-text" class="search__label">"Search data products"</label>
            <div class="search__row">
                <input
                    id="search-text"
                    class="control search__input"
                    type="search"
                    name="q"
                    autocomplete="off"
                    spellcheck="false"
                    maxlength=meshport_shared::search::MAX_QUERY_CHARS.to_string()
                    placeholder="Name, description, tag, team or schema field"
                    data-testid="search-input"
                    prop:value=move || text.get()
                    on:input=on_input
                />
                <button type="submit" class="button">"Search"</button>
            </div>
        </form>
    }
}

/// One page of the API's `SearchPage` as Explore reads it: each product a card's [`ShownProduct`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Found {
    items: Vec<ShownProduct>,
    total: usize,
    next_cursor: Option<String>,
    facets: Facets,
}

/// One page of results beside the filters that narrow them.
#[component]
fn Results(searcher: Searcher, page: Found) -> impl IntoView {
    let Found { items, total, next_cursor, facets } = page;
    let query = searcher.query.get_untracked();
    let filtered = query.has_text() || has_filters(&query);
    let paged = query.cursor.is_some();
    let list = if items.is_empty() && filtered {
        view! {
            <Empty title="No data products match">
                "Try other words, or "
                <button type="button" class="link-button" on:click=move |_| searcher.update(clear_filters)>
                    "clear the filters"
                </button>
                "."
            </Empty>
        }
        .into_any()
    } else {
        view! { <ProductList products=items/> }.into_any()
    };
    let next = next_cursor.map(|cursor| {
        let mut next = query.clone();
        next.cursor = Some(cursor);
        view! {
            <a class="button" href=href(&next) rel="next" data-testid="next-page">"Next page"</a>
        }
    });
    let first = paged.then(|| {
        let mut first = query.clone();
        first.cursor = None;
        view! { <a class="button button--quiet" href=href(&first) data-testid="first-page">"First page"</a> }
    });
    view! {
        <div class="explore__body">
            <Filters searcher facets query=query.clone()/>
            <div class="explore__results">
                <div class="results-bar">
                    <p class="results-bar__total" role="status" data-testid="result-total">
                        {match total {
                            1 => "1 match".to_owned(),
                            n => format!("{n} matches"),
                        }}
                    </p>
                    <SortChoice searcher query=query.clone()/>
                </div>
                {list}
                <nav class="pager" aria-label="Result pages">{first}{next}</nav>
            </div>
        </div>
    }
}

fn has_filters(query: &SearchQuery) -> bool {
    !(query.domain.is_empty()
        && query.team.is_empty()
        && query.quality.is_empty()
        && query.sla.is_empty()
        && query.status.is_empty()
        && query.tag.is_empty())
}

fn clear_filters(query: &mut SearchQuery) {
    *query = SearchQuery { q: std::mem::take(&mut query.q), sort: query.sort, ..SearchQuery::default() };
}

#[component]
fn SortChoice(searcher: Searcher, query: SearchQuery) -> impl IntoView {
    let options = SortOrder::ALL
        .into_iter()
        // Relevance means nothing without text to rank by.
        .filter(|order| *order != SortOrder::Relevance || query.has_text())
        .map(|order| {
            let label = match order {
                SortOrder::Relevance => "Best match",
                SortOrder::Name => "Name",
                SortOrder::Updated => "Recently updated",
                SortOrder::Domain => "Domain",
            };
            view! { <option value=order.as_str() selected=order == query.sort>{label}</option> }
        })
        .collect_view();
    let on_change = move |event| {
        let value = event_target_value(&event);
        if let Some(order) = SortOrder::ALL.into_iter().find(|order| order.as_str() == value) {
            searcher.update(|query| query.sort = order);
        }
    };
    view! {
        <label class="sort">
            <span>"Sort by"</span>
            <select class="control" data-testid="sort" on:change=on_change>{options}</select>
        </label>
    }
}

/// The filter choices, each with how many products it would give.
#[component]
fn Filters(searcher: Searcher, facets: Facets, query: SearchQuery) -> impl IntoView {
    let Facets { domain, team, quality, sla, status, tag } = facets;
    let groups = [
        ("domain", "Domain", domain),
        ("team", "Owning team", team),
        ("quality", "Quality", quality),
        ("sla", "SLA tier", sla),
        ("status", "Status", status),
        ("tag", "Tag", tag),
    ];
    let any = has_filters(&query);
    let groups = groups
        .into_iter()
        .filter(|(_, _, counts)| !counts.is_empty())
        .map(|(key, title, counts)| {
            let selected = selected(&query, key);
            view! { <FacetGroup searcher key title counts selected/> }
        })
        .collect_view();
    view! {
        <details class="filters" open=wide_screen() data-testid="filters">
            <summary class="filters__summary">"Filters"</summary>
            {groups}
            {any.then(|| view! {
                <button type="button" class="button button--quiet" data-testid="clear-filters"
                    on:click=move |_| searcher.update(clear_filters)>
                    "Clear filters"
                </button>
            })}
        </details>
    }
}

#[component]
fn FacetGroup(
    searcher: Searcher,
    key: &'static str,
    title: &'static str,
    counts: Vec<FacetCount>,
    selected: Vec<String>,
) -> impl IntoView {
    let choices = counts
        .into_iter()
        .map(|FacetCount { value, count }| {
            let checked = selected.contains(&value);
            let toggled = value.clone();
            let on_change = move |_| {
                let value = toggled.clone();
                searcher.update(move |query| toggle(query, key, &value));
            };
            view! {
                <li>
                    <label class="facet">
                        <input type="checkbox" prop:checked=checked on:change=on_change
                            data-testid=format!("facet-{key}-{value}")/>
                        <span class="facet__value">{value.clone()}</span>
                        <span class="facet__count">
                            <span class="visually-hidden">" products: "</span>
                            {count}
                        </span>
                    </label>
                </li>
            }
        })
        .collect_view();
    view! {
        <fieldset class="facet-group" data-testid=format!("facet-group-{key}")>
            <legend>{title}</legend>
            <ul role="list">{choices}</ul>
        </fieldset>
    }
}

/// Beside the results the filters are open; on a phone, where they would push the results off the screen, they
/// start closed.
fn wide_screen() -> bool {
    web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).is_none_or(|w| w >= 768.0)
}

/// The values of one filter the query holds, as the facet lists them.
fn selected(query: &SearchQuery, key: &str) -> Vec<String> {
    match key {
        "domain" => query.domain.clone(),
        "team" => query.team.clone(),
        "tag" => query.tag.clone(),
        "quality" => query.quality.iter().map(|v| v.as_str().to_owned()).collect(),
        "sla" => query.sla.iter().map(|v| v.as_str().to_owned()).collect(),
        "status" => query.status.iter().map(|v| v.as_str().to_owned()).collect(),
        _ => Vec::new(),
    }
}

/// Adds `value` to the filter `key`, or takes it away when it is there.
fn toggle(query: &mut SearchQuery, key: &str, value: &str) {
    fn flip<T: PartialEq>(list: &mut Vec<T>, value: T) {
        match list.iter().position(|v| *v == value) {
            Some(i) => {
                list.remove(i);
            }
            None => list.push(value),
        }
    }
    fn parse<T: Copy>(all: &[T], name: fn(T) -> &'static str, value: &str) -> Option<T> {
        all.iter().copied().find(|v| name(*v) == value)
    }
    match key {
        "domain" => flip(&mut query.domain, value.to_owned()),
        "team" => flip(&mut query.team, value.to_owned()),
        "tag" => flip(&mut query.tag, value.to_owned()),
        "quality" => {
            if let Some(v) = parse(&Quality::ALL, Quality::as_str, value) {
                flip(&mut query.quality, v);
            }
        }
        "sla" => {
            if let Some(v) = parse(&SlaTier::ALL, SlaTier::as_str, value) {
                flip(&mut query.sla, v);
            }
        }
        "status" => {
            if let Some(v) = parse(&ProductStatus::ALL, ProductStatus::as_str, value) {
                flip(&mut query.status, v);
            }
        }
        _ => {}
    }
}
