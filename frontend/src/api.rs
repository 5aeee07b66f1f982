//! The one typed client of Meshport's API: each route is a function returning the shared response type. It is the
//! portal's only HTTP code: pages call these functions, never `gloo-net` or `fetch` themselves (the one call that is
//! not to the API, the sign-in's code exchange at the organisation's identity provider, is here too).
//!
//! The portal is served from the same origin as the API, so paths are relative and no CORS is involved.

use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use meshport_shared::access::{
    AccessAction, AccessDecision, AccessRequest, AccessRequestDraft, ProductConsumers, RetirementPreview,
    UnmanagedBinding,
};
use meshport_shared::accounts::{ServiceAccount, ServiceAccountAnswer, ServiceAccountDraft};
use meshport_shared::api::{
    CreateRequest, DeprecateRequest, DevToken, DevTokenRequest, DevUserList, EvolveRequest, EvolveResponse, Identity,
    ProductDetail, PublishableTopic, RetireRequest, Sample, SchemaCheck, SchemaCheckRequest, SchemaDetail,
    SignInOptions, TopicChangeRequest,
};
use meshport_shared::events::{WatchRequest, WatchState};
use meshport_shared::schema::SchemaChange;
use meshport_shared::search::{SearchPage, SearchQuery};
use meshport_shared::{
    ApiError, DataProduct, ErrorCode, GovernancePolicy, Principal, ProductId, SchemaFormat, SubjectName, TeamName,
    Violation,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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
    /// Sign-in at the organisation's identity provider failed: its own error code (`access_denied`,
    /// `invalid_grant`) or one of the portal's (`sign_in_not_started_here`, `sign_in_nonce_mismatch`).
    SignIn { code: String, message: String },
}

impl Error {
    /// The API's error code, or a code of the portal's own for failures the API never saw.
    pub fn code(&self) -> &str {
        match self {
            Self::Api { error, .. } => error.code.as_str(),
            Self::Network(_) => "network_unreachable",
            Self::UnexpectedResponse { .. } => "unexpected_response",
            Self::SignIn { code, .. } => code,
        }
    }

    /// The HTTP status, when the API answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::UnexpectedResponse { status, .. } => Some(*status),
            Self::Network(_) | Self::SignIn { .. } => None,
        }
    }

    /// Every violation the API listed in `details` (e.g. all governance rules a publish broke), for forms to show
    /// next to their fields.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Api { error, .. } => &error.details,
            _ => &[],
        }
    }

    /// What went wrong, in words for people. The API's own sentence where it speaks to them about what they asked
    /// (a rule the product breaks, a name taken, a team that may not change it); the portal's where the API's text is
    /// written for programs or operators (how to send a token, which server variable is unset, a broker's address).
    /// The code stays next to it for support, and `Display` keeps the original text for logs.
    pub fn message(&self) -> String {
        match self {
            Self::Api { error, .. } => match error.code {
                ErrorCode::BadRequest
                | ErrorCode::ValidationFailed
                | ErrorCode::NotFound
                | ErrorCode::Conflict
                | ErrorCode::PayloadTooLarge
                | ErrorCode::Forbidden
                | ErrorCode::IncompatibleSchema
                | ErrorCode::InvalidSchema => error.message.clone(),
                ErrorCode::Unauthorized | ErrorCode::TokenExpired | ErrorCode::TokenRevoked => {
                    "you are not signed in, or your sign-in has expired: sign in, then try again".to_owned()
                }
                ErrorCode::IdentityProviderUnavailable => {
                    "sign-ins cannot be checked right now because your organisation's sign-in service does not \
                     answer: try again in a minute"
                        .to_owned()
                }
                ErrorCode::CatalogUnavailable => {
                    "Meshport's catalog cannot be read right now: try again in a minute".to_owned()
                }
                ErrorCode::KafkaUnavailable => {
                    "the Kafka cluster cannot be reached right now: try again in a minute".to_owned()
                }
                ErrorCode::RegistryUnavailable => {
                    "the schema registry cannot be reached right now: try again in a minute".to_owned()
                }
                ErrorCode::Internal => {
                    "something went wrong in Meshport and it has been logged: try again in a minute; if it keeps \
                     happening, tell whoever runs Meshport here"
                        .to_owned()
                }
            },
            Self::Network(_) => "Meshport cannot be reached: check your connection, then try again".to_owned(),
            Self::UnexpectedResponse { .. } => {
                "Meshport sent an answer this page does not understand: reload the page; if it keeps happening, tell \
                 whoever runs Meshport here"
                    .to_owned()
            }
            Self::SignIn { message, .. } => message.clone(),
        }
    }

    /// The failure as the API or the browser put it, for logs and support rather than for people.
    fn detail(&self) -> String {
        match self {
            Self::Api { error, .. } => error.message.clone(),
            Self::Network(cause) => format!("the Meshport API could not be reached ({cause})"),
            Self::UnexpectedResponse { status, reason } => format!("HTTP {status}: {reason}"),
            Self::SignIn { message, .. } => message.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.detail())
    }
}

