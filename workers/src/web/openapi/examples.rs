//! The document's examples. Request bodies are JSON the parsers must take (a test parses each
//! with its parser); response bodies are built from the types the handlers serialize, so a
//! renamed field changes its example too.

use serde_json::{Value, json};
use shared::{
    booking::BookingStatus,
    domain::{BookingState, DirInfo, NodeStatus, Provider, TranscodeState},
    transcode::requests::TranscodeStatus,
};

pub(crate) fn booking() -> Value {
    json!({"class_id": "c-1", "record_id": 6666, "video_url": "https://cdn.example.com/6666.flv",
        "video_resolution": "720P", "video_url_list": {"720P": "https://cdn.example.com/6666_720P.flv"},
        "org_id": "22", "course_name": "Phonics 3", "class_start_at": 1_790_000_000_i64,
        "class_end_at": 1_790_003_600_i64})
}

pub(crate) fn booking_status() -> BookingStatus {
    BookingStatus {
        class_id: "c-1".into(),
        record_id: 6666,
        video_resolution: Some("720P".into()),
        org_id: Some("22".into()),
        state: BookingState::Queued,
        reason: None,
        node: None,
        video_path: None,
        class_start_at: Some(1_790_000_000),
        class_end_at: Some(1_790_003_600),
        ended_at: None,
        expected_ready_at: None,
        at_risk: false,
        downloaded_bytes: None,
        total_bytes: None,
        retry: None,
        created_at: 1_789_990_000_000,
        updated_at: 1_789_990_000_000,
    }
}

/// A booking its node put on disk.
pub(crate) fn ready_booking() -> BookingStatus {
    BookingStatus {
        state: BookingState::Ready,
        node: Some("host-1".into()),
        video_path: Some("/home/video/22/6666/6666_720P.flv".into()),
        updated_at: 1_789_990_042_000,
        ..booking_status()
    }
}

/// A booking whose class has ended.
pub(crate) fn ended_booking() -> BookingStatus {
    BookingStatus { ended_at: Some(1_790_003_600_000), ..ready_booking() }
}

pub(crate) fn node_status() -> NodeStatus {
    NodeStatus {
        node: "host-1".parse().expect("a node id"),
        video_root: "/home/video".into(),
        seen_at: 1_789_990_030_000,
        started_at: 1_789_900_000_000,
        max_video_size_bytes: 10 << 30,
        max_video_num: 1000,
        min_free_disk_bytes: 1 << 30,
        used_bytes: 300 << 20,
        video_count: 3,
        reserved_bytes: 0,
        reserved_count: 0,
        referenced_bytes: 100 << 20,
        free_disk_bytes: 50 << 30,
        evictions: 0,
        downloads_active: 0,
        downloads_at_risk: 0,
        unknown_files: 0,
        downloaded_bytes: 300 << 20,
        download_millis: 2_400_000,
        dir_info: vec![DirInfo { dir: "22".into(), size_bytes: 300 << 20, video_count: 3 }],
    }
}

pub(crate) fn transcode_request() -> Value {
    json!({"record_id": 6666, "video_resolution": "240P", "video_url": "https://cdn.example.com/6666.flv",
        "org_id": "22"})
}

pub(crate) fn transcode_result() -> Value {
    json!({"cmd": "transcoding", "record_id": 6666, "video_resolution": "720P", "result": "sucess",
        "transcode_video_url": "https://oss.example.com/video_6666_720P.flv", "type": "oss"})
}

pub(crate) fn transcode(state: TranscodeState) -> TranscodeStatus {
    let done = state != TranscodeState::Transcoding;
    TranscodeStatus {
        record_id: 6666,
        video_resolution: "240P".into(),
        state,
        provider: Some(Provider::Ecs),
        progress: Some(if done { 100 } else { 42 }),
        url: (state == TranscodeState::Succeeded).then(|| "https://storage.example.com/22/6666/6666_240P.flv".into()),
        reason: None,
        deadline_at: (!done).then_some(1_789_997_200_000),
        updated_at: 1_789_990_000_000,
        retry: None,
    }
}
