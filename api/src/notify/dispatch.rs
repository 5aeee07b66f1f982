//! The dispatcher: takes the deliveries that are due from the outbox and sends them, several at once, each
//! destination within its rate limit; a failed attempt is retried after an exponentially growing, jittered delay, and
//! after `max_attempts` the delivery is dead-lettered until an admin redelivers it.
//!
//! Deliveries wait in the catalog (see `outbox`); each round reads the channels of the teams its deliveries go to,
//! so a delivery made after a restart, or after a team changed its channels, goes where the team now says.
//!
//! Time is given, not read: [`Dispatcher::dispatch_due`] takes `now`, which decides what is due and when a retry
//! falls due, so a caller (the background task, the stream's Lambda, a test) controls the schedule. Only the
//! webhook's `webhook-timestamp` is the real clock, as receivers check it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use meshport_shared::TeamName;

use super::channel::{Channels, DestinationId};
use super::teams::{destinations, person_email, person_of};
use crate::catalog::{Attempt, CatalogStore, Delivery, StoreError};

#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: u32,
    /// The delay before the first retry; each further retry waits twice as long, up to `max_retry_delay`.
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// Deliveries per second to one destination, and how many may go at once after a quiet spell.
    pub rate_per_second: f64,
    pub burst: u32,
    /// Deliveries in flight at once, over all destinations.
    pub concurrency: usize,
    /// Deliveries taken from the outbox per round.
    pub batch: usize,
}

impl Default for DispatchSettings {
    /// Eight attempts over about four hours (1 min, 2, 4, ... capped at 2 h, each jittered), ten deliveries a
    /// second to one destination.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            first_retry_delay: Duration::from_secs(60),
            max_retry_delay: Duration::from_secs(2 * 3600),
            rate_per_second: 10.0,
            burst: 20,
            concurrency: 16,
            batch: 256,
        }
    }
}

/// How long to wait after failed attempt `attempt` (from 1): the exponential delay, less a random part of up to
/// half of it (`unit_random` in `[0, 1)`), so receivers that failed together are not retried together.
pub fn retry_delay(attempt: u32, settings: &DispatchSettings, unit_random: f64) -> Duration {
    let doublings = attempt.saturating_sub(1).min(30);
    let exponential = settings.first_retry_delay.saturating_mul(1 << doublings).min(settings.max_retry_delay);
    exponential.mul_f64(1.0 - unit_random.clamp(0.0, 1.0) / 2.0)
}

/// One destination's rate limit: a token bucket refilled at `rate` per second up to `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self { rate: rate.max(f64::MIN_POSITIVE), burst, tokens: burst, at: now }
    }

    /// Takes a token at `now`, or the next one that comes: how long to wait before sending (zero if at once).
    pub fn take(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at = self.at.max(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-self.tokens / self.rate) }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retried: usize,
    pub dead_lettered: usize,
    /// Deliveries another dispatcher recorded first.
    pub skipped: usize,
    /// Deliveries to a watcher who since muted or left no address: done, with nothing sent.
    pub dropped: usize,
}

impl Round {
    pub fn attempted(&self) -> usize {
        self.delivered + self.retried + self.dead_lettered
    }
}

pub struct Dispatcher {
    outbox: Arc<dyn CatalogStore>,
    channels: Arc<Channels>,
    settings: DispatchSettings,
    buckets: Arc<Mutex<HashMap<DestinationId, TokenBucket>>>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").field("channels", &self.channels).field("settings", &self.settings).finish()
    }
}

enum Outcome {
    Delivered,
    Retried,
    DeadLettered,
    Skipped,
    Dropped,
}

impl Dispatcher {
    /// A dispatcher of the deliveries waiting in `outbox` (the catalog), through `channels`.
    pub fn new(outbox: Arc<dyn CatalogStore>, channels: Arc<Channels>, settings: DispatchSettings) -> Self {
        Self { outbox, channels, settings, buckets: Arc::default() }
    }

    /// Reads the current destinations of what `due` goes to: a team's channels (`<team>/<channel>`), a watcher's
    /// email (`person/<subject>/email`). One no longer there (a channel removed, a watcher who muted) is forgotten, so
    /// its delivery fails as unknown rather than reaching where the team or person no longer wants it.
    async fn refresh_destinations(&self, due: &[Delivery]) -> Result<(), StoreError> {
        let ids: BTreeSet<&DestinationId> = due.iter().map(|d| &d.key.destination).collect();
        let mut teams = BTreeSet::new();
        for id in &ids {
            if let Some(person) = person_of(id) {
                match person_email(&*self.outbox, person).await? {
                    Some(destination) => self.channels.set_destination((*id).clone(), destination),
                    None => self.channels.remove_destination(id),
                }
            } else if let Some(team) = id.0.split_once('/').and_then(|(team, _)| TeamName::parse(team).ok()) {
                teams.insert(team);
            }
        }
        for team in teams {
            let current = match self.outbox.team_channels(&team).await? {
                Some(stored) => destinations(&team, &stored.settings),
                None => Vec::new(),
            };
            let prefix = format!("{team}/");
            for id in ids.iter().filter(|id| id.0.starts_with(&prefix) && person_of(id).is_none()) {
                if !current.iter().any(|(current, _)| current == *id) {
                    self.channels.remove_destination(id);
                }
            }
            for (id, destination) in current {
                self.channels.set_destination(id, destination);
            }
        }
        Ok(())
    }

