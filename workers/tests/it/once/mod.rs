//! Nothing lost, nothing twice (issue 6 of 8): whatever arrives twice, one download and one
//! result per booking outcome; every commit-then-enqueue has a repair; a failure is recorded
//! even when recording it fails at first.

mod duplicates;
mod end_during_placement;
mod give_up;
mod lost;
mod placement;
mod repair;
mod sent_marks;

/// A state database of the test's own: a SQLite file in `dir`, migrated; and its URL.
pub(super) async fn sqlite_state(dir: &std::path::Path) -> (shared::db::Database, String) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("state.db").display());
    let db = shared::db::Database::connect(&url, std::time::Duration::from_secs(5)).await.unwrap();
    shared::app::migrate(&db).await.unwrap();
    (db, url)
}
