//! Product search over the catalog: full text, filters, facets, sorting and cursor pagination, served from memory.
//!
//! The index keeps every product once, under a dense document number, and an inverted index from each token to the
//! sorted list of documents holding it. A token is a lowercase run of letters and digits, with camelCase words also
//! split into their parts (`registerTime` gives `register`, `time` and `registertime`). A search:
//!
//! 1. matches the text: every query word must match (AND), the last one as a prefix unless the text ends in a
//!    separator, so results follow the user as they type. Prefixes are looked up in the sorted token dictionary,
//!    except a one-letter prefix (the first keystroke), which reads a list kept per initial letter;
//! 2. scores each match by where its words occur (name, id or topic > tags > domain or team > schema fields >
//!    description), an exact word counting more than a prefix;
//! 3. applies the filters and counts facets in one pass over the matches: a product failing exactly one filter still
//!    counts for that filter's facet, which is what makes the facets disjunctive;
//! 4. picks the requested page with a partial sort on integer sort ranks, and clones only that page.
//!
//! The sort orders (by id, name and update time) are built on first use and then kept up to date by every change;
//! each document's rank in them is recomputed, in linear time, on the first search after a change.
//!
//! A cursor is the offset of the next page and a fingerprint of the search it belongs to (text, filters and order),
//! as hex; a cursor used with a different search is refused rather than silently paging through other results.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::fmt;
use std::ops::Bound;
use std::sync::OnceLock;

use meshport_shared::search::{
    DEFAULT_LIMIT, FACET_VALUES_MAX, FacetCount, Facets, MAX_LIMIT, MAX_QUERY_CHARS, SearchPage, SearchQuery, SortOrder,
};
use meshport_shared::{DataProduct, ProductId, ProductStatus, Quality, SlaTier};

/// Why a search could not run; every case is the caller's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("cursor `{cursor}` {reason}: leave out `cursor` to start from the first page")]
    BadCursor { cursor: String, reason: &'static str },
    #[error("`limit` must be from 1 to {MAX_LIMIT}, not {0}")]
    BadLimit(u32),
    #[error("search text is {0} characters long: use at most {MAX_QUERY_CHARS}")]
    TextTooLong(usize),
}

/// The fields a token can come from; a posting keeps the set of them in its low bits.
mod field {
    pub const NAME: u32 = 1;
    pub const TAG: u32 = 1 << 1;
    pub const OWNER: u32 = 1 << 2;
    pub const SCHEMA: u32 = 1 << 3;
    pub const DESCRIPTION: u32 = 1 << 4;
    pub const BITS: u32 = 5;
    pub const MASK: u32 = (1 << BITS) - 1;
}

/// Document numbers share a `u32` posting with the field bits.
const MAX_DOCS: usize = 1 << (32 - field::BITS);

/// The score of a query word found in the given set of fields; a word found in several fields scores for each.
const WEIGHTS: [u32; 32] = {
    let mut weights = [0; 32];
    let mut fields = 0;
    while fields < 32 {
        let f = fields as u32;
        weights[fields] = if f & field::NAME != 0 { 12 } else { 0 }
            + if f & field::TAG != 0 { 6 } else { 0 }
            + if f & field::OWNER != 0 { 5 } else { 0 }
            + if f & field::SCHEMA != 0 { 3 } else { 0 }
            + if f & field::DESCRIPTION != 0 { 1 } else { 0 };
        fields += 1;
    }
    weights
};
/// An exact word scores 3/2 of a prefix match on the same fields.
const EXACT_FACTOR: u32 = 3;
const PREFIX_FACTOR: u32 = 2;

/// Text matching keeps one `u32` per document: the total score in the high 16 bits, the best score of the current
/// word in the next 8 and the number of words matched so far in the low 8. The text length limit keeps a query
/// under 255 words, and these bounds keep the scores inside their bits.
const _: () = assert!(WEIGHTS[31] * EXACT_FACTOR < 1 << 8);
const _: () = assert!(MAX_QUERY_CHARS < 255 && MAX_QUERY_CHARS as u32 * WEIGHTS[31] * EXACT_FACTOR < 1 << 16);

/// The facets, in the bit order of a product's failed filters.
const DOMAIN: u8 = 1;
const TEAM: u8 = 1 << 1;
const QUALITY: u8 = 1 << 2;
const SLA: u8 = 1 << 3;
const STATUS: u8 = 1 << 4;
const TAG: u8 = 1 << 5;

/// Every product of the catalog, indexed for search. Reads (`search`) take `&self` and may run concurrently.
pub struct SearchIndex {
    /// By document number; `None` for a removed product whose number waits for reuse. Boxed so that the free room
    /// a growing vector keeps costs a pointer per slot, not a product.
    docs: Vec<Option<Box<Doc>>>,
    /// The filterable attributes by document number, apart from the products so the facet pass stays in cache.
    attrs: Vec<Attrs>,
    free_docs: Vec<u32>,
    by_id: HashMap<ProductId, u32>,
    /// Token text to token number, sorted for prefix lookups.
    dictionary: BTreeMap<Box<str>, u32>,
    /// By token number: `doc << field::BITS | fields`, sorted by document.
    postings: Vec<Vec<u32>>,
    /// For each initial character, every document holding a token of two or more characters starting with it,
    /// with the fields of its best such token: a one-letter prefix, the first keystroke of a search, reads one list
    /// instead of the lists of every token starting with that letter.
    initials: BTreeMap<char, Vec<u32>>,
    /// Tokens whose posting list became empty; they stay in the dictionary until a sweep, which runs when they
    /// are many, so that a changed product costs no dictionary scan.
    dead_tokens: usize,
    free_tokens: Vec<u32>,
    domains: Interner,
    teams: Interner,
    tags: Interner,
    /// The tag numbers of every document, back to back; `Attrs` point into it. Kept contiguous (rather than a box per
    /// document) because the facet pass reads every matching document's tags. Replaced lists stay as garbage until
    /// a compaction.
    tag_pool: Vec<u32>,
    tag_pool_garbage: usize,
    by_id_order: RankedOrder,
    by_name_order: RankedOrder,
    by_updated_order: RankedOrder,
    /// Alphabetical rank of each domain number.
    domain_ranks: OnceLock<Vec<u32>>,
}

struct Doc {
    product: DataProduct,
    /// The token numbers this product is posted under, sorted and delta-encoded as LEB128, to take it out again.
    tokens: Box<[u8]>,
    /// Milliseconds since the epoch of `updated_at`; unparseable times sort as oldest.
    updated_ms: i64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Attrs {
    live: bool,
    quality: u8,
    sla: u8,
    status: u8,
    tag_count: u16,
    domain: u32,
    team: u32,
    tag_start: u32,
}

impl Attrs {
    fn tags(self, pool: &[u32]) -> &[u32] {
        &pool[self.tag_start as usize..][..usize::from(self.tag_count)]
    }
}

/// Strings seen in a facet, numbered so that documents and counters hold numbers. Numbers are never reused; a value
/// no product has any more just counts zero.
#[derive(Default)]
struct Interner {
    numbers: HashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
}

impl Interner {
    fn intern(&mut self, value: &str) -> u32 {
        if let Some(&number) = self.numbers.get(value) {
            return number;
        }
        let number = u32::try_from(self.values.len()).expect("fewer than 2^32 facet values");
        self.values.push(value.into());
        self.numbers.insert(value.into(), number);
        number
    }

