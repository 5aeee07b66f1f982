//! Asking for access to one product, on the Access page (`/access?product=<id>`, where the product page's Access
//! section leads): a signed-in member of a team that does not own the product asks for read access (purpose,
//! principals, consumer group, until when), or sees where their team's open request stands. The policy's
//! access limits are the API's to apply: the page states the defaults before sending and shows what the API said
//! about each field after.

use std::sync::Arc;

use leptos::prelude::*;
use meshport_shared::access::{AccessRequest, AccessRequestDraft, GroupPattern};
use meshport_shared::{GroupName, Principal, ProductId, ProductStatus, TeamName};

use super::retirement::Retirement;
use super::unmanaged::Unmanaged;
use super::{REQUESTERS, Refusal, RequestRow, Sent, loaded, problem, requests, text_box};
use crate::api;
use crate::components::form::{Field, invalid_if};
use crate::reactive::live;
use crate::session;

/// How many days from today the end date starts at: within the default limit for every product, personal data or
/// not.
const DEFAULT_DAYS: u32 = 90;

/// Who may ask for access to `product`, and their teams' requests for it.
#[component]
pub fn AccessPanel(
    product: ProductId,
    owner: TeamName,
    status: ProductStatus,
    personal: bool,
    /// Counts the changes of requests made on the page: the panel reads its list again on each, and counts its own,
    /// so that the page's lists follow.
    #[prop(optional)]
    changes: Option<RwSignal<u32>>,
) -> impl IntoView {
    let changes = changes.unwrap_or_else(|| RwSignal::new(0));
    let id = product.to_string();
    let requests = requests(Arc::new(move || {
        changes.track();
        Box::pin(api::product_access(id.clone()))
    }));
    let id = StoredValue::new(product.to_string());
    live(move || {
        let Some(who) = session::identity() else {
            return view! {
                <p class="muted" data-testid="access-sign-in">
                    <a href="/sign-in">"Sign in"</a>
                    " to ask for access to this product for your team."
                </p>
            }
            .into_any();
        };
        let teams: Vec<TeamName> = who.teams.iter().filter(|t| **t != owner).cloned().collect();
        if teams.is_empty() {
            let owns = !who.teams.is_empty();
            let why = if owns {
                "Your team owns this product: requests to read it are in the inbox below."
            } else {
                "Teams ask for access, and you are in none: there is nothing to ask for here."
            };
            let unmanaged = owns.then(|| {
                view! {
                    <Unmanaged product=product.clone()/>
                    <Retirement product=product.clone()/>
                }
            });
            return view! {
                <p class="muted" data-testid="access-owned">{why}</p>
                {unmanaged}
            }
            .into_any();
        }
        let sent = Callback::new(move |()| changes.update(|n| *n += 1));
        let shown = Callback::new(move |list: Vec<AccessRequest>| {
            // The person's teams' open requests, then the form for those of their teams that have none.
            let open: Vec<AccessRequest> =
                list.into_iter().filter(|r| teams.contains(&r.team) && !r.state.is_final()).collect();
            let free: Vec<TeamName> = teams.iter().filter(|t| !open.iter().any(|r| r.team == **t)).cloned().collect();
            let form = match (status, free.is_empty()) {
                (_, true) => ().into_any(),
                (ProductStatus::Active, false) => {
                    view! { <RequestForm id=id.get_value() teams=free personal sent/> }.into_any()
                }
                (other, false) => view! {
                    <p class="muted" data-testid="access-closed">
                        {format!("This product is {}: it takes no new consumers.", other.as_str())}
                    </p>
                }
                .into_any(),
            };
            let open = open.into_iter().map(|request| view! { <RequestRow request actions=REQUESTERS done=sent/> });
            view! { <ul class="access-requests" role="list" data-testid="access-open">{open.collect_view()}</ul> {form} }
                .into_any()
        });
        loaded(requests, shown).into_any()
    })
}

