//! Who is told, and where: a team's channels checked before they are stored, the destinations they make, and the
//! notifier that hands each new catalog event to the outbox once per destination of the teams it concerns
//! ([`EventKind::audience`]: subscribers are the teams with an active grant on the product, owners its owning team,
//! the requester the team that asked for access).

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use lettre::message::Mailbox;
use meshport_shared::access::AccessState;
use meshport_shared::api::Identity;
use meshport_shared::events::{Audience, ChannelSettings, Event, KeptSecret, TeamChannels};
use meshport_shared::{AuditAction, ProductId, TeamName, Violation, ViolationCode};
use reqwest::Url;

use super::channel::{Channels, DeliveryError, Destination, DestinationId, EmailSettings};
use super::dispatch::{DispatchSettings, Dispatcher};
use super::outbox::trail_of;
use super::webhook::WebhookSecret;
use crate::audit;
use crate::catalog::{CatalogStore, Delivery, StoreError};
use crate::error::{Error, Result};
use crate::secrets::Secret;

/// Events handed to the outbox per round.
const BATCH: usize = 256;
/// Deliveries stored per transaction, at most (more when one event has more): what fits in one DynamoDB transaction.
const DELIVERIES_PER_HAND_OUT: usize = 99;

fn require_member(who: &Identity, team: &TeamName) -> Result<()> {
    if who.acts_for(team) {
        return Ok(());
    }
    Err(Error::Forbidden(format!("only members of team `{team}` or org admins see and set its channels")))
}

/// Team `team`'s channels as its members see them (which are set, never a secret), and their revision (0: none
/// set yet), which a change of them must name.
pub async fn channels(catalog: &dyn CatalogStore, who: &Identity, team: &TeamName) -> Result<(TeamChannels, u64)> {
    require_member(who, team)?;
    Ok(match catalog.team_channels(team).await? {
        Some(stored) => (TeamChannels::from(&stored.settings), stored.revision),
        None => (TeamChannels::from(&ChannelSettings::default()), 0),
    })
}

/// Replaces team `team`'s channels, once every one is valid ([`check`]), if they are still at `revision` (0: none
/// set yet; `None`: [`Error::MissingRevision`]; another: [`Error::Stale`]). Audited under `notifications.<team>`,
/// saying which kinds of channel were added, changed or removed, never a URL, secret or address. Answers the
/// channels and their new revision.
pub async fn set_channels(
    catalog: &dyn CatalogStore,
    who: &Identity,
    team: &TeamName,
    settings: ChannelSettings,
    revision: Option<u64>,
    allow_private: bool,
) -> Result<(TeamChannels, u64)> {
    require_member(who, team)?;
    let revision = revision.ok_or_else(|| {
        Error::MissingRevision(format!(
            "say which revision of team `{team}`'s channels this change was decided on (If-Match, from GET)"
        ))
    })?;
    let stored = catalog.team_channels(team).await?;
    let before = stored.as_ref().map(|s| s.settings.clone()).unwrap_or_default();
    let stale = || Error::Stale(format!("team `{team}`'s channels changed since revision {revision}: read them again"));
    if stored.as_ref().map_or(0, |s| s.revision) != revision {
        return Err(stale());
    }
    let settings = keep_secrets(settings, &before)?;
    check(&settings, allow_private)?;
    let summary = format!("notification channels set: {}", changed_channels(&before, &settings));
    let entry = audit::entry(&who.subject, &trail_of(team)?, AuditAction::Updated, summary, None, None);
    let expected = Some(revision).filter(|&r| r > 0);
    let revision = match catalog.put_team_channels(team, &settings, expected, entry).await {
        Err(StoreError::Changed(_)) => return Err(stale()),
        other => other?,
    };
    Ok((TeamChannels::from(&settings), revision))
}

