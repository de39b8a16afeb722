//! Domain types, parsed once at the edge: the rest of vteacher never sees a raw string id.
//! Also the vocabulary every layer shares: effects, error codes, retryability.

mod class_end;
mod effect;
mod error_code;
mod ids;
mod messages;
mod node_wire;
mod resolution;
mod retry;
mod schema;
mod source_url;
mod state;
mod transcode_key;
mod transcode_message;
mod transcode_schema;
mod video_path;

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod messages_tests;

pub use class_end::ClassEnd;
pub use effect::Effect;
pub use error_code::{ErrorCode, FailureCode};
pub use ids::{ClassId, IdError, NodeId, OrgId, RecordId};
pub use messages::{Booking, BookingOutcome, BookingResult, MessageError};
pub use node_wire::{DirInfo, DownloadOrder, DownloadProgress, Holding, NodeReport, NodeStatus};
pub use resolution::{Resolution, UnknownResolution};
pub use retry::{RetryStatus, Retryable};
pub use source_url::{SourceUrl, SourceUrlError, redact_url};
pub use state::{BookingState, RefState, TranscodeState, VideoState};
pub use transcode_key::TranscodeKey;
pub use transcode_message::{Provider, TranscodeOutcome, TranscodeRequest, TranscodeResult};
pub use video_path::VideoKey;

/// `text` cut to `max` characters (marked with `…`): what an error repeats of its input, so
/// that no input, however large, makes a large error (they are logged and sent back).
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}
