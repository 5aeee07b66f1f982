//! Configuration, read from environment variables only. Every variable is listed in `VARIABLES` (which the README's
//! table mirrors), and a bad value stops the start with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use meshport_shared::GovernancePolicy;

pub mod auth;
mod settings;
use auth::AuthSettings;
pub use settings::{DynamoSettings, EmbedSettings, SmtpSettings, SmtpTls};

/// (variable, default, meaning): the documentation of every setting.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    ("MESHPORT_LISTEN", "127.0.0.1:8080", "address the local server listens on (ignored on Lambda)"),
    (
        "MESHPORT_ALLOWED_HOSTS",
        "(none)",
        "more host names the local server answers for, comma-separated; it always answers localhost, 127.0.0.1, \
         [::1], its listen address and MESHPORT_PORTAL_URL's host, and any other `Host` gets 421 (DNS rebinding)",
    ),
    ("MESHPORT_CATALOG", "embedded", "catalog backend: `embedded` (redb file) or `dynamodb`"),
    ("MESHPORT_DATA_DIR", ".meshport/data", "directory of the embedded catalog file"),
    ("MESHPORT_DYNAMODB_TABLE", "meshport-catalog", "DynamoDB table of the catalog"),
    ("MESHPORT_DYNAMODB_ENDPOINT", "(AWS)", "DynamoDB endpoint override, e.g. http://127.0.0.1:5000 for moto"),
    ("AWS_REGION", "us-east-1", "AWS region of the table"),
    (
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN",
        "(none)",
        "credentials for DynamoDB; Lambda sets them",
    ),
    ("MESHPORT_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
    (
        "MESHPORT_KAFKA_CONFIG",
        "(none)",
        "extra librdkafka properties, `key=value` pairs separated by `;` (security.protocol, sasl.*)",
    ),
    (
        "MESHPORT_KAFKA_SUPER_USERS",
        "(none)",
        "the cluster's super users (its `super.users`), `User:<name>` separated by `;`: ACLs naming them are not \
         flagged as unmanaged access",
    ),
    ("MESHPORT_REGISTRY_URL", "http://127.0.0.1:8081", "schema registry base URL (Confluent REST API)"),
    ("MESHPORT_REGISTRY_BASIC_AUTH", "(none)", "`key:secret` for the registry's basic auth"),
    (
        "MESHPORT_PUBLIC_KAFKA_BOOTSTRAP",
        "MESHPORT_KAFKA_BOOTSTRAP",
        "Kafka bootstrap servers as consumers reach them, shown on product pages (never credentials)",
    ),
    (
        "MESHPORT_PUBLIC_REGISTRY_URL",
        "MESHPORT_REGISTRY_URL",
        "schema registry URL as consumers reach it, shown on product pages (no credentials in it)",
    ),
    ("MESHPORT_STATIC_DIR", "frontend/dist", "built portal served by the local server at `/` (skipped if missing)"),
    ("MESHPORT_POLICY_FILE", "(built-in policy)", "governance policy JSON file"),
    ("MESHPORT_DEPENDENCY_TIMEOUT_MS", "3000", "timeout of one call to Kafka, the registry or DynamoDB"),
    ("MESHPORT_DEMO", "false", "seed the demo mesh and keep producing demo events (local runs)"),
    (
        "MESHPORT_DEMO_CATCHER_URL",
        "(none)",
        "with MESHPORT_DEMO, the demo mail and webhook catcher's base URL: the demo teams' channels are set to it",
    ),
    (
        "MESHPORT_SMTP_URL",
        "(none: no email)",
        "the relay notification emails leave through: `smtp://[user@]host[:587]` (STARTTLS required), \
         `smtps://[user@]host[:465]` (TLS), or `smtp://host:port?tls=none` (in the clear, a local catcher only)",
    ),
    ("MESHPORT_SMTP_FROM", "(none)", "with MESHPORT_SMTP_URL, the emails' sender: `Meshport <meshport@acme.example>`"),
    ("MESHPORT_SMTP_PASSWORD", "(none)", "the password of the user named in MESHPORT_SMTP_URL"),
    (
        "MESHPORT_SYNC_INTERVAL_SECS",
        "60",
        "how often the local server reconciles the mirror with Kafka and the registry (0: never; on Lambda a schedule does)",
    ),
    (
        "MESHPORT_PORTAL_URL",
        "http://127.0.0.1:8080",
        "public base URL of the portal, used in embed card links, badges and oEmbed",
    ),
    (
        "MESHPORT_EMBED_FRAME_ANCESTORS",
        "'self'",
        "space-separated CSP source list of the pages that may frame product cards",
    ),
    ("MESHPORT_PUBLIC_CARDS", "false", "whether product cards, badges and oEmbed answer without sign-in"),
    (
        "MESHPORT_NOTIFY_ALLOW_PRIVATE_URLS",
        "false",
        "whether teams' webhook, Slack and Teams URLs may name loopback or private addresses (local runs and tests)",
    ),
    (
        "MESHPORT_PORTAL_INDEX_URL",
        "(none)",
        "the portal's index.html on the CDN; the API then answers /products/{id} with it and the oEmbed link",
    ),
    (
        "MESHPORT_PUBLIC_READS",
        "false",
        "whether the catalog (search, product pages, schema diffs, the policy) answers without sign-in; samples, \
         unclaimed topics, subjects and the audit trail always need it",
    ),
    (
        "MESHPORT_OIDC_ISSUER",
        "(none)",
        "identity provider's issuer, exactly as in its tokens' `iss`; with the next two",
    ),
    ("MESHPORT_OIDC_AUDIENCE", "(none)", "audience (`aud`) the tokens must be for, usually the portal's client id"),
    ("MESHPORT_OIDC_JWKS_URL", "(none)", "https URL of the identity provider's signing keys (JWKS)"),
    (
        "MESHPORT_OIDC_GROUPS_CLAIM",
        "groups",
        "claim listing a person's groups (or a dotted path such as `realm_access.roles`)",
    ),
    ("MESHPORT_OIDC_NAME_CLAIM", "name", "claim with a person's display name"),
    (
        "MESHPORT_OIDC_CLIENT_ID",
        "(none)",
        "the portal's client id at the provider (public, PKCE): the portal then signs people in there",
    ),
    ("MESHPORT_OIDC_SCOPE", "openid profile", "scopes the portal asks for (add the one that brings groups, if any)"),
    ("MESHPORT_ADMIN_GROUP", "meshport-admins", "group whose members are org admins (may change every product)"),
    ("MESHPORT_DEV_AUTH", "false", "dev sign-in: the API signs tokens for demo users (local runs; insecure)"),
    (
        "MESHPORT_DEV_AUTH_SECRET",
        "(random per process)",
        "secret of dev tokens, at least 32 characters, so several processes agree",
    ),
    ("MESHPORT_DEV_AUTH_ON_LAMBDA", "(none)", "`i-understand-this-is-insecure` allows dev sign-in on Lambda"),
    (
        "MESHPORT_DEV_AUTH_ANY_ADDRESS",
        "false",
        "`true` lets dev sign-in run while the local server listens beyond loopback (anyone reaching it signs in as anyone)",
    ),
    (
        "MESHPORT_OIDC_ALLOW_HTTP",
        "false",
        "`true` accepts `http://` issuer, JWKS and discovered endpoints, for a local test provider only",
    ),
    ("RUST_LOG", "info", "log filter"),
];

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The host names the local server answers for.
    pub allowed_hosts: AllowedHosts,
    pub catalog: CatalogConfig,
    pub kafka_bootstrap: String,
    /// librdkafka properties; values may be secrets, so this is never logged.
    pub kafka_config: Vec<(String, String)>,
    /// The cluster's super users, `User:<name>` each.
    pub kafka_super_users: Vec<String>,
    pub registry_url: String,
    pub registry_auth: Option<(String, String)>,
    pub static_dir: Option<PathBuf>,
    pub policy: GovernancePolicy,
    pub dependency_timeout: Duration,
    pub demo: bool,
    /// The demo mail and webhook catcher's base URL, without a trailing slash.
    pub demo_catcher: Option<String>,
    /// Where notification emails leave; `None`: no email is sent.
    pub smtp: Option<SmtpSettings>,
    /// `None`: no background sync.
    pub sync_interval: Option<Duration>,
    /// Whether teams' channel URLs may name loopback or private addresses.
    pub notify_allow_private: bool,
    pub embed: EmbedSettings,
    pub auth: AuthSettings,
    pub public: PublicEndpoints,
}

