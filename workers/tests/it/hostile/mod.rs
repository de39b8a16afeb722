//! Hostile input (issue 10, "the proofs"): malformed messages by the hundred thousand through
//! the bridge, arbitrary bodies at every API that takes one, and download sources that
//! misbehave (truncated, longer than they say, without a length, stalled, redirecting in a
//! loop or to another scheme). Each ends in a clear failure, and nothing is stored.

mod api;
mod bridge;
mod downloads;
mod inside;
mod messages;
mod sources;
mod tls;
