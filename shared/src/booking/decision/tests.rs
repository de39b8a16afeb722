use serde_json::json;

use super::*;

fn booking(value: serde_json::Value) -> Booking {
    Booking::from_value(value).unwrap()
}

fn unlisted() -> Booking {
    booking(json!({"class_id": "c", "record_id": 1, "video_url": "http://h/src.flv",
        "video_resolution": "240", "video_url_list": {"480P": "http://h/480.flv"}}))
}

fn transcode(state: TranscodeState, url: Option<&str>) -> Option<Transcode<'_>> {
    Some(Transcode { state, url })
}

#[test]
fn a_legacy_booking_downloads_its_video_url() {
    let b = booking(json!({"class_id": "c", "record_id": 1, "video_url": "http://h/1.flv"}));
    assert_eq!(decide(&b, None), Decision::Download { url: "http://h/1.flv".parse().unwrap(), alarm: None });
}

#[test]
fn a_listed_resolution_downloads_the_listed_url_whatever_the_transcode() {
    let b = booking(json!({"class_id": "c", "record_id": 1, "video_url": "http://h/src.flv",
        "video_resolution": "480p", "video_url_list": {"480P": "http://h/480.flv"}}));
    let want = Decision::Download { url: "http://h/480.flv".parse().unwrap(), alarm: None };
    assert_eq!(decide(&b, None), want);
    assert_eq!(decide(&b, transcode(TranscodeState::Failed, None)), want);
}

#[test]
fn no_transcode_starts_one() {
    assert_eq!(decide(&unlisted(), None), Decision::Transcode);
}

#[test]
fn a_transcode_in_progress_is_waited_for() {
    assert_eq!(decide(&unlisted(), transcode(TranscodeState::Transcoding, None)), Decision::Wait);
}

#[test]
fn a_failed_transcode_is_made_again() {
    assert_eq!(decide(&unlisted(), transcode(TranscodeState::Failed, None)), Decision::Retranscode);
}

#[test]
fn a_timed_out_transcode_fails_the_booking() {
    let Decision::Fail { reason } = decide(&unlisted(), transcode(TranscodeState::TimedOut, None)) else {
        panic!("should fail")
    };
    assert!(reason.contains("timed out") && reason.contains("240P"), "{reason}");
}

#[test]
fn a_succeeded_transcode_raises_an_alarm_and_books_its_url() {
    let decision = decide(&unlisted(), transcode(TranscodeState::Succeeded, Some("http://h/1_240P.flv")));
    let Decision::Download { url, alarm: Some(alarm) } = decision else { panic!("{decision:?}") };
    assert_eq!(url.as_str(), "http://h/1_240P.flv");
    assert!(alarm.contains("video_url_list"), "{alarm}");
}

#[test]
fn a_succeeded_transcode_whose_url_is_unusable_is_made_again_with_the_reason() {
    let Decision::Remake { reason } = decide(&unlisted(), transcode(TranscodeState::Succeeded, Some("ftp://h/1.flv")))
    else {
        panic!("made again")
    };
    assert!(reason.contains("ftp://h/1.flv") && reason.contains("unusable"), "{reason}");
    assert!(matches!(decide(&unlisted(), transcode(TranscodeState::Succeeded, None)), Decision::Remake { .. }));
}
