//! Alarms: something happened that should not have. An error log with the ids, a counter
//! (`vteacher_alarms_total{kind}`), and a POST to `ALARM_WEBHOOK_URL` when it is set.

use serde_json::json;

use super::webhook;
use crate::config::Settings;

pub async fn raise(http: &reqwest::Client, settings: &Settings, kind: &str, message: &str) {
    tracing::error!(alarm = kind, "{message}");
    metrics::counter!("vteacher_alarms_total", "kind" => kind.to_owned()).increment(1);
    let Some(url) = &settings.alarm_webhook_url else {
        return;
    };
    let body = json!({"alarm": kind, "message": message, "node": settings.node_id, "at": crate::db::now_ms()});
    // An alarm that cannot be delivered is logged, never allowed to fail the work it is about.
    if let Err(err) = webhook::post_json(http, url, &body).await {
        tracing::error!(alarm = kind, %err, "could not deliver the alarm to ALARM_WEBHOOK_URL");
    }
}
