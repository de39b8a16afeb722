//! The `vteacher` binary's parts: the command line, the roles (process types), the web API,
//! and the local file server the demo, the benchmarks and the tests serve lessons from.

pub mod cli;
pub mod fileserver;
pub mod progress;
pub mod roles;
pub mod telemetry;
pub mod web;
