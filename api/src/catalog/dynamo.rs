//! The DynamoDB catalog: one table, items addressed by `PK`/`SK`, two global secondary indexes.
//!
//! Access patterns (every request path is a GetItem or a Query, never a Scan):
//!
//! | pattern                    | operation                                            |
//! |----------------------------|------------------------------------------------------|
//! | get a product              | GetItem `PK = PRODUCT#<id>`, `SK = PRODUCT`          |
//! | list every product         | Query `GSI2` where `GSI2PK = PRODUCT`, by `GSI2SK` (id) |
//! | list a domain's products   | Query `GSI1` where `GSI1PK = DOMAIN#<domain>`, by `GSI1SK` |
//! | record an intent or outcome | TransactWriteItems: Put the audit entry, add 1 to the generation |
//! | change a product           | TransactWriteItems: Put (or Delete) the product conditioned on `revision` (or absence), Put its audit entry, add 1 to the generation |
//! | claims of topics, subjects | in the same transaction: Put `PK = CLAIM#<kind>\0<name>`, `SK = CLAIM` if absent or held by the product; Delete released ones |
//! | who holds a claim          | GetItem `PK = CLAIM#<kind>\0<name>`, `SK = CLAIM`    |
//! | store an access request    | TransactWriteItems: Put `PK = ACCESS#<id>` (GSI1 by product, GSI2 by state) conditioned on `revision`, Put its copies under `INBOX#<owning team>` and `TEAM_ACCESS#<team>`, Put the audit entry, add 1 to the generation |
//! | access requests            | by product: Query `GSI1` `ACCESS_PRODUCT#<id>`; inbox / a team's: Query `PK = INBOX#<team>` / `TEAM_ACCESS#<team>`; by state: Query `GSI2` `ACCESS_STATE#<state>` |
//! | a service account          | GetItem `PK = PRINCIPAL#<principal>`, `SK = PRINCIPAL`; a team's: Query `GSI1` `TEAM_ACCOUNTS#<team>` |
//! | change a service account   | TransactWriteItems: Put (or Delete) it conditioned on `revision` (or absence), Put its audit entry, add 1 to the generation |
//! | catalog generation         | GetItem `PK = META`, `SK = GENERATION` (`claims_backfilled` marks the one-time backfill) |
//! | a change proposal          | GetItem `PK = PROPOSAL#<id>`, `SK = PROPOSAL`; a product's: Query `GSI1` `PRODUCT_PROPOSALS#<id>`; waiting: Query `GSI2` `PROPOSAL_STATE#<state>`; stored by TransactWriteItems with its audit entry and event (conditioned on `revision` or absence) |
//! | an API token               | GetItem `PK = TOKEN#<id>`, `SK = TOKEN`; a team's: Query `GSI1` `TEAM_TOKENS#<team>`; created or revoked by TransactWriteItems with its audit entry (conditioned on `revision` or absence), its last use by a PutItem on condition of its `revision` |
//! | a change's event           | in the change's transaction: Put `PK = EVENTS`, `SK = EVENT#<seq, 20 digits>` if absent, the generation item's `event_seq` set to `seq` on condition it is `seq - 1` (read just before) |
//! | the notifier's mark, the audit topic's | GetItem `PK = META`, `SK = NOTIFIED` / `PUBLISHED`; moved by a PutItem on condition it is where it was read |
//! | a product's watchers       | Query `PK = WATCH#<product>`, `SK` begins with `PERSON#`; a watch put or deleted (if present) with its audit entry in one transaction |
//! | a person's settings        | GetItem / TransactWriteItems (one Put) `PK = PERSON#<person>`, `SK = SETTINGS` |
//! | a reminder, once           | TransactWriteItems: Put `PK = REMINDER#<key>`, `SK = REMINDER` if absent, Put its audit entry, its event |
//! | a team's channels          | GetItem `PK = TEAM#<team>`, `SK = CHANNELS`; changed by TransactWriteItems: Put it conditioned on `revision` (or absence), Put its audit entry, add 1 to the generation |
//! | hand events out            | TransactWriteItems: Put the notifier's mark on condition it is where it was read, Put each delivery `PK = DELIVERY#<seq, 20 digits>`, `SK = TO#<destination>` (over 99 deliveries: the first ones before, each a PutItem if absent) |
//! | a delivery                 | GetItem; an attempt recorded by a PutItem on condition of its `attempts` and `state` as read |
//! | pending deliveries, due first | Query `GSI2` where `GSI2PK = OUTBOX_PENDING`, `GSI2SK < <now, epoch ms>~` (`<due, epoch ms>#<key>`: only pending deliveries carry it, a sparse index) |
//! | dead letters               | Query `GSI2` where `GSI2PK = OUTBOX_DEAD`, by `GSI2SK` (`<seq>#<destination>`) |
//! | redeliver                  | TransactWriteItems: Put the delivery on condition it is dead-lettered, Put its audit entry, add 1 to the generation |
//! | events after a number      | Query `PK = EVENTS`, `SK > EVENT#<after>`, in order, consistent |
//! | a product's history        | Query `PK = PRODUCT#<id>`, `SK` begins with `AUDIT#`, newest first |
//! | recent activity            | Query `GSI2` where `GSI2PK = AUDIT`, newest first    |
//! | get / list mirrored topics | GetItem `PK = TOPIC#<name>`, `SK = TOPIC`; Query `GSI2` where `GSI2PK = TOPIC` |
//! | a subject's versions       | Query `PK = SUBJECT#<subject>`, by `SK = V#<version>` |
//! | every mirrored version     | Query `GSI2` where `GSI2PK = SCHEMA` (sync and search index builds) |
//! | mirror topics and schemas  | BatchWriteItem, 25 items a request, unprocessed items retried |
//!
//! `table_definition` is the single source of the key schema; the deployment template is checked against it.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    Projection, ProjectionType, Put, PutRequest, ScalarAttributeType, TransactWriteItem, WriteRequest,
};
use jiff::Timestamp;
use meshport_shared::access::{AccessRequest, AccessState};
use meshport_shared::accounts::ServiceAccount;
use meshport_shared::events::{ChannelSettings, Event, Notice, PersonalSettings, Watch};
use meshport_shared::proposals::{ChangeProposal, ProposalState};
use meshport_shared::{
    AuditEntry, DataProduct, DomainName, Principal, ProductId, SchemaVersion, TeamName, TopicFacts, TopicName,
};

pub use crate::config::DynamoSettings;

use super::{
    Attempt, CatalogStore, Claim, Delivery, DeliveryKey, DeliveryState, Result, StoreError, StoredToken,
    TeamChannelSettings, decode, encode, legacy_account, next_revision, version_key,
};

const PRODUCT_SK: &str = "PRODUCT";
const TOPIC_SK: &str = "TOPIC";
const AUDIT: &str = "AUDIT";
const SCHEMA: &str = "SCHEMA";
const REMINDER_SK: &str = "REMINDER";
const SETTINGS_SK: &str = "SETTINGS";
const CLAIM_SK: &str = "CLAIM";
const ACCESS_SK: &str = "ACCESS";
const PRINCIPAL_SK: &str = "PRINCIPAL";
/// The partition of the change events: the notify function's stream filter names it (infra/template.json).
pub const EVENTS: &str = "EVENTS";
/// The sparse index partitions of pending and dead-lettered deliveries.
const OUTBOX_PENDING: &str = "OUTBOX_PENDING";
const OUTBOX_DEAD: &str = "OUTBOX_DEAD";
/// TransactWriteItems' limit, less the notifier's mark.
const DELIVERIES_PER_TRANSACTION: usize = 99;
/// BatchWriteItem's limit.
const BATCH: usize = 25;
/// How often a transaction cancelled by another one on the same items (the generation item, mostly) is tried again.
const TRANSACTION_ATTEMPTS: u32 = 6;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// The table's key schema and indexes: a name, its attribute names and key types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    /// (index name, partition key attribute, sort key attribute)
    pub indexes: Vec<(&'static str, &'static str, &'static str)>,
}

