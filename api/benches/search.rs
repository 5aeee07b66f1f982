//! Search latency, build time and memory of the product index at 10,000 and 100,000 synthetic products.
//!
//! Run with `cargo bench -p meshport-api --bench search`. Each size runs in a process of its own, so the memory figure
//! of one size is not blurred by what the allocator kept from the previous one. Timings are of `SearchIndex::search`
//! alone (no HTTP, no JSON).

use std::process::Command;
use std::time::{Duration, Instant};

use meshport_api::search::SearchIndex;
use meshport_shared::search::SearchQuery;
use meshport_shared::{
    DataProduct, Description, DomainName, OutputPort, Owner, ProductId, ProductStatus, Quality, SchemaFormat, SlaTier,
    SubjectName, SupportChannel, SupportKind, TeamName, TopicName,
};

const SIZES: [usize; 2] = [10_000, 100_000];
/// Set in the child process to the number of products it measures.
const SIZE_VAR: &str = "MESHPORT_SEARCH_BENCH_SIZE";
const ROUNDS: usize = 200;

#[rustfmt::skip]
const DOMAINS: &[&str] = &[
    "sales", "membership", "analytics", "marketing", "logistics", "finance", "payments", "support", "catalog",
    "inventory", "risk", "identity", "pricing", "search", "shipping", "hr",
];
#[rustfmt::skip]
const TEAM_PARTS: &[&str] = &[
    "growth", "core", "platform", "checkout", "fulfilment", "insights", "billing", "trust", "data", "web", "mobile",
    "partner",
];
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "pii", "gdpr", "core", "finance", "clickstream", "realtime", "batch", "cdc", "events", "reference", "ml",
    "reporting", "audit", "sensitive", "public", "internal", "kpi", "daily", "hourly", "experimental", "golden",
    "legacy", "eu", "us", "apac", "b2b", "b2c", "marketplace", "mobile", "web",
];
#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "customer", "order", "payment", "invoice", "shipment", "parcel", "user", "session", "product", "price", "stock",
    "warehouse", "refund", "return", "basket", "cart", "coupon", "campaign", "click", "impression", "lead", "account",
    "ledger", "transaction", "card", "address", "review", "rating", "ticket", "agent", "call", "chat", "supplier",
    "contract", "employee", "device", "login", "subscription", "plan", "fraud", "score", "risk", "exchange",
    "currency", "tax", "discount", "promotion", "delivery", "route", "vehicle", "store", "merchant",
];
#[rustfmt::skip]
const ADJECTIVES: &[&str] = &[
    "daily", "hourly", "raw", "enriched", "cleaned", "joined", "aggregated", "active", "pending", "completed",
    "failed", "monthly", "weekly", "global", "regional", "verified", "anonymised", "latest", "historical", "live",
];
#[rustfmt::skip]
const FIELD_WORDS: &[&str] = &[
    "id", "name", "email", "phone", "time", "date", "amount", "total", "currency", "status", "type", "code",
    "country", "city", "street", "post", "count", "price", "quantity", "created", "updated", "deleted", "source",
    "channel", "version", "reason", "score", "level", "category", "region", "value", "key", "hash", "flag", "first",
    "last",
];
#[rustfmt::skip]
const PROSE: &[&str] = &[
    "every", "event", "record", "published", "when", "changes", "state", "one", "per", "change", "from", "the",
    "system", "of", "record", "used", "for", "reporting", "and", "dashboards", "not", "suitable", "real", "time",
    "decisions", "joined", "with", "reference", "data", "late", "arriving", "duplicates", "possible", "consumers",
    "should", "deduplicate", "by", "key", "retention", "seven", "days", "compacted", "topic", "holds", "latest",
    "value", "masked", "personal", "fields", "sampled", "partitioned", "region", "ordering", "guaranteed", "within",
    "partition", "only", "backfilled", "since", "migration", "owned", "team", "contact", "before", "use",
];

/// A small deterministic generator (xorshift64*), so every run indexes the same products.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }

    /// Picks with a skew towards the first entries, as real catalogs have a few large domains.
    fn pick_skewed<'a>(&mut self, words: &[&'a str]) -> &'a str {
        let a = self.below(words.len());
        let b = self.below(words.len());
        words[a.min(b)]
    }

    fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn sentence(random: &mut Random, min_words: usize, max_words: usize) -> String {
    let words: Vec<&str> = (0..random.range(min_words, max_words)).map(|_| random.pick(PROSE)).collect();
    capitalized(&words.join(" "))
}

