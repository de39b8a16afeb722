//! Which video a class holds a reference on (the original `class_list`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "class_videos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub class_id: String,
    pub node: String,
    pub video_id: i64,
    pub path: String,
    /// Set once when the class ends, so the reference drops once.
    pub ended_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