/// Where consumers reach Kafka and the registry, for product pages. They may differ from the API's own addresses
/// (a private listener, a proxy), and never carry credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEndpoints {
    pub kafka_bootstrap: String,
    pub registry_url: String,
    /// How clients authenticate, read from the API's own `security.protocol` and `sasl.mechanism` (never its
    /// credentials): consumers of a secured cluster need the same settings with their own principal.
    pub kafka_security: Option<meshport_shared::api::ConsumeSecurity>,
}

impl std::fmt::Debug for Config {
    /// Kafka properties show their keys only and the registry's credentials not at all: both may hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kafka_keys: Vec<&str> = self.kafka_config.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("catalog", &self.catalog)
            .field("kafka_bootstrap", &self.kafka_bootstrap)
            .field("kafka_config_keys", &kafka_keys)
            .field("kafka_super_users", &self.kafka_super_users)
            .field("registry_url", &self.registry_url)
            .field("registry_auth", &self.registry_auth.as_ref().map(|_| "<redacted>"))
            .field("static_dir", &self.static_dir)
            .field("dependency_timeout", &self.dependency_timeout)
            .field("demo", &self.demo)
            .field("demo_catcher", &self.demo_catcher)
            .field("smtp", &self.smtp)
            .field("sync_interval", &self.sync_interval)
            .field("notify_allow_private", &self.notify_allow_private)
            .field("embed", &self.embed)
            .field("auth", &self.auth)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub enum CatalogConfig {
    Embedded { data_dir: PathBuf },
    DynamoDb(DynamoSettings),
}

/// A setting that cannot be used, named so the operator knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { variable, message: message.into() }
}