fn schema_fields(random: &mut Random) -> Vec<String> {
    (0..random.range(5, 30))
        .map(|_| {
            let parts: Vec<&str> = (0..random.range(1, 3)).map(|_| random.pick(FIELD_WORDS)).collect();
            match random.below(4) {
                // camelCase, the common case in Avro schemas
                0 | 1 => parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| if i == 0 { (*p).to_owned() } else { capitalized(p) })
                    .collect(),
                2 => parts.join("_"),
                _ => format!("{}.{}", random.pick(NOUNS), parts.join("_")),
            }
        })
        .collect()
}

fn product(random: &mut Random, n: usize) -> DataProduct {
    let domain = random.pick_skewed(DOMAINS);
    let (adjective, noun) = (random.pick(ADJECTIVES), random.pick(NOUNS));
    let id = format!("{domain}.{adjective}-{noun}s-{n}");
    let team = format!("{}-{}", random.pick(TEAM_PARTS), random.pick(TEAM_PARTS));
    let topic = TopicName::parse(&id).expect("generated topic names are valid");
    let status = match random.below(100) {
        0..70 => ProductStatus::Active,
        70..82 => ProductStatus::Draft,
        82..94 => ProductStatus::Deprecated,
        _ => ProductStatus::Retired,
    };
    let updated_at = format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        random.range(2022, 2025),
        random.range(1, 12),
        random.range(1, 28),
        random.below(24),
        random.below(60),
        random.below(60)
    );
    let tags = (0..random.range(1, 4)).map(|_| random.pick_skewed(TAGS).to_owned()).collect();
    DataProduct {
        id: ProductId::parse(&id).expect("generated ids are valid"),
        name: format!("{} {} {}", capitalized(adjective), noun, random.pick(NOUNS)),
        version: "1.0.0".to_owned(),
        domain: DomainName::parse(domain).expect("domains are valid"),
        owner: Owner {
            team: TeamName::parse(&team).expect("teams are valid"),
            contact: format!("{team}@acme.example"),
            members: vec![format!("lead@{team}.acme.example")],
        },
        status,
        description: Description {
            purpose: sentence(random, 12, 30),
            limitations: sentence(random, 0, 10),
            usage: sentence(random, 0, 15),
        },
        tags,
        output_port: OutputPort {
            value_subject: SubjectName::value_of(&topic),
            topic,
            key_subject: None,
            schema_format: SchemaFormat::Avro,
        },
        quality: [Quality::Authoritative, Quality::Curated, Quality::Raw][random.below(3)],
        sla: [SlaTier::Tier1, SlaTier::Tier2, SlaTier::Tier3][random.below(3)],
        support: vec![SupportChannel { kind: SupportKind::Chat, address: format!("#{team}") }],
        personal_fields: vec![],
        inputs: vec![],
        deprecation: None,
        revision: 1,
        created_at: updated_at.clone(),
        updated_at,
        extensions: None,
    }
}

/// Heap and inline bytes of a product, for comparing the index's memory with the data it holds.
fn product_bytes(p: &DataProduct) -> usize {
    let strings = [
        p.id.as_str().len(),
        p.name.capacity(),
        p.version.capacity(),
        p.domain.as_str().len(),
        p.owner.team.as_str().len(),
        p.owner.contact.capacity(),
        p.description.purpose.capacity(),
        p.description.limitations.capacity(),
        p.description.usage.capacity(),
        p.output_port.topic.as_str().len(),
        p.output_port.value_subject.as_str().len(),
        p.created_at.capacity(),
        p.updated_at.capacity(),
    ];
    let lists = p.tags.iter().chain(&p.owner.members).map(|s| s.capacity() + size_of::<String>()).sum::<usize>()
        + p.support.iter().map(|s| s.address.capacity() + size_of::<SupportChannel>()).sum::<usize>();
    size_of::<DataProduct>() + strings.iter().sum::<usize>() + lists
}

/// Resident memory of this process in bytes, where the platform tells it.
fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

