//! Transcoding: the rules (pure: `result`, `source`), what applies them to the database
//! (`store`, `deadlines`, `requests`), and the providers: the cloud (oss: `oss_http`, `mps`
//! over `oss_mps`) and our own ffmpeg (`ecs`).

pub mod deadlines;
pub mod ecs;
pub mod emit;
pub mod mps;
pub mod oss_http;
pub mod oss_mps;
pub mod requests;
pub mod result;
pub mod source;
pub mod store;
