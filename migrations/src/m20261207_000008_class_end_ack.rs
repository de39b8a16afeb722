//! When the push host a booking was placed on acknowledged its class end (`end_acked_at`, ms):
//! until then the sweeper sends the class end again (a Redis that lost the job loses nothing).
//! Classes ended before this migration count as acknowledged.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Bookings {
    Table,
    EndAckedAt,
    EndedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Bookings::Table).add_column(big_integer_null(Bookings::EndAckedAt)).to_owned(),
            )
            .await?;
        let backfill = Query::update()
            .table(Bookings::Table)
            .value(Bookings::EndAckedAt, Expr::col(Bookings::EndedAt))
            .and_where(Expr::col(Bookings::EndedAt).is_not_null())
            .to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Bookings::Table).drop_column(Bookings::EndAckedAt).to_owned()).await
    }
}
