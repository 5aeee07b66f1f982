//! The deployment (`infra/`) checked against the code, without an AWS account: the template's table, IAM and
//! environment against what the API really uses; real Lambda events through the router; and the `meshport` binary
//! answering invocations under a small Lambda Runtime API emulator, its secrets read from a fake Parameters and
//! Secrets extension.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use meshport_api::app::{self, AppState};
use meshport_api::catalog::dynamo::table_definition;
use meshport_api::config::{CatalogConfig, Config};
use meshport_api::lambda::Function;
use meshport_api::secrets::{self, SecretArns, SecretsExtension};
use meshport_shared::api::{Health, HealthStatus};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower::ServiceExt;

use common::closed_port;

// ---------------------------------------------------------------------------------------------------------------
// The template against the code
// ---------------------------------------------------------------------------------------------------------------

/// Variables the API reads that a cloud deployment deliberately does not set, and why.
const NOT_SET_IN_THE_CLOUD: &[(&str, &str)] = &[
    ("MESHPORT_LISTEN", "the local server's address; on Lambda requests come from the runtime"),
    (
        "MESHPORT_ALLOWED_HOSTS",
        "the local server's host names; in the cloud API Gateway and CloudFront decide which host reaches the API",
    ),
    ("MESHPORT_DATA_DIR", "the embedded catalog's directory; the cloud catalog is DynamoDB"),
    ("MESHPORT_DYNAMODB_ENDPOINT", "a local DynamoDB (moto, DynamoDB Local); in AWS the region's endpoint is used"),
    ("MESHPORT_STATIC_DIR", "the portal served by the local server; in the cloud CloudFront serves it from S3"),
    ("MESHPORT_DEMO", "the demo mesh, for local runs"),
    ("MESHPORT_DEMO_CATCHER_URL", "the demo's mail and webhook catcher, for local runs"),
    ("MESHPORT_SMTP_PASSWORD", "a secret: the template passes MESHPORT_SMTP_SECRET_ARN instead"),
    ("MESHPORT_NOTIFY_ALLOW_PRIVATE_URLS", "channel URLs on this machine, for local runs and tests: never deployed"),
    (
        "MESHPORT_SYNC_INTERVAL_SECS",
        "the local server's sync schedule; on Lambda an EventBridge rule runs the sync function",
    ),
    ("MESHPORT_DEV_AUTH", "dev sign-in signs tokens for demo users: insecure, never deployed"),
    ("MESHPORT_DEV_AUTH_SECRET", "dev sign-in's secret: never deployed"),
    ("MESHPORT_DEV_AUTH_ON_LAMBDA", "the explicit opt-in to dev sign-in on Lambda: never deployed"),
    ("MESHPORT_DEV_AUTH_ANY_ADDRESS", "dev sign-in beyond loopback, for a local server: never deployed"),
    ("MESHPORT_OIDC_ALLOW_HTTP", "an identity provider in the clear, for local test providers: never deployed"),
    ("MESHPORT_REGISTRY_BASIC_AUTH", "a secret: the template passes MESHPORT_REGISTRY_SECRET_ARN instead"),
    ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "the extension's own default port is used"),
];

/// Prefix of the variables Lambda itself sets (region and the role's credentials).
const SET_BY_LAMBDA: &str = "AWS_";

/// DynamoDB operations the code calls that the deployed functions must not be allowed, and why.
const LOCAL_ONLY_OPERATIONS: &[(&str, &str)] =
    &[("create_table", "called only against a local endpoint; in AWS the template creates the table")];

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_file(relative)).unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

fn template() -> Value {
    serde_json::from_str(&read("infra/template.json")).expect("infra/template.json is JSON")
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    let resources = template["Resources"].as_object().expect("the template has resources");
    resources.iter().filter(|(_, r)| r["Type"] == kind).map(|(name, r)| (name.as_str(), r)).collect()
}

fn the_table(template: &Value) -> &Value {
    let tables = resources_of_type(template, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1, "the template has exactly one DynamoDB table");
    &tables[0].1["Properties"]
}

/// A conditional value (`Fn::If`) counts as what it is when its condition holds.
fn when_present(value: &Value) -> Option<&Value> {
    match value.get("Fn::If") {
        Some(branches) => Some(&branches[1]).filter(|v| v.get("Ref") != Some(&json!("AWS::NoValue"))),
        None => Some(value),
    }
}

