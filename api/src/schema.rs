//! Avro schemas read for people: the field tree of a schema and the differences between two versions, in words.
//!
//! apache-avro parses; this module walks what it parsed. A change is breaking by Avro's schema resolution rules,
//! seen as Confluent sees them: under BACKWARD consumers on the new schema read data written with the old one,
//! under FORWARD consumers on the old schema read data written with the new one, FULL is both and NONE neither.
//! The `_TRANSITIVE` levels judge a pair of versions like their plain counterparts; checking a new version against
//! every earlier one is the caller's loop.
//!
//! A named type used a second time is a reference to its definition: [`fields`] shows it as `Name (defined
//! above)` and [`changes`] compares each pair of named types once, reporting its changes where it is met first.
//! That is also what ends recursive types, and what keeps a comparison polynomial when one version defines a type
//! inline where the other refers to it by name.
//!
//! Schemas come from anyone who can register one, and the diff is open to every reader, so what is read is bounded
//! (see [`MAX_SCHEMA_BYTES`] and the limits after it): a schema beyond a bound is refused with
//! [`SchemaError::TooLarge`], and a pair whose comparison would go beyond one with [`SchemaError::TooComplex`],
//! before either can exhaust the stack, the memory or the processor.
//!
//! apache-avro 0.21 answers whether one primitive or logical type can read another (int is promoted to long,
//! string reads bytes, ...). It cannot tell for two decimals, so decimals are compared here: by the spec they match
//! only with the same precision and scale. It ignores enum defaults, so enum symbols are compared here: a reader
//! missing a writer's symbol fails unless the reader's enum has a default.

use std::collections::{HashMap, HashSet};

use apache_avro::Schema;
use apache_avro::schema::{
    Alias, DecimalSchema, EnumSchema, Name, RecordField, RecordSchema, ResolvedSchema, SchemaKind,
};
use apache_avro::schema_compatibility::SchemaCompatibility;
use meshport_shared::schema::{ChangeKind, SchemaChange, SchemaField};
use serde_json::Value;

use crate::registry::CompatibilityLevel;

mod diff;
mod fields;
#[cfg(test)]
mod properties;

pub use diff::{MAX_COMPARED_FIELDS, MAX_DESCRIBED_BYTES, changes};
use fields::*;

/// The longest schema text read, in bytes: four times the API's request body limit, room for what a registry holds.
pub const MAX_SCHEMA_BYTES: usize = 1024 * 1024;
/// The deepest nesting of JSON objects and arrays read (30 levels of records take about 90). It also bounds how deep
/// a comparison follows references. serde_json gives up at 128 anyway; this says so in words first.
pub const MAX_NESTING: usize = 120;
/// The most fields (of all records together) a schema may have.
pub const MAX_FIELDS: usize = 10_000;
/// The most named types (records, enums, fixed) a schema may define.
pub const MAX_NAMED_TYPES: usize = 1_000;

