//! The shell around the booking decision for a booking whose resolution is not listed: locks
//! the transcode, enforces its deadline (an event that touches a transcode does), decides, and
//! applies the decision in one transaction. What must follow the commit is returned as effects.

use sea_orm::{ActiveValue::Set, DatabaseTransaction, DbErr};

use super::{
    BookingError,
    decision::{Decision, Transcode, decide},
    store,
};
use crate::{
    config::Settings,
    db::{
        Database, now_ms,
        outbox::{self, Stashed},
    },
    domain::{Booking, BookingState, ClassId, Effect, Provider, SourceUrl, TranscodeKey, TranscodeState},
    transcode::{result::on_deadline, source::Sources, store as transcodes},
};

/// What the decision left: the URL to download when the booking can go on now (`None` when it
/// waits or failed), and the effects for after the commit (in the outbox until sent).
#[derive(Debug)]
pub struct Decided {
    pub download: Option<SourceUrl>,
    pub effects: Stashed,
}

pub async fn on_transcode(db: &Database, settings: &Settings, booking: &Booking) -> Result<Decided, BookingError> {
    let resolution = booking.video_resolution.ok_or(BookingError::NeedsNoTranscode)?;
    let key = TranscodeKey { record_id: booking.record_id, resolution };
    let class_id: ClassId = booking.class_id.clone();

    let txn = db.write_txn().await?;
    let mut effects = Vec::new();
    let mut current = transcodes::lock(&txn, key).await?;
    if let Some(change) = current.as_ref().and_then(|t| on_deadline(t, now_ms())) {
        effects.extend(transcodes::apply(&txn, key, &change, None, settings).await?);
        current = transcodes::lock(&txn, key).await?;
    }
    let view = current.as_ref().map(|t| Transcode { state: t.state, url: t.url.as_deref() });
    let download = match decide(booking, view) {
        Decision::Download { url, alarm } => {
            effects.extend(alarm.map(|message| Effect::Alarm {
                kind: crate::tools::alarm::TRANSCODE_ALREADY_SUCCEEDED.into(),
                message,
            }));
            Some(url)
        }
        Decision::Wait => {
            wait(&txn, &class_id, key, current.as_ref().and_then(|t| t.provider)).await?;
            None
        }
        Decision::Fail { reason } => {
            store::fail(&txn, &class_id, &reason).await?;
            effects.push(Effect::Notify(class_id.clone()));
            None
        }
        Decision::Remake { reason } => {
            let from = &[TranscodeState::Succeeded];
            if transcodes::start_from(&txn, key, Provider::Oss, &sources_of(booking), settings, from).await? {
                tracing::warn!(record_id = %key.record_id, %resolution, reason, "succeeded transcode made again");
                transcodes::explain(&txn, key, &format!("{reason}: made again")).await?;
                effects.push(Effect::SubmitOss(key));
                effects
                    .push(Effect::Alarm { kind: crate::tools::alarm::TRANSCODE_URL_UNUSABLE.into(), message: reason });
            }
            wait(&txn, &class_id, key, Some(Provider::Oss)).await?;
            None
        }
        Decision::Retranscode | Decision::Transcode => {
            if transcodes::start(&txn, key, Provider::Oss, &sources_of(booking), settings).await? {
                tracing::info!(record_id = %key.record_id, %resolution, "transcode submitted to oss");
                effects.push(Effect::SubmitOss(key));
            }
            wait(&txn, &class_id, key, Some(Provider::Oss)).await?;
            None
        }
    };
    let effects = outbox::stash(&txn, effects).await?;
    txn.commit().await?;
    Ok(Decided { download, effects })
}

fn sources_of(booking: &Booking) -> Sources {
    Sources { video_url: booking.video_url.clone(), video_url_list: booking.video_url_list.clone() }
}

async fn wait(
    txn: &DatabaseTransaction,
    class_id: &ClassId,
    key: TranscodeKey,
    provider: Option<Provider>,
) -> Result<(), DbErr> {
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
