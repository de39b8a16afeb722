//! `vteacher` processes of a test's own, and a Redis server it may kill.

use std::{path::PathBuf, time::Duration};

use super::TestEnv;

/// A `vteacher` process of this test's, its output kept in the test's directory.
pub(crate) struct Process {
    pub child: tokio::process::Child,
    pub log: PathBuf,
}

impl TestEnv {
    /// Starts `vteacher <args…>` as a child process.
    pub(crate) fn start(&self, name: &str, args: &[&str]) -> Process {
        self.start_with(name, args, &[])
    }

    /// Starts `vteacher <args…>` with some settings changed (`None` removes the key).
    pub(crate) fn start_with(&self, name: &str, args: &[&str], changes: &[(&str, Option<String>)]) -> Process {
        let log = self.dir.path().join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log file");
        let mut command = self.command(args);
        for (key, value) in changes {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command.stdout(file.try_clone().expect("log file")).stderr(file);
        Process { child: command.spawn().expect("vteacher starts"), log }
    }
}

impl TestEnv {
    /// `start` with this process's clock shifted by `offset` (libfaketime's `+60s`, `-60s`):
    /// the wall clock only; timers and timeouts (the monotonic clock) run true.
    pub(crate) fn start_skewed(&self, name: &str, args: &[&str], offset: &str) -> Process {
        let library = libfaketime();
        self.start_with(
            name,
            args,
            &[
                ("LD_PRELOAD", Some(library.display().to_string())),
                ("FAKETIME", Some(offset.to_owned())),
                ("FAKETIME_DONT_FAKE_MONOTONIC", Some("1".to_owned())),
            ],
        )
    }
}

/// Debian's libfaketime (`bash .ci/run` installs the `faketime` package).
fn libfaketime() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|arch| arch.path().join("faketime/libfaketime.so.1"))
        .find(|path| path.exists());
    found.expect("libfaketime is installed (the faketime package; bash .ci/run installs it)")
}

impl Process {
    pub(crate) fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.child.id().expect("running") as i32)
    }

    pub(crate) fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.pid(), signal).expect("signal delivered");
    }

    /// Waits for the process to end; panics with its log if it takes longer than `timeout`.
    pub(crate) async fn exit_status(&mut self, timeout: Duration) -> std::process::ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.expect("wait"),
            Err(_) => panic!("process still running after {timeout:?}; log:\n{}", self.output()),
        }
    }

    pub(crate) fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The address this process's web listens on, from its log.
    pub(crate) async fn web_addr(&self) -> String {
        super::eventually("the web to listen", Duration::from_secs(30), || async {
            let log = plain(&self.output());
            let line = log.lines().find(|l| l.contains("web listening"))?;
            Some(line.split("addr=").nth(1)?.split_whitespace().next()?.to_owned())
        })
        .await
    }
}

/// A log without its colours.
fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}
