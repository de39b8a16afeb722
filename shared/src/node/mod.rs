//! A push host: its cache of videos (the index in its own SQLite, `cache/`), its downloads
//! (rate-limited, resumable), what it publishes about itself (`status`), and the pure choice of
//! which push host takes a booking (`placement`, used by the central side).

pub mod bandwidth;
pub mod cache;
pub mod disk;
pub mod download;
pub mod gauges;
pub mod jitter;
mod part;
pub mod placement;
mod services;
pub mod status;
mod throttle;

pub use download::{DownloadError, Downloaded, Downloader, Watch};
pub use services::NodeServices;
