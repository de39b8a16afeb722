//! What every job carries on its queue: its wire format, each job's in one place, so that a
//! change to one is seen for what it is, a change to what sits in Redis. A push host's job
//! carries all it needs (it cannot read the central database). The handlers are one file
//! per job beside this one.

use serde::{Deserialize, Serialize};

use crate::domain::{ClassId, DownloadOrder, NodeReport, TranscodeKey, TranscodeResult};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BookingJob {
    pub class_id: ClassId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassEndJob {
    pub class_id: ClassId,
}

/// The orders of the bookings placed on a node that have not ended (its index was rebuilt).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferencesJob {
    pub orders: Vec<DownloadOrder>,
}

/// On the wire as the order itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadJob(pub DownloadOrder);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeReportJob(pub NodeReport);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyJob {
    pub class_id: ClassId,
}

/// On the wire as the key itself: `{"record_id": 6666, "resolution": "240P"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscodeEcsJob(pub TranscodeKey);

/// On the wire as the key itself: `{"record_id": 6666, "resolution": "240P"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscodeOssJob(pub TranscodeKey);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscodeResultJob {
    /// The result message as received (validated before it was queued).
    pub message: serde_json::Value,
}

impl From<&TranscodeResult> for TranscodeResultJob {
    fn from(result: &TranscodeResult) -> Self {
        Self { message: result.message.clone() }
    }
}
