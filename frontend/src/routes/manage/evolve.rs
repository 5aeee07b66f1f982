//! Evolving a product's value schema: a dry run first, whose answer says whether the new schema is compatible at the
//! registry's level and names every change; then registering it. A breaking change is refused by the API, and can
//! become a new major version of the product instead.

use leptos::prelude::*;
use meshport_shared::SchemaFormat;
use meshport_shared::api::{EvolveRequest, EvolveResponse, Identity};
use meshport_shared::schema::SchemaChange;

use super::{Call, ChangeError, ChangeSection, Managed, failure, field_message, violation_code};
use crate::api;
use crate::components::form::{Field, invalid_if};
use crate::components::product_form::{chosen_file, schema_file_text};
use crate::reactive::{live, live_text};

/// Links the API's violations of an evolve to the controls they concern.
const FIELDS: &[(&str, &str)] = &[("schema", "evolve-schema")];

#[component]
pub(super) fn EvolveSchema(managed: Managed, who: Identity) -> impl IntoView {
    let (current, format) = managed.detail.with_untracked(|d| {
        (d.schema.as_ref().map(|s| s.schema.clone()).unwrap_or_default(), d.product.output_port.schema_format)
    });
    // A schema typed here before (an expired sign-in, a reload) comes back, whatever changed on the product since:
    // it is checked against the current schema before it can be registered.
    let kept_as = crate::drafts::key(&who, &format!("evolve.{}", managed.id()));
    let (text, _) = crate::drafts::keep(kept_as.clone(), current);
    let kept_as = StoredValue::new(kept_as);
    // Why the uploaded file could not be read; empty while there is nothing to say, as the fields' messages are.
    let upload_error = RwSignal::new(String::new());
    // The schema last sent to be registered, so a refused one can be published as a new major version as it was.
    let submitted = RwSignal::new(String::new());

    let check = Call::<(String, api::Result<EvolveResponse>)>::new();
    let submit = Call::<api::Result<EvolveResponse>>::new();
    // The dry run and the real one alike send the schema with the revision read.
    let send = move |schema: String, dry_run: bool, new_major_version: bool| {
        let request = EvolveRequest { schema, dry_run, new_major_version, revision: managed.revision() };
        let id = managed.id();
        async move { api::evolve(&id, &request).await }
    };
    let register = move |new_major_version: bool| {
        let schema = if new_major_version { submitted.get_untracked() } else { text.get_untracked() };
        submitted.set(schema.clone());
        let sent = send(schema, false, new_major_version);
        let kept_as = kept_as.get_value();
        submit.start(async move {
            let result = sent.await;
            if result.is_ok() {
                crate::drafts::forget(&kept_as);
                // The answer is not the product: read it again for its new version, revision and status.
                managed.reload();
            }
            result
        });
    };
    let on_check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit.answer.set(None);
        let schema = text.get_untracked();
        let sent = send(schema.clone(), true, false);
        check.start(async move { (schema, sent.await) });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = chosen_file(&ev) else { return };
        leptos::task::spawn_local(async move {
            match schema_file_text(&file).await {
                Ok(content) => {
                    upload_error.set(String::new());
                    text.set(content);
                }
                Err(problem) => upload_error.set(problem),
            }
        });
    };

    // Problems with the text itself: the API's (`schema` violations of the last check or submission) or the
    // upload's.
    let schema_message = Signal::derive(move || {
        let upload = upload_error.get();
        if !upload.is_empty() {
            return upload;
        }
        let checked = check.answer.with(|v| v.as_ref().and_then(|(_, r)| r.as_ref().err().cloned()));
        let submitted = submit.answer.with(failure);
        field_message(submitted.as_ref().or(checked.as_ref()), &["schema"])
    });

    let answer = live(move || {
        if check.pending.get() {
            return view! { <p class="notice notice--loading" role="status">"Checking compatibility…"</p> }.into_any();
        }
        let Some((schema, result)) = check.answer.get() else { return ().into_any() };
        match result {
            Err(error) => view! { <ChangeError error managed fields=FIELDS/> }.into_any(),
            Ok(answer) => {
                let action = live(move || {
                    if text.with(|t| *t != schema) {
                        return view! {
                            <p class="manage-stale" data-testid="answer-stale">
                                "You changed the schema since this check: check it again before registering it."
                            </p>
                        }
                        .into_any();
                    }
                    view! {
                        <div class="manage-actions">
                            <button
                                type="button"
                                class="button"
                                data-testid="evolve-submit"
                                disabled=move || submit.pending.get()
                                on:click=move |_| register(false)
                            >
                                {live_text(move || {
                                    if submit.pending.get() { "Registering…" } else { "Register this version" }.to_owned()
                                })}
                            </button>
                        </div>
                    }
                    .into_any()
                });
                view! {
                    <CompatibilityAnswer answer/>
                    {action}
                }
                .into_any()
            }
        }
    });

    let outcome = live(move || match submit.answer.get() {
        None => ().into_any(),
        Some(Ok(response)) => view! { <Evolved response/> }.into_any(),
        Some(Err(error)) if error.code() == "incompatible_schema" => {
            let on_major = Callback::new(move |()| register(true));
            view! { <EvolveRefusal error on_major pending=submit.pending/> }.into_any()
        }
        Some(Err(error)) => view! { <ChangeError error managed fields=FIELDS/> }.into_any(),
    });

    view! {
        <ChangeSection name="evolve" title="Evolve the schema">
            <p>
                "Propose the next version of the value schema. Check it first: the answer says whether consumers "
                "of the current version can still read it, at the compatibility level the registry enforces for "
                "this subject, and names every change."
            </p>
            <form class="manage-form" novalidate on:submit=on_check data-testid="evolve-form">
                <Field
                    id="evolve-schema"
                    label=format!("New value schema ({})", format_name(format))
                    hint="It starts as the current version: edit it here, paste a new one, or upload a file."
                    message=schema_message
                >
                    <textarea
                        id="evolve-schema"
                        class="field__control field__control--code manage-schema"
                        rows="14"
                        spellcheck="false"
                        autocomplete="off"
                        aria-describedby="evolve-schema-hint evolve-schema-error"
                        aria-invalid=invalid_if(schema_message)
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                        data-testid="evolve-schema"
                    ></textarea>
                </Field>
                <div class="field">
                    <label class="field__label" for="evolve-file">"Or upload a schema file"</label>
                    <input
                        id="evolve-file"
                        type="file"
                        class="field__file"
                        accept=".avsc,.json,.proto,application/json"
                        on:change=on_file
                        data-testid="evolve-file"
                    />
                </div>
                <div class="manage-actions">
                    <button
                        type="submit"
                        class="button"
                        data-testid="evolve-check"
                        disabled=move || check.pending.get()
                    >
                        "Check compatibility"
                    </button>
                </div>
            </form>
            <div class="manage-answer" aria-live="polite" data-testid="evolve-answer">
                {answer}
            </div>
            <div aria-live="polite" data-testid="evolve-outcome">
                {outcome}
            </div>
        </ChangeSection>
    }
}

