//! The product metadata form: a data product's governance metadata as labelled fields, checked on every change
//! with the organisation's policy (`meshport_shared::validate`, the API's own check), every problem shown next to
//! its field and linked to it (`aria-describedby`, `aria-invalid`).
//!
//! Publish and Create start it blank; Manage starts it from a stored product and reads the edit back. Whatever is
//! typed is kept in the tab until it is saved (`crate::drafts`), so the form comes back as it was left:
//!
//! ```ignore
//! let state = ProductFormState::edit(detail.product, policy, identity);
//! view! {
//!     <form novalidate on:submit=save>
//!         <ProblemSummary state title="Fix these problems before saving" node_ref=summary/>
//!         <ProductForm state/>
//!     </form>
//! }
//! // On submit: show every problem, and send only a product the policy accepts.
//! state.reveal_all();
//! match state.product() {
//!     Ok(edited) => { /* PUT /api/v1/products/{id}; a 422 goes back with state.set_server_problems(e.violations()) */ }
//!     Err(_) => { /* the summary and the fields show why */ }
//! }
//! ```
//!
//! `ProductForm` is `OwnershipFields` (domain and team) followed by `ProductFields` (everything else); a page may
//! place its own fields between them, as Publish does with the topic. The output port's topic is a page's field
//! (chosen on Publish, typed on Create, fixed when editing): pages set it with `set_topic` and show its problems
//! with `FieldError`. A page's own checks (topic settings, the schema) join the form's with `also_check`, so one
//! summary lists everything. The controls, `FieldError` and `ProblemSummary` are the portal's form controls
//! (`crate::components::form`), bound to this state by field path.

mod draft;
mod fields;
mod page;
mod schema;

use leptos::prelude::*;
use meshport_shared::api::Identity;
use meshport_shared::{DataProduct, GovernancePolicy, SchemaFact, Violation};

pub use draft::{Checked, Draft, Problem, SupportRow, domains_for, label, required_fields, teams_for};
pub use fields::{OwnershipFields, ProductFields, ProductForm};
pub use page::{ApiCheck, ApiCheckStatus, CheckStatus, ForTeamMembers, SubmitFailure, load_failed};
pub use schema::{SchemaFieldList, chosen_file, field_paths, schema_file_text};

/// Everything the form knows, as signals: what was typed, which fields were visited, what the API said. It is
/// `Copy`, so pages hand it to components and closures freely.
#[derive(Clone, Copy)]
pub struct ProductFormState {
    draft: RwSignal<Draft>,
    /// Where the draft is kept until it is saved (`crate::drafts`), and whether it came back from there.
    kept_as: StoredValue<String>,
    restored: RwSignal<bool>,
    base: StoredValue<Option<DataProduct>>,
    policy: StoredValue<GovernancePolicy>,
    identity: StoredValue<Identity>,
    required: StoredValue<Vec<String>>,
    schema: RwSignal<SchemaFact>,
    schema_paths: RwSignal<Vec<String>>,
    checked: Memo<Checked>,
    page_checks: StoredValue<Vec<Signal<Vec<Problem>>>>,
    server: RwSignal<Vec<Problem>>,
    touched: RwSignal<Vec<String>>,
    revealed: RwSignal<bool>,
    id_follows_topic: RwSignal<bool>,
}

impl std::fmt::Debug for ProductFormState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductFormState").field("draft", &self.draft.get_untracked()).finish_non_exhaustive()
    }
}

impl ProductFormState {
    /// A form for a new product, starting from the person's first domain and team, or from what they typed into
    /// the page's `form` (`publish`, `create`) before (`crate::drafts`).
    pub fn new(policy: GovernancePolicy, identity: Identity, form: &str) -> Self {
        let kept_as = crate::drafts::key(&identity, form);
        Self::build(Draft::blank(&policy, &identity), None, policy, identity, kept_as)
    }

    /// A form editing `product`: its id and value subject stay; status, revision, timestamps and deprecation
    /// are carried over untouched into `product()`. What was typed into it before comes back while the product is
    /// still at the revision it was typed against.
    pub fn edit(product: DataProduct, policy: GovernancePolicy, identity: Identity) -> Self {
        let kept_as = crate::drafts::key(&identity, &format!("edit.{}@{}", product.id, product.revision));
        Self::build(Draft::from_product(&product), Some(product), policy, identity, kept_as)
    }

    fn build(
        draft: Draft,
        base: Option<DataProduct>,
        policy: GovernancePolicy,
        identity: Identity,
        kept_as: String,
    ) -> Self {
        let is_new = base.is_none();
        let required = StoredValue::new(required_fields(&policy));
        let (draft, restored) = crate::drafts::keep(kept_as.clone(), draft);
        // A kept id that is not the topic's was typed by hand: it must not follow the topic when that is picked.
        let id_follows_topic = is_new && draft.with_untracked(|d| d.topic.is_empty() || d.id == d.topic.to_lowercase());
        let base = StoredValue::new(base);
        let policy = StoredValue::new(policy);
        let schema = RwSignal::new(SchemaFact::Unknown);
        let checked = Memo::new(move |_| {
            let fact = schema.get();
            draft.with(|d| base.with_value(|b| policy.with_value(|p| d.check(b.as_ref(), p, fact))))
        });
        Self {
            draft,
            kept_as: StoredValue::new(kept_as),
            restored: RwSignal::new(restored),
            base,
            policy,
            identity: StoredValue::new(identity),
            required,
            schema,
            schema_paths: RwSignal::new(Vec::new()),
            checked,
            page_checks: StoredValue::new(Vec::new()),
            server: RwSignal::new(Vec::new()),
            touched: RwSignal::new(Vec::new()),
            revealed: RwSignal::new(false),
            id_follows_topic: RwSignal::new(id_follows_topic),
        }
    }

