//! Search shapes shared by the API and the portal: the query, filters, facets and a page of results.
//!
//! A search travels as a URL query string, `?q=user&domain=membership&domain=analytics&quality=raw&sort=name`:
//! repeating a key offers alternatives for that filter (any may hold), different keys must all hold. The portal
//! writes it with [`SearchQuery::to_query_string`] and the API reads it with [`SearchQuery::from_query_pairs`], so
//! both sides agree on every rule, including the defaults.

use serde::{Deserialize, Serialize};

use crate::product::{DataProduct, ProductStatus, Quality, SlaTier};

/// Results per page when the query does not say.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page a client may ask for.
pub const MAX_LIMIT: u32 = 100;
/// The longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most values a facet lists (the most frequent first); selected values are listed even beyond it.
pub const FACET_VALUES_MAX: usize = 50;

/// Every key a search query string may carry.
pub const PARAMETERS: [&str; 10] =
    ["q", "domain", "team", "quality", "sla", "status", "tag", "sort", "cursor", "limit"];

/// A product search: free text, filters, an order and a position in the results.
///
/// Empty filter lists do not filter, except `status`: retired products are left out unless `status` names `retired`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SearchQuery {
    /// Free text; every word must match, the last one as a prefix (search as you type). May be empty.
    pub q: String,
    pub domain: Vec<String>,
    pub team: Vec<String>,
    pub quality: Vec<Quality>,
    pub sla: Vec<SlaTier>,
    pub status: Vec<ProductStatus>,
    pub tag: Vec<String>,
    pub sort: SortOrder,
    /// Where the previous page ended, as the API handed it out in [`SearchPage::next_cursor`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Results per page, 1 to [`MAX_LIMIT`]; [`DEFAULT_LIMIT`] when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The order of search results. Every order ends with the product id, so it is total and pages are stable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Best match first; the default when there is search text.
    Relevance,
    /// By name, ignoring case; the default without search text.
    #[default]
    Name,
    /// Most recently updated first.
    Updated,
    /// By domain, then by name.
    Domain,
}

impl SortOrder {
    pub const ALL: [Self; 4] = [Self::Relevance, Self::Name, Self::Updated, Self::Domain];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::Name => "name",
            Self::Updated => "updated",
            Self::Domain => "domain",
        }
    }

    /// The order used when a query does not name one: relevance when there is text to rank by, name otherwise.
    pub fn default_for(q: &str) -> Self {
        if has_words(q) { Self::Relevance } else { Self::Name }
    }
}

