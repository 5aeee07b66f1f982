//! "Download as code": the product's ODPS file and its contract's ODCS file, as the API exports them, saved by the
//! browser as `<id>.odps.yaml` and `<id>.odcs.yaml`, for a team that keeps its products in git. The CLI's
//! `meshport product export <id>` writes the same files.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::api;

/// A button that reads both files with the session's credentials and saves them, or says why it could not.
#[component]
pub fn DownloadCode(product_id: String) -> impl IntoView {
    let id = StoredValue::new(product_id.clone());
    let pending = RwSignal::new(false);
    // Why the last download failed; empty when it did not (a signal of strings, as the page has many).
    let problem = RwSignal::new(String::new());
    let download = move |_| {
        pending.set(true);
        problem.set(String::new());
        leptos::task::spawn_local(async move {
            let id = id.get_value();
            // Both files read before either is saved: a refusal of the second leaves no half of the pair behind.
            let files = match (api::export_part(&id, "odps").await, api::export_part(&id, "odcs").await) {
                (Ok(odps), Ok(odcs)) => Ok([("odps", odps), ("odcs", odcs)]),
                (Err(error), _) | (_, Err(error)) => Err(format!("{}: {}", error.code(), error.message())),
            };
            let said = match files {
                Ok(files) if files.iter().all(|(part, text)| save(&format!("{id}.{part}.yaml"), text).is_ok()) => {
                    String::new()
                }
                Ok(_) => "the browser did not save the files: allow downloads from this site".to_owned(),
                Err(said) => said,
            };
            pending.try_set(false);
            problem.try_set(said);
        });
    };
    view! {
        <div class="code-download" data-testid="code-download">
            <button type="button" class="button" data-testid="code-download-button"
                aria-describedby="code-download-hint" disabled=move || pending.get() on:click=download>
                "Download as code"
            </button>
            <p class="muted" id="code-download-hint">
                "Its ODPS and ODCS files, to keep in git. From a terminal: "
                <code>{format!("meshport product export {product_id}")}</code>
            </p>
            <p class="error" role="alert" data-testid="code-download-problem">{move || problem.get()}</p>
        </div>
    }
}

/// Saves `text` as the file `name`, through a Blob and an object URL the browser downloads.
fn save(name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob = web_sys::Blob::new_with_str_sequence(&parts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download reads the URL after this task: let it go a moment later.
    set_timeout(move || drop(web_sys::Url::revoke_object_url(&url)), std::time::Duration::from_secs(10));
    Ok(())
}
