//! What is reported about a booking: the status the API and CLI show, and the result (回调)
//! published when it settles.

use serde::Serialize;

use crate::{
    db::bookings,
    domain::{BookingResult, BookingState, Outcome},
};

/// `GET /api/bookings/{class_id}` and `vteacher status`.
#[derive(Debug, Clone, Serialize)]
pub struct BookingStatus {
    pub class_id: String,
    pub record_id: i64,
    pub video_resolution: Option<String>,
    pub org_id: Option<String>,
    pub state: BookingState,
    pub reason: Option<String>,
    pub node: Option<String>,
    pub video_path: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
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
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// The wire JSON of a settled booking's result, the message's unknown fields echoed back;
/// `None` while it is still under way.
pub fn wire_result(b: &bookings::Model) -> Option<serde_json::Value> {
    let result = match b.state {
        BookingState::Ready => Outcome::Success,
        BookingState::Failed => Outcome::Failure,
        _ => return None,
    };
    let wire = BookingResult {
        cmd: "booking",
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
