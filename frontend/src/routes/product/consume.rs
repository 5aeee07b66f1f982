//! "How to consume": the connection facts and ready-to-copy consumer code for Rust, Java, Python and kcat, filled
//! with the product's bootstrap servers, topic, subjects and registry URL, and, on a secured cluster, its security
//! protocol and SASL mechanism. The portal holds no credential: the principal is a placeholder (or, on "My access",
//! the granted one) and the secret is read from an environment variable, so a copied snippet never carries one.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use meshport_shared::Principal;
use meshport_shared::api::{ConsumeInfo, ConsumeSecurity};
use meshport_shared::product::SchemaFormat;

use super::Fact;
use super::copy::CopyBlock;
use crate::components::form::focus;

/// The languages offered, in tab order.
const LANGUAGES: [&str; 4] = ["Rust", "Java", "Python", "kcat"];

/// What a snippet writes where the consumer's own principal goes.
pub const PRINCIPAL: &str = "<your-principal>";
/// The environment variable a snippet reads the consumer's secret from.
pub const SECRET_VARIABLE: &str = "KAFKA_PASSWORD";

/// The facts a client needs, then one tab per language with its snippet and a Copy button. The tabs follow the
/// WAI-ARIA tabs pattern: arrow keys, Home and End move between them.
#[component]
pub fn ConsumeSnippets(
    product_id: String,
    consume: ConsumeInfo,
    /// The principal and consumer group of a team's grant, filled into the code; placeholders without one.
    #[prop(default = None)]
    granted: Option<Granted>,
) -> impl IntoView {
    let (group, user) = match &granted {
        Some(Granted { principal, group }) => (group.clone(), principal.user().to_owned()),
        None => (format!("your-team.{product_id}"), PRINCIPAL.to_owned()),
    };
    let snippets: Vec<String> = vec![
        rust_snippet(&consume, &group, &user),
        java_snippet(&consume, &group, &user),
        python_snippet(&consume, &group, &user),
        kcat_snippet(&consume, &user),
    ];
    let selected = RwSignal::new(0_usize);
    let tab_id = move |i: usize| format!("consume-{product_id}-tab-{i}");
    let tab_ids: Vec<String> = (0..LANGUAGES.len()).map(&tab_id).collect();
    let panel_id = format!("{}-panel", tab_ids[0]);
    let tabs = LANGUAGES
        .iter()
        .enumerate()
        .map(|(i, language)| {
            let ids = tab_ids.clone();
            let on_key = move |event: KeyboardEvent| {
                let last = LANGUAGES.len() - 1;
                let next = match event.key().as_str() {
                    "ArrowRight" => {
                        if i == last {
                            0
                        } else {
                            i + 1
                        }
                    }
                    "ArrowLeft" => {
                        if i == 0 {
                            last
                        } else {
                            i - 1
                        }
                    }
                    "Home" => 0,
                    "End" => last,
                    _ => return,
                };
                event.prevent_default();
                selected.set(next);
                focus(&ids[next]);
            };
            view! {
                <button
                    type="button"
                    role="tab"
                    class="tab"
                    id=tab_ids[i].clone()
                    aria-controls=panel_id.clone()
                    aria-selected=move || (selected.get() == i).to_string()
                    tabindex=move || if selected.get() == i { "0" } else { "-1" }
                    data-testid="consume-tab"
                    on:click=move |_| selected.set(i)
                    on:keydown=on_key
                >
                    {*language}
                </button>
            }
        })
        .collect_view();
    let labelled_by = move || tab_ids[selected.get()].clone();
    let panel = move || {
        let i = selected.get();
        view! { <CopyBlock label=format!("{} consumer", LANGUAGES[i]) text=snippets[i].clone() testid="consume-snippet"/> }
    };
    let ConsumeInfo { bootstrap_servers, registry_url, topic, value_subject, key_subject, format, security } = consume;
    let key_subject = key_subject.map(|subject| {
        view! { <Fact term="Key subject"><code data-testid="consume-key-subject">{subject.to_string()}</code></Fact> }
    });
    let signs_in = security.as_ref().and_then(|s| s.sasl_mechanism.as_deref()).is_some_and(with_secret);
    let security = security.map(|ConsumeSecurity { protocol, sasl_mechanism }| {
        let settings = match sasl_mechanism {
            Some(mechanism) => format!("{protocol}, {mechanism}"),
            None => protocol,
        };
        view! { <Fact term="Security"><code data-testid="consume-security">{settings}</code></Fact> }
    });
    let note = if let Some(Granted { principal, group }) = &granted {
        format!(
            "Filled in for your team's grant: principal {principal}, consumer group {group}. Put its secret in the \
             {SECRET_VARIABLE} environment variable; the portal never shows secrets."
        )
    } else if signs_in {
        format!(
            "Bring your own credentials: put your principal where the code says {PRINCIPAL} and your secret in the \
             {SECRET_VARIABLE} environment variable; the portal never shows secrets. Name the consumer group after \
             your team."
        )
    } else {
        "Bring your own credentials: the portal never shows secrets. Name the consumer group after your team."
            .to_owned()
    };
    view! {
        <dl class="facts consume__facts" data-testid="consume-facts">
            <Fact term="Bootstrap servers"><code data-testid="consume-bootstrap">{bootstrap_servers}</code></Fact>
            <Fact term="Topic"><code data-testid="consume-topic">{topic.to_string()}</code></Fact>
            <Fact term="Value subject"><code data-testid="consume-value-subject">{value_subject.to_string()}</code></Fact>
            {key_subject}
            <Fact term="Schema registry"><code data-testid="consume-registry">{registry_url}</code></Fact>
            <Fact term="Format">{format.registry_name()}</Fact>
            {security}
        </dl>
        <p class="muted consume__note" data-testid="consume-note">{note}</p>
        <div class="tabs" role="tablist" aria-label="Consumer code">{tabs}</div>
        <div class="tab-panel" role="tabpanel" id=panel_id.clone() aria-labelledby=labelled_by>{panel}</div>
    }
}

