//! Self-serve access end to end: a team asks, the owners decide, and the grant is enforced by the real broker's
//! authorizer (SASL/SCRAM, StandardAuthorizer): a consumer principal is refused before approval, reads after it,
//! and is refused again after revocation and after expiry.

use crate::common;

use std::time::Duration;

use meshport_api::kafka::{NewTopic, PatternType};
use meshport_shared::access::{
    AccessDecision, AccessRequest, AccessRequestDraft, AccessState, GroupPattern, ProductConsumers, RetirementPreview,
    UnmanagedBinding,
};
use meshport_shared::api::{EvolveRequest, EvolveResponse};
use meshport_shared::{
    DataProduct, GroupName, Principal, ProductStatus, SchemaFormat, TeamName, TopicFacts, TopicName, ViolationCode,
};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use reqwest::StatusCode;

use common::{Answer, TestApp, Who, product, unique};

const SCHEMA: &str = r#"{"type":"record","name":"Fill","fields":[{"name":"id","type":"string"}]}"#;

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await
}

/// A product of `trading` on a fresh topic holding one record.
async fn product_with_a_record(app: &TestApp) -> DataProduct {
    let topic = TopicName::parse(unique("fills")).unwrap();
    let spec = NewTopic { name: topic.clone(), partitions: 1, replication_factor: 1, configs: Default::default() };
    app.state.mesh.kafka.create_topic(&spec).await.unwrap();
    app.state.mesh.registry.register(&format!("{topic}-value"), SCHEMA, SchemaFormat::Avro).await.unwrap();
    app.state.mesh.kafka.produce(&topic, Some(b"k"), b"a record").await.unwrap();
    app.as_(Who::Owner).publish(&product(topic.as_str(), "execution")).await.ok().await
}

/// `edge` asks to read as `svc-fraud` with its own group, for `until`.
fn draft(group: &str, until: Option<String>) -> AccessRequestDraft {
    AccessRequestDraft {
        team: TeamName::parse("edge").unwrap(),
        purpose: "Scoring fills for fraud".into(),
        principals: vec![Principal::parse("User:svc-fraud").unwrap()],
        group: GroupName::parse(group).unwrap(),
        group_pattern: GroupPattern::Literal,
        until,
    }
}

fn in_days(days: i64) -> String {
    let today = meshport_api::access::today();
    meshport_shared::policy::date_of(meshport_shared::policy::day_number(&today).unwrap() + days)
}

fn decision(request: &AccessRequest, reason: Option<&str>) -> AccessDecision {
    AccessDecision { revision: request.revision, reason: reason.map(str::to_owned) }
}

/// What `svc-fraud` gets when it reads `topic` from the start with `group` on the secured listener: the first
/// record, or the error the broker answered.
fn read_as_svc_fraud(topic: &str, group: &str) -> Result<Vec<u8>, KafkaError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", common::kafka_sasl_bootstrap())
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "SCRAM-SHA-512")
        .set("sasl.username", "svc-fraud")
        .set("sasl.password", "svc-fraud-secret")
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => return Ok(rdkafka::Message::payload(&message).unwrap_or_default().to_vec()),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    Err(KafkaError::MessageConsumption(RDKafkaErrorCode::OperationTimedOut))
}

