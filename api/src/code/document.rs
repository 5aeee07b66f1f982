//! The mapping between a product and its two files: an ODPS v1.0.0 document (the product) whose output port names
//! an ODCS v3.1.0 document (its topic's contract). Pure: what the catalog and the mirror know comes in as
//! [`Facts`].
//!
//! Each of Meshport's values has one home on the way back. ODPS: id, name, version, status, domain, tags,
//! description, team (name, members, contact as the custom property `meshportContact`), support, inputs (input
//! ports), deprecation (`meshportDeprecation`), creation time. ODCS: the topic (the schema object of
//! `physicalType: topic`), subjects and format, personal fields, the Avro text (`meshportSchema`, exactly as
//! registered), quality (the check `meshport-quality`), the SLA tier (`slaProperties` `tier`), topic settings (the
//! server's custom properties, used when an import creates the topic). The rest of each file (the copies for
//! readers: ODCS's description, team, support, status, fields with their types, retention) is written from those and
//! read from nowhere; what Meshport does not write at all is kept ([`super::kept`]).

use std::collections::BTreeMap;

use meshport_shared::api::TopicSettings;
use meshport_shared::schema::SchemaField;
use meshport_shared::{
    DataProduct, Deprecation, Description, DomainName, OutputPort, Owner, ProductId, ProductStatus, Quality,
    SchemaFormat, SchemaVersion, SlaTier, SubjectName, SupportChannel, SupportKind, TeamName, TopicName, Violation,
    ViolationCode,
};
use serde_json::{Map, Value, json};

use super::kept;

pub const ODPS_VERSION: &str = "v1.0.0";
pub const ODCS_VERSION: &str = "v3.1.0";

/// What the catalog and the mirror know of a product beyond the product itself.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// The latest version of the value subject, if mirrored.
    pub schema: Option<&'a SchemaVersion>,
    /// The topic's settings, as the mirror last saw them.
    pub topic: Option<TopicSettings>,
    /// The Kafka bootstrap servers consumers connect to (the contract's server `host`).
    pub bootstrap: &'a str,
    /// The version of each input product.
    pub input_versions: BTreeMap<ProductId, String>,
}

/// A product's two files, as JSON values (YAML is their text).
#[derive(Debug, Clone, PartialEq)]
pub struct Documents {
    pub odps: Value,
    pub odcs: Value,
}

/// A product read from its files: the product (its `extensions` hold what the files said beyond it), the Avro (or
/// other) schema text the contract carries, and the topic settings for a topic to be created.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub product: DataProduct,
    pub schema: Option<String>,
    pub topic: TopicSettings,
}

/// The custom properties Meshport writes.
const CONTACT: &str = "meshportContact";
const DEPRECATION: &str = "meshportDeprecation";
const VALUE_SUBJECT: &str = "meshportValueSubject";
const KEY_SUBJECT: &str = "meshportKeySubject";
const PERSONAL_FIELDS: &str = "meshportPersonalFields";
const SCHEMA: &str = "meshportSchema";
const QUALITY_CHECK: &str = "meshport-quality";
const SLA_TIER: &str = "tier";

/// What is kept of one file beyond what Meshport uses, at most: the product, its audit entry (before and after) and
/// its event are each one catalog item, which DynamoDB holds to 400 KB.
const MAX_KEPT_BYTES: usize = 64 * 1024;

/// The files of `product`, with what its files said beyond it when it was imported.
pub fn export(product: &DataProduct, facts: &Facts<'_>) -> Documents {
    let generated = generate(product, facts);
    Documents {
        odps: kept::overlay(generated.odps, product.extensions.as_ref().and_then(|kept| kept.get("odps"))),
        odcs: kept::overlay(generated.odcs, product.extensions.as_ref().and_then(|kept| kept.get("odcs"))),
    }
}

/// Meshport's own files of `product`, without what it keeps from imports.
fn generate(product: &DataProduct, facts: &Facts<'_>) -> Documents {
    Documents { odps: odps(product, facts), odcs: odcs(product, facts) }
}

fn property(name: &str, value: Value) -> Value {
    json!({"property": name, "value": value})
}