    /// Which numbers the selected values have; `None` when nothing is selected (no filter).
    fn selection(&self, selected: &[String]) -> Option<Vec<bool>> {
        if selected.is_empty() {
            return None;
        }
        let mut chosen = vec![false; self.values.len()];
        for value in selected {
            if let Some(&number) = self.numbers.get(value.as_str()) {
                chosen[number as usize] = true;
            }
        }
        Some(chosen)
    }
}

/// One sort order over the documents, total because it ends with the product id. `sorted` is built on first use and
/// then patched by every change; `ranks` (each document's position in it) is recomputed after a change.
#[derive(Default)]
struct RankedOrder {
    sorted: OnceLock<Vec<u32>>,
    ranks: OnceLock<Vec<u32>>,
}

type DocOrdering = fn(&Doc, &Doc) -> Ordering;

fn by_id(a: &Doc, b: &Doc) -> Ordering {
    a.product.id.cmp(&b.product.id)
}

/// By name ignoring case, then by id. Comparing the lowercase characters orders exactly as comparing lowercased
/// strings does, which is what the first full sort uses.
fn by_name(a: &Doc, b: &Doc) -> Ordering {
    let folded = |d: &Doc| d.product.name.chars().flat_map(char::to_lowercase).collect::<Vec<_>>();
    let (a_name, b_name) = (&a.product.name, &b.product.name);
    let names = if a_name.is_ascii() && b_name.is_ascii() {
        a_name.bytes().map(|c| c.to_ascii_lowercase()).cmp(b_name.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        folded(a).cmp(&folded(b))
    };
    names.then_with(|| by_id(a, b))
}

/// Newest first, then by id.
fn by_updated(a: &Doc, b: &Doc) -> Ordering {
    b.updated_ms.cmp(&a.updated_ms).then_with(|| by_id(a, b))
}

impl RankedOrder {
    fn ranks(&self, docs: &[Option<Box<Doc>>], order: DocOrdering) -> &[u32] {
        self.ranks.get_or_init(|| {
            let sorted = self.sorted.get_or_init(|| {
                let mut sorted: Vec<(&Doc, u32)> =
                    docs.iter().enumerate().filter_map(|(n, doc)| Some((doc.as_deref()?, n as u32))).collect();
                sorted.sort_unstable_by(|a, b| order(a.0, b.0));
                sorted.into_iter().map(|(_, n)| n).collect()
            });
            let mut ranks = vec![u32::MAX; docs.len()];
            for (rank, &doc) in sorted.iter().enumerate() {
                ranks[doc as usize] = rank as u32;
            }
            ranks
        })
    }

    /// Takes `doc` out of the order while it still holds the product it was sorted by.
    fn detach(&mut self, docs: &[Option<Box<Doc>>], doc: u32, order: DocOrdering) {
        self.ranks = OnceLock::new();
        let (Some(sorted), Some(this)) = (self.sorted.get_mut(), docs[doc as usize].as_deref()) else { return };
        if let Ok(at) = sorted.binary_search_by(|&other| order(docs[other as usize].as_deref().unwrap_or(this), this)) {
            sorted.remove(at);
        }
    }

    fn attach(&mut self, docs: &[Option<Box<Doc>>], doc: u32, order: DocOrdering) {
        self.ranks = OnceLock::new();
        let (Some(sorted), Some(this)) = (self.sorted.get_mut(), docs[doc as usize].as_deref()) else { return };
        let at = sorted.partition_point(|&other| {
            docs[other as usize].as_deref().is_some_and(|other| order(other, this) == Ordering::Less)
        });
        sorted.insert(at, doc);
    }
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex").field("products", &self.len()).field("tokens", &self.dictionary.len()).finish()
    }
}

impl Default for SearchIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchIndex {
    pub fn new() -> Self {
        Self {
            docs: Vec::new(),
            attrs: Vec::new(),
            free_docs: Vec::new(),
            by_id: HashMap::new(),
            dictionary: BTreeMap::new(),
            postings: Vec::new(),
            initials: BTreeMap::new(),
            dead_tokens: 0,
            free_tokens: Vec::new(),
            domains: Interner::default(),
            teams: Interner::default(),
            tags: Interner::default(),
            tag_pool: Vec::new(),
            tag_pool_garbage: 0,
            by_id_order: RankedOrder::default(),
            by_name_order: RankedOrder::default(),
            by_updated_order: RankedOrder::default(),
            domain_ranks: OnceLock::new(),
        }
    }

    /// How many products the index holds.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds a product, or replaces the one with the same id (none of its old words match it any more).
    /// `schema_fields` are the field names or paths of its value schema (`customer.email`), searchable too.
    pub fn upsert(&mut self, product: DataProduct, schema_fields: Vec<String>) {
        let doc = match self.by_id.get(&product.id) {
            Some(&doc) => {
                self.take_out(doc);
                doc
            }
            None => {
                let doc = self.free_docs.pop().unwrap_or_else(|| {
                    assert!(self.docs.len() < MAX_DOCS, "the search index holds at most {MAX_DOCS} products");
                    self.docs.push(None);
                    self.attrs.push(Attrs::default());
                    (self.docs.len() - 1) as u32
                });
                self.by_id.insert(product.id.clone(), doc);
                doc
            }
        };
        let tokens = product_tokens(&product, &schema_fields);
        for (initial, fields) in best_by_initial(&tokens) {
            insert_posting(self.initials.entry(initial).or_default(), doc, fields);
        }
        let tokens: Vec<u32> = tokens.into_iter().map(|(text, fields)| self.post(&text, doc, fields)).collect();

        let mut tags: Vec<u32> = product.tags.iter().map(|tag| self.tags.intern(tag)).collect();
        tags.sort_unstable();
        tags.dedup();
        tags.truncate(usize::from(u16::MAX));
        let tag_start = u32::try_from(self.tag_pool.len()).expect("fewer than 2^32 tags in the catalog");
        self.tag_pool.extend(&tags);
        self.attrs[doc as usize] = Attrs {
            live: true,
            quality: product.quality as u8,
            sla: product.sla as u8,
            status: product.status as u8,
            tag_count: tags.len() as u16,
            domain: self.domains.intern(product.domain.as_str()),
            team: self.teams.intern(product.owner.team.as_str()),
            tag_start,
        };
        let updated_ms = product.updated_at.parse::<jiff::Timestamp>().map_or(i64::MIN, |t| t.as_millisecond());
        self.docs[doc as usize] = Some(Box::new(Doc { product, tokens: encode_tokens(tokens), updated_ms }));
        self.by_id_order.attach(&self.docs, doc, by_id);
        self.by_name_order.attach(&self.docs, doc, by_name);
        self.by_updated_order.attach(&self.docs, doc, by_updated);
        self.domain_ranks = OnceLock::new();
        self.sweep_dead_tokens();
        self.compact_tag_pool();
    }

    /// Takes a product out of the index; nothing happens if it is not there.
    pub fn remove(&mut self, id: &ProductId) {
        let Some(doc) = self.by_id.remove(id) else { return };
        self.take_out(doc);
        self.docs[doc as usize] = None;
        self.attrs[doc as usize] = Attrs::default();
        self.free_docs.push(doc);
        self.sweep_dead_tokens();
        self.compact_tag_pool();
    }

    /// Removes `doc` from the sort orders and from every posting list it is on.
    fn take_out(&mut self, doc: u32) {
        self.by_id_order.detach(&self.docs, doc, by_id);
        self.by_name_order.detach(&self.docs, doc, by_name);
        self.by_updated_order.detach(&self.docs, doc, by_updated);
        self.tag_pool_garbage += usize::from(self.attrs[doc as usize].tag_count);
        for list in self.initials.values_mut() {
            remove_posting(list, doc);
        }
        let Some(old) = self.docs[doc as usize].as_mut() else { return };
        for token in decode_tokens(&std::mem::take(&mut old.tokens)) {
            let list = &mut self.postings[token as usize];
            remove_posting(list, doc);
            if list.is_empty() {
                self.dead_tokens += 1;
            }
        }
    }

