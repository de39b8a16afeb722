//! One wrapper per external tool.

#[cfg(test)]
pub(crate) mod moto_server;
pub mod pubsub;
pub mod storage;
pub mod webhook;
