//! The README's promise about the demo: run as `scripts/run` runs it (the demo mesh told where the mail and webhook
//! catcher is, the notifier delivering through the catcher's SMTP port), deprecating a demo product tells its demo
//! subscribers, and the catcher (`tests/peers/catcher.py`, checking signatures with `standardwebhooks`) shows it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lettre::message::Mailbox;
use meshport_api::notify::{EmailSettings, Notifier, SmtpSecurity};
use meshport_shared::access::AccessState;
use meshport_shared::api::{DeprecateRequest, ProductDetail};
use meshport_shared::{DataProduct, ProductId};
use serde_json::Value;

use crate::common::{Answer, TestApp, Who};

/// The catcher process, stopped when dropped.
struct Catcher {
    child: Child,
    smtp_port: u16,
    http_port: u16,
}

impl Drop for Catcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Catcher {
    /// Started on free ports, verifying webhooks with the demo's secret, as `scripts/run` starts it.
    fn start() -> Self {
        let python = std::env::var("MESHPORT_TEST_PEERS_PYTHON")
            .expect("MESHPORT_TEST_PEERS_PYTHON names the Python with aiosmtpd and standardwebhooks (scripts/test)");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/catcher.py");
        let mut child = Command::new(&python)
            .arg(script)
            .args(["--smtp-port", "0", "--http-port", "0", "--secret", meshport_api::demo::CATCHER_WEBHOOK_SECRET])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the catcher with {python}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line).expect("the catcher's line");
        let ports: Vec<u16> = line.split_whitespace().filter_map(|word| word.parse().ok()).collect();
        let [smtp_port, http_port] = ports[..] else { panic!("the catcher did not start: `{}`", line.trim()) };
        Self { child, smtp_port, http_port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// What arrived, as its JSON listing shows it: `{"mails": [...], "webhooks": [...]}`.
    async fn messages(&self) -> Value {
        reqwest::get(format!("{}/messages", self.url())).await.unwrap().json().await.unwrap()
    }
}

/// Polls `until` every 200 ms for at most `limit`, failing with `what` and the last value seen.
async fn eventually<T: std::fmt::Debug>(what: &str, limit: Duration, mut until: impl AsyncFnMut() -> (bool, T)) -> T {
    let deadline = Instant::now() + limit;
    loop {
        let (done, seen) = until().await;
        if done {
            return seen;
        }
        assert!(Instant::now() < deadline, "{what} within {} s; last seen: {seen:?}", limit.as_secs());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn deprecating_a_demo_product_tells_its_demo_subscribers_through_the_catcher() {
    // Arrange: the demo seeded with the catcher's address, and the notifier sending mail to the catcher.
    let catcher = Catcher::start();
    let app = TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into())]).await;
    tokio::spawn(meshport_api::demo::run_with(app.state.mesh.clone(), Some(catcher.url())));
    let email = EmailSettings {
        host: "127.0.0.1".into(),
        port: catcher.smtp_port,
        security: SmtpSecurity::None,
        credentials: None,
        from: "Meshport <meshport@acme.example>".parse::<Mailbox>().unwrap(),
    };
    let (notifier, dispatcher) =
        Notifier::local(app.state.mesh.catalog.clone(), &app.state.embed.portal_url, Some(email)).unwrap();
    tokio::spawn(meshport_api::notify::run(notifier, dispatcher, Duration::from_millis(200)));
    let trades = ProductId::parse("stocktrades").unwrap();
    let catalog = app.state.mesh.catalog.clone();
    let grants = eventually("the demo's subscription to stocktrades granted", Duration::from_secs(60), async || {
        let grants = catalog.product_access(&trades).await.unwrap_or_default();
        (grants.iter().any(|g| g.state == AccessState::Active && g.team.as_str() == "insights"), grants)
    })
    .await;
    assert_eq!(grants.len(), 1, "{grants:?}");
    let detail: ProductDetail = app.as_(Who::Owner).product("stocktrades").await.ok().await;

    // Act: the owners (`trading`) deprecate the product.
    let deprecation = DeprecateRequest {
        sunset: "2027-06-30".into(),
        replacement: None,
        message: "Trades move to the execution-events product".into(),
        revision: detail.product.revision,
    };
    app.as_(Who::Owner).deprecate("stocktrades", &deprecation).await.ok::<DataProduct>().await;

    // Assert: the subscribing team's mail and its verified webhook arrive; no other team hears of it.
    let deprecated = |messages: &Value, kind: &str| -> Vec<Value> {
        let items = messages[kind].as_array().cloned().unwrap_or_default();
        items.into_iter().filter(|item| item.to_string().contains("deprecated")).collect()
    };
    let messages =
        eventually("the deprecation's mail and webhook at the catcher", Duration::from_secs(30), async || {
            let messages = catcher.messages().await;
            (!deprecated(&messages, "mails").is_empty() && !deprecated(&messages, "webhooks").is_empty(), messages)
        })
        .await;
    let mails = deprecated(&messages, "mails");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["to"], serde_json::json!(["insights@acme.example"]), "{}", mails[0]);
    assert!(mails[0]["subject"].as_str().unwrap().contains("stocktrades"), "{}", mails[0]);
    assert!(mails[0]["text"].as_str().unwrap().contains("/products/stocktrades"), "a link to it: {}", mails[0]);
    let webhooks = deprecated(&messages, "webhooks");
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert_eq!(webhooks[0]["name"], "insights", "{}", webhooks[0]);
    assert_eq!(webhooks[0]["verified"], true, "{}", webhooks[0]);
    assert_eq!(webhooks[0]["event"]["type"], "io.meshport.product.deprecated");
    assert_eq!(webhooks[0]["event"]["subject"], "stocktrades");
}
