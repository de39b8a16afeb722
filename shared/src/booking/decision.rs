//! The booking decision (DESIGN.md "Booking decision"), as a pure function.

use crate::domain::{Booking, Resolution, SourceUrl};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Normal booking (正常约课): the rendition exists at `url`; a push host downloads it.
    Download { url: SourceUrl },
    /// No rendition at this resolution yet: the booking waits for its transcode.
    WaitTranscode { resolution: Resolution },
}

/// 1. no `video_resolution` → a legacy booking of `video_url`;
/// 2. `video_resolution` listed in `video_url_list` → that URL;
/// 3. otherwise the booking waits for the transcode of (record_id, resolution).
pub fn decide(booking: &Booking) -> Decision {
    match (booking.video_resolution, booking.ready_url()) {
        (_, Some(url)) => Decision::Download { url: url.clone() },
        (Some(resolution), None) => Decision::WaitTranscode { resolution },
        // A legacy booking always has `video_url`: `Booking` refuses one without it.
        (None, None) => unreachable!("a legacy booking without video_url is refused at parse time"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn booking(value: serde_json::Value) -> Booking {
        Booking::from_value(value).unwrap()
    }

    #[test]
    fn a_legacy_booking_downloads_its_video_url() {
        let b = booking(json!({"class_id": "c", "record_id": 1, "video_url": "http://h/1.flv"}));
        assert_eq!(
            decide(&b),
            Decision::Download {
                url: "http://h/1.flv".parse().unwrap()
            }
        );
    }

    #[test]
    fn a_listed_resolution_downloads_the_listed_url_not_the_original() {
        let b = booking(
            json!({"class_id": "c", "record_id": 1, "video_url": "http://h/src.flv",
            "video_resolution": "480p", "video_url_list": {"480P": "http://h/480.flv"}}),
        );
        assert_eq!(
            decide(&b),
            Decision::Download {
                url: "http://h/480.flv".parse().unwrap()
            }
        );
    }

    #[test]
    fn an_unlisted_resolution_waits_for_its_transcode() {
        let b = booking(
            json!({"class_id": "c", "record_id": 1, "video_url": "http://h/src.flv",
            "video_resolution": "240", "video_url_list": {"480P": "http://h/480.flv"}}),
        );
        assert_eq!(
            decide(&b),
            Decision::WaitTranscode {
                resolution: Resolution::P240
            }
        );
    }
}
