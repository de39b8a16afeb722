//! vteacher's library: domain types, configuration, state, the jobs, and the pieces of a push
//! host. The queue engine is a crate of its own (`vteacher-queue`), which knows none of this. The `vteacher` binary (crate `workers`) runs them as process
//! types. ARCHITECTURE.md at the root maps the modules and the direction of every dependency.

pub mod app;
pub mod booking;
pub mod config;
pub mod db;
pub mod directory;
pub mod domain;
pub mod jobs;
pub mod node;
pub mod node_app;
pub mod services;
pub mod tools;
pub mod transcode;

pub use app::App;
pub use node_app::NodeApp;
pub use services::Services;
