//! The organisation's identity provider: its signing keys (JWKS), fetched on first use and kept, refetched for an
//! unknown key id at most so often, and the verification of its tokens.

use super::*;

/// The organisation's identity provider: its settings and a cache of its signing keys.
pub(super) struct Provider {
    pub(super) settings: OidcSettings,
    pub(super) http: reqwest::Client,
    pub(super) cache: RwLock<KeyCache>,
    /// Held while fetching, so that concurrent requests wait for one fetch instead of each making their own.
    pub(super) fetching: tokio::sync::Mutex<()>,
    /// The portal's sign-in endpoints, held while they are read for the same reason.
    pub(super) discovery: tokio::sync::Mutex<discovery::DiscoveryCache>,
}

#[derive(Default)]
pub(super) struct KeyCache {
    pub(super) keys: Arc<[ProviderKey]>,
    pub(super) fetched_at: Option<Instant>,
    pub(super) unknown_key_refetched_at: Option<Instant>,
    pub(super) failure: Option<(Instant, String)>,
}

#[derive(Clone)]
pub(super) struct ProviderKey {
    pub(super) kid: Option<String>,
    pub(super) algorithm: Algorithm,
    pub(super) key: DecodingKey,
}

impl Provider {
    pub(super) fn new(settings: OidcSettings, timeout: Duration) -> Result<Self, AuthStartError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("meshport-api/", env!("CARGO_PKG_VERSION")))
            // Redirects included: an https key set that redirects to http is not read.
            .https_only(!settings.allow_http)
            .build()
            .map_err(|e| AuthStartError(crate::error_chain(&e)))?;
        Ok(Self {
            settings,
            http,
            cache: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
            discovery: tokio::sync::Mutex::default(),
        })
    }

    pub(super) async fn verify(&self, token: &str, header: &Header, claims: &ClaimMapping) -> Result<Identity, Error> {
        let validation = validation(header.alg, &self.settings.issuer, &self.settings.audience);
        let expected = Some((self.settings.issuer.as_str(), self.settings.audience.as_str()));
        let candidates = self.keys_for(header.kid.as_deref(), header.alg).await?;
        let mut outcome = Err(Error::Unauthorized("the sign-in token was refused: no key verifies it".into()));
        // With a key id there is one candidate; without one, each key of the algorithm is tried.
        for key in &candidates {
            match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
                Ok(data) => return claims.identity(&data.claims),
                Err(e) => outcome = Err(rejected(&e, expected)),
            }
        }
        outcome
    }

    /// The keys that may have signed a token naming `kid` with `algorithm`, fetching the set when needed.
    pub(super) async fn keys_for(&self, kid: Option<&str>, algorithm: Algorithm) -> Result<Vec<ProviderKey>, Error> {
        {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            let candidates = matching(&cache.keys, kid, algorithm);
            if is_fresh(cache.fetched_at) && !candidates.is_empty() {
                return Ok(candidates);
            }
        }
        let _fetching = self.fetching.lock().await;
        // Decide again: another request may have fetched while this one waited.
        let (stale, must_refresh) = {
            let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
            let candidates = matching(&cache.keys, kid, algorithm);
            let fresh = is_fresh(cache.fetched_at);
            if fresh && !candidates.is_empty() {
                return Ok(candidates);
            }
            if let Some((at, reason)) = &cache.failure
                && at.elapsed() < FETCH_FAILURE_BACKOFF
            {
                if candidates.is_empty() {
                    return Err(unavailable(reason));
                }
                return Ok(candidates);
            }
            if fresh {
                // A key id we have not seen: the provider may have rotated its keys, but made-up ids must not make
                // us ask it on every request.
                if cache.unknown_key_refetched_at.is_some_and(|at| at.elapsed() < UNKNOWN_KEY_REFETCH_INTERVAL) {
                    return Err(self.unknown_key(kid, algorithm));
                }
                cache.unknown_key_refetched_at = Some(Instant::now());
            }
            (candidates, !fresh)
        };

        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), url = %self.settings.jwks_url, "fetched the identity provider's keys");
                let candidates = matching(&keys, kid, algorithm);
                let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
                *cache = KeyCache {
                    keys: keys.into(),
                    fetched_at: Some(Instant::now()),
                    unknown_key_refetched_at: cache.unknown_key_refetched_at,
                    failure: None,
                };
                if candidates.is_empty() { Err(self.unknown_key(kid, algorithm)) } else { Ok(candidates) }
            }
            Err(reason) => {
                tracing::warn!(error = %reason, "cannot fetch the identity provider's keys");
                self.cache.write().unwrap_or_else(|e| e.into_inner()).failure = Some((Instant::now(), reason.clone()));
                // Keys past their age still verify while the provider is away; unknown ones cannot be checked.
                if must_refresh && !stale.is_empty() { Ok(stale) } else { Err(unavailable(&reason)) }
            }
        }
    }

    pub(super) fn unknown_key(&self, kid: Option<&str>, algorithm: Algorithm) -> Error {
        let issuer = &self.settings.issuer;
        Error::Unauthorized(match kid {
            Some(kid) => format!(
                "the sign-in token was refused: it names key `{}`, which the identity provider `{issuer}` does not \
                 publish for {algorithm:?}",
                kid.chars().take(80).collect::<String>().escape_default()
            ),
            None => format!(
                "the sign-in token was refused: the identity provider `{issuer}` publishes no {algorithm:?} key"
            ),
        })
    }

    /// The provider's signing keys: RSA keys for RS256 and P-256 keys for ES256. Keys of other kinds, or meant for
    /// encryption, are skipped, so a provider publishing them still works.
    pub(super) async fn fetch(&self) -> Result<Vec<ProviderKey>, String> {
        let url = &self.settings.jwks_url;
        let response =
            self.http.get(url).send().await.map_err(|e| format!("cannot reach {url}: {}", crate::error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{url} answered {status}"));
        }
        let set: Value =
            response.json().await.map_err(|e| format!("{url} did not answer JSON: {}", crate::error_chain(&e)))?;
        let keys = set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{url} did not answer a key set (JWKS): it has no `keys` array"))?;
        let keys: Vec<ProviderKey> = keys
            .iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .filter_map(signing_key)
            .collect();
        if keys.is_empty() {
            return Err(format!("{url} publishes no RS256 or ES256 signing key"));
        }
        Ok(keys)
    }
}

pub(super) fn signing_key(jwk: Jwk) -> Option<ProviderKey> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        // Never HMAC keys from a key set: a public document must not hand out secrets.
        _ => return None,
    };
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    Some(ProviderKey { kid: jwk.common.key_id, algorithm, key })
}

pub(super) fn matching(keys: &[ProviderKey], kid: Option<&str>, algorithm: Algorithm) -> Vec<ProviderKey> {
    keys.iter()
        .filter(|key| key.algorithm == algorithm && (kid.is_none() || key.kid.as_deref() == kid))
        .cloned()
        .collect()
}

pub(super) fn is_fresh(fetched_at: Option<Instant>) -> bool {
    fetched_at.is_some_and(|at| at.elapsed() < KEYS_MAX_AGE)
}

pub(super) fn unavailable(reason: &str) -> Error {
    Error::IdentityProviderUnavailable(format!(
        "cannot check sign-in right now: the identity provider's keys cannot be fetched ({reason}); try again shortly"
    ))
}