/// Whether `svc-fraud` is refused reading `topic` as the authorizer sees it now. A grant or revocation takes a
/// moment to reach the broker's authorizer, so this asks until the answer is `expected` (bounded).
async fn eventually_refused(topic: &str, group: &str, expected: bool) -> bool {
    let mut refused = !expected;
    for _ in 0..20 {
        let (topic, group) = (topic.to_owned(), group.to_owned());
        let outcome = tokio::task::spawn_blocking(move || read_as_svc_fraud(&topic, &group)).await.unwrap();
        refused = matches!(
            outcome,
            Err(KafkaError::MessageConsumption(
                RDKafkaErrorCode::TopicAuthorizationFailed | RDKafkaErrorCode::GroupAuthorizationFailed
            ))
        );
        if refused == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    refused
}

#[tokio::test]
async fn a_consumer_reads_only_between_approval_and_revocation() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let topic = product.output_port.topic.to_string();
    let group = unique("fraud-scoring");
    assert!(eventually_refused(&topic, &group, true).await, "refused before anyone asked");

    let requested: AccessRequest =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&group, Some(in_days(30)))).await.ok().await;
    let (self_approval, _) = app
        .as_(Who::OtherTeam)
        .decide_access(&requested.id, "approve", &decision(&requested, None))
        .await
        .error()
        .await;
    assert!(eventually_refused(&topic, &group, true).await, "still refused while requested");
    let active: AccessRequest =
        app.as_(Who::Owner).decide_access(&requested.id, "approve", &decision(&requested, None)).await.ok().await;
    let reads = eventually_refused(&topic, &group, false).await;
    let sample = app.as_(Who::OtherTeam).sample(&product.id, 1).await.status();
    let revoked: AccessRequest = app
        .as_(Who::Owner)
        .decide_access(&active.id, "revoke", &decision(&active, Some("the purpose ended")))
        .await
        .ok()
        .await;

    assert_eq!(requested.state, AccessState::Requested);
    assert_eq!(self_approval, StatusCode::FORBIDDEN, "the requesting team never approves its own request");
    assert_eq!(active.state, AccessState::Active, "{active:?}");
    assert!(!reads, "svc-fraud reads once the grant is active");
    assert_eq!(sample, StatusCode::OK, "and the team sees the product's samples");
    assert_eq!(revoked.state, AccessState::Revoked);
    assert!(eventually_refused(&topic, &group, true).await, "refused again after revocation");
    let history = app.state.mesh.catalog.product_history(&product.id, 20).await.unwrap();
    let access: Vec<&str> =
        history.iter().filter(|e| e.action.as_str() == "access").map(|e| e.summary.as_str()).collect();
    assert_eq!(access.len(), 4, "asked, approved, granted, revoked: {access:?}");
}

#[tokio::test]
async fn a_grant_past_its_end_date_expires_and_its_acls_go() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let (topic, group) = (product.output_port.topic.to_string(), unique("fraud-expiring"));
    let requested: AccessRequest =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&group, Some(in_days(0)))).await.ok().await;
    app.as_(Who::Owner)
        .decide_access(&requested.id, "approve", &decision(&requested, None))
        .await
        .ok::<AccessRequest>()
        .await;
    assert!(!eventually_refused(&topic, &group, false).await, "reads on its last day");

    let today = meshport_api::access::expire_due(&app.state.mesh, &in_days(0)).await.unwrap();
    let tomorrow = meshport_api::access::expire_due(&app.state.mesh, &in_days(1)).await.unwrap();

    assert!(today.is_empty(), "the last day is still granted");
    assert_eq!(tomorrow, std::slice::from_ref(&requested.id));
    let stored = app.state.mesh.catalog.get_access(&requested.id).await.unwrap().unwrap();
    assert_eq!(stored.state, AccessState::Expired);
    assert!(eventually_refused(&topic, &group, true).await, "refused after expiry");
}

#[tokio::test]
async fn every_refused_transition_says_why_and_changes_nothing() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let asked: AccessRequest =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&unique("g"), Some(in_days(7)))).await.ok().await;
    let owner = app.as_(Who::Owner);

    let (no_reason, no_reason_error) =
        owner.decide_access(&asked.id, "deny", &decision(&asked, None)).await.error().await;
    let (stale, _) =
        owner.decide_access(&asked.id, "approve", &AccessDecision { revision: 9, reason: None }).await.error().await;
    let (owners_cancel, _) = owner.decide_access(&asked.id, "cancel", &decision(&asked, None)).await.error().await;
    let (revoke_requested, _) =
        owner.decide_access(&asked.id, "revoke", &decision(&asked, Some("no"))).await.error().await;
    let (unknown, _) = owner.decide_access(&asked.id, "bless", &decision(&asked, None)).await.error().await;
    let (twice, _) =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&unique("g"), Some(in_days(7)))).await.error().await;
    let cancelled: AccessRequest =
        app.as_(Who::OtherTeam).decide_access(&asked.id, "cancel", &decision(&asked, None)).await.ok().await;
    let (approve_cancelled, _) =
        owner.decide_access(&asked.id, "approve", &decision(&cancelled, None)).await.error().await;

    assert_eq!(no_reason, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason_error.details[0].field, "reason");
    assert_eq!(stale, StatusCode::CONFLICT);
    assert_eq!(owners_cancel, StatusCode::FORBIDDEN, "only the requesting team cancels");
    assert_eq!(revoke_requested, StatusCode::CONFLICT, "nothing to revoke before a grant");
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    assert_eq!(twice, StatusCode::CONFLICT, "one open request per team and product");
    assert_eq!(cancelled.state, AccessState::Cancelled);
    assert_eq!(approve_cancelled, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_request_is_held_to_the_policy_and_to_the_teams_own_principals() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let mut too_long = draft(&unique("g"), Some(in_days(400)));
    too_long.purpose = String::new();
    let mut not_mine = draft(&unique("g"), Some(in_days(7)));
    not_mine.team = TeamName::parse("trading").unwrap();

    let (status, error) = app.as_(Who::OtherTeam).request_access(&product.id, &too_long).await.error().await;
    let (own_team, _) = app.as_(Who::Owner).request_access(&product.id, &not_mine).await.error().await;
    let (not_member, _) =
        app.as_(Who::Owner).request_access(&product.id, &draft(&unique("g"), Some(in_days(7)))).await.error().await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<(ViolationCode, &str)> = error.details.iter().map(|v| (v.code, v.field.as_str())).collect();
    assert_eq!(fields, [(ViolationCode::RequiredFieldMissing, "purpose"), (ViolationCode::AccessNotAllowed, "until")]);
    assert_eq!(own_team, StatusCode::CONFLICT, "a team does not ask for its own product");
    assert_eq!(not_member, StatusCode::FORBIDDEN, "only members ask for their team");
}

