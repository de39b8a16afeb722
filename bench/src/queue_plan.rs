//! The runs `vteacher-bench queue` makes, in order: one list, so that its progress bar counts
//! what the loop runs (they were two things to keep in step).

use crate::queue_drain::Fetching;

/// One run: a contender draining `backlog` jobs at `concurrency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// vteacher's queue, with `workers` workers sharing `concurrency`.
    Ours { backlog: u64, concurrency: usize, fetching: Fetching, workers: usize },
    /// BullMQ, keeping completed jobs or not.
    BullMq { backlog: u64, concurrency: usize, keep: bool },
    /// apalis-redis 1.0.0 (feature `compare-apalis-redis`).
    Apalis { backlog: u64, concurrency: usize },
}

/// For each concurrency level: ours as the product fetches for short and for long jobs, at a
/// larger batch when `min_batch` exceeds the level, split over `split` workers when asked; then
/// BullMQ without and with kept jobs; then apalis-redis (and both again on `small_backlog`).
pub(super) fn plan(
    backlog: u64,
    concurrency: &[usize],
    min_batch: usize,
    small_backlog: u64,
    split: usize,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for &c in concurrency {
        let c = c.max(1);
        let ours = |fetching, workers| Step::Ours { backlog, concurrency: c, fetching, workers };
        steps.extend([ours(Fetching::Ahead, 1), ours(Fetching::Batch(c), 1)]);
        if min_batch > c {
            steps.push(ours(Fetching::Batch(min_batch), 1));
        }
        if split > 1 && c >= split {
            steps.push(ours(Fetching::Batch(c / split), split));
        }
        steps.extend([false, true].map(|keep| Step::BullMq { backlog, concurrency: c, keep }));
        if cfg!(feature = "compare-apalis-redis") {
            steps.push(Step::Apalis { backlog, concurrency: c });
            if small_backlog > 0 && small_backlog < backlog {
                let small =
                    Step::Ours { backlog: small_backlog, concurrency: c, fetching: Fetching::Batch(c), workers: 1 };
                steps.extend([small, Step::Apalis { backlog: small_backlog, concurrency: c }]);
            }
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_runs_ours_twice_then_bullmq_twice_and_the_extras_only_when_asked() {
        let steps = plan(1000, &[1, 8], 4, 0, 4);
        let at = |c: usize| {
            steps.iter().filter(|s| matches!(s, Step::Ours { concurrency, .. } | Step::BullMq { concurrency, .. } if *concurrency == c)).count()
        };
        // c=1: min_batch 4 > 1 adds a batch-4 run; split 4 needs c ≥ 4. c=8: the split run.
        assert_eq!((at(1), at(8)), (5, 5));
        assert!(steps.contains(&Step::Ours {
            backlog: 1000,
            concurrency: 8,
            fetching: Fetching::Batch(2),
            workers: 4
        }));
        assert_eq!(steps[0], Step::Ours { backlog: 1000, concurrency: 1, fetching: Fetching::Ahead, workers: 1 });
    }

    #[test]
    fn a_level_of_zero_runs_at_one() {
        assert!(plan(10, &[0], 1, 0, 1).iter().all(|s| !matches!(s, Step::Ours { concurrency: 0, .. })));
    }
}
