//! Periods of a push host's timers, jittered. Thousands of hosts started together (a deploy, a
//! power cut in a district) would otherwise beat and report in step for ever: every heartbeat
//! of the fleet in the same instant, every hourly holdings report in the same minute. Each
//! wait is drawn afresh, so hosts drift apart whatever their start.

use std::time::Duration;

/// A heartbeat's wait: between 80 % and 100 % of `period`, never longer, so a host beats at
/// least as often as `NODE_HEARTBEAT` says and its liveness (three heartbeats) keeps its margin.
pub fn heartbeat_wait(period: Duration) -> Duration {
    period.mul_f64(fastrand::f64().mul_add(0.2, 0.8))
}

/// The wait before the next full report of the holdings: between 75 % and 125 % of `period`,
/// the same on average.
pub fn holdings_wait(period: Duration) -> Duration {
    period.mul_f64(fastrand::f64().mul_add(0.5, 0.75))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(draw: fn(Duration) -> Duration, period: Duration) -> (Duration, Duration) {
        let waits: Vec<Duration> = (0..2000).map(|_| draw(period)).collect();
        (*waits.iter().min().unwrap(), *waits.iter().max().unwrap())
    }

    #[test]
    fn heartbeats_spread_over_a_fifth_of_the_period_and_never_come_late() {
        let period = Duration::from_secs(30);
        let (least, most) = spread(heartbeat_wait, period);
        assert!(least >= Duration::from_secs(24) && most <= period, "{least:?}..{most:?}");
        assert!(most - least >= Duration::from_secs(5), "the waits spread: {least:?}..{most:?}");
    }

    #[test]
    fn holdings_reports_spread_over_half_an_hour_around_the_hour() {
        let hour = Duration::from_secs(3600);
        let (least, most) = spread(holdings_wait, hour);
        assert!(least >= Duration::from_secs(2700) && most <= Duration::from_secs(4500), "{least:?}..{most:?}");
        assert!(most - least >= Duration::from_secs(1500), "the waits spread: {least:?}..{most:?}");
    }
}
