//! "Breaking changes to sign off", on the Access page: the breaking changes waiting that concern the person's teams.
//! A subscribing team approves, or objects with a reason; the owners withdraw (`components::proposal`, the row a
//! product's own list, `routes/product/proposals.rs`, shows them with too).

use leptos::prelude::*;

use crate::api;
use crate::components::feedback::{Empty, Loading};
use crate::components::proposal::ProposalRow;
use crate::reactive::live;
use crate::routes::product::Problem;
use crate::session;

/// The person's teams' waiting proposals, read again whenever the session changes or a proposal is decided on the
/// page (`decided` counts the decisions, here or in the product's own list).
#[component]
pub fn Proposals(decided: RwSignal<u32>) -> impl IntoView {
    let list = LocalResource::new(move || {
        session::current().track();
        decided.track();
        api::my_proposals()
    });
    let done = Callback::new(move |()| decided.update(|n| *n += 1));
    let shown = live(move || {
        match list.get() {
        None => view! { <Loading what="the breaking changes to sign off"/> }.into_any(),
        Some(Err(error)) => view! { <Problem error/> }.into_any(),
        Some(Ok(proposals)) if proposals.is_empty() => view! {
            <Empty title="Nothing to sign off">"No breaking change to a product your teams read or own is waiting."</Empty>
        }
        .into_any(),
        Some(Ok(proposals)) => {
            let rows = proposals.into_iter().map(|proposal| view! { <ProposalRow proposal done/> });
            view! { <ul class="access-requests" role="list">{rows.collect_view()}</ul> }.into_any()
        }
    }
    });
    view! {
        <section class="access-list" aria-labelledby="proposals-title" data-testid="proposals">
            <h2 id="proposals-title">"Breaking changes to sign off"</h2>
            {shown}
        </section>
    }
}
