//! Kafka's ACLs (KIP-140): CreateAcls, DescribeAcls and DeleteAcls, and the bindings and filters they take.
//!
//! A binding says that a principal may (ALLOW) or may not (DENY) do an operation on a resource, from a host. Kafka
//! keeps bindings as a set: creating one that exists changes nothing, so creating is idempotent.

use std::fmt;
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::types::RDKafkaErrorCode;

use crate::{AdminError, Owned, Request, c_string, elements, message_in, read_error, send_request, string_at};

const CREATE_ACLS: Request = Request { op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEACLS, name: "CreateAcls" };
const DESCRIBE_ACLS: Request =
    Request { op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEACLS, name: "DescribeAcls" };
const DELETE_ACLS: Request = Request { op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEACLS, name: "DeleteAcls" };

/// What kind of resource a binding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    Topic,
    /// A consumer group.
    Group,
    /// The cluster itself (its one resource is named `kafka-cluster`).
    Cluster,
    TransactionalId,
    /// A kind librdkafka does not know (a newer Kafka's, such as delegation tokens). Only ever in answers: a request
    /// naming it is refused before it is sent.
    Unknown,
}

/// How a binding's resource name is matched against the names of resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternType {
    /// The name itself (or every resource, for the name `*`).
    Literal,
    /// Every name that starts with it.
    Prefixed,
    /// A pattern type librdkafka does not know. Only ever in answers.
    Unknown,
}

/// An operation on a resource. Kafka implies some from others: `All` implies every operation, and `Read`, `Write`,
/// `Delete` and `Alter` each imply `Describe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AclOperation {
    All,
    Read,
    Write,
    Create,
    Delete,
    Alter,
    Describe,
    ClusterAction,
    DescribeConfigs,
    AlterConfigs,
    IdempotentWrite,
    /// An operation librdkafka does not know (a newer Kafka's, such as CREATE_TOKENS). Only ever in answers.
    Unknown,
}

/// Whether a binding grants or denies; a DENY wins over any ALLOW.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AclPermission {
    Allow,
    Deny,
    /// A permission type librdkafka does not know. Only ever in answers.
    Unknown,
}

/// One ACL: `principal` (`User:svc-fraud`) is allowed or denied `operation` on the resources of `resource_type` that
/// `name` matches (by `pattern`), when connecting from `host` (`*` for any).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AclBinding {
    pub resource_type: ResourceType,
    pub name: String,
    pub pattern: PatternType,
    pub principal: String,
    pub host: String,
    pub operation: AclOperation,
    pub permission: AclPermission,
}

/// Which bindings a DescribeAcls or DeleteAcls is about: each field that is set must match, `None` matches any value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclBindingFilter {
    pub resource_type: Option<ResourceType>,
    pub name: Option<String>,
    pub pattern: PatternFilter,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: Option<AclOperation>,
    pub permission: Option<AclPermission>,
}

/// How a filter's resource name selects bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternFilter {
    /// Bindings of any pattern type whose name is the filter's (every binding, without a name).
    Any,
    /// Bindings that apply to the resource the filter names: its literal bindings, the wildcard `*` and every
    /// prefixed binding whose prefix it starts with. Needs a name.
    Match,
    /// Literal bindings only.
    Literal,
    /// Prefixed bindings only.
    Prefixed,
}

impl AclBinding {
    /// `principal` is allowed `operation` on the resources of `resource_type` that `name` matches (by `pattern`),
    /// from any host.
    pub fn allow(
        resource_type: ResourceType,
        name: &str,
        pattern: PatternType,
        principal: &str,
        operation: AclOperation,
    ) -> Self {
        Self {
            resource_type,
            name: name.to_owned(),
            pattern,
            principal: principal.to_owned(),
            host: "*".to_owned(),
            operation,
            permission: AclPermission::Allow,
        }
    }
}

impl AclBindingFilter {
    /// Every binding of the cluster.
    pub fn any() -> Self {
        Self {
            resource_type: None,
            name: None,
            pattern: PatternFilter::Any,
            principal: None,
            host: None,
            operation: None,
            permission: None,
        }
    }

