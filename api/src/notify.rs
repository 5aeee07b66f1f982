//! Notifications: change events delivered to the people and systems they concern, over signed webhooks, Slack and
//! Microsoft Teams incoming webhooks and email, with retries and a dead-letter state.
//!
//! The pieces, each usable alone: `render` turns an event into an email (HTML and plain text) and chat messages,
//! every outside text escaped for where it lands; `webhook` signs per the Standard Webhooks spec; `channel` sends one
//! rendered event to one destination; the outbox, where deliveries (event × destination) wait, is the catalog's, and
//! `outbox` is its admin view (dead letters, redelivery); `dispatch` takes what is due from the outbox and delivers
//! it, retrying with backoff and jitter under a per-destination rate limit until delivered or dead-lettered; `teams`
//! checks a team's channels, resolves who an event concerns (teams and watchers) and hands new catalog events to the
//! outbox (`Notifier`). The local server runs the notifier and the dispatcher every second ([`run`]), the cloud's
//! notify function once per invocation ([`deliver`]). Nothing here knows HTTP routes.

mod channel;
mod dispatch;
mod outbox;
pub mod render;
mod teams;
mod webhook;

pub use crate::catalog::{Attempt, Delivery, DeliveryKey, DeliveryState};
pub use channel::{Channels, DeliveryError, Destination, DestinationId, EmailSettings, SmtpSecurity};
pub use dispatch::{DispatchSettings, Dispatcher, Round, TokenBucket, retry_delay};
pub use outbox::{FailedDelivery, dead_letters, redeliver};
pub use teams::watcher_destinations;
pub use teams::{Notifier, audience, channels, check, destinations, run, set_channels};
pub use webhook::{WebhookSecret, WebhookSecretError, signature_header};

/// What one [`deliver`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivered {
    /// Events handed to the outbox.
    pub handed_out: usize,
    pub delivered: usize,
    pub retried: usize,
    pub dead_lettered: usize,
}

/// Rounds of hand-out per [`deliver`], at most: a backlog beyond `BATCH` × this waits for the next invocation.
const HAND_OUT_ROUNDS: usize = 8;

/// Hands the new events to the outbox, up to a bound, then delivers everything due: one invocation of the cloud's
/// notify function (the local server's task does the same every second, in [`run`]).
pub async fn deliver(notifier: &Notifier, dispatcher: &Dispatcher) -> crate::error::Result<Delivered> {
    let mut report = Delivered::default();
    for _ in 0..HAND_OUT_ROUNDS {
        let handed = notifier.hand_out().await?;
        report.handed_out += handed;
        if handed == 0 {
            break;
        }
    }
    let round = dispatcher.dispatch_all_due().await?;
    report.delivered = round.delivered;
    report.retried = round.retried;
    report.dead_lettered = round.dead_lettered;
    Ok(report)
}