/// The policy used when no policy file is given: the demo organisation's.
pub const DEFAULT_POLICY: &str = include_str!("default_policy.json");

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let listen = get("MESHPORT_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen
            .parse()
            .map_err(|_| error("MESHPORT_LISTEN", format!("`{listen}` is not a socket address like 127.0.0.1:8080")))?;

        let dependency_timeout = match get("MESHPORT_DEPENDENCY_TIMEOUT_MS") {
            None => Duration::from_secs(3),
            Some(raw) => match raw.parse::<u64>() {
                Ok(ms @ 1..=120_000) => Duration::from_millis(ms),
                _ => {
                    return Err(error(
                        "MESHPORT_DEPENDENCY_TIMEOUT_MS",
                        format!("`{raw}` is not a number of milliseconds from 1 to 120000"),
                    ));
                }
            },
        };

        let catalog = match get("MESHPORT_CATALOG").as_deref().unwrap_or("embedded") {
            "embedded" => CatalogConfig::Embedded {
                data_dir: get("MESHPORT_DATA_DIR").unwrap_or_else(|| ".meshport/data".into()).into(),
            },
            "dynamodb" => CatalogConfig::DynamoDb(DynamoSettings {
                table: get("MESHPORT_DYNAMODB_TABLE").unwrap_or_else(|| "meshport-catalog".into()),
                region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into()),
                endpoint: match get("MESHPORT_DYNAMODB_ENDPOINT") {
                    Some(url) if !is_http_url(&url) => {
                        return Err(error("MESHPORT_DYNAMODB_ENDPOINT", format!("`{url}` is not an http(s) URL")));
                    }
                    endpoint => endpoint,
                },
                access_key_id: get("AWS_ACCESS_KEY_ID").ok_or_else(|| {
                    error("AWS_ACCESS_KEY_ID", "is required with MESHPORT_CATALOG=dynamodb (Lambda sets it)")
                })?,
                secret_access_key: get("AWS_SECRET_ACCESS_KEY").ok_or_else(|| {
                    error("AWS_SECRET_ACCESS_KEY", "is required with MESHPORT_CATALOG=dynamodb (Lambda sets it)")
                })?,
                session_token: get("AWS_SESSION_TOKEN"),
                timeout: dependency_timeout,
            }),
            other => {
                return Err(error(
                    "MESHPORT_CATALOG",
                    format!("`{other}` is not a catalog: use `embedded` or `dynamodb`"),
                ));
            }
        };

        let kafka_bootstrap = get("MESHPORT_KAFKA_BOOTSTRAP").unwrap_or_else(|| "127.0.0.1:9092".into());
        check_bootstrap("MESHPORT_KAFKA_BOOTSTRAP", &kafka_bootstrap)?;
        let kafka_config = match get("MESHPORT_KAFKA_CONFIG") {
            None => Vec::new(),
            Some(raw) => parse_properties(&raw).map_err(|m| error("MESHPORT_KAFKA_CONFIG", m))?,
        };
        let mut kafka_super_users = Vec::new();
        for user in get("MESHPORT_KAFKA_SUPER_USERS").unwrap_or_default().split(';').map(str::trim) {
            match user.strip_prefix("User:") {
                Some(name) if !name.is_empty() => kafka_super_users.push(user.to_owned()),
                _ if user.is_empty() => {}
                _ => return Err(error("MESHPORT_KAFKA_SUPER_USERS", format!("`{user}` is not `User:<name>`"))),
            }
        }

        let registry_url = get("MESHPORT_REGISTRY_URL").unwrap_or_else(|| "http://127.0.0.1:8081".into());
        if !is_http_url(&registry_url) {
            return Err(error("MESHPORT_REGISTRY_URL", format!("`{registry_url}` is not an http(s) URL")));
        }
        let registry_auth = match get("MESHPORT_REGISTRY_BASIC_AUTH") {
            None => None,
            Some(raw) => match raw.split_once(':') {
                Some((key, secret)) if !key.is_empty() => Some((key.to_owned(), secret.to_owned())),
                // The value is a secret: never echo it.
                _ => return Err(error("MESHPORT_REGISTRY_BASIC_AUTH", "must look like `key:secret`")),
            },
        };

        let public = PublicEndpoints {
            kafka_bootstrap: match get("MESHPORT_PUBLIC_KAFKA_BOOTSTRAP") {
                Some(servers) => {
                    check_bootstrap("MESHPORT_PUBLIC_KAFKA_BOOTSTRAP", &servers)?;
                    servers
                }
                None => kafka_bootstrap.clone(),
            },
            registry_url: match get("MESHPORT_PUBLIC_REGISTRY_URL") {
                Some(url) => public_url(&url).map_err(|m| error("MESHPORT_PUBLIC_REGISTRY_URL", m))?,
                // The API's own URL may carry basic-auth credentials: consumers see it without them.
                None => without_credentials(&registry_url),
            },
            kafka_security: client_security(&kafka_config),
        };

        let static_dir = get("MESHPORT_STATIC_DIR").unwrap_or_else(|| "frontend/dist".into()).into();
        let static_dir = Some(static_dir).filter(|dir: &PathBuf| dir.join("index.html").is_file());

        let policy = match get("MESHPORT_POLICY_FILE") {
            None => parse_policy(DEFAULT_POLICY).map_err(|m| error("MESHPORT_POLICY_FILE", m))?,
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| error("MESHPORT_POLICY_FILE", format!("cannot read `{path}`: {e}")))?;
                parse_policy(&text).map_err(|m| error("MESHPORT_POLICY_FILE", format!("`{path}`: {m}")))?
            }
        };

        let sync_interval = match get("MESHPORT_SYNC_INTERVAL_SECS") {
            None => Some(Duration::from_secs(60)),
            Some(raw) => match raw.parse::<u64>() {
                Ok(0) => None,
                Ok(secs @ 1..=86_400) => Some(Duration::from_secs(secs)),
                _ => {
                    return Err(error(
                        "MESHPORT_SYNC_INTERVAL_SECS",
                        format!("`{raw}` is not a number of seconds from 0 (never) to 86400"),
                    ));
                }
            },
        };

        let demo = flag("MESHPORT_DEMO", get("MESHPORT_DEMO").as_deref())?;
        let demo_catcher = match get("MESHPORT_DEMO_CATCHER_URL") {
            Some(_) if !demo => {
                return Err(error("MESHPORT_DEMO_CATCHER_URL", "is for the demo mesh: set MESHPORT_DEMO=true too"));
            }
            Some(url) => Some(public_url(&url).map_err(|m| error("MESHPORT_DEMO_CATCHER_URL", m))?),
            None => None,
        };
        let smtp = smtp(&get)?;
        let notify_allow_private =
            flag("MESHPORT_NOTIFY_ALLOW_PRIVATE_URLS", get("MESHPORT_NOTIFY_ALLOW_PRIVATE_URLS").as_deref())?;

        let embed = EmbedSettings {
            portal_url: parse_portal_url(get("MESHPORT_PORTAL_URL").as_deref().unwrap_or("http://127.0.0.1:8080"))
                .map_err(|m| error("MESHPORT_PORTAL_URL", m))?,
            frame_ancestors: parse_frame_ancestors(
                get("MESHPORT_EMBED_FRAME_ANCESTORS").as_deref().unwrap_or("'self'"),
            )
            .map_err(|m| error("MESHPORT_EMBED_FRAME_ANCESTORS", m))?,
            public_cards: flag("MESHPORT_PUBLIC_CARDS", get("MESHPORT_PUBLIC_CARDS").as_deref())?,
            portal_index_url: get("MESHPORT_PORTAL_INDEX_URL")
                .map(|raw| parse_index_url(&raw).map_err(|m| error("MESHPORT_PORTAL_INDEX_URL", m)))
                .transpose()?,
        };

        let on_lambda = lookup("AWS_LAMBDA_RUNTIME_API").is_some();
        let auth = AuthSettings::from_lookup(&get, on_lambda)?;
        if auth.dev.is_some() && !on_lambda && !listen.ip().is_loopback() {
            let forced = flag("MESHPORT_DEV_AUTH_ANY_ADDRESS", get("MESHPORT_DEV_AUTH_ANY_ADDRESS").as_deref())?;
            if !forced {
                return Err(error(
                    "MESHPORT_DEV_AUTH",
                    format!(
                        "is refused while the server listens on `{listen}`, beyond this machine: dev sign-in lets \
                         anyone who reaches it act as anyone; listen on 127.0.0.1 (MESHPORT_LISTEN), or set \
                         MESHPORT_DEV_AUTH_ANY_ADDRESS=true to run it there anyway"
                    ),
                ));
            }
        }
        let allowed_hosts = AllowedHosts::parse(
            listen,
            &embed.portal_url,
            get("MESHPORT_ALLOWED_HOSTS").as_deref().unwrap_or_default(),
        )
        .map_err(|m| error("MESHPORT_ALLOWED_HOSTS", m))?;

        Ok(Self {
            listen,
            allowed_hosts,
            catalog,
            kafka_bootstrap,
            kafka_config,
            kafka_super_users,
            registry_url,
            registry_auth,
            static_dir,
            policy,
            dependency_timeout,
            demo,
            demo_catcher,
            smtp,
            sync_interval,
            notify_allow_private,
            embed,
            auth,
            public,
        })
    }
}

