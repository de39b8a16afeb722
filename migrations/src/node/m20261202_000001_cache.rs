//! A push host's cache index (the original's `video_list`, `class_list` and `DIR_INFO`):
//! the videos on its disk with their reference count (num_cite) and last use, the classes
//! booked onto them, running totals per node (so no decision sums the table) and the
//! per-directory summary. A video row in state `downloading` or `evicting` is a lock held by
//! the database (`owner`, renewed until `lease_until`): one download per video per host, across
//! processes. Times are unix milliseconds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum CacheVideos {
    Table,
    Id,
    Node,
    Path,
    RecordId,
    Resolution,
    OrgId,
    SizeBytes,
    State,
    NumCite,
    LastUsedAt,
    CreatedAt,
    Owner,
    LeaseUntil,
}

#[derive(DeriveIden)]
enum CacheRefs {
    Table,
    ClassId,
    Node,
    Path,
    State,
    Order,
    ClassStartAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CacheTotals {
    Table,
    Node,
    UsedBytes,
    VideoCount,
    ReservedBytes,
    ReservedCount,
    ReferencedBytes,
    Evictions,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CacheDirs {
    Table,
    Node,
    Dir,
    SizeBytes,
    VideoCount,
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).if_not_exists().to_owned();
    for col in cols {
        index.col(Alias::new(*col));
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheVideos::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CacheVideos::Id))
                    .col(string_len(CacheVideos::Node, 64))
                    .col(string_len(CacheVideos::Path, 400))
                    .col(big_integer(CacheVideos::RecordId))
                    .col(string_len_null(CacheVideos::Resolution, 8))
                    .col(string_len_null(CacheVideos::OrgId, 64))
                    .col(big_integer(CacheVideos::SizeBytes))
                    .col(string_len(CacheVideos::State, 16))
                    .col(integer(CacheVideos::NumCite))
                    .col(big_integer(CacheVideos::LastUsedAt))
                    .col(big_integer(CacheVideos::CreatedAt))
                    .col(string_len_null(CacheVideos::Owner, 64))
                    .col(big_integer_null(CacheVideos::LeaseUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("cache_videos_path", CacheVideos::Table, &["node", "path"]).unique().to_owned())
            .await?;
        // The victim query: unreferenced, ready, least recently used first.
        let victims = ["node", "state", "num_cite", "last_used_at"];
        manager.create_index(index("cache_videos_lru", CacheVideos::Table, &victims)).await?;
        manager
            .create_table(
                Table::create()
                    .table(CacheRefs::Table)
                    .if_not_exists()
                    .col(string_len(CacheRefs::Node, 64))
                    .col(string_len(CacheRefs::ClassId, 250))
                    .col(string_len(CacheRefs::Path, 400))
                    .col(string_len(CacheRefs::State, 16))
                    .col(json_null(CacheRefs::Order))
                    .col(big_integer_null(CacheRefs::ClassStartAt))
                    .col(big_integer(CacheRefs::CreatedAt))
                    .col(big_integer(CacheRefs::UpdatedAt))
                    .primary_key(Index::create().col(CacheRefs::Node).col(CacheRefs::ClassId))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("cache_refs_video", CacheRefs::Table, &["node", "path", "state"])).await?;
        manager
            .create_table(
                Table::create()
                    .table(CacheTotals::Table)
                    .if_not_exists()
                    .col(string_len(CacheTotals::Node, 64).primary_key())
                    .col(big_integer(CacheTotals::UsedBytes))
                    .col(big_integer(CacheTotals::VideoCount))
                    .col(big_integer(CacheTotals::ReservedBytes))
                    .col(big_integer(CacheTotals::ReservedCount))
                    .col(big_integer(CacheTotals::ReferencedBytes))
                    .col(big_integer(CacheTotals::Evictions))
                    .col(big_integer(CacheTotals::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CacheDirs::Table)
                    .if_not_exists()
                    .col(string_len(CacheDirs::Node, 64))
                    .col(string_len(CacheDirs::Dir, 250))
                    .col(big_integer(CacheDirs::SizeBytes))
                    .col(big_integer(CacheDirs::VideoCount))
                    .primary_key(Index::create().col(CacheDirs::Node).col(CacheDirs::Dir))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CacheDirs::Table.into_iden(),
            CacheTotals::Table.into_iden(),
            CacheRefs::Table.into_iden(),
            CacheVideos::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
