//! The Grafana dashboard (`deploy/grafana/vteacher.json`) reads only what vteacher serves:
//! every metric its panels and variables query is on a running vteacher's `/metrics` from
//! the start (the counter and histogram families at zero before any work), and every family
//! vteacher serves has a panel.

use std::{collections::BTreeSet, time::Duration};

use serde_json::Value;

use crate::helpers::*;

fn dashboard() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/grafana/vteacher.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the dashboard JSON")).expect("valid JSON")
}

/// Every PromQL query of the dashboard: panel targets and template variables.
fn queries(dashboard: &Value) -> Vec<String> {
    let panels = dashboard["panels"].as_array().expect("panels");
    let targets = panels.iter().flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default());
    let mut found: Vec<String> = targets.filter_map(|t| t["expr"].as_str().map(str::to_owned)).collect();
    let variables = dashboard["templating"]["list"].as_array().expect("templating");
    found.extend(variables.iter().filter_map(|v| v["query"]["query"].as_str().map(str::to_owned)));
    found
}

/// The `vteacher_…` series names a query reads.
fn metric_names(query: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = query;
    while let Some(at) = rest.find("vteacher_") {
        let name: String =
            rest[at..].chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

/// The series names of a Prometheus text exposition (`vteacher_jobs_total`, `…_bucket`, …).
fn served(text: &str) -> BTreeSet<String> {
    let names = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
    names.map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn every_metric_the_dashboard_queries_is_served() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("METRICS_PUBLIC", "true").set("NODE_HEARTBEAT", "1s");
    let app = env.spawn().await;
    // Before any booking: only the node's first heartbeat is awaited.
    let text = eventually("the node's heartbeat on /metrics", Duration::from_secs(20), || async {
        let text = app.http.get(app.url("/metrics")).send().await.ok()?.text().await.ok()?;
        text.contains(r#"vteacher_nodes{state="live"} 1"#).then_some(text)
    })
    .await;
    let served = served(&text);
    let dashboard = dashboard();
    let queries = queries(&dashboard);
    assert!(queries.len() >= 20, "{} queries", queries.len());

    let queried: BTreeSet<String> = queries.iter().flat_map(|q| metric_names(q)).collect();
    let missing: Vec<_> = queried.iter().filter(|name| !served.contains(*name)).collect();
    assert!(missing.is_empty(), "the dashboard queries {missing:?}, which /metrics does not serve:\n{text}");

    // The other way: no family vteacher serves goes without a panel (histograms by their buckets).
    let families =
        served.iter().filter(|n| n.starts_with("vteacher_") && !n.ends_with("_sum") && !n.ends_with("_count"));
    let unshown: Vec<_> = families.filter(|n| !queried.contains(*n)).collect();
    assert!(unshown.is_empty(), "served but on no panel: {unshown:?}");
    app.stop().await;
}

#[test]
fn the_dashboard_is_laid_out_for_grafana() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "vteacher");
    let panels = dashboard["panels"].as_array().unwrap();
    let ids: BTreeSet<u64> = panels.iter().map(|p| p["id"].as_u64().expect("an id")).collect();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    for panel in panels {
        let grid = &panel["gridPos"];
        let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
        assert!(x + w <= 24, "{} is wider than the grid", panel["title"]);
        for target in panel["targets"].as_array().into_iter().flatten() {
            assert_eq!(target["datasource"]["uid"], "${datasource}", "{}: the chosen Prometheus", panel["title"]);
        }
    }
}
