//! What the portal's component tests share: a fresh container to mount into, finding elements by `data-testid`,
//! clicking, and waiting for the browser. Each test binary uses a part of it.
#![allow(dead_code)]

use leptos::prelude::{document, window};
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement};

/// A fresh container in the page, so tests never see each other's output; and an empty `sessionStorage`, so no
/// test gets a form draft another one kept (`meshport_frontend::drafts`).
pub fn container() -> HtmlElement {
    window().session_storage().unwrap().unwrap().clear().unwrap();
    let document = document();
    let div: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

pub fn find(root: &Element, test_id: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid='{test_id}']")).unwrap()
}

pub fn text_of(root: &Element, test_id: &str) -> String {
    find(root, test_id).unwrap_or_else(|| panic!("no [data-testid='{test_id}']")).text_content().unwrap_or_default()
}

/// Every element with this `data-testid` under `root`, in document order.
pub fn all(root: &Element, test_id: &str) -> Vec<Element> {
    let elements = root.get_elements_by_tag_name("*");
    (0..elements.length())
        .filter_map(|i| elements.item(i))
        .filter(|element| element.get_attribute("data-testid").as_deref() == Some(test_id))
        .collect()
}

pub fn click(root: &Element, test_id: &str) {
    find(root, test_id)
        .unwrap_or_else(|| panic!("no [data-testid='{test_id}']"))
        .unchecked_into::<HtmlElement>()
        .click();
}

/// Resolves after `ms` milliseconds, letting fetches and the reactive system make progress meanwhile.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits up to five seconds for an element with `test_id` to appear under `root`.
pub async fn eventually(root: &Element, test_id: &str) -> Element {
    for _ in 0..100 {
        if let Some(found) = find(root, test_id) {
            return found;
        }
        sleep(50).await;
    }
    panic!("[data-testid='{test_id}'] did not appear within 5 seconds");
}
