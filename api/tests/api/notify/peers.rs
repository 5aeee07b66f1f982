//! The notification tests' independent receivers (`tests/peers/`), Python processes started per test with the
//! interpreter `scripts/common.sh`'s `ensure_notify_peers` installs them into (`MESHPORT_TEST_PEERS_PYTHON`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A receiver process, stopped when dropped.
pub struct Peer {
    child: Child,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> String {
    std::env::var("MESHPORT_TEST_PEERS_PYTHON").unwrap_or_else(|_| {
        panic!(
            "MESHPORT_TEST_PEERS_PYTHON is not set: the notification tests need the Python with aiosmtpd and \
             standardwebhooks that scripts/common.sh's ensure_notify_peers installs; run them with scripts/test \
             (or source scripts/common.sh and call ensure_notify_peers)"
        )
    })
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers").join(name)
}

/// Starts `script` with `args` and waits for its `port N` line.
fn start(name: &str, args: &[String]) -> Peer {
    let python = python();
    let mut child = Command::new(&python)
        .arg(script(name))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name} with {python}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line).expect("the peer's first line");
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("{name} did not start (it printed `{}`)", line.trim()));
    Peer { child, port }
}

/// The webhook receiver verifying with `secrets` (name, `whsec_...`).
pub fn webhook_receiver(secrets: &[(&str, &str)]) -> Peer {
    let args: Vec<String> =
        secrets.iter().flat_map(|(name, secret)| ["--secret".to_owned(), format!("{name}={secret}")]).collect();
    start("webhook_receiver.py", &args)
}

impl Peer {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request the webhook receiver saw, in order.
    pub async fn requests(&self) -> Vec<Value> {
        reqwest::get(self.url("/requests")).await.unwrap().json().await.unwrap()
    }

    /// The requests the webhook receiver saw at `path`.
    pub async fn requests_at(&self, path: &str) -> Vec<Value> {
        self.requests().await.into_iter().filter(|request| request["path"] == path).collect()
    }

    pub async fn heal(&self, name: &str) {
        reqwest::Client::new()
            .post(self.url(&format!("/heal/{name}")))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
}

/// The SMTP server, writing what it receives under `out`; with `login`, it demands AUTH with it.
pub fn smtp_receiver(out: &Path, login: Option<(&str, &str)>) -> Peer {
    let mut args = vec!["--out".to_owned(), out.display().to_string()];
    if let Some((user, password)) = login {
        args.extend(["--login".to_owned(), format!("{user}:{password}")]);
    }
    start("smtp_receiver.py", &args)
}

/// The messages the SMTP server wrote under `out`, in the order received.
pub fn mails(out: &Path) -> Vec<Value> {
    let mut mails = Vec::new();
    for n in 1.. {
        let Ok(text) = std::fs::read_to_string(out.join(format!("{n}.json"))) else { break };
        mails.push(serde_json::from_str(&text).unwrap());
    }
    mails
}
