//! Helpers shared by the API's integration tests: the test application with one method per endpoint, the people the
//! tests sign in as, sample products, unique names, the test services' addresses.
#![allow(dead_code)]

pub mod faults;

use std::collections::HashMap;
use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use meshport_api::app::{AppState, Application};
use meshport_api::catalog::CatalogStore;
use meshport_api::config::Config;
use meshport_shared::access::{AccessDecision, AccessRequest, AccessRequestDraft, AccessState, GroupPattern};
use meshport_shared::api::{
    CreateRequest, DeprecateRequest, DevToken, DevTokenRequest, EvolveRequest, Health, RetireRequest,
    SchemaCheckRequest, TopicChangeRequest,
};
use meshport_shared::{ApiError, AuditAction, AuditEntry, DataProduct, GroupName, Principal, ProductId, TeamName};
use reqwest::header::HeaderName;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

/// A name no other test in this run uses: tests share one broker and one moto server.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn service(variable: &str, what: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: these tests need {what}; run them with scripts/test, which starts it")
    })
}

pub fn dynamodb_endpoint() -> String {
    service("MESHPORT_TEST_DYNAMODB_ENDPOINT", "a moto_server")
}

/// The broker's plain listener, where anonymous callers are super users: for tests that do not test authorization.
pub fn kafka_bootstrap() -> String {
    service("MESHPORT_TEST_KAFKA_BOOTSTRAP", "a Kafka broker")
}

/// The broker's secured listener (SASL/SCRAM, ACLs on), as production clusters run.
pub fn kafka_sasl_bootstrap() -> String {
    service("MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP", "a Kafka broker with a SASL listener")
}

/// Meshport's principal on the secured listener, in `MESHPORT_KAFKA_CONFIG`'s format.
pub fn kafka_config() -> String {
    service("MESHPORT_TEST_KAFKA_CONFIG", "Meshport's SASL settings for the test broker")
}

/// A valid product of the demo organisation's policy, owned by the domain's demo team.
pub fn product(id: &str, domain: &str) -> DataProduct {
    let team = match domain {
        "membership" => "accounts",
        "analytics" => "edge",
        _ => "trading",
    };
    meshport_shared::testing::product(id).domain(domain, team).build()
}

/// An audit entry for a test's change to `product`.
pub fn audit(product: &DataProduct) -> AuditEntry {
    meshport_api::audit::entry("test", &product.id, AuditAction::Updated, "a test change", None, Some(product))
}

/// People the tests sign in as, each with a dev token (the application needs `MESHPORT_DEV_AUTH=true`). Dev sign-in
/// signs anyone in as anyone, so these need not be the sign-in picker's demo people (`GET /api/v1/dev/users`, where
/// `carol` is in `insights`): the tests' products belong to `trading`, and their audit entries name `dev:carol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    /// No token at all.
    Anonymous,
    /// `bob`, a member of `edge`, which owns no product in the tests that sign in.
    OtherTeam,
    /// `carol`, a member of `trading`, the owning team of the `execution` domain's products.
    Owner,
    /// `root`, an org admin of no team.
    Admin,
}

impl Who {
    /// What this person asks `POST /api/v1/dev/token` for; none for [`Who::Anonymous`].
    fn dev_token_request(self) -> Option<DevTokenRequest> {
        let (user, teams, admin) = match self {
            Self::Anonymous => return None,
            Self::OtherTeam => ("bob", vec!["edge"], false),
            Self::Owner => ("carol", vec!["trading"], false),
            Self::Admin => ("root", vec![], true),
        };
        let teams = teams.into_iter().map(|team| TeamName::parse(team).unwrap()).collect();
        Some(DevTokenRequest { user: user.into(), teams, admin })
    }
}

/// A running application and a client for it; one method per endpoint. The open routes (health, sign-in, the
/// OpenAPI document, the embeds) are its own methods; the catalog's are on [`Client`], which says who calls
/// (`app.as_(Who::Owner).publish(&product)`).
pub struct TestApp {
    pub address: SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    /// Each person's dev token, asked for once per application.
    tokens: tokio::sync::Mutex<HashMap<Who, String>>,
    _dir: tempfile::TempDir,
}

/// A schema registry of the project's own on a random port.
pub async fn spawn_registry() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, meshport_registry::router()).await });
    format!("http://{address}")
}

impl TestApp {
    /// An application with every dependency up and reads open to callers without a token; `vars` override the
    /// configuration.
    pub async fn spawn(vars: &[(&str, String)]) -> Self {
        Self::spawn_with_catalog(vars, |catalog| catalog).await
    }

