//! A small, in-memory schema registry that speaks Confluent Schema Registry's REST API, for local runs and tests.
//!
//! It is not for production: everything lives in memory and is gone when the process ends, there is no
//! authentication, and one process is the whole registry.
//!
//! # What it implements
//!
//! The documented v1 API, with Confluent's content type (`application/vnd.schemaregistry.v1+json`; requests may
//! also say `application/json` or nothing), error bodies `{"error_code", "message"}` and error codes:
//!
//! - `GET /`, `GET /schemas/types`, `GET /schemas/ids/{id}` (`/schema`, `/versions`, `/subjects`);
//! - `GET /subjects`, `GET|POST /subjects/{subject}/versions`, `GET|DELETE /subjects/{subject}/versions/{v}`
//!   (`{v}` is a number, `latest` or `-1`), `GET .../versions/{v}/schema`, `POST|DELETE /subjects/{subject}`,
//!   with soft deletes, `?permanent=true` and `?deleted=true`;
//! - `POST /compatibility/subjects/{subject}/versions[/{v}]` with `?verbose=true`;
//! - `GET|PUT /config`, `GET|PUT|DELETE /config/{subject}` with `?defaultToGlobal=true`.
//!
//! The same schema registered under two subjects shares one global id; registering a schema a subject already has
//! returns its existing id. Two texts are the same schema when they have the same type and references and are
//! equal up to JSON whitespace and key order. Avro's Parsing Canonical Form is deliberately not the key: it drops
//! defaults, and adding a default is how a schema becomes compatible.
//!
//! # Compatibility
//!
//! The default level is `BACKWARD`. Avro schemas are parsed and checked with `apache-avro`, which decides whether
//! a reader schema can read a writer schema's data; this crate only chooses who reads whom (backward: the new
//! schema reads the old; forward: the old reads the new; full: both) and against which versions (the latest, or
//! every live one for the `_TRANSITIVE` levels), and words the verdict in Confluent's verbose format.
//!
//! JSON and Protobuf schemas are stored (JSON must parse as JSON; Protobuf is stored as given) but their
//! compatibility is **not** checked: rather than claim a compatibility it cannot know, the registry accepts a
//! second version of such a subject only under `NONE`, and otherwise answers 422 with error code 42201 and a
//! message saying it checks AVRO only.
//!
//! # Known differences from Confluent
//!
//! - Schemas are returned as first registered, where Confluent returns its own re-serialisation.
//! - An incompatible registration answers error code 409 (Confluent Platform 7; Confluent 8 says 40901).
//! - Modes, contexts, metadata, rule sets, `normalize` and `format` are not implemented and are ignored.

mod compatibility;
mod error;
mod routes;
mod schema;
mod store;

/// The registry's whole HTTP API over a new, empty, in-memory store.
pub fn router() -> axum::Router {
    routes::router()
}
