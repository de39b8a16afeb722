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
    Book {
        json: String,
        /// Follow it until it settles (a progress bar on a terminal), then print its status;
        /// exits non-zero unless it is ready. The workers run elsewhere (`vteacher all`).
        #[arg(long)]
        wait: bool,
    },
    /// Prints a booking's status as JSON.
    Status { class_id: String },
    /// Looks into a queue: jobs that failed for good, and putting them back.
    Queue {
        #[command(subcommand)]
        action: QueueAction,
    },
    /// A push host's cache, read on the push host (its own index, `NODE_DATABASE_URL`).
    Node {
        #[command(subcommand)]
        action: NodeAction,
    },
    /// Deletes at once the unreferenced videos of the old layout (no institution directory,
    /// 老的资源删除), after a scan of VIDEO_ROOT, and prints what it freed.
    PurgeLegacy {
        /// Only list what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
    /// Runs the embedded default with a generated sample lesson and books three classes.
    Demo {
        /// Where the demo keeps its database, videos and sample lesson.
        #[arg(long, default_value = "demo-data")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum NodeAction {
    /// This node's limits, totals, free disk, referenced vs evictable bytes and DIR_INFO, as JSON.
    Status,
    /// Scans VIDEO_ROOT now and reconciles the index with it (as at start-up).
    Scan,
    /// Prints the `ACL SETUSER` line of a push host's Redis user: its own queues, its
    /// directory entries and its reports, nothing else (docs/security.md). Run by an operator
    /// with the fleet's settings, not on the push host. The password is generated and shown
    /// once on stderr, unless given on stdin; the line holds only its SHA-256.
    Acl {
        /// The push host's NODE_ID.
        node_id: String,
        /// Also runs the line on this Redis, as a user allowed to (`redis://admin:…@host`).
        #[arg(long, value_name = "ADMIN_REDIS_URL")]
        apply: Option<String>,
        /// Reads the user's password from stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
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
        /// How many to list, oldest first; 0: all.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Puts dead jobs back on their queue with fresh attempts (the given ids, else the oldest).
    Redrive {
        queue: String,
        #[arg(long)]
        node: Option<String>,
        ids: Vec<String>,
        /// Without ids: how many to put back, oldest first; 0: every dead job.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}
