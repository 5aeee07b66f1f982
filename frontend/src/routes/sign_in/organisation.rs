//! Sign-in at the organisation's identity provider: the OpenID Connect authorization code flow with PKCE, the
//! portal being a public client (no secret can be kept in a browser).
//!
//! [`begin`] keeps a one-time record in `sessionStorage` (state, PKCE verifier, nonce, where to go back to) and sends
//! the browser to the provider; the provider sends it back to `/sign-in?code=...&state=...`, where [`finish`] checks
//! the state against the record, exchanges the code at the token endpoint with the verifier, checks the ID token's
//! nonce, and asks the API who the ID token says this is. The API verifies the token itself on every request; the
//! checks here only make sure the answer belongs to the sign-in this tab started.

use meshport_shared::api::OrganisationSignIn;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::api::{self, Error, Tokens};
use crate::session::{ProviderSession, Session};

const PENDING: &str = "meshport.sign-in";

/// A sign-in this tab started: what the provider's answer must match, and where to go after.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    nonce: String,
    next: String,
    redirect_uri: String,
    client_id: String,
    token_endpoint: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
}

/// The provider's answer, from the query of `/sign-in`.
#[derive(Debug, Clone)]
pub struct Answer {
    state: String,
    outcome: Result<String, (String, String)>,
}

impl Answer {
    /// The provider's answer, when the query holds one: `code` and `state`, or `error` (and its description).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let state = get("state").unwrap_or_default();
        let outcome = match (get("code"), get("error")) {
            (_, Some(error)) => Err((error, get("error_description").unwrap_or_default())),
            (Some(code), None) => Ok(code),
            (None, None) => return None,
        };
        Some(Self { state, outcome })
    }
}

/// Sends the browser to the provider to sign in, coming back to `/sign-in` and then to `next`.
pub async fn begin(provider: &OrganisationSignIn, next: &str) -> Result<(), Error> {
    let window = web_sys::window().ok_or_else(|| failed("sign_in_unsupported", "this page has no window"))?;
    let verifier = random_text()?;
    let challenge = base64url(&sha256(verifier.as_bytes()).await?);
    let origin = window.location().origin().map_err(|_| failed("sign_in_unsupported", "this page has no origin"))?;
    let pending = Pending {
        state: random_text()?,
        verifier,
        nonce: random_text()?,
        next: next.to_owned(),
        redirect_uri: format!("{origin}/sign-in"),
        client_id: provider.client_id.clone(),
        token_endpoint: provider.token_endpoint.clone(),
        end_session_endpoint: provider.end_session_endpoint.clone(),
    };
    let record = serde_json::to_string(&pending).map_err(|e| failed("sign_in_unsupported", &e.to_string()))?;
    session_storage()
        .and_then(|storage| storage.set_item(PENDING, &record).ok())
        .ok_or_else(|| failed("sign_in_unsupported", "this browser keeps no session storage, which sign-in needs"))?;
    let separator = if provider.authorization_endpoint.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{separator}response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={}\
         &code_challenge_method=S256",
        provider.authorization_endpoint,
        api::encode(&pending.client_id),
        api::encode(&pending.redirect_uri),
        api::encode(&provider.scope),
        pending.state,
        pending.nonce,
        challenge,
    );
    window.location().assign(&url).map_err(|_| failed("sign_in_unsupported", "the browser did not leave the page"))
}

/// Completes the sign-in the provider answered: the session, and where to go now.
pub async fn finish(answer: Answer) -> Result<(Session, String), Error> {
    // The record is used once, whatever happens: a reload of this address must not replay the code.
    let storage = session_storage();
    let pending = storage.as_ref().and_then(|s| s.get_item(PENDING).ok().flatten());
    if let Some(storage) = &storage {
        let _ = storage.remove_item(PENDING);
    }
    let pending: Pending = pending
        .and_then(|record| serde_json::from_str(&record).ok())
        .filter(|pending: &Pending| pending.state == answer.state)
        .ok_or_else(|| {
            failed(
                "sign_in_not_started_here",
                "this sign-in was not started in this browser tab, or its answer was already used: sign in again",
            )
        })?;
    let code = answer.outcome.map_err(|(error, description)| {
        let code = provider_code(Some(error));
        let message = match description.trim() {
            "" => "the identity provider did not sign you in".to_owned(),
            text => format!("the identity provider did not sign you in: {text}"),
        };
        failed(&code, &message)
    })?;

    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", pending.redirect_uri.as_str()),
        ("client_id", pending.client_id.as_str()),
        ("code_verifier", pending.verifier.as_str()),
    ]
    .iter()
    .map(|(name, value)| format!("{name}={}", api::encode(value)))
    .collect::<Vec<_>>()
    .join("&");
    let (status, tokens) = api::exchange_code(&pending.token_endpoint, form).await?;
    let id_token = match tokens {
        Tokens { id_token: Some(token), error: None, .. } if status == 200 => token,
        Tokens { error, error_description, .. } => {
            let description = error_description.unwrap_or_else(|| format!("HTTP {status}"));
            return Err(failed(
                &provider_code(error),
                &format!("the identity provider refused the sign-in: {description}"),
            ));
        }
    };
    let nonce = super::claims(&id_token).and_then(|claims| claims.get("nonce")?.as_str().map(str::to_owned));
    if nonce.as_deref() != Some(pending.nonce.as_str()) {
        return Err(failed(
            "sign_in_nonce_mismatch",
            "the identity provider's answer is not for this sign-in: sign in again",
        ));
    }
    let identity = api::me_with(&id_token).await?;
    let expires_at = super::expiry(&id_token).unwrap_or_else(super::in_one_hour);
    let provider = pending
        .end_session_endpoint
        .map(|end_session_endpoint| ProviderSession { end_session_endpoint, client_id: pending.client_id });
    Ok((Session { token: id_token, identity, expires_at, provider }, pending.next))
}

/// The provider's OAuth error code (`access_denied`, `invalid_grant`) to show, when it is one; anything else it sent
/// is not shown as a code.
fn provider_code(error: Option<String>) -> String {
    error
        .filter(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .unwrap_or_else(|| "sign_in_failed".to_owned())
}

fn failed(code: &str, message: &str) -> Error {
    Error::SignIn { code: code.to_owned(), message: message.to_owned() }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// 32 bytes from the browser's cryptographic generator, as 43 characters of base64url: a PKCE verifier, a state or a
/// nonce nobody can guess.
fn random_text() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).ok())
        .ok_or_else(|| failed("sign_in_unsupported", "this browser has no cryptographic random numbers"))?;
    Ok(base64url(&bytes))
}

async fn sha256(data: &[u8]) -> Result<Vec<u8>, Error> {
    let unsupported = || failed("sign_in_unsupported", "this page cannot hash (Web Crypto needs https or localhost)");
    let subtle = web_sys::window().and_then(|w| w.crypto().ok()).ok_or_else(unsupported)?.subtle();
    let promise = subtle.digest_with_str_and_u8_array("SHA-256", data).map_err(|_| unsupported())?;
    let digest = JsFuture::from(promise).await.map_err(|_| unsupported())?;
    let digest = digest.dyn_into::<js_sys::ArrayBuffer>().map_err(|_| unsupported())?;
    Ok(js_sys::Uint8Array::new(&digest).to_vec())
}

/// Base64url without padding (RFC 4648, section 5), as PKCE and OAuth parameters want it.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::base64url;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn base64url_matches_rfc_4648_without_padding() {
        for (bytes, expected) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (&[0xfb, 0xff], "-_8"),
        ] {
            assert_eq!(base64url(bytes), expected);
        }
    }
}
