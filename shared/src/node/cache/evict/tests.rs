use super::*;

const GIB: u64 = 1 << 30;

fn limits() -> Limits {
    Limits { max_bytes: 10 * GIB, max_count: 5, min_free_bytes: GIB }
}

fn totals(used: u64, count: u64) -> Totals {
    Totals { used_bytes: used, video_count: count, ..Totals::default() }
}

fn candidates(sizes: &[u64]) -> Vec<Candidate> {
    sizes.iter().enumerate().map(|(i, &bytes)| Candidate { id: i as i64 + 1, bytes }).collect()
}

#[test]
fn fits_without_evicting_when_every_limit_has_room() {
    let plan = plan(limits(), totals(5 * GIB, 2), 100 * GIB, Need::video(GIB), &candidates(&[GIB]), true);
    assert_eq!(plan, Plan::Fits);
}

#[test]
fn evicts_least_recently_used_first_until_the_size_fits() {
    let page = candidates(&[GIB, 2 * GIB, 3 * GIB]);
    // 9 GiB used + 3 GiB new = 12 GiB: 2 GiB over, the first two candidates free 3 GiB.
    let plan = plan(limits(), totals(9 * GIB, 3), 100 * GIB, Need::video(3 * GIB), &page, true);
    assert_eq!(plan, Plan::Evict(page[..2].to_vec()));
}

#[test]
fn evicts_for_the_count_limit_even_when_bytes_fit() {
    let page = candidates(&[10, 20]);
    let plan = plan(limits(), totals(30, 5), 100 * GIB, Need::video(1), &page, true);
    assert_eq!(plan, Plan::Evict(page[..1].to_vec()));
}

#[test]
fn reservations_of_downloads_under_way_count_against_every_limit() {
    let busy = Totals { reserved_bytes: 6 * GIB, reserved_count: 1, ..totals(3 * GIB, 1) };
    // 3 used + 6 reserved + 2 new = 11 GiB: over by 1 GiB, though only 3 GiB are on disk.
    let page = candidates(&[GIB / 2, GIB]);
    assert_eq!(plan(limits(), busy, 100 * GIB, Need::video(2 * GIB), &page, true), Plan::Evict(page.clone()));
    // Free disk: 8 GiB free, 6 reserved, 1 must stay free: a 2 GiB download needs 1 GiB more.
    let roomy = Limits { max_bytes: 100 * GIB, ..limits() };
    assert_eq!(plan(roomy, busy, 8 * GIB, Need::video(2 * GIB), &page, true), Plan::Evict(page.clone()));
}

#[test]
fn a_page_that_is_not_enough_is_evicted_whole_and_planned_again() {
    let page = candidates(&[1, 1]);
    let plan = plan(limits(), totals(10 * GIB, 2), 100 * GIB, Need::video(GIB), &page, false);
    assert_eq!(plan, Plan::Evict(page));
}

#[test]
fn full_names_the_limit_and_its_numbers() {
    // Everything on the node is referenced: no candidate.
    let busy = Totals { referenced_bytes: 9 * GIB, ..totals(9 * GIB, 2) };
    let Plan::Full(full) = plan(limits(), busy, 100 * GIB, Need::video(2 * GIB), &[], true) else { panic!() };
    assert_eq!(full, Full { limit: Limit::Size, needed: 2 * GIB, held: 9 * GIB, allowed: 10 * GIB });
    let text = full.to_string();
    assert!(text.contains(&(2 * GIB).to_string()) && text.contains("MAX_VIDEO_SIZE"), "{text}");

    let Plan::Full(full) = plan(limits(), totals(10, 5), 100 * GIB, Need::video(1), &[], true) else { panic!() };
    assert_eq!((full.limit, full.held, full.allowed), (Limit::Count, 5, 5));
    let Plan::Full(full) = plan(limits(), totals(0, 0), GIB, Need::video(GIB), &[], true) else { panic!() };
    assert_eq!(full.limit, Limit::FreeDisk);
}

#[test]
fn a_download_larger_than_the_whole_cache_is_full_at_once() {
    let page = candidates(&[GIB]);
    let Plan::Full(full) = plan(limits(), totals(GIB, 1), 100 * GIB, Need::video(11 * GIB), &page, true) else {
        panic!()
    };
    assert_eq!((full.limit, full.held), (Limit::Size, 0));
}

#[test]
fn the_low_water_pass_evicts_down_to_the_scaled_limits() {
    let low = limits().scaled(0.5);
    assert_eq!((low.max_bytes, low.max_count), (5 * GIB, 2));
    let page = candidates(&[GIB, GIB, GIB]);
    let plan = plan(low, totals(7 * GIB, 4), 100 * GIB, Need::NOTHING, &page, true);
    assert_eq!(plan, Plan::Evict(page[..2].to_vec()));
}
