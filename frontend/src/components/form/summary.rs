//! The summary of every problem a submit shows, each linked to its field.

use leptos::html;
use leptos::prelude::*;

use super::{field_id, focus, with_code};
use crate::components::product_form::{ProductFormState, label};
use crate::reactive::live;

/// Every problem, each linked to its field, shown once a submit was attempted. The page focuses it (through
/// `node_ref`) after a refused submit, so keyboard and screen reader users land on the list.
#[component]
pub fn ProblemSummary(
    state: ProductFormState,
    /// E.g. "Fix these problems before publishing".
    title: &'static str,
    node_ref: NodeRef<html::Div>,
) -> impl IntoView {
    let items = live(move || {
        let problems = state.problems();
        let count = match problems.len() {
            1 => "1 problem".to_owned(),
            n => format!("{n} problems"),
        };
        let items = problems
            .into_iter()
            .map(|problem| {
                let item = match label(&problem.field) {
                    Some(name) => {
                        let target = field_id(&problem.field);
                        view! {
                            <a href=format!("#{target}") on:click=move |ev| {
                                // The router would treat the link as navigation; focusing the field is all it does.
                                ev.prevent_default();
                                focus(&target);
                            }>{name}</a>
                            ": "
                            {with_code(&problem.message)}
                        }
                        .into_any()
                    }
                    None => view! { <code>{problem.field}</code> ": " {with_code(&problem.message)} }.into_any(),
                };
                view! { <li data-testid="summary-item">{item}</li> }
            })
            .collect_view();
        view! {
            <h2 id="problem-summary-title" class="summary__title">
                {title}
                " ("
                {count}
                ")"
            </h2>
            <ul class="summary__list">{items}</ul>
        }
        .into_any()
    });
    let shown = move || state.revealed() && !state.problems().is_empty();
    view! {
        // What was typed before came back (`crate::drafts`): say so, or people wonder where it came from.
        <p class="notice" role="status" data-testid="draft-restored" hidden=move || !state.restored()>
            "What you typed here before is back, kept in this tab until it is saved."
        </p>
        <div
            class="summary"
            tabindex="-1"
            node_ref=node_ref
            aria-labelledby="problem-summary-title"
            data-testid="problem-summary"
            hidden=move || !shown()
        >
            {items}
        </div>
    }
}

/// Focuses the problem summary once this render has shown it, so keyboard and screen reader users land on the list
/// after a refused submit.
pub fn focus_summary(summary: NodeRef<html::Div>) {
    request_animation_frame(move || {
        if let Some(summary) = summary.get_untracked() {
            let _ = summary.focus();
        }
    });
}
