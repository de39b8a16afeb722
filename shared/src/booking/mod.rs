//! Bookings: taking them in, the decision of what each needs, and what is reported back.

pub mod apply;
pub mod decision;
pub mod intake;
pub mod results;
pub mod store;
pub mod sweep;

pub use decision::{Decision, Transcode, decide};
pub use intake::{IntakeError, Submitted, submit};
pub use results::{BookingStatus, wire_result};
