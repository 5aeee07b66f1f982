//! Choosing the topic to publish, and a preview of its value schema.

use leptos::prelude::*;
use meshport_shared::api::PublishableTopic;
use meshport_shared::{SchemaFact, SubjectName, TopicName};

use crate::api;
use crate::components::feedback::Loading;
use crate::components::form::{FieldError, Problems, described_by, field_id, hint_id};
use crate::components::product_form::{ProductFormState, SchemaFieldList, field_paths, load_failed};
use crate::reactive::{fetched, live, watch};

/// The domain's publishable topics as radio buttons, each with its partitions, history and whether it has a schema.
#[component]
pub fn TopicPicker(state: ProductFormState, chosen: RwSignal<Option<PublishableTopic>>) -> impl IntoView {
    let field = "output_port.topic";
    let retries = RwSignal::new(0_u32);
    // A memo, so only a new domain (not every keystroke elsewhere in the form) fetches the list again.
    let domain = Memo::new(move |_| state.read(|d| d.domain.clone()));
    let topics = fetched(move || (retries.get(), domain.get()), |(_, domain)| api::publishable_topics(domain));
    let pick = move |topic: PublishableTopic| {
        state.set_topic(topic.name.as_str());
        state.set_schema(if topic.has_value_schema { SchemaFact::Registered } else { SchemaFact::Missing }, Vec::new());
        state.touch(field);
        // Whether the policy accepts the topic's schema (or its lack) is known now: say so at once.
        state.touch("output_port.value_subject");
        chosen.set(Some(topic));
    };
    // A link from Manage names the topic (`/publish?topic=...`), or a kept draft had one: pick it once the list has
    // it, unless the person already chose one.
    let wanted = StoredValue::new(
        leptos_router::hooks::use_query_map()
            .with_untracked(|query| query.get("topic"))
            .or_else(|| state.read_untracked(|d| (!d.topic.is_empty()).then(|| d.topic.clone()))),
    );
    Effect::new(move |_| {
        let Some(name) = wanted.get_value() else { return };
        if let Some(Ok(list)) = topics.get()
            && chosen.get_untracked().is_none()
            && let Some(topic) = list.into_iter().find(|topic| topic.name.as_str() == name)
        {
            wanted.set_value(None);
            pick(topic);
        }
    });
    let list = live(move || match topics.get() {
        None => view! { <Loading what="publishable topics"/> }.into_any(),
        Some(answer) => match answer {
            Err(error) => load_failed("The publishable topics", &error, move || retries.update(|n| *n += 1)),
            Ok(list) if list.is_empty() => view! {
                <div class="notice notice--empty" data-testid="no-topics">
                    <p class="notice__title">"No topic is waiting to be published"</p>
                    <p>
                        "Every topic on the cluster is a data product already. "
                        <a href="/create">"Create a new product"</a> " with its own topic and schema instead."
                    </p>
                </div>
            }
            .into_any(),
            Ok(list) => view! {
                <ul class="choices choices--topics" role="list">
                    {list
                        .into_iter()
                        .map(|topic| {
                            let id = format!("topic-option-{}", topic.name);
                            let name = topic.name.clone();
                            let checked = name.clone();
                            let facts = format!(
                                "{} · {}",
                                match topic.partitions {
                                    1 => "1 partition".to_owned(),
                                    n => format!("{n} partitions"),
                                },
                                topic.history.describe(),
                            );
                            let (schema, tag_class) = if topic.has_value_schema {
                                ("schema registered", "choice__tag")
                            } else {
                                ("no value schema", "choice__tag choice__tag--missing")
                            };
                            view! {
                                <li class="choice choice--card">
                                    <input
                                        type="radio"
                                        name="topic"
                                        id=id.clone()
                                        value=name.to_string()
                                        data-testid="topic-option"
                                        data-topic=name.to_string()
                                        prop:checked=move || state.read(|d| d.topic == checked.as_str())
                                        aria-describedby=described_by(field, false)
                                        on:change=move |_| pick(topic.clone())
                                    />
                                    <label for=id>
                                        <code class="choice__title">{name.to_string()}</code>
                                        <span class="choice__facts">{facts}</span>
                                        <span class=tag_class>{schema}</span>
                                    </label>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any(),
        },
    });
    view! {
        <fieldset
            class="form-section"
            id=field_id(field)
            tabindex="-1"
            aria-describedby=described_by(field, true)
            data-testid="topic-picker"
        >
            <legend class="form-section__title">"Topic"</legend>
            <p class="field__hint" id=hint_id(field)>
                "Topics on the cluster that are no data product yet. Its values' schema is "
                <code>"<topic>-value"</code> "."
            </p>
            {list}
            <FieldError problems=Problems::Form(state, field)/>
        </fieldset>
    }
}

/// The chosen topic's value schema: its fields, or why there is none to show.
#[component]
pub fn SchemaPreview(state: ProductFormState, chosen: RwSignal<Option<PublishableTopic>>) -> impl IntoView {
    let field = "output_port.value_subject";
    // Only a topic with a registered value schema has one to show.
    let preview = fetched(
        move || chosen.with(|t| t.as_ref().filter(|t| t.has_value_schema).map(|t| value_subject(&t.name))),
        |subject_name| async move {
            match subject_name {
                Some(name) => Some(api::subject(name).await).transpose(),
                None => Ok(None),
            }
        },
    );
    // The fields become the personal-data choices, and the registered format the output port's.
    watch(move || {
        if let Some(Ok(Some(detail))) = preview.get() {
            state.set_schema(SchemaFact::Registered, field_paths(&detail.fields));
            state.update("output_port.schema_format", |d| d.schema_format = detail.format);
        }
    });
    let body = live(move || {
        let Some(topic) = chosen.get() else {
            return view! { <p class="field__hint">"Choose a topic to see its schema."</p> }.into_any();
        };
        let subject = value_subject(&topic.name).to_string();
        if !topic.has_value_schema {
            return view! {
                <p data-testid="schema-missing">
                    "No schema is registered as " <code>{subject}</code>
                    ": consumers could not read the events safely. Register one in the schema registry, or "
                    <a href="/create">"create a new product"</a> " with its schema."
                </p>
            }
            .into_any();
        }
        match preview.get() {
            None | Some(Ok(None)) => view! { <Loading what="the schema"/> }.into_any(),
            Some(Ok(Some(detail))) => view! {
                <p class="schema-preview__meta">
                    <code>{detail.subject.clone()}</code>
                    {format!(" · version {} · id {} · {}", detail.version, detail.id, detail.format.registry_name())}
                </p>
                {if detail.fields.is_empty() {
                    view! { <p>"The schema has no fields to show (it is not a record, or not Avro)."</p> }.into_any()
                } else {
                    view! { <SchemaFieldList fields=detail.fields/> }.into_any()
                }}
            }
            .into_any(),
            Some(Err(error)) => view! {
                <p class="notice notice--quiet" data-testid="schema-preview-error">
                    "The schema cannot be shown now (" <code>{error.code().to_owned()}</code> "): " {error.message()}
                    ". Publishing checks it all the same."
                </p>
            }
            .into_any(),
        }
    });
    view! {
        <section
            class="form-section schema-preview"
            id=field_id(field)
            tabindex="-1"
            aria-labelledby="schema-preview-title"
            data-testid="schema-preview"
        >
            <h2 class="form-section__title" id="schema-preview-title">"Value schema"</h2>
            {body}
            <FieldError problems=Problems::Form(state, field)/>
        </section>
    }
}

fn value_subject(topic: &TopicName) -> SubjectName {
    SubjectName::value_of(topic)
}