    /// This binding and no other.
    pub fn exactly(binding: &AclBinding) -> Self {
        Self {
            resource_type: Some(binding.resource_type),
            name: Some(binding.name.clone()),
            pattern: match binding.pattern {
                PatternType::Literal => PatternFilter::Literal,
                PatternType::Prefixed => PatternFilter::Prefixed,
                // librdkafka refuses to send it; the filter then fails as a whole rather than matching too much.
                PatternType::Unknown => PatternFilter::Literal,
            },
            principal: Some(binding.principal.clone()),
            host: Some(binding.host.clone()),
            operation: Some(binding.operation),
            permission: Some(binding.permission),
        }
    }
}

/// Creates the bindings (those that exist already stay as they are). Fails with the first binding the cluster
/// refused, named in the message; the others of the same call may have been created, so a caller retries the whole
/// call, which is idempotent. Blocks for at most `timeout`.
pub fn create_acls<C: ClientContext>(
    client: &Client<C>,
    bindings: &[AclBinding],
    timeout: Duration,
) -> Result<(), AdminError> {
    if bindings.is_empty() {
        return Ok(());
    }
    let natives = bindings.iter().map(native_binding).collect::<Result<Vec<_>, _>>()?;
    let mut pointers: Vec<*mut rd::rd_kafka_AclBinding_t> = natives.iter().map(|native| native.0).collect();
    let answer = send_request(client, CREATE_ACLS, timeout, |rk, options, queue| {
        // SAFETY: every pointer is alive for the call (their guards are in scope); librdkafka copies the bindings
        // and options before it returns and keeps its own reference to the queue until it has answered.
        unsafe { rd::rd_kafka_CreateAcls(rk, pointers.as_mut_ptr(), pointers.len(), options, queue) }
    })?;
    let result = answer.result(rd::rd_kafka_event_CreateAcls_result)?;
    let mut count = 0usize;
    // SAFETY: the array belongs to the event, alive until the end of this function.
    let outcomes = unsafe { elements(rd::rd_kafka_CreateAcls_result_acls(result, &mut count).cast_const(), count) };
    if outcomes.len() != bindings.len() {
        return Err(AdminError::new(
            RDKafkaErrorCode::Fail,
            format!("CreateAcls answered for {} of {} bindings", outcomes.len(), bindings.len()),
        ));
    }
    // The outcomes come in the order of the request's bindings.
    for (binding, &outcome) in bindings.iter().zip(outcomes) {
        // SAFETY: the outcome belongs to the live event; its error, if any, too.
        if let Some(error) = unsafe { read_error(rd::rd_kafka_acl_result_error(outcome)) } {
            return Err(error.about(binding));
        }
    }
    Ok(())
}

/// The bindings `filter` selects, in the cluster's order. Blocks for at most `timeout`.
///
/// librdkafka (2.12) drops DescribeAcls' request-level error: where the broker refuses the request as a whole (our
/// principal lacks DESCRIBE on the cluster, or the cluster has no authorizer), this answers with no bindings.
pub fn describe_acls<C: ClientContext>(
    client: &Client<C>,
    filter: &AclBindingFilter,
    timeout: Duration,
) -> Result<Vec<AclBinding>, AdminError> {
    let native = native_filter(filter)?;
    let answer = send_request(client, DESCRIBE_ACLS, timeout, |rk, options, queue| {
        // SAFETY: the filter, options and queue are alive for the call; librdkafka copies the filter and options
        // before it returns and keeps its own reference to the queue until it has answered.
        unsafe { rd::rd_kafka_DescribeAcls(rk, native.0, options, queue) }
    })?;
    let result = answer.result(rd::rd_kafka_event_DescribeAcls_result)?;
    let mut count = 0usize;
    // SAFETY: the array and its bindings belong to the event, alive until the end of this function; each binding
    // is copied into Rust values.
    unsafe {
        let bindings = elements(rd::rd_kafka_DescribeAcls_result_acls(result, &mut count).cast_const(), count);
        Ok(bindings.iter().map(|&binding| read_binding(binding)).collect())
    }
}

