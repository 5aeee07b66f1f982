//! SASL/SCRAM credentials (KIP-554): AlterUserScramCredentials and DescribeUserScramCredentials.
//!
//! The password never leaves the client in clear: librdkafka salts and hashes it (PBKDF2 with the mechanism's hash,
//! through OpenSSL, which the workspace vendors) and sends only the salt and the salted password.

use std::fmt;
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::types::RDKafkaErrorCode;

use crate::{AdminError, Owned, Request, c_string, elements, read_error, send_request, string_at};

const ALTER_USER_SCRAM_CREDENTIALS: Request = Request {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERUSERSCRAMCREDENTIALS,
    name: "AlterUserScramCredentials",
};
const DESCRIBE_USER_SCRAM_CREDENTIALS: Request = Request {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEUSERSCRAMCREDENTIALS,
    name: "DescribeUserScramCredentials",
};

/// A SASL/SCRAM mechanism; a user has at most one credential per mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScramMechanism {
    ScramSha256,
    ScramSha512,
}

impl ScramMechanism {
    /// The name clients configure (`sasl.mechanism`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    fn native(self) -> rd::rd_kafka_ScramMechanism_t {
        match self {
            Self::ScramSha256 => rd::rd_kafka_ScramMechanism_t::RD_KAFKA_SCRAM_MECHANISM_SHA_256,
            Self::ScramSha512 => rd::rd_kafka_ScramMechanism_t::RD_KAFKA_SCRAM_MECHANISM_SHA_512,
        }
    }

    fn from_native(native: rd::rd_kafka_ScramMechanism_t) -> Option<Self> {
        match native {
            rd::rd_kafka_ScramMechanism_t::RD_KAFKA_SCRAM_MECHANISM_SHA_256 => Some(Self::ScramSha256),
            rd::rd_kafka_ScramMechanism_t::RD_KAFKA_SCRAM_MECHANISM_SHA_512 => Some(Self::ScramSha512),
            _ => None,
        }
    }
}

/// One change to a user's SCRAM credentials.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ScramCredentialChange<'a> {
    /// Sets the user's credential for `mechanism` (creating the user if it has none): `iterations` rounds of PBKDF2
    /// (Kafka accepts 4096 to 16384) over `password` with `salt`, or 64 random bytes when `None`.
    Upsert { user: &'a str, mechanism: ScramMechanism, iterations: i32, password: &'a [u8], salt: Option<&'a [u8]> },
    /// Removes the user's credential for `mechanism`; the cluster refuses it (RESOURCE_NOT_FOUND) when there is none.
    Delete { user: &'a str, mechanism: ScramMechanism },
}

impl fmt::Debug for ScramCredentialChange<'_> {
    /// Leaves the password and the salt out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Upsert { user, mechanism, iterations, .. } => f
                .debug_struct("Upsert")
                .field("user", user)
                .field("mechanism", mechanism)
                .field("iterations", iterations)
                .finish_non_exhaustive(),
            Self::Delete { user, mechanism } => {
                f.debug_struct("Delete").field("user", user).field("mechanism", mechanism).finish()
            }
        }
    }
}

impl ScramCredentialChange<'_> {
    fn user(&self) -> &str {
        match self {
            Self::Upsert { user, .. } | Self::Delete { user, .. } => user,
        }
    }
}

/// A credential a user has, as the cluster describes it (never its secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScramCredential {
    pub mechanism: ScramMechanism,
    pub iterations: i32,
}

