//! What the engine tells a job between attempts, as vteacher's statuses show it.

use crate::domain::RetryStatus;

impl From<&vteacher_queue::RetryNotice> for RetryStatus {
    fn from(notice: &vteacher_queue::RetryNotice) -> Self {
        Self {
            attempt: notice.attempt,
            max_attempts: notice.max_attempts,
            last_error: notice.last_error.clone(),
            next_attempt_at: notice.next_attempt_at as i64,
        }
    }
}
