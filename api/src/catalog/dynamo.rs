//! The DynamoDB catalog: one table, items addressed by `PK`/`SK`, two global secondary indexes.
//!
//! Access patterns (every request path is a GetItem or a Query, never a Scan):
//!
//! | pattern                    | operation                                            |
//! |----------------------------|------------------------------------------------------|
//! | get a product              | GetItem `PK = PRODUCT#<id>`, `SK = PRODUCT`          |
//! | list every product         | Query `GSI2` where `GSI2PK = PRODUCT`, by `GSI2SK` (id) |
//! | list a domain's products   | Query `GSI1` where `GSI1PK = DOMAIN#<domain>`, by `GSI1SK` |
//! | optimistic write           | PutItem conditioned on `revision` (or absence)       |
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
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use meshport_shared::{DataProduct, DomainName, ProductId};

use super::{CatalogStore, Result, StoreError, decode, encode, next_revision};

const PRODUCT_SK: &str = "PRODUCT";

/// Where the table is and how to reach it.
#[derive(Clone)]
pub struct DynamoSettings {
    pub table: String,
    pub region: String,
    /// An endpoint override, for moto or DynamoDB Local; `None` means AWS.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for DynamoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials stay out of logs.
        f.debug_struct("DynamoSettings")
            .field("table", &self.table)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

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

    async fn query(&self, index: &str, pk_attribute: &str, pk: String) -> Result<Vec<DataProduct>> {
        let mut products = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", pk_attribute)
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in page.items() {
                products.push(product_of(item)?);
            }
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(products),
            }
        }
    }

    async fn stored_revision(&self, id: &ProductId) -> Result<Option<u64>> {
        Ok(self.get_product(id).await?.map(|p| p.revision))
    }
}

fn product_key(id: &ProductId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(format!("PRODUCT#{id}"))),
        ("SK".to_owned(), AttributeValue::S(PRODUCT_SK.to_owned())),
    ])
}

fn product_item(product: &DataProduct) -> Result<HashMap<String, AttributeValue>> {
    let mut item = product_key(&product.id);
    let s = |v: String| AttributeValue::S(v);
    item.extend([
        ("GSI1PK".to_owned(), s(format!("DOMAIN#{}", product.domain))),
        ("GSI1SK".to_owned(), s(product.id.to_string())),
        ("GSI2PK".to_owned(), s(PRODUCT_SK.to_owned())),
        ("GSI2SK".to_owned(), s(product.id.to_string())),
        ("revision".to_owned(), AttributeValue::N(product.revision.to_string())),
        ("doc".to_owned(), s(encode(product)?)),
    ]);
    Ok(item)
}

fn product_of(item: &HashMap<String, AttributeValue>) -> Result<DataProduct> {
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
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(product_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        output.item().map(product_of).transpose()
    }

    async fn list_products(&self) -> Result<Vec<DataProduct>> {
        self.query("GSI2", "GSI2PK", PRODUCT_SK.to_owned()).await
    }

    async fn list_domain_products(&self, domain: &DomainName) -> Result<Vec<DataProduct>> {
        self.query("GSI1", "GSI1PK", format!("DOMAIN#{domain}")).await
    }

    async fn put_product(&self, mut product: DataProduct, expected: Option<u64>) -> Result<DataProduct> {
        product.revision = next_revision(expected);
        let request = self.client.put_item().table_name(&self.table).set_item(Some(product_item(&product)?));
        let request = match expected {
            None => request.condition_expression("attribute_not_exists(PK)"),
            Some(revision) => request
                .condition_expression("revision = :expected")
                .expression_attribute_values(":expected", AttributeValue::N(revision.to_string())),
        };
        match request.send().await {
            Ok(_) => Ok(product),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                let actual = self.stored_revision(&product.id).await?;
                Err(StoreError::Conflict { id: product.id, expected, actual })
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn delete_product(&self, id: &ProductId) -> Result<bool> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(product_key(id)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output.attributes().is_some_and(|a| !a.is_empty()))
    }
}
