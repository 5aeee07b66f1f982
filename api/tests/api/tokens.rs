//! API tokens end to end: a team creates one (its secret shown once), its machines call the API with it as the
//! token's own identity, its use is listed and audited under its name, and once revoked or expired it is refused
//! with a stable code; a read token changes nothing, and a token acts for its own team only.

use crate::common;

use meshport_api::auth::tokens::mint;
use meshport_api::catalog::StoredToken;
use meshport_shared::api::Identity;
use meshport_shared::events::ChannelSettings;
use meshport_shared::tokens::{ApiToken, Scope, TokenAnswer, TokenDraft, TokenName};
use meshport_shared::{AuditEntry, DataProduct, ErrorCode, TeamName};
use reqwest::{Method, Response, StatusCode};

use common::{Answer, Client, TestApp, Who, product, unique};

async fn spawn() -> TestApp {
    // Reads need a token here, so a read that succeeds proves the token signed the caller in.
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_PUBLIC_READS", "false".into())]).await
}

/// `POST /api/v1/teams/{team}/tokens`.
async fn create(client: &Client<'_>, team: &str, name: &str, scope: Scope) -> Response {
    let draft = TokenDraft { name: TokenName::parse(name).unwrap(), scope, expires_in_days: None };
    let path = format!("/api/v1/teams/{team}/tokens");
    client.request(Method::POST, &path).await.json(&draft).send().await.unwrap()
}

/// `GET /api/v1/teams/{team}/tokens`.
async fn list(client: &Client<'_>, team: &str) -> Response {
    client.get(&format!("/api/v1/teams/{team}/tokens")).await
}

/// `DELETE /api/v1/teams/{team}/tokens/{id}`.
async fn revoke(client: &Client<'_>, team: &str, id: &str) -> Response {
    client.request(Method::DELETE, &format!("/api/v1/teams/{team}/tokens/{id}")).await.send().await.unwrap()
}

/// A token of `trading` created by its member carol.
async fn token_of_trading(app: &TestApp, name: &str, scope: Scope) -> TokenAnswer {
    create(&app.as_(Who::Owner), "trading", name, scope).await.ok().await
}

/// A product of `trading`, stored.
async fn seeded(app: &TestApp) -> DataProduct {
    app.seed(product(&unique("fills"), "execution")).await
}

async fn refused(response: Response, status: StatusCode, code: ErrorCode) -> String {
    let (actual, error) = response.error().await;
    assert_eq!((actual, error.code), (status, code), "{}", error.message);
    error.message
}

#[tokio::test]
async fn a_team_token_reads_and_changes_as_itself_is_listed_with_its_last_use_and_is_refused_once_revoked() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let answer = token_of_trading(&app, "ci-deploy", Scope::Change).await;
    let machine = app.with_token(&answer.secret);
    let fills = seeded(&app).await;

    let me: Identity = machine.me().await.ok().await;
    let read: serde_json::Value = machine.product(&fills.id).await.ok().await;
    let mut changed = fills.clone();
    changed.name = "Fills, as CI wrote them".into();
    let updated: DataProduct = machine.update(&changed).await.ok().await;
    let listed: Vec<ApiToken> = list(&owner, "trading").await.ok().await;

    assert!(answer.secret.starts_with(&format!("mpt_{}_", answer.token.id)), "{}", answer.secret);
    assert_eq!(
        me,
        Identity {
            subject: "token:trading/ci-deploy".into(),
            name: "token:trading/ci-deploy".into(),
            teams: vec![TeamName::parse("trading").unwrap()],
            admin: false,
            scope: Scope::Change,
        }
    );
    assert_eq!(read["product"]["id"], fills.id.as_str());
    assert_eq!(updated.name, "Fills, as CI wrote them");
    let [token] = listed.as_slice() else { panic!("one token: {listed:?}") };
    assert_eq!(
        (token.id.as_str(), token.name.as_str(), token.scope),
        (answer.token.id.as_str(), "ci-deploy", Scope::Change)
    );
    assert_eq!(token.created_by, "dev:carol");
    assert!(token.last_used_at.is_some(), "its use is listed: {token:?}");

    let revoked: ApiToken = revoke(&owner, "trading", &answer.token.id).await.ok().await;

    assert_eq!(revoked.revoked_by.as_deref(), Some("dev:carol"));
    let message = refused(machine.me().await, StatusCode::UNAUTHORIZED, ErrorCode::TokenRevoked).await;
    assert!(message.contains("`ci-deploy` of team `trading` was revoked"), "{message}");
    refused(machine.update(&updated).await, StatusCode::UNAUTHORIZED, ErrorCode::TokenRevoked).await;
    let again: ApiToken = revoke(&owner, "trading", &answer.token.id).await.ok().await;
    assert_eq!(again, revoked, "revoking twice changes nothing");
}

