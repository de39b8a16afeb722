//! What the queues need of Redis, checked when a process connects: a Redis that evicts keys
//! under memory pressure drops queued jobs without a word (Sidekiq and BullMQ refuse it too),
//! and the scripts need Redis 6.2 (LPOP with a count, TIME inside a script that writes).

use redis::aio::ConnectionManager;

/// The oldest Redis the scripts run on.
const MIN_VERSION: (u32, u32) = (6, 2);

/// Why this Redis cannot hold the queues, when it cannot.
pub(crate) async fn unfit(conn: &mut ConnectionManager) -> Result<Option<String>, redis::RedisError> {
    // Plain INFO (its default sections hold both fields): Redis before 7 takes one section.
    let info: String = redis::cmd("INFO").query_async(conn).await?;
    Ok(judge(&info))
}

/// The verdict on an `INFO` reply.
fn judge(info: &str) -> Option<String> {
    let field = |name: &str| {
        info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim).map(str::to_owned)
    };
    let version = field("redis_version").unwrap_or_default();
    if parse_version(&version).is_some_and(|v| v < MIN_VERSION) {
        return Some(format!(
            "Redis {version} is too old: the queues need Redis {}.{} or later",
            MIN_VERSION.0, MIN_VERSION.1
        ));
    }
    match field("maxmemory_policy").as_deref() {
        None | Some("noeviction") => None,
        Some(policy) => Some(format!(
            "Redis's maxmemory-policy is {policy}: it would drop queued jobs when memory runs short; \
             the queues need `maxmemory-policy noeviction` (set it in redis.conf or with CONFIG SET)"
        )),
    }
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}

#[cfg(test)]
mod tests {
    use super::judge;

    #[test]
    fn an_evicting_policy_is_named() {
        let verdict = judge("redis_version:7.0.15\r\nmaxmemory_policy:allkeys-lru\r\n").unwrap();
        assert!(verdict.contains("allkeys-lru") && verdict.contains("noeviction"), "{verdict}");
    }

    #[test]
    fn noeviction_on_a_recent_redis_is_fit() {
        assert_eq!(judge("redis_version:7.2.4\r\nmaxmemory_policy:noeviction\r\n"), None);
    }

    #[test]
    fn an_old_redis_is_named() {
        let verdict = judge("redis_version:6.0.16\r\nmaxmemory_policy:noeviction\r\n").unwrap();
        assert!(verdict.contains("6.0.16") && verdict.contains("6.2"), "{verdict}");
    }
}
