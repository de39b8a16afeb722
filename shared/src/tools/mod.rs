//! One wrapper per external tool.

pub mod alarm;
pub mod pubsub;
pub mod webhook;
