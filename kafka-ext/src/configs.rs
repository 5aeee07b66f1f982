//! IncrementalAlterConfigs (KIP-339) for one topic.

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};

use crate::{AdminError, Owned, Request, c_string, elements, send_request, string_at, take_error};

const INCREMENTAL_ALTER_CONFIGS: Request =
    Request { op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS, name: "IncrementalAlterConfigs" };

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

    let mut resources = [resource.0];
    let answer = send_request(client, INCREMENTAL_ALTER_CONFIGS, timeout, |rk, options, queue| {
        // SAFETY: every pointer is alive for the call; librdkafka copies the resources and options before it
        // returns and keeps its own reference to the queue until it has answered.
        unsafe { rd::rd_kafka_IncrementalAlterConfigs(rk, resources.as_mut_ptr(), resources.len(), options, queue) }
    })?;
    let result = answer.result(rd::rd_kafka_event_IncrementalAlterConfigs_result)?;
    let mut count = 0usize;
    // SAFETY: the result lives as long as the event, which outlives this function's reads of it.
    let answered = unsafe {
        elements(rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count).cast_const(), count)
    };
    for &resource in answered {
        // SAFETY: each resource belongs to the live event; its error string is copied at once.
        unsafe {
            let code = rd::rd_kafka_ConfigResource_error(resource);
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                let message = string_at(rd::rd_kafka_ConfigResource_error_string(resource));
                return Err(AdminError::new(code.into(), message));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rdkafka::types::RDKafkaErrorCode;

    use super::*;
    use crate::tests::unreachable;

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
