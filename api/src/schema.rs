//! Avro schemas read for people: the field tree of a schema and the differences between two versions, in words.
//!
//! apache-avro parses; this module walks what it parsed. A change is breaking by Avro's schema resolution rules,
//! seen as Confluent sees them: under BACKWARD consumers on the new schema read data written with the old one,
//! under FORWARD consumers on the old schema read data written with the new one, FULL is both and NONE neither.
//! The `_TRANSITIVE` levels judge a pair of versions like their plain counterparts; checking a new version against
//! every earlier one is the caller's loop.
//!
//! A named type used a second time is a reference to its definition: [`fields`] shows it as `Name (defined
//! above)` and [`changes`] reports the type's changes once, where it is defined. That is also what ends recursive
//! types.
//!
//! apache-avro 0.21 answers whether one primitive or logical type can read another (int is promoted to long,
//! string reads bytes, ...). It cannot tell for two decimals, so decimals are compared here: by the spec they match
//! only with the same precision and scale. It ignores enum defaults, so enum symbols are compared here: a reader
//! missing a writer's symbol fails unless the reader's enum has a default.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{
    Alias, DecimalSchema, EnumSchema, Name, RecordField, RecordSchema, ResolvedSchema, SchemaKind,
};
use apache_avro::schema_compatibility::SchemaCompatibility;
use meshport_shared::schema::{ChangeKind, SchemaChange, SchemaField};
use serde_json::Value;

use crate::registry::CompatibilityLevel;

/// Why a schema could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// JSON, but not a valid Avro schema; apache-avro's reason.
    #[error("the {which} is not a valid Avro schema: {reason}")]
    Invalid { which: &'static str, reason: String },
    /// Not JSON at all, so not Avro (a Protobuf schema, say).
    #[error("the {which} is not Avro: it is not even JSON ({reason})")]
    NotAvro { which: &'static str, reason: String },
}

/// The fields of a schema's top-level record, as a tree.
///
/// A schema whose top level is not a record (a `string` key, a union of event records) gives one pseudo-field
/// with an empty name and path that describes the whole value, with the fields of the record it holds, if one.
pub fn fields(schema: &str) -> Result<Vec<SchemaField>, SchemaError> {
    let schema = parse(schema, "schema")?;
    Ok(match &schema {
        Schema::Record(record) => record.fields.iter().map(|field| describe_field("", field)).collect(),
        other => vec![whole_value(other)],
    })
}

/// Every difference between two versions of a schema, field by field, each marked breaking or not under `level`.
pub fn changes(old: &str, new: &str, level: CompatibilityLevel) -> Result<Vec<SchemaChange>, SchemaError> {
    let old = parse(old, "old schema")?;
    let new = parse(new, "new schema")?;
    let mut diff = Diff {
        old_names: names(&old, "old schema")?,
        new_names: names(&new, "new schema")?,
        directions: directions(level),
        open: Vec::new(),
        changes: Vec::new(),
    };
    diff.types("", &old, &new);
    Ok(diff.changes)
}

/// Only the changes that break consumers under `level`.
pub fn breaking(old: &str, new: &str, level: CompatibilityLevel) -> Result<Vec<SchemaChange>, SchemaError> {
    let mut changes = changes(old, new, level)?;
    changes.retain(|change| change.breaking);
    Ok(changes)
}

fn parse(text: &str, which: &'static str) -> Result<Schema, SchemaError> {
    if let Err(error) = serde_json::from_str::<Value>(text) {
        return Err(SchemaError::NotAvro { which, reason: error.to_string() });
    }
    Schema::parse_str(text).map_err(|error| SchemaError::Invalid { which, reason: error.to_string() })
}

type Names<'a> = HashMap<Name, &'a Schema>;

/// The named types a schema defines, to follow its references.
fn names<'a>(schema: &'a Schema, which: &'static str) -> Result<Names<'a>, SchemaError> {
    ResolvedSchema::try_from(schema)
        .map(|resolved| resolved.get_names().clone())
        .map_err(|error| SchemaError::Invalid { which, reason: error.to_string() })
}

// The field tree.

fn describe_field(parent: &str, field: &RecordField) -> SchemaField {
    let path = join(parent, &field.name);
    SchemaField {
        name: field.name.clone(),
        type_name: describe_without_null(&field.schema),
        doc: field.doc.clone(),
        optional: is_optional(&field.schema),
        default: field.default.clone(),
        fields: children(&field.schema, &path),
        path,
    }
}

fn whole_value(schema: &Schema) -> SchemaField {
    SchemaField {
        name: String::new(),
        path: String::new(),
        type_name: describe_without_null(schema),
        doc: None,
        optional: is_optional(schema),
        default: None,
        fields: children(schema, ""),
    }
}

/// The fields of the one record `schema` holds, looking through unions, arrays and maps; none when it holds no
/// record or several (a union of records), whose fields would share paths.
fn children(schema: &Schema, path: &str) -> Vec<SchemaField> {
    match schema {
        Schema::Record(record) => record.fields.iter().map(|field| describe_field(path, field)).collect(),
        Schema::Array(array) => children(&array.items, path),
        Schema::Map(map) => children(&map.types, path),
        Schema::Union(union) => {
            let mut found = union.variants().iter().map(|variant| children(variant, path)).filter(|c| !c.is_empty());
            match (found.next(), found.next()) {
                (Some(only), None) => only,
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_owned() } else { format!("{parent}.{name}") }
}

fn is_optional(schema: &Schema) -> bool {
    split_null(schema).0
}

/// Whether `schema` allows null, and its other branches: the schema itself when it is not a union.
fn split_null(schema: &Schema) -> (bool, Vec<&Schema>) {
    match schema {
        Schema::Union(union) => {
            let branches = union.variants().iter().filter(|variant| !matches!(variant, Schema::Null)).collect();
            (union.is_nullable(), branches)
        }
        other => (false, vec![other]),
    }
}

/// The type of a field whose nullability is said separately.
fn describe_without_null(schema: &Schema) -> String {
    match split_null(schema).1.as_slice() {
        [] => "null".to_owned(),
        [only] => describe(only),
        several => {
            format!("union of {}", several.iter().map(|branch| describe(branch)).collect::<Vec<_>>().join(" | "))
        }
    }
}

/// A type in words: `long (timestamp-millis)`, `array of record Address`, `enum Side: BUY | SELL`.
fn describe(schema: &Schema) -> String {
    if let Some(word) = plain_name(schema) {
        return word.to_owned();
    }
    match schema {
        Schema::Array(array) => format!("array of {}", describe(&array.items)),
        Schema::Map(map) => format!("map of {}", describe(&map.types)),
        Schema::Union(union) => match split_null(schema) {
            (true, branches) if branches.len() == 1 => format!("optional {}", describe(branches[0])),
            _ => format!("union of {}", union.variants().iter().map(describe).collect::<Vec<_>>().join(" | ")),
        },
        Schema::Record(record) => format!("record {}", record.name.name),
        Schema::Enum(enumeration) => describe_enum(enumeration),
        Schema::Fixed(fixed) => format!("fixed {} ({} bytes)", fixed.name.name, fixed.size),
        Schema::Decimal(decimal) => describe_decimal(decimal),
        Schema::Ref { name } => format!("{} (defined above)", name.name),
        // Every other type has a plain name.
        _ => format!("{:?}", SchemaKind::from(schema)).to_lowercase(),
    }
}

/// The name of a type that has no parts: a primitive or a logical type, with the type it annotates.
fn plain_name(schema: &Schema) -> Option<&'static str> {
    Some(match schema {
        Schema::Null => "null",
        Schema::Boolean => "boolean",
        Schema::Int => "int",
        Schema::Long => "long",
        Schema::Float => "float",
        Schema::Double => "double",
        Schema::Bytes => "bytes",
        Schema::String => "string",
        Schema::BigDecimal => "bytes (big-decimal)",
        // apache-avro 0.21 parses a uuid on `string` and on `fixed` alike, so the annotated type is unknown.
        Schema::Uuid => "uuid",
        Schema::Date => "int (date)",
        Schema::TimeMillis => "int (time-millis)",
        Schema::TimeMicros => "long (time-micros)",
        Schema::TimestampMillis => "long (timestamp-millis)",
        Schema::TimestampMicros => "long (timestamp-micros)",
        Schema::TimestampNanos => "long (timestamp-nanos)",
        Schema::LocalTimestampMillis => "long (local-timestamp-millis)",
        Schema::LocalTimestampMicros => "long (local-timestamp-micros)",
        Schema::LocalTimestampNanos => "long (local-timestamp-nanos)",
        Schema::Duration => "fixed (duration)",
        _ => return None,
    })
}

fn describe_enum(enumeration: &EnumSchema) -> String {
    let symbols = enumeration.symbols.join(" | ");
    match &enumeration.default {
        Some(default) => format!("enum {}: {symbols} (default {default})", enumeration.name.name),
        None => format!("enum {}: {symbols}", enumeration.name.name),
    }
}

fn describe_decimal(decimal: &DecimalSchema) -> String {
    let (precision, scale) = (decimal.precision, decimal.scale);
    match decimal.inner.as_ref() {
        Schema::Fixed(fixed) => {
            format!("fixed {} ({} bytes, decimal({precision}, {scale}))", fixed.name.name, fixed.size)
        }
        _ => format!("bytes (decimal({precision}, {scale}))"),
    }
}

// The changes.

/// Which way data flows between versions: backward, the new schema reads old data; forward, the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Backward,
    Forward,
}

impl Direction {
    fn consumers_fail(self, qualifier: &str) -> String {
        match self {
            Self::Backward => format!("consumers on the new schema cannot read older events{qualifier}"),
            Self::Forward => format!("consumers on the old schema cannot read newer events{qualifier}"),
        }
    }
}

fn directions(level: CompatibilityLevel) -> &'static [Direction] {
    match level {
        CompatibilityLevel::None => &[],
        CompatibilityLevel::Backward | CompatibilityLevel::BackwardTransitive => &[Direction::Backward],
        CompatibilityLevel::Forward | CompatibilityLevel::ForwardTransitive => &[Direction::Forward],
        CompatibilityLevel::Full | CompatibilityLevel::FullTransitive => &[Direction::Backward, Direction::Forward],
    }
}

