//! Access given outside Meshport, for a product's owners on the Access page (`/access?product=<id>`): the ACLs on
//! its topic, read from the cluster when asked, that no grant explains. Read-only: Meshport neither manages nor
//! removes them.

use leptos::prelude::*;
use meshport_shared::ProductId;
use meshport_shared::access::UnmanagedBinding;

use crate::api;
use crate::components::feedback::Loading;
use crate::reactive::live;
use crate::routes::product::Problem;

/// The ACLs on `product`'s topic that no grant explains, each in words.
#[component]
pub fn Unmanaged(product: ProductId) -> impl IntoView {
    let id = product.to_string();
    let bindings = LocalResource::new(move || api::unmanaged_access(id.clone()));
    let shown = live(move || match bindings.get() {
        None => view! { <Loading what="the topic's ACLs"/> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <p class="muted" data-testid="unmanaged-none">"None: every ACL on its topic is Meshport's doing."</p>
        }
        .into_any(),
        Some(Ok(list)) => {
            let rows = list.iter().map(|binding| view! { <li class="access-request">{said(binding)}</li> });
            view! { <ul class="access-requests" role="list" data-testid="unmanaged-list">{rows.collect_view()}</ul> }
                .into_any()
        }
        Some(Err(error)) => view! { <Problem error/> }.into_any(),
    });
    view! {
        <section aria-labelledby="unmanaged-title" data-testid="access-unmanaged">
            <h3 id="unmanaged-title">"Access given outside Meshport"</h3>
            <p class="muted">
                "The ACLs on this product's topic, read from the cluster now, that no grant explains: given by hand or "
                "by another tool. Meshport does not manage them and will not remove them; whoever administers the "
                "cluster can. Meshport's own principal, the cluster's super users and your team's producers are left "
                "out."
            </p>
            {shown}
        </section>
    }
}

/// A binding in words: "allow read to User:svc-legacy on the literal topic name users, from any host".
fn said(binding: &UnmanagedBinding) -> String {
    let UnmanagedBinding { principal, operation, permission, pattern, resource, host } = binding;
    let on = match (pattern.as_str(), resource.as_str()) {
        ("literal", "*") => "every topic".to_owned(),
        ("prefixed", prefix) => format!("the topics starting with {prefix}"),
        (_, topic) => format!("the topic {topic}"),
    };
    let from = if host.is_empty() || host == "*" { "any host".to_owned() } else { host.clone() };
    format!("{permission} {operation} to {principal} on {on}, from {from}")
}
