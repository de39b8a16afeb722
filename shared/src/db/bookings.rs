//! A booking (约课): one class, the lesson it needs, and how far that has got.

use sea_orm::entity::prelude::*;

use crate::domain::BookingState;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub class_id: String,
    pub record_id: i64,
    /// `None` for a legacy booking (no resolution asked).
    pub resolution: Option<String>,
    pub org_id: Option<String>,
    pub course_name: Option<String>,
    /// The URL the node downloads; unknown while the rendition is being made.
    pub source_url: Option<String>,
    pub node: Option<String>,
    /// When it was placed on `node` (ms): how long it has waited there.
    pub placed_at: Option<i64>,
    pub state: BookingState,
    pub reason: Option<String>,
    pub video_path: Option<String>,
    /// The message as received, unknown fields included (echoed in results).
    pub message: Json,
    pub class_end_at: Option<i64>,
    /// When the class starts (unix seconds): the soonest downloads first.
    pub class_start_at: Option<i64>,
    /// When it reached its present outcome (ready, failed, cancelled): with the class id, the
    /// stable id of its result.
    pub settled_at: Option<i64>,
    /// A result job sends its result until then; another one leaves it alone.
    pub notifying_until: Option<i64>,
    pub ended_at: Option<i64>,
    /// When its node acknowledged the class end (its reference let go).
    pub end_acked_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When its result was sent (published and/or POSTed).
    pub notified_at: Option<i64>,
    /// While its booking job waits for another attempt (a `RetryStatus`); cleared when it
    /// moves on.
    pub retry: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
