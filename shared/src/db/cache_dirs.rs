//! The original's `DIR_INFO`: per top-level directory of `VIDEO_ROOT` (an institution's, or `.`
//! for the old layout's record directories), the bytes and videos it holds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cache_dirs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub dir: String,
    pub size_bytes: i64,
    pub video_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
