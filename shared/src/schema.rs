//! Schema shapes shared by the API and the portal: the fields of a schema and the changes between versions.
