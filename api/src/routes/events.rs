//! The change events feed: `GET /api/v1/events?after=&limit=`, the catalog's events in commit order, for systems that
//! catch up after downtime. Each event's `id` is its sequence number: consumers deduplicate on it.

use axum::Json;
use axum::extract::State;
use meshport_shared::ApiError;
use meshport_shared::events::EventFeed;
use serde::Deserialize;

use super::AppError;
use super::extract::Params;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The sequence number of the last event already seen (0, the default, for the first).
    #[param(minimum = 0)]
    after: Option<u64>,
    /// How many events, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// `GET /api/v1/events?after=&limit=`
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "catalog",
    params(FeedQuery),
    responses(
        (status = 200, description = "The events after `after`, as CloudEvents 1.0 in commit order, without gaps, \
            and the `after` of the next call", body = EventFeed),
        (status = 400, description = "`bad_request`: a bad `after` or limit", body = ApiError),
    )
)]
pub async fn feed(
    State(state): State<AppState>,
    Params(query): Params<FeedQuery>,
) -> Result<Json<EventFeed>, AppError> {
    let after = query.after.unwrap_or(0);
    let limit = match query.limit {
        None => 100,
        Some(n @ 1..=500) => n,
        Some(n) => return Err(AppError::invalid(format!("limit {n} is out of range: use 1 to 500"))),
    };
    let events = state.mesh.catalog.events_after(after, limit).await?;
    let next = events.last().map_or(after, |event| event.seq);
    let source = &state.embed.portal_url;
    Ok(Json(EventFeed { events: events.into_iter().map(|event| event.from_source(source)).collect(), next }))
}
