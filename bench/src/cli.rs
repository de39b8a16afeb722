//! `vteacher-bench <which>`: one subcommand per benchmark.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "vteacher-bench",
    version,
    about = "vteacher's benchmarks, each reporting ratios against a baseline measured in the same run"
)]
pub struct Cli {
    #[command(subcommand)]
    pub which: Bench,
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Rate limiting (achieved vs DOWNLOAD_RATE) and unthrottled throughput vs curl.
    Download {
        /// The rate to check, in wget units.
        #[arg(long, default_value = "1000k")]
        rate: String,
        /// How long the throttled download should take.
        #[arg(long, default_value_t = 6)]
        seconds: u64,
        /// Size of the file for the unthrottled comparison, in MiB.
        #[arg(long, default_value_t = 512)]
        size_mib: u64,
        /// Runs of each unthrottled client (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// NODE_BANDWIDTH: three downloads at once from the local file server against the node's
    /// cap (the aggregate rate as a ratio to it), and which class finishes first.
    Bandwidth {
        /// The node's cap, in wget units.
        #[arg(long, default_value = "2m")]
        cap: String,
        /// How long the three together should take at the cap (≥ 5 s for the ±2% goal).
        #[arg(long, default_value_t = 8)]
        seconds: u64,
    },
    /// The whole ecs transcode (download, ffmpeg, checks, upload) vs the bare ffmpeg command.
    Transcode {
        /// Length of the generated 1280x720 source, in seconds.
        #[arg(long, default_value_t = 120)]
        seconds: u64,
        /// Runs of each (alternating; the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Target height.
        #[arg(long, default_value = "240P")]
        height: String,
    },
    /// Draining a backlog of no-op jobs: vteacher's Redis queue vs BullMQ (and apalis-redis
    /// 1.0.0 when built with `--features compare-apalis-redis`), on a redis-server of its own.
    Queue {
        /// Jobs pushed before the worker starts.
        #[arg(long, default_value_t = 50_000)]
        backlog: u64,
        /// The worker's concurrency, one run per value.
        #[arg(long, value_delimiter = ',', default_value = "1,10,50")]
        concurrency: Vec<usize>,
        /// An experiment: ours also runs with this batch and no fetch ahead, where it is above
        /// the concurrency (the product's two ways always run). 0: no.
        #[arg(long, default_value_t = 0)]
        min_batch: usize,
        /// apalis-redis 1.0.0 stops above ~8k jobs: it and ours also drain this smaller backlog
        /// for a ratio (0: no).
        #[arg(long, default_value_t = 5_000)]
        small_backlog: u64,
        /// An experiment: ours also runs as this many apalis workers in the process, sharing the
        /// concurrency (one worker fetches and acknowledges strictly in turn). 1: no.
        #[arg(long, default_value_t = 1)]
        split: usize,
    },
    /// What idle workers cost Redis: CPU seconds and commands/s, on a redis-server of its own.
    Idle {
        /// Idle per-node workers, each on a node of its own.
        #[arg(long, default_value_t = 200)]
        workers: usize,
        /// How long they idle (measured).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// What placing a booking costs as the fleet grows: N hosts' statuses in a redis-server of
    /// its own, five new videos per host placed and placed again through the product's script;
    /// latency p50/p99, commands and Redis CPU per placement, the spread, each size against the
    /// smallest.
    Placement {
        /// Fleet sizes, one run each.
        #[arg(long, value_delimiter = ',', default_value = "200,1000,10000")]
        hosts: Vec<usize>,
    },
    /// What a `/metrics` scrape and the dashboard's overview cost as the fleet grows: N hosts'
    /// statuses and a job on each of their three queues in a redis-server of its own, a `web`
    /// scraped; commands sent and run, Redis CPU and latency per request, each size against
    /// the smallest.
    Scrape {
        /// Fleet sizes, one run each.
        #[arg(long, value_delimiter = ',', default_value = "200,1000,10000")]
        hosts: Vec<usize>,
    },
    /// The push host's cache: the eviction decision's p50/p99 at 1k–100k videos on SQLite and
    /// PostgreSQL against a naive SUM + unindexed sort, and the start-up scan against `find`.
    Cache {
        /// Videos in the index, one run each.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
        videos: Vec<u64>,
        /// Decisions timed per index (after 20 untimed).
        #[arg(long, default_value_t = 2000)]
        decisions: usize,
        /// The PostgreSQL server; the bench creates a database of its own there and drops it.
        /// Unreachable: PostgreSQL is skipped.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        /// Files in the VIDEO_ROOT the start-up scan reads.
        #[arg(long, default_value_t = 100_000)]
        files: u64,
    },
    /// A fleet on this machine: N `node` processes (Redis only), web, booking ×2 and the
    /// sweeper on PostgreSQL behind PgBouncer (transaction pooling), with a redis-server and a
    /// PgBouncer of the bench's own: its idle cost, then a storm of bookings across the nodes.
    Fleet {
        /// `node` processes, one push host each.
        #[arg(long, default_value_t = 200)]
        nodes: usize,
        /// How long the fleet idles (measured), in seconds.
        #[arg(long, default_value_t = 60)]
        idle_seconds: u64,
        /// Bookings in the storm (0: no storm).
        #[arg(long, default_value_t = 10_000)]
        bookings: usize,
        /// Videos the bookings are spread over.
        #[arg(long, default_value_t = 1_000)]
        videos: usize,
        /// The PostgreSQL server (no database): the bench creates a database there and drops it.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        /// The user PgBouncer runs as when the bench runs as root (it refuses root).
        #[arg(long, default_value = "postgres")]
        pgbouncer_user: String,
        /// Push hosts packed into `vteacher-bench agents` processes, this many each, instead
        /// of a `vteacher` process per host (a fleet of thousands on one machine).
        #[arg(long = "virtual", value_name = "HOSTS_PER_PROCESS", default_value_t = 0)]
        agents_per_process: usize,
    },
    /// Push hosts in one process, for `fleet --virtual` (not a benchmark).
    #[command(hide = true)]
    Agents {
        #[arg(long)]
        first: usize,
        #[arg(long)]
        count: usize,
        /// Each host's folder is under it.
        #[arg(long)]
        root: std::path::PathBuf,
    },
}