/// Every IAM statement of a role, conditional policies included.
fn statements(role: &Value) -> Vec<&Value> {
    let policies = role["Properties"]["Policies"].as_array().expect("the role has inline policies");
    policies
        .iter()
        .filter_map(when_present)
        .flat_map(|policy| policy["PolicyDocument"]["Statement"].as_array().unwrap().iter())
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_table_has_the_key_schema_and_indexes_the_code_defines() {
    let template = template();
    let table = the_table(&template);
    let definition = table_definition();

    let key = |schema: &Value| -> (String, String) {
        let schema = schema.as_array().unwrap();
        assert_eq!(schema.len(), 2, "{schema:?} is a partition and a sort key");
        let of = |kind: &str| {
            let element = schema.iter().find(|e| e["KeyType"] == kind).unwrap();
            element["AttributeName"].as_str().unwrap().to_owned()
        };
        (of("HASH"), of("RANGE"))
    };
    assert_eq!(key(&table["KeySchema"]), (definition.partition_key.to_owned(), definition.sort_key.to_owned()));

    let indexes: Vec<(String, String, String)> = table["GlobalSecondaryIndexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|index| {
            assert_eq!(index["Projection"]["ProjectionType"], "ALL", "{index}");
            let (pk, sk) = key(&index["KeySchema"]);
            (index["IndexName"].as_str().unwrap().to_owned(), pk, sk)
        })
        .collect();
    let expected: Vec<(String, String, String)> =
        definition.indexes.iter().map(|(i, pk, sk)| ((*i).to_owned(), (*pk).to_owned(), (*sk).to_owned())).collect();
    assert_eq!(indexes, expected);

    let attributes: BTreeMap<&str, &str> = table["AttributeDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["AttributeName"].as_str().unwrap(), a["AttributeType"].as_str().unwrap()))
        .collect();
    let keys: BTreeSet<&str> = [definition.partition_key, definition.sort_key]
        .into_iter()
        .chain(definition.indexes.iter().flat_map(|(_, pk, sk)| [*pk, *sk]))
        .collect();
    assert_eq!(attributes.keys().copied().collect::<BTreeSet<_>>(), keys, "exactly the key attributes are defined");
    assert!(attributes.values().all(|t| *t == "S"), "every key is a string: {attributes:?}");

    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(table["DeletionProtectionEnabled"], true);
}

/// The DynamoDB operations the code calls: every `.client.<operation>(` in the modules using the SDK.
fn dynamodb_operations_in_the_code() -> BTreeSet<String> {
    fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push(path);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(&repo_file("api/src"), &mut files);
    let mut operations = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        if !source.contains("aws_sdk_dynamodb") {
            continue;
        }
        // Method chains span lines (`self\n.client\n.query()`), so whitespace is dropped first.
        let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
        for (at, _) in compact.match_indices(".client.") {
            let rest = &compact[at + ".client.".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            if !name.is_empty() && rest[name.len()..].starts_with('(') {
                operations.insert(name);
            }
        }
    }
    operations
}

/// What Lambda's event source mapping does with the notify function's role to read the table's stream: not calls of
/// the code.
const STREAM_ACTIONS: &[&str] =
    &["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"];

/// `transact_write_items` -> `dynamodb:TransactWriteItems`.
fn iam_action(operation: &str) -> String {
    let pascal: String = operation
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    format!("dynamodb:{pascal}")
}

#[test]
fn the_functions_may_call_exactly_the_dynamodb_operations_the_code_calls_on_the_table_only() {
    let operations = dynamodb_operations_in_the_code();
    assert!(operations.contains("get_item"), "the scan of api/src found the store's calls: {operations:?}");
    let expected: BTreeSet<String> = operations
        .iter()
        .filter(|op| !LOCAL_ONLY_OPERATIONS.iter().any(|(local, _)| local == op))
        .map(|op| iam_action(op))
        .collect();

    let template = template();
    let roles = resources_of_type(&template, "AWS::IAM::Role");
    let functions = resources_of_type(&template, "AWS::Serverless::Function");
    assert!(!functions.is_empty());
    for (function, resource) in &functions {
        let role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{function} has its own role (no SAM-generated one with broader policies)"));
        assert!(roles.iter().any(|(name, _)| *name == role), "{function}'s role {role} is in the template");
    }

    for (name, role) in roles {
        let statements = statements(role);
        let granted: BTreeSet<String> = statements
            .iter()
            .flat_map(|s| strings(&s["Action"]))
            .filter(|action| action.starts_with("dynamodb:") && !STREAM_ACTIONS.contains(&action.as_str()))
            .collect();
        assert_eq!(granted, expected, "{name} grants exactly the operations the code calls");

        for statement in &statements {
            let actions = strings(&statement["Action"]);
            assert!(!actions.iter().any(|a| a.ends_with('*')), "{name} grants no wildcard action: {statement}");
            if actions.iter().any(|a| STREAM_ACTIONS.contains(&a.as_str())) {
                assert!(
                    actions.iter().all(|a| STREAM_ACTIONS.contains(&a.as_str())),
                    "{name}: the stream's actions in a statement of their own: {statement}"
                );
                assert_eq!(
                    statement["Resource"],
                    json!({"Fn::GetAtt": ["CatalogTable", "StreamArn"]}),
                    "{name}: the table's stream only"
                );
                assert_eq!(name, "NotifyRole", "only the function the stream invokes reads it");
            } else if actions.iter().any(|a| a.starts_with("dynamodb:")) {
                assert_eq!(
                    statement["Resource"],
                    json!([{"Fn::GetAtt": ["CatalogTable", "Arn"]}, {"Fn::Sub": "${CatalogTable.Arn}/index/*"}]),
                    "{name}: the table and its indexes only"
                );
            }
            if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                assert_eq!(
                    statement["Resource"],
                    json!([
                        {"Fn::If": ["HasKafkaSecret", {"Ref": "KafkaSaslSecretArn"}, {"Ref": "AWS::NoValue"}]},
                        {"Fn::If": ["HasRegistrySecret", {"Ref": "SchemaRegistrySecretArn"}, {"Ref": "AWS::NoValue"}]},
                        {"Fn::If": ["HasSmtpSecret", {"Ref": "SmtpSecretArn"}, {"Ref": "AWS::NoValue"}]}
                    ]),
                    "{name}: the three given secrets only"
                );
            }
            if statement["Resource"] == "*" {
                assert!(
                    actions.iter().all(|a| a.starts_with("ec2:")),
                    "{name}: only the VPC network interface calls, which EC2 cannot scope, are on `*`: {statement}"
                );
            }
        }
    }
}

