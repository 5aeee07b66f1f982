//! The API's integration tests, one binary: each module one area, against real services (`scripts/test` starts
//! Kafka, moto_server and Apicurio Registry and names them in `MESHPORT_TEST_*` variables); `common` holds the test
//! application and the helpers they share.

mod access;
mod accounts;
mod acls;
mod audit_events;
mod auth;
mod catalog_api;
mod catalog_conformance;
mod cli;
mod common;
mod demo_catcher;
mod deployment;
mod embed;
mod events;
mod kafka_admin;
mod notify;
mod openapi;
mod ownership;
mod products_as_code;
mod proposals;
mod registry_client;
mod reminders;
mod samples;
mod server;
mod sync;
mod tokens;
mod watch;
