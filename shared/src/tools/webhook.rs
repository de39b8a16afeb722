//! POSTs JSON to a configured URL (`RESULT_WEBHOOK_URL`, `ALARM_WEBHOOK_URL`).

use std::time::Duration;

use crate::{config::mask_url_password, domain::Retryable};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook {url}: {reason}")]
    Failed { url: String, reason: String },
}

/// A receiver that is down or answers an error may take it later.
impl Retryable for WebhookError {
    fn is_retryable(&self) -> bool {
        true
    }
}

pub async fn post_json(http: &reqwest::Client, url: &str, body: &serde_json::Value) -> Result<(), WebhookError> {
    let failed = |reason: String| WebhookError::Failed { url: mask_url_password(url), reason };
    let response = http
        .post(url)
        .timeout(Duration::from_secs(15))
        .json(body)
        .send()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("answered {}", response.status())));
    }
    Ok(())
}
