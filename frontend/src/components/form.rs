//! The portal's form controls, for every form: a field's frame (label, hint, control, problems), text fields,
//! `<select>`s, options and radio buttons, the one `FieldError` every field shows its problems with, the summary of
//! every problem a submit shows, and the DOM ids and ARIA attributes that tie a control to its hint and its problems
//! (`aria-describedby`, `aria-invalid`).
//!
//! Controls of the product form (Publish, Create, Manage's edit, and the fields pages add to it) are bound to its
//! `ProductFormState` by the field path the API's violations use, so a problem found by the policy, a page's own
//! check or the API shows next to the same field. Manage's other changes have fields of their own (`Field`), each
//! showing what the API said about it.

mod control;
mod field;
mod summary;

pub use control::{choice, fixed_options, options, radio, select, text_area, text_input};
pub use field::{
    Field, FieldError, HintText, Problems, described_by, error_id, field_id, focus, frame, hint_id, invalid,
    invalid_if, with_code,
};
pub use summary::{ProblemSummary, focus_summary};
