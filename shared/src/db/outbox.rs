//! The outbox (docs/design/queues.md "Every commit-then-enqueue has a repair"): a transaction
//! that decides effects writes them here before it commits (`stash`); the job layer sends them
//! after the commit and deletes them (`clear`). A row still here later was not sent (a crash,
//! or a queue that refused): the sweeper claims it, sends it and deletes it (`stale`, `claim`).

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, entity::prelude::*, sea_query::Expr,
};

use super::now_ms;
use crate::domain::Effect;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub effect: Json,
    pub created_at: i64,
    pub claimed_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Effects a transaction decided, written in it: sent after the commit, or by the sweeper.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stashed {
    pub effects: Vec<Effect>,
    pub ids: Vec<i64>,
}

/// Writes `effects` in the caller's transaction. Alarms are not kept (an alarm is a log line
/// and a webhook, worth no repair), nor results to send (the booking row is their record).
pub async fn stash(conn: &impl ConnectionTrait, effects: Vec<Effect>) -> Result<Stashed, DbErr> {
    let mut ids = Vec::new();
    for effect in effects.iter().filter(|e| !matches!(e, Effect::Alarm { .. } | Effect::SendResult { .. })) {
        let row = ActiveModel {
            effect: Set(serde_json::to_value(effect).map_err(|e| DbErr::Custom(e.to_string()))?),
            created_at: Set(now_ms()),
            claimed_until: Set(None),
            ..Default::default()
        };
        ids.push(Entity::insert(row).exec(conn).await?.last_insert_id);
    }
    Ok(Stashed { effects, ids })
}

/// The effects were sent: their rows go.
pub async fn clear(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    Entity::delete_many().filter(Column::Id.is_in(ids.iter().copied())).exec(conn).await.map(drop)
}

/// Rows written more than `older_than_ms` ago and not claimed now, oldest first.
pub async fn stale(conn: &impl ConnectionTrait, older_than_ms: i64, limit: u64) -> Result<Vec<Model>, DbErr> {
    let now = now_ms();
    let free = Condition::any().add(Column::ClaimedUntil.is_null()).add(Column::ClaimedUntil.lt(now));
    Entity::find()
        .filter(Column::CreatedAt.lt(now - older_than_ms))
        .filter(free)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Claims a stale row for a minute (two sweepers never send it both); its effect when this
/// caller has it.
pub async fn claim(conn: &impl ConnectionTrait, row: &Model) -> Result<Option<Effect>, DbErr> {
    let now = now_ms();
    let free = Condition::any().add(Column::ClaimedUntil.is_null()).add(Column::ClaimedUntil.lt(now));
    let done = Entity::update_many()
        .col_expr(Column::ClaimedUntil, Expr::value(now + 60_000))
        .filter(Column::Id.eq(row.id))
        .filter(free)
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Ok(None);
    }
    Ok(serde_json::from_value(row.effect.clone()).ok())
}
