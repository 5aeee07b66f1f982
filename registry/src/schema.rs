//! Schemas as the registry keeps them: their type, text and references, checked and keyed once on the way in.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::error::RegistryError;

/// The `schemaType` of Confluent's API; requests without one mean Avro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SchemaType {
    Avro,
    Json,
    Protobuf,
}

impl SchemaType {
    pub(crate) const ALL: [Self; 3] = [Self::Json, Self::Protobuf, Self::Avro];

    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, RegistryError> {
        match raw.map(str::to_ascii_uppercase).as_deref() {
            None | Some("AVRO") => Ok(Self::Avro),
            Some("JSON") => Ok(Self::Json),
            Some("PROTOBUF") => Ok(Self::Protobuf),
            Some(other) => {
                Err(RegistryError::InvalidSchema(format!("Invalid schema type `{other}`: use AVRO, JSON or PROTOBUF")))
            }
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Json => "JSON",
            Self::Protobuf => "PROTOBUF",
        }
    }

    /// What responses carry in `schemaType`: Confluent leaves it out for Avro.
    pub(crate) fn in_response(self) -> Option<&'static str> {
        (self != Self::Avro).then_some(self.as_str())
    }
}

/// A schema's dependency on a version registered under another subject, named as the schema names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// What makes two registrations the same schema: its type, its text up to JSON whitespace and key order, and its
/// references.
///
/// Avro's Parsing Canonical Form would be the obvious key, but it drops `default`, `doc` and `aliases`, and a new
/// default is exactly the change that makes a schema compatible: keyed by it, registering "the same record, now
/// with a default" would silently hand back the old schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SchemaKey {
    schema_type: SchemaType,
    text: String,
    references: Vec<Reference>,
}

/// A schema as stored under its global id.
#[derive(Debug)]
pub(crate) struct StoredSchema {
    pub id: i32,
    pub schema_type: SchemaType,
    /// The text as first registered; Confluent would answer with its own re-serialisation instead.
    pub text: String,
    pub references: Vec<Reference>,
    /// Parsed once, with its references resolved, for compatibility checks; `None` for JSON and Protobuf.
    pub avro: Option<apache_avro::Schema>,
    pub key: SchemaKey,
}

/// A schema from a request, checked but not stored yet.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub schema_type: SchemaType,
    pub text: String,
    pub references: Vec<Reference>,
    pub avro: Option<apache_avro::Schema>,
    pub key: SchemaKey,
}

impl Candidate {
    /// Checks `text` as a schema of `schema_type`; `referenced` holds the text of every Avro schema it references,
    /// directly or not.
    pub(crate) fn parse(
        schema_type: SchemaType,
        text: String,
        references: Vec<Reference>,
        referenced: &[&str],
    ) -> Result<Self, RegistryError> {
        if text.trim().is_empty() {
            return Err(RegistryError::InvalidSchema("Empty schema".to_owned()));
        }
        let avro = match schema_type {
            SchemaType::Avro => Some(parse_avro(&text, referenced)?),
            SchemaType::Json => {
                serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                    RegistryError::InvalidSchema(format!("Invalid schema: a JSON schema must be JSON: {e}"))
                })?;
                None
            }
            // No Protobuf parser here: the text is stored as given, see the crate documentation.
            SchemaType::Protobuf => None,
        };
        let key = SchemaKey { schema_type, text: canonical_text(&text), references: references.clone() };
        Ok(Self { schema_type, text, references, avro, key })
    }

    pub(crate) fn into_stored(self, id: i32) -> StoredSchema {
        StoredSchema {
            id,
            schema_type: self.schema_type,
            text: self.text,
            references: self.references,
            avro: self.avro,
            key: self.key,
        }
    }
}

fn parse_avro(text: &str, referenced: &[&str]) -> Result<apache_avro::Schema, RegistryError> {
    let parsed = if referenced.is_empty() {
        apache_avro::Schema::parse_str(text)
    } else {
        apache_avro::Schema::parse_str_with_list(text, referenced).map(|(schema, _)| schema)
    };
    parsed.map_err(|e| RegistryError::InvalidSchema(format!("Invalid schema: {}", error_chain(&e))))
}

/// An error and its causes on one line, so a person sees why, not only that, parsing failed.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause = cause.to_string();
        // Some errors already print their cause; say it once.
        if !text.contains(&cause) {
            let _ = write!(text, ": {cause}");
        }
        source = source.and_then(std::error::Error::source);
    }
    text
}

/// JSON text with object keys sorted and no insignificant whitespace; other text as given.
fn canonical_text(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            let mut out = String::with_capacity(text.len());
            write_sorted(&value, &mut out);
            out
        }
        Err(_) => text.to_owned(),
    }
}

fn write_sorted(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_sorted(value, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_ignores_whitespace_and_key_order() {
        let a = canonical_text(r#"{"type": "record", "name": "A", "fields": []}"#);
        let b = canonical_text(r#"{"name":"A","fields":[],"type":"record"}"#);
        assert_eq!(a, b);
    }

    #[test]
    fn a_new_default_makes_a_different_schema() {
        let without = r#"{"type":"record","name":"A","fields":[{"name":"b","type":"string"}]}"#;
        let with = r#"{"type":"record","name":"A","fields":[{"name":"b","type":"string","default":"x"}]}"#;
        let parse = |text: &str| Candidate::parse(SchemaType::Avro, text.to_owned(), vec![], &[]).unwrap().key;
        assert_ne!(parse(without), parse(with));
    }

    #[test]
    fn avro_parse_errors_say_why() {
        let error = Candidate::parse(SchemaType::Avro, r#"{"type":"recrod"}"#.to_owned(), vec![], &[]).unwrap_err();
        assert_eq!(error.error_code(), 42201);
        assert!(error.to_string().starts_with("Invalid schema: "), "{error}");
    }
}
