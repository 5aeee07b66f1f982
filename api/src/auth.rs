//! Who is calling: the identity in a request's `Authorization: Bearer <jwt>`, verified against the organisation's
//! identity provider (OIDC), or, in dev mode, a token this process signed for a demo user; or a team's API token
//! (`mpt_<id>_<secret>`, [`tokens`]), accepted in every deployment, whose identity is `token:<team>/<name>`.
//!
//! Handlers take `routes::extract`'s `Caller` (anonymous allowed), `Reader` (anonymous only where
//! `MESHPORT_PUBLIC_READS` opens reads; the router puts every catalog route behind it) or `SignedIn`, which ask
//! [`Authenticator::identify`]; a change is checked with [`require_change`].
//!
//! How failures answer (`routes` maps them):
//! - no token where one is needed, or a token that is malformed, tampered with, expired, not yet valid, from another
//!   issuer or for another audience: `Error::Unauthorized` (401 `unauthorized`) with the reason. A token that
//!   does not verify is refused even where anonymous reading is allowed, so a client never silently loses its
//!   identity.
//! - an API token that was revoked or has expired: `Error::TokenRevoked` (401 `token_revoked`) or
//!   `Error::TokenExpired` (401 `token_expired`), so a job knows to ask for a new one.
//! - a verified identity that may not change a product, or whose scope is `read` ([`require_change_scope`]):
//!   `Error::Forbidden` (403 `forbidden`).
//! - the provider's key set (JWKS) cannot be fetched: `Error::IdentityProviderUnavailable` (503
//!   `identity_provider_unavailable`). The token may well be good; answering 401 would make the portal throw away a
//!   valid sign-in, so this is treated like any other dependency that is down: the request may be retried and the
//!   server recovers by itself.
//!
//! The provider's keys are fetched on first use and kept. A token naming a key id the cache does not know makes one
//! refetch (the provider rotated its keys), at most once per [`UNKNOWN_KEY_REFETCH_INTERVAL`] so that made-up key ids
//! cannot make us hammer the provider; the whole set is refreshed when older than [`KEYS_MAX_AGE`], so a withdrawn
//! key stops being accepted.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use meshport_shared::api::{DevToken, DevUser, Identity, SignInOptions};
use meshport_shared::tokens::Scope;
use meshport_shared::{DataProduct, GovernancePolicy, TeamName};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalog::CatalogStore;
pub use crate::config::auth::{AuthSettings, DEV_AUTH_ON_LAMBDA_CONSENT, DevAuthSettings, OidcSettings, PortalClient};
use crate::error::Error;

mod dev;
mod discovery;
mod oidc;
pub mod tokens;

pub use dev::*;
use oidc::*;

/// The `iss` and `aud` of dev tokens: never an identity provider's, so the two kinds of token cannot be confused.
pub const DEV_ISSUER: &str = "meshport-dev";
pub const DEV_AUDIENCE: &str = "meshport-dev";
/// How long a dev token lasts: a working day.
pub const DEV_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY: Duration = Duration::from_secs(30);
/// A token naming an unknown key id refetches the provider's keys at most this often.
pub const UNKNOWN_KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Keys older than this are fetched again on next use.
pub const KEYS_MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// After a failed fetch, requests answer with that failure for this long instead of each waiting on the provider.
const FETCH_FAILURE_BACKOFF: Duration = Duration::from_secs(2);

const NOT_CONFIGURED: &str = "sign-in is not configured on this server, so it only answers reads: set \
     MESHPORT_OIDC_ISSUER, MESHPORT_OIDC_AUDIENCE and MESHPORT_OIDC_JWKS_URL to use the organisation's identity \
     provider (or MESHPORT_DEV_AUTH=true for a local run)";

/// Verifies bearer tokens and, in dev mode, signs them. Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
    /// Where API tokens are looked up; without it (unit tests), none is accepted.
    tokens: Option<Arc<dyn CatalogStore>>,
}

struct Inner {
    oidc: Option<Provider>,
    dev: Option<DevKeys>,
    claims: ClaimMapping,
    public_reads: bool,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are left out on purpose: the dev key is a secret.
        f.debug_struct("Authenticator")
            .field("oidc", &self.inner.oidc.as_ref().map(|provider| &provider.settings))
            .field("dev", &self.inner.dev.is_some())
            .field("claims", &self.inner.claims)
            .field("public_reads", &self.inner.public_reads)
            .field("tokens", &self.tokens.is_some())
            .finish()
    }
}

