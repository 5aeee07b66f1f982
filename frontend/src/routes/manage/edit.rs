//! Editing a product's metadata with the shared product form, sent with the revision this page read.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use meshport_shared::DataProduct;
use meshport_shared::api::Identity;

use super::{ChangeError, ChangeSection, Managed, Policy};
use crate::api;
use crate::components::feedback::Loading;
use crate::components::form::{ProblemSummary, focus_summary};
use crate::components::product_form::{ProductForm, ProductFormState, load_failed};
use crate::reactive::live;

#[component]
pub(super) fn EditMetadata(managed: Managed, policy: Policy, who: Identity) -> impl IntoView {
    let revision = Memo::new(move |_| managed.detail.with(|d| d.product.revision));
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let failure = RwSignal::new(None::<api::Error>);
    // The form starts again from the product whenever its revision moves (a save here, another change on this
    // page, a reload): edits made on an older revision would undo that change.
    let form = live(move || {
        // `get`, not `track`: reading computes the memo, which is what subscribes it to the product.
        let _revision = revision.get();
        match policy.answer.get() {
            None => view! { <Loading what="the governance policy"/> }.into_any(),
            Some(Err(error)) => load_failed("The governance policy", &error, move || policy.retry()),
            Some(Ok(policy)) => {
                let product = managed.detail.with_untracked(|d| d.product.clone());
                let state = ProductFormState::edit(product, policy, who.clone());
                view! { <EditForm managed state saving saved failure/> }.into_any()
            }
        }
    });
    let outcome = live(move || match (failure.get(), saved.get()) {
        (Some(error), _) => view! { <ChangeError error managed fields=&[]/> }.into_any(),
        (None, true) => view! {
            <p class="notice manage-success" role="status" data-testid="edit-done">
                "Saved: the product page shows the new metadata."
            </p>
        }
        .into_any(),
        (None, false) => ().into_any(),
    });
    view! {
        <ChangeSection name="edit" title="Edit the metadata">
            <p>
                "What the product is, who owns it, how far it can be trusted and how to use it. Its id, topic and "
                "subjects stay; a new schema goes through “Evolve the schema” below."
            </p>
            {form}
            <div aria-live="polite">{outcome}</div>
        </ChangeSection>
    }
}

#[component]
fn EditForm(
    managed: Managed,
    state: ProductFormState,
    saving: RwSignal<bool>,
    saved: RwSignal<bool>,
    failure: RwSignal<Option<api::Error>>,
) -> impl IntoView {
    let summary = NodeRef::<html::Div>::new();
    let show_summary = move || focus_summary(summary);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        state.reveal_all();
        failure.set(None);
        saved.set(false);
        let Ok(edited) = untrack(|| state.product()) else {
            show_summary();
            return;
        };
        // The form's product carries the revision it started from, which a change made on this page since then
        // (or a reload) moved on: send the one this page holds now.
        let edited = DataProduct { revision: managed.revision(), ..edited };
        let id = managed.id();
        saving.set(true);
        let kept_as = state.draft_key();
        spawn_local(async move {
            let answer = api::update_product(&id, &edited).await;
            saving.set(false);
            match answer {
                Ok(stored) => {
                    crate::drafts::forget(&kept_as);
                    saved.set(true);
                    managed.stored(stored);
                }
                Err(error) if !error.violations().is_empty() => {
                    state.set_server_problems(error.violations());
                    show_summary();
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <form class="product-form" novalidate=true on:submit=submit data-testid="edit-form">
            <ProblemSummary state title="Fix these problems before saving" node_ref=summary/>
            <ProductForm state/>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || saving.get() data-testid="edit-submit">
                    {move || if saving.get() { "Saving…" } else { "Save the metadata" }}
                </button>
            </div>
        </form>
    }
}
