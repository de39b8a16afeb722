//! A download's progress as its node last reported it, when the node directory is the
//! database (no Redis: the embedded default). With Redis it is a key that expires.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "download_progress")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub class_id: String,
    pub node: String,
    pub progress: Json,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
