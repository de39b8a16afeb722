//! A push host: its cache of videos (the index in its own SQLite, `cache/`), its downloads
//! (rate-limited, resumable) and what it publishes about itself (`status`). Which push host
//! takes a booking is the central side's (`directory::placement`).

pub mod bandwidth;
pub mod cache;
pub mod disk;
pub mod download;
pub mod gauges;
pub mod jitter;
mod part;
mod services;
pub mod status;
mod throttle;

pub use download::{DownloadError, Downloaded, Downloader, Watch};
pub use services::NodeServices;