/// `settings` with the secrets its `keep` names taken from `before` (and `keep` emptied): every secret named that is
/// not set, or is given as well, is refused at once.
fn keep_secrets(mut settings: ChannelSettings, before: &ChannelSettings) -> Result<ChannelSettings> {
    let mut problems = Vec::new();
    for kept in std::mem::take(&mut settings.keep).into_iter().collect::<BTreeSet<_>>() {
        let (field, given, set) = match kept {
            KeptSecret::WebhookSecret => {
                let Some(webhook) = settings.webhook.as_mut() else {
                    problems.push(("webhook", "give the webhook's URL to keep its secret".to_owned()));
                    continue;
                };
                ("webhook.secret", &mut webhook.secret, before.webhook.as_ref().map(|w| &w.secret))
            }
            KeptSecret::SlackUrl => {
                ("slack_url", settings.slack_url.get_or_insert_default(), before.slack_url.as_ref())
            }
            KeptSecret::TeamsUrl => {
                ("teams_url", settings.teams_url.get_or_insert_default(), before.teams_url.as_ref())
            }
        };
        match set {
            _ if !given.is_empty() => problems.push((field, format!("`{field}` is both given and kept: do one"))),
            None => problems.push((field, format!("no `{field}` is set to keep"))),
            Some(secret) => secret.clone_into(given),
        }
    }
    refused(problems).map(|()| settings)
}

/// Which kinds of channel a change added, changed or removed, in words: never a URL, secret or address.
fn changed_channels(before: &ChannelSettings, after: &ChannelSettings) -> String {
    fn change<T: PartialEq>(kind: &str, before: Option<&T>, after: Option<&T>) -> Option<String> {
        match (before, after) {
            (None, Some(_)) => Some(format!("{kind} added")),
            (Some(_), None) => Some(format!("{kind} removed")),
            (Some(a), Some(b)) if a != b => Some(format!("{kind} changed")),
            _ => None,
        }
    }
    let webhook = |s: &ChannelSettings| s.webhook.as_ref().map(|w| (w.url.clone(), w.secret.clone()));
    let changes: Vec<String> = [
        change("webhook", webhook(before).as_ref(), webhook(after).as_ref()),
        change("Slack", before.slack_url.as_ref(), after.slack_url.as_ref()),
        change("Teams", before.teams_url.as_ref(), after.teams_url.as_ref()),
        change("email", before.email.as_ref(), after.email.as_ref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if changes.is_empty() { "nothing changed".to_owned() } else { changes.join(", ") }
}

/// Checks a team's channels: URLs `http` or `https` and, unless `allow_private` (local runs and tests), not naming a
/// loopback, private, link-local or otherwise internal address, so a team cannot make Meshport post into its own
/// network; the webhook secret in the Standard Webhooks format; the email a mailbox. A host name is not resolved
/// here: one resolving to an internal address is caught only by the network's own rules.
pub fn check(settings: &ChannelSettings, allow_private: bool) -> Result<()> {
    let mut problems = Vec::new();
    if let Some(webhook) = &settings.webhook {
        problems.extend(check_url("webhook.url", &webhook.url, allow_private).err());
        if let Err(e) = WebhookSecret::parse(&webhook.secret) {
            problems.push(("webhook.secret", e.to_string()));
        }
    }
    for (field, url) in [("slack_url", &settings.slack_url), ("teams_url", &settings.teams_url)] {
        if let Some(url) = url {
            problems.extend(check_url(field, url, allow_private).err());
        }
    }
    if let Some(email) = &settings.email
        && email.parse::<Mailbox>().is_err()
    {
        problems.push(("email", format!("`{email}` is not an email address")));
    }
    refused(problems)
}

/// Each of a change's channel problems, as a field and why, refused at once.
fn refused(problems: Vec<(&str, String)>) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::Violations(
        problems
            .into_iter()
            .map(|(field, why)| Violation::new(ViolationCode::InvalidChannel, field, format!("{field}: {why}")))
            .collect(),
    ))
}