/// Why a search query string was refused, naming the parameter and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchQueryError {
    #[error("unknown search parameter `{0}`: use q, domain, team, quality, sla, status, tag, sort, cursor or limit")]
    UnknownParameter(String),
    #[error("search parameter `{parameter}` cannot be `{value}`: use {allowed}")]
    InvalidValue { parameter: &'static str, value: String, allowed: String },
    #[error("search parameter `{0}` is given more than once: give it once")]
    Repeated(&'static str),
    #[error("search text is {0} characters long: use at most {MAX_QUERY_CHARS}")]
    TextTooLong(usize),
}

impl SearchQueryError {
    /// The query-string key at fault, so a form can show the message next to its field.
    pub fn parameter(&self) -> &str {
        match self {
            Self::UnknownParameter(key) => key,
            Self::InvalidValue { parameter, .. } | Self::Repeated(parameter) => parameter,
            Self::TextTooLong(_) => "q",
        }
    }
}

/// Echo at most a readable prefix of hostile or huge input back to the caller.
fn echo(value: &str) -> String {
    value.chars().take(80).collect()
}

/// Whether the text holds anything the search can match: words are runs of letters and digits.
fn has_words(q: &str) -> bool {
    q.chars().any(char::is_alphanumeric)
}

impl SearchQuery {
    /// A search for `q` with every other parameter at its default.
    pub fn matching(q: impl Into<String>) -> Self {
        let q = q.into();
        Self { sort: SortOrder::default_for(&q), q, ..Self::default() }
    }

    /// Whether the search has text to match, rather than browsing with filters only.
    pub fn has_text(&self) -> bool {
        has_words(&self.q)
    }

    /// Results per page, with the default applied.
    pub fn page_size(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// Reads a query from decoded key/value pairs, as a web framework or `URLSearchParams` gives them.
    ///
    /// Empty filter values (a form's "any" choice) are ignored; unknown keys, values outside an enumeration and a
    /// repeated `q`, `sort`, `cursor` or `limit` are refused.
    pub fn from_query_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, SearchQueryError> {
        const SINGLE_VALUED: [&str; 4] = ["q", "sort", "cursor", "limit"];
        let mut query = Self::default();
        let mut seen: Vec<&'static str> = Vec::new();
        let mut sort = None;
        for (key, value) in pairs {
            if let Some(&name) = SINGLE_VALUED.iter().find(|name| **name == key) {
                if seen.contains(&name) {
                    return Err(SearchQueryError::Repeated(name));
                }
                seen.push(name);
            }
            if value.is_empty() && key != "q" && PARAMETERS.contains(&key.as_str()) {
                continue;
            }
            match key.as_str() {
                "q" => query.q = parse_text(value)?,
                "domain" => query.domain.push(value),
                "team" => query.team.push(value),
                "quality" => query.quality.push(parse_enum("quality", &value, &Quality::ALL, Quality::as_str)?),
                "sla" => query.sla.push(parse_enum("sla", &value, &SlaTier::ALL, SlaTier::as_str)?),
                "status" => {
                    query.status.push(parse_enum("status", &value, &ProductStatus::ALL, ProductStatus::as_str)?)
                }
                "tag" => query.tag.push(value),
                "sort" => sort = Some(parse_enum("sort", &value, &SortOrder::ALL, SortOrder::as_str)?),
                "cursor" => query.cursor = Some(value),
                "limit" => query.limit = Some(parse_limit(&value)?),
                _ => return Err(SearchQueryError::UnknownParameter(echo(&key))),
            }
        }
        query.sort = sort.unwrap_or_else(|| SortOrder::default_for(&query.q));
        Ok(query)
    }

    /// Reads a raw query string (`q=user&domain=membership`, with or without the leading `?`), decoding it the way
    /// browsers encode forms (`+` for space, `%XX` escapes; malformed escapes are kept as they are).
    pub fn from_query_string(raw: &str) -> Result<Self, SearchQueryError> {
        let raw = raw.strip_prefix('?').unwrap_or(raw);
        let pairs = raw.split('&').filter(|pair| !pair.is_empty()).map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        });
        Self::from_query_pairs(pairs)
    }

    /// The query as a URL query string without the leading `?`; empty for a default query. Defaults are left out,
    /// so equal searches give equal strings, and [`SearchQuery::from_query_string`] reads it back unchanged.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        if !self.q.is_empty() {
            push_pair(&mut out, "q", &self.q);
        }
        for value in &self.domain {
            push_pair(&mut out, "domain", value);
        }
        for value in &self.team {
            push_pair(&mut out, "team", value);
        }
        for value in &self.quality {
            push_pair(&mut out, "quality", value.as_str());
        }
        for value in &self.sla {
            push_pair(&mut out, "sla", value.as_str());
        }
        for value in &self.status {
            push_pair(&mut out, "status", value.as_str());
        }
        for value in &self.tag {
            push_pair(&mut out, "tag", value);
        }
        if self.sort != SortOrder::default_for(&self.q) {
            push_pair(&mut out, "sort", self.sort.as_str());
        }
        if let Some(cursor) = &self.cursor {
            push_pair(&mut out, "cursor", cursor);
        }
        if let Some(limit) = self.limit {
            push_pair(&mut out, "limit", &limit.to_string());
        }
        out
    }
}

fn parse_text(value: String) -> Result<String, SearchQueryError> {
    let chars = value.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchQueryError::TextTooLong(chars));
    }
    Ok(value)
}

fn parse_limit(value: &str) -> Result<u32, SearchQueryError> {
    match value.parse::<u32>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(SearchQueryError::InvalidValue {
            parameter: "limit",
            value: echo(value),
            allowed: format!("a whole number from 1 to {MAX_LIMIT}"),
        }),
    }
}

