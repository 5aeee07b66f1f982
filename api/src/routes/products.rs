//! The catalog's routes: search and read products, their history and the mesh's activity; publish, create, update,
//! evolve, deprecate and retire them; delete their topics; the governance policy; sync on demand.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use meshport_shared::api::Sample;
use meshport_shared::api::{
    Activity, ConsumeInfo, CreateRequest, DeprecateRequest, EvolveRequest, EvolveResponse, ProductDetail, ProductLinks,
    PublishableTopic, RetireRequest, TopicChangeRequest, VersionSummary,
};
use meshport_shared::schema::SchemaChange;
use meshport_shared::search::SortOrder;
use meshport_shared::search::{SearchPage, SearchQuery};
use meshport_shared::{
    ApiError, DataProduct, DomainName, GovernancePolicy, ProductId, ProductStatus, Quality, SlaTier, SubjectName,
};
use serde::Deserialize;

use super::AppError;
use super::extract::{Body, Caller, Params, ProductPath, SignedIn};
use crate::discovery::DiscoveryError;
use crate::lifecycle::Run;
use crate::registry::CompatibilityLevel;
use crate::state::AppState;
use crate::sync::SyncReport;
use crate::{lifecycle, sync};

/// How many audit entries the product page shows.
const HISTORY_ON_PAGE: usize = 20;

/// `GET /api/v1/products?q=&domain=&team=&quality=&sla=&status=&tag=&sort=&cursor=&limit=`
#[utoipa::path(
    get,
    path = "/api/v1/products",
    tag = "catalog",
    params(
        ("q" = Option<String>, Query, max_length = 200, description = "Free text over names, descriptions, tags and schema field names, up to 200 characters; the last word matches as a prefix"),
        ("domain" = Option<Vec<String>>, Query, description = "Domains; repeat for any of several"),
        ("team" = Option<Vec<String>>, Query, description = "Owning teams; repeat for any of several"),
        ("quality" = Option<Vec<Quality>>, Query, description = "Qualities; repeat for any of several"),
        ("sla" = Option<Vec<SlaTier>>, Query, description = "SLA tiers; repeat for any of several"),
        ("status" = Option<Vec<ProductStatus>>, Query, description = "Statuses; retired products are listed only when asked for"),
        ("tag" = Option<Vec<String>>, Query, description = "Tags; repeat for any of several"),
        ("sort" = Option<SortOrder>, Query, description = "`relevance` (the default with text), `name` (the default without), `updated` or `domain`"),
        ("cursor" = Option<String>, Query, pattern = "^01[0-9a-f]{24}$", description = "`next_cursor` of the previous page of the same search (text, filters and order): only a cursor the API handed out for it is taken"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Results per page, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "One page of matching products, with facet counts over all matches", body = SearchPage),
        (status = 400, description = "`bad_request`: an unknown parameter or value, naming it", body = ApiError),
    )
)]
pub async fn list(State(state): State<AppState>, uri: Uri) -> Result<Json<SearchPage>, AppError> {
    let query = SearchQuery::from_query_string(uri.query().unwrap_or_default())
        .map_err(|e| AppError::invalid(e.to_string()))?;
    let page = state.mesh.discovery.search(state.mesh.catalog.as_ref(), &query).await.map_err(|e| match e {
        DiscoveryError::Store(e) => AppError::from(e),
        DiscoveryError::Search(e) => AppError::invalid(e.to_string()),
    })?;
    Ok(Json(page))
}

