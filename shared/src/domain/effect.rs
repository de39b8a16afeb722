//! What a committed state change leaves for after the commit. Domain code returns these; only
//! the job layer (`apply` in `jobs/effects.rs`) turns them into jobs and alarms, once the
//! transaction that decided them has committed.

use serde::{Deserialize, Serialize};

use super::{ClassId, DownloadOrder, NodeId, NodeReport, TranscodeKey};

/// Serde: an effect may wait in the outbox (`db::outbox`) until it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Hand the transcode to the cloud (oss).
    SubmitOss(TranscodeKey),
    /// Hand the transcode to our own ffmpeg workers (ecs).
    SubmitEcs(TranscodeKey),
    /// Decide the booking (again): a released booking goes on to placement and download.
    Book(ClassId),
    /// Put the booking's video on `node`'s disk.
    Download { node: NodeId, order: DownloadOrder },
    /// `node`'s index was rebuilt: the orders of the bookings placed on it that have not
    /// ended, for it to take its references back.
    RestoreReferences { node: NodeId, orders: Vec<DownloadOrder> },
    /// The class is over: `node` lets its reference on the video go.
    EndClass { node: NodeId, class_id: ClassId },
    /// The booking settled: send its result.
    Notify(ClassId),
    /// The booking settled and its transaction claimed the send: send `result` (its wire
    /// JSON) now. Never in the outbox: the booking row, settled and not notified, is its record
    /// (the claim lapses, the sweeper sends it).
    SendResult { class_id: ClassId, result: serde_json::Value },
    /// A push host tells the central side what happened (it shares no database with it).
    Report(NodeReport),
    /// Something happened that should not have.
    Alarm { kind: String, message: String },
}
