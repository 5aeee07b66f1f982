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

mod diff;
mod fields;

pub use diff::changes;
use fields::*;

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