    /// Adds `doc` to the posting list of `text`, creating the token if needed, and returns the token number.
    fn post(&mut self, text: &str, doc: u32, fields: u32) -> u32 {
        let token = match self.dictionary.get(text) {
            Some(&token) => {
                if self.postings[token as usize].is_empty() {
                    self.dead_tokens -= 1;
                }
                token
            }
            None => {
                let token = self.free_tokens.pop().unwrap_or_else(|| {
                    self.postings.push(Vec::new());
                    (self.postings.len() - 1) as u32
                });
                self.dictionary.insert(text.into(), token);
                token
            }
        };
        insert_posting(&mut self.postings[token as usize], doc, fields);
        token
    }

    /// Rewrites the tag pool without replaced lists once they are half of it, so compaction stays linear overall.
    fn compact_tag_pool(&mut self) {
        if self.tag_pool_garbage < 4096 || self.tag_pool_garbage < self.tag_pool.len() / 2 {
            return;
        }
        let mut pool = Vec::with_capacity(self.tag_pool.len() - self.tag_pool_garbage);
        for attrs in self.attrs.iter_mut().filter(|a| a.live) {
            let start = pool.len() as u32;
            pool.extend_from_slice(attrs.tags(&self.tag_pool));
            attrs.tag_start = start;
        }
        self.tag_pool = pool;
        self.tag_pool_garbage = 0;
    }

    /// Drops dead tokens from the dictionary once they are a good part of it, so sweeping stays linear overall.
    fn sweep_dead_tokens(&mut self) {
        if self.dead_tokens < 1024 || self.dead_tokens < self.dictionary.len() / 8 {
            return;
        }
        let (postings, free) = (&self.postings, &mut self.free_tokens);
        self.dictionary.retain(|_, &mut token| {
            let live = !postings[token as usize].is_empty();
            if !live {
                free.push(token);
            }
            live
        });
        self.dead_tokens = 0;
    }
}

/// Adds `doc` to a posting list, keeping it sorted by document.
fn insert_posting(list: &mut Vec<u32>, doc: u32, fields: u32) {
    let at = match list.last() {
        // Documents are mostly added in increasing order, so appending is the common case.
        Some(&last) if last >> field::BITS >= doc => list.partition_point(|&p| p >> field::BITS < doc),
        _ => list.len(),
    };
    // Grow by half rather than double: most lists are short and never grow again, and they are many.
    if list.len() == list.capacity() {
        list.reserve_exact(list.len() / 2 + 1);
    }
    list.insert(at, doc << field::BITS | fields);
}

/// Takes `doc` out of a posting list, giving memory back when the list has shrunk well below its room.
fn remove_posting(list: &mut Vec<u32>, doc: u32) {
    let at = list.partition_point(|&p| p >> field::BITS < doc);
    if list.get(at).is_some_and(|&p| p >> field::BITS == doc) {
        list.remove(at);
    }
    if list.is_empty() {
        *list = Vec::new();
    } else if list.len() < list.capacity() / 4 {
        list.shrink_to(list.len() * 2);
    }
}

/// For each initial character of the tokens of two or more characters, the fields of the best-scoring such token.
fn best_by_initial(tokens: &[(String, u32)]) -> Vec<(char, u32)> {
    let mut best: Vec<(char, u32)> = Vec::new();
    for (text, fields) in tokens {
        let mut chars = text.chars();
        let (Some(initial), Some(_)) = (chars.next(), chars.next()) else { continue };
        match best.iter_mut().find(|(c, _)| *c == initial) {
            Some((_, kept)) if WEIGHTS[*fields as usize] > WEIGHTS[*kept as usize] => *kept = *fields,
            Some(_) => {}
            None => best.push((initial, *fields)),
        }
    }
    best
}

impl SearchIndex {
    /// One page of the products matching `query`, with the total and the facet counts of all matches.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, SearchError> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(SearchError::BadLimit(limit));
        }
        let chars = query.q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(SearchError::TextTooLong(chars));
        }
        let text = QueryText::parse(&query.q);
        let fingerprint = fingerprint(&text, query);
        let offset = match &query.cursor {
            Some(cursor) => decode_cursor(cursor, fingerprint)?,
            None => 0,
        };

        let filters = Filters::new(self, query);
        let mut counts = Counts::new(self);
        let (hits, states) = match self.match_text(&text) {
            Some((candidates, states)) => (filters.apply(self, candidates, &mut counts), Some(states)),
            None => (filters.apply(self, 0..self.attrs.len() as u32, &mut counts), None),
        };

        let total = hits.len();
        let page = self.page(hits, states.as_deref(), query.sort, offset as usize, limit as usize);
        let end = offset as usize + page.len();
        let next_cursor = (end < total).then(|| encode_cursor(end as u32, fingerprint));
        let items = page.into_iter().filter_map(|doc| self.docs[doc as usize].as_ref()).map(|d| d.product.clone());
        Ok(SearchPage { items: items.collect(), total, next_cursor, facets: counts.into_facets(self, query) })
    }

    /// The documents holding every query word, with the match state of every document (score in the high 16 bits);
    /// `None` when there is no text, which matches every document.
    fn match_text(&self, text: &QueryText) -> Option<(Vec<u32>, Vec<u32>)> {
        if text.words.is_empty() {
            return None;
        }
        let mut states = vec![0u32; self.docs.len()];
        let mut hits = Vec::new();
        let last = text.words.len() - 1;
        for (i, word) in text.words.iter().enumerate() {
            let prefix = text.last_is_prefix && i == last;
            let i = i as u32;
            let mut any = false;
            for (postings, factor) in self.expand(word, prefix) {
                any = true;
                for &posting in postings {
                    let doc = (posting >> field::BITS) as usize;
                    let score = WEIGHTS[(posting & field::MASK) as usize] * factor;
                    let state = states[doc];
                    let matched = state & 0xff;
                    if matched == i {
                        // The first match of this word in the document.
                        states[doc] = ((state >> 16) + score) << 16 | score << 8 | (i + 1);
                        if i as usize == last {
                            hits.push(doc as u32);
                        }
                    } else if matched == i + 1 {
                        // Another token matching the same word: keep the better one.
                        let best = state >> 8 & 0xff;
                        if score > best {
                            states[doc] = ((state >> 16) + score - best) << 16 | score << 8 | (i + 1);
                        }
                    }
                }
            }
            if !any {
                return Some((Vec::new(), states));
            }
        }
        Some((hits, states))
    }

    /// The posting lists a query word matches, with the factor of an exact or prefix match.
    fn expand<'a>(&'a self, word: &'a str, prefix: bool) -> Vec<(&'a [u32], u32)> {
        let exact = self.dictionary.get(word).map(|&token| (&self.postings[token as usize][..], EXACT_FACTOR));
        let mut lists: Vec<(&[u32], u32)> = exact.into_iter().collect();
        if !prefix {
            return lists;
        }
        let mut chars = word.chars();
        if let (Some(initial), None) = (chars.next(), chars.next()) {
            lists.extend(self.initials.get(&initial).map(|list| (&list[..], PREFIX_FACTOR)));
            return lists;
        }
        let longer = self
            .dictionary
            .range::<str, _>((Bound::Excluded(word), Bound::Unbounded))
            .take_while(|(text, _)| text.starts_with(word))
            .map(|(_, &token)| (&self.postings[token as usize][..], PREFIX_FACTOR));
        lists.extend(longer);
        lists
    }

    /// The documents of the requested page, in order.
    fn page(&self, hits: Vec<u32>, states: Option<&[u32]>, sort: SortOrder, offset: usize, limit: usize) -> Vec<u32> {
        if offset >= hits.len() {
            return Vec::new();
        }
        match sort {
            SortOrder::Relevance => {
                let id = self.by_id_order.ranks(&self.docs, by_id);
                match states {
                    Some(states) => page_by(hits, offset, limit, |doc| {
                        u64::from(u32::MAX - (states[doc as usize] >> 16)) << 32 | u64::from(id[doc as usize])
                    }),
                    None => page_by(hits, offset, limit, |doc| u64::from(id[doc as usize])),
                }
            }
            SortOrder::Name => {
                let name = self.by_name_order.ranks(&self.docs, by_name);
                page_by(hits, offset, limit, |doc| u64::from(name[doc as usize]))
            }
            SortOrder::Updated => {
                let updated = self.by_updated_order.ranks(&self.docs, by_updated);
                page_by(hits, offset, limit, |doc| u64::from(updated[doc as usize]))
            }
            SortOrder::Domain => {
                let name = self.by_name_order.ranks(&self.docs, by_name);
                let domain = self.domain_ranks();
                page_by(hits, offset, limit, |doc| {
                    u64::from(domain[self.attrs[doc as usize].domain as usize]) << 32 | u64::from(name[doc as usize])
                })
            }
        }
    }

    fn domain_ranks(&self) -> &[u32] {
        self.domain_ranks.get_or_init(|| {
            let values = &self.domains.values;
            let mut order: Vec<u32> = (0..values.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
            let mut ranks = vec![0; order.len()];
            for (rank, domain) in order.into_iter().enumerate() {
                ranks[domain as usize] = rank as u32;
            }
            ranks
        })
    }
}

