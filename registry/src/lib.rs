//! Placeholder until the dev registry lands.
