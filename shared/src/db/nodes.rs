//! A push host's last status, when the node directory is the database (no Redis).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "nodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_id: String,
    pub video_root: String,
    pub last_seen_at: i64,
    pub video_count: i64,
    pub used_bytes: i64,
    pub capacity_bytes: i64,
    pub free_disk_bytes: i64,
    /// The node's whole last status (`NodeStatus`), for the embedded directory.
    pub status: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