impl std::error::Error for Error {}

/// `GET /api/v1/products?<query>`: one page of search results with facet counts.
pub async fn search(query: &SearchQuery) -> Result<SearchPage> {
    let qs = query.to_query_string();
    if qs.is_empty() { get("/api/v1/products").await } else { get(&format!("/api/v1/products?{qs}")).await }
}

/// `GET /api/v1/products/{id}`: the product with everything the mirror knows about it (the product page and Manage).
pub async fn product(id: impl AsRef<str>) -> Result<ProductDetail> {
    get(&format!("/api/v1/products/{}", encode(id.as_ref()))).await
}

/// `GET /api/v1/products/{id}/schema/diff?from=&to=`: every change between two versions of the value schema.
pub async fn schema_diff(id: &str, from: i32, to: i32) -> Result<Vec<SchemaChange>> {
    get(&format!("/api/v1/products/{}/schema/diff?from={from}&to={to}", encode(id))).await
}

/// `GET /api/v1/products/{id}/sample?limit=`: the newest events, personal fields masked.
pub async fn sample(id: &str, limit: usize) -> Result<Sample> {
    get(&format!("/api/v1/products/{}/sample?limit={limit}", encode(id))).await
}

/// `GET /api/v1/policy`: the governance policy forms check products with.
pub async fn policy() -> Result<GovernancePolicy> {
    get("/api/v1/policy").await
}

/// `GET /api/v1/domains/{domain}/publishable-topics`: synced topics that are no product yet.
pub async fn publishable_topics(domain: impl AsRef<str>) -> Result<Vec<PublishableTopic>> {
    get(&format!("/api/v1/domains/{}/publishable-topics", encode(domain.as_ref()))).await
}

/// `GET /api/v1/subjects/{subject}`: the subject's latest schema version as the mirror holds it.
pub async fn subject(subject: SubjectName) -> Result<SchemaDetail> {
    get(&format!("/api/v1/subjects/{}", encode(subject.as_str()))).await
}

/// `POST /api/v1/schemas/check`: the schema's fields, or 422 `invalid_schema` saying why it cannot be read.
pub async fn check_schema(format: SchemaFormat, schema: &str) -> Result<SchemaCheck> {
    post("/api/v1/schemas/check", &SchemaCheckRequest { format, schema: schema.to_owned() }).await
}

/// `POST /api/v1/products/publish`: the product as stored, now active.
pub fn publish(product: DataProduct) -> impl Future<Output = Result<DataProduct>> {
    post_product("/api/v1/products/publish", product)
}

/// `POST /api/v1/products/publish?dry_run=true`: every check a publish runs, without storing anything.
pub fn check_publish(product: DataProduct) -> impl Future<Output = Result<DataProduct>> {
    post_product("/api/v1/products/publish?dry_run=true", product)
}

// One request function for both, so the bundle holds one request future for them rather than two.
async fn post_product(path: &'static str, product: DataProduct) -> Result<DataProduct> {
    post(path, &product).await
}

/// `POST /api/v1/products/create`: the product as stored, active, with its topic and schema.
pub fn create(request: CreateRequest) -> impl Future<Output = Result<DataProduct>> {
    post_create("/api/v1/products/create", request)
}

/// `POST /api/v1/products/create?dry_run=true`: every check the create runs, without its effects.
pub fn check_create(request: CreateRequest) -> impl Future<Output = Result<DataProduct>> {
    post_create("/api/v1/products/create?dry_run=true", request)
}

