//! Sign-off on breaking changes: a breaking change asked as a new major version of a product that teams consume
//! waits for them; an objection blocks it, the approval of every subscriber (or the grace period) makes it; the
//! owners withdraw it; a product without subscribers, or a compatible change, goes straight through.

use meshport_api::catalog::CatalogStore;
use meshport_api::notify::audience;
use meshport_shared::api::{DevToken, DevTokenRequest, EvolveRequest, EvolveResponse};
use meshport_shared::events::EventKind;
use meshport_shared::policy::{date_of, day_number};
use meshport_shared::proposals::{ChangeProposal, ProposalDecision, ProposalState};
use meshport_shared::{AuditAction, DataProduct, ProductId, ProductStatus, SchemaFormat, TeamName, TopicName};
use reqwest::StatusCode;

use crate::common::{self, Answer, TestApp, Who, unique};

const ORDER_V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
/// Adds a field without a default: breaks backward compatibility.
const ORDER_BREAKING: &str =
    r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"channel","type":"string"}]}"#;
/// Adds a field with a default: compatible.
const ORDER_COMPATIBLE: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"channel","type":"string","default":"web"}]}"#;

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await
}

/// A published product of `trading`'s on a new topic, consumed (an active grant) by each of `subscribers`.
async fn consumed_by(app: &TestApp, subscribers: &[&str]) -> DataProduct {
    let topic = TopicName::parse(unique("orders")).unwrap();
    let spec = meshport_api::kafka::NewTopic {
        name: topic.clone(),
        partitions: 1,
        replication_factor: 1,
        configs: Default::default(),
    };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
    app.state.mesh.registry.register(&format!("{topic}-value"), ORDER_V1, SchemaFormat::Avro).await.unwrap();
    let product: DataProduct =
        app.as_(Who::Owner).publish(&common::product(topic.as_str(), "execution")).await.ok().await;
    for team in subscribers {
        let grant = meshport_shared::access::AccessRequest {
            id: unique(&format!("grant-{team}")),
            ..meshport_shared::testing::grant(&product, team)
        };
        let entry = meshport_api::audit::entry("test", &product.id, AuditAction::Access, "granted", None, None);
        app.state.mesh.catalog.put_access(grant, None, entry).await.unwrap();
    }
    product
}

fn new_major(product: &DataProduct, schema: &str) -> EvolveRequest {
    EvolveRequest { schema: schema.into(), dry_run: false, new_major_version: true, revision: product.revision }
}

fn decision(team: Option<&str>, reason: Option<&str>, revision: u64) -> ProposalDecision {
    ProposalDecision { team: team.map(|t| TeamName::parse(t).unwrap()), reason: reason.map(str::to_owned), revision }
}

/// Proposes `product`'s breaking change: the answer must be 202 with an open proposal.
async fn propose(app: &TestApp, product: &DataProduct) -> ChangeProposal {
    let response = app.as_(Who::Owner).evolve(&product.id, &new_major(product, ORDER_BREAKING)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let answer: EvolveResponse = response.ok().await;
    assert!(!answer.compatible);
    assert_eq!(answer.new_product, None, "nothing made yet");
    answer.proposal.expect("a change proposal")
}

/// `dave`, a member of `insights`, signed in.
async fn insights_token(app: &TestApp) -> String {
    let request =
        DevTokenRequest { user: "dave".into(), teams: vec![TeamName::parse("insights").unwrap()], admin: false };
    app.dev_token(&request).await.ok::<DevToken>().await.token
}

fn successor_of(product: &DataProduct) -> ProductId {
    ProductId::parse(format!("{}.v2", product.id)).unwrap()
}

/// The teams told of the catalog's events of `kind` about `product`.
async fn told(app: &TestApp, kind: EventKind, product: &DataProduct) -> Vec<Vec<String>> {
    let catalog: &dyn CatalogStore = &*app.state.mesh.catalog;
    let mut teams = Vec::new();
    for event in catalog.events_after(0, 1000).await.unwrap() {
        if event.kind == kind && event.subject == product.id.as_str() {
            teams.push(audience(catalog, &event).await.unwrap().into_iter().map(|t| t.to_string()).collect());
        }
    }
    teams
}

async fn stored(app: &TestApp, id: &ProductId) -> Option<DataProduct> {
    app.state.mesh.catalog.get_product(id).await.unwrap()
}

#[tokio::test]
async fn a_breaking_change_with_subscribers_waits_for_their_sign_off() {
    // Arrange
    let app = spawn().await;
    let orders = consumed_by(&app, &["edge"]).await;

    // Act
    let proposal = propose(&app, &orders).await;

    // Assert: nothing changed on the cluster, the registry or the catalog; the subscribers are asked.
    assert_eq!(proposal.state, ProposalState::Open);
    assert_eq!(proposal.subscribers, [TeamName::parse("edge").unwrap()]);
    assert!(!proposal.breaking.is_empty(), "the breaking changes in words");
    let successor_topic = TopicName::parse(format!("{}.v2", orders.output_port.topic)).unwrap();
    assert!(app.state.mesh.kafka.topic(&successor_topic).await.unwrap().is_none(), "no new topic yet");
    assert!(stored(&app, &successor_of(&orders)).await.is_none(), "no new product yet");
    assert_eq!(stored(&app, &orders.id).await.unwrap().status, ProductStatus::Active);
    assert_eq!(told(&app, EventKind::ChangeProposed, &orders).await, [["edge"]]);
    let mine: Vec<ChangeProposal> = app.as_(Who::OtherTeam).my_proposals().await.ok().await;
    assert_eq!(mine.iter().map(|p| &p.id).collect::<Vec<_>>(), [&proposal.id], "in the subscriber's list");
    let history = app.state.mesh.catalog.product_history(&orders.id, 50).await.unwrap();
    assert!(history.iter().any(|e| e.action == AuditAction::SignOff), "the proposal is audited");
    let again = app.as_(Who::Owner).evolve(&orders.id, &new_major(&orders, ORDER_BREAKING)).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "one proposal waits at a time");
}