/// Whom a change breaks, which events they fail on, and what to do instead.
#[derive(Debug, Default)]
struct Impact {
    backward: bool,
    forward: bool,
    /// Narrows "cannot read older events" down, e.g. " where it is null".
    qualifier: String,
    fix: &'static str,
}

impl Impact {
    fn harmless() -> Self {
        Self::default()
    }

    fn breaks(backward: bool, forward: bool, fix: &'static str) -> Self {
        Self { backward, forward, qualifier: String::new(), fix }
    }

    fn on_events(self, qualifier: impl Into<String>) -> Self {
        Self { qualifier: qualifier.into(), ..self }
    }

    fn breaks_in(&self, direction: Direction) -> bool {
        match direction {
            Direction::Backward => self.backward,
            Direction::Forward => self.forward,
        }
    }
}

/// Two schemas being compared, and what was found so far.
struct Diff<'a> {
    old_names: Names<'a>,
    new_names: Names<'a>,
    directions: &'static [Direction],
    /// The pairs of records being compared further up, so a recursive type is compared once.
    open: Vec<(&'a Name, &'a Name)>,
    changes: Vec<SchemaChange>,
}

impl<'a> Diff<'a> {
    fn push(&mut self, kind: ChangeKind, path: &str, what: String, impact: Impact) {
        let failures: Vec<String> = self
            .directions
            .iter()
            .filter(|direction| impact.breaks_in(**direction))
            .map(|direction| direction.consumers_fail(&impact.qualifier))
            .collect();
        let breaking = !failures.is_empty();
        let description = if breaking { format!("{what}: {}; {}", failures.join(", and "), impact.fix) } else { what };
        self.changes.push(SchemaChange { kind, path: path.to_owned(), description, breaking });
    }

    /// Compares the types at `path`: whether null is allowed, then what else is.
    fn types(&mut self, path: &str, old: &'a Schema, new: &'a Schema) {
        let (old_null, old_branches) = split_null(old);
        let (new_null, new_branches) = split_null(new);
        self.nullability(path, old_null, new_null);
        match (old_branches.as_slice(), new_branches.as_slice()) {
            ([old], [new]) => self.single(path, old, new),
            _ => self.branches(path, &old_branches, &new_branches),
        }
    }

