//! The portal's reactive helpers: live parts of views, effects and fetched answers, each through one closure type so
//! Leptos' code for it is in a bundle once. Pages of the Studio and Manage bundles use these instead of resources and
//! `Suspense`, which cost their bundles far more (ARCHITECTURE says when a page uses which).

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

/// A part of a view that follows signals. Every such part of the forms goes through this one closure type, so
/// Leptos' rendering code for reactive views is in the bundle once rather than once per closure: the forms' many
/// small live parts would otherwise cost tens of kilobytes of wasm.
pub fn live(view: impl Fn() -> AnyView + Send + Sync + 'static) -> impl IntoView {
    live_view(Arc::new(view))
}

fn live_view(view: Arc<dyn Fn() -> AnyView + Send + Sync>) -> impl IntoView {
    move || view()
}

/// A text that follows signals, through one closure type for the same reason as `live`.
pub fn live_text(text: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    live_string(Arc::new(text))
}

fn live_string(text: Arc<dyn Fn() -> String + Send + Sync>) -> impl IntoView {
    move || text()
}

/// Runs `effect` now and again whenever a signal it read changes, through one effect type for the same reason as
/// `live`.
pub fn watch(effect: impl Fn() + 'static) {
    watch_boxed(Box::new(effect));
}

fn watch_boxed(effect: Box<dyn Fn()>) {
    Effect::new(move |_| effect());
}

/// The answer to `fetch(source())`, fetched again whenever `source` changes: `None` while it is on its way. Only
/// the newest request's answer is kept, so a slow answer to an older request never replaces a newer one.
pub fn fetched<S, T, F>(source: impl Fn() -> S + 'static, fetch: fn(S) -> F) -> ReadSignal<Option<api::Result<T>>>
where
    S: 'static,
    T: Send + Sync + 'static,
    F: Future<Output = api::Result<T>> + 'static,
{
    let answer = RwSignal::new(None);
    let asked = StoredValue::new(0_u64);
    watch(move || {
        let request = fetch(source());
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        answer.set(None);
        spawn_local(async move {
            let result = request.await;
            // `try_`: the page may be gone by the time the answer comes.
            if asked.try_get_value() == Some(this) {
                answer.set(Some(result));
            }
        });
    });
    answer.read_only()
}
