//! Property tests of reading and comparing schemas, the stable toolchain's stand-in for fuzzing: generated Avro
//! schemas, texts mutated from them and arbitrary text must never panic, and the diff must keep its promises.
//!
//! Each property runs proptest's default 256 cases (`PROPTEST_CASES` overrides it), a few seconds in all.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;

/// An Avro type before it is written out. Named types take their names from a small pool, so two generated schemas
/// share names, and one may define inline what the other refers to by name.
#[derive(Debug, Clone)]
enum Type {
    /// A primitive or logical type, as its JSON.
    Plain(&'static str),
    Enum {
        name: usize,
        symbols: Vec<usize>,
        default: bool,
    },
    Fixed {
        name: usize,
        size: u8,
    },
    Array(Box<Type>),
    Map(Box<Type>),
    Union(Vec<Type>),
    Record {
        name: usize,
        fields: Vec<Field>,
    },
}

#[derive(Debug, Clone)]
struct Field {
    name: usize,
    ty: Type,
    /// Null or the type, with default null.
    optional: bool,
    alias: Option<usize>,
    doc: Option<usize>,
}

const PLAIN: &[&str] = &[
    r#""null""#,
    r#""boolean""#,
    r#""int""#,
    r#""long""#,
    r#""float""#,
    r#""double""#,
    r#""bytes""#,
    r#""string""#,
    r#"{"type": "long", "logicalType": "timestamp-millis"}"#,
    r#"{"type": "int", "logicalType": "date"}"#,
    r#"{"type": "string", "logicalType": "uuid"}"#,
    r#"{"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}"#,
    r#"{"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}"#,
];
const POOL: usize = 6;

fn field(ty: impl Strategy<Value = Type>) -> impl Strategy<Value = Field> {
    (0..POOL, ty, any::<bool>(), proptest::option::of(0..POOL), proptest::option::of(0..3_usize))
        .prop_map(|(name, ty, optional, alias, doc)| Field { name, ty, optional, alias, doc })
}

fn avro_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        4 => proptest::sample::select(PLAIN).prop_map(Type::Plain),
        1 => (0..POOL, proptest::collection::vec(0..POOL, 1..5), any::<bool>())
            .prop_map(|(name, symbols, default)| Type::Enum { name, symbols, default }),
        1 => (0..POOL, 1..20_u8).prop_map(|(name, size)| Type::Fixed { name, size }),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            inner.clone().prop_map(|items| Type::Array(Box::new(items))),
            inner.clone().prop_map(|values| Type::Map(Box::new(values))),
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Type::Union),
            (0..POOL, proptest::collection::vec(field(inner), 0..6))
                .prop_map(|(name, fields)| Type::Record { name, fields }),
        ]
    })
}

/// A top-level record, which the schema's fields hang from.
fn avro_record() -> impl Strategy<Value = Type> {
    proptest::collection::vec(field(avro_type()), 0..6).prop_map(|fields| Type::Record { name: POOL, fields })
}

/// Writes a schema as Avro JSON. A named type whose name was written already becomes a reference to it.
#[derive(Default)]
struct Writer {
    defined: HashSet<usize>,
}

impl Writer {
    fn schema(ty: &Type, extra_field: Option<&str>) -> String {
        Self::default().write(ty, extra_field)
    }