pub fn table_definition() -> TableDefinition {
    TableDefinition {
        partition_key: "PK",
        sort_key: "SK",
        indexes: vec![("GSI1", "GSI1PK", "GSI1SK"), ("GSI2", "GSI2PK", "GSI2SK")],
    }
}

impl DynamoStore {
    /// Builds the client; no request is made, so a wrong endpoint shows up as "down" later, not as a start failure.
    pub fn new(settings: &DynamoSettings) -> Self {
        let credentials = Credentials::new(
            &settings.access_key_id,
            &settings.secret_access_key,
            settings.session_token.clone(),
            None,
            "meshport-environment",
        );
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.timeout)
            .operation_attempt_timeout(settings.timeout)
            .operation_timeout(settings.timeout * 2)
            .build();
        let mut config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(credentials)
            .timeout_config(timeouts);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        Self { client: Client::from_conf(config.build()), table: settings.table.clone() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table with its indexes when it does not exist (local runs and tests; the deployment template
    /// creates it in the cloud).
    pub async fn ensure_table(&self) -> Result<()> {
        match self.client.describe_table().table_name(&self.table).send().await {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => return Err(sdk_error(e)),
        }
        let definition = table_definition();
        let key = |name: &str, key_type| {
            KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().map_err(|e| internal(&e))
        };
        let mut attributes = vec![definition.partition_key, definition.sort_key];
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(definition.partition_key, KeyType::Hash)?)
            .key_schema(key(definition.sort_key, KeyType::Range)?);
        for (index, pk, sk) in &definition.indexes {
            attributes.extend([*pk, *sk]);
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(*index)
                    .key_schema(key(pk, KeyType::Hash)?)
                    .key_schema(key(sk, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .map_err(|e| internal(&e))?,
            );
        }
        for attribute in attributes {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| internal(&e))?,
            );
        }
        match request.send().await {
            Ok(_) => Ok(()),
            // Another process created it between our describe and create.
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => Ok(()),
            Err(e) => Err(sdk_error(e)),
        }
    }

    /// Every item of a Query, following pages; `index` None queries the table itself.
    async fn query(&self, request: Query<'_>) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut call = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(request.index.map(str::to_owned))
                .key_condition_expression(request.condition)
                .set_exclusive_start_key(start.take())
                // The table's own queries read what committed before them (the events feed relies on it); an
                // index cannot be read consistently.
                .consistent_read(request.index.is_none())
                .scan_index_forward(request.forward);
            for (name, value) in &request.values {
                call = call.expression_attribute_values(*name, AttributeValue::S(value.clone()));
            }
            if let Some(limit) = request.limit {
                let left = limit.saturating_sub(items.len()).max(1);
                call = call.limit(i32::try_from(left).unwrap_or(i32::MAX));
            }
            let page = call.send().await.map_err(sdk_error)?;
            items.extend(page.items().iter().cloned());
            let done = request.limit.is_some_and(|limit| items.len() >= limit);
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() && !done => start = Some(key.clone()),
                _ => return Ok(items),
            }
        }
    }

    async fn query_docs<T: serde::de::DeserializeOwned>(&self, request: Query<'_>) -> Result<Vec<T>> {
        self.query(request).await?.iter().map(doc_of).collect()
    }

    async fn stored_revision(&self, id: &ProductId) -> Result<Option<u64>> {
        Ok(self.get_product(id).await?.map(|p| p.revision))
    }

    /// One item, read consistently.
    async fn item(&self, key: Item) -> Result<Option<Item>> {
        let output =
            self.client.get_item().table_name(&self.table).set_key(Some(key)).consistent_read(true).send().await;
        Ok(output.map_err(sdk_error)?.item)
    }

    async fn get_doc<T: serde::de::DeserializeOwned>(&self, key: Item) -> Result<Option<T>> {
        self.item(key).await?.as_ref().map(doc_of).transpose()
    }

    /// Writes items in batches of 25, retrying what DynamoDB leaves unprocessed.
    async fn write_batch(&self, items: Vec<Item>) -> Result<()> {
        for chunk in items.chunks(BATCH) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item.clone())).build().map_err(|e| internal(&e))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_>>()?;
            let mut delay = Duration::from_millis(50);
            while !requests.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                requests = output.unprocessed_items().and_then(|u| u.get(&self.table)).cloned().unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
        Ok(())
    }

    /// Runs a product change with its generation bump and its event, if `notice` tells anyone; `Ok(Err(failed))`
    /// when conditions did not hold, `failed` the positions (in `items`) of the items whose condition failed.
    /// `token` (the audit entry's id, unique per change) makes the SDK's retries idempotent: a retry of a
    /// transaction that did commit, but whose answer was lost, is not run again and so is not mistaken for a lost
    /// race. Every change bumps the one generation item, so two changes to different products at once can cancel
    /// each other (TransactionConflict): such a change is tried again after a jittered, growing pause, and answered
    /// as busy when it keeps losing.
    ///
    /// The event is numbered one after the generation item's `event_seq`, read just before, and the transaction
    /// sets `event_seq` on condition that it is still what was read: so numbers follow commit order without gaps.
    /// When only that condition fails, another change took the number: the change is tried again with the next.
    ///
    /// A change whose conditions fail is looked for once more by its audit entry (`written`, stored by the same
    /// transaction): when the entry is there, an earlier attempt of this very change committed and its answer was
    /// lost (a 5xx the SDK retried, on a table that keeps no request tokens, such as moto's), so it is answered as
    /// done rather than as a race it lost to itself.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        token: &str,
        written: Option<Item>,
        notice: Option<Notice>,
    ) -> Result<std::result::Result<(), Vec<usize>>> {
        let own = items.len();
        let token: String = token.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let mut pause = Duration::from_millis(20);
        for attempt in 1..=TRANSACTION_ATTEMPTS {
            let mut attempt_items = items.clone();
            let token = match &notice {
                Some(notice) => {
                    let last = self.event_seq().await?;
                    attempt_items.extend(self.event_items(notice.clone().into_event(last + 1), last)?);
                    // A number of its own per attempt: each attempt is another request.
                    last_chars(&format!("{token}-{}", last + 1), 36)
                }
                None => {
                    attempt_items.push(TransactWriteItem::builder().update(self.bump(None)?).build());
                    last_chars(&token, 36)
                }
            };
            let request =
                self.client.transact_write_items().set_transact_items(Some(attempt_items)).client_request_token(&token);
            match request.send().await {
                Ok(_) => return Ok(Ok(())),
                Err(e) => match cancellation(&e) {
                    Cancellation::Conditions(failed) => {
                        let committed = match &written {
                            Some(key) => self.item(key.clone()).await?.is_some(),
                            None => false,
                        };
                        if committed {
                            return Ok(Ok(()));
                        }
                        let own_failed: Vec<usize> = failed.into_iter().filter(|&i| i < own).collect();
                        if !own_failed.is_empty() {
                            return Ok(Err(own_failed));
                        }
                        // Only the event's number was taken meanwhile: try again with the next one.
                        if attempt == TRANSACTION_ATTEMPTS {
                            return Err(busy());
                        }
                    }
                    Cancellation::Contended if attempt < TRANSACTION_ATTEMPTS => {
                        tokio::time::sleep(jitter(pause)).await;
                        pause *= 2;
                    }
                    Cancellation::Contended => return Err(busy()),
                    Cancellation::Other => return Err(sdk_error(e)),
                },
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Runs one change (a Put or Delete with its condition) with its audit entry, which tells no one: [`transact`]'s
    /// answer.
    async fn transact_audited(
        &self,
        change: TransactWriteItem,
        audit: &AuditEntry,
    ) -> Result<std::result::Result<(), Vec<usize>>> {
        let put = Put::builder().table_name(&self.table).set_item(Some(audit_item(audit)?)).build();
        let items = vec![change, TransactWriteItem::builder().put(put.map_err(|e| internal(&e))?).build()];
        self.transact(items, &audit.id, Some(audit_key(audit)), None).await
    }

    /// The generation's bump: one more, and with an event numbered `last + 1`, its number, on condition that the
    /// last number is still `last`.
    fn bump(&self, event: Option<u64>) -> Result<aws_sdk_dynamodb::types::Update> {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .set_key(Some(generation_key()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()));
        let update = match event {
            None => update.update_expression("ADD generation :one"),
            Some(seq) => {
                let update = update
                    .update_expression("ADD generation :one SET event_seq = :seq")
                    .expression_attribute_values(":seq", AttributeValue::N(seq.to_string()));
                match seq - 1 {
                    0 => update.condition_expression("attribute_not_exists(event_seq)"),
                    last => update
                        .condition_expression("event_seq = :last")
                        .expression_attribute_values(":last", AttributeValue::N(last.to_string())),
                }
            }
        };
        update.build().map_err(|e| internal(&e))
    }

    /// The items that write `event` after event `last`: the event itself, and the bump that numbers it.
    fn event_items(&self, event: Event, last: u64) -> Result<[TransactWriteItem; 2]> {
        let mut item = event_key(event.seq);
        item.insert("doc".to_owned(), s(encode(&event.id, &event)?));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| internal(&e))?;
        Ok([
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(self.bump(Some(last + 1))?).build(),
        ])
    }

    /// The number of the last event written, read consistently.
    async fn event_seq(&self) -> Result<u64> {
        let item = self.item(generation_key()).await?;
        let seq = item.as_ref().and_then(|item| item.get("event_seq")).and_then(|g| g.as_n().ok());
        seq.map_or(Ok(0), |n| n.parse().map_err(|_| StoreError::Corrupt(format!("event_seq `{n}`"))))
    }

    /// Writes `claim` for `holder` unless another product holds it; answers that product then.
    async fn add_claim(&self, claim: &Claim, holder: &ProductId) -> Result<Option<ProductId>> {
        let put = claim_put(&self.table, claim, holder)?;
        let outcome = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_values(put.expression_attribute_values)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(None),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Ok(Some(self.claim_holder(claim).await?.unwrap_or_else(|| holder.clone())))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }
}

/// How a transaction was cancelled.
enum Cancellation {
    /// Conditions did not hold, at these positions: a lost race or a claim another product holds.
    Conditions(Vec<usize>),
    /// Another transaction on the same items was in flight: worth another try.
    Contended,
    Other,
}

fn cancellation<R: std::fmt::Debug>(
    e: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Cancellation {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
            let reasons = t.cancellation_reasons();
            let failed: Vec<usize> = reasons
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(i, _)| i)
                .collect();
            if !failed.is_empty() {
                Cancellation::Conditions(failed)
            } else if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
                Cancellation::Contended
            } else {
                Cancellation::Other
            }
        }
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => Cancellation::Contended,
        _ => Cancellation::Other,
    }
}

