//! State through SeaORM: one entity per table, the same code on SQLite and PostgreSQL.
//!
//! SQLite (the embedded default) is opened once, as a pool with WAL, `synchronous = NORMAL`
//! and a busy timeout on every connection, and that pool is shared with apalis-sqlite so the
//! queues and the state never lock each other out.

pub mod bookings;
pub mod cache_dirs;
pub mod cache_refs;
pub mod cache_totals;
pub mod cache_videos;
pub mod clock;
pub mod download_progress;
pub mod node_holdings;
pub mod nodes;
pub mod outbox;
pub mod transcodes;
mod unavailable;
pub mod unmatched_results;

pub use unavailable::is_unavailable;

use std::{str::FromStr, time::Duration};

use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, SqlxSqliteConnector,
    TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Orm(#[from] DbErr),
    #[error("database: cannot open {url}: {source}")]
    Open { url: String, source: sea_orm::sqlx::Error },
    #[error("queue tables: {0}")]
    QueueMigration(#[from] sea_orm::sqlx::migrate::MigrateError),
}

/// The database may be back in a moment; when it is away, a job waits for it.
impl crate::domain::Retryable for DbError {
    fn is_retryable(&self) -> bool {
        true
    }

    fn waits_for(&self) -> Option<&'static str> {
        matches!(self, Self::Orm(e) if is_unavailable(e)).then_some(THE_DATABASE)
    }
}

/// What a job waits for when the database is away (`Retryable::waits_for`).
pub const THE_DATABASE: &str = "the database";

/// The state database, and the SQLite pool behind it when it is SQLite.
#[derive(Clone, Debug)]
pub struct Database {
    pub conn: DatabaseConnection,
    pub sqlite: Option<SqlitePool>,
}

impl Database {
    /// Opens the state database; a connection not had within `timeout` (from the pool, or
    /// opened) counts as the database being away.
    pub async fn connect(url: &str, timeout: Duration) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            let pool = open_sqlite(url).await?;
            let conn = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool.clone());
            return Ok(Self { conn, sqlite: Some(pool) });
        }
        let mut options = ConnectOptions::new(url.to_owned());
        options.max_connections(20).connect_timeout(timeout).acquire_timeout(timeout).sqlx_logging(false);
        Ok(Self { conn: sea_orm::Database::connect(options).await?, sqlite: None })
    }

    /// Creates or updates vteacher's tables (the queues' own are the engine's: `app::migrate`).
    pub async fn migrate(&self) -> Result<(), DbError> {
        Migrator::up(&self.conn, None).await?;
        Ok(())
    }

    /// A transaction that takes SQLite's write lock at BEGIN, so a read-then-write never fails
    /// with "database is locked" when another writer got in between.
    pub async fn write_txn(&self) -> Result<DatabaseTransaction, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: self.sqlite.as_ref().map(|_| SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        self.conn.begin_with_options(options).await
    }
}

async fn open_sqlite(url: &str) -> Result<SqlitePool, DbError> {
    let open_err = |source| DbError::Open { url: url.to_owned(), source };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(open_err)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
    SqlitePoolOptions::new().max_connections(8).connect_with(options).await.map_err(open_err)
}

/// Unix milliseconds, the one time format of every table.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
