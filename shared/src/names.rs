//! Names that parse: every identifier the mesh uses is checked once, where it enters, and carried as its own type.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a name was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} `{value}` {reason}")]
pub struct NameError {
    pub kind: &'static str,
    pub value: String,
    pub reason: String,
}

impl NameError {
    fn new(kind: &'static str, value: &str, reason: impl Into<String>) -> Self {
        // Echo at most a readable prefix of hostile or huge input back to the caller.
        let value: String = value.chars().take(80).collect();
        Self { kind, value, reason: reason.into() }
    }
}

/// A lowercase slug: starts with a letter or digit, then letters, digits and the given extra characters.
fn check_slug(kind: &'static str, value: &str, max: usize, extra: &[char]) -> Result<(), NameError> {
    if value.is_empty() {
        return Err(NameError::new(kind, value, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(NameError::new(kind, value, format!("is longer than {max} characters")));
    }
    let mut chars = value.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(NameError::new(kind, value, "must start with a lowercase letter or a digit"));
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c))) {
        let allowed: String = extra.iter().map(|c| format!(" `{c}`")).collect();
        return Err(NameError::new(
            kind,
            value,
            format!("contains `{}`: use lowercase letters, digits and{allowed}", bad.escape_default()),
        ));
    }
    Ok(())
}

/// How a name type is described in the API's OpenAPI document: the same rules as its `parse`, as a JSON Schema
/// `pattern` (ECMA-262, anchored) and a length in characters, so that every name valid by the document parses.
#[cfg(feature = "openapi")]
struct NameSchema {
    pattern: &'static str,
    max_length: usize,
}

#[cfg(feature = "openapi")]
impl NameSchema {
    fn build(&self, doc: &[&str]) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let description = doc.iter().map(|line| line.trim()).collect::<Vec<_>>().join("\n");
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(description))
            .pattern(Some(self.pattern))
            .min_length(Some(1))
            .max_length(Some(self.max_length))
            .into()
    }
}

macro_rules! name_type {
    ($(#[doc = $doc:literal])* $name:ident, $schema:expr, $parse:expr) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let schema: NameSchema = $schema;
                schema.build(&[$($doc),*])
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            /// Parses `value`, returning why it is not a valid name otherwise.
            pub fn parse(value: impl Into<String>) -> Result<Self, NameError> {
                let value = value.into();
                let check: fn(&str) -> Result<(), NameError> = $parse;
                check(&value)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(raw).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(value: &str) -> Result<Self, NameError> {
                Self::parse(value)
            }
        }
    };
}

name_type!(
    /// A data product's id, stable for its whole life and used in URLs: `users`, `orders.v2`.
    ProductId,
    NameSchema { pattern: "^[a-z0-9][a-z0-9._-]*$", max_length: 128 },
    |v| check_slug("product id", v, 128, &['.', '-', '_'])
);

/// A team's records that are audited as if they were a product, under `<name>.<team>`: its service accounts, its
/// notification channels, its API tokens. No product may take such an id, or it would share their history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trail {
    ServiceAccounts,
    Notifications,
    ApiTokens,
}

impl Trail {
    pub const ALL: [Self; 3] = [Self::ServiceAccounts, Self::Notifications, Self::ApiTokens];

    /// What its ids start with, before `.<team>`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ServiceAccounts => "service-accounts",
            Self::Notifications => "notifications",
            Self::ApiTokens => "api-tokens",
        }
    }

    /// What the trail records, in words.
    pub fn records(self) -> &'static str {
        match self {
            Self::ServiceAccounts => "service accounts",
            Self::Notifications => "notification channels",
            Self::ApiTokens => "API tokens",
        }
    }

    /// Team `team`'s trail of this kind.
    pub fn of(self, team: &TeamName) -> Result<ProductId, NameError> {
        ProductId::parse(format!("{}.{team}", self.name()))
    }
}

