//! The portal's pages, one file each.

pub mod explore;
