//! Transcoding: both decision tables, every result source, deadlines, the API, and real ffmpeg
//! end to end, with the limits on what it downloads and reads.

mod fixture;

mod api;
mod decisions;
mod ecs;
mod limits;
mod mps;
mod results;
mod timeouts;
