//! How long the schema diff takes on the shapes that once made it slow: a record defined inline on one side and
//! referred to by name on the other at every level (nesting 10, 18 and 30), and records of 500 fields, kept or each
//! renamed with an alias, and a union of 999 records each replaced by another. It prints and asserts nothing: `cargo bench -p meshport-api --bench schema`.

use std::time::{Duration, Instant};

use meshport_api::registry::CompatibilityLevel;
use meshport_api::schema;

const NESTINGS: [usize; 3] = [10, 18, 30];
const FIELDS: usize = 500;
/// Within the 1,000 named types a schema may define, with the record around the union.
const RECORDS: usize = 999;
const ROUNDS: usize = 50;

fn main() {
    for nesting in NESTINGS {
        let (old, new) = (nested(nesting, "a", "b", "int"), nested(nesting, "b", "a", "long"));
        measure(&format!("schema diff, nesting {nesting}, inline vs by name ({} bytes)", old.len()), &old, &new);
    }
    let old = wide(FIELDS, |i| format!(r#"{{"name": "f{i}", "type": "int"}}"#));
    let documented = wide(FIELDS, |i| format!(r#"{{"name": "f{i}", "type": "long", "doc": "Field {i}."}}"#));
    let renamed = wide(FIELDS, |i| format!(r#"{{"name": "g{i}", "type": "int", "aliases": ["f{i}"]}}"#));
    measure(&format!("schema diff, {FIELDS} fields, each retyped and documented"), &old, &documented);
    measure(&format!("schema diff, {FIELDS} fields, each renamed with an alias"), &old, &renamed);
    let (old, new) = (union(RECORDS, "Old"), union(RECORDS, "New"));
    measure(&format!("schema diff, a union of {RECORDS} records, each replaced by another"), &old, &new);
}

/// A record whose one field is a union of `count` empty records named `{prefix}{i}`.
fn union(count: usize, prefix: &str) -> String {
    let branches: Vec<String> =
        (0..count).map(|i| format!(r#"{{"type": "record", "name": "{prefix}{i}", "fields": []}}"#)).collect();
    let field = format!(r#"{{"name": "event", "type": [{}]}}"#, branches.join(", "));
    format!(r#"{{"type": "record", "name": "Envelope", "fields": [{field}]}}"#)
}

/// Records `R0` to `R{depth}`, each but the last with two fields of the next record's type: `first` defines it
/// inline, `second` refers to it by name. The last record has one field `x` of type `leaf`.
fn nested(depth: usize, first: &str, second: &str, leaf: &str) -> String {
    let mut schema =
        format!(r#"{{"type": "record", "name": "R{depth}", "fields": [{{"name": "x", "type": "{leaf}"}}]}}"#);
    for level in (0..depth).rev() {
        let (inline, next) = (schema, level + 1);
        schema = format!(
            r#"{{"type": "record", "name": "R{level}", "fields": [{{"name": "{first}", "type": {inline}}}, {{"name": "{second}", "type": "R{next}"}}]}}"#
        );
    }
    schema
}

/// A record of `count` fields, field `i` written by `field(i)`.
fn wide(count: usize, field: impl Fn(usize) -> String) -> String {
    let fields: Vec<String> = (0..count).map(field).collect();
    format!(r#"{{"type": "record", "name": "Wide", "fields": [{}]}}"#, fields.join(", "))
}

fn measure(what: &str, old: &str, new: &str) {
    let mut samples = Vec::with_capacity(ROUNDS);
    let mut found = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let changes = schema::changes(old, new, CompatibilityLevel::Full).expect("the schemas compare");
        samples.push(started.elapsed());
        found = changes.len();
    }
    println!("{what}: {} ({found} changes)", percentiles(samples));
}

fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)].as_secs_f64() * 1000.0;
    format!("p50 {:.3} ms, p95 {:.3} ms", at(0.50), at(0.95))
}