/// Why the authenticator could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for the identity provider's keys: {0}")]
pub struct AuthStartError(String);

impl Authenticator {
    /// Contacts nothing: the provider's keys are fetched when the first token arrives. `timeout` bounds each fetch.
    pub fn new(settings: &AuthSettings, timeout: Duration) -> Result<Self, AuthStartError> {
        let oidc = match &settings.oidc {
            None => None,
            Some(oidc) => Some(Provider::new(oidc.clone(), timeout)?),
        };
        let dev = settings.dev.as_ref().map(|dev| {
            let secret = match dev.secret() {
                Some(secret) => secret.to_owned(),
                // Two v4 UUIDs: 244 bits from the operating system's generator.
                None => format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
            };
            DevKeys {
                encoding: EncodingKey::from_secret(secret.as_bytes()),
                decoding: DecodingKey::from_secret(secret.as_bytes()),
            }
        });
        let claims = ClaimMapping {
            groups_claim: settings.groups_claim.clone(),
            name_claim: settings.name_claim.clone(),
            admin_group: settings.admin_group.clone(),
        };
        Ok(Self { inner: Arc::new(Inner { oidc, dev, claims, public_reads: settings.public_reads }), tokens: None })
    }

    /// Accepts the API tokens `catalog` holds beside sign-in tokens, whatever the sign-in configuration.
    pub fn with_tokens(mut self, catalog: Arc<dyn CatalogStore>) -> Self {
        self.tokens = Some(catalog);
        self
    }

    /// Whether anyone can sign in at all; without it every request is anonymous.
    pub fn sign_in_configured(&self) -> bool {
        self.inner.oidc.is_some() || self.inner.dev.is_some()
    }

    /// Whether callers without a token may read the catalog.
    pub fn public_reads(&self) -> bool {
        self.inner.public_reads
    }

    /// Where the portal's pages may fetch from at the identity provider: its issuer, and the token endpoint of its
    /// discovery document as last read (the portal exchanges its sign-in code there; reading it is left to the
    /// sign-in page, so that no page waits on the provider). Empty without a portal client.
    pub fn provider_fetch_urls(&self) -> Vec<String> {
        let Some(provider) = self.inner.oidc.as_ref().filter(|provider| provider.settings.portal.is_some()) else {
            return Vec::new();
        };
        let mut urls = vec![provider.settings.issuer.clone()];
        urls.extend(provider.known_token_endpoint());
        urls
    }

    /// Whether this server signs tokens for demo users.
    pub fn dev_mode(&self) -> bool {
        self.inner.dev.is_some()
    }

    /// How people sign in here, for the portal's sign-in page: the organisation's provider's endpoints are read
    /// from its discovery document (and kept), so this is the one sign-in answer that may wait on the provider.
    pub async fn sign_in_options(&self) -> Result<SignInOptions, Error> {
        let organisation = match &self.inner.oidc {
            Some(provider) => match &provider.settings.portal {
                Some(client) => Some(provider.organisation_sign_in(client).await?),
                None => None,
            },
            None => None,
        };
        Ok(SignInOptions { dev: self.dev_mode(), organisation })
    }