fn busy() -> StoreError {
    StoreError::Busy(format!("other changes kept colliding with this one ({TRANSACTION_ATTEMPTS} attempts)"))
}

/// The last `n` characters of `text` (ASCII): a client request token's most distinctive part.
fn last_chars(text: &str, n: usize) -> String {
    text[text.len().saturating_sub(n)..].to_owned()
}

/// `pause` give or take half of it, so that changes that collided once do not collide again on the next try.
fn jitter(pause: Duration) -> Duration {
    let spread = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX).max(1);
    let random = u64::from(uuid::Uuid::new_v4().as_fields().0) % spread;
    Duration::from_millis(spread / 2 + random)
}

/// An access request's item and its two copies (the owners' inbox, the requesting team's list).
fn access_items(request: &AccessRequest) -> Result<[Item; 3]> {
    let doc = encode(&request.id, request)?;
    let id = request.id.clone();
    let mut main = doc_item(
        format!("ACCESS#{id}"),
        ACCESS_SK.to_owned(),
        &format!("ACCESS_STATE#{}", request.state.as_str()),
        id.clone(),
        doc.clone(),
    );
    main.extend([
        ("GSI1PK".to_owned(), s(format!("ACCESS_PRODUCT#{}", request.product))),
        ("GSI1SK".to_owned(), s(id.clone())),
        ("revision".to_owned(), AttributeValue::N(request.revision.to_string())),
    ]);
    let copy = |pk: String| {
        let mut item = key(pk, format!("{ACCESS_SK}#{id}"));
        item.insert("doc".to_owned(), s(doc.clone()));
        item
    };
    Ok([main, copy(format!("INBOX#{}", request.owner_team)), copy(format!("TEAM_ACCESS#{}", request.team))])
}

/// A Put on condition that the item is at revision `expected` (`None`: that it does not exist yet).
fn at_revision(
    put: aws_sdk_dynamodb::types::builders::PutBuilder,
    expected: Option<u64>,
) -> aws_sdk_dynamodb::types::builders::PutBuilder {
    match expected {
        None => put.condition_expression("attribute_not_exists(PK)"),
        Some(revision) => put
            .condition_expression("revision = :expected")
            .expression_attribute_values(":expected", AttributeValue::N(revision.to_string())),
    }
}

fn principal_key(principal: &Principal) -> Item {
    key(format!("PRINCIPAL#{principal}"), PRINCIPAL_SK.to_owned())
}

/// A stored service account: its document, or (a principal an access request claimed before service accounts)
/// only the team that holds it.
fn account_of(principal: &Principal, item: &Item) -> Result<ServiceAccount> {
    if item.contains_key("doc") {
        return doc_of(item);
    }
    let holder = item.get("holder").and_then(|h| h.as_s().ok());
    let holder = holder.ok_or_else(|| StoreError::Corrupt(format!("principal `{principal}` has no holder")))?;
    let team =
        TeamName::parse(holder.as_str()).map_err(|e| StoreError::Corrupt(format!("principal `{principal}`: {e}")))?;
    Ok(legacy_account(principal, team))
}

fn claim_key(claim: &Claim) -> Item {
    key(format!("CLAIM#{}", claim.key()), CLAIM_SK.to_owned())
}

/// A claim written on condition that no other product holds it.
fn claim_put(table: &str, claim: &Claim, holder: &ProductId) -> Result<Put> {
    let mut item = claim_key(claim);
    item.insert("holder".to_owned(), s(holder.as_str()));
    Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK) OR holder = :holder")
        .expression_attribute_values(":holder", s(holder.as_str()))
        .build()
        .map_err(|e| internal(&e))
}

