//! The bench's own database on the PostgreSQL server (created, and dropped however the bench
//! ends), and what the server says about it: its connections, its writes, its bookings. These
//! reads go straight to the server, never through PgBouncer.

use std::collections::BTreeMap;

use anyhow::Context;
use sea_orm::sqlx::{Connection, Row, postgres::PgConnection};

pub(super) struct BenchDb {
    /// The server, without a database (`--postgres`).
    server: String,
    pub name: String,
}

/// Counters of `pg_stat_database` for the bench's database.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Writes {
    pub commits: i64,
    /// Rows inserted, updated and deleted.
    pub rows: i64,
}

impl BenchDb {
    pub(super) async fn create(server: &str) -> anyhow::Result<Self> {
        let server = server.trim_end_matches('/').to_owned();
        let name = format!("vt_fleet_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut admin = PgConnection::connect(&format!("{server}/postgres"))
            .await
            .with_context(|| format!("PostgreSQL at {server}"))?;
        sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        Ok(Self { server, name })
    }

    /// The database, straight on the server (for `vteacher migrate` and the bench's reads).
    pub(super) fn direct_url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// Server connections to the bench's database (`pg_stat_activity`), the bench's own reads
    /// excluded (they are made on the `postgres` database).
    pub(super) async fn server_connections(&self) -> anyhow::Result<i64> {
        server_connections(&self.server, &self.name).await
    }

    pub(super) fn server(&self) -> &str {
        &self.server
    }

    pub(super) async fn writes(&self) -> anyhow::Result<Writes> {
        let mut admin = PgConnection::connect(&format!("{}/postgres", self.server)).await?;
        let row = sea_orm::sqlx::query(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = $1",
        )
        .bind(&self.name)
        .fetch_one(&mut admin)
        .await?;
        Ok(Writes { commits: row.try_get(0)?, rows: row.try_get(1)? })
    }

    /// Bookings by state, and by node.
    pub(super) async fn bookings(&self) -> anyhow::Result<(BTreeMap<String, i64>, BTreeMap<String, i64>)> {
        let mut conn = PgConnection::connect(&self.direct_url()).await?;
        let mut count = async |sql: &'static str| -> anyhow::Result<BTreeMap<String, i64>> {
            let rows = sea_orm::sqlx::query(sql).fetch_all(&mut conn).await?;
            rows.iter().map(|r| Ok((r.try_get::<Option<String>, _>(0)?.unwrap_or_default(), r.try_get(1)?))).collect()
        };
        let states = count("SELECT state, count(*) FROM bookings GROUP BY state").await?;
        let nodes = count("SELECT node, count(*) FROM bookings GROUP BY node").await?;
        Ok((states, nodes))
    }
}

/// Server connections to database `name` on `server` (`pg_stat_activity`), read from the
/// `postgres` database.
pub(super) async fn server_connections(server: &str, name: &str) -> anyhow::Result<i64> {
    let mut admin = PgConnection::connect(&format!("{server}/postgres")).await?;
    let row = sea_orm::sqlx::query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut admin)
        .await?;
    let _ = admin.close().await;
    Ok(row.try_get(0)?)
}

impl Drop for BenchDb {
    /// Drops the database on every way out (a runtime of its own: Drop may run in or out of one).
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&format!("{server}/postgres")).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql)).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}