/// AWS's managed response headers policy `SecurityHeadersPolicy`: HSTS, `X-Content-Type-Options: nosniff`,
/// `X-Frame-Options: SAMEORIGIN` and a strict `Referrer-Policy`.
const SECURITY_HEADERS_POLICY: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

#[test]
fn every_path_that_answers_with_a_portal_page_carries_the_security_headers_and_cards_stay_framable() {
    let template = template();
    let distributions = resources_of_type(&template, "AWS::CloudFront::Distribution");
    assert_eq!(distributions.len(), 1, "one distribution serves the portal");
    let config = &distributions[0].1["Properties"]["DistributionConfig"];
    let behaviour = |pattern: &str| {
        let behaviours = config["CacheBehaviors"].as_array().unwrap();
        behaviours.iter().find(|b| b["PathPattern"] == pattern).unwrap_or_else(|| panic!("no behaviour for {pattern}"))
    };

    // The portal's files, and a product's page, which the API answers with the portal's index.html.
    assert_eq!(config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"], SECURITY_HEADERS_POLICY);
    assert_eq!(behaviour("/products/*")["ResponseHeadersPolicyId"], SECURITY_HEADERS_POLICY);
    // Cards are framed by the organisation's wikis: their own `frame-ancestors` decides, not `SAMEORIGIN`.
    assert!(behaviour("/embed/*").get("ResponseHeadersPolicyId").is_none());
}

/// The names the API reads, from the modules' own documentation tables.
fn variables_the_api_reads() -> Vec<&'static str> {
    let tables = [meshport_api::config::VARIABLES, secrets::VARIABLES, meshport_api::lambda::VARIABLES];
    tables.iter().flat_map(|table| table.iter()).flat_map(|(names, _, _)| names.split(" / ")).collect()
}

/// Each function's environment as SAM merges it: the globals, then the function's own.
fn environments(template: &Value) -> Vec<(String, serde_json::Map<String, Value>)> {
    let globals = template["Globals"]["Function"]["Environment"]["Variables"].as_object().cloned().unwrap_or_default();
    resources_of_type(template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(name, function)| {
            let mut variables = globals.clone();
            if let Some(own) = function["Properties"]["Environment"]["Variables"].as_object() {
                variables.extend(own.clone());
            }
            (name.to_owned(), variables)
        })
        .collect()
}

#[test]
fn every_setting_the_api_reads_in_the_cloud_is_set_for_every_function() {
    let template = template();
    let needed: Vec<&str> = variables_the_api_reads()
        .into_iter()
        .filter(|name| !name.starts_with(SET_BY_LAMBDA))
        .filter(|name| !NOT_SET_IN_THE_CLOUD.iter().any(|(local, _)| local == name))
        .collect();
    assert!(needed.contains(&"MESHPORT_KAFKA_BOOTSTRAP") && needed.contains(&"MESHPORT_FUNCTION"), "{needed:?}");

    let environments = environments(&template);
    assert_eq!(environments.len(), 3, "the API, sync and notify functions");
    for (function, variables) in &environments {
        let missing: Vec<&&str> = needed.iter().filter(|name| !variables.contains_key(**name)).collect();
        assert!(missing.is_empty(), "{function} does not set {missing:?}");
        assert_eq!(variables["MESHPORT_CATALOG"], "dynamodb", "{function}");
        assert_eq!(variables["MESHPORT_DYNAMODB_TABLE"], json!({"Ref": "CatalogTable"}), "{function}");
    }
}

#[test]
fn the_scheduled_function_runs_the_sync_the_http_function_the_api_and_the_streamed_one_notifications() {
    let template = template();
    let resources = &template["Resources"];
    for (name, variables) in environments(&template) {
        let function = Function::from_lookup(|n| variables.get(n).and_then(Value::as_str).map(str::to_owned)).unwrap();
        let triggered_by = |kind: &str| {
            resources[&name]["Properties"]["Events"]
                .as_object()
                .is_some_and(|events| events.values().any(|e| e["Type"] == kind))
        };
        let (scheduled, streamed) = (triggered_by("Schedule"), triggered_by("DynamoDB"));
        let behind_the_http_api = resources_of_type(&template, "AWS::ApiGatewayV2::Integration")
            .iter()
            .any(|(_, integration)| integration["Properties"]["IntegrationUri"]["Fn::GetAtt"][0] == name.as_str());
        match function {
            Function::Sync => assert!(scheduled && !streamed && !behind_the_http_api, "{name} runs the sync"),
            Function::Api => assert!(behind_the_http_api && !scheduled && !streamed, "{name} serves the API"),
            Function::Notify => {
                assert!(streamed && scheduled && !behind_the_http_api, "{name}: the table's stream, and a sweep");
                let stream = resources[&name]["Properties"]["Events"]
                    .as_object()
                    .and_then(|events| events.values().find(|e| e["Type"] == "DynamoDB"))
                    .unwrap();
                assert_eq!(stream["Properties"]["Stream"], json!({"Fn::GetAtt": ["CatalogTable", "StreamArn"]}));
                let pattern: Value = serde_json::from_str(
                    stream["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"].as_str().unwrap(),
                )
                .unwrap();
                assert_eq!(
                    pattern["dynamodb"]["Keys"]["PK"]["S"],
                    json!([meshport_api::catalog::dynamo::EVENTS]),
                    "only the writes of events wake it"
                );
            }
        }
    }
    assert!(Function::from_lookup(|_| Some("cron".into())).is_err(), "an unknown function is refused");
}