/// A claim released, unless another product holds it meanwhile (then it stays theirs).
fn claim_release(table: &str, claim: &Claim, holder: &ProductId) -> Result<Delete> {
    Delete::builder()
        .table_name(table)
        .set_key(Some(claim_key(claim)))
        .condition_expression("attribute_not_exists(PK) OR holder = :holder")
        .expression_attribute_values(":holder", s(holder.as_str()))
        .build()
        .map_err(|e| internal(&e))
}

/// One Query: an index (or the table), its key condition with `:name` values, the direction and a limit.
struct Query<'a> {
    index: Option<&'a str>,
    condition: &'a str,
    values: Vec<(&'a str, String)>,
    forward: bool,
    limit: Option<usize>,
}

impl<'a> Query<'a> {
    /// Everything under one GSI1 partition (a domain's products, a product's access requests), in sort-key order.
    fn grouped(partition: String) -> Self {
        Self {
            index: Some("GSI1"),
            condition: "GSI1PK = :pk",
            values: vec![(":pk", partition)],
            forward: true,
            limit: None,
        }
    }

    /// Every item of one partition whose sort key starts with `prefix`, in order.
    fn under(partition: String, prefix: &'a str) -> Self {
        Self {
            index: None,
            condition: "PK = :pk AND begins_with(SK, :prefix)",
            values: vec![(":pk", partition), (":prefix", prefix.to_owned())],
            forward: true,
            limit: None,
        }
    }