/// What a team was granted: the principal it reads as and the consumer group id it reads with (for a prefix, one
/// id under it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub principal: Principal,
    pub group: String,
}

/// A double-quoted string literal valid in Rust, Java and Python.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A shell word: as it is when it is plainly safe, single-quoted otherwise.
fn shell(text: &str) -> String {
    let safe = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "._-:,/@=+".contains(c));
    if safe { text.to_owned() } else { format!("'{}'", text.replace('\'', "'\\''")) }
}

/// rdkafka with schema_registry_converter, decoding values in Confluent's wire format.
pub fn rust_snippet(info: &ConsumeInfo, group: &str, user: &str) -> String {
    let (feature, module, decoder, print) = match info.format {
        SchemaFormat::Avro => {
            ("avro", "avro::AvroDecoder", "AvroDecoder", "decoder.decode(message.payload()).await?.value")
        }
        SchemaFormat::Json => ("json", "json::JsonDecoder", "JsonDecoder", "decoder.decode(message.payload()).await?"),
        SchemaFormat::Protobuf => {
            ("proto_decoder", "proto_decoder::ProtoDecoder", "ProtoDecoder", "decoder.decode(message.payload()).await?")
        }
    };
    format!(
        r#"// Cargo.toml:
// rdkafka = "0.37"
// schema_registry_converter = {{ version = "4", features = ["{feature}"] }}
// tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{{Consumer, StreamConsumer}};
use rdkafka::Message;
use schema_registry_converter::async_impl::{module};
use schema_registry_converter::async_impl::schema_registry::SrSettings;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {{
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", {bootstrap})
        .set("group.id", {group})
        .set("auto.offset.reset", "earliest"){security}
        .create()?;
    consumer.subscribe(&[{topic}])?;
    // Values follow subject {subject} in the registry.
    let decoder = {decoder}::new(SrSettings::new({registry}.to_owned()));
    loop {{
        let message = consumer.recv().await?;
        println!("{{:?}}", {print});
    }}
}}
"#,
        bootstrap = quoted(&info.bootstrap_servers),
        group = quoted(group),
        topic = quoted(info.topic.as_str()),
        subject = info.value_subject,
        registry = quoted(&info.registry_url),
        security = rust_security(info.security.as_ref(), user),
    )
}

/// Whether a SASL mechanism signs in with a principal and a secret (SCRAM and PLAIN do; GSSAPI and OAUTHBEARER
/// bring their own login).
fn with_secret(mechanism: &str) -> bool {
    mechanism == "PLAIN" || mechanism.starts_with("SCRAM-")
}

