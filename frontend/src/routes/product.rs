//! The product page (`/products/:id`): everything a consumer needs to decide on a data product and start reading
//! it, from the one `GET /api/v1/products/{id}` answer, with the parts that ask more of the cluster (a sample, a
//! schema diff) loaded on demand.

use std::sync::Arc;

use leptos::error::Errors;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use meshport_shared::TopicFacts;
use meshport_shared::api::{ConsumeInfo, Lineage, ProductLinks, SchemaDetail, VersionSummary};
use meshport_shared::mirror::Consumer;
use serde::Deserialize;

use crate::api;
use crate::components::feedback::{ErrorBanner, Loaded, Loading, Show};
use crate::components::product_card::ShownProduct;
use crate::routes::activity::Change;

pub mod code;
pub mod consume;
pub mod consumers;
pub mod copy;
pub mod embed;
pub mod history;
pub mod lineage;
pub mod overview;
pub mod proposals;
pub mod sample;
pub mod schema;
pub mod topic;
pub mod versions;
pub mod watch;

use code::DownloadCode;
use consume::ConsumeSnippets;
use consumers::ConsumerList;
use embed::EmbedPanel;
use history::AuditHistory;
use lineage::LineageGraph;
use overview::{ProductFacts, ProductHeader, UsageNotes, Warnings};
use sample::SamplePanel;
use schema::SchemaTable;
use topic::TopicSummary;
use versions::SchemaVersions;

/// What the tab says when no product is shown.
const PORTAL_TITLE: &str = "Meshport";

#[component]
pub fn Product() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let path = move || format!("/api/v1/products/{}", api::encode(&id()));
    // The tab is named after the product, so a reader with many tabs open finds it again.
    let show: Show = Arc::new(|answer| match api::read::<PageDetail>(answer) {
        Ok(detail) => {
            document().set_title(&detail.product.name);
            Ok(view! { <ProductView detail/> }.into_any())
        }
        Err(error) if error.status() == Some(404) => {
            document().set_title("Data product not found");
            Ok(view! { <ProductNotFound/> }.into_any())
        }
        Err(error) => Err(error),
    });
    on_cleanup(|| document().set_title(PORTAL_TITLE));
    view! {
        <Loaded
            path
            // As tall as a page's first screen, so the footer does not jump when the product arrives.
            loading=|| view! { <div class="product-loading"><Loading what="the data product"/></div> }
            sign_in="Sign in to see this data product"
            show
        />
    }
}

/// The whole page for one product, from what the API answered.
#[component]
pub fn ProductView(detail: PageDetail) -> impl IntoView {
    let PageDetail { product, topic, schema, versions, consumers, links, history, warnings, consume, lineage } = detail;
    let id = product.id.to_string();
    let field_order: Vec<String> =
        schema.as_ref().map(|s| s.fields.iter().map(|f| f.name.clone()).collect()).unwrap_or_default();
    let schema = match schema {
        Some(schema) => view! { <SchemaTable schema personal_fields=product.personal_fields.clone()/> }.into_any(),
        None => view! {
            <p class="muted" data-testid="schema-missing">
                "No version of the value schema is in the catalog yet: it appears after the next sync."
            </p>
        }
        .into_any(),
    };
    let header = view! { <ProductHeader product=product.clone()/> };
    let about = view! { <UsageNotes description=product.description.clone()/> };
    let versions = view! { <SchemaVersions product_id=id.clone() versions/> };
    let sample = view! { <SamplePanel product_id=id.clone() field_order/> };
    let snippets = view! { <ConsumeSnippets product_id=id.clone() consume/> };
    // Asking for access, following a request and signing off a breaking change are the Access page's (its own
    // bundle): a link keeps their code out of every reader's download (the proposals' rows alone would put Discover
    // about 17 KB gzipped over its target).
    let access = view! {
        <p>
            "Teams read this product once its owners approve their request. "
            <a href=format!("/access?product={}", api::encode(&id)) data-testid="access-link">
                "Ask for access, see where your team's request stands, or sign off its breaking changes"
            </a>
        </p>
    };
    let groups = consumers.iter().map(|c| c.group.clone()).collect();
    let lineage = view! { <LineageGraph name=product.name.clone() lineage groups/> };
    let embed = view! { <EmbedPanel id=id.clone() name=product.name.clone() links/> };
    let consumers = view! { <ConsumerList product_id=id.clone() consumers/> };
    let topic = view! { <TopicSummary topic_name=product.output_port.topic.to_string() topic/> };
    let watch = view! { <watch::WatchToggle product_id=id.clone()/> };
    let code = view! { <DownloadCode product_id=id.clone()/> };
    view! {
        <article class="product" data-testid="product-page" data-product-id=id>
            {header}
            <Warnings warnings/>
            <div class="product__layout">
                // The facts come first, so a phone shows who owns the product before the long sections; on a wide
                // screen they stand in the right-hand column.
                <aside class="product__side" aria-label="Facts">
                    <OnThisPage/>
                    <Section id="product-governance" title="Ownership and trust">
                        <ProductFacts product/>
                    </Section>
                    {watch}
                    {code}
                </aside>
                <div class="product__main">
                    <Section id="product-using" title="Using it">{about}</Section>
                    <Section id="product-schema" title="Schema">{schema} {versions}</Section>
                    <Section id="product-consume" title="How to consume">{snippets}</Section>
                    <Section id="product-access" title="Access">{access}</Section>
                    <Section id="product-topic" title="Topic">{topic}</Section>
                    <Section id="product-sample" title="Recent events">{sample}</Section>
                    <Section id="product-lineage" title="Lineage">{lineage}</Section>
                    <Section id="product-consumers" title="Consumers">{consumers}</Section>
                    <Section id="product-embed" title="Embed">{embed}</Section>
                    <Section id="product-history" title="History">
                        <AuditHistory entries=history/>
                    </Section>
                </div>
            </div>
        </article>
    }
}

