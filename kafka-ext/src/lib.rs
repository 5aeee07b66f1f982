//! Kafka admin calls that the safe rdkafka API does not offer, over librdkafka's C API (`rdkafka::bindings`):
//! IncrementalAlterConfigs (`configs`), the ACL calls (`acls`) and SASL/SCRAM credentials (`scram`).
//!
//! Only Meshport's `kafka` module uses this crate. Each call is synchronous: it sends one admin request on a queue of
//! its own, waits for the answer at most `timeout` (and a second's margin), and frees every native object it made,
//! whatever the outcome (each lives in a guard that destroys it on drop). librdkafka copies the request's arguments
//! and options when the request is enqueued, so they are freed right after; the reply queue is reference counted, so
//! a request still in flight when the wait times out cannot outlive it. What an answer holds (bindings, errors,
//! strings) belongs to its event and is copied into Rust values before the event goes.
//!
//! Errors come in two layers, both as [`AdminError`]: the request as a whole (the cluster unreachable, a timeout, a
//! malformed request), and each item of it (one binding refused, one user's credential refused), which names the item.

mod acls;
mod configs;
mod scram;

use std::ffi::{CStr, CString, c_char, c_int};
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::types::RDKafkaErrorCode;

pub use acls::{
    AclBinding, AclBindingFilter, AclOperation, AclPermission, PatternFilter, PatternType, ResourceType, create_acls,
    delete_acls, describe_acls,
};
pub use configs::{ConfigChange, incremental_alter_topic_configs};
pub use scram::{
    ScramCredential, ScramCredentialChange, ScramMechanism, alter_user_scram_credentials,
    describe_user_scram_credentials,
};

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

impl AdminError {
    fn new(code: RDKafkaErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// The same error, its message prefixed with what it was about (`about: message`).
    fn about(self, about: impl std::fmt::Display) -> Self {
        let message = if self.message.is_empty() { about.to_string() } else { format!("{about}: {}", self.message) };
        Self { code: self.code, message }
    }
}

/// An admin request: which one (its options are bound to it) and its name in errors.
#[derive(Clone, Copy)]
struct Request {
    op: rd::rd_kafka_admin_op_t,
    name: &'static str,
}

/// Sends one admin request (`send` enqueues it with the client, the options and the reply queue it is given) and
/// waits for its answer. Returns the answer once it reports no request-level error; item errors are the caller's to
/// read from it.
fn send_request<C: ClientContext>(
    client: &Client<C>,
    request: Request,
    timeout: Duration,
    send: impl FnOnce(*mut rd::rd_kafka_t, *const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
) -> Result<Answer, AdminError> {
    let rk = client.native_ptr();
    // SAFETY: `rk` is the live client the caller borrows; options and queue are owned by guards that destroy them.
    let options = Owned(unsafe { rd::rd_kafka_AdminOptions_new(rk, request.op) }, rd::rd_kafka_AdminOptions_destroy);
    if options.0.is_null() {
        return Err(AdminError::new(RDKafkaErrorCode::Fail, format!("librdkafka has no options for {}", request.name)));
    }
    let timeout_ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX).max(1);
    let mut errstr = [0 as c_char; 512];
    // SAFETY: options is alive; errstr is a writable buffer of the length given.
    let set = unsafe {
        rd::rd_kafka_AdminOptions_set_request_timeout(options.0, timeout_ms, errstr.as_mut_ptr(), errstr.len())
    };
    if set != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Err(AdminError::new(set.into(), message_in(&errstr)));
    }
    // SAFETY: `rk` is the live client; the queue is owned by its guard.
    let queue = Owned(unsafe { rd::rd_kafka_queue_new(rk) }, rd::rd_kafka_queue_destroy);

    send(rk, options.0, queue.0);