/// Applies the changes in one AlterUserScramCredentials request. Kafka takes at most one change per user in a
/// request (it refuses a second with DUPLICATE_RESOURCE, even for another mechanism) and decides per user: this fails
/// with the first user whose change it refused, named in the message; other users' changes may have been applied.
/// Blocks for at most `timeout`.
pub fn alter_user_scram_credentials<C: ClientContext>(
    client: &Client<C>,
    changes: &[ScramCredentialChange<'_>],
    timeout: Duration,
) -> Result<(), AdminError> {
    if changes.is_empty() {
        return Ok(());
    }
    let natives = changes.iter().map(native_change).collect::<Result<Vec<_>, _>>()?;
    let mut pointers: Vec<*mut rd::rd_kafka_UserScramCredentialAlteration_t> =
        natives.iter().map(|native| native.0).collect();
    let answer = send_request(client, ALTER_USER_SCRAM_CREDENTIALS, timeout, |rk, options, queue| {
        // SAFETY: every pointer is alive for the call (their guards are in scope); librdkafka copies the changes and
        // options before it returns and keeps its own reference to the queue until it has answered.
        unsafe { rd::rd_kafka_AlterUserScramCredentials(rk, pointers.as_mut_ptr(), pointers.len(), options, queue) }
    })?;
    let result = answer.result(rd::rd_kafka_event_AlterUserScramCredentials_result)?;
    let mut count = 0usize;
    // SAFETY: the responses and their errors belong to the event, alive until the end of this function; what is read
    // is copied into Rust values.
    unsafe {
        let responses =
            elements(rd::rd_kafka_AlterUserScramCredentials_result_responses(result, &mut count).cast_const(), count);
        for &response in responses {
            if let Some(error) = read_error(rd::rd_kafka_AlterUserScramCredentials_result_response_error(response)) {
                let user = string_at(rd::rd_kafka_AlterUserScramCredentials_result_response_user(response));
                return Err(error.about(format_args!("the SCRAM credentials of user `{user}`")));
            }
        }
    }
    Ok(())
}

/// The credentials `user` has (none for a user the cluster does not know), without their secrets. Blocks for at
/// most `timeout`.
pub fn describe_user_scram_credentials<C: ClientContext>(
    client: &Client<C>,
    user: &str,
    timeout: Duration,
) -> Result<Vec<ScramCredential>, AdminError> {
    let name = c_string(user)?;
    let mut users = [name.as_ptr()];
    let answer = send_request(client, DESCRIBE_USER_SCRAM_CREDENTIALS, timeout, |rk, options, queue| {
        // SAFETY: the user name, options and queue are alive for the call; librdkafka copies the names and options
        // before it returns and keeps its own reference to the queue until it has answered.
        unsafe { rd::rd_kafka_DescribeUserScramCredentials(rk, users.as_mut_ptr(), users.len(), options, queue) }
    })?;
    let result = answer.result(rd::rd_kafka_event_DescribeUserScramCredentials_result)?;
    let mut count = 0usize;
    let mut credentials = Vec::new();
    // SAFETY: the descriptions, their errors and credentials belong to the event, alive until the end of this
    // function; what is read is copied into Rust values.
    unsafe {
        let descriptions = elements(
            rd::rd_kafka_DescribeUserScramCredentials_result_descriptions(result, &mut count).cast_const(),
            count,
        );
        for &description in descriptions {
            if let Some(error) = read_error(rd::rd_kafka_UserScramCredentialsDescription_error(description)) {
                if error.code == RDKafkaErrorCode::ResourceNotFound {
                    continue;
                }
                return Err(error.about(format_args!("the SCRAM credentials of user `{user}`")));
            }
            for index in 0..rd::rd_kafka_UserScramCredentialsDescription_scramcredentialinfo_count(description) {
                let info = rd::rd_kafka_UserScramCredentialsDescription_scramcredentialinfo(description, index);
                // Kafka has no other mechanism; one librdkafka does not know cannot be named here anyway.
                if let Some(mechanism) = ScramMechanism::from_native(rd::rd_kafka_ScramCredentialInfo_mechanism(info)) {
                    let iterations = rd::rd_kafka_ScramCredentialInfo_iterations(info);
                    credentials.push(ScramCredential { mechanism, iterations });
                }
            }
        }
    }
    credentials.sort();
    Ok(credentials)
}

/// A change as librdkafka takes it, in a guard.
fn native_change(
    change: &ScramCredentialChange<'_>,
) -> Result<Owned<rd::rd_kafka_UserScramCredentialAlteration_t>, AdminError> {
    let user = c_string(change.user())?;
    let native = match *change {
        ScramCredentialChange::Upsert { mechanism, iterations, password, salt, .. } => {
            let salt = salt.unwrap_or_default();
            // SAFETY: the user name is a valid C string, password and salt valid for their lengths (an empty salt
            // asks librdkafka for a random one); librdkafka copies all three.
            unsafe {
                rd::rd_kafka_UserScramCredentialUpsertion_new(
                    user.as_ptr(),
                    mechanism.native(),
                    iterations,
                    password.as_ptr(),
                    password.len(),
                    salt.as_ptr(),
                    salt.len(),
                )
            }
        }
        // SAFETY: the user name is a valid C string that librdkafka copies.
        ScramCredentialChange::Delete { mechanism, .. } => unsafe {
            rd::rd_kafka_UserScramCredentialDeletion_new(user.as_ptr(), mechanism.native())
        },
    };
    if native.is_null() {
        return Err(AdminError::new(RDKafkaErrorCode::Fail, format!("librdkafka could not build {change:?}")));
    }
    Ok(Owned(native, rd::rd_kafka_UserScramCredentialAlteration_destroy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::unreachable;

    #[test]
    fn debug_output_leaves_the_password_and_salt_out() {
        let change = ScramCredentialChange::Upsert {
            user: "svc-new",
            mechanism: ScramMechanism::ScramSha512,
            iterations: 8192,
            password: b"hunter2",
            salt: Some(b"pepper"),
        };

        let debug = format!("{change:?}");

        assert!(debug.contains("svc-new"), "{debug}");
        assert!(!debug.contains("hunter2") && !debug.contains("104, 117"), "{debug}");
        assert!(!debug.contains("pepper"), "{debug}");
    }

    #[test]
    fn an_empty_password_is_refused_before_anything_is_sent() {
        let admin = unreachable();
        let change = ScramCredentialChange::Upsert {
            user: "svc-new",
            mechanism: ScramMechanism::ScramSha512,
            iterations: 8192,
            password: b"",
            salt: None,
        };

        let error = alter_user_scram_credentials(admin.inner(), &[change], Duration::from_secs(5)).unwrap_err();

        assert_eq!(error.code, RDKafkaErrorCode::InvalidArgument, "{error}");
        assert!(error.message.contains("Empty password"), "{error}");
    }

    #[test]
    fn a_user_name_with_a_nul_byte_is_refused_before_anything_is_sent() {
        let admin = unreachable();
        let change = ScramCredentialChange::Delete { user: "svc\0new", mechanism: ScramMechanism::ScramSha256 };

        let altered = alter_user_scram_credentials(admin.inner(), &[change], Duration::from_secs(1)).unwrap_err();
        let described = describe_user_scram_credentials(admin.inner(), "svc\0new", Duration::from_secs(1)).unwrap_err();

        assert_eq!(altered.code, RDKafkaErrorCode::InvalidArgument);
        assert_eq!(described.code, RDKafkaErrorCode::InvalidArgument);
    }
}
