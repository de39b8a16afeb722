//! What apalis-board lists: the queues, their counts, their workers and their jobs.

use apalis_core::{
    backend::{
        Backend, FetchById, Filter, ListAllTasks, ListQueues, ListTasks, ListWorkers, Metrics, QueueInfo,
        RunningWorker, StatType, Statistic,
    },
    task::{Task, builder::TaskBuilder, status::Status, task_id::TaskId},
};

use super::{QueueConfig, RedisQueue, error::RedisQueueError};

/// Where jobs of a status are listed, and in which order.
fn index_of(status: &Status) -> (&'static str, bool) {
    match status {
        Status::Running | Status::Queued => ("inflight", false),
        Status::Failed => ("delayed", false),
        Status::Done => ("done", true),
        Status::Killed => ("dead", true),
        _ => ("pending", false),
    }
}

/// Counts (pending, in flight, waiting for a retry, done, dead) under the titles apalis-board's
/// UI knows (it shows any other title as "Total Jobs"): a job waiting for its retry is what
/// apalis calls Failed, a dead one Killed.
fn statistics(counts: Vec<u64>) -> Vec<Statistic> {
    let titles = ["PENDING_JOBS", "RUNNING_JOBS", "FAILED_JOBS", "DONE_JOBS", "KILLED_JOBS"];
    titles
        .iter()
        .zip(counts)
        .map(|(title, n)| Statistic {
            title: (*title).into(),
            stat_type: StatType::Number,
            value: n.to_string(),
            priority: Some(1),
        })
        .collect()
}

impl<Args> RedisQueue<Args> {
    fn for_queue(&self, queue: &str) -> QueueConfig {
        QueueConfig { queue: queue.to_owned(), ..self.persist.config.clone() }
    }

    /// The queues the lists show (`RedisQueue::listing`).
    async fn queues(&self) -> Result<Vec<String>, RedisQueueError> {
        Ok(self.listed.to_vec())
    }

    async fn counts_of(&self, config: &QueueConfig) -> Result<Vec<u64>, RedisQueueError> {
        let mut pipe = redis::pipe();
        pipe.llen(config.key("pending"));
        for set in ["inflight", "delayed", "done", "dead"] {
            pipe.zcard(config.key(set));
        }
        Ok(pipe.query_async(&mut self.conn()).await?)
    }

    async fn stats_of(&self, config: &QueueConfig) -> Result<Vec<Statistic>, RedisQueueError> {
        Ok(statistics(self.counts_of(config).await?))
    }

    /// The whole backend's counts: every queue of the registry added up, by Redis, a page of
    /// queues per command (`depths.rs`); finished jobs while kept.
    async fn stats_of_all(&self) -> Result<Vec<Statistic>, RedisQueueError> {
        let c = &self.persist.config;
        let mut total = vec![0; 5];
        for sums in super::depths::by_base(&self.conn(), &c.registry, "", c.retention).await?.values() {
            total.iter_mut().zip(sums).for_each(|(sum, n)| *sum += n);
        }
        Ok(statistics(total))
    }

    async fn workers_of(&self, config: &QueueConfig) -> Result<Vec<RunningWorker>, RedisQueueError> {
        let workers: Vec<(String, u64)> = redis::cmd("ZRANGE")
            .arg(config.key("workers"))
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(&mut self.conn())
            .await?;
        Ok(workers
            .into_iter()
            .map(|(id, seen)| RunningWorker {
                id,
                queue: config.queue.clone(),
                backend: "vteacher-redis".into(),
                started_at: 0,
                last_heartbeat: seen / 1000,
                layers: String::new(),
            })
            .collect())
    }