    fn write(&mut self, ty: &Type, extra_field: Option<&str>) -> String {
        let reference = |name: usize| format!("\"N{name}\"");
        match ty {
            Type::Plain(json) => (*json).to_owned(),
            Type::Enum { name, .. } | Type::Fixed { name, .. } | Type::Record { name, .. }
                if !self.defined.insert(*name) =>
            {
                reference(*name)
            }
            Type::Enum { name, symbols, default } => {
                let symbols: Vec<String> = unique(symbols).map(|symbol| format!("\"S{symbol}\"")).collect();
                let default = if *default { format!(r#", "default": {}"#, symbols[0]) } else { String::new() };
                format!(r#"{{"type": "enum", "name": "N{name}", "symbols": [{}]{default}}}"#, symbols.join(", "))
            }
            Type::Fixed { name, size } => format!(r#"{{"type": "fixed", "name": "N{name}", "size": {size}}}"#),
            Type::Array(items) => format!(r#"{{"type": "array", "items": {}}}"#, self.write(items, None)),
            Type::Map(values) => format!(r#"{{"type": "map", "values": {}}}"#, self.write(values, None)),
            Type::Union(branches) => self.union(branches.iter().collect()),
            Type::Record { name, fields } => {
                let mut names = HashSet::new();
                let fields: Vec<&Field> = fields.iter().filter(|field| names.insert(field.name)).collect();
                // apache-avro refuses an alias that names a field of the record, or another field's alias.
                let mut taken = names;
                let mut written: Vec<String> = fields
                    .into_iter()
                    .map(|field| {
                        let alias = field.alias.filter(|alias| taken.insert(*alias));
                        self.field(field, alias)
                    })
                    .collect();
                written.extend(extra_field.map(str::to_owned));
                format!(r#"{{"type": "record", "name": "N{name}", "fields": [{}]}}"#, written.join(", "))
            }
        }
    }

    fn field(&mut self, field: &Field, alias: Option<usize>) -> String {
        let mut json = format!(r#"{{"name": "f{}""#, field.name);
        if field.optional {
            let mut branches = vec![&Type::Plain(r#""null""#)];
            branches.extend(match &field.ty {
                Type::Union(inner) => inner.iter().collect(),
                other => vec![other],
            });
            json += &format!(r#", "type": {}, "default": null"#, self.union(branches));
        } else {
            json += &format!(r#", "type": {}"#, self.write(&field.ty, None));
        }
        if let Some(alias) = alias {
            json += &format!(r#", "aliases": ["f{alias}"]"#);
        }
        if let Some(doc) = field.doc {
            json += &format!(r#", "doc": "Doc {doc}.""#);
        }
        json + "}"
    }

    /// A union of the branches, leaving out those Avro forbids: a union in a union, and a second branch of the
    /// same type. With `null` first, a default of null is valid.
    fn union(&mut self, branches: Vec<&Type>) -> String {
        let mut seen = HashSet::new();
        let mut written = Vec::new();
        for branch in branches {
            let key = match branch {
                Type::Union(_) => continue,
                Type::Enum { name, .. } | Type::Fixed { name, .. } | Type::Record { name, .. } => format!("N{name}"),
                // A logical type is a kind of its own to apache-avro: `long` and `timestamp-millis` may share a union.
                Type::Plain(json) => json
                    .split(r#""logicalType": ""#)
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or(json)
                    .to_owned(),
                Type::Array(_) => "array".to_owned(),
                Type::Map(_) => "map".to_owned(),
            };
            if seen.insert(key) {
                written.push(self.write(branch, None));
            }
        }
        format!("[{}]", written.join(", "))
    }
}

fn unique(items: &[usize]) -> impl Iterator<Item = usize> + '_ {
    let mut seen = HashSet::new();
    items.iter().copied().filter(move |item| seen.insert(*item))
}

/// A text mutated from a schema: bytes cut out, repeated or let in.
#[derive(Debug, Clone)]
enum Mutation {
    Cut { at: usize, len: usize },
    Repeat { at: usize, len: usize },
    Insert { at: usize, token: &'static str },
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "\\",
    "null",
    "-1",
    "1e400",
    "\"type\"",
    "\"record\"",
    "\"name\"",
    "\"N0\"",
    "\"fields\"",
    "\"items\"",
    "\"values\"",
    "\"symbols\"",
    "\"default\"",
    "\"aliases\"",
    "\"logicalType\"",
    "\"decimal\"",
    "\"precision\": 0",
    "\"size\": -1",
    "\"enum\"",
    "\"fixed\"",
    "\"array\"",
    "\"map\"",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..40_usize).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), 1..200_usize).prop_map(|(at, len)| Mutation::Repeat { at, len }),
        (any::<usize>(), proptest::sample::select(TOKENS)).prop_map(|(at, token)| Mutation::Insert { at, token }),
    ]
}

/// Applies the mutations to an ASCII text, so any byte position is a character boundary.
fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.as_bytes().to_vec();
    for mutation in mutations {
        let at = |at: usize| if text.is_empty() { 0 } else { at % text.len() };
        match *mutation {
            Mutation::Cut { at: start, len } => {
                let start = at(start);
                text.drain(start..(start + len).min(text.len()));
            }
            Mutation::Repeat { at: start, len } => {
                let start = at(start);
                let piece = text[start..(start + len).min(text.len())].to_vec();
                text.splice(start..start, piece);
            }
            Mutation::Insert { at: start, token } => {
                let start = at(start);
                text.splice(start..start, token.bytes());
            }
        }
    }
    String::from_utf8(text).expect("mutations of ASCII stay ASCII")
}

fn level() -> impl Strategy<Value = CompatibilityLevel> {
    proptest::sample::select(vec![
        CompatibilityLevel::None,
        CompatibilityLevel::Backward,
        CompatibilityLevel::Forward,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
    ])
}

proptest! {
    #[test]
    fn reading_any_text_never_panics(text in any::<String>()) {
        let _ = fields(&text);
    }

    #[test]
    fn reading_or_comparing_a_mutated_schema_never_panics(
        schema in avro_record(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let text = Writer::schema(&schema, None);
        let mutated = mutate(&text, &mutations);

        let _ = fields(&mutated);
        let _ = changes(&text, &mutated, CompatibilityLevel::Full);
        let _ = changes(&mutated, &text, CompatibilityLevel::Full);
    }

    #[test]
    fn a_text_nested_beyond_the_bound_is_refused_in_words(openers in proptest::collection::vec(0..3_usize, 0..300)) {
        let open: String = openers.iter().map(|opener| ["[", "{\"a\": ", "{\"type\": "][*opener]).collect();
        let close: String = openers.iter().rev().map(|opener| ["]", "}", "}"][*opener]).collect();

        let read = fields(&format!("{open}1{close}"));

        let refused = matches!(&read, Err(SchemaError::TooLarge { reason, .. }) if reason.contains("levels deep"));
        prop_assert_eq!(refused, openers.len() > MAX_NESTING, "{:?}", read);
    }

    #[test]
    fn every_generated_schema_reads(schema in avro_record()) {
        let text = Writer::schema(&schema, None);

        prop_assert!(fields(&text).is_ok(), "{}: {:?}", text, fields(&text));
    }

    #[test]
    fn a_schema_compared_with_itself_has_no_changes(schema in avro_record(), level in level()) {
        let text = Writer::schema(&schema, None);

        prop_assert_eq!(changes(&text, &text, level), Ok(Vec::new()), "{}", text);
    }

    #[test]
    fn adding_an_optional_field_breaks_nobody(schema in avro_record()) {
        let old = Writer::schema(&schema, None);
        let new = Writer::schema(&schema, Some(r#"{"name": "added", "type": ["null", "string"], "default": null}"#));

        let found = changes(&old, &new, CompatibilityLevel::FullTransitive).unwrap();

        let summary: Vec<_> = found.iter().map(|change| (change.kind, change.path.as_str(), change.breaking)).collect();
        prop_assert_eq!(summary, vec![(ChangeKind::FieldAdded, "added", false)]);
    }

    #[test]
    fn comparing_any_two_schemas_never_panics_and_full_breaks_what_backward_or_forward_does(
        old in avro_record(),
        new in avro_record(),
    ) {
        let (old, new) = (Writer::schema(&old, None), Writer::schema(&new, None));

        let [none, backward, forward, full] = [
            CompatibilityLevel::None,
            CompatibilityLevel::Backward,
            CompatibilityLevel::Forward,
            CompatibilityLevel::Full,
        ]
        .map(|level| changes(&old, &new, level).unwrap());

        prop_assert!(none.iter().all(|change| !change.breaking));
        prop_assert_eq!(full.len(), none.len());
        for (((none, backward), forward), full) in none.iter().zip(&backward).zip(&forward).zip(&full) {
            prop_assert_eq!((full.kind, &full.path), (none.kind, &none.path));
            prop_assert_eq!((backward.kind, &backward.path), (forward.kind, &forward.path));
            prop_assert_eq!(full.breaking, backward.breaking || forward.breaking, "{:?}", full);
        }
    }
}