/// `GET /api/v1/products/{id}`: the product with everything the mirror knows about it.
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}",
    tag = "catalog",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    responses(
        (status = 200, description = "The product page: the product, its topic, schema, versions, consumers, links, history (for signed-in callers only; empty otherwise), how to consume it and its lineage", body = ProductDetail),
        (status = 400, description = "`bad_request`: not a product id", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ProductPath(id): ProductPath,
) -> Result<Json<ProductDetail>, AppError> {
    let Some(product) = state.mesh.catalog.get_product(&id).await? else {
        return Err(AppError::not_found(format!("no data product `{id}`")));
    };
    let subject = product.output_port.value_subject.as_str().to_owned();
    // The history (who changed what, the product before and after) is for members, as its own route is.
    let history = async {
        match caller {
            Some(_) => state.mesh.catalog.product_history(&id, HISTORY_ON_PAGE).await,
            None => Ok(Vec::new()),
        }
    };
    let (topic, versions, history, lineage) = tokio::try_join!(
        state.mesh.catalog.topic(&product.output_port.topic),
        state.mesh.catalog.schema_versions(&subject),
        history,
        state.mesh.discovery.lineage(state.mesh.catalog.as_ref(), &product),
    )?;
    let mut warnings = Vec::new();
    match &topic {
        Some(t) if !t.present => {
            warnings.push(format!("topic `{}` was not found on the cluster at the last sync", t.name))
        }
        None => warnings.push(format!("topic `{}` has not been synced yet", product.output_port.topic)),
        Some(_) => {}
    }
    let schema = versions.last().map(super::schemas::schema_detail);
    if schema.is_none() {
        warnings.push(format!("no version of `{subject}` is in the mirror yet"));
    }
    let consumers = topic.as_ref().map(|t| t.consumers.clone()).unwrap_or_default();
    let links = links(&state, &product);
    let versions = versions.iter().map(|v| VersionSummary { version: v.version, id: v.id }).collect();
    let consume = ConsumeInfo {
        bootstrap_servers: state.public.kafka_bootstrap.clone(),
        registry_url: state.public.registry_url.clone(),
        topic: product.output_port.topic.clone(),
        value_subject: product.output_port.value_subject.clone(),
        key_subject: product.output_port.key_subject.clone(),
        format: product.output_port.schema_format,
        security: state.public.kafka_security.clone(),
    };
    Ok(Json(ProductDetail { product, topic, schema, versions, consumers, links, history, warnings, consume, lineage }))
}

fn links(state: &AppState, product: &DataProduct) -> ProductLinks {
    let base = state.embed.portal_url.trim_end_matches('/');
    let id = &product.id;
    let (card_width, card_height) = crate::embed::card_size(product, None, None);
    ProductLinks {
        portal: format!("{base}/products/{id}"),
        embed: format!("{base}/embed/products/{id}"),
        badge: format!("{base}/badge/products/{id}/status.svg"),
        card_width,
        card_height,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// How many entries, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

fn limit(query: &Limit) -> Result<usize, AppError> {
    match query.limit {
        None => Ok(50),
        Some(n @ 1..=500) => Ok(n),
        Some(n) => Err(AppError::invalid(format!("limit {n} is out of range: use 1 to 500"))),
    }
}

/// `GET /api/v1/products/{id}/history?limit=`
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/history",
    tag = "catalog",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), Limit),
    responses(
        (status = 200, description = "The product's audit entries, newest first", body = Activity),
        (status = 400, description = "`bad_request`: a bad id or limit", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    ProductPath(id): ProductPath,
    Params(query): Params<Limit>,
) -> Result<Json<Activity>, AppError> {
    let items = state.mesh.catalog.product_history(&id, limit(&query)?).await?;
    if items.is_empty() && state.mesh.catalog.get_product(&id).await?.is_none() {
        return Err(AppError::not_found(format!("no data product `{id}`")));
    }
    Ok(Json(crate::audit::page(items)))
}

/// `GET /api/v1/activity?limit=`: recent changes across the mesh.
#[utoipa::path(
    get,
    path = "/api/v1/activity",
    tag = "catalog",
    params(Limit),
    responses(
        (status = 200, description = "Recent changes across the mesh, newest first", body = Activity),
        (status = 400, description = "`bad_request`: a bad limit", body = ApiError),
    )
)]
pub async fn activity(State(state): State<AppState>, Params(query): Params<Limit>) -> Result<Json<Activity>, AppError> {
    Ok(Json(crate::audit::page(state.mesh.catalog.recent_activity(limit(&query)?).await?)))
}

