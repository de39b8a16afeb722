//! The `http` oss provider: POSTs `{record_id, video_resolution, video_url}` to
//! `OSS_HTTP_URL`; the transcoding service sends its result later, as a transcode result
//! message (pub/sub or `POST /api/transcode/result`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    config::mask_url_password,
    domain::{Retryable, SourceUrl, TranscodeKey},
};

#[derive(Debug, thiserror::Error)]
pub enum OssHttpError {
    #[error("oss http {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("oss http {endpoint} answered {status}")]
    Refused { endpoint: String, status: StatusCode },
}

/// A service that cannot be reached, is overloaded or fails inside may take it later; one that
/// refuses the request will refuse it again.
impl Retryable for OssHttpError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Refused { status, .. } => status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

pub async fn submit(
    http: &reqwest::Client,
    endpoint: &str,
    key: TranscodeKey,
    source: &SourceUrl,
) -> Result<(), OssHttpError> {
    let body = json!({"record_id": key.record_id, "video_resolution": key.resolution, "video_url": source});
    let endpoint_shown = mask_url_password(endpoint);
    let response = http.post(endpoint).timeout(Duration::from_secs(30)).json(&body).send().await.map_err(|e| {
        OssHttpError::Unreachable { endpoint: endpoint_shown.clone(), reason: e.without_url().to_string() }
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    Err(OssHttpError::Refused { endpoint: endpoint_shown, status })
}
