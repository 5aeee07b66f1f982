//! A product's breaking changes waiting for sign-off, in the rows of the Access page's list (`components::proposal`),
//! where a subscribing team approves or objects and the owners withdraw. The Access page shows them for the product
//! of `?product=`, which the product page's Access section links to: on the product page itself, their code would put
//! the Discover bundle over its size target. Only signed-in people may read proposals, and nothing is said when none
//! is open (nor when the API does not answer): of the closed ones, only the latest outcome is shown, when it is the
//! newest.

use leptos::prelude::*;
use meshport_shared::proposals::ChangeProposal;

use crate::api;
use crate::components::proposal::ProposalRow;
use crate::reactive::{live, watch};
use crate::session;

/// The product's open, objected and approved proposals, and the newest one whatever its state; read when shown (the
/// page shows it again when the session changes), and again whenever a proposal is decided on the page (`decided`
/// counts the decisions, here or in another list of the page).
#[component]
pub fn ProductProposals(product_id: String, #[prop(optional, into)] decided: Option<RwSignal<u32>>) -> impl IntoView {
    let decided = decided.unwrap_or_else(|| RwSignal::new(0));
    let list = RwSignal::new(Vec::<ChangeProposal>::new());
    let heading = format!("Breaking changes to sign off on {product_id}");
    let id = StoredValue::new(product_id);
    let read = move || {
        if session::token().is_none() {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(proposals) = api::product_proposals(id.get_value()).await {
                list.try_set(shown(proposals));
            }
        });
    };
    watch(move || {
        decided.track();
        read();
    });
    let done = Callback::new(move |()| decided.update(|n| *n += 1));
    live(move || {
        let proposals = list.get();
        if proposals.is_empty() {
            return ().into_any();
        }
        let rows = proposals.into_iter().map(|proposal| view! { <ProposalRow proposal done/> }.into_any());
        view! {
            <section class="access-list" aria-labelledby="product-proposals-title" data-testid="product-proposals">
                <h2 id="product-proposals-title">{heading.clone()}</h2>
                <ul class="access-requests" role="list">{rows.collect_view()}</ul>
            </section>
        }
        .into_any()
    })
}

/// Of the product's proposals (newest first), those still to be decided or made, and the newest one whatever its
/// state, for its outcome.
fn shown(proposals: Vec<ChangeProposal>) -> Vec<ChangeProposal> {
    proposals.into_iter().enumerate().filter(|(i, p)| *i == 0 || !p.state.is_final()).map(|(_, p)| p).collect()
}
