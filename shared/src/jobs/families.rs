//! The counter and histogram families every process shows from its start, at zero: a
//! dashboard then reads "0 alarms" and "no transcode yet", not "no data" (which also hides a
//! scrape that broke). Gauges need nothing here: they are set at scrape time.

use sea_orm::Iterable;

use super::JOBS;
use crate::{domain::Provider, tools::alarm, transcode::result::Change};
use vteacher_queue::OUTCOMES;

/// Registers every label set known ahead: each queue's outcomes, runs and run durations, each
/// transcode result's effect, each provider's transcode duration, each alarm kind, each kind
/// of node report that can be refused.
pub fn register_metric_families() {
    for job in JOBS {
        for outcome in OUTCOMES {
            metrics::counter!("vteacher_jobs_total", "queue" => job.queue, "outcome" => outcome).increment(0);
        }
        metrics::counter!("vteacher_job_runs_total", "queue" => job.queue).increment(0);
        for dependency in [crate::db::THE_DATABASE, "Redis"] {
            metrics::counter!("vteacher_job_waits_total", "queue" => job.queue, "dependency" => dependency)
                .increment(0);
        }
        let _ = metrics::histogram!("vteacher_job_duration_seconds", "queue" => job.queue);
    }
    for effect in Change::NAMES {
        metrics::counter!("vteacher_transcode_results_total", "effect" => effect).increment(0);
    }
    for provider in Provider::iter() {
        let _ = metrics::histogram!("vteacher_transcode_duration_seconds", "provider" => provider.as_str());
    }
    for report in ["ready", "failed", "ended"] {
        metrics::counter!("vteacher_reports_refused_total", "report" => report).increment(0);
    }
    for kind in alarm::KINDS {
        metrics::counter!("vteacher_alarms_total", "kind" => kind).increment(0);
    }
}
