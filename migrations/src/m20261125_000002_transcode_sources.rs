//! What a transcode needs beyond its state: the renditions it may start from, the cloud job it
//! waits on; when a booking's result was sent (the sweeper re-sends lost ones); and the
//! results that matched no transcode, kept for inspection.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Transcodes {
    Table,
    Sources,
    OssJobId,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    NotifiedAt,
}

#[derive(DeriveIden)]
enum UnmatchedResults {
    Table,
    Id,
    RecordId,
    Resolution,
    Message,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [json_null(Transcodes::Sources), text_null(Transcodes::OssJobId)] {
            manager.alter_table(Table::alter().table(Transcodes::Table).add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter().table(Bookings::Table).add_column(big_integer_null(Bookings::NotifiedAt)).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UnmatchedResults::Table)
                    .if_not_exists()
                    .col(big_pk_auto(UnmatchedResults::Id))
                    .col(big_integer_null(UnmatchedResults::RecordId))
                    .col(string_len_null(UnmatchedResults::Resolution, 8))
                    .col(json(UnmatchedResults::Message))
                    .col(big_integer(UnmatchedResults::ReceivedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(UnmatchedResults::Table).if_exists().to_owned()).await?;
        manager.alter_table(Table::alter().table(Bookings::Table).drop_column(Bookings::NotifiedAt).to_owned()).await?;
        for column in [Transcodes::Sources, Transcodes::OssJobId] {
            manager.alter_table(Table::alter().table(Transcodes::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
