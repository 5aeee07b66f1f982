//! Meshport's API as a library: the router, its state and the modules behind it. `main.rs` only launches it.

pub mod app;
pub mod audit;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod embed;
pub mod kafka;
pub mod registry;
pub mod routes;
pub mod schema;
pub mod search;
