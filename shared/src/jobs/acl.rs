//! A push host's Redis ACL user (`vteacher node acl`): the keys of its own queues (every job
//! of `JOBS` run per node), its way of reporting (pushing to the shared `node-report` queue,
//! write-only: it can add a report but neither read, take nor drop anyone's), and its entries
//! in the node directory. Anything else (the booking queue, another host's queues, the
//! results) answers NOPERM.

use vteacher_queue::{
    Job, queue_name,
    redisq::acl::{self, Access, AclRules, KeyPattern, Rule},
};

use super::{JOBS, payloads::NodeReportJob};
use crate::{directory, domain::NodeId};

/// The name of `node`'s Redis user.
pub fn node_user(node: &NodeId) -> String {
    format!("vteacher-node-{node}")
}

/// The rules of `node`'s Redis user, its queues under `prefix` (QUEUE_PREFIX).
pub fn node_acl(prefix: &str, node: &NodeId) -> AclRules {
    let work: Vec<String> = JOBS
        .iter()
        .filter(|job| job.is_per_node())
        .map(|job| queue_name(prefix, job.queue, Some(node.as_str())))
        .collect();
    // A report carries no idempotency key (`NodeReportJob`): its push reads nothing back.
    let push = [queue_name(prefix, NodeReportJob::QUEUE, None)];
    let mut rules = acl::rules(prefix, &work, &push);
    for grant in directory::node_grants(prefix, node) {
        let access = if grant.write_only { Access::Write } else { Access::ReadWrite };
        let key = match grant.any_suffix {
            true => KeyPattern::starting(access, &grant.key),
            false => KeyPattern::exact(access, &grant.key),
        };
        rules.select(Rule::new(grant.commands, [key]));
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_host_reaches_its_own_queues_its_reports_and_its_entries_only() {
        let node: NodeId = "n1".parse().unwrap();
        let line = node_acl("vt", &node).setuser_args("00").join(" ");
        for own in ["~{vt:download:n1}:*", "~{vt:class-end:n1}:*", "~{vt:references:n1}:*", "(+get +set ~vt:node:n1)"] {
            assert!(line.contains(own), "{own} in {line}");
        }
        assert!(line.contains("(+hset %W~{vt:node-report}:j:*)"), "{line}");
        assert!(line.contains("(+sadd %W~vt:nodes)"), "{line}");
        for elsewhere in ["booking", "notify", "transcode", "~vt:*", "~{vt:*", "&{vt:node-report}", "&*"] {
            assert!(!line.contains(elsewhere), "{elsewhere} in {line}");
        }
        // Its queues' signals are channels it listens on (its one connection) and only those.
        let channels: Vec<&str> = line.split(' ').filter(|arg| arg.starts_with('&')).collect();
        let own = ["&{vt:class-end:n1}:signal", "&{vt:download:n1}:signal", "&{vt:references:n1}:signal"];
        assert_eq!(channels, own, "{line}");
    }
}
