//! Samples of a product's events for people to look at: the newest records, decoded from Confluent's wire format
//! with the writer's schema, and every field the product marks as personal data masked before it leaves the API.
//!
//! Whoever can write to the topic writes its records, so nothing in one is trusted. A record is decoded only with a
//! schema of the product's own value subject (a record naming any other schema id is not decoded), by `avro`, within
//! budgets of depth, size and time; a record that cannot be decoded is an entry saying why, never a failed request.

pub mod avro;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use meshport_shared::api::{Sample, SampleEvent};
use meshport_shared::{DataProduct, SchemaFormat, SubjectName};
use serde_json::Value;

use self::avro::{Budget, Undecodable, WriterSchema};
use crate::error::Error;
use crate::kafka::{Payload, SampleSize, SampledRecord};
use crate::mesh::Mesh;
use crate::registry::{RegistryError, VersionRef};

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// The largest key a sample shows, and the largest value it decodes; larger ones are named by their size. They also
/// bound what a sample holds in memory: at most a hundred records of this size.
const KEY_BYTES: usize = 1024;
const VALUE_BYTES: usize = 256 * 1024;
/// What decoding one record may produce: values (JSON nodes) and bytes of JSON.
const RECORD_VALUES: usize = 100_000;
const RECORD_TEXT: usize = 512 * 1024;
/// What decoding a whole sample may produce, which keeps its answer well within Lambda's 6 MB, and how long it may
/// take.
const SAMPLE_VALUES: usize = 500_000;
const SAMPLE_TEXT: usize = 4 * 1024 * 1024;
const DECODING_TIME: Duration = Duration::from_secs(2);
/// How long the registry is asked, at most, about versions of the subject the mirror does not have yet, and how many
/// of them (the newest) are read.
const REGISTRY_TIME: Duration = Duration::from_secs(3);
const UNMIRRORED_VERSIONS: usize = 10;

