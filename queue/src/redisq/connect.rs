//! The Redis connection a process's queues share, as `Queues` opens it: RESP3, so that it
//! carries the commands' replies and the messages that wake the process's per-node queues
//! (`hub.rs`) together, one connection in all for a push host.

use std::time::Duration;

use redis::{
    Client, IntoConnectionInfo, RedisError,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use super::WakeHub;

/// redis-rs waits 500 ms by default, which under load turned into fatal stream errors that
/// silently stopped worker pools (apalis-redis #76).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// The client (RESP3: a shared queue's worker opens its blocking pop's connection from it),
/// the queues' connection, and the hub that hears that connection's messages.
pub async fn connect(url: &str) -> Result<(Client, ConnectionManager, WakeHub), RedisError> {
    let info = url.into_connection_info()?;
    let resp3 = info.redis_settings().clone().set_protocol(redis::ProtocolVersion::RESP3);
    let client = Client::open(info.set_redis_settings(resp3))?;
    let (hub, pushes) = WakeHub::new();
    let config = ConnectionManagerConfig::new()
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_number_of_retries(2)
        .set_push_sender(pushes);
    let conn = client.get_connection_manager_with_config(config).await?;
    hub.connected(conn.clone());
    Ok((client, conn, hub))
}
