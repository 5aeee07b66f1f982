//! Shields-style SVG badges of a product's status, quality and SLA.

use super::*;

/// What a badge shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeKind {
    Status,
    Quality,
    Sla,
}

impl BadgeKind {
    /// Reads the last path segment of a badge URL: `status.svg`, `quality.svg` or `sla.svg`.
    pub fn from_file_name(file: &str) -> Option<Self> {
        match file.strip_suffix(".svg")? {
            "status" => Some(Self::Status),
            "quality" => Some(Self::Quality),
            "sla" => Some(Self::Sla),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Quality => "quality",
            Self::Sla => "sla",
        }
    }

    /// The value a product shows on this badge, and its colour.
    pub fn value_of(self, product: &DataProduct) -> (&'static str, BadgeColour) {
        match self {
            Self::Status => (product.status.as_str(), status_colour(product.status)),
            Self::Quality => (product.quality.as_str(), quality_colour(product.quality)),
            Self::Sla => (product.sla.as_str(), sla_colour(product.sla)),
        }
    }
}

pub(super) fn status_colour(status: ProductStatus) -> BadgeColour {
    match status {
        ProductStatus::Active => BadgeColour::Green,
        ProductStatus::Deprecated => BadgeColour::Orange,
        ProductStatus::Retired => BadgeColour::Red,
        ProductStatus::Draft => BadgeColour::Blue,
    }
}

pub(super) fn quality_colour(quality: Quality) -> BadgeColour {
    match quality {
        Quality::Authoritative => BadgeColour::Green,
        Quality::Curated => BadgeColour::Blue,
        Quality::Raw => BadgeColour::Grey,
    }
}

pub(super) fn sla_colour(sla: SlaTier) -> BadgeColour {
    match sla {
        SlaTier::Tier1 => BadgeColour::Green,
        SlaTier::Tier2 => BadgeColour::YellowGreen,
        SlaTier::Tier3 => BadgeColour::Grey,
    }
}

/// The value side of a badge, in shields.io's palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeColour {
    Green,
    YellowGreen,
    Orange,
    Red,
    Blue,
    Grey,
}

impl BadgeColour {
    pub fn hex(self) -> &'static str {
        match self {
            Self::Green => "#4c1",
            Self::YellowGreen => "#a4a61d",
            Self::Orange => "#fe7d37",
            Self::Red => "#e05d44",
            Self::Blue => "#007ec6",
            Self::Grey => "#9f9f9f",
        }
    }
}

/// The label side's colour.
pub(super) const BADGE_LABEL_COLOUR: &str = "#555";
/// Space on each side of a badge's text, in pixels.
pub(super) const BADGE_PADDING: f64 = 6.0;

/// The width of `text` in Verdana 11px, the badge font, from per-character advances (approximations of the real
/// metrics; `textLength` makes renderers fit the text to it exactly).
pub fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 3.5,
            ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' => 4.5,
            '-' | '_' | '"' => 5.0,
            'c' | 's' | 'z' | 'x' | 'v' | 'y' | 'k' | 'J' => 6.0,
            'm' => 10.7,
            'w' => 9.0,
            'M' | 'W' => 10.5,
            c if c.is_ascii_digit() => 7.0,
            c if c.is_ascii_lowercase() => 6.8,
            c if c.is_ascii_uppercase() => 7.6,
            c if c.is_ascii() => 7.0,
            // Wide scripts (CJK and the like) take about a full em.
            c if u32::from(c) >= 0x1100 => 11.0,
            _ => 7.5,
        })
        .sum()
}

/// A shields-style flat badge: `label` on grey, `value` on `colour`, each side as wide as its text needs.
pub fn badge_svg(label: &str, value: &str, colour: BadgeColour) -> String {
    let label = clip(label, 40);
    let value = clip(value, 60);
    let label_text = text_width(&label);
    let value_text = text_width(&value);
    let label_width = (label_text + 2.0 * BADGE_PADDING).round();
    let value_width = (value_text + 2.0 * BADGE_PADDING).round();
    let width = label_width + value_width;
    let (label, value) = (escape(&label), escape(&value));
    let label_x = label_width / 2.0;
    let value_x = label_width + value_width / 2.0;
    let mut svg = String::with_capacity(1200);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"20\" role=\"img\" \
         aria-label=\"{label}: {value}\"><title>{label}: {value}</title>\
         <linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/>\
         <stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>\
         <clipPath id=\"r\"><rect width=\"{width}\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\
         <g clip-path=\"url(#r)\"><rect width=\"{label_width}\" height=\"20\" fill=\"{BADGE_LABEL_COLOUR}\"/>\
         <rect x=\"{label_width}\" width=\"{value_width}\" height=\"20\" fill=\"{}\"/>\
         <rect width=\"{width}\" height=\"20\" fill=\"url(#s)\"/></g>\
         <g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" \
         text-rendering=\"geometricPrecision\" font-size=\"11\">",
        colour.hex(),
    );
    for (x, text_length, text) in [(label_x, label_text, &label), (value_x, value_text, &value)] {
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\" textLength=\"{text_length:.1}\" \
             lengthAdjust=\"spacingAndGlyphs\">{text}</text>\
             <text x=\"{x}\" y=\"14\" textLength=\"{text_length:.1}\" lengthAdjust=\"spacingAndGlyphs\">{text}</text>",
        );
    }
    svg.push_str("</g></svg>");
    svg
}