    /// Everything under one GSI2 partition, in sort-key order.
    fn kind(kind: &str) -> Self {
        Self {
            index: Some("GSI2"),
            condition: "GSI2PK = :pk",
            values: vec![(":pk", kind.to_owned())],
            forward: true,
            limit: None,
        }
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

/// An item: its key, its GSI2 placement (kind and sort), and the document.
fn doc_item(pk: String, sk: String, kind: &str, kind_sort: String, doc: String) -> Item {
    let mut item = key(pk, sk);
    item.extend([("GSI2PK".to_owned(), s(kind)), ("GSI2SK".to_owned(), s(kind_sort)), ("doc".to_owned(), s(doc))]);
    item
}

fn audit_key(entry: &AuditEntry) -> Item {
    key(format!("PRODUCT#{}", entry.product), format!("AUDIT#{}", entry.id))
}

fn audit_item(entry: &AuditEntry) -> Result<Item> {
    Ok(doc_item(
        format!("PRODUCT#{}", entry.product),
        format!("AUDIT#{}", entry.id),
        AUDIT,
        entry.id.clone(),
        encode(&entry.id, entry)?,
    ))
}

fn watch_key(product: &ProductId, person: &str) -> Item {
    key(format!("WATCH#{product}"), format!("PERSON#{person}"))
}

fn notified_key() -> Item {
    key("META".to_owned(), "NOTIFIED".to_owned())
}

fn channels_key(team: &TeamName) -> Item {
    key(format!("TEAM#{team}"), "CHANNELS".to_owned())
}

fn event_key(seq: u64) -> Item {
    key(EVENTS.to_owned(), event_sort_key(seq))
}

/// Zero-padded, so the sort key's order is the numbers'.
fn event_sort_key(seq: u64) -> String {
    format!("EVENT#{seq:020}")
}

fn generation_key() -> Item {
    key("META".to_owned(), "GENERATION".to_owned())
}

fn topic_key(name: &TopicName) -> Item {
    key(format!("TOPIC#{name}"), TOPIC_SK.to_owned())
}

fn schema_item(version: &SchemaVersion) -> Result<Item> {
    Ok(doc_item(
        format!("SUBJECT#{}", version.subject),
        format!("V#{:010}", version.version),
        SCHEMA,
        version_key(&version.subject, version.version),
        encode(&version.subject, version)?,
    ))
}

fn product_key(id: &ProductId) -> Item {
    key(format!("PRODUCT#{id}"), PRODUCT_SK.to_owned())
}

fn product_item(product: &DataProduct) -> Result<Item> {
    let id = product.id.to_string();
    let mut item =
        doc_item(format!("PRODUCT#{id}"), PRODUCT_SK.to_owned(), PRODUCT_SK, id.clone(), encode(&id, product)?);
    item.extend([
        ("GSI1PK".to_owned(), s(format!("DOMAIN#{}", product.domain))),
        ("GSI1SK".to_owned(), s(id)),
        ("revision".to_owned(), AttributeValue::N(product.revision.to_string())),
    ]);
    Ok(item)
}

fn doc_of<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T> {
    let key = item.get("PK").and_then(|v| v.as_s().ok()).map_or("?", String::as_str);
    match item.get("doc") {
        Some(AttributeValue::S(doc)) => decode(key, doc.as_bytes()),
        _ => Err(StoreError::Corrupt(format!("item `{key}` has no `doc` string"))),
    }
}

fn internal(e: &dyn std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Every SDK failure that is not a lost race means DynamoDB cannot serve us right now.
fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> StoreError {
    let detail = match &e {
        // DynamoDB refusing the request itself (an item over 400 KB, a malformed expression) is our bug, not an outage.
        SdkError::ServiceError(service) if service.err().code() == Some("ValidationException") => {
            return StoreError::Corrupt(format!(
                "DynamoDB refused the request: {}",
                service.err().message().unwrap_or("")
            ));
        }
        SdkError::ServiceError(service) => {
            let err = service.err();
            format!("{}: {}", err.code().unwrap_or("error"), err.message().unwrap_or("no message"))
        }
        SdkError::TimeoutError(_) => "timed out".to_owned(),
        SdkError::DispatchFailure(failure) => format!("cannot connect: {failure:?}"),
        other => other.to_string(),
    };
    StoreError::Unavailable(format!("DynamoDB: {detail}"))
}

#[async_trait]
impl CatalogStore for DynamoStore {
    async fn ping(&self) -> Result<()> {
        self.client.describe_table().table_name(&self.table).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn get_product(&self, id: &ProductId) -> Result<Option<DataProduct>> {
        self.get_doc(product_key(id)).await
    }

    async fn list_products(&self) -> Result<Vec<DataProduct>> {
        self.query_docs(Query::kind(PRODUCT_SK)).await
    }

    async fn list_domain_products(&self, domain: &DomainName) -> Result<Vec<DataProduct>> {
        self.query_docs(Query::grouped(format!("DOMAIN#{domain}"))).await
    }

    async fn put_product(
        &self,
        mut product: DataProduct,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<DataProduct> {
        // The claims the stored revision holds, to release those the new one no longer makes; should the product
        // change meanwhile, the revision condition below fails the whole transaction.
        let previous = match expected {
            Some(_) => self.get_product(&product.id).await?.map(|p| Claim::of(&p)).unwrap_or_default(),
            None => Vec::new(),
        };
        product.revision = next_revision(expected);
        let put = at_revision(Put::builder().table_name(&self.table).set_item(Some(product_item(&product)?)), expected);
        let token = audit.id.clone();
        let written = audit_key(&audit);
        let notice = Notice::of(&audit, Some(&product), None);
        let audit = Put::builder().table_name(&self.table).set_item(Some(audit_item(&audit)?));
        let mut items = vec![
            TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build(),
            TransactWriteItem::builder().put(audit.build().map_err(|e| internal(&e))?).build(),
        ];
        let claims = Claim::of(&product);
        for claim in &claims {
            items.push(TransactWriteItem::builder().put(claim_put(&self.table, claim, &product.id)?).build());
        }
        for claim in previous.iter().filter(|c| !claims.contains(c)) {
            items.push(TransactWriteItem::builder().delete(claim_release(&self.table, claim, &product.id)?).build());
        }
        match self.transact(items, &token, Some(written), notice).await? {
            Ok(()) => Ok(product),
            Err(failed) => {
                // Items 2.. are the claims, in the order of `claims`.
                if let Some(claim) = failed.iter().find_map(|&i| i.checked_sub(2).and_then(|c| claims.get(c))) {
                    let holder = self.claim_holder(claim).await?.unwrap_or_else(|| product.id.clone());
                    return Err(StoreError::Claimed { claim: claim.clone(), holder });
                }
                let actual = self.stored_revision(&product.id).await?;
                Err(StoreError::Conflict { id: product.id, expected, actual })
            }
        }
    }

    async fn delete_product(&self, id: &ProductId, expected: u64, audit: AuditEntry) -> Result<bool> {
        let Some(stored) = self.get_product(id).await? else { return Ok(false) };
        if stored.revision != expected {
            return Err(StoreError::Conflict {
                id: id.clone(),
                expected: Some(expected),
                actual: Some(stored.revision),
            });
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(product_key(id)))
            .condition_expression("revision = :expected")
            .expression_attribute_values(":expected", AttributeValue::N(expected.to_string()))
            .build()
            .map_err(|e| internal(&e))?;
        let token = audit.id.clone();
        let written = audit_key(&audit);
        let notice = Notice::of(&audit, Some(&stored), None);
        let audit = Put::builder().table_name(&self.table).set_item(Some(audit_item(&audit)?)).build();
        let mut items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().put(audit.map_err(|e| internal(&e))?).build(),
        ];
        for claim in Claim::of(&stored) {
            items.push(TransactWriteItem::builder().delete(claim_release(&self.table, &claim, id)?).build());
        }
        match self.transact(items, &token, Some(written), notice).await? {
            Ok(()) => Ok(true),
            Err(_) => {
                let actual = self.stored_revision(id).await?;
                match actual {
                    None => Ok(false),
                    Some(_) => Err(StoreError::Conflict { id: id.clone(), expected: Some(expected), actual }),
                }
            }
        }
    }

    async fn record(&self, entry: AuditEntry) -> Result<()> {
        let put = Put::builder().table_name(&self.table).set_item(Some(audit_item(&entry)?)).build();
        let items = vec![TransactWriteItem::builder().put(put.map_err(|e| internal(&e))?).build()];
        self.transact(items, &entry.id, None, Notice::of(&entry, None, None))
            .await?
            .map_err(|_| StoreError::Corrupt("an audit entry was refused".into()))
    }

    async fn put_access(
        &self,
        mut request: AccessRequest,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<AccessRequest> {
        request.revision = next_revision(expected);
        let [main, inbox, team] = access_items(&request)?;
        let put = at_revision(Put::builder().table_name(&self.table).set_item(Some(main)), expected);
        let token = audit.id.clone();
        let written = audit_key(&audit);
        // The product as it is now, for the event's words only: no condition on it.
        let product = self.get_product(&request.product).await?;
        let notice = Notice::of(&audit, product.as_ref(), Some(&request));
        let mut items = vec![TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build()];
        for item in [inbox, team, audit_item(&audit)?] {
            let put = Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(|e| internal(&e))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        match self.transact(items, &token, Some(written), notice).await? {
            Ok(()) => Ok(request),
            Err(_) => {
                let actual = self.get_access(&request.id).await?.map(|r| r.revision);
                Err(StoreError::AccessConflict { id: request.id, expected, actual })
            }
        }
    }

    async fn get_access(&self, id: &str) -> Result<Option<AccessRequest>> {
        self.get_doc(key(format!("ACCESS#{id}"), ACCESS_SK.to_owned())).await
    }

    async fn product_access(&self, product: &ProductId) -> Result<Vec<AccessRequest>> {
        self.query_docs(Query::grouped(format!("ACCESS_PRODUCT#{product}"))).await
    }

    async fn inbox(&self, owner_team: &TeamName) -> Result<Vec<AccessRequest>> {
        self.query_docs(Query::under(format!("INBOX#{owner_team}"), ACCESS_SK)).await
    }

    async fn team_access(&self, team: &TeamName) -> Result<Vec<AccessRequest>> {
        self.query_docs(Query::under(format!("TEAM_ACCESS#{team}"), ACCESS_SK)).await
    }

    async fn access_in_state(&self, state: AccessState) -> Result<Vec<AccessRequest>> {
        self.query_docs(Query::kind(&format!("ACCESS_STATE#{}", state.as_str()))).await
    }

    async fn get_account(&self, principal: &Principal) -> Result<Option<ServiceAccount>> {
        self.item(principal_key(principal)).await?.map(|item| account_of(principal, &item)).transpose()
    }

    async fn team_accounts(&self, team: &TeamName) -> Result<Vec<ServiceAccount>> {
        self.query_docs(Query::grouped(format!("TEAM_ACCOUNTS#{team}"))).await
    }

    async fn put_account(
        &self,
        mut account: ServiceAccount,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ServiceAccount> {
        account.revision = next_revision(expected);
        let principal = account.principal.to_string();
        let mut item = key(format!("PRINCIPAL#{principal}"), PRINCIPAL_SK.to_owned());
        item.extend([
            ("holder".to_owned(), s(account.team.as_str())),
            ("doc".to_owned(), s(encode(&principal, &account)?)),
            ("GSI1PK".to_owned(), s(format!("TEAM_ACCOUNTS#{}", account.team))),
            ("GSI1SK".to_owned(), s(principal)),
            ("revision".to_owned(), AttributeValue::N(account.revision.to_string())),
        ]);
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match expected {
            // A principal an access request claimed before service accounts: a record without a revision.
            Some(0) => put.condition_expression("attribute_exists(PK) AND attribute_not_exists(revision)"),
            _ => at_revision(put, expected),
        };
        let change = TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build();
        match self.transact_audited(change, &audit).await? {
            Ok(()) => Ok(account),
            Err(_) => {
                let actual = self.get_account(&account.principal).await?.map(|a| a.revision);
                Err(StoreError::AccountConflict { principal: account.principal, expected, actual })
            }
        }
    }

    async fn delete_account(&self, principal: &Principal, expected: u64, audit: AuditEntry) -> Result<bool> {
        let delete = Delete::builder().table_name(&self.table).set_key(Some(principal_key(principal)));
        let delete = match expected {
            0 => delete.condition_expression("attribute_exists(PK) AND attribute_not_exists(revision)"),
            _ => delete
                .condition_expression("revision = :expected")
                .expression_attribute_values(":expected", AttributeValue::N(expected.to_string())),
        };
        let change = TransactWriteItem::builder().delete(delete.build().map_err(|e| internal(&e))?).build();
        match self.transact_audited(change, &audit).await? {
            Ok(()) => Ok(true),
            Err(_) => match self.get_account(principal).await?.map(|a| a.revision) {
                None => Ok(false),
                actual => {
                    Err(StoreError::AccountConflict { principal: principal.clone(), expected: Some(expected), actual })
                }
            },
        }
    }

    async fn claim_holder(&self, claim: &Claim) -> Result<Option<ProductId>> {
        let item = self.item(claim_key(claim)).await?;
        let holder = item.as_ref().and_then(|item| item.get("holder")).and_then(|h| h.as_s().ok());
        holder
            .map(|h| ProductId::parse(h.as_str()).map_err(|e| StoreError::Corrupt(format!("claim holder `{h}`: {e}"))))
            .transpose()
    }

    async fn add_claims(&self, product: &DataProduct) -> Result<Vec<(Claim, ProductId)>> {
        let mut held = Vec::new();
        for claim in Claim::of(product) {
            if let Some(holder) = self.add_claim(&claim, &product.id).await?
                && holder != product.id
            {
                held.push((claim, holder));
            }
        }
        Ok(held)
    }

    async fn claims_backfilled(&self) -> Result<bool> {
        Ok(self.item(generation_key()).await?.is_some_and(|item| item.contains_key("claims_backfilled")))
    }

    async fn mark_claims_backfilled(&self) -> Result<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(generation_key()))
            .update_expression("SET claims_backfilled = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn product_history(&self, id: &ProductId, limit: usize) -> Result<Vec<AuditEntry>> {
        self.query_docs(Query {
            index: None,
            condition: "PK = :pk AND begins_with(SK, :audit)",
            values: vec![(":pk", format!("PRODUCT#{id}")), (":audit", "AUDIT#".to_owned())],
            forward: false,
            limit: Some(limit),
        })
        .await
    }

    async fn recent_activity(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.query_docs(Query { forward: false, limit: Some(limit), ..Query::kind(AUDIT) }).await
    }

    async fn put_topics(&self, topics: Vec<TopicFacts>) -> Result<()> {
        let items = topics
            .iter()
            .map(|t| {
                let name = t.name.to_string();
                Ok(doc_item(format!("TOPIC#{name}"), TOPIC_SK.to_owned(), TOPIC_SK, name.clone(), encode(&name, t)?))
            })
            .collect::<Result<Vec<_>>>()?;
        self.write_batch(items).await
    }

    async fn topic(&self, name: &TopicName) -> Result<Option<TopicFacts>> {
        self.get_doc(topic_key(name)).await
    }

    async fn list_topics(&self) -> Result<Vec<TopicFacts>> {
        self.query_docs(Query::kind(TOPIC_SK)).await
    }

    async fn put_schema_versions(&self, versions: Vec<SchemaVersion>) -> Result<()> {
        let items = versions.iter().map(schema_item).collect::<Result<Vec<_>>>()?;
        self.write_batch(items).await?;
        // New versions change what search finds (field names): move the generation so indexes rebuild.
        let token = format!("schemas-{}", uuid::Uuid::new_v4().simple());
        self.transact(Vec::new(), &token, None, None)
            .await?
            .map_err(|_| StoreError::Corrupt("generation bump refused".into()))
    }

    async fn schema_versions(&self, subject: &str) -> Result<Vec<SchemaVersion>> {
        self.query_docs(Query {
            index: None,
            condition: "PK = :pk",
            values: vec![(":pk", format!("SUBJECT#{subject}"))],
            forward: true,
            limit: None,
        })
        .await
    }

    async fn all_schema_versions(&self) -> Result<Vec<SchemaVersion>> {
        self.query_docs(Query::kind(SCHEMA)).await
    }

    fn listings_lag(&self) -> bool {
        true
    }

    async fn notified(&self) -> Result<u64> {
        self.mark(notified_key()).await
    }

    async fn team_channels(&self, team: &TeamName) -> Result<Option<TeamChannelSettings>> {
        let Some(item) = self.item(channels_key(team)).await? else { return Ok(None) };
        // Channels written before revisions have none: they are at revision 1.
        let revision = item.get("revision").and_then(|r| r.as_n().ok()).map_or(Ok(1), |n| {
            n.parse().map_err(|_| StoreError::Corrupt(format!("team `{team}`'s channels at revision `{n}`")))
        })?;
        Ok(Some(TeamChannelSettings { settings: doc_of(&item)?, revision }))
    }

    async fn put_team_channels(
        &self,
        team: &TeamName,
        channels: &ChannelSettings,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<u64> {
        let revision = next_revision(expected);
        let mut item = channels_key(team);
        item.insert("doc".to_owned(), s(encode(team.as_str(), channels)?));
        item.insert("revision".to_owned(), AttributeValue::N(revision.to_string()));
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match expected {
            // Channels written before revisions are at revision 1 and carry none.
            Some(1) => put
                .condition_expression("attribute_exists(PK) AND (attribute_not_exists(revision) OR revision = :one)")
                .expression_attribute_values(":one", AttributeValue::N("1".into())),
            _ => at_revision(put, expected),
        };
        let change = TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build();
        match self.transact_audited(change, &audit).await? {
            Ok(()) => Ok(revision),
            Err(_) => Err(StoreError::Changed(format!("team `{team}`'s channels"))),
        }
    }

    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        self.query_docs(Query {
            index: None,
            condition: "PK = :pk AND SK > :after",
            values: vec![(":pk", EVENTS.to_owned()), (":after", event_sort_key(after))],
            forward: true,
            limit: Some(limit),
        })
        .await
    }

    async fn generation(&self) -> Result<u64> {
        let item = self.item(generation_key()).await?;
        let generation = item.as_ref().and_then(|item| item.get("generation")).and_then(|g| g.as_n().ok());
        generation.map_or(Ok(0), |g| g.parse().map_err(|_| StoreError::Corrupt(format!("generation `{g}`"))))
    }

    async fn hand_out(&self, from: u64, to: u64, deliveries: Vec<Delivery>) -> Result<()> {
        let items = deliveries.iter().map(delivery_item).collect::<Result<Vec<_>>>()?;
        // What does not fit in the mark's transaction goes first, each item only if absent: written again after a
        // crash, it changes nothing; its event is handed out only with the mark's transaction.
        let split = items.len().saturating_sub(DELIVERIES_PER_TRANSACTION);
        let (before, with_mark) = items.split_at(split);
        for item in before {
            let outcome = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(PK)")
                .send()
                .await;
            match outcome {
                Err(e) if !e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                    return Err(sdk_error(e));
                }
                _ => {}
            }
        }
        let mut mark = notified_key();
        mark.insert("at".to_owned(), AttributeValue::N(to.to_string()));
        let mark = Put::builder().table_name(&self.table).set_item(Some(mark));
        let mark = match from {
            0 => mark.condition_expression("attribute_not_exists(PK) OR #at = :from"),
            _ => mark.condition_expression("#at = :from"),
        };
        let mark = mark
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
            .build()
            .map_err(|e| internal(&e))?;
        let mut transaction = vec![TransactWriteItem::builder().put(mark).build()];
        for item in with_mark {
            let put = Put::builder().table_name(&self.table).set_item(Some(item.clone())).build();
            transaction.push(TransactWriteItem::builder().put(put.map_err(|e| internal(&e))?).build());
        }
        let outcome = self.client.transact_write_items().set_transact_items(Some(transaction)).send().await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e) => match cancellation(&e) {
                Cancellation::Conditions(_) | Cancellation::Contended => {
                    Err(StoreError::Busy(format!("the notifier's mark moved from {from} meanwhile")))
                }
                Cancellation::Other => Err(sdk_error(e)),
            },
        }
    }

    async fn delivery(&self, key: &DeliveryKey) -> Result<Option<Delivery>> {
        self.get_doc(delivery_key(key)).await
    }

    async fn pending_deliveries(&self, now: Timestamp, limit: usize) -> Result<Vec<Delivery>> {
        let due: Vec<Delivery> = self
            .query_docs(Query {
                index: Some("GSI2"),
                condition: "GSI2PK = :pk AND GSI2SK < :until",
                values: vec![(":pk", OUTBOX_PENDING.to_owned()), (":until", format!("{}~", due_key(now)))],
                forward: true,
                limit: Some(limit),
            })
            .await?;
        // The index is read eventually consistently and to the millisecond: what is no longer pending or not quite
        // due is left for later (a stale copy's attempt is refused by `record_attempt`'s condition).
        Ok(due.into_iter().filter(|d| d.state == DeliveryState::Pending && d.next_at <= now).collect())
    }

    async fn record_attempt(&self, key: &DeliveryKey, attempt: u32, outcome: Attempt) -> Result<()> {
        let stored: Delivery = self.delivery(key).await?.ok_or_else(|| StoreError::Changed(key.to_string()))?;
        let attempted = stored.attempted(attempt, outcome)?;
        let outcome = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(delivery_item(&attempted)?))
            .condition_expression("attempts = :before AND #state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":before", AttributeValue::N((attempt - 1).to_string()))
            .expression_attribute_values(":pending", s(state_name(DeliveryState::Pending)))
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Err(StoreError::Changed(key.to_string()))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>> {
        self.query_docs(Query { limit: Some(limit), ..Query::kind(OUTBOX_DEAD) }).await
    }

    async fn redeliver(&self, key: &DeliveryKey, now: Timestamp, audit: AuditEntry) -> Result<()> {
        let stored: Delivery = self.delivery(key).await?.ok_or_else(|| StoreError::Changed(key.to_string()))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(delivery_item(&stored.redelivered(now)?)?))
            .condition_expression("#state = :dead")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":dead", s(state_name(DeliveryState::DeadLettered)));
        let change = TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build();
        match self.transact_audited(change, &audit).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::Changed(key.to_string())),
        }
    }