fn format_name(format: SchemaFormat) -> &'static str {
    match format {
        SchemaFormat::Avro => "Avro",
        SchemaFormat::Json => "JSON Schema",
        SchemaFormat::Protobuf => "Protobuf",
    }
}

/// A dry run's answer: compatible or not at the registry's level, and every change in words, breaking ones marked.
#[component]
pub fn CompatibilityAnswer(answer: EvolveResponse) -> impl IntoView {
    let EvolveResponse { compatible, level, changes, registry_messages, .. } = answer;
    // Breaking changes first: they are what the person has to act on. Each group keeps the API's order (the
    // schema's field order).
    let (mut changes, safe): (Vec<SchemaChange>, Vec<SchemaChange>) = changes.into_iter().partition(|c| c.breaking);
    changes.extend(safe);
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let verdict = match (compatible, breaking) {
        (true, _) => format!("Compatible at the registry's level {level}"),
        (false, 0) => format!("Not compatible at the registry's level {level}"),
        (false, 1) => format!("Breaking at the registry's level {level}: 1 breaking change"),
        (false, n) => format!("Breaking at the registry's level {level}: {n} breaking changes"),
    };
    let advice = if compatible {
        "Consumers of the current version can read events written with it: registering it is safe."
    } else {
        "Consumers of the current version could not read events written with it, so registering it will be \
         refused. Undo the breaking changes, or publish it as a new major version."
    };
    let changes = if changes.is_empty() {
        view! { <p data-testid="no-changes">"It is the same as the current version."</p> }.into_any()
    } else {
        view! {
            <ul class="manage-changes" role="list">
                {changes.into_iter().map(|change| view! { <Change change/> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    // The registry's own words are long (they quote the old schema), so they wait behind a disclosure.
    let messages = (!compatible && !registry_messages.is_empty()).then(|| {
        view! {
            <details class="manage-registry-messages">
                <summary>"What the registry said"</summary>
                <ul>
                    {registry_messages
                        .into_iter()
                        .map(|message| view! { <li data-testid="registry-message">{message}</li> })
                        .collect_view()}
                </ul>
            </details>
        }
    });
    let class =
        if compatible { "manage-verdict manage-verdict--ok" } else { "manage-verdict manage-verdict--breaking" };
    view! {
        <div class="manage-compatibility" data-testid="compatibility-answer" data-compatible=compatible.to_string()>
            <p class=class data-testid="compatibility-verdict">{verdict}</p>
            <p>{advice}</p>
            {changes}
            {messages}
        </div>
    }
}

#[component]
fn Change(change: SchemaChange) -> impl IntoView {
    let SchemaChange { kind, path, description, breaking } = change;
    let (tag, class) = if breaking {
        ("Breaking", "manage-change__tag manage-change__tag--breaking")
    } else {
        ("Safe", "manage-change__tag manage-change__tag--safe")
    };
    view! {
        <li
            class="manage-change"
            data-testid="schema-change"
            data-breaking=breaking.to_string()
            data-kind=kind.as_str()
        >
            <span class=class>{tag}</span>
            <span>
                {(!path.is_empty()).then(|| view! { <code class="manage-change__path">{path}</code> " " })}
                <span data-testid="schema-change-description">{description}</span>
            </span>
        </li>
    }
}

/// A schema the API refused to register because it breaks consumers (409 `incompatible_schema`): each breaking
/// change, and the way out: a new major version.
#[component]
pub fn EvolveRefusal(
    error: api::Error,
    /// Publishes the refused schema as a new major version.
    on_major: Callback<()>,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    let breaks = error
        .violations()
        .iter()
        .map(|v| {
            view! {
                <li data-testid="breaking-change">
                    <code class="error-code">{violation_code(v.code)}</code>
                    " "
                    <code>{v.field.clone()}</code>
                    ": "
                    {v.message.clone()}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="notice notice--error manage-error" role="alert" data-testid="evolve-refused">
            <p class="notice__title">"Refused: this schema breaks consumers"</p>
            <p>
                <span data-testid="error-message">{error.message()}</span>
                " "
                <code class="error-code" data-testid="error-code">{error.code().to_owned()}</code>
            </p>
            <ul class="error-list">{breaks}</ul>
            <p>
                "To make this change anyway, publish it as a new major version: a new data product on a new topic, "
                "holding this schema. This product is then deprecated in its favour, with a sunset date, so its "
                "consumers have time to move."
            </p>
            <div class="notice__actions">
                <button
                    type="button"
                    class="button"
                    data-testid="publish-major"
                    disabled=move || pending.get()
                    on:click=move |_| on_major.run(())
                >
                    {live_text(move || {
                        if pending.get() { "Publishing…" } else { "Publish as a new major version" }.to_owned()
                    })}
                </button>
            </div>
        </div>
    }
}

/// A schema that was registered, or published as a new major version.
#[component]
fn Evolved(response: EvolveResponse) -> impl IntoView {
    let text = match (response.registered_version, response.new_product) {
        (_, Some(id)) => {
            let manage = format!("/manage/{}", api::encode(id.as_str()));
            let page = format!("/products/{}", api::encode(id.as_str()));
            view! {
                "Published as a new major version: data product "
                <a href=manage data-testid="new-product">{id.to_string()}</a>
                " (" <a href=page>"its product page"</a> "). This product is now deprecated in its favour."
            }
            .into_any()
        }
        (Some(version), None) => view! {
            "Registered: the new schema is version "
            <span data-testid="registered-version">{version}</span>
            " of the subject."
        }
        .into_any(),
        (None, None) => view! { "Done." }.into_any(),
    };
    view! {
        <p class="notice manage-success" role="status" data-testid="evolve-done">
            {text}
        </p>
    }
}
