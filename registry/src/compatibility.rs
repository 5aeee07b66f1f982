//! Compatibility levels and the checks behind them: apache-avro decides, this module explains its verdict in
//! Confluent's message format.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use apache_avro::Schema;
use apache_avro::error::CompatibilityError;
use apache_avro::schema::{Name, ResolvedSchema, SchemaKind};
use apache_avro::schema_compatibility::SchemaCompatibility;

use crate::error::RegistryError;
use crate::schema::{SchemaType, StoredSchema};

/// How a subject's new versions must relate to its earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl Level {
    const ALL: [Self; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// Parses a level as Confluent does, ignoring case.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether a new version is checked against every earlier version rather than the latest only.
    pub(crate) fn is_transitive(self) -> bool {
        matches!(self, Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive)
    }

    fn directions(self) -> &'static [Direction] {
        match self {
            Self::None => &[],
            Self::Backward | Self::BackwardTransitive => &[Direction::Backward],
            Self::Forward | Self::ForwardTransitive => &[Direction::Forward],
            Self::Full | Self::FullTransitive => &[Direction::Backward, Direction::Forward],
        }
    }
}

/// Who reads whose data: backward, the new schema reads data written with an old one; forward, the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Backward,
    Forward,
}

impl Direction {
    /// The roles of (reader, writer) in Confluent's words.
    fn roles(self) -> (&'static str, &'static str) {
        match self {
            Self::Backward => ("new", "old"),
            Self::Forward => ("old", "new"),
        }
    }
}

/// The new schema being checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checked<'a> {
    pub schema_type: SchemaType,
    pub avro: Option<&'a Schema>,
}

/// An earlier version of the subject the new schema is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Earlier<'a> {
    pub version: i32,
    pub schema: &'a StoredSchema,
}

