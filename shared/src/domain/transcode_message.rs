//! The transcode result (转码 publish), as the cloud service, our ecs workers and the HTTP
//! callback send it:
//! `{"cmd": "transcoding", "record_id": 6666, "video_resolution": "720P", "result": "sucess",
//!   "transcode_video_url": "http://…/video_6666_720P.flv", "type": "oss"}`

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{MessageError, RecordId, Resolution, SourceUrl};

/// Who made (or failed to make) the rendition; stored as `oss` or `ecs`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// The cloud transcoding service.
    #[sea_orm(string_value = "oss")]
    Oss,
    /// vteacher's own ffmpeg workers.
    #[sea_orm(string_value = "ecs")]
    Ecs,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oss => "oss",
            Self::Ecs => "ecs",
        }
    }
}

/// In any case and with spaces around, as the existing senders write it (the original's
/// pseudo-code compares `type == OSS`), like resolutions.
impl std::str::FromStr for Provider {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "oss" => Ok(Self::Oss),
            "ecs" => Ok(Self::Ecs),
            _ => Err(format!("unknown provider {text:?}: expected oss or ecs (any case)")),
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a transcode result says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscodeOutcome {
    Succeeded { url: SourceUrl },
    Failed { reason: String },
}

/// A validated transcode result.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodeResult {
    pub record_id: RecordId,
    pub resolution: Resolution,
    pub provider: Provider,
    pub outcome: TranscodeOutcome,
    /// The message as received, unknown fields included (kept for inspection).
    pub message: Value,
}

fn field(name: &str, problem: impl ToString) -> MessageError {
    MessageError::at(name, problem)
}

fn take<T: serde::de::DeserializeOwned>(map: &Map<String, Value>, name: &str) -> Result<T, MessageError> {
    let value = map.get(name).filter(|v| !v.is_null()).ok_or_else(|| field(name, "required"))?;
    serde_json::from_value(value.clone()).map_err(|e| field(name, e))
}

impl TranscodeResult {
    pub fn from_json(bytes: &[u8]) -> Result<Self, MessageError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| MessageError::Malformed(e.to_string()))?;
        Self::from_value(value)
    }

    pub fn from_value(value: Value) -> Result<Self, MessageError> {
        let Value::Object(map) = &value else {
            return Err(MessageError::NotAnObject);
        };
        super::messages::refuse_nul(map)?;
        let record_id = take(map, "record_id")?;
        let resolution = take(map, "video_resolution")?;
        let provider: String = take(map, "type")?;
        let provider: Provider = provider.parse().map_err(|e| field("type", e))?;
        let result: String = take(map, "result")?;
        // "sucess" is the existing system's spelling; both mean success.
        let outcome = if matches!(result.trim().to_ascii_lowercase().as_str(), "success" | "sucess") {
            TranscodeOutcome::Succeeded { url: take(map, "transcode_video_url")? }
        } else {
            let detail = map.get("reason").or_else(|| map.get("message")).and_then(Value::as_str);
            let reason = detail.map_or_else(|| format!("{provider} transcode failed ({result})"), str::to_owned);
            TranscodeOutcome::Failed { reason }
        };
        Ok(Self { record_id, resolution, provider, outcome, message: value })
    }

    /// The wire message of a result vteacher itself produced (the ecs workers, timeouts).
    pub fn produced(
        record_id: RecordId,
        resolution: Resolution,
        provider: Provider,
        outcome: TranscodeOutcome,
    ) -> Self {
        let (result, url, reason) = match &outcome {
            TranscodeOutcome::Succeeded { url } => ("success", Some(url.as_str().to_owned()), None),
            TranscodeOutcome::Failed { reason } => ("failure", None, Some(reason.clone())),
        };
        let message = serde_json::json!({"cmd": "transcoding", "record_id": record_id, "video_resolution": resolution,
            "result": result, "transcode_video_url": url, "type": provider, "reason": reason});
        Self { record_id, resolution, provider, outcome, message }
    }
}

