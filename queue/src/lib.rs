//! vteacher's queue engine: the `Job` trait, two backends behind one enqueue interface (its own
//! Redis queues in `redisq/`, apalis-sqlite for one machine with no server), the runner
//! (attempts, backoff), workers, inspection and the dashboard's view. It knows no job and
//! depends on no other crate of vteacher: the application registers its jobs with it.

mod backend;
mod backoff;
pub mod board_view;
mod clock;
mod dashboard;
mod depth;
mod inspect;
mod job;
pub mod redisq;
mod retry;
mod runner;
mod settings;
mod worker;

pub use backend::{QueueError, Queues};
pub use backoff::backoff;
pub use clock::now_ms;
pub use depth::Depth;
pub use job::{Job, JobError, QueueKind, queue_name, split_queue_name};
pub use retry::{RetryNotice, Retryable};
pub use runner::OUTCOMES;
pub use settings::QueueSettings;
pub use worker::{FETCH_AHEAD_JOBS, Workers, WorkersError, fetch_batch};
