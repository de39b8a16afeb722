//! `/healthz` (the process serves and its database answers) and `/readyz` (the database and
//! the queue backend both answer: ready for traffic). Open: load balancers send no token.

use axum::{Json, extract::State, http::StatusCode};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use shared::{App, domain::NodeId};

async fn database_answers(app: &App) -> bool {
    app.db.conn.execute_unprepared("SELECT 1").await.is_ok()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    #[schema(pattern = "^(ok|degraded)$")]
    pub status: &'static str,
    pub database: bool,
    /// The queue backend: `redis` or `sqlite`.
    pub queues: &'static str,
    pub node: NodeId,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Ready {
    /// `ready`, or `not_ready` when the database or the queue backend does not answer.
    #[schema(pattern = "^(ready|not_ready)$")]
    pub status: &'static str,
    pub database: bool,
    pub queue_backend: &'static str,
    pub queue_backend_ok: bool,
    #[schema(required = true)]
    pub queue_error: Option<String>,
}

/// 200 when the database answers, else 503; names the queue backend and node.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "Serving", body = Health,
            example = json!({"status": "ok", "database": true, "queues": "redis", "node": "host-1"})),
        (status = 503, description = "The database does not answer", body = Health,
            example = json!({"status": "degraded", "database": false, "queues": "redis", "node": "host-1"}))))]
pub(super) async fn healthz(State(app): State<App>) -> (StatusCode, Json<Health>) {
    let db_ok = database_answers(&app).await;
    let status = if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Health {
        status: if db_ok { "ok" } else { "degraded" },
        database: db_ok,
        queues: app.queues.backend_name(),
        node: app.settings.node_id.clone(),
    };
    (status, Json(body))
}

/// 200 when the database and the queue backend both answer, else 503 naming which did not.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready for traffic", body = Ready,
            example = json!({"status": "ready", "database": true, "queue_backend": "redis",
                "queue_backend_ok": true, "queue_error": null})),
        (status = 503, description = "The database or the queue backend does not answer", body = Ready,
            example = json!({"status": "not_ready", "database": true, "queue_backend": "redis",
                "queue_backend_ok": false, "queue_error": "redis: connection refused"}))))]
pub(super) async fn readyz(State(app): State<App>) -> (StatusCode, Json<Ready>) {
    let db_ok = database_answers(&app).await;
    let queue_error = app.queues.ping().await.err().map(|e| e.to_string());
    let ready = db_ok && queue_error.is_none();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Ready {
        status: if ready { "ready" } else { "not_ready" },
        database: db_ok,
        queue_backend: app.queues.backend_name(),
        queue_backend_ok: queue_error.is_none(),
        queue_error,
    };
    (status, Json(body))
}
