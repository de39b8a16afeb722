//! What a transcode result does (docs/design/bookings-and-transcodes.md "Transcode results"),
//! as a pure function; also what a passed deadline does, which is a result vteacher gives
//! itself.

use crate::{
    db::transcodes,
    domain::{Provider, SourceUrl, TranscodeOutcome, TranscodeResult, TranscodeState},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// No such transcode: raise an alarm, keep the message for inspection, change nothing.
    Unknown,
    /// Mark it succeeded with `url`; every waiting booking goes on to normal booking. `late`:
    /// it had timed out or failed already (its bookings were failed then; later ones use it).
    Succeed { url: SourceUrl, late: bool },
    /// The cloud failed: submit to our own ffmpeg workers (it stays transcoding).
    ToEcs { reason: String },
    /// Our own workers failed: mark it failed; every waiting booking fails with `reason`.
    Fail { reason: String },
    /// The ecs deadline passed: mark it timed out; every waiting booking fails.
    TimeOut { reason: String },
    /// A duplicate or stale result: nothing changes.
    Ignore { why: String },
}

impl Change {
    /// Every name `name` gives (the `effect` label of `vteacher_transcode_results_total`).
    pub const NAMES: [&str; 6] = ["unknown", "succeed", "to_ecs", "fail", "time_out", "ignore"];

    /// A stable name, for metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Succeed { .. } => "succeed",
            Self::ToEcs { .. } => "to_ecs",
            Self::Fail { .. } => "fail",
            Self::TimeOut { .. } => "time_out",
            Self::Ignore { .. } => "ignore",
        }
    }
}

pub fn on_result(current: Option<&transcodes::Model>, result: &TranscodeResult) -> Change {
    let Some(current) = current else {
        return Change::Unknown;
    };
    match (&result.outcome, current.state) {
        (TranscodeOutcome::Succeeded { .. }, TranscodeState::Succeeded) => {
            Change::Ignore { why: "duplicate: already succeeded".into() }
        }
        (TranscodeOutcome::Succeeded { url }, state) => {
            Change::Succeed { url: url.clone(), late: state != TranscodeState::Transcoding }
        }
        (TranscodeOutcome::Failed { .. }, state) if state != TranscodeState::Transcoding => {
            Change::Ignore { why: format!("a failure for a transcode that is {state:?}, not in progress") }
        }
        (TranscodeOutcome::Failed { reason }, _) => on_failure(current, result.provider, reason),
    }
}

fn on_failure(current: &transcodes::Model, provider: Provider, reason: &str) -> Change {
    let now_with = current.provider;
    if now_with != Some(provider) {
        return Change::Ignore { why: format!("stale {provider} failure: the transcode is with {now_with:?}") };
    }
    match provider {
        Provider::Oss => Change::ToEcs { reason: reason.to_owned() },
        Provider::Ecs => Change::Fail { reason: reason.to_owned() },
    }
}

/// What a passed deadline means for a transcode in progress: an oss deadline is an oss
/// failure (on to ecs); an ecs deadline times it out. `None` when nothing is due.
pub fn on_deadline(current: &transcodes::Model, now: i64) -> Option<Change> {
    let due = current.state == TranscodeState::Transcoding && current.deadline_at.is_some_and(|d| d <= now);
    if !due {
        return None;
    }
    let with = current.provider.unwrap_or(Provider::Oss);
    let reason = format!("the {with} transcode of record {} {} timed out", current.record_id, current.resolution);
    Some(if with == Provider::Ecs { Change::TimeOut { reason } } else { Change::ToEcs { reason } })
}

#[cfg(test)]
mod tests;
