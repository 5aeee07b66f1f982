//! Pieces more than one page uses.

pub mod feedback;
pub mod form;
pub mod layout;
pub mod product_card;
pub mod product_form;
pub mod sign_in;
pub mod status_badge;
