//! Job types and their queues. One file per job, all registered in `registry`; the backend
//! (Redis or SQLite) stays behind `Queues` and `Workers`.

mod backend;
mod inspect;
mod job;
pub mod redisq;
mod runner;
mod worker;

pub mod after;
pub mod booking;
pub mod dashboard;
pub mod download;
pub mod notify;
pub mod registry;
pub mod transcode_ecs;
pub mod transcode_oss;
pub mod transcode_result;

pub use backend::{QueueError, Queues};
pub use job::{Job, JobError, QueueKind, queue_name};
pub use runner::backoff;
pub use worker::{Workers, WorkersError};
