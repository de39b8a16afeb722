//! Whether a database error says the database is away (unreachable, refusing connections, out
//! of connections for `DATABASE_TIMEOUT`, failing over) rather than something wrong with the
//! work: a job then waits for it without spending attempts, and the API answers 503.

use sea_orm::{DbErr, RuntimeErr, sqlx};

pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_unavailable(e),
        DbErr::Conn(_) => true,
        _ => false,
    }
}

fn sqlx_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), 57P (the server shutting down, or a
        // standby not yet promoted), 53300 (too many connections).
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_away_and_a_missing_row_is_not() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err = DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(sqlx::Error::Io(refused))));
        assert!(is_unavailable(&err));
        assert!(is_unavailable(&DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(sqlx::Error::PoolTimedOut)))));
        assert!(!is_unavailable(&DbErr::RecordNotFound("c-1".into())));
        assert!(!is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(sqlx::Error::RowNotFound)))));
    }
}
