//! The outbox as admins see it: the deliveries that failed for good (dead letters), and redelivery.
//!
//! The outbox itself is the catalog's (`CatalogStore::hand_out`, `pending_deliveries`, `record_attempt`,
//! `dead_letters`, `redeliver`): deliveries (event × destination) are stored with the notifier's mark in one
//! transaction, read by Gets and Queries only (on DynamoDB a sparse index of pending deliveries by when they are
//! due), and each attempt is recorded on condition of the attempts it was read with, so two dispatchers never both
//! count one. So deliveries survive a restart, and a dispatcher in another process (the stream's Lambda) can take
//! them.

use jiff::Timestamp;
use meshport_shared::api::Identity;
use meshport_shared::{AuditAction, ProductId, TeamName};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::catalog::{CatalogStore, Delivery, DeliveryKey, DeliveryState, DestinationId, StoreError};
use crate::error::{Error, Result};

/// The most dead letters one answer lists.
pub const DEAD_LETTERS: usize = 500;

/// A delivery that failed for good, as an admin sees it: the event and where it was going, never a URL or a
/// secret (a chat webhook's URL is its credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FailedDelivery {
    /// The event's id: its sequence number.
    pub event_id: String,
    /// The event's type, e.g. `io.meshport.product.deprecated`.
    pub kind: String,
    /// The product the event is about.
    pub subject: String,
    /// The destination, `<team>/<channel>` (`webhook`, `slack`, `teams` or `email`).
    pub destination: String,
    pub attempts: u32,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl From<&Delivery> for FailedDelivery {
    fn from(delivery: &Delivery) -> Self {
        Self {
            event_id: delivery.event.id.clone(),
            kind: delivery.event.kind.event_type().to_owned(),
            subject: delivery.event.subject.clone(),
            destination: delivery.key.destination.0.clone(),
            attempts: delivery.attempts,
            last_error: delivery.last_error.clone(),
        }
    }
}

fn require_admin(who: &Identity) -> Result<()> {
    if who.admin {
        return Ok(());
    }
    Err(Error::Forbidden("only org admins see failed deliveries and redeliver them".into()))
}

/// The dead-lettered deliveries, oldest event first (at most [`DEAD_LETTERS`]); org admins only.
pub async fn dead_letters(catalog: &dyn CatalogStore, who: &Identity) -> Result<Vec<FailedDelivery>> {
    require_admin(who)?;
    Ok(catalog.dead_letters(DEAD_LETTERS).await?.iter().map(FailedDelivery::from).collect())
}

/// Puts dead-lettered delivery `key` back in the outbox, due now with its attempts counted afresh; org admins only.
/// Audited under `notifications.<team>`, the destination's team.
pub async fn redeliver(catalog: &dyn CatalogStore, who: &Identity, key: &DeliveryKey) -> Result<FailedDelivery> {
    require_admin(who)?;
    let missing = || Error::NotFound(format!("there is no delivery of event {} to `{}`", key.seq, key.destination));
    let delivery = catalog.delivery(key).await?.ok_or_else(missing)?;
    if delivery.state != DeliveryState::DeadLettered {
        return Err(Error::Conflict(format!("the {key} is not dead-lettered: only a dead letter is redelivered")));
    }
    let summary =
        format!("redelivery of event {} ({}) to `{}`", key.seq, delivery.event.kind.event_type(), key.destination);
    let entry = audit::entry(&who.subject, &trail(&key.destination)?, AuditAction::Updated, summary, None, None);
    match catalog.redeliver(key, Timestamp::now(), entry).await {
        Err(StoreError::Changed(_)) => Err(Error::Conflict(format!("the {key} changed meanwhile: read it again"))),
        other => other.map_err(Error::from),
    }?;
    Ok(FailedDelivery { attempts: 0, ..FailedDelivery::from(&delivery) })
}

/// Where changes to a team's notifications are audited: `notifications.<team>`, as audit entries name a product.
pub(crate) fn trail_of(team: &TeamName) -> Result<ProductId> {
    meshport_shared::Trail::Notifications.of(team).map_err(|e| Error::Invalid(e.to_string()))
}

/// The trail of a destination's team (`<team>/<channel>`).
fn trail(destination: &DestinationId) -> Result<ProductId> {
    let team = destination.0.split_once('/').map_or(destination.0.as_str(), |(team, _)| team);
    let team = TeamName::parse(team).map_err(|e| Error::Invalid(format!("destination `{destination}`: {e}")))?;
    trail_of(&team)
}
