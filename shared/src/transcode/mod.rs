//! Transcoding: the rules (pure: `result`, `source`, and `limits`, what ecs takes of a
//! source), what applies them to the database (`store`, `deadlines`, `requests`), and the
//! providers: the cloud (oss: `oss_http`, and the Aliyun MPS client `oss_mps`) and our own
//! ffmpeg (`ecs`). Nothing here enqueues: each step
//! returns `Effect`s, and the jobs that drive the providers are in `jobs/`.

pub mod deadlines;
pub mod ecs;
pub mod limits;
pub mod lost;
pub mod oss_http;
pub mod oss_mps;
pub mod requests;
pub mod result;
pub mod source;
pub mod store;