    /// Delivers what is due at `now`, one batch: each delivery once, at most `concurrency` at a time, each waiting
    /// for its destination's rate limit.
    pub async fn dispatch_due(&self, now: Timestamp) -> Result<Round, StoreError> {
        let due = self.outbox.pending_deliveries(now, self.settings.batch).await?;
        self.refresh_destinations(&due).await?;
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for delivery in due {
            let permit = Arc::clone(&permits).acquire_owned().await.expect("the semaphore is never closed");
            let wait = self.wait_for(&delivery.key.destination);
            let (outbox, channels, settings) =
                (Arc::clone(&self.outbox), Arc::clone(&self.channels), self.settings.clone());
            tasks.spawn(async move {
                tokio::time::sleep(wait).await;
                let outcome = attempt(&*outbox, &channels, &settings, &delivery, now).await;
                drop(permit);
                outcome
            });
        }
        let mut round = Round::default();
        while let Some(outcome) = tasks.join_next().await {
            match outcome.expect("a delivery task does not panic")? {
                Outcome::Delivered => round.delivered += 1,
                Outcome::Retried => round.retried += 1,
                Outcome::DeadLettered => round.dead_lettered += 1,
                Outcome::Skipped => round.skipped += 1,
                Outcome::Dropped => round.dropped += 1,
            }
        }
        Ok(round)
    }

    /// Rounds until nothing is due at the time each starts; for the background task after a wake-up.
    pub async fn dispatch_all_due(&self) -> Result<Round, StoreError> {
        let mut total = Round::default();
        loop {
            let round = self.dispatch_due(Timestamp::now()).await?;
            total.delivered += round.delivered;
            total.retried += round.retried;
            total.dead_lettered += round.dead_lettered;
            total.skipped += round.skipped;
            total.dropped += round.dropped;
            if round.attempted() + round.skipped + round.dropped == 0 {
                return Ok(total);
            }
        }
    }

    fn wait_for(&self, destination: &DestinationId) -> Duration {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("the rate limits' lock");
        buckets
            .entry(destination.clone())
            .or_insert_with(|| TokenBucket::new(self.settings.rate_per_second, self.settings.burst, now))
            .take(now)
    }
}

async fn attempt(
    outbox: &dyn CatalogStore,
    channels: &Channels,
    settings: &DispatchSettings,
    delivery: &Delivery,
    now: Timestamp,
) -> Result<Outcome, StoreError> {
    let key = &delivery.key;
    let attempt = delivery.attempts + 1;
    let (outcome, recorded) = if person_of(&key.destination).is_some() && !channels.knows(&key.destination) {
        // The watcher muted, or left no address, since the hand-out: nobody to tell.
        (Outcome::Dropped, Attempt::Delivered)
    } else {
        send(channels, settings, delivery, attempt, now).await
    };
    match outbox.record_attempt(key, attempt, recorded).await {
        Ok(()) => Ok(outcome),
        // Another dispatcher recorded this attempt first.
        Err(StoreError::Changed(_)) => Ok(Outcome::Skipped),
        Err(e) => Err(e),
    }
}

/// Sends attempt `attempt` of `delivery`: how it went, and what to record.
async fn send(
    channels: &Channels,
    settings: &DispatchSettings,
    delivery: &Delivery,
    attempt: u32,
    now: Timestamp,
) -> (Outcome, Attempt) {
    let key = &delivery.key;
    match channels.deliver(&delivery.event, &key.destination).await {
        Ok(()) => (Outcome::Delivered, Attempt::Delivered),
        Err(error) => {
            let error = error.to_string();
            tracing::warn!(seq = key.seq, destination = %key.destination, attempt, %error, "delivery failed");
            if attempt >= settings.max_attempts {
                (Outcome::DeadLettered, Attempt::DeadLettered { error })
            } else {
                let delay = retry_delay(attempt, settings, fastrand::f64());
                let next_at = now.checked_add(delay).unwrap_or(now);
                (Outcome::Retried, Attempt::Failed { next_at, error })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> DispatchSettings {
        DispatchSettings {
            first_retry_delay: Duration::from_secs(10),
            max_retry_delay: Duration::from_secs(100),
            ..DispatchSettings::default()
        }
    }

    #[test]
    fn retry_delays_double_up_to_the_cap_and_jitter_takes_up_to_half() {
        let settings = settings();
        let cases = [
            (1, 0.0, 10),
            (2, 0.0, 20),
            (3, 0.0, 40),
            (4, 0.0, 80),
            (5, 0.0, 100),
            (40, 0.0, 100),
            (1, 0.5, 7.5 as u64),
            (2, 0.999_999, 10),
        ];
        for (attempt, random, seconds) in cases {
            let delay = retry_delay(attempt, &settings, random);
            assert_eq!(delay.as_secs(), seconds, "attempt {attempt}, random {random}: {delay:?}");
        }
    }

    #[test]
    fn jittered_delays_stay_between_half_and_all_of_the_exponential_delay() {
        let settings = settings();
        for step in 0..100 {
            let delay = retry_delay(3, &settings, f64::from(step) / 100.0);
            assert!(delay > Duration::from_secs(20) && delay <= Duration::from_secs(40), "{delay:?}");
        }
    }

    #[test]
    fn a_token_bucket_lets_a_burst_through_then_spaces_the_rest() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2.0, 2, start);

        let waits: Vec<Duration> = (0..4).map(|_| bucket.take(start)).collect();

        assert_eq!(waits, [Duration::ZERO, Duration::ZERO, Duration::from_millis(500), Duration::from_secs(1)]);
    }

    #[test]
    fn a_token_bucket_refills_with_time_up_to_its_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2.0, 2, start);
        bucket.take(start);
        bucket.take(start);

        let later = start + Duration::from_secs(60);

        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.take(later), Duration::from_millis(500));
    }
}
