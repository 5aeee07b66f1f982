//! Notifications delivered to real, independent receivers: webhooks verified by the official `standardwebhooks`
//! library (secret rotation included), a receiver that fails and one that is down (retries, idempotency, dead
//! letters, redelivery), Slack and Teams payloads, and email received by aiosmtpd.

mod peers;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use lettre::message::Mailbox;
use meshport_api::catalog::{CatalogStore, Delivery, EmbeddedStore};
use meshport_api::notify::{
    Channels, DeliveryKey, DeliveryState, Destination, DestinationId, DispatchSettings, Dispatcher, EmailSettings,
    Round, SmtpSecurity, WebhookSecret,
};
use meshport_api::secrets::Secret;
use meshport_shared::events::Event;
use reqwest::Url;

const PORTAL: &str = "https://meshport.acme.example";
const OLD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW_SECRET: &str = "whsec_dGhlIG5ldyBzZWNyZXQgYWZ0ZXIgcm90YXRpb24=";
const HOSTILE_NAME: &str = "<script>alert(\"x\")</script> O'Brien & <!channel>";

fn event(seq: u64, name: &str) -> Event {
    meshport_shared::testing::deprecation_event(seq, name, "Orders is deprecated: move to Orders v2 <b>now</b>.")
}

fn settings(max_attempts: u32) -> DispatchSettings {
    DispatchSettings {
        max_attempts,
        first_retry_delay: Duration::from_secs(1),
        max_retry_delay: Duration::from_secs(60),
        rate_per_second: 1000.0,
        burst: 1000,
        ..DispatchSettings::default()
    }
}

fn id(name: &str) -> DestinationId {
    DestinationId(name.to_owned())
}

fn webhook(url: String, secrets: &[&str]) -> Destination {
    Destination::Webhook {
        url: Url::parse(&url).unwrap(),
        secrets: secrets.iter().map(|secret| WebhookSecret::parse(secret).unwrap()).collect(),
    }
}

/// The outbox of a fresh embedded catalog, in its own directory.
struct Outbox {
    store: Arc<EmbeddedStore>,
    _dir: tempfile::TempDir,
}

impl Outbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self { store: Arc::new(EmbeddedStore::new(dir.path())), _dir: dir }
    }

    /// Hands `events` out, each to every one of `destinations`, due at the start.
    async fn add(&self, events: &[Event], destinations: &[DestinationId]) {
        let from = self.store.notified().await.unwrap();
        let Some(to) = events.iter().map(|e| e.seq).max() else { return };
        let deliveries = events
            .iter()
            .flat_map(|event| destinations.iter().map(|id| Delivery::new(event.clone(), id.clone(), start())))
            .collect();
        self.store.hand_out(from, to, deliveries).await.unwrap();
    }

    async fn get(&self, key: &DeliveryKey) -> Option<Delivery> {
        self.store.delivery(key).await.unwrap()
    }
}

/// A dispatcher over a fresh catalog's outbox holding `events`, each for every destination.
async fn dispatcher(
    destinations: Vec<(DestinationId, Destination)>,
    email: Option<EmailSettings>,
    events: &[Event],
    max_attempts: u32,
) -> (Outbox, Dispatcher) {
    let outbox = Outbox::new();
    let ids: Vec<DestinationId> = destinations.iter().map(|(id, _)| id.clone()).collect();
    outbox.add(events, &ids).await;
    let channels = Channels::new(PORTAL, email, destinations.into_iter().collect::<HashMap<_, _>>()).unwrap();
    let dispatcher = Dispatcher::new(outbox.store.clone(), Arc::new(channels), settings(max_attempts));
    (outbox, dispatcher)
}

fn start() -> Timestamp {
    "2026-12-05T11:00:00Z".parse().unwrap()
}

/// The schedule's time `hours` after the start: later than any retry the test settings make.
fn hours(hours: i64) -> Timestamp {
    start() + SignedDuration::from_hours(hours)
}

fn key(seq: u64, destination: &str) -> DeliveryKey {
    DeliveryKey { seq, destination: id(destination) }
}

#[tokio::test]
async fn a_webhook_verifies_with_the_official_library_under_the_old_or_the_new_secret_during_a_rotation() {
    // Arrange: one receiver that still holds the old secret, one that holds the new one.
    let receiver = peers::webhook_receiver(&[("old", OLD_SECRET), ("new", NEW_SECRET)]);
    let event = event(7, "Orders");
    let (outbox, dispatcher) = dispatcher(
        vec![
            (id("holds-old"), webhook(receiver.url("/old/ok/a"), &[OLD_SECRET, NEW_SECRET])),
            (id("holds-new"), webhook(receiver.url("/new/ok/b"), &[OLD_SECRET, NEW_SECRET])),
        ],
        None,
        std::slice::from_ref(&event),
        3,
    )
    .await;

    // Act
    let round = dispatcher.dispatch_due(start()).await.unwrap();

    // Assert
    assert_eq!(round, Round { delivered: 2, ..Round::default() });
    for path in ["/old/ok/a", "/new/ok/b"] {
        let requests = receiver.requests_at(path).await;
        assert_eq!(requests.len(), 1, "{requests:?}");
        let request = &requests[0];
        assert_eq!(request["verified"], true, "{request}");
        assert_eq!(request["webhook_id"], "7");
        assert_eq!(request["content_type"], "application/json");
        assert_eq!(request["event"], serde_json::to_value(&event).unwrap());
    }
    assert_eq!(outbox.get(&key(7, "holds-old")).await.unwrap().state, DeliveryState::Delivered);
}

