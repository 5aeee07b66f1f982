//! The schema registry client (Confluent REST API): the only module that knows the registry's REST shapes.
//!
//! It speaks Confluent Schema Registry's v1 API, so it works against Confluent Platform, Confluent Cloud, other
//! compatible registries and `meshport-registry`. Subjects are percent-encoded as one path segment each, so names
//! with `/` or `:` are safe. Errors separate what a retry may fix ([`RegistryError::Unavailable`]: no answer,
//! timeouts, 5xx, 429) from what the registry decided (unknown subject, incompatible or invalid schema, other
//! refusals). Credentials never appear in errors, logs or `Debug` output.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use meshport_shared::SchemaFormat;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Confluent's own content type; POST and PUT bodies are sent with it.
const CONFLUENT_JSON: &str = "application/vnd.schemaregistry.v1+json";
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, application/json";
/// How much of an unexpected body (a proxy's HTML page, say) an error quotes.
const QUOTED_BODY_CHARS: usize = 200;

/// Why a registry call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// No usable answer: connection refused, timeout, HTTP 5xx, 408 or 429. Worth retrying later.
    #[error("schema registry unavailable: {0}")]
    Unavailable(String),
    /// Confluent error 40401.
    #[error("subject `{0}` is not registered in the schema registry")]
    SubjectNotFound(String),
    /// Confluent error 40402.
    #[error("subject `{subject}` has no version {version} in the schema registry")]
    VersionNotFound { subject: String, version: String },
    /// Confluent error 40403; says which schema, e.g. `with id 7`.
    #[error("the schema registry has no schema {0}")]
    SchemaNotFound(String),
    /// HTTP 409 (Confluent error 409, or 40901 since Confluent 8), with the registry's explanation.
    #[error("the schema is incompatible with the subject's earlier versions: {0}")]
    Incompatible(String),
    /// Confluent error 42201, with the registry's explanation.
    #[error("the schema registry rejected the schema as invalid: {0}")]
    InvalidSchema(String),
    /// Any other refusal, as the registry stated it.
    #[error("the schema registry refused the request (HTTP {status}, error code {code}): {message}")]
    Rejected { status: u16, code: i64, message: String },
    #[error("invalid schema registry URL: {0}")]
    InvalidUrl(String),
    /// A success status with a body that is not Confluent's shape, e.g. a proxy's login page.
    #[error("the schema registry's answer is not Confluent's API: {0}")]
    InvalidResponse(String),
}

/// Which version of a subject: the latest, or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionRef {
    Latest,
    Number(i32),
}

impl fmt::Display for VersionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Number(number) => write!(f, "{number}"),
        }
    }
}

/// A schema's dependency on a version registered under another subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    /// The schema's global id, shared by every subject that registered the same schema.
    pub id: i32,
    pub format: SchemaFormat,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// A schema found by its global id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    pub id: i32,
    pub format: SchemaFormat,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// The registry's verdict on a candidate schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compatibility {
    pub is_compatible: bool,
    /// Each incompatibility as the registry words it (Confluent adds `{oldSchemaVersion: N}`-style context
    /// entries); empty when compatible.
    pub messages: Vec<String>,
}

/// How a subject's new versions must relate to its earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl CompatibilityLevel {
    pub const ALL: [Self; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// The name Confluent's API uses.
    pub fn as_str(self) -> &'static str {
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
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CompatibilityLevel {
    type Err = String;

    /// Parses a level ignoring case, as Confluent does.
    fn from_str(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| format!("`{raw}` is not a compatibility level"))
    }
}

/// A client for one registry; cheap to clone, as clones share one connection pool.
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: Url,
    auth: Option<BasicAuth>,
    timeout: Duration,
}

