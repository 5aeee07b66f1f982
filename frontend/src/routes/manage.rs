//! Manage: the signed-in person's data products and the topics they could publish (`/manage`), and the changes
//! an owner makes to one product (`/manage/:id`): edit its metadata, evolve its schema, change its topic's settings,
//! deprecate it, retire it.
//!
//! The portal decides nothing here: who may change a product is `Identity::can_change`, and every change is the
//! API's to accept or refuse. Each section shows the API's answer as it is, with its error code, and links the
//! violations it lists to the fields they concern.
//!
//! Reactive parts go through the product form's `live` and `live_text`, and answers are fetched into signals with
//! its `fetched`, rather than resources under `Suspense`: one closure type for every live part keeps Leptos'
//! rendering code in the Manage bundle once.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use meshport_shared::api::Identity;
use meshport_shared::{DataProduct, GovernancePolicy, ProductId, ProductStatus, ViolationCode};
use serde::Deserialize;

use crate::api;
use crate::components::feedback::Loading;
use crate::components::form::focus;
use crate::components::product_form::load_failed;
use crate::components::status_badge::StatusBadge;
use crate::reactive::{fetched, live, live_text};
use crate::session;

mod deprecate;
mod edit;
mod evolve;
mod owned;
mod publishable;
mod retire;
mod topic;

pub use evolve::{CompatibilityAnswer, EvolveRefusal};

/// `/manage`: what the signed-in person's teams own, and what they could publish next.
#[component]
pub fn Manage() -> impl IntoView {
    view! {
        <section class="manage" aria-labelledby="manage-title">
            <h1 id="manage-title">"Manage your data products"</h1>
            <p class="lede">
                "The data products your teams own, with their status, and the topics you could publish as products."
            </p>
            {live(move || match session::identity() {
                None => view! { <SignInPrompt/> }.into_any(),
                Some(who) => view! {
                    <owned::OwnedProducts who=who.clone()/>
                    <publishable::PublishableTopics who/>
                }
                .into_any(),
            })}
        </section>
    }
}

/// `/manage/:id`: one product, changed by its owners and shown read-only to everyone else.
#[component]
pub fn ManageProduct() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    view! {
        <section class="manage" aria-labelledby="manage-title">
            {live(move || {
                let id = id();
                // The heading comes from the address, so it is there before the product arrives and does not move.
                let heading = view! {
                    <h1 id="manage-title">
                        "Manage " <code class="manage-title__id" data-testid="manage-title-id">{id.clone()}</code>
                    </h1>
                };
                let body = match (session::identity(), ProductId::parse(id)) {
                    (None, _) => view! { <SignInPrompt/> }.into_any(),
                    (Some(_), Err(e)) => view! {
                        <div class="notice notice--error" role="alert" data-testid="error-state">
                            <p class="notice__title">"This address names no data product"</p>
                            <p>{e.to_string()}</p>
                        </div>
                    }
                        .into_any(),
                    (Some(who), Ok(id)) => view! { <LoadedProduct id who/> }.into_any(),
                };
                view! { {heading} {body} }.into_any()
            })}
        </section>
    }
}

/// Asks the person to sign in, and to come back here afterwards: every action on these pages needs their teams.
#[component]
fn SignInPrompt() -> impl IntoView {
    let here = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| "/manage".to_owned());
    let href = format!("/sign-in?next={}", api::encode(&here));
    view! {
        <div class="notice" data-testid="sign-in-prompt">
            <p class="notice__title">"Sign in to manage data products"</p>
            <p>
                "Changes need to know who you are and which teams you belong to. "
                <a href=href data-testid="sign-in-prompt-link">"Sign in"</a>
                ", and you come back here."
            </p>
        </div>
    }
}

#[component]
fn LoadedProduct(id: ProductId, who: Identity) -> impl IntoView {
    let retries = RwSignal::new(0_u32);
    let detail = fetched(move || (retries.get(), id.clone()), |(_, id)| api::product_part::<ManagedDetail>(id));
    live(move || match detail.get() {
        None => view! { <Loading what="the data product"/> }.into_any(),
        Some(Err(error)) => load_failed("The data product", &error, move || retries.update(|n| *n += 1)),
        Some(Ok(detail)) => view! { <ProductManagement detail who=who.clone()/> }.into_any(),
    })
}

