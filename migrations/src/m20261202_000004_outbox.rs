//! The outbox: effects a transaction decided, written in that same transaction and deleted
//! once sent. A row left behind (a crash, or a queue that refused after the commit) is sent by
//! the sweeper: no state waits on a job that was never queued.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Effect,
    CreatedAt,
    ClaimedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Outbox::Id))
                    .col(json(Outbox::Effect))
                    .col(big_integer(Outbox::CreatedAt))
                    .col(big_integer_null(Outbox::ClaimedUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Outbox::Table).if_exists().to_owned()).await
    }
}
