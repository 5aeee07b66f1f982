//! Kafka admin calls that the safe rdkafka API does not offer, over librdkafka's C API (`rdkafka::bindings`).
//!
//! Only Meshport's `kafka` module uses this crate. Each call is synchronous: it sends one admin request on a queue of
//! its own, waits for the answer at most `timeout`, and frees every native object it made, whatever the outcome
//! (each lives in a guard that destroys it on drop). librdkafka copies the request's resources and options when the
//! request is enqueued, so they are freed right after; the reply queue is reference counted, so a request still in
//! flight when the wait times out cannot outlive it.

use std::ffi::{CStr, CString, c_char, c_int};
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::types::RDKafkaErrorCode;

/// Why an admin call failed: librdkafka's or the broker's error code, and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    pub code: RDKafkaErrorCode,
    pub message: String,
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() { write!(f, "{}", self.code) } else { write!(f, "{}: {}", self.code, self.message) }
    }
}

impl std::error::Error for AdminError {}

/// One change to a topic's configuration; the others stay as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigChange<'a> {
    /// Sets the topic's own value of a config.
    Set(&'a str, &'a str),
    /// Removes the topic's own value, so the cluster's default applies again.
    Delete(&'a str),
}

/// Changes some of a topic's configs with IncrementalAlterConfigs (KIP-339): unlike the legacy AlterConfigs, which
/// replaces a topic's whole configuration, the configs not named keep their values. Blocks for at most `timeout`.
pub fn incremental_alter_topic_configs<C: ClientContext>(
    client: &Client<C>,
    topic: &str,
    changes: &[ConfigChange<'_>],
    timeout: Duration,
) -> Result<(), AdminError> {
    let topic = c_string(topic)?;
    let rk = client.native_ptr();
    // SAFETY: `topic` is a valid C string for the call; the resource is owned by the guard, which destroys it once.
    let resource = Owned(
        unsafe {
            rd::rd_kafka_ConfigResource_new(rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC, topic.as_ptr())
        },
        rd::rd_kafka_ConfigResource_destroy,
    );
    for change in changes {
        let (name, op, value) = match *change {
            ConfigChange::Set(name, value) => {
                (name, rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, Some(value))
            }
            ConfigChange::Delete(name) => {
                (name, rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE, None)
            }
        };
        let name = c_string(name)?;
        let value = value.map(c_string).transpose()?;
        let value_ptr = value.as_ref().map_or(std::ptr::null(), |value| value.as_ptr());
        // SAFETY: the resource is alive (its guard is in scope); name and value are valid C strings (or null for
        // DELETE, as the API allows) that librdkafka copies; the returned error, if any, is ours to destroy.
        let error =
            unsafe { rd::rd_kafka_ConfigResource_add_incremental_config(resource.0, name.as_ptr(), op, value_ptr) };
        if !error.is_null() {
            return Err(take_error(error));
        }
    }

    // SAFETY: `rk` is the live client the caller borrows; options and queue are owned by guards that destroy them.
    let options = Owned(
        unsafe {
            rd::rd_kafka_AdminOptions_new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS)
        },
        rd::rd_kafka_AdminOptions_destroy,
    );
    let timeout_ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX).max(1);
    let mut errstr = [0 as c_char; 512];
    // SAFETY: options is alive; errstr is a writable buffer of the length given.
    let set = unsafe {
        rd::rd_kafka_AdminOptions_set_request_timeout(options.0, timeout_ms, errstr.as_mut_ptr(), errstr.len())
    };
    if set != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        // SAFETY: librdkafka wrote a NUL-terminated message into errstr (which starts zeroed).
        let message = unsafe { CStr::from_ptr(errstr.as_ptr()) }.to_string_lossy().into_owned();
        return Err(AdminError { code: set.into(), message });
    }
    // SAFETY: `rk` is the live client; the queue is owned by its guard.
    let queue = Owned(unsafe { rd::rd_kafka_queue_new(rk) }, rd::rd_kafka_queue_destroy);

    let mut resources = [resource.0];
    // SAFETY: every pointer is alive for the call; librdkafka copies the resources and options before it returns
    // and keeps its own reference to the queue until it has answered.
    unsafe { rd::rd_kafka_IncrementalAlterConfigs(rk, resources.as_mut_ptr(), resources.len(), options.0, queue.0) };

    // The broker answers within the request timeout; the margin lets librdkafka report its own timeout first.
    let wait_ms = timeout_ms.saturating_add(1000);
    // SAFETY: the queue is alive; the event returned, if any, is ours and goes into a guard.
    let event = Owned(unsafe { rd::rd_kafka_queue_poll(queue.0, wait_ms) }, rd::rd_kafka_event_destroy);
    if event.0.is_null() {
        return Err(AdminError {
            code: RDKafkaErrorCode::OperationTimedOut,
            message: format!("no answer to IncrementalAlterConfigs within {wait_ms} ms"),
        });
    }
    // SAFETY: the event is alive; the strings it returns live as long as it does and are copied before it goes.
    unsafe {
        let code = rd::rd_kafka_event_error(event.0);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(AdminError { code: code.into(), message: string_at(rd::rd_kafka_event_error_string(event.0)) });
        }
        let result = rd::rd_kafka_event_IncrementalAlterConfigs_result(event.0);
        if result.is_null() {
            return Err(AdminError {
                code: RDKafkaErrorCode::Fail,
                message: "the answer was not an IncrementalAlterConfigs result".to_owned(),
            });
        }
        let mut count = 0usize;
        let answered = rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
        for index in 0..count {
            let resource = *answered.add(index);
            let code = rd::rd_kafka_ConfigResource_error(resource);
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(AdminError {
                    code: code.into(),
                    message: string_at(rd::rd_kafka_ConfigResource_error_string(resource)),
                });
            }
        }
    }
    Ok(())
}