    /// Whether what was typed before came back (`crate::drafts`), reactively: the form says so.
    pub fn restored(&self) -> bool {
        self.restored.get()
    }

    /// A page's own kept parts (a schema, topic settings) came back too.
    pub fn also_restored(&self, restored: bool) {
        if restored {
            self.restored.set(true);
        }
    }

    /// Where the draft is kept: a page takes it before sending, to `crate::drafts::forget` it once the API accepted
    /// the product (by then the form may be gone).
    pub fn draft_key(&self) -> String {
        self.kept_as.get_value()
    }

    /// Whether this is a new product (its id may still be chosen) rather than an edit.
    pub fn is_new(&self) -> bool {
        self.base.with_value(Option::is_none)
    }

    pub fn policy(&self) -> GovernancePolicy {
        self.policy.get_value()
    }

    pub fn identity(&self) -> Identity {
        self.identity.get_value()
    }

    /// Reads the typed fields, reactively.
    pub fn read<T>(&self, read: impl FnOnce(&Draft) -> T) -> T {
        self.draft.with(read)
    }

    /// Reads the typed fields without subscribing to them.
    pub fn read_untracked<T>(&self, read: impl FnOnce(&Draft) -> T) -> T {
        self.draft.with_untracked(read)
    }

    /// Changes the typed fields. What the API said about `field` no longer applies once it changed, so that goes.
    /// An id typed by hand stops following the topic.
    pub fn update(&self, field: &str, change: impl FnOnce(&mut Draft)) {
        if field == "id" {
            self.id_follows_topic.set(false);
        }
        self.draft.update(change);
        self.changed(field);
    }

    /// `field` changed (a page's own field, say): what the API said about it no longer applies.
    pub fn changed(&self, field: &str) {
        if self.server.with_untracked(|s| s.iter().any(|p| p.field == field)) {
            self.server.update(|s| s.retain(|p| p.field != field));
        }
    }

    /// Sets the output port's topic. A new product's id follows the topic until someone types an id of their own.
    pub fn set_topic(&self, topic: &str) {
        let follows = self.id_follows_topic.get_untracked();
        self.update("output_port.topic", |d| {
            d.topic = topic.to_owned();
            if follows {
                d.id = topic.to_lowercase();
            }
        });
        if follows {
            self.server.update(|s| s.retain(|p| p.field != "id"));
        }
    }

    /// What is known about the topic's value schema: the policy may require one, and its field paths are offered
    /// as personal-data fields.
    pub fn set_schema(&self, fact: SchemaFact, paths: Vec<String>) {
        self.schema.set(fact);
        self.schema_paths.set(paths);
    }

    /// The schema's field paths, reactively.
    pub fn schema_paths(&self) -> Vec<String> {
        self.schema_paths.get()
    }

    /// Adds a page's own checks (e.g. topic settings), so they count and show like the form's.
    pub fn also_check(&self, checks: Signal<Vec<Problem>>) {
        self.page_checks.update_value(|all| all.push(checks));
    }

    /// Whether the policy (or the data model) requires `field`.
    pub fn is_required(&self, field: &str) -> bool {
        self.required.with_value(|r| r.iter().any(|f| f == field))
    }

    /// The product as it stands, if nothing is wrong with it: no unparseable name, no policy violation, no failed
    /// page check. Reactive. What the API said last does not count: it checks again on every request.
    pub fn product(&self) -> Result<DataProduct, Vec<Problem>> {
        let problems = self.local_problems();
        if problems.is_empty() { Ok(self.checked.with(|c| c.product.clone())) } else { Err(problems) }
    }

    /// The product as it stands if every name parses, whatever else is wrong: what a dry run can send.
    pub fn parsed(&self) -> Option<DataProduct> {
        self.checked.with(|c| c.names_parse.then(|| c.product.clone()))
    }

    fn local_problems(&self) -> Vec<Problem> {
        let mut problems = self.checked.with(|c| c.problems.clone());
        self.page_checks.with_value(|checks| {
            for check in checks {
                problems.extend(check.get());
            }
        });
        problems
    }

    /// Every problem: the form's, the page's, and what the API said, once each.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = self.local_problems();
        self.server.with(|server| {
            for problem in server {
                if !problems.contains(problem) {
                    problems.push(problem.clone());
                }
            }
        });
        problems
    }

    /// The messages to show next to `field` now: its own problems once it was visited (or after a submit), and
    /// the API's at once.
    pub fn shown(&self, field: &str) -> Vec<String> {
        let visible = self.revealed.get() || self.touched.with(|t| t.iter().any(|f| f == field));
        let mut messages: Vec<String> = if visible {
            self.local_problems().into_iter().filter(|p| p.field == field).map(|p| p.message).collect()
        } else {
            Vec::new()
        };
        self.server.with(|server| {
            for problem in server.iter().filter(|p| p.field == field) {
                if !messages.contains(&problem.message) {
                    messages.push(problem.message.clone());
                }
            }
        });
        messages
    }

    /// The person left `field`: its problems show from now on.
    pub fn touch(&self, field: &str) {
        if !self.touched.with_untracked(|t| t.iter().any(|f| f == field)) {
            self.touched.update(|t| t.push(field.to_owned()));
        }
    }

    /// Shows every field's problems, as on a submit.
    pub fn reveal_all(&self) {
        self.revealed.set(true);
    }

    /// Whether a submit was attempted (so the summary shows).
    pub fn revealed(&self) -> bool {
        self.revealed.get()
    }

    /// The violations the API answered with (a 422, or a dry run), shown next to their fields until they change.
    pub fn set_server_problems(&self, violations: &[Violation]) {
        self.server.set(violations.iter().map(Problem::from).collect());
    }
}