fn insert_unless_empty(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        map.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

fn description(product: &DataProduct) -> Value {
    let mut description = Map::new();
    description.insert("purpose".into(), product.description.purpose.clone().into());
    insert_unless_empty(&mut description, "limitations", &product.description.limitations);
    insert_unless_empty(&mut description, "usage", &product.description.usage);
    Value::Object(description)
}

fn team(product: &DataProduct) -> Value {
    let mut team = Map::new();
    team.insert("name".into(), product.owner.team.as_str().into());
    if !product.owner.members.is_empty() {
        let members = product.owner.members.iter().map(|m| json!({"username": m})).collect();
        team.insert("members".into(), Value::Array(members));
    }
    Value::Object(team)
}

fn support(product: &DataProduct) -> Value {
    product.support.iter().map(|s| json!({"channel": support_kind(s.kind), "url": s.address})).collect()
}

fn support_kind(kind: SupportKind) -> &'static str {
    match kind {
        SupportKind::Chat => "chat",
        SupportKind::Email => "email",
        SupportKind::Issues => "issues",
        SupportKind::Docs => "docs",
    }
}

fn odps(product: &DataProduct, facts: &Facts<'_>) -> Value {
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), ODPS_VERSION.into());
    doc.insert("kind".into(), "DataProduct".into());
    doc.insert("id".into(), product.id.as_str().into());
    doc.insert("name".into(), product.name.clone().into());
    doc.insert("version".into(), product.version.clone().into());
    doc.insert("status".into(), product.status.as_str().into());
    doc.insert("domain".into(), product.domain.as_str().into());
    if !product.tags.is_empty() {
        doc.insert("tags".into(), product.tags.clone().into());
    }
    doc.insert("description".into(), description(product));
    doc.insert("team".into(), team(product));
    if !product.support.is_empty() {
        doc.insert("support".into(), support(product));
    }
    if !product.inputs.is_empty() {
        let ports = product
            .inputs
            .iter()
            .map(|input| {
                let version = facts.input_versions.get(input).map_or("", String::as_str);
                json!({"name": input.as_str(), "version": version, "contractId": input.as_str()})
            })
            .collect();
        doc.insert("inputPorts".into(), Value::Array(ports));
    }
    doc.insert(
        "outputPorts".into(),
        json!([{
            "name": product.output_port.topic.as_str(),
            "type": "kafka",
            "version": product.version,
            "contractId": product.id.as_str(),
        }]),
    );
    let mut custom = Vec::new();
    if !product.owner.contact.is_empty() {
        custom.push(property(CONTACT, product.owner.contact.clone().into()));
    }
    if let Some(deprecation) = &product.deprecation {
        let value = serde_json::to_value(deprecation).unwrap_or_default();
        custom.push(property(DEPRECATION, value));
    }
    if !custom.is_empty() {
        doc.insert("customProperties".into(), Value::Array(custom));
    }
    if !product.created_at.is_empty() {
        doc.insert("productCreatedTs".into(), product.created_at.clone().into());
    }
    Value::Object(doc)
}