/// The host names the local server answers for, as a request's `Host` names them (without the port): a name that is
/// not one of them reached it through someone else's DNS (rebinding), so it is refused. IP addresses are kept in
/// their canonical form, names in lowercase without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// The loopback names, the listen address (unless it is every address), the portal URL's host and `extra`
    /// (comma-separated names or addresses, without scheme or port).
    fn parse(listen: SocketAddr, portal_url: &str, extra: &str) -> Result<Self, String> {
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(canonical_host).to_vec();
        if !listen.ip().is_unspecified() {
            hosts.push(listen.ip().to_string());
        }
        if let Some(host) = reqwest::Url::parse(portal_url).ok().and_then(|url| url.host_str().map(canonical_host)) {
            hosts.push(host);
        }
        for raw in extra.split(',').map(str::trim).filter(|raw| !raw.is_empty()) {
            let valid = raw.parse::<std::net::IpAddr>().is_ok()
                || raw
                    .strip_prefix('[')
                    .and_then(|r| r.strip_suffix(']'))
                    .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
                || (raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                    && !raw.starts_with(['.', '-']));
            if !valid {
                return Err(format!(
                    "`{raw}` is not a host name or address: give names like `mesh.acme.example`, without scheme or port"
                ));
            }
            hosts.push(canonical_host(raw));
        }
        hosts.sort();
        hosts.dedup();
        Ok(Self(hosts))
    }

    /// Whether `host` (a `Host` header's host, without the port) is one of these.
    pub fn allows(&self, host: &str) -> bool {
        self.0.contains(&canonical_host(host))
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// `host` as [`AllowedHosts`] compares it: an address in its canonical form (without IPv6's brackets), a name in
/// lowercase without a trailing dot.
fn canonical_host(host: &str) -> String {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => host.trim_end_matches('.').to_ascii_lowercase(),
    }
}

/// The client settings a consumer of the same cluster needs, from the API's own librdkafka properties: the protocol
/// and the SASL mechanism, never a username or secret. `None` for a plaintext cluster.
fn client_security(properties: &[(String, String)]) -> Option<meshport_shared::api::ConsumeSecurity> {
    // The last setting wins, as it does for librdkafka; `sasl.mechanisms` is its older spelling.
    let last =
        |keys: &[&str]| properties.iter().rev().find(|(k, _)| keys.contains(&k.as_str())).map(|(_, v)| v.clone());
    let protocol = last(&["security.protocol"]).map(|p| p.to_ascii_uppercase())?;
    if protocol == "PLAINTEXT" {
        return None;
    }
    let sasl_mechanism = protocol.starts_with("SASL").then(|| last(&["sasl.mechanism", "sasl.mechanisms"])).flatten();
    Some(meshport_shared::api::ConsumeSecurity { protocol, sasl_mechanism })
}

