//! One wrapper per external tool.

pub mod alarm;
pub mod ffmpeg;
#[cfg(test)]
pub(crate) mod moto_server;
pub mod pubsub;
pub mod storage;
pub mod webhook;
