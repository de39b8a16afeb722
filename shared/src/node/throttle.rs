//! Paces a download to `DOWNLOAD_RATE` with governor's GCRA. Bytes are counted in 1 KiB
//! cells, so the replenish period (1 KiB ÷ rate, in whole nanoseconds) stays exact to well
//! under 0.1% from 1 KiB/s to hundreds of MiB/s.

use std::{num::NonZeroU32, time::Duration};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::config::Rate;

const CELL: u64 = 1024;
/// At most this much may go through at once, so a 5 s window is off by < 0.4% at 1000k.
const BURST_CELLS: u32 = 16;

pub(super) struct Throttle {
    limiter: Option<DefaultDirectRateLimiter>,
    carry: u64,
}

impl Throttle {
    pub(super) fn new(rate: Rate) -> Self {
        let limiter = rate.bytes_per_sec().map(|bytes_per_sec| {
            let nanos_per_cell = (CELL as u128 * 1_000_000_000) / bytes_per_sec.max(1) as u128;
            let period = Duration::from_nanos(nanos_per_cell.max(1) as u64);
            let burst = NonZeroU32::new(BURST_CELLS).expect("non-zero");
            let quota = Quota::with_period(period).expect("non-zero period").allow_burst(burst);
            RateLimiter::direct(quota)
        });
        Self { limiter, carry: 0 }
    }

    /// Waits until `bytes` more may be taken.
    pub(super) async fn take(&mut self, bytes: usize) {
        let Some(limiter) = &self.limiter else { return };
        self.carry += bytes as u64;
        let mut cells = self.carry / CELL;
        self.carry %= CELL;
        while cells > 0 {
            let step = cells.min(u64::from(BURST_CELLS)) as u32;
            let n = NonZeroU32::new(step).expect("step > 0");
            // `step` never exceeds the burst, so this cannot fail.
            let _ = limiter.until_n_ready(n).await;
            cells -= u64::from(step);
        }
    }
}
