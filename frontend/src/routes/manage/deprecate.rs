//! Deprecating a product: until when it stays, which product replaces it, and a word to its consumers.

use leptos::prelude::*;
use meshport_shared::api::DeprecateRequest;
use meshport_shared::search::{SearchPage, SearchQuery};
use meshport_shared::{DataProduct, ProductId, ProductStatus};

use super::{Call, ChangeError, ChangeSection, Managed, failure, field_message};
use crate::api;
use crate::components::form::{Field, invalid_if};
use crate::reactive::{fetched, live, live_text};

/// Links the API's violations of a deprecation to the controls they concern.
const FIELDS: &[(&str, &str)] = &[
    ("deprecation", "deprecate-sunset"),
    ("deprecation.sunset", "deprecate-sunset"),
    ("deprecation.replacement", "deprecate-replacement"),
    ("deprecation.message", "deprecate-message"),
];

/// How many catalog products the replacement field suggests at a time.
const SUGGESTIONS: u32 = 20;

#[component]
pub(super) fn Deprecate(managed: Managed) -> impl IntoView {
    let current = managed.detail.with_untracked(|d| d.product.deprecation.clone());
    let sunset = RwSignal::new(current.as_ref().map(|d| d.sunset.clone()).unwrap_or_default());
    let replacement = RwSignal::new(
        current.as_ref().and_then(|d| d.replacement.as_ref()).map(ToString::to_string).unwrap_or_default(),
    );
    let message = RwSignal::new(current.map(|d| d.message).unwrap_or_default());
    // Why the replacement typed is not even a product id (it never reaches the API then); empty while it is one, as
    // the fields' messages are.
    let replacement_error = RwSignal::new(String::new());

    let deprecate = Call::<api::Result<DataProduct>>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let replacement = match replacement.get_untracked().trim() {
            "" => None,
            typed => match ProductId::parse(typed) {
                Ok(id) => Some(id),
                Err(e) => {
                    replacement_error.set(format!("{e}: pick a product from the suggestions"));
                    return;
                }
            },
        };
        replacement_error.set(String::new());
        let request = DeprecateRequest {
            sunset: sunset.get_untracked(),
            replacement,
            message: message.get_untracked(),
            revision: managed.revision(),
        };
        let id = managed.id();
        deprecate.start(async move {
            let result = api::deprecate(&id, &request).await;
            if let Ok(product) = &result {
                managed.stored(product.clone());
            }
            result
        });
    };

    // Products to suggest as the replacement: the catalog's active products matching what is typed, this one aside.
    let suggestions = fetched(move || replacement.get(), suggest);
    let options = live(move || {
        let this = managed.id();
        let items = suggestions.get().and_then(Result::ok).map(|page| page.items).unwrap_or_default();
        items
            .into_iter()
            .filter(|p| p.id != this)
            .map(|DataProduct { id, name, .. }| view! { <option value=id.to_string()>{name}</option> })
            .collect_view()
            .into_any()
    });

    let api_error = move || deprecate.answer.with(failure);
    let sunset_message =
        Signal::derive(move || field_message(api_error().as_ref(), &["deprecation", "deprecation.sunset"]));
    let replacement_message = Signal::derive(move || match replacement_error.get() {
        typed if typed.is_empty() => field_message(api_error().as_ref(), &["deprecation.replacement"]),
        typed => typed,
    });
    let message_message = Signal::derive(move || field_message(api_error().as_ref(), &["deprecation.message"]));

    let deprecated = Memo::new(move |_| managed.detail.with(|d| d.product.status == ProductStatus::Deprecated));
    let outcome = live(move || match deprecate.answer.get() {
        None => ().into_any(),
        Some(Ok(product)) => {
            let sunset = product.deprecation.map(|d| d.sunset).unwrap_or_default();
            view! {
                <p class="notice manage-success" role="status" data-testid="deprecate-done">
                    "Deprecated: consumers now see that it may be retired after " {sunset} "."
                </p>
            }
            .into_any()
        }
        Some(Err(error)) => view! { <ChangeError error managed fields=FIELDS/> }.into_any(),
    });

    view! {
        <ChangeSection name="deprecate" title="Deprecate">
            <p>
                "Tell consumers this product is going away: the day after which it may be retired, and what to read "
                "instead. It stays readable and discoverable until you retire it."
            </p>
            <form class="manage-form" novalidate on:submit=on_submit data-testid="deprecate-form">
                <Field
                    id="deprecate-sunset"
                    label="Sunset date"
                    hint="The day after which the product may be retired; give consumers time to move."
                    message=sunset_message
                >
                    <input
                        id="deprecate-sunset"
                        type="date"
                        class="field__control manage-date"
                        min=today()
                        aria-describedby="deprecate-sunset-hint deprecate-sunset-error"
                        aria-invalid=invalid_if(sunset_message)
                        prop:value=move || sunset.get()
                        on:input=move |ev| sunset.set(event_target_value(&ev))
                        data-testid="deprecate-sunset"
                    />
                </Field>
                <Field
                    id="deprecate-replacement"
                    label="Replacement product (optional)"
                    hint="Type to search the catalog, then pick the product its consumers should move to."
                    message=replacement_message
                >
                    <input
                        id="deprecate-replacement"
                        type="text"
                        class="field__control"
                        list="deprecate-replacement-options"
                        autocomplete="off"
                        spellcheck="false"
                        aria-describedby="deprecate-replacement-hint deprecate-replacement-error"
                        aria-invalid=invalid_if(replacement_message)
                        prop:value=move || replacement.get()
                        on:input=move |ev| replacement.set(event_target_value(&ev))
                        data-testid="deprecate-replacement"
                    />
                    <datalist id="deprecate-replacement-options">{options}</datalist>
                </Field>
                <Field id="deprecate-message" label="Message to consumers (optional)" message=message_message>
                    <textarea
                        id="deprecate-message"
                        class="field__control"
                        rows="3"
                        aria-describedby="deprecate-message-error"
                        aria-invalid=invalid_if(message_message)
                        prop:value=move || message.get()
                        on:input=move |ev| message.set(event_target_value(&ev))
                        data-testid="deprecate-message"
                    ></textarea>
                </Field>
                <div class="manage-actions">
                    <button
                        type="submit"
                        class="button"
                        data-testid="deprecate-submit"
                        disabled=move || deprecate.pending.get()
                    >
                        {live_text(move || {
                            match (deprecate.pending.get(), deprecated.get()) {
                                (true, _) => "Saving…",
                                (false, true) => "Update the deprecation",
                                (false, false) => "Deprecate this product",
                            }
                            .to_owned()
                        })}
                    </button>
                </div>
            </form>
            <div aria-live="polite">{outcome}</div>
        </ChangeSection>
    }
}

/// The catalog's active products matching `q`, to suggest as the replacement.
fn suggest(q: String) -> impl Future<Output = api::Result<SearchPage>> {
    let query =
        SearchQuery { q, status: vec![ProductStatus::Active], limit: Some(SUGGESTIONS), ..SearchQuery::default() };
    async move { api::search(&query).await }
}

/// Today as `YYYY-MM-DD` in the person's time zone: the earliest sunset the date picker offers.
fn today() -> String {
    let now = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", now.get_full_year(), now.get_month() + 1, now.get_date())
}