/// A URL's field name and what is wrong with it, if anything. Never repeats the URL: a chat webhook's URL is its
/// credential.
fn check_url(field: &'static str, url: &str, allow_private: bool) -> std::result::Result<Url, (&'static str, String)> {
    let refuse = |why: &str| (field, why.to_owned());
    let parsed = Url::parse(url).map_err(|_| refuse("not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refuse("must be an http or https URL"));
    }
    let host = parsed.host_str().ok_or_else(|| refuse("has no host"))?;
    // An IPv6 host comes in brackets.
    let internal = match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => is_internal(ip),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal")
        }
    };
    if internal && !allow_private {
        return Err(refuse("names a loopback or private address, which this deployment does not send to"));
    }
    Ok(parsed)
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.is_documentation()
                || ip.octets()[0] == 100 && (64..128).contains(&ip.octets()[1])
        }
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_internal(IpAddr::V4(v4)),
            None => {
                ip.is_loopback()
                    || ip.is_unspecified()
                    || (ip.segments()[0] & 0xfe00) == 0xfc00
                    || (ip.segments()[0] & 0xffc0) == 0xfe80
            }
        },
    }
}

/// The destinations of a team's channels, each with an id of its own (`<team>/webhook`, `/slack`, `/teams`,
/// `/email`). Settings stored before a rule tightened and no longer valid are left out, with a warning.
pub fn destinations(team: &TeamName, settings: &ChannelSettings) -> Vec<(DestinationId, Destination)> {
    let id = |kind: &str| DestinationId(format!("{team}/{kind}"));
    let mut found = Vec::new();
    if let Some(webhook) = &settings.webhook {
        match (Url::parse(&webhook.url), WebhookSecret::parse(&webhook.secret)) {
            (Ok(url), Ok(secret)) => found.push((id("webhook"), Destination::Webhook { url, secrets: vec![secret] })),
            _ => tracing::warn!(%team, "the team's webhook settings are invalid; skipped"),
        }
    }
    if let Some(url) = &settings.slack_url {
        found.push((id("slack"), Destination::Slack { url: Secret::new(url.clone()) }));
    }
    if let Some(url) = &settings.teams_url {
        found.push((id("teams"), Destination::Teams { url: Secret::new(url.clone()) }));
    }
    if let Some(email) = settings.email.as_ref().and_then(|e| e.parse::<Mailbox>().ok()) {
        found.push((id("email"), Destination::Email { to: vec![email] }));
    }
    found
}

/// The teams `event` concerns, by its kind's audience. Watchers are people, not teams: [`watcher_destinations`]
/// names them.
pub async fn audience(catalog: &dyn CatalogStore, event: &Event) -> Result<BTreeSet<TeamName>> {
    let mut teams = BTreeSet::new();
    let team = |name: &str| TeamName::parse(name).ok();
    for audience in event.kind.audience() {
        match audience {
            Audience::Subscribers => {
                let product = ProductId::parse(event.subject.as_str()).map_err(|e| Error::Invalid(e.to_string()))?;
                let grants = catalog.product_access(&product).await?;
                teams.extend(grants.into_iter().filter(|g| g.state == AccessState::Active).map(|g| g.team));
            }
            Audience::Owners => teams.extend(team(&event.data.product.team)),
            Audience::Requester => teams.extend(event.data.change.team.as_deref().and_then(team)),
            Audience::Watchers => {}
        }
    }
    Ok(teams)
}

/// Hands the catalog's new events to the outbox (the catalog's), one delivery per destination of the teams each
/// concerns, each time with the catalog's mark moved past them in the same transaction: so a crash neither loses an
/// event's deliveries nor stores them twice, and of two notifiers only one hands an event out.
#[derive(Debug)]
pub struct Notifier {
    pub catalog: Arc<dyn CatalogStore>,
    /// The events' `source`: the deployment's portal URL.
    pub source: String,
}

impl Notifier {
    /// The local server's notifier and the dispatcher over the catalog's outbox, with the default dispatch settings;
    /// without `email` (no SMTP relay), email deliveries fail until one is configured.
    pub fn local(
        catalog: Arc<dyn CatalogStore>,
        portal_url: &str,
        email: Option<EmailSettings>,
    ) -> std::result::Result<(Notifier, Dispatcher), DeliveryError> {
        let channels = Arc::new(Channels::new(portal_url, email, HashMap::new())?);
        let dispatcher = Dispatcher::new(Arc::clone(&catalog), channels, DispatchSettings::default());
        let notifier = Notifier { catalog, source: portal_url.to_owned() };
        Ok((notifier, dispatcher))
    }

