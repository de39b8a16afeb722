//! What a Redis ACL user needs to work some queues and push to others, and nothing more
//! (Redis 7: selectors, `%W~` write-only keys). Every Redis call of the engine, in a script or
//! not, is checked against the calling user's rules, the keys a script builds in Lua
//! (`{Q}:j:<id>`, `{Q}:idem:<k>`) included; so a queue's own keys are granted by their hash tag
//! (`{Q}:*`), and a queue pushed to only gets its keys a command at a time, write-only where
//! Redis allows: a pusher can add jobs but neither read, take nor drop anyone's.
//!
//! A script call (EVALSHA) needs read and write on each key it declares (Redis's key specs for
//! EVAL), whatever the script then does with it: that is why the declared keys of a queue
//! pushed to are in a selector of their own with EVALSHA and nothing else.

use std::collections::BTreeSet;

/// How a key pattern is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// `~`: read and write.
    ReadWrite,
    /// `%W~`: write only (adding to a list or a set, setting a field).
    Write,
}

/// One key pattern, escaped for Redis's glob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyPattern {
    access: Access,
    glob: String,
}

impl KeyPattern {
    /// Exactly the key `key`.
    pub fn exact(access: Access, key: &str) -> Self {
        Self { access, glob: glob_escape(key) }
    }

    /// Every key that starts with `start`.
    pub fn starting(access: Access, start: &str) -> Self {
        Self { access, glob: format!("{}*", glob_escape(start)) }
    }

    fn render(&self) -> String {
        match self.access {
            Access::ReadWrite => format!("~{}", self.glob),
            Access::Write => format!("%W~{}", self.glob),
        }
    }
}

/// Commands allowed on keys: the user's root rule, or one selector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    pub commands: BTreeSet<&'static str>,
    pub keys: BTreeSet<KeyPattern>,
}

impl Rule {
    pub fn new(commands: &[&'static str], keys: impl IntoIterator<Item = KeyPattern>) -> Self {
        Self { commands: commands.iter().copied().collect(), keys: keys.into_iter().collect() }
    }

    fn render(&self) -> Vec<String> {
        let commands = self.commands.iter().map(|c| format!("+{}", c.to_lowercase()));
        commands.chain(self.keys.iter().map(KeyPattern::render)).collect()
    }
}

/// An ACL user's rules: a root rule and selectors; a command passes when one of them allows
/// it with every key it touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclRules {
    pub root: Rule,
    pub selectors: Vec<Rule>,
    /// Pub/sub channels (`&`), exactly these: the signals of the queues it works (a per-node
    /// queue's: it subscribes to them, its scripts publish them). A queue it only pushes to
    /// gets none: a push host pushes to the shared report queue only, whose signal is a list
    /// (a user limited so could not push to a per-node queue).
    pub channels: BTreeSet<String>,
}

impl AclRules {
    /// Adds `rule` as a selector (an empty one is dropped).
    pub fn select(&mut self, rule: Rule) {
        if !rule.commands.is_empty() && !rule.keys.is_empty() {
            self.selectors.push(rule);
        }
    }

    /// The arguments of `ACL SETUSER <user>` after the user's name: enabled, with the password
    /// given by its SHA-256 (`#<hex>`: the line can be shown and stored without the password),
    /// every earlier rule reset, no channel, no command but these.
    pub fn setuser_args(&self, password_sha256_hex: &str) -> Vec<String> {
        let mut args: Vec<String> =
            ["reset", "on", &format!("#{password_sha256_hex}"), "resetkeys", "resetchannels", "-@all"]
                .map(str::to_owned)
                .to_vec();
        args.extend(self.root.render());
        args.extend(self.channels.iter().map(|channel| format!("&{}", glob_escape(channel))));
        args.extend(self.selectors.iter().map(|rule| format!("({})", rule.render().join(" "))));
        args
    }
}

/// Keyless commands every process of the queues sends: the fitness check (`requirements.rs`:
/// INFO), a liveness probe, Redis's clock (every script), loading a script Redis forgot.
pub const CONNECTION_COMMANDS: &[&str] = &["PING", "INFO", "TIME", "SCRIPT|LOAD"];

/// A per-node queue's signal is a channel (`hub.rs`): its host subscribes to it on its one
/// connection; the scripts of its workers and of its pushers publish it.
pub const SIGNAL_COMMANDS: &[&str] = &["PUBLISH", "SUBSCRIBE", "UNSUBSCRIBE"];

