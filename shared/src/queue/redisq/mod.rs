//! vteacher's own Redis queue backend for apalis 1.0: O(1) Redis work per job whatever the
//! backlog, leases renewed by a task of each worker's own for every job it holds (running or
//! waiting in apalis's buffer for a slot), recovery of a dead worker's jobs in
//! bounded steps without using an attempt, retries with exponential backoff and jitter
//! through a delayed set, a dead set to re-drive, retention of finished jobs, idle workers
//! that wait on a blocking pop. The key layout is in `keys.rs`, the scripts in `lua/`.

mod admin;
mod board;
pub mod keys;
mod persist;
mod renew;
mod state;
mod wake;

use std::{
    marker::PhantomData,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use apalis_codec::json::JsonCodec;
use apalis_core::{
    backend::{
        Backend, BackendConfig, WireFormatBackend,
        finalize::Durable,
        future::BoxSyncFuture,
        persistence::{Persisted, TaskPersistLayer},
    },
    task::Task,
    worker::context::WorkerContext,
};
use futures::{FutureExt, Sink};
use redis::aio::ConnectionManager;
use serde_json::Value;

pub use admin::{Counts, DeadJob};
pub use keys::QueueConfig;
use persist::RedisPersistence;
pub use wake::wake_on_signal;

#[derive(Debug, thiserror::Error)]
pub enum RedisQueueError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply from Redis: {0}")]
    Parse(#[from] redis::ParsingError),
    #[error("unexpected reply from the {0} script")]
    BadReply(String),
}

/// One queue, as an apalis backend and task sink.
pub struct RedisQueue<Args> {
    persist: Persisted<RedisPersistence>,
    codec: JsonCodec,
    cleanup: Option<BoxSyncFuture<Result<(), RedisQueueError>>>,
    job: PhantomData<Args>,
}

impl<Args> Clone for RedisQueue<Args> {
    fn clone(&self) -> Self {
        Self { persist: self.persist.clone(), codec: self.codec.clone(), cleanup: None, job: PhantomData }
    }
}

impl<Args> std::fmt::Debug for RedisQueue<Args> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue").field("queue", &self.persist.config.queue).finish()
    }
}

impl<Args> RedisQueue<Args> {
    pub fn new(conn: ConnectionManager, config: QueueConfig) -> Self {
        let persistence = RedisPersistence { conn, config, state: Arc::default() };
        Self { persist: Persisted::new(persistence), codec: JsonCodec::default(), cleanup: None, job: PhantomData }
    }

    pub fn queue_config(&self) -> &QueueConfig {
        &self.persist.config
    }

    fn conn(&self) -> ConnectionManager {
        self.persist.conn.clone()
    }
}

impl<Args> Backend for RedisQueue<Args> {
    type Task = Task<Vec<u8>>;
    type Error = RedisQueueError;

    fn poll_ready(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        let every = self.persist.config.renew_every();
        self.persist.poll_ready(cx, worker, every)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        self.persist.poll_next(cx, worker)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        if self.cleanup.is_none() {
            ready!(self.persist.poll_close(cx, worker))?;
            let (mut conn, workers, name) = (self.conn(), self.persist.config.key("workers"), worker.name().to_owned());
            self.cleanup = Some(
                async move {
                    redis::cmd("ZREM").arg(workers).arg(name).query_async::<()>(&mut conn).await?;
                    Ok(())
                }
                .boxed()
                .into(),
            );
        }
        self.cleanup.as_mut().expect("set above").poll_unpin(cx)
    }
}

impl<Args> BackendConfig for RedisQueue<Args> {
    type Args = Args;
    type Id = String;
    type Kind = Durable;
    type Config = QueueConfig;
    type Layer = TaskPersistLayer<JsonCodec<Value>, Value>;

    fn config(&self) -> &QueueConfig {
        &self.persist.config
    }

    fn middleware(&mut self, _worker: &mut WorkerContext) -> Self::Layer {
        let batch = self.persist.config.batch;
        // Completions are settled in batches; a start needs no write (fetching leased the job).
        self.persist.layer(JsonCodec::<Value>::default(), batch).persist_results(true).lock_tasks(false)
    }
}

impl<Args> WireFormatBackend for RedisQueue<Args> {
    type Codec = JsonCodec;
    type Compact = Vec<u8>;

    fn codec(&self) -> &JsonCodec {
        &self.codec
    }
}

impl<Args: Unpin + Send + Sync + 'static> Sink<Task<Vec<u8>>> for RedisQueue<Args> {
    type Error = RedisQueueError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Sink::poll_ready(Pin::new(&mut self.get_mut().persist), cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Task<Vec<u8>>) -> Result<(), Self::Error> {
        Sink::start_send(Pin::new(&mut self.get_mut().persist), item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Sink::poll_flush(Pin::new(&mut self.get_mut().persist), cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Sink::poll_close(Pin::new(&mut self.get_mut().persist), cx)
    }
}
