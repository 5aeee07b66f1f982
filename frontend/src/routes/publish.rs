//! Publish: a topic the person's team already writes becomes a data product. The metadata is checked on every
//! change with the organisation's policy (the API's own `validate`), every problem next to its field; the API's
//! answer (a 422 lists every violation) shows the same way; a published product opens its page.

mod topic;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use meshport_shared::GovernancePolicy;
use meshport_shared::api::{Identity, PublishableTopic};

pub use topic::{SchemaPreview, TopicPicker};

use crate::api;
use crate::components::form::{ProblemSummary, focus, focus_summary};
use crate::components::product_form::{
    ApiCheck, ApiCheckStatus, ForTeamMembers, OwnershipFields, ProductFields, ProductFormState, SubmitFailure,
};
use crate::reactive::live_text;

#[component]
pub fn Publish() -> impl IntoView {
    view! {
        <section class="form-page" aria-labelledby="page-title">
            <h1 id="page-title">"Publish a topic"</h1>
            <p class="lede">
                "Turn a topic your team already writes into a data product: others find it, see who owns it and "
                "know what to expect of it."
            </p>
            <ForTeamMembers here="/publish" action="publish a topic" form=|policy, who| view! { <PublishForm policy who/> }.into_any()/>
        </section>
    }
}

#[component]
fn PublishForm(policy: GovernancePolicy, who: Identity) -> impl IntoView {
    // What was typed here before (an expired sign-in, a reload) comes back until the topic is published.
    let state = ProductFormState::new(policy, who, "publish");
    let chosen = RwSignal::new(None::<PublishableTopic>);
    let submitting = RwSignal::new(false);
    let failure = RwSignal::new(None::<api::Error>);
    let summary = NodeRef::<html::Div>::new();
    let navigate = use_navigate();
    let check = ApiCheck::new(state, move || state.product().ok(), api::check_publish);

    let show_summary = move || focus_summary(summary);
    let check_now = move |_| match untrack(|| state.parsed()) {
        Some(product) => check.run(state, api::check_publish(product)),
        None => {
            state.reveal_all();
            show_summary();
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if submitting.get_untracked() {
            return;
        }
        state.reveal_all();
        failure.set(None);
        let Ok(product) = untrack(|| state.product()) else {
            show_summary();
            return;
        };
        submitting.set(true);
        let navigate = navigate.clone();
        let kept_as = state.draft_key();
        spawn_local(async move {
            match api::publish(product).await {
                Ok(published) => {
                    crate::drafts::forget(&kept_as);
                    navigate(&format!("/products/{}", api::encode(published.id.as_str())), Default::default())
                }
                Err(error) => {
                    submitting.set(false);
                    if error.violations().is_empty() {
                        failure.set(Some(error));
                        request_animation_frame(|| focus("submit-error"));
                    } else {
                        state.set_server_problems(error.violations());
                        show_summary();
                    }
                }
            }
        });
    };
    view! {
        <form class="product-form" novalidate=true on:submit=submit data-testid="publish-form" aria-busy=move || submitting.get().to_string()>
            <ProblemSummary state title="Fix these problems before publishing" node_ref=summary/>
            <OwnershipFields state/>
            <TopicPicker state chosen/>
            <SchemaPreview state chosen/>
            <ProductFields state/>
            <SubmitFailure title="The topic was not published" failure=failure.read_only()/>
            <ApiCheckStatus check ready="ready to publish"/>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || submitting.get() data-testid="publish-submit">
                    {live_text(move || if submitting.get() { "Publishing…" } else { "Publish" }.to_owned())}
                </button>
                <button type="button" class="button button--quiet" on:click=check_now data-testid="publish-check">
                    "Check with the API"
                </button>
            </div>
        </form>
    }
}
