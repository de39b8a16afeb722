//! What an operator (and the tests) can see and do: counts, dead jobs, re-drive.

use std::sync::LazyLock;

use redis::Script;
use serde::Serialize;

use super::{RedisQueue, error::RedisQueueError, keys::PUSH_CHUNK};
use crate::clock::now_ms;

static REDRIVE: LazyLock<Script> =
    LazyLock::new(|| Script::new(concat!(include_str!("lua/prelude.lua"), include_str!("lua/redrive.lua"))));

/// A job that failed for good.
#[derive(Debug, Clone, Serialize)]
pub struct DeadJob {
    pub id: String,
    pub payload: serde_json::Value,
    pub attempts: u64,
    pub error: String,
}

/// How many jobs are where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pending: u64,
    pub running: u64,
    pub delayed: u64,
    pub done: u64,
    pub dead: u64,
}

impl<Args> RedisQueue<Args> {
    /// Finished jobs count while they are kept (`retention`): the sets are trimmed only when
    /// the queue next settles a job, and an idle queue must not show what it forgot.
    pub async fn counts(&self) -> Result<Counts, RedisQueueError> {
        let c = &self.persist.config;
        let kept_since = now_ms().saturating_sub(c.retention.as_millis() as u64);
        let (pending, running, delayed, done, dead): (u64, u64, u64, u64, u64) = redis::pipe()
            .llen(c.key("pending"))
            .zcard(c.key("inflight"))
            .zcard(c.key("delayed"))
            .zcount(c.key("done"), kept_since, "+inf")
            .zcount(c.key("dead"), kept_since, "+inf")
            .query_async(&mut self.conn())
            .await?;
        Ok(Counts { pending, running, delayed, done, dead })
    }

    /// The oldest dead jobs, up to `limit`.
    pub async fn dead(&self, limit: usize) -> Result<Vec<DeadJob>, RedisQueueError> {
        let c = &self.persist.config;
        let ids: Vec<String> =
            redis::cmd("ZRANGE").arg(c.key("dead")).arg(0).arg(limit as i64 - 1).query_async(&mut self.conn()).await?;
        let mut jobs = Vec::new();
        for id in ids {
            let (payload, attempts, error): (Option<Vec<u8>>, Option<u64>, Option<String>) = redis::cmd("HMGET")
                .arg(c.job_key(&id))
                .arg("d")
                .arg("a")
                .arg("r")
                .query_async(&mut self.conn())
                .await?;
            let Some(payload) = payload else { continue };
            let payload = serde_json::from_slice(&payload).unwrap_or(serde_json::Value::Null);
            jobs.push(DeadJob { id, payload, attempts: attempts.unwrap_or(0), error: error.unwrap_or_default() });
        }
        Ok(jobs)
    }

    /// Puts dead jobs back on the queue with fresh attempts: the given ids, or the oldest
    /// `limit` (0: every job dead when the re-drive starts). One script call per chunk of
    /// `PUSH_CHUNK` ids, each atomic: a job is in the dead set or pending, never in neither.
    /// Returns how many moved.
    pub async fn redrive(&self, ids: &[String], limit: usize) -> Result<u64, RedisQueueError> {
        let mut moved = 0;
        if !ids.is_empty() {
            for chunk in ids.chunks(PUSH_CHUNK) {
                moved += self.redrive_chunk(chunk, chunk.len()).await?.1;
            }
            return Ok(moved);
        }
        // Counted first, so that jobs re-driven and dead again meanwhile are not taken twice.
        let mut left = match limit {
            0 => redis::cmd("ZCARD").arg(self.persist.config.key("dead")).query_async(&mut self.conn()).await?,
            limit => limit,
        };
        while left > 0 {
            let chunk = left.min(PUSH_CHUNK);
            let (taken, put_back) = self.redrive_chunk(&[], chunk).await?;
            moved += put_back;
            left -= taken.min(left);
            if taken < chunk {
                break; // the dead set is empty
            }
        }
        Ok(moved)
    }

    /// One call of `redrive.lua`: the given ids, or the oldest `chunk` dead. Returns (taken out
    /// of the dead set, put back).
    async fn redrive_chunk(&self, ids: &[String], chunk: usize) -> Result<(usize, u64), RedisQueueError> {
        let c = &self.persist.config;
        let mut call = REDRIVE.prepare_invoke();
        call.key(c.key("pending")).key(c.key("dead")).key(c.key("signal"));
        call.arg(c.prefix()).arg(chunk).arg(c.signal_is_channel());
        for id in ids {
            call.arg(id);
        }
        Ok(call.invoke_async(&mut self.conn()).await?)
    }
}