// One request function for both, so the bundle holds one request future for them rather than two.
async fn post_create(path: &'static str, request: CreateRequest) -> Result<DataProduct> {
    post(path, &request).await
}

/// `PUT /api/v1/products/{id}`: new metadata, with the revision read in the body; the product as stored.
pub async fn update_product(id: &ProductId, product: &DataProduct) -> Result<DataProduct> {
    put(&format!("/api/v1/products/{}", encode(id.as_str())), product).await
}

/// `POST /api/v1/products/{id}/schema`: checks (`dry_run`) or registers a new value schema.
pub async fn evolve(id: &ProductId, request: &EvolveRequest) -> Result<EvolveResponse> {
    post(&format!("/api/v1/products/{}/schema", encode(id.as_str())), request).await
}

/// `POST /api/v1/products/{id}/deprecate`: the product as stored afterwards.
pub async fn deprecate(id: &ProductId, request: &DeprecateRequest) -> Result<DataProduct> {
    post(&format!("/api/v1/products/{}/deprecate", encode(id.as_str())), request).await
}

/// `POST /api/v1/products/{id}/retire`: the product as stored afterwards.
pub async fn retire(id: &ProductId, revision: u64) -> Result<DataProduct> {
    post(&format!("/api/v1/products/{}/retire", encode(id.as_str())), &RetireRequest { revision }).await
}

/// `PATCH /api/v1/products/{id}/topic`: more partitions, another retention or cleanup policy; the product as stored
/// afterwards (its topic's new facts come with the product page, read again).
pub async fn change_topic(id: &ProductId, request: &TopicChangeRequest) -> Result<DataProduct> {
    patch(&format!("/api/v1/products/{}/topic", encode(id.as_str())), request).await
}

/// `POST /api/v1/products/{id}/access`: the team's request to read the product, waiting for its owners.
pub async fn request_access(id: &str, draft: &AccessRequestDraft) -> Result<AccessRequest> {
    post(&format!("/api/v1/products/{}/access", encode(id)), draft).await
}

/// `GET /api/v1/products/{id}/access`: the product's requests the caller may see (their teams', or all of them for
/// its owners).
pub async fn product_access(id: String) -> Result<Vec<AccessRequest>> {
    get(&format!("/api/v1/products/{}/access", encode(&id))).await
}

/// `GET /api/v1/products/{id}/access/unmanaged`: for its owners, the ACLs on the product's topic that no grant
/// explains, read from the cluster now.
pub async fn unmanaged_access(id: String) -> Result<Vec<UnmanagedBinding>> {
    get(&format!("/api/v1/products/{}/access/unmanaged", encode(&id))).await
}

/// `GET /api/v1/products/{id}/retire`: for its owners, the grants and requests retiring the product would end.
pub async fn retirement_preview(id: String) -> Result<RetirementPreview> {
    get(&format!("/api/v1/products/{}/retire", encode(&id))).await
}

/// `GET /api/v1/products/{id}/consumers`: the teams with an active grant, and each consumer group with the team
/// whose grant covers it.
pub async fn product_consumers(id: &str) -> Result<ProductConsumers> {
    get(&format!("/api/v1/products/{}/consumers", encode(id))).await
}

/// `GET /api/v1/access/mine`: the caller's teams' requests and grants, those expiring soonest first.
pub async fn my_access() -> Result<Vec<AccessRequest>> {
    get("/api/v1/access/mine").await
}

/// `GET /api/v1/access/inbox`: requests to the products of the caller's teams, newest first.
pub async fn access_inbox() -> Result<Vec<AccessRequest>> {
    get("/api/v1/access/inbox").await
}

/// `POST /api/v1/access/{request}/{action}`: a decision on a request, taken on the revision it was made on; the
/// request afterwards (approving grants the ACLs: `active`, or `failed` with the reason).
pub async fn decide_access(id: &str, action: AccessAction, decision: &AccessDecision) -> Result<AccessRequest> {
    post(&format!("/api/v1/access/{}/{}", encode(id), action.as_str()), decision).await
}

/// `POST /api/v1/access/{request}/successor`: the same access to the product that replaces an active grant's, asked
/// for as a new request its owners decide on.
pub async fn request_successor(id: &str) -> Result<AccessRequest> {
    post_empty(&format!("/api/v1/access/{}/successor", encode(id))).await
}

