//! `vteacher-bench fleet`: a fleet on this machine. A redis-server and a PgBouncer (transaction
//! pooling) of the bench's own, a database of its own on the PostgreSQL server; N `node`
//! processes started as push hosts run (their own NODE_ID, VIDEO_ROOT and SQLite index, no
//! DATABASE_URL); web, booking ×2 and the sweeper through PgBouncer. It measures the fleet idle
//! (Redis CPU and commands, node memory, connections), then a storm of bookings across the
//! nodes, and stops everything it started however it ends: processes are killed on drop, the
//! database is dropped on drop, the temp dir removed on drop.

mod db;
mod nodes;
mod pgbouncer;
mod procs;
mod report;
mod run;
mod scrape;
mod storm;

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

pub use report::print;
pub use run::run;
pub use scrape::RequestCost;

/// What to run.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// The `vteacher` binary the fleet's processes run.
    pub binary: PathBuf,
    pub nodes: usize,
    pub idle: Duration,
    pub bookings: usize,
    pub videos: usize,
    /// The PostgreSQL server (no database): `postgres://user@host:port`.
    pub postgres: String,
    /// The user PgBouncer runs as when the bench runs as root.
    pub pgbouncer_user: String,
    /// 0: a `vteacher` process per push host; else push hosts packed this many to a
    /// `vteacher-bench agents` process (`--virtual`).
    pub agents_per_process: usize,
}

/// What it measured.
#[derive(Debug, Clone, Default)]
pub struct FleetReport {
    pub nodes: usize,
    /// Push hosts per process (1: a process each).
    pub agents_per_process: usize,
    pub redis_version: String,
    /// The idle window: Redis CPU seconds, commands by name, its length.
    pub idle: Measured,
    /// Node RSS at the end of the idle window, KiB, sorted.
    pub node_rss_kib: Vec<u64>,
    /// Central processes' RSS, KiB, by name.
    pub central_rss_kib: BTreeMap<String, u64>,
    /// Redis clients in all, and each node's Redis connections (min, max), while idle.
    pub redis_clients: u64,
    pub node_redis_connections: (usize, usize),
    /// Redis memory (bytes) and keys before the nodes started and at the end of the idle window.
    pub redis_memory: (u64, u64),
    pub redis_keys: (u64, u64),
    /// Nodes with a TCP connection to PostgreSQL or PgBouncer (must be 0), at idle and after the storm.
    pub nodes_on_postgres: usize,
    /// Server connections to the bench's database (pg_stat_activity): while idle, and the most
    /// seen in any sample of the run.
    pub server_connections_idle: i64,
    pub server_connections_max: i64,
    /// PgBouncer's client connections: while idle, and the most seen.
    pub bouncer_clients_idle: u64,
    pub bouncer_clients_max: u64,
    /// A `/metrics` scrape and the dashboard's overview, with the fleet idle.
    pub scrape: RequestCost,
    pub overview: RequestCost,
    pub storm: Option<StormReport>,
}

#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub wall: f64,
    pub redis_cpu: f64,
    pub calls: BTreeMap<String, u64>,
}

impl Measured {
    pub fn commands(&self) -> u64 {
        self.calls.values().sum()
    }

    pub fn per_second(&self) -> f64 {
        if self.wall > 0.0 { self.commands() as f64 / self.wall } else { 0.0 }
    }
}

#[derive(Debug, Clone, Default)]
pub struct StormReport {
    pub bookings: usize,
    pub videos: usize,
    pub results: BTreeMap<String, u64>,
    pub p50: Duration,
    pub p99: Duration,
    pub wall: Duration,
    /// Bookings by state and by node, from the database after the storm.
    pub states: BTreeMap<String, i64>,
    pub by_node: BTreeMap<String, i64>,
    /// Fetches in all, distinct (video, node) pairs, the most one node fetched one video, and
    /// the pairs fetched more than once.
    pub fetches: u64,
    pub fetch_pairs: usize,
    pub most_fetches: u64,
    pub fetched_twice: usize,
    /// Distinct videos fetched by each node that fetched any, and the videos fetched by two
    /// nodes or more.
    pub videos_by_node: BTreeMap<String, usize>,
    pub videos_on_two_nodes: usize,
    /// Redis over the storm.
    pub redis: Measured,
    /// PostgreSQL commits and rows written over the storm.
    pub commits: i64,
    pub rows_written: i64,
}

impl StormReport {
    pub fn per_second(&self) -> f64 {
        self.bookings as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// The busiest node's videos over the mean over all `nodes` of the fleet.
    pub fn busiest_over_mean(&self, nodes: usize) -> f64 {
        let videos: usize = self.videos_by_node.values().sum();
        let busiest = self.videos_by_node.values().copied().max().unwrap_or(0);
        let mean = videos as f64 / nodes.max(1) as f64;
        if mean > 0.0 { busiest as f64 / mean } else { 0.0 }
    }

    /// Every booking in a final state (ready, failed, cancelled) and none lost.
    pub fn all_final(&self) -> bool {
        let final_states = ["ready", "failed", "cancelled"];
        let settled: i64 = self.states.iter().filter(|(s, _)| final_states.contains(&s.as_str())).map(|(_, n)| n).sum();
        settled == self.bookings as i64 && self.states.values().sum::<i64>() == self.bookings as i64
    }
}