/// `GET /api/v1/products/{id}` as the page reads it: the API's `ProductDetail` with the product and its history
/// read into the reader's own types ([`ShownProduct`], [`Change`]), which leave out what no reader's page shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PageDetail {
    product: ShownProduct,
    topic: Option<TopicFacts>,
    schema: Option<SchemaDetail>,
    versions: Vec<VersionSummary>,
    consumers: Vec<Consumer>,
    links: ProductLinks,
    history: Vec<Change>,
    warnings: Vec<String>,
    consume: ConsumeInfo,
    lineage: Lineage,
}

/// Links to the page's sections, in their order: the page is long, and most readers come for one part.
#[component]
fn OnThisPage() -> impl IntoView {
    const SECTIONS: [(&str, &str); 10] = [
        ("product-using", "Using it"),
        ("product-schema", "Schema"),
        ("product-consume", "How to consume"),
        ("product-access", "Access"),
        ("product-topic", "Topic"),
        ("product-sample", "Recent events"),
        ("product-lineage", "Lineage"),
        ("product-consumers", "Consumers"),
        ("product-embed", "Embed"),
        ("product-history", "History"),
    ];
    let links =
        SECTIONS.iter().map(|(id, title)| view! { <li><a href=format!("#{id}")>{*title}</a></li> }).collect_view();
    view! {
        <nav class="toc" aria-labelledby="toc-title">
            <p class="toc__title" id="toc-title">"On this page"</p>
            <ul role="list">{links}</ul>
        </nav>
    }
}

/// The answer for an id no product has: a page of its own rather than an error.
#[component]
fn ProductNotFound() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    view! {
        <section class="not-found" data-testid="product-not-found" aria-labelledby="page-title">
            <h1 id="page-title">"Data product not found"</h1>
            <p>
                "No data product has the id "
                <code>{id}</code>
                ". It may have been renamed, or the link has a typo. "
                <a href="/">"Explore the data products"</a>
                " instead."
            </p>
        </section>
    }
}

/// One titled part of the page; its id is the anchor the page's contents link to.
#[component]
fn Section(id: &'static str, title: &'static str, children: Children) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="product-section" id=id aria-labelledby=labelled_by data-testid=id>
            <h2 id=heading class="product-section__title">{title}</h2>
            {children()}
        </section>
    }
}

/// A moment from the API (RFC 3339), shown to the minute in UTC, with the exact value for machines.
#[component]
pub fn When(at: String) -> impl IntoView {
    let shown = minutes(&at);
    view! { <time datetime=at>{shown}</time> }
}

/// `2024-05-01T12:34:56.789Z` → `2024-05-01 12:34 UTC`; anything else is shown as it came.
fn minutes(at: &str) -> String {
    let utc = at.ends_with('Z') || at.ends_with("+00:00");
    match (at.get(..10), at.get(10..11), at.get(11..16)) {
        (Some(day), Some("T"), Some(time)) if utc => format!("{day} {time} UTC"),
        _ if at.is_empty() => "unknown".to_owned(),
        _ => at.to_owned(),
    }
}

/// One failed request, shown like the page's own errors: its stable code, its message, and what to do next (if
/// anything but reading it).
#[component]
pub(crate) fn Problem(error: api::Error, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let mut errors = Errors::default();
    errors.insert_with_default_key(error);
    view! { <ErrorBanner errors=ArcRwSignal::new(errors)>{children.map(|c| c())}</ErrorBanner> }
}

/// A labelled drop-down of numbers (versions, event counts) bound to a signal.
#[component]
fn NumberChoice<T>(
    label: &'static str,
    testid: &'static str,
    /// Each value and the words shown for it.
    choices: Vec<(T, String)>,
    chosen: RwSignal<T>,
) -> impl IntoView
where
    T: Copy + PartialEq + ToString + std::str::FromStr + Send + Sync + 'static,
{
    let options = choices
        .into_iter()
        .map(|(value, words)| {
            view! { <option value=value.to_string() selected=move || chosen.get() == value>{words}</option> }
        })
        .collect_view();
    let pick = move |event: leptos::ev::Event| {
        if let Ok(value) = event_target_value(&event).parse() {
            chosen.set(value);
        }
    };
    view! {
        <label class="field">
            <span class="field__label">{label}</span>
            <select class="control" data-testid=testid on:change=pick>{options}</select>
        </label>
    }
}

/// A table in a box of its own that scrolls sideways on a narrow screen, so the page itself never does. The box
/// is focusable and named, so a keyboard can scroll it too.
#[component]
fn ScrollTable(
    label: &'static str,
    testid: &'static str,
    /// Extra classes of the table.
    #[prop(optional)]
    class: &'static str,
    columns: Vec<String>,
    /// The rows.
    children: Children,
) -> impl IntoView {
    let head = columns.into_iter().map(|column| view! { <th scope="col">{column}</th> }).collect_view();
    view! {
        <div class="table-scroll" role="region" aria-label=label tabindex="0">
            <table class=format!("data-table {class}") data-testid=testid>
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// Column titles from string literals.
fn columns(titles: &[&str]) -> Vec<String> {
    titles.iter().map(|&title| title.to_owned()).collect()
}

/// One term and its value in a list of facts.
#[component]
fn Fact(term: &'static str, #[prop(optional)] testid: Option<&'static str>, children: Children) -> impl IntoView {
    view! {
        <div>
            <dt>{term}</dt>
            <dd data-testid=testid>{children()}</dd>
        </div>
    }
}