/// Checks `new` against each of `earlier` under `level` and returns every incompatibility in Confluent's verbose
/// format: one entry per problem, then `{oldSchemaVersion: N}`, `{oldSchema: '...'}` and `{compatibility: '...'}`
/// for each earlier version that fails. Empty means compatible.
///
/// Only Avro is checked: for JSON and Protobuf the registry refuses to guess instead of claiming compatibility.
pub(crate) fn check(
    level: Level,
    subject: &str,
    new: Checked<'_>,
    earlier: &[Earlier<'_>],
) -> Result<Vec<String>, RegistryError> {
    let mut messages = Vec::new();
    if level == Level::None {
        return Ok(messages);
    }
    for old in earlier {
        let mut problems = Vec::new();
        if old.schema.schema_type != new.schema_type {
            problems.push(format!(
                "{{errorType:'SCHEMA_TYPE_MISMATCH', description:'The new schema is {} but version {} is {}'}}",
                new.schema_type.as_str(),
                old.version,
                old.schema.schema_type.as_str()
            ));
        } else {
            let (Some(new_avro), Some(old_avro)) = (new.avro, old.schema.avro.as_ref()) else {
                return Err(RegistryError::InvalidSchema(format!(
                    "Invalid schema: this dev registry checks compatibility of AVRO schemas only, so it cannot \
                     tell whether this {} schema is {} compatible with version {} of subject '{subject}'; set \
                     the subject's compatibility to NONE to register it anyway",
                    new.schema_type.as_str(),
                    level.as_str(),
                    old.version
                )));
            };
            for &direction in level.directions() {
                if let Some(problem) = check_avro(direction, new_avro, old_avro)? {
                    problems.push(problem);
                }
            }
        }
        if !problems.is_empty() {
            messages.extend(problems);
            messages.push(format!("{{oldSchemaVersion: {}}}", old.version));
            messages.push(format!("{{oldSchema: '{}'}}", old.schema.text));
            messages.push(format!("{{compatibility: '{}'}}", level.as_str()));
        }
    }
    Ok(messages)
}

fn check_avro(direction: Direction, new: &Schema, old: &Schema) -> Result<Option<String>, RegistryError> {
    let (reader, writer) = match direction {
        Direction::Backward => (new, old),
        Direction::Forward => (old, new),
    };
    // apache-avro `expect`s a few invariants inside its checker; a panic there must not take the registry down.
    let verdict = catch_unwind(AssertUnwindSafe(|| SchemaCompatibility::can_read(writer, reader)))
        .map_err(|_| RegistryError::Store)?;
    Ok(verdict.err().map(|error| explain(&error, direction, reader, writer)))
}

/// Turns apache-avro's verdict into Confluent's `{errorType:'...', description:'...', additionalInfo:'...'}`.
fn explain(error: &CompatibilityError, direction: Direction, reader: &Schema, writer: &Schema) -> String {
    // apache-avro wraps an error found inside a field once per enclosing field: unwrap it into a path.
    let mut path: Vec<&str> = Vec::new();
    let mut leaf = error;
    while let CompatibilityError::FieldTypeMismatch(field, inner) = leaf {
        path.push(field);
        leaf = inner;
    }
    let (reader_role, writer_role) = direction.roles();
    let reader_names = names(reader);
    let writer_names = names(writer);
    let reader_at = locate(reader, &path, &reader_names);
    let writer_at = locate(writer, &path, &writer_names);
    let at = if path.is_empty() { "the top level".to_owned() } else { format!("field '{}'", path.join(".")) };

    let (kind, description, info) = match leaf {
        CompatibilityError::MissingDefaultValue(field) => {
            let full = path.iter().copied().chain([field.as_str()]).collect::<Vec<_>>().join(".");
            (
                "READER_FIELD_MISSING_DEFAULT_VALUE",
                format!(
                    "The field '{full}' in the {reader_role} schema has no default value and is missing in the \
                     {writer_role} schema"
                ),
                Some(field.clone()),
            )
        }
        CompatibilityError::MissingSymbols => {
            let missing = match (reader_at, writer_at) {
                (Some(Schema::Enum(r)), Some(Schema::Enum(w))) => {
                    w.symbols.iter().filter(|s| !r.symbols.contains(s)).cloned().collect::<Vec<_>>()
                }
                _ => Vec::new(),
            };
            (
                "MISSING_ENUM_SYMBOLS",
                format!(
                    "The {reader_role} schema is missing enum symbols '[{}]' at {at} that the {writer_role} schema \
                     has",
                    missing.join(", ")
                ),
                Some(format!("[{}]", missing.join(", "))),
            )
        }
        CompatibilityError::MissingUnionElements => (
            "MISSING_UNION_BRANCH",
            format!(
                "The {reader_role} schema cannot read every type the {writer_role} schema allows at {at}: a union \
                 is missing a branch"
            ),
            None,
        ),
        CompatibilityError::NameMismatch { writer_name, reader_name } => (
            "NAME_MISMATCH",
            format!(
                "The name of the type at {at} is '{reader_name}' in the {reader_role} schema but '{writer_name}' in \
                 the {writer_role} schema"
            ),
            Some(format!("expected: {writer_name}")),
        ),
        CompatibilityError::FixedMismatch => (
            "FIXED_SIZE_MISMATCH",
            format!(
                "The fixed type at {at} differs in name or size between the {reader_role} and {writer_role} schema"
            ),
            None,
        ),
        CompatibilityError::WrongType { .. }
        | CompatibilityError::TypeExpected { .. }
        | CompatibilityError::Inconclusive(_)
        | CompatibilityError::FieldTypeMismatch(..) => (
            "TYPE_MISMATCH",
            format!("The type of {at} in the {reader_role} schema does not match the {writer_role} schema"),
            match (reader_at, writer_at) {
                (Some(r), Some(w)) => Some(format!(
                    "reader type: {} not compatible with writer type: {}",
                    kind_name(r, &reader_names),
                    kind_name(w, &writer_names)
                )),
                _ => None,
            },
        ),
    };
    match info {
        Some(info) => format!("{{errorType:'{kind}', description:'{description}', additionalInfo:'{info}'}}"),
        None => format!("{{errorType:'{kind}', description:'{description}'}}"),
    }
}

type Names<'a> = HashMap<Name, &'a Schema>;

/// The named types a schema defines, to follow its references by name; empty when it cannot be resolved.
fn names(schema: &Schema) -> Names<'_> {
    ResolvedSchema::try_from(schema).map(|resolved| resolved.get_names().clone()).unwrap_or_default()
}