fn odcs(product: &DataProduct, facts: &Facts<'_>) -> Value {
    let port = &product.output_port;
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), ODCS_VERSION.into());
    doc.insert("kind".into(), "DataContract".into());
    doc.insert("id".into(), product.id.as_str().into());
    doc.insert("name".into(), product.name.clone().into());
    doc.insert("version".into(), product.version.clone().into());
    doc.insert("status".into(), product.status.as_str().into());
    doc.insert("domain".into(), product.domain.as_str().into());
    doc.insert("description".into(), description(product));

    let mut server = Map::new();
    server.insert("server".into(), "kafka".into());
    server.insert("type".into(), "kafka".into());
    server.insert("host".into(), facts.bootstrap.into());
    server.insert("format".into(), format_name(port.schema_format).into());
    if let Some(topic) = &facts.topic {
        let mut settings = vec![
            property("partitions", topic.partitions.into()),
            property("replicationFactor", topic.replication_factor.into()),
            property("cleanupPolicy", topic.cleanup_policy.clone().into()),
        ];
        if let Some(ms) = topic.retention_ms {
            settings.push(property("retentionMs", ms.into()));
        }
        server.insert("customProperties".into(), Value::Array(settings));
    }
    doc.insert("servers".into(), json!([server]));

    let mut object = Map::new();
    object.insert("name".into(), port.topic.as_str().into());
    object.insert("physicalName".into(), port.topic.as_str().into());
    object.insert("physicalType".into(), "topic".into());
    object.insert("logicalType".into(), "object".into());
    object.insert("description".into(), product.description.purpose.clone().into());
    let fields = facts
        .schema
        .filter(|s| s.format == SchemaFormat::Avro)
        .and_then(|s| crate::schema::fields(&s.schema).ok())
        .unwrap_or_default();
    if !fields.is_empty() {
        object.insert("properties".into(), Value::Array(fields.iter().map(schema_property).collect()));
    }
    object.insert(
        "quality".into(),
        json!([{
            "name": QUALITY_CHECK,
            "type": "text",
            "description": format!("{}: {}", product.quality.as_str(), quality_summary(product.quality)),
            "customProperties": [property("level", product.quality.as_str().into())],
        }]),
    );
    let mut custom = vec![property(VALUE_SUBJECT, port.value_subject.as_str().into())];
    if let Some(key) = &port.key_subject {
        custom.push(property(KEY_SUBJECT, key.as_str().into()));
    }
    if !product.personal_fields.is_empty() {
        custom.push(property(PERSONAL_FIELDS, product.personal_fields.clone().into()));
    }
    if let Some(schema) = facts.schema {
        custom.push(property(SCHEMA, schema.schema.clone().into()));
    }
    object.insert("customProperties".into(), Value::Array(custom));
    doc.insert("schema".into(), json!([object]));

    let mut sla =
        vec![json!({"property": SLA_TIER, "value": product.sla.as_str(), "description": product.sla.summary()})];
    if let Some(ms) = facts.topic.as_ref().and_then(|t| t.retention_ms)
        && ms >= 0
    {
        sla.push(json!({"property": "retention", "value": ms, "unit": "ms"}));
    }
    if let Some(deprecation) = &product.deprecation {
        sla.push(json!({"property": "endOfSupport", "value": deprecation.sunset}));
    }
    doc.insert("slaProperties".into(), Value::Array(sla));
    doc.insert("team".into(), team(product));
    if !product.support.is_empty() {
        doc.insert("support".into(), support(product));
    }
    doc.insert(
        "roles".into(),
        json!([{"role": "consumer", "access": "read", "description": "granted per team through a Meshport access request"}]),
    );
    if !product.created_at.is_empty() {
        doc.insert("contractCreatedTs".into(), product.created_at.clone().into());
    }
    Value::Object(doc)
}

fn quality_summary(quality: Quality) -> &'static str {
    match quality {
        Quality::Authoritative => "the system of record for this data",
        Quality::Curated => "cleaned, joined or enriched from other products",
        Quality::Raw => "as captured, with no guarantees on content",
    }
}

fn format_name(format: SchemaFormat) -> &'static str {
    match format {
        SchemaFormat::Avro => "avro",
        SchemaFormat::Json => "json",
        SchemaFormat::Protobuf => "protobuf",
    }
}

/// A field as an ODCS property: its Avro type in words as the physical type, the closest logical type.
fn schema_property(field: &SchemaField) -> Value {
    let mut property = Map::new();
    property.insert("name".into(), field.name.clone().into());
    property.insert("physicalType".into(), field.type_name.clone().into());
    if let Some(logical) = logical_type(&field.type_name) {
        property.insert("logicalType".into(), logical.into());
    }
    property.insert("required".into(), (!field.optional).into());
    if let Some(doc) = &field.doc {
        property.insert("description".into(), doc.clone().into());
    }
    if !field.fields.is_empty() && logical_type(&field.type_name) == Some("object") {
        property.insert("properties".into(), field.fields.iter().map(schema_property).collect());
    }
    Value::Object(property)
}

fn logical_type(type_name: &str) -> Option<&'static str> {
    let word = type_name.split([' ', '(']).next().unwrap_or_default();
    Some(match word {
        _ if type_name.contains("(timestamp") || type_name.contains("(local-timestamp") => "timestamp",
        _ if type_name.contains("(date)") => "date",
        _ if type_name.contains("(time-") => "time",
        _ if type_name.contains("(decimal") => "number",
        "string" | "enum" | "bytes" | "fixed" => "string",
        "int" | "long" => "integer",
        "float" | "double" => "number",
        "boolean" => "boolean",
        "record" | "map" => "object",
        "array" => "array",
        _ => return None,
    })
}

