//! The booking decision (docs/design/bookings-and-transcodes.md "The booking decision"), as a
//! pure function: the booking and the transcode of (record_id, resolution) as they stand in,
//! what to do out.

use crate::domain::{Booking, SourceUrl, TranscodeState};

/// The transcode of the booked (record, resolution), as the decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transcode<'a> {
    pub state: TranscodeState,
    pub url: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Normal booking (正常约课): a push host downloads `url`. `alarm` says why this should
    /// not have happened, when it should not.
    Download { url: SourceUrl, alarm: Option<String> },
    /// The rendition is being made: the booking waits for it.
    Wait,
    /// The transcode timed out: the booking fails (an operator can reset the transcode).
    Fail { reason: String },
    /// The transcode failed before: set it back to transcoding, submit it to oss, wait.
    Retranscode,
    /// The transcode succeeded, but its URL cannot be downloaded: make it again (from
    /// succeeded), say why in an alarm, wait.
    Remake { reason: String },
    /// No transcode yet: create it as transcoding, submit it to oss, wait.
    Transcode,
}

/// 1. no `video_resolution` → a legacy booking of `video_url`;
/// 2. `video_resolution` listed in `video_url_list` → that URL;
/// 3. otherwise by the transcode of (record_id, resolution): transcoding → wait; succeeded →
///    alarm, then book the stored URL; timed_out → fail; failed → transcode again; none →
///    transcode.
pub fn decide(booking: &Booking, transcode: Option<Transcode<'_>>) -> Decision {
    if let Some(url) = booking.ready_url() {
        return Decision::Download { url: url.clone(), alarm: None };
    }
    let Some(resolution) = booking.video_resolution else {
        unreachable!("a legacy booking without video_url is refused at parse time")
    };
    let Some(transcode) = transcode else {
        return Decision::Transcode;
    };
    match transcode.state {
        TranscodeState::Transcoding => Decision::Wait,
        TranscodeState::Failed => Decision::Retranscode,
        TranscodeState::TimedOut => {
            Decision::Fail { reason: format!("the {resolution} transcode of record {} timed out", booking.record_id) }
        }
        TranscodeState::Succeeded => {
            let alarm = format!(
                "record {} {resolution} was transcoded, yet the booking did not list it in video_url_list",
                booking.record_id
            );
            match transcode.url.map(str::parse::<SourceUrl>) {
                Some(Ok(url)) => Decision::Download { url, alarm: Some(alarm) },
                Some(Err(e)) => Decision::Remake {
                    reason: format!(
                        "the {resolution} rendition's URL {:?} is unusable ({e})",
                        transcode.url.unwrap_or("")
                    ),
                },
                None => Decision::Remake { reason: format!("the {resolution} rendition has no URL") },
            }
        }
    }
}

#[cfg(test)]
mod tests;
