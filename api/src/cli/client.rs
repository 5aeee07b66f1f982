//! Meshport's HTTP API as the command line calls it: bounded in time, the token sent only as a bearer header, and
//! every answer sorted into a result, a refusal of the request (the API's code, message and violations), or a
//! failure that stops the run.

use std::time::Duration;

use meshport_shared::api::{DeprecateRequest, EvolveRequest, EvolveResponse};
use meshport_shared::proposals::ChangeProposal;
use meshport_shared::search::SearchPage;
use meshport_shared::{ApiError, DataProduct, GovernancePolicy};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;

use super::Exit;
use super::files::Pair;
use super::report::Finding;
use crate::code::Files;

const TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What stops a run, and the exit code it ends with.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self { exit: Exit::Usage, message: message.into() }
    }

    pub fn unreachable(message: impl Into<String>) -> Self {
        Self { exit: Exit::Unreachable, message: message.into() }
    }
}

/// The API's refusal of one product's request: a finding, not the end of the run.
#[derive(Debug)]
pub struct Refusal(pub ApiError);

impl Refusal {
    pub fn findings(&self, pair: &Pair) -> Vec<Finding> {
        if self.0.details.is_empty() {
            return vec![Finding::general(pair, self.0.code.as_str(), &self.0.message)];
        }
        self.0.details.iter().map(|v| Finding::of_violation(pair, v)).collect()
    }
}

/// A Meshport, and the token to call it with.
#[derive(Debug)]
pub struct Meshport {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

/// What an import did (the API's answer, what the command line reports of it).
#[derive(Debug, Deserialize)]
pub struct Imported {
    pub change: String,
    pub product: DataProduct,
    #[serde(default)]
    pub registered_version: Option<i32>,
    #[serde(default)]
    pub proposal: Option<ChangeProposal>,
    #[serde(default)]
    pub new_product: Option<String>,
}

#[derive(Deserialize)]
struct ProductFiles {
    odps: String,
    odcs: String,
}

impl Meshport {
    pub fn new(url: Option<&str>, token: Option<String>) -> Result<Self, Failure> {
        let Some(url) = url.map(str::trim).filter(|url| !url.is_empty()) else {
            return Err(Failure::usage("say which Meshport: set MESHPORT_URL or pass --url"));
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::usage(format!("`{url}` is not an http(s) URL")));
        }
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("meshport-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::usage(format!("cannot make an HTTP client: {e}")))?;
        Ok(Self { base: url.trim_end_matches('/').to_owned(), token, http })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends, and sorts the answer: 2xx is the caller's, 4xx other than 401 a refusal, the rest a failure.
    async fn send(&self, request: RequestBuilder, what: &str) -> Result<Result<Response, Refusal>, Failure> {
        let response = request.send().await.map_err(|e| {
            Failure::unreachable(format!("cannot reach Meshport at {} ({what}): {}", self.base, chain(&e)))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(Ok(response));
        }
        let text = response.text().await.unwrap_or_default();
        let error = serde_json::from_str::<ApiError>(&text).map_err(|_| {
            Failure::unreachable(format!(
                "Meshport answered {status} to {what}, not in its error shape: {}",
                cut(&text)
            ))
        })?;
        if status == StatusCode::UNAUTHORIZED || status.is_server_error() {
            let hint = if status == StatusCode::UNAUTHORIZED { " (check MESHPORT_TOKEN)" } else { "" };
            return Err(Failure::unreachable(format!("{what}: {status} {error}{hint}")));
        }
        Ok(Err(Refusal(error)))
    }

    async fn json<T: serde::de::DeserializeOwned>(response: Response, what: &str) -> Result<T, Failure> {
        response.json().await.map_err(|e| Failure::unreachable(format!("{what}: an answer that does not read: {e}")))
    }

    fn fatal(refusal: Refusal, what: &str) -> Failure {
        Failure::unreachable(format!("{what}: {}", refusal.0))
    }

    pub async fn policy(&self) -> Result<GovernancePolicy, Failure> {
        let what = "reading the policy";
        let response = self.send(self.request(Method::GET, "/api/v1/policy"), what).await?;
        Self::json(response.map_err(|r| Self::fatal(r, what))?, what).await
    }

    /// The product's files as the catalog exports them, or `None` when the catalog has no such product.
    pub async fn export(&self, id: &str) -> Result<Option<Files>, Failure> {
        let what = format!("exporting `{id}`");
        match self.send(self.request(Method::GET, &format!("/api/v1/products/{id}/export")), &what).await? {
            Ok(response) => {
                let files: ProductFiles = Self::json(response, &what).await?;
                Ok(Some(Files { odps: files.odps, odcs: files.odcs }))
            }
            Err(Refusal(error)) if error.code == meshport_shared::ErrorCode::NotFound => Ok(None),
            Err(refusal) => Err(Self::fatal(refusal, &what)),
        }
    }

    /// The registry's verdict on a schema for the product (an evolve's dry run, which any reader may ask), or the
    /// API's refusal (a product that does not evolve, a schema that does not read).
    pub async fn evolve_dry_run(
        &self,
        id: &str,
        request: &EvolveRequest,
    ) -> Result<Result<EvolveResponse, Refusal>, Failure> {
        let what = format!("checking `{id}`'s schema with the registry");
        let sent = self.request(Method::POST, &format!("/api/v1/products/{id}/schema")).json(request);
        match self.send(sent, &what).await? {
            Ok(response) => Ok(Ok(Self::json(response, &what).await?)),
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    /// Imports a pair: what it did (or a dry run would do), or the API's refusal.
    pub async fn import(&self, files: &Files, dry_run: bool) -> Result<Result<Imported, Refusal>, Failure> {
        let body = serde_json::json!({"odps": files.odps, "odcs": files.odcs});
        let sent = self.request(Method::POST, &format!("/api/v1/products/import?dry_run={dry_run}")).json(&body);
        match self.send(sent, "importing").await? {
            Ok(response) => Ok(Ok(Self::json(response, "importing").await?)),
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    pub async fn deprecate(&self, id: &str, request: &DeprecateRequest) -> Result<Result<(), Refusal>, Failure> {
        let sent = self.request(Method::POST, &format!("/api/v1/products/{id}/deprecate")).json(request);
        Ok(self.send(sent, &format!("deprecating `{id}`")).await?.map(drop))
    }

    /// Every product the catalog lists with these filters, page after page.
    pub async fn products(&self, filters: &[(&str, &str)]) -> Result<Vec<DataProduct>, Failure> {
        let what = "listing products";
        let mut products = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query: Vec<(&str, &str)> = filters.to_vec();
            query.push(("limit", "100"));
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor));
            }
            let sent = self.request(Method::GET, "/api/v1/products").query(&query);
            let page: SearchPage =
                Self::json(self.send(sent, what).await?.map_err(|r| Self::fatal(r, what))?, what).await?;
            products.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(products),
            }
        }
    }
}

/// An error with its causes, which say why a connection failed.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn cut(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