/// Reads a product from its two files, whose values are JSON. Every problem at once, each an `invalid_document`
/// violation naming its file and place; the organisation's policy is checked after, by the lifecycle.
pub fn import(odps: &Value, odcs: &Value) -> Result<Imported, Vec<Violation>> {
    let mut r = Reader::default();
    let p = Doc { file: "odps", value: odps };
    let c = Doc { file: "odcs", value: odcs };
    r.header(&p, ODPS_VERSION, "DataProduct");
    r.header(&c, ODCS_VERSION, "DataContract");
    let id = r.text(&p, "id").and_then(|id| r.name(&p, "id", &id, ProductId::parse));
    let name = r.text(&p, "name").unwrap_or_default();
    let version = r.text(&p, "version").unwrap_or_default();
    let status = r.text(&p, "status").and_then(|s| {
        let found = ProductStatus::ALL.into_iter().find(|v| v.as_str() == s);
        if found.is_none() {
            r.problem::<()>(
                &p,
                "status",
                format!("`{s}` is not a status Meshport knows: draft, active, deprecated or retired"),
            );
        }
        found
    });
    let domain = r.text(&p, "domain").and_then(|d| r.name(&p, "domain", &d, DomainName::parse));
    let tags = r.texts(&p, "tags");
    let purpose = r.optional_text(&p, "description.purpose").unwrap_or_default();
    let limitations = r.optional_text(&p, "description.limitations").unwrap_or_default();
    let usage = r.optional_text(&p, "description.usage").unwrap_or_default();
    let team = r.text(&p, "team.name").and_then(|t| r.name(&p, "team.name", &t, TeamName::parse));
    let members = r
        .items(&p, "team.members")
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            r.text(&p.at(m), "username").or_else(|| r.missing(&p, &format!("team.members[{i}].username")))
        })
        .collect();
    let custom = r.custom(&p, "customProperties");
    let contact = custom.get(CONTACT).and_then(|v| r.as_text(&p, CONTACT, v)).unwrap_or_default();
    let deprecation = custom.get(DEPRECATION).and_then(|v| match serde_json::from_value::<Deprecation>((*v).clone()) {
        Ok(d) => Some(d),
        Err(e) => r.problem(&p, DEPRECATION, format!("must be {{sunset, replacement, message}}: {e}")),
    });
    let support = r
        .items(&p, "support")
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let item = p.at(s);
            let (channel, url) = (r.text(&item, "channel")?, r.text(&item, "url")?);
            let kind = match channel.as_str() {
                "chat" => SupportKind::Chat,
                "email" => SupportKind::Email,
                "issues" => SupportKind::Issues,
                "docs" => SupportKind::Docs,
                other => {
                    return r.problem(
                        &p,
                        &format!("support[{i}].channel"),
                        format!("`{other}` is not a channel Meshport knows: chat, email, issues or docs"),
                    );
                }
            };
            Some(SupportChannel { kind, address: url })
        })
        .collect();
    let inputs = r
        .items(&p, "inputPorts")
        .iter()
        .enumerate()
        .filter_map(|(i, port)| {
            let field = format!("inputPorts[{i}].contractId");
            let id = r.text(&p.at(port), "contractId")?;
            r.name(&p, &field, &id, ProductId::parse)
        })
        .collect();
    let created_at = r.optional_text(&p, "productCreatedTs").unwrap_or_default();

    // The output port names the contract.
    let ports = r.items(&p, "outputPorts");
    if ports.len() != 1 {
        r.problem::<()>(&p, "outputPorts", format!("a Meshport product has one output port, not {}", ports.len()));
    } else if let (Some(contract), Some(c_id)) = (r.text(&p.at(ports[0]), "contractId"), r.text(&c, "id"))
        && contract != c_id
    {
        r.problem::<()>(
            &p,
            "outputPorts[0].contractId",
            format!("names contract `{contract}`, but the contract file is `{c_id}`"),
        );
    }

    // The contract: the topic's schema object, its server, quality and SLA.
    let objects = r.items(&c, "schema");
    let topic_object = objects.iter().find(|o| o.get("physicalType").and_then(Value::as_str) == Some("topic"));
    let Some(object) = topic_object.map(|o| c.at(o)) else {
        r.problem::<()>(&c, "schema", "no schema object with `physicalType: topic` names the product's topic");
        return Err(r.problems);
    };
    let topic = r
        .text(&object, "physicalName")
        .or_else(|| r.text(&object, "name"))
        .and_then(|t| r.name(&c, "schema.physicalName", &t, TopicName::parse));
    let object_custom = r.custom(&object, "customProperties");
    let value_subject = match object_custom.get(VALUE_SUBJECT) {
        Some(v) => r.as_text(&c, VALUE_SUBJECT, v).and_then(|s| r.name(&c, VALUE_SUBJECT, &s, SubjectName::parse)),
        None => topic.as_ref().map(SubjectName::value_of),
    };
    let key_subject = object_custom
        .get(KEY_SUBJECT)
        .and_then(|v| r.as_text(&c, KEY_SUBJECT, v))
        .and_then(|s| r.name(&c, KEY_SUBJECT, &s, SubjectName::parse));
    let personal_fields = match object_custom.get(PERSONAL_FIELDS) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| r.as_text(&c, PERSONAL_FIELDS, v)).collect(),
        Some(_) => r.problem(&c, PERSONAL_FIELDS, "must be a list of field paths").unwrap_or_default(),
        None => Vec::new(),
    };
    let schema = object_custom.get(SCHEMA).and_then(|v| r.as_text(&c, SCHEMA, v));
    let servers = r.items(&c, "servers");
    let kafka = servers.iter().find(|s| s.get("type").and_then(Value::as_str) == Some("kafka")).map(|s| c.at(s));
    let format = match kafka.as_ref().and_then(|k| r.optional_text(k, "format")).as_deref() {
        None | Some("avro") => Some(SchemaFormat::Avro),
        Some("json") => Some(SchemaFormat::Json),
        Some("protobuf") => Some(SchemaFormat::Protobuf),
        Some(other) => {
            r.problem(&c, "servers.format", format!("`{other}` is not a format Meshport knows: avro, json or protobuf"))
        }
    };
    let settings = kafka.as_ref().map(|k| r.custom(k, "customProperties")).unwrap_or_default();
    let has_settings = !settings.is_empty();
    let topic_settings = TopicSettings {
        partitions: settings.get("partitions").and_then(|v| r.whole(&c, "partitions", v)).unwrap_or(1),
        replication_factor: settings
            .get("replicationFactor")
            .and_then(|v| r.whole(&c, "replicationFactor", v))
            .unwrap_or(1),
        retention_ms: settings.get("retentionMs").and_then(|v| v.as_i64()),
        cleanup_policy: settings
            .get("cleanupPolicy")
            .and_then(|v| r.as_text(&c, "cleanupPolicy", v))
            .unwrap_or_else(|| "delete".into()),
    };
    let level = r
        .items(&object, "quality")
        .iter()
        .find(|q| q.get("name").and_then(Value::as_str) == Some(QUALITY_CHECK))
        .map(|q| r.custom(&object.at(q), "customProperties"))
        .and_then(|props| props.get("level").and_then(|v| v.as_str()).map(str::to_owned));
    let quality = match level {
        // A `quality` that is not a list was said so already.
        None if object.get("quality").is_some_and(|q| !q.is_array()) => None,
        None => r.problem(
            &c,
            "schema.quality",
            format!("no quality check `{QUALITY_CHECK}` with a custom property `level`"),
        ),
        Some(level) => match Quality::ALL.into_iter().find(|q| q.as_str() == level) {
            None => r.problem(&c, "schema.quality", format!("`{level}` is not authoritative, curated or raw")),
            found => found,
        },
    };
    let tier = r
        .items(&c, "slaProperties")
        .iter()
        .find(|s| s.get("property").and_then(Value::as_str) == Some(SLA_TIER))
        .and_then(|s| s.get("value").and_then(Value::as_str).map(str::to_owned));
    let sla = match tier {
        None if c.get("slaProperties").is_some_and(|s| !s.is_array()) => None,
        None => r.problem(&c, "slaProperties", format!("no SLA property `{SLA_TIER}` with a text value")),
        Some(tier) => match SlaTier::ALL.into_iter().find(|t| t.as_str() == tier) {
            None => r.problem(&c, "slaProperties", format!("`{tier}` is not tier-1, tier-2 or tier-3")),
            found => found,
        },
    };

    let (
        Some(id),
        Some(status),
        Some(domain),
        Some(team),
        Some(topic),
        Some(value_subject),
        Some(format),
        Some(quality),
        Some(sla),
    ) = (id, status, domain, team, topic, value_subject, format, quality, sla)
    else {
        return Err(r.problems);
    };
    if !r.problems.is_empty() {
        return Err(r.problems);
    }
    let mut product = DataProduct {
        id,
        name,
        version,
        domain,
        owner: Owner { team, contact, members },
        status,
        description: Description { purpose, limitations, usage },
        tags,
        output_port: OutputPort { topic, value_subject, key_subject, schema_format: format },
        quality,
        sla,
        support,
        personal_fields,
        inputs,
        deprecation,
        revision: 0,
        created_at,
        updated_at: String::new(),
        extensions: None,
    };
    // What the files say beyond the product: compared with what Meshport would write from the same facts.
    let schema_fact = schema.as_ref().map(|text| SchemaVersion {
        subject: product.output_port.value_subject.as_str().to_owned(),
        version: 0,
        id: 0,
        format,
        schema: text.clone(),
    });
    let bootstrap = kafka.as_ref().and_then(|k| k.value.get("host")).and_then(Value::as_str).unwrap_or_default();
    let input_versions = input_versions(odps);
    let topic = has_settings.then(|| topic_settings.clone());
    let facts = Facts { schema: schema_fact.as_ref(), topic, bootstrap, input_versions };
    let ours = generate(&product, &facts);
    let mut kept = Map::new();
    for (file, theirs, ours) in [("odps", odps, &ours.odps), ("odcs", odcs, &ours.odcs)] {
        if let Some(rest) = kept::residual(theirs, ours) {
            let size = serde_json::to_string(&rest).map_or(usize::MAX, |text| text.len());
            if size > MAX_KEPT_BYTES {
                let doc = Doc { file, value: theirs };
                r.problem::<()>(
                    &doc,
                    "",
                    format!(
                        "what the file says beyond what Meshport uses takes {size} bytes, more than the {MAX_KEPT_BYTES} kept with a product"
                    ),
                );
            }
            kept.insert(file.to_owned(), rest);
        }
    }
    product.extensions = (!kept.is_empty()).then_some(kept);
    if !r.problems.is_empty() {
        return Err(r.problems);
    }
    Ok(Imported { product, schema, topic: topic_settings })
}