/// The documents at `offset..offset + limit` in the order of `key` (unique per document), sorting no more than the
/// documents up to the end of the page.
fn page_by(hits: Vec<u32>, offset: usize, limit: usize, key: impl Fn(u32) -> u64) -> Vec<u32> {
    let end = (offset + limit).min(hits.len());
    if end <= 1024 {
        // Early pages, the common case: keep the best `end` in a heap, most documents rejected by one comparison.
        let mut best: BinaryHeap<(u64, u32)> = BinaryHeap::with_capacity(end);
        for doc in hits {
            let keyed = (key(doc), doc);
            if best.len() < end {
                best.push(keyed);
            } else if let Some(mut worst) = best.peek_mut()
                && keyed < *worst
            {
                *worst = keyed;
            }
        }
        return best.into_sorted_vec()[offset..].iter().map(|&(_, doc)| doc).collect();
    }
    let mut keyed: Vec<(u64, u32)> = hits.into_iter().map(|doc| (key(doc), doc)).collect();
    if end < keyed.len() {
        keyed.select_nth_unstable(end);
    }
    keyed[..end].sort_unstable();
    keyed[offset..end].iter().map(|&(_, doc)| doc).collect()
}

/// Sorted token numbers as LEB128 deltas: about two bytes a token instead of four.
fn encode_tokens(mut tokens: Vec<u32>) -> Box<[u8]> {
    tokens.sort_unstable();
    let mut bytes = Vec::with_capacity(tokens.len() * 2);
    let mut previous = 0;
    for token in tokens {
        let mut gap = token - previous;
        previous = token;
        while gap >= 0x80 {
            bytes.push((gap & 0x7f) as u8 | 0x80);
            gap >>= 7;
        }
        bytes.push(gap as u8);
    }
    bytes.into_boxed_slice()
}

fn decode_tokens(bytes: &[u8]) -> Vec<u32> {
    let mut tokens = Vec::with_capacity(bytes.len());
    let (mut previous, mut gap, mut shift) = (0u32, 0u32, 0);
    for &byte in bytes {
        gap |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            previous += gap;
            tokens.push(previous);
            (gap, shift) = (0, 0);
        } else {
            shift += 7;
        }
    }
    tokens
}

/// The words of a query and whether the last one is still being typed.
struct QueryText {
    words: Vec<String>,
    last_is_prefix: bool,
}

impl QueryText {
    fn parse(q: &str) -> Self {
        let mut words = Vec::new();
        // A split word's whole form is left out: `postCode` must find `post_code` too.
        for_each_word(q, |part, whole| {
            if !whole && !words.iter().any(|w| w == part) {
                words.push(part.to_owned());
            }
        });
        // A trailing space or punctuation means the user finished the last word.
        let last_is_prefix = q.chars().last().is_some_and(char::is_alphanumeric);
        Self { words, last_is_prefix }
    }
}

/// Calls `emit` with every lowercase token of `text`: runs of letters and digits, split further at camelCase
/// boundaries (`HTTPServerURL2x` gives `http`, `server`, `url2x`). A run that was split is also emitted whole, marked
/// as such, so `registertime` finds `registerTime` too.
fn for_each_word(text: &str, mut emit: impl FnMut(&str, bool)) {
    let mut part = String::new();
    let mut whole = String::new();
    let mut parts = 0;
    let mut chars = text.chars().peekable();
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        if !c.is_alphanumeric() {
            if !part.is_empty() {
                emit(&part, false);
                parts += 1;
                part.clear();
            }
            if parts > 1 {
                emit(&whole, true);
            }
            whole.clear();
            parts = 0;
            prev = None;
            continue;
        }
        let boundary = match prev {
            Some(p) if c.is_uppercase() => {
                p.is_lowercase()
                    || p.is_numeric()
                    || (p.is_uppercase() && chars.peek().is_some_and(|n| n.is_lowercase()))
            }
            _ => false,
        };
        if boundary && !part.is_empty() {
            emit(&part, false);
            parts += 1;
            part.clear();
        }
        part.extend(c.to_lowercase());
        whole.extend(c.to_lowercase());
        prev = Some(c);
    }
    if !part.is_empty() {
        emit(&part, false);
        parts += 1;
    }
    if parts > 1 {
        emit(&whole, true);
    }
}

/// Every token of a product with the set of fields it occurs in, sorted by token.
fn product_tokens(product: &DataProduct, schema_fields: &[String]) -> Vec<(String, u32)> {
    let mut tokens: Vec<(String, u32)> = Vec::new();
    let mut add = |text: &str, fields: u32| for_each_word(text, |token, _| tokens.push((token.to_owned(), fields)));
    add(&product.name, field::NAME);
    add(product.id.as_str(), field::NAME);
    add(product.output_port.topic.as_str(), field::NAME);
    for tag in &product.tags {
        add(tag, field::TAG);
    }
    add(product.domain.as_str(), field::OWNER);
    add(product.owner.team.as_str(), field::OWNER);
    for name in schema_fields {
        add(name, field::SCHEMA);
    }
    add(&product.description.purpose, field::DESCRIPTION);
    add(&product.description.usage, field::DESCRIPTION);
    add(&product.description.limitations, field::DESCRIPTION);
    tokens.sort_unstable();
    let mut merged: Vec<(String, u32)> = Vec::with_capacity(tokens.len());
    for (token, fields) in tokens {
        match merged.last_mut() {
            Some(last) if last.0 == token => last.1 |= fields,
            _ => merged.push((token, fields)),
        }
    }
    merged
}

/// The filters of a query, resolved to value numbers.
struct Filters {
    domain: Option<Vec<bool>>,
    team: Option<Vec<bool>>,
    tag: Option<Vec<bool>>,
    quality: Option<[bool; 3]>,
    sla: Option<[bool; 3]>,
    /// Always set: without a status filter, every status but retired.
    status: [bool; 4],
}