/// One product as its page on Manage shows it: a summary for everyone, and the changes its owners may make. People
/// outside the owning team see why they cannot change it.
#[component]
pub fn ProductManagement(detail: ManagedDetail, who: Identity) -> impl IntoView {
    let managed = Managed::new(detail);
    let detail = managed.detail;
    // Memos, so a change that keeps the status (a new revision, a new schema) leaves the forms and what is typed in
    // them alone.
    let status = Memo::new(move |_| detail.with(|d| d.product.status));
    let owner = who.clone();
    let editor = StoredValue::new(who.clone());
    let can_change = Memo::new(move |_| detail.with(|d| owner.can_change(&d.product)));
    // Each section stays mounted while it applies, so what a person typed and the answers shown survive a change
    // of status (a new major version deprecates this product; the evolve section must still say where it went).
    let evolves = Memo::new(move |_| matches!(status.get(), ProductStatus::Active | ProductStatus::Deprecated));
    let body = live(move || {
        if !can_change.get() {
            return view! { <ReadOnlyNote managed who=who.clone()/> }.into_any();
        }
        let note = live(move || {
            let note = match status.get() {
                ProductStatus::Retired => {
                    "This product is retired: it is out of discovery and kept with its history. Nothing more \
                     changes here."
                }
                ProductStatus::Draft => {
                    "This product is a draft left by an interrupted create: publish its topic to finish it before \
                     evolving or deprecating it."
                }
                ProductStatus::Active | ProductStatus::Deprecated => return ().into_any(),
            };
            view! { <p class="notice manage-status-note" data-testid="status-note">{note}</p> }.into_any()
        });
        let sections = live(move || {
            if !evolves.get() {
                return ().into_any();
            }
            let policy = Policy::fetch();
            view! {
                <nav class="manage-contents" aria-label="Changes to this product">
                    <ul role="list">
                        <li><a href="#edit-title">"Edit the metadata"</a></li>
                        <li><a href="#evolve-title">"Evolve the schema"</a></li>
                        <li><a href="#topic-settings-title">"Topic settings"</a></li>
                        <li><a href="#deprecate-title">"Deprecate"</a></li>
                        <li><a href="#retire-title">"Retire"</a></li>
                    </ul>
                </nav>
                <edit::EditMetadata managed policy who=editor.get_value()/>
                <evolve::EvolveSchema managed who=editor.get_value()/>
                <topic::TopicSettings managed policy/>
                <deprecate::Deprecate managed/>
            }
            .into_any()
        });
        view! {
            {note}
            {sections}
            <retire::Retire managed/>
        }
        .into_any()
    });
    view! {
        <Summary managed/>
        {live(move || match managed.reload_error.get() {
            Some(error) => view! { <ChangeError error managed fields=&[]/> }.into_any(),
            None => ().into_any(),
        })}
        {body}
    }
}