/// What a worker sends on its own queue's keys: its scripts (fetch, ack, renew, alive, push
/// of its own retries) and its calls (the wake-up's blocking pop, leaving the workers set).
pub const WORKER_COMMANDS: &[&str] = &[
    "BLPOP",
    "DEL",
    "EXISTS",
    "GET",
    "HGET",
    "HMGET",
    "HSET",
    "LLEN",
    "LPOP",
    "LPUSH",
    "PEXPIRE",
    "RPUSH",
    "SET",
    "ZADD",
    "ZCARD",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZREM",
    "ZREMRANGEBYSCORE",
];

/// The rules of a process that works the queues `work` (full names, `queue_name`) and pushes
/// jobs without an idempotency key to the queues `push`, the queues' registry (the set a
/// pushing process and a starting worker add their queue to) included; `prefix` is QUEUE_PREFIX.
pub fn rules(prefix: &str, work: &[String], push: &[String]) -> AclRules {
    let registry = &super::keys::registry(prefix);
    let tag = |queue: &str| format!("{{{queue}}}");
    let own: Vec<KeyPattern> =
        work.iter().map(|q| KeyPattern::starting(Access::ReadWrite, &format!("{}:", tag(q)))).collect();
    let mut acl = AclRules { root: Rule::new(CONNECTION_COMMANDS, []), ..AclRules::default() };
    acl.root.commands.extend(WORKER_COMMANDS);
    acl.root.commands.extend(SIGNAL_COMMANDS);
    acl.channels.extend(work.iter().map(|queue| format!("{}:signal", tag(queue))));
    acl.root.keys.extend(own.iter().cloned());
    // Every script declaring a key: one of the worker's own, or one that push.lua declares.
    let mut scripts = Rule::new(&["EVALSHA", "EVAL"], own);
    let (mut lists, mut jobs, mut signals) = (Rule::default(), Rule::default(), Rule::default());
    for queue in push {
        let key = |name: &str| format!("{}:{name}", tag(queue));
        for declared in ["pending", "delayed", "signal"] {
            scripts.keys.insert(KeyPattern::exact(Access::ReadWrite, &key(declared)));
        }
        lists.keys.insert(KeyPattern::exact(Access::Write, &key("pending")));
        lists.keys.insert(KeyPattern::exact(Access::Write, &key("delayed")));
        jobs.keys.insert(KeyPattern::starting(Access::Write, &key("j:")));
        signals.keys.insert(KeyPattern::exact(Access::ReadWrite, &key("signal")));
    }
    acl.select(scripts);
    acl.select(Rule::new(&["SADD"], [KeyPattern::exact(Access::Write, registry)]));
    // A due job joins the pending list, a delayed one the delayed set (the wrong type for the
    // other command: Redis refuses it), its record is written, idle workers are woken.
    acl.select(Rule { commands: ["RPUSH", "ZADD"].into(), ..lists });
    acl.select(Rule { commands: ["HSET"].into(), ..jobs });
    // A token is added where none waits (prelude.lua's `signal`).
    acl.select(Rule { commands: ["LLEN", "LPUSH"].into(), ..signals });
    acl
}

/// `text` with Redis's glob characters escaped, so that a queue or prefix holding one matches
/// only itself.
pub fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pusher_gets_write_only_keys_and_its_scripts_declared_keys() {
        let acl = rules("p", &["p:download:n1".into()], &["p:node-report".into()]);
        let line = acl.setuser_args("ab").join(" ");
        assert!(line.starts_with("reset on #ab resetkeys resetchannels -@all "), "{line}");
        assert!(line.contains(" ~{p:download:n1}:*"), "{line}");
        assert!(line.contains("(+hset %W~{p:node-report}:j:*)"), "{line}");
        assert!(line.contains("(+sadd %W~p:queues)"), "{line}");
        assert!(!line.contains("~{p:node-report}:*"), "no blanket grant on a queue pushed to: {line}");
        assert!(line.contains(" &{p:download:n1}:signal"), "its own queue's signal channel: {line}");
        assert!(!line.contains("&*"), "no other channel: {line}");
    }

    #[test]
    fn glob_characters_match_only_themselves() {
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
