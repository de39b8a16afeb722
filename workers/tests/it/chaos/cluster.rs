//! The fleet under test, as separate processes the harness may kill: web, two booking
//! processes, a transcode process, a node and a sweeper; a redis-server of the harness's own
//! (persistent, so a restart keeps the queues, as a production Redis does); PostgreSQL behind a
//! TCP proxy the harness can cut.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use nix::sys::signal::Signal;
use testkit::ports::{start_on_free_port, wait_listening};

use crate::helpers::*;

/// The process types and their command lines.
pub(super) const ROLES: &[(&str, &[&str])] = &[
    ("web", &["web"]),
    ("booking-1", &["work", "--queues", "booking,transcode-result,notify,node-report"]),
    ("booking-2", &["work", "--queues", "booking,transcode-result,notify,node-report"]),
    ("transcode", &["work", "--queues", "transcode-oss,transcode-ecs"]),
    ("node", &["work", "--queues", "download,class-end"]),
    ("sweeper", &["sweeper"]),
];

/// A redis-server on a port of its own, with an append-only file, that survives a restart.
pub(super) struct OwnRedis {
    pub port: u16,
    dir: PathBuf,
    child: tokio::process::Child,
}

impl OwnRedis {
    pub(super) async fn start(dir: PathBuf) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        let (child, port) =
            start_on_free_port("the harness's redis-server", Duration::from_secs(20), |port| spawn_redis(port, &dir))
                .await;
        let redis = Self { port, dir, child };
        redis.answering().await;
        redis
    }

    pub(super) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn answering(&self) {
        let url = self.url();
        eventually("the harness's redis-server to answer", Duration::from_secs(20), || {
            let url = url.clone();
            async move {
                let client = redis::Client::open(url).ok()?;
                let mut conn = client.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
            }
        })
        .await;
    }

    /// Stops the server (SIGTERM: it writes its file) and starts it again on the same port.
    pub(super) async fn restart(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, Signal::SIGTERM).unwrap();
        let _ = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        self.child = spawn_redis(self.port, &self.dir);
        let listening = wait_listening(&mut self.child, self.port, Duration::from_secs(20)).await;
        assert!(listening.is_ok(), "the restarted redis-server listens on its port again: {listening:?}");
        self.answering().await;
    }
}

impl OwnRedis {
    /// SIGKILLs the server, deletes its files and starts it again on the same port: a Redis
    /// that lost all its data.
    pub(super) async fn restart_empty(&mut self) {
        let _ = self.child.kill().await;
        std::fs::remove_dir_all(&self.dir).unwrap();
        std::fs::create_dir_all(&self.dir).unwrap();
        self.child = spawn_redis(self.port, &self.dir);
        let listening = wait_listening(&mut self.child, self.port, Duration::from_secs(20)).await;
        assert!(listening.is_ok(), "the emptied redis-server listens on its port again: {listening:?}");
        self.answering().await;
    }
}

fn spawn_redis(port: u16, dir: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server is installed")
}

/// The processes, by role.
pub(super) struct Cluster {
    pub processes: BTreeMap<&'static str, Process>,
    pub kills: u32,
}

fn args_of(role: &str) -> &'static [&'static str] {
    ROLES.iter().find(|(r, _)| *r == role).map(|(_, args)| *args).expect("a role")
}

impl Cluster {
    pub(super) fn start(env: &TestEnv, node_env: &[(&str, Option<String>)]) -> Self {
        let processes = ROLES.iter().map(|(role, _)| (*role, start_role(env, role, node_env))).collect();
        Self { processes, kills: 0 }
    }

    /// SIGKILLs the process of `role` and starts it again.
    pub(super) async fn kill_and_restart(
        &mut self,
        env: &TestEnv,
        role: &'static str,
        node_env: &[(&str, Option<String>)],
    ) {
        if let Some(process) = self.processes.get_mut(role) {
            let _ = nix::sys::signal::kill(process.pid(), Signal::SIGKILL);
            let _ = tokio::time::timeout(Duration::from_secs(10), process.child.wait()).await;
            self.kills += 1;
        }
        self.processes.insert(role, start_role(env, role, node_env));
    }

    /// Starts again every process that has exited by itself (a supervisor's job: a worker whose
    /// Redis went away exits non-zero rather than idle).
    pub(super) fn revive(&mut self, env: &TestEnv, node_env: &[(&str, Option<String>)]) {
        let dead: Vec<&'static str> = self
            .processes
            .iter_mut()
            .filter_map(|(role, p)| matches!(p.child.try_wait(), Ok(Some(_))).then_some((role, p)))
            .map(|(role, _)| *role)
            .collect();
        for role in dead {
            self.processes.insert(role, start_role(env, role, node_env));
        }
    }
}

fn start_role(env: &TestEnv, role: &'static str, node_env: &[(&str, Option<String>)]) -> Process {
    let changes = if role == "node" { node_env } else { &[] };
    env.start_with(role, args_of(role), changes)
}