impl Filters {
    fn new(index: &SearchIndex, query: &SearchQuery) -> Self {
        fn flags<T: Copy, const N: usize>(selected: &[T], number: fn(T) -> u8) -> Option<[bool; N]> {
            if selected.is_empty() {
                return None;
            }
            let mut chosen = [false; N];
            for &value in selected {
                chosen[usize::from(number(value))] = true;
            }
            Some(chosen)
        }
        let default_status = ProductStatus::ALL.map(|s| s != ProductStatus::Retired);
        Self {
            domain: index.domains.selection(&query.domain),
            team: index.teams.selection(&query.team),
            tag: index.tags.selection(&query.tag),
            quality: flags(&query.quality, |q| q as u8),
            sla: flags(&query.sla, |s| s as u8),
            status: flags(&query.status, |s| s as u8).unwrap_or(default_status),
        }
    }

    /// The filters `attrs` fails, one bit per facet.
    #[inline(always)]
    fn failures(&self, a: Attrs, tags: &[u32]) -> u8 {
        let fails = |chosen: &Option<Vec<bool>>, n: u32, facet: u8| match chosen {
            Some(chosen) if !chosen[n as usize] => facet,
            _ => 0,
        };
        let fails_enum = |chosen: &Option<[bool; 3]>, n: u8, facet: u8| match chosen {
            Some(chosen) if !chosen[usize::from(n)] => facet,
            _ => 0,
        };
        let tag = match &self.tag {
            Some(chosen) if !tags.iter().any(|&t| chosen[t as usize]) => TAG,
            _ => 0,
        };
        let status = if self.status[usize::from(a.status)] { 0 } else { STATUS };
        fails(&self.domain, a.domain, DOMAIN)
            | fails(&self.team, a.team, TEAM)
            | fails_enum(&self.quality, a.quality, QUALITY)
            | fails_enum(&self.sla, a.sla, SLA)
            | status
            | tag
    }

    /// Keeps the candidates passing every filter and counts facets: a candidate failing one filter only still
    /// counts for that filter's facet.
    fn apply(&self, index: &SearchIndex, candidates: impl IntoIterator<Item = u32>, counts: &mut Counts) -> Vec<u32> {
        let mut hits = Vec::new();
        for doc in candidates {
            let a = index.attrs[doc as usize];
            if !a.live {
                continue;
            }
            let tags = a.tags(&index.tag_pool);
            match self.failures(a, tags) {
                0 => {
                    hits.push(doc);
                    counts.add_all(a, tags);
                }
                one if one.is_power_of_two() => counts.add_one(a, tags, one),
                _ => {}
            }
        }
        hits
    }
}

/// Facet counters for one search, by value number.
struct Counts {
    domain: Vec<u32>,
    team: Vec<u32>,
    tag: Vec<u32>,
    quality: [u32; 3],
    sla: [u32; 3],
    status: [u32; 4],
}

impl Counts {
    fn new(index: &SearchIndex) -> Self {
        Self {
            domain: vec![0; index.domains.values.len()],
            team: vec![0; index.teams.values.len()],
            tag: vec![0; index.tags.values.len()],
            quality: [0; 3],
            sla: [0; 3],
            status: [0; 4],
        }
    }

    #[inline(always)]
    fn add_all(&mut self, a: Attrs, tags: &[u32]) {
        self.domain[a.domain as usize] += 1;
        self.team[a.team as usize] += 1;
        self.quality[usize::from(a.quality)] += 1;
        self.sla[usize::from(a.sla)] += 1;
        self.status[usize::from(a.status)] += 1;
        for &tag in tags {
            self.tag[tag as usize] += 1;
        }
    }

    fn add_one(&mut self, a: Attrs, tags: &[u32], facet: u8) {
        match facet {
            DOMAIN => self.domain[a.domain as usize] += 1,
            TEAM => self.team[a.team as usize] += 1,
            QUALITY => self.quality[usize::from(a.quality)] += 1,
            SLA => self.sla[usize::from(a.sla)] += 1,
            STATUS => self.status[usize::from(a.status)] += 1,
            _ => {
                for &tag in tags {
                    self.tag[tag as usize] += 1;
                }
            }
        }
    }

    fn into_facets(self, index: &SearchIndex, query: &SearchQuery) -> Facets {
        Facets {
            domain: top_values(&index.domains, &self.domain, &query.domain),
            team: top_values(&index.teams, &self.team, &query.team),
            quality: enum_values(&Quality::ALL, &self.quality, &query.quality, Quality::as_str),
            sla: enum_values(&SlaTier::ALL, &self.sla, &query.sla, SlaTier::as_str),
            status: enum_values(&ProductStatus::ALL, &self.status, &query.status, ProductStatus::as_str),
            tag: top_values(&index.tags, &self.tag, &query.tag),
        }
    }
}

/// The most frequent values first (ties alphabetical), at most `FACET_VALUES_MAX`, and every selected value.
fn top_values(interner: &Interner, counts: &[u32], selected: &[String]) -> Vec<FacetCount> {
    let mut values: Vec<(u32, &str)> =
        counts.iter().zip(&interner.values).filter(|(c, _)| **c > 0).map(|(c, v)| (*c, &**v)).collect();
    values.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    values.truncate(FACET_VALUES_MAX);
    for value in selected {
        if !values.iter().any(|(_, v)| *v == value.as_str()) {
            let count = interner.numbers.get(value.as_str()).map_or(0, |&n| counts[n as usize]);
            values.push((count, value.as_str()));
        }
    }
    values.into_iter().map(|(count, value)| FacetCount { value: value.to_owned(), count: count as usize }).collect()
}

/// Every value of an enumeration in its own order, leaving out those with no products unless selected.
fn enum_values<T: Copy + PartialEq>(
    all: &[T],
    counts: &[u32],
    selected: &[T],
    name: fn(T) -> &'static str,
) -> Vec<FacetCount> {
    all.iter()
        .zip(counts)
        .filter(|(value, count)| **count > 0 || selected.contains(value))
        .map(|(value, &count)| FacetCount { value: name(*value).to_owned(), count: count as usize })
        .collect()
}

const CURSOR_VERSION: u8 = 1;
const CURSOR_LEN: usize = 2 + 8 + 16;

/// Version, offset and fingerprint as 26 hex digits.
fn encode_cursor(offset: u32, fingerprint: u64) -> String {
    format!("{CURSOR_VERSION:02x}{offset:08x}{fingerprint:016x}")
}

fn decode_cursor(cursor: &str, fingerprint: u64) -> Result<u32, SearchError> {
    let bad = |reason| SearchError::BadCursor { cursor: cursor.chars().take(40).collect(), reason };
    let well_formed = cursor.len() == CURSOR_LEN && cursor.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed || u8::from_str_radix(&cursor[..2], 16) != Ok(CURSOR_VERSION) {
        return Err(bad("is not one this API handed out"));
    }
    if u64::from_str_radix(&cursor[10..], 16) != Ok(fingerprint) {
        return Err(bad("belongs to a different search (text, filters or sort changed)"));
    }
    u32::from_str_radix(&cursor[2..10], 16).map_err(|_| bad("is not one this API handed out"))
}

