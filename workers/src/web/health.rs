//! `/healthz` (the process serves and its database answers) and `/readyz` (the database and
//! the queue backend both answer: ready for traffic).

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use sea_orm::ConnectionTrait;
use serde_json::json;
use shared::App;

async fn database_answers(app: &App) -> bool {
    app.db.conn.execute_unprepared("SELECT 1").await.is_ok()
}

pub async fn healthz(State(app): State<App>) -> impl IntoResponse {
    let db_ok = database_answers(&app).await;
    let status = if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({"status": if db_ok { "ok" } else { "degraded" }, "database": db_ok,
        "queues": app.queues.backend_name(), "node": app.settings.node_id});
    (status, Json(body))
}

pub async fn readyz(State(app): State<App>) -> impl IntoResponse {
    let db_ok = database_answers(&app).await;
    let queue_error = app.queues.ping().await.err().map(|e| e.to_string());
    let ready = db_ok && queue_error.is_none();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({"status": if ready { "ready" } else { "not_ready" }, "database": db_ok,
        "queue_backend": app.queues.backend_name(), "queue_backend_ok": queue_error.is_none(),
        "queue_error": queue_error});
    (status, Json(body))
}
