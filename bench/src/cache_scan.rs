//! `vteacher-bench cache`, part (b): the start-up scan of a `VIDEO_ROOT` of tiny files in the
//! three layouts, in files/s, against `find VIDEO_ROOT -type f | wc -l` timed in the same run:
//! once on an empty index (every file adopted: a node's first start on a full disk), once
//! again (the index holds them: every later start).

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::bail;
use shared::node::cache::scan;
use tokio::process::Command;

use crate::{
    cache_index::{Backend, Index},
    measure::median,
};

/// `files` files: per record, `22/<r>/<r>_720P.flv` (institution), `<r>/<r>_720P.flv` (old
/// layout) and `<r>/<r>.flv` (legacy), institutions 10–29, 16 bytes each.
fn make_root(root: &Path, files: u64) -> std::io::Result<()> {
    for i in 0..files {
        let record = 1_000_000 + i / 3;
        let path: PathBuf = match i % 3 {
            0 => root.join(format!("{}/{record}/{record}_720P.flv", 10 + (i / 3) % 20)),
            1 => root.join(format!("{record}/{record}_720P.flv")),
            _ => root.join(format!("{record}/{record}.flv")),
        };
        if i % 3 != 2 {
            std::fs::create_dir_all(path.parent().expect("below the root"))?;
        }
        std::fs::write(path, [0u8; 16])?;
    }
    Ok(())
}

/// `find root -type f | wc -l`: its time and count.
async fn find(root: &Path) -> anyhow::Result<(Duration, u64)> {
    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"find "$1" -type f | wc -l"#)
        .arg("sh")
        .arg(root)
        .kill_on_drop(true)
        .output()
        .await?;
    let took = started.elapsed();
    if !out.status.success() {
        bail!("find failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((took, String::from_utf8_lossy(&out.stdout).trim().parse()?))
}

fn rate(files: u64, took: Duration) -> f64 {
    files as f64 / took.as_secs_f64()
}

pub(crate) async fn run(
    dir: &Path,
    files: u64,
    postgres: &str,
    backends: &[Backend],
    out: &mut Vec<String>,
) -> anyhow::Result<()> {
    let root = dir.join(format!("scan-root-{files}"));
    let started = Instant::now();
    let made = root.clone();
    tokio::task::spawn_blocking(move || make_root(&made, files)).await??;
    eprintln!("  ({files} files written in {:.1} s)", started.elapsed().as_secs_f64());
    // Once to warm the page cache, as the scans will find it; then the median of three.
    let (_, counted) = find(&root).await?;
    if counted != files {
        bail!("find counted {counted} files, {files} were written");
    }
    let mut times = Vec::new();
    for _ in 0..3 {
        times.push(find(&root).await?.0);
    }
    let find_took = median(times);
    let find_rate = rate(files, find_took);
    out.push(format!("\n## Start-up scan of {files} files (three layouts)\n"));
    out.push("| what | index | time | files/s | vs find |".to_owned());
    out.push("|---|---|---:|---:|---:|".to_owned());
    out.push(format!(
        "| `find VIDEO_ROOT -type f \\| wc -l` (median of 3) | – | {:.3} s | {find_rate:.0} | 1.00 |",
        find_took.as_secs_f64()
    ));
    for &backend in backends {
        let index = Index::open(backend, postgres, &dir.join(format!("scan-{}", backend.name())), &root).await?;
        let result = async {
            for (what, adopted) in
                [("first start: empty index, every file adopted", files), ("restart: the index holds them", 0)]
            {
                let started = Instant::now();
                let scanned = scan::scan(&index.node, &|_| {}).await?;
                let took = started.elapsed();
                if (scanned.files, scanned.adopted) != (files, adopted) {
                    bail!(
                        "the scan saw {} files and adopted {}; expected {files} and {adopted}",
                        scanned.files,
                        scanned.adopted
                    );
                }
                let r = rate(files, took);
                out.push(format!(
                    "| scan, {what} | {} | {:.3} s | {r:.0} | {:.3} |",
                    backend.name(),
                    took.as_secs_f64(),
                    r / find_rate
                ));
                eprintln!("{}", out.last().map_or("", String::as_str));
            }
            Ok(())
        }
        .await;
        index.close().await?;
        result?;
    }
    let _ = tokio::fs::remove_dir_all(&root).await;
    Ok(())
}
