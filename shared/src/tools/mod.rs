//! One wrapper per external tool.

pub mod pubsub;
pub mod webhook;
