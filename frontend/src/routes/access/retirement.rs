//! What retiring a product would end, for its owners on the Access page (`/access?product=<id>`), before they
//! retire it in Manage: the grants whose ACLs it deletes and the requests it denies. Read-only.

use leptos::prelude::*;
use meshport_shared::ProductId;
use meshport_shared::access::AccessRequest;

use crate::api;
use crate::components::feedback::Loading;
use crate::reactive::live;
use crate::routes::product::Problem;

/// The grants and requests retiring `product` would end, each by team.
#[component]
pub fn Retirement(product: ProductId) -> impl IntoView {
    let id = product.to_string();
    let preview = LocalResource::new(move || api::retirement_preview(id.clone()));
    let shown = live(move || match preview.get() {
        None => view! { <Loading what="what retiring would end"/> }.into_any(),
        Some(Ok(preview)) if preview.revoked.is_empty() && preview.denied.is_empty() => view! {
            <p class="muted" data-testid="retirement-none">"Nothing: no team holds a grant or waits for an answer."</p>
        }
        .into_any(),
        Some(Ok(preview)) => {
            let rows = preview
                .revoked
                .iter()
                .map(|r| said(r, "grant revoked, its ACLs deleted"))
                .chain(preview.denied.iter().map(|r| said(r, "request denied")))
                .map(|line| view! { <li class="access-request">{line}</li> });
            view! { <ul class="access-requests" role="list" data-testid="retirement-list">{rows.collect_view()}</ul> }
                .into_any()
        }
        Some(Err(error)) => view! { <Problem error/> }.into_any(),
    });
    view! {
        <section aria-labelledby="retirement-title" data-testid="access-retirement">
            <h3 id="retirement-title">"If you retire it"</h3>
            <p class="muted">"Retiring (in Manage) ends every team's access to this product at once:"</p>
            {shown}
        </section>
    }
}

/// "insights (User:svc-fraud): grant revoked, its ACLs deleted".
fn said(request: &AccessRequest, outcome: &str) -> String {
    let principals: Vec<&str> = request.principals.iter().map(|p| p.as_str()).collect();
    format!("{} ({}): {outcome}", request.team, principals.join(", "))
}
