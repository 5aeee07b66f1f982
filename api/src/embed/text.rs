//! Escaping and clipping for HTML and XML, and content tags: what cards, badges and, later, notifications render
//! every outside text through.

use super::*;

/// Escapes text for HTML (text and double- or single-quoted attributes) and for XML (SVG), and drops the
/// characters XML forbids (control characters other than tab and newlines, U+FFFE, U+FFFF).
pub fn escape(text: &str) -> Cow<'_, str> {
    let needs_work = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || !is_xml_char(c);
    if !text.contains(needs_work) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
}

/// Bidirectional embeddings, overrides and isolates: in a name they can make the rest of the card read backwards.
pub(super) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Free text made fit for one line or paragraph of a card: whitespace runs become one space, control characters go,
/// and text longer than `max_chars` is cut at a word boundary when one is near, ending with `…`. Not escaped.
pub fn clip(text: &str, max_chars: usize) -> String {
    let mut flat = String::with_capacity(text.len().min(max_chars * 4 + 4));
    let mut count = 0;
    let mut cut = false;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control() || is_bidi_control(c)) {
        if word.is_empty() {
            continue;
        }
        if count > 0 {
            flat.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= max_chars {
                cut = true;
                break;
            }
            flat.push(c);
            count += 1;
        }
        if cut {
            break;
        }
    }
    if !cut && count <= max_chars {
        return flat.trim_end().to_owned();
    }
    // Leave room for the ellipsis, and prefer a word boundary in the last fifth of the text.
    let mut end: usize = flat.char_indices().nth(max_chars.saturating_sub(1)).map_or(flat.len(), |(i, _)| i);
    if let Some(space) = flat[..end].rfind(' ')
        && flat[..space].chars().count() >= max_chars * 4 / 5
    {
        end = space;
    }
    let mut clipped = flat[..end].trim_end().to_owned();
    clipped.push('…');
    clipped
}

/// A strong validator for a representation: a hash of its exact bytes, quoted as `ETag` wants.
pub fn etag(bytes: &[u8]) -> String {
    // `DefaultHasher::new` is keyed identically in every process, so every instance of one build agrees.
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    let low = hasher.finish();
    hasher.write_u8(0xff);
    let high = hasher.finish();
    format!("\"{high:016x}{low:016x}\"")
}
