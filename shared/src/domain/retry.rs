//! Whether an error heals with time: the engine's `Retryable`, which every error a job can meet
//! implements (the one conversion, `JobError: From<E: Retryable>`, is the engine's), and a job
//! between attempts as a status shows it.

pub use vteacher_queue::Retryable;

/// A job between attempts, as the status of what it works on shows it (`retry` in a booking's
/// status while its download waits to be tried again).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"attempt": 1, "max_attempts": 12, "next_attempt_at": 1_796_212_000_000_i64,
    "last_error": "network error: http://127.0.0.1:9/a.flv: error sending request: connection refused (127.0.0.1:9)"}))]
pub struct RetryStatus {
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    pub max_attempts: u32,
    /// Why it failed: the cause chain (host, "connection refused", HTTP status, timeout).
    pub last_error: String,
    /// Unix ms when the next attempt is due.
    pub next_attempt_at: i64,
}
