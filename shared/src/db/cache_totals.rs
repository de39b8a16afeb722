//! A push host's running totals, kept in the same transactions as the rows they sum, so no
//! decision ever sums the table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cache_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node: String,
    pub used_bytes: i64,
    pub video_count: i64,
    pub reserved_bytes: i64,
    pub reserved_count: i64,
    pub referenced_bytes: i64,
    /// Videos evicted since the index was created.
    pub evictions: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