    // The broker answers within the request timeout; the margin lets librdkafka report its own timeout first.
    let wait_ms = timeout_ms.saturating_add(1000);
    // SAFETY: the queue is alive; the event returned, if any, is ours and goes into a guard.
    let event = Owned(unsafe { rd::rd_kafka_queue_poll(queue.0, wait_ms) }, rd::rd_kafka_event_destroy);
    let answer = Answer { request, event, _queue: queue, _options: options };
    if answer.event.0.is_null() {
        return Err(AdminError::new(
            RDKafkaErrorCode::OperationTimedOut,
            format!("no answer to {} within {wait_ms} ms", request.name),
        ));
    }
    // SAFETY: the event is alive; its error string lives as long as it does and is copied at once.
    let code = unsafe { rd::rd_kafka_event_error(answer.event.0) };
    if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        // SAFETY: as above.
        let message = unsafe { string_at(rd::rd_kafka_event_error_string(answer.event.0)) };
        return Err(AdminError::new(code.into(), message));
    }
    Ok(answer)
}

/// The answer to an admin request: its event (what the answer holds lives as long as it does), with the request's
/// reply queue and options, freed after it (fields drop in order), as they were made before it.
struct Answer {
    request: Request,
    event: Owned<rd::rd_kafka_event_t>,
    _queue: Owned<rd::rd_kafka_queue_t>,
    _options: Owned<rd::rd_kafka_AdminOptions_t>,
}

impl Answer {
    /// The typed result the event holds (`rd_kafka_event_<Request>_result`); an error when the event is another kind
    /// of answer. It lives as long as the answer.
    fn result<R>(
        &self,
        get: unsafe extern "C" fn(*mut rd::rd_kafka_event_t) -> *const R,
    ) -> Result<*const R, AdminError> {
        // SAFETY: the event is alive (the answer owns it); the accessor returns null for another kind of event.
        let result = unsafe { get(self.event.0) };
        if result.is_null() {
            return Err(AdminError::new(
                RDKafkaErrorCode::Fail,
                format!("the answer was not a {} result", self.request.name),
            ));
        }
        Ok(result)
    }
}

/// The `count` elements of an array an answer holds, as a slice; empty for a null array.
///
/// # Safety
/// `items` is null or points at `count` elements that outlive the returned slice (they belong to the answer's event,
/// which the caller keeps alive).
unsafe fn elements<'a, T>(items: *const *const T, count: usize) -> &'a [*const T] {
    if items.is_null() || count == 0 {
        return &[];
    }
    // SAFETY: the caller promises `count` live elements.
    unsafe { std::slice::from_raw_parts(items, count) }
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
    CString::new(text)
        .map_err(|_| AdminError::new(RDKafkaErrorCode::InvalidArgument, format!("{text:?} contains a NUL byte")))
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

/// The message librdkafka wrote into an error buffer (which starts zeroed, so it is always terminated).
fn message_in(errstr: &[c_char]) -> String {
    let bytes: Vec<u8> = errstr.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads and frees an `rd_kafka_error_t` the caller owns.
fn take_error(error: *mut rd::rd_kafka_error_t) -> AdminError {
    let error = Owned(error, rd::rd_kafka_error_destroy);
    // SAFETY: the error is alive until its guard drops, after it is read.
    unsafe { read_error(error.0) }.unwrap_or_else(|| AdminError::new(RDKafkaErrorCode::Fail, "an empty error"))
}

/// Reads an `rd_kafka_error_t` an answer owns (and frees); `None` for success, which is null or (in
/// AlterUserScramCredentials' answers) an error object whose code is NO_ERROR.
///
/// # Safety
/// `error` is null or a live error object for the call.
unsafe fn read_error(error: *const rd::rd_kafka_error_t) -> Option<AdminError> {
    if error.is_null() {
        return None;
    }
    // SAFETY: the caller promises a live error; its string lives as long as it does and is copied at once.
    unsafe {
        let code = rd::rd_kafka_error_code(error);
        if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return None;
        }
        Some(AdminError::new(code.into(), string_at(rd::rd_kafka_error_string(error))))
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::ClientConfig;
    use rdkafka::admin::AdminClient;
    use rdkafka::client::DefaultClientContext;

    /// An admin client for a cluster nobody runs: nothing it sends is ever answered.
    pub(crate) fn unreachable() -> AdminClient<DefaultClientContext> {
        ClientConfig::new().set("bootstrap.servers", "127.0.0.1:1").create().unwrap()
    }
}
