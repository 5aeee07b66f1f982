//! How fast the notification dispatcher delivers: throughput of signed webhooks to one fast receiver over loopback
//! (an in-process axum server answering 204; the goal is 500 events/s or more), and the time from an event being
//! due to its webhook delivered (p50/p95), one event at a time. The in-memory outbox stands in for the store's.
//! It prints and asserts nothing: `cargo bench -p meshport-api --bench notify`.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::report;
use jiff::Timestamp;
use meshport_api::notify::{
    Channels, Destination, DestinationId, DispatchSettings, Dispatcher, MemoryOutbox, WebhookSecret,
};

const EVENTS: u64 = 5_000;
const LATENCY_SAMPLES: u64 = 200;

#[tokio::main]
async fn main() {
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let destination = DestinationId("bench".into());
    let secret = WebhookSecret::parse(WebhookSecret::generate().expose()).unwrap();
    let destinations = HashMap::from([(
        destination.clone(),
        Destination::Webhook { url: url.parse().unwrap(), secrets: vec![secret] },
    )]);
    let channels = Arc::new(Channels::new("https://meshport.acme.example", None, destinations).unwrap());
    // The rate limit is lifted: this measures the dispatcher, not the limit a destination is given.
    let settings = DispatchSettings {
        rate_per_second: 1e9,
        burst: u32::MAX,
        concurrency: 32,
        batch: 1_000,
        ..DispatchSettings::default()
    };

    // Throughput: every event due at once.
    let outbox = Arc::new(MemoryOutbox::default());
    let dispatcher = Dispatcher::new(outbox.clone(), Arc::clone(&channels), settings.clone());
    let now = Timestamp::now();
    for seq in 1..=EVENTS {
        let event = meshport_shared::testing::deprecation_event(seq, "Orders", "Orders is deprecated.");
        outbox.add(&event, std::slice::from_ref(&destination), now);
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
        "notify: dispatcher throughput, {EVENTS} signed webhooks to one receiver over loopback (concurrency {}): \
         {:.0} events/s ({elapsed:?})",
        settings.concurrency,
        EVENTS as f64 / elapsed.as_secs_f64()
    );

    // Latency: one due event at a time, from the round's start to the receiver's answer recorded.
    let mut samples: Vec<Duration> = Vec::new();
    for seq in EVENTS + 1..=EVENTS + LATENCY_SAMPLES {
        let event = meshport_shared::testing::deprecation_event(seq, "Orders", "Orders is deprecated.");
        outbox.add(&event, std::slice::from_ref(&destination), now);
        let started = Instant::now();
        let round = dispatcher.dispatch_due(now).await.unwrap();
        samples.push(started.elapsed());
        assert_eq!(round.delivered, 1);
    }
    report("notify: one due event to its webhook delivered over loopback", &mut samples);
}