    /// One round: up to [`BATCH`] events after the mark; answers how many were handed out. Consecutive events go
    /// out together, up to [`DELIVERIES_PER_HAND_OUT`] deliveries a transaction.
    pub async fn hand_out(&self) -> Result<usize> {
        let mut from = self.catalog.notified().await?;
        let events = self.catalog.events_after(from, BATCH).await?;
        let now = Timestamp::now();
        let mut deliveries = Vec::new();
        for (n, event) in events.iter().enumerate() {
            let mut ids = BTreeSet::new();
            for team in audience(&*self.catalog, event).await? {
                let Some(stored) = self.catalog.team_channels(&team).await? else { continue };
                ids.extend(destinations(&team, &stored.settings).into_iter().map(|(id, _)| id));
            }
            ids.extend(watcher_destinations(&*self.catalog, event).await?.into_iter().map(|(id, _)| id));
            let event = event.clone().from_source(&self.source);
            deliveries.extend(ids.into_iter().map(|id| Delivery::new(event.clone(), id, now)));
            let next = events.get(n + 1);
            if next.is_none() || deliveries.len() >= DELIVERIES_PER_HAND_OUT {
                self.catalog.hand_out(from, event.seq, std::mem::take(&mut deliveries)).await?;
                from = event.seq;
            }
        }
        Ok(events.len())
    }
}

/// The local server's notifier: every `every`, hands out the new events and delivers what is due, each step bounded
/// (a batch of events, the dispatcher's batch and concurrency). Failures are logged and tried again next round.
pub async fn run(notifier: Notifier, dispatcher: Dispatcher, every: Duration) {
    loop {
        if let Err(e) = notifier.hand_out().await {
            tracing::warn!(error = %e, "events not handed to the outbox; trying again");
        }
        if let Err(e) = dispatcher.dispatch_all_due().await {
            tracing::warn!(error = %e, "deliveries not dispatched; trying again");
        }
        tokio::time::sleep(every).await;
    }
}

/// The people `event` concerns as watchers of its product, when its kind's audience names them: one email
/// destination each (`person/<subject>/email`), less those who muted the product or all their notifications.
/// A watcher's email destination: `person/<subject>/email`.
pub fn person_destination(person: &str) -> DestinationId {
    DestinationId(format!("person/{person}/email"))
}

/// The person a destination id of [`person_destination`] names.
pub fn person_of(destination: &DestinationId) -> Option<&str> {
    destination.0.strip_prefix("person/")?.strip_suffix("/email")
}

/// The current email destination of watcher `person`: none when they muted everything or gave no usable address
/// since the event was handed out.
pub async fn person_email(
    catalog: &dyn CatalogStore,
    person: &str,
) -> std::result::Result<Option<Destination>, StoreError> {
    let settings = catalog.personal_settings(person).await?.filter(|s| !s.muted);
    let mailbox = settings.and_then(|s| s.email).and_then(|e| e.parse::<Mailbox>().ok());
    Ok(mailbox.map(|to| Destination::Email { to: vec![to] }))
}