/// `GET /api/v1/domains/{domain}/publishable-topics`: the mirror's topics that no product uses yet. Topics belong
/// to no domain on the cluster, so every unpublished topic is offered to every domain the policy knows.
#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain}/publishable-topics",
    tag = "catalog",
    params(("domain" = DomainName, Path, description = "A domain of the policy, e.g. `analytics`")),
    responses(
        (status = 200, description = "Synced topics that are not products yet", body = Vec<PublishableTopic>),
        (status = 400, description = "`bad_request`: not a domain name", body = ApiError),
        (status = 404, description = "`not_found`: the policy has no such domain", body = ApiError),
    )
)]
pub async fn publishable(
    State(state): State<AppState>,
    Path(domain): Path<String>,
) -> Result<Json<Vec<PublishableTopic>>, AppError> {
    let domain = DomainName::parse(domain).map_err(|e| AppError::invalid(e.to_string()))?;
    if !state.mesh.policy.domains.is_empty() && state.mesh.policy.domain(&domain).is_none() {
        return Err(AppError::not_found(format!("no domain `{domain}` in the organisation's policy")));
    }
    let (topics, products, versions) = tokio::try_join!(
        state.mesh.catalog.list_topics(),
        state.mesh.catalog.list_products(),
        state.mesh.catalog.all_schema_versions()
    )?;
    let published: std::collections::HashSet<&str> = products.iter().map(|p| p.output_port.topic.as_str()).collect();
    let subjects: std::collections::HashSet<&str> = versions.iter().map(|v| v.subject.as_str()).collect();
    let policy = &state.mesh.policy;
    let teams = policy.domain(&domain).map_or(&[][..], |d| d.teams.as_slice());
    let topics = topics
        .into_iter()
        .filter(|t| t.present && !published.contains(t.name.as_str()))
        .filter(|t| policy.ownership.claimable_in(&t.name, &domain, teams))
        .map(|t| PublishableTopic {
            has_value_schema: subjects.contains(SubjectName::value_of(&t.name).as_str()),
            name: t.name,
            partitions: t.partitions,
            history: t.history,
        })
        .collect();
    Ok(Json(topics))
}

/// `GET /api/v1/products/{id}/sample?limit=`: the newest events, decoded, personal fields masked (default 10).
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/sample",
    tag = "catalog",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "How many events, 1 to 100 (default 10)")),
    responses(
        (status = 200, description = "The newest events, decoded, personal fields masked; an event that cannot be decoded says why in `undecodable`", body = Sample),
        (status = 400, description = "`bad_request`: a bad id or limit", body = ApiError),
        (status = 403, description = "`forbidden`: not the owning team, an org admin, nor a team with an active grant", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 503, description = "`kafka_unavailable`: Kafka cannot be reached, or Meshport is reading as many samples as it reads at once; `Retry-After` says when to try again (`catalog_unavailable` likewise)", body = ApiError,
            headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
    )
)]
pub async fn sample(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    Params(query): Params<Limit>,
) -> Result<Json<Sample>, (HeaderMap, AppError)> {
    let read = async {
        let limit = match query.limit {
            None => 10,
            Some(n @ 1..=100) => n,
            Some(n) => return Err(AppError::invalid(format!("limit {n} is out of range: use 1 to 100"))),
        };
        let Some(product) = state.mesh.catalog.get_product(&id).await? else {
            return Err(AppError::not_found(format!("no data product `{id}`")));
        };
        if !crate::access::may_read(&state.mesh, &who, &product).await? {
            return Err(AppError::forbidden(format!(
                "only team `{}`, org admins and teams with an active grant see `{id}`'s events: ask for access",
                product.owner.team
            )));
        }
        Ok(Json(crate::sample::sample(&state.mesh, &product, limit).await?))
    };
    read.await.map_err(|error| {
        let mut headers = HeaderMap::new();
        // A sample refused because others are being read, or Kafka is away, is worth trying again shortly.
        if error.status_and_code().0 == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
        }
        (headers, error)
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DryRun {
    /// Run every check, change nothing and record nothing: 200 with the product that would be stored.
    #[serde(default)]
    dry_run: bool,
}

impl DryRun {
    fn run(&self) -> Run {
        if self.dry_run { Run::DryRun } else { Run::Apply }
    }
}

/// 201 with the stored product, or 200 with the product a dry run would have stored.
fn written(run: Run, product: DataProduct) -> (StatusCode, Json<DataProduct>) {
    let status = if run == Run::DryRun { StatusCode::OK } else { StatusCode::CREATED };
    (status, Json(product))
}

/// `POST /api/v1/products/publish?dry_run=`: an existing topic becomes a product.
#[utoipa::path(
    post,
    path = "/api/v1/products/publish",
    tag = "changes",
    params(DryRun),
    request_body = DataProduct,
    responses(
        (status = 201, description = "Published: the product as stored", body = DataProduct),
        (status = 200, description = "A dry run passed: the product as it would be stored; nothing changed", body = DataProduct),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 409, description = "`conflict`: the product exists already", body = ApiError),
        (status = 413, description = "`payload_too_large`", body = ApiError),
        (status = 422, description = "`validation_failed`: every broken rule in `details`", body = ApiError),
    )
)]
pub async fn publish(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Params(query): Params<DryRun>,
    Body(product): Body<DataProduct>,
) -> Result<(StatusCode, Json<DataProduct>), AppError> {
    let run = query.run();
    Ok(written(run, lifecycle::publish(&state.mesh, &who, product, run).await?))
}

