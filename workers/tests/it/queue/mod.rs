//! The queue's own semantics, on vteacher's Redis backend and, where it applies, on
//! apalis-redis 1.0.0 for comparison.

mod harness;

mod ahead;
mod child;
mod chunks;
mod commands;
mod drain;
mod idle;
mod leases;
mod ours;
mod semantics;
