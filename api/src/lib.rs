//! Meshport's API as a library: the router, its state and the modules behind it. `main.rs` only launches it.

pub mod access;
pub mod accounts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod code;
pub mod config;
pub mod demo;
pub mod discovery;
pub mod embed;
pub mod error;
pub mod kafka;
pub mod lambda;
pub mod lifecycle;
pub mod mesh;
pub mod notify;
pub mod proposals;
pub mod registry;
pub mod reminders;
pub mod routes;
pub mod sample;
pub mod schema;
pub mod search;
pub mod secrets;
pub mod state;
pub mod sync;
pub mod tokens;
pub mod watch;

/// An error and its causes on one line (each cause once), for messages about a dependency's failure.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
