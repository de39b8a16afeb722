//! A property test of the push host's cache: random sequences of bookings, class ends,
//! downloads that finish or fail, cache manager passes and restarts with a scan, run on the
//! real code (a SQLite index and a `VIDEO_ROOT` in a temp dir) over a cache small enough to
//! evict, the invariants checked after every step (`check.rs`) against a model (`model.rs`).

mod check;
mod harness;
mod model;
mod steps;

use proptest::prelude::*;

use harness::Harness;
use model::PATHS;

const CLASSES: u8 = 8;

/// What happens to the disk by hand before a restart.
#[derive(Debug, Clone, Copy)]
pub(super) enum Disk {
    Nothing,
    DeleteUnreferenced(u8),
    Add(u8),
    Unknown(u8),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Step {
    Book { class: u8, video: usize },
    End { class: u8 },
    Finish { pick: u8 },
    Fail { pick: u8, keep_part: bool },
    Evict,
    Restart { crash: bool, disk: Disk },
}

fn disk() -> impl Strategy<Value = Disk> {
    prop_oneof![
        1 => Just(Disk::Nothing),
        2 => any::<u8>().prop_map(Disk::DeleteUnreferenced),
        1 => any::<u8>().prop_map(Disk::Add),
        1 => any::<u8>().prop_map(Disk::Unknown),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..CLASSES, 0..PATHS.len()).prop_map(|(class, video)| Step::Book { class, video }),
        3 => (0..CLASSES).prop_map(|class| Step::End { class }),
        3 => any::<u8>().prop_map(|pick| Step::Finish { pick }),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(pick, keep_part)| Step::Fail { pick, keep_part }),
        2 => Just(Step::Evict),
        1 => (any::<bool>(), disk()).prop_map(|(crash, disk)| Step::Restart { crash, disk }),
    ]
}

#[derive(Debug, Clone)]
pub(super) struct Case {
    bytes: Vec<u64>,
    max_count: u64,
    max_bytes: u64,
    low_water: f64,
    steps: Vec<Step>,
}

fn case() -> impl Strategy<Value = Case> {
    let low_water = prop_oneof![Just(0.5), Just(0.75), Just(1.0)];
    let sizes = proptest::collection::vec(1..=24u64, PATHS.len());
    let steps = proptest::collection::vec(step(), 1..=40);
    (sizes, 1..=4u64, 24..=100u64, low_water, steps).prop_map(|(bytes, max_count, max_bytes, low_water, steps)| Case {
        bytes,
        max_count,
        max_bytes,
        low_water,
        steps,
    })
}

async fn run_case(case: &Case) {
    let mut h = Harness::open(case.bytes.clone(), case.max_count, case.max_bytes, case.low_water).await;
    h.check().await;
    for step in &case.steps {
        match *step {
            Step::Book { class, video } => h.book(class, video).await,
            Step::End { class } => h.end(class).await,
            Step::Finish { pick } => h.finish(pick).await,
            Step::Fail { pick, keep_part } => h.fail(pick, keep_part).await,
            Step::Evict => h.evict().await,
            Step::Restart { crash, disk } => h.restart(crash, disk).await,
        }
        h.check().await;
    }
}

fn run(case: &Case) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run_case(case));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_cache_keeps_its_invariants(case in case()) {
        run(&case);
    }
}

/// The first sequence the property found: on a fresh index the claim's reserved count was
/// lost (`store::add` updated a totals row that did not exist yet).
#[test]
fn the_first_claim_on_a_fresh_index_is_counted() {
    let steps = vec![Step::Book { class: 0, video: 0 }];
    run(&Case { bytes: vec![1; PATHS.len()], max_count: 1, max_bytes: 20, low_water: 0.5, steps });
}
