//! Secrets of the cloud deployment (Kafka's SASL credentials, the schema registry's key, the SMTP relay's sign-in), read from AWS Secrets
//! Manager through the AWS Parameters and Secrets Lambda Extension, a layer the template adds to the functions.
//!
//! The function's environment holds only the secrets' ARNs, so the values never appear in its configuration, the
//! console or the template's parameters. The extension is a local HTTP server (`localhost:2773`) that calls
//! GetSecretValue with the function's own role and caches the answer; talking to it takes plain HTTP, not the
//! Secrets Manager SDK. AWS documents that it answers during invocations only, not during the function's init phase,
//! so the Lambda launcher (`lambda.rs`) reads the secrets on the first invocation and keeps them for the life of the
//! execution environment.

use std::time::Duration;

use serde::Deserialize;

use crate::config::Config;

/// (variable, default, meaning) of the variables read here, in the style of `config::VARIABLES`.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "MESHPORT_KAFKA_SASL_SECRET_ARN",
        "(none)",
        "Secrets Manager secret `{\"username\", \"password\"}` used as Kafka's `sasl.username`/`sasl.password` (Lambda only)",
    ),
    (
        "MESHPORT_REGISTRY_SECRET_ARN",
        "(none)",
        "Secrets Manager secret `{\"username\", \"password\"}` used as the registry's basic auth (Lambda only)",
    ),
    (
        "MESHPORT_SMTP_SECRET_ARN",
        "(none)",
        "Secrets Manager secret `{\"username\", \"password\"}` the SMTP relay of MESHPORT_SMTP_URL signs in with, e.g. SES \
         SMTP credentials (Lambda only)",
    ),
    ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2773", "port of the Parameters and Secrets Lambda Extension"),
];

const KAFKA_SECRET: &str = "MESHPORT_KAFKA_SASL_SECRET_ARN";
const REGISTRY_SECRET: &str = "MESHPORT_REGISTRY_SECRET_ARN";
const SMTP_SECRET: &str = "MESHPORT_SMTP_SECRET_ARN";
const EXTENSION_PORT: &str = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT";

/// Which secrets the deployment configured, by ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretArns {
    pub kafka_sasl: Option<String>,
    pub registry: Option<String>,
    pub smtp: Option<String>,
}

impl SecretArns {
    /// An empty variable counts as unset: the template always sets both, empty when the organisation has no secret.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self { kafka_sasl: get(KAFKA_SECRET), registry: get(REGISTRY_SECRET), smtp: get(SMTP_SECRET) }
    }

    pub fn is_empty(&self) -> bool {
        self.kafka_sasl.is_none() && self.registry.is_none() && self.smtp.is_none()
    }
}

/// A secret that could not be read or used, named by the variable that points at it. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SecretError {
    pub variable: &'static str,
    pub message: String,
}

fn error(variable: &'static str, message: impl Into<String>) -> SecretError {
    SecretError { variable, message: message.into() }
}

/// The extension's endpoint, and the token it demands (the function's session token).
#[derive(Clone)]
pub struct SecretsExtension {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for SecretsExtension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsExtension").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// A secret's value as Meshport expects it; both Confluent Cloud API keys and MSK SCRAM secrets have this shape.
#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// The part of the extension's answer (GetSecretValue's output) that matters here.
#[derive(Deserialize)]
struct SecretValue {
    #[serde(rename = "SecretString")]
    secret_string: Option<String>,
}

impl SecretsExtension {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, timeout: Duration) -> Result<Self, SecretError> {
        let port = match lookup(EXTENSION_PORT).filter(|v| !v.trim().is_empty()) {
            None => 2773,
            Some(raw) => {
                raw.trim().parse::<u16>().map_err(|_| error(EXTENSION_PORT, format!("`{raw}` is not a port")))?
            }
        };
        let token = lookup("AWS_SESSION_TOKEN").filter(|v| !v.is_empty()).ok_or_else(|| {
            error("AWS_SESSION_TOKEN", "is required to read secrets through the extension (Lambda sets it)")
        })?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| error(EXTENSION_PORT, format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { base_url: format!("http://localhost:{port}"), token, http })
    }

    async fn credentials(&self, variable: &'static str, arn: &str) -> Result<Credentials, SecretError> {
        let response = self
            .http
            .get(format!("{}/secretsmanager/get", self.base_url))
            .query(&[("secretId", arn)])
            .header("X-Aws-Parameters-Secrets-Token", &self.token)
            .send()
            .await
            .map_err(|e| {
                error(variable, format!("cannot reach the Parameters and Secrets extension at {}: {e}", self.base_url))
            })?;
        let status = response.status();
        if !status.is_success() {
            // The extension answers errors with Secrets Manager's message (access denied, not found), never a value.
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(300).collect();
            return Err(error(variable, format!("Secrets Manager refused `{arn}` ({status}): {}", body.trim())));
        }
        let value: SecretValue = response
            .json()
            .await
            .map_err(|_| error(variable, format!("the extension's answer for `{arn}` is not GetSecretValue's JSON")))?;
        let text = value.secret_string.ok_or_else(|| {
            error(variable, format!("secret `{arn}` has no SecretString (binary secrets are not read)"))
        })?;
        // serde's message could quote part of the value, so it is not passed on.
        serde_json::from_str(&text).map_err(|_| {
            error(
                variable,
                format!("secret `{arn}` must be JSON like {{\"username\": \"...\", \"password\": \"...\"}}"),
            )
        })
    }
}

/// Reads the secrets in `arns` and puts them into `config`: Kafka's as `sasl.username` and `sasl.password` (in place
/// of any given in `MESHPORT_KAFKA_CONFIG`), the registry's as its basic auth, the SMTP relay's as its sign-in.
pub async fn apply(config: &mut Config, arns: &SecretArns, extension: &SecretsExtension) -> Result<(), SecretError> {
    if let Some(arn) = &arns.kafka_sasl {
        let credentials = extension.credentials(KAFKA_SECRET, arn).await?;
        config.kafka_config.retain(|(key, _)| key != "sasl.username" && key != "sasl.password");
        config.kafka_config.push(("sasl.username".to_owned(), credentials.username));
        config.kafka_config.push(("sasl.password".to_owned(), credentials.password));
    }
    if let Some(arn) = &arns.registry {
        let credentials = extension.credentials(REGISTRY_SECRET, arn).await?;
        if credentials.username.is_empty() {
            return Err(error(REGISTRY_SECRET, format!("secret `{arn}` has an empty `username`")));
        }
        config.registry_auth = Some((credentials.username, credentials.password));
    }
    if let Some(arn) = &arns.smtp {
        let Some(smtp) = config.smtp.as_mut() else {
            return Err(error(SMTP_SECRET, "is set but MESHPORT_SMTP_URL is not: name the relay too"));
        };
        let credentials = extension.credentials(SMTP_SECRET, arn).await?;
        if credentials.username.is_empty() {
            return Err(error(SMTP_SECRET, format!("secret `{arn}` has an empty `username`")));
        }
        smtp.credentials = Some((credentials.username, credentials.password));
    }
    Ok(())
}

/// A secret value held in memory (a webhook's signing secret, the SMTP password, a chat webhook's URL): `Debug`,
/// `Display` and serde's serializer show `<redacted>`, so no log line, error or response can carry it; only
/// [`Secret::expose`] gives the value, at the one place that uses it.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}