impl ProductId {
    /// The trail this id is kept for, if it is one's: `<name>.<anything>`, and the bare name too, whose next major
    /// version would be `<name>.v2`, team `v2`'s trail.
    pub fn trail(&self) -> Option<Trail> {
        Trail::ALL.into_iter().find(|trail| {
            self.0.strip_prefix(trail.name()).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }
}

name_type!(
    /// A business domain of the mesh: `membership`, `analytics`.
    DomainName,
    NameSchema { pattern: "^[a-z0-9][a-z0-9-]*$", max_length: 64 },
    |v| check_slug("domain", v, 64, &['-'])
);

name_type!(
    /// A team that owns data products: `growth-analytics`.
    TeamName,
    NameSchema { pattern: "^[a-z0-9][a-z0-9-]*$", max_length: 64 },
    |v| check_slug("team", v, 64, &['-'])
);

name_type!(
    /// A Kafka topic name, with exactly Kafka's rules: 1 to 249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
    TopicName,
    // Any run of the allowed characters except `.` and `..`: it starts with up to two dots and another character,
    // or with three dots.
    NameSchema { pattern: r"^(\.{0,2}[a-zA-Z0-9_-]|\.{3})[a-zA-Z0-9._-]*$", max_length: 249 },
    |v| {
        const KIND: &str = "topic";
        if v.is_empty() {
            return Err(NameError::new(KIND, v, "must not be empty"));
        }
        if v.len() > 249 {
            return Err(NameError::new(KIND, v, "is longer than Kafka's limit of 249 characters"));
        }
        if v == "." || v == ".." {
            return Err(NameError::new(KIND, v, "is reserved by Kafka"));
        }
        if let Some(bad) = v.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            return Err(NameError::new(
                KIND,
                v,
                format!("contains `{}`: Kafka allows only letters, digits, `.`, `_` and `-`", bad.escape_default()),
            ));
        }
        Ok(())
    }
);

name_type!(
    /// A schema registry subject: `orders-value`. Registries accept almost any text; we refuse only what no
    /// registry or URL handles well (empty, over 255 characters, control characters).
    SubjectName,
    // No control character (Unicode's `Cc`), and one character at least that is not white space (`\x85` is both).
    NameSchema {
        pattern: r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        max_length: 255,
    },
    |v| {
        const KIND: &str = "subject";
        if v.trim().is_empty() {
            return Err(NameError::new(KIND, v, "must not be empty"));
        }
        if v.chars().count() > 255 {
            return Err(NameError::new(KIND, v, "is longer than 255 characters"));
        }
        if v.chars().any(char::is_control) {
            return Err(NameError::new(KIND, v, "contains control characters"));
        }
        Ok(())
    }
);

name_type!(
    /// A Kafka principal a team consumes or produces as: `User:svc-fraud`. Only `User:` principals, with a name of 1
    /// to 128 letters, digits, `.`, `_`, `-` or `@`, so that an ACL never names more than the one account.
    Principal,
    NameSchema { pattern: "^User:[A-Za-z0-9._@-]{1,128}$", max_length: 133 },
    |v| {
        const KIND: &str = "principal";
        let Some(name) = v.strip_prefix("User:") else {
            return Err(NameError::new(KIND, v, "must be a Kafka user, like `User:svc-fraud`"));
        };
        if name.is_empty() || name.len() > 128 {
            return Err(NameError::new(KIND, v, "must name a user of 1 to 128 characters after `User:`"));
        }
        if name == "*" || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
            return Err(NameError::new(KIND, v, "may use only letters, digits, `.`, `_`, `-` and `@` after `User:`"));
        }
        Ok(())
    }
);

impl Principal {
    /// The user name, without `User:`: what SASL/SCRAM knows it as.
    pub fn user(&self) -> &str {
        &self.0["User:".len()..]
    }
}