#[tokio::test]
async fn a_deprecated_product_takes_no_new_requests() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let mut deprecated = product.clone();
    deprecated.status = ProductStatus::Deprecated;
    deprecated.deprecation =
        Some(meshport_shared::Deprecation { sunset: in_days(30), replacement: None, message: String::new() });
    let entry =
        meshport_api::audit::entry("test", &product.id, meshport_shared::AuditAction::Deprecated, "d", None, None);
    app.state.mesh.catalog.put_product(deprecated, Some(product.revision), entry).await.unwrap();

    let (status, error) =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&unique("g"), Some(in_days(7)))).await.error().await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error.message.contains("deprecated"), "{error:?}");
}

#[tokio::test]
async fn retiring_a_product_revokes_its_grants_and_denies_its_open_requests() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let (topic, group) = (product.output_port.topic.to_string(), unique("fraud-retired"));
    let asked: AccessRequest =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&group, Some(in_days(30)))).await.ok().await;
    app.as_(Who::Owner).decide_access(&asked.id, "approve", &decision(&asked, None)).await.ok::<AccessRequest>().await;
    assert!(!eventually_refused(&topic, &group, false).await, "reads while the product lives");

    let retired: DataProduct = app
        .as_(Who::Owner)
        .retire(&product.id, &meshport_shared::api::RetireRequest { revision: product.revision })
        .await
        .ok()
        .await;

    assert_eq!(retired.status, ProductStatus::Retired);
    let stored = app.state.mesh.catalog.get_access(&asked.id).await.unwrap().unwrap();
    assert_eq!(stored.state, AccessState::Revoked);
    assert!(stored.reason.unwrap().contains("retired"));
    assert!(eventually_refused(&topic, &group, true).await, "refused once the product is retired");
}

/// Meshport stops between creating a grant's ACLs and storing it active (the catalog fails that write): sync finishes
/// it, and the cluster holds one set of the grant's bindings, not two.
#[tokio::test]
async fn a_grant_interrupted_after_its_acls_is_finished_by_sync_with_one_set_of_bindings() {
    let (app, faults) = common::faults::with_faults().await;
    let product = product_with_a_record(&app).await;
    let group = unique("fraud-interrupted");
    let asked: AccessRequest =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&group, Some(in_days(30)))).await.ok().await;
    // Writes of requests: 1 asked, 2 approved, 3 active: the third fails.
    faults.fail_access_put(3);

    let (status, _) =
        app.as_(Who::Owner).decide_access(&asked.id, "approve", &decision(&asked, None)).await.error().await;
    let stuck = app.state.mesh.catalog.get_access(&asked.id).await.unwrap().unwrap().state;
    let finished = meshport_api::access::finish_approved(&app.state.mesh).await.unwrap();

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(stuck, AccessState::Approved, "the decision was stored, its outcome was not");
    assert_eq!(finished, std::slice::from_ref(&asked.id));
    let stored = app.state.mesh.catalog.get_access(&asked.id).await.unwrap().unwrap();
    assert_eq!(stored.state, AccessState::Active);
    let on_topic: Vec<_> = app
        .state
        .mesh
        .kafka
        .acls_for_topic(&product.output_port.topic)
        .await
        .unwrap()
        .into_iter()
        .filter(|b| b.principal == "User:svc-fraud")
        .collect();
    assert_eq!(on_topic.len(), 2, "topic READ and DESCRIBE, once each: {on_topic:?}");
    let wanted =
        meshport_api::kafka::read_bindings(&product.output_port.topic, "User:svc-fraud", &group, PatternType::Literal)
            .unwrap();
    assert!(app.state.mesh.kafka.absent(&wanted).await.unwrap().is_empty(), "the group binding is there too");
    assert!(!eventually_refused(product.output_port.topic.as_str(), &group, false).await, "and svc-fraud reads");
}

