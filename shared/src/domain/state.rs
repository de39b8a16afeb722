//! The life of a booking and of a transcode, as the API reports them and the tables store them.

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

/// `queued` → `downloading` → `ready`, or `waiting_transcode` until its rendition exists, or
/// `failed` with a reason.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "downloading")]
    Downloading,
    #[sea_orm(string_value = "ready")]
    Ready,
    #[sea_orm(string_value = "waiting_transcode")]
    WaitingTranscode,
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Its class ended before its video was ready.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl BookingState {
    /// Nothing more will happen to the booking on its own.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Ready | Self::Failed | Self::Cancelled)
    }

    /// Settled: its result is due.
    pub const SETTLED: [BookingState; 3] = [Self::Ready, Self::Failed, Self::Cancelled];

    /// Not settled yet: it may still fail.
    pub const UNSETTLED: [BookingState; 3] = [Self::Queued, Self::Downloading, Self::WaitingTranscode];
}

/// A transcode of one (record, resolution): `transcoding` until a result (or its deadline)
/// says `succeeded`, `failed` or `timed_out`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum TranscodeState {
    #[sea_orm(string_value = "transcoding")]
    Transcoding,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "timed_out")]
    TimedOut,
}

/// A video in a push host's cache: `downloading` (claimed, its size reserved), `ready` on
/// disk, `evicting` while it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum VideoState {
    #[sea_orm(string_value = "downloading")]
    Downloading,
    #[sea_orm(string_value = "ready")]
    Ready,
    #[sea_orm(string_value = "evicting")]
    Evicting,
}

/// A class booked onto a push host's video: `pending` until the video is in place,
/// `attached` (counted in num_cite) once it is, `ended` when the class is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum RefState {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "attached")]
    Attached,
    #[sea_orm(string_value = "ended")]
    Ended,
}
