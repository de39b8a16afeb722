//! Reading a source file as the module graph needs it: its code without comments and string
//! literals, its `mod` declarations, its `use` trees expanded into paths, the other paths it
//! names, and the items it defines. Sources are rustfmt-formatted, which keeps this simple.

/// A `use` of one path: `crate::a::B` (its last segment `*` for a glob), and the name it binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Use {
    pub path: Vec<String>,
    pub alias: String,
    /// `pub use`, `pub(crate) use`, …: a re-export.
    pub public: bool,
    pub line: usize,
    /// The inline module it is written in (`mod tests { … }`), if any.
    pub inline: Vec<String>,
}

/// Code with comments and string and char literals blanked (same length, same lines).
pub(super) fn strip(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let blank = |b: u8| if b == b'\n' { b'\n' } else { b' ' };
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let end = text[i + 2..].find("*/").map_or(bytes.len(), |e| i + 2 + e + 2);
            out.extend(bytes[i..end].iter().map(|b| blank(*b)));
            i = end;
        } else if let Some(len) = raw_string(rest) {
            out.extend(bytes[i..i + len].iter().map(|b| blank(*b)));
            i += len;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(bytes.len());
            out.extend(bytes[i..end].iter().map(|b| blank(*b)));
            i = end;
        } else if let Some(len) = char_literal(rest) {
            out.extend(std::iter::repeat_n(b' ', len));
            i += len;
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `r"…"`, `r#"…"#`, `br"…"`: its length.
fn raw_string(rest: &[u8]) -> Option<usize> {
    let start = if rest.starts_with(b"br") {
        2
    } else if rest.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = rest[start..].iter().take_while(|b| **b == b'#').count();
    if rest.get(start + hashes) != Some(&b'"') {
        return None;
    }
    let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
    let body = start + hashes + 1;
    let end = rest[body..].windows(close.len()).position(|w| w == close.as_slice())?;
    Some(body + end + close.len())
}

/// `'a'`, `'\n'`, `'\''` (not a lifetime `'a`).
fn char_literal(rest: &[u8]) -> Option<usize> {
    if rest.first() != Some(&b'\'') {
        return None;
    }
    if rest.get(1) == Some(&b'\\') {
        let close = rest[2..].iter().position(|b| *b == b'\'')?;
        return Some(close + 3);
    }
    let ch = std::str::from_utf8(&rest[1..rest.len().min(6)]).ok().or_else(|| std::str::from_utf8(&rest[1..2]).ok())?;
    let len = ch.chars().next()?.len_utf8();
    (rest.get(1 + len) == Some(&b'\'')).then_some(len + 2)
}

/// The line (1-based) of byte `at`.
pub(super) fn line_of(code: &str, at: usize) -> usize {
    code[..at].matches('\n').count() + 1
}

/// Inline modules (`mod name { … }`): each one's path inside the file and its byte range.
pub(super) fn inline_modules(code: &str) -> Vec<(Vec<String>, std::ops::Range<usize>)> {
    let mut found: Vec<(Vec<String>, std::ops::Range<usize>)> = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        if code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + 4..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let after = rest[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = at + 4 + rest.find('{').expect("seen above");
        let close = matching_brace(code, open);
        let mut path: Vec<String> = found
            .iter()
            .filter(|(_, range)| range.contains(&at))
            .max_by_key(|(_, range)| range.start)
            .map(|(path, _)| path.clone())
            .unwrap_or_default();
        path.push(name);
        found.push((path, open..close));
    }
    found
}

fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// The inline module that byte `at` is in (empty: the file's own).
pub(super) fn inline_at(inline: &[(Vec<String>, std::ops::Range<usize>)], at: usize) -> Vec<String> {
    inline
        .iter()
        .filter(|(_, r)| r.contains(&at))
        .max_by_key(|(_, r)| r.start)
        .map(|(p, _)| p.clone())
        .unwrap_or_default()
}

/// The byte ranges of the file's `use` statements.
pub(super) fn use_ranges(code: &str) -> Vec<std::ops::Range<usize>> {
    use_statements(code).into_iter().map(|(at, end, _)| at..end).collect()
}

/// (start, end, head) of each `use` statement; head is what precedes `use` on its line.
fn use_statements(code: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("use ") {
        let before = &code[..at];
        if before.chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let head = code[line_start..at].trim();
        if !(head.is_empty() || head.starts_with("pub")) {
            continue;
        }
        let Some(end) = code[at..].find(';') else { continue };
        found.push((at, at + end, head.to_owned()));
    }
    found
}

/// Every `use` of the file, its trees expanded.
pub(super) fn uses(code: &str, inline: &[(Vec<String>, std::ops::Range<usize>)]) -> Vec<Use> {
    let mut found = Vec::new();
    for (at, end, head) in use_statements(code) {
        let tree = normalize(&code[at + 4..end]);
        let mut paths = Vec::new();
        expand(&tree, &mut Vec::new(), &mut paths);
        for (path, alias) in paths {
            let line = line_of(code, at);
            found.push(Use { path, alias, public: head.starts_with("pub"), line, inline: inline_at(inline, at) });
        }
    }
    found
}

/// `a::{b, c::{d as e, *}}` → `a::b` (b), `a::c::d` (e), `a::c::*`.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let base: Vec<String> = tree[..open].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let depth = prefix.len();
        prefix.extend(base);
        for part in split_top(inner) {
            expand(part, prefix, out);
        }
        prefix.truncate(depth);
        return;
    }
    let (path, alias) = tree.split_once(" as ").unwrap_or((tree, ""));
    let mut full = prefix.clone();
    full.extend(path.split("::").filter(|s| !s.is_empty()).map(str::to_owned));
    if full.last().is_some_and(|s| s == "self") {
        full.pop();
    }
    let alias = if alias.is_empty() { full.last().cloned().unwrap_or_default() } else { alias.to_owned() };
    if !full.is_empty() {
        out.push((full, alias));
    }
}

/// A use tree on one line: single spaces, none around `::`, braces and commas (so that
/// `a as b` keeps its spaces).
fn normalize(tree: &str) -> String {
    let one: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = one;
    for token in ["::", "{", "}", ","] {
        out = out.replace(&format!(" {token}"), token).replace(&format!("{token} "), token);
    }
    out.trim().to_owned()
}

/// Splits `a, b::{c, d}, e` at its top-level commas.
fn split_top(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}
