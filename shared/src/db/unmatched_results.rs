//! Transcode results that matched no transcode: kept for inspection (an alarm was raised).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "unmatched_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub record_id: Option<i64>,
    pub resolution: Option<String>,
    pub message: Json,
    pub received_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
