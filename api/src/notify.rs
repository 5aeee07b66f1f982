//! Notifications: change events delivered to the people and systems they concern, over signed webhooks, Slack and
//! Microsoft Teams incoming webhooks and email, with retries and a dead-letter state.
//!
//! The pieces, each usable alone: `render` turns an event into an email (HTML and plain text) and chat messages,
//! every outside text escaped for where it lands; `webhook` signs per the Standard Webhooks spec; `channel` sends one
//! rendered event to one destination; `outbox` is where pending deliveries (event × destination) wait, a trait the
//! catalog stores will implement in the change's own transaction (an in-memory one until then); `dispatch` takes
//! what is due from the outbox and delivers it, retrying with backoff and jitter under a per-destination rate limit
//! until delivered or dead-lettered; `teams` checks a team's channels, resolves who an event concerns and hands new
//! catalog events to the outbox (`Notifier`, run with the dispatcher by the local server). Nothing here knows HTTP
//! routes.

mod channel;
mod dispatch;
mod outbox;
pub mod render;
mod teams;
mod webhook;

pub use channel::{Channels, DeliveryError, Destination, DestinationId, EmailSettings, SmtpSecurity};
pub use dispatch::{DispatchSettings, Dispatcher, Round, TokenBucket, retry_delay};
pub use outbox::{Delivery, DeliveryKey, DeliveryState, MemoryOutbox, Outbox, OutboxError};
pub use teams::watcher_destinations;
pub use teams::{Notifier, audience, channels, check, destinations, run, set_channels};
pub use webhook::{WebhookSecret, WebhookSecretError, signature_header};