fn summary(sorted: &[Duration]) -> String {
    format!(
        "p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms",
        millis(percentile(sorted, 0.50)),
        millis(percentile(sorted, 0.95)),
        millis(percentile(sorted, 0.99))
    )
}

fn query(raw: &str) -> SearchQuery {
    SearchQuery::from_query_string(raw).expect("bench queries are valid")
}

/// A search deep in the results: the cursor of offset 5,000 of the most recently updated products.
fn deep_page(index: &SearchIndex) -> SearchQuery {
    let mut query = query("sort=updated&limit=100");
    for _ in 0..50 {
        let page = index.search(&query).expect("bench searches succeed");
        query.cursor = page.next_cursor;
    }
    query.limit = Some(20);
    query
}

fn measure(size: usize) {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let before = resident_bytes();
    let mut index = SearchIndex::new();
    let mut data_bytes = 0;
    let mut build = Duration::ZERO;
    for n in 0..size {
        let product = product(&mut random, n);
        let fields = schema_fields(&mut random);
        data_bytes += product_bytes(&product);
        let started = Instant::now();
        index.upsert(product, fields);
        build += started.elapsed();
    }
    let after = resident_bytes();

    let started = Instant::now();
    let first = index.search(&query("")).expect("bench searches succeed");
    let first_search = started.elapsed();

    let mixes: Vec<(&str, SearchQuery)> = vec![
        ("empty query, page 1", query("")),
        ("one word", query("q=customer")),
        ("two words, prefix", query("q=order%20pay")),
        ("one letter prefix", query("q=c")),
        ("filtered", query("q=payment&domain=sales&domain=finance&quality=curated&sla=tier-1")),
        ("faceted browse", query("domain=sales&domain=marketing&tag=pii&status=active&status=deprecated")),
        ("sorted by update", query("q=daily&sort=updated&tag=realtime")),
        ("deep page", deep_page(&index)),
    ];
    for (_, q) in &mixes {
        index.search(q).expect("bench searches succeed");
    }
    let mut all = Vec::with_capacity(ROUNDS * mixes.len());
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); mixes.len()];
    let mut totals = vec![0; mixes.len()];
    for _ in 0..ROUNDS {
        for (i, (_, q)) in mixes.iter().enumerate() {
            let started = Instant::now();
            let page = index.search(q).expect("bench searches succeed");
            let took = started.elapsed();
            totals[i] = page.total;
            all.push(took);
            by_kind[i].push(took);
        }
    }
    all.sort_unstable();

    // A change invalidates the sort ranks; the next search rebuilds them.
    let changed = product(&mut random, 0);
    index.upsert(changed, schema_fields(&mut random));
    let started = Instant::now();
    index.search(&query("")).expect("bench searches succeed");
    let after_change = started.elapsed();

    println!("search {size} products: {}", summary(&all));
    for ((kind, _), (mut timings, total)) in mixes.iter().zip(by_kind.into_iter().zip(totals)) {
        timings.sort_unstable();
        println!("  {kind:<22} {} ({total} matches)", summary(&timings));
    }
    println!(
        "build {size} products: {:.0} ms ({:.1} µs per product); first search {:.1} ms; first search after an upsert {:.1} ms ({} visible)",
        millis(build),
        build.as_secs_f64() * 1e6 / size as f64,
        millis(first_search),
        millis(after_change),
        first.total
    );
    match (before, after) {
        (Some(before), Some(after)) => {
            let total = after.saturating_sub(before);
            println!(
                "memory {size} products: {:.1} MB resident for index and products ({:.0} bytes per product), of which the products themselves ≈ {:.1} MB",
                total as f64 / 1e6,
                total as f64 / size as f64,
                data_bytes as f64 / 1e6
            );
        }
        _ => println!("memory {size} products: not measured (no /proc/self/status)"),
    }
}

fn main() {
    if let Ok(size) = std::env::var(SIZE_VAR) {
        return measure(size.parse().expect("the size is a number"));
    }
    let exe = std::env::current_exe().expect("the bench knows its own path");
    for size in SIZES {
        let status = Command::new(&exe).env(SIZE_VAR, size.to_string()).status();
        if !status.as_ref().is_ok_and(|s| s.success()) {
            println!("search {size} products: the measuring process failed ({status:?})");
        }
    }
}
