//! A transcode whose job waits for its next attempt says so in its status: the attempt that
//! failed, of how many, why, and when the next is due (`{"attempt": …}`, cleared on a restart).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Transcodes {
    Table,
    Retry,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Transcodes::Table).add_column(json_null(Transcodes::Retry)).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Transcodes::Table).drop_column(Transcodes::Retry).to_owned()).await
    }
}
