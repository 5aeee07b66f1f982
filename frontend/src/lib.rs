//! Placeholder until the portal lands.