#[tokio::test]
async fn a_webhook_signed_only_with_a_secret_the_receiver_does_not_hold_is_refused_and_retried() {
    let receiver = peers::webhook_receiver(&[("old", OLD_SECRET)]);
    let (outbox, dispatcher) = dispatcher(
        vec![(id("rotated-too-early"), webhook(receiver.url("/old/ok/c"), &[NEW_SECRET]))],
        None,
        &[event(8, "Orders")],
        3,
    )
    .await;

    let round = dispatcher.dispatch_due(start()).await.unwrap();

    assert_eq!(round, Round { retried: 1, ..Round::default() });
    let requests = receiver.requests_at("/old/ok/c").await;
    assert_eq!(requests[0]["verified"], false);
    assert_eq!(requests[0]["error"], "No matching signature found");
    let delivery = outbox.get(&key(8, "rotated-too-early")).await.unwrap();
    assert_eq!((delivery.state, delivery.attempts), (DeliveryState::Pending, 1));
    assert!(delivery.last_error.unwrap().contains("the receiver answered 401"));
    assert!(delivery.next_at > start() && delivery.next_at <= start() + SignedDuration::from_secs(1));
}

#[tokio::test]
async fn a_receiver_that_fails_twice_then_succeeds_gets_the_event_exactly_once_by_its_idempotency_key() {
    let receiver = peers::webhook_receiver(&[("k", OLD_SECRET)]);
    let (outbox, dispatcher) = dispatcher(
        vec![(id("flaky"), webhook(receiver.url("/k/flaky/f"), &[OLD_SECRET]))],
        None,
        &[event(9, "Orders")],
        5,
    )
    .await;

    let rounds = [
        dispatcher.dispatch_due(start()).await.unwrap(),
        // Not yet due again: nothing is attempted before the retry's time.
        dispatcher.dispatch_due(start()).await.unwrap(),
        dispatcher.dispatch_due(hours(1)).await.unwrap(),
        dispatcher.dispatch_due(hours(2)).await.unwrap(),
        dispatcher.dispatch_due(hours(3)).await.unwrap(),
    ];

    let attempted: Vec<(usize, usize)> = rounds.iter().map(|r| (r.retried, r.delivered)).collect();
    assert_eq!(attempted, [(1, 0), (0, 0), (1, 0), (0, 1), (0, 0)]);
    let requests = receiver.requests_at("/k/flaky/f").await;
    let statuses: Vec<u64> = requests.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert!(requests.iter().all(|r| r["webhook_id"] == "9" && r["verified"] == true));
    let taken: Vec<_> = requests.iter().filter(|r| r["status"] == 200 && r["duplicate"] == false).collect();
    assert_eq!(taken.len(), 1, "the receiver acted on the event once");
    let delivery = outbox.get(&key(9, "flaky")).await.unwrap();
    assert_eq!((delivery.state, delivery.attempts, delivery.last_error), (DeliveryState::Delivered, 3, None));
}

#[tokio::test]
async fn a_receiver_that_always_fails_is_dead_lettered_and_redelivery_reaches_it_once_healthy() {
    let receiver = peers::webhook_receiver(&[("k", OLD_SECRET)]);
    let (outbox, dispatcher) = dispatcher(
        vec![(id("down"), webhook(receiver.url("/k/down/d"), &[OLD_SECRET]))],
        None,
        &[event(10, "Orders")],
        3,
    )
    .await;

    for hour in 0..3 {
        dispatcher.dispatch_due(hours(hour)).await.unwrap();
    }
    let after_dead_letter = dispatcher.dispatch_due(hours(10)).await.unwrap();

    assert_eq!(after_dead_letter, Round::default(), "a dead letter is not retried by itself");
    let dead = outbox.store.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].key.clone(), dead[0].attempts), (key(10, "down"), 3));
    assert_eq!(dead[0].last_error.as_deref(), Some("the receiver answered 500: receiver is down"));
    assert_eq!(receiver.requests_at("/k/down/d").await.len(), 3);

    // The receiver is fixed and an admin redelivers.
    receiver.heal("d").await;
    let trail = meshport_shared::ProductId::parse("notifications.down").unwrap();
    let entry = meshport_api::audit::entry("dev:alice", &trail, meshport_shared::AuditAction::Updated, "", None, None);
    outbox.store.redeliver(&key(10, "down"), hours(11), entry).await.unwrap();
    let round = dispatcher.dispatch_due(hours(11)).await.unwrap();

    assert_eq!(round, Round { delivered: 1, ..Round::default() });
    assert!(outbox.store.dead_letters(10).await.unwrap().is_empty());
    let statuses: Vec<u64> =
        receiver.requests_at("/k/down/d").await.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [500, 500, 500, 200]);
    assert_eq!(outbox.get(&key(10, "down")).await.unwrap().state, DeliveryState::Delivered);
}

