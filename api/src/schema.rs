//! Avro schemas read for people: the field tree of a schema and the differences between two versions, in words.
