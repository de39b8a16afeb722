//! `vteacher-bench cache`: what a push host's cache costs. (a) The eviction decision that
//! every download's reservation takes (its transaction: the running totals, a page of LRU
//! candidates, the plan) at 1k, 10k and 100k videos in the index, on SQLite and PostgreSQL,
//! against a deliberately naive decision in the same run (a SUM over the table, and ORDER BY
//! an expression the LRU index cannot serve). (b) The start-up scan (`cache_scan.rs`).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DbErr, Statement};
use shared::node::cache::{
    evict::{Candidate, Limits, Need, Plan, Totals, plan},
    reserve::{PAGE, free_disk_bytes},
    store,
};

use crate::{
    cache_index::{Backend, Index, Rng, postgres_unreachable},
    cache_scan,
};
use workers::progress::{self, Bars};

/// The naive decision's samples stop after this long (at least `MIN_NAIVE` of them).
const NAIVE_BUDGET: Duration = Duration::from_secs(10);
const MIN_NAIVE: usize = 50;

const NAIVE_SUMS: &str = "SELECT \
    CAST(COALESCE(SUM(CASE WHEN state = 'ready' THEN size_bytes ELSE 0 END), 0) AS BIGINT) AS used, \
    CAST(COALESCE(SUM(CASE WHEN state = 'ready' THEN 1 ELSE 0 END), 0) AS BIGINT) AS videos, \
    CAST(COALESCE(SUM(CASE WHEN state = 'downloading' THEN size_bytes ELSE 0 END), 0) AS BIGINT) AS reserved, \
    CAST(COALESCE(SUM(CASE WHEN state = 'downloading' THEN 1 ELSE 0 END), 0) AS BIGINT) AS reserving, \
    CAST(COALESCE(SUM(CASE WHEN state = 'ready' AND num_cite > 0 THEN size_bytes ELSE 0 END), 0) AS BIGINT) \
    AS referenced FROM cache_videos WHERE node = 'bench'";
/// `last_used_at + 0`: the same order, which no index can give.
const NAIVE_PAGE: &str = "SELECT id, size_bytes FROM cache_videos \
    WHERE node = 'bench' AND state = 'ready' AND num_cite = 0 ORDER BY last_used_at + 0, id LIMIT 64";

