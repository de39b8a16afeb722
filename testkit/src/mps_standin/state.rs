//! What the stand-in keeps (its keys, knobs, jobs and counts) and how it refuses.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Mutex, atomic::AtomicU64},
    time::Duration,
};

use axum::http::StatusCode;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Knobs {
    /// A job answers `Transcoding` to this many queries, then its final state (0: at once).
    pub queries_until_done: u32,
    /// Jobs submitted from now on end `TranscodeFail` with this `(Code, Message)`.
    pub fail_with: Option<(String, String)>,
    /// `SubmitJobs` answers 200 with `Success: false` and this `(Code, Message)`.
    pub refuse_submit: Option<(String, String)>,
    /// The next this-many requests get `reject_status` with `reject_code`, before any check
    /// (throttling, an outage).
    pub reject_next: u32,
    pub reject_status: u16,
    pub reject_code: String,
    /// How far a `Timestamp` may be from the stand-in's clock.
    pub max_skew: Duration,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            queries_until_done: 0,
            fail_with: None,
            refuse_submit: None,
            reject_next: 0,
            reject_status: 503,
            reject_code: "ServiceUnavailable".to_owned(),
            max_skew: Duration::from_secs(15 * 60),
        }
    }
}

pub(super) struct Job {
    pub(super) output: Value,
    pub(super) pipeline_id: String,
    pub(super) queries: u32,
    pub(super) queries_until_done: u32,
    pub(super) fail_with: Option<(String, String)>,
}

#[derive(Default)]
pub(super) struct Shared {
    pub(super) keys: Mutex<HashMap<String, String>>,
    pub(super) knobs: Mutex<Knobs>,
    pub(super) jobs: Mutex<HashMap<String, Job>>,
    pub(super) nonces: Mutex<HashSet<String>>,
    pub(super) received: Mutex<Vec<BTreeMap<String, String>>>,
    pub(super) refusals: Mutex<Vec<String>>,
    pub(super) requests: AtomicU64,
    pub(super) submits: AtomicU64,
    pub(super) queries: AtomicU64,
}

pub(super) struct Refusal(pub(super) StatusCode, pub(super) String, pub(super) String);

pub(super) fn refuse(status: u16, code: impl Into<String>, message: impl Into<String>) -> Refusal {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    Refusal(status, code.into(), message.into())
}

pub(super) fn request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}
