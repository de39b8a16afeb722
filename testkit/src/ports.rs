//! Servers a test starts on a port of their own. A port found free (bound, then let go) can be
//! taken by another test's server before ours binds it: ours then fails to bind, and a probe
//! of the port reaches the other server, which may even speak the same protocol (two tests'
//! nginx, two redis-servers). So a server counts as up only when the listening socket on its
//! port is held by its own process (or a child of it), read from `/proc`; one that exits first
//! is started again on another port.

use std::{collections::HashSet, process::ExitStatus, time::Duration};

use tokio::process::Child;

/// A loopback port free at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A loopback port that refuses connections for as long as the socket lives: bound, so that no
/// server of the test (its web on port 0) is given it, and never listening. A port bound and let go
/// was handed to the test's own web server once, which answered instead of refusing.
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.bind("127.0.0.1:0".parse().expect("an address")).expect("bound");
    let port = socket.local_addr().expect("its address").port();
    (socket, port)
}

/// Why a server did not come up.
#[derive(Debug)]
pub enum NotListening {
    /// It exited (most often: its port was taken first).
    Exited(ExitStatus),
    TimedOut,
}

/// Starts a server with `spawn(port)` on a free port, again on another if it exits before it
/// listens (up to 3 tries); panics naming `what` if it never does.
pub async fn start_on_free_port(what: &str, timeout: Duration, mut spawn: impl FnMut(u16) -> Child) -> (Child, u16) {
    let mut last = None;
    for _ in 0..3 {
        let port = free_port();
        let mut child = spawn(port);
        match wait_listening(&mut child, port, timeout).await {
            Ok(()) => return (child, port),
            Err(NotListening::Exited(status)) => last = Some(status),
            Err(NotListening::TimedOut) => panic!("{what} did not listen on port {port} within {timeout:?}"),
        }
    }
    panic!("{what} kept exiting before it listened (last: {last:?})")
}

/// Waits until `child` (or a process it started) listens on `port`.
pub async fn wait_listening(child: &mut Child, port: u16, timeout: Duration) -> Result<(), NotListening> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(NotListening::Exited(status));
        }
        if child.id().is_some_and(|pid| listens(pid, port)) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(NotListening::TimedOut);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether process `pid` or one of its descendants holds the socket listening on TCP `port`.
pub fn listens(pid: u32, port: u16) -> bool {
    let sockets = listening_sockets(port);
    !sockets.is_empty() && with_descendants(pid).into_iter().any(|pid| holds_any(pid, &sockets))
}

/// `socket:[inode]` of each socket in state LISTEN (0A) on `port`, IPv4 or IPv6.
fn listening_sockets(port: u16) -> HashSet<String> {
    let tables = ["/proc/net/tcp", "/proc/net/tcp6"].map(|path| std::fs::read_to_string(path).unwrap_or_default());
    tables
        .iter()
        .flat_map(|table| table.lines().skip(1))
        .filter_map(|line| {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
            let columns: Vec<&str> = line.split_whitespace().collect();
            let local_port = u16::from_str_radix(columns.get(1)?.rsplit(':').next()?, 16).ok()?;
            let inode = columns.get(9)?;
            (local_port == port && *columns.get(3)? == "0A").then(|| format!("socket:[{inode}]"))
        })
        .collect()
}

fn holds_any(pid: u32, sockets: &HashSet<String>) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| sockets.contains(target.to_string_lossy().as_ref())))
}

/// `pid` and every process below it (honcho's children, a shell's).
fn with_descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let child: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((child, ppid))
        })
        .collect();
    let mut family = vec![pid];
    let mut next = 0;
    while next < family.len() {
        let parent = family[next];
        family.extend(parents.iter().filter(|(_, ppid)| *ppid == parent).map(|(child, _)| *child));
        next += 1;
    }
    family
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_is_found_in_its_own_process_and_not_in_another() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(listens(std::process::id(), port), "this process listens on {port}");
        let other = tokio::process::Command::new("sleep").arg("5").kill_on_drop(true).spawn().unwrap();
        assert!(!listens(other.id().unwrap(), port), "sleep holds no socket");
        drop(listener);
        assert!(!listens(std::process::id(), port), "nobody listens once it is closed");
    }

    #[tokio::test]
    async fn a_server_whose_port_is_taken_exits_and_is_started_on_another() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken_port = taken.local_addr().unwrap().port();
        let mut tries = Vec::new();
        let (_server, port) = start_on_free_port("python's http.server", Duration::from_secs(20), |port| {
            // The first try is given the taken port, as a race would give it.
            let port = if tries.is_empty() { taken_port } else { port };
            tries.push(port);
            tokio::process::Command::new("python3")
                .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap()
        })
        .await;
        assert_eq!(tries.len(), 2, "{tries:?}");
        assert_ne!(port, taken_port);
    }
}
