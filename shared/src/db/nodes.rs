//! A push host, live while its heartbeat is fresh.

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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