/// Deletes every binding one of `filters` selects and returns those deleted (none, when nothing matched: deleting
/// is idempotent). Fails with the first filter, or matching binding, the cluster refused to delete, named in the
/// message; other deletions of the same call may have happened. Blocks for at most `timeout`.
pub fn delete_acls<C: ClientContext>(
    client: &Client<C>,
    filters: &[AclBindingFilter],
    timeout: Duration,
) -> Result<Vec<AclBinding>, AdminError> {
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let natives = filters.iter().map(native_filter).collect::<Result<Vec<_>, _>>()?;
    let mut pointers: Vec<*mut rd::rd_kafka_AclBindingFilter_t> = natives.iter().map(|native| native.0).collect();
    let answer = send_request(client, DELETE_ACLS, timeout, |rk, options, queue| {
        // SAFETY: every pointer is alive for the call (their guards are in scope); librdkafka copies the filters
        // and options before it returns and keeps its own reference to the queue until it has answered.
        unsafe { rd::rd_kafka_DeleteAcls(rk, pointers.as_mut_ptr(), pointers.len(), options, queue) }
    })?;
    let result = answer.result(rd::rd_kafka_event_DeleteAcls_result)?;
    let mut count = 0usize;
    let mut deleted = Vec::new();
    // SAFETY: the responses, their errors and their bindings belong to the event, alive until the end of this
    // function; everything read is copied into Rust values.
    unsafe {
        let responses = elements(rd::rd_kafka_DeleteAcls_result_responses(result, &mut count).cast_const(), count);
        // The responses come in the order of the request's filters.
        for (filter, &response) in filters.iter().zip(responses) {
            if let Some(error) = read_error(rd::rd_kafka_DeleteAcls_result_response_error(response)) {
                return Err(error.about(format_args!("deleting the bindings of {filter}")));
            }
            let mut matched = 0usize;
            let bindings = elements(
                rd::rd_kafka_DeleteAcls_result_response_matching_acls(response, &mut matched).cast_const(),
                matched,
            );
            for &binding in bindings {
                let read = read_binding(binding);
                if let Some(error) = read_error(rd::rd_kafka_AclBinding_error(binding)) {
                    return Err(error.about(format_args!("deleting {read}")));
                }
                deleted.push(read);
            }
        }
    }
    Ok(deleted)
}