/// `POST /api/v1/products/create?dry_run=`: topic, schema and product in one step.
#[utoipa::path(
    post,
    path = "/api/v1/products/create",
    tag = "changes",
    params(DryRun),
    request_body = CreateRequest,
    responses(
        (status = 201, description = "Topic created, schema registered, product active", body = DataProduct),
        (status = 200, description = "A dry run passed: the product as it would be stored; nothing changed", body = DataProduct),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 409, description = "`conflict`: the product exists, or a step failed after the draft was stored (the message says what is left)", body = ApiError),
        (status = 413, description = "`payload_too_large`", body = ApiError),
        (status = 422, description = "`validation_failed`: every broken rule in `details`", body = ApiError),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Params(query): Params<DryRun>,
    Body(request): Body<CreateRequest>,
) -> Result<(StatusCode, Json<DataProduct>), AppError> {
    let run = query.run();
    Ok(written(run, lifecycle::create(&state.mesh, &who, request, run).await?))
}

/// `PUT /api/v1/products/{id}`: new metadata. The revision read comes in `If-Match` or in the body's `revision`.
#[utoipa::path(
    put,
    path = "/api/v1/products/{id}",
    tag = "changes",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), IfMatchRequired),
    request_body = DataProduct,
    responses(
        (status = 200, description = "The product as stored, at its next revision", body = DataProduct),
        (status = 400, description = "`bad_request`: a malformed body or If-Match, or no revision read", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 409, description = "`conflict`: the product changed since it was read", body = ApiError),
        (status = 422, description = "`validation_failed`: every broken rule in `details`", body = ApiError),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    headers: HeaderMap,
    Body(mut product): Body<DataProduct>,
) -> Result<Json<DataProduct>, AppError> {
    if let Some(revision) = if_match(&headers)? {
        product.revision = revision;
    }
    Ok(Json(lifecycle::update(&state.mesh, &who, &id, product).await?))
}

/// `If-Match`: the product's revision the caller read, which wins over one in the body or query.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code, reason = "documents the header `if_match` reads")]
pub struct IfMatch {
    /// The revision read: `"3"`, `W/"3"` or `3`; wins over the one in the body or query.
    #[param(rename = "If-Match", pattern = r#"^(W/)?"?[1-9][0-9]{0,18}"?$"#)]
    if_match: Option<String>,
}

/// `If-Match` where the body cannot carry the revision: a product's metadata, whose `revision` the API sets.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code, reason = "documents the header `if_match` reads")]
pub struct IfMatchRequired {
    /// The revision read: `"3"`, `W/"3"` or `3`; wins over the product's `revision`.
    #[param(rename = "If-Match", pattern = r#"^(W/)?"?[1-9][0-9]{0,18}"?$"#)]
    if_match: String,
}

