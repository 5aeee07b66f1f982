//! The latest value schema as a table of fields: nested records open and close with a button, personal-data
//! fields are marked, and the schema's own text is one click away.

use std::collections::HashSet;

use leptos::prelude::*;
use meshport_shared::api::SchemaDetail;
use meshport_shared::product::SchemaFormat;
use meshport_shared::schema::SchemaField;

use super::{ScrollTable, columns};

/// What every row needs to know: which records are open, and which paths hold personal data.
#[derive(Debug, Clone, Copy)]
struct TableState {
    open: RwSignal<HashSet<String>>,
    personal: StoredValue<Vec<String>>,
    /// Whether any row has a toggle: rows without one then keep its room, so names line up.
    has_records: bool,
}

/// The schema's fields, top-level records first; nested records start closed so a wide schema stays readable.
#[component]
pub fn SchemaTable(
    schema: SchemaDetail,
    /// Field paths the product marks as personal data.
    #[prop(optional)]
    personal_fields: Vec<String>,
) -> impl IntoView {
    let SchemaDetail { subject, version, id, format, schema: text, fields } = schema;
    let records = record_paths(&fields);
    let state = TableState {
        open: RwSignal::new(HashSet::new()),
        personal: StoredValue::new(personal_fields),
        has_records: !records.is_empty(),
    };
    let bulk = (!records.is_empty()).then(|| {
        let all: HashSet<String> = records.into_iter().collect();
        view! {
            <div class="schema__bulk">
                <button
                    type="button"
                    class="button button--quiet button--small"
                    data-testid="schema-expand-all"
                    on:click=move |_| state.open.set(all.clone())
                >
                    "Open all records"
                </button>
                <button
                    type="button"
                    class="button button--quiet button--small"
                    data-testid="schema-collapse-all"
                    on:click=move |_| state.open.set(HashSet::new())
                >
                    "Close all"
                </button>
            </div>
        }
    });
    let count = match fields.len() {
        1 => "1 top-level field".to_owned(),
        n => format!("{n} top-level fields"),
    };
    let rows = field_rows(fields, 0, state);
    view! {
        <div class="schema" data-testid="schema">
            <div class="schema__meta">
                <p>
                    <code data-testid="schema-subject">{subject}</code>
                    " · version "
                    <span data-testid="schema-version">{version}</span>
                    " · schema id "
                    {id}
                    " · "
                    {format_name(format)}
                    " · "
                    {count}
                </p>
                {bulk}
            </div>
            <ScrollTable
                label="Schema fields"
                testid="schema-table"
                class="schema__table"
                columns=columns(&["Field", "Type", "Presence", "Default"])
            >
                {rows}
            </ScrollTable>
            <details class="schema__text">
                <summary>"Schema text"</summary>
                <pre class="code" tabindex="0" data-testid="schema-text">{pretty(&text)}</pre>
            </details>
        </div>
    }
}

fn field_rows(fields: Vec<SchemaField>, depth: usize, state: TableState) -> AnyView {
    fields.into_iter().map(|field| field_row(field, depth, state)).collect_view().into_any()
}

/// One field, and, while it is open, the fields of the record it holds.
fn field_row(field: SchemaField, depth: usize, state: TableState) -> AnyView {
    let SchemaField { name, path, type_name, doc, optional, default, fields } = field;
    let personal = state.personal.with_value(|p| p.contains(&path));
    let open = {
        let path = path.clone();
        Memo::new(move |_| state.open.with(|open| open.contains(&path)))
    };
    let spacer = (fields.is_empty() && state.has_records)
        .then(|| view! { <span class="disclosure disclosure--none" aria-hidden="true"></span> });
    let toggle = (!fields.is_empty()).then(|| {
        let path = path.clone();
        let flip = move |_| {
            state.open.update(|open| {
                if !open.remove(&path) {
                    open.insert(path.clone());
                }
            })
        };
        view! {
            <button
                type="button"
                class="disclosure"
                aria-expanded=move || open.get().to_string()
                data-testid="schema-toggle"
                on:click=flip
            >
                <span class="disclosure__icon" aria-hidden="true"></span>
                <span class="visually-hidden">{format!("Fields of {name}")}</span>
            </button>
        }
    });
    let nested =
        (!fields.is_empty()).then_some(move || open.get().then(|| field_rows(fields.clone(), depth + 1, state)));
    let default = match default {
        Some(value) => ("code-text", value.to_string(), Some("schema-field-default")),
        None => ("muted", "none".to_owned(), None),
    };
    // The doc sits under the name, not in a column of its own, so it stays in view on every screen.
    let doc = doc.filter(|doc| !doc.trim().is_empty()).map(|doc| {
        let class = if state.has_records { "schema__doc schema__doc--indented" } else { "schema__doc" };
        view! { <span class=class data-testid="schema-field-doc">{doc}</span> }
    });
    view! {
        <tr data-testid="schema-field" data-path=path data-depth=depth.min(6).to_string()>
            <th scope="row" class="schema__name">
                <span class="schema__name-inner">
                    {toggle}
                    {spacer}
                    <code data-testid="schema-field-name">{name.clone()}</code>
                    {personal.then(|| view! { <span class="tag tag--personal">"personal data"</span> })}
                </span>
                {doc}
            </th>
            <td><code data-testid="schema-field-type">{type_name}</code></td>
            <td data-testid="schema-field-presence">{if optional { "optional" } else { "required" }}</td>
            <td><span class=default.0 data-testid=default.2>{default.1}</span></td>
        </tr>
        {nested}
    }
    .into_any()
}

/// Every path that holds a record with fields of its own, at any depth.
fn record_paths(fields: &[SchemaField]) -> Vec<String> {
    fields
        .iter()
        .filter(|field| !field.fields.is_empty())
        .flat_map(|field| std::iter::once(field.path.clone()).chain(record_paths(&field.fields)))
        .collect()
}

fn format_name(format: SchemaFormat) -> &'static str {
    match format {
        SchemaFormat::Avro => "Avro",
        SchemaFormat::Json => "JSON Schema",
        SchemaFormat::Protobuf => "Protobuf",
    }
}

/// Avro and JSON schemas are JSON: indented they read far better than the registry's one line. Protobuf is shown
/// as written.
fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| text.to_owned())
}
