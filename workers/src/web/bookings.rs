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
    domain::Booking,
    jobs,
};

use super::error::ApiError;

/// 202 with the booking's status when it is taken in; 200 when the class was already booked.
pub async fn create(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<BookingStatus>), ApiError> {
    let booking = Booking::from_json(&body)?;
    let submitted = jobs::submit(&app, booking).await?;
    let status = match submitted {
        Submitted::Created(_) => StatusCode::ACCEPTED,
        Submitted::Existing(_) => StatusCode::OK,
    };
    Ok((status, Json(BookingStatus::from(submitted.booking()))))
}

pub async fn show(State(app): State<App>, Path(class_id): Path<String>) -> Result<Json<BookingStatus>, ApiError> {
    let found = store::find(&app.db.conn, &class_id).await.map_err(ApiError::database)?;
    let booking = found.ok_or_else(|| ApiError::not_found(format!("no booking for class {class_id:?}")))?;
    Ok(Json(BookingStatus::with_progress(&booking, &app.directory).await))
}
