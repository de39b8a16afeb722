//! Walking `VIDEO_ROOT` off the async threads, handing files over in batches.

use std::{
    path::{Path, PathBuf},
    time::{Duration, UNIX_EPOCH},
};

use tokio::sync::mpsc;

/// A file under `VIDEO_ROOT`.
#[derive(Debug, Clone)]
pub struct Found {
    /// Below the root, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub modified_ms: i64,
    pub age: Duration,
}

/// Walks `root` (the layouts are at most three deep; deeper files are reported too) and sends
/// what it finds in batches of `batch`.
pub fn walk(root: PathBuf, batch: usize) -> mpsc::Receiver<Vec<Found>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut pending = Vec::with_capacity(batch);
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    dirs.push(entry.path());
                } else if kind.is_file()
                    && let Some(found) = found(&root, &entry)
                {
                    pending.push(found);
                    if pending.len() == batch && tx.blocking_send(std::mem::take(&mut pending)).is_err() {
                        return;
                    }
                }
            }
        }
        if !pending.is_empty() {
            let _ = tx.blocking_send(pending);
        }
    });
    rx
}

fn found(root: &Path, entry: &std::fs::DirEntry) -> Option<Found> {
    let meta = entry.metadata().ok()?;
    let path = entry.path();
    let relative = path.strip_prefix(root).ok()?;
    // A name that is not UTF-8 matches no layout: it is reported as such, not skipped.
    let text: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let modified = meta.modified().ok()?;
    let modified_ms = modified.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    Some(Found { path: text.join("/"), bytes: meta.len(), modified_ms, age: super::age_of(modified_ms) })
}
