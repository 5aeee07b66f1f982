//! Schema shapes shared by the API and the portal: the fields of a schema and the changes between versions.

use serde::{Deserialize, Deserializer, Serialize};

/// One field of a schema, with the fields of the record it holds, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaField {
    pub name: String,
    /// The field's dotted path from the top-level record, e.g. `customer.address.street`; the path personal-data
    /// rules and schema changes name it by.
    pub path: String,
    /// The type for people: `string`, `long (timestamp-millis)`, `enum Gender: FEMALE | MALE`, `array of string`,
    /// `map of long`, `record Address`, or `Address (defined above)` for a named type used a second time.
    pub type_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Whether the field may be null (its type is a union with `null`); `type_name` then describes the rest.
    pub optional: bool,
    /// The field's default as written in the schema. `Some(Value::Null)` is a default of `null`, which is not
    /// the same as no default: the field is serialized only when it has a default.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub default: Option<serde_json::Value>,
    /// The fields of the record this field holds, also through optional unions, arrays and maps of that record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub fields: Vec<SchemaField>,
}

/// What kind of difference between two schema versions a [`SchemaChange`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    FieldAdded,
    FieldRemoved,
    /// A field took a new name and lists the old one in its `aliases`.
    Renamed,
    /// The type changed: another primitive or logical type, a renamed record, enum or fixed, a union branch
    /// added or removed.
    TypeChanged,
    DefaultAdded,
    DefaultRemoved,
    DefaultChanged,
    /// The field may now be null.
    BecameOptional,
    /// The field may no longer be null.
    BecameRequired,
    DocChanged,
    /// Enum symbols were added, removed or reordered.
    SymbolsChanged,
}

impl ChangeKind {
    pub const ALL: [Self; 11] = [
        Self::FieldAdded,
        Self::FieldRemoved,
        Self::Renamed,
        Self::TypeChanged,
        Self::DefaultAdded,
        Self::DefaultRemoved,
        Self::DefaultChanged,
        Self::BecameOptional,
        Self::BecameRequired,
        Self::DocChanged,
        Self::SymbolsChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FieldAdded => "field_added",
            Self::FieldRemoved => "field_removed",
            Self::Renamed => "renamed",
            Self::TypeChanged => "type_changed",
            Self::DefaultAdded => "default_added",
            Self::DefaultRemoved => "default_removed",
            Self::DefaultChanged => "default_changed",
            Self::BecameOptional => "became_optional",
            Self::BecameRequired => "became_required",
            Self::DocChanged => "doc_changed",
            Self::SymbolsChanged => "symbols_changed",
        }
    }
}

/// One difference between two versions of a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaChange {
    pub kind: ChangeKind,
    /// The dotted path of the field it concerns; empty for the value as a whole.
    pub path: String,
    /// A sentence a person can act on, e.g. "field `email` was removed and had no default: consumers on the old
    /// schema cannot read newer events; ...".
    pub description: String,
    /// Whether the change breaks consumers under the compatibility level it was evaluated for.
    pub breaking: bool,
}

/// Reads a field that is present as `Some`, even when its value is `null`; an absent field stays `None` through
/// `#[serde(default)]`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn field(default: Option<Value>) -> SchemaField {
        SchemaField {
            name: "email".to_owned(),
            path: "email".to_owned(),
            type_name: "string".to_owned(),
            doc: None,
            optional: true,
            default,
            fields: Vec::new(),
        }
    }

    fn round_trip(field: &SchemaField) -> SchemaField {
        serde_json::from_value(serde_json::to_value(field).unwrap()).unwrap()
    }

    #[test]
    fn a_null_default_survives_a_round_trip_as_a_default() {
        let field = field(Some(Value::Null));
        assert_eq!(serde_json::to_value(&field).unwrap()["default"], Value::Null);
        assert_eq!(round_trip(&field), field);
    }

    #[test]
    fn a_field_without_default_is_serialized_without_one() {
        let field = field(None);
        assert!(serde_json::to_value(&field).unwrap().get("default").is_none());
        assert_eq!(round_trip(&field), field);
    }

    #[test]
    fn change_kinds_are_snake_case_on_the_wire() {
        for kind in ChangeKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
    }

    #[test]
    fn a_change_reads_back_as_written() {
        let change = SchemaChange {
            kind: ChangeKind::FieldRemoved,
            path: "customer.email".to_owned(),
            description: "field `customer.email` was removed".to_owned(),
            breaking: false,
        };
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["kind"], "field_removed");
        assert_eq!(serde_json::from_value::<SchemaChange>(json).unwrap(), change);
    }
}