/// Why a schema could not be read, or two not compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// JSON, but not a valid Avro schema; apache-avro's reason.
    #[error("the {which} is not a valid Avro schema: {reason}")]
    Invalid { which: &'static str, reason: String },
    /// Not JSON at all, so not Avro (a Protobuf schema, say).
    #[error("the {which} is not Avro: it is not even JSON ({reason})")]
    NotAvro { which: &'static str, reason: String },
    /// Longer, deeper or larger than Meshport reads; which bound, in words.
    #[error("the {which} is too large to read: {reason}")]
    TooLarge { which: &'static str, reason: String },
    /// Two schemas, each within bounds, whose comparison would go deeper or take longer than Meshport allows.
    #[error("the schemas are too complex to compare: {reason}")]
    TooComplex { reason: String },
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

/// Only the changes that break consumers under `level`.
pub fn breaking(old: &str, new: &str, level: CompatibilityLevel) -> Result<Vec<SchemaChange>, SchemaError> {
    let mut changes = changes(old, new, level)?;
    changes.retain(|change| change.breaking);
    Ok(changes)
}

/// Refuses a JSON schema text (Avro or JSON Schema) longer or more deeply nested than Meshport reads, before
/// anything parses it: one pass over the text, with no recursion.
pub fn within_bounds(text: &str, which: &'static str) -> Result<(), SchemaError> {
    let too_large = |reason: String| Err(SchemaError::TooLarge { which, reason });
    if text.len() > MAX_SCHEMA_BYTES {
        return too_large(format!("it is {} bytes long, and at most {MAX_SCHEMA_BYTES} are read", text.len()));
    }
    let (mut depth, mut in_string, mut escaped) = (0_usize, false, false);
    // Multi-byte UTF-8 sequences hold no ASCII bytes, so bytes are enough to find quotes and brackets.
    for byte in text.bytes() {
        match (in_string, byte) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (_, b'"') => in_string = !in_string,
            (false, b'{' | b'[') => depth += 1,
            (false, b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            return too_large(format!(
                "it nests objects and arrays more than {MAX_NESTING} levels deep; flatten it, e.g. by naming a \
                 nested record and referring to it by name"
            ));
        }
    }
    Ok(())
}

fn parse(text: &str, which: &'static str) -> Result<Schema, SchemaError> {
    within_bounds(text, which)?;
    let json = serde_json::from_str::<Value>(text)
        .map_err(|error| SchemaError::NotAvro { which, reason: error.to_string() })?;
    let invalid = |reason: String| SchemaError::Invalid { which, reason };
    check_names(&json).map_err(invalid)?;
    // apache-avro 0.21 unwraps in places while parsing; the names it panics on are checked above, and a panic this
    // fuzzing has not found yet becomes a refusal rather than a dropped request.
    let schema = std::panic::catch_unwind(|| Schema::parse(&json))
        .map_err(|_| invalid("apache-avro could not read it".to_owned()))?
        .map_err(|error| invalid(error.to_string()))?;
    let mut size = Size::default();
    size.add(&schema);
    if size.fields > MAX_FIELDS {
        let reason = format!("it has {} fields, and at most {MAX_FIELDS} are read", size.fields);
        return Err(SchemaError::TooLarge { which, reason });
    }
    if size.named_types > MAX_NAMED_TYPES {
        let reason = format!("it defines {} named types, and at most {MAX_NAMED_TYPES} are read", size.named_types);
        return Err(SchemaError::TooLarge { which, reason });
    }
    Ok(schema)
}

/// Checks the name and aliases of every named type, which apache-avro 0.21 unwraps (`"name": "6"` panics).
/// Recurses as deep as the JSON nests, which [`within_bounds`] has bounded.
fn check_names(json: &Value) -> Result<(), String> {
    match json {
        Value::Array(items) => items.iter().try_for_each(check_names),
        Value::Object(object) => {
            if let Some("record" | "error" | "enum" | "fixed") = object.get("type").and_then(Value::as_str) {
                let name = object.get("name").and_then(Value::as_str);
                let aliases = object.get("aliases").and_then(Value::as_array).into_iter().flatten();
                if let Some(bad) = name.into_iter().chain(aliases.filter_map(Value::as_str)).find(|n| !is_full_name(n))
                {
                    let bad: String = bad.chars().take(80).collect();
                    return Err(format!(
                        "`{bad}` is not an Avro name: use letters, digits and `_`, not starting with a digit, with \
                         `.` between a namespace's parts"
                    ));
                }
            }
            object.values().try_for_each(check_names)
        }
        _ => Ok(()),
    }
}

/// A name by Avro's rule: `[A-Za-z_][A-Za-z0-9_]*`, after an optional namespace of such parts joined by `.`.
fn is_full_name(name: &str) -> bool {
    let part = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match name.rsplit_once('.') {
        Some((namespace, last)) => part(last) && (namespace.is_empty() || namespace.split('.').all(part)),
        None => part(name),
    }
}

/// How many fields and named types a schema defines, references not followed.
#[derive(Debug, Default)]
struct Size {
    fields: usize,
    named_types: usize,
}

impl Size {
    /// Recurses as deep as the schema's JSON nests, which [`within_bounds`] has bounded.
    fn add(&mut self, schema: &Schema) {
        match schema {
            Schema::Record(record) => {
                self.named_types += 1;
                self.fields += record.fields.len();
                record.fields.iter().for_each(|field| self.add(&field.schema));
            }
            Schema::Enum(_) | Schema::Fixed(_) => self.named_types += 1,
            Schema::Decimal(decimal) => self.add(&decimal.inner),
            Schema::Array(array) => self.add(&array.items),
            Schema::Map(map) => self.add(&map.types),
            Schema::Union(union) => union.variants().iter().for_each(|variant| self.add(variant)),
            _ => {}
        }
    }
}

type Names<'a> = HashMap<Name, &'a Schema>;

/// The named types a schema defines, to follow its references.
fn names<'a>(schema: &'a Schema, which: &'static str) -> Result<Names<'a>, SchemaError> {
    ResolvedSchema::try_from(schema)
        .map(|resolved| resolved.get_names().clone())
        .map_err(|error| SchemaError::Invalid { which, reason: error.to_string() })
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
    fn a_record_of_a_union_replaced_by_another_reads_neither_way() {
        let union = |names: [&str; 2]| {
            value(&format!(
                r#"["null", {{"type": "record", "name": "{}", "fields": []}}, {{"type": "record", "name": "{}", "fields": []}}]"#,
                names[0], names[1]
            ))
        };

        check(
            &union(["Created", "Deleted"]),
            &union(["Renamed", "Deleted"]),
            Level::Full,
            &[(TypeChanged, "value", true), (TypeChanged, "value", true)],
        );
        let found = changes(&union(["Created", "Deleted"]), &union(["Renamed", "Deleted"]), Level::None).unwrap();
        let descriptions: Vec<&str> = found.iter().map(|change| change.description.as_str()).collect();
        assert_eq!(
            descriptions,
            ["field `value` no longer allows record Created", "field `value` now also allows record Renamed"]
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

    // The bounds.

    /// Records `R0` to `R{depth}`, each but the last with two fields of the next record's type, `first` defining it
    /// inline and `second` referring to it by name; the last has one field `x` of type `leaf`.
    fn nested(depth: usize, first: &str, second: &str, leaf: &str) -> String {
        (0..depth).rev().fold(
            format!(r#"{{"type": "record", "name": "R{depth}", "fields": [{{"name": "x", "type": "{leaf}"}}]}}"#),
            |inner, level| {
                let next = level + 1;
                format!(
                    r#"{{"type": "record", "name": "R{level}", "fields": [
                        {{"name": "{first}", "type": {inner}}}, {{"name": "{second}", "type": "R{next}"}}]}}"#
                )
            },
        )
    }

    /// A top-level record `Top` whose fields are `fields(i)` for `i` in `0..count`.
    fn top(count: usize, field: impl Fn(usize) -> String) -> String {
        let fields: Vec<String> = (0..count).map(field).collect();
        format!(r#"{{"type": "record", "name": "Top", "fields": [{}]}}"#, fields.join(", "))
    }

    fn too_large(error: SchemaError) -> String {
        assert!(matches!(error, SchemaError::TooLarge { .. }), "{error:?}");
        error.to_string()
    }

    fn too_complex(old: &str, new: &str, level: Level) -> String {
        let error = changes(old, new, level).unwrap_err();
        assert!(matches!(error, SchemaError::TooComplex { .. }), "{error:?}");
        error.to_string()
    }

    #[test]
    fn records_defined_inline_on_one_side_and_by_name_on_the_other_are_compared_once_at_every_level() {
        let old = nested(30, "a", "b", "int");
        let new = nested(30, "b", "a", "long");
        let deepest = format!("{}x", "b.".repeat(30));

        check(&old, &new, Level::Backward, &[(TypeChanged, &deepest, false)]);
        check(&old, &new, Level::Full, &[(TypeChanged, &deepest, true)]);
        check(&new, &new, Level::Full, &[]);
    }

    #[test]
    fn a_type_referred_to_by_name_on_both_sides_is_compared_where_neither_defines_it_in_a_matching_field() {
        let old = record(
            r#"{"name": "home", "type": {"type": "record", "name": "Address", "fields": [{"name": "zip", "type": "int"}]}},
            {"name": "work", "type": "Address"}"#,
        );
        let new = record(
            r#"{"name": "billing", "type": {"type": "record", "name": "Address", "fields": [{"name": "zip", "type": "string"}]}},
            {"name": "work", "type": "Address"}"#,
        );

        check(
            &old,
            &new,
            Level::Backward,
            &[(FieldAdded, "billing", true), (TypeChanged, "work.zip", true), (FieldRemoved, "home", false)],
        );
    }

    #[test]
    fn a_text_nested_ten_thousand_levels_deep_is_refused_before_it_is_parsed() {
        let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let types = format!("{}\"int\"{}", r#"{"type": "array", "items": "#.repeat(10_000), "}".repeat(10_000));

        for text in [&arrays, &types] {
            let message = too_large(fields(text).unwrap_err());
            assert!(message.starts_with("the schema is too large to read: it nests objects"), "{message}");
            assert!(message.contains(&format!("more than {MAX_NESTING} levels deep")), "{message}");
        }
        let message = too_large(changes(USERS, &types, Level::Full).unwrap_err());
        assert!(message.starts_with("the new schema is too large to read: "), "{message}");
    }

    #[test]
    fn the_deepest_schema_within_the_bounds_is_read_and_compared() {
        let arrays = |leaf: &str| {
            let open = r#"{"type": "array", "items": "#.repeat(MAX_NESTING);
            format!("{open}\"{leaf}\"{}", "}".repeat(MAX_NESTING))
        };

        let found = fields(&arrays("int")).unwrap();

        assert_eq!(found[0].type_name, format!("{}int", "array of ".repeat(MAX_NESTING)));
        check(&arrays("int"), &arrays("long"), Level::Backward, &[(TypeChanged, "", false)]);
    }

    #[test]
    fn a_named_type_whose_name_or_alias_is_not_an_avro_name_is_refused_rather_than_panicking() {
        let named = |name: &str, aliases: &str| {
            format!(r#"{{"type": "record", "name": "{name}", "aliases": [{aliases}], "fields": []}}"#)
        };
        let in_field = value(r#"{"type": "enum", "name": "Side", "aliases": ["buy-or-sell"], "symbols": ["BUY"]}"#);

        for (schema, bad) in [
            (named("6", ""), "6"),
            (named("com.acme.", ""), "com.acme."),
            (named("User", r#""old-user""#), "old-user"),
            (in_field, "buy-or-sell"),
        ] {
            let error = fields(&schema).unwrap_err();
            assert!(matches!(error, SchemaError::Invalid { .. }), "{error:?}");
            assert!(error.to_string().contains(&format!("`{bad}` is not an Avro name")), "{error}");
        }
        for name in ["User", "_User2", "com.acme.User", ".User"] {
            assert!(fields(&named(name, r#""Old", "com.acme.Older""#)).is_ok(), "{name}");
        }
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_nesting() {
        let doc = format!(r#"{{"name": "n", "type": "int", "doc": "{} \" {}"}}"#, "[{".repeat(200), "]".repeat(3));

        assert_eq!(fields(&record(&doc)).unwrap().len(), 1);
    }

    #[test]
    fn a_schema_longer_than_the_bound_is_refused() {
        let long = record(&format!(r#"{{"name": "n", "type": "int", "doc": "{}"}}"#, "x".repeat(MAX_SCHEMA_BYTES)));

        let message = too_large(fields(&long).unwrap_err());

        assert!(message.contains(&format!("at most {MAX_SCHEMA_BYTES} are read")), "{message}");
    }

    #[test]
    fn a_schema_with_more_fields_or_named_types_than_the_bounds_is_refused() {
        let wide = top(MAX_FIELDS + 1, |i| format!(r#"{{"name": "f{i}", "type": "int"}}"#));
        let enums = top(MAX_NAMED_TYPES, |i| {
            format!(r#"{{"name": "f{i}", "type": {{"type": "enum", "name": "E{i}", "symbols": ["A"]}}}}"#)
        });

        let message = too_large(fields(&wide).unwrap_err());
        assert!(message.ends_with(&format!("it has {} fields, and at most {MAX_FIELDS} are read", MAX_FIELDS + 1)));
        let message = too_large(changes(USERS, &enums, Level::Full).unwrap_err());
        assert!(
            message.ends_with(&format!("it defines {} named types, and at most 1000 are read", MAX_NAMED_TYPES + 1))
        );
    }

    #[test]
    fn a_comparison_that_references_make_deeper_than_the_bound_is_refused() {
        // Old: a chain of records, each referring to the one before; new: one record referring to itself.
        let chain = top(200, |i| match i {
            0 => r#"{"name": "c0", "type": {"type": "record", "name": "A0", "fields": []}}"#.to_owned(),
            _ => format!(
                r#"{{"name": "c{i}", "type": {{"type": "record", "name": "A{i}", "fields": [{{"name": "prev", "type": "A{}"}}]}}}}"#,
                i - 1
            ),
        });
        let itself = r#"{"type": "record", "name": "Top", "fields": [{"name": "c199", "type": {"type": "record",
            "name": "A199", "fields": [{"name": "prev", "type": "A199"}]}}]}"#;

        let message = too_complex(&chain, itself, Level::Full);

        assert!(message.ends_with(&format!("comparing them goes more than {MAX_NESTING} types deep")), "{message}");
    }

    #[test]
    fn a_comparison_that_would_look_at_too_many_fields_is_refused() {
        // Every one of 70 old records meets every one of 70 new ones, each with 70 fields.
        let records = |prefix: &str, inline: fn(usize, usize) -> (usize, bool)| {
            top(70 * 70, |at| {
                let (index, defines) = inline(at / 70, at % 70);
                let name = format!("{prefix}{index}");
                let fields: Vec<String> = (0..70).map(|f| format!(r#"{{"name": "f{f}", "type": "int"}}"#)).collect();
                let field_type = match defines {
                    true => format!(r#"{{"type": "record", "name": "{name}", "fields": [{}]}}"#, fields.join(", ")),
                    false => format!("\"{name}\""),
                };
                format!(r#"{{"name": "t{at}", "type": {field_type}}}"#)
            })
        };
        let old = records("A", |i, j| (i, j == 0));
        let new = records("C", |i, j| (j, i == 0));

        let message = too_complex(&old, &new, Level::Full);

        assert!(message.ends_with(&format!("looks at more than {MAX_COMPARED_FIELDS} fields")), "{message}");
    }

    #[test]
    fn changes_that_would_take_too_much_text_to_describe_are_refused() {
        let symbols: Vec<String> = (0..5_000).map(|i| format!("\"S{i}\"")).collect();
        let enum_type = format!(r#"{{"type": "enum", "name": "E", "symbols": [{}]}}"#, symbols.join(", "));
        let old = top(100, |i| format!(r#"{{"name": "e{i}", "type": {}}}"#, if i == 0 { &enum_type } else { "\"E\"" }));
        let new = top(100, |i| format!(r#"{{"name": "e{i}", "type": "string"}}"#));

        let message = too_complex(&old, &new, Level::Full);

        assert!(message.ends_with(&format!("more than {MAX_DESCRIBED_BYTES} bytes to describe")), "{message}");
    }
}
