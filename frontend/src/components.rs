//! Pieces more than one page uses.

pub mod change;
pub mod feedback;
pub mod form;
pub mod layout;
pub mod product_card;
pub mod product_form;
pub mod proposal;
pub mod sign_in;
pub mod status_badge;
