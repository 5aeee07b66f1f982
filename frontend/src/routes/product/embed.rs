//! The Embed panel: everything a wiki or dashboard needs to show the product (the card's iframe code, the
//! oEmbed URL, markdown badges), each with a Copy button, and a live preview of the card.

use leptos::prelude::*;
use meshport_shared::api::ProductLinks;

use super::copy::CopyBlock;
use crate::api::encode;

const BADGES: [&str; 3] = ["status", "quality", "sla"];

/// What a reader copies into a wiki, and the card as it will look there.
#[component]
pub fn EmbedPanel(id: String, name: String, links: ProductLinks) -> impl IntoView {
    let dark = RwSignal::new(false);
    // The size the API proposes, as its oEmbed answer does: the card's size is the API's to say.
    let (width, height) = (links.card_width, links.card_height);
    let embed = links.embed.clone();
    let card_url = move || if dark.get() { format!("{embed}?theme=dark") } else { embed.clone() };
    let title = format!("{name} (Meshport data product)");
    let iframe = {
        let (card_url, title) = (card_url.clone(), title.clone());
        move || {
            let code = iframe_code(&card_url(), (width, height), &title);
            view! { <CopyBlock label="Card (iframe HTML)".to_owned() text=code testid="embed-iframe-code" wrap=true/> }
        }
    };
    let origin = origin_of(&links, &id);
    let oembed = format!("{origin}/oembed?url={}&format=json", encode(&links.portal));
    let badges = badge_markdown(&links);
    let badge_images = badge_urls(&links)
        .into_iter()
        .map(|(kind, url)| view! { <img src=url alt=format!("{kind} badge") data-testid="embed-badge-preview"/> })
        .collect_view();
    let theme_group = format!("embed-theme-{id}");
    view! {
        <div class="embed" data-testid="embed-panel">
            <p class="muted embed__intro">
                "Show this product in a wiki, a dashboard or a README. The card needs no sign-in where the organisation "
                "has made cards public, and always shows the product as it is now."
            </p>
            <fieldset class="embed__theme">
                <legend>"Card theme"</legend>
                <label>
                    <input type="radio" name=theme_group.clone() checked=true on:change=move |_| dark.set(false)/>
                    " Light"
                </label>
                <label>
                    <input
                        type="radio"
                        name=theme_group
                        data-testid="embed-theme-dark"
                        on:change=move |_| dark.set(true)
                    />
                    " Dark"
                </label>
            </fieldset>
            <div class="embed__grid">
                <div class="embed__codes">
                    {iframe}
                    <CopyBlock label="oEmbed URL".to_owned() text=oembed testid="embed-oembed-url" wrap=true/>
                    <CopyBlock label="Markdown badges".to_owned() text=badges testid="embed-badges"/>
                </div>
                <figure class="embed__preview">
                    <figcaption>"Preview"</figcaption>
                    <iframe
                        src=card_url
                        referrerpolicy="no-referrer"
                        sandbox="allow-popups allow-popups-to-escape-sandbox"
                        width=width
                        height=height
                        title=title
                        data-testid="embed-preview"
                    ></iframe>
                    <p class="embed__badges">{badge_images}</p>
                </figure>
            </div>
        </div>
    }
}

/// The iframe a page embeds, as oEmbed answers it: sandboxed without scripts, lazy, no referrer.
pub fn iframe_code(card_url: &str, (width, height): (u32, u32), title: &str) -> String {
    format!(
        "<iframe src=\"{}\" width=\"{width}\" height=\"{height}\" title=\"{}\" style=\"border:0;max-width:100%\" \
         loading=\"lazy\" referrerpolicy=\"no-referrer\" sandbox=\"allow-popups allow-popups-to-escape-sandbox\"></iframe>",
        attribute(card_url),
        attribute(title)
    )
}

/// The portal's origin, from the product's own portal link (`{origin}/products/{id}`), so the URLs are those the
/// API is configured with; the page's own origin when the link has another shape.
fn origin_of(links: &ProductLinks, id: &str) -> String {
    match links.portal.strip_suffix(&format!("/products/{id}")) {
        Some(origin) => origin.to_owned(),
        None => window().location().origin().unwrap_or_default(),
    }
}

/// Each badge's kind and URL, next to the status badge the API links.
fn badge_urls(links: &ProductLinks) -> Vec<(&'static str, String)> {
    let base = links.badge.strip_suffix("status.svg").unwrap_or(&links.badge);
    BADGES.iter().map(|kind| (*kind, format!("{base}{kind}.svg"))).collect()
}

/// One markdown line per badge, each linking to the product's page.
fn badge_markdown(links: &ProductLinks) -> String {
    badge_urls(links).into_iter().map(|(kind, url)| format!("[![{kind}]({url})]({})\n", links.portal)).collect()
}

/// Text safe inside a double-quoted HTML attribute of the code people paste.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&#39;")
}