/// A binding as librdkafka takes it, in a guard.
fn native_binding(binding: &AclBinding) -> Result<Owned<rd::rd_kafka_AclBinding_t>, AdminError> {
    let name = c_string(&binding.name)?;
    let principal = c_string(&binding.principal)?;
    let host = c_string(&binding.host)?;
    let mut errstr = [0; 512];
    // SAFETY: the strings are valid C strings that librdkafka copies; errstr is a writable buffer of the length
    // given; the binding returned, if any, is ours and goes into a guard.
    let native = unsafe {
        rd::rd_kafka_AclBinding_new(
            binding.resource_type.native(),
            name.as_ptr(),
            binding.pattern.native(),
            principal.as_ptr(),
            host.as_ptr(),
            binding.operation.native(),
            binding.permission.native(),
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if native.is_null() {
        return Err(AdminError::new(RDKafkaErrorCode::InvalidArgument, message_in(&errstr)).about(binding));
    }
    Ok(Owned(native, rd::rd_kafka_AclBinding_destroy))
}

/// A filter as librdkafka takes it, in a guard.
fn native_filter(filter: &AclBindingFilter) -> Result<Owned<rd::rd_kafka_AclBindingFilter_t>, AdminError> {
    let name = filter.name.as_deref().map(c_string).transpose()?;
    let principal = filter.principal.as_deref().map(c_string).transpose()?;
    let host = filter.host.as_deref().map(c_string).transpose()?;
    let pointer = |text: &Option<std::ffi::CString>| text.as_ref().map_or(std::ptr::null(), |text| text.as_ptr());
    let pattern = match filter.pattern {
        PatternFilter::Any => rd::rd_kafka_ResourcePatternType_t::RD_KAFKA_RESOURCE_PATTERN_ANY,
        PatternFilter::Match => rd::rd_kafka_ResourcePatternType_t::RD_KAFKA_RESOURCE_PATTERN_MATCH,
        PatternFilter::Literal => PatternType::Literal.native(),
        PatternFilter::Prefixed => PatternType::Prefixed.native(),
    };
    let mut errstr = [0; 512];
    // SAFETY: the strings are valid C strings (or null, which a filter allows) that librdkafka copies; errstr is a
    // writable buffer of the length given; the filter returned, if any, is ours and goes into a guard.
    let native = unsafe {
        rd::rd_kafka_AclBindingFilter_new(
            filter.resource_type.map_or(rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_ANY, ResourceType::native),
            pointer(&name),
            pattern,
            pointer(&principal),
            pointer(&host),
            filter.operation.map_or(rd::rd_kafka_AclOperation_t::RD_KAFKA_ACL_OPERATION_ANY, AclOperation::native),
            filter
                .permission
                .map_or(rd::rd_kafka_AclPermissionType_t::RD_KAFKA_ACL_PERMISSION_TYPE_ANY, AclPermission::native),
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if native.is_null() {
        return Err(AdminError::new(RDKafkaErrorCode::InvalidArgument, message_in(&errstr)).about(filter));
    }
    Ok(Owned(native, rd::rd_kafka_AclBinding_destroy))
}

/// Copies a binding of an answer.
///
/// # Safety
/// `binding` is a live binding for the call.
unsafe fn read_binding(binding: *const rd::rd_kafka_AclBinding_t) -> AclBinding {
    // SAFETY: the caller promises a live binding; its strings live as long as it does and are copied at once.
    unsafe {
        AclBinding {
            resource_type: ResourceType::from_native(rd::rd_kafka_AclBinding_restype(binding)),
            name: string_at(rd::rd_kafka_AclBinding_name(binding)),
            pattern: PatternType::from_native(rd::rd_kafka_AclBinding_resource_pattern_type(binding)),
            principal: string_at(rd::rd_kafka_AclBinding_principal(binding)),
            host: string_at(rd::rd_kafka_AclBinding_host(binding)),
            operation: AclOperation::from_native(rd::rd_kafka_AclBinding_operation(binding)),
            permission: AclPermission::from_native(rd::rd_kafka_AclBinding_permission_type(binding)),
        }
    }
}

impl ResourceType {
    /// Kafka's name for it, as `kafka-acls` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Topic => "TOPIC",
            Self::Group => "GROUP",
            Self::Cluster => "CLUSTER",
            Self::TransactionalId => "TRANSACTIONAL_ID",
            Self::Unknown => "UNKNOWN",
        }
    }

    fn native(self) -> rd::rd_kafka_ResourceType_t {
        use rd::rd_kafka_ResourceType_t as Native;
        match self {
            Self::Topic => Native::RD_KAFKA_RESOURCE_TOPIC,
            Self::Group => Native::RD_KAFKA_RESOURCE_GROUP,
            // librdkafka calls Kafka's CLUSTER resource type (code 4) BROKER.
            Self::Cluster => Native::RD_KAFKA_RESOURCE_BROKER,
            Self::TransactionalId => Native::RD_KAFKA_RESOURCE_TRANSACTIONAL_ID,
            Self::Unknown => Native::RD_KAFKA_RESOURCE_UNKNOWN,
        }
    }

    fn from_native(native: rd::rd_kafka_ResourceType_t) -> Self {
        use rd::rd_kafka_ResourceType_t as Native;
        match native {
            Native::RD_KAFKA_RESOURCE_TOPIC => Self::Topic,
            Native::RD_KAFKA_RESOURCE_GROUP => Self::Group,
            Native::RD_KAFKA_RESOURCE_BROKER => Self::Cluster,
            Native::RD_KAFKA_RESOURCE_TRANSACTIONAL_ID => Self::TransactionalId,
            _ => Self::Unknown,
        }
    }
}

impl PatternType {
    /// Kafka's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Literal => "LITERAL",
            Self::Prefixed => "PREFIXED",
            Self::Unknown => "UNKNOWN",
        }
    }

    fn native(self) -> rd::rd_kafka_ResourcePatternType_t {
        use rd::rd_kafka_ResourcePatternType_t as Native;
        match self {
            Self::Literal => Native::RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            Self::Prefixed => Native::RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
            Self::Unknown => Native::RD_KAFKA_RESOURCE_PATTERN_UNKNOWN,
        }
    }

    fn from_native(native: rd::rd_kafka_ResourcePatternType_t) -> Self {
        use rd::rd_kafka_ResourcePatternType_t as Native;
        match native {
            Native::RD_KAFKA_RESOURCE_PATTERN_LITERAL => Self::Literal,
            Native::RD_KAFKA_RESOURCE_PATTERN_PREFIXED => Self::Prefixed,
            _ => Self::Unknown,
        }
    }
}