/// The SMTP relay from `MESHPORT_SMTP_URL`, `MESHPORT_SMTP_FROM` and `MESHPORT_SMTP_PASSWORD`. The password is never
/// echoed, and the URL is not once it may hold one.
fn smtp(get: &impl Fn(&str) -> Option<String>) -> Result<Option<SmtpSettings>, ConfigError> {
    const URL: &str = "MESHPORT_SMTP_URL";
    const FROM: &str = "MESHPORT_SMTP_FROM";
    const PASSWORD: &str = "MESHPORT_SMTP_PASSWORD";
    let Some(raw) = get(URL) else {
        for variable in [FROM, PASSWORD] {
            if get(variable).is_some() {
                return Err(error(variable, "is set but MESHPORT_SMTP_URL is not: name the relay too"));
            }
        }
        return Ok(None);
    };
    let shape = "give `smtp://[user@]host[:port]` (STARTTLS), `smtps://[user@]host[:port]` (TLS) or \
                 `smtp://host:port?tls=none` (in the clear, local catchers only)";
    let url = reqwest::Url::parse(&raw).map_err(|_| error(URL, format!("is not a URL: {shape}")))?;
    if url.password().is_some() {
        return Err(error(URL, "must not contain the password: set MESHPORT_SMTP_PASSWORD"));
    }
    let host = url.host_str().filter(|host| !host.is_empty()).map(str::to_owned);
    let security = match (url.scheme(), url.query()) {
        ("smtp", None | Some("tls=required")) => SmtpTls::StartTls,
        ("smtp", Some("tls=none")) => SmtpTls::None,
        ("smtps", None) => SmtpTls::Tls,
        _ => return Err(error(URL, format!("`{raw}` is not an SMTP relay URL: {shape}"))),
    };
    let Some(host) = host.filter(|_| matches!(url.path(), "" | "/") && url.fragment().is_none()) else {
        return Err(error(URL, format!("`{raw}` is not an SMTP relay URL: {shape}")));
    };
    let port = url.port().unwrap_or(if security == SmtpTls::Tls { 465 } else { 587 });
    let user = percent_decoded(url.username()).map_err(|m| error(URL, m))?;
    let credentials = match (user.is_empty(), get(PASSWORD)) {
        (true, None) => None,
        (false, Some(password)) => Some((user, password)),
        (true, Some(_)) => {
            return Err(error(PASSWORD, "is set but MESHPORT_SMTP_URL names no user: `smtp://user@host:port`"));
        }
        (false, None) => return Err(error(PASSWORD, format!("is required: MESHPORT_SMTP_URL names user `{user}`"))),
    };
    let from = get(FROM)
        .ok_or_else(|| error(FROM, "is required with MESHPORT_SMTP_URL: `Meshport <meshport@acme.example>`"))?;
    let from = from
        .parse::<lettre::message::Mailbox>()
        .map_err(|_| error(FROM, format!("`{from}` is not an address like `Meshport <meshport@acme.example>`")))?;
    Ok(Some(SmtpSettings { host, port, security, credentials, from }))
}

/// A URL's user as written before percent-encoding (`me%40acme.example` is `me@acme.example`).
fn percent_decoded(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok());
            decoded.push(hex.ok_or("the user has a `%` that is not followed by two hex digits")?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| "the user is not UTF-8 once decoded".to_owned())
}

/// A yes/no setting: absent means no.
pub(crate) fn flag(variable: &'static str, value: Option<&str>) -> Result<bool, ConfigError> {
    match value {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(error(variable, format!("`{other}` is not `true` or `false`"))),
    }
}

fn check_bootstrap(variable: &'static str, servers: &str) -> Result<(), ConfigError> {
    if servers
        .split(',')
        .any(|server| server.trim().rsplit_once(':').is_none_or(|(_, port)| port.parse::<u16>().is_err()))
    {
        return Err(error(variable, format!("`{servers}` is not a list of host:port")));
    }
    Ok(())
}

/// A URL shown to every reader: http(s) with a host, and no credentials, query or fragment. The value may hold a
/// secret by mistake, so it is never echoed when it has credentials.
fn public_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw);
    if raw.contains('@') || url.as_ref().is_ok_and(|url| !url.username().is_empty() || url.password().is_some()) {
        return Err("must not contain credentials: consumers bring their own".into());
    }
    let url = url.map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{raw}` is not an http(s) URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must be a plain base URL, without query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `url` without any `user:password@`; unchanged when it does not parse (it was checked to be http(s) already).
fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            // Both only fail for URLs that cannot have credentials, which then have none to remove.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.as_str().trim_end_matches('/').to_owned()
        }
        Err(_) => url.trim_end_matches('/').to_owned(),
    }
}

fn is_http_url(url: &str) -> bool {
    url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).is_some_and(|rest| !rest.is_empty())
}

/// The portal's base URL as cards link it: http(s) with a host, no credentials, query or fragment, and no trailing
/// slash.
/// An `http(s)` URL without credentials: it is fetched, and may show up in logs.
fn parse_index_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("`{raw}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{raw}` must be an http(s) URL, like https://mesh.acme.example/index.html"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    Ok(url.to_string())
}

fn parse_portal_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{raw}` is not an http(s) URL with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must be a plain base URL, without credentials, query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A CSP source list for `frame-ancestors`. It ends up inside a header, so anything that could end the directive
/// (`;`), start another policy (`,`) or break the header (control characters, non-ASCII) is refused.
fn parse_frame_ancestors(raw: &str) -> Result<String, String> {
    if let Some(bad) = raw.chars().find(|c| matches!(c, ';' | ',') || !(c.is_ascii_graphic() || *c == ' ')) {
        return Err(format!(
            "contains `{}`: give space-separated CSP sources such as `'self' https://wiki.acme.example`",
            bad.escape_default()
        ));
    }
    Ok(raw.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn parse_properties(raw: &str) -> Result<Vec<(String, String)>, String> {
    raw.split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.trim().to_owned())),
            // Only the key side is shown: values may be passwords.
            _ => Err(format!("`{}` is not a key=value pair", pair.split('=').next().unwrap_or_default())),
        })
        .collect()
}

