//! Text people take into their own code or wiki: shown as it is, with a button that puts it on the clipboard.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long "Copied" stays next to the button; the live region has announced it by then.
const STATUS_FOR: Duration = Duration::from_secs(4);

/// A block of text with a Copy button. The button writes the text with the Clipboard API and says "Copied" in a
/// polite live region; where the clipboard is unavailable (an insecure origin, a refused permission) it selects
/// the text instead, so one key press copies it.
#[component]
pub fn CopyBlock(
    /// What the text is, e.g. "iframe HTML": the block's label and the button's accessible name.
    label: String,
    text: String,
    /// The `data-testid` of the text itself.
    testid: &'static str,
    /// Wrap long lines (markup, URLs) instead of scrolling sideways (code).
    #[prop(optional)]
    wrap: bool,
) -> impl IntoView {
    let code = NodeRef::<leptos::html::Code>::new();
    let status = RwSignal::new(String::new());
    // Counts clicks, so that the timer of an earlier click does not clear the status of a later one.
    let clicks = StoredValue::new(0_u32);
    let button_label = format!("Copy {label}");
    let copy = {
        let text = text.clone();
        move |_| {
            let text = text.clone();
            clicks.update_value(|n| *n += 1);
            let click = clicks.get_value();
            spawn_local(async move {
                let said = if write_to_clipboard(&text).await {
                    "Copied"
                } else if code.get_untracked().is_some_and(|code| select_contents(&code)) {
                    "Selected: press Ctrl+C (⌘C on a Mac) to copy"
                } else {
                    "Could not copy: select the text and copy it yourself"
                };
                status.try_set(said.to_owned());
                set_timeout(
                    move || {
                        if clicks.try_get_value() == Some(click) {
                            status.try_set(String::new());
                        }
                    },
                    STATUS_FOR,
                );
            });
        }
    };
    view! {
        <div class="copy-block">
            <div class="copy-block__head">
                <span class="copy-block__label">{label}</span>
                <span class="copy-block__status" role="status" data-testid="copy-status">
                    {move || status.get()}
                </span>
                <button
                    type="button"
                    class="button button--quiet button--small"
                    aria-label=button_label
                    data-testid="copy-button"
                    on:click=copy
                >
                    "Copy"
                </button>
            </div>
            // Focusable, so that a keyboard can scroll a long line sideways.
            <pre class=if wrap { "copy-block__text copy-block__text--wrap" } else { "copy-block__text" } tabindex="0">
                <code node_ref=code data-testid=testid>{text}</code>
            </pre>
        </div>
    }
}

/// Writes `text` with the Clipboard API; false when there is none or the browser refuses.
async fn write_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let clipboard = window.navigator().clipboard();
    // `navigator.clipboard` is undefined outside secure contexts; calling it then would throw.
    let present: &JsValue = clipboard.as_ref();
    if present.is_undefined() || present.is_null() {
        return false;
    }
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
}

/// Selects everything inside `element`. The portal builds web-sys without its `Selection` feature, so the two DOM
/// methods are called by name; both calls catch a JavaScript exception rather than unwinding through Rust.
fn select_contents(element: &web_sys::Element) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let method = |target: &JsValue, name: &str| {
        js_sys::Reflect::get(target, &JsValue::from_str(name)).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    };
    let Some(get_selection) = method(&window, "getSelection") else { return false };
    let Ok(selection) = get_selection.call0(&window) else { return false };
    let Some(select_all) = method(&selection, "selectAllChildren") else { return false };
    select_all.call1(&selection, element).is_ok()
}
