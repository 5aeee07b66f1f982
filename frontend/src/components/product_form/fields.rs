//! The product form's fields: its controls (`crate::components::form`) bound to `ProductFormState`, grouped in
//! sections, and the ones only it has (support channels, personal data).

use leptos::prelude::*;
use meshport_shared::{Quality, SlaTier, SupportKind};

use super::{ProductFormState, SupportRow, domains_for, label, teams_for};
use crate::components::form::{
    FieldError, HintText, Problems, choice, described_by, field_id, focus, frame, hint_id, invalid, options, select,
    text_area, text_input,
};
use crate::reactive::live;

/// The whole form: who owns the product, then everything else.
#[component]
pub fn ProductForm(state: ProductFormState) -> impl IntoView {
    view! {
        <OwnershipFields state/>
        <ProductFields state/>
    }
}

/// The product's domain and owning team, offered from the policy and the person's teams.
#[component]
pub fn OwnershipFields(state: ProductFormState) -> impl IntoView {
    let policy = state.policy();
    let identity = state.identity();
    let domains: Vec<String> = domains_for(&policy, &identity).iter().map(ToString::to_string).collect();
    let domain_hint = {
        let policy = policy.clone();
        move || {
            let domain = state.read(|d| d.domain.clone());
            policy.domains.iter().find(|d| d.name.as_str() == domain).map(|d| d.description.clone()).unwrap_or_default()
        }
    };
    let domain = if domains.is_empty() {
        // The policy names no domains (any is accepted), or the person is in none of them: a free text field,
        // whose problems say which domains exist.
        text_input(
            state,
            "domain",
            Some("The business domain the data belongs to"),
            |d| d.domain.clone(),
            |d, v| d.domain = v,
        )
        .into_any()
    } else {
        let domains: Vec<(String, String)> = domains.into_iter().map(|d| (d.clone(), d)).collect();
        let policy = policy.clone();
        let identity = identity.clone();
        let chosen = Callback::new(move |domain: String| {
            // A team of the old domain cannot own a product of the new one: the new domain's first team takes over.
            let teams = teams_for(&policy, &identity, &domain);
            state.update("domain", |d| {
                if !teams.iter().any(|t| t.as_str() == d.team) {
                    d.team = teams.first().map(ToString::to_string).unwrap_or_default();
                }
                d.domain = domain;
            });
        });
        let hint = HintText::Live(Signal::derive(domain_hint));
        choice(state, "domain", hint, options(state, domains, |d| d.domain.clone()), chosen).into_any()
    };
    let team_options = live(move || {
        let domain = state.read(|d| d.domain.clone());
        let teams = teams_for(&policy, &identity, &domain).iter().map(|t| (t.to_string(), t.to_string())).collect();
        options(state, teams, |d| d.team.clone())
    });
    let team = choice(
        state,
        "owner.team",
        HintText::Fixed("Only the team's members and org admins may change the product"),
        team_options.into_any(),
        Callback::new(move |team| state.update("owner.team", |d| d.team = team)),
    );
    view! {
        <fieldset class="form-section">
            <legend class="form-section__title">"Owner"</legend>
            {domain}
            {team}
        </fieldset>
    }
}

