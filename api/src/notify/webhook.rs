//! Webhook signatures per the Standard Webhooks spec (<https://www.standardwebhooks.com>): each request carries
//! `webhook-id` (the event's id, the receiver's idempotency key), `webhook-timestamp` (Unix seconds) and
//! `webhook-signature`, space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret, so a
//! receiver holding either the old or the new secret verifies during a rotation.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::secrets::Secret;

const PREFIX: &str = "whsec_";

/// A signing secret, `whsec_` followed by the base64 of its key bytes. Never printed: see [`Secret`].
#[derive(Debug, Clone)]
pub struct WebhookSecret {
    key: hmac::Key,
    text: Secret,
}

/// A signing secret that is not `whsec_<base64>`; the message never quotes the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookSecretError {
    #[error("a webhook secret must start with `whsec_`")]
    Prefix,
    #[error("a webhook secret must be `whsec_` followed by base64 of 24 to 64 bytes")]
    Key,
}

impl WebhookSecret {
    pub fn parse(text: &str) -> Result<Self, WebhookSecretError> {
        let encoded = text.trim().strip_prefix(PREFIX).ok_or(WebhookSecretError::Prefix)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| WebhookSecretError::Key)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(WebhookSecretError::Key);
        }
        Ok(Self { key: hmac::Key::new(hmac::HMAC_SHA256, &bytes), text: Secret::new(text.trim()) })
    }

    /// A new random secret of 32 bytes, as `whsec_<base64>`.
    pub fn generate() -> Secret {
        let mut bytes = [0u8; 32];
        // The system's CSPRNG; it failing means the process cannot make any secret at all.
        aws_lc_rs::rand::fill(&mut bytes).expect("the system's random number generator works");
        Secret::new(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// The secret as configured, for storing it again.
    pub fn secret(&self) -> &Secret {
        &self.text
    }

    fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(id.as_bytes());
        context.update(b".");
        context.update(timestamp.to_string().as_bytes());
        context.update(b".");
        context.update(body);
        STANDARD.encode(context.sign().as_ref())
    }
}

/// The `webhook-signature` header's value: one `v1,<signature>` per secret, space-separated.
pub fn signature_header(secrets: &[WebhookSecret], id: &str, timestamp: i64, body: &[u8]) -> String {
    let signatures: Vec<String> =
        secrets.iter().map(|secret| format!("v1,{}", secret.sign(id, timestamp, body))).collect();
    signatures.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_specs_published_example() {
        // The Standard Webhooks spec's own test vector (its reference libraries test the same one).
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;

        let header = signature_header(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);

        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotation_signs_with_every_secret() {
        let old = WebhookSecret::parse(WebhookSecret::generate().expose()).unwrap();
        let new = WebhookSecret::parse(WebhookSecret::generate().expose()).unwrap();

        let header = signature_header(&[old.clone(), new.clone()], "7", 1, b"{}");

        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, [format!("v1,{}", old.sign("7", 1, b"{}")), format!("v1,{}", new.sign("7", 1, b"{}"))]);
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn malformed_secrets_are_refused_without_quoting_them() {
        let cases = [
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", WebhookSecretError::Prefix),
            ("whsec_not base64!", WebhookSecretError::Key),
            ("whsec_c2hvcnQ=", WebhookSecretError::Key),
        ];
        for (text, expected) in cases {
            let error = WebhookSecret::parse(text).unwrap_err();
            assert_eq!(error, expected);
            assert!(!error.to_string().contains(text.trim_start_matches("whsec_")));
        }
    }

    #[test]
    fn a_secret_never_shows_in_debug_display_or_json() {
        let text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let secret = WebhookSecret::parse(text).unwrap();

        let shown =
            [format!("{secret:?}"), format!("{}", secret.secret()), serde_json::to_string(secret.secret()).unwrap()];

        for shown in shown {
            assert!(!shown.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "{shown}");
            assert!(shown.contains("redacted"), "{shown}");
        }
        assert_eq!(secret.secret().expose(), text);
    }
}