    async fn remind(
        &self,
        key: &str,
        entry: AuditEntry,
        product: &DataProduct,
        request: Option<&AccessRequest>,
    ) -> Result<bool> {
        let mut once = self::key(format!("REMINDER#{key}"), REMINDER_SK.to_owned());
        once.insert("audit".to_owned(), s(entry.id.clone()));
        let mut items = Vec::new();
        for (item, condition) in [(once, Some("attribute_not_exists(PK)")), (audit_item(&entry)?, None)] {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .set_condition_expression(condition.map(str::to_owned));
            items.push(TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build());
        }
        let notice = Notice::of(&entry, Some(product), request);
        // Refused only when the reminder's record exists: another run recorded it.
        Ok(self.transact(items, &entry.id, Some(audit_key(&entry)), notice).await?.is_ok())
    }
    async fn watchers(&self, product: &ProductId) -> Result<Vec<Watch>> {
        self.query_docs(Query::under(format!("WATCH#{product}"), "PERSON#")).await
    }

    async fn put_watch(&self, watch: Watch, audit: AuditEntry) -> Result<()> {
        let mut item = watch_key(&watch.product, &watch.person);
        item.insert("doc".to_owned(), s(encode(&watch.person, &watch)?));
        let mut items = Vec::new();
        for item in [item, audit_item(&audit)?] {
            let put = Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(|e| internal(&e))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        self.transact(items, &audit.id, Some(audit_key(&audit)), None)
            .await?
            .map_err(|_| StoreError::Corrupt("a watch was refused".into()))
    }

    async fn delete_watch(&self, product: &ProductId, person: &str, audit: AuditEntry) -> Result<bool> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(watch_key(product, person)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(|e| internal(&e))?;
        let put = Put::builder().table_name(&self.table).set_item(Some(audit_item(&audit)?)).build();
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().put(put.map_err(|e| internal(&e))?).build(),
        ];
        // Refused only when there was no watch to remove.
        Ok(self.transact(items, &audit.id, Some(audit_key(&audit)), None).await?.is_ok())
    }

