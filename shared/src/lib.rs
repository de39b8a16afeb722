//! vteacher's library: domain types, configuration, state, queues and jobs, and the pieces
//! of a push host. The `vteacher` binary (crate `workers`) runs them as process types.

pub mod app;
pub mod booking;
pub mod config;
pub mod db;
pub mod domain;
pub mod node;
pub mod queue;
pub mod tools;
pub mod transcode;

pub use app::App;
