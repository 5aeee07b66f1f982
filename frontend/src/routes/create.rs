//! Create: a new data product with its own topic and schema. The API creates the topic, registers the schema and
//! publishes the product in one call (undoing what it did if a step fails), so the page first asks for a dry run,
//! then shows the one call as running until it answers: with the product, or with what went wrong and what remains.

mod schema;
mod topic;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use meshport_shared::api::{CreateRequest, Identity};
use meshport_shared::{DataProduct, ErrorCode, GovernancePolicy, ProductId};

pub use schema::{SchemaDraft, SchemaInput, Verdict};
pub use topic::{Cleanup, Retention, TopicDraft, TopicFields};

use crate::api;
use crate::components::form::{ProblemSummary, focus, focus_summary};
use crate::components::product_form::{
    ApiCheck, ApiCheckStatus, ForTeamMembers, ProductForm, ProductFormState, SubmitFailure,
};
use crate::reactive::{live, live_text};

/// Where a create stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Editing,
    /// The dry run: every check, nothing changed.
    Checking,
    /// The one call that creates the topic, registers the schema and publishes.
    Creating,
    Done(Box<DataProduct>),
    /// Refused for a reason that is not a field's. The API's message says what remains, if anything: a create
    /// that fails halfway undoes its steps, except that a product it could not activate stays as a draft.
    Failed {
        error: api::Error,
        id: ProductId,
    },
}

impl Phase {
    fn running(&self) -> bool {
        matches!(self, Self::Checking | Self::Creating)
    }
}

#[component]
pub fn Create() -> impl IntoView {
    view! {
        <section class="form-page" aria-labelledby="page-title">
            <h1 id="page-title">"Create a data product"</h1>
            <p class="lede">
                "A new topic, its schema and the product that describes them, in one step. Nothing is left half made: "
                "if a step fails, the steps before it are undone."
            </p>
            <ForTeamMembers here="/create" action="create a data product" form=|policy, who| view! { <CreateForm policy who/> }.into_any()/>
        </section>
    }
}

#[component]
fn CreateForm(policy: GovernancePolicy, who: Identity) -> impl IntoView {
    // What was typed here before (an expired sign-in, a reload) comes back until the product is created.
    let state = ProductFormState::new(policy, who, "create");
    let kept_as = state.draft_key();
    let (topic, topic_restored) = TopicDraft::kept(&kept_as);
    let (schema, schema_restored) = SchemaDraft::kept(&format!("{kept_as}.schema"));
    state.also_restored(topic_restored || schema_restored);
    // What a submit would send, once the form passes its own checks: the API checks it too, before any submit.
    let request = move || {
        let product = state.product().ok()?;
        Some(CreateRequest { product, topic: topic.settings()?, schema: schema.text.get() })
    };
    let check = ApiCheck::new(state, request, api::check_create);
    let phase = RwSignal::new(Phase::Editing);
    let failure = RwSignal::new(None::<api::Error>);
    let summary = NodeRef::<html::Div>::new();
    let show_summary = move || focus_summary(summary);
    // A refusal with violations goes next to the fields; anything else, with what it left behind, below the form.
    let refused = move |error: api::Error, id: ProductId| {
        if error.violations().is_empty() {
            failure.set(Some(error.clone()));
            phase.set(Phase::Failed { error, id });
            request_animation_frame(|| focus("submit-error"));
        } else {
            state.set_server_problems(error.violations());
            phase.set(Phase::Editing);
            show_summary();
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if phase.with_untracked(|p| p.running() || matches!(p, Phase::Done(_))) {
            return;
        }
        state.reveal_all();
        failure.set(None);
        let Ok(product) = untrack(|| state.product()) else {
            phase.set(Phase::Editing);
            show_summary();
            return;
        };
        let Some(settings) = untrack(|| topic.settings()) else {
            show_summary();
            return;
        };
        let request = CreateRequest { product, topic: settings, schema: schema.text.get_untracked() };
        phase.set(Phase::Checking);
        let kept_as = kept_as.clone();
        spawn_local(async move {
            if let Err(error) = api::check_create(request.clone()).await {
                return refused(error, request.product.id);
            }
            phase.set(Phase::Creating);
            match api::create(request.clone()).await {
                Ok(product) => {
                    crate::drafts::forget(&kept_as);
                    TopicDraft::forget(&kept_as);
                    crate::drafts::forget(&format!("{kept_as}.schema"));
                    phase.set(Phase::Done(Box::new(product)));
                    request_animation_frame(|| focus("create-result"));
                }
                Err(error) => refused(error, request.product.id),
            }
        });
    };
    view! {
        <form
            class="product-form"
            novalidate=true
            on:submit=submit
            data-testid="create-form"
            aria-busy=move || phase.with(Phase::running).to_string()
        >
            <ProblemSummary state title="Fix these problems before creating" node_ref=summary/>
            <TopicFields state topic/>
            <SchemaInput state schema/>
            <ProductForm state/>
            <Progress phase/>
            <SubmitFailure title="The data product was not created" failure=failure.read_only()>
                <Remains phase/>
            </SubmitFailure>
            <Outcome phase/>
            <div hidden=move || phase.with(|p| matches!(p, Phase::Done(_)))>
                <ApiCheckStatus check ready="ready to create"/>
            </div>
            <div class="form-actions">
                <button
                    type="submit"
                    class="button"
                    disabled=move || phase.with(|p| p.running() || matches!(p, Phase::Done(_)))
                    data-testid="create-submit"
                >
                    {live_text(move || submit_label(&phase.get()).to_owned())}
                </button>
            </div>
        </form>
    }
}

/// What the submit button says in each phase.
fn submit_label(phase: &Phase) -> &'static str {
    match phase {
        Phase::Checking | Phase::Creating => "Creating…",
        Phase::Done(_) => "Created",
        _ => "Create the data product",
    }
}

