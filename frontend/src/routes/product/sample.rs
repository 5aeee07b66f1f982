//! A live look at the product's newest events, read from the topic on request, personal fields masked by the API.

use leptos::either::Either;
use leptos::prelude::*;
use meshport_shared::api::{Sample, SampleEvent};
use serde_json::Value;

use super::{NumberChoice, Problem, ScrollTable, When};
use crate::api;
use crate::components::feedback::Loading;

/// What the API puts in place of a masked value.
const MASK: &str = "***";
/// How many events a reader may ask for; the API allows up to 100.
const LIMITS: [usize; 4] = [5, 10, 25, 50];

/// A button that reads the newest events, and what came back: a table, or why there is none.
#[component]
pub fn SamplePanel(
    product_id: String,
    /// The schema's top-level field names, so columns follow the schema's order.
    #[prop(optional)]
    field_order: Vec<String>,
) -> impl IntoView {
    let limit = RwSignal::new(10_usize);
    let load = Action::new_local(move |&limit: &usize| {
        let id = product_id.clone();
        async move { api::sample(&id, limit).await }
    });
    let field_order = StoredValue::new(field_order);
    let loaded = move || load.value().with(Option::is_some);
    let result = move || {
        if load.pending().get() {
            return view! { <Loading what="recent events"/> }.into_any();
        }
        match load.value().get() {
            None => view! {
                <p class="muted" data-testid="sample-idle">
                    "Events are read from the topic only when you ask, with personal data masked."
                </p>
            }
            .into_any(),
            Some(Ok(sample)) => view! { <SampleEvents sample field_order=field_order.get_value()/> }.into_any(),
            Some(Err(error)) => {
                view! { <SampleError error retry=move || { load.dispatch(limit.get_untracked()); }/> }.into_any()
            }
        }
    };
    let choices: Vec<(usize, String)> = LIMITS.iter().map(|&n| (n, format!("{n} events"))).collect();
    view! {
        <form
            class="sample__controls"
            on:submit=move |event| {
                event.prevent_default();
                load.dispatch(limit.get_untracked());
            }
        >
            <NumberChoice label="How many" testid="sample-limit" choices chosen=limit/>
            <button type="submit" class="button" data-testid="sample-load" disabled=move || load.pending().get()>
                {move || if loaded() { "Load again" } else { "Load recent events" }}
            </button>
        </form>
        <div class="sample__result" aria-live="polite" data-testid="sample-result">{result}</div>
    }
}

/// Why no sample came: a dependency that is down says so plainly, anything else shows its code.
#[component]
pub fn SampleError(error: api::Error, retry: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let unavailable = (error.status() == Some(503)).then(|| {
        let what = match error.code() {
            "kafka_unavailable" => "Kafka cannot be reached right now, so no events can be read.",
            "registry_unavailable" => "The schema registry cannot be reached right now, so events cannot be decoded.",
            "catalog_unavailable" => "The catalog cannot be read right now.",
            _ => "A service the sample needs is unavailable right now.",
        };
        view! {
            <p class="sample__unavailable" data-testid="sample-unavailable">
                <strong>"Sample unavailable (503). "</strong>
                {what}
                " The rest of this page comes from the catalog and is unaffected; try again in a minute."
            </p>
        }
    });
    // Only the owning team, admins and teams granted access read a product's events: a refusal is the way to ask.
    if error.status() == Some(403) {
        return view! {
            <p class="notice sample__needs-access" data-testid="sample-needs-access">
                "Only the owning team and teams with access see this product's events: "
                <a href="#product-access">"ask for access to see events"</a>
                "."
            </p>
        }
        .into_any();
    }
    view! {
        <div data-testid="sample-error">
            {unavailable}
            <Problem error>
                <button type="button" class="button" on:click=move |_| retry()>"Try again"</button>
            </Problem>
        </div>
    }
    .into_any()
}