#[tokio::test]
async fn an_objection_blocks_the_change_and_tells_the_owners() {
    // Arrange
    let app = spawn().await;
    let orders = consumed_by(&app, &["edge"]).await;
    let proposal = propose(&app, &orders).await;
    let edge = app.as_(Who::OtherTeam);

    // Act
    let without_reason = edge.decide_proposal(&proposal.id, "object", &decision(None, None, proposal.revision)).await;
    let objected: ChangeProposal = edge
        .decide_proposal(
            &proposal.id,
            "object",
            &decision(Some("edge"), Some("our fraud model reads it"), proposal.revision),
        )
        .await
        .ok()
        .await;

    // Assert
    let (status, error) = without_reason.error().await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error:?}");
    assert_eq!(objected.state, ProposalState::Objected);
    assert_eq!(objected.votes[0].reason.as_deref(), Some("our fraud model reads it"));
    assert_eq!(told(&app, EventKind::ChangeObjected, &orders).await, [["trading"]]);
    let approve = edge.decide_proposal(&proposal.id, "approve", &decision(None, None, objected.revision)).await;
    assert_eq!(approve.status(), StatusCode::CONFLICT, "blocked: no more votes");
    let far = date_of(day_number(&meshport_api::access::today()).unwrap() + 365);
    assert!(
        meshport_api::proposals::apply_due(&app.state.mesh, &far).await.unwrap().is_empty(),
        "no grace for an objection"
    );
    assert!(stored(&app, &successor_of(&orders)).await.is_none());
}

#[tokio::test]
async fn the_approval_of_every_subscriber_makes_the_new_major_version() {
    // Arrange: `edge` and `insights` consume the product.
    let app = spawn().await;
    let orders = consumed_by(&app, &["edge", "insights"]).await;
    let proposal = propose(&app, &orders).await;
    let token = insights_token(&app).await;

    // Act
    let first: ChangeProposal = app
        .as_(Who::OtherTeam)
        .decide_proposal(&proposal.id, "approve", &decision(None, None, proposal.revision))
        .await
        .ok()
        .await;
    let waiting = stored(&app, &successor_of(&orders)).await;
    let last: ChangeProposal = app
        .with_token(&token)
        .decide_proposal(&proposal.id, "approve", &decision(None, None, first.revision))
        .await
        .ok()
        .await;

    // Assert
    assert_eq!(first.state, ProposalState::Open);
    assert!(waiting.is_none(), "one approval of two makes nothing");
    assert_eq!(last.state, ProposalState::Applied);
    assert_eq!(last.new_product.as_ref(), Some(&successor_of(&orders)));
    let successor = stored(&app, &successor_of(&orders)).await.expect("the new major version");
    assert_eq!(successor.version, "2.0.0");
    assert_eq!(successor.owner.team, orders.owner.team);
    let old = stored(&app, &orders.id).await.unwrap();
    assert_eq!(old.status, ProductStatus::Deprecated);
    assert_eq!(old.deprecation.unwrap().replacement, Some(successor.id.clone()));
    assert_eq!(told(&app, EventKind::NewMajorVersion, &orders).await, [["edge", "insights"]], "subscribers told");
    let listed: Vec<ChangeProposal> = app.as_(Who::Owner).product_proposals(&orders.id).await.ok().await;
    assert_eq!(listed[0].state, ProposalState::Applied);
}

