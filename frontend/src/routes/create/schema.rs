//! The new product's value schema: pasted, or uploaded as an Avro `.avsc` file; read as JSON at once, and checked by
//! the API (`POST /api/v1/schemas/check`) shortly after typing stops, which also lists its fields.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use meshport_shared::SchemaFormat;
use meshport_shared::schema::SchemaField;

use crate::api;
use crate::components::form::{FieldError, Problems, described_by, field_id, hint_id, invalid};
use crate::components::product_form::{
    Problem, ProductFormState, SchemaFieldList, chosen_file, field_paths, schema_file_text,
};
use crate::reactive::{live, watch};

/// How long typing must pause before the API is asked.
const CHECK_DELAY: Duration = Duration::from_millis(400);

/// What the API said about the schema text.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not asked: nothing to ask about, or the text is not even JSON.
    NotAsked,
    Checking,
    Readable(Vec<SchemaField>),
    Unreadable(String),
    /// The API could not be asked (down, or a reason of its own): creating checks the schema all the same.
    Unavailable(api::Error),
}

/// The schema as typed, what is wrong with it locally, and the API's verdict.
#[derive(Debug, Clone, Copy)]
pub struct SchemaDraft {
    pub text: RwSignal<String>,
    /// The name of the file the text came from, if it was uploaded.
    pub file: RwSignal<Option<String>>,
    file_problem: RwSignal<Option<String>>,
    json_problem: Memo<Option<String>>,
    verdict: RwSignal<Verdict>,
    asked: StoredValue<u64>,
}

impl Default for SchemaDraft {
    fn default() -> Self {
        Self::with_text(RwSignal::new(String::new()))
    }
}

impl SchemaDraft {
    /// The schema as typed before under `kept_as` on this tab (`crate::drafts`), or blank; and whether it came back.
    pub fn kept(kept_as: &str) -> (Self, bool) {
        let (text, restored) = crate::drafts::keep(kept_as.to_owned(), String::new());
        (Self::with_text(text), restored)
    }

    fn with_text(text: RwSignal<String>) -> Self {
        let json_problem = Memo::new(move |_| {
            text.with(|t| {
                if t.trim().is_empty() {
                    return None;
                }
                serde_json::from_str::<serde::de::IgnoredAny>(t)
                    .err()
                    .map(|e| format!("the schema is not valid JSON: {e}"))
            })
        });
        Self {
            text,
            file: RwSignal::new(None),
            file_problem: RwSignal::new(None),
            json_problem,
            verdict: RwSignal::new(Verdict::NotAsked),
            asked: StoredValue::new(0),
        }
    }
}

impl SchemaDraft {
    /// Every problem with the schema, as the field `schema` (the API's name for it).
    pub fn problems(&self) -> Vec<Problem> {
        let field = "schema";
        if let Some(problem) = self.file_problem.get() {
            return vec![Problem::new(field, problem)];
        }
        if self.text.with(|t| t.trim().is_empty()) {
            return vec![Problem::new(field, "paste or upload the value schema")];
        }
        if let Some(problem) = self.json_problem.get() {
            return vec![Problem::new(field, problem)];
        }
        match self.verdict.get() {
            Verdict::Unreadable(reason) => vec![Problem::new(field, reason)],
            _ => Vec::new(),
        }
    }

    pub fn verdict(&self) -> Verdict {
        self.verdict.get()
    }
}

