//! `/healthz` (the database answers) and `/metrics` (Prometheus text).

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use sea_orm::ConnectionTrait;
use serde_json::json;
use shared::App;

pub async fn healthz(State(app): State<App>) -> impl IntoResponse {
    let db_ok = app.db.conn.execute_unprepared("SELECT 1").await.is_ok();
    let status = if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({"status": if db_ok { "ok" } else { "degraded" }, "database": db_ok,
        "queues": app.queues.backend_name(), "node": app.settings.node_id});
    (status, Json(body))
}

pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    node_gauges(&app).await;
    let text = crate::telemetry::metrics().map(|h| h.render()).unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// Every node's last report, as gauges (`vteacher_node_*{node}`), read from the directory at
/// scrape time: the nodes themselves serve no /metrics.
async fn node_gauges(app: &App) {
    let Ok(statuses) = app.directory.statuses().await else { return };
    let now = shared::db::now_ms();
    for s in statuses {
        let node = s.node.to_string();
        let live = shared::directory::is_live(&s, app.settings.node_live_for(), now);
        let gauge = |name: &'static str, value: f64| metrics::gauge!(name, "node" => node.clone()).set(value);
        gauge("vteacher_node_live", f64::from(u8::from(live)));
        gauge("vteacher_node_cache_bytes", s.used_bytes as f64);
        gauge("vteacher_node_cache_videos", s.video_count as f64);
        gauge("vteacher_node_cache_reserved_bytes", s.reserved_bytes as f64);
        gauge("vteacher_node_cache_referenced_bytes", s.referenced_bytes as f64);
        gauge("vteacher_node_cache_evictions", s.evictions as f64);
        gauge("vteacher_node_free_disk_bytes", s.free_disk_bytes as f64);
        gauge("vteacher_node_downloads_active", s.downloads_active as f64);
        gauge("vteacher_node_downloads_at_risk", s.downloads_at_risk as f64);
    }
}