/// The revision in `If-Match` (`"3"`, `W/"3"` or `3`), which wins over one in the body or query.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, AppError> {
    let Some(tag) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let tag = tag.to_str().unwrap_or_default().trim().trim_start_matches("W/").trim_matches('"');
    tag.parse()
        .map(Some)
        .map_err(|_| AppError::invalid(format!("If-Match `{tag}` is not a product revision like \"3\"")))
}

/// `POST /api/v1/products/{id}/schema`: check, and unless a dry run register, a new value schema. The revision read
/// comes in `If-Match` or in the body's `revision`.
#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/schema",
    tag = "changes",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), IfMatch),
    request_body = EvolveRequest,
    responses(
        (status = 200, description = "Compatibility, every change in words, and what was registered or made", body = EvolveResponse),
        (status = 202, description = "A breaking change to a product with subscribers, asked as a new major version: stored as a change proposal (in `proposal`) waiting for their sign-off", body = EvolveResponse),
        (status = 400, description = "`bad_request`: a malformed body, or no revision on a real run", body = ApiError),
        (status = 403, description = "`forbidden`: a real run (not `dry_run`) by a caller who is not a member of the owning team nor an admin, or whose token's scope is `read`; a dry run is anyone's who is signed in", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 409, description = "`conflict` (a stale revision, or a product that does not evolve) or `incompatible_schema` (each breaking change in `details`)", body = ApiError),
        (status = 422, description = "`validation_failed`: the schema does not read", body = ApiError),
    )
)]
pub async fn evolve(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    headers: HeaderMap,
    Body(mut request): Body<EvolveRequest>,
) -> Result<(StatusCode, Json<EvolveResponse>), AppError> {
    if let Some(revision) = if_match(&headers)? {
        request.revision = revision;
    }
    let response = lifecycle::evolve(&state.mesh, &who, &id, request).await?;
    let status = if response.proposal.is_some() { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, Json(response)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// The older version.
    from: i32,
    /// The newer version.
    to: i32,
}

/// `GET /api/v1/products/{id}/schema/diff?from=1&to=2`: what changed between two mirrored versions.
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/schema/diff",
    tag = "catalog",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), DiffQuery),
    responses(
        (status = 200, description = "Every change between the two versions, each marked breaking or not", body = Vec<SchemaChange>),
        (status = 400, description = "`bad_request`: bad versions, or schemas that cannot be compared", body = ApiError),
        (status = 404, description = "`not_found`: no such product or version", body = ApiError),
    )
)]
pub async fn diff(
    State(state): State<AppState>,
    ProductPath(id): ProductPath,
    Params(query): Params<DiffQuery>,
) -> Result<Json<Vec<SchemaChange>>, AppError> {
    let Some(product) = state.mesh.catalog.get_product(&id).await? else {
        return Err(AppError::not_found(format!("no data product `{id}`")));
    };
    let subject = product.output_port.value_subject.as_str();
    let versions = state.mesh.catalog.schema_versions(subject).await?;
    let find = |n: i32| {
        versions
            .iter()
            .find(|v| v.version == n)
            .ok_or_else(|| AppError::not_found(format!("`{subject}` has no version {n} in the mirror")))
    };
    let (from, to) = (find(query.from)?, find(query.to)?);
    let level = state.mesh.registry.compatibility_level(Some(subject)).await.unwrap_or(CompatibilityLevel::Backward);
    let changes = crate::schema::changes(&from.schema, &to.schema, level)
        .map_err(|e| AppError::invalid(format!("cannot compare these versions: {e}")))?;
    Ok(Json(changes))
}

/// `POST /api/v1/products/{id}/deprecate`
#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/deprecate",
    tag = "changes",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    request_body = DeprecateRequest,
    responses(
        (status = 200, description = "The product, deprecated", body = DataProduct),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 409, description = "`conflict`: a stale revision, or retired already", body = ApiError),
        (status = 422, description = "`validation_failed`: a bad sunset or replacement", body = ApiError),
    )
)]
pub async fn deprecate(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    Body(request): Body<DeprecateRequest>,
) -> Result<Json<DataProduct>, AppError> {
    Ok(Json(lifecycle::deprecate(&state.mesh, &who, &id, request).await?))
}