/// A native object and the function that frees it, called once when the guard goes.
struct Owned<T>(*mut T, unsafe extern "C" fn(*mut T));

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from the matching constructor and nothing else frees it.
            unsafe { (self.1)(self.0) }
        }
    }
}

fn c_string(text: &str) -> Result<CString, AdminError> {
    CString::new(text).map_err(|_| AdminError {
        code: RDKafkaErrorCode::InvalidArgument,
        message: format!("{text:?} contains a NUL byte"),
    })
}

/// Copies a C string librdkafka owns; empty for null.
///
/// # Safety
/// `text` is null or a NUL-terminated string alive for the call.
unsafe fn string_at(text: *const c_char) -> String {
    if text.is_null() {
        return String::new();
    }
    // SAFETY: the caller promises a live NUL-terminated string.
    unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned()
}

/// Reads and frees an `rd_kafka_error_t`.
fn take_error(error: *mut rd::rd_kafka_error_t) -> AdminError {
    let error = Owned(error, rd::rd_kafka_error_destroy);
    // SAFETY: the error is alive until its guard drops, after the message is copied.
    unsafe {
        AdminError {
            code: rd::rd_kafka_error_code(error.0).into(),
            message: string_at(rd::rd_kafka_error_string(error.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rdkafka::ClientConfig;
    use rdkafka::admin::AdminClient;
    use rdkafka::client::DefaultClientContext;

    use super::*;

    /// An admin client for a cluster nobody runs: nothing it sends is ever answered.
    fn unreachable() -> AdminClient<DefaultClientContext> {
        ClientConfig::new().set("bootstrap.servers", "127.0.0.1:1").create().unwrap()
    }

    #[test]
    fn a_name_with_a_nul_byte_is_refused_before_anything_is_sent() {
        let admin = unreachable();

        let error = incremental_alter_topic_configs(
            admin.inner(),
            "orders",
            &[ConfigChange::Set("retention.ms\0", "1")],
            Duration::from_secs(1),
        )
        .unwrap_err();

        assert_eq!(error.code, RDKafkaErrorCode::InvalidArgument);
    }

    #[test]
    fn a_cluster_that_never_answers_is_a_timeout_within_the_limit() {
        let admin = unreachable();
        let started = Instant::now();

        let error = incremental_alter_topic_configs(
            admin.inner(),
            "orders",
            &[ConfigChange::Set("retention.ms", "1"), ConfigChange::Delete("cleanup.policy")],
            Duration::from_millis(500),
        )
        .unwrap_err();

        assert_ne!(error.code, RDKafkaErrorCode::NoError, "{error}");
        assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    }
}