#[tokio::test]
async fn two_dispatchers_on_one_outbox_count_each_attempt_once_and_the_receiver_acts_once() {
    // Arrange: twenty events for one receiver, and two dispatchers (say the stream's and the sweep's) on one outbox.
    let receiver = peers::webhook_receiver(&[("k", OLD_SECRET)]);
    let events: Vec<Event> = (1..=20).map(|seq| event(seq, "Orders")).collect();
    let destination = (id("shared"), webhook(receiver.url("/k/ok/s"), &[OLD_SECRET]));
    let (outbox, one) = dispatcher(vec![destination.clone()], None, &events, 3).await;
    let channels = Channels::new(PORTAL, None, HashMap::from([destination])).unwrap();
    let other = Dispatcher::new(outbox.store.clone(), Arc::new(channels), settings(3));

    // Act
    let (first, second) = tokio::join!(one.dispatch_due(start()), other.dispatch_due(start()));

    // Assert
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.delivered + second.delivered, 20, "{first:?} {second:?}");
    assert_eq!(first.retried + second.retried + first.dead_lettered + second.dead_lettered, 0);
    for seq in 1..=20 {
        let delivery = outbox.get(&key(seq, "shared")).await.unwrap();
        assert_eq!((delivery.state, delivery.attempts), (DeliveryState::Delivered, 1), "event {seq}");
    }
    let requests = receiver.requests_at("/k/ok/s").await;
    let acted: Vec<_> = requests.iter().filter(|r| r["duplicate"] == false).collect();
    assert_eq!(acted.len(), 20, "each event acted on once, whatever was sent twice");
}

#[tokio::test]
async fn a_redirect_is_followed_on_the_same_host_only() {
    let receiver = peers::webhook_receiver(&[("k", OLD_SECRET)]);
    let (outbox, dispatcher) = dispatcher(
        vec![
            (id("same-host"), webhook(receiver.url("/redirect/127.0.0.1/k/ok/same"), &[OLD_SECRET])),
            (id("other-host"), webhook(receiver.url("/redirect/localhost/k/ok/other"), &[OLD_SECRET])),
        ],
        None,
        &[event(15, "Orders")],
        3,
    )
    .await;

    let round = dispatcher.dispatch_due(start()).await.unwrap();

    assert_eq!((round.delivered, round.retried), (1, 1));
    assert_eq!(receiver.requests_at("/k/ok/same").await[0]["verified"], true);
    assert!(receiver.requests_at("/k/ok/other").await.is_empty(), "the event went to another host");
    let error = outbox.get(&key(15, "other-host")).await.unwrap().last_error.unwrap();
    assert!(error.starts_with("the receiver answered 307"), "{error}");
}

