//! Who is signed in: the bearer token the API gave, and the identity it stands for.
//!
//! The session lives in `localStorage`, so a reload keeps it, and in one reactive signal the whole portal reads
//! (the header shows the person, pages show the actions their teams may take). A token past its expiry, or one the
//! API refuses with 401, is forgotten at once.

use leptos::prelude::*;
use meshport_shared::api::{DevToken, Identity};
use serde::{Deserialize, Serialize};

const STORAGE_KEY: &str = "meshport.session";

/// A signed-in person: the token to send and what it says about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    pub identity: Identity,
    /// RFC 3339.
    pub expires_at: String,
    /// Signed in at the organisation's identity provider: signing out of the portal ends that session too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderSession>,
}

/// How to end a sign-in at the organisation's identity provider (OpenID Connect RP-initiated logout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSession {
    pub end_session_endpoint: String,
    pub client_id: String,
}

impl From<DevToken> for Session {
    fn from(token: DevToken) -> Self {
        Self { token: token.token, identity: token.identity, expires_at: token.expires_at, provider: None }
    }
}

impl Session {
    fn expired(&self) -> bool {
        let expires = js_sys::Date::parse(&self.expires_at);
        // An unparseable date counts as expired: better to ask again than to send a token the API will refuse.
        expires.is_nan() || expires <= js_sys::Date::now()
    }
}

thread_local! {
    static CURRENT: ArcRwSignal<Option<Session>> = ArcRwSignal::new(load());
}

/// The session signal: `None` when nobody is signed in.
pub fn current() -> ArcRwSignal<Option<Session>> {
    CURRENT.with(Clone::clone)
}

/// The signed-in person, reactively.
pub fn identity() -> Option<Identity> {
    current().with(|s| s.as_ref().map(|s| s.identity.clone()))
}

/// The bearer token to send, if the session is still valid (read without subscribing).
pub fn token() -> Option<String> {
    let session = current().get_untracked()?;
    if session.expired() {
        expired();
        return None;
    }
    Some(session.token)
}

/// Signs in: remembers the session and tells every page.
pub fn sign_in(session: Session) {
    if let Some(storage) = storage()
        && let Ok(text) = serde_json::to_string(&session)
    {
        // A full or disabled storage only costs the session surviving a reload.
        let _ = storage.set_item(STORAGE_KEY, &text);
    }
    current().set(Some(session));
}

/// Signs out: forgets the session and every form draft of this tab (the next person here must not find them). A
/// sign-in at the organisation's identity provider is ended there too: the browser goes to the provider, which
/// sends it back to the portal's start page; otherwise "Sign in with your organisation" would sign the same person
/// straight back in.
pub fn sign_out() {
    let provider = current().with_untracked(|s| s.as_ref().and_then(|s| s.provider.clone()));
    forget();
    crate::drafts::forget_all();
    if let Some(provider) = provider
        && let Some(window) = web_sys::window()
        && let Ok(origin) = window.location().origin()
    {
        let separator = if provider.end_session_endpoint.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{separator}client_id={}&post_logout_redirect_uri={}",
            provider.end_session_endpoint,
            crate::api::encode(&provider.client_id),
            crate::api::encode(&format!("{origin}/")),
        );
        let _ = window.location().assign(&url);
    }
}

/// The API answered 401: the token expired or was revoked. The drafts stay, for the person to find after signing in
/// again.
pub fn expired() {
    if current().with_untracked(Option::is_some) {
        forget();
    }
}

fn forget() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(STORAGE_KEY);
    }
    current().set(None);
}

fn load() -> Option<Session> {
    let text = storage()?.get_item(STORAGE_KEY).ok()??;
    let session: Session = serde_json::from_str(&text).ok()?;
    (!session.expired()).then_some(session)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}
