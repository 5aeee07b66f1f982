//! API tokens on the wire: `mpt_<id>_<secret>`, made here and checked here on every request that sends one.
//!
//! The id (16 hex digits, 64 random bits) finds the stored token with one read; the secret (64 hex digits, 256
//! random bits from the operating system's generator) proves it. Only the SHA-256 of the whole token is stored: a
//! fast hash is enough for a secret of 256 random bits (no dictionary to try, unlike a password), and the digests are
//! compared in constant time. The text is letters, digits and `_` only, so it passes through environment variables,
//! CI secrets and shells unquoted, and its prefix lets people and secret scanners recognise it.

use sha2::{Digest, Sha256};

use meshport_shared::tokens::TOKEN_PREFIX;

use super::*;
use crate::catalog::{CatalogStore, StoredToken};

/// A token's last use is written at most this often: a busy CI job costs one write a minute, not one per request.
pub const LAST_USE_PRECISION: Duration = Duration::from_secs(60);

const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;

/// A new token: its id, the text to hand out once, and the hash to keep.
#[derive(Clone)]
pub struct Minted {
    pub id: String,
    pub secret: String,
    pub hash: String,
}

impl fmt::Debug for Minted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minted").field("id", &self.id).field("secret", &"<redacted>").finish_non_exhaustive()
    }
}

/// Makes a new token from the operating system's random generator.
pub fn mint() -> Minted {
    let mut bytes = [0u8; ID_BYTES + SECRET_BYTES];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system's random number generator works");
    let id = hex(&bytes[..ID_BYTES]);
    let secret = format!("{TOKEN_PREFIX}{id}_{}", hex(&bytes[ID_BYTES..]));
    let hash = digest(&secret);
    Minted { id, secret, hash }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The id of a token of the right shape, or `None`.
fn id_of(token: &str) -> Option<&str> {
    let (id, secret) = token.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
    let hex_of = |text: &str, bytes: usize| {
        text.len() == bytes * 2 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (hex_of(id, ID_BYTES) && hex_of(secret, SECRET_BYTES)).then_some(id)
}

/// Whether `token` is meant as an API token (rather than a sign-in JWT).
pub fn is_api_token(token: &str) -> bool {
    token.starts_with(TOKEN_PREFIX)
}

/// The identity an API token stands for: `token:<team>/<name>`, in its team only, never an admin, with its scope.
/// Malformed, unknown or forged: 401 `unauthorized`; revoked: 401 `token_revoked`; expired: 401 `token_expired`.
/// Its last use is recorded at most once per [`LAST_USE_PRECISION`].
pub(super) async fn verify(catalog: &dyn CatalogStore, token: &str) -> Result<Identity, Error> {
    let id = id_of(token).ok_or_else(|| {
        Error::Unauthorized(format!(
            "the API token is malformed: a token is `{TOKEN_PREFIX}<16 hex digits>_<64 hex digits>`, as the portal \
             showed it when it was created"
        ))
    })?;
    let stored = catalog.get_token(id).await?;
    // The same answer for an unknown id and a wrong secret, so ids cannot be probed; digests are compared in
    // constant time.
    let stored = stored
        .filter(|stored| {
            aws_lc_rs::constant_time::verify_slices_are_equal(stored.hash.as_bytes(), digest(token).as_bytes()).is_ok()
        })
        .ok_or_else(|| {
            Error::Unauthorized(
                "the API token is not valid here: it was never created on this Meshport, or it was altered".into(),
            )
        })?;
    let token = &stored.token;
    let now = jiff::Timestamp::now();
    if let Some(revoked_at) = &token.revoked_at {
        return Err(Error::TokenRevoked(format!(
            "API token `{}` of team `{}` was revoked at {revoked_at}: ask the team for a new one",
            token.name, token.team
        )));
    }
    let expires_at: jiff::Timestamp = token.expires_at.parse().map_err(|e| {
        Error::Store(crate::catalog::StoreError::Corrupt(format!("API token `{}` expiry: {e}", token.id)))
    })?;
    if now >= expires_at {
        return Err(Error::TokenExpired(format!(
            "API token `{}` of team `{}` expired at {}: create a new one in the portal (Access, the team's tokens)",
            token.name, token.team, token.expires_at
        )));
    }
    record_use(catalog, &stored, now).await;
    Ok(Identity {
        subject: token.subject(),
        name: token.subject(),
        teams: vec![token.team.clone()],
        admin: false,
        scope: token.scope,
    })
}

/// Writes the token's last use when the stored one is older than [`LAST_USE_PRECISION`] (or absent); a failure is
/// logged, not answered: the call itself is fine.
async fn record_use(catalog: &dyn CatalogStore, stored: &StoredToken, now: jiff::Timestamp) {
    let recent = stored
        .token
        .last_used_at
        .as_deref()
        .and_then(|at| at.parse::<jiff::Timestamp>().ok())
        .and_then(|at| now.duration_since(at).try_into().ok())
        .is_some_and(|since: Duration| since < LAST_USE_PRECISION);
    if recent {
        return;
    }
    let mut used = stored.clone();
    used.token.last_used_at = Some(now.to_string());
    if let Err(e) = catalog.touch_token(&used).await {
        tracing::warn!(token = %stored.token.id, error = %e, "an API token's last use not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_recognisable_random_and_only_their_hash_is_kept() {
        let (a, b) = (mint(), mint());
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.id, b.id);
        assert!(a.secret.starts_with(&format!("mpt_{}_", a.id)), "{}", a.secret);
        assert_eq!(a.secret.len(), 4 + 16 + 1 + 64);
        assert!(a.secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "env-var safe: {}", a.secret);
        assert_eq!(id_of(&a.secret), Some(a.id.as_str()));
        assert_eq!(a.hash, digest(&a.secret));
        assert!(!a.hash.contains(&a.secret[21..]));
        assert!(!format!("{a:?}").contains(&a.secret));
    }

    #[test]
    fn only_tokens_of_the_exact_shape_have_an_id() {
        let good = mint().secret;
        assert!(id_of(&good).is_some());
        for bad in [
            "mpt_",
            "mpt__",
            "mpt_0123456789abcdef",
            "mpt_0123456789abcdef_",
            &good[..good.len() - 1],
            &format!("{good}0"),
            &good.to_uppercase().replacen("MPT_", "mpt_", 1),
            &good.replacen("mpt_", "mpx_", 1),
            "mpt_0123456789abcdeg_0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert_eq!(id_of(bad), None, "{bad}");
        }
    }
}