/// `POST /api/transcode/oss` and `/ecs`: `{record_id, video_resolution}`, with optional
/// `video_url`, `video_url_list` and `org_id`.
/// Its schema (utoipa) is the body `from_json` reads.
#[derive(Debug, Clone, PartialEq, utoipa::ToSchema)]
pub struct TranscodeRequest {
    pub record_id: RecordId,
    #[schema(rename = "video_resolution")]
    pub resolution: Resolution,
    /// The source to transcode, unless `video_url_list` has a rendition or the transcode
    /// already has its sources.
    pub video_url: Option<SourceUrl>,
    #[schema(schema_with = super::schema::url_list, required = false)]
    pub video_url_list: std::collections::BTreeMap<Resolution, SourceUrl>,
    pub org_id: Option<super::OrgId>,
}

impl TranscodeRequest {
    pub fn from_json(bytes: &[u8]) -> Result<Self, MessageError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| MessageError::Malformed(e.to_string()))?;
        let Value::Object(mut map) = value else {
            return Err(MessageError::NotAnObject);
        };
        Ok(Self {
            record_id: super::messages::required(&mut map, "record_id")?,
            resolution: super::messages::required(&mut map, "video_resolution")?,
            video_url: super::messages::optional(&mut map, "video_url")?,
            video_url_list: super::messages::url_list(&mut map)?,
            org_id: super::messages::optional(&mut map, "org_id")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Result<TranscodeResult, MessageError> {
        TranscodeResult::from_value(value)
    }

    #[test]
    fn sucess_and_success_both_mean_success() {
        for spelling in ["sucess", "success", "SUCCESS"] {
            let r = parse(json!({"cmd": "transcoding", "record_id": 6666, "video_resolution": "720p",
                "result": spelling, "transcode_video_url": "http://h/v.flv", "type": "oss"}))
            .unwrap();
            assert_eq!(r.outcome, TranscodeOutcome::Succeeded { url: "http://h/v.flv".parse().unwrap() });
            assert_eq!(r.resolution, Resolution::P720);
        }
    }

    #[test]
    fn the_type_is_read_in_any_case_as_the_existing_senders_write_it() {
        for (spelling, provider) in
            [("OSS", Provider::Oss), ("Oss", Provider::Oss), (" ecs ", Provider::Ecs), ("ECS", Provider::Ecs)]
        {
            let r = parse(json!({"record_id": 1, "video_resolution": "240P", "result": "fail", "type": spelling}));
            assert_eq!(r.map(|r| r.provider), Ok(provider), "{spelling:?}");
        }
    }

    #[test]
    fn anything_else_is_a_failure() {
        let r = parse(json!({"record_id": 1, "video_resolution": "240", "result": "fail", "type": "ecs"})).unwrap();
        assert!(matches!(r.outcome, TranscodeOutcome::Failed { .. }));
        assert_eq!(r.provider, Provider::Ecs);
    }

    #[test]
    fn names_the_field_of_bad_input() {
        let cases = [
            (json!({"video_resolution": "240P", "result": "success", "type": "oss"}), "record_id"),
            (json!({"record_id": 1, "video_resolution": "360P", "result": "fail", "type": "oss"}), "video_resolution"),
            (json!({"record_id": 1, "video_resolution": "240P", "result": "fail", "type": "gpu"}), "type"),
            (json!({"record_id": 1, "video_resolution": "240P", "type": "oss"}), "result"),
            (
                json!({"record_id": 1, "video_resolution": "240P", "result": "success", "type": "oss"}),
                "transcode_video_url",
            ),
            (
                json!({"record_id": 1, "video_resolution": "240P", "result": "success", "type": "oss",
                "transcode_video_url": "file:///etc/passwd"}),
                "transcode_video_url",
            ),
        ];
        for (message, name) in cases {
            assert_eq!(parse(message.clone()).unwrap_err().field(), Some(name), "{message}");
        }
    }
}
