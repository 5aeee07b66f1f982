//! What the HTTP benchmarks share: timing repeated GETs of one URL, printing their percentiles, and a schema
//! registry to run against. Each benchmark uses some of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The time each of `count` GETs of `url` took, each answered 200 and read to its end.
pub async fn timed_gets(http: &reqwest::Client, url: &str, count: usize) -> Vec<Duration> {
    let mut requests = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let response = http.get(url).send().await.expect("an answer");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.bytes().await.expect("a body");
        requests.push(started.elapsed());
    }
    requests
}

/// Prints p50, p95 and the maximum of `samples`.
pub fn report(what: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    println!("{what}: p50 {:?}, p95 {:?}, max {:?}", at(0.50), at(0.95), at(1.0));
}

/// A schema registry of the project's own on a free port, serving until the process ends: its URL.
pub async fn spawn_registry() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port for the registry");
    let url = format!("http://{}", listener.local_addr().expect("the registry's address"));
    tokio::spawn(async move { axum::serve(listener, meshport_registry::router()).await });
    url
}
