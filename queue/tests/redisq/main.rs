//! The engine's own Redis backend, below the interface the semantics suite tests: leases and
//! their renewal, fetching ahead, chunked scripts, idle workers' cost, Redis work per job, a
//! drain longer than the lease, an idempotency key. Workers here are apalis workers on a
//! `RedisQueue` with test handlers, on a queue of each test's own.

mod harness;

mod ahead;
mod backend;
mod child;
mod chunks;
mod costs;
mod drain;
mod idle;
mod leases;