fn parse_policy(text: &str) -> Result<GovernancePolicy, String> {
    let policy: GovernancePolicy = serde_json::from_str(text).map_err(|e| format!("not a governance policy: {e}"))?;
    policy.check()?;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vars: &[(&str, &str)], expected: Result<(), &str>) {
        let got = Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()));
        match (got, expected) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "`{e}` lacks `{fragment}`"),
            (got, expected) => panic!("{vars:?}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn defaults_need_no_variable() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(matches!(config.catalog, CatalogConfig::Embedded { .. }));
        assert_eq!(config.dependency_timeout, Duration::from_secs(3));
        assert!(!config.policy.domains.is_empty());
        assert_eq!(config.embed.portal_url, "http://127.0.0.1:8080");
        assert_eq!(config.embed.frame_ancestors, "'self'");
        assert!(!config.embed.public_cards, "cards need sign-in unless the organisation opens them");
        assert!(!config.auth.public_reads, "reads need sign-in unless the organisation opens them");
    }

    #[test]
    fn consumers_see_the_apis_own_addresses_unless_told_otherwise_and_never_credentials() {
        let config = Config::from_lookup(|name| match name {
            "MESHPORT_KAFKA_BOOTSTRAP" => Some("kafka-1:9092,kafka-2:9092".into()),
            "MESHPORT_REGISTRY_URL" => Some("https://key:hunter2@registry.acme.example/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.public.kafka_bootstrap, "kafka-1:9092,kafka-2:9092");
        assert_eq!(config.public.registry_url, "https://registry.acme.example");

        let vars = [
            ("MESHPORT_PUBLIC_KAFKA_BOOTSTRAP", "kafka.acme.example:9094"),
            ("MESHPORT_PUBLIC_REGISTRY_URL", "https://schemas.acme.example/"),
        ];
        let config = Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned()));
        let public = config.unwrap().public;
        assert_eq!(public.kafka_bootstrap, "kafka.acme.example:9094");
        assert_eq!(public.registry_url, "https://schemas.acme.example");

        check(&[("MESHPORT_PUBLIC_KAFKA_BOOTSTRAP", "kafka")], Err("MESHPORT_PUBLIC_KAFKA_BOOTSTRAP: `kafka` is not"));
        check(&[("MESHPORT_PUBLIC_REGISTRY_URL", "registry:8081")], Err("MESHPORT_PUBLIC_REGISTRY_URL"));
        let err = Config::from_lookup(|n| {
            (n == "MESHPORT_PUBLIC_REGISTRY_URL").then(|| "https://key:hunter2@registry.acme.example".to_owned())
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "MESHPORT_PUBLIC_REGISTRY_URL: must not contain credentials: consumers bring their own"
        );
    }

    #[test]
    fn embed_settings_are_normalised() {
        let vars = [
            ("MESHPORT_PORTAL_URL", "https://acme.example/mesh/"),
            ("MESHPORT_EMBED_FRAME_ANCESTORS", "  'self'   https://wiki.acme.example "),
            ("MESHPORT_PUBLIC_CARDS", "true"),
        ];
        let config = Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()));
        let embed = config.unwrap().embed;
        assert_eq!(embed.portal_url, "https://acme.example/mesh");
        assert_eq!(embed.frame_ancestors, "'self' https://wiki.acme.example");
        assert!(embed.public_cards);
    }

    #[test]
    fn bad_values_are_refused_naming_the_variable() {
        check(&[("MESHPORT_LISTEN", "nowhere")], Err("MESHPORT_LISTEN: `nowhere` is not a socket address"));
        check(&[("MESHPORT_CATALOG", "postgres")], Err("MESHPORT_CATALOG: `postgres` is not a catalog"));
        check(&[("MESHPORT_DEPENDENCY_TIMEOUT_MS", "0")], Err("MESHPORT_DEPENDENCY_TIMEOUT_MS"));
        check(&[("MESHPORT_KAFKA_BOOTSTRAP", "localhost")], Err("MESHPORT_KAFKA_BOOTSTRAP"));
        check(&[("MESHPORT_REGISTRY_URL", "registry:8081")], Err("MESHPORT_REGISTRY_URL"));
        check(&[("MESHPORT_DEMO", "maybe")], Err("MESHPORT_DEMO"));
        check(&[("MESHPORT_SYNC_INTERVAL_SECS", "-5")], Err("MESHPORT_SYNC_INTERVAL_SECS: `-5` is not a number"));
        check(&[("MESHPORT_PORTAL_URL", "mesh.acme.example")], Err("MESHPORT_PORTAL_URL: `mesh.acme.example` is not"));
        check(&[("MESHPORT_PORTAL_URL", "ftp://mesh.acme.example")], Err("MESHPORT_PORTAL_URL"));
        check(&[("MESHPORT_PORTAL_URL", "https://mesh.acme.example/?x=1")], Err("MESHPORT_PORTAL_URL"));
        check(&[("MESHPORT_EMBED_FRAME_ANCESTORS", "'self'; script-src *")], Err("MESHPORT_EMBED_FRAME_ANCESTORS"));
        check(&[("MESHPORT_EMBED_FRAME_ANCESTORS", "'self'\nX-Evil: 1")], Err("MESHPORT_EMBED_FRAME_ANCESTORS"));
        check(&[("MESHPORT_EMBED_FRAME_ANCESTORS", "'self', *")], Err("MESHPORT_EMBED_FRAME_ANCESTORS"));
        check(&[("MESHPORT_PUBLIC_CARDS", "sometimes")], Err("MESHPORT_PUBLIC_CARDS"));
        check(&[("MESHPORT_PUBLIC_READS", "sometimes")], Err("MESHPORT_PUBLIC_READS"));
        check(&[("MESHPORT_PORTAL_INDEX_URL", "ftp://cdn.example/index.html")], Err("MESHPORT_PORTAL_INDEX_URL"));
        check(&[("MESHPORT_PORTAL_INDEX_URL", "https://u:p@cdn.example/")], Err("must not carry credentials"));
        check(&[("MESHPORT_POLICY_FILE", "/nonexistent/policy.json")], Err("MESHPORT_POLICY_FILE: cannot read"));
        check(&[("MESHPORT_CATALOG", "dynamodb")], Err("AWS_ACCESS_KEY_ID: is required"));
    }

    #[test]
    fn dev_sign_in_refuses_a_listener_beyond_this_machine_unless_forced() {
        let dev = ("MESHPORT_DEV_AUTH", "true");
        for listen in ["0.0.0.0:8080", "[::]:8080", "192.168.1.20:8080"] {
            let refusal = format!("MESHPORT_DEV_AUTH: is refused while the server listens on `{listen}`");
            check(&[dev, ("MESHPORT_LISTEN", listen)], Err(&refusal));
            check(&[dev, ("MESHPORT_LISTEN", listen)], Err("set MESHPORT_DEV_AUTH_ANY_ADDRESS=true"));
            check(&[dev, ("MESHPORT_LISTEN", listen), ("MESHPORT_DEV_AUTH_ANY_ADDRESS", "true")], Ok(()));
            check(&[("MESHPORT_LISTEN", listen)], Ok(()));
        }
        for listen in ["127.0.0.1:8080", "127.0.0.2:0", "[::1]:8080"] {
            check(&[dev, ("MESHPORT_LISTEN", listen)], Ok(()));
        }
        check(&[dev, ("MESHPORT_LISTEN", "0.0.0.0:8080"), ("MESHPORT_DEV_AUTH_ANY_ADDRESS", "maybe")], Err("`maybe`"));
    }

    #[test]
    fn the_local_server_answers_for_its_own_names_the_portals_and_those_configured() {
        let vars = [
            ("MESHPORT_LISTEN", "10.0.0.5:8080"),
            ("MESHPORT_PORTAL_URL", "https://Mesh.Acme.Example/"),
            ("MESHPORT_ALLOWED_HOSTS", " meshport.internal,10.1.2.3 , [fd00::1],"),
        ];
        let config = Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned()));
        let hosts = config.unwrap().allowed_hosts;

        let allowed = ["localhost", "LocalHost.", "127.0.0.1", "[::1]", "[0:0::1]", "10.0.0.5", "mesh.acme.example"];
        for host in allowed.into_iter().chain(["meshport.internal", "10.1.2.3", "[fd00::1]"]) {
            assert!(hosts.allows(host), "{host} in {hosts:?}");
        }
        for host in ["evil.example", "127.0.0.2", "localhost.evil.example", "mesh.acme.example.evil", "", "[::2]"] {
            assert!(!hosts.allows(host), "{host} in {hosts:?}");
        }
        let everywhere = Config::from_lookup(|n| (n == "MESHPORT_LISTEN").then(|| "0.0.0.0:8080".to_owned()));
        assert!(!everywhere.unwrap().allowed_hosts.allows("0.0.0.0"), "listening everywhere names no host");
        for bad in ["https://mesh.acme.example", "mesh.acme.example:8080", "*.acme.example", "-x", "a b"] {
            check(&[("MESHPORT_ALLOWED_HOSTS", bad)], Err("MESHPORT_ALLOWED_HOSTS: `"));
        }
    }

    #[test]
    fn secrets_never_show_in_the_configurations_debug_output() {
        let vars =
            [("MESHPORT_REGISTRY_BASIC_AUTH", "key:hunter2"), ("MESHPORT_KAFKA_CONFIG", "sasl.password=swordfish")];
        let config = Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned())).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("swordfish"), "{debug}");
        assert!(debug.contains("sasl.password"), "keys stay visible: {debug}");
    }

    #[test]
    fn secrets_are_not_echoed_in_errors() {
        check(&[("MESHPORT_REGISTRY_BASIC_AUTH", "hunter2")], Err("must look like `key:secret`"));
        let err =
            Config::from_lookup(|n| (n == "MESHPORT_REGISTRY_BASIC_AUTH").then(|| "hunter2".to_owned())).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        let err = Config::from_lookup(|n| {
            (n == "MESHPORT_KAFKA_CONFIG").then(|| "security.protocol=SASL_SSL;sasl.password".to_owned())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "MESHPORT_KAFKA_CONFIG: `sasl.password` is not a key=value pair");
    }

    fn smtp_of(vars: &[(&str, &str)]) -> Option<SmtpSettings> {
        Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned())).unwrap().smtp
    }

    #[test]
    fn the_smtp_relay_is_read_from_its_url_with_the_password_apart() {
        let from = ("MESHPORT_SMTP_FROM", "Meshport <meshport@acme.example>");

        let ses = smtp_of(&[
            ("MESHPORT_SMTP_URL", "smtp://AKIA123@email-smtp.eu-west-1.amazonaws.com"),
            ("MESHPORT_SMTP_PASSWORD", "hunter2"),
            from,
        ])
        .unwrap();
        let tls = smtp_of(&[
            ("MESHPORT_SMTP_URL", "smtps://me%40acme.example@mail.acme.example"),
            ("MESHPORT_SMTP_PASSWORD", "pw"),
            from,
        ])
        .unwrap();
        let catcher = smtp_of(&[("MESHPORT_SMTP_URL", "smtp://127.0.0.1:8025?tls=none"), from]).unwrap();

        assert_eq!(
            (ses.host.as_str(), ses.port, ses.security),
            ("email-smtp.eu-west-1.amazonaws.com", 587, SmtpTls::StartTls)
        );
        assert_eq!(ses.credentials, Some(("AKIA123".to_owned(), "hunter2".to_owned())));
        assert_eq!(ses.from.email.to_string(), "meshport@acme.example");
        assert_eq!((tls.port, tls.security), (465, SmtpTls::Tls));
        assert_eq!(tls.credentials.map(|(user, _)| user).as_deref(), Some("me@acme.example"));
        assert_eq!((catcher.port, catcher.security, catcher.credentials), (8025, SmtpTls::None, None));
        assert_eq!(smtp_of(&[]), None, "no relay, no email");
    }

    #[test]
    fn a_bad_smtp_setting_is_refused_naming_it_and_never_echoing_the_password() {
        let url = |url| ("MESHPORT_SMTP_URL", url);
        let from = ("MESHPORT_SMTP_FROM", "meshport@acme.example");
        let password = ("MESHPORT_SMTP_PASSWORD", "hunter2");
        check(
            &[url("http://mail.acme.example"), from],
            Err("MESHPORT_SMTP_URL: `http://mail.acme.example` is not an SMTP"),
        );
        check(&[url("smtps://mail.acme.example?tls=none"), from], Err("MESHPORT_SMTP_URL"));
        check(&[url("smtp://mail.acme.example/inbox"), from], Err("MESHPORT_SMTP_URL"));
        check(&[url("mail.acme.example:587"), from], Err("MESHPORT_SMTP_URL"));
        check(&[url("smtp://mail.acme.example")], Err("MESHPORT_SMTP_FROM: is required"));
        check(
            &[url("smtp://mail.acme.example"), ("MESHPORT_SMTP_FROM", "nobody")],
            Err("MESHPORT_SMTP_FROM: `nobody`"),
        );
        check(&[url("smtp://me@mail.acme.example"), from], Err("MESHPORT_SMTP_PASSWORD: is required"));
        check(&[url("smtp://mail.acme.example"), from, password], Err("MESHPORT_SMTP_PASSWORD: is set but"));
        check(&[from], Err("MESHPORT_SMTP_FROM: is set but MESHPORT_SMTP_URL is not"));
        check(&[password], Err("MESHPORT_SMTP_PASSWORD: is set but MESHPORT_SMTP_URL is not"));

        let vars = [url("smtp://me:hunter2@mail.acme.example"), from];
        let err =
            Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned())).unwrap_err();
        assert_eq!(err.to_string(), "MESHPORT_SMTP_URL: must not contain the password: set MESHPORT_SMTP_PASSWORD");
        let vars = [url("smtp://me@mail.acme.example"), from, password];
        let config = Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned())).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"), "{config:?}");
    }

    #[test]
    fn the_demo_catcher_is_a_plain_url_for_the_demo_only() {
        let demo = ("MESHPORT_DEMO", "true");
        let vars = [demo, ("MESHPORT_DEMO_CATCHER_URL", "http://127.0.0.1:8025/")];
        let config = Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned())).unwrap();
        assert_eq!(config.demo_catcher.as_deref(), Some("http://127.0.0.1:8025"));
        check(&[("MESHPORT_DEMO_CATCHER_URL", "http://127.0.0.1:8025")], Err("set MESHPORT_DEMO=true too"));
        check(&[demo, ("MESHPORT_DEMO_CATCHER_URL", "127.0.0.1:8025")], Err("MESHPORT_DEMO_CATCHER_URL"));
    }

    #[test]
    fn kafka_properties_are_parsed_in_order() {
        assert_eq!(
            parse_properties("security.protocol=SASL_SSL; sasl.mechanism=PLAIN;").unwrap(),
            vec![("security.protocol".into(), "SASL_SSL".into()), ("sasl.mechanism".into(), "PLAIN".into())]
        );
    }

    #[test]
    fn a_policy_file_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        std::fs::write(&path, r#"{"allowed_qualities": [], "allowed_slas": ["tier-1"], "schema_required": true, "owner_must_belong_to_domain": false}"#).unwrap();
        let path = path.to_str().unwrap();
        check(&[("MESHPORT_POLICY_FILE", path)], Err("allowed_qualities must name at least one quality"));
    }

    #[test]
    fn consumers_are_told_the_clusters_protocol_and_mechanism_but_no_credential() {
        let properties: Vec<(String, String)> = [
            ("security.protocol", "sasl_plaintext"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "meshport"),
            ("sasl.password", "hunter2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();

        let security = client_security(&properties).unwrap();

        assert_eq!(security.protocol, "SASL_PLAINTEXT");
        assert_eq!(security.sasl_mechanism.as_deref(), Some("SCRAM-SHA-512"));
        assert!(!format!("{security:?}").contains("hunter2"));
        assert_eq!(client_security(&[]), None);
        assert_eq!(client_security(&[("security.protocol".into(), "plaintext".into())]), None);
    }
}
