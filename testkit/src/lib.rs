//! What only vteacher's tests (and benches) use: stand-ins for services that cannot run on a
//! test machine, and launchers for the real ones that can. A dev-dependency only: nothing here
//! ships in the `vteacher` binary.
//!
//! - `moto`: a real S3-compatible server (moto) on a free loopback port, and an independent S3
//!   client (aws-sdk-s3) to check what the code under test wrote.
//! - `mps_standin`: a local Aliyun MPS that checks every request's signature as Aliyun
//!   documents it.
//! - `ports`: servers started on a port of their own, up only once their own process listens.

pub mod moto;
pub mod mps_standin;
pub mod ports;
