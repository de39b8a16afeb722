//! The fleet's `vteacher` processes: started with an environment of their own (nothing
//! inherited but PATH), each logging to a file, all stopped when the bench ends (SIGTERM, then
//! SIGKILL) and killed when it is dropped on any other way out (`kill_on_drop`); and what /proc
//! says about each: its memory (its TCP connections: `testkit::sockets`).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use nix::{sys::signal::Signal, unistd::Pid};
use tokio::process::{Child, Command};

pub(super) struct Proc {
    pub name: String,
    pub child: Child,
    pub pid: u32,
    pub log: PathBuf,
}

pub(super) struct Procs {
    binary: PathBuf,
    pub list: Vec<Proc>,
}

impl Procs {
    pub(super) fn new(binary: PathBuf) -> Self {
        Self { binary, list: Vec::new() }
    }

    /// Starts `vteacher <args>` in `dir` with exactly `env` (and PATH); returns its pid.
    pub(super) fn spawn(
        &mut self,
        name: &str,
        dir: &Path,
        args: &[&str],
        env: &[(String, String)],
    ) -> anyhow::Result<u32> {
        let binary = self.binary.clone();
        self.spawn_program(&binary, name, dir, args, env)
    }

    /// The same with another program (the bench's own `agents`).
    pub(super) fn spawn_program(
        &mut self,
        binary: &Path,
        name: &str,
        dir: &Path,
        args: &[&str],
        env: &[(String, String)],
    ) -> anyhow::Result<u32> {
        std::fs::create_dir_all(dir)?;
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log)?;
        let child = Command::new(binary)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} {}", binary.display(), args.join(" ")))?;
        let pid = child.id().context("the child has a pid")?;
        self.list.push(Proc { name: name.to_owned(), child, pid, log });
        Ok(pid)
    }

    /// Starts `vteacher <args>` with `port_key` set to a free port, again on another if it exits
    /// before it listens there (the port was taken first); returns its pid and port.
    pub(super) async fn spawn_listening(
        &mut self,
        name: &str,
        dir: &Path,
        args: &[&str],
        env: &[(String, String)],
        port_key: &str,
    ) -> anyhow::Result<(u32, u16)> {
        for _ in 0..3 {
            let port = testkit::ports::free_port();
            let mut env = env.to_vec();
            env.push((port_key.to_owned(), port.to_string()));
            let pid = self.spawn(name, dir, args, &env)?;
            let proc = self.list.last_mut().expect("just spawned");
            match testkit::ports::wait_listening(&mut proc.child, port, Duration::from_secs(30)).await {
                Ok(()) => return Ok((pid, port)),
                Err(testkit::ports::NotListening::Exited(_)) => drop(self.list.pop()),
                Err(testkit::ports::NotListening::TimedOut) => bail!("{name} did not listen on port {port}"),
            }
        }
        bail!("{name} kept exiting before it listened")
    }

    /// The first process that has exited, with the tail of its log.
    pub(super) fn exited(&mut self) -> Option<String> {
        self.list.iter_mut().find_map(|p| {
            let status = p.child.try_wait().ok()??;
            let log = std::fs::read_to_string(&p.log).unwrap_or_default();
            let tail: String =
                log.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
            Some(format!("{} exited ({status}):\n{tail}", p.name))
        })
    }

    /// SIGTERM to all, then SIGKILL to those still running after `grace`.
    pub(super) async fn stop(&mut self, grace: Duration) {
        for p in &self.list {
            let _ = nix::sys::signal::kill(Pid::from_raw(p.pid as i32), Signal::SIGTERM);
        }
        let deadline = tokio::time::Instant::now() + grace;
        for p in &mut self.list {
            if tokio::time::timeout_at(deadline, p.child.wait()).await.is_err() {
                let _ = p.child.kill().await;
            }
        }
        self.list.clear();
    }
}

/// Resident memory of a process, KiB (`VmRSS` in /proc/PID/status).
pub(super) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