/// The newest `limit` events of the product's topic, oldest first.
pub async fn sample(mesh: &Mesh, product: &DataProduct, limit: usize) -> Result<Sample, Error> {
    let size = SampleSize { records: limit, key_bytes: KEY_BYTES, value_bytes: VALUE_BYTES };
    let records = mesh.kafka.sample(&product.output_port.topic, size).await?;
    let mut schemas = WriterSchemas::of(mesh, &product.output_port.value_subject).await?;
    let mut allowance = Budget { values: SAMPLE_VALUES, text: SAMPLE_TEXT, deadline: Instant::now() + DECODING_TIME };
    let mut events = Vec::with_capacity(records.len());
    for record in &records {
        let (schema_id, decoded) = decode(&mut schemas, &mut allowance, record).await;
        let (value, undecodable) = match decoded {
            Ok(mut value) => {
                for path in &product.personal_fields {
                    mask(&mut value, &path.split('.').collect::<Vec<_>>());
                }
                (value, None)
            }
            Err(why) => (serde_json::json!({ "undecodable": why }), Some(why)),
        };
        events.push(SampleEvent {
            partition: record.partition,
            offset: record.offset,
            timestamp: record
                .timestamp_ms
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map(|t| t.to_string()),
            // Keys are often the very identifiers that are personal (a user id, an email): masked with them.
            key: record.key.as_ref().map(|key| match (product.personal_fields.is_empty(), key) {
                (false, _) => MASK.to_owned(),
                (true, Payload::Bytes(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
                (true, Payload::TooLarge(length)) => format!("({length} bytes, too long to show)"),
            }),
            value,
            schema_id,
            undecodable,
        });
    }
    Ok(Sample { events, masked_fields: product.personal_fields.clone() })
}

/// One record's value decoded within what is left of the sample's `allowance`, with the schema id its header names;
/// or why it cannot be.
async fn decode(
    schemas: &mut WriterSchemas<'_>,
    allowance: &mut Budget,
    record: &SampledRecord,
) -> (Option<i32>, Result<Value, String>) {
    let payload = match &record.value {
        None => return (None, Ok(Value::Null)),
        Some(Payload::TooLarge(length)) => {
            let limit = VALUE_BYTES / 1024;
            return (None, Err(format!("the value is {length} bytes; a sample decodes values up to {limit} KiB")));
        }
        Some(Payload::Bytes(bytes)) => bytes,
    };
    let [0, a, b, c, d, body @ ..] = payload.as_slice() else {
        return (None, Err("not in Confluent's wire format (no magic byte and schema id)".into()));
    };
    let id = i32::from_be_bytes([*a, *b, *c, *d]);
    let schema = match schemas.get(id).await {
        Ok(schema) => schema,
        Err(why) => return (Some(id), Err(why)),
    };
    if Instant::now() >= allowance.deadline {
        return (Some(id), Err(Undecodable::TooSlow.to_string()));
    }
    let sample_is_full = allowance.values < RECORD_VALUES || allowance.text < RECORD_TEXT;
    let mut budget = Budget {
        values: allowance.values.min(RECORD_VALUES),
        text: allowance.text.min(RECORD_TEXT),
        deadline: allowance.deadline,
    };
    let before = budget.clone();
    let decoded = schema.decode(body, &mut budget);
    // Work done counts whether or not the record decodes; only what is shown counts against the answer's size.
    allowance.values -= before.values - budget.values;
    let decoded = match decoded {
        Ok(value) => {
            allowance.text -= before.text - budget.text;
            Ok(value)
        }
        Err(Undecodable::TooLarge) if sample_is_full => {
            Err("not decoded: the sample already holds as much as one answer carries; ask for fewer events".into())
        }
        Err(Undecodable::TooLarge) => {
            let text = RECORD_TEXT / 1024;
            Err(format!("{} (over {RECORD_VALUES} values or {text} KiB of JSON)", Undecodable::TooLarge))
        }
        Err(e @ (Undecodable::TooDeep | Undecodable::TooSlow)) => Err(e.to_string()),
        Err(e) => Err(format!("does not match schema {id}: {e}")),
    };
    (Some(id), decoded)
}

/// The schemas a sample decodes with: the versions of the product's value subject, parsed when a record first names
/// them. A record naming any other id is not decoded: the id comes from the record, and a schema of someone else's
/// choosing could make decoding as costly as its author likes.
struct WriterSchemas<'m> {
    mesh: &'m Mesh,
    subject: &'m SubjectName,
    /// Each version's format and text by schema id: the mirror's, and the registry's newest ones once a record
    /// names an id the mirror lacks.
    texts: HashMap<i32, (SchemaFormat, String)>,
    mirrored: BTreeSet<i32>,
    /// Whether the registry has been asked, and if it could not be, why.
    asked: Option<Result<(), String>>,
    parsed: HashMap<i32, Result<WriterSchema, String>>,
}

impl<'m> WriterSchemas<'m> {
    async fn of(mesh: &'m Mesh, subject: &'m SubjectName) -> Result<Self, Error> {
        let versions = mesh.catalog.schema_versions(subject.as_str()).await?;
        Ok(Self {
            mesh,
            subject,
            mirrored: versions.iter().map(|v| v.version).collect(),
            texts: versions.into_iter().map(|v| (v.id, (v.format, v.schema))).collect(),
            asked: None,
            parsed: HashMap::new(),
        })
    }

    async fn get(&mut self, id: i32) -> Result<&WriterSchema, String> {
        if !self.parsed.contains_key(&id) {
            if !self.texts.contains_key(&id) && self.asked.is_none() {
                self.asked = Some(self.ask_registry().await);
            }
            let subject = self.subject;
            let schema = match (self.texts.get(&id), &self.asked) {
                (None, Some(Err(why))) => Err(format!(
                    "schema {id} is not a version of `{subject}` the catalog knows, and the registry could not be \
                     asked: {why}"
                )),
                (None, _) => Err(format!(
                    "schema {id} is not a version of `{subject}`, the product's value subject: a sample decodes \
                     only with the product's own schemas"
                )),
                (Some((SchemaFormat::Avro, text)), _) => {
                    WriterSchema::parse(text).map_err(|e| format!("schema {id} cannot be read: {e}"))
                }
                (Some((format, _)), _) => {
                    Err(format!("schema {id} is {}; a sample decodes Avro only", format.registry_name()))
                }
            };
            self.parsed.insert(id, schema);
        }
        self.parsed[&id].as_ref().map_err(String::clone)
    }

    /// Reads the subject's newest versions the mirror does not have yet from the registry, within a time limit.
    async fn ask_registry(&mut self) -> Result<(), String> {
        let (registry, subject) = (&self.mesh.registry, self.subject.as_str());
        let lookup = async {
            let numbers = match registry.versions(subject).await {
                Err(RegistryError::SubjectNotFound(_)) => return Ok(Vec::new()),
                other => other?,
            };
            let mut found = Vec::new();
            for number in numbers.into_iter().rev().filter(|n| !self.mirrored.contains(n)).take(UNMIRRORED_VERSIONS) {
                let version = registry.version(subject, VersionRef::Number(number)).await?;
                found.push((version.id, (version.format, version.schema)));
            }
            Ok::<_, RegistryError>(found)
        };
        match tokio::time::timeout(REGISTRY_TIME, lookup).await {
            Ok(Ok(found)) => {
                self.texts.extend(found);
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("it did not answer within {REGISTRY_TIME:?}")),
        }
    }
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
