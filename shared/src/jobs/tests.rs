//! The list is complete: every `impl Job for …` in this folder is registered, once.

use std::collections::BTreeSet;

use super::JOBS;

/// The types this folder's files implement `Job` for, read from the source.
fn job_types_in_source() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/jobs");
    let mut found = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(dir)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/jobs is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            for rest in text.split("impl Job for ").skip(1) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        }
    }
    found
}

fn registered_types() -> BTreeSet<String> {
    JOBS.iter().map(|job| (job.type_name)().rsplit("::").next().unwrap_or_default().to_owned()).collect()
}

#[test]
fn every_job_type_is_in_the_list() {
    let in_source = job_types_in_source();
    assert!(in_source.len() >= 6, "the scan found the jobs: {in_source:?}");
    let registered = registered_types();
    let missing: Vec<_> = in_source.difference(&registered).collect();
    assert!(missing.is_empty(), "jobs missing from jobs::JOBS: {missing:?}");
}

#[test]
fn every_queue_is_registered_once() {
    let names = super::queue_names();
    let unique: BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "a queue is registered twice: {names:?}");
    assert_eq!(registered_types().len(), JOBS.len(), "a job type is registered twice");
}

#[test]
fn an_unknown_queue_names_the_known_ones() {
    let err = super::find("bookings").err().expect("no queue is called bookings").to_string();
    assert!(err.contains("\"bookings\"") && err.contains("transcode-ecs") && err.contains("download"), "{err}");
}
