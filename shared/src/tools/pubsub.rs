//! Redis pub/sub: the legacy channels. `Publisher` sends; `subscribe` listens (the bridge).

use std::time::Duration;

use futures::{Stream, StreamExt};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::domain::Retryable;

#[derive(Debug, thiserror::Error)]
#[error("publish on {channel}: {source}")]
pub struct PublishError {
    channel: String,
    source: redis::RedisError,
}

/// Redis may be back in a moment.
impl Retryable for PublishError {
    fn is_retryable(&self) -> bool {
        true
    }
}

#[derive(Clone)]
pub struct Publisher {
    conn: ConnectionManager,
}

impl Publisher {
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_connection_timeout(Some(Duration::from_secs(5)));
        let conn = redis::Client::open(url)?.get_connection_manager_with_config(config).await?;
        Ok(Self { conn })
    }

    /// Publishes `message` on `channel`; returns how many subscribers got it.
    pub async fn publish(&self, channel: &str, message: &serde_json::Value) -> Result<u64, PublishError> {
        let mut conn = self.conn.clone();
        let published = redis::cmd("PUBLISH").arg(channel).arg(message.to_string()).query_async(&mut conn).await;
        published.map_err(|source| PublishError { channel: channel.to_owned(), source })
    }
}

/// One message from a subscribed channel.
#[derive(Debug, Clone)]
pub struct Message {
    pub channel: String,
    pub payload: Vec<u8>,
}

/// Subscribes to `channels`; the stream ends when the connection is lost.
pub async fn subscribe(
    url: &str,
    channels: &[String],
) -> Result<impl Stream<Item = Message> + Send + use<>, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let mut pubsub = client.get_async_pubsub().await?;
    for channel in channels {
        pubsub.subscribe(channel).await?;
    }
    Ok(pubsub
        .into_on_message()
        .map(|msg| Message { channel: msg.get_channel_name().to_owned(), payload: msg.get_payload_bytes().to_vec() }))
}
