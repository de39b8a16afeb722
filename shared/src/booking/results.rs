//! What is reported about a booking: the status the API and CLI show, and the result (回调)
//! published when it settles.

use serde::Serialize;

use crate::{
    db::bookings,
    directory::Directory,
    domain::{BookingOutcome, BookingResult, BookingState, ClassId, RetryStatus},
};

/// `GET /api/bookings/{class_id}` and `vteacher status`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BookingStatus {
    pub class_id: String,
    pub record_id: i64,
    pub video_resolution: Option<String>,
    pub org_id: Option<String>,
    pub state: BookingState,
    pub reason: Option<String>,
    pub node: Option<String>,
    pub video_path: Option<String>,
    /// Unix seconds, as the booking gave them.
    pub class_start_at: Option<i64>,
    pub class_end_at: Option<i64>,
    /// Unix ms: when its class ended (by request, message or `class_end_at`).
    pub ended_at: Option<i64>,
    /// While it downloads: when it should be ready (unix ms), from its download's progress.
    pub expected_ready_at: Option<i64>,
    /// It should be ready only after its class starts.
    pub at_risk: bool,
    /// While it downloads: bytes on the push host's disk so far, of `total_bytes` (0: not known
    /// yet), as its node last reported them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloaded_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_bytes: Option<u64>,
    /// While its booking job (queued) or its download waits for another attempt: which failed, of how many, why, and when
    /// the next is due (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryStatus>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl BookingStatus {
    /// The status with its download's progress, as its node last reported it.
    pub async fn with_progress(b: &bookings::Model, directory: &Directory) -> Self {
        let mut status = Self::from(b);
        if b.state == BookingState::Downloading
            && let Some(progress) = directory.progress(&ClassId::stored(b.class_id.clone())).await
        {
            status.expected_ready_at = progress.expected_ready_at;
            status.at_risk = progress.at_risk;
            status.downloaded_bytes = Some(progress.bytes);
            status.total_bytes = Some(progress.total);
            status.retry = progress.retry;
        }
        status
    }
}

impl From<&bookings::Model> for BookingStatus {
    fn from(b: &bookings::Model) -> Self {
        Self {
            class_id: b.class_id.clone(),
            record_id: b.record_id,
            video_resolution: b.resolution.clone(),
            org_id: b.org_id.clone(),
            state: b.state,
            reason: b.reason.clone(),
            node: b.node.clone(),
            video_path: b.video_path.clone(),
            class_start_at: b.class_start_at,
            class_end_at: b.class_end_at,
            ended_at: b.ended_at,
            expected_ready_at: None,
            at_risk: false,
            downloaded_bytes: None,
            total_bytes: None,
            retry: (b.state == BookingState::Queued)
                .then(|| b.retry.clone().and_then(|r| serde_json::from_value(r).ok()))
                .flatten(),
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// The wire JSON of a settled booking's result, the message's unknown fields echoed back;
/// `None` while it is still under way.
pub fn wire_result(b: &bookings::Model) -> Option<serde_json::Value> {
    let result = match b.state {
        BookingState::Ready => BookingOutcome::Success,
        BookingState::Failed => BookingOutcome::Failure,
        BookingState::Cancelled => BookingOutcome::Cancelled,
        _ => return None,
    };
    let wire = BookingResult {
        cmd: "booking",
        result_id: result_id(b),
        class_id: b.class_id.clone(),
        record_id: b.record_id,
        video_resolution: b.resolution.clone(),
        result,
        node: b.node.clone(),
        video_path: b.video_path.clone(),
        reason: b.reason.clone(),
    };
    Some(wire.to_json(&b.message))
}

/// The stable id of the booking's present outcome: the same for every send of this result,
/// another for the next outcome (a failed booking taken in again), so a receiver drops the
/// one repeat a crash between sending and recording it can cause.
pub fn result_id(b: &bookings::Model) -> String {
    format!("{}-{}", b.class_id, b.settled_at.unwrap_or(b.updated_at))
}