/// `POST /api/v1/products/{id}/retire`
#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/retire",
    tag = "changes",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`")),
    request_body = RetireRequest,
    responses(
        (status = 200, description = "The product, retired: out of discovery, kept in the catalog", body = DataProduct),
        (status = 400, description = "`bad_request`: a malformed body", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 409, description = "`conflict`: a stale revision, or retired already", body = ApiError),
    )
)]
pub async fn retire(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    Body(request): Body<RetireRequest>,
) -> Result<Json<DataProduct>, AppError> {
    Ok(Json(lifecycle::retire(&state.mesh, &who, &id, request.revision).await?))
}

/// `PATCH /api/v1/products/{id}/topic`: more partitions, another retention or cleanup policy, within the policy's
/// topic limits. The revision read comes in `If-Match` or in the body's `revision`.
#[utoipa::path(
    patch,
    path = "/api/v1/products/{id}/topic",
    tag = "changes",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), IfMatch),
    request_body = TopicChangeRequest,
    responses(
        (status = 200, description = "The topic is changed; the product (its revision advanced) is returned", body = DataProduct),
        (status = 400, description = "`bad_request`: a malformed body, or no revision", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 409, description = "`conflict`: a stale revision, a retired product, or a topic that has these settings already", body = ApiError),
        (status = 422, description = "`validation_failed`: fewer partitions than the topic has, or a setting beyond the policy's topic limits (each in `details`)", body = ApiError),
        (status = 503, description = "`kafka_unavailable`: the cluster cannot be reached", body = ApiError),
    )
)]
pub async fn change_topic(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    headers: HeaderMap,
    Body(mut request): Body<TopicChangeRequest>,
) -> Result<Json<DataProduct>, AppError> {
    if let Some(revision) = if_match(&headers)? {
        request.revision = revision;
    }
    Ok(Json(lifecycle::change_topic(&state.mesh, &who, &id, request).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteTopicQuery {
    /// The product's revision the caller read (or send it in `If-Match`).
    #[param(required = true, minimum = 1)]
    revision: Option<u64>,
    /// Delete even while consumer groups hold offsets on the topic.
    #[serde(default)]
    force: bool,
}

/// `DELETE /api/v1/products/{id}/topic?revision=3&force=true`
#[utoipa::path(
    delete,
    path = "/api/v1/products/{id}/topic",
    tag = "changes",
    params(("id" = ProductId, Path, description = "The product's id, e.g. `users`"), DeleteTopicQuery, IfMatch),
    responses(
        (status = 200, description = "The topic is deleted; the product stays", body = DataProduct),
        (status = 400, description = "`bad_request`: no revision, or a malformed one", body = ApiError),
        (status = 403, description = "`forbidden`: not a member of the owning team, nor an admin", body = ApiError),
        (status = 404, description = "`not_found`: no such product", body = ApiError),
        (status = 409, description = "`conflict`: a stale revision, or consumer groups still read the topic", body = ApiError),
    )
)]
pub async fn delete_topic(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    ProductPath(id): ProductPath,
    headers: HeaderMap,
    Params(query): Params<DeleteTopicQuery>,
) -> Result<Json<DataProduct>, AppError> {
    let revision = if_match(&headers)?.or(query.revision).unwrap_or(0);
    Ok(Json(lifecycle::delete_topic(&state.mesh, &who, &id, revision, query.force).await?))
}

/// `POST /api/v1/sync`: reconcile the mirror now (org admins).
#[utoipa::path(
    post,
    path = "/api/v1/sync",
    tag = "operations",
    responses(
        (status = 200, description = "What the sync changed in the mirror", body = SyncReport),
        (status = 403, description = "`forbidden`: only org admins sync on demand", body = ApiError),
    )
)]
pub async fn sync(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<SyncReport>, AppError> {
    if !who.admin {
        return Err(AppError::forbidden("only org admins may run a sync on demand"));
    }
    Ok(Json(sync::run_once(&state.mesh).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/policy",
    tag = "catalog",
    responses((status = 200, description = "The organisation's governance policy", body = GovernancePolicy))
)]
pub async fn policy(State(state): State<AppState>) -> Json<GovernancePolicy> {
    Json(state.mesh.policy.as_ref().clone())
}