fn parse_enum<T: Copy>(
    parameter: &'static str,
    value: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, SearchQueryError> {
    all.iter().copied().find(|v| name(*v) == value).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        let allowed = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.concat(),
        };
        SearchQueryError::InvalidValue { parameter, value: echo(value), allowed }
    })
}

fn push_pair(out: &mut String, key: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(key);
    out.push('=');
    percent_encode(value, out);
}

/// Escapes everything but RFC 3986's unreserved characters, which is safe in any part of a URL.
fn percent_encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// Decodes `application/x-www-form-urlencoded` text as the WHATWG URL standard does: `+` is a space, a malformed
/// escape stays as written, and bytes that are not UTF-8 become U+FFFD.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).and_then(hex), bytes.get(i + 2).and_then(hex)) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: &u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// One page of search results, with the facet counts of the whole result set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    pub items: Vec<DataProduct>,
    /// How many products match, across all pages.
    pub total: usize,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    pub facets: Facets,
}

/// How many matching products each filter value would give, to show next to the filter choices.
///
/// Counts are disjunctive: a facet's counts apply every filter except its own, so choosing `domain=a` still shows
/// how many products the other domains would add. Values with no products are left out unless selected. Domains,
/// teams and tags are listed most frequent first (at most [`FACET_VALUES_MAX`] of them); quality, SLA and status in
/// their natural order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facets {
    pub domain: Vec<FacetCount>,
    pub team: Vec<FacetCount>,
    pub quality: Vec<FacetCount>,
    pub sla: Vec<FacetCount>,
    pub status: Vec<FacetCount>,
    pub tag: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetCount {
    pub value: String,
    pub count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn check(raw: &str, expected: Result<SearchQuery, &str>) {
        let got = SearchQuery::from_query_string(raw).map_err(|e| e.to_string());
        match (got, expected) {
            (Ok(got), Ok(expected)) => assert_eq!(got, expected, "`{raw}`"),
            (Err(got), Err(fragment)) => assert!(got.contains(fragment), "`{raw}`: `{got}` lacks `{fragment}`"),
            (got, expected) => panic!("`{raw}`: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn query_strings_are_parsed_into_filters() {
        check("", Ok(SearchQuery::default()));
        check("?q=user", Ok(SearchQuery::matching("user")));
        check(
            "q=user&domain=membership&domain=analytics&quality=raw&sort=name&cursor=abc&limit=20",
            Ok(SearchQuery {
                q: "user".into(),
                domain: vec!["membership".into(), "analytics".into()],
                quality: vec![Quality::Raw],
                sort: SortOrder::Name,
                cursor: Some("abc".into()),
                limit: Some(20),
                ..SearchQuery::default()
            }),
        );
        check(
            "team=growth&tag=pii&tag=gdpr&sla=tier-1&status=retired&status=active",
            Ok(SearchQuery {
                team: vec!["growth".into()],
                tag: vec!["pii".into(), "gdpr".into()],
                sla: vec![SlaTier::Tier1],
                status: vec![ProductStatus::Retired, ProductStatus::Active],
                ..SearchQuery::default()
            }),
        );
    }

    #[test]
    fn the_default_sort_depends_on_the_text() {
        check("q=orders", Ok(SearchQuery { q: "orders".into(), sort: SortOrder::Relevance, ..SearchQuery::default() }));
        check("q=", Ok(SearchQuery { sort: SortOrder::Name, ..SearchQuery::default() }));
        check("q=+-+", Ok(SearchQuery { q: " - ".into(), sort: SortOrder::Name, ..SearchQuery::default() }));
        check(
            "q=orders&sort=updated",
            Ok(SearchQuery { q: "orders".into(), sort: SortOrder::Updated, ..SearchQuery::default() }),
        );
    }

    #[test]
    fn query_strings_are_percent_decoded_like_forms() {
        check("q=order+total%2Fnet", Ok(SearchQuery::matching("order total/net")));
        check("q=caf%C3%A9", Ok(SearchQuery::matching("café")));
        check("q=100%&tag=a%2", Ok(SearchQuery { tag: vec!["a%2".into()], ..SearchQuery::matching("100%") }));
        check("q=%zz", Ok(SearchQuery::matching("%zz")));
    }

    #[test]
    fn empty_filter_values_mean_any() {
        check("domain=&quality=&tag=&cursor=", Ok(SearchQuery::default()));
    }

    #[test]
    fn bad_parameters_are_refused_with_what_is_allowed() {
        check("colour=red", Err("unknown search parameter `colour`: use q, domain"));
        check("quality=gold", Err("`quality` cannot be `gold`: use authoritative, curated or raw"));
        check("sla=gold", Err("`sla` cannot be `gold`: use tier-1, tier-2 or tier-3"));
        check("status=gone", Err("use draft, active, deprecated or retired"));
        check("sort=best", Err("`sort` cannot be `best`: use relevance, name, updated or domain"));
        check("limit=0", Err("`limit` cannot be `0`: use a whole number from 1 to 100"));
        check("limit=101", Err("`limit` cannot be `101`"));
        check("limit=ten", Err("`limit` cannot be `ten`"));
        check("limit=100", Ok(SearchQuery { limit: Some(100), ..SearchQuery::default() }));
        check("sort=name&sort=updated", Err("`sort` is given more than once"));
        check("q=a&q=b", Err("`q` is given more than once"));
        check(&format!("q={}", "x".repeat(201)), Err("search text is 201 characters long: use at most 200"));
    }

    #[test]
    fn errors_name_their_parameter() {
        let err = SearchQuery::from_query_pairs(pairs(&[("quality", "gold")])).unwrap_err();
        assert_eq!(err.parameter(), "quality");
        let err = SearchQuery::from_query_pairs(pairs(&[("q", &"x".repeat(300))])).unwrap_err();
        assert_eq!(err.parameter(), "q");
    }

    #[test]
    fn query_strings_round_trip() {
        let queries = [
            SearchQuery::default(),
            SearchQuery::matching("user"),
            SearchQuery::matching("a&b=c + d%/é?#"),
            SearchQuery { sort: SortOrder::Updated, ..SearchQuery::default() },
            SearchQuery { sort: SortOrder::Relevance, ..SearchQuery::default() },
            SearchQuery { sort: SortOrder::Name, ..SearchQuery::matching("user") },
            SearchQuery {
                q: "order tot".into(),
                domain: vec!["sales".into(), "membership".into()],
                team: vec!["growth-analytics".into()],
                quality: Quality::ALL.to_vec(),
                sla: SlaTier::ALL.to_vec(),
                status: ProductStatus::ALL.to_vec(),
                tag: vec!["pii".into(), "tag with space".into()],
                sort: SortOrder::Domain,
                cursor: Some("0100000014deadbeefdeadbeef".into()),
                limit: Some(50),
            },
        ];
        for query in queries {
            let raw = query.to_query_string();
            assert_eq!(SearchQuery::from_query_string(&raw), Ok(query.clone()), "`{raw}`");
            assert_eq!(SearchQuery::from_query_string(&format!("?{raw}")), Ok(query), "`?{raw}`");
        }
    }

    #[test]
    fn query_strings_leave_out_defaults() {
        assert_eq!(SearchQuery::default().to_query_string(), "");
        assert_eq!(SearchQuery::matching("user").to_query_string(), "q=user");
        let query =
            SearchQuery { quality: vec![Quality::Raw], sort: SortOrder::Updated, ..SearchQuery::matching("a b") };
        assert_eq!(query.to_query_string(), "q=a%20b&quality=raw&sort=updated");
    }

    #[test]
    fn pages_serialize_as_the_portal_reads_them() {
        let page = SearchPage {
            items: vec![],
            total: 3,
            next_cursor: Some("c".into()),
            facets: Facets { domain: vec![FacetCount { value: "sales".into(), count: 3 }], ..Facets::default() },
        };
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["facets"]["domain"][0]["count"], 3);
        assert_eq!(serde_json::from_value::<SearchPage>(json).unwrap(), page);
    }
}
