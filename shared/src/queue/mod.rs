//! The queue engine: the `Job` trait, the two backends behind one enqueue interface
//! (vteacher's own Redis queues in `redisq/`, apalis-sqlite), the runner (attempts, backoff),
//! workers, inspection and the dashboard's view. It knows no job: those are in `jobs/`.

mod backend;
pub mod board_view;
mod dashboard;
mod depth;
mod inspect;
mod job;
pub mod redisq;
mod runner;
mod worker;

pub use backend::{QueueError, Queues};
pub use depth::Depth;
pub use job::{Job, JobError, QueueKind, queue_name};
pub use runner::{OUTCOMES, backoff};
pub use worker::{FETCH_AHEAD_JOBS, Workers, WorkersError, fetch_batch};