/// The request form. What the shared names cannot parse is said here; the policy's limits, another team's
/// principal and the rest, by the API next to the field they concern.
#[component]
fn RequestForm(id: String, teams: Vec<TeamName>, personal: bool, sent: Callback<()>) -> impl IntoView {
    let team = RwSignal::new(teams[0].to_string());
    let purpose = RwSignal::new(String::new());
    let principals = RwSignal::new(String::new());
    let group = RwSignal::new(format!("{}.{id}", teams[0]));
    let prefixed = RwSignal::new(false);
    let until = RwSignal::new(day_in(DEFAULT_DAYS));
    // What the portal itself found wrong with the principals and the group: never sent then.
    let (principals_typed, group_typed) = (RwSignal::new(String::new()), RwSignal::new(String::new()));

    let id = StoredValue::new(id);
    let send = Sent::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed: Result<Vec<Principal>, String> = principals
            .get_untracked()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(|p| Principal::parse(p).map_err(|e| e.to_string()))
            .collect();
        let parsed_group = GroupName::parse(group.get_untracked().trim()).map_err(|e| e.to_string());
        principals_typed.set(parsed.as_ref().err().cloned().unwrap_or_default());
        group_typed.set(parsed_group.as_ref().err().cloned().unwrap_or_default());
        let (Ok(principals), Ok(group), Ok(team)) = (parsed, parsed_group, TeamName::parse(team.get_untracked()))
        else {
            return;
        };
        let until = Some(until.get_untracked()).filter(|day| !day.is_empty());
        let group_pattern = if prefixed.get_untracked() { GroupPattern::Prefixed } else { GroupPattern::Literal };
        let draft =
            AccessRequestDraft { team, purpose: purpose.get_untracked(), principals, group, group_pattern, until };
        let id = id.get_value();
        send.start(Box::pin(async move { api::request_access(&id, &draft).await.map(drop) }), sent);
    };

    let failed = send.failed();
    let nothing = Signal::stored(String::new());
    let purpose_message = problem(nothing, failed, &["purpose"]);
    let principals_message = problem(principals_typed.into(), failed, &["principals"]);
    let group_message = problem(group_typed.into(), failed, &["group", "group_pattern"]);
    let until_message = problem(nothing, failed, &["until"]);

    let limit = if personal {
        "This product has personal data: by default the organisation allows access to it for at most 90 days."
    } else {
        "By default the organisation allows access for at most 365 days."
    };
    let team_options = teams
        .iter()
        .map(|t| {
            let name = t.to_string();
            view! { <option value=name.clone()>{name.clone()}</option> }
        })
        .collect_view();
    view! {
        <form class="access-form" novalidate on:submit=on_submit data-testid="access-form">
            <p data-testid="access-limits">
                "Ask the owners to let your team's principals read this product. " {limit}
                " Once they approve, Meshport grants READ on the topic and on your consumer group until the end date, "
                "then takes it back."
            </p>
            <label class="field">
                <span class="field__label">"Team"</span>
                <select class="field__control" data-testid="access-team" on:change=move |ev| team.set(event_target_value(&ev))>
                    {team_options}
                </select>
            </label>
            <Field
                id="access-purpose"
                label="Purpose"
                hint="What your team will use the data for: the owners decide on it."
                message=purpose_message
            >
                {text_box("access-purpose", purpose, purpose_message)}
            </Field>
            <Field
                id="access-principals"
                label="Principals"
                hint="Your team's Kafka principals that will read, e.g. User:svc-fraud; several separated by commas."
                message=principals_message
            >
                {input("access-principals", "text", principals, principals_message)}
            </Field>
            <Field
                id="access-group"
                label="Consumer group"
                hint="The group id your consumers will use; or, as a prefix, the start of their group ids."
                message=group_message
            >
                {input("access-group", "text", group, group_message)}
                {check(prefixed, "access-prefixed", " A prefix: any group id starting with it")}
            </Field>
            <Field
                id="access-until"
                label="Until"
                hint="The last day of access. Leave it empty to ask for permanent access, where the organisation allows it."
                message=until_message
            >
                {input("access-until", "date", until, until_message)}
            </Field>
            <Refusal failed/>
            <button type="submit" class="button" data-testid="access-submit" disabled=move || send.pending.get()>
                "Request access"
            </button>
        </form>
    }
}

/// A one-line control of `kind` bound to `value` inside its `Field` (`id`, with a hint), showing `message` as its
/// problem.
pub(super) fn input(
    id: &'static str,
    kind: &'static str,
    value: RwSignal<String>,
    message: Signal<String>,
) -> impl IntoView {
    view! {
        <input
            id=id
            type=kind
            class="field__control"
            spellcheck="false"
            autocomplete="off"
            aria-describedby=format!("{id}-hint {id}-error")
            aria-invalid=invalid_if(message)
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
            data-testid=id
        />
    }
}

/// A checkbox bound to `value`, labelled `text`.
pub(super) fn check(value: RwSignal<bool>, testid: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <label class="access-form__check">
            <input
                type="checkbox"
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
                data-testid=testid
            />
            {text}
        </label>
    }
}

/// The day `days` from today in the person's time zone, as `YYYY-MM-DD`.
fn day_in(days: u32) -> String {
    let day = js_sys::Date::new_0();
    day.set_date(day.get_date() + days);
    format!("{:04}-{:02}-{:02}", day.get_full_year(), day.get_month() + 1, day.get_date())
}