/// The create's steps while it runs. The API does the last three in one call, so they show as running together,
/// with an indeterminate bar: the page cannot know which of them the server is at.
#[component]
fn Progress(phase: RwSignal<Phase>) -> impl IntoView {
    let step = move |text: &'static str, done: fn(&Phase) -> bool, running: fn(&Phase) -> bool| {
        let state = move || {
            phase.with(|p| {
                if done(p) {
                    ("done", "done")
                } else if running(p) {
                    ("running", "in progress")
                } else {
                    ("waiting", "waiting")
                }
            })
        };
        view! {
            <li class="progress__step" data-state=move || state().0>
                {text}
                <span class="progress__state">{move || format!(" ({})", state().1)}</span>
            </li>
        }
    };
    let now = live_text(move || {
        match phase.get() {
            Phase::Checking => "Checking everything with the API…",
            _ => "Creating the topic, registering the schema and publishing the product…",
        }
        .to_owned()
    });
    view! {
        <div class="progress" role="status" data-testid="create-progress" hidden=move || !phase.with(Phase::running)>
            <p class="progress__now" data-testid="create-progress-step">{now}</p>
            <progress class="progress__bar" aria-label="Creating the data product"></progress>
            <ol class="progress__steps">
                {step("Checking", |p| matches!(p, Phase::Creating), |p| matches!(p, Phase::Checking))}
                {step("Creating the topic", |_| false, |p| matches!(p, Phase::Creating))}
                {step("Registering the schema", |_| false, |p| matches!(p, Phase::Creating))}
                {step("Publishing the product", |_| false, |p| matches!(p, Phase::Creating))}
            </ol>
            <p class="field__hint">
                "The API does the last three in one go and undoes them all if one fails, so they finish together."
            </p>
        </div>
    }
}

/// Where to look after a failed create: a conflict means the product exists, as a draft the create left or as
/// one made before.
#[component]
fn Remains(phase: RwSignal<Phase>) -> impl IntoView {
    live(move || match phase.get() {
        Phase::Failed { error, id } if error.code() == ErrorCode::Conflict.as_str() => {
            let href = format!("/products/{}", api::encode(id.as_str()));
            view! {
                <p data-testid="create-remains">
                    "See " <a href=href>{id.to_string()}</a> " for what is there now."
                </p>
            }
            .into_any()
        }
        _ => ().into_any(),
    })
}

/// The created product, with the way to it.
#[component]
fn Outcome(phase: RwSignal<Phase>) -> impl IntoView {
    live(move || match phase.get() {
        Phase::Done(product) => {
            let href = format!("/products/{}", api::encode(product.id.as_str()));
            view! {
                <div class="notice notice--success" id="create-result" tabindex="-1" data-testid="create-result">
                    <p class="notice__title">{format!("Created {}", product.name)}</p>
                    <p>
                        "Topic " <code>{product.output_port.topic.to_string()}</code> " is on the cluster, "
                        <code>{product.output_port.value_subject.to_string()}</code> " is registered, and "
                        <code>{product.id.to_string()}</code> " is an active data product."
                    </p>
                    <div class="notice__actions">
                        <a class="button" href=href data-testid="create-result-link">"Open the data product"</a>
                    </div>
                </div>
            }
            .into_any()
        }
        _ => ().into_any(),
    })
}