/// The versions the file gives its input ports, so that they are not taken for something Meshport does not write.
fn input_versions(odps: &Value) -> BTreeMap<ProductId, String> {
    odps.get("inputPorts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|port| {
            let id = ProductId::parse(port.get("contractId")?.as_str()?).ok()?;
            Some((id, port.get("version")?.as_str()?.to_owned()))
        })
        .collect()
}

/// A file, or a part of one, being read.
#[derive(Debug, Clone, Copy)]
struct Doc<'a> {
    file: &'static str,
    value: &'a Value,
}

impl<'a> Doc<'a> {
    fn at(&self, value: &'a Value) -> Doc<'a> {
        Doc { file: self.file, value }
    }

    /// The value at a dotted path.
    fn get(&self, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(self.value, |value, key| value.get(key)).filter(|v| !v.is_null())
    }
}

/// Collects every problem of both files.
#[derive(Debug, Default)]
struct Reader {
    problems: Vec<Violation>,
}

impl Reader {
    fn problem<T>(&mut self, doc: &Doc<'_>, field: &str, message: impl Into<String>) -> Option<T> {
        let (file, message) = (doc.file.to_ascii_uppercase(), message.into());
        let violation = if field.is_empty() {
            Violation::new(ViolationCode::InvalidDocument, doc.file, format!("{file} file: {message}"))
        } else {
            let at = format!("{}.{field}", doc.file);
            Violation::new(ViolationCode::InvalidDocument, &at, format!("{file} file, `{field}`: {message}"))
        };
        self.problems.push(violation);
        None
    }

