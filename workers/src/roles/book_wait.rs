//! `vteacher book --wait`: follows the booking it took in until it settles, a progress bar
//! showing its state, its download's bytes and its transcode's percent.

use std::time::Duration;

use anyhow::Context;
use indicatif::ProgressBar;
use sea_orm::ActiveEnum;
use shared::{
    App,
    booking::{BookingStatus, store},
    domain::{BookingState, ClassId, RecordId, Resolution, TranscodeKey},
    transcode,
};

use crate::progress::{self, Bars};

const POLL: Duration = Duration::from_millis(250);

/// The booking's status once it has settled (ready, failed or cancelled).
pub(super) async fn follow(app: &App, class_id: &ClassId) -> anyhow::Result<BookingStatus> {
    let bars = Bars::new();
    let bar = bars.bytes(class_id.to_string());
    let followed = tokio::select! {
        settled = until_settled(app, class_id, &bar) => settled,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("stopped waiting; the booking goes on (`vteacher status {class_id}`)")),
    };
    bar.finish_and_clear();
    followed
}

async fn until_settled(app: &App, class_id: &ClassId, bar: &ProgressBar) -> anyhow::Result<BookingStatus> {
    loop {
        let row = store::find(&app.db.conn, class_id).await?.with_context(|| format!("no booking for {class_id}"))?;
        let status = BookingStatus::with_progress(&row, &app.directory).await;
        if status.state.is_settled() {
            return Ok(status);
        }
        show(app, &status, bar).await;
        tokio::time::sleep(POLL).await;
    }
}

/// The bar for where the booking is: its download's bytes, or its transcode's percent.
async fn show(app: &App, status: &BookingStatus, bar: &ProgressBar) {
    // The state as the API and the database name it (`waiting_transcode`).
    let mut message = status.state.to_value();
    match status.state {
        BookingState::Downloading => {
            if let (Some(done), Some(total)) = (status.downloaded_bytes, status.total_bytes) {
                progress::show_bytes(bar, done, total);
            }
            if let Some(node) = &status.node {
                message.push_str(&format!(" on {node}"));
            }
        }
        BookingState::WaitingTranscode => {
            if let Some(percent) = transcode_percent(app, status).await {
                message.push_str(&format!(" {percent}%"));
            }
        }
        _ => {}
    }
    if let Some(retry) = &status.retry {
        message
            .push_str(&format!(" (attempt {} of {} failed: {})", retry.attempt, retry.max_attempts, retry.last_error));
    }
    bar.set_message(message);
}

async fn transcode_percent(app: &App, status: &BookingStatus) -> Option<i32> {
    let resolution: Resolution = status.video_resolution.as_deref()?.parse().ok()?;
    let key = TranscodeKey { record_id: RecordId::new(status.record_id).ok()?, resolution };
    transcode::store::find(&app.db.conn, key).await.ok()??.progress
}