#[tokio::test]
async fn slack_and_teams_get_readable_json_messages_linking_to_the_product_with_hostile_names_escaped() {
    let receiver = peers::webhook_receiver(&[]);
    let (_, dispatcher) = dispatcher(
        vec![
            (id("slack"), Destination::Slack { url: Secret::new(receiver.url("/unsigned/ok/slack")) }),
            (id("teams"), Destination::Teams { url: Secret::new(receiver.url("/unsigned/ok/teams")) }),
        ],
        None,
        &[event(11, HOSTILE_NAME)],
        3,
    )
    .await;

    let round = dispatcher.dispatch_due(start()).await.unwrap();

    assert_eq!(round.delivered, 2);
    let slack = &receiver.requests_at("/unsigned/ok/slack").await[0];
    assert_eq!(slack["content_type"], "application/json");
    let text = slack["event"]["text"].as_str().unwrap();
    assert!(text.contains("&lt;script&gt;") && !text.contains("<!channel>"), "{text}");
    let section = slack["event"]["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(section.ends_with("<https://meshport.acme.example/products/sales.orders|Open in Meshport>"), "{section}");
    let teams = &receiver.requests_at("/unsigned/ok/teams").await[0]["event"];
    let card = &teams["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert!(card["body"][0]["text"].as_str().unwrap().starts_with(r"\<script\>"), "{card}");
    assert_eq!(card["actions"][0]["url"], "https://meshport.acme.example/products/sales.orders");
}

#[tokio::test]
async fn delivery_errors_and_debug_output_never_show_a_chat_webhooks_secret_url() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let token = "T0001/B0002/SuperSecretToken";
    let destinations = vec![
        (id("slack"), Destination::Slack { url: Secret::new(format!("http://127.0.0.1:{closed}/services/{token}")) }),
        (id("webhook"), webhook(format!("http://127.0.0.1:{closed}/hook"), &[OLD_SECRET])),
    ];
    let (outbox, dispatcher) = dispatcher(destinations, None, &[event(12, "Orders")], 3).await;

    let round = dispatcher.dispatch_due(start()).await.unwrap();

    assert_eq!(round.retried, 2);
    let error = outbox.get(&key(12, "slack")).await.unwrap().last_error.unwrap();
    assert!(error.starts_with("the receiver could not be reached"), "{error}");
    let shown = format!("{error} {dispatcher:?}");
    for secret in ["SuperSecretToken", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

fn email_settings(port: u16, credentials: Option<(&str, &str)>) -> EmailSettings {
    EmailSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        credentials: credentials.map(|(user, password)| (user.to_owned(), Secret::new(password))),
        from: "Meshport <meshport@acme.example>".parse().unwrap(),
    }
}

fn email_to(addresses: &[&str]) -> Destination {
    Destination::Email { to: addresses.iter().map(|address| address.parse::<Mailbox>().unwrap()).collect() }
}

#[tokio::test]
async fn an_email_reaches_a_real_smtp_server_with_both_parts_and_hostile_texts_escaped_in_the_html() {
    // Arrange: aiosmtpd, demanding sign-in.
    let out = tempfile::tempdir().unwrap();
    let server = peers::smtp_receiver(out.path(), Some(("meshport", "s3cret")));
    let (outbox, dispatcher) = dispatcher(
        vec![(id("team:trading/email"), email_to(&["Trading <trading@acme.example>", "oncall@acme.example"]))],
        Some(email_settings(server.port, Some(("meshport", "s3cret")))),
        &[event(13, HOSTILE_NAME)],
        3,
    )
    .await;

    // Act
    let round = dispatcher.dispatch_due(start()).await.unwrap();

    // Assert
    assert_eq!(
        round,
        Round { delivered: 1, ..Round::default() },
        "{:?}",
        outbox.get(&key(13, "team:trading/email")).await
    );
    let mails = peers::mails(out.path());
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail["mail_from"], "meshport@acme.example");
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["trading@acme.example", "oncall@acme.example"]));
    let headers = &mail["headers"];
    assert_eq!(headers["Subject"], format!("[Meshport product] {HOSTILE_NAME} (sales.orders): deprecated"));
    assert_eq!(headers["From"], "Meshport <meshport@acme.example>");
    assert_eq!(headers["To"], "Trading <trading@acme.example>, oncall@acme.example");
    assert_eq!(headers["Message-ID"], "<event-13.team-trading-email@acme.example>");
    assert_eq!(mail["content_type"], "multipart/alternative");
    let parts = mail["parts"].as_array().unwrap();
    let types: Vec<&str> = parts.iter().map(|part| part["content_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    let text = parts[0]["body"].as_str().unwrap();
    assert!(text.contains(&format!("{HOSTILE_NAME}: deprecated")), "{text}");
    assert!(text.contains("Open it in Meshport: https://meshport.acme.example/products/sales.orders"), "{text}");
    let html = parts[1]["body"].as_str().unwrap();
    for forbidden in ["<script", "<!channel>", "<b>now</b>"] {
        assert!(!html.contains(forbidden), "`{forbidden}` in the HTML: {html}");
    }
    assert!(html.contains("&#60;script&#62;") && html.contains("&#60;b&#62;now&#60;/b&#62;"), "{html}");
    assert!(html.contains(r#"<a href="https://meshport.acme.example/products/sales.orders""#), "{html}");
}

#[tokio::test]
async fn a_relay_refusing_the_sign_in_fails_the_delivery_without_showing_the_password() {
    let out = tempfile::tempdir().unwrap();
    let server = peers::smtp_receiver(out.path(), Some(("meshport", "the-right-one")));
    let (outbox, dispatcher) = dispatcher(
        vec![(id("email"), email_to(&["trading@acme.example"]))],
        Some(email_settings(server.port, Some(("meshport", "WrongPassword123")))),
        &[event(14, "Orders")],
        3,
    )
    .await;

    let round = dispatcher.dispatch_due(start()).await.unwrap();

    assert_eq!(round.retried, 1);
    let error = outbox.get(&key(14, "email")).await.unwrap().last_error.unwrap();
    assert!(error.starts_with("the mail relay did not take the message"), "{error}");
    assert!(error.contains("535"), "the relay's refusal is named: {error}");
    assert!(!format!("{error} {dispatcher:?}").contains("WrongPassword123"));
    assert!(peers::mails(out.path()).is_empty());
}

mod wiring {
    //! The notifier wired to the catalog: a change's event reaches the teams it concerns, through the channels they
    //! set over the API.

    use std::collections::HashMap;
    use std::sync::Arc;

    use jiff::{SignedDuration, Timestamp};
    use meshport_api::notify::{Channels, Dispatcher, FailedDelivery, Notifier, Round};
    use meshport_shared::api::DeprecateRequest;
    use meshport_shared::events::{ChannelSettings, EventKind, KeptSecret, TeamChannels, WebhookSettings};
    use meshport_shared::{AuditAction, DataProduct, ErrorCode, ViolationCode};
    use reqwest::StatusCode;

    use super::{NEW_SECRET, OLD_SECRET, peers};
    use crate::common::faults::FaultyCatalog;
    use crate::common::{Answer, TestApp, Who, product};

    async fn spawn(allow_private: bool) -> TestApp {
        TestApp::spawn(&[
            ("MESHPORT_DEV_AUTH", "true".into()),
            ("MESHPORT_NOTIFY_ALLOW_PRIVATE_URLS", allow_private.to_string()),
        ])
        .await
    }

    /// An active grant of `team` on `product`, as approval leaves it.
    async fn grant(app: &TestApp, product: &DataProduct, team: &str) {
        let request = meshport_shared::testing::grant(product, team);
        let entry = meshport_api::audit::entry("test", &product.id, AuditAction::Access, "granted", None, None);
        app.state.mesh.catalog.put_access(request, None, entry).await.unwrap();
    }

    fn webhook(url: String, secret: &str) -> ChannelSettings {
        ChannelSettings { webhook: Some(WebhookSettings { url, secret: secret.into() }), ..ChannelSettings::default() }
    }

    #[tokio::test]
    async fn deprecating_a_product_sends_a_signed_webhook_to_its_subscribers_and_to_no_other_team() {
        // Arrange: `edge` consumes the product (an active grant) and has a webhook; `insights` has one and no grant.
        let app = spawn(true).await;
        let receiver = peers::webhook_receiver(&[("edge", OLD_SECRET), ("insights", NEW_SECRET)]);
        let orders = app.seed(product("orders", "execution")).await;
        grant(&app, &orders, "edge").await;
        let edge: TeamChannels = app
            .as_(Who::OtherTeam)
            .set_channels("edge", &webhook(receiver.url("/edge/ok/e"), OLD_SECRET))
            .await
            .ok()
            .await;
        let insights = webhook(receiver.url("/insights/ok/i"), NEW_SECRET);
        app.as_(Who::Admin).set_channels("insights", &insights).await.ok::<TeamChannels>().await;
        let (notifier, dispatcher) =
            Notifier::local(app.state.mesh.catalog.clone(), &app.state.embed.portal_url, None).unwrap();
        notifier.hand_out().await.unwrap();

        // Act
        let deprecation = DeprecateRequest {
            sunset: "2027-06-30".into(),
            replacement: None,
            message: "Moving to orders-v2".into(),
            revision: orders.revision,
        };
        app.as_(Who::Owner).deprecate(&orders.id, &deprecation).await.ok::<DataProduct>().await;
        let handed_out = notifier.hand_out().await.unwrap();
        let round = dispatcher.dispatch_all_due().await.unwrap();

        // Assert
        assert_eq!(handed_out, 1, "one change, one event");
        assert_eq!(round.delivered, 1, "{round:?}");
        let delivered = receiver.requests_at("/edge/ok/e").await;
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        assert_eq!(delivered[0]["verified"], true, "{}", delivered[0]);
        assert_eq!(delivered[0]["event"]["type"], "io.meshport.product.deprecated");
        assert_eq!(delivered[0]["event"]["subject"], "orders");
        assert_eq!(delivered[0]["event"]["data"]["change"]["sunset"], "2027-06-30");
        assert!(receiver.requests_at("/insights/ok/i").await.is_empty(), "a team without a grant hears nothing");
        assert_eq!(edge.webhook_url, Some(receiver.url("/edge/ok/e")));
        let answered = app.as_(Who::OtherTeam).channels("edge").await.text().await.unwrap();
        assert!(!answered.contains(OLD_SECRET) && !answered.contains("whsec_"), "{answered}");
    }

    #[tokio::test]
    async fn a_change_keeping_the_webhooks_secret_still_signs_with_it_and_keeping_one_not_set_is_refused() {
        // Arrange: `edge` consumes the product through a webhook verified with OLD_SECRET.
        let app = spawn(true).await;
        let receiver = peers::webhook_receiver(&[("edge", OLD_SECRET)]);
        let orders = app.seed(product("orders", "execution")).await;
        grant(&app, &orders, "edge").await;
        let member = app.as_(Who::OtherTeam);
        member
            .set_channels("edge", &webhook(receiver.url("/edge/ok/old"), OLD_SECRET))
            .await
            .ok::<TeamChannels>()
            .await;
        let (notifier, dispatcher) =
            Notifier::local(app.state.mesh.catalog.clone(), &app.state.embed.portal_url, None).unwrap();
        notifier.hand_out().await.unwrap();

        // Act: the webhook moves and an email is added, the secret kept without being given again.
        let kept = ChannelSettings {
            email: Some("edge@acme.example".into()),
            keep: vec![KeptSecret::WebhookSecret],
            ..webhook(receiver.url("/edge/ok/moved"), "")
        };
        let not_set = ChannelSettings { keep: vec![KeptSecret::SlackUrl], ..kept.clone() };
        let (refused, error) = member.set_channels_at("edge", &not_set, Some("\"1\"")).await.error().await;
        let changed: TeamChannels = member.set_channels_at("edge", &kept, Some("\"1\"")).await.ok().await;
        app.as_(Who::Owner).deprecate(&orders.id, &deprecation(&orders)).await.ok::<DataProduct>().await;
        notifier.hand_out().await.unwrap();
        let round = dispatcher.dispatch_all_due().await.unwrap();

        // Assert
        assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY);
        let said: Vec<(&str, ViolationCode)> = error.details.iter().map(|v| (v.field.as_str(), v.code)).collect();
        assert_eq!(said, [("slack_url", ViolationCode::InvalidChannel)], "{error:?}");
        assert_eq!((changed.revision, changed.webhook_url), (2, Some(receiver.url("/edge/ok/moved"))));
        assert_eq!(round.delivered, 1, "{round:?}");
        let delivered = receiver.requests_at("/edge/ok/moved").await;
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        assert_eq!(delivered[0]["verified"], true, "signed with the kept secret: {}", delivered[0]);
    }

    #[tokio::test]
    async fn a_teams_channels_are_its_members_and_name_no_internal_address() {
        let app = spawn(false).await;
        let public = webhook("https://hooks.acme.example/in".into(), OLD_SECRET);
        let slack = ChannelSettings {
            slack_url: Some("http://127.0.0.1:9/services/T/B/s3cr3t".into()),
            ..ChannelSettings::default()
        };

        let (not_member, _) = app.as_(Who::OtherTeam).set_channels("trading", &public).await.error().await;
        let (loopback, error) = app.as_(Who::Owner).set_channels("trading", &slack).await.error().await;
        let (_, both) =
            app.as_(Who::Owner).set_channels("trading", &webhook(String::new(), "whsec_x")).await.error().await;
        let set: TeamChannels = app.as_(Who::Owner).set_channels("trading", &public).await.ok().await;

        assert_eq!(not_member, StatusCode::FORBIDDEN);
        assert_eq!((loopback, error.code), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed));
        let said: Vec<(&str, ViolationCode)> = error.details.iter().map(|v| (v.field.as_str(), v.code)).collect();
        assert_eq!(said, [("slack_url", ViolationCode::InvalidChannel)]);
        assert!(!format!("{error:?}").contains("s3cr3t"), "{error:?}");
        let fields: Vec<&str> = both.details.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            (both.code, fields),
            (ErrorCode::ValidationFailed, vec!["webhook.url", "webhook.secret"]),
            "all at once"
        );
        assert_eq!(
            set,
            TeamChannels {
                webhook_url: public.webhook.map(|w| w.url),
                slack: false,
                teams: false,
                email: None,
                revision: 1
            },
            "the first channels are at revision 1, which the answer carries for the next change"
        );
    }

    /// A notifier and a dispatcher over the app's catalog, as a process starting afresh has them (no destination
    /// known but what the catalog holds), retrying after at most a second and dead-lettering after `max_attempts`.
    fn afresh(app: &TestApp, max_attempts: u32) -> (Notifier, Dispatcher) {
        let catalog = app.state.mesh.catalog.clone();
        let channels = Channels::new(&app.state.embed.portal_url, None, HashMap::new()).unwrap();
        let dispatcher = Dispatcher::new(catalog.clone(), Arc::new(channels), super::settings(max_attempts));
        (Notifier { catalog, source: app.state.embed.portal_url.clone() }, dispatcher)
    }

    fn deprecation(product: &DataProduct) -> DeprecateRequest {
        DeprecateRequest {
            sunset: "2027-06-30".into(),
            replacement: None,
            message: "Moving to orders-v2".into(),
            revision: product.revision,
        }
    }

    /// `orders` with `edge` subscribed, its webhook at `path` of `receiver` (verifying with the old secret).
    async fn subscribed(app: &TestApp, receiver: &peers::Peer, path: &str) -> DataProduct {
        let orders = app.seed(product("orders", "execution")).await;
        grant(app, &orders, "edge").await;
        app.as_(Who::OtherTeam)
            .set_channels("edge", &webhook(receiver.url(path), OLD_SECRET))
            .await
            .ok::<TeamChannels>()
            .await;
        orders
    }

    fn in_hours(now: Timestamp, hours: i64) -> Timestamp {
        now + SignedDuration::from_hours(hours)
    }

    #[tokio::test]
    async fn through_the_catalogs_outbox_a_receiver_failing_twice_acts_on_a_deprecation_once_across_a_restart() {
        // Arrange
        let app = spawn(true).await;
        let receiver = peers::webhook_receiver(&[("edge", OLD_SECRET)]);
        let orders = subscribed(&app, &receiver, "/edge/flaky/f").await;
        let (notifier, dispatcher) = afresh(&app, 5);
        notifier.hand_out().await.unwrap();

        // Act: the change, a first failed attempt, then a "restart" (a new notifier and dispatcher, which know
        // nothing but the catalog) and the retries.
        app.as_(Who::Owner).deprecate(&orders.id, &deprecation(&orders)).await.ok::<DataProduct>().await;
        let handed_out = notifier.hand_out().await.unwrap();
        let now = Timestamp::now();
        let first = dispatcher.dispatch_due(now).await.unwrap();
        drop((notifier, dispatcher));
        let (notifier, dispatcher) = afresh(&app, 5);
        let again = notifier.hand_out().await.unwrap();
        let rounds = [
            dispatcher.dispatch_due(now).await.unwrap(),
            dispatcher.dispatch_due(in_hours(now, 1)).await.unwrap(),
            dispatcher.dispatch_due(in_hours(now, 2)).await.unwrap(),
            dispatcher.dispatch_due(in_hours(now, 3)).await.unwrap(),
        ];

        // Assert
        assert_eq!((handed_out, again), (1, 0), "the event is handed out once, and not again after the restart");
        assert_eq!(first, Round { retried: 1, ..Round::default() });
        let attempted: Vec<(usize, usize)> = rounds.iter().map(|r| (r.retried, r.delivered)).collect();
        assert_eq!(attempted, [(0, 0), (1, 0), (0, 1), (0, 0)]);
        let requests = receiver.requests_at("/edge/flaky/f").await;
        let statuses: Vec<u64> = requests.iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [503, 503, 200]);
        assert!(requests.iter().all(|r| r["verified"] == true), "{requests:?}");
        let ids: std::collections::BTreeSet<&str> =
            requests.iter().map(|r| r["webhook_id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 1, "every attempt carries the one idempotency key");
        let acted: Vec<_> = requests.iter().filter(|r| r["status"] == 200 && r["duplicate"] == false).collect();
        assert_eq!(acted.len(), 1, "the receiver acted on the event once");
        assert_eq!(acted[0]["event"]["type"], "io.meshport.product.deprecated");
    }

    #[tokio::test]
    async fn a_dead_lettered_delivery_is_listed_for_admins_without_its_url_and_redelivered_once_healed() {
        // Arrange: a receiver that is down, three attempts allowed.
        let app = spawn(true).await;
        let receiver = peers::webhook_receiver(&[("edge", OLD_SECRET)]);
        let orders = subscribed(&app, &receiver, "/edge/down/d").await;
        let (notifier, dispatcher) = afresh(&app, 3);
        notifier.hand_out().await.unwrap();
        app.as_(Who::Owner).deprecate(&orders.id, &deprecation(&orders)).await.ok::<DataProduct>().await;
        notifier.hand_out().await.unwrap();
        let now = Timestamp::now();
        for hour in 0..3 {
            dispatcher.dispatch_due(in_hours(now, hour)).await.unwrap();
        }

        // Act: event 1 is the seed, 2 the deprecation.
        let (not_admin, _) = app.as_(Who::Owner).dead_letters().await.error().await;
        let listed = app.as_(Who::Admin).dead_letters().await.text().await.unwrap();
        let (not_admin_redelivers, _) = app.as_(Who::OtherTeam).redeliver(2, "edge", "webhook").await.error().await;
        let (missing, _) = app.as_(Who::Admin).redeliver(999, "edge", "webhook").await.error().await;
        receiver.heal("d").await;
        let redelivered: FailedDelivery = app.as_(Who::Admin).redeliver(2, "edge", "webhook").await.ok().await;
        let (twice, _) = app.as_(Who::Admin).redeliver(2, "edge", "webhook").await.error().await;
        let round = dispatcher.dispatch_due(Timestamp::now()).await.unwrap();

        // Assert
        assert_eq!(not_admin, StatusCode::FORBIDDEN);
        assert_eq!(not_admin_redelivers, StatusCode::FORBIDDEN);
        let dead: serde_json::Value = serde_json::from_str(&listed).unwrap();
        assert_eq!(
            dead,
            serde_json::json!([{
                "event_id": "2",
                "kind": "io.meshport.product.deprecated",
                "subject": "orders",
                "destination": "edge/webhook",
                "attempts": 3,
                "last_error": "the receiver answered 500: receiver is down",
            }])
        );
        for secret in ["127.0.0.1", "/edge/down", OLD_SECRET, "whsec_"] {
            assert!(!listed.contains(secret), "`{secret}` in {listed}");
        }
        assert_eq!(missing, StatusCode::NOT_FOUND);
        assert_eq!((redelivered.event_id.as_str(), redelivered.attempts), ("2", 0));
        assert_eq!(twice, StatusCode::CONFLICT, "only a dead letter is redelivered");
        assert_eq!(round, Round { delivered: 1, ..Round::default() });
        let statuses: Vec<u64> =
            receiver.requests_at("/edge/down/d").await.iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [500, 500, 500, 200]);
        let after: Vec<FailedDelivery> = app.as_(Who::Admin).dead_letters().await.ok().await;
        assert!(after.is_empty(), "{after:?}");
        let trail = meshport_shared::ProductId::parse("notifications.edge").unwrap();
        let audited = app.state.mesh.catalog.product_history(&trail, 10).await.unwrap();
        let summaries: Vec<&str> = audited.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(summaries[0], "redelivery of event 2 (io.meshport.product.deprecated) to `edge/webhook`");
        assert_eq!(audited[0].actor, "dev:root", "the admin who redelivered: {audited:?}");
    }

    #[tokio::test]
    async fn a_deprecation_whose_write_failed_sends_nothing_and_the_next_one_is_sent_once() {
        // Arrange: the catalog fails the second product write (the first is the seed).
        let faulty = std::sync::Mutex::new(None);
        let app = TestApp::spawn_with_catalog(
            &[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_NOTIFY_ALLOW_PRIVATE_URLS", "true".into())],
            |catalog| {
                let catalog = FaultyCatalog::new(catalog);
                *faulty.lock().unwrap() = Some(catalog.clone());
                catalog
            },
        )
        .await;
        let faults = faulty.into_inner().unwrap().unwrap();
        let receiver = peers::webhook_receiver(&[("edge", OLD_SECRET)]);
        let orders = subscribed(&app, &receiver, "/edge/ok/o").await;
        let (notifier, dispatcher) = afresh(&app, 3);
        notifier.hand_out().await.unwrap();
        faults.fail_put(2);

        // Act
        let (failed, _) = app.as_(Who::Owner).deprecate(&orders.id, &deprecation(&orders)).await.error().await;
        let after_failure = notifier.hand_out().await.unwrap();
        let nothing = dispatcher.dispatch_all_due().await.unwrap();
        let sent_after_failure = receiver.requests_at("/edge/ok/o").await.len();
        app.as_(Who::Owner).deprecate(&orders.id, &deprecation(&orders)).await.ok::<DataProduct>().await;
        let after_success = notifier.hand_out().await.unwrap();
        let round = dispatcher.dispatch_all_due().await.unwrap();

        // Assert
        assert_eq!(failed, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!((after_failure, nothing, sent_after_failure), (0, Round::default(), 0), "no event, no delivery");
        assert_eq!((after_success, round.delivered), (1, 1));
        let requests = receiver.requests_at("/edge/ok/o").await;
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert_eq!(requests[0]["event"]["type"], "io.meshport.product.deprecated");
        let kinds: Vec<(u64, EventKind)> =
            app.state.mesh.catalog.events_after(0, 10).await.unwrap().iter().map(|e| (e.seq, e.kind)).collect();
        assert_eq!(kinds, [(1, EventKind::ProductUpdated), (2, EventKind::ProductDeprecated)], "no gap either");
        assert_eq!(requests[0]["event"]["sequence"], format!("{:020}", 2));
    }

    #[tokio::test]
    async fn a_change_of_channels_names_the_revision_it_was_decided_on_and_is_audited_without_secrets() {
        let app = spawn(true).await;
        let first = webhook("http://127.0.0.1:9/first".into(), OLD_SECRET);
        let second = ChannelSettings {
            slack_url: Some("https://hooks.slack.com/services/T/B/s3cr3t".into()),
            email: Some("edge@acme.example".into()),
            ..webhook("http://127.0.0.1:9/second".into(), NEW_SECRET)
        };
        let owner = app.as_(Who::OtherTeam);

        let none = owner.channels("edge").await;
        let etag = |r: &reqwest::Response| r.headers()[reqwest::header::ETAG].to_str().unwrap().to_owned();
        let (none_tag, (missing, _)) = (etag(&none), owner.set_channels_at("edge", &first, None).await.error().await);
        let set = owner.set_channels_at("edge", &first, Some("\"0\"")).await;
        let set_tag = etag(&set);
        let (stale, _) = owner.set_channels_at("edge", &second, Some("\"0\"")).await.error().await;
        let (garbled, _) = owner.set_channels_at("edge", &second, Some("yesterday")).await.error().await;
        let changed = owner.set_channels_at("edge", &second, Some(&set_tag)).await;
        let changed_tag = etag(&changed);

        assert_eq!(none_tag, "\"0\"");
        assert_eq!(missing, StatusCode::BAD_REQUEST, "a change names its revision");
        assert_eq!((set.status(), set_tag.as_str()), (StatusCode::OK, "\"1\""));
        assert_eq!(stale, StatusCode::CONFLICT, "a change decided on an old revision overwrites nothing");
        assert_eq!(garbled, StatusCode::BAD_REQUEST);
        assert_eq!((changed.status(), changed_tag.as_str()), (StatusCode::OK, "\"2\""));
        assert_eq!(etag(&owner.channels("edge").await), "\"2\"");
        let trail = meshport_shared::ProductId::parse("notifications.edge").unwrap();
        let audited = app.state.mesh.catalog.product_history(&trail, 10).await.unwrap();
        let summaries: Vec<&str> = audited.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "notification channels set: webhook changed, Slack added, email added",
                "notification channels set: webhook added",
            ]
        );
        let shown = format!("{audited:?}");
        for secret in ["127.0.0.1", "s3cr3t", "whsec_", "edge@acme.example"] {
            assert!(!shown.contains(secret), "`{secret}` in the audit trail: {shown}");
        }
    }
}

