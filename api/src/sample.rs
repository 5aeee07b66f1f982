//! Samples of a product's events for people to look at: the newest records, decoded from Confluent's wire format
//! with the writer's schema, and every field the product marks as personal data masked before it leaves the API.

pub mod avro;

use std::collections::HashMap;

use meshport_shared::DataProduct;
use meshport_shared::api::{Sample, SampleEvent};
use serde_json::Value;

use crate::error::Error;
use crate::kafka::SampledRecord;
use crate::mesh::Mesh;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

pub async fn sample(mesh: &Mesh, product: &DataProduct, limit: usize) -> Result<Sample, Error> {
    let records = mesh.kafka.sample(&product.output_port.topic, limit).await?;
    // The newest `limit` across partitions.
    let records = &records[records.len().saturating_sub(limit)..];
    let mut schemas: HashMap<i32, Result<apache_avro::Schema, String>> = HashMap::new();
    let mut events = Vec::with_capacity(records.len());
    for record in records {
        let (schema_id, mut value) = decode(mesh, &mut schemas, record).await;
        for path in &product.personal_fields {
            mask(&mut value, &path.split('.').collect::<Vec<_>>());
        }
        events.push(SampleEvent {
            partition: record.partition,
            offset: record.offset,
            timestamp: record
                .timestamp_ms
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map(|t| t.to_string()),
            // Keys are often the very identifiers that are personal (a user id, an email): masked with them.
            key: record.key.as_ref().map(|k| match product.personal_fields.is_empty() {
                true => String::from_utf8_lossy(k).into_owned(),
                false => MASK.to_owned(),
            }),
            value,
            schema_id,
        });
    }
    Ok(Sample { events, masked_fields: product.personal_fields.clone() })
}

async fn decode(
    mesh: &Mesh,
    schemas: &mut HashMap<i32, Result<apache_avro::Schema, String>>,
    record: &SampledRecord,
) -> (Option<i32>, Value) {
    let undecodable = |why: String| serde_json::json!({ "undecodable": why });
    let Some(payload) = record.value.as_deref() else { return (None, Value::Null) };
    let [0, a, b, c, d, body @ ..] = payload else {
        return (None, undecodable("not in Confluent's wire format (no magic byte and schema id)".into()));
    };
    let id = i32::from_be_bytes([*a, *b, *c, *d]);
    if let std::collections::hash_map::Entry::Vacant(slot) = schemas.entry(id) {
        let schema = match mesh.registry.schema_by_id(id).await {
            Ok(registered) => apache_avro::Schema::parse_str(&registered.schema).map_err(|e| e.to_string()),
            Err(e) => Err(format!("schema {id} unavailable: {e}")),
        };
        slot.insert(schema);
    }
    let value = match &schemas[&id] {
        Err(why) => undecodable(why.clone()),
        Ok(schema) => match apache_avro::from_avro_datum(schema, &mut &body[..], None) {
            Ok(datum) => Value::try_from(datum).unwrap_or_else(|e| undecodable(e.to_string())),
            Err(e) => undecodable(format!("does not match schema {id}: {e}")),
        },
    };
    (Some(id), value)
}

/// Replaces the value at `path` (object keys, looking through arrays and Avro union wrappers) with the mask.
fn mask(value: &mut Value, path: &[&str]) {
    match (value, path) {
        (Value::Array(items), _) => items.iter_mut().for_each(|item| mask(item, path)),
        (Value::Object(fields), [name, rest @ ..]) => {
            if let Some(field) = fields.get_mut(*name) {
                if rest.is_empty() {
                    if !field.is_null() {
                        *field = Value::String(MASK.into());
                    }
                } else {
                    mask(field, rest);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(mut value: Value, path: &str, expected: Value) {
        mask(&mut value, &path.split('.').collect::<Vec<_>>());
        assert_eq!(value, expected);
    }

    #[test]
    fn personal_fields_are_masked_wherever_they_are() {
        check(json!({"email": "a@b.c", "id": 1}), "email", json!({"email": MASK, "id": 1}));
        check(json!({"customer": {"email": "a@b.c"}}), "customer.email", json!({"customer": {"email": MASK}}));
        check(
            json!({"lines": [{"card": "4111"}, {"card": "5500"}]}),
            "lines.card",
            json!({"lines": [{"card": MASK}, {"card": MASK}]}),
        );
        check(json!({"email": null}), "email", json!({"email": null}));
        check(json!({"id": 1}), "email", json!({"id": 1}));
    }
}
