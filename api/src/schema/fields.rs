//! The field tree of a schema, for the product page: each field with its type in words, nested records opened.

use super::*;

pub(super) fn describe_field(parent: &str, field: &RecordField) -> SchemaField {
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

pub(super) fn whole_value(schema: &Schema) -> SchemaField {
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
pub(super) fn children(schema: &Schema, path: &str) -> Vec<SchemaField> {
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

pub(super) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_owned() } else { format!("{parent}.{name}") }
}

pub(super) fn is_optional(schema: &Schema) -> bool {
    split_null(schema).0
}

/// Whether `schema` allows null, and its other branches: the schema itself when it is not a union.
pub(super) fn split_null(schema: &Schema) -> (bool, Vec<&Schema>) {
    match schema {
        Schema::Union(union) => {
            let branches = union.variants().iter().filter(|variant| !matches!(variant, Schema::Null)).collect();
            (union.is_nullable(), branches)
        }
        other => (false, vec![other]),
    }
}

/// The type of a field whose nullability is said separately.
pub(super) fn describe_without_null(schema: &Schema) -> String {
    match split_null(schema).1.as_slice() {
        [] => "null".to_owned(),
        [only] => describe(only),
        several => {
            format!("union of {}", several.iter().map(|branch| describe(branch)).collect::<Vec<_>>().join(" | "))
        }
    }
}

/// A type in words: `long (timestamp-millis)`, `array of record Address`, `enum Side: BUY | SELL`.
pub(super) fn describe(schema: &Schema) -> String {
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
pub(super) fn plain_name(schema: &Schema) -> Option<&'static str> {
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

pub(super) fn describe_enum(enumeration: &EnumSchema) -> String {
    let symbols = enumeration.symbols.join(" | ");
    match &enumeration.default {
        Some(default) => format!("enum {}: {symbols} (default {default})", enumeration.name.name),
        None => format!("enum {}: {symbols}", enumeration.name.name),
    }
}

pub(super) fn describe_decimal(decimal: &DecimalSchema) -> String {
    let (precision, scale) = (decimal.precision, decimal.scale);
    match decimal.inner.as_ref() {
        Schema::Fixed(fixed) => {
            format!("fixed {} ({} bytes, decimal({precision}, {scale}))", fixed.name.name, fixed.size)
        }
        _ => format!("bytes (decimal({precision}, {scale}))"),
    }
}

// The changes.
