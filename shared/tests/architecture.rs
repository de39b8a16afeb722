//! The direction of every dependency (ARCHITECTURE.md): the queue engine knows no job and no
//! application code; domain code never reaches the queues or the jobs (it returns effects);
//! only `jobs/` turns effects into jobs. Read from the sources, so a change that breaks the
//! direction fails here, before review.

use std::path::{Path, PathBuf};

fn sources_under(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                files.push((path, text));
            }
        }
    }
    assert!(!files.is_empty(), "no sources under src/{dir}");
    files
}

/// Lines of `dir`'s sources that name one of `names` as a path (`queue::Job`,
/// `crate::jobs::apply`: the name, not preceded by an identifier character, followed by `::`),
/// comments left out.
fn mentions(dir: &str, names: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in sources_under(dir) {
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let names_one = names.iter().any(|name| {
                code.match_indices(&format!("{name}::"))
                    .any(|(at, _)| code[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_')))
            });
            if names_one {
                found.push(format!("{}:{}: {}", path.display(), number + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_queue_engine_knows_no_job_and_no_application_code() {
    let found = mentions("queue", &["booking", "transcode", "node", "jobs", "app", "services"]);
    assert!(found.is_empty(), "the engine imports application code:\n{}", found.join("\n"));
}

#[test]
fn domain_code_never_reaches_the_queues_or_the_jobs() {
    for dir in ["booking", "transcode", "node", "domain", "db", "tools", "config"] {
        let mut found = mentions(dir, &["queue", "jobs", "app"]);
        found.extend(
            sources_under(dir)
                .into_iter()
                .filter(|(_, text)| text.contains("crate::App"))
                .map(|(p, _)| p.display().to_string()),
        );
        assert!(found.is_empty(), "src/{dir} imports the queues, the jobs or the app:\n{}", found.join("\n"));
        let enqueues: Vec<_> = sources_under(dir)
            .into_iter()
            .flat_map(|(path, text)| {
                text.lines()
                    .enumerate()
                    .filter(|(_, line)| line.contains(".queues") || line.contains(".enqueue("))
                    .map(|(n, line)| format!("{}:{}: {}", path.display(), n + 1, line.trim()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(enqueues.is_empty(), "src/{dir} enqueues (it should return effects):\n{}", enqueues.join("\n"));
    }
}
