//! What a domain operation can fail with, in the domain's words. Lifecycle, sync, samples, sign-in and the workers to
//! come return this; only `routes` turns it into an HTTP status and an error code.

use meshport_shared::Violation;

use crate::catalog::StoreError;
use crate::kafka::KafkaError;
use crate::registry::RegistryError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A request that cannot be carried out as it stands: malformed, or with nothing to do.
    #[error("{0}")]
    Invalid(String),
    /// A change sent without the revision it was decided on.
    #[error("{0}")]
    MissingRevision(String),
    /// A change decided on a revision that is no longer the current one.
    #[error("{0}")]
    Stale(String),
    /// A change that collides with what exists (a product that is there already, a retired one, a draft's topic).
    #[error("{0}")]
    Conflict(String),
    /// Nobody is signed in, or the identity could not be verified.
    #[error("{0}")]
    Unauthorized(String),
    /// A verified identity that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Rules the request breaks (a product's governance, an access request's limits, a team's channels), every one
    /// of them.
    #[error("the request breaks {} rule(s): each is in `details`", .0.len())]
    Violations(Vec<Violation>),
    /// A schema text that cannot be read in its format.
    #[error("{0}")]
    InvalidSchema(String),
    /// A schema change that breaks consumers; each breaking change is one entry.
    #[error("the new schema breaks consumers in {} way(s) at compatibility level {level}", .changes.len())]
    Incompatible { level: String, changes: Vec<Violation> },
    /// The identity provider cannot be reached, so nobody can sign in or be verified.
    #[error("{0}")]
    IdentityProviderUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// An API token past its expiry.
    #[error("{0}")]
    TokenExpired(String),
    /// An API token its team revoked.
    #[error("{0}")]
    TokenRevoked(String),
}