/// `GET /api/v1/teams/{team}/service-accounts`: the team's Kafka principals (never a password).
pub async fn service_accounts(team: TeamName) -> Result<Vec<ServiceAccount>> {
    get(&format!("/api/v1/teams/{}/service-accounts", encode(team.as_str()))).await
}

/// `POST /api/v1/teams/{team}/service-accounts`: a principal registered, or created with credentials whose password
/// comes in this answer only.
pub async fn add_service_account(team: &TeamName, draft: &ServiceAccountDraft) -> Result<ServiceAccountAnswer> {
    post(&format!("/api/v1/teams/{}/service-accounts", encode(team.as_str())), draft).await
}

/// `POST /api/v1/teams/{team}/service-accounts/{principal}/rotate`: a new password, in this answer only; the old one
/// no longer works.
pub async fn rotate_service_account(team: &TeamName, principal: &Principal) -> Result<ServiceAccountAnswer> {
    post_empty(&account_path(team, principal, "/rotate")).await
}

/// `DELETE /api/v1/teams/{team}/service-accounts/{principal}`: the account gone, with its write access and the
/// credentials Meshport made; refused (409) while an open access request names it.
pub async fn delete_service_account(team: &TeamName, principal: &Principal) -> Result<()> {
    let request = authorized(Request::delete(&account_path(team, principal, ""))).build().map_err(built)?;
    expire_on_401(respond(request).await.map(drop))
}

fn account_path(team: &TeamName, principal: &Principal, action: &str) -> String {
    format!("/api/v1/teams/{}/service-accounts/{}{action}", encode(team.as_str()), encode(principal.as_str()))
}

/// `GET /api/v1/me`: who the current token says the caller is.
pub async fn me() -> Result<Identity> {
    get("/api/v1/me").await
}

/// `GET /api/v1/me` with a token the portal does not keep yet: checks it before signing in with it.
pub async fn me_with(token: &str) -> Result<Identity> {
    let request = Request::get("/api/v1/me")
        .header("accept", "application/json")
        .header("authorization", &format!("Bearer {token}"))
        .build()
        .map_err(|e| Error::Network(e.to_string()))?;
    fetch(request).await
}

/// `GET /api/v1/sign-in`: how people sign in here (dev mode, the organisation's identity provider).
pub async fn sign_in_options() -> Result<SignInOptions> {
    get("/api/v1/sign-in").await
}

/// `GET /api/v1/dev/users`: the demo people offered for sign-in when the API runs in dev mode.
pub async fn dev_users() -> Result<DevUserList> {
    get("/api/v1/dev/users").await
}

/// `POST /api/v1/dev/token`: a session as one of the demo people.
pub async fn dev_token(request: &DevTokenRequest) -> Result<DevToken> {
    post("/api/v1/dev/token", request).await
}

/// Percent-encodes one path segment or query value (ids and names are already restricted, but free text is not).
pub fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

