//! Transcoding: both decision tables, every result source, deadlines, the API, and real ffmpeg
//! end to end.

mod fixture;

mod api;
mod decisions;
mod ecs;
mod mps;
mod results;
mod timeouts;