#[derive(Clone)]
struct BasicAuth {
    user: String,
    password: String,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base_url", &self.base.as_str())
            .field("basic_auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What a call is about, to name it in errors the registry answers with only a code.
#[derive(Debug, Clone, Copy, Default)]
struct Target<'a> {
    subject: Option<&'a str>,
    version: Option<VersionRef>,
    id: Option<i32>,
}

impl<'a> Target<'a> {
    fn subject(subject: &'a str) -> Self {
        Self { subject: Some(subject), ..Self::default() }
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: i64,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VersionBody {
    subject: String,
    version: i32,
    id: i32,
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
    schema: String,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

#[derive(Debug, Deserialize)]
struct SchemaBody {
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
    schema: String,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

#[derive(Debug, Serialize)]
struct SchemaRequest<'a> {
    schema: &'a str,
    /// Left out for Avro: it is the default, and registries older than Confluent 5.5 refuse the field.
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
}

impl<'a> SchemaRequest<'a> {
    fn new(schema: &'a str, format: SchemaFormat) -> Self {
        Self { schema, schema_type: (format != SchemaFormat::Avro).then(|| format.registry_name()) }
    }
}

#[derive(Debug, Deserialize)]
struct Registered {
    id: i32,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    is_compatible: bool,
    #[serde(default)]
    messages: Option<Vec<String>>,
    /// Apicurio's Confluent API explains in one string here rather than in `messages`.
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Config {
    #[serde(rename = "compatibilityLevel", alias = "compatibility", default)]
    compatibility_level: Option<String>,
}

#[derive(Debug, Serialize)]
struct ConfigUpdate {
    compatibility: CompatibilityLevel,
}

impl RegistryClient {
    /// A client for the registry at `base_url` (`http` or `https`, optionally with a path prefix). Credentials go
    /// in `basic_auth`, never in the URL; `timeout` bounds each call, connecting included.
    pub fn new(base_url: &str, basic_auth: Option<(String, String)>, timeout: Duration) -> Result<Self, RegistryError> {
        let base = parse_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("meshport-api/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                RegistryError::Unavailable(format!("cannot build an HTTP client: {}", crate::error_chain(&e)))
            })?;
        let auth = basic_auth.map(|(user, password)| BasicAuth { user, password });
        Ok(Self { http, base, auth, timeout })
    }

    /// A cheap liveness call: `GET /`, or `GET /subjects` on registries that do not serve `/`.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        match self.call::<serde_json::Value>(Method::GET, &[], &[], None::<&()>, Target::default()).await {
            // Some registries answer the root with nothing, others (Apicurio's Confluent API) with an HTML page: the
            // subject list is the question every Confluent-compatible registry answers.
            Err(RegistryError::Rejected { status: 404, .. } | RegistryError::InvalidResponse(_)) => {
                self.subjects().await.map(drop)
            }
            other => other.map(drop),
        }
    }

    pub async fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        self.call(Method::GET, &["subjects"], &[], None::<&()>, Target::default()).await
    }

    /// The subject's live version numbers, oldest first.
    pub async fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        self.call(Method::GET, &["subjects", subject, "versions"], &[], None::<&()>, Target::subject(subject)).await
    }

    pub async fn version(&self, subject: &str, version: VersionRef) -> Result<SubjectVersion, RegistryError> {
        let segment = version.to_string();
        let target = Target { version: Some(version), ..Target::subject(subject) };
        let body: VersionBody =
            self.call(Method::GET, &["subjects", subject, "versions", &segment], &[], None::<&()>, target).await?;
        Ok(SubjectVersion {
            format: format_of(body.schema_type.as_deref())?,
            subject: body.subject,
            version: body.version,
            id: body.id,
            schema: body.schema,
            references: body.references,
        })
    }

    pub async fn schema_by_id(&self, id: i32) -> Result<RegisteredSchema, RegistryError> {
        let segment = id.to_string();
        let target = Target { id: Some(id), ..Target::default() };
        let body: SchemaBody = self.call(Method::GET, &["schemas", "ids", &segment], &[], None::<&()>, target).await?;
        Ok(RegisteredSchema {
            id,
            format: format_of(body.schema_type.as_deref())?,
            schema: body.schema,
            references: body.references,
        })
    }

