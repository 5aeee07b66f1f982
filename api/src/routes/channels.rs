//! A team's notification channels over HTTP: `GET`/`PUT /api/v1/teams/{team}/channels`. The work is
//! `crate::notify`; secrets are written, never answered.

use axum::Json;
use axum::extract::{Path, State};
use meshport_shared::events::{ChannelSettings, TeamChannels};
use meshport_shared::{ApiError, TeamName};

use super::AppError;
use super::extract::{Body, SignedIn, team_of};
use crate::notify;
use crate::state::AppState;

/// `GET /api/v1/teams/{team}/channels`
#[utoipa::path(
    get,
    path = "/api/v1/teams/{team}/channels",
    operation_id = "get_team_channels",
    tag = "access",
    params(("team" = TeamName, Path, description = "The team, e.g. `trading`")),
    responses(
        (status = 200, description = "Which of the team's channels are set (never a secret)", body = TeamChannels),
        (status = 400, description = "`bad_request`: not a team name", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
) -> Result<Json<TeamChannels>, AppError> {
    Ok(Json(notify::channels(&*state.mesh.catalog, &who, &team_of(team)?).await?))
}

/// `PUT /api/v1/teams/{team}/channels`
#[utoipa::path(
    put,
    path = "/api/v1/teams/{team}/channels",
    operation_id = "set_team_channels",
    tag = "access",
    params(("team" = TeamName, Path, description = "The team, e.g. `trading`")),
    request_body = ChannelSettings,
    responses(
        (status = 200, description = "The team's channels as now set (never a secret)", body = TeamChannels),
        (status = 400, description = "`bad_request`: a malformed body or team name", body = ApiError),
        (status = 422, description = "`validation_failed`: a channel Meshport will not send to, each an `invalid_channel` violation naming its field: a URL that is not http(s) or names an internal address, a malformed webhook secret or email address", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
    Body(settings): Body<ChannelSettings>,
) -> Result<Json<TeamChannels>, AppError> {
    let team = team_of(team)?;
    let allow_private = state.notify_allow_private;
    Ok(Json(notify::set_channels(&*state.mesh.catalog, &who, &team, settings, allow_private).await?))
}
