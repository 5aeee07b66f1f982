//! Meshport's API as a library: the router, its state and the modules behind it. `main.rs` only launches it.

pub mod app;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod discovery;
pub mod embed;
pub mod kafka;
pub mod lambda;
pub mod lifecycle;
pub mod registry;
pub mod routes;
pub mod sample;
pub mod schema;
pub mod search;
pub mod secrets;
pub mod sync;
