//! The sign-in settings, from `MESHPORT_OIDC_*`, `MESHPORT_ADMIN_GROUP`, `MESHPORT_PUBLIC_READS` and
//! `MESHPORT_DEV_AUTH*`: parsed and checked at start like every other setting; `auth` builds its authenticator from
//! them.

use std::fmt;

use super::ConfigError;

/// The consent `MESHPORT_DEV_AUTH_ON_LAMBDA` must spell out before dev sign-in runs on Lambda.
pub const DEV_AUTH_ON_LAMBDA_CONSENT: &str = "i-understand-this-is-insecure";
const MIN_DEV_SECRET_LEN: usize = 32;

/// How callers sign in, from `MESHPORT_OIDC_*`, `MESHPORT_ADMIN_GROUP` and `MESHPORT_DEV_AUTH*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// The organisation's identity provider; `None` when only dev sign-in (or nobody) is accepted.
    pub oidc: Option<OidcSettings>,
    /// The claim listing the person's groups: a claim name, or a dotted path into nested claims
    /// (`realm_access.roles`).
    pub groups_claim: String,
    /// The claim with the person's display name; the subject stands in when a token has none.
    pub name_claim: String,
    /// Members of this group are org admins.
    pub admin_group: String,
    /// Dev sign-in: the API signs tokens for anyone who asks. `None` unless explicitly enabled.
    pub dev: Option<DevAuthSettings>,
    /// Whether the catalog answers reads without sign-in (`MESHPORT_PUBLIC_READS`); off, every reader signs in.
    pub public_reads: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// Must equal the tokens' `iss` exactly.
    pub issuer: String,
    /// Must be one of the tokens' `aud`.
    pub audience: String,
    pub jwks_url: String,
    /// Whether `http://` is accepted for the issuer, the key set and the endpoints its discovery document names
    /// (`MESHPORT_OIDC_ALLOW_HTTP`, for a local test provider). Otherwise only `https://` is: whoever can swap the
    /// key set on its way can sign any identity.
    pub allow_http: bool,
    /// The portal's client at the provider (`MESHPORT_OIDC_CLIENT_ID`, `MESHPORT_OIDC_SCOPE`); `None` when people
    /// bring their own tokens instead of signing in through the portal.
    pub portal: Option<PortalClient>,
}

/// The portal as a public OIDC client: it signs people in with the authorization code flow and PKCE, and sends
/// their ID token to the API. An ID token's audience is the client, so the client id must be the audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalClient {
    pub client_id: String,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevAuthSettings {
    /// `MESHPORT_DEV_AUTH_SECRET`, so several processes accept each other's tokens; a random one per process
    /// otherwise.
    secret: Option<Secret>,
}

impl DevAuthSettings {
    /// The shared signing secret, when one is configured.
    pub(crate) fn secret(&self) -> Option<&str> {
        self.secret.as_ref().map(|secret| secret.0.as_str())
    }
}

