//! The oEmbed answer that proposes a product's card to wikis.

use super::*;

/// An oEmbed `rich` response (oembed.com, section 2.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OEmbed {
    pub version: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub author_name: String,
    pub provider_name: &'static str,
    pub provider_url: String,
    pub cache_age: u32,
    pub html: String,
    pub width: u32,
    pub height: u32,
}

/// The oEmbed answer for a product: the card's iframe, sized to fit `maxwidth` and `maxheight`.
pub fn oembed(
    product: &DataProduct,
    theme: Theme,
    maxwidth: Option<u32>,
    maxheight: Option<u32>,
    settings: &EmbedSettings,
) -> OEmbed {
    let (width, height) = card_size(product, maxwidth, maxheight);
    let title = clip(&product.name, NAME_CHARS);
    // Sandboxed without scripts or same-origin rights: the card needs neither, and links still open a new tab.
    let html = format!(
        "<iframe src=\"{}\" width=\"{width}\" height=\"{height}\" title=\"{} (Meshport data product)\" \
         style=\"border:0;max-width:100%\" loading=\"lazy\" referrerpolicy=\"no-referrer\" \
         sandbox=\"allow-popups allow-popups-to-escape-sandbox\"></iframe>",
        escape(&settings.card_url(&product.id, theme)),
        escape(&title),
    );
    OEmbed {
        version: "1.0",
        kind: "rich",
        title,
        author_name: product.owner.team.to_string(),
        provider_name: "Meshport",
        provider_url: format!("{}/", settings.portal_url),
        cache_age: CACHE_SECONDS,
        html,
        width,
        height,
    }
}
