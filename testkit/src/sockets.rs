//! A process's TCP connections, read from /proc: how many it holds to a server.

use std::collections::HashSet;

/// The remote ports of a process's established TCP connections (IPv4 and IPv6), from its
/// socket descriptors matched against the kernel's connection tables.
pub fn tcp_remote_ports(pid: u32) -> Vec<u16> {
    tcp_connections(pid).into_iter().map(|(_, remote)| remote).collect()
}

/// The (local, remote) ports of a process's established TCP connections.
pub fn tcp_connections(pid: u32) -> Vec<(u16, u16)> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let inodes: HashSet<String> = fds
        .filter_map(|fd| {
            let target = std::fs::read_link(fd.ok()?.path()).ok()?;
            let target = target.to_str()?;
            Some(target.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(local), Some(remote), Some(state), Some(inode)) =
                (fields.get(1), fields.get(2), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if *state != "01" || !inodes.contains(*inode) {
                continue;
            }
            let port = |address: &str| address.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if let (Some(local), Some(remote)) = (port(local), port(remote)) {
                ports.push((local, remote));
            }
        }
    }
    ports
}