/// A secret that never shows in logs: `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl AuthSettings {
    /// Reads the sign-in settings. `on_lambda` refuses dev sign-in unless the operator consents in writing.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>, on_lambda: bool) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let oidc = match (get("MESHPORT_OIDC_ISSUER"), get("MESHPORT_OIDC_AUDIENCE"), get("MESHPORT_OIDC_JWKS_URL")) {
            (None, None, None) => None,
            (Some(issuer), Some(audience), Some(jwks_url)) => {
                let allow_http = super::flag("MESHPORT_OIDC_ALLOW_HTTP", get("MESHPORT_OIDC_ALLOW_HTTP").as_deref())?;
                check_identity_url("MESHPORT_OIDC_ISSUER", &issuer, allow_http)?;
                check_identity_url("MESHPORT_OIDC_JWKS_URL", &jwks_url, allow_http)?;
                let portal = portal_client(&get, &audience)?;
                Some(OidcSettings { issuer, audience, jwks_url, allow_http, portal })
            }
            (issuer, audience, jwks_url) => {
                let missing = [
                    ("MESHPORT_OIDC_ISSUER", issuer.is_none()),
                    ("MESHPORT_OIDC_AUDIENCE", audience.is_none()),
                    ("MESHPORT_OIDC_JWKS_URL", jwks_url.is_none()),
                ];
                let variable = missing.iter().find(|(_, missing)| *missing).map_or("MESHPORT_OIDC_ISSUER", |(v, _)| v);
                return Err(config_error(
                    variable,
                    "is required: set all three of MESHPORT_OIDC_ISSUER, MESHPORT_OIDC_AUDIENCE and \
                     MESHPORT_OIDC_JWKS_URL, or none",
                ));
            }
        };

        if oidc.is_none() && get("MESHPORT_OIDC_CLIENT_ID").is_some() {
            return Err(config_error(
                "MESHPORT_OIDC_CLIENT_ID",
                "needs the identity provider: set MESHPORT_OIDC_ISSUER, MESHPORT_OIDC_AUDIENCE and \
                 MESHPORT_OIDC_JWKS_URL too",
            ));
        }

        let dev = super::flag("MESHPORT_DEV_AUTH", get("MESHPORT_DEV_AUTH").as_deref())?;
        let dev = if dev {
            let secret = match get("MESHPORT_DEV_AUTH_SECRET") {
                // The value is a secret: never echo it.
                Some(secret) if secret.len() < MIN_DEV_SECRET_LEN => {
                    return Err(config_error(
                        "MESHPORT_DEV_AUTH_SECRET",
                        format!("must be at least {MIN_DEV_SECRET_LEN} characters"),
                    ));
                }
                secret => secret.map(Secret),
            };
            if on_lambda {
                match get("MESHPORT_DEV_AUTH_ON_LAMBDA").as_deref() {
                    Some(DEV_AUTH_ON_LAMBDA_CONSENT) => {}
                    None => {
                        return Err(config_error(
                            "MESHPORT_DEV_AUTH",
                            format!(
                                "is refused on AWS Lambda: dev sign-in lets anyone act as anyone; set \
                                 MESHPORT_DEV_AUTH_ON_LAMBDA={DEV_AUTH_ON_LAMBDA_CONSENT} to run it there anyway"
                            ),
                        ));
                    }
                    Some(_) => {
                        return Err(config_error(
                            "MESHPORT_DEV_AUTH_ON_LAMBDA",
                            format!("must be exactly `{DEV_AUTH_ON_LAMBDA_CONSENT}` to allow dev sign-in on Lambda"),
                        ));
                    }
                }
                if secret.is_none() {
                    return Err(config_error(
                        "MESHPORT_DEV_AUTH_SECRET",
                        "is required for dev sign-in on Lambda, where every instance must accept the others' tokens",
                    ));
                }
            }
            Some(DevAuthSettings { secret })
        } else {
            None
        };

        Ok(Self {
            oidc,
            groups_claim: get("MESHPORT_OIDC_GROUPS_CLAIM").unwrap_or_else(|| "groups".into()),
            name_claim: get("MESHPORT_OIDC_NAME_CLAIM").unwrap_or_else(|| "name".into()),
            admin_group: get("MESHPORT_ADMIN_GROUP").unwrap_or_else(|| "meshport-admins".into()),
            dev,
            public_reads: super::flag("MESHPORT_PUBLIC_READS", get("MESHPORT_PUBLIC_READS").as_deref())?,
        })
    }
}

/// The portal's client, from `MESHPORT_OIDC_CLIENT_ID` and `MESHPORT_OIDC_SCOPE` (default `openid profile`).
fn portal_client(get: &dyn Fn(&str) -> Option<String>, audience: &str) -> Result<Option<PortalClient>, ConfigError> {
    let Some(client_id) = get("MESHPORT_OIDC_CLIENT_ID") else {
        return Ok(None);
    };
    if client_id != audience {
        return Err(config_error(
            "MESHPORT_OIDC_CLIENT_ID",
            format!(
                "must equal MESHPORT_OIDC_AUDIENCE (`{audience}`): the portal signs people in with ID tokens, whose \
                 audience is the client `{client_id}`, so the API would refuse every one of them"
            ),
        ));
    }
    let scope = get("MESHPORT_OIDC_SCOPE").unwrap_or_else(|| "openid profile".into());
    if !scope.split_whitespace().any(|s| s == "openid") {
        return Err(config_error(
            "MESHPORT_OIDC_SCOPE",
            format!("must include `openid` (an ID token is only issued for it), got `{scope}`"),
        ));
    }
    Ok(Some(PortalClient { client_id, scope: scope.split_whitespace().collect::<Vec<_>>().join(" ") }))
}

fn config_error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { variable, message: message.into() }
}

/// An identity provider's URL: `https://` with a host, or `http://` too where `allow_http`.
fn check_identity_url(variable: &'static str, raw: &str, allow_http: bool) -> Result<(), ConfigError> {
    identity_url_problem(raw, allow_http).map_or(Ok(()), |problem| Err(config_error(variable, problem)))
}

/// What is wrong with an identity provider's URL, if anything: it must be `https://` with a host (or `http://` where
/// `allow_http`), since a key set or endpoint read in the clear can be swapped on its way. Discovered endpoints are
/// checked with it too.
pub(crate) fn identity_url_problem(raw: &str, allow_http: bool) -> Option<String> {
    match reqwest::Url::parse(raw) {
        Ok(url) if url.host().is_some() && url.scheme() == "https" => None,
        Ok(url) if url.host().is_some() && url.scheme() == "http" => (!allow_http).then(|| {
            format!(
                "`{raw}` is not https: the identity provider's keys and endpoints are only trusted over TLS (set \
                 MESHPORT_OIDC_ALLOW_HTTP=true for a local test provider)"
            )
        }),
        _ => Some(format!("`{raw}` is not an https URL")),
    }
}