    async fn personal_settings(&self, person: &str) -> Result<Option<PersonalSettings>> {
        self.get_doc(key(format!("PERSON#{person}"), SETTINGS_SK.to_owned())).await
    }

    async fn put_personal_settings(&self, person: &str, settings: &PersonalSettings) -> Result<()> {
        let mut item = key(format!("PERSON#{person}"), SETTINGS_SK.to_owned());
        item.insert("doc".to_owned(), s(encode(person, settings)?));
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(|e| internal(&e))?;
        let request = self.client.transact_write_items().transact_items(TransactWriteItem::builder().put(put).build());
        request.send().await.map(|_| ()).map_err(sdk_error)
    }

    async fn published(&self) -> Result<u64> {
        self.mark(key("META".to_owned(), "PUBLISHED".to_owned())).await
    }

    async fn advance_published(&self, from: u64, to: u64) -> Result<()> {
        self.advance_mark(key("META".to_owned(), "PUBLISHED".to_owned()), from, to).await
    }

    async fn get_token(&self, id: &str) -> Result<Option<StoredToken>> {
        self.get_doc(token_key(id)).await
    }

    async fn team_tokens(&self, team: &TeamName) -> Result<Vec<StoredToken>> {
        self.query_docs(Query::grouped(format!("TEAM_TOKENS#{team}"))).await
    }

