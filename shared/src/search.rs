//! Search shapes shared by the API and the portal: the query, filters, facets and a page of results.
