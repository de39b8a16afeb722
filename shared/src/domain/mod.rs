//! Domain types, parsed once at the edge: the rest of vteacher never sees a raw string id.

mod ids;
mod messages;
mod resolution;
mod source_url;
mod state;
mod transcode_message;
mod video_path;

#[cfg(test)]
mod messages_tests;

pub use ids::{ClassId, IdError, NodeId, OrgId, RecordId};
pub use messages::{Booking, BookingResult, MessageError, Outcome};
pub use resolution::{Resolution, UnknownResolution};
pub use source_url::{SourceUrl, SourceUrlError};
pub use state::BookingState;
pub use transcode_message::{Outcome as TranscodeOutcome, Provider, TranscodeRequest, TranscodeResult};
pub use video_path::VideoKey;
