//! Finding every source file of the workspace from its crate roots, following `mod`
//! declarations, and reading each once.

use std::path::{Path, PathBuf};

use super::parse;

/// One `.rs` file and what it says.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The member's directory name (`shared`, `queue`).
    pub crate_dir: String,
    /// The crate's name as code names it (`vteacher_queue`), or the binary's or test's.
    pub crate_name: String,
    /// Which compilation unit: `lib`, `bin:<name>`, `test:<name>`.
    pub unit: String,
    /// Its module path within that unit (`["jobs", "booking"]`; empty for the root).
    pub module: Vec<String>,
    /// Its code with comments and literals blanked.
    pub code: String,
    /// The modules it declares (inline or in files), by name.
    pub children: Vec<String>,
    pub inline: Vec<(Vec<String>, std::ops::Range<usize>)>,
    /// Compiled for tests only: declared under `#[cfg(test)]` (or inside such a module), or a
    /// file of `tests/`.
    pub test_only: bool,
}

impl SourceFile {
    pub fn is_lib(&self) -> bool {
        self.unit == "lib"
    }
}

/// Every file of every member of the workspace at `root`.
pub(super) fn discover(root: &Path) -> Vec<SourceFile> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("the workspace's Cargo.toml");
    let members = manifest.split("members").nth(1).and_then(|m| m.split(']').next()).unwrap_or_default();
    let mut files = Vec::new();
    for member in members.split('"').skip(1).step_by(2) {
        let dir = root.join(member);
        let name = package_name(&dir).replace('-', "_");
        let lib = dir.join("src/lib.rs");
        if lib.is_file() {
            walk(&mut files, &lib, member, &name, "lib", Vec::new(), false);
        }
        let main = dir.join("src/main.rs");
        if main.is_file() {
            walk(&mut files, &main, member, &name, "bin", Vec::new(), false);
        }
        for test in test_roots(&dir.join("tests")) {
            let unit = format!("test:{}", test.display());
            walk(&mut files, &test, member, &name, &unit, Vec::new(), true);
        }
    }
    files
}

fn package_name(dir: &Path) -> String {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a member's Cargo.toml");
    let line = manifest.lines().find(|l| l.starts_with("name")).expect("a package name");
    line.split('"').nth(1).expect("a quoted name").to_owned()
}

/// `tests/x.rs` and `tests/x/main.rs`.
fn test_roots(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut roots: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| if p.is_dir() { Some(p.join("main.rs")).filter(|m| m.is_file()) } else { Some(p) })
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    roots.sort();
    roots
}

fn walk(
    files: &mut Vec<SourceFile>,
    path: &Path,
    crate_dir: &str,
    crate_name: &str,
    unit: &str,
    module: Vec<String>,
    test_only: bool,
) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let code = parse::strip(&text);
    let inline = parse::inline_modules(&code);
    let declared = declared_files(&text, &code, path);
    let mut children: Vec<String> = declared.iter().map(|(name, _, _)| name.clone()).collect();
    children.extend(inline.iter().filter(|(p, _)| p.len() == 1).map(|(p, _)| p[0].clone()));
    files.push(SourceFile {
        path: path.to_owned(),
        crate_dir: crate_dir.to_owned(),
        crate_name: crate_name.to_owned(),
        unit: unit.to_owned(),
        module: module.clone(),
        code,
        children,
        inline,
        test_only,
    });
    for (name, child, for_tests) in declared {
        let mut module = module.clone();
        module.push(name);
        walk(files, &child, crate_dir, crate_name, unit, module, test_only || for_tests);
    }
}

/// `mod name;` declarations: the name, the file (`#[path]` honoured), and whether it is
/// declared under `#[cfg(test)]`.
fn declared_files(text: &str, code: &str, path: &Path) -> Vec<(String, PathBuf, bool)> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let own_dir = path.parent().expect("a file has a directory");
    let dir = if ["mod", "lib", "main"].contains(&stem) { own_dir.to_owned() } else { own_dir.join(stem) };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        if code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + 4..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if name.is_empty() || !rest[name.len()..].trim_start().starts_with(';') {
            continue;
        }
        let line_start = text[..at].rfind('\n').unwrap_or(0);
        let above = text[..line_start].lines().rev().map(str::trim);
        let attributes: Vec<&str> = above.take(3).take_while(|l| l.starts_with("#[")).collect();
        let for_tests = attributes.contains(&"#[cfg(test)]");
        let attribute = attributes.iter().find_map(|l| l.strip_prefix("#[path = \""));
        let file = match attribute {
            Some(p) => own_dir.join(p.trim_end_matches("\"]")),
            None if dir.join(format!("{name}.rs")).is_file() => dir.join(format!("{name}.rs")),
            None => dir.join(&name).join("mod.rs"),
        };
        found.push((name, file, for_tests));
    }
    found
}
