//! The fleet bench's report, in markdown, against the goals of issue 12.

use super::{FleetReport, Measured};

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn top(m: &Measured, n: usize) -> String {
    let mut calls: Vec<_> = m.calls.iter().collect();
    calls.sort_by(|a, b| b.1.cmp(a.1));
    calls.iter().take(n).map(|(name, n)| format!("{name} {n}")).collect::<Vec<_>>().join(", ")
}

fn verdict(ok: bool) -> &'static str {
    if ok { "yes" } else { "**NO**" }
}

pub fn print(r: &FleetReport) {
    let idle = &r.idle;
    let rss = &r.node_rss_kib;
    let (min, median, max) = match rss.as_slice() {
        [] => (0, 0, 0),
        all => (all[0], all[all.len() / 2], all[all.len() - 1]),
    };
    let core = 100.0 * idle.redis_cpu / idle.wall.max(1e-9);
    println!("\n### {} nodes, idle for {:.0} s (redis-server {})\n", r.nodes, idle.wall, r.redis_version);
    if r.agents_per_process > 1 {
        println!(
            "Virtual: the push hosts run {} to a process (`vteacher-bench agents`); RSS and connections per node are a process's divided by its hosts.\n",
            r.agents_per_process
        );
    }
    println!("| what | measured | goal | met |");
    println!("|---|---|---|---|");
    println!(
        "| Redis CPU while idle | {:.3} s in {:.0} s ({core:.2}% of one core) | < 5% of one core | {} |",
        idle.redis_cpu,
        idle.wall,
        verdict(core < 5.0)
    );
    println!(
        "| Redis commands/s while idle | {:.1} ({:.4} per node; {}) | — | |",
        idle.per_second(),
        idle.per_second() / r.nodes.max(1) as f64,
        top(idle, 5)
    );
    println!(
        "| node RSS, idle (min / median / max) | {:.1} / {:.1} / {:.1} MiB | < 25 MB | {} |",
        mib(min),
        mib(median),
        mib(max),
        verdict((max as f64) * 1024.0 < 25e6)
    );
    println!(
        "| nodes connected to PostgreSQL or PgBouncer | {} | 0 | {} |",
        r.nodes_on_postgres,
        verdict(r.nodes_on_postgres == 0)
    );
    println!(
        "| PostgreSQL server connections (pg_stat_activity): idle / most seen | {} / {} | ≤ 30 | {} |",
        r.server_connections_idle,
        r.server_connections_max,
        verdict(r.server_connections_max <= 30)
    );
    println!(
        "| PgBouncer client connections: idle / most seen | {} / {} | — | |",
        r.bouncer_clients_idle, r.bouncer_clients_max
    );
    println!(
        "| Redis clients (in all; per node min–max) | {} ({}–{}) | — | |",
        r.redis_clients, r.node_redis_connections.0, r.node_redis_connections.1
    );
    let nodes = r.nodes.max(1) as f64;
    println!(
        "| Redis memory / keys: before the nodes → idle | {:.1} → {:.1} MiB ({:.1} KiB per node) / {} → {} ({:.1} per node) | — | |",
        r.redis_memory.0 as f64 / 1048576.0,
        r.redis_memory.1 as f64 / 1048576.0,
        (r.redis_memory.1.saturating_sub(r.redis_memory.0)) as f64 / 1024.0 / nodes,
        r.redis_keys.0,
        r.redis_keys.1,
        (r.redis_keys.1.saturating_sub(r.redis_keys.0)) as f64 / nodes
    );
    let central: Vec<String> = r.central_rss_kib.iter().map(|(n, kib)| format!("{n} {:.1} MiB", mib(*kib))).collect();
    println!("| central processes' RSS, idle | {} | — | |", central.join(", "));
    for (what, cost, goal) in
        [("a /metrics scrape", &r.scrape, "≤ 100 commands"), ("the board's overview", &r.overview, "—")]
    {
        println!(
            "| {what}: commands web sent / Redis CPU (less the idle rate) / latency | {} / {:.0} ms / {:.0} ms | {goal} | |",
            cost.sent,
            cost.redis_cpu * 1e3,
            cost.latency.as_secs_f64() * 1e3
        );
    }
    let Some(s) = &r.storm else { return };
    println!("\n### Storm: {} bookings over {} videos\n", s.bookings, s.videos);
    println!("| what | measured | goal | met |");
    println!("|---|---|---|---|");
    println!("| results | {:?} | every booking final | {} |", s.results, verdict(s.all_final()));
    println!("| bookings by state (database) | {:?} | | |", s.states);
    println!(
        "| booking → ready (POST to result) p50 / p99 | {:.0} ms / {:.0} ms | — | |",
        s.p50.as_secs_f64() * 1e3,
        s.p99.as_secs_f64() * 1e3
    );
    println!(
        "| bookings/s (first POST to last result) | {:.0} ({:.1} s) | — | |",
        s.per_second(),
        s.wall.as_secs_f64()
    );
    let counts: Vec<i64> = s.by_node.values().copied().collect();
    println!(
        "| nodes that took bookings | {} (bookings per node: min {}, max {}) | — | |",
        s.by_node.len(),
        counts.iter().min().unwrap_or(&0),
        counts.iter().max().unwrap_or(&0)
    );
    let videos: Vec<usize> = s.videos_by_node.values().copied().collect();
    let spread = s.busiest_over_mean(r.nodes);
    println!(
        "| videos per node: busiest ÷ mean over {} nodes (min, max) / videos on two nodes | {:.2} ({}, {}) / {} | ≤ 1.5 / 0 | {} |",
        r.nodes,
        spread,
        if s.videos_by_node.len() < r.nodes { 0 } else { videos.iter().copied().min().unwrap_or(0) },
        videos.iter().copied().max().unwrap_or(0),
        s.videos_on_two_nodes,
        verdict(spread <= 1.5 && s.videos_on_two_nodes == 0)
    );
    println!(
        "| fetches: in all / (video, node) pairs / most by one node of one video / pairs fetched twice | {} / {} / {} / {} | no video fetched twice by one node | {} |",
        s.fetches,
        s.fetch_pairs,
        s.most_fetches,
        s.fetched_twice,
        verdict(s.fetched_twice == 0)
    );
    println!(
        "| Redis over the storm | {:.1} s CPU in {:.1} s ({:.1}% of a core), {:.0} commands/s, {:.1} commands per booking; {} | — | |",
        s.redis.redis_cpu,
        s.redis.wall,
        100.0 * s.redis.redis_cpu / s.redis.wall.max(1e-9),
        s.redis.per_second(),
        s.redis.commands() as f64 / s.bookings.max(1) as f64,
        top(&s.redis, 6)
    );
    println!(
        "| PostgreSQL over the storm | {} commits ({:.0}/s, {:.1} per booking), {} rows written ({:.0}/s) | — | |",
        s.commits,
        s.commits as f64 / s.redis.wall.max(1e-9),
        s.commits as f64 / s.bookings.max(1) as f64,
        s.rows_written,
        s.rows_written as f64 / s.redis.wall.max(1e-9)
    );
}