    /// Signs a dev token for `identity`, valid for [`DEV_TOKEN_LIFETIME`]; `None` when dev sign-in is off.
    /// Tests use it to act as anyone.
    pub fn dev_token(&self, identity: &Identity) -> Option<DevToken> {
        let dev = self.inner.dev.as_ref()?;
        let now = jsonwebtoken::get_current_timestamp();
        let exp = now + DEV_TOKEN_LIFETIME.as_secs();
        let claims = DevClaims {
            iss: DEV_ISSUER.into(),
            aud: DEV_AUDIENCE.into(),
            sub: identity.subject.clone(),
            name: identity.name.clone(),
            teams: identity.teams.clone(),
            admin: identity.admin,
            iat: now,
            nbf: now,
            exp,
        };
        // HMAC signing of a serializable struct cannot fail.
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &dev.encoding).ok()?;
        let expires_at = i64::try_from(exp)
            .ok()
            .and_then(|exp| jiff::Timestamp::from_second(exp).ok())
            .map(|t| t.to_string())
            .unwrap_or_default();
        Some(DevToken { token, identity: identity.clone(), expires_at })
    }

    /// The caller of a request from its `Authorization` header (`Some(Err)` when the value is not text): `None`
    /// without one, an error for one that does not verify.
    pub async fn identify(&self, authorization: Option<Result<&str, ()>>) -> Result<Option<Identity>, Error> {
        let Some(value) = authorization else {
            return Ok(None);
        };
        let token = value
            .ok()
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Error::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?;
        self.verify(token).await.map(Some)
    }

    /// Verifies one token and reads the identity it carries: an API token (`mpt_...`), or a sign-in JWT.
    pub async fn verify(&self, token: &str) -> Result<Identity, Error> {
        if tokens::is_api_token(token) {
            return match &self.tokens {
                Some(catalog) => tokens::verify(catalog.as_ref(), token).await,
                None => Err(Error::Unauthorized("this server does not accept API tokens".into())),
            };
        }
        if !self.sign_in_configured() {
            return Err(Error::Unauthorized(format!("cannot check the bearer token: {NOT_CONFIGURED}")));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| rejected(&e, None))?;
        match header.alg {
            Algorithm::HS256 => match &self.inner.dev {
                Some(dev) => dev.verify(token),
                None => Err(Error::Unauthorized(
                    "the sign-in token is signed with HS256, which only dev sign-in uses, and dev sign-in is off here"
                        .into(),
                )),
            },
            Algorithm::RS256 | Algorithm::ES256 => match &self.inner.oidc {
                Some(provider) => provider.verify(token, &header, &self.inner.claims).await,
                None => Err(Error::Unauthorized(
                    "the sign-in token comes from an identity provider, but this server only has dev sign-in: \
                     sign in with a demo user"
                        .into(),
                )),
            },
            other => Err(Error::Unauthorized(format!(
                "the sign-in token is signed with {other:?}; only RS256 and ES256 (and HS256 for dev sign-in) are accepted"
            ))),
        }
    }

    /// The refusal for a request that needs a signed-in caller and has none.
    pub fn sign_in_required(&self) -> Error {
        if self.sign_in_configured() {
            Error::Unauthorized("sign in first: send your token as `Authorization: Bearer <token>`".into())
        } else {
            Error::Unauthorized(NOT_CONFIGURED.into())
        }
    }

    /// The refusal for a read by a caller without a token while reads are private.
    pub fn reads_need_sign_in(&self) -> Error {
        if self.sign_in_configured() {
            self.sign_in_required()
        } else {
            Error::Unauthorized(
                "reads need sign-in on this server (MESHPORT_PUBLIC_READS is off), but no sign-in is configured: set \
                 MESHPORT_OIDC_ISSUER, MESHPORT_OIDC_AUDIENCE and MESHPORT_OIDC_JWKS_URL (or MESHPORT_DEV_AUTH=true for \
                 a local run), or open reads with MESHPORT_PUBLIC_READS=true"
                    .into(),
            )
        }
    }
}

/// Only members of the owning team, or org admins, change a product, and only with a scope that allows changes.
pub fn require_change(identity: &Identity, product: &DataProduct) -> Result<(), Error> {
    require_change_scope(identity)?;
    if identity.can_change(product) {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "only members of team `{}` or org admins may change `{}`",
        product.owner.team, product.id
    )))
}

/// Refuses any change to a caller whose scope is `read` (an API token made for reading): the router asks it of
/// every route that changes something, and [`require_change`] of every product change.
pub fn require_change_scope(identity: &Identity) -> Result<(), Error> {
    if identity.may_change() {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "`{}` may only read (its scope is `read`): use a token whose scope is `change` to change anything",
        identity.subject
    )))
}

pub(super) fn validation(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY.as_secs();
    validation
}

