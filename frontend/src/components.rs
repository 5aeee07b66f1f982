//! Pieces more than one page uses.

pub mod feedback;
pub mod layout;
pub mod product_card;
