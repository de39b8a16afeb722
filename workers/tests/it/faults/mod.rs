//! The everyday faults of a fleet, each at the default settings with every timer divided by
//! one factor (`FACTOR`: the defaults' ratios kept, no timer tuned for a test). Each asserts
//! what a school would see: every booking settles within its bound, none failed because of the
//! fault, no push host downloaded a video twice, no job ran twice at once.

mod backlog;
mod clock_skew;
mod dead_host;
mod disk_fills;
mod disk_unmounted;
mod evicting_redis;
mod index_lost;
mod postgres_away;
mod redis_forgets;

/// Every timer of the defaults divided by this. 10 is as far as it goes: QUEUE_LEASE may not
/// be below 3 s (30 s by default).
pub(crate) const FACTOR: u32 = 10;
