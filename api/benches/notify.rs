//! How fast notifications go, through the embedded catalog's outbox (a redb file, every write a committed
//! transaction) to one fast receiver over loopback (an in-process axum server answering 204):
//!
//! - dispatcher throughput: many deliveries due at once, each sent signed and its attempt recorded (goal: 500
//!   events/s or more);
//! - change to delivered webhook (p50/p95): a deprecation stored, its event handed to the outbox by the notifier
//!   (audience resolved, deliveries written with the mark) and the dispatcher's round that delivers it (goal: p95
//!   under 1 s). The local server's loop runs these every second, which adds up to that second of waiting; in the
//!   cloud the table's stream starts the dispatcher instead.
//!
//! It prints and asserts nothing but that every delivery arrived: `cargo bench -p meshport-api --bench notify`.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::report;
use jiff::Timestamp;
use meshport_api::catalog::{CatalogStore, Delivery, EmbeddedStore};
use meshport_api::notify::{Channels, DestinationId, DispatchSettings, Dispatcher, Notifier};
use meshport_shared::access::{AccessRequest, AccessState, GroupPattern};
use meshport_shared::events::{ChannelSettings, WebhookSettings};
use meshport_shared::{AuditAction, DataProduct, Deprecation, GroupName, Principal, ProductId, TeamName};

const EVENTS: u64 = 5_000;
/// Deliveries handed out per transaction while filling the outbox for the throughput run.
const HAND_OUT: u64 = 500;
const LATENCY_SAMPLES: u64 = 200;
const PORTAL: &str = "https://meshport.acme.example";

#[tokio::main]
async fn main() {
    let received = Arc::new(AtomicUsize::new(0));
    let url = receiver(Arc::clone(&received)).await;
    let team = TeamName::parse("edge").unwrap();
    // The rate limit is lifted: this measures the dispatcher and the outbox, not the limit a destination is given.
    let settings = DispatchSettings {
        rate_per_second: 1e9,
        burst: u32::MAX,
        concurrency: 32,
        batch: 1_000,
        ..DispatchSettings::default()
    };

    // Throughput: every delivery due at once, to the team's webhook.
    let (catalog, _dir) = catalog_with_channels(&team, &url).await;
    let dispatcher = dispatcher_of(&catalog, &settings);
    let now = Timestamp::now();
    let destination = DestinationId("edge/webhook".into());
    for first in (1..=EVENTS).step_by(HAND_OUT as usize) {
        let last = (first + HAND_OUT - 1).min(EVENTS);
        let deliveries = (first..=last)
            .map(|seq| {
                let event = meshport_shared::testing::deprecation_event(seq, "Orders", "Orders is deprecated.");
                Delivery::new(event, destination.clone(), now)
            })
            .collect();
        catalog.hand_out(first - 1, last, deliveries).await.unwrap();
    }
    let started = Instant::now();
    let mut delivered = 0;
    while delivered < EVENTS as usize {
        let round = dispatcher.dispatch_due(now).await.unwrap();
        assert_eq!(round.retried + round.dead_lettered, 0, "the receiver refused a delivery");
        delivered += round.delivered;
    }
    let elapsed = started.elapsed();
    assert_eq!(received.load(Ordering::Relaxed), EVENTS as usize);
    println!(
        "notify: dispatcher throughput through the embedded outbox, {EVENTS} signed webhooks to one receiver over \
         loopback (concurrency {}): {:.0} events/s ({elapsed:?})",
        settings.concurrency,
        EVENTS as f64 / elapsed.as_secs_f64()
    );

    // Latency: a change through a catalog of its own to its webhook delivered, one at a time.
    let (catalog, _dir) = catalog_with_channels(&team, &url).await;
    let dispatcher = dispatcher_of(&catalog, &settings);
    let mut orders =
        catalog.put_product(product(), None, entry(&product().id, AuditAction::Published, None)).await.unwrap();
    grant(&*catalog, &orders, &team).await;
    let notifier = Notifier { catalog: Arc::clone(&catalog), source: PORTAL.into() };
    // The publication tells the owners, who set no channels: handed out before the samples.
    notifier.hand_out().await.unwrap();
    let before = received.load(Ordering::Relaxed);
    let mut samples: Vec<Duration> = Vec::new();
    for n in 0..LATENCY_SAMPLES {
        let mut deprecated = orders.clone();
        deprecated.deprecation =
            Some(Deprecation { sunset: "2027-06-30".into(), replacement: None, message: format!("notice {n}") });
        let audit = entry(&orders.id, AuditAction::Deprecated, Some(&deprecated));
        let started = Instant::now();
        orders = catalog.put_product(deprecated, Some(orders.revision), audit).await.unwrap();
        let handed = notifier.hand_out().await.unwrap();
        let round = dispatcher.dispatch_due(Timestamp::now()).await.unwrap();
        samples.push(started.elapsed());
        assert_eq!((handed, round.delivered), (1, 1), "sample {n}");
    }
    assert_eq!(received.load(Ordering::Relaxed) - before, LATENCY_SAMPLES as usize);
    report(
        "notify: a deprecation stored to its webhook delivered, through the embedded outbox over loopback",
        &mut samples,
    );
}

/// An embedded catalog in a directory of its own, `team`'s webhook at `url`.
async fn catalog_with_channels(team: &TeamName, url: &str) -> (Arc<dyn CatalogStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let catalog: Arc<dyn CatalogStore> = Arc::new(EmbeddedStore::new(dir.path()));
    let channels = ChannelSettings {
        webhook: Some(WebhookSettings {
            url: url.to_owned(),
            secret: meshport_api::notify::WebhookSecret::generate().expose().to_owned(),
        }),
        ..ChannelSettings::default()
    };
    let audit = entry(&ProductId::parse(format!("notifications.{team}")).unwrap(), AuditAction::Updated, None);
    catalog.put_team_channels(team, &channels, None, audit).await.unwrap();
    (catalog, dir)
}

/// A dispatcher over `catalog`'s outbox that knows no destination but what the catalog holds.
fn dispatcher_of(catalog: &Arc<dyn CatalogStore>, settings: &DispatchSettings) -> Dispatcher {
    let channels = Arc::new(Channels::new(PORTAL, None, HashMap::new()).unwrap());
    Dispatcher::new(Arc::clone(catalog), channels, settings.clone())
}

/// A fast receiver counting what it takes; answers its URL.
async fn receiver(received: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = Arc::clone(&received);
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn product() -> DataProduct {
    meshport_shared::testing::product("orders").build()
}

fn entry(product: &ProductId, action: AuditAction, after: Option<&DataProduct>) -> meshport_shared::AuditEntry {
    meshport_api::audit::entry("bench", product, action, "a benchmark change", None, after)
}

/// `team` consumes `product`: an active grant.
async fn grant(catalog: &dyn CatalogStore, product: &DataProduct, team: &TeamName) {
    let request = AccessRequest {
        id: "bench-grant".into(),
        product: product.id.clone(),
        owner_team: product.owner.team.clone(),
        team: team.clone(),
        purpose: "Benchmarks".into(),
        principals: vec![Principal::parse("User:svc-edge").unwrap()],
        group: GroupName::parse("edge-readers").unwrap(),
        group_pattern: GroupPattern::Literal,
        until: None,
        state: AccessState::Active,
        requested_by: "bench".into(),
        requested_at: "2026-12-05T10:00:00Z".into(),
        decided_by: Some("bench".into()),
        decided_at: Some("2026-12-05T10:05:00Z".into()),
        reason: None,
        revision: 0,
    };
    catalog.put_access(request, None, entry(&product.id, AuditAction::Access, None)).await.unwrap();
}
