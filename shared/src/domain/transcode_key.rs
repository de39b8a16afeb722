//! One transcode: a (record, resolution) pair, the key of the `transcodes` table and of the
//! transcode jobs.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{RecordId, Resolution};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TranscodeKey {
    pub record_id: RecordId,
    pub resolution: Resolution,
}

impl fmt::Display for TranscodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {} {}", self.record_id, self.resolution)
    }
}