impl AclOperation {
    /// Kafka's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::Read => "READ",
            Self::Write => "WRITE",
            Self::Create => "CREATE",
            Self::Delete => "DELETE",
            Self::Alter => "ALTER",
            Self::Describe => "DESCRIBE",
            Self::ClusterAction => "CLUSTER_ACTION",
            Self::DescribeConfigs => "DESCRIBE_CONFIGS",
            Self::AlterConfigs => "ALTER_CONFIGS",
            Self::IdempotentWrite => "IDEMPOTENT_WRITE",
            Self::Unknown => "UNKNOWN",
        }
    }

    fn native(self) -> rd::rd_kafka_AclOperation_t {
        use rd::rd_kafka_AclOperation_t as Native;
        match self {
            Self::All => Native::RD_KAFKA_ACL_OPERATION_ALL,
            Self::Read => Native::RD_KAFKA_ACL_OPERATION_READ,
            Self::Write => Native::RD_KAFKA_ACL_OPERATION_WRITE,
            Self::Create => Native::RD_KAFKA_ACL_OPERATION_CREATE,
            Self::Delete => Native::RD_KAFKA_ACL_OPERATION_DELETE,
            Self::Alter => Native::RD_KAFKA_ACL_OPERATION_ALTER,
            Self::Describe => Native::RD_KAFKA_ACL_OPERATION_DESCRIBE,
            Self::ClusterAction => Native::RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION,
            Self::DescribeConfigs => Native::RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS,
            Self::AlterConfigs => Native::RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS,
            Self::IdempotentWrite => Native::RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE,
            Self::Unknown => Native::RD_KAFKA_ACL_OPERATION_UNKNOWN,
        }
    }

    fn from_native(native: rd::rd_kafka_AclOperation_t) -> Self {
        use rd::rd_kafka_AclOperation_t as Native;
        match native {
            Native::RD_KAFKA_ACL_OPERATION_ALL => Self::All,
            Native::RD_KAFKA_ACL_OPERATION_READ => Self::Read,
            Native::RD_KAFKA_ACL_OPERATION_WRITE => Self::Write,
            Native::RD_KAFKA_ACL_OPERATION_CREATE => Self::Create,
            Native::RD_KAFKA_ACL_OPERATION_DELETE => Self::Delete,
            Native::RD_KAFKA_ACL_OPERATION_ALTER => Self::Alter,
            Native::RD_KAFKA_ACL_OPERATION_DESCRIBE => Self::Describe,
            Native::RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION => Self::ClusterAction,
            Native::RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS => Self::DescribeConfigs,
            Native::RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS => Self::AlterConfigs,
            Native::RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE => Self::IdempotentWrite,
            _ => Self::Unknown,
        }
    }
}

impl AclPermission {
    /// Kafka's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Deny => "DENY",
            Self::Unknown => "UNKNOWN",
        }
    }

    fn native(self) -> rd::rd_kafka_AclPermissionType_t {
        use rd::rd_kafka_AclPermissionType_t as Native;
        match self {
            Self::Allow => Native::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
            Self::Deny => Native::RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
            Self::Unknown => Native::RD_KAFKA_ACL_PERMISSION_TYPE_UNKNOWN,
        }
    }

    fn from_native(native: rd::rd_kafka_AclPermissionType_t) -> Self {
        use rd::rd_kafka_AclPermissionType_t as Native;
        match native {
            Native::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW => Self::Allow,
            Native::RD_KAFKA_ACL_PERMISSION_TYPE_DENY => Self::Deny,
            _ => Self::Unknown,
        }
    }
}

impl fmt::Display for AclBinding {
    /// `ALLOW User:svc-fraud READ on TOPIC `orders` (LITERAL) from host *`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} on {} `{}` ({}) from host {}",
            self.permission.as_str(),
            self.principal,
            self.operation.as_str(),
            self.resource_type.as_str(),
            self.name,
            self.pattern.as_str(),
            self.host
        )
    }
}