/// What the organisation's identity provider answered at its token endpoint: an ID token, or its OAuth error.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub id_token: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// `POST <token endpoint>` of the organisation's identity provider (not the API): the sign-in's `form`
/// (`application/x-www-form-urlencoded`) exchanged for its tokens, with the HTTP status (the provider answers its
/// refusals as JSON too).
pub async fn exchange_code(token_endpoint: &str, form: String) -> Result<(u16, Tokens)> {
    let response = Request::post(token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(form)
        .map_err(|e| Error::Network(e.to_string()))?
        .send()
        .await
        .map_err(|_| Error::SignIn {
            code: "identity_provider_unreachable".to_owned(),
            message: "your organisation's sign-in service could not be reached: check your connection, then sign in \
                      again"
                .to_owned(),
        })?;
    let status = response.status();
    let tokens = response
        .json()
        .await
        .map_err(|e| Error::UnexpectedResponse { status, reason: format!("the token endpoint's answer: {e}") })?;
    Ok((status, tokens))
}

/// `GET path`, answering the JSON body as `T`.
async fn get<T: DeserializeOwned>(path: &str) -> Result<T> {
    decode(send_body(authorized(Request::get(path)).build().map_err(|e| Error::Network(e.to_string()))?).await)
}

/// `POST path` with a JSON body.
async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(path: &str, body: &B) -> Result<T> {
    send(authorized(Request::post(path)).json(body).map_err(|e| Error::Network(e.to_string()))?).await
}

/// `POST path` without a body: an action the path names in full.
async fn post_empty<T: DeserializeOwned>(path: &str) -> Result<T> {
    send(authorized(Request::post(path)).build().map_err(built)?).await
}

/// `PUT path` with a JSON body.
async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(path: &str, body: &B) -> Result<T> {
    send(authorized(Request::put(path)).json(body).map_err(|e| Error::Network(e.to_string()))?).await
}

/// `PATCH path` with a JSON body: a partial change, e.g. a product topic's settings.
async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(path: &str, body: &B) -> Result<T> {
    send(authorized(Request::patch(path)).json(body).map_err(|e| Error::Network(e.to_string()))?).await
}

/// Adds `Accept` and, when someone is signed in, their bearer token.
fn authorized(builder: RequestBuilder) -> RequestBuilder {
    let builder = builder.header("accept", "application/json");
    match crate::session::token() {
        Some(token) => builder.header("authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

/// Sends a request carrying the session's token.
async fn send<T: DeserializeOwned>(request: Request) -> Result<T> {
    decode(send_body(request).await)
}

/// Sends a request carrying the session's token: the status and body of its answer.
async fn send_body(request: Request) -> Result<(u16, String)> {
    expire_on_401(body_of(request).await)
}

/// The answer to a request carrying the session's token, which is forgotten when the API refuses it: it expired or
/// was revoked, so the header offers sign-in again.
fn expire_on_401<T>(answer: Result<T>) -> Result<T> {
    if let Err(error) = &answer
        && error.status() == Some(401)
    {
        crate::session::expired();
    }
    answer
}

async fn fetch<T: DeserializeOwned>(request: Request) -> Result<T> {
    decode(body_of(request).await)
}

/// A successful answer's body (JSON) read as `T`.
fn decode<T: DeserializeOwned>(answer: Result<(u16, String)>) -> Result<T> {
    let (status, body) = answer?;
    serde_json::from_str(&body).map_err(|e| Error::UnexpectedResponse { status, reason: e.to_string() })
}

/// The status and body of the API's successful answer. Not generic, so each type the portal reads adds its decoder
/// to a bundle, not another copy of the request's code.
async fn body_of(request: Request) -> Result<(u16, String)> {
    let response = respond(request).await?;
    let status = response.status();
    let body = response.text().await.map_err(|e| Error::UnexpectedResponse { status, reason: e.to_string() })?;
    Ok((status, body))
}

/// The API's successful answer, or its error.
async fn respond(request: Request) -> Result<Response> {
    let response = request.send().await.map_err(|e| Error::Network(e.to_string()))?;
    if !response.ok() {
        return Err(error_from(response).await);
    }
    Ok(response)
}

fn built(error: gloo_net::Error) -> Error {
    Error::Network(error.to_string())
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

/// `GET /api/v1/teams/{team}/channels`: which of the team's notification channels are set, never a secret.
pub async fn team_channels(team: TeamName) -> Result<meshport_shared::events::TeamChannels> {
    get(&format!("/api/v1/teams/{}/channels", encode(team.as_str()))).await
}

/// `PUT /api/v1/teams/{team}/channels`: replaces every channel of the team (one left out is removed), decided on
/// `revision` (sent as `If-Match`; a 409 when they changed meanwhile); a channel Meshport will not send to is a 422
/// naming its field.
pub async fn set_team_channels(
    team: &TeamName,
    settings: &meshport_shared::events::ChannelSettings,
    revision: u64,
) -> Result<meshport_shared::events::TeamChannels> {
    let path = format!("/api/v1/teams/{}/channels", encode(team.as_str()));
    let request = authorized(Request::put(&path)).header("if-match", &format!("\"{revision}\""));
    send(request.json(settings).map_err(|e| Error::Network(e.to_string()))?).await
}

/// `GET /api/v1/products/{id}/watch`: whether the signed-in person watches the product, and what they muted.
pub async fn watch_state(id: &str) -> Result<WatchState> {
    get(&watch_path(id)).await
}

/// `PUT /api/v1/products/{id}/watch`: watch the product (muted or not), told at `email` or the address given before.
pub async fn watch(id: &str, request: &WatchRequest) -> Result<WatchState> {
    put(&watch_path(id), request).await
}

/// `DELETE /api/v1/products/{id}/watch`: stop watching the product.
pub async fn unwatch(id: &str) -> Result<WatchState> {
    send(authorized(Request::delete(&watch_path(id))).build().map_err(built)?).await
}

fn watch_path(id: &str) -> String {
    format!("/api/v1/products/{}/watch", encode(id))
}

/// `GET /api/v1/teams/{team}/tokens`: the team's API tokens, newest first, each with its last use; never a secret.
pub async fn api_tokens(team: TeamName) -> Result<Vec<meshport_shared::tokens::ApiToken>> {
    get(&format!("/api/v1/teams/{}/tokens", encode(team.as_str()))).await
}

/// `POST /api/v1/teams/{team}/tokens`: a new API token, whose secret comes in this answer only.
pub async fn create_api_token(
    team: &TeamName,
    draft: &meshport_shared::tokens::TokenDraft,
) -> Result<meshport_shared::tokens::TokenAnswer> {
    post(&format!("/api/v1/teams/{}/tokens", encode(team.as_str())), draft).await
}

/// `DELETE /api/v1/teams/{team}/tokens/{id}`: the token, revoked; it is refused from now on.
pub async fn revoke_api_token(team: &TeamName, id: &str) -> Result<meshport_shared::tokens::ApiToken> {
    let path = format!("/api/v1/teams/{}/tokens/{}", encode(team.as_str()), encode(id));
    send(authorized(Request::delete(&path)).build().map_err(built)?).await
}

/// `GET /api/v1/proposals/mine`: breaking changes waiting that concern the caller's teams, newest first.
pub async fn my_proposals() -> Result<Vec<meshport_shared::proposals::ChangeProposal>> {
    get("/api/v1/proposals/mine").await
}

/// `POST /api/v1/proposals/{id}/{action}`: a subscribing team's `approve` or `object`, or the owners' `withdraw`,
/// on the revision read; the proposal afterwards (the last approval makes the new major version).
pub async fn decide_proposal(
    id: &str,
    action: &str,
    decision: &meshport_shared::proposals::ProposalDecision,
) -> Result<meshport_shared::proposals::ChangeProposal> {
    post(&format!("/api/v1/proposals/{}/{action}", encode(id)), decision).await
}

/// `GET /api/v1/products/{id}` read as `T`, the part of the product's detail a page uses (Manage's
/// `ManagedDetail`): a bundle that needs little of it then carries no decoder for the rest.
pub async fn product_part<T: DeserializeOwned>(id: impl AsRef<str>) -> Result<T> {
    get(&format!("/api/v1/products/{}", encode(id.as_ref()))).await
}

/// `GET /api/v1/products/{id}/export?part=`: one of the product's files as code, `odps` (the product, ODPS v1.0.0)
/// or `odcs` (its contract, ODCS v3.1.0), as YAML text.
pub async fn export_part(id: &str, part: &str) -> Result<String> {
    let path = format!("/api/v1/products/{}/export?part={part}", encode(id));
    send_body(authorized(Request::get(&path)).build().map_err(built)?).await.map(|(_, text)| text)
}

/// `GET /api/v1/products/{id}/proposals`: the product's breaking changes proposed to its subscribers, newest first.
pub async fn product_proposals(id: String) -> Result<Vec<meshport_shared::proposals::ChangeProposal>> {
    get(&format!("/api/v1/products/{}/proposals", encode(&id))).await
}

/// `GET path`: the status and body of the API's successful answer, to read with [`read`]. The reader's pages load
/// through it (`components::feedback::Loaded`), so a bundle holds one loading future for all of them, not one per
/// answer type.
pub async fn get_body(path: String) -> Result<(u16, String)> {
    send_body(authorized(Request::get(&path)).build().map_err(built)?).await
}

/// An answer from [`get_body`] read as `T`, the part of it a page uses (e.g. the product page's `PageDetail`).
pub fn read<T: DeserializeOwned>(answer: Result<(u16, String)>) -> Result<T> {
    decode(answer)
}