fn resolve<'a>(schema: &'a Schema, names: &Names<'a>) -> &'a Schema {
    match schema {
        Schema::Ref { name } => names.get(name).copied().unwrap_or(schema),
        other => other,
    }
}

/// The schema of the field at `path`, looking through arrays, maps and unions on the way.
fn locate<'a>(schema: &'a Schema, path: &[&str], names: &Names<'a>) -> Option<&'a Schema> {
    let mut at = resolve(schema, names);
    for field in path {
        at = field_of(at, field, names, 0)?;
    }
    Some(resolve(at, names))
}

fn field_of<'a>(schema: &'a Schema, field: &str, names: &Names<'a>, depth: usize) -> Option<&'a Schema> {
    // Recursive types can nest forever through arrays and unions; a real path is never this deep.
    if depth > 32 {
        return None;
    }
    match resolve(schema, names) {
        Schema::Record(record) => record.lookup.get(field).map(|&i| &record.fields[i].schema),
        Schema::Array(array) => field_of(&array.items, field, names, depth + 1),
        Schema::Map(map) => field_of(&map.types, field, names, depth + 1),
        Schema::Union(union) => union.variants().iter().find_map(|v| field_of(v, field, names, depth + 1)),
        _ => None,
    }
}

/// A type's name as Confluent prints it: `STRING`, `RECORD`, `TIMESTAMP_MILLIS`.
fn kind_name(schema: &Schema, names: &Names<'_>) -> String {
    let kind = format!("{:?}", SchemaKind::from(resolve(schema, names)));
    let mut out = String::with_capacity(kind.len() + 4);
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avro(text: &str) -> Schema {
        Schema::parse_str(text).unwrap()
    }

    fn explain_backward(new: &str, old: &str) -> Option<String> {
        check_avro(Direction::Backward, &avro(new), &avro(old)).unwrap()
    }

    #[test]
    fn a_new_field_without_default_is_explained_with_its_name() {
        let old = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#;
        let new = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}"#;
        let message = explain_backward(new, old).unwrap();
        assert_eq!(
            message,
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' in the new schema has \
             no default value and is missing in the old schema', additionalInfo:'email'}"
        );
    }

    #[test]
    fn a_changed_nested_field_type_names_the_path_and_both_types() {
        let old = r#"{"type":"record","name":"User","fields":[{"name":"address","type":{"type":"record","name":"Address","fields":[{"name":"zip","type":"int"}]}}]}"#;
        let new = r#"{"type":"record","name":"User","fields":[{"name":"address","type":{"type":"record","name":"Address","fields":[{"name":"zip","type":"boolean"}]}}]}"#;
        let message = explain_backward(new, old).unwrap();
        assert!(message.contains("field 'address.zip'"), "{message}");
        assert!(message.contains("reader type: BOOLEAN not compatible with writer type: INT"), "{message}");
    }

    #[test]
    fn removed_enum_symbols_are_listed() {
        let old = r#"{"type":"enum","name":"Colour","symbols":["RED","GREEN","BLUE"]}"#;
        let new = r#"{"type":"enum","name":"Colour","symbols":["RED"]}"#;
        let message = explain_backward(new, old).unwrap();
        assert!(message.contains("'[GREEN, BLUE]'"), "{message}");
    }

    #[test]
    fn levels_parse_ignoring_case() {
        assert_eq!(Level::parse("full_transitive"), Some(Level::FullTransitive));
        assert_eq!(Level::parse("sideways"), None);
    }
}
