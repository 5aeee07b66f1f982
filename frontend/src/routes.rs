//! The portal's pages, one file each.

pub mod access;
pub mod activity;
pub mod create;
pub mod explore;
pub mod manage;
pub mod product;
pub mod publish;
pub mod sign_in;
