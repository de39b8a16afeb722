//! The hold on eviction while a rebuilt index waits for its references
//! (docs/design/push-hosts.md "A lost index"). A file in `VIDEO_ROOT`, beside the videos it
//! protects: set before the node takes any job, cleared when the central side's references have
//! been applied. While it is there nothing is evicted: every adopted video counts as referenced.

use std::path::{Path, PathBuf};

/// The hold's name in `VIDEO_ROOT`.
pub const HOLD: &str = ".vteacher-refs-pending";

fn path(root: &Path) -> PathBuf {
    root.join(HOLD)
}

/// Whether eviction is held on the cache at `root`.
pub fn is_held(root: &Path) -> bool {
    path(root).exists()
}

/// Holds eviction until `release`.
pub async fn set(root: &Path) -> std::io::Result<()> {
    tokio::fs::write(path(root), crate::db::now_ms().to_string()).await
}

/// The references are back: eviction may go on.
pub async fn release(root: &Path) -> std::io::Result<()> {
    match tokio::fs::remove_file(path(root)).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
