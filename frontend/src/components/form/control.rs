//! Controls: text fields and `<select>`s bound to the product form's draft by a field path, each in its frame, and
//! the options and radio buttons pages put in their own fields.

use leptos::prelude::*;

use super::{HintText, described_by, field_id, frame, invalid};
use crate::components::product_form::{Draft, ProductFormState};

/// A one-line text field for `field`, in its frame.
pub fn text_input(
    state: ProductFormState,
    field: &'static str,
    hint: Option<&'static str>,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, String),
) -> impl IntoView {
    let control = view! { <input type="text" {..bound(state, field, get, set)}/> };
    frame(state, field, HintText::Fixed(hint.unwrap_or_default()), control)
}

/// A text area of `rows` lines for `field`, in its frame.
pub fn text_area(
    state: ProductFormState,
    field: &'static str,
    hint: &'static str,
    rows: u32,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, String),
) -> impl IntoView {
    let control = view! { <textarea {..bound(state, field, get, set)} rows=rows></textarea> };
    frame(state, field, HintText::Fixed(hint), control)
}

/// What binds a text control to `field`: its id and name, its value both ways, and its problems.
fn bound(
    state: ProductFormState,
    field: &'static str,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, String),
) -> impl leptos::attr::Attribute {
    view! {
        <{..}
            id=field_id(field)
            name=field
            class="field__control"
            required=state.is_required(field)
            prop:value=move || state.read(get)
            aria-invalid=invalid(state, field)
            aria-describedby=described_by(field, true)
            data-testid=format!("field-{field}")
            on:input=move |ev| state.update(field, |d| set(d, event_target_value(&ev)))
            on:blur=move |_| state.touch(field)
        />
    }
}

/// A choice among `choices`, written `text` and sent as `value`.
#[allow(clippy::too_many_arguments)]
pub fn select<T>(
    state: ProductFormState,
    field: &'static str,
    hint: &'static str,
    choices: Vec<T>,
    text: fn(&T) -> String,
    value: fn(&T) -> String,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, &str),
) -> impl IntoView {
    let choices = choices.iter().map(|choice| (value(choice), text(choice))).collect();
    let chosen = Callback::new(move |value: String| state.update(field, |d| set(d, &value)));
    choice(state, field, HintText::Fixed(hint), options(state, choices, get), chosen)
}

/// The `<select>` of `field`, with its label, hint and problems; `chosen` takes the value picked.
pub fn choice(
    state: ProductFormState,
    field: &'static str,
    hint: HintText,
    options: AnyView,
    chosen: Callback<String>,
) -> impl IntoView {
    let control = view! {
        <select
            id=field_id(field)
            name=field
            class="field__control"
            required=true
            aria-invalid=invalid(state, field)
            aria-describedby=described_by(field, true)
            data-testid=format!("field-{field}")
            on:change:target=move |ev| {
                chosen.run(ev.target().value());
                state.touch(field);
            }
        >
            {options}
        </select>
    };
    frame(state, field, hint, control)
}

/// `<option>`s for `(value, text)` pairs, the draft's current value among them even when it is not on offer (an
/// edited product from before a policy change), so the select never claims a value the draft does not hold.
pub fn options(state: ProductFormState, choices: Vec<(String, String)>, get: fn(&Draft) -> String) -> AnyView {
    let current = state.read_untracked(get);
    let mut choices = choices;
    if !current.is_empty() && !choices.iter().any(|(value, _)| *value == current) {
        choices.insert(0, (current.clone(), current));
    }
    if choices.is_empty() {
        return view! { <option value="" selected=true>"(none available)"</option> }.into_any();
    }
    choices
        .into_iter()
        .map(|(value, text)| {
            let selected = value.clone();
            view! { <option value=value prop:selected=move || state.read(get) == selected>{text}</option> }
        })
        .collect_view()
        .into_any()
}

/// `<option>`s for `(value, text)` pairs outside the product form, `chosen` selected as the control starts.
pub fn fixed_options(choices: Vec<(String, String)>, chosen: &str) -> Vec<impl IntoView + use<>> {
    choices
        .into_iter()
        .map(|(value, text)| {
            let selected = value == chosen;
            view! { <option value=value selected=selected>{text}</option> }
        })
        .collect()
}

/// One radio button of a group: it sets `choice` to `value`, and `after` follows its label (e.g. a field of its own).
pub fn radio<T: Copy + PartialEq + Send + Sync + 'static>(
    group: &'static str,
    choice: RwSignal<T>,
    value: T,
    id: &'static str,
    label: impl IntoView + 'static,
    after: impl IntoView + 'static,
    picked: impl Fn() + Copy + 'static,
) -> impl IntoView {
    view! {
        <li class="choice choice--with-input">
            <input
                type="radio"
                name=group
                id=id
                data-testid=id
                prop:checked=move || choice.get() == value
                on:change=move |_| {
                    choice.set(value);
                    picked();
                }
            />
            <label for=id>{label}</label>
            {after}
        </li>
    }
}
