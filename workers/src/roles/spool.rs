//! The bridge's spool: pub/sub keeps nothing for a subscriber that cannot take a message in,
//! so a message the bridge cannot store now (the database or Redis away) is written to a
//! folder of its own (`BRIDGE_SPOOL_DIR`), one file per message, and taken in, oldest first,
//! once they are back. It outlives a restart of the bridge, and holds at most
//! `BRIDGE_SPOOL_MAX` messages: past that a message is refused with an error (never silently).

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, AtomicUsize, Ordering},
};

/// A message as received: its channel and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spooled {
    pub channel: String,
    pub payload: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum SpoolError {
    #[error("the bridge spool at {0} is full ({1} messages): BRIDGE_SPOOL_MAX")]
    Full(String, usize),
    #[error("the bridge spool at {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

pub(super) struct Spool {
    dir: PathBuf,
    max: usize,
    seq: AtomicU64,
    /// How many messages wait: counted once at open, then kept, so that a message arriving
    /// never lists the folder.
    held: AtomicUsize,
}

impl Spool {
    /// The spool in `dir` (made if missing), with what an earlier run left in it.
    pub(super) fn open(dir: &Path, max: usize) -> Result<Self, SpoolError> {
        std::fs::create_dir_all(dir).map_err(|source| io_err(dir, source))?;
        let spool = Self { dir: dir.to_owned(), max, seq: AtomicU64::new(0), held: AtomicUsize::new(0) };
        spool.held.store(spool.waiting()?.len(), Ordering::Relaxed);
        Ok(spool)
    }

    /// Whether messages wait (new ones then queue behind them).
    pub(super) fn is_empty(&self) -> bool {
        self.held.load(Ordering::Relaxed) == 0
    }

    /// The messages waiting, oldest first (their files' names sort by arrival).
    pub(super) fn waiting(&self) -> Result<Vec<PathBuf>, SpoolError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| io_err(&self.dir, source))?;
        let mut files: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "msg")).collect();
        files.sort();
        Ok(files)
    }

    /// Keeps `message` until it can be taken in: written whole (a temporary file renamed), so
    /// a crash leaves it or nothing.
    pub(super) fn put(&self, message: &Spooled) -> Result<(), SpoolError> {
        let count = self.held.load(Ordering::Relaxed);
        if count >= self.max {
            return Err(SpoolError::Full(self.dir.display().to_string(), count));
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let name = format!("{:020}-{:010}-{}", now.as_nanos(), seq, std::process::id());
        let (tmp, path) = (self.dir.join(format!("{name}.tmp")), self.dir.join(format!("{name}.msg")));
        let mut bytes = message.channel.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(&message.payload);
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| io_err(&self.dir, source))?;
        self.held.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The message in `path`; `None` for a file that is not one (it is set aside).
    pub(super) fn read(path: &Path) -> Option<Spooled> {
        let bytes = std::fs::read(path).ok()?;
        let split = bytes.iter().position(|b| *b == b'\n')?;
        let channel = String::from_utf8(bytes[..split].to_vec()).ok()?;
        Some(Spooled { channel, payload: bytes[split + 1..].to_vec() })
    }

    /// The message in `path` was taken in (or refused for good): it leaves the spool.
    pub(super) fn done(&self, path: &Path) {
        match std::fs::remove_file(path) {
            Ok(()) => {
                self.held.fetch_sub(1, Ordering::Relaxed);
            }
            Err(err) => tracing::warn!(path = %path.display(), %err, "could not remove a spooled message"),
        }
    }
}

fn io_err(dir: &Path, source: std::io::Error) -> SpoolError {
    SpoolError::Io { dir: dir.display().to_string(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_back_in_order_after_a_reopen_and_the_spool_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 2).unwrap();
        let message = |n: u8| Spooled { channel: "vteacher:booking".into(), payload: vec![b'{', n, b'}'] };
        spool.put(&message(1)).unwrap();
        spool.put(&message(2)).unwrap();
        assert!(matches!(spool.put(&message(3)), Err(SpoolError::Full(..))));
        let reopened = Spool::open(dir.path(), 2).unwrap();
        let waiting = reopened.waiting().unwrap();
        let read: Vec<_> = waiting.iter().filter_map(|p| Spool::read(p)).collect();
        assert_eq!(read, vec![message(1), message(2)]);
        reopened.done(&waiting[0]);
        assert_eq!(reopened.waiting().unwrap().len(), 1);
        assert!(!reopened.is_empty());
    }
}