#[tokio::test]
async fn a_grant_whose_acls_vanished_from_the_cluster_is_repaired_by_sync() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let group = unique("fraud-vanished");
    let asked: AccessRequest =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&group, Some(in_days(30)))).await.ok().await;
    app.as_(Who::Owner).decide_access(&asked.id, "approve", &decision(&asked, None)).await.ok::<AccessRequest>().await;
    let topic = &product.output_port.topic;
    let bindings = meshport_api::kafka::read_bindings(topic, "User:svc-fraud", &group, PatternType::Literal).unwrap();
    // Someone deletes them behind Meshport's back.
    app.state.mesh.kafka.revoke(&bindings).await.unwrap();
    assert!(eventually_refused(topic.as_str(), &group, true).await, "refused once the ACLs are gone");

    let repaired = meshport_api::access::repair_active(&app.state.mesh).await.unwrap();
    let again = meshport_api::access::repair_active(&app.state.mesh).await.unwrap();

    assert_eq!(repaired, std::slice::from_ref(&asked.id));
    assert!(again.is_empty(), "nothing to repair the second time");
    assert!(app.state.mesh.kafka.absent(&bindings).await.unwrap().is_empty());
    assert!(!eventually_refused(topic.as_str(), &group, false).await, "svc-fraud reads again");
}

/// `edge`'s request for `product` approved by its owners: the active grant.
async fn granted(app: &TestApp, product: &DataProduct, draft: &AccessRequestDraft) -> AccessRequest {
    let asked: AccessRequest = app.as_(Who::OtherTeam).request_access(&product.id, draft).await.ok().await;
    let active: AccessRequest =
        app.as_(Who::Owner).decide_access(&asked.id, "approve", &decision(&asked, None)).await.ok().await;
    assert_eq!(active.state, AccessState::Active, "{active:?}");
    active
}

#[tokio::test]
async fn acls_on_a_products_topic_that_no_grant_explains_are_shown_to_its_owners_and_counted_by_sync() {
    let app = TestApp::spawn(&[
        ("MESHPORT_DEV_AUTH", "true".into()),
        ("MESHPORT_KAFKA_SUPER_USERS", "User:ops-root; User:ops-break-glass".into()),
    ])
    .await;
    let product = product_with_a_record(&app).await;
    let topic = &product.output_port.topic;
    granted(&app, &product, &draft(&unique("fraud-managed"), Some(in_days(30)))).await;
    let kafka = &app.state.mesh.kafka;
    // Given by hand, beside Meshport: a legacy reader, a super user's write, and Meshport's own principal (the
    // tests' plain listener signs Meshport in as ANONYMOUS).
    let legacy = kafka.grant_read(topic, "User:svc-legacy", &unique("legacy"), PatternType::Literal).await.unwrap();
    kafka.grant_write(topic, "User:ops-root").await.unwrap();
    kafka.grant_read(topic, "User:ANONYMOUS", &unique("meshport"), PatternType::Literal).await.unwrap();

    let shown: Vec<UnmanagedBinding> = app.as_(Who::Owner).unmanaged_access(&product.id).await.ok().await;
    let (stranger, _) = app.as_(Who::OtherTeam).unmanaged_access(&product.id).await.error().await;
    let counted = meshport_api::access::reconcile(&app.state.mesh, &in_days(0)).await.unwrap();

    let mut on_topic: Vec<(String, String, String, String)> = legacy
        .iter()
        .filter(|b| b.resource_type == meshport_api::kafka::ResourceType::Topic)
        .map(|b| (b.principal.clone(), b.operation.as_str().to_lowercase(), "literal".into(), topic.to_string()))
        .collect();
    let mut seen: Vec<(String, String, String, String)> = shown
        .iter()
        .map(|b| (b.principal.clone(), b.operation.clone(), b.pattern.clone(), b.resource.clone()))
        .collect();
    seen.sort();
    on_topic.sort();
    assert_eq!(seen, on_topic, "only svc-legacy's topic READ and DESCRIBE: {shown:?}");
    assert!(shown.iter().all(|b| b.permission == "allow" && b.host == "*"));
    assert_eq!(stranger, StatusCode::FORBIDDEN, "only the owners see who else reads");
    assert_eq!(counted.unmanaged, 2, "{counted:?}");
    assert!(counted.repaired.is_empty(), "the grant's own ACLs are in force: {counted:?}");
}

