//! The product's breaking changes waiting for sign-off, on its page: each one's rows as the Access page shows them
//! (`components::proposal`), where a subscribing team approves or objects and the owners withdraw. Only signed-in
//! people may read proposals, and the page says nothing when none is open (nor when the API does not answer, as for
//! its other parts read after it): of the closed ones, only the latest outcome is shown, when it is the newest.

use leptos::prelude::*;
use meshport_shared::proposals::ChangeProposal;

use crate::api;
use crate::components::proposal::ProposalRow;
use crate::reactive::live;
use crate::session;

/// The product's open, objected and approved proposals, and the newest one whatever its state; read after the page
/// (which is made again when the session changes), and again after a vote here.
#[component]
pub fn ProductProposals(product_id: String) -> impl IntoView {
    let list = RwSignal::new(Vec::<ChangeProposal>::new());
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
    read();
    let done = Callback::new(move |()| read());
    live(move || {
        let proposals = list.get();
        if proposals.is_empty() {
            return ().into_any();
        }
        let rows = proposals.into_iter().map(|proposal| view! { <ProposalRow proposal done/> }.into_any());
        view! {
            <section class="product-section" id="product-proposals" aria-labelledby="product-proposals-title"
                data-testid="product-proposals">
                <h2 id="product-proposals-title" class="product-section__title">"Breaking changes to sign off"</h2>
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