    fn nullability(&mut self, path: &str, old_null: bool, new_null: bool) {
        let subject = subject(path);
        match (old_null, new_null) {
            (false, true) => self.push(
                ChangeKind::BecameOptional,
                path,
                format!("{subject} became optional (it may now be null)"),
                Impact::breaks(false, true, "keep it required, or add a new optional field instead")
                    .on_events(" where it is null"),
            ),
            (true, false) => self.push(
                ChangeKind::BecameRequired,
                path,
                format!("{subject} is no longer optional"),
                Impact::breaks(true, false, "keep it optional").on_events(" where it is null"),
            ),
            _ => {}
        }
    }

    /// Compares two types that are not unions.
    fn single(&mut self, path: &str, old: &'a Schema, new: &'a Schema) {
        // A type used again by name is compared where it is defined.
        if let (Schema::Ref { name: old_name }, Schema::Ref { name: new_name }) = (old, new)
            && old_name.name == new_name.name
        {
            return;
        }
        match (resolve(old, &self.old_names), resolve(new, &self.new_names)) {
            (Schema::Record(old), Schema::Record(new)) => self.records(path, old, new),
            (Schema::Enum(old), Schema::Enum(new)) => self.enums(path, old, new),
            (Schema::Array(old), Schema::Array(new)) => self.types(path, &old.items, &new.items),
            (Schema::Map(old), Schema::Map(new)) => self.types(path, &old.types, &new.types),
            (Schema::Decimal(old), Schema::Decimal(new)) => self.decimals(path, old, new),
            (old, new) => self.leaves(path, old, new),
        }
    }

    /// Compares unions that are more than "null or one type": branch by branch, matched by kind and name.
    fn branches(&mut self, path: &str, old: &[&'a Schema], new: &[&'a Schema]) {
        let old_ids: Vec<_> = old.iter().map(|branch| identity(branch, &self.old_names)).collect();
        let new_ids: Vec<_> = new.iter().map(|branch| identity(branch, &self.new_names)).collect();
        for (old_branch, old_id) in old.iter().zip(&old_ids) {
            match new_ids.iter().position(|new_id| new_id == old_id) {
                Some(at) => self.single(path, old_branch, new[at]),
                None => self.branch_removed(path, old_branch, new),
            }
        }
        for (new_branch, _) in new.iter().zip(&new_ids).filter(|(_, new_id)| !old_ids.contains(new_id)) {
            self.branch_added(path, new_branch, old);
        }
    }