#[tokio::test]
async fn only_a_subscribing_team_votes_once_for_itself_and_only_the_owners_withdraw() {
    // Arrange
    let app = spawn().await;
    let orders = consumed_by(&app, &["edge", "insights"]).await;
    let proposal = propose(&app, &orders).await;
    let edge = app.as_(Who::OtherTeam);
    let owner = app.as_(Who::Owner);
    let revision = proposal.revision;

    // Act / Assert: the owners are no subscriber; edge votes for neither trading nor insights; once only.
    let by_owner = owner.decide_proposal(&proposal.id, "approve", &decision(Some("trading"), None, revision)).await;
    assert_eq!(by_owner.status(), StatusCode::FORBIDDEN);
    let for_other = edge.decide_proposal(&proposal.id, "approve", &decision(Some("insights"), None, revision)).await;
    assert_eq!(for_other.status(), StatusCode::FORBIDDEN);
    let voted: ChangeProposal =
        edge.decide_proposal(&proposal.id, "approve", &decision(None, None, revision)).await.ok().await;
    let twice = edge.decide_proposal(&proposal.id, "approve", &decision(None, None, voted.revision)).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    let stale = edge.decide_proposal(&proposal.id, "withdraw", &decision(None, None, voted.revision)).await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN, "a subscriber does not withdraw");

    let withdrawn: ChangeProposal =
        owner.decide_proposal(&proposal.id, "withdraw", &decision(None, None, voted.revision)).await.ok().await;
    assert_eq!(withdrawn.state, ProposalState::Withdrawn);
    assert_eq!(told(&app, EventKind::ChangeWithdrawn, &orders).await, [["edge", "insights"]]);
    let token = insights_token(&app).await;
    let after = app
        .with_token(&token)
        .decide_proposal(&proposal.id, "approve", &decision(None, None, withdrawn.revision))
        .await;
    assert_eq!(after.status(), StatusCode::CONFLICT);
    assert!(stored(&app, &successor_of(&orders)).await.is_none());
    // Withdrawn, the owners may propose again.
    let orders = stored(&app, &orders.id).await.unwrap();
    propose(&app, &orders).await;
}

#[tokio::test]
async fn the_grace_period_approves_a_change_nobody_objected_to() {
    // Arrange: the demo policy allows 14 days.
    let app = spawn().await;
    assert_eq!(app.state.mesh.policy.sign_off.grace_days, Some(14));
    let orders = consumed_by(&app, &["edge"]).await;
    let proposal = propose(&app, &orders).await;
    let today = day_number(&meshport_api::access::today()).unwrap();

    // Act
    let before = meshport_api::proposals::apply_due(&app.state.mesh, &date_of(today + 13)).await.unwrap();
    let due = meshport_api::proposals::apply_due(&app.state.mesh, &date_of(today + 14)).await.unwrap();

    // Assert
    assert!(before.is_empty(), "not before the grace period ends");
    assert_eq!(due, [proposal.id]);
    assert!(stored(&app, &successor_of(&orders)).await.is_some());
    let listed: Vec<ChangeProposal> = app.as_(Who::Owner).product_proposals(&orders.id).await.ok().await;
    assert_eq!(listed[0].state, ProposalState::Applied);
}

#[tokio::test]
async fn a_compatible_change_or_a_product_nobody_consumes_goes_straight_through() {
    // Arrange
    let app = spawn().await;
    let consumed = consumed_by(&app, &["edge"]).await;
    let unconsumed = consumed_by(&app, &[]).await;
    let compatible = EvolveRequest { new_major_version: false, ..new_major(&consumed, ORDER_COMPATIBLE) };

    // Act
    let evolved = app.as_(Who::Owner).evolve(&consumed.id, &compatible).await;
    let major = app.as_(Who::Owner).evolve(&unconsumed.id, &new_major(&unconsumed, ORDER_BREAKING)).await;

    // Assert
    assert_eq!(evolved.status(), StatusCode::OK);
    let evolved: EvolveResponse = evolved.ok().await;
    assert!(evolved.registered_version.is_some() && evolved.proposal.is_none());
    assert_eq!(major.status(), StatusCode::OK);
    let major: EvolveResponse = major.ok().await;
    assert_eq!(major.new_product, Some(successor_of(&unconsumed)));
    assert!(major.proposal.is_none());
}
