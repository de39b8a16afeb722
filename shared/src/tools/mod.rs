//! One wrapper per external tool.

pub mod alarm;
pub mod egress;
pub mod ffmpeg;
pub mod http;
pub mod pubsub;
pub mod storage;
pub mod webhook;