#[tokio::test]
async fn consumer_groups_are_joined_to_the_grants_that_cover_them_and_ungranted_ones_stand_out() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let prefix = unique("fraud-scoring");
    let mut prefixed = draft(&prefix, Some(in_days(30)));
    prefixed.group_pattern = GroupPattern::Prefixed;
    granted(&app, &product, &prefixed).await;
    let (covered, stray) = (format!("{prefix}-eu"), unique("stray"));
    let facts = TopicFacts {
        name: product.output_port.topic.clone(),
        partitions: 1,
        replication_factor: 1,
        configs: Default::default(),
        config_sources: Default::default(),
        history: meshport_shared::HistoryKind::BrokerDefault,
        present: true,
        synced_at: "2026-12-05T10:00:00Z".into(),
        consumers: [&covered, &stray]
            .map(|group| meshport_shared::mirror::Consumer { group: group.clone(), partitions: Vec::new() })
            .to_vec(),
    };
    app.state.mesh.catalog.put_topics(vec![facts]).await.unwrap();

    let consumers: ProductConsumers = app.anonymous().product_consumers(&product.id).await.ok().await;
    let (missing, _) = app.anonymous().product_consumers("no-such-product").await.error().await;

    assert_eq!(consumers.subscribers, [TeamName::parse("edge").unwrap()]);
    let joined: Vec<(String, Option<TeamName>)> =
        consumers.groups.into_iter().map(|g| (g.group, g.granted_to)).collect();
    assert_eq!(joined, [(covered, Some(TeamName::parse("edge").unwrap())), (stray, None)]);
    assert_eq!(missing, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_owners_see_what_retiring_will_end_before_anything_is_revoked() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let (topic, group) = (product.output_port.topic.to_string(), unique("fraud-preview"));
    let active = granted(&app, &product, &draft(&group, Some(in_days(30)))).await;
    let mut waiting = active.clone();
    waiting.id = format!("{}-insights", active.id);
    waiting.team = TeamName::parse("insights").unwrap();
    waiting.state = AccessState::Requested;
    waiting.revision = 0;
    let entry = meshport_api::audit::entry("test", &product.id, meshport_shared::AuditAction::Access, "a", None, None);
    let waiting = app.state.mesh.catalog.put_access(waiting, None, entry).await.unwrap();

    let preview: RetirementPreview = app.as_(Who::Owner).retirement_preview(&product.id).await.ok().await;
    let (stranger, _) = app.as_(Who::OtherTeam).retirement_preview(&product.id).await.error().await;

    assert_eq!(preview.revoked.iter().map(|r| &r.id).collect::<Vec<_>>(), [&active.id]);
    assert_eq!(preview.denied.iter().map(|r| &r.id).collect::<Vec<_>>(), [&waiting.id]);
    assert_eq!(stranger, StatusCode::FORBIDDEN);
    let stored = app.state.mesh.catalog.get_access(&active.id).await.unwrap().unwrap();
    assert_eq!(stored.state, AccessState::Active, "a preview changes nothing");
    assert!(!eventually_refused(&topic, &group, false).await, "and svc-fraud still reads");
}

