//! A small filesystem of a test's own (a tmpfs), to fill as another process would: needs root,
//! as the tests have here and in CI.

use std::path::{Path, PathBuf};

/// A tmpfs of `size` mounted at `dir` (the field) for the test's life.
pub(crate) struct SmallDisk(pub PathBuf);

impl SmallDisk {
    pub(crate) fn mount(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a {size} tmpfs at {} (tests run as root)", dir.display());
        Self(dir.to_owned())
    }

    pub(crate) fn free(&self) -> u64 {
        let s = nix::sys::statvfs::statvfs(&self.0).unwrap();
        s.blocks_available() * s.fragment_size()
    }

    /// Another process fills the filesystem but for `leave` bytes.
    pub(crate) fn fill_leaving(&self, leave: u64) {
        let size = self.free().saturating_sub(leave).to_string();
        let filler = self.0.join("other-process.bin");
        let status = std::process::Command::new("fallocate").args(["-l", &size]).arg(&filler).status().unwrap();
        assert!(status.success(), "fallocate {size}");
    }

    /// That process's file is deleted.
    pub(crate) fn unfill(&self) {
        std::fs::remove_file(self.0.join("other-process.bin")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
