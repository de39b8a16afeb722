//! From names to files: each `use` and each path written in code, resolved through the module
//! tree (following re-exports) to the file that defines what it names.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
};

use super::{
    files::SourceFile,
    parse::{self, Use},
};

/// One import of a file by another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: PathBuf,
    pub to: PathBuf,
    pub line: usize,
    /// What was written (`crate::queue::Job`).
    pub written: String,
}

/// Where to look a module up: (crate dir, unit, module path) → the file (and, for an inline
/// module, the file that holds it).
struct Index<'a> {
    files: &'a [SourceFile],
    modules: HashMap<(String, String, Vec<String>), usize>,
    /// Workspace crates by the name code uses for them → their directory.
    crates: HashMap<String, String>,
    uses: Vec<Vec<Use>>,
}

/// Every import of one file by another, each (from, to) once.
pub(super) fn edges(files: &[SourceFile]) -> Vec<Edge> {
    let index = Index::new(files);
    let mut seen = HashSet::new();
    let mut edges = Vec::new();
    for (n, file) in files.iter().enumerate() {
        for (target, line, written) in index.imports_of(n) {
            if target != n && seen.insert((n, target)) {
                edges.push(Edge { from: file.path.clone(), to: files[target].path.clone(), line, written });
            }
        }
    }
    edges
}

impl<'a> Index<'a> {
    fn new(files: &'a [SourceFile]) -> Self {
        let mut modules = HashMap::new();
        let mut crates = HashMap::new();
        for (n, file) in files.iter().enumerate() {
            modules.insert((file.crate_dir.clone(), file.unit.clone(), file.module.clone()), n);
            for (inline, _) in &file.inline {
                let mut module = file.module.clone();
                module.extend(inline.iter().cloned());
                modules.entry((file.crate_dir.clone(), file.unit.clone(), module)).or_insert(n);
            }
            if file.is_lib() {
                crates.insert(file.crate_name.clone(), file.crate_dir.clone());
            }
        }
        let uses = files.iter().map(|f| parse::uses(&f.code, &f.inline)).collect();
        Self { files, modules, crates, uses }
    }

    /// (target file, line, what was written) for every import of file `n`.
    fn imports_of(&self, n: usize) -> Vec<(usize, usize, String)> {
        let file = &self.files[n];
        let mut found = Vec::new();
        for used in &self.uses[n] {
            let context = Context::of(file, &used.inline);
            let Some(target) = self.resolve(&context, &used.path, 0) else { continue };
            if used.public && self.is_descendant(target, file) {
                continue; // a parent re-exporting its own
            }
            found.push((target, used.line, used.path.join("::")));
        }
        let skip = parse::use_ranges(&file.code);
        for (at, path) in code_paths(&file.code, &skip) {
            let inline = parse::inline_at(&file.inline, at);
            let context = Context::of(file, &inline);
            let path = self.unalias(n, &inline, path);
            if let Some(target) = self.resolve(&context, &path, 0) {
                found.push((target, parse::line_of(&file.code, at), path.join("::")));
            }
        }
        found
    }

    /// `jobs::apply` where `use crate::jobs;` is in scope → `crate::jobs::apply`.
    fn unalias(&self, n: usize, inline: &[String], path: Vec<String>) -> Vec<String> {
        let alias = self.uses[n]
            .iter()
            .find(|u| u.alias == path[0] && u.inline == inline && u.path.last() != Some(&"*".into()));
        match alias {
            Some(used) => used.path.iter().cloned().chain(path.into_iter().skip(1)).collect(),
            None => path,
        }
    }

    fn is_descendant(&self, target: usize, of: &SourceFile) -> bool {
        let target = &self.files[target];
        target.crate_dir == of.crate_dir
            && target.unit == of.unit
            && target.module.len() > of.module.len()
            && target.module.starts_with(&of.module)
    }

    /// The file that defines what `path` names, seen from `context`.
    fn resolve(&self, context: &Context, path: &[String], depth: usize) -> Option<usize> {
        if depth > 8 || path.is_empty() {
            return None;
        }
        let (mut module, rest) = self.start(context, path)?;
        let mut at = *self.modules.get(&(module.crate_dir.clone(), module.unit.clone(), module.path.clone()))?;
        for (i, segment) in rest.iter().enumerate() {
            if segment == "*" {
                return Some(at);
            }
            module.path.push(segment.clone());
            if let Some(child) = self.modules.get(&(module.crate_dir.clone(), module.unit.clone(), module.path.clone()))
            {
                at = *child;
                continue;
            }
            module.path.pop();
            // An item of `module`: defined in its file, unless that file re-exports it.
            let holder = &self.files[at];
            let inline: Vec<String> = module.path[holder.module.len().min(module.path.len())..].to_vec();
            let reexport = self.uses[at].iter().find(|u| u.public && u.alias == *segment && u.inline == inline);
            if let Some(reexport) = reexport {
                let context = Context::of(holder, &reexport.inline);
                let mut followed = reexport.path.clone();
                followed.extend(rest[i + 1..].iter().cloned());
                return self.resolve(&context, &followed, depth + 1).or(Some(at));
            }
            return Some(at);
        }
        Some(at)
    }

    /// Where a path starts: `crate`, `super`, `self`, a workspace crate, or a child module.
    fn start<'p>(&self, context: &Context, path: &'p [String]) -> Option<(Context, &'p [String])> {
        let mut module = context.clone();
        let mut rest = path;
        match path[0].as_str() {
            "crate" => {
                module.path.clear();
                rest = &path[1..];
            }
            "self" => rest = &path[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    module.path.pop()?;
                    rest = &rest[1..];
                }
            }
            name if self.crates.contains_key(name) => {
                let crate_dir = self.crates[name].clone();
                return Some((Context { crate_dir, unit: "lib".into(), path: Vec::new() }, &path[1..]));
            }
            name => {
                let mut child = module.path.clone();
                child.push(name.to_owned());
                self.modules.get(&(module.crate_dir.clone(), module.unit.clone(), child))?;
            }
        }
        Some((module, rest))
    }
}

#[derive(Debug, Clone)]
struct Context {
    crate_dir: String,
    unit: String,
    path: Vec<String>,
}

impl Context {
    fn of(file: &SourceFile, inline: &[String]) -> Self {
        let mut path = file.module.clone();
        path.extend(inline.iter().cloned());
        Self { crate_dir: file.crate_dir.clone(), unit: file.unit.clone(), path }
    }
}

/// Paths written in code outside `use` statements: `a::b::c`, each with where it starts.
fn code_paths(code: &str, skip: &[std::ops::Range<usize>]) -> Vec<(usize, Vec<String>)> {
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = ident(bytes[i]) && (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':'));
        if !starts {
            i += 1;
            continue;
        }
        let at = i;
        let mut segments = Vec::new();
        loop {
            let start = i;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
            segments.push(code[start..i].to_owned());
            if code[i..].starts_with("::") && bytes.get(i + 2).is_some_and(|b| ident(*b)) {
                i += 2;
            } else {
                break;
            }
        }
        if segments.len() > 1 && !skip.iter().any(|range| range.contains(&at)) {
            found.push((at, segments));
        }
    }
    found
}
