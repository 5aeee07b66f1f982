//! What the pages of a team's own things (its service accounts, its API tokens) share: the page for the person's
//! teams, the choice among them, and a team's list as it is read.

use leptos::prelude::*;
use meshport_shared::TeamName;

use crate::api;
use crate::components::feedback::{Empty, Loading};
use crate::components::sign_in::SignInPrompt;
use crate::reactive::live;
use crate::routes::product::Problem;
use crate::session;

/// What the page shows the person: a prompt to sign in (`sign_in`), a note that they are in no team (`no_team`), or
/// `page` for their teams.
pub fn for_my_teams(sign_in: &'static str, no_team: &'static str, page: fn(Vec<TeamName>) -> AnyView) -> impl IntoView {
    live(move || match session::identity() {
        None => view! { <SignInPrompt title=sign_in/> }.into_any(),
        Some(who) if who.teams.is_empty() => view! { <Empty title="No team">{no_team}</Empty> }.into_any(),
        Some(who) => page(who.teams),
    })
}

/// The choice among `teams`, when there are several: choosing one runs `leaving` (which forgets what was shown for
/// the team left), then sets `team`.
pub fn team_choice(
    teams: &[TeamName],
    team: RwSignal<TeamName>,
    testid: &'static str,
    leaving: impl Fn() + 'static,
) -> Option<impl IntoView> {
    if teams.len() < 2 {
        return None;
    }
    let options = teams.iter().map(|t| view! { <option value=t.to_string()>{t.to_string()}</option> }).collect_view();
    Some(view! {
        <label class="field">
            <span class="field__label">"Team"</span>
            <select
                class="field__control"
                data-testid=testid
                on:change=move |ev| {
                    if let Ok(chosen) = TeamName::parse(event_target_value(&ev)) {
                        leaving();
                        team.set(chosen);
                    }
                }
            >
                {options}
            </select>
        </label>
    })
}

/// A team's list as it is read: loading (`what`), `empty` (a title and a sentence), one `row` per item in a list
/// whose test id is `testid`, or the problem with a way to try again.
pub fn team_list<T: Clone + Send + Sync + 'static>(
    list: LocalResource<api::Result<Vec<T>>>,
    what: &'static str,
    empty: (&'static str, &'static str),
    testid: &'static str,
    row: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    live(move || match list.get() {
        None => view! { <Loading what/> }.into_any(),
        Some(Ok(items)) if items.is_empty() => view! { <Empty title=empty.0>{empty.1}</Empty> }.into_any(),
        Some(Ok(items)) => {
            let rows = items.into_iter().map(&row).collect_view();
            view! { <ul class="access-requests" role="list" data-testid=testid>{rows}</ul> }.into_any()
        }
        Some(Err(error)) => view! {
            <Problem error>
                <button type="button" class="button" on:click=move |_| list.refetch()>"Try again"</button>
            </Problem>
        }
        .into_any(),
    })
}