    fn missing<T>(&mut self, doc: &Doc<'_>, field: &str) -> Option<T> {
        self.problem(doc, field, "is required")
    }

    fn header(&mut self, doc: &Doc<'_>, api_version: &str, kind: &str) {
        if !doc.value.is_object() {
            self.problem::<()>(doc, "", "the file must be a mapping (key: value lines)");
            return;
        }
        match doc.get("apiVersion").map(|v| v.as_str()) {
            Some(Some(v)) if v == api_version => {}
            Some(Some(other)) => {
                self.problem::<()>(
                    doc,
                    "apiVersion",
                    format!("`{other}` is not supported: Meshport reads {api_version}"),
                );
            }
            Some(None) => {
                self.problem::<()>(doc, "apiVersion", "must be text");
            }
            None => {
                self.missing::<()>(doc, "apiVersion");
            }
        }
        if doc.get("kind").and_then(Value::as_str) != Some(kind) {
            self.problem::<()>(doc, "kind", format!("must be `{kind}`"));
        }
    }

    fn as_text(&mut self, doc: &Doc<'_>, field: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            _ => self.problem(doc, field, "must be text"),
        }
    }

    fn optional_text(&mut self, doc: &Doc<'_>, field: &str) -> Option<String> {
        let value = doc.get(field)?;
        self.as_text(doc, field, value)
    }

