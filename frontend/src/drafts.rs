//! What people type into forms, kept in the tab's `sessionStorage` until it is saved, so nothing typed is lost when
//! a sign-in expires in the middle of a form (the page then asks to sign in again, which leaves it), on a reload, or
//! after a slip of the back button. Kept per tab and for the tab's life only: a draft is not meant to outlive it.
//!
//! A form keeps a value with [`keep`] under a [`key`] naming the person and the form (and, for an edit of a stored
//! product, its id and the revision the form started from, so a draft never lands on a newer version of it), and
//! calls [`forget`] once the API accepted it. Signing out forgets every draft ([`forget_all`]); a sign-in that
//! merely expired keeps them, for the same person to find after signing in again.

use leptos::prelude::*;
use meshport_shared::api::Identity;
use serde::Serialize;
use serde::de::DeserializeOwned;

const PREFIX: &str = "meshport.draft.";

/// The key of `person`'s draft of `form`: someone else signing in on the same tab never gets it.
pub fn key(person: &Identity, form: &str) -> String {
    format!("{PREFIX}{}.{form}", person.subject)
}

/// A signal holding what the form at `key` had when it was last left, or `initial` when there is nothing kept; and
/// whether something was restored. Every change is kept from then on; going back to `initial` keeps nothing.
pub fn keep<T>(key: String, initial: T) -> (RwSignal<T>, bool)
where
    T: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
{
    let saved = storage()
        .and_then(|storage| storage.get_item(&key).ok().flatten())
        .and_then(|text| serde_json::from_str::<T>(&text).ok())
        .filter(|saved| *saved != initial);
    let restored = saved.is_some();
    let value = RwSignal::new(saved.unwrap_or_else(|| initial.clone()));
    crate::reactive::watch(move || {
        value.with(|value| match storage() {
            // A full or disabled storage only costs the draft surviving: the form itself works on.
            Some(storage) if *value != initial => {
                if let Ok(text) = serde_json::to_string(value) {
                    let _ = storage.set_item(&key, &text);
                }
            }
            Some(storage) => {
                let _ = storage.remove_item(&key);
            }
            None => {}
        });
    });
    (value, restored)
}

/// Drops what was kept at `key`: the API has it now.
pub fn forget(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}

/// Drops every draft of this tab: the person signed out.
pub fn forget_all() {
    let Some(storage) = storage() else { return };
    let count = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..count).filter_map(|i| storage.key(i).ok().flatten()).collect();
    for key in keys.iter().filter(|key| key.starts_with(PREFIX)) {
        let _ = storage.remove_item(key);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}