/// Why a token was refused, in words; never the token itself.
pub(super) fn rejected(error: &JwtError, expected: Option<(&str, &str)>) -> Error {
    let reason = match error.kind() {
        ErrorKind::InvalidSignature => "its signature does not match: it was altered or signed by someone else".into(),
        ErrorKind::ExpiredSignature => "it has expired: sign in again".into(),
        ErrorKind::ImmatureSignature => "it is not valid yet (`nbf` is in the future): check the clocks".into(),
        ErrorKind::InvalidIssuer => match expected {
            Some((issuer, _)) => format!("it was issued by someone else, not `{issuer}`"),
            None => "it was issued by someone else".into(),
        },
        ErrorKind::InvalidAudience => match expected {
            Some((_, audience)) => format!("it is meant for another audience, not `{audience}`"),
            None => "it is meant for another audience".into(),
        },
        ErrorKind::MissingRequiredClaim(claim) => format!("it has no `{claim}` claim"),
        ErrorKind::InvalidClaimFormat(claim) => format!("its `{claim}` claim is malformed"),
        ErrorKind::InvalidAlgorithm => "its algorithm does not match the key it names".into(),
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            "it is malformed: not a JSON Web Token with the expected claims".into()
        }
        _ => "it cannot be verified".into(),
    };
    Error::Unauthorized(format!("the sign-in token was refused: {reason}"))
}

/// How claims become an identity.
#[derive(Debug)]
pub(super) struct ClaimMapping {
    groups_claim: String,
    name_claim: String,
    admin_group: String,
}

impl ClaimMapping {
    fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, Error> {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|sub| !sub.trim().is_empty())
            .ok_or_else(|| Error::Unauthorized("the sign-in token was refused: its `sub` is empty".into()))?;
        let name = claim(claims, &self.name_claim).and_then(Value::as_str).filter(|name| !name.trim().is_empty());
        let groups: Vec<&str> = match claim(claims, &self.groups_claim) {
            Some(Value::Array(groups)) => groups.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(group)) => vec![group.as_str()],
            _ => Vec::new(),
        };
        let (teams, admin) = teams_and_admin(&groups, &self.admin_group);
        Ok(Identity {
            subject: subject.to_owned(),
            name: name.unwrap_or(subject).to_owned(),
            teams,
            admin,
            scope: Scope::Change,
        })
    }
}

/// A claim by its name, or by a dotted path into nested objects when no claim has that name (namespaced claims
/// such as `https://acme.example/groups` contain dots themselves).
pub(super) fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).or_else(|| {
        let mut parts = name.split('.');
        let first = claims.get(parts.next()?)?;
        parts.try_fold(first, |value, part| value.get(part))
    })
}