// The template resolved with an organisation's parameters, as CloudFormation would: the values the functions get must
// make a configuration the API accepts.

/// `Key=Value` pairs of a samconfig file's `parameter_overrides` list, read as sam reads them: one TOML string per
/// line, and a value with spaces in double quotes.
fn parameter_overrides(samconfig: &str) -> Vec<(String, String)> {
    let list = samconfig.split_once("parameter_overrides = [").expect("the config has parameter_overrides").1;
    let list = list.split_once("\n]").expect("the list ends").0;
    list.lines()
        .map(str::trim)
        .filter(|line| line.starts_with('"'))
        .map(|line| {
            let item = line.trim_end_matches(',').strip_prefix('"').and_then(|l| l.strip_suffix('"')).unwrap();
            let item = item.replace("\\\"", "\"");
            let (key, value) = item.split_once('=').unwrap();
            let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// Evaluates the intrinsic functions the template's environment uses. Resource attributes become placeholders
/// (`Resource.Attribute`), as their values exist only once deployed.
struct Resolver<'a> {
    template: &'a Value,
    parameters: BTreeMap<String, String>,
}

impl<'a> Resolver<'a> {
    fn new(template: &'a Value, overrides: &[(String, String)]) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, parameter) in template["Parameters"].as_object().unwrap() {
            let given = overrides.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
            let default = match &parameter["Default"] {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let value = given.or(default).unwrap_or_else(|| panic!("parameter {name} has no default and no value"));
            parameters.insert(name.clone(), value);
        }
        for (key, _) in overrides {
            assert!(parameters.contains_key(key), "{key} is not a parameter of the template");
        }
        Self { template, parameters }
    }

    fn holds(&self, condition: &Value) -> bool {
        let (function, argument) = condition.as_object().unwrap().iter().next().unwrap();
        match function.as_str() {
            "Fn::Equals" => self.resolve(&argument[0]) == self.resolve(&argument[1]),
            "Fn::Not" => !self.holds(&argument[0]),
            "Fn::Or" => argument.as_array().unwrap().iter().any(|c| self.holds(c)),
            "Fn::And" => argument.as_array().unwrap().iter().all(|c| self.holds(c)),
            "Condition" => self.holds(&self.template["Conditions"][argument.as_str().unwrap()]),
            other => panic!("condition function {other} is not supported here"),
        }
    }

    fn reference(&self, name: &str) -> Option<String> {
        match name {
            "AWS::NoValue" => None,
            "AWS::Region" => Some("eu-west-1".into()),
            "AWS::AccountId" => Some("123456789012".into()),
            "AWS::Partition" => Some("aws".into()),
            "AWS::URLSuffix" => Some("amazonaws.com".into()),
            "AWS::StackName" => Some("meshport-test".into()),
            _ => Some(self.parameters.get(name).cloned().unwrap_or_else(|| {
                assert!(self.template["Resources"].get(name).is_some(), "{name} is neither a parameter nor a resource");
                name.to_owned()
            })),
        }
    }

    /// `None` is `AWS::NoValue`.
    fn resolve(&self, value: &Value) -> Option<String> {
        let object = match value {
            Value::String(s) => return Some(s.clone()),
            Value::Number(n) => return Some(n.to_string()),
            Value::Bool(b) => return Some(b.to_string()),
            Value::Object(object) => object,
            other => panic!("{other} is not a scalar"),
        };
        let (function, argument) = object.iter().next().unwrap();
        match function.as_str() {
            "Ref" => self.reference(argument.as_str().unwrap()),
            "Fn::GetAtt" => Some(format!("{}.{}", argument[0].as_str().unwrap(), argument[1].as_str().unwrap())),
            "Fn::If" => {
                let condition = &self.template["Conditions"][argument[0].as_str().unwrap()];
                self.resolve(&argument[if self.holds(condition) { 1 } else { 2 }])
            }
            "Fn::Join" => {
                let items = argument[1].as_array().unwrap().iter().filter_map(|v| self.resolve(v));
                Some(items.collect::<Vec<_>>().join(argument[0].as_str().unwrap()))
            }
            "Fn::Sub" => {
                let mut text = argument.as_str().unwrap().to_owned();
                while let Some(start) = text.find("${") {
                    let end = start + text[start..].find('}').unwrap();
                    let name = &text[start + 2..end];
                    let value = match name.split_once('.') {
                        Some((resource, attribute)) => format!("{resource}.{attribute}"),
                        None => self.reference(name).unwrap(),
                    };
                    text.replace_range(start..=end, &value);
                }
                Some(text)
            }
            other => panic!("intrinsic function {other} is not supported here"),
        }
    }

    fn environment(&self, variables: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
        let mut environment: BTreeMap<String, String> =
            variables.iter().filter_map(|(name, value)| Some((name.clone(), self.resolve(value)?))).collect();
        // What Lambda adds.
        for (name, value) in [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "example"),
            ("AWS_SESSION_TOKEN", "example"),
        ] {
            environment.insert(name.into(), value.into());
        }
        environment
    }
}

fn configurations(overrides: &[(String, String)]) -> Vec<(String, BTreeMap<String, String>, Config)> {
    let template = template();
    let resolver = Resolver::new(&template, overrides);
    environments(&template)
        .into_iter()
        .map(|(function, variables)| {
            let environment = resolver.environment(&variables);
            let config = Config::from_lookup(|name| environment.get(name).cloned())
                .unwrap_or_else(|e| panic!("{function}: the API refuses the deployed configuration: {e}"));
            (function, environment, config)
        })
        .collect()
}

#[test]
fn the_example_organisation_deploys_a_configuration_the_api_accepts() {
    let overrides = parameter_overrides(&read("infra/orgs/example-acme.toml"));
    for (function, environment, config) in configurations(&overrides) {
        let CatalogConfig::DynamoDb(dynamo) = &config.catalog else { panic!("{function} uses DynamoDB") };
        assert_eq!(dynamo.table, "CatalogTable");
        assert_eq!(dynamo.endpoint, None);
        assert_eq!(config.kafka_bootstrap, "pkc-12345.eu-west-1.aws.confluent.cloud:9092");
        let kafka: BTreeMap<&str, &str> = config.kafka_config.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            kafka,
            BTreeMap::from([
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanisms", "PLAIN"),
                ("client.id", "meshport-acme")
            ]),
            "{function}: no credential is in the environment"
        );
        assert_eq!(config.registry_auth, None, "{function}: the registry key comes from its secret");
        let secrets = SecretArns::from_lookup(|name| environment.get(name).cloned());
        assert!(secrets.kafka_sasl.as_deref().is_some_and(|arn| arn.ends_with(":secret:meshport/acme/kafka-AbCdEf")));
        assert!(secrets.registry.as_deref().is_some_and(|arn| arn.ends_with(":secret:meshport/acme/registry-GhIjKl")));
        assert_eq!(config.embed.frame_ancestors, "'self' https://wiki.acme.example");
        assert!(config.embed.portal_url.starts_with("https://"), "{}", config.embed.portal_url);
        assert_eq!(environment["MESHPORT_OIDC_ISSUER"], "https://login.acme.example/realms/acme");
        assert!(!environment.values().any(|v| v.contains("hunter2")));
    }
}

