//! The fleet's push hosts: a `vteacher work --queues download,class-end` process each, or with
//! `--virtual`, agents packed `agents_per_process` to a `vteacher-bench agents` process (each
//! agent a whole push host of its own but for the process: `agents.rs`).

use std::path::Path;

use super::{FleetOptions, procs::Procs};
use crate::agents::node_id;

/// A process of push hosts: its pid and how many it runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct NodeProc {
    pub pid: u32,
    pub hosts: usize,
}

impl NodeProc {
    /// Per host, rounded up: a figure of the process shared by its hosts.
    pub(super) fn per_host(&self, total: u64) -> u64 {
        total.div_ceil(self.hosts.max(1) as u64)
    }
}

pub(super) fn start(
    options: &FleetOptions,
    procs: &mut Procs,
    dir: &Path,
    common: &[(String, String)],
) -> anyhow::Result<Vec<NodeProc>> {
    if options.agents_per_process > 0 {
        return start_agents(options, procs, dir, common);
    }
    let mut started = Vec::with_capacity(options.nodes);
    for i in 0..options.nodes {
        let (name, root) = (node_id(i), dir.join(format!("node-{i:05}")));
        let mut pairs = common.to_vec();
        pairs.push(("NODE_ID".into(), name.clone()));
        pairs.push(("VIDEO_ROOT".into(), root.join("video").display().to_string()));
        pairs.push(("NODE_DATABASE_URL".into(), format!("sqlite://{}?mode=rwc", root.join("node.db").display())));
        let pid = procs.spawn(&name, &root, &["work", "--queues", "download,class-end"], &pairs)?;
        started.push(NodeProc { pid, hosts: 1 });
    }
    Ok(started)
}

fn start_agents(
    options: &FleetOptions,
    procs: &mut Procs,
    dir: &Path,
    common: &[(String, String)],
) -> anyhow::Result<Vec<NodeProc>> {
    let me = std::env::current_exe()?;
    let mut started = Vec::new();
    let mut first = 0;
    while first < options.nodes {
        let hosts = options.agents_per_process.min(options.nodes - first);
        let (name, root) = (format!("agents-{first:05}"), dir.join(format!("agents-{first:05}")));
        let (from, count, under) = (first.to_string(), hosts.to_string(), root.display().to_string());
        let args = ["agents", "--first", &from, "--count", &count, "--root", &under];
        let pid = procs.spawn_program(&me, &name, &root, &args, common)?;
        started.push(NodeProc { pid, hosts });
        first += hosts;
    }
    Ok(started)
}