    async fn put_token(&self, mut token: StoredToken, expected: Option<u64>, audit: AuditEntry) -> Result<StoredToken> {
        token.revision = next_revision(expected);
        let put = at_revision(Put::builder().table_name(&self.table).set_item(Some(token_item(&token)?)), expected);
        let request_token = audit.id.clone();
        let written = audit_key(&audit);
        let audit = Put::builder().table_name(&self.table).set_item(Some(audit_item(&audit)?)).build();
        let mut items = vec![
            TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build(),
            TransactWriteItem::builder().put(audit.map_err(|e| internal(&e))?).build(),
        ];
        // A token's name is held by a guard item from its making until it is revoked or expires, so that two tokens
        // made at once cannot share it (a Query of the team's tokens would not see the other yet).
        let guard = || key(format!("TOKEN_NAME#{}#{}", token.token.team, token.token.name), "GUARD".to_owned());
        let held = s(token.token.id.as_str());
        if expected.is_none() {
            let expires = token.token.expires_at.parse::<Timestamp>().map_err(|e| internal(&e))?.as_second();
            let made = token.token.created_at.parse::<Timestamp>().map_err(|e| internal(&e))?.as_second();
            let mut item = guard();
            item.extend([("holder".to_owned(), held), ("until".to_owned(), AttributeValue::N(expires.to_string()))]);
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK) OR #until <= :made")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":made", AttributeValue::N(made.to_string()))
                .build()
                .map_err(|e| internal(&e))?;
            items.push(TransactWriteItem::builder().put(put).build());
        } else if token.token.revoked_at.is_some() {
            // Released only while this token holds it: an expired token's name may be another's by now.
            let holder = self.item(guard()).await?.and_then(|guard| guard.get("holder").cloned());
            if holder.as_ref() == Some(&held) {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(guard()))
                    .condition_expression("holder = :holder")
                    .expression_attribute_values(":holder", held)
                    .build()
                    .map_err(|e| internal(&e))?;
                items.push(TransactWriteItem::builder().delete(delete).build());
            }
        }
        match self.transact(items, &request_token, Some(written), None).await? {
            Ok(()) => Ok(token),
            // Item 2 is the name's guard; item 0 the token itself.
            Err(failed) if expected.is_none() && failed.contains(&2) => Err(token.name_taken()),
            Err(_) => Err(StoreError::Changed(format!("API token `{}`", token.token.id))),
        }
    }

    async fn touch_token(&self, token: &StoredToken) -> Result<bool> {
        let outcome = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(token_item(token)?))
            .condition_expression("revision = :expected")
            .expression_attribute_values(":expected", AttributeValue::N(token.revision.to_string()))
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn put_proposal(
        &self,
        mut proposal: ChangeProposal,
        expected: Option<u64>,
        audit: AuditEntry,
    ) -> Result<ChangeProposal> {
        proposal.revision = next_revision(expected);
        let put =
            at_revision(Put::builder().table_name(&self.table).set_item(Some(proposal_item(&proposal)?)), expected);
        let request_token = audit.id.clone();
        let written = audit_key(&audit);
        // The product as it is now, for the event's words only: no condition on it.
        let product = self.get_product(&proposal.product).await?;
        let notice = product.and_then(|product| Notice::of_proposal(&audit, &product, &proposal));
        let audit = Put::builder().table_name(&self.table).set_item(Some(audit_item(&audit)?)).build();
        let mut items = vec![
            TransactWriteItem::builder().put(put.build().map_err(|e| internal(&e))?).build(),
            TransactWriteItem::builder().put(audit.map_err(|e| internal(&e))?).build(),
        ];
        // The product's one proposal that is not final holds a guard item from its making to its end, so that two
        // made at once cannot both be stored (a Query of the product's proposals would not see the other's yet).
        let guard = || key(format!("PROPOSAL_WAITING#{}", proposal.product), "GUARD".to_owned());
        let held = s(proposal.id.as_str());
        if expected.is_none() && !proposal.state.is_final() {
            let mut item = guard();
            item.insert("proposal".to_owned(), held);
            let put = Put::builder().table_name(&self.table).set_item(Some(item));
            let put = put.condition_expression("attribute_not_exists(PK)").build().map_err(|e| internal(&e))?;
            items.push(TransactWriteItem::builder().put(put).build());
        } else if proposal.state.is_final() {
            let delete = Delete::builder().table_name(&self.table).set_key(Some(guard()));
            let delete = delete
                .condition_expression("attribute_not_exists(PK) OR proposal = :proposal")
                .expression_attribute_values(":proposal", held)
                .build()
                .map_err(|e| internal(&e))?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        match self.transact(items, &request_token, Some(written), notice).await? {
            Ok(()) => Ok(proposal),
            // Item 2 is the product's guard; item 0 the proposal itself.
            Err(failed) if expected.is_none() && failed.contains(&2) => {
                Err(StoreError::waiting_proposal(&proposal.product))
            }
            Err(_) => Err(StoreError::Changed(format!("change proposal `{}`", proposal.id))),
        }
    }

    async fn get_proposal(&self, id: &str) -> Result<Option<ChangeProposal>> {
        self.get_doc(key(format!("PROPOSAL#{id}"), PROPOSAL_SK.to_owned())).await
    }

    async fn product_proposals(&self, product: &ProductId) -> Result<Vec<ChangeProposal>> {
        self.query_docs(Query::grouped(format!("PRODUCT_PROPOSALS#{product}"))).await
    }

    async fn waiting_proposals(&self) -> Result<Vec<ChangeProposal>> {
        let mut waiting = Vec::new();
        for state in [ProposalState::Open, ProposalState::Approved] {
            waiting.extend(self.query_docs(Query::kind(&format!("PROPOSAL_STATE#{}", state.as_str()))).await?);
        }
        Ok(waiting)
    }
}

const PROPOSAL_SK: &str = "PROPOSAL";

/// A change proposal's item: `PK = PROPOSAL#<id>`, `SK = PROPOSAL`, found by product through GSI1
/// (`PRODUCT_PROPOSALS#<product>`) and by state through GSI2 (`PROPOSAL_STATE#<state>`).
fn proposal_item(proposal: &ChangeProposal) -> Result<Item> {
    let id = &proposal.id;
    let mut item = doc_item(
        format!("PROPOSAL#{id}"),
        PROPOSAL_SK.to_owned(),
        &format!("PROPOSAL_STATE#{}", proposal.state.as_str()),
        id.clone(),
        encode(id, proposal)?,
    );
    item.extend([
        ("GSI1PK".to_owned(), s(format!("PRODUCT_PROPOSALS#{}", proposal.product))),
        ("GSI1SK".to_owned(), s(id.as_str())),
        ("revision".to_owned(), AttributeValue::N(proposal.revision.to_string())),
    ]);
    Ok(item)
}

/// An API token's item: `PK = TOKEN#<id>`, `SK = TOKEN`, found by team through GSI1 (`TEAM_TOKENS#<team>`).
fn token_key(id: &str) -> Item {
    key(format!("TOKEN#{id}"), "TOKEN".to_owned())
}

fn token_item(token: &StoredToken) -> Result<Item> {
    let id = &token.token.id;
    let mut item = token_key(id);
    item.extend([
        ("doc".to_owned(), s(encode(id, token)?)),
        ("GSI1PK".to_owned(), s(format!("TEAM_TOKENS#{}", token.token.team))),
        ("GSI1SK".to_owned(), s(id.as_str())),
        ("revision".to_owned(), AttributeValue::N(token.revision.to_string())),
    ]);
    Ok(item)
}

/// The marks kept under `PK = META` (`NOTIFIED`, `PUBLISHED`): how far through the events something got.
impl DynamoStore {
    async fn mark(&self, key: Item) -> Result<u64> {
        let item = self.item(key).await?;
        let at = item.as_ref().and_then(|item| item.get("at")).and_then(|n| n.as_n().ok());
        at.map_or(Ok(0), |n| n.parse().map_err(|_| StoreError::Corrupt(format!("mark `{n}`"))))
    }

    /// Moves a mark from `from` to `to` with a PutItem on condition it is still at `from`.
    async fn advance_mark(&self, mut item: Item, from: u64, to: u64) -> Result<()> {
        item.insert("at".to_owned(), AttributeValue::N(to.to_string()));
        let put = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let put = match from {
            0 => put.condition_expression("attribute_not_exists(PK) OR #at = :from"),
            _ => put.condition_expression("#at = :from"),
        };
        let outcome = put
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Err(StoreError::Busy(format!("the mark moved from {from} meanwhile")))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }
}

fn delivery_key(key: &DeliveryKey) -> Item {
    self::key(format!("DELIVERY#{:020}", key.seq), format!("TO#{}", key.destination))
}

/// When a delivery is due, as a sort key that sorts in time order (to the millisecond).
fn due_key(at: Timestamp) -> String {
    format!("{:020}", at.as_millisecond().max(0))
}

fn state_name(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::DeadLettered => "dead_lettered",
    }
}

/// A delivery's item: its document, `attempts` and `state` for the conditions, and its place in the sparse index
/// of pending deliveries (by when due) or of dead letters (by event), or in neither once delivered.
fn delivery_item(delivery: &Delivery) -> Result<Item> {
    let mut item = delivery_key(&delivery.key);
    let id = format!("{:020}#{}", delivery.key.seq, delivery.key.destination);
    item.extend([
        ("doc".to_owned(), s(encode(&id, delivery)?)),
        ("attempts".to_owned(), AttributeValue::N(delivery.attempts.to_string())),
        ("state".to_owned(), s(state_name(delivery.state))),
    ]);
    let placement = match delivery.state {
        DeliveryState::Pending => Some((OUTBOX_PENDING, format!("{}#{id}", due_key(delivery.next_at)))),
        DeliveryState::DeadLettered => Some((OUTBOX_DEAD, id)),
        DeliveryState::Delivered => None,
    };
    if let Some((partition, sort)) = placement {
        item.extend([("GSI2PK".to_owned(), s(partition)), ("GSI2SK".to_owned(), s(sort))]);
    }
    Ok(item)
}
