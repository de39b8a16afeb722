//! Nothing lost, nothing twice (issue 6 of 8): whatever arrives twice, one download and one
//! result per booking outcome; every commit-then-enqueue has a repair; a failure is recorded
//! even when recording it fails at first.

mod duplicates;
mod end_during_placement;
mod give_up;
mod lost;
mod placement;
mod repair;
mod sent_marks;
