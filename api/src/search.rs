//! Product search over the catalog: full text, filters, facets, sorting and cursor pagination, served from memory.