    /// Registers `schema` under `subject` and returns its global id. Registering a schema the subject already has
    /// returns its existing id; an incompatible one fails with [`RegistryError::Incompatible`].
    pub async fn register(&self, subject: &str, schema: &str, format: SchemaFormat) -> Result<i32, RegistryError> {
        let body = SchemaRequest::new(schema, format);
        let registered: Registered = self
            .call(Method::POST, &["subjects", subject, "versions"], &[], Some(&body), Target::subject(subject))
            .await?;
        tracing::info!(subject, id = registered.id, "registered a schema");
        Ok(registered.id)
    }

    /// Whether `schema` could be registered as the subject's next version, checked against the latest version
    /// under the subject's compatibility level, with the registry's explanation. A subject without versions
    /// accepts any schema.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        schema: &str,
        format: SchemaFormat,
    ) -> Result<Compatibility, RegistryError> {
        let body = SchemaRequest::new(schema, format);
        let target = Target { version: Some(VersionRef::Latest), ..Target::subject(subject) };
        let path = ["compatibility", "subjects", subject, "versions", "latest"];
        match self.call::<Verdict>(Method::POST, &path, &[("verbose", "true")], Some(&body), target).await {
            Ok(verdict) => Ok(Compatibility {
                is_compatible: verdict.is_compatible,
                messages: verdict.messages.unwrap_or_else(|| verdict.reason.into_iter().collect()),
            }),
            // Confluent answers `true` here itself; some compatible registries answer "not found" instead.
            Err(RegistryError::SubjectNotFound(_) | RegistryError::VersionNotFound { .. }) => {
                Ok(Compatibility { is_compatible: true, messages: Vec::new() })
            }
            Err(error) => Err(error),
        }
    }

    /// The level that applies to `subject` (its own, else the global one), or the global level for `None`.
    pub async fn compatibility_level(&self, subject: Option<&str>) -> Result<CompatibilityLevel, RegistryError> {
        let Some(subject) = subject else {
            return self.config(&["config"], &[], Target::default()).await;
        };
        let query = [("defaultToGlobal", "true")];
        match self.config(&["config", subject], &query, Target::subject(subject)).await {
            // Registries older than `defaultToGlobal` answer 40401 or 40408 for a subject without its own level.
            Err(RegistryError::SubjectNotFound(_) | RegistryError::Rejected { code: 40408, .. }) => {
                self.config(&["config"], &[], Target::default()).await
            }
            other => other,
        }
    }

    /// Sets `subject`'s own level, or the global level for `None`.
    pub async fn set_compatibility_level(
        &self,
        subject: Option<&str>,
        level: CompatibilityLevel,
    ) -> Result<(), RegistryError> {
        let body = ConfigUpdate { compatibility: level };
        let (path, target) = match subject {
            Some(subject) => (vec!["config", subject], Target::subject(subject)),
            None => (vec!["config"], Target::default()),
        };
        self.call::<serde_json::Value>(Method::PUT, &path, &[], Some(&body), target).await?;
        tracing::info!(subject, level = level.as_str(), "set a compatibility level");
        Ok(())
    }

    async fn config(
        &self,
        path: &[&str],
        query: &[(&str, &str)],
        target: Target<'_>,
    ) -> Result<CompatibilityLevel, RegistryError> {
        let config: Config = self.call(Method::GET, path, query, None::<&()>, target).await?;
        let raw = config
            .compatibility_level
            .ok_or_else(|| RegistryError::InvalidResponse("the config has no `compatibilityLevel`".to_owned()))?;
        raw.parse().map_err(RegistryError::InvalidResponse)
    }

    /// `base/segment/segment...?query`, each segment percent-encoded on its own.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        // `parse_base_url` guarantees a URL that has path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&impl Serialize>,
        target: Target<'_>,
    ) -> Result<T, RegistryError> {
        let url = self.url(segments, query);
        let mut request = self.http.request(method.clone(), url.clone()).header(reqwest::header::ACCEPT, ACCEPT);
        if let Some(auth) = &self.auth {
            request = request.basic_auth(&auth.user, Some(&auth.password));
        }
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body)
                .map_err(|e| RegistryError::InvalidResponse(format!("cannot encode the request: {e}")))?;
            request = request.header(reqwest::header::CONTENT_TYPE, CONFLUENT_JSON).body(bytes);
        }
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| self.transport_error(e))?;
        tracing::debug!(%method, path = url.path(), status = status.as_u16(), "schema registry call");
        if !status.is_success() {
            return Err(error_from(status, &text, target));
        }
        serde_json::from_str(&text).map_err(|e| {
            RegistryError::InvalidResponse(format!(
                "{method} {}: {e}; the body starts with `{}`",
                url.path(),
                quote(&text)
            ))
        })
    }

    /// Describes a failure to talk to the registry, naming the registry but never the request's credentials.
    fn transport_error(&self, error: reqwest::Error) -> RegistryError {
        let what = if error.is_timeout() {
            format!("no answer from {} within {:?}", self.base, self.timeout)
        } else if error.is_connect() {
            format!("cannot connect to {}", self.base)
        } else {
            format!("the exchange with {} failed", self.base)
        };
        // Without the full request URL: the base is enough to act on.
        RegistryError::Unavailable(format!("{what}: {}", crate::error_chain(&error.without_url())))
    }
}