/// Everything but the owner: what the product is, how far it can be trusted, who to ask, and its data.
#[component]
pub fn ProductFields(state: ProductFormState) -> impl IntoView {
    let policy = state.policy();
    let id_hint = if state.is_new() {
        "Lowercase letters, digits, `.`, `-` and `_`: it names the product in addresses, and never changes"
    } else {
        "A product's id never changes"
    };
    let id = {
        let control = view! {
            <input
                type="text"
                id=field_id("id")
                name="id"
                class="field__control field__control--code"
                readonly=!state.is_new()
                required=true
                spellcheck="false"
                autocapitalize="none"
                prop:value=move || state.read(|d| d.id.clone())
                aria-invalid=invalid(state, "id")
                aria-describedby=described_by("id", true)
                data-testid="field-id"
                on:input:target=move |ev| state.update("id", |d| d.id = ev.target().value())
                on:blur=move |_| state.touch("id")
            />
        };
        frame(state, "id", HintText::Fixed(id_hint), control)
    };
    let quality = select(
        state,
        "quality",
        "How far consumers can trust the content",
        with_current(policy.allowed_qualities.clone(), state.read_untracked(|d| d.quality)),
        |q| format!("{}: {}", q.as_str(), quality_summary(*q)),
        |q| q.as_str().to_owned(),
        |d| d.quality.as_str().to_owned(),
        |d, value| {
            if let Some(q) = Quality::ALL.into_iter().find(|q| q.as_str() == value) {
                d.quality = q;
            }
        },
    );
    let sla = select(
        state,
        "sla",
        "What the owning team commits to when something goes wrong",
        with_current(policy.allowed_slas.clone(), state.read_untracked(|d| d.sla)),
        |s| format!("{}: {}", s.as_str(), s.summary()),
        |s| s.as_str().to_owned(),
        |d| d.sla.as_str().to_owned(),
        |d, value| {
            if let Some(s) = SlaTier::ALL.into_iter().find(|s| s.as_str() == value) {
                d.sla = s;
            }
        },
    );
    view! {
        <fieldset class="form-section">
            <legend class="form-section__title">"About the product"</legend>
            {id}
            {text_input(state, "name", Some("What people call it, e.g. Page views"), |d| d.name.clone(), |d, v| d.name = v)}
            {text_input(state, "version", Some("The product's own version, like 1.0.0"), |d| d.version.clone(), |d, v| {
                d.version = v
            })}
            {text_area(state, "description.purpose", "What the data is and why it exists: the first thing consumers read", 3, |d| {
                d.purpose.clone()
            }, |d, v| d.purpose = v)}
            {text_area(state, "description.usage", "How to consume it: keys, ordering, what to join it with", 3, |d| {
                d.usage.clone()
            }, |d, v| d.usage = v)}
            {text_area(state, "description.limitations", "What it cannot be used for: gaps, delays, known bad data", 3, |d| {
                d.limitations.clone()
            }, |d, v| d.limitations = v)}
            {text_input(state, "tags", Some("Comma-separated words that help people find it, e.g. web, clickstream"), |d| {
                d.tags.clone()
            }, |d, v| d.tags = v)}
        </fieldset>
        <fieldset class="form-section">
            <legend class="form-section__title">"Trust"</legend>
            {quality}
            {sla}
        </fieldset>
        <fieldset class="form-section">
            <legend class="form-section__title">"Contact and support"</legend>
            {text_input(state, "owner.contact", Some("A mailbox or chat handle that reaches the owning team"), |d| {
                d.contact.clone()
            }, |d, v| d.contact = v)}
            {text_area(state, "owner.members", "One person per line, e.g. their mail address", 3, |d| d.members.clone(), |d, v| {
                d.members = v
            })}
            <SupportChannels state/>
        </fieldset>
        <fieldset class="form-section">
            <legend class="form-section__title">"Data"</legend>
            {text_input(state, "output_port.key_subject", Some("The registry subject of the keys' schema, if keys have one, e.g. orders-key"), |d| {
                d.key_subject.clone()
            }, |d, v| d.key_subject = v)}
            <PersonalFields state/>
            {text_input(state, "inputs", Some("The products this one is derived from, comma-separated ids, e.g. pageviews, users: they show as its lineage"), |d| {
                d.inputs.clone()
            }, |d, v| d.inputs = v)}
        </fieldset>
    }
}

fn with_current<T: PartialEq>(mut allowed: Vec<T>, current: T) -> Vec<T> {
    if !allowed.contains(&current) {
        allowed.insert(0, current);
    }
    allowed
}

fn quality_summary(quality: Quality) -> &'static str {
    match quality {
        Quality::Authoritative => "the system of record for this data",
        Quality::Curated => "cleaned, joined or enriched from other products",
        Quality::Raw => "as captured, with no guarantees on content",
    }
}

const SUPPORT_KINDS: [(SupportKind, &str); 4] = [
    (SupportKind::Chat, "chat"),
    (SupportKind::Email, "email"),
    (SupportKind::Issues, "issues"),
    (SupportKind::Docs, "docs"),
];

fn kind_name(kind: SupportKind) -> &'static str {
    SUPPORT_KINDS.iter().find(|(k, _)| *k == kind).map_or("chat", |(_, name)| name)
}

/// The support channels, one row each, added and removed with buttons.
#[component]
fn SupportChannels(state: ProductFormState) -> impl IntoView {
    // Rows are drawn again only when one is added or removed (not as an address is typed), so focus stays put.
    let keys = Memo::new(move |_| state.read(|d| d.support.iter().map(|row| row.key).collect::<Vec<_>>()));
    let rows = live(move || {
        keys.get().into_iter().map(|key| view! { <SupportChannelRow state key/> }).collect_view().into_any()
    });
    let add = move |_| {
        state.update("support", |d| d.add_support(SupportKind::Chat));
        state.touch("support");
        // Keyboard users continue where the new row is, not back at the button.
        if let Some(key) = state.read_untracked(|d| d.support.last().map(|row| row.key)) {
            request_animation_frame(move || focus(&format!("{}-{key}-address", field_id("support"))));
        }
    };
    view! {
        <fieldset
            class="field field--group"
            id=field_id("support")
            tabindex="-1"
            aria-describedby=described_by("support", true)
        >
            <legend class="field__label">
                {label("support")}
                {state.is_required("support").then(|| view! { <span class="field__required">" (required)"</span> })}
            </legend>
            <p class="field__hint" id=hint_id("support")>
                "Where consumers get help: a chat channel, a mailbox, an issue tracker or docs"
            </p>
            <ul class="support-rows" role="list">
                {rows}
            </ul>
            <button
                type="button"
                id="add-support-button"
                class="button button--quiet"
                data-testid="add-support"
                on:click=add
            >
                "Add a support channel"
            </button>
            <FieldError problems=Problems::Form(state, "support")/>
        </fieldset>
    }
}

