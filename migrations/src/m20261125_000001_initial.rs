//! Bookings, transcodes, the push hosts' videos and class → video links, and the hosts.
//! Times are unix milliseconds (`BIGINT`), the same on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Bookings {
    Table,
    ClassId,
    RecordId,
    Resolution,
    OrgId,
    CourseName,
    SourceUrl,
    Node,
    State,
    Reason,
    VideoPath,
    Message,
    ClassEndAt,
    EndedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Transcodes {
    Table,
    RecordId,
    Resolution,
    State,
    Provider,
    SourceUrl,
    Url,
    Reason,
    Progress,
    DeadlineAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Videos {
    Table,
    Id,
    Node,
    Path,
    RecordId,
    Resolution,
    OrgId,
    SizeBytes,
    NumCite,
    LastUsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClassVideos {
    Table,
    ClassId,
    Node,
    VideoId,
    Path,
    EndedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Nodes {
    Table,
    NodeId,
    VideoRoot,
    LastSeenAt,
    VideoCount,
    UsedBytes,
    CapacityBytes,
    FreeDiskBytes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Bookings::Table)
                    .if_not_exists()
                    .col(string_len(Bookings::ClassId, 250).primary_key())
                    .col(big_integer(Bookings::RecordId))
                    .col(string_len_null(Bookings::Resolution, 8))
                    .col(string_len_null(Bookings::OrgId, 64))
                    .col(text_null(Bookings::CourseName))
                    .col(text_null(Bookings::SourceUrl))
                    .col(string_len_null(Bookings::Node, 64))
                    .col(string_len(Bookings::State, 24))
                    .col(text_null(Bookings::Reason))
                    .col(text_null(Bookings::VideoPath))
                    .col(json(Bookings::Message))
                    .col(big_integer_null(Bookings::ClassEndAt))
                    .col(big_integer_null(Bookings::EndedAt))
                    .col(big_integer(Bookings::CreatedAt))
                    .col(big_integer(Bookings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bookings_by_transcode")
                    .table(Bookings::Table)
                    .col(Bookings::RecordId)
                    .col(Bookings::Resolution)
                    .col(Bookings::State)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Transcodes::Table)
                    .if_not_exists()
                    .col(big_integer(Transcodes::RecordId))
                    .col(string_len(Transcodes::Resolution, 8))
                    .col(string_len(Transcodes::State, 16))
                    .col(string_len_null(Transcodes::Provider, 8))
                    .col(text_null(Transcodes::SourceUrl))
                    .col(text_null(Transcodes::Url))
                    .col(text_null(Transcodes::Reason))
                    .col(integer_null(Transcodes::Progress))
                    .col(big_integer_null(Transcodes::DeadlineAt))
                    .col(big_integer(Transcodes::CreatedAt))
                    .col(big_integer(Transcodes::UpdatedAt))
                    .primary_key(Index::create().col(Transcodes::RecordId).col(Transcodes::Resolution))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Videos::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Videos::Id))
                    .col(string_len(Videos::Node, 64))
                    .col(text(Videos::Path))
                    .col(big_integer(Videos::RecordId))
                    .col(string_len_null(Videos::Resolution, 8))
                    .col(string_len_null(Videos::OrgId, 64))
                    .col(big_integer(Videos::SizeBytes))
                    .col(integer(Videos::NumCite))
                    .col(big_integer(Videos::LastUsedAt))
                    .col(big_integer(Videos::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("videos_node_path")
                    .table(Videos::Table)
                    .col(Videos::Node)
                    .col(Videos::Path)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClassVideos::Table)
                    .if_not_exists()
                    .col(string_len(ClassVideos::ClassId, 250).primary_key())
                    .col(string_len(ClassVideos::Node, 64))
                    .col(big_integer(ClassVideos::VideoId))
                    .col(text(ClassVideos::Path))
                    .col(big_integer_null(ClassVideos::EndedAt))
                    .col(big_integer(ClassVideos::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Nodes::Table)
                    .if_not_exists()
                    .col(string_len(Nodes::NodeId, 64).primary_key())
                    .col(text(Nodes::VideoRoot))
                    .col(big_integer(Nodes::LastSeenAt))
                    .col(big_integer(Nodes::VideoCount))
                    .col(big_integer(Nodes::UsedBytes))
                    .col(big_integer(Nodes::CapacityBytes))
                    .col(big_integer(Nodes::FreeDiskBytes))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Nodes::Table.into_iden(),
            ClassVideos::Table.into_iden(),
            Videos::Table.into_iden(),
            Transcodes::Table.into_iden(),
            Bookings::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
