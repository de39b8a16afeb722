//! Every queue's depth in Redis, summed by base name: one script call per page of the queue
//! registry (`lua/depths.lua`), the counting done by Redis. A fleet of 10,000 push hosts has
//! 30,000 per-node queues: 30 calls, where a pipeline per queue sent 150,000 commands.

use std::{collections::BTreeMap, sync::LazyLock, time::Duration};

use redis::{Script, aio::ConnectionManager};

use super::error::RedisQueueError;

static DEPTHS: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/depths.lua")));

/// Queues counted per call: five O(1) reads each, a few milliseconds of Redis per call.
const PAGE: usize = 1000;

/// Jobs pending, running, delayed, done and dead (finished ones while kept).
pub(crate) type Sums = [u64; 5];

/// The depths of the queues in `registry`, by base name: what follows `lead` in a queue's
/// name, up to its next colon (`"vt:"` turns `vt:download:host-1` into `download`).
pub(crate) async fn by_base(
    conn: &ConnectionManager,
    registry: &str,
    lead: &str,
    retention: Duration,
) -> Result<BTreeMap<String, Sums>, RedisQueueError> {
    let mut conn = conn.clone();
    let mut sums: BTreeMap<String, Sums> = BTreeMap::new();
    let mut cursor = "0".to_owned();
    loop {
        let mut call = DEPTHS.prepare_invoke();
        call.arg(registry).arg(&cursor).arg(PAGE).arg(lead).arg(retention.as_millis() as u64);
        let reply: Vec<String> = call.invoke_async(&mut conn).await?;
        let mut fields = reply.into_iter();
        cursor = fields.next().unwrap_or_else(|| "0".to_owned());
        let rest: Vec<String> = fields.collect();
        for group in rest.chunks_exact(6) {
            let sum = sums.entry(group[0].clone()).or_default();
            for (total, n) in sum.iter_mut().zip(&group[1..]) {
                *total += n.parse::<u64>().unwrap_or(0);
            }
        }
        if cursor == "0" {
            return Ok(sums);
        }
    }
}