/// rdkafka's security settings, each on its own line of the `ClientConfig` chain.
fn rust_security(security: Option<&ConsumeSecurity>, user: &str) -> String {
    let Some(ConsumeSecurity { protocol, sasl_mechanism }) = security else { return String::new() };
    let mut lines = format!("\n        .set(\"security.protocol\", {})", quoted(protocol));
    if let Some(mechanism) = sasl_mechanism {
        lines += &format!("\n        .set(\"sasl.mechanism\", {})", quoted(mechanism));
        if with_secret(mechanism) {
            lines += &format!(
                "\n        .set(\"sasl.username\", {})\n        // Your secret, from the environment: never in the code.\n        \
                 .set(\"sasl.password\", std::env::var({})?)",
                quoted(user),
                quoted(SECRET_VARIABLE)
            );
        } else {
            lines +=
                &format!("\n        // {mechanism} signs in with its own settings: see librdkafka's sasl.* options.");
        }
    }
    lines
}

/// The Java client's security settings; its SASL login is a JAAS line with the principal and the secret.
fn java_security(security: Option<&ConsumeSecurity>, user: &str) -> String {
    let Some(ConsumeSecurity { protocol, sasl_mechanism }) = security else { return String::new() };
    let mut lines = format!("props.put(\"security.protocol\", {});\n", quoted(protocol));
    if let Some(mechanism) = sasl_mechanism {
        lines += &format!("props.put(\"sasl.mechanism\", {});\n", quoted(mechanism));
        let module = match mechanism.as_str() {
            "PLAIN" => Some("org.apache.kafka.common.security.plain.PlainLoginModule"),
            m if m.starts_with("SCRAM-") => Some("org.apache.kafka.common.security.scram.ScramLoginModule"),
            _ => None,
        };
        lines += &match module {
            Some(module) => format!(
                "// Your principal, and your secret from the environment: never in the code.\n\
                 props.put(\"sasl.jaas.config\", \"{module} required \"\n    \
                 + \"username=\\\"{user}\\\" password=\\\"\" + System.getenv(\"{SECRET_VARIABLE}\") + \"\\\";\");\n"
            ),
            None => {
                format!("// {mechanism} signs in with its own sasl.jaas.config: the login module your cluster uses.\n")
            }
        };
    }
    lines
}

/// confluent-kafka's security settings, as entries of the consumer's configuration.
fn python_security(security: Option<&ConsumeSecurity>, user: &str) -> String {
    let Some(ConsumeSecurity { protocol, sasl_mechanism }) = security else { return String::new() };
    let mut lines = format!("    \"security.protocol\": {},\n", quoted(protocol));
    if let Some(mechanism) = sasl_mechanism {
        lines += &format!("    \"sasl.mechanism\": {},\n", quoted(mechanism));
        if with_secret(mechanism) {
            lines += &format!(
                "    \"sasl.username\": {},\n    \"sasl.password\": os.environ[{}],  # your secret, never in the code\n",
                quoted(user),
                quoted(SECRET_VARIABLE)
            );
        }
    }
    lines
}

/// kcat's `-X` security settings, the secret expanded by the shell from the environment.
fn kcat_security(security: Option<&ConsumeSecurity>, user: &str) -> String {
    let Some(ConsumeSecurity { protocol, sasl_mechanism }) = security else { return String::new() };
    let mut line = format!(" \\\n  -X security.protocol={}", shell(protocol));
    if let Some(mechanism) = sasl_mechanism {
        line += &format!(" -X sasl.mechanism={}", shell(mechanism));
        if with_secret(mechanism) {
            line += &format!(" \\\n  -X sasl.username={} -X sasl.password=\"${SECRET_VARIABLE}\"", shell(user));
        }
    }
    line
}

