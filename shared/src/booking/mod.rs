//! Bookings: taking them in, the decision of what each needs, sending them to a push host,
//! and what is reported back. Nothing here enqueues: each step returns `Effect`s.

pub mod apply;
pub mod class_end;
pub mod decision;
pub mod dispatch;
mod error;
pub mod intake;
pub mod placed;
pub mod reports;
pub mod results;
pub mod sent_marks;
pub mod store;
pub mod sweep;

pub use decision::{Decision, Transcode, decide};
pub use error::BookingError;
pub use intake::{Submitted, TakenIn, take_in};
pub use results::{BookingStatus, wire_result};
