//! What a product is and who stands behind it: name, status and lifecycle, governance facts, description and the
//! warnings the API raised about it.

use leptos::prelude::*;
use meshport_shared::{Description, ProductStatus, Quality, SupportKind};

use super::{Fact, When};
use crate::api::encode;
use crate::components::product_card::ShownProduct;
use crate::components::status_badge::StatusBadge;

/// The page's heading: the product's name, status and identity, and the lifecycle notice a reader must not miss.
#[component]
pub fn ProductHeader(product: ShownProduct) -> impl IntoView {
    let status = product.status;
    // Every status but active comes with a notice: what it means for someone about to rely on the product.
    let lifecycle: Option<(&str, &str, &str, AnyView)> = match (status, product.deprecation) {
        (ProductStatus::Deprecated, Some(deprecation)) => {
            let replacement = deprecation.replacement.map(|id| {
                let href = format!("/products/{}", encode(id.as_str()));
                view! {
                    " Use "
                    <a href=href data-testid="replacement-link">{id.to_string()}</a>
                    " instead."
                }
            });
            let message = (!deprecation.message.is_empty())
                .then(|| view! { <span class="lifecycle__message">{deprecation.message}</span> });
            let sunset = deprecation.sunset;
            let detail = view! {
                " It may be retired after "
                <time datetime=sunset.clone() data-testid="sunset">{sunset.clone()}</time>
                "."
                {replacement}
                {message}
            };
            Some(("lifecycle--deprecated", "deprecation", "Deprecated.", detail.into_any()))
        }
        (ProductStatus::Deprecated, None) => {
            let detail = " Its team has not named a sunset date yet.".into_any();
            Some(("lifecycle--deprecated", "deprecation", "Deprecated.", detail))
        }
        (ProductStatus::Retired, _) => {
            let detail = " Kept for its history; not offered to new consumers.".into_any();
            Some(("lifecycle--retired", "retired", "Retired.", detail))
        }
        (ProductStatus::Draft, _) => {
            let detail = " Its team is still preparing it: do not build on it yet.".into_any();
            Some(("lifecycle--draft", "draft", "Draft.", detail))
        }
        (ProductStatus::Active, _) => None,
    };
    let lifecycle = lifecycle.map(|(modifier, testid, title, detail)| {
        view! {
            <p class=format!("lifecycle {modifier}") role="note" data-testid=testid>
                <strong>{title}</strong>
                {detail}
            </p>
        }
    });
    view! {
        <header class="product-head">
            <p class="product-head__crumbs">
                <a href="/">"Data products"</a>
                " / "
                <span data-testid="product-domain-crumb">{product.domain.to_string()}</span>
            </p>
            <div class="product-head__title">
                <h1 id="page-title" data-testid="product-title">{product.name}</h1>
                <StatusBadge status test_id="product-status"/>
            </div>
            <p class="product-head__id">
                <code data-testid="product-id">{product.id.to_string()}</code>
                " · version "
                <span data-testid="product-version">{product.version}</span>
            </p>
            <p class="product-head__purpose prose" data-testid="product-purpose">{product.description.purpose}</p>
            {lifecycle}
        </header>
    }
}

/// The governance facts: where the product lives, who owns it, how far to trust it, and how to get help.
#[component]
pub fn ProductFacts(product: ShownProduct) -> impl IntoView {
    let ShownProduct { domain, owner, quality, sla, tags, support, updated_at, .. } = product;
    let contact = (!owner.contact.is_empty()).then(|| {
        view! { <Fact term="Contact" testid="product-contact"><Address address=owner.contact/></Fact> }
    });
    let tags = (!tags.is_empty()).then(|| {
        view! {
            <Fact term="Tags">
                <ul class="tags" role="list" data-testid="product-tags">
                    {tags.into_iter().map(|tag| view! { <li class="tag">{tag}</li> }).collect_view()}
                </ul>
            </Fact>
        }
    });
    let support = (!support.is_empty()).then(|| {
        let channels = support
            .into_iter()
            .map(|channel| {
                view! {
                    <li>
                        <span class="facts__label">{support_kind(channel.kind)} ": "</span>
                        <Address address=channel.address/>
                    </li>
                }
            })
            .collect_view();
        view! {
            <Fact term="Support">
                <ul class="plain-list" role="list" data-testid="product-support">{channels}</ul>
            </Fact>
        }
    });
    view! {
        <dl class="facts product-facts" data-testid="product-facts">
            <Fact term="Domain" testid="product-domain">{domain.to_string()}</Fact>
            <Fact term="Owning team" testid="product-team">{owner.team.to_string()}</Fact>
            {contact}
            <Fact term="Quality" testid="product-quality">
                {quality.as_str()}
                <span class="facts__hint">{quality_summary(quality)}</span>
            </Fact>
            <Fact term="SLA tier" testid="product-sla">
                {sla.as_str()}
                <span class="facts__hint">{sla.summary()}</span>
            </Fact>
            <Fact term="Last change"><When at=updated_at/></Fact>
            {tags}
            {support}
        </dl>
    }
}

/// How to use the product and what it cannot be used for, as the team wrote it (the purpose is in the header).
#[component]
pub fn UsageNotes(description: Description) -> impl IntoView {
    let Description { usage, limitations, .. } = description;
    if usage.trim().is_empty() && limitations.trim().is_empty() {
        return view! { <p class="muted" data-testid="usage-missing">"The team has not written usage notes yet."</p> }
            .into_any();
    }
    let part = |title: &'static str, text: String, testid: &'static str| {
        (!text.trim().is_empty()).then(|| {
            view! {
                <h3 class="subhead">{title}</h3>
                <p class="prose" data-testid=testid>{text}</p>
            }
        })
    };
    view! {
        {part("How to use it", usage, "product-usage")}
        {part("Limitations", limitations, "product-limitations")}
    }
    .into_any()
}

/// What the API wants a reader to know before relying on what the page shows.
#[component]
pub fn Warnings(warnings: Vec<String>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <div class="warnings" role="note" data-testid="warnings">
                <p class="warnings__title">"Worth knowing"</p>
                <ul>
                    {warnings
                        .into_iter()
                        .map(|warning| view! { <li data-testid="warning">{warning}</li> })
                        .collect_view()}
                </ul>
            </div>
        }
    })
}

/// A contact address: a link where it is a web or mail address, plain text otherwise (a chat handle).
#[component]
fn Address(address: String) -> impl IntoView {
    match contact_href(&address) {
        Some(href) => view! { <a href=href>{address}</a> }.into_any(),
        None => view! { <span>{address}</span> }.into_any(),
    }
}

/// Only `http(s)` and mail addresses become links: anything else a team typed (`javascript:` included) stays text.
fn contact_href(address: &str) -> Option<String> {
    let address = address.trim();
    let lower = address.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Some(address.to_owned());
    }
    let looks_like_mail =
        address.contains('@') && !address.contains(|c: char| c.is_whitespace() || c == ':' || c == '/');
    looks_like_mail.then(|| format!("mailto:{address}"))
}

fn quality_summary(quality: Quality) -> &'static str {
    match quality {
        Quality::Authoritative => "the system of record for this data",
        Quality::Curated => "cleaned, joined or enriched from other products",
        Quality::Raw => "as captured, no guarantees on content",
    }
}

fn support_kind(kind: SupportKind) -> &'static str {
    match kind {
        SupportKind::Chat => "Chat",
        SupportKind::Email => "Email",
        SupportKind::Issues => "Issues",
        SupportKind::Docs => "Docs",
    }
}
