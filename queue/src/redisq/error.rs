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

impl RedisQueueError {
    /// Redis is away for now (restarting, failing over, unreachable): the worker waits for it
    /// and goes on (its connection is made again), rather than stopping.
    pub fn is_outage(&self) -> bool {
        let Self::Redis(err) = self else { return false };
        err.is_io_error()
            || err.is_connection_refusal()
            || err.is_connection_dropped()
            || err.is_timeout()
            || matches!(
                err.kind(),
                redis::ErrorKind::Server(
                    redis::ServerErrorKind::BusyLoading
                        | redis::ServerErrorKind::TryAgain
                        | redis::ServerErrorKind::MasterDown
                        | redis::ServerErrorKind::ClusterDown
                        | redis::ServerErrorKind::ReadOnly
                )
            )
    }
}
