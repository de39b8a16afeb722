//! What only vteacher's tests (and benches) use: stand-ins for services that cannot run on a
//! test machine, and launchers for the real ones that can. A dev-dependency only: nothing here
//! ships in the `vteacher` binary.
//!
//! - `moto`: a real S3-compatible server (moto) on a free loopback port, and an independent S3
//!   client (aws-sdk-s3) to check what the code under test wrote.
//! - `mps_standin`: a local Aliyun MPS that checks every request's signature as Aliyun
//!   documents it.
//! - `modgraph`: the workspace's module graph, read from its sources, for the architecture test.
//! - `ports`: servers started on a port of their own, up only once their own process listens.
//! - `redis`: the shared test Redis, and a redis-server of a test's own.
//! - `redis_monitor`: the commands clients send a Redis while something runs (MONITOR).
//! - `sockets`: a process's TCP connections, from /proc (how many it holds to a server).
//! - `wait`: `eventually`, a condition awaited instead of a sleep.

pub mod modgraph;
pub mod moto;
pub mod mps_standin;
pub mod ports;
pub mod redis;
pub mod redis_monitor;
pub mod sockets;
pub mod wait;

pub use wait::eventually;
