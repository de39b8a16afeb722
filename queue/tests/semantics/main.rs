//! The engine's semantics, one suite run against every backend the product uses: its own Redis
//! queues and apalis-sqlite. Each case is written once, against the engine's public interface
//! (`Queues`, `Workers`, `Job`), and runs as `<case>::redis` and `<case>::sqlite`, as River's
//! driver tests run one suite over each of its drivers.

mod cases;
mod fixture;
