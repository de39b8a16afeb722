//! How many commands clients send a Redis while something runs, read from the server itself
//! (`MONITOR`, through `redis-cli`): what an operator's scrape or page costs the server. A
//! script's own calls (`[0 lua]`) are not counted: a script is one command to its client.

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
};

/// A `redis-cli monitor` of its own on the server at `url`; killed when dropped.
pub struct Monitor {
    url: String,
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

/// What `Monitor::count` saw between its two markers.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    /// Each command a client sent, as MONITOR prints it.
    pub commands: Vec<String>,
}

impl Sent {
    pub fn count(&self) -> usize {
        self.commands.len()
    }
}

const WAIT: Duration = Duration::from_secs(60);

impl Monitor {
    pub async fn start(url: &str) -> Self {
        let mut child = Command::new("redis-cli")
            .args(["-u", url, "monitor"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-cli is installed");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut monitor = Self { url: url.to_owned(), _child: child, lines: BufReader::new(stdout).lines() };
        let first = monitor.next_line().await;
        assert_eq!(first.trim(), "OK", "redis-cli monitor started");
        monitor
    }

    /// Runs `work` and returns its output with the commands clients sent the server meanwhile.
    pub async fn count<T>(&mut self, work: impl Future<Output = T>) -> (T, Sent) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (start, end) = (format!("monitor-start-{id}"), format!("monitor-end-{id}"));
        self.echo(&start).await;
        let output = work.await;
        self.echo(&end).await;
        while !self.next_line().await.contains(&start) {}
        let mut sent = Sent::default();
        loop {
            let line = self.next_line().await;
            if line.contains(&end) {
                return (output, sent);
            }
            if !line.contains(" lua]") {
                sent.commands.push(line);
            }
        }
    }

    async fn echo(&self, marker: &str) {
        let status = Command::new("redis-cli")
            .args(["-u", &self.url, "ECHO", marker])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .status()
            .await
            .expect("redis-cli runs");
        assert!(status.success(), "redis-cli ECHO {marker}: {status}");
    }

    async fn next_line(&mut self) -> String {
        let line = tokio::time::timeout(WAIT, self.lines.next_line()).await;
        line.expect("MONITOR prints within a minute").expect("MONITOR's output reads").expect("MONITOR runs")
    }
}
