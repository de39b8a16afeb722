//! The workspace's module graph, read from its sources: every file of every crate (its `src/`
//! and its `tests/`), which module it is, and which other files each one imports from. What
//! counts as an import of a file: a `use` or a path in code that names an item that file
//! defines (following re-exports to where the item is defined), or the module itself. A
//! parent's `pub use` of its own descendants is a re-export, not an import. The architecture
//! test (`tests/architecture.rs`) states the rules over this graph.

mod files;
mod parse;
mod resolve;

use std::path::{Path, PathBuf};

pub use files::SourceFile;
pub use resolve::Edge;

/// Every source file of the workspace at `root`, and the imports between them.
pub struct Graph {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    pub edges: Vec<Edge>,
}

impl Graph {
    /// Reads the workspace (the members listed in `root/Cargo.toml`).
    pub fn of_workspace(root: &Path) -> Self {
        let files = files::discover(root);
        let edges = resolve::edges(&files);
        Self { root: root.to_owned(), files, edges }
    }

    /// `from`'s path relative to the workspace, for messages.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    /// Pairs of files that import each other: (a → b, b → a).
    pub fn mutual(&self) -> Vec<(&Edge, &Edge)> {
        let mut pairs = Vec::new();
        for ab in &self.edges {
            if let Some(ba) = self.edges.iter().find(|ba| ba.from == ab.to && ba.to == ab.from)
                && ab.from < ab.to
                && !pairs.iter().any(|(x, _): &(&Edge, &Edge)| x.from == ab.from && x.to == ab.to)
            {
                pairs.push((ab, ba));
            }
        }
        pairs
    }

    /// The file of `crate_dir`'s module `module` (`["jobs", "booking"]`).
    pub fn file_of(&self, crate_dir: &str, module: &[&str]) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.crate_dir == crate_dir && f.is_lib() && f.module == module)
    }
}
