//! The defaults' timers, all divided by one factor: how fault tests and fire drills run the
//! defaults faster without changing a single ratio between timers (a timer tuned alone would
//! hide the very defect a school hits at the defaults).

use super::{Settings, Span};

/// Durations among the settings that are not timers: how long a video may be is the same
/// video at any speed.
const NOT_TIMERS: [&str; 1] = ["MAX_SOURCE_DURATION"];

/// Every duration among the default settings divided by `factor`, as `KEY=value` pairs.
pub fn scaled_timers(factor: u32) -> Vec<(String, String)> {
    Settings::default()
        .describe()
        .into_iter()
        .filter_map(|(key, value)| {
            // A duration has a unit (`30s`); a bare number is a count or a size.
            if !value.ends_with(|c: char| c.is_ascii_alphabetic()) || NOT_TIMERS.contains(&key.as_str()) {
                return None;
            }
            let span: Span = value.parse().ok()?;
            Some((key, Span(span.0 / factor.max(1)).to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::scaled_timers;

    #[test]
    fn every_default_timer_is_divided_and_nothing_else() {
        let scaled: std::collections::HashMap<_, _> = scaled_timers(10).into_iter().collect();
        assert_eq!(scaled["NODE_WAIT"], "1m");
        assert_eq!(scaled["QUEUE_LEASE"], "3s");
        assert_eq!(scaled["SWEEP_INTERVAL"], "3s");
        assert_eq!(scaled["JOB_BACKOFF"], "200ms");
        assert_eq!(scaled["TRANSCODE_TIMEOUT_ECS"], "12m");
        assert_eq!(scaled["SOURCE_DOWNLOAD_TIMEOUT"], "3m");
        for not_a_timer in [
            "JOB_ATTEMPTS",
            "DOWNLOAD_RATE",
            "NODE_BANDWIDTH",
            "MIN_FREE_DISK",
            "MAX_VIDEO_SIZE",
            "MAX_SOURCE_SIZE",
            "MAX_SOURCE_DURATION",
            "MAX_SOURCE_PIXELS",
            "BRIDGE_MAX_MESSAGE",
        ] {
            assert!(!scaled.contains_key(not_a_timer), "{not_a_timer}: {scaled:?}");
        }
    }
}