    /// Like [`TestApp::spawn`], with the catalog wrapped by `wrap` (to inject faults).
    pub async fn spawn_with_catalog(
        vars: &[(&str, String)],
        wrap: impl FnOnce(Arc<dyn CatalogStore>) -> Arc<dyn CatalogStore>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = HashMap::from([
            ("MESHPORT_LISTEN".into(), "127.0.0.1:0".into()),
            ("MESHPORT_DATA_DIR".into(), dir.path().join("data").display().to_string()),
            ("MESHPORT_KAFKA_BOOTSTRAP".into(), kafka_bootstrap()),
            ("MESHPORT_REGISTRY_URL".into(), spawn_registry().await),
            ("MESHPORT_STATIC_DIR".into(), dir.path().join("no-portal").display().to_string()),
            ("MESHPORT_DEPENDENCY_TIMEOUT_MS".into(), "1500".into()),
            // Most tests are about something else and read without a token; the tests of who reads what set it.
            ("MESHPORT_PUBLIC_READS".into(), "true".into()),
        ]);
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        let mut state = AppState::build(&config).unwrap();
        state.mesh.catalog = wrap(state.mesh.catalog);
        let application = Application::bind(&config, state.clone()).await.unwrap();
        let address = application.address();
        tokio::spawn(application.serve(std::future::pending()));
        Self { address, state, http: reqwest::Client::new(), tokens: Default::default(), _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A request without a token, for what the endpoint methods do not send (other headers, bodies that are not
    /// JSON).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    /// The catalog's routes as `who` calls them, signed in with their dev token.
    pub fn as_(&self, who: Who) -> Client<'_> {
        Client { app: self, bearer: Bearer::Person(who) }
    }

    /// The catalog's routes as someone without a token calls them.
    pub fn anonymous(&self) -> Client<'_> {
        self.as_(Who::Anonymous)
    }

    /// The catalog's routes called with `token` as the bearer token, whatever it is.
    pub fn with_token<'a>(&'a self, token: &'a str) -> Client<'a> {
        Client { app: self, bearer: Bearer::Token(token) }
    }

    /// `who`'s dev token, asked for on first use.
    async fn token(&self, who: Who) -> Option<String> {
        let request = who.dev_token_request()?;
        let mut tokens = self.tokens.lock().await;
        if let Some(token) = tokens.get(&who) {
            return Some(token.clone());
        }
        let response = self.dev_token(&request).await;
        assert_eq!(response.status(), StatusCode::OK, "signing in as {who:?} needs MESHPORT_DEV_AUTH=true");
        let token = response.json::<DevToken>().await.unwrap().token;
        tokens.insert(who, token.clone());
        Some(token)
    }

    pub async fn seed(&self, product: DataProduct) -> DataProduct {
        let audit = audit(&product);
        self.state.mesh.catalog.put_product(product, None, audit).await.unwrap()
    }

    /// `GET /api/health` without a token, which always answers 200: the verdict only.
    pub async fn health(&self) -> Health {
        self.anonymous().health().await
    }

    /// `GET /api/v1/openapi.json`.
    pub async fn openapi(&self) -> Response {
        self.get("/api/v1/openapi.json").await
    }

    /// `GET /api/v1/sign-in`.
    pub async fn sign_in_options(&self) -> Response {
        self.get("/api/v1/sign-in").await
    }

    /// `GET /api/v1/dev/users`.
    pub async fn dev_users(&self) -> Response {
        self.get("/api/v1/dev/users").await
    }

    /// `POST /api/v1/dev/token`.
    pub async fn dev_token(&self, request: &DevTokenRequest) -> Response {
        self.request(Method::POST, "/api/v1/dev/token").json(request).send().await.unwrap()
    }

    /// `GET /api/v1/products` without a token.
    pub async fn products(&self) -> Response {
        self.anonymous().products().await
    }

    /// `GET /api/v1/products/{id}` without a token.
    pub async fn product(&self, id: impl Display) -> Response {
        self.anonymous().product(id).await
    }

    /// `GET /embed/products/{id}`; `id` may carry a query (`users?theme=dark`).
    pub async fn card(&self, id: &str) -> Response {
        self.card_with(id, &[]).await
    }

    /// [`TestApp::card`] with request headers, e.g. a conditional request's.
    pub async fn card_with(&self, id: &str, headers: &[(HeaderName, &str)]) -> Response {
        with_headers(self.request(Method::GET, &format!("/embed/products/{id}")), headers).send().await.unwrap()
    }

    /// `GET /oembed` with `query`.
    pub async fn oembed(&self, query: &[(&str, &str)]) -> Response {
        self.request(Method::GET, "/oembed").query(query).send().await.unwrap()
    }

    /// `GET /badge/products/{id}/{file}`.
    pub async fn badge(&self, id: &str, file: &str) -> Response {
        self.badge_with(id, file, &[]).await
    }

    /// [`TestApp::badge`] with request headers, e.g. a conditional request's.
    pub async fn badge_with(&self, id: &str, file: &str, headers: &[(HeaderName, &str)]) -> Response {
        let request = self.request(Method::GET, &format!("/badge/products/{id}/{file}"));
        with_headers(request, headers).send().await.unwrap()
    }
}

fn with_headers(request: RequestBuilder, headers: &[(HeaderName, &str)]) -> RequestBuilder {
    headers.iter().fold(request, |request, (name, value)| request.header(name, *value))
}

#[derive(Clone, Copy, Debug)]
enum Bearer<'a> {
    Person(Who),
    Token(&'a str),
}

/// The application's catalog routes as one caller calls them: one method per endpoint, each sending the caller's
/// bearer token (none for [`Who::Anonymous`]).
#[derive(Clone, Copy)]
pub struct Client<'a> {
    app: &'a TestApp,
    bearer: Bearer<'a>,
}

