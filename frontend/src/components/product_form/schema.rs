//! A schema's fields as a nested list, for previews next to the form, and their paths for personal-data choices.

use leptos::prelude::*;
use meshport_shared::schema::SchemaField;

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
