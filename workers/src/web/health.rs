//! `/healthz` (the process serves and its database answers) and `/readyz` (the database and
//! the queue backend both answer: ready for traffic). Open: load balancers send no token. So
//! they name what is down but never its error, whose text can carry addresses and user names:
//! that goes to the log (each URL in it redacted).

use axum::{Json, extract::State, http::StatusCode};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use shared::{
    App,
    domain::{NodeId, redact_url},
};

/// Whether the database answers; why not is logged.
async fn database_answers(app: &App) -> bool {
    let answer = app.db.conn.execute_unprepared("SELECT 1").await;
    if let Err(e) = &answer {
        tracing::warn!(dependency = "database", error = %redacted(&e.to_string()), "the database does not answer");
    }
    answer.is_ok()
}

/// Whether the queue backend answers; why not is logged.
async fn queues_answer(app: &App) -> bool {
    let answer = app.queues.ping().await;
    if let Err(e) = &answer {
        let dependency = app.queues.backend_name();
        tracing::warn!(dependency, error = %redacted(&e.to_string()), "not ready: the queue backend does not answer");
    }
    answer.is_ok()
}

/// An error's text with every URL in it redacted (no user info, no query string).
fn redacted(error: &str) -> String {
    let words = error.split(' ').map(|word| if word.contains("://") { redact_url(word) } else { word.to_owned() });
    words.collect::<Vec<_>>().join(" ")
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
    /// What does not answer: `database`, and the queue backend by its name (`redis`, `sqlite`).
    /// Why is in the process's log, never here.
    #[schema(example = json!(["redis"]))]
    pub down: Vec<&'static str>,
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
                "queue_backend_ok": true, "down": []})),
        (status = 503, description = "The database or the queue backend does not answer (why: in the log)", body = Ready,
            example = json!({"status": "not_ready", "database": true, "queue_backend": "redis",
                "queue_backend_ok": false, "down": ["redis"]}))))]
pub(super) async fn readyz(State(app): State<App>) -> (StatusCode, Json<Ready>) {
    let (db_ok, queues_ok) = tokio::join!(database_answers(&app), queues_answer(&app));
    let queue_backend = app.queues.backend_name();
    let down: Vec<&'static str> = [("database", db_ok), (queue_backend, queues_ok)]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name)
        .collect();
    let status = if down.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Ready {
        status: if down.is_empty() { "ready" } else { "not_ready" },
        database: db_ok,
        queue_backend,
        queue_backend_ok: queues_ok,
        down,
    };
    (status, Json(body))
}
