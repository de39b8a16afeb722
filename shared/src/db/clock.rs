//! The database's own clock, for times that processes on many machines write and compare: a
//! worker whose clock drifts must not make its work look stale (or fresh) to the sweeper.

use sea_orm::{DbBackend, sea_query::Expr};

/// The database's now, in unix ms, as an SQL expression.
pub fn db_now_ms(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"),
        // julianday: every SQLite has it (unixepoch('subsec') needs 3.42).
        _ => Expr::cust("CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"),
    }
}
