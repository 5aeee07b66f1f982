//! The topics the signed-in person's domains could publish as data products, each linking to Publish.

use leptos::prelude::*;
use meshport_shared::DomainName;
use meshport_shared::api::{Identity, PublishableTopic};

use crate::api;
use crate::components::feedback::{Empty, Loading};
use crate::components::product_form::load_failed;
use crate::reactive::{fetched, live};

/// The person's domains and the topics offered to them, each topic once.
#[derive(Clone)]
struct Offer {
    domains: Vec<DomainName>,
    topics: Vec<PublishableTopic>,
}

#[component]
pub(super) fn PublishableTopics(who: Identity) -> impl IntoView {
    let retries = RwSignal::new(0_u32);
    let offer = fetched(move || (retries.get(), who.clone()), |(_, who)| offer(who));
    let list = live(move || match offer.get() {
        None => view! { <Loading what="publishable topics"/> }.into_any(),
        Some(Err(error)) => load_failed("Publishable topics", &error, move || retries.update(|n| *n += 1)),
        Some(Ok(offer)) => view! { <TopicList offer/> }.into_any(),
    });
    view! {
        <section class="manage-block" aria-labelledby="publishable-title" data-testid="publishable-topics">
            <h2 id="publishable-title">"Topics you could publish"</h2>
            <p>"Topics on the cluster that are not data products yet. Publishing one makes it discoverable."</p>
            <div class="manage-list-area">{list}</div>
        </section>
    }
}

/// The person's domains (every domain, for org admins) and the topics offered to them, each once.
async fn offer(who: Identity) -> api::Result<Offer> {
    let policy = api::policy().await?;
    let domains: Vec<DomainName> = policy
        .domains
        .into_iter()
        .filter(|d| who.admin || d.teams.iter().any(|t| who.teams.contains(t)))
        .map(|d| d.name)
        .collect();
    let mut topics: Vec<PublishableTopic> = Vec::new();
    for domain in &domains {
        for topic in api::publishable_topics(domain).await? {
            if !topics.iter().any(|t| t.name == topic.name) {
                topics.push(topic);
            }
        }
    }
    Ok(Offer { domains, topics })
}

#[component]
fn TopicList(offer: Offer) -> impl IntoView {
    let Offer { domains, topics } = offer;
    if domains.is_empty() {
        return view! {
            <Empty title="None of your teams is in a domain">
                "Topics are published within a domain, and the organisation's policy lists none with your teams."
            </Empty>
        }
        .into_any();
    }
    if topics.is_empty() {
        return view! {
            <Empty title="Every topic is a data product already">
                "To offer new data, " <a href="/create">"create a data product"</a> " with its own topic."
            </Empty>
        }
        .into_any();
    }
    // With one domain, Publish can start from it; with several, the person picks there.
    let domain = match domains.as_slice() {
        [only] => format!("&domain={}", api::encode(only.as_str())),
        _ => String::new(),
    };
    view! {
        <ul class="manage-rows" role="list">
            {topics
                .into_iter()
                .map(|topic| {
                    let href = format!("/publish?topic={}{domain}", api::encode(topic.name.as_str()));
                    let schema = if topic.has_value_schema {
                        view! { <span>"has a value schema"</span> }.into_any()
                    } else {
                        view! {
                            <span class="manage-row__warning">
                                "no value schema: register " <code>{format!("{}-value", topic.name)}</code> " first"
                            </span>
                        }
                            .into_any()
                    };
                    let partitions = match topic.partitions {
                        1 => "1 partition".to_owned(),
                        n => format!("{n} partitions"),
                    };
                    view! {
                        <li class="manage-row" data-testid="publishable-topic" data-topic=topic.name.to_string()>
                            <div class="manage-row__main">
                                <code class="manage-row__name">{topic.name.to_string()}</code>
                            </div>
                            <p class="manage-row__owner">
                                {format!("{partitions}, {}; ", topic.history.describe())} {schema}
                            </p>
                            <a class="manage-row__view" href=href data-testid="publish-link">
                                "Publish" <span class="visually-hidden">{format!(" {}", topic.name)}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