/// Why this person sees the product read-only.
#[component]
fn ReadOnlyNote(managed: Managed, who: Identity) -> impl IntoView {
    let yours = match who.teams.as_slice() {
        [] => "you are in no team".to_owned(),
        [team] => format!("you are in team {team}"),
        teams => format!("you are in teams {}", teams.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")),
    };
    let team = live_text(move || managed.detail.with(|d| d.product.owner.team.to_string()));
    view! {
        <div class="notice manage-read-only" role="note" data-testid="read-only-note">
            <p class="notice__title">"You can read this product, but not change it"</p>
            <p>
                "Only members of its owning team, " <code data-testid="read-only-team">{team}</code>
                ", and org admins change it; " {yours} ". Ask the owning team for the change you need."
            </p>
        </div>
    }
}

/// The product at a glance: status (with the sunset of a deprecated product), ownership, and where its data is.
/// It is drawn again as a whole when the product changes, which is rare and cheap.
#[component]
fn Summary(managed: Managed) -> impl IntoView {
    let summary = live(move || {
        let ManagedDetail { product, schema, .. } = managed.detail.get();
        let DataProduct { id, name, domain, owner, status, version, output_port, revision, deprecation, .. } = product;
        let deprecation = deprecation.filter(|_| status == ProductStatus::Deprecated).map(|deprecation| {
            let replacement = deprecation.replacement.map(|id| {
                let href = format!("/products/{}", api::encode(id.as_str()));
                view! { "; use " <a href=href data-testid="manage-replacement">{id.to_string()}</a> " instead" }
            });
            let message = (!deprecation.message.is_empty()).then(|| view! { <br/> {deprecation.message} });
            view! {
                <p class="manage-deprecation" data-testid="manage-deprecation">
                    "Deprecated: it may be retired after "
                    <time datetime=deprecation.sunset.clone() data-testid="manage-sunset">{deprecation.sunset.clone()}</time>
                    {replacement}
                    {message}
                </p>
            }
        });
        let schema_version = match &schema {
            Some(s) => format!("{} version {}", s.subject, s.version),
            None => format!("{} (no version in the mirror yet)", output_port.value_subject),
        };
        let current_schema = schema.map(|s| {
            view! {
                <details class="manage-current-schema">
                    <summary>"Current schema"</summary>
                    <pre data-testid="manage-current-schema">{s.schema}</pre>
                </details>
            }
        });
        let product_page = format!("/products/{}", api::encode(id.as_str()));
        view! {
            <div class="manage-summary__head">
                <p class="manage-summary__name" data-testid="manage-name">{name}</p>
                <StatusBadge status test_id="manage-status"/>
            </div>
            {deprecation}
            <dl class="facts manage-facts">
                <div>
                    <dt>"Domain"</dt>
                    <dd data-testid="manage-domain">{domain.to_string()}</dd>
                </div>
                <div>
                    <dt>"Owning team"</dt>
                    <dd data-testid="manage-team">{owner.team.to_string()}</dd>
                </div>
                <div>
                    <dt>"Version"</dt>
                    <dd>{version}</dd>
                </div>
                <div>
                    <dt>"Topic"</dt>
                    <dd>
                        <code>{output_port.topic.to_string()}</code>
                    </dd>
                </div>
                <div>
                    <dt>"Value schema"</dt>
                    <dd>
                        <code data-testid="manage-schema-version">{schema_version}</code>
                    </dd>
                </div>
                <div>
                    <dt>"Revision"</dt>
                    <dd data-testid="manage-revision">{revision}</dd>
                </div>
            </dl>
            {current_schema}
            <p class="manage-links">
                <a href=product_page data-testid="manage-product-page">"Open its product page"</a>
            </p>
        }
        .into_any()
    });
    view! {
        <div class="manage-summary" data-testid="manage-summary">
            {summary}
        </div>
    }
}

/// What Manage reads of a product's detail (`GET /api/v1/products/{id}`, a `ProductDetail`): the product, its topic's
/// settings and its current schema, and nothing else. Decoding only these keeps the decoders of the rest (history,
/// versions, consumers, lineage, links...) out of the Manage bundle, which they would put over its size budget.
#[derive(Debug, Clone, Deserialize)]
pub struct ManagedDetail {
    product: DataProduct,
    /// `None` before the first sync saw the topic.
    topic: Option<topic::SyncedTopic>,
    /// `None` when the mirror holds no version of the value schema.
    schema: Option<CurrentSchema>,
}

/// The latest value schema as Manage shows and evolves it.
#[derive(Debug, Clone, Deserialize)]
struct CurrentSchema {
    subject: String,
    version: i32,
    schema: String,
}

/// The product being managed, shared by the sections of its page: each change stores what the API answered, and a
/// stale revision is fixed by reading the product again.
#[derive(Clone, Copy)]
struct Managed {
    detail: RwSignal<ManagedDetail>,
    /// Why reading the product again failed, if it did.
    reload_error: RwSignal<Option<api::Error>>,
}

impl Managed {
    fn new(detail: ManagedDetail) -> Self {
        Self { detail: RwSignal::new(detail), reload_error: RwSignal::new(None) }
    }

    fn id(&self) -> ProductId {
        self.detail.with_untracked(|d| d.product.id.clone())
    }

    /// The revision last read, which every change sends so the API can refuse it if someone changed the product
    /// meanwhile.
    fn revision(&self) -> u64 {
        self.detail.with_untracked(|d| d.product.revision)
    }

    /// A change succeeded: this is the product as the API stored it.
    fn stored(&self, product: DataProduct) {
        self.detail.update(|d| d.product = product);
    }

    /// Reads the product again (after someone else changed it, or after a change whose answer is not the product).
    fn reload(&self) {
        let this = *self;
        let id = self.id();
        leptos::task::spawn_local(async move {
            match api::product_part(id).await {
                Ok(detail) => {
                    this.reload_error.set(None);
                    this.detail.set(detail);
                }
                Err(error) => this.reload_error.set(Some(error)),
            }
        });
    }
}

/// The governance policy, read once for the sections that check against it (the metadata form, the topic limits).
#[derive(Clone, Copy)]
struct Policy {
    /// `None` while it is on its way.
    answer: ReadSignal<Option<api::Result<GovernancePolicy>>>,
    retries: RwSignal<u32>,
}

impl Policy {
    fn fetch() -> Self {
        let retries = RwSignal::new(0_u32);
        Self { answer: fetched(move || retries.get(), |_| api::policy()), retries }
    }

    /// Reads it again, after a failure.
    fn retry(&self) {
        self.retries.update(|n| *n += 1);
    }
}

/// A request a section makes when the person asks: whether it is under way, and its latest answer. (Smaller in
/// the bundle than a Leptos `Action`, whose versioning these one-at-a-time forms do not need.)
struct Call<O: Send + Sync + 'static> {
    pending: RwSignal<bool>,
    answer: RwSignal<Option<O>>,
}

