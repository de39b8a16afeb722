//! The booking message (约课) and the booking result (回调), as the existing system sends and
//! reads them. Unknown fields are kept in `extra` and echoed back, never rejected.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{ClassId, ErrorCode, NodeId, OrgId, RecordId, Resolution, SourceUrl};

/// Why a message was refused; `field` names the offending field for API error bodies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("the message must be a JSON object")]
    NotAnObject,
    #[error("{field}: {problem}")]
    Field { field: String, problem: String },
}

impl MessageError {
    /// The stable error code clients and counters see.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed(_) => ErrorCode::MalformedJson,
            Self::NotAnObject => ErrorCode::NotAnObject,
            Self::Field { .. } => ErrorCode::InvalidField,
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Field { field, .. } => Some(field),
            _ => None,
        }
    }

    /// A bad `field`; both texts are clipped (they may repeat the input).
    pub(super) fn at(field: impl AsRef<str>, problem: impl ToString) -> Self {
        Self::Field { field: super::clip(field.as_ref(), 80), problem: super::clip(&problem.to_string(), 200) }
    }
}

const COURSE_NAME_MAX: usize = 500;

/// A validated booking request. Its schema (utoipa) is the message `from_value` reads; unknown
/// fields are kept and echoed back in results.
#[derive(Debug, Clone, PartialEq, utoipa::ToSchema)]
pub struct Booking {
    pub class_id: ClassId,
    pub record_id: RecordId,
    /// The video as it is: required when `video_resolution` is absent, and the source to
    /// transcode when `video_url_list` has no rendition of it.
    pub video_url: Option<SourceUrl>,
    /// The rendition the class needs; absent: `video_url` as it is.
    pub video_resolution: Option<Resolution>,
    #[schema(schema_with = super::schema::url_list, required = false)]
    pub video_url_list: BTreeMap<Resolution, SourceUrl>,
    pub org_id: Option<OrgId>,
    #[schema(max_length = 500)]
    pub course_name: Option<String>,
    /// Which push host should take the class, when the web app decides.
    pub node: Option<NodeId>,
    /// When the class starts, unix seconds: the soonest class downloads first.
    pub class_start_at: Option<i64>,
    /// When the class ends by itself (自动下课), unix seconds.
    pub class_end_at: Option<i64>,
    /// Every field vteacher does not know, kept and echoed back in results.
    #[schema(ignore)]
    pub extra: Map<String, Value>,
}

const KNOWN: [&str; 10] = [
    "class_id",
    "record_id",
    "video_url",
    "video_resolution",
    "video_url_list",
    "org_id",
    "course_name",
    "node",
    "class_start_at",
    "class_end_at",
];

impl Booking {
    pub fn from_json(bytes: &[u8]) -> Result<Self, MessageError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| MessageError::Malformed(e.to_string()))?;
        Self::from_value(value)
    }

    pub fn from_value(value: Value) -> Result<Self, MessageError> {
        let Value::Object(mut map) = value else {
            return Err(MessageError::NotAnObject);
        };
        refuse_nul(&map)?;
        let booking = Booking {
            class_id: required(&mut map, "class_id")?,
            record_id: required(&mut map, "record_id")?,
            video_url: optional(&mut map, "video_url")?,
            video_resolution: optional(&mut map, "video_resolution")?,
            video_url_list: url_list(&mut map)?,
            org_id: optional(&mut map, "org_id")?,
            course_name: optional(&mut map, "course_name")?,
            node: optional(&mut map, "node")?,
            class_start_at: optional(&mut map, "class_start_at")?,
            class_end_at: optional(&mut map, "class_end_at")?,
            extra: map,
        };
        booking.check_has_source()?;
        if booking.course_name.as_ref().is_some_and(|n| n.chars().count() > COURSE_NAME_MAX) {
            return Err(MessageError::at("course_name", format!("at most {COURSE_NAME_MAX} characters")));
        }
        Ok(booking)
    }

    /// The URL of a rendition that already exists at the booked resolution, if any: the legacy
    /// `video_url` when no resolution is asked for, else the listed one.
    pub fn ready_url(&self) -> Option<&SourceUrl> {
        match self.video_resolution {
            None => self.video_url.as_ref(),
            Some(resolution) => self.video_url_list.get(&resolution),
        }
    }

    fn check_has_source(&self) -> Result<(), MessageError> {
        let has_source = self.video_url.is_some() || !self.video_url_list.is_empty();
        match self.video_resolution {
            None if self.video_url.is_none() => {
                Err(MessageError::at("video_url", "required when video_resolution is absent"))
            }
            Some(_) if !has_source => Err(MessageError::at(
                "video_url",
                "required when video_url_list is empty (it is the source to transcode)",
            )),
            _ => Ok(()),
        }
    }

    /// The message as stored and echoed: every known field plus the unknown ones.
    pub fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        let known = serde_json::json!({
            "class_id": self.class_id,
            "record_id": self.record_id,
            "video_url": self.video_url,
            "video_resolution": self.video_resolution,
            "video_url_list": self.video_url_list,
            "org_id": self.org_id,
            "course_name": self.course_name,
            "node": self.node,
            "class_start_at": self.class_start_at,
            "class_end_at": self.class_end_at,
        });
        if let Value::Object(known) = known {
            map.extend(known.into_iter().filter(|(_, v)| !v.is_null()));
        }
        Value::Object(map)
    }
}

