//! `POST /api/classes/{class_id}/end`: the class is over (下课). No body needed; the first end
//! from any source counts and the rest change nothing.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::Serialize;
use shared::{
    App,
    booking::{BookingStatus, class_end::Ended},
    domain::ClassId,
    jobs,
};

use super::{
    error::ApiError,
    openapi::{BadRequest, NotFound, Unauthorized, Unavailable},
};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ClassEnded {
    /// `true` for the end that counted; `false` when it had ended before.
    pub ended_now: bool,
    pub booking: BookingStatus,
}

/// Ends a class (下课): 200 with the booking's status (`cancelled` if its video was not ready);
/// 404 for a class no booking has; 400 for a class id that is not one. No body.
#[utoipa::path(post, path = "/api/classes/{class_id}/end", tag = "bookings",
    params(("class_id" = ClassId, Path, description = "the class", example = "c-1")),
    responses(
        (status = 200, description = "Ended, now or before (`ended_now`)", body = ClassEnded,
            example = json!(example())),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound), (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn end(State(app): State<App>, Path(class_id): Path<String>) -> Result<Json<ClassEnded>, ApiError> {
    let class_id: ClassId = class_id.parse().map_err(|e| ApiError::invalid("class_id", e))?;
    let (ended_now, booking) = match jobs::end_class(&app, &class_id).await? {
        Ended::Unknown => return Err(ApiError::not_found(format!("no booking for class {class_id:?}"))),
        Ended::Already(booking) => (false, booking),
        Ended::Now { booking, .. } => (true, booking),
    };
    Ok(Json(ClassEnded { ended_now, booking: BookingStatus::from(&booking) }))
}

/// The API document's example of a class ended.
fn example() -> ClassEnded {
    ClassEnded { ended_now: true, booking: super::openapi::examples::ended_booking() }
}
