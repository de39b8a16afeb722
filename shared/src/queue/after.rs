//! Runs the work a committed transaction left for after the commit.

use super::{
    JobError, booking::BookingJob, notify::NotifyJob, transcode_ecs::TranscodeEcsJob, transcode_oss::TranscodeOssJob,
};
use crate::{app::App, tools::alarm, transcode::store::After};

pub async fn run_after(app: &App, after: Vec<After>) -> Result<(), JobError> {
    for work in after {
        match work {
            After::SubmitOss(key) => app.queues.enqueue(TranscodeOssJob::from(key), None).await?,
            After::SubmitEcs(key) => app.queues.enqueue(TranscodeEcsJob::from(key), None).await?,
            After::Book(class_id) => app.queues.enqueue(BookingJob { class_id }, None).await?,
            After::Notify(class_id) => app.queues.enqueue(NotifyJob { class_id }, None).await?,
            After::Alarm { kind, message } => alarm::raise(app, kind, &message).await,
        }
    }
    Ok(())
}