pub(crate) async fn run(videos: &[u64], decisions: usize, postgres: &str, files: u64) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("vteacher-bench-cache-{}", uuid::Uuid::new_v4().simple()));
    let mut backends = vec![Backend::Sqlite];
    match postgres_unreachable(postgres).await {
        None => backends.push(Backend::Postgres),
        Some(why) => eprintln!("PostgreSQL skipped: {postgres} is unreachable ({why})"),
    }
    // The report is printed at the end, in one piece: logs (a slow naive statement) go between.
    let mut out = vec![format!("load average at start: {}", load_average())];
    let result = async {
        out.push(format!("\n## Eviction decision ({decisions} decisions per index; naive: up to {NAIVE_BUDGET:?})\n"));
        out.push("| index | videos | decision | p50 | p99 | samples | plan |".to_owned());
        out.push("|---|---:|---|---:|---:|---:|---|".to_owned());
        let mut p99s = Vec::new();
        let bar = Bars::new().steps((backends.len() * videos.len()) as u64, "bench cache: decisions");
        for &backend in &backends {
            for &n in videos {
                let root = dir.join("root");
                tokio::fs::create_dir_all(&root).await?;
                let index = Index::open(backend, postgres, &dir.join(format!("{}-{n}", backend.name())), &root).await?;
                let measured = decisions_at(&index, n, decisions, &mut out).await;
                index.close().await?;
                p99s.push((backend, n, measured?));
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        ratios(&p99s, videos, &mut out);
        let scanning = progress::spinner(format!("bench cache: the start-up scan of {files} files"));
        let scanned = cache_scan::run(&dir, files, postgres, &backends, &mut out).await;
        scanning.finish_and_clear();
        scanned
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    out.push(format!("\nload average at the end: {}", load_average()));
    println!("{}", out.join("\n"));
    result
}

/// `/proc/loadavg`'s first three figures, and the cores: how busy the machine was.
fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{} ({cores} cores)", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// p99 of (floor, ours, naive).
type P99 = (Duration, Duration, Duration);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Floor,
    Ours,
    Naive,
}

async fn decisions_at(index: &Index, n: u64, decisions: usize, out: &mut Vec<String>) -> anyhow::Result<P99> {
    let started = Instant::now();
    index.fill(n, &mut Rng::new(n)).await?;
    let filled = started.elapsed();
    let totals = store::totals(&index.node.cache.conn, index.node.id()).await?;
    // Full by both limits: a new 1 GiB video must evict to fit.
    let limits = Limits { max_bytes: totals.used_bytes, max_count: totals.video_count, min_free_bytes: 0 };
    let need = Need::video(1 << 30);
    let (ours_plan, naive_plan) = (ours(index, limits, need).await?, naive(index, limits, need).await?);
    if ours_plan != naive_plan {
        bail!("the two decisions differ at {n} videos: {ours_plan:?} vs {naive_plan:?}");
    }
    let shown = match &ours_plan {
        Plan::Evict(victims) => format!("evict {}", victims.len()),
        other => format!("{other:?}"),
    };
    let mut rows = Vec::new();
    for (which, kind) in [
        ("floor: an empty write transaction", Kind::Floor),
        ("ours: running totals + LRU index page", Kind::Ours),
        ("naive: SUM + unindexed ORDER BY", Kind::Naive),
    ] {
        let mut samples = Vec::with_capacity(decisions);
        let began = Instant::now();
        for i in 0..decisions + 20 {
            let t = Instant::now();
            match kind {
                Kind::Floor => floor(index).await?,
                Kind::Ours => drop(ours(index, limits, need).await?),
                Kind::Naive => drop(naive(index, limits, need).await?),
            }
            if i >= 20 {
                samples.push(t.elapsed());
            }
            if kind == Kind::Naive && samples.len() >= MIN_NAIVE && began.elapsed() > NAIVE_BUDGET {
                break;
            }
        }
        samples.sort();
        let (p50, p99) = (samples[samples.len() / 2], samples[(samples.len() * 99).div_ceil(100) - 1]);
        out.push(format!(
            "| {} | {n} | {which} | {} | {} | {} | {shown} |",
            index.backend.name(),
            ms(p50),
            ms(p99),
            samples.len()
        ));
        eprintln!("{}", out.last().map_or("", String::as_str));
        rows.push(p99);
    }
    eprintln!("  ({} with {n} videos filled in {:.1} s)", index.backend.name(), filled.as_secs_f64());
    Ok((rows[0], rows[1], rows[2]))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// What any decision costs here at least: a write transaction and one round trip.
async fn floor(index: &Index) -> Result<(), DbErr> {
    let txn = index.node.cache.write_txn().await?;
    txn.execute_unprepared("SELECT 1").await?;
    txn.rollback().await
}

/// The decision `Room::reserve` takes, rolled back so that every sample sees the same index.
async fn ours(index: &Index, limits: Limits, need: Need) -> Result<Plan, DbErr> {
    let txn = index.node.cache.write_txn().await?;
    let totals = store::totals(&txn, index.node.id()).await?;
    let page = store::candidates(&txn, index.node.id(), PAGE).await?;
    let free = free_disk_bytes(&index.node.settings.video_root);
    let decided = plan(limits, totals, free, need, &page, (page.len() as u64) < PAGE);
    txn.rollback().await?;
    Ok(decided)
}

/// The same decision from a SUM over the table and a sort of every unreferenced video.
async fn naive(index: &Index, limits: Limits, need: Need) -> anyhow::Result<Plan> {
    let txn = index.node.cache.write_txn().await?;
    let backend = txn.get_database_backend();
    let sums = txn.query_one_raw(Statement::from_string(backend, NAIVE_SUMS)).await?.context("no sums")?;
    let get = |col: &str| sums.try_get::<i64>("", col).map(|v| v.max(0) as u64);
    let totals = Totals {
        used_bytes: get("used")?,
        video_count: get("videos")?,
        reserved_bytes: get("reserved")?,
        reserved_count: get("reserving")?,
        referenced_bytes: get("referenced")?,
    };
    let rows = txn.query_all_raw(Statement::from_string(backend, NAIVE_PAGE)).await?;
    let page = rows
        .iter()
        .map(|r| Ok(Candidate { id: r.try_get("", "id")?, bytes: r.try_get::<i64>("", "size_bytes")?.max(0) as u64 }))
        .collect::<Result<Vec<_>, DbErr>>()?;
    let free = free_disk_bytes(&index.node.settings.video_root);
    let decided = plan(limits, totals, free, need, &page, (page.len() as u64) < PAGE);
    txn.rollback().await?;
    Ok(decided)
}

fn ratios(p99s: &[(Backend, u64, P99)], videos: &[u64], out: &mut Vec<String>) {
    let (Some(&small), Some(&large)) = (videos.first(), videos.last()) else { return };
    out.push(String::new());
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let at = |n| p99s.iter().find(|(b, m, _)| *b == backend && *m == n).map(|(_, _, p)| *p);
        let (Some(s), Some(l)) = (at(small), at(large)) else { continue };
        let growth = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
        let name = backend.name();
        let (ours, naive) = (growth(s.1, l.1), growth(s.2, l.2));
        out.push(format!("- {name}: p99 at {large} / p99 at {small} videos: ours {ours:.2}×, naive {naive:.1}×"));
        let faster = growth(l.1, l.2);
        out.push(format!("  at {large} videos ours is {faster:.0}× faster at p99 ({} vs {})", ms(l.1), ms(l.2)));
        let over = growth(l.0, l.1);
        out.push(format!("  at {large} videos ours' p99 is {over:.2}× the empty transaction's ({})", ms(l.0)));
    }
}
