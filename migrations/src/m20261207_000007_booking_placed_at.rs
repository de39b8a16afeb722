//! When a booking was placed on its push host (`placed_at`, ms): how long it has waited there,
//! which its `updated_at` cannot say (the sweeper's resend of a lost download touches it).
//! Bookings placed before this migration count from their last change.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Bookings {
    Table,
    PlacedAt,
    UpdatedAt,
    Node,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Bookings::Table).add_column(big_integer_null(Bookings::PlacedAt)).to_owned(),
            )
            .await?;
        let backfill = Query::update()
            .table(Bookings::Table)
            .value(Bookings::PlacedAt, Expr::col(Bookings::UpdatedAt))
            .and_where(Expr::col(Bookings::Node).is_not_null())
            .to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Bookings::Table).drop_column(Bookings::PlacedAt).to_owned()).await
    }
}
