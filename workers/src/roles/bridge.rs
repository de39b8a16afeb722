//! The bridge: messages on the legacy Redis pub/sub channels become jobs. A bad message is
//! logged and counted (`vteacher_bridge_rejected_total`), stores nothing, and stops nothing.
//! Pub/sub keeps nothing for a subscriber that is away, so a lost connection is re-made at
//! once, and a booking that cannot be stored is retried here before it is given up.

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

const SUBMIT_ATTEMPTS: u32 = 5;
const IN_FLIGHT: usize = 64;

pub(super) async fn run(app: App, url: String) -> anyhow::Result<()> {
    let s = &app.settings;
    let channels = vec![s.channel_booking.clone(), s.channel_transcode.clone(), s.channel_class_end.clone()];
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
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
                    let app = app.clone();
                    tokio::spawn(async move {
                        handle(&app, message).await;
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

async fn handle(app: &App, message: Message) {
    if message.channel == app.settings.channel_transcode {
        return handle_transcode_result(app, message).await;
    }
    if message.channel == app.settings.channel_class_end {
        return handle_class_end(app, message).await;
    }
    let channel = message.channel.as_str();
    let booking = match Booking::from_json(&message.payload) {
        Ok(booking) => booking,
        Err(err) => {
            tracing::error!(channel, code = %err.code(), error = %err, bytes = message.payload.len(), "bridge rejected a booking message");
            return reject(channel, err.code());
        }
    };
    let class_id = booking.class_id.clone();
    for attempt in 1..=SUBMIT_ATTEMPTS {
        match jobs::submit(app, booking.clone()).await {
            Ok(_) => return,
            Err(err) if attempt < SUBMIT_ATTEMPTS => {
                tracing::warn!(channel, %class_id, attempt, %err, "cannot take the booking in yet; retrying");
                tokio::time::sleep(backoff(Duration::from_millis(500), attempt)).await;
            }
            Err(err) => {
                tracing::error!(channel, %class_id, %err, "booking lost: could not be stored");
                reject(channel, intake_code(&err));
            }
        }
    }
}

/// A transcode result (the cloud's, or another vteacher's ecs result): on to the one path.
async fn handle_transcode_result(app: &App, message: Message) {
    let channel = message.channel.as_str();
    let result = match TranscodeResult::from_json(&message.payload) {
        Ok(result) => result,
        Err(err) => {
            tracing::error!(channel, code = %err.code(), error = %err, "bridge rejected a transcode result");
            return reject(channel, err.code());
        }
    };
    let job = TranscodeResultJob::from(&result);
    for attempt in 1..=SUBMIT_ATTEMPTS {
        match app.queues.enqueue(job.clone(), None).await {
            Ok(()) => return,
            Err(err) if attempt < SUBMIT_ATTEMPTS => {
                tracing::warn!(channel, record_id = %result.record_id, attempt, %err, "cannot queue the result yet; retrying");
                tokio::time::sleep(backoff(Duration::from_millis(500), attempt)).await;
            }
            Err(err) => {
                tracing::error!(channel, record_id = %result.record_id, %err, "transcode result lost: could not be queued");
                reject(channel, ErrorCode::QueueUnavailable);
            }
        }
    }
}

/// A class end (下课): the class id alone decides; an unknown class is counted, nothing changes.
async fn handle_class_end(app: &App, message: Message) {
    let channel = message.channel.as_str();
    let end = match ClassEnd::from_json(&message.payload) {
        Ok(end) => end,
        Err(err) => {
            tracing::error!(channel, code = %err.code(), error = %err, "bridge rejected a class end message");
            return reject(channel, err.code());
        }
    };
    let class_id = end.class_id;
    for attempt in 1..=SUBMIT_ATTEMPTS {
        match jobs::end_class(app, &class_id).await {
            Ok(Ended::Unknown) => {
                tracing::warn!(channel, %class_id, "class end for a class no booking has; nothing changes");
                return reject(channel, ErrorCode::NotFound);
            }
            Ok(_) => return,
            Err(err) if attempt < SUBMIT_ATTEMPTS => {
                tracing::warn!(channel, %class_id, attempt, %err, "cannot end the class yet; retrying");
                tokio::time::sleep(backoff(Duration::from_millis(500), attempt)).await;
            }
            Err(err) => {
                tracing::error!(channel, %class_id, %err, "class end lost: could not be stored");
                reject(channel, intake_code(&err));
            }
        }
    }
}

fn intake_code(err: &IntakeError) -> ErrorCode {
    match err {
        IntakeError::Db(_) => ErrorCode::DatabaseUnavailable,
        IntakeError::Queue(_) => ErrorCode::QueueUnavailable,
    }
}
