//! The bridge: messages on the legacy Redis pub/sub channels become jobs. A bad message is
//! logged and counted (`vteacher_bridge_rejected_total`), stores nothing, and stops nothing;
//! one over `BRIDGE_MAX_MESSAGE` is not even parsed or spooled.
//! Pub/sub keeps nothing for a subscriber that is away, so a lost connection is re-made at
//! once, and a message that cannot be taken in now (the database or Redis away) is kept in the
//! bridge's spool (`spool.rs`) and taken in, in order, once they are back.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use shared::{
    App,
    booking::class_end::Ended,
    domain::{Booking, ClassEnd, ErrorCode, TranscodeResult},
    jobs::{self, IntakeError, TranscodeResultJob},
    tools::pubsub::{self, Message},
};
use tokio::sync::Semaphore;
use vteacher_queue::backoff;

use super::{
    glimpse::glimpse,
    spool::{Spool, Spooled},
};

const IN_FLIGHT: usize = 64;
/// How often the spool is looked at while it holds messages.
const DRAIN_EVERY: Duration = Duration::from_secs(1);

pub(super) async fn run(app: App, url: String) -> anyhow::Result<()> {
    let s = &app.settings;
    let channels = vec![s.channel_booking.clone(), s.channel_transcode.clone(), s.channel_class_end.clone()];
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let spool = Arc::new(Spool::open(&s.bridge_spool_dir, s.bridge_spool_max)?);
    tokio::spawn(drain(app.clone(), spool.clone()));
    let mut failures = 0;
    loop {
        let subscribed = tokio::select! {
            subscribed = pubsub::subscribe(&url, &channels) => subscribed,
            () = app.shutdown.cancelled() => return Ok(()),
        };
        match subscribed {
            Ok(mut messages) => {
                tracing::info!(?channels, "bridge subscribed");
                failures = 0;
                loop {
                    let message = tokio::select! {
                        message = messages.next() => message,
                        () = app.shutdown.cancelled() => return Ok(()),
                    };
                    let Some(message) = message else { break };
                    let permit = in_flight.clone().acquire_owned().await?;
                    let (app, spool) = (app.clone(), spool.clone());
                    tokio::spawn(async move {
                        handle(&app, &spool, message).await;
                        drop(permit);
                    });
                }
                tracing::warn!("bridge lost its Redis subscription; subscribing again");
            }
            Err(err) => {
                failures += 1;
                tracing::warn!(%err, failures, "bridge cannot subscribe to Redis");
            }
        }
        let delay = backoff(Duration::from_millis(500), failures).min(Duration::from_secs(30));
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = app.shutdown.cancelled() => return Ok(()),
        }
    }
}

fn reject(channel: &str, reason: ErrorCode) {
    metrics::counter!("vteacher_bridge_rejected_total", "channel" => channel.to_owned(), "reason" => reason.as_str())
        .increment(1);
}

/// What became of a message.
enum Taken {
    In,
    /// Bad, or for a class no booking has: counted, and never tried again.
    Refused,
    /// The database or Redis is away: to be tried again (why).
    Later(String),
}

/// A message arrives: taken in now, unless older ones wait in the spool (they go first) or it
/// cannot be (then it waits there too).
async fn handle(app: &App, spool: &Spool, message: Message) {
    let max = app.settings.bridge_max_message;
    if message.payload.len() > max {
        let (channel, bytes) = (message.channel.as_str(), message.payload.len());
        let code = ErrorCode::MessageTooLarge;
        tracing::error!(channel, %code, bytes, max, starts = glimpse(&message.payload), "bridge refused a message over BRIDGE_MAX_MESSAGE, unread");
        reject(channel, code);
        return;
    }
    let message = Spooled { channel: message.channel, payload: message.payload.to_vec() };
    if spool.is_empty() {
        match take(app, &message).await {
            Taken::In | Taken::Refused => return,
            Taken::Later(why) => {
                tracing::warn!(channel = message.channel, why, "cannot take the message in now; spooled")
            }
        }
    }
    if let Err(err) = spool.put(&message) {
        tracing::error!(channel = message.channel, %err, "message lost: it could not be spooled");
        reject(&message.channel, ErrorCode::DatabaseUnavailable);
    }
}