impl Client<'_> {
    /// A request with the caller's token, for what the endpoint methods do not send (`If-Match`, bodies the API
    /// must refuse).
    pub async fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.app.request(method, path);
        let token = match self.bearer {
            Bearer::Person(who) => self.app.token(who).await,
            Bearer::Token(token) => Some(token.to_owned()),
        };
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).await.send().await.unwrap()
    }

    async fn send(&self, method: Method, path: &str, body: &impl serde::Serialize) -> Response {
        self.request(method, path).await.json(body).send().await.unwrap()
    }

    /// `POST /api/v1/products/{id}/access`.
    pub async fn request_access(&self, id: impl Display, draft: &AccessRequestDraft) -> Response {
        self.send(Method::POST, &format!("/api/v1/products/{id}/access"), draft).await
    }

    /// `GET /api/v1/products/{id}/access`.
    pub async fn product_access(&self, id: impl Display) -> Response {
        self.get(&format!("/api/v1/products/{id}/access")).await
    }

    /// `GET /api/v1/access/inbox`.
    pub async fn access_inbox(&self) -> Response {
        self.get("/api/v1/access/inbox").await
    }

    /// `GET /api/v1/access/mine`.
    pub async fn my_access(&self) -> Response {
        self.get("/api/v1/access/mine").await
    }

    /// `POST /api/v1/access/{request}/{action}`.
    pub async fn decide_access(&self, request: &str, action: &str, decision: &AccessDecision) -> Response {
        self.send(Method::POST, &format!("/api/v1/access/{request}/{action}"), decision).await
    }

    /// `POST /api/v1/access/{request}/successor`.
    pub async fn request_successor(&self, request: &str) -> Response {
        self.request(Method::POST, &format!("/api/v1/access/{request}/successor")).await.send().await.unwrap()
    }

    /// `GET /api/v1/products/{id}/access/unmanaged`.
    pub async fn unmanaged_access(&self, id: impl Display) -> Response {
        self.get(&format!("/api/v1/products/{id}/access/unmanaged")).await
    }

    /// `GET /api/v1/products/{id}/consumers`.
    pub async fn product_consumers(&self, id: impl Display) -> Response {
        self.get(&format!("/api/v1/products/{id}/consumers")).await
    }

    /// `GET /api/v1/products/{id}/retire`: what retiring it would end.
    pub async fn retirement_preview(&self, id: impl Display) -> Response {
        self.get(&format!("/api/v1/products/{id}/retire")).await
    }

    /// `GET /api/v1/products`: the first page of every product.
    pub async fn products(&self) -> Response {
        self.get("/api/v1/products").await
    }

    /// `GET /api/v1/products?{query}`, e.g. `q=orders&status=retired`.
    pub async fn search(&self, query: &str) -> Response {
        self.get(&format!("/api/v1/products?{query}")).await
    }

    /// `GET /api/v1/products/{id}`.
    pub async fn product(&self, id: impl Display) -> Response {
        self.get(&format!("/api/v1/products/{id}")).await
    }

    /// `POST /api/v1/products/publish`.
    pub async fn publish(&self, product: &DataProduct) -> Response {
        self.send(Method::POST, "/api/v1/products/publish", product).await
    }

    /// `POST /api/v1/products/publish?dry_run=true`.
    pub async fn publish_dry_run(&self, product: &DataProduct) -> Response {
        self.send(Method::POST, "/api/v1/products/publish?dry_run=true", product).await
    }

    /// `POST /api/v1/products/create`.
    pub async fn create(&self, request: &CreateRequest) -> Response {
        self.send(Method::POST, "/api/v1/products/create", request).await
    }

    /// `POST /api/v1/products/create?dry_run=true`.
    pub async fn create_dry_run(&self, request: &CreateRequest) -> Response {
        self.send(Method::POST, "/api/v1/products/create?dry_run=true", request).await
    }

    /// `PUT /api/v1/products/{id}` with `product`, under its own id.
    pub async fn update(&self, product: &DataProduct) -> Response {
        self.send(Method::PUT, &format!("/api/v1/products/{}", product.id), product).await
    }

    /// `GET /api/v1/products/{id}/history`.
    pub async fn history(&self, id: impl Display) -> Response {
        self.get(&format!("/api/v1/products/{id}/history")).await
    }

    /// `POST /api/v1/products/{id}/schema`.
    pub async fn evolve(&self, id: impl Display, request: &EvolveRequest) -> Response {
        self.send(Method::POST, &format!("/api/v1/products/{id}/schema"), request).await
    }

    /// `GET /api/v1/products/{id}/schema/diff?from={from}&to={to}`.
    pub async fn diff(&self, id: impl Display, from: i32, to: i32) -> Response {
        self.get(&format!("/api/v1/products/{id}/schema/diff?from={from}&to={to}")).await
    }

    /// `POST /api/v1/products/{id}/deprecate`.
    pub async fn deprecate(&self, id: impl Display, request: &DeprecateRequest) -> Response {
        self.send(Method::POST, &format!("/api/v1/products/{id}/deprecate"), request).await
    }

    /// `POST /api/v1/products/{id}/retire`.
    pub async fn retire(&self, id: impl Display, request: &RetireRequest) -> Response {
        self.send(Method::POST, &format!("/api/v1/products/{id}/retire"), request).await
    }

    /// `PATCH /api/v1/products/{id}/topic`.
    pub async fn change_topic(&self, id: impl Display, request: &TopicChangeRequest) -> Response {
        self.send(Method::PATCH, &format!("/api/v1/products/{id}/topic"), request).await
    }

    /// `DELETE /api/v1/products/{id}/topic?revision={revision}`, leaving the revision out when `None`.
    pub async fn delete_topic(&self, id: impl Display, revision: Option<u64>) -> Response {
        let query = revision.map(|revision| format!("?revision={revision}")).unwrap_or_default();
        self.request(Method::DELETE, &format!("/api/v1/products/{id}/topic{query}")).await.send().await.unwrap()
    }

    /// `DELETE /api/v1/products/{id}/topic?revision={revision}&force=true`: even while consumer groups read it.
    pub async fn force_delete_topic(&self, id: impl Display, revision: u64) -> Response {
        let path = format!("/api/v1/products/{id}/topic?revision={revision}&force=true");
        self.request(Method::DELETE, &path).await.send().await.unwrap()
    }

    /// `GET /api/v1/products/{id}/sample?limit={limit}`.
    pub async fn sample(&self, id: impl Display, limit: u32) -> Response {
        self.get(&format!("/api/v1/products/{id}/sample?limit={limit}")).await
    }

    /// `GET /api/v1/domains/{domain}/publishable-topics`.
    pub async fn publishable_topics(&self, domain: &str) -> Response {
        self.get(&format!("/api/v1/domains/{domain}/publishable-topics")).await
    }

    /// `GET /api/v1/activity`.
    pub async fn activity(&self) -> Response {
        self.get("/api/v1/activity").await
    }

    /// `GET /api/v1/teams/{team}/channels`.
    pub async fn channels(&self, team: &str) -> Response {
        self.get(&format!("/api/v1/teams/{team}/channels")).await
    }

    /// `PUT /api/v1/teams/{team}/channels` at the revision `GET` answers now.
    pub async fn set_channels(&self, team: &str, settings: &meshport_shared::events::ChannelSettings) -> Response {
        let read = self.channels(team).await;
        let etag = read.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
        self.set_channels_at(team, settings, etag.as_deref()).await
    }

    /// `PUT /api/v1/teams/{team}/channels` with `If-Match: if_match`, or none.
    pub async fn set_channels_at(
        &self,
        team: &str,
        settings: &meshport_shared::events::ChannelSettings,
        if_match: Option<&str>,
    ) -> Response {
        let request = self.request(Method::PUT, &format!("/api/v1/teams/{team}/channels")).await.json(settings);
        let request = match if_match {
            Some(tag) => request.header(reqwest::header::IF_MATCH, tag),
            None => request,
        };
        request.send().await.unwrap()
    }

    /// `GET /api/v1/notifications/dead-letters`.
    pub async fn dead_letters(&self) -> Response {
        self.get("/api/v1/notifications/dead-letters").await
    }

    /// `POST /api/v1/notifications/deliveries/{event}/{team}/{channel}/redeliver`.
    pub async fn redeliver(&self, event: u64, team: &str, channel: &str) -> Response {
        let path = format!("/api/v1/notifications/deliveries/{event}/{team}/{channel}/redeliver");
        self.request(Method::POST, &path).await.send().await.unwrap()
    }

    /// `GET /api/v1/events?after=&limit=`.
    pub async fn events(&self, after: u64, limit: usize) -> Response {
        self.get(&format!("/api/v1/events?after={after}&limit={limit}")).await
    }

    /// `POST /api/v1/schemas/check`.
    pub async fn check_schema(&self, request: &SchemaCheckRequest) -> Response {
        self.send(Method::POST, "/api/v1/schemas/check", request).await
    }

    /// `GET /api/v1/subjects/{subject}`.
    pub async fn subject(&self, subject: impl Display) -> Response {
        self.get(&format!("/api/v1/subjects/{subject}")).await
    }

    /// `GET /api/v1/policy`.
    pub async fn policy(&self) -> Response {
        self.get("/api/v1/policy").await
    }

    /// `POST /api/v1/sync`.
    pub async fn sync(&self) -> Response {
        self.request(Method::POST, "/api/v1/sync").await.send().await.unwrap()
    }

    /// `GET /api/v1/me`.
    pub async fn me(&self) -> Response {
        self.get("/api/v1/me").await
    }

    /// `GET /api/health`, which always answers 200; with each dependency for an org admin.
    pub async fn health(&self) -> Health {
        let response = self.get("/api/health").await;
        assert_eq!(response.status(), StatusCode::OK, "health always answers 200");
        response.json().await.unwrap()
    }
}