/// The schema field: a text area to paste into, a file input for an `.avsc`, the problems, and the fields the API
/// read from it.
#[component]
pub fn SchemaInput(state: ProductFormState, schema: SchemaDraft) -> impl IntoView {
    let field = "schema";
    state.also_check(Signal::derive(move || schema.problems()));
    // Ask the API once typing pauses, and only about text that is JSON at all; an answer to older text is dropped.
    watch(move || {
        let text = schema.text.get();
        let readable_json = !text.trim().is_empty() && schema.json_problem.get().is_none();
        schema.asked.update_value(|n| *n += 1);
        let asked = schema.asked.get_value();
        if !readable_json {
            schema.verdict.set(Verdict::NotAsked);
            state.set_schema(meshport_shared::SchemaFact::Unknown, Vec::new());
            return;
        }
        set_timeout(
            move || {
                // `try_`: the form may be gone by then (an expired sign-in swaps it for a prompt).
                if schema.asked.try_get_value() != Some(asked) {
                    return;
                }
                schema.verdict.set(Verdict::Checking);
                spawn_local(async move {
                    let verdict = match api::check_schema(SchemaFormat::Avro, &text).await {
                        Ok(check) => Verdict::Readable(check.fields),
                        Err(error) if error.code() == "invalid_schema" => Verdict::Unreadable(error.message()),
                        Err(error) => Verdict::Unavailable(error),
                    };
                    if schema.asked.try_get_value() == Some(asked) {
                        if let Verdict::Readable(fields) = &verdict {
                            state.set_schema(meshport_shared::SchemaFact::Unknown, field_paths(fields));
                        }
                        schema.verdict.set(verdict);
                    }
                });
            },
            CHECK_DELAY,
        );
    });
    let edited = move |text: String| {
        schema.file_problem.set(None);
        schema.text.set(text);
        state.changed(field);
    };
    let upload = move |ev: leptos::ev::Event| {
        let Some(file) = chosen_file(&ev) else { return };
        state.touch(field);
        spawn_local(async move {
            let text = schema_file_text(&file).await;
            schema.file.set(Some(file.name()));
            match text {
                Ok(text) => edited(text),
                Err(problem) => schema.file_problem.set(Some(problem)),
            }
        });
    };
    let status = live(move || match schema.verdict() {
        Verdict::Checking => {
            view! { <p class="schema-status" data-testid="schema-checking">"Checking the schema…"</p> }.into_any()
        }
        Verdict::Readable(fields) if schema.problems().is_empty() => {
            let count = match fields.len() {
                1 => "1 field".to_owned(),
                n => format!("{n} fields"),
            };
            view! {
                <p class="schema-status schema-status--ok" data-testid="schema-ok">
                    {format!("Valid Avro with {count}.")}
                </p>
                <SchemaFieldList fields/>
            }
            .into_any()
        }
        Verdict::Unavailable(error) => view! {
            <p class="schema-status" data-testid="schema-unchecked">
                "The API could not check the schema now (" <code>{error.code().to_owned()}</code>
                "): creating the product checks it all the same."
            </p>
        }
        .into_any(),
        _ => ().into_any(),
    });
    view! {
        <fieldset class="form-section">
            <legend class="form-section__title">"Value schema (Avro)"</legend>
            <div class="field">
                <label class="field__label" for=field_id(field)>
                    "Schema" <span class="field__required">" (required)"</span>
                </label>
                <p class="field__hint" id=hint_id(field)>
                    "Paste the Avro schema of the topic's values (an .avsc document), or upload it below. It is \
                     registered as the topic's "
                    <code>"-value"</code>
                    " subject."
                </p>
                <textarea
                    id=field_id(field)
                    class="field__control field__control--code"
                    rows=12
                    spellcheck="false"
                    autocapitalize="none"
                    required=true
                    prop:value=move || schema.text.get()
                    aria-invalid=invalid(state, field)
                    aria-describedby=described_by(field, true)
                    data-testid="field-schema"
                    on:input:target=move |ev| {
                        schema.file.set(None);
                        edited(ev.target().value());
                    }
                    on:paste=move |_| state.touch(field)
                    on:blur=move |_| state.touch(field)
                ></textarea>
                <FieldError problems=Problems::Form(state, field)/>
            </div>
            <div class="field">
                <label class="field__label" for="schema-file">"Or upload an .avsc file"</label>
                <input
                    type="file"
                    id="schema-file"
                    class="field__file"
                    accept=".avsc,.json,application/json"
                    data-testid="schema-file"
                    on:change=upload
                />
                {live(move || {
                    schema
                        .file
                        .get()
                        .map(|name| {
                            view! { <p class="field__hint" data-testid="schema-file-name">"From " <code>{name}</code></p> }
                        })
                        .into_any()
                })}
            </div>
            <div role="status" class="schema-verdict">{status}</div>
        </fieldset>
    }
}
