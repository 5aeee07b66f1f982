//! A team's notification channels over HTTP: `GET`/`PUT /api/v1/teams/{team}/channels`. The work is
//! `crate::notify`; secrets are written, never answered. The channels' revision travels as an entity tag: `GET`
//! answers it in `ETag` (`"0"` while none are set), and `PUT` must name the one it was decided on in `If-Match`, so
//! two admins editing at once cannot silently overwrite each other.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{ETAG, HeaderMap, HeaderValue, IF_MATCH};
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
        (status = 200, description = "Which of the team's channels are set (never a secret)", body = TeamChannels,
            headers(("ETag" = String, description = "The channels' revision, e.g. `\"3\"` (`\"0\"`: none set yet), for `If-Match` on PUT"))),
        (status = 400, description = "`bad_request`: not a team name", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
) -> Result<(HeaderMap, Json<TeamChannels>), AppError> {
    let (channels, revision) = notify::channels(&*state.mesh.catalog, &who, &team_of(team)?).await?;
    Ok((etag(revision), Json(TeamChannels { revision, ..channels })))
}

/// `PUT /api/v1/teams/{team}/channels`
#[utoipa::path(
    put,
    path = "/api/v1/teams/{team}/channels",
    operation_id = "set_team_channels",
    tag = "access",
    params(
        ("team" = TeamName, Path, description = "The team, e.g. `trading`"),
        ("If-Match" = String, Header, pattern = r#"^(W/)?"?[0-9]{1,19}"?$"#, description = "The channels' revision this change was decided on, as GET answered it in `ETag`, e.g. `\"3\"` (`\"0\"` when none are set)"),
    ),
    request_body = ChannelSettings,
    responses(
        (status = 200, description = "The team's channels as now set (never a secret)", body = TeamChannels,
            headers(("ETag" = String, description = "The channels' new revision"))),
        (status = 400, description = "`bad_request`: a malformed body or team name, or no `If-Match` revision", body = ApiError),
        (status = 409, description = "`conflict`: the channels changed since the revision in `If-Match`", body = ApiError),
        (status = 422, description = "`validation_failed`: a channel Meshport will not send to, each an `invalid_channel` violation naming its field: a URL that is not http(s) or names an internal address, a malformed webhook secret or email address", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the team nor an org admin", body = ApiError),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(team): Path<String>,
    headers: HeaderMap,
    Body(settings): Body<ChannelSettings>,
) -> Result<(HeaderMap, Json<TeamChannels>), AppError> {
    let team = team_of(team)?;
    let revision = revision_of(&headers)?;
    let allow_private = state.notify_allow_private;
    let (channels, revision) =
        notify::set_channels(&*state.mesh.catalog, &who, &team, settings, revision, allow_private).await?;
    Ok((etag(revision), Json(TeamChannels { revision, ..channels })))
}

fn etag(revision: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ETAG, HeaderValue::from_str(&format!("\"{revision}\"")).expect("digits are a header value"));
    headers
}

/// The revision an `If-Match` names (`"3"`, `W/"3"` or `3`), `None` without one.
fn revision_of(headers: &HeaderMap) -> Result<Option<u64>, AppError> {
    let Some(value) = headers.get(IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    let tag = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    tag.parse().map(Some).map_err(|_| {
        AppError::invalid("`If-Match` must name the channels' revision as GET answered it in `ETag`, e.g. `\"3\"`")
    })
}
