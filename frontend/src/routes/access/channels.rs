//! Notification channels (`/access/channels`), in the Access bundle: where Meshport tells a team of the changes that
//! concern it (an email address, a signed webhook, Slack and Microsoft Teams incoming webhooks). Secrets (the
//! webhook's secret, the chat URLs, which are their own credentials) are written, never read back: the API says only
//! that they are set, and so does the page. A secret field left empty keeps the secret set (the API's `keep`); a
//! Slack or Teams channel is removed by its own checkbox, the webhook by emptying its URL. What the API refuses is
//! shown next to its field.

use leptos::prelude::*;
use meshport_shared::TeamName;
use meshport_shared::events::{ChannelSettings, KeptSecret, TeamChannels, WebhookSettings};

use super::request::{check, input};
use super::team::team_choice;
use super::{Refusal, Sent, problem};
use crate::api;
use crate::components::feedback::{Empty, Loading};
use crate::components::form::Field;
use crate::components::sign_in::SignInPrompt;
use crate::reactive::live;
use crate::routes::product::Problem;
use crate::session;

#[component]
pub fn NotificationChannels() -> impl IntoView {
    let page = live(move || match session::identity() {
        None => view! { <SignInPrompt title="Sign in to set your teams' notification channels"/> }.into_any(),
        Some(who) if who.teams.is_empty() => view! {
            <Empty title="No team">"Notification channels are a team's, and you are in none."</Empty>
        }
        .into_any(),
        Some(who) => view! { <TeamChannelsForm teams=who.teams/> }.into_any(),
    });
    view! {
        <div class="access-page" data-testid="channels-page">
            <p>
                <a href="/access">"Access"</a>
            </p>
            <h1>"Notification channels"</h1>
            <p class="muted">
                "Where Meshport tells your team of deprecations, retirements and schema changes of the products it "
                "reads, of access requests to the products it owns, and of the decisions on its own requests."
            </p>
            {page}
        </div>
    }
}

/// The chosen team's channels as they stand, and the form that replaces them.
#[component]
fn TeamChannelsForm(teams: Vec<TeamName>) -> impl IntoView {
    let team = RwSignal::new(teams[0].clone());
    let current = LocalResource::new(move || {
        session::current().track();
        api::team_channels(team.get())
    });
    // What the last save answered: the channels as now set, at their new revision, shown (and changed next) at once
    // rather than after reading them again.
    let answered = RwSignal::new(None::<TeamChannels>);
    let saved = RwSignal::new(false);
    let choice = team_choice(&teams, team, "channels-team", move || {
        saved.set(false);
        answered.set(None);
    });
    let shown = move || match answered.get() {
        Some(channels) => Some(Ok(channels)),
        None => current.get(),
    };
    let state = live(move || match shown() {
        None => view! { <Loading what="notification channels"/> }.into_any(),
        Some(Ok(channels)) => view! { <Standing channels saved=saved.get()/> }.into_any(),
        Some(Err(error)) => view! {
            <Problem error>
                <button type="button" class="button" on:click=move |_| current.refetch()>"Try again"</button>
            </Problem>
        }
        .into_any(),
    });
    // The form starts from what can be read back: the email and the webhook's URL.
    let form = live(move || match shown() {
        Some(Ok(channels)) => {
            let done = Callback::new(move |answer: TeamChannels| {
                saved.set(true);
                answered.set(Some(answer));
            });
            view! { <ChannelsForm team channels done/> }.into_any()
        }
        _ => ().into_any(),
    });
    view! {
        {choice}
        <section class="access-list" aria-labelledby="channels-title" data-testid="channels">
            <h2 id="channels-title">"Our channels"</h2>
            {state}
        </section>
        <section class="access-list" aria-labelledby="channels-form-title">
            <h2 id="channels-form-title">"Set our channels"</h2>
            {form}
        </section>
    }
}

