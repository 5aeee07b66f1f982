//! A schema's fields as a nested list, for previews next to the form, and their paths for personal-data choices;
//! and the text of a schema file someone uploads (Create, Evolve).

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use meshport_shared::schema::SchemaField;
use wasm_bindgen_futures::JsFuture;

/// Uploads larger than this (in KiB) cannot be a schema the API accepts (its request bodies are capped at 256 KiB).
const MAX_SCHEMA_FILE_KIB: u64 = 200;

/// The file chosen in the file input that fired `ev`, if any.
pub fn chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?.files()?.get(0)
}

/// The text of an uploaded schema file, or why there is none, as a sentence naming the file.
pub async fn schema_file_text(file: &web_sys::File) -> Result<String, String> {
    let name = file.name();
    // Whole KiB, rounded up: formatting floats would cost the bundle more than the rounding is worth.
    let kib = (file.size() as u64).div_ceil(1024);
    if kib > MAX_SCHEMA_FILE_KIB {
        return Err(format!("`{name}` is {kib} KiB: a schema file must be under {MAX_SCHEMA_FILE_KIB} KiB"));
    }
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| format!("`{name}` could not be read as text"))
}

/// Every field's dotted path, nested ones included, in schema order.
pub fn field_paths(fields: &[SchemaField]) -> Vec<String> {
    let mut paths = Vec::new();
    collect(fields, &mut paths);
    paths
}

fn collect(fields: &[SchemaField], paths: &mut Vec<String>) {
    for field in fields {
        paths.push(field.path.clone());
        collect(&field.fields, paths);
    }
}

/// The fields of a schema: name, type, whether it may be null, and its doc. Every text is a text node.
#[component]
pub fn SchemaFieldList(fields: Vec<SchemaField>) -> impl IntoView {
    view! { <div class="schema-fields" data-testid="schema-fields">{tree(fields)}</div> }
}

// A function rather than a component, returning `AnyView`, so the nesting has a type of finite size.
fn tree(fields: Vec<SchemaField>) -> AnyView {
    view! {
        <ul class="schema-fields__list" role="list">
            {fields
                .into_iter()
                .map(|field| {
                    let nested = (!field.fields.is_empty()).then(|| tree(field.fields));
                    view! {
                        <li class="schema-fields__item" data-testid="schema-field" data-path=field.path>
                            <code class="schema-fields__name">{field.name}</code>
                            " "
                            <span class="schema-fields__type">{field.type_name}</span>
                            {field.optional.then(|| view! { <span class="schema-fields__optional">" (optional)"</span> })}
                            {field.doc.map(|doc| view! { <span class="schema-fields__doc">{doc}</span> })}
                            {nested}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
