//! Where deliveries wait: one per event and destination, pending until delivered or dead-lettered.
//!
//! The trait is shaped for the catalog stores, which will write an event's deliveries in the change's own
//! transaction: every read is a Get or a Query of one partition, never a Scan. `pending` is one Query of the pending
//! deliveries ordered by when they are due (on DynamoDB an index whose sort key is `next_at`, present only on
//! pending items); `dead_letters` one Query of the dead-letter partition; each `mark_*` one conditional write on the
//! delivery's own item, conditional on the attempts it was read with, so two dispatchers (the stream's and the
//! sweep's) never both count an attempt. [`MemoryOutbox`] is the in-memory one, for tests, benchmarks and until the
//! stores have theirs.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;
use meshport_shared::events::Event;
use serde::{Deserialize, Serialize};

use super::channel::DestinationId;

/// A delivery's key: the event's sequence number and the destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeliveryKey {
    pub seq: u64,
    pub destination: DestinationId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    DeadLettered,
}

/// One event to one destination, and how its delivery went so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub key: DeliveryKey,
    pub event: Event,
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is due next, while pending.
    pub next_at: Timestamp,
    /// Why the last attempt failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    #[error("delivery {0:?} does not exist")]
    NotFound(DeliveryKey),
    /// Another dispatcher recorded this attempt first, or the delivery is no longer pending.
    #[error("delivery {0:?} changed since it was read")]
    Changed(DeliveryKey),
    #[error("the outbox is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Outbox: Send + Sync {
    /// Up to `limit` pending deliveries due at `now`, the earliest due first.
    async fn pending(&self, now: Timestamp, limit: usize) -> Result<Vec<Delivery>, OutboxError>;
    /// Records that attempt `attempt` (counted from 1) delivered it.
    async fn mark_delivered(&self, key: &DeliveryKey, attempt: u32) -> Result<(), OutboxError>;
    /// Records that attempt `attempt` failed with `error`; it is due again at `next_at`.
    async fn mark_failed(
        &self,
        key: &DeliveryKey,
        attempt: u32,
        next_at: Timestamp,
        error: &str,
    ) -> Result<(), OutboxError>;
    /// Records that attempt `attempt`, the last allowed, failed with `error`: it waits for an admin.
    async fn dead_letter(&self, key: &DeliveryKey, attempt: u32, error: &str) -> Result<(), OutboxError>;
    /// Up to `limit` dead-lettered deliveries, oldest event first, for admins to see.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>, OutboxError>;
    /// Puts a dead-lettered delivery back, due at `now`, with its attempts counted afresh.
    async fn redeliver(&self, key: &DeliveryKey, now: Timestamp) -> Result<(), OutboxError>;
}

/// The outbox in memory.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    deliveries: Mutex<BTreeMap<DeliveryKey, Delivery>>,
}

impl MemoryOutbox {
    /// Adds a pending delivery of `event` to each of `destinations`, due at `now`.
    pub fn add(&self, event: &Event, destinations: &[DestinationId], now: Timestamp) {
        let mut deliveries = self.deliveries.lock().expect("the outbox's lock");
        for destination in destinations {
            let key = DeliveryKey { seq: event.seq, destination: destination.clone() };
            let delivery = Delivery {
                key: key.clone(),
                event: event.clone(),
                state: DeliveryState::Pending,
                attempts: 0,
                next_at: now,
                last_error: None,
            };
            deliveries.insert(key, delivery);
        }
    }

    pub fn get(&self, key: &DeliveryKey) -> Option<Delivery> {
        self.deliveries.lock().expect("the outbox's lock").get(key).cloned()
    }

    /// Changes the pending delivery `key` whose attempts so far are `attempt - 1`.
    fn record(&self, key: &DeliveryKey, attempt: u32, change: impl FnOnce(&mut Delivery)) -> Result<(), OutboxError> {
        let mut deliveries = self.deliveries.lock().expect("the outbox's lock");
        let delivery = deliveries.get_mut(key).ok_or_else(|| OutboxError::NotFound(key.clone()))?;
        if delivery.state != DeliveryState::Pending || delivery.attempts + 1 != attempt {
            return Err(OutboxError::Changed(key.clone()));
        }
        delivery.attempts = attempt;
        change(delivery);
        Ok(())
    }
}

#[async_trait]
impl Outbox for MemoryOutbox {
    async fn pending(&self, now: Timestamp, limit: usize) -> Result<Vec<Delivery>, OutboxError> {
        let deliveries = self.deliveries.lock().expect("the outbox's lock");
        let mut due: Vec<Delivery> = deliveries
            .values()
            .filter(|delivery| delivery.state == DeliveryState::Pending && delivery.next_at <= now)
            .cloned()
            .collect();
        due.sort_by(|a, b| (a.next_at, &a.key).cmp(&(b.next_at, &b.key)));
        due.truncate(limit);
        Ok(due)
    }

    async fn mark_delivered(&self, key: &DeliveryKey, attempt: u32) -> Result<(), OutboxError> {
        self.record(key, attempt, |delivery| {
            delivery.state = DeliveryState::Delivered;
            delivery.last_error = None;
        })
    }

    async fn mark_failed(
        &self,
        key: &DeliveryKey,
        attempt: u32,
        next_at: Timestamp,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.record(key, attempt, |delivery| {
            delivery.next_at = next_at;
            delivery.last_error = Some(error.to_owned());
        })
    }

    async fn dead_letter(&self, key: &DeliveryKey, attempt: u32, error: &str) -> Result<(), OutboxError> {
        self.record(key, attempt, |delivery| {
            delivery.state = DeliveryState::DeadLettered;
            delivery.last_error = Some(error.to_owned());
        })
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>, OutboxError> {
        let deliveries = self.deliveries.lock().expect("the outbox's lock");
        Ok(deliveries.values().filter(|d| d.state == DeliveryState::DeadLettered).take(limit).cloned().collect())
    }

    async fn redeliver(&self, key: &DeliveryKey, now: Timestamp) -> Result<(), OutboxError> {
        let mut deliveries = self.deliveries.lock().expect("the outbox's lock");
        let delivery = deliveries.get_mut(key).ok_or_else(|| OutboxError::NotFound(key.clone()))?;
        if delivery.state != DeliveryState::DeadLettered {
            return Err(OutboxError::Changed(key.clone()));
        }
        delivery.state = DeliveryState::Pending;
        delivery.attempts = 0;
        delivery.next_at = now;
        Ok(())
    }
}
