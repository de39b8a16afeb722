//! `node-report`: what push hosts report (ready, failed, holdings, evictions), applied to the
//! central database by the booking workers; the bookings' results follow.

use super::apply_stashed;
use super::payloads::NodeReportJob;
use crate::{
    app::App,
    booking::{placed, reports},
    db::DbError,
};
use vteacher_queue::{Job, JobError};

impl Job for NodeReportJob {
    const QUEUE: &'static str = "node-report";
    const FETCH_AHEAD: bool = true;
    type Context = App;

    fn span(&self) -> tracing::Span {
        tracing::info_span!("node_report", node = %self.0.node(), report = self.0.kind())
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let applied = reports::apply(&app.db, &self.0).await.map_err(DbError::from)?;
        // Counted once committed (a run retried after a failed commit counts once).
        if applied.refused > 0 {
            metrics::counter!("vteacher_reports_refused_total", "report" => self.0.kind()).increment(applied.refused);
        }
        apply_stashed(app, applied.effects).await;
        placed::follow(&app.db, &app.directory, &self.0).await?;
        Ok(())
    }

    /// A report is a state change on a node: it must land. Its last attempt spent (the
    /// database away), it is applied again until it does (the runner keeps trying).
    async fn give_up(&self, app: &App, _error: &JobError) -> Result<(), JobError> {
        self.run(app).await
    }
}