name_type!(
    /// A Kafka consumer group id (or a prefix of group ids): 1 to 249 letters, digits, `.`, `_` or `-`.
    GroupName,
    NameSchema { pattern: "^[A-Za-z0-9._-]+$", max_length: 249 },
    |v| {
        const KIND: &str = "consumer group";
        if v.is_empty() || v.len() > 249 {
            return Err(NameError::new(KIND, v, "must be 1 to 249 characters"));
        }
        if let Some(bad) = v.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            return Err(NameError::new(
                KIND,
                v,
                format!("contains `{}`: use letters, digits, `.`, `_` and `-`", bad.escape_default()),
            ));
        }
        Ok(())
    }
);

impl SubjectName {
    /// The subject of a topic's values under the default `TopicNameStrategy`: `<topic>-value`.
    pub fn value_of(topic: &TopicName) -> Self {
        Self(format!("{topic}-value"))
    }

    /// The subject of a topic's keys under the default `TopicNameStrategy`: `<topic>-key`.
    pub fn key_of(topic: &TopicName) -> Self {
        Self(format!("{topic}-key"))
    }
}

name_type!(
    /// An API token's name within its team, as audit entries show it (`token:<team>/<name>`): `ci-deploy`.
    TokenName,
    NameSchema { pattern: "^[a-z0-9][a-z0-9._-]*$", max_length: 64 },
    |v| check_slug("token name", v, 64, &['.', '-', '_'])
);

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: std::str::FromStr<Err = NameError>>(input: &str, expected: Result<(), &str>) {
        let got = input.parse::<T>().map(|_| ()).map_err(|e| e.to_string());
        match (got, expected) {
            (Ok(()), Ok(())) => {}
            (Err(got), Err(fragment)) => assert!(got.contains(fragment), "`{input}`: `{got}` lacks `{fragment}`"),
            (got, expected) => panic!("`{input}`: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn topic_names_follow_kafkas_rules() {
        check::<TopicName>("orders", Ok(()));
        check::<TopicName>("Orders.v2_eu-west", Ok(()));
        check::<TopicName>("", Err("must not be empty"));
        check::<TopicName>(".", Err("reserved"));
        check::<TopicName>("..", Err("reserved"));
        check::<TopicName>("orders/eu", Err("contains `/`"));
        check::<TopicName>("<script>", Err("contains `<`"));
        check::<TopicName>(&"a".repeat(249), Ok(()));
        check::<TopicName>(&"a".repeat(250), Err("249"));
    }

    #[test]
    fn domain_team_and_product_names_are_lowercase_slugs() {
        check::<DomainName>("membership", Ok(()));
        check::<DomainName>("Membership", Err("must start with a lowercase"));
        check::<DomainName>("analytics edge", Err("contains ` `"));
        check::<TeamName>("growth-analytics", Ok(()));
        check::<TeamName>("growth_analytics", Err("contains `_`"));
        check::<ProductId>("orders.v2", Ok(()));
        check::<ProductId>("orders/v2", Err("contains `/`"));
        check::<ProductId>(&"p".repeat(129), Err("longer than 128"));
    }

    #[test]
    fn subjects_refuse_only_what_no_registry_handles() {
        check::<SubjectName>("orders-value", Ok(()));
        check::<SubjectName>("com.acme.Order", Ok(()));
        check::<SubjectName>("  ", Err("must not be empty"));
        check::<SubjectName>("a\nb", Err("control"));
    }

    #[test]
    fn names_are_parsed_when_deserialized() {
        let err = serde_json::from_str::<TopicName>("\"bad topic\"").unwrap_err();
        assert!(err.to_string().contains("topic `bad topic` contains ` `"), "{err}");
    }

    #[test]
    fn default_subjects_follow_the_topic_name_strategy() {
        let topic = TopicName::parse("orders").unwrap();
        assert_eq!(SubjectName::value_of(&topic).as_str(), "orders-value");
        assert_eq!(SubjectName::key_of(&topic).as_str(), "orders-key");
    }
}
