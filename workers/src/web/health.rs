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

pub async fn metrics() -> impl IntoResponse {
    let text = crate::telemetry::metrics().map(|h| h.render()).unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
