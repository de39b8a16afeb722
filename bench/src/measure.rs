//! Timing a command line tool, and the median of runs.

use std::{path::Path, time::Duration};

use anyhow::bail;
use tokio::process::Command;

/// Runs a command line tool, timed; `None` if it is not installed.
pub(crate) async fn tool(program: &str, args: &[&str], dest: &Path) -> anyhow::Result<Option<Duration>> {
    let _ = tokio::fs::remove_file(dest).await;
    let started = std::time::Instant::now();
    let status = Command::new(program).args(args).kill_on_drop(true).status().await;
    match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
        Ok(s) if !s.success() => bail!("{program} failed: {s}"),
        Ok(_) => Ok(Some(started.elapsed())),
    }
}

pub(crate) fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}
