//! A video in a push host's cache (the original `video_list`): its reference count (num_cite),
//! its last use for LRU eviction, and its state. A row `downloading` or `evicting` is also a
//! lock held by the database: its `owner` renews it until `lease_until`.

use sea_orm::entity::prelude::*;

use crate::domain::VideoState;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cache_videos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub node: String,
    /// Below `VIDEO_ROOT`: `22/6666/6666_720P.flv`.
    pub path: String,
    pub record_id: i64,
    pub resolution: Option<String>,
    pub org_id: Option<String>,
    /// On disk when ready; reserved (Content-Length) while downloading.
    pub size_bytes: i64,
    pub state: VideoState,
    /// Classes booked onto the video and not yet ended.
    pub num_cite: i32,
    pub last_used_at: i64,
    pub created_at: i64,
    pub owner: Option<String>,
    pub lease_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