/// FNV-1a over everything that decides the results and their order, in a canonical form (filter values sorted),
/// stable across processes and releases so cursors survive a restart.
fn fingerprint(text: &QueryText, query: &SearchQuery) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut write = |bytes: &[u8]| {
        for &byte in bytes.iter().chain(&[0xff]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for word in &text.words {
        write(word.as_bytes());
    }
    write(&[u8::from(text.last_is_prefix)]);
    for values in [&query.domain, &query.team, &query.tag] {
        let mut values: Vec<&str> = values.iter().map(String::as_str).collect();
        values.sort_unstable();
        values.dedup();
        write(values.join("\u{1f}").as_bytes());
    }
    let mut enums: Vec<Vec<&str>> = vec![
        query.quality.iter().map(|v| v.as_str()).collect(),
        query.sla.iter().map(|v| v.as_str()).collect(),
        query.status.iter().map(|v| v.as_str()).collect(),
    ];
    for values in &mut enums {
        values.sort_unstable();
        values.dedup();
        write(values.join("\u{1f}").as_bytes());
    }
    write(query.sort.as_str().as_bytes());
    hash
}

#[cfg(test)]
mod tests {
    use meshport_shared::{Description, DomainName, OutputPort, Owner, SchemaFormat, SubjectName, TeamName, TopicName};

    use super::*;

    struct Spec {
        id: &'static str,
        name: &'static str,
        domain: &'static str,
        team: &'static str,
        quality: Quality,
        sla: SlaTier,
        status: ProductStatus,
        tags: &'static [&'static str],
        purpose: &'static str,
        updated_at: &'static str,
        fields: &'static [&'static str],
    }

    fn product(spec: &Spec) -> DataProduct {
        let topic = TopicName::parse(spec.id).unwrap();
        DataProduct {
            id: ProductId::parse(spec.id).unwrap(),
            name: spec.name.into(),
            version: "1.0.0".into(),
            domain: DomainName::parse(spec.domain).unwrap(),
            owner: Owner { team: TeamName::parse(spec.team).unwrap(), contact: String::new(), members: vec![] },
            status: spec.status,
            description: Description { purpose: spec.purpose.into(), ..Description::default() },
            tags: spec.tags.iter().map(|t| (*t).to_owned()).collect(),
            output_port: OutputPort {
                value_subject: SubjectName::value_of(&topic),
                topic,
                key_subject: None,
                schema_format: SchemaFormat::Avro,
            },
            quality: spec.quality,
            sla: spec.sla,
            support: vec![],
            personal_fields: vec![],
            inputs: vec![],
            deprecation: None,
            revision: 0,
            created_at: String::new(),
            updated_at: spec.updated_at.into(),
            extensions: None,
        }
    }

    use ProductStatus::{Active, Deprecated, Draft, Retired};
    use Quality::{Authoritative, Curated, Raw};
    use SlaTier::{Tier1, Tier2, Tier3};

    #[rustfmt::skip]
    const CATALOG: &[Spec] = &[
        Spec { id: "users", name: "Users", domain: "membership", team: "accounts", quality: Authoritative, sla: Tier1,
               status: Active, tags: &["pii", "core"], purpose: "Every registered person and their profile",
               updated_at: "2025-03-01T10:00:00Z", fields: &["userId", "email", "registerTime", "address.postCode"] },
        Spec { id: "user-sessions", name: "User sessions", domain: "analytics", team: "growth", quality: Raw, sla: Tier3,
               status: Active, tags: &["clickstream"], purpose: "Web sessions as captured by the tracker",
               updated_at: "2025-05-01T10:00:00Z", fields: &["session_id", "user_id", "started_at"] },
        Spec { id: "orders", name: "Orders", domain: "sales", team: "checkout", quality: Authoritative, sla: Tier1,
               status: Active, tags: &["core", "finance"], purpose: "Orders placed by users, one event per change",
               updated_at: "2025-04-01T10:00:00Z", fields: &["orderId", "customerId", "totalAmount", "HTTPStatus"] },
        Spec { id: "order-totals", name: "Daily order totals", domain: "analytics", team: "growth", quality: Curated,
               sla: Tier2, status: Draft, tags: &["finance"], purpose: "Revenue per day, joined from orders",
               updated_at: "2025-06-01T10:00:00Z", fields: &["day", "revenue"] },
        Spec { id: "payments-v1", name: "Payments (old)", domain: "sales", team: "checkout", quality: Raw, sla: Tier2,
               status: Deprecated, tags: &["finance", "pii"], purpose: "Card payments before the migration",
               updated_at: "2024-01-01T10:00:00Z", fields: &["paymentId", "cardNumber"] },
        Spec { id: "legacy-users", name: "Legacy users", domain: "membership", team: "accounts", quality: Raw,
               sla: Tier3, status: Retired, tags: &["pii"], purpose: "Users of the old platform",
               updated_at: "2023-01-01T10:00:00Z", fields: &["uid"] },
    ];

    const BASE: Spec = Spec {
        id: "base",
        name: "Thing",
        domain: "misc",
        team: "misc",
        quality: Raw,
        sla: Tier3,
        status: Active,
        tags: &[],
        purpose: "",
        updated_at: "",
        fields: &[],
    };

    fn index() -> SearchIndex {
        index_of(CATALOG)
    }

    fn index_of(catalog: &[Spec]) -> SearchIndex {
        let mut index = SearchIndex::new();
        for spec in catalog {
            index.upsert(product(spec), spec.fields.iter().map(|f| (*f).to_owned()).collect());
        }
        index
    }

    fn ids(page: &SearchPage) -> Vec<&str> {
        page.items.iter().map(|p| p.id.as_str()).collect()
    }

    fn search(index: &SearchIndex, raw: &str) -> SearchPage {
        let query = SearchQuery::from_query_string(raw).unwrap();
        index.search(&query).unwrap_or_else(|e| panic!("`{raw}`: {e}"))
    }

    /// Runs a query string against the test catalog and compares the ids of the first page, in order.
    fn check(raw: &str, expected: &[&str]) {
        let page = search(&index(), raw);
        assert_eq!(ids(&page), expected, "`{raw}`");
        assert_eq!(page.total, expected.len(), "`{raw}` total");
    }

    fn facet(counts: &[FacetCount]) -> Vec<(&str, usize)> {
        counts.iter().map(|c| (c.value.as_str(), c.count)).collect()
    }

    #[test]
    fn text_matches_every_searchable_field() {
        check("q=sessions", &["user-sessions"]); // name
        check("q=payments-v1", &["payments-v1"]); // id
        check("q=clickstream", &["user-sessions"]); // tag
        check("q=membership", &["users"]); // domain
        check("q=checkout", &["orders", "payments-v1"]); // team
        check("q=revenue", &["order-totals"]); // schema field and description
        check("q=tracker", &["user-sessions"]); // description
        check("q=nothing-like-this", &[]);
    }

    #[test]
    fn text_matching_ignores_case_and_punctuation() {
        check("q=CLICKSTREAM", &["user-sessions"]);
        check("q=Payments%20(OLD)", &["payments-v1"]);
    }

    #[test]
    fn the_last_word_matches_as_a_prefix_while_typing() {
        check("q=sess", &["user-sessions"]);
        check("q=pay", &["payments-v1"]);
        check("q=sess%20", &[]);
        check("q=sessions%20", &["user-sessions"]);
    }

    #[test]
    fn every_word_must_match() {
        check("q=daily%20orders", &["order-totals"]);
        check("q=orders%20users", &["orders"]);
        check("q=orders%20clickstream", &[]);
        check("q=sales%20car", &["payments-v1"]);
    }

    #[test]
    fn schema_field_names_are_split_at_camel_and_snake_case() {
        check("q=register", &["users"]);
        check("q=registerTime", &["users"]);
        check("q=registertime", &["users"]);
        check("q=post%20code", &["users"]);
        check("q=started", &["user-sessions"]);
        check("q=status", &["orders"]); // HTTPStatus
        check("q=http", &["orders"]);
        check("q=card%20number", &["payments-v1"]);
        check("q=postCode", &["users"]); // a camelCase query finds the same parts
        check("q=sessionId", &["user-sessions"]); // and finds snake_case fields
    }

    #[test]
    fn relevance_ranks_names_over_tags_over_fields_over_descriptions() {
        // `users` has it in its name; `user-sessions` in its name by prefix; `orders` in its description only.
        check("q=users", &["users", "orders"]);
        check("q=user", &["user-sessions", "users", "orders"]);
        // `finance` is a tag of three products and a word of no name; ties are broken by id.
        check("q=finance", &["order-totals", "orders", "payments-v1"]);
        // The exact word `order` in `order-totals` beats the prefix match `orders`.
        check("q=order", &["order-totals", "orders"]);
    }

    #[test]
    fn each_field_weighs_as_much_as_it_says_about_the_product() {
        #[rustfmt::skip]
        let catalog = [
            Spec { id: "a-desc", purpose: "Copied from the ledger", ..BASE },
            Spec { id: "b-field", fields: &["ledgerId"], ..BASE },
            Spec { id: "c-domain", domain: "ledger", ..BASE },
            Spec { id: "d-tag", tags: &["ledger"], ..BASE },
            Spec { id: "e-name", name: "Ledger", ..BASE },
            Spec { id: "f-prefix", name: "Ledgers", ..BASE },
        ];
        let index = index_of(&catalog);
        let expected = ["e-name", "f-prefix", "d-tag", "c-domain", "b-field", "a-desc"];
        assert_eq!(ids(&search(&index, "q=ledger")), expected);
    }

    #[test]
    fn each_filter_narrows_and_values_of_one_filter_are_alternatives() {
        check("domain=sales", &["orders", "payments-v1"]);
        check("domain=sales&domain=analytics", &["order-totals", "orders", "payments-v1", "user-sessions"]);
        check("team=growth", &["order-totals", "user-sessions"]);
        check("quality=raw", &["payments-v1", "user-sessions"]);
        check("quality=raw&quality=curated", &["order-totals", "payments-v1", "user-sessions"]);
        check("sla=tier-1", &["orders", "users"]);
        check("status=draft", &["order-totals"]);
        check("status=draft&status=deprecated", &["order-totals", "payments-v1"]);
        check("tag=pii", &["payments-v1", "users"]);
        check("tag=pii&tag=clickstream", &["payments-v1", "user-sessions", "users"]);
        check("domain=sales&quality=raw", &["payments-v1"]);
        check("domain=sales&tag=core&q=ord", &["orders"]);
        check("domain=nowhere", &[]);
    }

    #[test]
    fn retired_products_are_hidden_unless_asked_for() {
        check("q=legacy", &[]);
        check("q=legacy&status=retired", &["legacy-users"]);
        check("status=retired&status=active&domain=membership", &["legacy-users", "users"]);
    }

    #[test]
    fn facets_count_each_filter_with_the_other_filters_only() {
        let page = search(&index(), "domain=sales&quality=raw");
        assert_eq!(ids(&page), ["payments-v1"]);
        // Other domains still show what choosing them would add, given quality=raw.
        assert_eq!(facet(&page.facets.domain), [("analytics", 1), ("sales", 1)]);
        // Other qualities show what they would give within domain=sales.
        assert_eq!(facet(&page.facets.quality), [("authoritative", 1), ("raw", 1)]);
        // Facets without a selection count the matching products.
        assert_eq!(facet(&page.facets.team), [("checkout", 1)]);
        assert_eq!(facet(&page.facets.tag), [("finance", 1), ("pii", 1)]);
        // The status facet counts retired products too, so the portal can offer them.
        let page = search(&index(), "domain=membership");
        assert_eq!(facet(&page.facets.status), [("active", 1), ("retired", 1)]);
    }

    #[test]
    fn facets_follow_the_text_and_keep_selected_values() {
        let page = search(&index(), "q=user&tag=nowhere");
        assert_eq!(page.total, 0);
        // Every product matching the text fails only the tag filter, so all their tags are counted.
        assert_eq!(
            facet(&page.facets.tag),
            [("core", 2), ("clickstream", 1), ("finance", 1), ("pii", 1), ("nowhere", 0)]
        );
        let page = search(&index(), "q=finance");
        assert_eq!(facet(&page.facets.domain), [("sales", 2), ("analytics", 1)]);
        assert_eq!(facet(&page.facets.sla), [("tier-1", 1), ("tier-2", 2)]);
    }

    #[test]
    fn results_come_in_the_requested_order() {
        check("", &["order-totals", "orders", "payments-v1", "user-sessions", "users"]); // by name
        check("sort=name", &["order-totals", "orders", "payments-v1", "user-sessions", "users"]);
        check("sort=updated", &["order-totals", "user-sessions", "orders", "users", "payments-v1"]);
        check("sort=domain", &["order-totals", "user-sessions", "users", "orders", "payments-v1"]);
        check("sort=relevance", &["order-totals", "orders", "payments-v1", "user-sessions", "users"]); // by id
        check("q=user&sort=name", &["orders", "user-sessions", "users"]);
    }

    #[test]
    fn walking_the_cursor_visits_every_result_once() {
        let index = index();
        for (raw, total) in [("limit=2", 5), ("limit=1&sort=updated", 5), ("q=user&limit=2", 3), ("limit=5", 5)] {
            let mut query = SearchQuery::from_query_string(raw).unwrap();
            let mut seen = Vec::new();
            loop {
                let page = index.search(&query).unwrap();
                assert_eq!(page.total, total, "`{raw}`");
                seen.extend(page.items.iter().map(|p| p.id.to_string()));
                match page.next_cursor {
                    Some(cursor) => query.cursor = Some(cursor),
                    None => break,
                }
            }
            let first_page_order = {
                let all = SearchQuery { limit: Some(100), cursor: None, ..query.clone() };
                index.search(&all).unwrap().items.iter().map(|p| p.id.to_string()).collect::<Vec<_>>()
            };
            assert_eq!(seen, first_page_order, "`{raw}`");
        }
    }

    #[test]
    fn a_cursor_only_works_with_its_own_search() {
        let index = index();
        let cursor = search(&index, "limit=2").next_cursor.unwrap();
        // The same search in another spelling and a different page size keep the cursor valid.
        let same = format!("limit=3&q=&cursor={cursor}");
        assert_eq!(ids(&search(&index, &same)), ["payments-v1", "user-sessions", "users"]);
        for other in [
            format!("sort=updated&limit=2&cursor={cursor}"),
            format!("domain=sales&limit=2&cursor={cursor}"),
            format!("q=u&limit=2&cursor={cursor}"),
        ] {
            let query = SearchQuery::from_query_string(&other).unwrap();
            let err = index.search(&query).unwrap_err();
            assert!(err.to_string().contains("belongs to a different search"), "`{other}`: {err}");
        }
        for garbage in ["abc", "zz00000002ffffffffffffffff", "0200000002ffffffffffffffff"] {
            let query = SearchQuery { cursor: Some(garbage.into()), ..SearchQuery::default() };
            let err = index.search(&query).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "cursor `{garbage}` is not one this API handed out: leave out `cursor` to start from the first page"
                )
            );
        }
    }

    #[test]
    fn a_cursor_past_the_end_gives_an_empty_page() {
        let index = index();
        let cursor = encode_cursor(50, fingerprint(&QueryText::parse(""), &SearchQuery::default()));
        let page = index.search(&SearchQuery { cursor: Some(cursor), ..SearchQuery::default() }).unwrap();
        assert_eq!((page.items.len(), page.total, page.next_cursor), (0, 5, None));
    }

    #[test]
    fn limits_and_text_length_are_checked() {
        let index = index();
        let err = index.search(&SearchQuery { limit: Some(0), ..SearchQuery::default() }).unwrap_err();
        assert_eq!(err, SearchError::BadLimit(0));
        let err = index.search(&SearchQuery::matching("x".repeat(201))).unwrap_err();
        assert_eq!(err, SearchError::TextTooLong(201));
    }

    #[test]
    fn upserting_a_product_replaces_its_old_words() {
        let mut index = index();
        let mut changed = product(&CATALOG[1]);
        changed.name = "Visits".into();
        changed.tags = vec!["web".into()];
        changed.description.purpose = "Page visits".into();
        index.upsert(changed, vec!["visitId".into()]);
        assert_eq!(index.len(), CATALOG.len());
        for (raw, expected) in [
            ("q=tracker", &[][..]),
            ("q=clickstream", &[]),
            ("q=started", &[]),
            ("q=visit", &["user-sessions"]),
            ("q=web", &["user-sessions"]),
            ("tag=clickstream", &[]),
        ] {
            assert_eq!(ids(&search(&index, raw)), expected, "`{raw}`");
        }
        assert_eq!(facet(&search(&index, "q=visits").facets.tag), [("web", 1)]);
    }

    #[test]
    fn removed_products_are_no_longer_found_and_their_numbers_are_reused() {
        let mut index = index();
        index.remove(&ProductId::parse("orders").unwrap());
        index.remove(&ProductId::parse("not-there").unwrap());
        assert_eq!(index.len(), CATALOG.len() - 1);
        assert_eq!(ids(&search(&index, "q=orders")), ["order-totals"]);
        assert_eq!(ids(&search(&index, "q=customer")), Vec::<&str>::new());
        let customer = index.dictionary.get("customer").map(|&token| index.postings[token as usize].len());
        assert_eq!(customer.unwrap_or(0), 0, "the removed product is off every posting list");
        assert_eq!(ids(&search(&index, "domain=sales")), ["payments-v1"]);
        assert_eq!(facet(&search(&index, "").facets.team), [("growth", 2), ("accounts", 1), ("checkout", 1)]);

        index.upsert(product(&CATALOG[2]), vec!["customerId".into()]);
        assert_eq!(index.docs.len(), CATALOG.len(), "the freed number is reused");
        assert_eq!(ids(&search(&index, "q=customer")), ["orders"]);
        assert_eq!(ids(&search(&index, "q=or")), ["orders", "order-totals"]);
    }

    #[test]
    fn sort_orders_stay_right_through_changes() {
        let mut index = index();
        // Build every order first, so that the changes below patch them rather than trigger a fresh sort.
        for sort in SortOrder::ALL {
            index.search(&SearchQuery { sort, ..SearchQuery::default() }).unwrap();
        }
        let mut renamed = product(&CATALOG[0]);
        renamed.name = "Accounts".into();
        renamed.updated_at = "2026-01-01T00:00:00Z".into();
        index.upsert(renamed.clone(), vec![]);
        index.remove(&ProductId::parse("orders").unwrap());
        let added = Spec { id: "zebra", name: "aardvark", domain: "zoo", updated_at: "2020-01-01T00:00:00Z", ..BASE };
        index.upsert(product(&added), vec![]);

        let mut fresh = SearchIndex::new();
        for spec in CATALOG.iter().filter(|s| !matches!(s.id, "orders" | "users")).chain([&added]) {
            fresh.upsert(product(spec), vec![]);
        }
        fresh.upsert(renamed, vec![]);
        for sort in SortOrder::ALL {
            let query = SearchQuery { sort, status: ProductStatus::ALL.to_vec(), ..SearchQuery::default() };
            let (patched, rebuilt) = (index.search(&query).unwrap(), fresh.search(&query).unwrap());
            assert_eq!(ids(&patched), ids(&rebuilt), "{sort:?}");
        }
        assert_eq!(ids(&search(&index, "")), ["zebra", "users", "order-totals", "payments-v1", "user-sessions"]);
    }

    #[test]
    fn dead_tokens_are_swept_once_they_are_many() {
        let mut index = index();
        let words = index.dictionary.len();
        for n in 0..3000 {
            let id = format!("p{n}");
            let mut extra = product(&BASE);
            extra.id = ProductId::parse(&id).unwrap();
            extra.description.purpose = format!("unique{n}");
            index.upsert(extra, vec![]);
        }
        for n in 0..3000 {
            index.remove(&ProductId::parse(format!("p{n}")).unwrap());
        }
        assert!(index.dictionary.len() < words + 1100, "{} tokens left of {}", index.dictionary.len(), words);
        assert_eq!(ids(&search(&index, "q=unique")), Vec::<&str>::new());
        assert_eq!(ids(&search(&index, "q=clickstream")), ["user-sessions"]);
    }

    #[test]
    fn a_one_letter_prefix_matches_and_scores_like_every_token_it_starts() {
        let mut index = index();
        // Change and remove a product so that the initial lists have been patched, not just built.
        index.upsert(product(&Spec { id: "orders", name: "Zulu orders", ..BASE }), vec!["Xylophone".into()]);
        index.remove(&ProductId::parse("users").unwrap());
        for letter in ('a'..='z').chain('0'..='9') {
            let word = letter.to_string();
            let mut expected: BTreeMap<u32, u32> = BTreeMap::new();
            let starting = index.dictionary.iter().filter(|(text, _)| text.starts_with(letter));
            for (text, &token) in starting {
                let factor = if **text == *word { EXACT_FACTOR } else { PREFIX_FACTOR };
                for &posting in &index.postings[token as usize] {
                    let score = WEIGHTS[(posting & field::MASK) as usize] * factor;
                    let best = expected.entry(posting >> field::BITS).or_default();
                    *best = (*best).max(score);
                }
            }
            let text = QueryText { words: vec![word], last_is_prefix: true };
            let (hits, states) = index.match_text(&text).unwrap();
            let got: BTreeMap<u32, u32> = hits.iter().map(|&doc| (doc, states[doc as usize] >> 16)).collect();
            assert_eq!(got, expected, "`{letter}`");
        }
    }

    #[test]
    fn a_tag_given_twice_counts_once() {
        let index = index_of(&[Spec { id: "twice", tags: &["pii", "pii"], ..BASE }]);
        assert_eq!(facet(&search(&index, "").facets.tag), [("pii", 1)]);
    }

    #[test]
    fn the_index_can_be_shared_between_request_tasks() {
        fn shareable<T: Send + Sync>() {}
        shareable::<SearchIndex>();
    }

    #[test]
    fn token_lists_survive_their_compact_encoding() {
        let tokens = vec![700_000, 0, 1, 127, 128, 16_384, 5, u32::MAX >> 5];
        let mut sorted = tokens.clone();
        sorted.sort_unstable();
        assert_eq!(decode_tokens(&encode_tokens(tokens)), sorted);
        assert_eq!(decode_tokens(&encode_tokens(vec![])), Vec::<u32>::new());
    }

    #[test]
    fn words_are_split_as_people_write_them() {
        let split = |text: &str| {
            let mut words = Vec::new();
            for_each_word(text, |w, _| words.push(w.to_owned()));
            words
        };
        assert_eq!(split("registerTime"), ["register", "time", "registertime"]);
        assert_eq!(split("created_at customer.email"), ["created", "at", "customer", "email"]);
        assert_eq!(split("HTTPServer url2x"), ["http", "server", "httpserver", "url2x"]);
        assert_eq!(split("Ünïcode Straße"), ["ünïcode", "straße"]);
        assert_eq!(split(" -- "), Vec::<String>::new());
    }
}
