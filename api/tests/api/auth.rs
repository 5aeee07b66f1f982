//! Sign-in: dev tokens, tokens of an identity provider (served by an in-test JWKS endpoint), and who may change what.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::routing::get;
use common::TestApp;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use meshport_api::auth::require_change;
use meshport_api::routes::extract::Caller;
use meshport_shared::api::{DevToken, DevTokenRequest, DevUserList, Identity, OrganisationSignIn, SignInOptions};
use meshport_shared::tokens::Scope;
use meshport_shared::{ApiError, ErrorCode, TeamName};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DEV_SECRET: &str = "test-dev-secret-shared-by-these-tests";
const ISSUER: &str = "https://login.acme.example/";
const AUDIENCE: &str = "meshport";
const JWKS: &str = include_str!("../fixtures/auth/jwks.json");
const JWKS_ROTATED: &str = include_str!("../fixtures/auth/jwks-rotated.json");
const RSA_KEY: &[u8] = include_bytes!("../fixtures/auth/rsa-private.pem");
const RSA_ROTATED_KEY: &[u8] = include_bytes!("../fixtures/auth/rsa-rotated-private.pem");
const EC_KEY: &[u8] = include_bytes!("../fixtures/auth/ec-private.pem");
const RSA_PUBLIC_KEY: &[u8] = include_bytes!("../fixtures/auth/rsa-public.pem");

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap()
}

fn team(name: &str) -> TeamName {
    TeamName::parse(name).unwrap()
}

async fn dev_app() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_DEV_AUTH_SECRET", DEV_SECRET.into())]).await
}

/// The in-test identity providers serve plain HTTP, so they are allowed explicitly, as a local test provider is.
const ALLOW_HTTP: (&str, &str) = ("MESHPORT_OIDC_ALLOW_HTTP", "true");

async fn oidc_app(jwks_url: &str) -> TestApp {
    TestApp::spawn(&[
        ("MESHPORT_OIDC_ISSUER", ISSUER.into()),
        ("MESHPORT_OIDC_AUDIENCE", AUDIENCE.into()),
        ("MESHPORT_OIDC_JWKS_URL", jwks_url.into()),
        (ALLOW_HTTP.0, ALLOW_HTTP.1.into()),
    ])
    .await
}

fn dev_token_request(user: &str, teams: &[&str], admin: bool) -> DevTokenRequest {
    DevTokenRequest { user: user.into(), teams: teams.iter().map(|name| team(name)).collect(), admin }
}

async fn dev_token(app: &TestApp, user: &str, teams: &[&str], admin: bool) -> String {
    let response = app.dev_token(&dev_token_request(user, teams, admin)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<DevToken>().await.unwrap().token
}

/// The error of a refused request, after checking its status and code.
async fn refused(response: reqwest::Response, status: StatusCode, code: ErrorCode) -> String {
    assert_eq!(response.status(), status);
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(error.code, code, "{}", error.message);
    error.message
}

fn sign(algorithm: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let header = Header { kid: kid.map(str::to_owned), ..Header::new(algorithm) };
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn dev_claims() -> Value {
    json!({
        "iss": "meshport-dev", "aud": "meshport-dev", "sub": "dev:mallory", "name": "Mallory",
        "teams": ["trading"], "admin": false, "iat": now(), "nbf": now(), "exp": now() + 600,
    })
}

fn provider_claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "00u1a2b3c", "name": "Alice Liddell",
        "groups": ["accounts", "Everyone", "meshport-admins"], "iat": now(), "exp": now() + 600,
    })
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_KEY).unwrap()
}

/// An identity provider's JWKS endpoint that counts how often it is asked.
struct KeySet {
    url: String,
    served: Arc<Mutex<&'static str>>,
    fetches: Arc<AtomicUsize>,
}