impl fmt::Display for AclBindingFilter {
    /// Like a binding, with `any` for what the filter leaves open.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pattern = match self.pattern {
            PatternFilter::Any => "any pattern",
            PatternFilter::Match => "MATCH",
            PatternFilter::Literal => "LITERAL",
            PatternFilter::Prefixed => "PREFIXED",
        };
        let name = self.name.as_ref().map_or_else(|| "any name".to_owned(), |name| format!("`{name}`"));
        write!(
            f,
            "{} {} {} on {} {name} ({pattern}) from host {}",
            self.permission.map_or("any permission", AclPermission::as_str),
            self.principal.as_deref().unwrap_or("any principal"),
            self.operation.map_or("any operation", AclOperation::as_str),
            self.resource_type.map_or("any resource type", ResourceType::as_str),
            self.host.as_deref().unwrap_or("any")
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::tests::unreachable;

    fn binding(name: &str) -> AclBinding {
        AclBinding::allow(ResourceType::Topic, name, PatternType::Literal, "User:svc-fraud", AclOperation::Read)
    }

    #[test]
    fn every_known_value_survives_the_trip_through_librdkafkas_types() {
        let types = [ResourceType::Topic, ResourceType::Group, ResourceType::Cluster, ResourceType::TransactionalId];
        for value in types {
            assert_eq!(ResourceType::from_native(value.native()), value);
        }
        for value in [PatternType::Literal, PatternType::Prefixed] {
            assert_eq!(PatternType::from_native(value.native()), value);
        }
        let operations = [
            AclOperation::All,
            AclOperation::Read,
            AclOperation::Write,
            AclOperation::Create,
            AclOperation::Delete,
            AclOperation::Alter,
            AclOperation::Describe,
            AclOperation::ClusterAction,
            AclOperation::DescribeConfigs,
            AclOperation::AlterConfigs,
            AclOperation::IdempotentWrite,
        ];
        for value in operations {
            assert_eq!(AclOperation::from_native(value.native()), value);
        }
        for value in [AclPermission::Allow, AclPermission::Deny] {
            assert_eq!(AclPermission::from_native(value.native()), value);
        }
    }

    #[test]
    fn a_binding_librdkafka_cannot_send_is_refused_before_anything_is_sent() {
        let admin = unreachable();
        let unknown = AclBinding { operation: AclOperation::Unknown, ..binding("orders") };

        let error = create_acls(admin.inner(), &[binding("orders"), unknown], Duration::from_secs(1)).unwrap_err();

        assert_eq!(error.code, RDKafkaErrorCode::InvalidArgument);
        assert!(error.message.contains("UNKNOWN on TOPIC `orders`"), "{error}");
        assert!(error.message.contains("Invalid operation"), "{error}");
    }

    #[test]
    fn a_name_with_a_nul_byte_is_refused_before_anything_is_sent() {
        let admin = unreachable();

        let error = create_acls(admin.inner(), &[binding("orders\0")], Duration::from_secs(1)).unwrap_err();
        let filter = AclBindingFilter { principal: Some("User:\0".to_owned()), ..AclBindingFilter::any() };
        let described = describe_acls(admin.inner(), &filter, Duration::from_secs(1)).unwrap_err();

        assert_eq!(error.code, RDKafkaErrorCode::InvalidArgument);
        assert_eq!(described.code, RDKafkaErrorCode::InvalidArgument);
    }

    #[test]
    fn nothing_to_create_or_delete_sends_nothing() {
        let admin = unreachable();

        create_acls(admin.inner(), &[], Duration::from_millis(1)).unwrap();
        let deleted = delete_acls(admin.inner(), &[], Duration::from_millis(1)).unwrap();

        assert_eq!(deleted, []);
    }

    #[test]
    fn a_cluster_that_never_answers_is_a_timeout_within_the_limit() {
        let admin = unreachable();
        let started = Instant::now();

        let created = create_acls(admin.inner(), &[binding("orders")], Duration::from_millis(500)).unwrap_err();
        let described = describe_acls(admin.inner(), &AclBindingFilter::any(), Duration::from_millis(500));
        let deleted =
            delete_acls(admin.inner(), &[AclBindingFilter::exactly(&binding("orders"))], Duration::from_millis(500));

        assert_ne!(created.code, RDKafkaErrorCode::NoError, "{created}");
        assert!(described.is_err(), "{described:?}");
        assert!(deleted.is_err(), "{deleted:?}");
        assert!(started.elapsed() < Duration::from_secs(6), "took {:?}", started.elapsed());
    }

    #[test]
    fn a_binding_reads_as_kafka_acls_prints_it() {
        assert_eq!(binding("orders").to_string(), "ALLOW User:svc-fraud READ on TOPIC `orders` (LITERAL) from host *");
        assert_eq!(
            AclBindingFilter::any().to_string(),
            "any permission any principal any operation on any resource type any name (any pattern) from host any"
        );
    }
}
