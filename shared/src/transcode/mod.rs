//! Transcoding: the rules (pure: `result`, `source`), what applies them to the database
//! (`store`), and the providers: the cloud (oss: `http`, `mps`) and our own ffmpeg (`ecs`).

pub mod deadlines;
pub mod ecs;
pub mod emit;
pub mod oss_http;
pub mod requests;
pub mod result;
pub mod source;
pub mod store;
