//! The schema registry client (Confluent REST API): the only module that knows the registry's REST shapes.