fn parse_base_url(raw: &str) -> Result<Url, RegistryError> {
    let url = Url::parse(raw.trim()).map_err(|e| RegistryError::InvalidUrl(format!("`{}` {e}", redact(raw))))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RegistryError::InvalidUrl(format!(
            "`{}` embeds credentials: pass them as basic auth instead",
            redact(raw)
        )));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || url.cannot_be_a_base() {
        return Err(RegistryError::InvalidUrl(format!("`{raw}` is not an http(s) URL with a host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(RegistryError::InvalidUrl(format!(
            "`{raw}` has a query or fragment; give the registry's base URL"
        )));
    }
    Ok(url)
}

/// A URL that may embed credentials, with everything between `://` and `@` hidden.
fn redact(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://<redacted>{}", &raw[..scheme_end], &raw[at..]),
        _ => raw.to_owned(),
    }
}

/// Maps an error answer to a [`RegistryError`]; tolerates bodies that are not Confluent's JSON.
fn error_from(status: StatusCode, text: &str, target: Target<'_>) -> RegistryError {
    let parsed = serde_json::from_str::<ErrorBody>(text).ok();
    let confluent_code = parsed.as_ref().map(|body| body.error_code);
    let code = confluent_code.unwrap_or(i64::from(status.as_u16()));
    let message = match parsed.and_then(|body| body.message) {
        Some(message) => message,
        None if text.trim().is_empty() => status.canonical_reason().unwrap_or("no message").to_owned(),
        None => quote(text),
    };
    if status.is_server_error() || matches!(status, StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS) {
        let code = confluent_code.map(|code| format!(", error code {code}")).unwrap_or_default();
        return RegistryError::Unavailable(format!("HTTP {}{code}: {message}", status.as_u16()));
    }
    let subject = || target.subject.map_or_else(|| message.clone(), str::to_owned);
    match code {
        40401 => RegistryError::SubjectNotFound(subject()),
        40402 => RegistryError::VersionNotFound {
            subject: subject(),
            version: target.version.map_or_else(|| "asked for".to_owned(), |v| v.to_string()),
        },
        40403 => RegistryError::SchemaNotFound(target.id.map_or(message, |id| format!("with id {id}"))),
        42201 => RegistryError::InvalidSchema(message),
        _ if status == StatusCode::CONFLICT => RegistryError::Incompatible(message),
        _ => RegistryError::Rejected { status: status.as_u16(), code, message },
    }
}

fn format_of(schema_type: Option<&str>) -> Result<SchemaFormat, RegistryError> {
    match schema_type.map(str::to_ascii_uppercase).as_deref() {
        None | Some("AVRO") => Ok(SchemaFormat::Avro),
        Some("JSON") => Ok(SchemaFormat::Json),
        Some("PROTOBUF") => Ok(SchemaFormat::Protobuf),
        Some(other) => Err(RegistryError::InvalidResponse(format!("unknown schemaType `{other}`"))),
    }
}

/// The start of a body on one line, for error messages.
fn quote(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(QUOTED_BODY_CHARS) {
        Some((cut, _)) => format!("{}...", &flat[..cut]),
        None => flat,
    }
}
