//! A result its settling job claimed (`Effect::SendResult`: a ready report's), sent right
//! after that job's commit, on `CHANNEL_RESULT` and to `RESULT_WEBHOOK_URL`, and recorded sent
//! with others in one commit (`booking::sent_marks`): no `notify` job, no commit of its own.
//! One that cannot be sent now, or not within `AT_ONCE` (a slow webhook must not hold up the
//! reports behind it), is let go and queued on `notify`, whose job retries it (with the
//! webhook's full timeout); a receiver may then see it twice, under one `result_id`.

use std::time::Duration;

use serde_json::Value;

use super::{notify::publish, payloads::NotifyJob};
use crate::{app::App, booking::store, domain::ClassId};
use vteacher_queue::QueueError;

/// How long a settling job waits for its result to go out.
const AT_ONCE: Duration = Duration::from_secs(2);

pub(super) async fn send_claimed(app: &App, class_id: ClassId, result: &Value) -> Result<(), QueueError> {
    let sent = match tokio::time::timeout(AT_ONCE, publish(app, result)).await {
        Ok(sent) => sent.map_err(|err| err.to_string()),
        Err(_) => Err(format!("not sent within {AT_ONCE:?}")),
    };
    match sent {
        Ok(()) => {
            app.sent.sent(class_id);
            Ok(())
        }
        Err(err) => {
            tracing::warn!(%class_id, %err, "result not sent now: queued to be sent again");
            if let Err(err) = store::result_send_ended(&app.db.conn, &class_id, false).await {
                // Its claim lapses instead: the notify job sends it then.
                tracing::debug!(%class_id, %err, "claim on the result not let go");
            }
            app.queues.enqueue(NotifyJob { class_id }, None).await
        }
    }
}