    fn branch_removed(&mut self, path: &str, removed: &'a Schema, new: &[&'a Schema]) {
        let removed = resolve(removed, &self.old_names);
        let readable = new.iter().any(|branch| can_read(removed, resolve(branch, &self.new_names)));
        let what = describe(removed);
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} no longer allows {what}", subject(path)),
            Impact::breaks(!readable, false, "keep that branch of the union").on_events(format!(" holding {what}")),
        );
    }

    fn branch_added(&mut self, path: &str, added: &'a Schema, old: &[&'a Schema]) {
        let added = resolve(added, &self.new_names);
        let readable = old.iter().any(|branch| can_read(added, resolve(branch, &self.old_names)));
        let what = describe(added);
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} now also allows {what}", subject(path)),
            Impact::breaks(false, !readable, "add a new field for it instead").on_events(format!(" holding {what}")),
        );
    }

    /// Compares primitive, logical and fixed types (and types of different kinds) with apache-avro's promotions.
    fn leaves(&mut self, path: &str, old: &Schema, new: &Schema) {
        if same_leaf(old, new) {
            return;
        }
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} changed from {} to {}", subject(path), describe(old), describe(new)),
            Impact::breaks(!can_read(old, new), !can_read(new, old), "add a new field with the new type instead"),
        );
    }

    fn decimals(&mut self, path: &str, old: &DecimalSchema, new: &DecimalSchema) {
        let same_inner = same_leaf(&old.inner, &new.inner);
        if same_inner && old.precision == new.precision && old.scale == new.scale {
            return;
        }
        // By the spec, decimals match only with the same precision and scale: other values would be misread.
        self.push(
            ChangeKind::TypeChanged,
            path,
            format!("{} changed from {} to {}", subject(path), describe_decimal(old), describe_decimal(new)),
            Impact::breaks(true, true, "add a new field with the new precision and scale instead"),
        );
    }

    fn records(&mut self, path: &str, old: &'a RecordSchema, new: &'a RecordSchema) {
        if self.open.contains(&(&old.name, &new.name)) {
            return;
        }
        self.open.push((&old.name, &new.name));
        self.renamed_type(path, "record", (&old.name, &old.aliases), (&new.name, &new.aliases));
        for new_field in &new.fields {
            match counterpart(old, new, new_field) {
                Some(old_field) => self.field(path, old_field, new_field),
                None => self.field_added(path, new_field),
            }
        }
        for old_field in old.fields.iter().filter(|old_field| !has_counterpart(old, new, old_field)) {
            self.field_removed(path, old_field);
        }
        self.open.pop();
    }

    fn field(&mut self, parent: &str, old: &'a RecordField, new: &'a RecordField) {
        let path = join(parent, &new.name);
        if old.name != new.name {
            self.field_renamed(parent, old, new);
        }
        self.doc(&path, old.doc.as_deref(), new.doc.as_deref());
        self.default(&path, old.default.as_ref(), new.default.as_ref());
        self.types(&path, &old.schema, &new.schema);
    }

    fn field_added(&mut self, parent: &str, field: &RecordField) {
        let path = join(parent, &field.name);
        let what = match &field.default {
            Some(default) => format!("field `{path}` was added with default {default}"),
            None => format!("field `{path}` was added without a default"),
        };
        let impact = Impact::breaks(field.default.is_none(), false, "give it a default");
        self.push(ChangeKind::FieldAdded, &path, what, impact);
    }

    fn field_removed(&mut self, parent: &str, field: &RecordField) {
        let path = join(parent, &field.name);
        let what = match &field.default {
            Some(default) => {
                format!("field `{path}` was removed; consumers on the old schema read its default {default}")
            }
            None => format!("field `{path}` was removed and had no default"),
        };
        let fix = "give it a default in a version of its own first, then remove it";
        self.push(ChangeKind::FieldRemoved, &path, what, Impact::breaks(false, field.default.is_none(), fix));
    }

    /// A field found under an alias: consumers on the new schema find the old name; those on the old schema
    /// find the new one only if the old field lists it, and otherwise fall back to the old field's default.
    fn field_renamed(&mut self, parent: &str, old: &RecordField, new: &RecordField) {
        let old_knows_new = old.aliases.iter().flatten().any(|alias| *alias == new.name);
        let forward = !old_knows_new && old.default.is_none();
        self.push(
            ChangeKind::Renamed,
            &join(parent, &new.name),
            format!("field `{}` was renamed to `{}`", join(parent, &old.name), new.name),
            Impact::breaks(false, forward, "give the old field a default in a version of its own first"),
        );
    }

    fn doc(&mut self, path: &str, old: Option<&str>, new: Option<&str>) {
        let what = match (old, new) {
            (None, Some(new)) => format!("field `{path}` got a description: \"{new}\""),
            (Some(_), None) => format!("field `{path}` lost its description"),
            (Some(old), Some(new)) if old != new => format!("the description of field `{path}` changed to \"{new}\""),
            _ => return,
        };
        self.push(ChangeKind::DocChanged, path, what, Impact::harmless());
    }

    /// Defaults only matter when the writer lacks the field, so changing one never breaks this pair of versions;
    /// it decides whether a later version may add or remove the field.
    fn default(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        let (kind, what) = match (old, new) {
            (None, Some(new)) => (ChangeKind::DefaultAdded, format!("field `{path}` now has default {new}")),
            (Some(old), None) => {
                (ChangeKind::DefaultRemoved, format!("field `{path}` no longer has a default (it was {old})"))
            }
            (Some(old), Some(new)) if old != new => {
                (ChangeKind::DefaultChanged, format!("the default of field `{path}` changed from {old} to {new}"))
            }
            _ => return,
        };
        self.push(kind, path, what, Impact::harmless());
    }

    fn enums(&mut self, path: &str, old: &EnumSchema, new: &EnumSchema) {
        self.renamed_type(path, "enum", (&old.name, &old.aliases), (&new.name, &new.aliases));
        let removed = missing(&old.symbols, &new.symbols);
        let added = missing(&new.symbols, &old.symbols);
        let subject = subject(path);
        if !removed.is_empty() {
            // Consumers on the new schema meet the removed symbols in older events; their enum's default saves them.
            self.push(
                ChangeKind::SymbolsChanged,
                path,
                format!("{subject} lost enum symbol(s) {}", removed.join(", ")),
                Impact::breaks(new.default.is_none(), false, "keep the symbols, or give the enum a default")
                    .on_events(format!(" holding {}", removed.join(" or "))),
            );
        }
        if !added.is_empty() {
            self.push(
                ChangeKind::SymbolsChanged,
                path,
                format!("{subject} gained enum symbol(s) {}", added.join(", ")),
                Impact::breaks(false, old.default.is_none(), "give the enum a default in a version of its own first")
                    .on_events(format!(" holding {}", added.join(" or "))),
            );
        }
        if removed.is_empty() && added.is_empty() && old.symbols != new.symbols {
            self.push(
                ChangeKind::SymbolsChanged,
                path,
                format!("{subject}'s enum symbols were reordered"),
                Impact::harmless(),
            );
        }
        self.enum_default(path, old.default.as_deref(), new.default.as_deref());
    }

    fn enum_default(&mut self, path: &str, old: Option<&str>, new: Option<&str>) {
        let subject = subject(path);
        let (kind, what) = match (old, new) {
            (None, Some(new)) => {
                (ChangeKind::DefaultAdded, format!("{subject}'s enum now falls back to `{new}` for unknown symbols"))
            }
            (Some(old), None) => {
                (ChangeKind::DefaultRemoved, format!("{subject}'s enum no longer falls back to `{old}`"))
            }
            (Some(old), Some(new)) if old != new => {
                (ChangeKind::DefaultChanged, format!("{subject}'s enum now falls back to `{new}` instead of `{old}`"))
            }
            _ => return,
        };
        self.push(kind, path, what, Impact::harmless());
    }

    /// A record or enum whose name changed: readers match named types by name, or by an alias for the writer's.
    fn renamed_type(
        &mut self,
        path: &str,
        kind: &str,
        (old, old_aliases): (&Name, &Option<Vec<Alias>>),
        (new, new_aliases): (&Name, &Option<Vec<Alias>>),
    ) {
        if old.name == new.name {
            if old.namespace != new.namespace {
                let what = format!(
                    "the {kind} `{}`{} moved from namespace `{}` to `{}`",
                    new.name,
                    of_field(path),
                    old.namespace.as_deref().unwrap_or(""),
                    new.namespace.as_deref().unwrap_or("")
                );
                self.push(ChangeKind::TypeChanged, path, what, Impact::harmless());
            }
            return;
        }
        let knows = |aliases: &Option<Vec<Alias>>, name: &Name| aliases.iter().flatten().any(|a| a.name() == name.name);
        let impact = Impact::breaks(
            !knows(new_aliases, old),
            !knows(old_aliases, new),
            "keep the old name, or list it in the new type's `aliases`",
        );
        let what = format!("the {kind} `{}`{} was renamed to `{}`", old.name, of_field(path), new.name);
        self.push(ChangeKind::TypeChanged, path, what, impact);
    }
}

fn subject(path: &str) -> String {
    if path.is_empty() { "the value".to_owned() } else { format!("field `{path}`") }
}

/// Names the field a nested type belongs to; nothing for the top level.
fn of_field(path: &str) -> String {
    if path.is_empty() { String::new() } else { format!(" of field `{path}`") }
}

fn resolve<'a>(schema: &'a Schema, names: &Names<'a>) -> &'a Schema {
    match schema {
        Schema::Ref { name } => names.get(name).copied().unwrap_or(schema),
        other => other,
    }
}

/// What identifies a union branch: Avro allows one branch per kind, except named types, told apart by name.
fn identity(branch: &Schema, names: &Names<'_>) -> (SchemaKind, Option<String>) {
    let branch = resolve(branch, names);
    (SchemaKind::from(branch), branch.name().map(|name| name.name.clone()))
}

fn same_leaf(old: &Schema, new: &Schema) -> bool {
    match (old, new) {
        (Schema::Fixed(old), Schema::Fixed(new)) => old.name.name == new.name.name && old.size == new.size,
        _ => SchemaKind::from(old) == SchemaKind::from(new),
    }
}