impl<O: Send + Sync + 'static> Clone for Call<O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O: Send + Sync + 'static> Copy for Call<O> {}

impl<O: Send + Sync + 'static> Call<O> {
    fn new() -> Self {
        Self { pending: RwSignal::new(false), answer: RwSignal::new(None) }
    }

    /// Sends `request`; its answer replaces the previous one when it arrives.
    fn start(self, request: impl Future<Output = O> + 'static) {
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let answer = request.await;
            self.answer.set(Some(answer));
            self.pending.set(false);
        });
    }
}

/// The error of a call's latest answer, if it was one.
fn failure<T>(answer: &Option<api::Result<T>>) -> Option<api::Error> {
    answer.as_ref().and_then(|answer| answer.as_ref().err().cloned())
}

/// What the API said about one form field: the messages of every violation naming it, empty if none does.
fn field_message(error: Option<&api::Error>, fields: &[&str]) -> String {
    let Some(error) = error else { return String::new() };
    let messages: Vec<&str> =
        error.violations().iter().filter(|v| fields.contains(&v.field.as_str())).map(|v| v.message.as_str()).collect();
    messages.join("; ")
}

/// A violation's code as the API writes it, e.g. `invalid_date`.
fn violation_code(code: ViolationCode) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// One of the changes an owner can make, as a titled section of the page (`data-testid` is its `name`).
#[component]
fn ChangeSection(
    name: &'static str,
    title: &'static str,
    /// Whether the change cannot be undone, which the section's edge shows.
    #[prop(optional)]
    danger: bool,
    children: Children,
) -> impl IntoView {
    let heading = format!("{name}-title");
    let labelled_by = heading.clone();
    let class = if danger { "manage-section manage-section--danger" } else { "manage-section" };
    view! {
        <section class=class aria-labelledby=labelled_by data-testid=name>
            <h2 id=heading>{title}</h2>
            {children()}
        </section>
    }
}

/// A change the API refused or could not make: its code and message, each violation it listed (linked to the form
/// field it concerns, through `fields`: API field name → control id), and, for a stale revision, a way to reload.
#[component]
fn ChangeError(error: api::Error, managed: Managed, fields: &'static [(&'static str, &'static str)]) -> impl IntoView {
    let conflict = error.code() == "conflict";
    let violations = error
        .violations()
        .iter()
        .map(|v| {
            let target = fields.iter().find(|(field, _)| *field == v.field).map(|(_, control)| *control);
            let place = match target {
                Some(control) => view! {
                    <a
                        href=format!("#{control}")
                        on:click=move |ev| {
                            // The router would only scroll to it; a person fixing the field wants to be in it.
                            ev.prevent_default();
                            focus(control);
                        }
                    >
                        {v.field.clone()}
                    </a>
                }
                .into_any(),
                None => view! { <code>{v.field.clone()}</code> }.into_any(),
            };
            view! {
                <li data-testid="violation">
                    <code class="error-code">{violation_code(v.code)}</code>
                    " " {place} ": " {v.message.clone()}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="notice notice--error manage-error" role="alert" data-testid="change-error">
            <p class="notice__title">
                {if conflict { "Someone else changed this product" } else { "The change was not made" }}
            </p>
            <p>
                <span data-testid="error-message">{error.message()}</span>
                " "
                <code class="error-code" data-testid="error-code">{error.code().to_owned()}</code>
            </p>
            <ul class="error-list">{violations}</ul>
            {conflict
                .then(|| {
                    view! {
                        <p>
                            "It changed since you opened this page. Reload it to see what changed, then make your \
                             change again if it still applies."
                        </p>
                        <div class="notice__actions">
                            <button
                                type="button"
                                class="button"
                                data-testid="reload-product"
                                on:click=move |_| managed.reload()
                            >
                                "Reload the product"
                            </button>
                        </div>
                    }
                })}
        </div>
    }
}