/// PostgreSQL's text and jsonb cannot hold U+0000 (SQLite can), and a message is stored whole
/// (unknown fields too): a NUL anywhere in it is refused here, naming its top-level field, so
/// every backend answers the same 400 instead of PostgreSQL's 503.
pub(super) fn refuse_nul(map: &Map<String, Value>) -> Result<(), MessageError> {
    fn has_nul(value: &Value) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().any(has_nul),
            Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    match map.iter().find(|(key, value)| key.contains('\0') || has_nul(value)) {
        None => Ok(()),
        // A key that is no plain name is quoted, its NUL escaped.
        Some((key, _)) if key.is_empty() || key.contains('\0') => Err(MessageError::at(format!("{key:?}"), NUL)),
        Some((key, _)) => Err(MessageError::at(key, NUL)),
    }
}

const NUL: &str = "must not contain the NUL character (U+0000)";

fn take_present(map: &mut Map<String, Value>, field: &str) -> Option<Value> {
    match map.remove(field) {
        None | Some(Value::Null) => None,
        // Legacy senders send "" for "not given".
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(v),
    }
}

pub(super) fn optional<T: serde::de::DeserializeOwned>(
    map: &mut Map<String, Value>,
    field: &str,
) -> Result<Option<T>, MessageError> {
    take_present(map, field).map(|v| serde_json::from_value(v).map_err(|e| MessageError::at(field, e))).transpose()
}

pub(super) fn required<T: serde::de::DeserializeOwned>(
    map: &mut Map<String, Value>,
    field: &str,
) -> Result<T, MessageError> {
    optional(map, field)?.ok_or_else(|| MessageError::at(field, "required"))
}

pub(super) fn url_list(map: &mut Map<String, Value>) -> Result<BTreeMap<Resolution, SourceUrl>, MessageError> {
    let Some(value) = take_present(map, "video_url_list") else {
        return Ok(BTreeMap::new());
    };
    let Value::Object(entries) = value else {
        return Err(MessageError::at("video_url_list", "must be an object of resolution → URL"));
    };
    let mut list = BTreeMap::new();
    for (key, url) in entries {
        let field = format!("video_url_list.{key}");
        let resolution: Resolution = key.parse().map_err(|e| MessageError::at(&field, e))?;
        let url = serde_json::from_value(url).map_err(|e| MessageError::at(&field, e))?;
        list.insert(resolution, url);
    }
    Ok(list)
}

/// `"success"`, `"failure"`, or `"cancelled"` (its class ended before its video was ready)
/// in a booking result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingOutcome {
    Success,
    Failure,
    Cancelled,
}

/// The booking result (回调) vteacher publishes when a booking is ready or has failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookingResult {
    pub cmd: &'static str,
    /// Stable per outcome: a receiver drops a repeat.
    pub result_id: String,
    pub class_id: String,
    pub record_id: i64,
    pub video_resolution: Option<String>,
    pub result: BookingOutcome,
    pub node: Option<String>,
    pub video_path: Option<String>,
    pub reason: Option<String>,
}

impl BookingResult {
    /// The wire JSON: the result's own fields, then the booking's unknown fields echoed back
    /// (never overriding a field of the result).
    pub fn to_json(&self, echoed: &Value) -> Value {
        let mut out = serde_json::to_value(self).unwrap_or_default();
        if let (Value::Object(out), Value::Object(message)) = (&mut out, echoed) {
            for (key, value) in message {
                if !KNOWN.contains(&key.as_str()) && !out.contains_key(key) {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        out
    }
}
