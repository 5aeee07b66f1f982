//! Where the portal sends people to sign in: the identity provider's authorization and token endpoints, read from its
//! discovery document (`<issuer>/.well-known/openid-configuration`), so an operator names the issuer and nothing more.
//!
//! The endpoints are kept as long as the keys ([`KEYS_MAX_AGE`]); while the provider cannot be reached, an older copy
//! still answers, and without one the sign-in page gets `identity_provider_unavailable`. After a failed read, the
//! provider is left alone for [`FETCH_FAILURE_BACKOFF`], so visitors do not queue up behind one timeout each.

use std::time::Instant;

use meshport_shared::api::OrganisationSignIn;
use serde::Deserialize;

use super::{FETCH_FAILURE_BACKOFF, KEYS_MAX_AGE, PortalClient, Provider};
use crate::config::auth::identity_url_problem;
use crate::error::Error;

/// The discovery document's endpoints, as last read.
#[derive(Default)]
pub(super) struct DiscoveryCache {
    endpoints: Option<(Instant, Endpoints)>,
    failure: Option<(Instant, String)>,
}

#[derive(Debug, Clone)]
struct Endpoints {
    authorization: String,
    token: String,
    end_session: Option<String>,
}

/// The part of the discovery document the portal needs.
#[derive(Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
}

impl Provider {
    /// The portal's sign-in at this provider, discovering its endpoints when they are not fresh.
    pub(super) async fn organisation_sign_in(&self, client: &PortalClient) -> Result<OrganisationSignIn, Error> {
        let mut cache = self.discovery.lock().await;
        let stale = match cache.endpoints.clone() {
            Some((at, endpoints)) if at.elapsed() < KEYS_MAX_AGE => return Ok(sign_in(self, client, endpoints)),
            stale => stale.map(|(_, endpoints)| endpoints),
        };
        let failed_lately = cache.failure.clone().filter(|(at, _)| at.elapsed() < FETCH_FAILURE_BACKOFF);
        let outcome = match &failed_lately {
            Some((_, reason)) => Err(reason.clone()),
            None => self.discover().await,
        };
        let endpoints = match outcome {
            Ok(endpoints) => {
                *cache = DiscoveryCache { endpoints: Some((Instant::now(), endpoints.clone())), failure: None };
                endpoints
            }
            Err(reason) => {
                if failed_lately.is_none() {
                    tracing::warn!(error = %reason, "cannot read the identity provider's discovery document");
                    cache.failure = Some((Instant::now(), reason.clone()));
                }
                stale.ok_or_else(|| {
                    Error::IdentityProviderUnavailable(format!(
                        "cannot offer sign-in right now: the identity provider's discovery document cannot be read \
                         ({reason}); try again shortly"
                    ))
                })?
            }
        };
        Ok(sign_in(self, client, endpoints))
    }

    /// The token endpoint as last read, without waiting: `None` before the first read, or while one is under way.
    pub(super) fn known_token_endpoint(&self) -> Option<String> {
        let cache = self.discovery.try_lock().ok()?;
        cache.endpoints.as_ref().map(|(_, endpoints)| endpoints.token.clone())
    }

    async fn discover(&self) -> Result<Endpoints, String> {
        let issuer = &self.settings.issuer;
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let response =
            self.http.get(&url).send().await.map_err(|e| format!("cannot reach {url}: {}", crate::error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{url} answered {status}"));
        }
        let document: Document = response
            .json()
            .await
            .map_err(|e| format!("{url} is not an OpenID Connect discovery document: {}", crate::error_chain(&e)))?;
        // OpenID Connect Discovery 1.0, section 4.3: the document must name the very issuer it was fetched for.
        if document.issuer != *issuer {
            return Err(format!("{url} names the issuer `{}`, not `{issuer}`", document.issuer));
        }
        let endpoints = [
            ("authorization_endpoint", Some(&document.authorization_endpoint)),
            ("token_endpoint", Some(&document.token_endpoint)),
            ("end_session_endpoint", document.end_session_endpoint.as_ref()),
        ];
        for (name, endpoint) in endpoints.into_iter().filter_map(|(name, endpoint)| Some((name, endpoint?))) {
            // The portal sends codes to the token endpoint and people to the others: as trusted as the keys.
            if let Some(problem) = identity_url_problem(endpoint, self.settings.allow_http) {
                return Err(format!("{url} gives an unusable {name}: {problem}"));
            }
        }
        Ok(Endpoints {
            authorization: document.authorization_endpoint,
            token: document.token_endpoint,
            end_session: document.end_session_endpoint,
        })
    }
}

fn sign_in(provider: &Provider, client: &PortalClient, endpoints: Endpoints) -> OrganisationSignIn {
    OrganisationSignIn {
        issuer: provider.settings.issuer.clone(),
        client_id: client.client_id.clone(),
        scope: client.scope.clone(),
        authorization_endpoint: endpoints.authorization,
        token_endpoint: endpoints.token,
        end_session_endpoint: endpoints.end_session,
    }
}
