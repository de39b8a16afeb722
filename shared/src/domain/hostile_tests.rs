//! Every parser of wire input against arbitrary input (issue 10, "Hostile input"): bytes,
//! JSON text cut anywhere, and JSON values built mostly from the fields and spellings the
//! parsers know. None panics; a refusal is a typed error that names its field in bounded text
//! (whatever the input's size: errors are logged and sent back); what is accepted holds the
//! invariants the rest of vteacher relies on.

use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// The longest error text any input may produce.
const ERROR_MAX: usize = 400;

const FIELDS: [&str; 16] = [
    "class_id",
    "record_id",
    "video_url",
    "video_resolution",
    "video_url_list",
    "org_id",
    "course_name",
    "node",
    "class_start_at",
    "class_end_at",
    "cmd",
    "type",
    "result",
    "transcode_video_url",
    "reason",
    "message",
];

const WORDS: [&str; 24] = [
    "720P",
    "720p",
    "240",
    "1080P",
    "480p",
    "360P",
    " 720P ",
    "sucess",
    "success",
    "fail",
    "oss",
    "ecs",
    "class_end",
    "http://h/a.flv",
    "https://h/a.flv?token=secret",
    "file:///etc/passwd",
    "ftp://h/a",
    "http://",
    "../x",
    "c-1",
    "22",
    "6666",
    "",
    " ",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&FIELDS[..]).prop_map(str::to_owned),
        1 => prop::sample::select(&WORDS[..6]).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter("JSON has no NaN", |f| f.is_finite()).prop_map(Value::from),
        4 => prop::sample::select(&WORDS[..]).prop_map(|s| Value::String(s.to_owned())),
        2 => ".{0,40}".prop_map(Value::String),
        1 => (1usize..6000).prop_map(|n| Value::String(format!("http://h/{}", "x".repeat(n)))),
        1 => (1usize..6000).prop_map(|n| Value::String("7".repeat(n))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An object made mostly of the fields the parsers read.
fn message() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), value()), 0..12).prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

fn check_refusal(err: &MessageError) {
    let text = err.to_string();
    assert!(text.chars().count() <= ERROR_MAX, "{} characters of error: {:.200}…", text.chars().count(), text);
    if let MessageError::Field { field, .. } = err {
        assert!(!field.is_empty() && field.chars().count() <= 100, "field {field:.100}");
    }
}

fn check<T>(parsed: Result<T, MessageError>, accepted: impl FnOnce(T)) {
    match parsed {
        Ok(parsed) => accepted(parsed),
        Err(err) => check_refusal(&err),
    }
}

fn check_booking(booking: Booking) {
    assert!(booking.class_id.as_str().parse::<ClassId>().is_ok());
    assert!(booking.ready_url().is_none_or(|url| matches!(url.as_url().scheme(), "http" | "https")));
    assert_eq!(Booking::from_value(booking.to_value()).as_ref(), Ok(&booking), "echoed as it was read");
}

/// Every parser of a message, on `bytes`.
fn parse_all(bytes: &[u8]) {
    check(Booking::from_json(bytes), check_booking);
    check(ClassEnd::from_json(bytes), |end| assert!(end.class_id.as_str().parse::<ClassId>().is_ok()));
    check(TranscodeResult::from_json(bytes), |result| {
        if let TranscodeOutcome::Succeeded { url } = &result.outcome {
            assert!(matches!(url.as_url().scheme(), "http" | "https"));
        }
        assert!(result.record_id.get() > 0);
    });
    check(TranscodeRequest::from_json(bytes), |request| assert!(request.record_id.get() > 0));
    // What travels on the queues: serde's own errors, never a panic.
    let _ = serde_json::from_slice::<DownloadOrder>(bytes);
    let _ = serde_json::from_slice::<NodeReport>(bytes);
    let _ = serde_json::from_slice::<NodeStatus>(bytes);
    let _ = serde_json::from_slice::<TranscodeKey>(bytes);
}

fn check_text(text: &str) {
    if let Ok(id) = text.parse::<ClassId>() {
        assert!(id.as_str() == text && text.len() <= ClassId::MAX_LEN);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'), "{text:?}");
    }
    for err in [text.parse::<ClassId>().err(), text.parse::<NodeId>().err(), text.parse::<RecordId>().err()] {
        assert!(err.is_none_or(|e| e.to_string().chars().count() <= ERROR_MAX), "{text:.100}");
    }
    match text.parse::<Resolution>() {
        Ok(r) => assert_eq!(r.as_str().parse::<Resolution>(), Ok(r)),
        Err(e) => assert!(e.to_string().chars().count() <= ERROR_MAX, "{:.200}", e.to_string()),
    }
    match text.parse::<SourceUrl>() {
        Ok(url) => {
            assert!(matches!(url.as_url().scheme(), "http" | "https") && url.as_url().host_str().is_some());
            assert!(!url.redacted().contains("token="));
        }
        Err(e) => assert!(e.to_string().chars().count() <= ERROR_MAX, "{:.200}", e.to_string()),
    }
    let _ = redact_url(text);
    if let Some(key) = VideoKey::from_relative_path(text) {
        assert_eq!(key.relative_path_text(), text);
        assert!(!text.split('/').any(|part| part == ".." || part == "." || part.is_empty()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_refused_with_a_typed_error(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        parse_all(&bytes);
    }

    #[test]
    fn json_cut_anywhere_is_refused_with_a_typed_error(message in message(), cut in any::<prop::sample::Index>()) {
        let text = message.to_string().into_bytes();
        parse_all(&text[..cut.index(text.len() + 1)]);
    }

    #[test]
    fn arbitrary_messages_are_read_or_refused_naming_the_field(message in message()) {
        check(Booking::from_value(message.clone()), check_booking);
        check(TranscodeResult::from_value(message.clone()), |_| ());
        parse_all(message.to_string().as_bytes());
    }

    #[test]
    fn arbitrary_text_in_an_id_url_resolution_or_path(text in prop_oneof![".{0,80}", "[a-zA-Z0-9_./:?=-]{0,80}", (0usize..5000).prop_map(|n| "9".repeat(n))]) {
        check_text(&text);
    }
}
