//! Alarms: something happened that should not have. An error log with the ids, a counter
//! (`vteacher_alarms_total{kind}`), and a POST to `ALARM_WEBHOOK_URL` when it is set.

use serde_json::json;

use super::webhook;
use crate::config::Settings;

/// A rendition that succeeded was asked for again by a booking that did not list it.
pub const TRANSCODE_ALREADY_SUCCEEDED: &str = "transcode_already_succeeded";
/// A succeeded rendition's stored URL cannot be used.
pub const TRANSCODE_URL_UNUSABLE: &str = "transcode_url_unusable";
/// A transcode result for no transcode vteacher knows.
pub const UNKNOWN_TRANSCODE_RESULT: &str = "unknown_transcode_result";
/// A push host's `VIDEO_ROOT` lacks its marker while its index holds videos none of which is
/// there: its disk is not mounted. The host stays not live until it is.
pub const VIDEO_ROOT_NOT_MOUNTED: &str = "video_root_not_mounted";
/// A push host's cache index was lost (deleted, or corrupt and set aside) while its disk was
/// there: rebuilt from the disk, its references asked of the central side.
pub const NODE_INDEX_REBUILT: &str = "node_index_rebuilt";
/// Every kind, the `kind` label of `vteacher_alarms_total`.
pub const KINDS: [&str; 5] = [
    TRANSCODE_ALREADY_SUCCEEDED,
    TRANSCODE_URL_UNUSABLE,
    UNKNOWN_TRANSCODE_RESULT,
    VIDEO_ROOT_NOT_MOUNTED,
    NODE_INDEX_REBUILT,
];

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