/// Watchers through the whole path: the API's watch, the hand-out, the dispatcher and a real SMTP server.
mod watchers {
    use std::collections::HashMap;
    use std::sync::Arc;

    use jiff::Timestamp;
    use meshport_api::notify::{Channels, Dispatcher, Notifier};
    use meshport_shared::DataProduct;
    use meshport_shared::api::DeprecateRequest;
    use meshport_shared::events::{PersonalSettings, WatchRequest, WatchState};
    use reqwest::Method;

    use super::{email_settings, peers};
    use crate::common::{Answer, TestApp, Who, product};

    async fn watch(app: &TestApp, who: Who, product: &DataProduct, email: &str) {
        let body = WatchRequest { email: Some(email.into()), muted: false };
        let path = format!("/api/v1/products/{}/watch", product.id);
        app.as_(who).request(Method::PUT, &path).await.json(&body).send().await.unwrap().ok::<WatchState>().await;
    }

    #[tokio::test]
    async fn a_watcher_gets_the_deprecation_by_email_and_one_who_muted_since_the_hand_out_does_not() {
        // Arrange: Carol (an owner) and Bob (another team) watch the product; a mail server; a notifier and
        // dispatcher sending mail to it.
        let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await;
        let out = tempfile::tempdir().unwrap();
        let server = peers::smtp_receiver(out.path(), None);
        let orders = app.seed(product(&crate::common::unique("watched"), "execution")).await;
        let catalog = app.state.mesh.catalog.clone();
        let channels =
            Channels::new(&app.state.embed.portal_url, Some(email_settings(server.port, None)), HashMap::new());
        let dispatcher = Dispatcher::new(catalog.clone(), Arc::new(channels.unwrap()), super::settings(3));
        let notifier = Notifier { catalog: catalog.clone(), source: app.state.embed.portal_url.clone() };
        notifier.hand_out().await.unwrap();
        watch(&app, Who::Owner, &orders, "carol@acme.example").await;
        watch(&app, Who::OtherTeam, &orders, "bob@acme.example").await;
        let request = DeprecateRequest {
            sunset: "2027-06-30".into(),
            replacement: None,
            message: "Replaced by a better stream".into(),
            revision: orders.revision,
        };

        // Act: the deprecation is handed out to both; Bob mutes everything before it is delivered.
        app.as_(Who::Owner).deprecate(&orders.id, &request).await.ok::<DataProduct>().await;
        notifier.hand_out().await.unwrap();
        let bob = app.as_(Who::OtherTeam).request(Method::PUT, "/api/v1/me/notifications").await;
        let muted = PersonalSettings { email: Some("bob@acme.example".into()), muted: true };
        bob.json(&muted).send().await.unwrap().ok::<PersonalSettings>().await;
        let round = dispatcher.dispatch_due(Timestamp::now()).await.unwrap();

        // Assert
        assert_eq!((round.delivered, round.dropped, round.retried), (1, 1, 0), "{round:?}");
        let mails = peers::mails(out.path());
        let to: Vec<&serde_json::Value> = mails.iter().map(|mail| &mail["rcpt_tos"]).collect();
        assert_eq!(to, [&serde_json::json!(["carol@acme.example"])], "Carol only: Bob muted since");
        let subject = mails[0]["headers"]["Subject"].as_str().unwrap();
        assert!(subject.ends_with("deprecated"), "{subject}");
    }
}
