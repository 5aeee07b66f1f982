//! What the portal's component tests share: a fresh container to mount into, finding elements by `data-testid`,
//! clicking, waiting for the browser, and a fake API. Each test binary uses a part of it.
#![allow(dead_code)]

use leptos::prelude::{document, window};
use leptos::wasm_bindgen::{JsCast, JsValue};
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

/// Types `value` into a control the way a browser reports it: the value changes, then `input` bubbles up.
pub fn type_into(root: &Element, test_id: &str, value: &str) {
    let control = find(root, test_id).unwrap_or_else(|| panic!("no [data-testid='{test_id}']"));
    let typed = js_sys::Function::new_with_args(
        "control, value",
        "control.value = value; control.dispatchEvent(new Event('input', { bubbles: true }));",
    );
    typed.call2(&JsValue::NULL, &control, &JsValue::from_str(value)).unwrap();
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

/// Stands in for the API while it lives. `answers` maps `"METHOD /path"` to `{status, body}`; a key ending in
/// ` signed-in` answers only requests carrying a bearer token, which it answers before the plain key. Any other
/// request goes to the test runner's own server, as without it. It records what it answered, with each request's
/// body (`sent`).
pub struct FakeApi;

impl FakeApi {
    pub fn answering(answers: serde_json::Value) -> Self {
        let script = format!(
            r#"(() => {{
                const answers = {answers};
                window.sentToFakeApi = [];
                window.realFetch = window.realFetch || window.fetch;
                window.fetch = async (input, init) => {{
                    const request = input instanceof Request ? input : new Request(input, init);
                    const plain = `${{request.method}} ${{new URL(request.url).pathname}}`;
                    const signedIn = `${{plain}} signed-in`;
                    const key = request.headers.has('authorization') && answers[signedIn] ? signedIn : plain;
                    const answer = answers[key];
                    if (!answer) return window.realFetch(input, init);
                    window.sentToFakeApi.push({{ key, body: await request.clone().text() }});
                    const headers = {{ 'content-type': 'application/json' }};
                    return new Response(JSON.stringify(answer.body), {{ status: answer.status, headers }});
                }};
            }})()"#
        );
        js_sys::eval(&script).expect("the fake API is installed");
        Self
    }

    /// The JSON bodies of the requests answered for `key`, e.g. `"PATCH /api/v1/products/users/topic"`, in order.
    pub fn sent(&self, key: &str) -> Vec<serde_json::Value> {
        let sent = js_sys::eval("JSON.stringify(window.sentToFakeApi)").unwrap().as_string().unwrap();
        serde_json::from_str::<Vec<serde_json::Value>>(&sent)
            .unwrap()
            .into_iter()
            .filter(|request| request["key"] == key)
            .map(|request| serde_json::from_str(request["body"].as_str().unwrap_or_default()).unwrap_or_default())
            .collect()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        let _ = js_sys::eval("if (window.realFetch) window.fetch = window.realFetch");
    }
}

/// Signs in a member of `team` for the rest of the test (or until `session::sign_out`).
pub fn member_of(team: &str) {
    let session: meshport_frontend::session::Session = serde_json::from_value(serde_json::json!({
        "token": "test-token",
        "identity": { "subject": "bob", "name": "Bob", "teams": [team], "admin": false },
        "expires_at": "2999-01-01T00:00:00Z"
    }))
    .unwrap();
    meshport_frontend::session::sign_in(session);
}

/// A proposal `id` of `accounts` to change `users` incompatibly, for `edge` and `insights` to sign off, in `state`
/// with `votes`.
pub fn proposal(id: &str, state: &str, votes: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": id, "product": "users", "owner_team": "accounts", "schema": "{}",
        "breaking": ["field `plan` was removed"], "proposed_by": "alice", "created_at": "2026-12-05T09:00:00Z",
        "subscribers": ["edge", "insights"], "votes": votes, "state": state, "grace_until": "2027-01-31",
        "revision": 2
    })
}

/// `answer` (an API answer, or part of one, as the shared types hold it) as a page reads it into its own smaller
/// type: a shared field the page reads that is renamed or removed fails here, rather than in the portal.
pub fn read_as<T: serde::de::DeserializeOwned>(answer: impl serde::Serialize) -> T {
    serde_json::from_value(serde_json::to_value(answer).unwrap()).expect("the page reads the API's answer")
}
