//! The `http` oss provider: POSTs `{record_id, video_resolution, video_url}` to
//! `OSS_HTTP_URL`; the transcoding service sends its result later, as a transcode result
//! message (pub/sub or `POST /api/transcode/result`).

use std::time::Duration;

use serde_json::json;

use super::store::Key;
use crate::{config::mask_url_password, domain::SourceUrl, queue::JobError};

pub async fn submit(http: &reqwest::Client, endpoint: &str, key: Key, source: &SourceUrl) -> Result<(), JobError> {
    let body = json!({"record_id": key.record_id, "video_resolution": key.resolution, "video_url": source});
    let endpoint_shown = mask_url_password(endpoint);
    let response = http
        .post(endpoint)
        .timeout(Duration::from_secs(30))
        .json(&body)
        .send()
        .await
        .map_err(|e| JobError::retry(format!("oss http {endpoint_shown}: {}", e.without_url())))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let reason = format!("oss http {endpoint_shown} answered {status}");
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(JobError::retry(reason))
    } else {
        Err(JobError::abort(reason))
    }
}
