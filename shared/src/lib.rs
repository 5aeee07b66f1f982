//! Meshport's shared vocabulary: what a data product is, the names it is made of, the organisation's governance
//! policy and the one `validate` that enforces it, and the API's request, response and error shapes.
//!
//! This crate does no I/O and builds for `wasm32-unknown-unknown`, so the portal and the API check input with the
//! very same functions.

pub mod access;
pub mod accounts;
pub mod api;
pub mod events;
pub mod mirror;
pub mod names;
pub mod policy;
pub mod product;
pub mod proposals;
pub mod schema;
pub mod search;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokens;

pub use api::{ApiError, ErrorCode};
pub use mirror::{AuditAction, AuditEntry, AuditStage, ConfigSource, HistoryKind, SchemaVersion, TopicFacts};
pub use names::{DomainName, GroupName, NameError, Principal, ProductId, SubjectName, TeamName, TopicName, Trail};
pub use policy::{GovernancePolicy, SchemaFact, TopicLimits, Violation, ViolationCode, validate};
pub use product::{
    DataProduct, Deprecation, Description, OutputPort, Owner, ProductStatus, Quality, SchemaFormat, SlaTier,
    SupportChannel, SupportKind,
};
