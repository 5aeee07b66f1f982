//! One field of a form: its frame (label, hint, control, problems), the one `FieldError`, and the DOM ids and ARIA
//! attributes that tie a control to its hint and its problems.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::components::product_form::{ProductFormState, label};
use crate::reactive::live;

/// The DOM id of the control for `field`, e.g. `field-owner-contact` for `owner.contact`.
pub fn field_id(field: &str) -> String {
    let slug: String = field.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("field-{slug}")
}

/// The DOM id of the element listing `field`'s problems, which its control names in `aria-describedby`.
pub fn error_id(field: &str) -> String {
    format!("{}-error", field_id(field))
}

/// The DOM id of `field`'s hint.
pub fn hint_id(field: &str) -> String {
    format!("{}-hint", field_id(field))
}

/// `aria-describedby` of `field`'s control: its hint, if it has one, and its problems.
pub fn described_by(field: &str, has_hint: bool) -> String {
    if has_hint { format!("{} {}", hint_id(field), error_id(field)) } else { error_id(field) }
}

/// `aria-invalid` of `field`'s control: whether problems are shown next to it.
pub fn invalid(state: ProductFormState, field: &'static str) -> impl Fn() -> &'static str + Copy {
    move || if state.shown(field).is_empty() { "false" } else { "true" }
}

/// `aria-invalid` of a control whose field shows `message` (`Problems::Message`): set while there is one.
pub fn invalid_if(message: Signal<String>) -> impl Fn() -> Option<&'static str> + Copy {
    move || message.with(|m| !m.is_empty()).then_some("true")
}

/// Focuses the element with `id`, scrolling it into view.
pub fn focus(id: &str) {
    if let Some(element) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// A message with its `quoted` names (fields, topics, subjects) set as code, the way the API writes them. Every
/// piece stays a text node, so a hostile name is shown as typed.
pub fn with_code(message: &str) -> impl IntoView + use<> {
    message
        .split('`')
        .enumerate()
        .map(|(i, piece)| {
            let piece = piece.to_owned();
            if i % 2 == 1 { view! { <code>{piece}</code> }.into_any() } else { piece.into_any() }
        })
        .collect_view()
}

/// Where a field's problems come from, which decides how `FieldError` shows them.
#[derive(Debug, Clone, Copy)]
pub enum Problems {
    /// A field of the product form, by the path the API's violations use (`ProductFormState::shown`): its problems
    /// are listed in an element that is always in the page (`error-{path}`, empty while there is none), each
    /// announced as a problem, with its `quoted` names as code.
    Form(ProductFormState, &'static str),
    /// A field of a page's own (Manage's changes), by its control's id: its one message, as a paragraph that is in
    /// the page only while there is one (an empty message is none), whose id is also its `data-testid`. A `String`
    /// rather than an `Option`: every bundle has signals of strings already, and one of options would cost Manage's
    /// bundle about 0.7 KB gzipped.
    Message(&'static str, Signal<String>),
}

/// A field's problems, in the element its control names in `aria-describedby` (`{control id}-error`). Every form
/// shows its problems through this one component.
#[component]
pub fn FieldError(problems: Problems) -> impl IntoView {
    match problems {
        Problems::Form(state, field) => {
            let messages = live(move || {
                state
                    .shown(field)
                    .into_iter()
                    .map(|message| {
                        view! {
                            <p class="field__error-message">
                                <span class="visually-hidden">"Problem: "</span>
                                {with_code(&message)}
                            </p>
                        }
                    })
                    .collect_view()
                    .into_any()
            });
            view! {
                <div id=error_id(field) class="field__error" data-testid=format!("error-{field}")>
                    {messages}
                </div>
            }
            .into_any()
        }
        Problems::Message(control, message) => view! { <MessageError control message/> }.into_any(),
    }
}

/// The problem of a control of a page's own (`Problems::Message`). Its own component, so that a page with only such
/// fields (`Field`) does not take the product form's code into its bundle.
#[component]
fn MessageError(control: &'static str, message: Signal<String>) -> impl IntoView {
    let id = format!("{control}-error");
    live(move || match message.get() {
        message if message.is_empty() => ().into_any(),
        message => view! {
            <p class="field__error-message" id=id.clone() data-testid=id.clone()>
                {message}
            </p>
        }
        .into_any(),
    })
}

/// A hint under a label: fixed, or following the form (e.g. the chosen domain's description).
#[derive(Debug)]
pub enum HintText {
    Fixed(&'static str),
    Live(Signal<String>),
}

/// A product form field's label, hint, control and problems, in that order.
pub fn frame(state: ProductFormState, field: &'static str, hint: HintText, control: impl IntoView) -> impl IntoView {
    let hint = match hint {
        HintText::Fixed(text) => with_code(text).into_any(),
        HintText::Live(text) => text.into_any(),
    };
    view! {
        <div class="field">
            <label class="field__label" for=field_id(field)>
                {label(field).unwrap_or(field)}
                {state.is_required(field).then(|| view! { <span class="field__required">" (required)"</span> })}
            </label>
            <p class="field__hint" id=hint_id(field)>{hint}</p>
            {control}
            <FieldError problems=Problems::Form(state, field)/>
        </div>
    }
}

/// A labelled control of a page's own with an optional hint and its message (`Problems::Message`), e.g. what the
/// API said about it. The control (`children`) carries `id` and `aria-describedby="{id}-hint {id}-error"`, so a
/// screen reader reads both with it.
#[component]
pub fn Field(
    id: &'static str,
    #[prop(into)] label: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] message: Signal<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="field__label" for=id>
                {label}
            </label>
            {hint.map(|hint| view! { <p class="field__hint" id=format!("{id}-hint")>{hint}</p> })}
            {children()}
            <MessageError control=id message/>
        </div>
    }
}