/// The Java client with Confluent's deserializers.
pub fn java_snippet(info: &ConsumeInfo, group: &str, user: &str) -> String {
    let (deserializer, value_type) = match info.format {
        SchemaFormat::Avro => ("io.confluent.kafka.serializers.KafkaAvroDeserializer", "GenericRecord"),
        SchemaFormat::Json => ("io.confluent.kafka.serializers.json.KafkaJsonSchemaDeserializer", "Object"),
        SchemaFormat::Protobuf => ("io.confluent.kafka.serializers.protobuf.KafkaProtobufDeserializer", "Message"),
    };
    let (key_deserializer, key_type) = match info.key_subject {
        Some(_) => (deserializer, value_type),
        None => ("org.apache.kafka.common.serialization.StringDeserializer", "String"),
    };
    format!(
        r#"// Needs org.apache.kafka:kafka-clients and io.confluent's serializer for {format}.
Properties props = new Properties();
props.put("bootstrap.servers", {bootstrap});
props.put("group.id", {group});
props.put("auto.offset.reset", "earliest");
{security}props.put("key.deserializer", "{key_deserializer}");
props.put("value.deserializer", "{deserializer}");
props.put("schema.registry.url", {registry});

try (KafkaConsumer<{key_type}, {value_type}> consumer = new KafkaConsumer<>(props)) {{
    consumer.subscribe(List.of({topic}));
    while (true) {{
        for (ConsumerRecord<{key_type}, {value_type}> record : consumer.poll(Duration.ofSeconds(1))) {{
            System.out.println(record.key() + " -> " + record.value());
        }}
    }}
}}
"#,
        format = info.format.registry_name(),
        bootstrap = quoted(&info.bootstrap_servers),
        group = quoted(group),
        registry = quoted(&info.registry_url),
        topic = quoted(info.topic.as_str()),
        security = java_security(info.security.as_ref(), user),
    )
}

/// confluent-kafka for Python with the registry's deserializer.
pub fn python_snippet(info: &ConsumeInfo, group: &str, user: &str) -> String {
    let (import, make) = match info.format {
        SchemaFormat::Avro => {
            ("from confluent_kafka.schema_registry.avro import AvroDeserializer", "AvroDeserializer(registry)")
        }
        SchemaFormat::Json => (
            "from confluent_kafka.schema_registry.json_schema import JSONDeserializer",
            "JSONDeserializer(None, schema_registry_client=registry)",
        ),
        SchemaFormat::Protobuf => (
            "from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer\n\
             from your_module_pb2 import YourMessage  # generated by protoc from the registered schema",
            "ProtobufDeserializer(YourMessage, {\"use.deprecated.format\": False})",
        ),
    };
    let security = python_security(info.security.as_ref(), user);
    format!(
        r#"# pip install "confluent-kafka[schemaregistry]"
{os}from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
{import}
from confluent_kafka.serialization import MessageField, SerializationContext

registry = SchemaRegistryClient({{"url": {registry}}})
deserialize = {make}
consumer = Consumer({{
    "bootstrap.servers": {bootstrap},
    "group.id": {group},
    "auto.offset.reset": "earliest",
{security}}})
consumer.subscribe([{topic}])
try:
    while True:
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        value = deserialize(message.value(), SerializationContext(message.topic(), MessageField.VALUE))
        print(message.key(), value)
finally:
    consumer.close()
"#,
        registry = quoted(&info.registry_url),
        bootstrap = quoted(&info.bootstrap_servers),
        group = quoted(group),
        topic = quoted(info.topic.as_str()),
        os = if security.contains("os.environ") { "import os\n" } else { "" },
    )
}

/// kcat from the start of the topic; it decodes Avro through the registry, other formats arrive as bytes.
pub fn kcat_snippet(info: &ConsumeInfo, user: &str) -> String {
    let base = format!(
        "kcat -C -b {} -t {} -o beginning{}",
        shell(&info.bootstrap_servers),
        shell(info.topic.as_str()),
        kcat_security(info.security.as_ref(), user)
    );
    match info.format {
        SchemaFormat::Avro => {
            let key = if info.key_subject.is_some() { " -s key=avro" } else { "" };
            format!(
                "{base} \\\n  -s value=avro{key} -r {} \\\n  -f 'partition %p, offset %o, key %k: %s\\n'\n",
                shell(&info.registry_url)
            )
        }
        SchemaFormat::Json | SchemaFormat::Protobuf => format!(
            "# kcat decodes only Avro through the registry: these values arrive in Confluent's wire format\n\
             # (a zero byte and the 4-byte schema id of subject {}, then the {} payload).\n\
             {base} \\\n  -f 'partition %p, offset %o, key %k: %s\\n'\n",
            info.value_subject,
            info.format.registry_name()
        ),
    }
}