/// Whether data written as `writer` reads as `reader`, for types that are not records, enums or containers (or
/// are of different kinds), by apache-avro's rules.
fn can_read(writer: &Schema, reader: &Schema) -> bool {
    SchemaCompatibility::can_read(writer, reader).is_ok()
}

/// The old record's field that `new_field` reads: the one of the same name, else one its aliases name.
fn counterpart<'a>(old: &'a RecordSchema, new: &RecordSchema, new_field: &RecordField) -> Option<&'a RecordField> {
    let by_name = |name: &str| old.fields.iter().find(|field| field.name == name);
    by_name(&new_field.name).or_else(|| {
        new_field
            .aliases
            .iter()
            .flatten()
            // An alias naming a field the new record still has is not a rename.
            .filter(|alias| new.fields.iter().all(|field| field.name != **alias))
            .find_map(|alias| by_name(alias))
    })
}

fn has_counterpart(old: &RecordSchema, new: &RecordSchema, old_field: &RecordField) -> bool {
    new.fields
        .iter()
        .any(|new_field| counterpart(old, new, new_field).is_some_and(|found| found.name == old_field.name))
}

/// The symbols of `from` that `to` does not have.
fn missing<'s>(from: &'s [String], to: &[String]) -> Vec<&'s str> {
    from.iter().filter(|symbol| !to.contains(symbol)).map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use meshport_shared::schema::ChangeKind::*;
    use serde_json::json;

    use super::*;
    use crate::registry::CompatibilityLevel as Level;

    const USERS: &str = crate::demo::USERS_SCHEMA;
    const STOCKTRADES: &str = crate::demo::STOCKTRADES_SCHEMA;

    /// A linked list: each node refers to the next by name.
    const LINKED_LIST: &str = r#"{"type": "record", "name": "Node", "fields": [
        {"name": "value", "type": "int"},
        {"name": "next", "type": ["null", "Node"], "default": null}
    ]}"#;

    /// A top-level record `User` with the given fields.
    fn record(fields: &str) -> String {
        format!(r#"{{"type": "record", "name": "User", "namespace": "com.acme", "fields": [{fields}]}}"#)
    }

    /// A record `User` with one field `value` of the given type.
    fn value(schema: &str) -> String {
        record(&format!(r#"{{"name": "value", "type": {schema}}}"#))
    }

    const ID: &str = r#"{"name": "id", "type": "string"}"#;

    fn check(old: &str, new: &str, level: Level, expected: &[(ChangeKind, &str, bool)]) {
        let found = changes(old, new, level).unwrap();
        let summary: Vec<(ChangeKind, &str, bool)> =
            found.iter().map(|change| (change.kind, change.path.as_str(), change.breaking)).collect();
        assert_eq!(summary, expected, "under {level}, the changes were {found:#?}");
    }

    fn check_fields(schema: &str, expected: &[(&str, &str, bool)]) {
        let found = fields(schema).unwrap();
        let mut flat = Vec::new();
        flatten(&found, &mut flat);
        let summary: Vec<(&str, &str, bool)> =
            flat.iter().map(|field| (field.path.as_str(), field.type_name.as_str(), field.optional)).collect();
        assert_eq!(summary, expected, "the fields were {found:#?}");
    }

    fn flatten<'f>(fields: &'f [SchemaField], into: &mut Vec<&'f SchemaField>) {
        for field in fields {
            into.push(field);
            flatten(&field.fields, into);
        }
    }

    fn description(old: &str, new: &str, level: Level) -> String {
        let found = changes(old, new, level).unwrap();
        assert_eq!(found.len(), 1, "expected one change, found {found:#?}");
        found[0].description.clone()
    }

    // The field tree.

    #[test]
    fn the_users_fields_read_as_people_would_describe_them() {
        let found = fields(USERS).unwrap();

        check_fields(
            USERS,
            &[
                ("userid", "string", false),
                ("registertime", "long (timestamp-millis)", false),
                ("regionid", "string", false),
                ("gender", "enum Gender: FEMALE | MALE | OTHER", false),
                ("email", "string", true),
            ],
        );
        let email = &found[4];
        assert_eq!(email.name, "email");
        assert_eq!(email.default, Some(Value::Null));
        assert_eq!(email.doc.as_deref(), Some("Contact address. Personal data."));
        assert_eq!(found[1].doc.as_deref(), Some("When the user signed up."));
        assert_eq!(found[0].default, None);
    }

    #[test]
    fn nested_records_list_their_fields_under_dotted_paths() {
        let schema = record(
            r#"{"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
                {"name": "name", "type": "string"},
                {"name": "address", "type": ["null", {"type": "record", "name": "Address", "fields": [
                    {"name": "street", "type": "string"}
                ]}], "default": null}
            ]}},
            {"name": "billing", "type": "Address"}"#,
        );

        check_fields(
            &schema,
            &[
                ("customer", "record Customer", false),
                ("customer.name", "string", false),
                ("customer.address", "record Address", true),
                ("customer.address.street", "string", false),
                ("billing", "Address (defined above)", false),
            ],
        );
    }

    #[test]
    fn arrays_and_maps_of_records_list_the_records_fields() {
        let schema = record(
            r#"{"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
                {"name": "sku", "type": "string"}
            ]}}},
            {"name": "byWarehouse", "type": {"type": "map", "values": ["null", "Line"]}},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "counts", "type": {"type": "map", "values": "long"}}"#,
        );

        check_fields(
            &schema,
            &[
                ("lines", "array of record Line", false),
                ("lines.sku", "string", false),
                ("byWarehouse", "map of optional Line (defined above)", false),
                ("tags", "array of string", false),
                ("counts", "map of long", false),
            ],
        );
    }

    #[test]
    fn logical_types_are_named_with_the_type_they_annotate() {
        let schema = record(
            r#"{"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
            {"name": "price", "type": {"type": "fixed", "name": "Price", "size": 8, "logicalType": "decimal", "precision": 12, "scale": 4}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "at", "type": {"type": "int", "logicalType": "time-millis"}},
            {"name": "atMicros", "type": {"type": "long", "logicalType": "time-micros"}},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
            {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}}"#,
        );

        check_fields(
            &schema,
            &[
                ("amount", "bytes (decimal(10, 2))", false),
                ("price", "fixed Price (8 bytes, decimal(12, 4))", false),
                ("id", "uuid", false),
                ("day", "int (date)", false),
                ("at", "int (time-millis)", false),
                ("atMicros", "long (time-micros)", false),
                ("ts", "long (timestamp-micros)", false),
                ("local", "long (local-timestamp-millis)", false),
                ("hash", "fixed Md5 (16 bytes)", false),
            ],
        );
    }

    #[test]
    fn unions_other_than_null_or_one_type_list_their_branches() {
        let schema = record(
            r#"{"name": "amount", "type": ["int", "string"]},
            {"name": "maybe", "type": ["null", "int", "string"], "default": null},
            {"name": "nothing", "type": "null"}"#,
        );

        check_fields(
            &schema,
            &[
                ("amount", "union of int | string", false),
                ("maybe", "union of int | string", true),
                ("nothing", "null", false),
            ],
        );
    }

    #[test]
    fn a_recursive_schema_lists_its_self_reference_without_looping() {
        check_fields(LINKED_LIST, &[("value", "int", false), ("next", "Node (defined above)", true)]);
    }

    #[test]
    fn a_top_level_non_record_schema_is_one_pseudo_field_for_the_whole_value() {
        let found = fields(r#""string""#).unwrap();

        assert_eq!(found.len(), 1);
        assert_eq!((found[0].name.as_str(), found[0].path.as_str()), ("", ""));
        assert_eq!(found[0].type_name, "string");
        check_fields(
            r#"{"type": "array", "items": {"type": "record", "name": "Event", "fields": [{"name": "id", "type": "long"}]}}"#,
            &[("", "array of record Event", false), ("id", "long", false)],
        );
    }

    #[test]
    fn a_union_of_records_at_the_top_level_lists_no_fields_since_their_paths_would_collide() {
        let schema = r#"[
            {"type": "record", "name": "Created", "fields": [{"name": "id", "type": "long"}]},
            {"type": "record", "name": "Deleted", "fields": [{"name": "id", "type": "long"}]}
        ]"#;

        check_fields(schema, &[("", "union of record Created | record Deleted", false)]);
    }

    #[test]
    fn an_invalid_schema_is_an_error_that_says_what_is_wrong() {
        let unknown_type = fields(&value(r#""strng""#)).unwrap_err();
        let not_json = fields("syntax = \"proto3\"; message User {}").unwrap_err();
        let bad_default = changes(USERS, &record(r#"{"name": "n", "type": "int", "default": "x"}"#), Level::Full);

        assert_eq!(
            unknown_type.to_string(),
            "the schema is not a valid Avro schema: Unknown primitive type: com.acme.strng"
        );
        assert!(matches!(not_json, SchemaError::NotAvro { which: "schema", .. }), "{not_json:?}");
        assert!(not_json.to_string().starts_with("the schema is not Avro: it is not even JSON"), "{not_json}");
        let bad_default = bad_default.unwrap_err().to_string();
        assert!(bad_default.starts_with("the new schema is not a valid Avro schema: "), "{bad_default}");
        assert!(bad_default.contains("\"n\""), "{bad_default}");
    }

    // The changes.

    #[test]
    fn a_schema_compared_with_itself_has_no_changes() {
        for schema in [USERS, STOCKTRADES, LINKED_LIST] {
            check(schema, schema, Level::FullTransitive, &[]);
        }
        let decimal = value(r#"{"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}"#);
        check(&decimal, &decimal, Level::Full, &[]);
    }

    #[test]
    fn adding_a_field_without_a_default_breaks_consumers_on_the_new_schema() {
        let old = record(ID);
        let new = record(&format!(r#"{ID}, {{"name": "email", "type": "string"}}"#));

        check(&old, &new, Level::Backward, &[(FieldAdded, "email", true)]);
        check(&old, &new, Level::BackwardTransitive, &[(FieldAdded, "email", true)]);
        check(&old, &new, Level::Forward, &[(FieldAdded, "email", false)]);
        check(&old, &new, Level::Full, &[(FieldAdded, "email", true)]);
        check(&old, &new, Level::None, &[(FieldAdded, "email", false)]);
        assert_eq!(
            description(&old, &new, Level::Backward),
            "field `email` was added without a default: consumers on the new schema cannot read older events; give \
             it a default"
        );
    }

    #[test]
    fn adding_a_field_with_a_default_breaks_nobody() {
        let old = record(ID);
        let new = record(&format!(r#"{ID}, {{"name": "email", "type": ["null", "string"], "default": null}}"#));

        check(&old, &new, Level::FullTransitive, &[(FieldAdded, "email", false)]);
        assert_eq!(description(&old, &new, Level::Full), "field `email` was added with default null");
    }

    #[test]
    fn removing_a_field_without_a_default_breaks_consumers_on_the_old_schema() {
        let old = record(&format!(r#"{ID}, {{"name": "email", "type": "string"}}"#));
        let new = record(ID);

        check(&old, &new, Level::Backward, &[(FieldRemoved, "email", false)]);
        check(&old, &new, Level::Forward, &[(FieldRemoved, "email", true)]);
        check(&old, &new, Level::ForwardTransitive, &[(FieldRemoved, "email", true)]);
        check(&old, &new, Level::Full, &[(FieldRemoved, "email", true)]);
        assert_eq!(
            description(&old, &new, Level::Forward),
            "field `email` was removed and had no default: consumers on the old schema cannot read newer events; \
             give it a default in a version of its own first, then remove it"
        );
    }

    #[test]
    fn removing_a_field_with_a_default_breaks_nobody() {
        let old = record(&format!(r#"{ID}, {{"name": "email", "type": ["null", "string"], "default": null}}"#));
        let new = record(ID);

        check(&old, &new, Level::FullTransitive, &[(FieldRemoved, "email", false)]);
        assert_eq!(
            description(&old, &new, Level::Full),
            "field `email` was removed; consumers on the old schema read its default null"
        );
    }

    #[test]
    fn a_record_moved_to_another_namespace_breaks_nobody_as_readers_match_records_by_their_short_name() {
        let moved = USERS.replace("com.acme.membership", "com.acme.members");

        check(USERS, &moved, Level::Full, &[(TypeChanged, "", false), (TypeChanged, "gender", false)]);
    }

    #[test]
    fn nested_fields_added_or_removed_are_reported_by_their_dotted_path() {
        let address = |fields: &str| {
            record(&format!(
                r#"{{"name": "customer", "type": {{"type": "record", "name": "Customer", "fields": [
                    {{"name": "address", "type": {{"type": "record", "name": "Address", "fields": [{fields}]}}}}
                ]}}}}"#
            ))
        };
        let old = address(r#"{"name": "street", "type": "string"}"#);
        let new = address(r#"{"name": "zip", "type": "string"}"#);

        check(
            &old,
            &new,
            Level::Backward,
            &[(FieldAdded, "customer.address.zip", true), (FieldRemoved, "customer.address.street", false)],
        );
        check(
            &old,
            &new,
            Level::Forward,
            &[(FieldAdded, "customer.address.zip", false), (FieldRemoved, "customer.address.street", true)],
        );
    }

    #[test]
    fn becoming_optional_breaks_consumers_on_the_old_schema_and_becoming_required_those_on_the_new() {
        let required = value(r#""string""#);
        let optional = value(r#"["null", "string"]"#);

        check(&required, &optional, Level::Backward, &[(BecameOptional, "value", false)]);
        check(&required, &optional, Level::Forward, &[(BecameOptional, "value", true)]);
        check(&optional, &required, Level::Backward, &[(BecameRequired, "value", true)]);
        check(&optional, &required, Level::Forward, &[(BecameRequired, "value", false)]);
        assert_eq!(
            description(&optional, &required, Level::Full),
            "field `value` is no longer optional: consumers on the new schema cannot read older events where it is \
             null; keep it optional"
        );
        assert_eq!(
            description(&required, &optional, Level::Forward),
            "field `value` became optional (it may now be null): consumers on the old schema cannot read newer events \
             where it is null; keep it required, or add a new optional field instead"
        );
    }

    #[test]
    fn defaults_added_removed_or_changed_break_nobody() {
        let none = record(r#"{"name": "n", "type": "int"}"#);
        let zero = record(r#"{"name": "n", "type": "int", "default": 0}"#);
        let one = record(r#"{"name": "n", "type": "int", "default": 1}"#);

        check(&none, &zero, Level::Full, &[(DefaultAdded, "n", false)]);
        check(&zero, &none, Level::Full, &[(DefaultRemoved, "n", false)]);
        check(&zero, &one, Level::Full, &[(DefaultChanged, "n", false)]);
        assert_eq!(description(&zero, &one, Level::Full), "the default of field `n` changed from 0 to 1");
    }

    #[test]
    fn a_changed_description_is_reported_and_breaks_nobody() {
        let old = record(r#"{"name": "n", "type": "int", "doc": "Count."}"#);
        let new = record(r#"{"name": "n", "type": "int", "doc": "Number of items."}"#);

        check(&old, &new, Level::Full, &[(DocChanged, "n", false)]);
        check(&record(r#"{"name": "n", "type": "int"}"#), &new, Level::Full, &[(DocChanged, "n", false)]);
    }

    #[test]
    fn types_avro_promotes_read_older_events_but_not_the_other_way() {
        // (old, new, breaks consumers on the new schema, breaks consumers on the old schema)
        let cases = [
            ("int", "long", false, true),
            ("long", "int", true, false),
            ("int", "double", false, true),
            ("float", "double", false, true),
            ("long", "float", false, true),
            ("string", "bytes", false, false),
            ("bytes", "string", false, false),
            ("int", "string", true, true),
            ("boolean", "int", true, true),
        ];
        for (old, new, backward, forward) in cases {
            let (old, new) = (value(&format!("\"{old}\"")), value(&format!("\"{new}\"")));
            check(&old, &new, Level::Backward, &[(TypeChanged, "value", backward)]);
            check(&old, &new, Level::Forward, &[(TypeChanged, "value", forward)]);
            check(&old, &new, Level::Full, &[(TypeChanged, "value", backward || forward)]);
            check(&old, &new, Level::None, &[(TypeChanged, "value", false)]);
        }
        assert_eq!(
            description(&value(r#""long""#), &value(r#""int""#), Level::Backward),
            "field `value` changed from long to int: consumers on the new schema cannot read older events; add a new \
             field with the new type instead"
        );
    }

    #[test]
    fn logical_types_change_by_apache_avros_rules_and_decimals_by_precision_and_scale() {
        let millis = value(r#"{"type": "long", "logicalType": "timestamp-millis"}"#);
        let micros = value(r#"{"type": "long", "logicalType": "timestamp-micros"}"#);
        let long = value(r#""long""#);
        let decimal = |precision: u32, scale: u32| {
            value(&format!(
                r#"{{"type": "bytes", "logicalType": "decimal", "precision": {precision}, "scale": {scale}}}"#
            ))
        };

        check(&millis, &micros, Level::Full, &[(TypeChanged, "value", true)]);
        check(&long, &millis, Level::Full, &[(TypeChanged, "value", false)]);
        check(&millis, &long, Level::Full, &[(TypeChanged, "value", false)]);
        check(&decimal(10, 2), &decimal(10, 3), Level::Backward, &[(TypeChanged, "value", true)]);
        check(&decimal(10, 2), &decimal(12, 2), Level::Forward, &[(TypeChanged, "value", true)]);
        assert_eq!(
            description(&millis, &micros, Level::Backward),
            "field `value` changed from long (timestamp-millis) to long (timestamp-micros): consumers on the new \
             schema cannot read older events; add a new field with the new type instead"
        );
    }

    #[test]
    fn removing_an_enum_symbol_breaks_consumers_on_the_new_schema_unless_their_enum_has_a_default() {
        let gender = |symbols: &str, default: &str| {
            value(&format!(r#"{{"type": "enum", "name": "Gender", "symbols": [{symbols}]{default}}}"#))
        };
        let three = gender(r#""FEMALE", "MALE", "OTHER""#, "");
        let two = gender(r#""FEMALE", "MALE""#, "");
        let two_with_default = gender(r#""FEMALE", "MALE""#, r#", "default": "FEMALE""#);

        check(&three, &two, Level::Backward, &[(SymbolsChanged, "value", true)]);
        check(&three, &two, Level::Forward, &[(SymbolsChanged, "value", false)]);
        check(
            &three,
            &two_with_default,
            Level::Backward,
            &[(SymbolsChanged, "value", false), (DefaultAdded, "value", false)],
        );
        assert_eq!(
            description(&three, &two, Level::Full),
            "field `value` lost enum symbol(s) OTHER: consumers on the new schema cannot read older events holding \
             OTHER; keep the symbols, or give the enum a default"
        );
    }

    #[test]
    fn adding_an_enum_symbol_breaks_consumers_on_the_old_schema_unless_their_enum_has_a_default() {
        let side = |symbols: &str, default: &str| {
            value(&format!(r#"{{"type": "enum", "name": "Side", "symbols": [{symbols}]{default}}}"#))
        };

        check(
            &side(r#""BUY", "SELL""#, ""),
            &side(r#""BUY", "SELL", "SHORT""#, ""),
            Level::Backward,
            &[(SymbolsChanged, "value", false)],
        );
        check(
            &side(r#""BUY", "SELL""#, ""),
            &side(r#""BUY", "SELL", "SHORT""#, ""),
            Level::Forward,
            &[(SymbolsChanged, "value", true)],
        );
        let with_default = r#", "default": "BUY""#;
        check(
            &side(r#""BUY", "SELL""#, with_default),
            &side(r#""BUY", "SELL", "SHORT""#, with_default),
            Level::Full,
            &[(SymbolsChanged, "value", false)],
        );
        check(
            &side(r#""BUY", "SELL""#, ""),
            &side(r#""SELL", "BUY""#, ""),
            Level::Full,
            &[(SymbolsChanged, "value", false)],
        );
    }

    #[test]
    fn changes_inside_arrays_and_maps_of_records_are_reported_through_the_container() {
        let lines = |fields: &str| {
            record(&format!(
                r#"{{"name": "lines", "type": {{"type": "array", "items": {{"type": "record", "name": "Line", "fields": [{fields}]}}}}}},
                {{"name": "byId", "type": {{"type": "map", "values": "Line"}}}}"#
            ))
        };
        let old = lines(r#"{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}"#);
        let new = lines(
            r#"{"name": "sku", "type": "string"}, {"name": "qty", "type": "long"}, {"name": "note", "type": "string"}"#,
        );

        check(&old, &new, Level::Backward, &[(TypeChanged, "lines.qty", false), (FieldAdded, "lines.note", true)]);
        check(
            &value(r#"{"type": "map", "values": "int"}"#),
            &value(r#"{"type": "array", "items": "int"}"#),
            Level::Full,
            &[(TypeChanged, "value", true)],
        );
    }

    #[test]
    fn a_recursive_schema_is_compared_without_looping() {
        let new = r#"{"type": "record", "name": "Node", "fields": [
            {"name": "value", "type": "long"},
            {"name": "next", "type": ["null", "Node"], "default": null},
            {"name": "label", "type": "string", "default": ""}
        ]}"#;

        check(LINKED_LIST, new, Level::Full, &[(TypeChanged, "value", true), (FieldAdded, "label", false)]);
    }

    #[test]
    fn a_field_renamed_with_an_alias_reads_older_events() {
        let old = record(r#"{"name": "mail", "type": "string"}"#);
        let new = record(r#"{"name": "email", "type": "string", "aliases": ["mail"]}"#);

        check(&old, &new, Level::Backward, &[(Renamed, "email", false)]);
        check(&old, &new, Level::Forward, &[(Renamed, "email", true)]);
        assert_eq!(
            description(&old, &new, Level::Forward),
            "field `mail` was renamed to `email`: consumers on the old schema cannot read newer events; give the old \
             field a default in a version of its own first"
        );
    }

    #[test]
    fn a_renamed_record_breaks_unless_the_new_one_lists_the_old_name_as_an_alias() {
        let address = |name: &str, aliases: &str| {
            record(&format!(
                r#"{{"name": "home", "type": {{"type": "record", "name": "{name}"{aliases}, "fields": []}}}}"#
            ))
        };

        check(&address("Address", ""), &address("Location", ""), Level::Backward, &[(TypeChanged, "home", true)]);
        check(
            &address("Address", ""),
            &address("Location", r#", "aliases": ["Address"]"#),
            Level::Backward,
            &[(TypeChanged, "home", false)],
        );
        assert_eq!(
            description(&address("Address", ""), &address("Location", ""), Level::None),
            "the record `Address` of field `home` was renamed to `Location`"
        );
    }

    #[test]
    fn union_branches_added_break_consumers_on_the_old_schema_and_removed_ones_those_on_the_new() {
        let one = value(r#""int""#);
        let two = value(r#"["int", "string"]"#);

        check(&one, &two, Level::Backward, &[(TypeChanged, "value", false)]);
        check(&one, &two, Level::Forward, &[(TypeChanged, "value", true)]);
        check(&two, &one, Level::Backward, &[(TypeChanged, "value", true)]);
        check(&two, &one, Level::Forward, &[(TypeChanged, "value", false)]);
        // A long branch reads what an int branch wrote.
        check(
            &value(r#"["int", "string"]"#),
            &value(r#"["long", "string"]"#),
            Level::Backward,
            &[(TypeChanged, "value", false), (TypeChanged, "value", false)],
        );
        assert_eq!(
            description(&one, &two, Level::Forward),
            "field `value` now also allows string: consumers on the old schema cannot read newer events holding \
             string; add a new field for it instead"
        );
    }

    #[test]
    fn breaking_keeps_only_the_changes_that_break_under_the_level() {
        let old = record(&format!(r#"{ID}, {{"name": "n", "type": "int"}}"#));
        let new = record(r#"{"name": "n", "type": "long", "doc": "Count."}, {"name": "extra", "type": "string"}"#);

        let found = breaking(&old, &new, Level::Full).unwrap();

        let paths: Vec<&str> = found.iter().map(|change| change.path.as_str()).collect();
        assert_eq!(paths, ["n", "extra", "id"], "{found:#?}");
        assert!(breaking(&old, &new, Level::None).unwrap().is_empty());
    }

    #[test]
    fn the_defaults_json_is_kept_as_written() {
        let found =
            fields(&record(r#"{"name": "tags", "type": {"type": "array", "items": "string"}, "default": ["a"]}"#))
                .unwrap();

        assert_eq!(found[0].default, Some(json!(["a"])));
    }
}
