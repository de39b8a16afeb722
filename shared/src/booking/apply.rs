//! The shell around the booking decision for a booking whose resolution is not listed: locks
//! the transcode, enforces its deadline (an event that touches a transcode does), decides, and
//! applies the decision in one transaction. Queue work runs after the commit.

use sea_orm::{ActiveValue::Set, DatabaseTransaction, DbErr};

use super::{
    decision::{Decision, Transcode, decide},
    store,
};
use crate::{
    app::App,
    db::now_ms,
    domain::{Booking, BookingState, ClassId, Provider, SourceUrl},
    queue::{JobError, after::run_after},
    transcode::{
        result::on_deadline,
        source::Sources,
        store::{self as transcodes, After, Key},
    },
};

/// Returns the URL to download when the booking can go on now; `None` when it waits or failed.
pub async fn on_transcode(app: &App, booking: &Booking) -> Result<Option<SourceUrl>, JobError> {
    let resolution = booking.video_resolution.ok_or_else(|| JobError::abort("a legacy booking needs no transcode"))?;
    let key = Key { record_id: booking.record_id, resolution };
    let class_id: ClassId = booking.class_id.clone();
    let settings = &app.settings;

    let txn = app.db.write_txn().await?;
    let mut after = Vec::new();
    let mut current = transcodes::lock(&txn, key).await?;
    if let Some(effect) = current.as_ref().and_then(|t| on_deadline(t, now_ms())) {
        after.extend(transcodes::apply(&txn, key, &effect, None, settings).await?);
        current = transcodes::lock(&txn, key).await?;
    }
    let view = current.as_ref().map(|t| Transcode { state: t.state, url: t.url.as_deref() });
    let download = match decide(booking, view) {
        Decision::Download { url, alarm } => {
            after.extend(alarm.map(|message| After::Alarm { kind: "transcode_already_succeeded", message }));
            Some(url)
        }
        Decision::Wait => {
            wait(&txn, &class_id, key, current.as_ref().and_then(|t| t.provider.clone())).await?;
            None
        }
        Decision::Fail { reason } => {
            store::fail(&txn, &class_id, &reason).await?;
            after.push(After::Notify(class_id.clone()));
            None
        }
        Decision::Retranscode | Decision::Transcode => {
            if transcodes::start(&txn, key, Provider::Oss, &sources_of(booking), settings).await? {
                tracing::info!(record_id = %key.record_id, %resolution, "transcode submitted to oss");
                after.push(After::SubmitOss(key));
            }
            wait(&txn, &class_id, key, Some(Provider::Oss.as_str().into())).await?;
            None
        }
    };
    txn.commit().await?;
    run_after(app, after).await?;
    Ok(download)
}

fn sources_of(booking: &Booking) -> Sources {
    Sources { video_url: booking.video_url.clone(), video_url_list: booking.video_url_list.clone() }
}

async fn wait(txn: &DatabaseTransaction, class_id: &ClassId, key: Key, provider: Option<String>) -> Result<(), DbErr> {
    let with = provider.map(|p| format!(" ({p})")).unwrap_or_default();
    let reason = format!(
        "{} is not in video_url_list: waiting for the {} transcode of record {}{with}",
        key.resolution, key.resolution, key.record_id
    );
    store::transition(txn, class_id, &[BookingState::Queued], |r| {
        r.state = Set(BookingState::WaitingTranscode);
        r.reason = Set(Some(reason));
    })
    .await
    .map(drop)
}