    fn text(&mut self, doc: &Doc<'_>, field: &str) -> Option<String> {
        match doc.get(field) {
            Some(value) => self.as_text(doc, field, value),
            None => self.missing(doc, field),
        }
    }

    fn texts(&mut self, doc: &Doc<'_>, field: &str) -> Vec<String> {
        self.items(doc, field).into_iter().filter_map(|v| self.as_text(doc, field, v)).collect()
    }

    fn whole(&mut self, doc: &Doc<'_>, field: &str, value: &Value) -> Option<i32> {
        match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => self.problem(doc, field, "must be a whole number"),
        }
    }

    fn items<'a>(&mut self, doc: &Doc<'a>, field: &str) -> Vec<&'a Value> {
        match doc.get(field) {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(_) => self.problem(doc, field, "must be a list").unwrap_or_default(),
        }
    }

    /// The custom properties of a part, by name (ODPS and ODCS: a list of `{property, value}`).
    fn custom<'a>(&mut self, doc: &Doc<'a>, field: &str) -> BTreeMap<String, &'a Value> {
        let mut found = BTreeMap::new();
        for item in self.items(doc, field) {
            match (item.get("property").and_then(Value::as_str), item.get("value")) {
                (Some(name), Some(value)) => {
                    found.insert(name.to_owned(), value);
                }
                _ => {
                    self.problem::<()>(doc, field, "each custom property has a `property` name and a `value`");
                }
            }
        }
        found
    }

    fn name<T, E: std::fmt::Display>(
        &mut self,
        doc: &Doc<'_>,
        field: &str,
        text: &str,
        parse: impl FnOnce(String) -> Result<T, E>,
    ) -> Option<T> {
        match parse(text.to_owned()) {
            Ok(name) => Some(name),
            Err(e) => self.problem(doc, field, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::yaml;

    const ODPS_SCHEMA: &str = include_str!("../../tests/fixtures/standards/odps-json-schema-v1.0.0.json");
    const ODCS_SCHEMA: &str = include_str!("../../tests/fixtures/standards/odcs-json-schema-v3.1.0.json");

    /// Each demo product with the facts the mirror would hold for it, and its exported files as YAML.
    fn demo() -> Vec<(DataProduct, SchemaVersion, TopicSettings)> {
        crate::demo::products()
            .into_iter()
            .map(|(product, schema, settings)| {
                let version = SchemaVersion {
                    subject: product.output_port.value_subject.as_str().to_owned(),
                    version: 3,
                    id: 7,
                    format: SchemaFormat::Avro,
                    schema: schema.to_owned(),
                };
                (product, version, settings)
            })
            .collect()
    }

    fn facts<'a>(schema: &'a SchemaVersion, topic: &TopicSettings) -> Facts<'a> {
        let input_versions = BTreeMap::from([(ProductId::parse("users").unwrap(), "1.0.0".to_owned())]);
        Facts { schema: Some(schema), topic: Some(topic.clone()), bootstrap: "kafka.acme.example:9092", input_versions }
    }

    fn files(product: &DataProduct, facts: &Facts<'_>) -> (String, String) {
        let Documents { odps, odcs } = export(product, facts);
        (yaml::write(&odps), yaml::write(&odcs))
    }

    fn import_text(odps: &str, odcs: &str) -> Result<Imported, Vec<Violation>> {
        import(&yaml::read(odps, yaml::LIMITS).unwrap(), &yaml::read(odcs, yaml::LIMITS).unwrap())
    }

    #[test]
    fn every_demo_product_comes_back_from_its_files_as_it_was() {
        for (product, schema, settings) in demo() {
            let facts = facts(&schema, &settings);
            let (odps, odcs) = files(&product, &facts);

            let imported =
                import_text(&odps, &odcs).unwrap_or_else(|e| panic!("{}: {e:?}\n{odps}\n{odcs}", product.id));

            // Revision and last change are the store's, not the files'.
            let expected = DataProduct { revision: 0, updated_at: String::new(), ..product.clone() };
            assert_eq!(imported.product, expected, "{}", product.id);
            assert_eq!(imported.schema.as_deref(), Some(schema.schema.as_str()), "the Avro text, exactly");
            assert_eq!(imported.topic, settings);
            assert_eq!(files(&imported.product, &facts), (odps, odcs), "{} exports the same files again", product.id);
        }
    }

    fn validator(schema: &str) -> jsonschema::Validator {
        let schema: Value = serde_json::from_str(schema).unwrap();
        jsonschema::draft201909::new(&schema).unwrap()
    }

    #[test]
    fn every_demo_export_is_valid_by_the_official_odps_and_odcs_schemas() {
        let (odps_schema, odcs_schema) = (validator(ODPS_SCHEMA), validator(ODCS_SCHEMA));
        for (product, schema, settings) in demo() {
            let Documents { odps, odcs } = export(&product, &facts(&schema, &settings));
            let errors: Vec<String> =
                odps_schema.iter_errors(&odps).map(|e| format!("ODPS {e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", product.id);
            let errors: Vec<String> =
                odcs_schema.iter_errors(&odcs).map(|e| format!("ODCS {e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", product.id);
        }
    }

    #[test]
    fn what_meshport_does_not_use_survives_import_and_export() {
        let (product, schema, settings) = demo().remove(0);
        let facts = facts(&schema, &settings);
        let Documents { mut odps, mut odcs } = export(&product, &facts);
        odps["tenant"] = "acme".into();
        odps["team"]["members"][0]["role"] = "owner".into();
        odps["customProperties"].as_array_mut().unwrap().push(json!({"property": "costCenter", "value": 42}));
        odcs["schema"][0]["properties"][0]["classification"] = "restricted".into();
        odcs["schema"][0]["quality"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "no-nulls", "type": "text", "description": "ids are never null"}));
        odcs["price"] = json!({"priceAmount": 0, "priceCurrency": "EUR", "priceUnit": "megabyte"});

        let imported = import(&odps, &odcs).unwrap();

        assert_eq!(imported.product.extensions.as_ref().map(Map::len), Some(2), "both files keep something");
        let again = export(&imported.product, &facts);
        assert_eq!(again, Documents { odps, odcs });
    }

    #[test]
    fn bad_files_get_every_problem_at_once_with_its_place() {
        let (product, schema, settings) = demo().remove(0);
        let Documents { mut odps, mut odcs } = export(&product, &facts(&schema, &settings));
        odps["apiVersion"] = "v9.9.9".into();
        odps["name"] = json!(["not", "text"]);
        odps["support"][0]["channel"] = "pigeon".into();
        odcs["slaProperties"] = json!([]);
        odcs["servers"][0]["customProperties"][0]["value"] = "three".into();

        let problems = import(&odps, &odcs).unwrap_err();

        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["odps.apiVersion", "odps.name", "odps.support[0].channel", "odcs.partitions", "odcs.slaProperties"]
        );
        assert!(problems.iter().all(|p| p.code == ViolationCode::InvalidDocument));
        assert!(
            problems[0].message.contains("`v9.9.9` is not supported: Meshport reads v1.0.0"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn files_that_say_too_much_beyond_the_product_are_refused() {
        let (product, schema, settings) = demo().remove(0);
        let Documents { mut odps, odcs } = export(&product, &facts(&schema, &settings));
        odps["tenant"] = "x".repeat(MAX_KEPT_BYTES).into();

        let problems = import(&odps, &odcs).unwrap_err();

        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "odps");
        assert!(problems[0].message.contains("more than the 65536 kept with a product"), "{}", problems[0].message);
    }

    #[test]
    fn a_contract_that_is_not_the_output_ports_is_refused() {
        let (product, schema, settings) = demo().remove(0);
        let Documents { odps, mut odcs } = export(&product, &facts(&schema, &settings));
        odcs["id"] = "someone-else".into();
        let problems = import(&odps, &odcs).unwrap_err();
        assert_eq!(problems[0].field, "odps.outputPorts[0].contractId");
    }
}
