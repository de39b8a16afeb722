//! vteacher's own Redis queue backend for apalis 1.0: O(1) Redis work per job whatever the
//! backlog, leases renewed by a task of each worker's own for every job it holds (running or
//! waiting in apalis's buffer for a slot), recovery of a dead worker's jobs in
//! bounded steps without using an attempt, retries with exponential backoff and jitter
//! through a delayed set, a dead set to re-drive, retention of finished jobs, idle workers
//! that cost Redis next to nothing: they wait on a blocking pop and a timer for the next due
//! time (`wake.rs`), and make no call when nothing asked them to look (`fetch.rs`). The key
//! layout is in `keys.rs`, the scripts in `lua/`.

pub mod acl;
mod admin;
mod board;
mod connect;
pub(crate) mod depths;
mod error;
mod fetch;
mod hub;
pub mod keys;
mod persist;
mod renew;
mod requirements;
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
pub use connect::connect;
pub use error::RedisQueueError;
pub use hub::WakeHub;
pub use keys::{PER_NODE_IDLE_CAP, QueueConfig};
use persist::RedisPersistence;
pub(crate) use requirements::unfit;

/// One queue, as an apalis backend and task sink.
pub struct RedisQueue<Args> {
    persist: Persisted<RedisPersistence>,
    codec: JsonCodec,
    cleanup: Option<BoxSyncFuture<Result<(), RedisQueueError>>>,
    /// The queues the dashboard lists when it asks this one for every queue (`listing`).
    listed: Arc<[String]>,
    job: PhantomData<Args>,
}

/// A clone is the same queue with a worker state of its own (held jobs, wake-ups): each worker
/// needs its own queue value.
impl<Args> Clone for RedisQueue<Args> {
    fn clone(&self) -> Self {
        Self::new(self.conn(), self.persist.config.clone()).listing(self.listed.clone())
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
        let listed = Arc::from([]);
        Self {
            persist: Persisted::new(persistence),
            codec: JsonCodec::default(),
            cleanup: None,
            listed,
            job: PhantomData,
        }
    }

    /// The queues apalis-board's lists show when they ask this queue for all of them (the first
    /// registered answers): chosen by the application, never the registry's every queue, whose
    /// number grows with the fleet. The overview still counts every queue (`depths.rs`).
    pub fn listing(mut self, queues: Arc<[String]>) -> Self {
        self.listed = queues;
        self
    }

    /// Fetches the next batch while one runs (`QueueConfig::prefetch`).
    pub fn prefetching(mut self, on: bool) -> Self {
        self.persist.config.prefetch = on;
        self
    }

    pub fn queue_config(&self) -> &QueueConfig {
        &self.persist.config
    }

    /// The stream that wakes this queue's worker (`poll_with_stream`): a blocking pop on the
    /// queue's signal list on a connection of its own (from `client`), and a timer for when
    /// something next becomes due. A worker polled without it never looks for work by itself.
    pub fn wake_stream(&self, client: redis::Client) -> impl futures::Stream<Item = ()> + Send + Unpin + use<Args> {
        let c = &self.persist.config;
        wake::wake_stream(client, c.key("signal"), c.idle_cap(), self.persist.state.clone())
    }

    /// The same for a per-node queue, waiting on `hub`'s one pop for all of the process's
    /// per-node queues (`hub.rs`); a shared queue's worker waits on a pop of its own.
    pub fn wake_stream_on(
        &self,
        hub: &WakeHub,
        client: redis::Client,
    ) -> impl futures::Stream<Item = ()> + Send + Unpin + use<Args> {
        let c = &self.persist.config;
        let state = self.persist.state.clone();
        match c.idle_cap {
            Some(cap) => futures::future::Either::Left(wake::shared_wake_stream(hub, c.key("signal"), cap, state)),
            None => futures::future::Either::Right(wake::wake_stream(client, c.key("signal"), c.idle_cap(), state)),
        }
    }

    fn conn(&self) -> ConnectionManager {
        self.persist.conn.clone()
    }
}

impl<Args> Backend for RedisQueue<Args> {
    type Task = Task<Vec<u8>>;
    type Error = RedisQueueError;

    fn poll_ready(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        // apalis's heartbeat only marks the worker alive (leases are the renewer's): once per
        // idle cap, so that an idle worker costs Redis next to nothing.
        let every = self.persist.config.idle_cap();
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
            let mut persistence = (*self.persist).clone();
            self.cleanup = Some(
                async move {
                    persistence.hand_back_ahead(&name).await?;
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