/// Which channels are set: addresses in full, secrets only as "set".
#[component]
fn Standing(channels: TeamChannels, saved: bool) -> impl IntoView {
    let set = |on: bool| if on { "set" } else { "not set" };
    let rows = [
        ("Email", channels.email.unwrap_or_else(|| "not set".to_owned()), "channel-email"),
        (
            "Webhook",
            channels.webhook_url.map_or_else(|| "not set".to_owned(), |url| format!("{url} (secret set)")),
            "channel-webhook",
        ),
        ("Slack", set(channels.slack).to_owned(), "channel-slack"),
        ("Microsoft Teams", set(channels.teams).to_owned(), "channel-teams"),
    ];
    let rows = rows
        .into_iter()
        .map(|(what, value, testid)| {
            view! {
                <li>
                    <strong>{what}</strong>
                    ": "
                    <span data-testid=testid>{value}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        {saved.then(|| view! { <p role="status" data-testid="channels-saved">"Saved."</p> })}
        <ul role="list" data-testid="channels-standing">{rows}</ul>
    }
}

/// The form replacing every channel of `team`; `done` runs with what the API then says is set.
#[component]
fn ChannelsForm(team: RwSignal<TeamName>, channels: TeamChannels, done: Callback<TeamChannels>) -> impl IntoView {
    let email = RwSignal::new(channels.email.clone().unwrap_or_default());
    let webhook_url = RwSignal::new(channels.webhook_url.clone().unwrap_or_default());
    let webhook_secret = RwSignal::new(String::new());
    let slack = RwSignal::new(String::new());
    let teams_url = RwSignal::new(String::new());
    let (remove_slack, remove_teams) = (RwSignal::new(false), RwSignal::new(false));
    let (had_webhook, had_slack, had_teams) = (channels.webhook_url.is_some(), channels.slack, channels.teams);
    // What the portal itself found wrong: never sent then.
    let (url_typed, secret_typed) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let sent = Sent::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given = |value: RwSignal<String>| Some(value.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
        let (url, secret) = (given(webhook_url), given(webhook_secret));
        url_typed.set(if url.is_none() && secret.is_some() {
            "give the webhook's URL too".into()
        } else {
            String::new()
        });
        secret_typed.set(if url.is_some() && secret.is_none() && !had_webhook {
            "give the webhook's signing secret (whsec_…)".into()
        } else {
            String::new()
        });
        let mut keep = Vec::new();
        let webhook = match (url, secret) {
            (Some(url), Some(secret)) => Some(WebhookSettings { url, secret }),
            (Some(url), None) if had_webhook => {
                keep.push(KeptSecret::WebhookSecret);
                Some(WebhookSettings { url, secret: String::new() })
            }
            (None, None) => None,
            _ => return,
        };
        // A chat URL set before and left empty is kept, unless its removal is ticked.
        let mut chat = |value: RwSignal<String>, had: bool, remove: RwSignal<bool>, kept: KeptSecret| {
            let url = given(value);
            if url.is_none() && had && !remove.get_untracked() {
                keep.push(kept);
            }
            url
        };
        let settings = ChannelSettings {
            webhook,
            slack_url: chat(slack, had_slack, remove_slack, KeptSecret::SlackUrl),
            teams_url: chat(teams_url, had_teams, remove_teams, KeptSecret::TeamsUrl),
            email: given(email),
            keep,
        };
        let team = team.get_untracked();
        let saved = Callback::new(move |answer: TeamChannels| {
            webhook_secret.set(String::new());
            slack.set(String::new());
            teams_url.set(String::new());
            remove_slack.set(false);
            remove_teams.set(false);
            done.run(answer);
        });
        let revision = channels.revision;
        sent.start(Box::pin(async move { api::set_team_channels(&team, &settings, revision).await }), saved);
    };
    let failed = sent.failed();
    let email_message = problem(Signal::stored(String::new()), failed, &["email"]);
    let url_message = problem(url_typed.into(), failed, &["webhook.url", "webhook"]);
    let secret_message = problem(secret_typed.into(), failed, &["webhook.secret"]);
    let slack_message = problem(Signal::stored(String::new()), failed, &["slack_url"]);
    let teams_message = problem(Signal::stored(String::new()), failed, &["teams_url"]);
    let kept = (had_slack || had_teams || had_webhook).then(|| {
        view! {
            <p class="muted" data-testid="channels-kept">
                "Meshport never shows a secret back: a secret field left empty keeps the one set. Empty the webhook's "
                "URL to remove it; tick a chat channel's removal to remove it."
            </p>
        }
    });
    let secret_hint = |set: bool, hint: &'static str| if set { "Set: leave empty to keep it." } else { hint };
    view! {
        <form class="access-form" novalidate on:submit=on_submit data-testid="channels-form">
            {kept}
            {field("channels-email", "Email", "The team's address, e.g. fraud@acme.example.", "email", email, email_message)}
            {field(
                "channels-webhook-url",
                "Webhook URL",
                "Receives each event as a CloudEvent, signed per Standard Webhooks.",
                "url",
                webhook_url,
                url_message,
            )}
            {field(
                "channels-webhook-secret",
                "Webhook secret",
                secret_hint(had_webhook, "whsec_ and base64: what your receiver checks the signature with."),
                "password",
                webhook_secret,
                secret_message,
            )}
            {field(
                "channels-slack",
                "Slack incoming webhook URL",
                secret_hint(had_slack, "https://hooks.slack.com/services/…"),
                "password",
                slack,
                slack_message,
            )}
            {had_slack.then(|| check(remove_slack, "channels-slack-remove", "Remove the Slack channel"))}
            {field(
                "channels-teams",
                "Microsoft Teams incoming webhook URL",
                secret_hint(had_teams, "A Workflows webhook URL."),
                "password",
                teams_url,
                teams_message,
            )}
            {had_teams.then(|| check(remove_teams, "channels-teams-remove", "Remove the Teams channel"))}
            <Refusal failed/>
            <button type="submit" class="button" data-testid="channels-submit" disabled=move || sent.pending.get()>
                "Save the channels"
            </button>
        </form>
    }
}

/// One channel's control of `kind` in its `Field`, bound to `value`, showing `message` as its problem.
fn field(
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    kind: &'static str,
    value: RwSignal<String>,
    message: Signal<String>,
) -> impl IntoView {
    view! {
        <Field id label hint message>
            {input(id, kind, value, message)}
        </Field>
    }
}
