//! vteacher's schema, one file per migration. `vteacher migrate` runs them (so does `all`).

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_initial;
mod m20261125_000002_transcode_sources;
mod m20261202_000003_push_hosts;
mod m20261202_000004_outbox;
mod m20261202_000005_transcode_retry;
mod m20261202_000006_booking_retry;
mod m20261207_000007_booking_placed_at;
mod m20261207_000008_class_end_ack;
pub mod node;

pub use node::NodeMigrator;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_initial::Migration),
            Box::new(m20261125_000002_transcode_sources::Migration),
            Box::new(m20261202_000003_push_hosts::Migration),
            Box::new(m20261202_000004_outbox::Migration),
            Box::new(m20261202_000005_transcode_retry::Migration),
            Box::new(m20261202_000006_booking_retry::Migration),
            Box::new(m20261207_000007_booking_placed_at::Migration),
            Box::new(m20261207_000008_class_end_ack::Migration),
        ]
    }
}
