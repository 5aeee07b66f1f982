//! The one typed client of Meshport's API: each route is a function returning the shared response type.
//!
//! The portal is served from the same origin as the API, so paths are relative and no CORS is involved.

use std::fmt;

use gloo_net::http::{Request, Response};
use meshport_shared::ApiError;
use meshport_shared::search::SearchPage;
use serde::de::DeserializeOwned;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call to the API failed, with a stable code people can quote and a sentence they can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The API answered with its error body.
    Api { status: u16, error: ApiError },
    /// The request got no answer at all: the browser is offline, or the API is not reachable.
    Network(String),
    /// The answer is not what the API documents, e.g. a proxy's HTML error page or an unknown field.
    UnexpectedResponse { status: u16, reason: String },
}

impl Error {
    /// The API's error code, or a code of the portal's own for failures the API never saw.
    pub fn code(&self) -> &str {
        match self {
            Self::Api { error, .. } => error.code.as_str(),
            Self::Network(_) => "network_unreachable",
            Self::UnexpectedResponse { .. } => "unexpected_response",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Api { error, .. } => error.message.clone(),
            Self::Network(cause) => {
                format!("the Meshport API could not be reached ({cause}): check your connection and try again")
            }
            Self::UnexpectedResponse { status, reason } => {
                format!("the Meshport API sent an answer the portal does not understand (HTTP {status}: {reason})")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Error {}

/// `GET /api/v1/products`: the first page of the catalog (search with no query).
pub async fn list_products() -> Result<SearchPage> {
    get_json("/api/v1/products").await
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T> {
    let response = Request::get(path)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| Error::Network(e.to_string()))?;
    if !response.ok() {
        return Err(error_from(response).await);
    }
    let status = response.status();
    response.json().await.map_err(|e| Error::UnexpectedResponse { status, reason: e.to_string() })
}

/// Reads the API's error body; anything else (a gateway's page, an empty body) is reported as unexpected.
async fn error_from(response: Response) -> Error {
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(error) => Error::Api { status, error },
        Err(_) => {
            let reason = match response.status_text() {
                text if text.is_empty() => "no error body".to_owned(),
                text => format!("{text}, no error body"),
            };
            Error::UnexpectedResponse { status, reason }
        }
    }
}
