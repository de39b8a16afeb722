//! `vteacher-bench fleet` in small, in the suite: 20 `node` processes (Redis only), web,
//! booking ×2 and the sweeper on PostgreSQL through a PgBouncer in transaction pooling, and a
//! storm of 1,000 bookings over 200 videos. It checks issue 12's properties, not its timings:
//! no node connects to PostgreSQL, at most 30 server connections in all, every booking final
//! (ready), no video fetched twice by one node; and that the bench left nothing running.

use std::time::Duration;

use vteacher_bench::fleet::{self, FleetOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_storm_twenty_nodes_through_pgbouncer() {
    let postgres = std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let options = FleetOptions {
        binary: env!("CARGO_BIN_EXE_vteacher").into(),
        nodes: 20,
        idle: Duration::from_secs(3),
        bookings: 1_000,
        videos: 200,
        postgres,
        pgbouncer_user: "postgres".into(),
        agents_per_process: 0,
    };
    let report = fleet::run(&options).await.expect("the fleet runs");
    fleet::print(&report);

    assert_eq!(report.nodes_on_postgres, 0, "a node connected to PostgreSQL or PgBouncer");
    assert!(report.server_connections_idle >= 1, "the central processes reach PostgreSQL through PgBouncer");
    assert!(report.server_connections_max <= 30, "{} server connections", report.server_connections_max);
    assert_eq!(report.node_redis_connections.0.min(1), 1, "every node is on Redis");
    let storm = report.storm.expect("a storm");
    assert_eq!(storm.results.get("success"), Some(&1_000), "{:?}", storm.results);
    assert_eq!(storm.states.get("ready"), Some(&1_000), "{:?}", storm.states);
    assert!(storm.all_final());
    assert_eq!(storm.fetched_twice, 0, "a node fetched a video twice");
    assert_eq!(storm.fetches, storm.fetch_pairs as u64);
    assert!(storm.fetch_pairs >= 1 && storm.fetch_pairs <= 200 * 20);
    let by_node: i64 = storm.by_node.iter().filter(|(node, _)| node.starts_with("fleet-node-")).map(|(_, n)| n).sum();
    assert_eq!(by_node, 1_000, "every booking was placed on a node of the fleet: {:?}", storm.by_node);
}