#[test]
fn a_cluster_without_authentication_needs_no_secret() {
    let overrides: Vec<(String, String)> = [
        ("OrganisationName", "globex"),
        ("KafkaBootstrapServers", "redpanda-0.globex.internal:9092,redpanda-1.globex.internal:9092"),
        ("KafkaSecurityProtocol", "PLAINTEXT"),
        ("SchemaRegistryUrl", "http://redpanda-0.globex.internal:8081"),
        ("OidcIssuer", "https://globex.eu.auth0.com/"),
        ("OidcAudience", "meshport"),
        ("OidcJwksUrl", "https://globex.eu.auth0.com/.well-known/jwks.json"),
        ("PortalDomainName", "mesh.globex.example"),
        ("PortalCertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec();
    for (function, environment, config) in configurations(&overrides) {
        assert_eq!(config.kafka_config, vec![("security.protocol".to_owned(), "PLAINTEXT".to_owned())], "{function}");
        assert!(SecretArns::from_lookup(|name| environment.get(name).cloned()).is_empty(), "{function}");
        assert_eq!(config.embed.portal_url, "https://mesh.globex.example");
        assert_eq!(config.embed.frame_ancestors, "'self'");
        assert!(!config.embed.public_cards);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Lambda events through the router, and the binary under a Runtime API emulator
// ---------------------------------------------------------------------------------------------------------------

fn fixture(name: &str) -> String {
    read(&format!("api/tests/fixtures/lambda/{name}"))
}

/// Settings with the embedded catalog in `dir` and Kafka and the registry on ports nothing listens on.
fn offline_settings(dir: &Path) -> Vec<(String, String)> {
    [
        ("MESHPORT_CATALOG", "embedded".to_owned()),
        ("MESHPORT_DATA_DIR", dir.join("data").display().to_string()),
        ("MESHPORT_KAFKA_BOOTSTRAP", format!("127.0.0.1:{}", closed_port())),
        ("MESHPORT_REGISTRY_URL", format!("http://127.0.0.1:{}", closed_port())),
        ("MESHPORT_DEPENDENCY_TIMEOUT_MS", "500".to_owned()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec()
}

/// Health as a caller without a token sees it while Kafka and the registry are down: degraded, and nothing more.
fn assert_offline_health(health: &Health) {
    assert_eq!(health.status, HealthStatus::Degraded);
    assert!(health.dependencies.is_empty(), "which dependency is down is for admins: {health:?}");
}

#[tokio::test]
async fn http_api_and_function_url_events_reach_the_router() {
    let dir = tempfile::tempdir().unwrap();
    let settings = offline_settings(dir.path());
    let config = Config::from_lookup(|name| settings.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
    let state = AppState::build(&config).unwrap();

    for name in ["apigw-http-get-health.json", "function-url-get-health.json"] {
        let request = lambda_http::request::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(request.uri().path(), "/api/health", "{name}");

        let response = app::router(state.clone(), None).oneshot(request).await.unwrap();

        assert_eq!(response.status(), StatusCode::OK, "{name}");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_offline_health(&serde_json::from_slice(&body).unwrap());
    }
}

/// What the function sent back for one invocation.
#[derive(Debug)]
enum Outcome {
    Response { id: String, payload: Value },
    Error { id: String, payload: Value },
    InitError(Value),
}

/// A Lambda Runtime API (the part a function uses) and a fake Parameters and Secrets extension, on one port.
struct Emulator {
    address: SocketAddr,
    invocations: mpsc::UnboundedSender<(String, Value)>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    secret_reads: Arc<Mutex<Vec<String>>>,
}

struct Shared {
    pending: tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
    secrets: BTreeMap<String, String>,
    secret_reads: Arc<Mutex<Vec<String>>>,
}

const SESSION_TOKEN: &str = "session-token-of-the-test";

impl Emulator {
    async fn start(secrets: &[(&str, &str)]) -> Self {
        let (invocations, pending) = mpsc::unbounded_channel();
        let (outcome_sender, outcomes) = mpsc::unbounded_channel();
        let secret_reads = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            pending: tokio::sync::Mutex::new(pending),
            outcomes: outcome_sender,
            secrets: secrets.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            secret_reads: secret_reads.clone(),
        });
        let router = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(invocation_response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(invocation_error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .route("/secretsmanager/get", get(secret_value))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { address, invocations, outcomes, secret_reads }
    }

    fn invoke(&self, id: &str, event: Value) {
        self.invocations.send((id.to_owned(), event)).unwrap();
    }

    async fn outcome(&mut self, log: &Path) -> Outcome {
        match tokio::time::timeout(Duration::from_secs(60), self.outcomes.recv()).await {
            Ok(Some(outcome)) => outcome,
            _ => panic!(
                "the function did not answer within 60 s; its output:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            ),
        }
    }
}

/// Long-polls like Lambda: answers when an invocation is queued, and never otherwise.
async fn next_invocation(State(shared): State<Arc<Shared>>) -> Response {
    let mut pending = shared.pending.lock().await;
    let Some((id, event)) = pending.recv().await else { return std::future::pending().await };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(60);
    (
        [
            ("Lambda-Runtime-Aws-Request-Id", id),
            ("Lambda-Runtime-Deadline-Ms", deadline.as_millis().to_string()),
            (
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:meshport-test".to_owned(),
            ),
            ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".to_owned()),
        ],
        Json(event),
    )
        .into_response()
}

/// The runtime client posts JSON without a content type, so bodies are parsed here rather than by `Json`.
fn json_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| json!({ "unparsable": e.to_string() }))
}

async fn invocation_response(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    shared.outcomes.send(Outcome::Response { id, payload: json_body(&body) }).unwrap();
    StatusCode::ACCEPTED
}

async fn invocation_error(State(shared): State<Arc<Shared>>, UrlPath(id): UrlPath<String>, body: Bytes) -> StatusCode {
    shared.outcomes.send(Outcome::Error { id, payload: json_body(&body) }).unwrap();
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    shared.outcomes.send(Outcome::InitError(json_body(&body))).unwrap();
    StatusCode::ACCEPTED
}

/// The extension's `GET /secretsmanager/get?secretId=...`, answering like GetSecretValue.
async fn secret_value(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if headers.get("X-Aws-Parameters-Secrets-Token").and_then(|v| v.to_str().ok()) != Some(SESSION_TOKEN) {
        return (StatusCode::UNAUTHORIZED, "missing or wrong X-Aws-Parameters-Secrets-Token").into_response();
    }
    let id = query.get("secretId").cloned().unwrap_or_default();
    shared.secret_reads.lock().unwrap().push(id.clone());
    match shared.secrets.get(&id) {
        Some(value) => Json(json!({
            "ARN": id,
            "Name": id.rsplit(':').next(),
            "SecretString": value,
            "VersionId": "7f2b2b2c-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": "2026-11-22T00:00:00Z"
        }))
        .into_response(),
        None => {
            (StatusCode::BAD_REQUEST, "ResourceNotFoundException: Secrets Manager can't find the specified secret.")
                .into_response()
        }
    }
}

/// The real `meshport` binary as Lambda starts it, talking to the emulator; killed when dropped.
struct RunningFunction(std::process::Child);

impl Drop for RunningFunction {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The host build of `meshport`, or the command in `MESHPORT_TEST_LAMBDA_COMMAND` (words separated by spaces), which
/// runs these tests against another build: the arm64 artifact under qemu, say
/// `qemu-aarch64 -L /usr/aarch64-linux-gnu infra/.build/lambda/meshport/bootstrap`.
fn function_command() -> std::process::Command {
    match std::env::var("MESHPORT_TEST_LAMBDA_COMMAND") {
        Ok(line) => {
            let mut words = line.split_whitespace();
            let mut command = std::process::Command::new(words.next().expect("a command"));
            command.args(words);
            command
        }
        Err(_) => std::process::Command::new(env!("CARGO_BIN_EXE_meshport")),
    }
}

fn start_function(emulator: &Emulator, settings: &[(String, String)], log: &Path) -> RunningFunction {
    let output = std::fs::File::create(log).unwrap();
    let child = function_command()
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", emulator.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "meshport-test")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/meshport-test")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/22/[$LATEST]0123456789abcdef")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("RUST_LOG", "info,rdkafka=error")
        .envs(settings.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::from(output.try_clone().unwrap()))
        .stderr(Stdio::from(output))
        .spawn()
        .expect("the meshport binary starts");
    RunningFunction(child)
}

fn http_response(outcome: Outcome, expected_id: &str) -> (u16, Value) {
    let Outcome::Response { id, payload } = outcome else { panic!("expected a response, got {outcome:?}") };
    assert_eq!(id, expected_id);
    let status = payload["statusCode"].as_u64().expect("an HTTP response has a statusCode") as u16;
    let body = serde_json::from_str(payload["body"].as_str().expect("a JSON body")).unwrap();
    (status, body)
}

#[tokio::test]
async fn the_binary_answers_an_http_api_invocation() {
    let dir = tempfile::tempdir().unwrap();
    let mut emulator = Emulator::start(&[]).await;
    let log = dir.path().join("function.log");
    let _function = start_function(&emulator, &offline_settings(dir.path()), &log);

    emulator.invoke("invocation-1", serde_json::from_str(&fixture("apigw-http-get-health.json")).unwrap());

    let (status, body) = http_response(emulator.outcome(&log).await, "invocation-1");
    assert_eq!(status, 200);
    assert_offline_health(&serde_json::from_value(body).unwrap());
}

#[tokio::test]
async fn the_binary_reads_its_secrets_on_the_first_invocation_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let kafka_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:meshport/test/kafka-AbCdEf";
    let registry_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:meshport/test/registry-GhIjKl";
    let mut emulator = Emulator::start(&[
        (kafka_arn, r#"{"username": "mesh", "password": "kafka-password-never-logged"}"#),
        (registry_arn, r#"{"username": "registry-key", "password": "registry-password-never-logged"}"#),
    ])
    .await;
    let mut settings = offline_settings(dir.path());
    settings.extend(
        [
            // SCRAM over TLS: the client is built only if librdkafka has OpenSSL (the `ssl-vendored` feature).
            ("MESHPORT_KAFKA_CONFIG", "security.protocol=SASL_SSL;sasl.mechanisms=SCRAM-SHA-512".to_owned()),
            ("MESHPORT_KAFKA_SASL_SECRET_ARN", kafka_arn.to_owned()),
            ("MESHPORT_REGISTRY_SECRET_ARN", registry_arn.to_owned()),
            ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", emulator.address.port().to_string()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let log = dir.path().join("function.log");
    let _function = start_function(&emulator, &settings, &log);
    let event: Value = serde_json::from_str(&fixture("function-url-get-health.json")).unwrap();

    emulator.invoke("invocation-1", event.clone());
    let first = http_response(emulator.outcome(&log).await, "invocation-1");
    emulator.invoke("invocation-2", event);
    let second = http_response(emulator.outcome(&log).await, "invocation-2");

    for (status, body) in [first, second] {
        assert_eq!(status, 200);
        assert_offline_health(&serde_json::from_value(body).unwrap());
    }
    assert_eq!(*emulator.secret_reads.lock().unwrap(), vec![kafka_arn, registry_arn], "read once, in that order");
    let output = std::fs::read_to_string(&log).unwrap();
    assert!(!output.contains("password-never-logged"), "a secret reached the log:\n{output}");
}

#[tokio::test]
async fn the_sync_function_answers_the_schedule_with_a_mirror_sync() {
    let dir = tempfile::tempdir().unwrap();
    let mut emulator = Emulator::start(&[]).await;
    let mut settings = offline_settings(dir.path());
    settings.push(("MESHPORT_FUNCTION".into(), "sync".into()));
    let log = dir.path().join("function.log");
    let _function = start_function(&emulator, &settings, &log);

    emulator.invoke("scheduled-1", serde_json::from_str(&fixture("eventbridge-scheduled.json")).unwrap());

    // Kafka is down here, so the sync may fail; either way the sync handler, not the HTTP adapter, answered.
    match emulator.outcome(&log).await {
        Outcome::Response { id, payload } => {
            assert_eq!(id, "scheduled-1");
            assert!(payload.is_object() && payload.get("statusCode").is_none(), "a sync report: {payload}");
        }
        Outcome::Error { id, payload } => {
            assert_eq!(id, "scheduled-1");
            assert_eq!(payload["errorType"], "MirrorSyncFailed", "{payload}");
        }
        Outcome::InitError(payload) => panic!("the function failed to start: {payload}"),
    }
}

#[tokio::test]
async fn an_unusable_secret_is_refused_by_name_without_echoing_it() {
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:meshport/test/registry-GhIjKl";
    let emulator = Emulator::start(&[(arn, "hunter2")]).await;
    let port = emulator.address.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let settings = offline_settings(dir.path());
    let mut config =
        Config::from_lookup(|name| settings.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
    let arns = SecretArns { kafka_sasl: None, registry: Some(arn.to_owned()), smtp: None };
    let extension = |token: &str| {
        let lookup = |name: &str| match name {
            "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT" => Some(port.clone()),
            "AWS_SESSION_TOKEN" => Some(token.to_owned()),
            _ => None,
        };
        SecretsExtension::from_lookup(lookup, Duration::from_secs(2)).unwrap()
    };

    let not_json = secrets::apply(&mut config, &arns, &extension(SESSION_TOKEN)).await.unwrap_err();
    let wrong_token = secrets::apply(&mut config, &arns, &extension("another-token")).await.unwrap_err();

    assert_eq!(not_json.variable, "MESHPORT_REGISTRY_SECRET_ARN");
    assert!(not_json.message.contains("must be JSON like"), "{not_json}");
    assert!(!not_json.to_string().contains("hunter2"), "{not_json}");
    assert!(wrong_token.message.contains("401"), "{wrong_token}");
    assert_eq!(config.registry_auth, None, "nothing was applied");
}

/// A webhook receiver that answers 204 and keeps each request's `webhook-id`.
async fn webhook_catcher() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap| {
            let kept = kept.clone();
            async move {
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                kept.lock().unwrap().push(id);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, seen)
}

#[tokio::test]
async fn the_notify_function_answers_the_tables_stream_by_delivering_the_new_events_once() {
    use meshport_api::catalog::CatalogStore;
    use meshport_api::catalog::embedded::EmbeddedStore;
    use meshport_shared::AuditAction;
    use meshport_shared::events::{ChannelSettings, WebhookSettings};

    // Arrange: in the catalog the function will open, a product of team `trading` with a webhook channel, and a
    // request for access to it (an event for its owners), written before the function starts (redb is one process's).
    let dir = tempfile::tempdir().unwrap();
    let (url, seen) = webhook_catcher().await;
    {
        let catalog = EmbeddedStore::new(&dir.path().join("data"));
        let product = common::product("orders", "sales");
        let audit = |action| meshport_api::audit::entry("test", &product.id, action, "arranged", None, None);
        catalog.put_product(product.clone(), None, audit(AuditAction::Published)).await.unwrap();
        let channels = ChannelSettings {
            webhook: Some(WebhookSettings { url, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into() }),
            ..ChannelSettings::default()
        };
        let entry = meshport_api::audit::entry("test", &product.id, AuditAction::Updated, "channels", None, None);
        catalog.put_team_channels(&product.owner.team, &channels, None, entry).await.unwrap();
        let request = common::access_request("request-1", product.id.as_str(), "fraud");
        catalog.put_access(request, None, audit(AuditAction::Access)).await.unwrap();
    }
    let mut emulator = Emulator::start(&[]).await;
    let mut settings = offline_settings(dir.path());
    settings.push(("MESHPORT_FUNCTION".into(), "notify".into()));
    let log = dir.path().join("function.log");
    let _function = start_function(&emulator, &settings, &log);
    let stream_event: Value = serde_json::from_str(&fixture("dynamodb-stream-insert.json")).unwrap();

    // Act: the stream's batch, then the same batch again (the stream delivers at least once).
    emulator.invoke("stream-1", stream_event.clone());
    let first = emulator.outcome(&log).await;
    emulator.invoke("stream-2", stream_event);
    let second = emulator.outcome(&log).await;

    // Assert: the owners' webhook got the request once; the repeated batch found nothing new.
    let report = |outcome: Outcome, expected: &str| match outcome {
        Outcome::Response { id, payload } => {
            assert_eq!(id, expected);
            payload
        }
        other => panic!("the notify function failed: {other:?}\n{}", std::fs::read_to_string(&log).unwrap()),
    };
    let (first, second) = (report(first, "stream-1"), report(second, "stream-2"));
    assert_eq!(first["delivered"], 1, "{first}");
    assert!(first["handed_out"].as_u64().unwrap() >= 2, "the product's event and the request's: {first}");
    assert_eq!((second["handed_out"].as_u64(), second["delivered"].as_u64()), (Some(0), Some(0)), "{second}");
    let ids = seen.lock().unwrap().clone();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(!ids[0].is_empty(), "the delivery carries its webhook-id");
}

#[tokio::test]
async fn the_smtp_relays_sign_in_comes_from_its_secret_and_needs_the_relay_named() {
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:meshport/test/ses-MnOpQr";
    let emulator =
        Emulator::start(&[(arn, r#"{"username": "AKIAEXAMPLE", "password": "ses-password-never-logged"}"#)]).await;
    let port = emulator.address.port().to_string();
    let lookup = |name: &str| match name {
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT" => Some(port.clone()),
        "AWS_SESSION_TOKEN" => Some(SESSION_TOKEN.to_owned()),
        _ => None,
    };
    let extension = SecretsExtension::from_lookup(lookup, Duration::from_secs(2)).unwrap();
    let arns = SecretArns { kafka_sasl: None, registry: None, smtp: Some(arn.to_owned()) };
    let dir = tempfile::tempdir().unwrap();
    let config_with = |extra: &[(&str, &str)]| {
        let mut settings = offline_settings(dir.path());
        settings.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Config::from_lookup(|name| settings.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap()
    };
    let mut without_relay = config_with(&[]);
    let mut with_relay = config_with(&[
        ("MESHPORT_SMTP_URL", "smtp://email-smtp.eu-west-1.amazonaws.com:587"),
        ("MESHPORT_SMTP_FROM", "Meshport <meshport@acme.example>"),
    ]);

    let refused = secrets::apply(&mut without_relay, &arns, &extension).await.unwrap_err();
    secrets::apply(&mut with_relay, &arns, &extension).await.unwrap();

    assert_eq!(refused.variable, "MESHPORT_SMTP_SECRET_ARN");
    assert!(refused.message.contains("MESHPORT_SMTP_URL"), "{refused}");
    let smtp = with_relay.smtp.expect("the relay is configured");
    assert_eq!(smtp.credentials, Some(("AKIAEXAMPLE".to_owned(), "ses-password-never-logged".to_owned())));
    assert!(!format!("{smtp:?}").contains("ses-password-never-logged"), "the password stays out of Debug");
}