#[tokio::test]
async fn a_subscriber_asks_for_the_next_major_version_with_one_request_carrying_its_grant_over() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let active = granted(&app, &product, &draft(&unique("fraud-successor"), Some(in_days(30)))).await;
    let (before, _) = app.as_(Who::OtherTeam).request_successor(&active.id).await.error().await;
    let stored = app.state.mesh.catalog.get_product(&product.id).await.unwrap().unwrap();
    let breaking = EvolveRequest {
        schema: r#"{"type":"record","name":"Fill","fields":[{"name":"id","type":"long"}]}"#.into(),
        dry_run: false,
        new_major_version: true,
        revision: stored.revision,
    };
    let evolved: EvolveResponse = app.as_(Who::Owner).evolve(&product.id, &breaking).await.ok().await;
    // The subscriber signs the breaking change off, which makes the new major version.
    let proposal = evolved.proposal.expect("a change proposal");
    let decision =
        meshport_shared::proposals::ProposalDecision { team: None, reason: None, revision: proposal.revision };
    let signed: meshport_shared::proposals::ChangeProposal =
        app.as_(Who::OtherTeam).decide_proposal(&proposal.id, "approve", &decision).await.ok().await;
    let successor = signed.new_product.expect("a new major version");

    let (owners, _) = app.as_(Who::Owner).request_successor(&active.id).await.error().await;
    let carried: AccessRequest = app.as_(Who::OtherTeam).request_successor(&active.id).await.ok().await;
    let (twice, _) = app.as_(Who::OtherTeam).request_successor(&active.id).await.error().await;
    let (unknown, _) = app.as_(Who::OtherTeam).request_successor("no-such-request").await.error().await;

    assert_eq!(before, StatusCode::CONFLICT, "no successor yet");
    assert_eq!(owners, StatusCode::FORBIDDEN, "only the team holding the grant carries it over");
    assert_eq!(carried.product, successor);
    assert_eq!(carried.state, AccessState::Requested, "the successor's owners decide");
    assert_eq!(
        (&carried.team, &carried.principals, &carried.group, carried.group_pattern, &carried.purpose, &carried.until),
        (&active.team, &active.principals, &active.group, active.group_pattern, &active.purpose, &active.until)
    );
    assert_eq!(twice, StatusCode::CONFLICT, "one open request per team and product");
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    let predecessor = app.state.mesh.catalog.get_access(&active.id).await.unwrap().unwrap();
    assert_eq!(predecessor.state, AccessState::Active, "the old grant keeps working until its sunset");
}

#[tokio::test]
async fn expiring_grants_together_deletes_their_acls_but_keeps_those_a_live_grant_shares() {
    let app = spawn().await;
    let (ending, lasting, also_ending) =
        (product_with_a_record(&app).await, product_with_a_record(&app).await, product_with_a_record(&app).await);
    // One consumer group reads all three topics: the group READ binding is one, shared by the three grants.
    let group = unique("fraud-shared");
    granted(&app, &ending, &draft(&group, Some(in_days(0)))).await;
    granted(&app, &lasting, &draft(&group, Some(in_days(30)))).await;
    granted(&app, &also_ending, &draft(&group, Some(in_days(0)))).await;
    let bindings = |product: &DataProduct| {
        meshport_api::kafka::read_bindings(&product.output_port.topic, "User:svc-fraud", &group, PatternType::Literal)
            .unwrap()
    };

    let expired = meshport_api::access::expire_due(&app.state.mesh, &in_days(1)).await.unwrap();

    assert_eq!(expired.len(), 2, "{expired:?}");
    let kafka = &app.state.mesh.kafka;
    for gone in [&ending, &also_ending] {
        let absent = kafka.absent(&bindings(gone)).await.unwrap();
        assert_eq!(absent, bindings(gone)[..2], "topic READ and DESCRIBE of `{}` are gone", gone.id);
    }
    assert!(kafka.absent(&bindings(&lasting)).await.unwrap().is_empty(), "the live grant keeps all its bindings");
    assert!(!eventually_refused(lasting.output_port.topic.as_str(), &group, false).await, "and still reads");
    assert!(eventually_refused(ending.output_port.topic.as_str(), &group, true).await);
}

/// The owners see a request in their inbox, the requesting team does not, and an org admin of no team sees every
/// request waiting for a decision: before this, an admin's inbox listed only their own teams' products, so nobody
/// without a team could find what to decide.
#[tokio::test]
async fn the_inbox_holds_the_owners_requests_and_every_waiting_one_for_an_org_admin() {
    let app = spawn().await;
    let product = product_with_a_record(&app).await;
    let request: AccessRequest =
        app.as_(Who::OtherTeam).request_access(&product.id, &draft(&unique("g"), Some(in_days(30)))).await.ok().await;
    let ids = |requests: Vec<AccessRequest>| requests.into_iter().map(|r| r.id).collect::<Vec<_>>();

    let owners: Vec<AccessRequest> = app.as_(Who::Owner).access_inbox().await.ok().await;
    let requesters: Vec<AccessRequest> = app.as_(Who::OtherTeam).access_inbox().await.ok().await;
    let admin: Vec<AccessRequest> = app.as_(Who::Admin).access_inbox().await.ok().await;

    assert!(ids(owners).contains(&request.id));
    assert!(!ids(requesters).contains(&request.id));
    let admin = ids(admin);
    assert_eq!(admin.iter().filter(|id| **id == request.id).count(), 1, "once: {admin:?}");
}
