//! The tables of `vteacher-bench queue`, in Markdown: jobs/s by contender and concurrency,
//! the ratios, and what each run cost Redis and the worker process.

use crate::queue_drain::{Outcome, Run};

fn rate(run: Option<&Run>) -> String {
    match run.map(|r| (r.jobs_per_sec(), &r.outcome)) {
        Some((Some(rate), _)) => format!("{rate:.0}"),
        Some((None, Outcome::Failed(_))) => "stopped¹".to_owned(),
        _ => "—".to_owned(),
    }
}

fn ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        (Some(_), None) => "∞ (it stopped)".to_owned(),
        _ => "—".to_owned(),
    }
}

pub(super) fn report(runs: &[Run]) {
    let mut levels: Vec<usize> = runs.iter().map(|r| r.concurrency).collect();
    levels.dedup();
    levels.sort_unstable();
    levels.dedup();
    let mut rows: Vec<(&str, u64)> = Vec::new();
    for run in runs {
        if !rows.contains(&(run.who.as_str(), run.backlog)) {
            rows.push((run.who.as_str(), run.backlog));
        }
    }
    rows.sort_by_key(|(_, backlog)| std::cmp::Reverse(*backlog));
    let find = |who: &str, backlog: u64, c: usize| {
        runs.iter().find(|r| r.who == who && r.backlog == backlog && r.concurrency == c)
    };

    println!("\n| contender | backlog |{}", levels.iter().map(|c| format!(" c={c} |")).collect::<String>());
    println!("|---|---|{}", "---|".repeat(levels.len()));
    for (who, backlog) in &rows {
        let cells: String = levels.iter().map(|&c| format!(" {} |", rate(find(who, *backlog, c)))).collect();
        println!("| {who} | {backlog} |{cells}");
    }

    let main_backlog = rows.first().map_or(0, |(_, b)| *b);
    let best = runs
        .iter()
        .filter(|r| r.who.starts_with("BullMQ") && r.backlog == main_backlog)
        .filter_map(|r| Some((r.jobs_per_sec()?, r)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    println!();
    if let Some((best_rate, best_run)) = best {
        println!("BullMQ's best: {best_rate:.0} jobs/s ({}, c={})\n", best_run.who, best_run.concurrency);
        println!(
            "| ours vs BullMQ's best | backlog |{}",
            levels.iter().map(|c| format!(" c={c} |")).collect::<String>()
        );
        println!("|---|---|{}", "---|".repeat(levels.len()));
        for (who, backlog) in rows.iter().filter(|(who, b)| who.starts_with("ours") && *b == main_backlog) {
            let cells: String = levels
                .iter()
                .map(|&c| format!(" {} |", ratio(find(who, *backlog, c).and_then(Run::jobs_per_sec), Some(best_rate))))
                .collect();
            println!("| {who} | {backlog} |{cells}");
        }
    }
    same_concurrency(runs, &rows, &levels, main_backlog);
    if runs.iter().any(|r| r.who.starts_with("apalis-redis")) {
        println!(
            "\n| ours (batch = c) vs apalis-redis | backlog |{}",
            levels.iter().map(|c| format!(" c={c} |")).collect::<String>()
        );
        println!("|---|---|{}", "---|".repeat(levels.len()));
        let theirs_rows = rows.iter().filter(|(who, _)| who.starts_with("apalis-redis"));
        for (theirs, backlog) in theirs_rows {
            let ours = rows.iter().find(|(who, b)| who.contains("long jobs") && b == backlog);
            let cells: String = levels
                .iter()
                .map(|&c| {
                    let a = ours.and_then(|(who, _)| find(who, *backlog, c)).and_then(Run::jobs_per_sec);
                    format!(" {} |", ratio(a, find(theirs, *backlog, c).and_then(Run::jobs_per_sec)))
                })
                .collect();
            println!("| ours / {theirs} | {backlog} |{cells}");
        }
    }

    println!(
        "\nWhat each run cost (Redis CPU and the worker process's CPU over the run, as % of one core; Redis commands per job from INFO commandstats, those run inside scripts included):\n"
    );
    println!(
        "| contender | backlog | c | jobs/s | Redis CPU | worker CPU | Redis CPU µs/job | worker CPU µs/job | Redis cmds/job | script calls/job | busiest commands |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut failures: Vec<&str> = Vec::new();
    for run in runs {
        let (u, jobs) = (&run.usage, run.backlog.max(1) as f64);
        if let Outcome::Failed(why) = &run.outcome {
            if !failures.contains(&why.as_str()) {
                failures.push(why);
            }
            println!(
                "| {} | {} | {} | stopped¹ | n/a | n/a | n/a | n/a | n/a | n/a | n/a |",
                run.who, run.backlog, run.concurrency
            );
            continue;
        }
        let pct = |cpu: f64| if u.wall > 0.0 { format!("{:.0}%", 100.0 * cpu / u.wall) } else { "—".into() };
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.2} | {:.2} | {} |",
            run.who,
            run.backlog,
            run.concurrency,
            rate(Some(run)),
            pct(u.redis_cpu),
            pct(u.worker_cpu),
            1e6 * u.redis_cpu / jobs,
            1e6 * u.worker_cpu / jobs,
            u.total_calls() as f64 / jobs,
            u.script_calls() as f64 / jobs,
            u.top(5)
        );
    }
    for why in failures {
        println!("\n¹ {why}");
    }
}

/// Each of ours against BullMQ's faster configuration at the same concurrency: the goal of
/// ≥ 1.5× at c = 1, 10 and 50 is read here.
fn same_concurrency(runs: &[Run], rows: &[(&str, u64)], levels: &[usize], backlog: u64) {
    let bullmq_at = |c: usize| {
        runs.iter()
            .filter(|r| r.who.starts_with("BullMQ") && r.backlog == backlog && r.concurrency == c)
            .filter_map(Run::jobs_per_sec)
            .max_by(f64::total_cmp)
    };
    println!(
        "\n| ours / BullMQ at the same c | backlog |{}",
        levels.iter().map(|c| format!(" c={c} |")).collect::<String>()
    );
    println!("|---|---|{}", "---|".repeat(levels.len()));
    for (who, _) in rows.iter().filter(|(who, b)| who.starts_with("ours") && *b == backlog) {
        let cells: String = levels
            .iter()
            .map(|&c| {
                let ours = runs.iter().find(|r| r.who == *who && r.backlog == backlog && r.concurrency == c);
                format!(" {} |", ratio(ours.and_then(Run::jobs_per_sec), bullmq_at(c)))
            })
            .collect();
        println!("| {who} | {backlog} |{cells}");
    }
}
