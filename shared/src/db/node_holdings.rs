//! Which videos each push host reported it holds (central): what placement reads to send a
//! booking to a node that needs no download. Each full re-report carries a new generation;
//! rows of older generations are dropped when it ends, so a lost report is repaired.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "node_holdings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node: String,
    /// Below `VIDEO_ROOT`: the video's identity (`VideoKey::relative_path`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub path: String,
    pub record_id: i64,
    pub resolution: Option<String>,
    pub org_id: Option<String>,
    pub size_bytes: i64,
    pub generation: i64,
    pub reported_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