    async fn jobs_of(&self, config: &QueueConfig, filter: &Filter) -> Result<Vec<Task<Vec<u8>>>, RedisQueueError> {
        let status = filter.status.clone().unwrap_or(Status::Pending);
        let (index, newest_first) = index_of(&status);
        let (start, stop) = (filter.offset() as i64, (filter.offset() + filter.limit()) as i64 - 1);
        let command = match (index, newest_first) {
            ("pending", _) => "LRANGE",
            (_, true) => "ZREVRANGE",
            _ => "ZRANGE",
        };
        let ids: Vec<String> =
            redis::cmd(command).arg(config.key(index)).arg(start).arg(stop).query_async(&mut self.conn()).await?;
        let mut tasks = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(task) = self.job(config, &id, status.clone()).await? {
                tasks.push(task);
            }
        }
        Ok(tasks)
    }

    async fn job(
        &self,
        config: &QueueConfig,
        id: &str,
        status: Status,
    ) -> Result<Option<Task<Vec<u8>>>, RedisQueueError> {
        let (payload, attempts, max): (Option<Vec<u8>>, Option<u64>, Option<u64>) = redis::cmd("HMGET")
            .arg(config.job_key(id))
            .arg("d")
            .arg("a")
            .arg("m")
            .query_async(&mut self.conn())
            .await?;
        Ok(payload.map(|payload| {
            TaskBuilder::new(payload)
                .task_id(TaskId::from_string(id))
                .status(status)
                .attempt(attempts.unwrap_or(0) as usize)
                .max_attempts(max.unwrap_or(0) as usize)
                .build()
        }))
    }
}

impl<Args: Send + Sync + 'static> ListQueues for RedisQueue<Args> {
    async fn list_queues(&self) -> Result<Vec<QueueInfo>, RedisQueueError> {
        let mut infos = Vec::new();
        for queue in self.queues().await? {
            let config = self.for_queue(&queue);
            let stats = self.stats_of(&config).await?;
            let workers = self.workers_of(&config).await?.into_iter().map(|w| w.id).collect();
            infos.push(QueueInfo { name: queue, stats, workers, activity: Vec::new() });
        }
        Ok(infos)
    }
}

impl<Args: Send + Sync + 'static> Metrics for RedisQueue<Args> {
    /// The dashboard's overview: the whole backend, as apalis-sqlite's is.
    async fn global(&self) -> Result<Vec<Statistic>, RedisQueueError> {
        self.stats_of_all().await
    }

    async fn fetch_by_queue(&self) -> Result<Vec<Statistic>, RedisQueueError> {
        self.stats_of(&self.persist.config).await
    }
}

impl<Args: Send + Sync + 'static> ListWorkers for RedisQueue<Args> {
    async fn list_workers(&self) -> Result<Vec<RunningWorker>, RedisQueueError> {
        self.workers_of(&self.persist.config).await
    }

    async fn list_all_workers(&self) -> Result<Vec<RunningWorker>, RedisQueueError> {
        let mut all = Vec::new();
        for queue in self.queues().await? {
            all.extend(self.workers_of(&self.for_queue(&queue)).await?);
        }
        Ok(all)
    }
}

impl<Args: Send + Sync + 'static> ListTasks for RedisQueue<Args> {
    async fn list_tasks(&self, filter: &Filter) -> Result<Vec<Task<Vec<u8>>>, RedisQueueError> {
        self.jobs_of(&self.persist.config, filter).await
    }
}

impl<Args: Send + Sync + 'static> ListAllTasks for RedisQueue<Args> {
    async fn list_all_tasks(&self, filter: &Filter) -> Result<Vec<Task<Vec<u8>>>, RedisQueueError> {
        let mut all = Vec::new();
        for queue in self.queues().await? {
            all.extend(self.jobs_of(&self.for_queue(&queue), filter).await?);
        }
        Ok(all)
    }
}

impl<Args: Send + Sync + 'static> FetchById for RedisQueue<Args>
where
    RedisQueue<Args>: Backend<Task = Task<Vec<u8>>, Error = RedisQueueError>,
{
    async fn fetch_by_id(&mut self, task_id: &TaskId) -> Result<Option<Task<Vec<u8>>>, RedisQueueError> {
        let config = self.persist.config.clone();
        let state: Option<String> =
            redis::cmd("HGET").arg(config.job_key(&task_id.to_string())).arg("s").query_async(&mut self.conn()).await?;
        let status = match state.as_deref() {
            Some("done") => Status::Done,
            Some("dead") => Status::Killed,
            Some("retry") => Status::Failed,
            _ => Status::Pending,
        };
        self.job(&config, &task_id.to_string(), status).await
    }
}