impl KeySet {
    async fn spawn(jwks: &'static str) -> Self {
        let served = Arc::new(Mutex::new(jwks));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (body, count) = (served.clone(), fetches.clone());
        let router = axum::Router::new().route(
            "/.well-known/jwks.json",
            get(move || async move {
                count.fetch_add(1, Ordering::SeqCst);
                let jwks = *body.lock().unwrap();
                ([("content-type", "application/json")], jwks)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, served, fetches }
    }

    fn rotate_to(&self, jwks: &'static str) {
        *self.served.lock().unwrap() = jwks;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_dev_token_signs_in_as_the_requested_user() {
    let app = dev_app().await;

    let response = app.dev_token(&dev_token_request("alice", &["accounts"], false)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let session: DevToken = response.json().await.unwrap();
    let response = app.with_token(&session.token).me().await;

    assert_eq!(response.status(), StatusCode::OK);
    let identity: Identity = response.json().await.unwrap();
    let alice = Identity {
        subject: "dev:alice".into(),
        name: "Alice".into(),
        teams: vec![team("accounts")],
        admin: false,
        scope: Scope::Change,
    };
    assert_eq!(identity, alice);
    assert_eq!(session.identity, alice);
    let expires_at: jiff::Timestamp = session.expires_at.parse().unwrap();
    let lifetime = expires_at.as_second() - now();
    assert!((12 * 3600 - 60..=12 * 3600).contains(&lifetime), "dev tokens last 12 h, not {lifetime} s");
}

#[tokio::test]
async fn asking_who_i_am_without_a_token_is_unauthorized() {
    let app = dev_app().await;

    let response = app.anonymous().me().await;

    let message = refused(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert!(message.contains("sign in first"), "{message}");
}

#[tokio::test]
async fn without_sign_in_configured_reads_work_and_sign_in_explains_how_to_configure_it() {
    let app = TestApp::spawn(&[]).await;

    assert_eq!(app.products().await.status(), StatusCode::OK);
    let message = refused(app.anonymous().me().await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert!(message.contains("MESHPORT_OIDC_ISSUER") && message.contains("MESHPORT_DEV_AUTH=true"), "{message}");
    let response = app.dev_token(&dev_token_request("alice", &[], false)).await;
    refused(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    refused(app.dev_users().await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn dev_users_offer_one_person_per_policy_team_and_an_admin() {
    let app = dev_app().await;

    let users: DevUserList = app.dev_users().await.json().await.unwrap();

    let summary: Vec<(&str, Vec<&str>, bool)> = users
        .items
        .iter()
        .map(|u| (u.user.as_str(), u.teams.iter().map(TeamName::as_str).collect(), u.admin))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("alice", vec!["accounts"], false),
            ("bob", vec!["edge"], false),
            ("carol", vec!["insights"], false),
            ("dana", vec!["trading"], false),
            ("admin", vec![], true),
        ]
    );
}

#[tokio::test]
async fn a_dev_token_request_with_unknown_fields_bad_teams_or_a_bad_user_is_refused() {
    let app = dev_app().await;

    for (body, fragment) in [
        (json!({"user": "alice", "teams": ["accounts"], "role": "owner"}), "unknown field `role`"),
        (json!({"user": "alice", "teams": ["Accounts"]}), "team `Accounts` must start with a lowercase letter"),
        (json!({"user": "", "teams": []}), "`user` must be 1 to 64"),
        (json!({"user": "alice smith"}), "`user` must be 1 to 64"),
        (json!({"teams": []}), "missing field `user`"),
    ] {
        let response = app.request(Method::POST, "/api/v1/dev/token").json(&body).send().await.unwrap();
        let message = refused(response, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
        assert!(message.contains(fragment), "{body}: `{message}` lacks `{fragment}`");
    }
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let app = dev_app().await;
    let token = dev_token(&app, "bob", &["edge"], false).await;
    // Swap the claims for ones that make bob an admin, keeping the signature.
    let (header, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged = sign(Algorithm::HS256, None, &EncodingKey::from_secret(b"guess"), &json!({"admin": true}));
    let forged_claims = forged.split('.').nth(1).unwrap();
    let tampered = format!("{header}.{forged_claims}.{signature}");

    let message =
        refused(app.with_token(&tampered).me().await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    assert!(message.contains("signature does not match"), "{message}");
    assert!(!message.contains(&tampered), "a token is never echoed");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = dev_app().await;
    let mut claims = dev_claims();
    claims["exp"] = json!(now() - 3600);
    let token = sign(Algorithm::HS256, None, &EncodingKey::from_secret(DEV_SECRET.as_bytes()), &claims);

    let message = refused(app.with_token(&token).me().await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    assert_eq!(message, "the sign-in token was refused: it has expired: sign in again");
}

#[tokio::test]
async fn a_token_for_another_audience_or_issuer_is_refused() {
    let app = dev_app().await;
    let key = EncodingKey::from_secret(DEV_SECRET.as_bytes());
    let mut other_audience = dev_claims();
    other_audience["aud"] = json!("billing");
    let mut other_issuer = dev_claims();
    other_issuer["iss"] = json!("https://evil.example/");

    let audience = refused(
        app.with_token(&sign(Algorithm::HS256, None, &key, &other_audience)).me().await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    let issuer = refused(
        app.with_token(&sign(Algorithm::HS256, None, &key, &other_issuer)).me().await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;

    assert_eq!(audience, "the sign-in token was refused: it is meant for another audience, not `meshport-dev`");
    assert_eq!(issuer, "the sign-in token was refused: it was issued by someone else, not `meshport-dev`");
}

#[tokio::test]
async fn a_malformed_token_or_another_scheme_is_refused() {
    let app = dev_app().await;

    let malformed =
        refused(app.with_token("not-a-jwt").me().await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let basic = app.request(Method::GET, "/api/v1/me").basic_auth("alice", Some("secret")).send().await.unwrap();
    let basic = refused(basic, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    assert!(malformed.contains("malformed"), "{malformed}");
    assert_eq!(basic, "the Authorization header must be `Bearer <token>`");
}

/// A route that lets anyone in, answering who called.
async fn spawn_caller_route(app: &TestApp) -> String {
    let router = axum::Router::new()
        .route("/caller", get(|Caller(identity): Caller| async move { Json(identity) }))
        .with_state(app.state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/caller", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

#[tokio::test]
async fn where_anonymous_callers_are_welcome_a_bad_token_is_still_refused() {
    let app = dev_app().await;
    let url = spawn_caller_route(&app).await;
    let token = dev_token(&app, "carol", &["insights"], false).await;

    let anonymous = app.http.get(&url).send().await.unwrap();
    let signed_in = app.http.get(&url).bearer_auth(&token).send().await.unwrap();
    let bad = app.http.get(&url).bearer_auth("x.y.z").send().await.unwrap();

    assert_eq!(anonymous.status(), StatusCode::OK);
    assert_eq!(anonymous.json::<Option<Identity>>().await.unwrap(), None);
    assert_eq!(signed_in.json::<Option<Identity>>().await.unwrap().unwrap().subject, "dev:carol");
    refused(bad, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn who_may_change_a_product_follows_the_signed_in_identity() {
    let app = dev_app().await;
    let users = common::product(&common::unique("users"), "membership"); // owned by `accounts`
    let identity = async |user: &str, teams: &[&str], admin: bool| -> Identity {
        app.with_token(&dev_token(&app, user, teams, admin).await).me().await.json().await.unwrap()
    };

    let anonymous = app.anonymous().me().await;
    let bob = identity("bob", &["edge"], false).await;
    let alice = identity("alice", &["accounts"], false).await;
    let admin = identity("admin", &[], true).await;

    refused(anonymous, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let refusal = require_change(&bob, &users).unwrap_err().to_string();
    assert_eq!(refusal, format!("only members of team `accounts` or org admins may change `{}`", users.id));
    assert!(require_change(&alice, &users).is_ok());
    assert!(require_change(&admin, &users).is_ok());
}

#[tokio::test]
async fn a_provider_token_maps_groups_to_teams_and_the_admin_group_to_admin() {
    let provider = KeySet::spawn(JWKS).await;
    let app = oidc_app(&provider.url).await;
    let token = sign(Algorithm::RS256, Some("test-rsa-1"), &rsa_key(), &provider_claims());

    let response = app.with_token(&token).me().await;

    assert_eq!(response.status(), StatusCode::OK);
    let identity: Identity = response.json().await.unwrap();
    assert_eq!(
        identity,
        Identity {
            subject: "00u1a2b3c".into(),
            name: "Alice Liddell".into(),
            teams: vec![team("accounts")],
            admin: true,
            scope: Scope::Change
        }
    );
}

#[tokio::test]
async fn an_es256_provider_token_is_accepted_and_keys_are_fetched_once() {
    let provider = KeySet::spawn(JWKS).await;
    let app = oidc_app(&provider.url).await;
    let mut claims = provider_claims();
    claims["groups"] = json!(["trading"]);
    claims.as_object_mut().unwrap().remove("name");
    let token = sign(Algorithm::ES256, Some("test-ec-1"), &EncodingKey::from_ec_pem(EC_KEY).unwrap(), &claims);

    let first: Identity = app.with_token(&token).me().await.json().await.unwrap();
    let second = app.with_token(&token).me().await;

    assert_eq!(
        first,
        Identity {
            subject: "00u1a2b3c".into(),
            name: "00u1a2b3c".into(),
            teams: vec![team("trading")],
            admin: false,
            scope: Scope::Change
        }
    );
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(provider.fetches(), 1, "the key set is cached");
}

#[tokio::test]
async fn a_provider_token_for_another_audience_issuer_or_expired_is_refused() {
    let provider = KeySet::spawn(JWKS).await;
    let app = oidc_app(&provider.url).await;
    let with = |claim: &str, value: Value| {
        let mut claims = provider_claims();
        claims[claim] = value;
        sign(Algorithm::RS256, Some("test-rsa-1"), &rsa_key(), &claims)
    };

    for (token, expected) in [
        (with("aud", json!(["billing", "crm"])), "it is meant for another audience, not `meshport`"),
        (
            with("iss", json!("https://login.evil.example/")),
            "it was issued by someone else, not `https://login.acme.example/`",
        ),
        (with("exp", json!(now() - 120)), "it has expired: sign in again"),
        (with("nbf", json!(now() + 3600)), "it is not valid yet"),
    ] {
        let message =
            refused(app.with_token(&token).me().await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
        assert!(message.contains(expected), "`{message}` lacks `{expected}`");
    }
}

#[tokio::test]
async fn a_token_signed_with_the_providers_public_key_as_an_hmac_secret_is_refused() {
    let provider = KeySet::spawn(JWKS).await;
    let app = oidc_app(&provider.url).await;
    // The classic algorithm confusion: HS256 keyed with the (public) RSA key.
    let token =
        sign(Algorithm::HS256, Some("test-rsa-1"), &EncodingKey::from_secret(RSA_PUBLIC_KEY), &provider_claims());

    let message = refused(app.with_token(&token).me().await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    assert!(message.contains("HS256, which only dev sign-in uses"), "{message}");
}

#[tokio::test]
async fn an_unknown_key_id_refetches_the_key_set_once_so_rotated_keys_are_accepted() {
    let provider = KeySet::spawn(JWKS).await;
    let app = oidc_app(&provider.url).await;
    let old = sign(Algorithm::RS256, Some("test-rsa-1"), &rsa_key(), &provider_claims());
    let rotated_key = EncodingKey::from_rsa_pem(RSA_ROTATED_KEY).unwrap();
    let new = sign(Algorithm::RS256, Some("test-rsa-2"), &rotated_key, &provider_claims());
    let made_up = sign(Algorithm::RS256, Some("made-up"), &rotated_key, &provider_claims());
    assert_eq!(app.with_token(&old).me().await.status(), StatusCode::OK);
    assert_eq!(provider.fetches(), 1);

    provider.rotate_to(JWKS_ROTATED);
    let after_rotation = app.with_token(&new).me().await;
    let made_up = app.with_token(&made_up).me().await;

    assert_eq!(after_rotation.status(), StatusCode::OK);
    let message = refused(made_up, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert!(message.contains("names key `made-up`, which the identity provider"), "{message}");
    assert_eq!(provider.fetches(), 2, "one refetch for the rotated key, none for a made-up one within 30 s");
    assert_eq!(app.with_token(&old).me().await.status(), StatusCode::OK, "the old key is still published");
}

#[tokio::test]
async fn when_the_key_set_cannot_be_fetched_sign_in_is_unavailable_not_refused() {
    let app = oidc_app(&format!("http://127.0.0.1:{}/jwks.json", common::closed_port())).await;
    let token = sign(Algorithm::RS256, Some("test-rsa-1"), &rsa_key(), &provider_claims());

    let response = app.with_token(&token).me().await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(error.code, ErrorCode::IdentityProviderUnavailable);
    assert!(error.message.starts_with("cannot check sign-in right now"), "{}", error.message);
    assert_eq!(app.products().await.status(), StatusCode::OK, "anonymous reads do not need the provider");
}

#[tokio::test]
async fn a_key_set_endpoint_answering_an_error_makes_sign_in_unavailable() {
    let router = axum::Router::new().route("/jwks.json", get(|| async { (StatusCode::BAD_GATEWAY, "upstream down") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let app = oidc_app(&url).await;
    let token = sign(Algorithm::RS256, Some("test-rsa-1"), &rsa_key(), &provider_claims());

    let message = refused(
        app.with_token(&token).me().await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::IdentityProviderUnavailable,
    )
    .await;

    assert!(message.contains("answered 502 Bad Gateway"), "{message}");
}

/// An identity provider's discovery document at its own address, counting how often it is read.
struct Discovery {
    issuer: String,
    reads: Arc<AtomicUsize>,
}

impl Discovery {
    async fn spawn(names_itself: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let reads = Arc::new(AtomicUsize::new(0));
        let (count, named) =
            (reads.clone(), if names_itself { issuer.clone() } else { "https://elsewhere.example".into() });
        let base = issuer.clone();
        let router = axum::Router::new().route(
            "/.well-known/openid-configuration",
            get(move || async move {
                count.fetch_add(1, Ordering::SeqCst);
                Json(json!({
                    "issuer": named,
                    "authorization_endpoint": format!("{base}/auth"),
                    "token_endpoint": format!("{base}/token"),
                    "end_session_endpoint": format!("{base}/logout"),
                    "jwks_uri": format!("{base}/jwks"),
                }))
            }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { issuer, reads }
    }

    async fn app(&self, client_id: Option<&str>) -> TestApp {
        let mut vars = vec![
            ("MESHPORT_OIDC_ISSUER", self.issuer.clone()),
            ("MESHPORT_OIDC_AUDIENCE", "meshport-portal".into()),
            ("MESHPORT_OIDC_JWKS_URL", format!("{}/jwks", self.issuer)),
            ("MESHPORT_OIDC_SCOPE", "openid profile groups".into()),
            (ALLOW_HTTP.0, ALLOW_HTTP.1.into()),
        ];
        if let Some(client_id) = client_id {
            vars.push(("MESHPORT_OIDC_CLIENT_ID", client_id.into()));
        }
        TestApp::spawn(&vars).await
    }
}

#[tokio::test]
async fn sign_in_options_offer_the_demo_people_in_dev_mode_only() {
    let options: SignInOptions = dev_app().await.sign_in_options().await.json().await.unwrap();

    assert_eq!(options, SignInOptions { dev: true, organisation: None });
}

#[tokio::test]
async fn sign_in_options_send_people_to_the_providers_discovered_endpoints_read_once() {
    let provider = Discovery::spawn(true).await;
    let app = provider.app(Some("meshport-portal")).await;

    let first: SignInOptions = app.sign_in_options().await.json().await.unwrap();
    let second: SignInOptions = app.sign_in_options().await.json().await.unwrap();

    let expected = OrganisationSignIn {
        issuer: provider.issuer.clone(),
        client_id: "meshport-portal".into(),
        scope: "openid profile groups".into(),
        authorization_endpoint: format!("{}/auth", provider.issuer),
        token_endpoint: format!("{}/token", provider.issuer),
        end_session_endpoint: Some(format!("{}/logout", provider.issuer)),
    };
    assert_eq!(first, SignInOptions { dev: false, organisation: Some(expected) });
    assert_eq!(second, first);
    assert_eq!(provider.reads.load(Ordering::SeqCst), 1, "the endpoints are kept, not read per page");
}

#[tokio::test]
async fn without_a_portal_client_the_provider_is_not_offered_nor_asked() {
    let provider = Discovery::spawn(true).await;
    let app = provider.app(None).await;

    let options: SignInOptions = app.sign_in_options().await.json().await.unwrap();

    assert_eq!(options, SignInOptions { dev: false, organisation: None });
    assert_eq!(provider.reads.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_discovery_document_of_another_issuer_or_no_provider_at_all_is_unavailable_not_a_500() {
    let impostor = Discovery::spawn(false).await;
    let app = impostor.app(Some("meshport-portal")).await;
    let message =
        refused(app.sign_in_options().await, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::IdentityProviderUnavailable)
            .await;
    assert!(message.contains("names the issuer `https://elsewhere.example`"), "{message}");
    // Right after a failure the provider is left alone: the next visitor gets the same answer at once.
    let again =
        refused(app.sign_in_options().await, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::IdentityProviderUnavailable)
            .await;
    assert_eq!(again, message);
    assert_eq!(impostor.reads.load(Ordering::SeqCst), 1);

    let gone = Discovery::spawn(true).await;
    let app = gone.app(Some("meshport-portal")).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let unreachable = TestApp::spawn(&[
        ("MESHPORT_OIDC_ISSUER", closed.clone()),
        ("MESHPORT_OIDC_AUDIENCE", "meshport-portal".into()),
        ("MESHPORT_OIDC_JWKS_URL", format!("{closed}/jwks")),
        ("MESHPORT_OIDC_CLIENT_ID", "meshport-portal".into()),
        (ALLOW_HTTP.0, ALLOW_HTTP.1.into()),
    ])
    .await;
    let message = refused(
        unreachable.sign_in_options().await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::IdentityProviderUnavailable,
    )
    .await;
    assert!(message.contains("cannot reach"), "{message}");
    assert_eq!(app.sign_in_options().await.status(), StatusCode::OK, "another server's provider is unaffected");
}

#[tokio::test]
async fn portal_pages_may_fetch_from_the_identity_providers_token_endpoint_besides_the_api() {
    let provider = Discovery::spawn(true).await;
    let portal = tempfile::tempdir().unwrap();
    std::fs::write(portal.path().join("index.html"), "<html><head></head><body></body></html>").unwrap();
    let app = TestApp::spawn(&[
        ("MESHPORT_OIDC_ISSUER", provider.issuer.clone()),
        ("MESHPORT_OIDC_AUDIENCE", "meshport-portal".into()),
        ("MESHPORT_OIDC_JWKS_URL", format!("{}/jwks", provider.issuer)),
        ("MESHPORT_OIDC_CLIENT_ID", "meshport-portal".into()),
        (ALLOW_HTTP.0, ALLOW_HTTP.1.into()),
        ("MESHPORT_STATIC_DIR", portal.path().display().to_string()),
    ])
    .await;

    // The sign-in page reads where to sign in, then the provider sends people back to a page of the portal.
    let _: SignInOptions = app.sign_in_options().await.json().await.unwrap();
    let page = app.get("/").await;

    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains(&format!("connect-src 'self' {};", provider.issuer)), "{policy}");
}
