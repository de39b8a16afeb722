//! How an idle worker waits: a blocking pop on its queue's signal list, on a connection of
//! its own, so it wakes the moment a job is pushed and costs Redis nothing while it waits;
//! bounded by `idle_wait`, after which it looks for due retries and expired leases anyway.

use std::time::Duration;

use futures::Stream;
use redis::{AsyncConnectionConfig, Client, aio::MultiplexedConnection};

/// Yields whenever the worker should look for work.
pub fn wake_on_signal(client: Client, signal: String, wait: Duration) -> impl Stream<Item = ()> + Send + Unpin {
    let state: Option<MultiplexedConnection> = None;
    Box::pin(futures::stream::unfold(state, move |conn| {
        let (client, signal) = (client.clone(), signal.clone());
        async move {
            let mut conn = match conn {
                Some(conn) => conn,
                None => match connect(&client, wait).await {
                    Ok(conn) => conn,
                    Err(err) => {
                        tracing::warn!(%err, "cannot open the wake-up connection; polling");
                        tokio::time::sleep(wait).await;
                        return Some(((), None));
                    }
                },
            };
            let popped: Result<Option<(String, String)>, _> =
                redis::cmd("BLPOP").arg(&signal).arg(wait.as_secs_f64()).query_async(&mut conn).await;
            Some(((), popped.is_ok().then_some(conn)))
        }
    }))
}

async fn connect(client: &Client, wait: Duration) -> redis::RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(wait + Duration::from_secs(5)));
    client.get_multiplexed_async_connection_with_config(&config).await
}