/// The events as a table: where each came from, its key, and one column per top-level field.
#[component]
pub fn SampleEvents(sample: Sample, #[prop(optional)] field_order: Vec<String>) -> impl IntoView {
    let Sample { events, masked_fields } = sample;
    if events.is_empty() {
        return view! { <p class="muted" data-testid="sample-empty">"The topic has no events yet."</p> }.into_any();
    }
    let columns = columns(&field_order, &events);
    let masked = (!masked_fields.is_empty()).then(|| {
        view! {
            <span data-testid="sample-masked-fields">
                " Personal data, masked by the API: "
                {masked_fields.iter().map(|f| view! { <code>{f.clone()}</code> " " }).collect_view()}
            </span>
        }
    });
    let masked_note = view! { <p class="sample__note">"Newest first." {masked}</p> };
    let masks_keys = !masked_fields.is_empty();
    // The event's fields first, where a narrow screen shows them without scrolling; where it came from last.
    let meta = ["Key", "Time", "Partition", "Offset"].into_iter().map(str::to_owned);
    let titles: Vec<String> = columns.iter().cloned().chain(meta).collect();
    // The API answers oldest first; the newest is what a reader came to see.
    let rows =
        events.into_iter().rev().map(|event| event_row(event, &columns, &masked_fields, masks_keys)).collect_view();
    view! {
        {masked_note}
        <ScrollTable label="Recent events" testid="sample-table" class="sample__table" columns=titles>
            {rows}
        </ScrollTable>
    }
    .into_any()
}

fn event_row(event: SampleEvent, columns: &[String], masked_fields: &[String], masks_keys: bool) -> AnyView {
    let SampleEvent { partition, offset, timestamp, key, value, undecodable, .. } = event;
    let key = match key {
        Some(key) if masks_keys && key == MASK => Cell::Masked,
        Some(key) => Cell::Code(key),
        None => Cell::Muted("none".to_owned()),
    };
    // One view per shape (and none type-erased per cell): the portal's size grows with every distinct view.
    let span = columns.len().max(1).to_string();
    let whole =
        |class: &'static str, text: String| Either::Right(view! { <td colspan=span.clone() class=class>{text}</td> });
    // An API without the `undecodable` field says why in the value alone.
    let undecodable = undecodable.or_else(|| match &value {
        Value::Object(fields) if fields.len() == 1 => fields.get("undecodable").map(plain),
        _ => None,
    });
    let cells = match (value, undecodable) {
        (_, Some(why)) => whole("sample__undecodable", format!("Could not decode: {why}")),
        (Value::Object(fields), None) => Either::Left(
            columns
                .iter()
                .map(|column| {
                    let masked_here = masked_fields.contains(column);
                    view! { <td>{Cell::of(fields.get(column), masked_here).view()}</td> }
                })
                .collect_view(),
        ),
        (Value::Null, None) => whole("muted", "No value: a tombstone, which deletes this key".to_owned()),
        (other, None) => whole("sample__json", other.to_string()),
    };
    view! {
        <tr data-testid="sample-event">
            {cells}
            <td>{key.view()}</td>
            // Empty without a timestamp; the stylesheet draws a dash there.
            <td>{timestamp.map(|at| view! { <When at/> })}</td>
            <td>{partition}</td>
            <td>{offset}</td>
        </tr>
    }
    .into_any()
}

/// What one value of an event shows.
enum Cell {
    /// Personal data the API replaced with its mask.
    Masked,
    Text(String),
    /// JSON that is not a string, or a key.
    Code(String),
    /// A value that is not there, in words.
    Muted(String),
}

impl Cell {
    /// Strings as they are, everything else as compact JSON.
    fn of(value: Option<&Value>, masked_here: bool) -> Self {
        match value {
            Some(Value::String(text)) if masked_here && text == MASK => Self::Masked,
            Some(Value::String(text)) => Self::Text(text.clone()),
            Some(Value::Null) => Self::Muted("null".to_owned()),
            Some(other) => Self::Code(other.to_string()),
            None => Self::Muted("—".to_owned()),
        }
    }

    fn view(self) -> impl IntoView {
        let (class, text, testid) = match self {
            Self::Masked => ("masked", "masked".to_owned(), Some("masked-value")),
            Self::Text(text) => ("", text, None),
            Self::Code(text) => ("code-text", text, None),
            Self::Muted(text) => ("muted", text, None),
        };
        let title = testid.map(|_| "Personal data, masked by the API");
        view! { <span class=class data-testid=testid title=title>{text}</span> }
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The schema's fields first, then any other field the events carry, in the order they first appear.
fn columns(field_order: &[String], events: &[SampleEvent]) -> Vec<String> {
    let mut columns: Vec<String> = field_order.to_vec();
    for event in events.iter().filter(|event| event.undecodable.is_none()) {
        let Value::Object(fields) = &event.value else { continue };
        if fields.len() == 1 && fields.contains_key("undecodable") {
            continue;
        }
        for name in fields.keys() {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    columns
}