/// Groups that parse as team names are teams (Keycloak's `/team` paths included); the admin group makes an admin;
/// any other group is ignored.
pub(super) fn teams_and_admin(groups: &[&str], admin_group: &str) -> (Vec<TeamName>, bool) {
    let mut teams = BTreeSet::new();
    let mut admin = false;
    for group in groups {
        let group = group.trim();
        let bare = group.strip_prefix('/').unwrap_or(group);
        if group == admin_group || bare == admin_group {
            admin = true;
        } else if let Ok(team) = TeamName::parse(bare) {
            teams.insert(team);
        }
    }
    (teams.into_iter().collect(), admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;

    fn settings(vars: &[(&str, &str)], on_lambda: bool) -> Result<AuthSettings, ConfigError> {
        let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        AuthSettings::from_lookup(&lookup, on_lambda)
    }

    fn check(vars: &[(&str, &str)], on_lambda: bool, expected: Result<(), &str>) {
        match (settings(vars, on_lambda), expected) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "`{e}` lacks `{fragment}`"),
            (got, expected) => panic!("{vars:?}: got {got:?}, expected {expected:?}"),
        }
    }

    const OIDC: [(&str, &str); 3] = [
        ("MESHPORT_OIDC_ISSUER", "https://login.acme.example/"),
        ("MESHPORT_OIDC_AUDIENCE", "meshport"),
        ("MESHPORT_OIDC_JWKS_URL", "https://login.acme.example/.well-known/jwks.json"),
    ];
    const SECRET: &str = "a-dev-secret-of-at-least-32-characters";

    fn team(name: &str) -> TeamName {
        TeamName::parse(name).unwrap()
    }

    fn identity(teams: &[&str], admin: bool) -> Identity {
        Identity {
            subject: "u1".into(),
            name: "U".into(),
            teams: teams.iter().map(|t| team(t)).collect(),
            admin,
            scope: Scope::Change,
        }
    }

    fn product_of(owner: &str) -> DataProduct {
        meshport_shared::testing::product("orders").domain("execution", owner).name("Orders").build()
    }

    #[test]
    fn the_portal_client_must_be_the_audience_and_ask_for_openid() {
        let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
            OIDC.iter().chain(extra).copied().collect()
        };
        let portal = settings(&with(&[("MESHPORT_OIDC_CLIENT_ID", "meshport")]), false).unwrap().oidc.unwrap().portal;
        assert_eq!(portal, Some(PortalClient { client_id: "meshport".into(), scope: "openid profile".into() }));
        let scoped = with(&[("MESHPORT_OIDC_CLIENT_ID", "meshport"), ("MESHPORT_OIDC_SCOPE", " openid  groups ")]);
        assert_eq!(settings(&scoped, false).unwrap().oidc.unwrap().portal.unwrap().scope, "openid groups");
        assert_eq!(settings(&OIDC, false).unwrap().oidc.unwrap().portal, None);

        check(&with(&[("MESHPORT_OIDC_CLIENT_ID", "portal")]), false, Err("must equal MESHPORT_OIDC_AUDIENCE"));
        check(
            &with(&[("MESHPORT_OIDC_CLIENT_ID", "meshport"), ("MESHPORT_OIDC_SCOPE", "profile groups")]),
            false,
            Err("must include `openid`"),
        );
        check(&[("MESHPORT_OIDC_CLIENT_ID", "meshport")], false, Err("needs the identity provider"));
    }

    #[test]
    fn without_variables_nobody_signs_in() {
        let settings = settings(&[], false).unwrap();
        assert_eq!(settings.oidc, None);
        assert_eq!(settings.dev, None);
        assert_eq!(settings.groups_claim, "groups");
        assert_eq!(settings.name_claim, "name");
        assert_eq!(settings.admin_group, "meshport-admins");
        let auth = Authenticator::new(&settings, Duration::from_secs(1)).unwrap();
        assert!(!auth.sign_in_configured());
        assert!(auth.dev_token(&identity(&[], false)).is_none());
    }

    #[test]
    fn oidc_needs_all_three_variables_and_https_urls() {
        check(&OIDC, false, Ok(()));
        check(&OIDC[..2], false, Err("MESHPORT_OIDC_JWKS_URL: is required: set all three"));
        check(&OIDC[1..], false, Err("MESHPORT_OIDC_ISSUER: is required"));
        check(&[OIDC[0], OIDC[2]], false, Err("MESHPORT_OIDC_AUDIENCE: is required"));
        let vars = [OIDC[0], OIDC[1], ("MESHPORT_OIDC_JWKS_URL", "login.acme.example/jwks")];
        check(&vars, false, Err("MESHPORT_OIDC_JWKS_URL: `login.acme.example/jwks` is not an https URL"));
        let vars = [("MESHPORT_OIDC_ISSUER", "ftp://login.acme.example"), OIDC[1], OIDC[2]];
        check(&vars, false, Err("MESHPORT_OIDC_ISSUER"));
    }

    #[test]
    fn identity_provider_urls_in_the_clear_are_refused_unless_explicitly_allowed_for_a_test_provider() {
        let plain_keys = [OIDC[0], OIDC[1], ("MESHPORT_OIDC_JWKS_URL", "http://login.acme.example/jwks")];
        let plain_issuer = [("MESHPORT_OIDC_ISSUER", "http://127.0.0.1:9000"), OIDC[1], OIDC[2]];

        check(&plain_keys, false, Err("MESHPORT_OIDC_JWKS_URL: `http://login.acme.example/jwks` is not https"));
        check(&plain_issuer, false, Err("MESHPORT_OIDC_ISSUER: `http://127.0.0.1:9000` is not https"));
        check(&plain_keys, false, Err("set MESHPORT_OIDC_ALLOW_HTTP=true for a local test provider"));
        let allowed: Vec<_> = plain_issuer.into_iter().chain([("MESHPORT_OIDC_ALLOW_HTTP", "true")]).collect();
        assert!(settings(&allowed, false).unwrap().oidc.unwrap().allow_http);
        assert!(!settings(&OIDC, false).unwrap().oidc.unwrap().allow_http, "https only unless allowed");
        let bad_flag: Vec<_> = plain_keys.into_iter().chain([("MESHPORT_OIDC_ALLOW_HTTP", "sure")]).collect();
        check(&bad_flag, false, Err("MESHPORT_OIDC_ALLOW_HTTP: `sure` is not"));
    }

    #[test]
    fn dev_sign_in_is_off_unless_explicitly_enabled() {
        assert_eq!(settings(&[("MESHPORT_DEV_AUTH", "false")], false).unwrap().dev, None);
        assert!(settings(&[("MESHPORT_DEV_AUTH", "true")], false).unwrap().dev.is_some());
        check(&[("MESHPORT_DEV_AUTH", "yes please")], false, Err("MESHPORT_DEV_AUTH: `yes please` is not"));
    }

    #[test]
    fn dev_sign_in_is_refused_on_lambda_without_the_written_consent() {
        check(&[("MESHPORT_DEV_AUTH", "true")], true, Err("MESHPORT_DEV_AUTH: is refused on AWS Lambda"));
        check(
            &[("MESHPORT_DEV_AUTH", "true")],
            true,
            Err("set MESHPORT_DEV_AUTH_ON_LAMBDA=i-understand-this-is-insecure"),
        );
        let vars = [("MESHPORT_DEV_AUTH", "true"), ("MESHPORT_DEV_AUTH_ON_LAMBDA", "yes")];
        check(&vars, true, Err("MESHPORT_DEV_AUTH_ON_LAMBDA: must be exactly"));
        let vars = [("MESHPORT_DEV_AUTH", "true"), ("MESHPORT_DEV_AUTH_ON_LAMBDA", DEV_AUTH_ON_LAMBDA_CONSENT)];
        check(&vars, true, Err("MESHPORT_DEV_AUTH_SECRET: is required for dev sign-in on Lambda"));
        let vars = [
            ("MESHPORT_DEV_AUTH", "true"),
            ("MESHPORT_DEV_AUTH_ON_LAMBDA", DEV_AUTH_ON_LAMBDA_CONSENT),
            ("MESHPORT_DEV_AUTH_SECRET", SECRET),
        ];
        check(&vars, true, Ok(()));
        // Off is off, on Lambda too.
        check(&[("MESHPORT_DEV_AUTH", "false")], true, Ok(()));
    }

    #[test]
    fn the_configuration_refuses_dev_sign_in_when_it_runs_on_lambda() {
        let vars = [("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"), ("MESHPORT_DEV_AUTH", "true")];
        let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());

        let err = crate::config::Config::from_lookup(lookup).unwrap_err();

        assert_eq!(err.variable, "MESHPORT_DEV_AUTH");
        assert!(err.message.contains("MESHPORT_DEV_AUTH_ON_LAMBDA"), "{err}");
        let locally = crate::config::Config::from_lookup(|name| (name == "MESHPORT_DEV_AUTH").then(|| "true".into()));
        assert!(locally.unwrap().auth.dev.is_some());
    }

    #[test]
    fn dev_secrets_are_checked_without_being_echoed_or_shown() {
        let short = "hunter2hunter2";
        let err = settings(&[("MESHPORT_DEV_AUTH", "true"), ("MESHPORT_DEV_AUTH_SECRET", short)], false).unwrap_err();
        assert_eq!(err.to_string(), "MESHPORT_DEV_AUTH_SECRET: must be at least 32 characters");
        let settings = settings(&[("MESHPORT_DEV_AUTH", "true"), ("MESHPORT_DEV_AUTH_SECRET", SECRET)], false).unwrap();
        assert!(!format!("{settings:?}").contains(SECRET));
        let auth = Authenticator::new(&settings, Duration::from_secs(1)).unwrap();
        assert!(!format!("{auth:?}").contains(SECRET));
    }

    #[tokio::test]
    async fn a_dev_token_carries_the_identity_and_a_shared_secret_lets_another_process_verify_it() {
        let settings = settings(&[("MESHPORT_DEV_AUTH", "true"), ("MESHPORT_DEV_AUTH_SECRET", SECRET)], false).unwrap();
        let signer = Authenticator::new(&settings, Duration::from_secs(1)).unwrap();
        let other_process = Authenticator::new(&settings, Duration::from_secs(1)).unwrap();
        let alice = identity(&["accounts"], false);

        let token = signer.dev_token(&alice).unwrap();

        assert_eq!(other_process.verify(&token.token).await.unwrap(), alice);
        assert!(token.expires_at.ends_with('Z'), "{}", token.expires_at);
    }

    #[tokio::test]
    async fn random_dev_secrets_differ_per_process() {
        let settings = settings(&[("MESHPORT_DEV_AUTH", "true")], false).unwrap();
        let signer = Authenticator::new(&settings, Duration::from_secs(1)).unwrap();
        let other_process = Authenticator::new(&settings, Duration::from_secs(1)).unwrap();
        let token = signer.dev_token(&identity(&[], true)).unwrap();

        let err = other_process.verify(&token.token).await.unwrap_err();

        assert!(err.to_string().contains("signature does not match"), "{err}");
    }

    #[test]
    fn groups_that_are_team_names_become_teams_and_the_admin_group_makes_an_admin() {
        let check = |groups: &[&str], teams: &[&str], admin: bool| {
            let expected = (teams.iter().map(|t| team(t)).collect::<Vec<_>>(), admin);
            assert_eq!(teams_and_admin(groups, "meshport-admins"), expected, "{groups:?}");
        };
        check(&[], &[], false);
        check(&["accounts", "edge"], &["accounts", "edge"], false);
        check(&["edge", "accounts", "edge"], &["accounts", "edge"], false);
        check(&["Domain Users", "S-1-5-21", "accounts"], &["accounts"], false);
        check(&["/accounts", "/org/edge"], &["accounts"], false);
        check(&["meshport-admins"], &[], true);
        check(&["/meshport-admins", "trading"], &["trading"], true);
    }

    #[test]
    fn claims_map_to_an_identity() {
        let mapping = ClaimMapping {
            groups_claim: "realm_access.roles".into(),
            name_claim: "preferred_username".into(),
            admin_group: "platform".into(),
        };
        let claims = serde_json::json!({
            "sub": "u-42", "preferred_username": "Bob", "realm_access": {"roles": ["edge", "platform", "Nope"]},
        });
        let identity = mapping.identity(claims.as_object().unwrap()).unwrap();
        assert_eq!(
            identity,
            Identity {
                subject: "u-42".into(),
                name: "Bob".into(),
                teams: vec![team("edge")],
                admin: true,
                scope: Scope::Change
            }
        );

        let claims = serde_json::json!({"sub": "u-43", "https://acme.example/groups": "trading"});
        let mapping = ClaimMapping { groups_claim: "https://acme.example/groups".into(), ..mapping };
        let identity = mapping.identity(claims.as_object().unwrap()).unwrap();
        assert_eq!((identity.name.as_str(), identity.teams), ("u-43", vec![team("trading")]), "subject stands in");
    }

    #[test]
    fn only_the_owning_team_or_an_admin_may_change_a_product() {
        let product = product_of("trading");
        let forbidden = |identity: &Identity| match require_change(identity, &product) {
            Err(Error::Forbidden(message)) => message,
            other => panic!("expected forbidden, got {other:?}"),
        };
        assert_eq!(
            forbidden(&identity(&[], false)),
            "only members of team `trading` or org admins may change `orders`"
        );
        assert_eq!(forbidden(&identity(&["accounts", "edge"], false)), forbidden(&identity(&[], false)));
        assert!(require_change(&identity(&["edge", "trading"], false), &product).is_ok());
        assert!(require_change(&identity(&[], true), &product).is_ok());
    }

    #[test]
    fn demo_users_cover_every_policy_team_and_an_admin() {
        let policy: GovernancePolicy = serde_json::from_str(crate::config::DEFAULT_POLICY).unwrap();
        let users: Vec<(String, Vec<String>, bool)> = demo_users(&policy)
            .into_iter()
            .map(|u| (u.user, u.teams.iter().map(ToString::to_string).collect(), u.admin))
            .collect();
        assert_eq!(
            users,
            vec![
                ("alice".into(), vec!["accounts".into()], false),
                ("bob".into(), vec!["edge".into()], false),
                ("carol".into(), vec!["insights".into()], false),
                ("dana".into(), vec!["trading".into()], false),
                ("admin".into(), vec![], true),
            ]
        );
    }
}