/// Takes in what the spool holds, oldest first, for as long as the bridge runs.
async fn drain(app: App, spool: Arc<Spool>) {
    let mut pauses = 0;
    loop {
        let waiting = if spool.is_empty() { Vec::new() } else { spool.waiting().unwrap_or_default() };
        let mut stopped = false;
        for path in &waiting {
            let Some(message) = Spool::read(path) else {
                tracing::error!(path = %path.display(), "a spooled file that is not a message: dropped");
                spool.done(path);
                continue;
            };
            if let Taken::Later(why) = take(&app, &message).await {
                tracing::warn!(waiting = waiting.len(), why, "spooled messages wait for the database or Redis");
                stopped = true;
                break;
            }
            spool.done(path);
        }
        pauses = if stopped { pauses + 1 } else { 0 };
        let delay = if stopped { backoff(DRAIN_EVERY, pauses).min(Duration::from_secs(30)) } else { DRAIN_EVERY };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = app.shutdown.cancelled() => return,
        }
    }
}

/// One try at taking `message` in.
async fn take(app: &App, message: &Spooled) -> Taken {
    let s = &app.settings;
    if message.channel == s.channel_transcode {
        take_transcode_result(app, message).await
    } else if message.channel == s.channel_class_end {
        take_class_end(app, message).await
    } else {
        take_booking(app, message).await
    }
}

async fn take_booking(app: &App, message: &Spooled) -> Taken {
    let channel = message.channel.as_str();
    let booking = match Booking::from_json(&message.payload) {
        Ok(booking) => booking,
        Err(err) => {
            tracing::error!(channel, code = %err.code(), error = %err, bytes = message.payload.len(), "bridge rejected a booking message");
            reject(channel, err.code());
            return Taken::Refused;
        }
    };
    match jobs::submit(app, booking).await {
        Ok(_) => Taken::In,
        Err(err) => later_or_refused(channel, &err),
    }
}

/// A transcode result (the cloud's, or another vteacher's ecs result): on to the one path.
async fn take_transcode_result(app: &App, message: &Spooled) -> Taken {
    let channel = message.channel.as_str();
    let result = match TranscodeResult::from_json(&message.payload) {
        Ok(result) => result,
        Err(err) => {
            tracing::error!(channel, code = %err.code(), error = %err, "bridge rejected a transcode result");
            reject(channel, err.code());
            return Taken::Refused;
        }
    };
    match app.queues.enqueue(TranscodeResultJob::from(&result), None).await {
        Ok(()) => Taken::In,
        Err(err) => Taken::Later(err.to_string()),
    }
}

/// A class end (下课): the class id alone decides; an unknown class is counted, nothing changes.
async fn take_class_end(app: &App, message: &Spooled) -> Taken {
    let channel = message.channel.as_str();
    let end = match ClassEnd::from_json(&message.payload) {
        Ok(end) => end,
        Err(err) => {
            tracing::error!(channel, code = %err.code(), error = %err, "bridge rejected a class end message");
            reject(channel, err.code());
            return Taken::Refused;
        }
    };
    let class_id = end.class_id;
    match jobs::end_class(app, &class_id).await {
        Ok(Ended::Unknown) => {
            tracing::warn!(channel, %class_id, "class end for a class no booking has; nothing changes");
            reject(channel, ErrorCode::NotFound);
            Taken::Refused
        }
        Ok(_) => Taken::In,
        Err(err) => later_or_refused(channel, &err),
    }
}

/// A database or Redis that is away: later. Anything else the database says would say the
/// same again: refused (a message that can never be taken in must not hold up the spool).
fn later_or_refused(channel: &str, err: &IntakeError) -> Taken {
    match err {
        IntakeError::Db(e) if !shared::db::is_unavailable(e) => {
            tracing::error!(channel, %err, "message refused by the database");
            reject(channel, ErrorCode::DatabaseUnavailable);
            Taken::Refused
        }
        _ => Taken::Later(format!("{}: {err}", intake_code(err))),
    }
}

fn intake_code(err: &IntakeError) -> ErrorCode {
    match err {
        IntakeError::Db(_) => ErrorCode::DatabaseUnavailable,
        IntakeError::Queue(_) => ErrorCode::QueueUnavailable,
    }
}
