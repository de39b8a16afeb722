//! How long a failed job waits before its next run: exponential, capped, with jitter so that a
//! crowd of failed jobs does not come back at the same instant.

use std::time::Duration;

const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The delay before attempt `attempt + 1`: `base × 2^(attempt-1)`, capped, ±20% jitter so
/// a crowd of failed jobs does not come back at the same instant.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    jittered(base, attempt, fastrand::f64())
}

/// The same delay for the job `task_id`, its jitter fixed by the id and the attempt: the
/// runner that shows when the next attempt is due and the backend that schedules it agree.
pub(crate) fn backoff_for(base: Duration, attempt: u32, task_id: &str) -> Duration {
    // FNV-1a: stable across processes and builds (std's hasher promises neither).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in task_id.bytes().chain(attempt.to_le_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    jittered(base, attempt, (hash >> 11) as f64 / (1u64 << 53) as f64)
}

fn jittered(base: Duration, attempt: u32, unit: f64) -> Duration {
    let exponential = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    exponential.min(MAX_BACKOFF).mul_f64(0.8 + unit * 0.4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let base = Duration::from_secs(2);
        for attempt in 1..=4u32 {
            let want = 2.0 * f64::from(2u32.pow(attempt - 1));
            let got = backoff(base, attempt).as_secs_f64();
            assert!(got >= want * 0.8 && got <= want * 1.2, "attempt {attempt}: {got}");
        }
        assert!(backoff(base, 40) <= MAX_BACKOFF.mul_f64(1.2));
    }

    #[test]
    fn a_jobs_backoff_is_the_same_wherever_it_is_computed_and_spread_across_jobs() {
        let base = Duration::from_secs(2);
        let delays: Vec<Duration> = (0..50).map(|n| backoff_for(base, 1, &format!("job-{n}"))).collect();
        for (n, delay) in delays.iter().enumerate() {
            assert_eq!(*delay, backoff_for(base, 1, &format!("job-{n}")), "the runner and the backend agree");
            assert!(*delay >= base.mul_f64(0.8) && *delay <= base.mul_f64(1.2), "{delay:?}");
        }
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 40, "jitter still spreads a crowd: {} distinct of 50", distinct.len());
        assert_ne!(backoff_for(base, 1, "job-1"), backoff_for(base, 2, "job-1").div_f64(2.0));
    }
}
