//! A class booked onto a video of a push host (the original `class_list`): `pending` while its
//! video is on the way, `attached` once it counts in the video's num_cite, `ended` when the
//! class is over (kept, so a late or repeated download of an ended class does nothing).

use sea_orm::entity::prelude::*;

use crate::domain::RefState;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cache_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub class_id: String,
    /// The video's path below `VIDEO_ROOT` (empty for a class that ended before it arrived).
    pub path: String,
    pub state: RefState,
    /// The download order, so the node can fetch the video again if its file goes missing.
    pub order: Option<Json>,
    pub class_start_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
