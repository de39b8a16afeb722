//! The direction of every dependency (ARCHITECTURE.md), over the whole workspace's module
//! graph, read from its sources (`testkit::modgraph`): no two files import each other; the
//! engine knows no other crate of ours; the product never reaches the benchmarks or the test
//! kit; inside `shared` and `workers`, each module imports only from the layers below it, and
//! only the job layer (and the composition roots that build it) reaches the queue engine.
//! `a_planted_*` shows each rule failing on an import planted in a copy of the workspace.

use std::path::{Path, PathBuf};

use testkit::modgraph::{Edge, Graph, SourceFile};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_owned()
}

/// Layers of `shared`'s top-level modules, lowest first: a module may import from its own
/// layer's module and from lower layers, never from a higher one or a sibling of its layer.
const SHARED: &[&[&str]] = &[
    &["domain"],
    &["config"],
    &["db"],
    &["tools"],
    &["directory"],
    &["services"],
    // A push host's code; the central side uses its pure parts (placement) and its downloader.
    &["node"],
    &["transcode"],
    &["booking"],
    &["app"],
    &["node_app"],
    &["jobs"],
];

/// `workers`' top-level modules, lowest first.
const WORKERS: &[&[&str]] = &[&["fileserver", "progress", "cli"], &["telemetry"], &["web"], &["roles"]];

/// The modules of `shared` that may name the queue engine: the job layer and the roots that
/// build it. Every other module may name only the engine's `Retryable` (every error says
/// whether it heals), re-exported as `domain::Retryable`.
const MAY_REACH_THE_ENGINE: &[&str] = &["jobs", "app", "node_app"];
const THE_ENGINES_VOCABULARY: &str = "queue/src/retry.rs";

fn layer(layers: &[&[&str]], module: &[String]) -> Option<usize> {
    let top = module.first()?;
    layers.iter().position(|layer| layer.contains(&top.as_str()))
}

fn file<'g>(graph: &'g Graph, path: &Path) -> &'g SourceFile {
    graph.files.iter().find(|f| f.path == path).expect("a file of the graph")
}

fn say(graph: &Graph, edge: &Edge, why: &str) -> String {
    format!("{}:{} imports {} ({}): {why}", graph.show(&edge.from), edge.line, graph.show(&edge.to), edge.written)
}

/// Every import against the direction, said.
fn violations(graph: &Graph) -> Vec<String> {
    let mut found = Vec::new();
    for (ab, ba) in graph.mutual() {
        found.push(format!("{} and {} import each other", say(graph, ab, "and back"), graph.show(&ba.from)));
    }
    for edge in &graph.edges {
        let (from, to) = (file(graph, &edge.from), file(graph, &edge.to));
        if from.crate_dir == to.crate_dir {
            if from.is_lib() && to.is_lib() {
                found.extend(within_crate(graph, edge, from, to));
            }
            continue;
        }
        if from.crate_dir == "queue" && from.is_lib() {
            found.push(say(graph, edge, "the engine knows no other crate of ours"));
        }
        let product = ["queue", "shared", "workers", "migrations"].contains(&from.crate_dir.as_str());
        let product_code = product && (from.is_lib() || from.unit == "bin") && !from.test_only;
        if product_code && ["bench", "testkit"].contains(&to.crate_dir.as_str()) {
            found.push(say(graph, edge, "the product never reaches the benchmarks or the test kit"));
        }
        if from.crate_dir == "shared" && from.is_lib() && to.crate_dir == "queue" {
            let vocabulary = graph.show(&to.path) == THE_ENGINES_VOCABULARY;
            let allowed =
                vocabulary || MAY_REACH_THE_ENGINE.iter().any(|m| from.module.first().is_some_and(|top| top == m));
            if !allowed {
                found.push(say(graph, edge, "domain code never reaches the queue engine: it returns effects"));
            }
        }
    }
    found
}

fn within_crate(graph: &Graph, edge: &Edge, from: &SourceFile, to: &SourceFile) -> Option<String> {
    let layers = match from.crate_dir.as_str() {
        "shared" => SHARED,
        "workers" => WORKERS,
        _ => return None,
    };
    let (Some(a), Some(b)) = (layer(layers, &from.module), layer(layers, &to.module)) else { return None };
    let same_module = from.module.first() == to.module.first();
    (!same_module && a <= b).then(|| say(graph, edge, "against the direction of the layers"))
}

#[test]
fn every_import_follows_the_direction_and_no_two_files_import_each_other() {
    let graph = Graph::of_workspace(&workspace());
    assert!(graph.files.len() > 200, "the whole workspace is read: {} files", graph.files.len());
    let found = violations(&graph);
    assert!(found.is_empty(), "{} import(s) against the architecture:\n{}", found.len(), found.join("\n"));
}

