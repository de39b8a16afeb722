//! The command line: one subcommand per Procfile process type, plus the tools.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "vteacher", version, about = "Gets recorded lessons ready for virtual-teacher classes")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every role in one process: web, bridge (with Redis), every queue, the sweeper.
    All,
    /// The HTTP API under /api, the queue dashboard at /, /metrics and /healthz.
    Web,
    /// Turns messages on the legacy Redis pub/sub channels into jobs.
    Bridge,
    /// Consumes the named queues (per-node queues for this process's NODE_ID).
    Work {
        /// Comma-separated queue names, e.g. `booking,notify` or `download`.
        #[arg(long, value_delimiter = ',', required = true)]
        queues: Vec<String>,
    },
    /// The periodic safety net: bookings whose job was lost, finished-job retention.
    Sweeper,
    /// Creates or updates the database tables (and the SQLite queue tables).
    Migrate,
    /// Prints the effective settings, secrets masked.
    Config,
    /// Takes a booking in from the shell: `vteacher book '{"class_id": …}'` (`-` reads stdin).
    Book { json: String },
    /// Prints a booking's status as JSON.
    Status { class_id: String },
    /// Looks into a queue: jobs that failed for good, and putting them back.
    Queue {
        #[command(subcommand)]
        action: QueueAction,
    },
    /// Runs the embedded default with a generated sample lesson and books three classes.
    Demo {
        /// Where the demo keeps its database, videos and sample lesson.
        #[arg(long, default_value = "demo-data")]
        dir: PathBuf,
    },
    /// Benchmarks, each reporting ratios against a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Lists the jobs of a queue that failed for good (the dead set), oldest first, as JSON.
    Dead {
        /// The queue: `booking`, `notify`, `download`…; a per-node queue with `--node`.
        queue: String,
        #[arg(long)]
        node: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Puts dead jobs back on their queue with fresh attempts (the given ids, else the oldest).
    Redrive {
        queue: String,
        #[arg(long)]
        node: Option<String>,
        ids: Vec<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
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
}
