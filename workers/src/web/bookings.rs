//! `POST /api/bookings`, `GET /api/bookings/{class_id}`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use shared::{
    App,
    booking::{BookingStatus, Submitted, store},
    domain::{Booking, ClassId},
    jobs,
};

use super::{
    error::ApiError,
    openapi::{BadRequest, NotFound, PayloadTooLarge, Unauthorized, Unavailable},
};

/// Books a class: 202 with the booking's status when it is taken in; 200 when the class was
/// already booked (a failed booking sent again is taken in again, 202, unless its class has ended).
#[utoipa::path(post, path = "/api/bookings", tag = "bookings",
    request_body(content = Booking, description = "The booking message (约课); unknown fields are kept and echoed back",
        example = json!(super::openapi::examples::booking())),
    responses(
        (status = 202, description = "Taken in", body = BookingStatus,
            example = json!(super::openapi::examples::booking_status())),
        (status = 200, description = "The class was already booked", body = BookingStatus,
            example = json!(super::openapi::examples::ready_booking())),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge), (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn create(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<BookingStatus>), ApiError> {
    let booking = Booking::from_json(&body)?;
    let submitted = jobs::submit(&app, booking).await?;
    let status = match submitted {
        Submitted::Created(_) => StatusCode::ACCEPTED,
        Submitted::Existing(_) => StatusCode::OK,
    };
    Ok((status, Json(BookingStatus::from(submitted.booking()))))
}

/// A booking's status; while it downloads, when it should be ready and whether that is late.
#[utoipa::path(get, path = "/api/bookings/{class_id}", tag = "bookings",
    params(("class_id" = ClassId, Path, description = "the class", example = "c-1")),
    responses(
        (status = 200, description = "The booking's status", body = BookingStatus,
            example = json!(super::openapi::examples::ready_booking())),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 404, response = NotFound),
        (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn show(
    State(app): State<App>,
    Path(class_id): Path<String>,
) -> Result<Json<BookingStatus>, ApiError> {
    // Checked as everywhere else: text no class id can be (a NUL) must not reach PostgreSQL.
    let class_id: ClassId = class_id.parse().map_err(|e| ApiError::invalid("class_id", e))?;
    let found = store::find(&app.db.conn, &class_id).await.map_err(ApiError::database)?;
    let booking = found.ok_or_else(|| ApiError::not_found(format!("no booking for class {class_id:?}")))?;
    Ok(Json(BookingStatus::with_progress(&booking, &app.directory).await))
}
