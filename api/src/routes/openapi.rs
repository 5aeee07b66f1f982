//! The API's OpenAPI document, served at `GET /api/v1/openapi.json`: generated from the handlers' `#[utoipa::path]`
//! annotations and the shared types' schemas. Who may call each operation (the bearer scheme, optional for the
//! catalog's reads where they are public) and the errors every catalog route shares are written from the route table
//! itself, so the document cannot drift from the router; a test checks that every route served is documented and
//! nothing else.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Object, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Server};

use super::{
    Access, Verb, access, accounts, auth, channels, code, embed, events, health, notifications, portal, products,
    proposals, schemas, tokens, watch,
};
use crate::state::AppState;

#[derive(OpenApi, Debug)]
#[openapi(
    info(
        title = "Meshport API",
        description = "The data mesh portal's API: search and read data products, publish, create, change and retire \
            them. Every `/api/v1` route needs `Authorization: Bearer <token>` (an OIDC token of the organisation's \
            identity provider, a dev token locally, or a team's API token `mpt_...`), reads included, except dev sign-in, this document and, where \
            the organisation sets `MESHPORT_PUBLIC_READS=true`, the catalog's reads (search, a product's page, the \
            policy): each operation's `security` says which. Every error is `{code, message, details}` with a \
            stable `code`.",
        license(name = "Apache-2.0")
    ),
    paths(
        health::health,
        openapi,
        products::policy,
        products::list,
        products::publish,
        products::create,
        products::get,
        products::update,
        products::history,
        products::evolve,
        products::diff,
        products::deprecate,
        products::retire,
        products::change_topic,
        products::delete_topic,
        products::sample,
        products::publishable,
        products::activity,
        events::feed,
        products::sync,
        access::request,
        access::for_product,
        access::inbox,
        access::mine,
        access::decide,
        accounts::list,
        accounts::register,
        accounts::rotate,
        accounts::delete,
        channels::get,
        channels::put,
        access::successor,
        access::unmanaged,
        access::consumers,
        access::retirement,
        schemas::check,
        schemas::subject,
        auth::me,
        auth::sign_in_options,
        auth::dev_users,
        auth::dev_token,
        embed::card,
        embed::oembed,
        embed::badge,
        portal::product_page,
        notifications::dead_letters,
        notifications::redeliver,
        watch::get,
        watch::put,
        watch::delete,
        watch::settings,
        watch::set_settings,
        tokens::list,
        tokens::create,
        tokens::revoke,
        code::export,
        code::import,
        proposals::for_product,
        proposals::mine,
        proposals::decide,
    ),
    components(schemas(meshport_shared::ApiError, meshport_shared::search::SortOrder, code::Part)),
    tags(
        (name = "catalog", description = "Search and read data products, the mesh's activity and the policy"),
        (name = "changes", description = "Publish, create, update, evolve, deprecate and retire data products"),
        (name = "access", description = "Ask for access to a product, decide on requests, see grants; a team's service accounts"),
        (name = "schemas", description = "Checks and previews for the portal's forms"),
        (name = "sign-in", description = "Who is calling, and dev sign-in for local runs"),
        (name = "embeds", description = "Cards, oEmbed and badges for wikis, outside the JSON API"),
        (name = "operations", description = "Health, sync and this document"),
        (name = "portal", description = "The portal's pages, where the local server serves the portal"),
    )
)]
struct ApiDoc;

/// The generated part, built once per process.
static GENERATED: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut document = ApiDoc::openapi();
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "A JSON Web Token of the organisation's identity provider (RS256 or ES256), or, where dev sign-in \
                     is on, one from `POST /api/v1/dev/token`; or a team's API token (`mpt_<id>_<secret>`, from \
                     `POST /api/v1/teams/{team}/tokens`)",
                ))
                .build(),
        ),
    );
    for route in super::documented() {
        let Some(operation) = operation(&mut document, route) else {
            continue;
        };
        let unauthorized = match route.access {
            // An empty requirement: no sign-in needed.
            Access::Open => {
                operation.security = Some(vec![SecurityRequirement::default()]);
                None
            }
            // Its `security` depends on `MESHPORT_PUBLIC_READS`: `document` sets it.
            Access::Catalog => Some(
                "`unauthorized`: no token (where reads are not public) or one that does not verify; `token_expired` or \
                 `token_revoked`: an API token that expired or was revoked",
            ),
            Access::Members => {
                operation.security = Some(vec![bearer()]);
                Some(
                    "`unauthorized`: no token (sign-in is needed here even where reads are public), or one that does \
                     not verify; `token_expired` or `token_revoked`: an API token that expired or was revoked",
                )
            }
        };
        if let Some(unauthorized) = unauthorized {
            add(operation, "401", unauthorized);
            add(
                operation,
                "503",
                "a dependency is down: `catalog_unavailable`, `kafka_unavailable`, `registry_unavailable` or \
                 `identity_provider_unavailable`; retry later",
            );
        }
        if route.access == Access::Members && route.changes() {
            add(operation, "403", "`forbidden`: an API token whose scope is `read` changes nothing");
        }
        if route.path.starts_with("/api/") {
            add(operation, "500", "`internal`: something went wrong on the server's side; it has been logged");
        }
        for parameter in operation.parameters.iter_mut().flatten() {
            if let Some(RefOr::T(Schema::Object(schema))) = &mut parameter.schema {
                never_null(schema);
            }
        }
    }
    document
});

/// A parameter is left out rather than sent as null, and a query string or header has no null to send: the
/// derive's `["string", "null"]` for an optional parameter would let a client send the text `null`.
fn never_null(schema: &mut Object) {
    if let SchemaType::Array(types) = &schema.schema_type {
        let types: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
        schema.schema_type = match types.as_slice() {
            [one] => SchemaType::Type(one.clone()),
            _ => SchemaType::Array(types),
        };
    }
}

/// The OpenAPI document, with the portal's URL (under which the API is served) as its server. The catalog's reads
/// take a token, or none at all where `public_reads` (`MESHPORT_PUBLIC_READS`).
pub fn document(portal_url: &str, public_reads: bool) -> utoipa::openapi::OpenApi {
    let mut document = GENERATED.clone();
    document.servers = Some(vec![Server::new(portal_url)]);
    let security = if public_reads { vec![bearer(), SecurityRequirement::default()] } else { vec![bearer()] };
    for route in super::documented().into_iter().filter(|route| route.access == Access::Catalog) {
        if let Some(operation) = operation(&mut document, route) {
            operation.security = Some(security.clone());
        }
    }
    document
}

/// The requirement of a bearer token.
fn bearer() -> SecurityRequirement {
    SecurityRequirement::new("bearer", Vec::<String>::new())
}

/// The operation of `route` in `document`, when it is documented.
fn operation(document: &mut utoipa::openapi::OpenApi, route: super::Route) -> Option<&mut Operation> {
    let item = document.paths.paths.get_mut(route.path)?;
    match route.method {
        Verb::Get => item.get.as_mut(),
        Verb::Post => item.post.as_mut(),
        Verb::Put => item.put.as_mut(),
        Verb::Patch => item.patch.as_mut(),
        Verb::Delete => item.delete.as_mut(),
    }
}

/// An error response with the shared error body, unless the operation documents that status itself.
fn add(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(description));
}

/// A response whose body is the API's error shape `{code, message, details}`.
pub fn error_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
pub async fn openapi(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    Json(document(&state.embed.portal_url, state.auth.public_reads()))
}