#[tokio::test]
async fn a_changes_audit_entries_name_the_token_and_the_tokens_own_changes_are_audited() {
    let app = spawn().await;
    let answer = token_of_trading(&app, "ci", Scope::Change).await;
    let machine = app.with_token(&answer.secret);
    let fills = seeded(&app).await;
    let mut changed = fills.clone();
    changed.name = "Fills v2".into();

    let _: DataProduct = machine.update(&changed).await.ok().await;
    let _: ApiToken = revoke(&app.as_(Who::Owner), "trading", &answer.token.id).await.ok().await;

    let history: Vec<AuditEntry> = app.state.mesh.catalog.product_history(&fills.id, 5).await.unwrap();
    assert_eq!(history[0].actor, "token:trading/ci", "{history:?}");
    let trail = app.as_(Who::Owner).history("api-tokens.trading").await.text().await.unwrap();
    assert!(trail.contains("created API token `ci` (change"), "{trail}");
    assert!(trail.contains("revoked API token `ci`"), "{trail}");
    assert!(trail.contains("dev:carol"), "{trail}");
}

#[tokio::test]
async fn a_tokens_secret_is_shown_once_and_never_listed_stored_or_audited() {
    let app = spawn().await;
    let answer = token_of_trading(&app, "ci", Scope::Read).await;
    let secret_part = answer.secret.rsplit('_').next().unwrap().to_owned();

    let listing = list(&app.as_(Who::Owner), "trading").await.text().await.unwrap();
    let stored = app.state.mesh.catalog.get_token(&answer.token.id).await.unwrap().unwrap();
    let trail = app.state.mesh.catalog.product_history(&"api-tokens.trading".parse().unwrap(), 10).await.unwrap();

    assert!(listing.contains(&answer.token.id), "{listing}");
    assert!(!listing.contains(&secret_part), "the secret is listed: {listing}");
    assert!(!listing.contains(&stored.hash), "the hash is listed: {listing}");
    let stored_text = serde_json::to_string(&stored).unwrap();
    assert!(!stored_text.contains(&secret_part), "the secret is stored: {stored_text}");
    assert!(!format!("{trail:?}").contains(&secret_part), "the secret is audited");
}

