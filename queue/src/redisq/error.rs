//! What can go wrong between a queue and Redis.

#[derive(Debug, thiserror::Error)]
pub enum RedisQueueError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply from Redis: {0}")]
    Parse(#[from] redis::ParsingError),
    #[error("unexpected reply from the {0} script")]
    BadReply(String),
    #[error("a fetch made ahead or an acknowledgement did not finish: {0}")]
    Ahead(#[from] tokio::task::JoinError),
}
