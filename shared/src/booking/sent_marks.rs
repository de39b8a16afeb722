//! Results sent, recorded many to a commit. The job that settles a booking claims its result's
//! send in the same transaction (`notifying_until`), sends it right after the commit, and hands
//! the class here: one `UPDATE` records every result sent within `GATHER` (a storm's results
//! would otherwise cost a commit each). A mark lost with the process is repaired: the claim
//! lapses and the sweeper sends the result again, under the same `result_id`.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::store;
use crate::domain::ClassId;

/// How long sent results gather before one commit records them.
const GATHER: Duration = Duration::from_millis(200);
/// Results recorded per commit at most.
const MOST: usize = 500;

enum Mark {
    Sent(ClassId),
    /// Record what came before, then answer.
    Flush(oneshot::Sender<()>),
}

/// The recorder's handle (cheap to clone).
#[derive(Clone)]
pub struct SentMarks {
    tx: mpsc::UnboundedSender<Mark>,
}

impl SentMarks {
    /// Starts the recorder on the current runtime; it ends when every handle is gone.
    pub fn start(conn: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(record(conn, rx));
        Self { tx }
    }

    /// The result of `class_id`, claimed by this process, was sent.
    pub fn sent(&self, class_id: ClassId) {
        if self.tx.send(Mark::Sent(class_id)).is_err() {
            tracing::debug!("results recorder stopped: the sweeper will send this result again");
        }
    }

    /// Waits until every result marked so far is recorded (at shutdown).
    pub async fn flush(&self) {
        let (done, recorded) = oneshot::channel();
        if self.tx.send(Mark::Flush(done)).is_ok() {
            let _ = recorded.await;
        }
    }
}

async fn record(conn: DatabaseConnection, mut rx: mpsc::UnboundedReceiver<Mark>) {
    let (mut sent, mut flushes) = (Vec::new(), Vec::new());
    while let Some(first) = rx.recv().await {
        let until = tokio::time::Instant::now() + GATHER;
        let mut next = Some(first);
        while let Some(mark) = next.take() {
            match mark {
                Mark::Sent(class_id) => sent.push(class_id),
                Mark::Flush(done) => flushes.push(done),
            }
            if flushes.is_empty() && sent.len() < MOST {
                next = tokio::time::timeout_at(until, rx.recv()).await.ok().flatten();
            }
        }
        if !sent.is_empty() {
            if let Err(err) = store::results_sent(&conn, &sent).await {
                tracing::warn!(%err, results = sent.len(), "sent results not recorded: the sweeper sends them again");
            }
            sent.clear();
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}