#[component]
fn SupportChannelRow(state: ProductFormState, key: u32) -> impl IntoView {
    let base = format!("{}-{key}", field_id("support"));
    let (kind_id, address_id) = (format!("{base}-kind"), format!("{base}-address"));
    let number = move || state.read(|d| d.support.iter().position(|row| row.key == key).map_or(0, |i| i + 1));
    let read = move |f: fn(&SupportRow) -> String| {
        state.read(|d| d.support.iter().find(|row| row.key == key).map(f).unwrap_or_default())
    };
    let edit = move |change: Box<dyn FnOnce(&mut SupportRow)>| {
        state.update("support", |d| {
            if let Some(row) = d.support.iter_mut().find(|row| row.key == key) {
                change(row);
            }
        });
    };
    view! {
        <li class="support-row" data-testid="support-row">
            <div class="support-row__kind">
                <label for=kind_id.clone()>"Kind" <span class="visually-hidden">" of channel " {number}</span></label>
                <select
                    id=kind_id
                    class="field__control"
                    on:change:target=move |ev| {
                        let value = ev.target().value();
                        if let Some((kind, _)) = SUPPORT_KINDS.iter().find(|(_, name)| *name == value) {
                            let kind = *kind;
                            edit(Box::new(move |row| row.kind = kind));
                        }
                    }
                >
                    {SUPPORT_KINDS
                        .iter()
                        .map(|(_, name)| {
                            view! {
                                <option value=*name prop:selected=move || read(|row| kind_name(row.kind).to_owned()) == *name>
                                    {*name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="support-row__address">
                <label for=address_id.clone()>"Address" <span class="visually-hidden">" of channel " {number}</span></label>
                <input
                    type="text"
                    id=address_id
                    class="field__control"
                    prop:value=move || read(|row| row.address.clone())
                    on:input:target=move |ev| {
                        let value = ev.target().value();
                        edit(Box::new(move |row| row.address = value));
                    }
                    on:blur=move |_| state.touch("support")
                />
            </div>
            <button
                type="button"
                class="button button--quiet support-row__remove"
                on:click=move |_| {
                    state.update("support", |d| d.support.retain(|row| row.key != key));
                    focus("add-support-button");
                }
            >
                "Remove"
                <span class="visually-hidden">" channel " {number}</span>
            </button>
        </li>
    }
}

/// The schema fields holding personal data, masked in samples: one checkbox per field of the schema when the page
/// knows it, a list to type otherwise.
#[component]
fn PersonalFields(state: ProductFormState) -> impl IntoView {
    // Typed text stays as typed (a trailing newline included) while the list it makes goes to the draft.
    let typed = RwSignal::new(state.read_untracked(|d| d.personal_fields.join("\n")));
    let field = "personal_fields";
    live(move || {
        let paths = state.schema_paths();
        if paths.is_empty() {
            let control = view! {
                <textarea
                    id=field_id(field)
                    name=field
                    class="field__control field__control--code"
                    rows=3
                    prop:value=move || typed.get()
                    aria-invalid=invalid(state, field)
                    aria-describedby=described_by(field, true)
                    data-testid="field-personal_fields"
                    on:input:target=move |ev| {
                        let text = ev.target().value();
                        let paths = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
                        typed.set(text);
                        state.update(field, |d| d.personal_fields = paths);
                    }
                    on:blur=move |_| state.touch(field)
                ></textarea>
            };
            return frame(
                state,
                field,
                HintText::Fixed("Schema field paths holding personal data, one per line, e.g. customer.email: they are masked in samples"),
                control,
            )
            .into_any();
        }
        // Fields already marked but not in this schema stay listed, so they are never dropped unseen.
        let mut choices = paths;
        for marked in state.read_untracked(|d| d.personal_fields.clone()) {
            if !choices.contains(&marked) {
                choices.push(marked);
            }
        }
        let boxes = choices
            .into_iter()
            .enumerate()
            .map(|(i, path)| {
                let id = format!("{}-{i}", field_id(field));
                let checked_path = path.clone();
                let toggled_path = path.clone();
                view! {
                    <li class="choice">
                        <input
                            type="checkbox"
                            id=id.clone()
                            data-testid="personal-field"
                            data-path=path.clone()
                            prop:checked=move || state.read(|d| d.personal_fields.contains(&checked_path))
                            on:change:target=move |ev| {
                                let on = ev.target().checked();
                                let path = toggled_path.clone();
                                state.update(field, |d| {
                                    d.personal_fields.retain(|p| *p != path);
                                    if on {
                                        d.personal_fields.push(path);
                                    }
                                });
                                state.touch(field);
                            }
                        />
                        <label for=id><code>{path}</code></label>
                    </li>
                }
            })
            .collect_view();
        view! {
            <fieldset
                class="field field--group"
                id=field_id(field)
                tabindex="-1"
                aria-describedby=described_by(field, true)
            >
                <legend class="field__label">{label(field)}</legend>
                <p class="field__hint" id=hint_id(field)>
                    "Tick every field that holds personal data: it is masked in samples"
                </p>
                <ul class="choices" role="list">{boxes}</ul>
                <FieldError problems=Problems::Form(state, field)/>
            </fieldset>
        }
        .into_any()
    })
}
