//! The push hosts leave the central database: their cache index (videos, class references)
//! moves to each push host's own SQLite (`node/`), and what the central side keeps is what the
//! nodes report: which videos each holds (placement), their status when Redis is not there
//! (the embedded default), and a download's progress. Bookings learn when their class starts,
//! when they settled (the result's stable id), and who is sending their result.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Bookings {
    Table,
    ClassStartAt,
    SettledAt,
    NotifyingUntil,
    ClassEndAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum Nodes {
    Table,
    Status,
}

#[derive(DeriveIden)]
enum NodeHoldings {
    Table,
    Node,
    Path,
    RecordId,
    Resolution,
    OrgId,
    SizeBytes,
    Generation,
    ReportedAt,
}

#[derive(DeriveIden)]
enum DownloadProgress {
    Table,
    ClassId,
    Node,
    Progress,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Videos {
    Table,
}

#[derive(DeriveIden)]
enum ClassVideos {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add = |table: DynIden, column: ColumnDef| Table::alter().table(table).add_column(column).to_owned();
        manager.alter_table(add(Bookings::Table.into_iden(), big_integer_null(Bookings::ClassStartAt))).await?;
        manager.alter_table(add(Bookings::Table.into_iden(), big_integer_null(Bookings::SettledAt))).await?;
        manager.alter_table(add(Bookings::Table.into_iden(), big_integer_null(Bookings::NotifyingUntil))).await?;
        manager.alter_table(add(Nodes::Table.into_iden(), json_null(Nodes::Status))).await?;
        manager
            .create_index(
                Index::create()
                    .name("bookings_to_end")
                    .table(Bookings::Table)
                    .col(Bookings::EndedAt)
                    .col(Bookings::ClassEndAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NodeHoldings::Table)
                    .if_not_exists()
                    .col(string_len(NodeHoldings::Node, 64))
                    .col(string_len(NodeHoldings::Path, 400))
                    .col(big_integer(NodeHoldings::RecordId))
                    .col(string_len_null(NodeHoldings::Resolution, 8))
                    .col(string_len_null(NodeHoldings::OrgId, 64))
                    .col(big_integer(NodeHoldings::SizeBytes))
                    .col(big_integer(NodeHoldings::Generation))
                    .col(big_integer(NodeHoldings::ReportedAt))
                    .primary_key(Index::create().col(NodeHoldings::Node).col(NodeHoldings::Path))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("node_holdings_by_path")
                    .table(NodeHoldings::Table)
                    .col(NodeHoldings::Path)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DownloadProgress::Table)
                    .if_not_exists()
                    .col(string_len(DownloadProgress::ClassId, 250).primary_key())
                    .col(string_len(DownloadProgress::Node, 64))
                    .col(json(DownloadProgress::Progress))
                    .col(big_integer(DownloadProgress::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The cache index lives on the push host now (its own migrations, `NodeMigrator`).
        manager.drop_table(Table::drop().table(ClassVideos::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(Videos::Table).if_exists().to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DownloadProgress::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(NodeHoldings::Table).if_exists().to_owned()).await?;
        manager.drop_index(Index::drop().name("bookings_to_end").table(Bookings::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Nodes::Table).drop_column(Nodes::Status).to_owned()).await?;
        for column in [Bookings::NotifyingUntil, Bookings::SettledAt] {
            manager.alter_table(Table::alter().table(Bookings::Table).drop_column(column).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(Bookings::Table).drop_column(Bookings::ClassStartAt).to_owned()).await
    }
}