/// What the tests read from an answer: its body where it must succeed, its error where it must not.
pub trait Answer {
    /// The JSON body, after checking the request succeeded.
    async fn ok<T: DeserializeOwned>(self) -> T;

    /// The status and the error body, after checking the request failed.
    async fn error(self) -> (StatusCode, ApiError);
}

impl Answer for Response {
    async fn ok<T: DeserializeOwned>(self) -> T {
        let (url, status) = (self.url().clone(), self.status());
        let text = self.text().await.unwrap();
        assert!(status.is_success(), "{url}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn error(self) -> (StatusCode, ApiError) {
        let (url, status) = (self.url().clone(), self.status());
        let text = self.text().await.unwrap();
        assert!(!status.is_success(), "{url} should fail: {text}");
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an error body ({e}): {text}")))
    }
}

/// A request of `team` for access to `product` (owned by `trading`), as asked: requested, not yet decided.
pub fn access_request(id: &str, product: &str, team: &str) -> AccessRequest {
    AccessRequest {
        id: id.into(),
        product: ProductId::parse(product).unwrap(),
        owner_team: TeamName::parse("trading").unwrap(),
        team: TeamName::parse(team).unwrap(),
        purpose: "Fraud scoring".into(),
        principals: vec![Principal::parse(format!("User:svc-{team}")).unwrap()],
        group: GroupName::parse(format!("{team}-readers")).unwrap(),
        group_pattern: GroupPattern::Literal,
        until: Some("2027-06-30".into()),
        state: AccessState::Requested,
        requested_by: "dev:bob".into(),
        requested_at: "2026-12-05T10:00:00Z".into(),
        decided_by: None,
        decided_at: None,
        reason: None,
        revision: 0,
    }
}

/// Sign-off on breaking changes: one method per endpoint.
impl Client<'_> {
    /// `GET /api/v1/products/{id}/proposals`.
    pub async fn product_proposals(&self, id: impl Display) -> Response {
        self.get(&format!("/api/v1/products/{id}/proposals")).await
    }

    /// `GET /api/v1/proposals/mine`.
    pub async fn my_proposals(&self) -> Response {
        self.get("/api/v1/proposals/mine").await
    }

    /// `POST /api/v1/proposals/{proposal}/{action}`.
    pub async fn decide_proposal(
        &self,
        proposal: &str,
        action: &str,
        decision: &meshport_shared::proposals::ProposalDecision,
    ) -> Response {
        self.send(Method::POST, &format!("/api/v1/proposals/{proposal}/{action}"), decision).await
    }
}
