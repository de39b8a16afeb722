//! A video file on a push host's disk (the original `video_list`): its reference count
//! (num_cite) and when it was last used, for LRU eviction.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "videos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub node: String,
    /// Absolute path on the node.
    pub path: String,
    pub record_id: i64,
    pub resolution: Option<String>,
    pub org_id: Option<String>,
    pub size_bytes: i64,
    /// Classes booked onto the video and not yet ended.
    pub num_cite: i32,
    pub last_used_at: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
