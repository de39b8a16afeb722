//! Identifiers that end up in file paths, queue names and logs. Each is checked once, here:
//! only `[A-Za-z0-9_-]`, so none can climb out of `VIDEO_ROOT` or forge a queue name.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("may only contain letters, digits, '_' and '-' (got {0:?})")]
    BadCharacter(String),
    #[error("must be a positive integer (got {0})")]
    NotPositive(String),
}

fn check_safe(value: &str, max: usize) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty);
    }
    if value.chars().count() > max {
        return Err(IdError::TooLong { max });
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(IdError::BadCharacter(value.chars().take(40).collect()));
    }
    Ok(())
}

macro_rules! safe_id {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// An id read back from one of our own tables, checked when it was written.
            pub fn stored(id: impl Into<String>) -> Self {
                Self(id.into())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                check_safe(s, $max)?;
                Ok(Self(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// A column compared with an id (`Column::Node.eq(node)`) takes it as it is.
        impl From<&$name> for sea_orm::Value {
            fn from(id: &$name) -> Self {
                id.0.as_str().into()
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Legacy senders sometimes send ids as numbers.
                let raw = serde_json::Value::deserialize(d)?;
                let text = match raw {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Number(n) => n.to_string(),
                    other => return Err(de::Error::custom(format!("expected a string, got {}", kind(&other)))),
                };
                text.parse().map_err(de::Error::custom)
            }
        }
    };
}

/// What a JSON value is, for an error that must not repeat it.
fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

safe_id!(
    /// One booked class: up to 250 characters of `[A-Za-z0-9_-]`.
    ClassId,
    250
);
safe_id!(
    /// An institution (机构): up to 64 characters of `[A-Za-z0-9_-]`.
    OrgId,
    64
);
safe_id!(
    /// A push host: up to 64 characters of `[A-Za-z0-9_-]`.
    NodeId,
    64
);

/// A recorded lesson: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(i64);

impl RecordId {
    pub fn new(value: i64) -> Result<Self, IdError> {
        if value > 0 { Ok(Self(value)) } else { Err(IdError::NotPositive(value.to_string())) }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for RecordId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let value = s.trim().parse::<i64>().map_err(|_| IdError::NotPositive(super::clip(s, 40)))?;
        Self::new(value)
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| de::Error::custom(IdError::NotPositive(n.to_string())))
                .and_then(|v| RecordId::new(v).map_err(de::Error::custom)),
            serde_json::Value::String(s) => s.parse().map_err(de::Error::custom),
            other => Err(de::Error::custom(format!("expected an integer, got {}", kind(&other)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_path_traversal_and_separators() {
        for bad in ["../etc", "a/b", "a\\b", "..", ".", "a b", "", "c-1\n", "é"] {
            assert!(bad.parse::<ClassId>().is_err(), "{bad:?}");
            assert!(bad.parse::<OrgId>().is_err(), "{bad:?}");
        }
        assert_eq!("c-1_A".parse::<ClassId>().unwrap().as_str(), "c-1_A");
    }

    #[test]
    fn enforces_lengths() {
        assert!("a".repeat(250).parse::<ClassId>().is_ok());
        assert_eq!("a".repeat(251).parse::<ClassId>(), Err(IdError::TooLong { max: 250 }));
        assert!("a".repeat(65).parse::<OrgId>().is_err());
    }

    #[test]
    fn record_ids_are_positive_integers_from_numbers_or_strings() {
        assert_eq!(serde_json::from_str::<RecordId>("6666").unwrap().get(), 6666);
        assert_eq!(serde_json::from_str::<RecordId>("\"6666\"").unwrap().get(), 6666);
        for bad in ["0", "-1", "1.5", "\"x\"", "null"] {
            assert!(serde_json::from_str::<RecordId>(bad).is_err(), "{bad}");
        }
        assert_eq!(serde_json::from_str::<OrgId>("22").unwrap().as_str(), "22");
    }
}
