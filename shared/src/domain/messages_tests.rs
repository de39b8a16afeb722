use serde_json::json;

use super::*;

fn parse(value: serde_json::Value) -> Result<Booking, MessageError> {
    Booking::from_value(value)
}

#[test]
fn accepts_the_legacy_message_as_it_is() {
    let booking = parse(json!({"class_id": "c-1", "record_id": 6666,
        "video_url": "http://127.0.0.1/6666.flv", "teacher": "Ms Li"}))
    .unwrap();
    assert_eq!(booking.video_resolution, None);
    assert_eq!(booking.ready_url().unwrap().as_str(), "http://127.0.0.1/6666.flv");
    assert_eq!(booking.extra.get("teacher"), Some(&json!("Ms Li")));
}

#[test]
fn accepts_lower_case_and_bare_number_resolutions() {
    let booking = parse(json!({"class_id": "c-2", "record_id": "6666",
        "video_resolution": "720p", "org_id": 22,
        "video_url_list": {"720P": "http://h/720.flv", "240": "http://h/240.flv"}}))
    .unwrap();
    assert_eq!(booking.video_resolution, Some(Resolution::P720));
    assert_eq!(booking.org_id.as_ref().unwrap().as_str(), "22");
    assert_eq!(booking.ready_url().unwrap().as_str(), "http://h/720.flv");
    assert!(booking.video_url_list.contains_key(&Resolution::P240));
}

#[test]
fn an_unlisted_resolution_has_no_ready_url_but_keeps_its_source() {
    let booking = parse(json!({"class_id": "c-3", "record_id": 1, "video_resolution": "240P",
        "video_url": "http://h/src.flv"}))
    .unwrap();
    assert!(booking.ready_url().is_none());
}

#[test]
fn names_the_field_of_every_bad_input() {
    let cases = [
        (json!({"record_id": 1, "video_url": "http://h/a"}), "class_id"),
        (json!({"class_id": "../x", "record_id": 1, "video_url": "http://h/a"}), "class_id"),
        (json!({"class_id": "c", "video_url": "http://h/a"}), "record_id"),
        (json!({"class_id": "c", "record_id": -3, "video_url": "http://h/a"}), "record_id"),
        (json!({"class_id": "c", "record_id": 1}), "video_url"),
        (json!({"class_id": "c", "record_id": 1, "video_url": "file:///etc/passwd"}), "video_url"),
        (
            json!({"class_id": "c", "record_id": 1, "video_url": "http://h/a", "video_resolution": "360P"}),
            "video_resolution",
        ),
        (json!({"class_id": "c", "record_id": 1, "video_url": "http://h/a", "org_id": "a/../b"}), "org_id"),
        (
            json!({"class_id": "c", "record_id": 1, "video_resolution": "720P",
            "video_url_list": {"4K": "http://h/a"}}),
            "video_url_list.4K",
        ),
        (
            json!({"class_id": "c", "record_id": 1, "video_resolution": "720P",
            "video_url_list": {"720P": "ftp://h/a"}}),
            "video_url_list.720P",
        ),
        (json!({"class_id": "c", "record_id": 1, "video_url": "http://h/a", "node": "h 1"}), "node"),
    ];
    for (message, field) in cases {
        let err = parse(message.clone()).expect_err(&message.to_string());
        assert_eq!(err.field(), Some(field), "{message}: {err}");
    }
}

#[test]
fn refuses_malformed_json_and_non_objects() {
    assert!(matches!(Booking::from_json(b"{\"class_id\": "), Err(MessageError::Malformed(_))));
    assert_eq!(Booking::from_json(b"[1,2]"), Err(MessageError::NotAnObject));
}

#[test]
fn results_echo_unknown_fields_without_letting_them_override() {
    let booking = parse(json!({"class_id": "c-1", "record_id": 6666,
        "video_url": "http://h/a.flv", "teacher": "Ms Li", "result": "forged"}))
    .unwrap();
    let result = BookingResult {
        result_id: "c-1-1".into(),
        cmd: "booking",
        class_id: "c-1".into(),
        record_id: 6666,
        video_resolution: None,
        result: BookingOutcome::Success,
        node: Some("host-1".into()),
        video_path: Some("/home/video/6666/6666.flv".into()),
        reason: None,
    };
    let wire = result.to_json(&booking.to_value());
    assert_eq!(wire["teacher"], "Ms Li");
    assert_eq!(wire["result"], "success");
    assert_eq!(wire["cmd"], "booking");
    assert!(wire.get("video_url").is_none());
}