pub async fn watcher_destinations(
    catalog: &dyn CatalogStore,
    event: &Event,
) -> Result<Vec<(DestinationId, Destination)>> {
    if !event.kind.audience().contains(&Audience::Watchers) {
        return Ok(Vec::new());
    }
    let product = ProductId::parse(event.subject.as_str()).map_err(|e| Error::Invalid(e.to_string()))?;
    let people = crate::watch::told(catalog, &product).await?;
    let destination =
        |(person, to): (String, Mailbox)| (person_destination(&person), Destination::Email { to: vec![to] });
    Ok(people.into_iter().map(destination).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshport_shared::events::WebhookSettings;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn webhook(url: &str) -> ChannelSettings {
        ChannelSettings {
            webhook: Some(WebhookSettings { url: url.into(), secret: SECRET.into() }),
            ..ChannelSettings::default()
        }
    }

    #[test]
    fn webhook_urls_must_be_http_and_outside_internal_networks_unless_allowed() {
        let cases = [
            ("https://hooks.acme.example/in", true, true),
            ("http://hooks.acme.example/in", true, true),
            ("ftp://hooks.acme.example/in", false, false),
            ("not a url", false, false),
            ("http://127.0.0.1:9000/in", false, true),
            ("http://localhost:9000/in", false, true),
            ("http://10.1.2.3/in", false, true),
            ("http://192.168.0.10/in", false, true),
            ("http://169.254.169.254/latest/meta-data", false, true),
            ("http://[::1]/in", false, true),
            ("http://[::ffff:127.0.0.1]/in", false, true),
            ("http://[fd00::1]/in", false, true),
            ("http://100.64.0.1/in", false, true),
        ];
        for (url, public, when_allowed) in cases {
            assert_eq!(check(&webhook(url), false).is_ok(), public, "{url}");
            assert_eq!(check(&webhook(url), true).is_ok(), when_allowed, "{url} when private addresses are allowed");
        }
    }

    #[test]
    fn a_refused_chat_url_is_not_repeated_in_the_error() {
        let settings = ChannelSettings {
            slack_url: Some("http://127.0.0.1/services/T000/B000/s3cr3t".into()),
            ..ChannelSettings::default()
        };

        let error = said(check(&settings, false));

        assert!(error.starts_with("slack_url"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
    }

    /// The violations' messages of a refused check, one per line.
    fn said(checked: Result<()>) -> String {
        match checked {
            Err(Error::Violations(violations)) => {
                violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("\n")
            }
            other => panic!("not violations: {other:?}"),
        }
    }

    #[test]
    fn a_bad_secret_or_email_is_refused() {
        let bad_secret = ChannelSettings {
            webhook: Some(WebhookSettings { url: "https://hooks.acme.example".into(), secret: "hunter2".into() }),
            ..ChannelSettings::default()
        };
        let bad_email = ChannelSettings { email: Some("not-an-address".into()), ..ChannelSettings::default() };

        assert!(said(check(&bad_secret, false)).contains("whsec_"));
        assert!(said(check(&bad_email, false)).starts_with("email"));
    }

    #[test]
    fn kept_secrets_are_the_ones_set_before_and_only_those() {
        let before = ChannelSettings {
            slack_url: Some("https://hooks.slack.com/services/T/B/x".into()),
            ..webhook("https://hooks.acme.example/in")
        };
        let mut change = webhook("https://hooks.acme.example/moved");
        change.webhook.as_mut().unwrap().secret.clear();
        change.email = Some("fraud@acme.example".into());
        change.keep = vec![KeptSecret::WebhookSecret, KeptSecret::SlackUrl, KeptSecret::SlackUrl];

        let kept = keep_secrets(change, &before).unwrap();

        let expected = ChannelSettings {
            slack_url: before.slack_url.clone(),
            email: Some("fraud@acme.example".into()),
            ..webhook("https://hooks.acme.example/moved")
        };
        assert_eq!(kept, expected);
    }

    #[test]
    fn keeping_a_secret_not_set_or_given_as_well_is_refused_every_one_at_once() {
        let before = webhook("https://hooks.acme.example/in");
        let change = ChannelSettings {
            teams_url: Some("https://acme.webhook.office.com/x".into()),
            keep: vec![KeptSecret::WebhookSecret, KeptSecret::SlackUrl, KeptSecret::TeamsUrl],
            ..ChannelSettings::default()
        };

        let Err(Error::Violations(violations)) = keep_secrets(change, &before) else { panic!("not refused") };

        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["webhook", "slack_url", "teams_url"]);
        assert!(violations.iter().all(|v| v.code == ViolationCode::InvalidChannel && !v.message.contains("office")));
    }

    #[test]
    fn a_teams_channels_make_one_destination_each() {
        let team = TeamName::parse("fraud").unwrap();
        let settings = ChannelSettings {
            slack_url: Some("https://hooks.slack.com/services/T/B/x".into()),
            email: Some("fraud@acme.example".into()),
            ..webhook("https://hooks.acme.example/in")
        };

        let ids: Vec<String> = destinations(&team, &settings).into_iter().map(|(id, _)| id.0).collect();

        assert_eq!(ids, ["fraud/webhook", "fraud/slack", "fraud/email"]);
    }
}
