//! The push host's own schema: its cache index, in the SQLite file `NODE_DATABASE_URL` names
//! (the embedded default shares the state file). Kept apart from the central migrations, with a
//! migration table of its own, so that a node never needs the central schema and the two can
//! share one file.

use sea_orm_migration::prelude::*;

mod m20261202_000001_cache;

pub struct NodeMigrator;

#[async_trait::async_trait]
impl MigratorTrait for NodeMigrator {
    fn migration_table_name() -> DynIden {
        "seaql_node_migrations".into_iden()
    }

    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261202_000001_cache::Migration)]
    }
}
