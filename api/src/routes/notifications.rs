//! Failed notification deliveries for org admins: `GET /api/v1/notifications/dead-letters` and
//! `POST /api/v1/notifications/deliveries/{event}/{team}/{channel}/redeliver`. The work is `crate::notify`; no URL
//! or secret is ever answered.

use axum::Json;
use axum::extract::{Path, State};
use meshport_shared::{ApiError, TeamName};

use super::AppError;
use super::extract::{SignedIn, team_of};
use crate::catalog::{DeliveryKey, DestinationId};
use crate::notify::{self, FailedDelivery};
use crate::state::AppState;

/// The channels a destination names.
const CHANNELS: [&str; 4] = ["webhook", "slack", "teams", "email"];

/// `GET /api/v1/notifications/dead-letters`
#[utoipa::path(
    get,
    path = "/api/v1/notifications/dead-letters",
    operation_id = "list_dead_letters",
    tag = "operations",
    responses(
        (status = 200, description = "The deliveries that failed every attempt, oldest event first (at most 500): \
            the event, the destination, the attempts and the last error, never a URL or a secret", body = Vec<FailedDelivery>),
        (status = 403, description = "`forbidden`: not an org admin", body = ApiError),
    )
)]
pub async fn dead_letters(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Vec<FailedDelivery>>, AppError> {
    Ok(Json(notify::dead_letters(&*state.mesh.catalog, &who).await?))
}

/// `POST /api/v1/notifications/deliveries/{event}/{team}/{channel}/redeliver`
#[utoipa::path(
    post,
    path = "/api/v1/notifications/deliveries/{event}/{team}/{channel}/redeliver",
    operation_id = "redeliver",
    tag = "operations",
    params(
        ("event" = u64, Path, minimum = 1, description = "The event's id (its sequence number)"),
        ("team" = TeamName, Path, description = "The destination's team, e.g. `trading`"),
        ("channel" = String, Path, pattern = "^(webhook|slack|teams|email)$", description = "The destination's channel: `webhook`, `slack`, `teams` or `email`"),
    ),
    responses(
        (status = 200, description = "The delivery, due again at once with its attempts counted afresh (audited under `notifications.<team>`)", body = FailedDelivery),
        (status = 400, description = "`bad_request`: not an event id, team name or channel", body = ApiError),
        (status = 403, description = "`forbidden`: not an org admin", body = ApiError),
        (status = 404, description = "`not_found`: no such delivery", body = ApiError),
        (status = 409, description = "`conflict`: the delivery is not dead-lettered (pending or delivered), or changed meanwhile", body = ApiError),
    )
)]
pub async fn redeliver(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((event, team, channel)): Path<(String, String, String)>,
) -> Result<Json<FailedDelivery>, AppError> {
    let seq = event
        .parse::<u64>()
        .ok()
        .filter(|&seq| seq > 0)
        .ok_or_else(|| AppError::invalid(format!("`{event}` is not an event id: the event's sequence number")))?;
    let team = team_of(team)?;
    if !CHANNELS.contains(&channel.as_str()) {
        return Err(AppError::invalid(format!("`{channel}` is not a channel: use one of {}", CHANNELS.join(", "))));
    }
    let key = DeliveryKey { seq, destination: DestinationId(format!("{team}/{channel}")) };
    Ok(Json(notify::redeliver(&*state.mesh.catalog, &who, &key).await?))
}