#[tokio::test]
async fn a_read_token_changes_nothing_and_a_change_token_nothing_of_another_team() {
    let app = spawn().await;
    let reader = token_of_trading(&app, "ci-read", Scope::Read).await;
    let writer = token_of_trading(&app, "ci-write", Scope::Change).await;
    let (reader, writer) = (app.with_token(&reader.secret), app.with_token(&writer.secret));
    let fills = seeded(&app).await;
    let users = app.seed(product(&unique("users"), "membership")).await; // team `accounts`'
    let mut changed = fills.clone();
    changed.name = "Renamed".into();

    let read: serde_json::Value = reader.product(&fills.id).await.ok().await;
    assert_eq!(read["product"]["id"], fills.id.as_str());
    let message = refused(reader.update(&changed).await, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert!(message.contains("`token:trading/ci-read` may only read"), "{message}");
    refused(
        reader.set_channels("trading", &ChannelSettings::default()).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    refused(create(&reader, "trading", "more", Scope::Change).await, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    refused(reader.sync().await, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert_eq!(app.state.mesh.catalog.get_product(&fills.id).await.unwrap().unwrap().name, fills.name);

    let mut theirs = users.clone();
    theirs.name = "Not yours".into();
    let message = refused(writer.update(&theirs).await, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert!(message.contains("only members of team `accounts`"), "{message}");
    refused(
        writer.set_channels("accounts", &ChannelSettings::default()).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    refused(list(&writer, "accounts").await, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let message =
        refused(create(&writer, "trading", "more", Scope::Change).await, StatusCode::FORBIDDEN, ErrorCode::Forbidden)
            .await;
    assert!(message.contains("an API token cannot create API tokens"), "{message}");
}

#[tokio::test]
async fn an_expired_token_is_refused_with_token_expired() {
    let app = spawn().await;
    let minted = mint();
    let token = ApiToken {
        id: minted.id.clone(),
        team: TeamName::parse("trading").unwrap(),
        name: TokenName::parse("old-ci").unwrap(),
        scope: Scope::Read,
        created_by: "dev:carol".into(),
        created_at: "2025-01-01T00:00:00Z".into(),
        expires_at: "2025-04-01T00:00:00Z".into(),
        last_used_at: None,
        revoked_at: None,
        revoked_by: None,
    };
    let entry = meshport_api::audit::entry(
        "dev:carol",
        &"api-tokens.trading".parse().unwrap(),
        meshport_shared::AuditAction::Access,
        "a test token",
        None,
        None,
    );
    app.state.mesh.catalog.put_token(StoredToken { token, hash: minted.hash, revision: 0 }, None, entry).await.unwrap();

    let message =
        refused(app.with_token(&minted.secret).me().await, StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired).await;

    assert!(message.contains("`old-ci` of team `trading` expired at 2025-04-01T00:00:00Z"), "{message}");
    let stored = app.state.mesh.catalog.get_token(&minted.id).await.unwrap().unwrap();
    assert_eq!(stored.token.last_used_at, None, "a refused call is no use");
}

#[tokio::test]
async fn a_malformed_unknown_or_forged_token_is_unauthorized_not_an_error() {
    let app = spawn().await;
    let real = token_of_trading(&app, "ci", Scope::Change).await.secret;
    let forged = format!("{}{}", &real[..real.len() - 1], if real.ends_with('0') { '1' } else { '0' });
    let unknown = mint().secret;

    for token in ["mpt_", "mpt_not-a-token", "mpt_0123_4567", &format!("{real}0"), &forged, &unknown] {
        let message =
            refused(app.with_token(token).me().await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
        assert!(message.contains("API token"), "{token}: {message}");
        assert!(!message.contains(&real[21..]), "the secret is never echoed: {message}");
    }
}

#[tokio::test]
async fn token_names_are_unique_among_a_teams_tokens_in_force_and_lifetimes_are_bounded() {
    let app = spawn().await;
    let owner = app.as_(Who::Owner);
    let first = token_of_trading(&app, "ci", Scope::Read).await;

    let (status, error) = create(&owner, "trading", "ci", Scope::Change).await.error().await;
    assert_eq!((status, error.code), (StatusCode::CONFLICT, ErrorCode::Conflict), "{}", error.message);
    let _: ApiToken = revoke(&owner, "trading", &first.token.id).await.ok().await;
    let second = token_of_trading(&app, "ci", Scope::Change).await;
    assert_ne!(second.token.id, first.token.id);

    let too_long = serde_json::json!({ "name": "yearly", "scope": "read", "expires_in_days": 366 });
    let response =
        owner.request(Method::POST, "/api/v1/teams/trading/tokens").await.json(&too_long).send().await.unwrap();
    let message = refused(response, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    assert!(message.contains("1 to 365 days, not 366"), "{message}");
    let default: TokenAnswer = create(&owner, "trading", "default", Scope::Read).await.ok().await;
    let (created, expires): (jiff::Timestamp, jiff::Timestamp) =
        (default.token.created_at.parse().unwrap(), default.token.expires_at.parse().unwrap());
    assert_eq!(expires.duration_since(created), jiff::SignedDuration::from_hours(90 * 24));

    refused(list(&app.as_(Who::OtherTeam), "trading").await, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    refused(
        revoke(&app.as_(Who::OtherTeam), "trading", &second.token.id).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    refused(revoke(&owner, "edge", &second.token.id).await, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let admin_listed: Vec<ApiToken> = list(&app.as_(Who::Admin), "trading").await.ok().await;
    assert_eq!(admin_listed.len(), 3);
}
