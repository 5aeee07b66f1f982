//! Retiring a product, which the portal cannot undo, so it asks for an explicit confirmation before the call.

use leptos::prelude::*;
use meshport_shared::{DataProduct, ProductStatus};

use super::{Call, ChangeError, ChangeSection, Managed};
use crate::api;
use crate::components::form::{FieldError, Problems, focus, invalid_if};
use crate::reactive::{live, live_text};

#[component]
pub(super) fn Retire(managed: Managed) -> impl IntoView {
    let confirmed = RwSignal::new(false);
    // Set when someone asked to retire without confirming; cleared by confirming.
    let unconfirmed = RwSignal::new(false);
    let retire = Call::<api::Result<DataProduct>>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirmed.get_untracked() {
            unconfirmed.set(true);
            focus("retire-confirm");
            return;
        }
        let (id, revision) = (managed.id(), managed.revision());
        retire.start(async move {
            let result = api::retire(&id, revision).await;
            if let Ok(product) = &result {
                managed.stored(product.clone());
            }
            result
        });
    };
    let confirm_message = Signal::derive(move || match unconfirmed.get() {
        true => "Tick the box first: retiring takes the product out of discovery for good.".to_owned(),
        false => String::new(),
    });
    let retired = Memo::new(move |_| managed.detail.with(|d| d.product.status == ProductStatus::Retired));

    let outcome = live(move || match retire.answer.get() {
        None => ().into_any(),
        Some(Ok(_)) => view! {
            <p class="notice manage-success" role="status" data-testid="retire-done">
                "Retired: it is out of discovery, and its history stays in the catalog. Its topic stays until you "
                "delete it."
            </p>
        }
        .into_any(),
        Some(Err(error)) => view! { <ChangeError error managed fields=&[]/> }.into_any(),
    });
    // Shown until the product is retired.
    let form = live(move || {
        if retired.get() {
            return ().into_any();
        }
        let name = live_text(move || managed.detail.with(|d| d.product.name.clone()));
        let id = live_text(move || managed.detail.with(|d| d.product.id.to_string()));
        view! {
            <form class="manage-form" novalidate on:submit=on_submit data-testid="retire-form">
                <div class="manage-check">
                    <input
                        id="retire-confirm"
                        type="checkbox"
                        aria-describedby="retire-confirm-error"
                        aria-invalid=invalid_if(confirm_message)
                        prop:checked=move || confirmed.get()
                        on:change=move |ev| {
                            let checked = event_target_checked(&ev);
                            confirmed.set(checked);
                            if checked {
                                unconfirmed.set(false);
                            }
                        }
                        data-testid="retire-confirm"
                    />
                    <label for="retire-confirm">
                        "Yes, retire " <strong>{name}</strong> " (" <code>{id}</code> ")"
                    </label>
                </div>
                <FieldError problems=Problems::Message("retire-confirm", confirm_message)/>
                <div class="manage-actions">
                    <button
                        type="submit"
                        class="button manage-button--danger"
                        data-testid="retire-submit"
                        disabled=move || retire.pending.get()
                    >
                        {live_text(move || {
                            if retire.pending.get() { "Retiring…" } else { "Retire this product" }.to_owned()
                        })}
                    </button>
                </div>
            </form>
        }
        .into_any()
    });

    view! {
        <ChangeSection name="retire" title="Retire" danger=true>
            <p>
                "Retiring takes the product out of discovery: nobody new finds it. It stays in the catalog with its "
                "history, and its topic stays until you delete it. The portal cannot undo it. Every team's grant to "
                "read it is revoked and its open requests denied: "
                <a href=move || managed.detail.with(|d| format!("/access?product={}", d.product.id))>
                    "see which on its Access page"
                </a>
                "."
            </p>
            {form}
            <div aria-live="polite">{outcome}</div>
        </ChangeSection>
    }
}