#[test]
fn every_module_is_read_top_level_files_included() {
    let graph = Graph::of_workspace(&workspace());
    for (crate_dir, module) in [
        ("shared", vec!["directory"]),
        ("shared", vec!["services"]),
        ("shared", vec!["app"]),
        ("queue", vec!["backend"]),
    ] {
        assert!(graph.file_of(crate_dir, &module).is_some(), "{crate_dir}::{module:?} is read");
    }
    let on_disk = rs_files(&workspace());
    let read: Vec<&PathBuf> = graph.files.iter().map(|f| &f.path).collect();
    let unread: Vec<_> = on_disk.iter().filter(|p| !read.contains(p)).collect();
    assert!(unread.is_empty(), "files no module declares (or the graph missed): {unread:?}");
}

/// Every `.rs` file of the members' `src/` and `tests/`.
fn rs_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs: Vec<PathBuf> = ["queue", "shared", "workers", "bench", "migrations", "testkit"]
        .iter()
        .flat_map(|m| [root.join(m).join("src"), root.join(m).join("tests")])
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found
}

/// A copy of the workspace's sources and manifests in a temp dir, with `line` added to `file`.
fn planted(file: &str, line: &str) -> (tempfile::TempDir, Graph) {
    let root = workspace();
    let copy = tempfile::tempdir().expect("a temp dir");
    std::fs::copy(root.join("Cargo.toml"), copy.path().join("Cargo.toml")).expect("the manifest");
    for member in ["queue", "shared", "workers", "bench", "migrations", "testkit"] {
        std::fs::create_dir_all(copy.path().join(member)).expect("a member dir");
        std::fs::copy(root.join(member).join("Cargo.toml"), copy.path().join(member).join("Cargo.toml"))
            .expect("manifest");
    }
    for path in rs_files(&root) {
        let to = copy.path().join(path.strip_prefix(&root).expect("inside"));
        std::fs::create_dir_all(to.parent().expect("a dir")).expect("dirs");
        std::fs::copy(&path, &to).expect("a source");
    }
    let target = copy.path().join(file);
    let text = std::fs::read_to_string(&target).expect("the file to plant in");
    std::fs::write(&target, format!("{line}\n{text}")).expect("planted");
    let graph = Graph::of_workspace(copy.path());
    (copy, graph)
}

#[test]
fn a_planted_back_import_is_caught() {
    let (_copy, graph) = planted("shared/src/booking/decision/mod.rs", "use crate::jobs::JOBS;");
    let found = violations(&graph);
    assert!(
        found.iter().any(|v| v.contains("booking/decision/mod.rs:1 imports shared/src/jobs/mod.rs")),
        "the planted import is reported: {found:#?}"
    );
}

#[test]
fn a_planted_import_of_the_engine_from_domain_code_is_caught() {
    let (_copy, graph) = planted("shared/src/transcode/result/mod.rs", "use vteacher_queue::Queues;");
    let found = violations(&graph);
    assert!(
        found.iter().any(|v| v.contains("transcode/result/mod.rs:1") && v.contains("never reaches the queue engine")),
        "{found:#?}"
    );
}

#[test]
fn a_planted_import_of_the_application_in_the_engine_is_caught() {
    let (_copy, graph) = planted("queue/src/depth.rs", "use shared::domain::NodeId;");
    let found = violations(&graph);
    assert!(
        found.iter().any(|v| v.contains("queue/src/depth.rs:1") && v.contains("knows no other crate")),
        "{found:#?}"
    );
}

#[test]
fn a_planted_mutual_import_is_caught() {
    // `booking/apply.rs` imports the store; the store imports nothing of it… until it does.
    let (_copy, graph) = planted("shared/src/booking/store.rs", "use super::apply::on_transcode;");
    let found = violations(&graph);
    assert!(found.iter().any(|v| v.contains("import each other") && v.contains("booking/store.rs")), "{found:#?}");
}

#[test]
fn one_module_file_style_a_module_with_children_is_a_directory_with_mod_rs() {
    let files = rs_files(&workspace());
    let beside_a_directory: Vec<_> =
        files.iter().filter(|path| path.with_extension("").is_dir()).map(|p| p.display().to_string()).collect();
    assert!(
        beside_a_directory.is_empty(),
        "name.rs beside a directory name/ (use name/mod.rs): {beside_a_directory:?}"
    );
    let with_path: Vec<_> = files
        .iter()
        .filter(|path| {
            std::fs::read_to_string(path).is_ok_and(|text| text.lines().any(|l| l.trim().starts_with("#[path")))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(with_path.is_empty(), "a #[path] attribute hides where a module lives: {with_path:?}");
}
