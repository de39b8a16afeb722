//! A booking whose booking job waits for its next attempt (no live push host yet, a database
//! that did not answer) says so in its status: the attempt that failed, of how many, why, and
//! when the next is due (`{"attempt": …}`, cleared when the booking moves on).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Bookings {
    Table,
    Retry,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Bookings::Table).add_column(json_null(Bookings::Retry)).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Bookings::Table).drop_column(Bookings::Retry).to_owned()).await
    }
}
