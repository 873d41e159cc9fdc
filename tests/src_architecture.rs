//! The layer rule of docs/architecture.md, checked on the source tree (std::fs only):
//! - imports only point down: every `use crate::X` / `crate::X::` in src/**/*.rs must name a
//!   top-level module the importing file's layer may use (table `may_use` below);
//! - no import cycle between top-level modules, and none between files: every `crate::`,
//!   `super::` and `self::` path and every path through a child module is resolved to the file
//!   that defines it (through `pub use` re-exports), and the files must form no circle (a
//!   module's use of its own submodules is not counted: only a submodule's use of what is
//!   above it, or of another room, can close a circle);
//! - no source file past 700 lines (test modules count).
//!
//! What is scanned: every path outside comments and outside `mod tests { ... }` blocks (a test
//! module may reach for anything it needs to build fixtures). src/main.rs and src/lib.rs are
//! the top and may use anything. Failures list each offending file:line.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 700;

/// Top-level modules below everything else.
const UTILITIES: [&str; 1] = ["util"];
/// The jobs (`commands/`, one file per subcommand): each runs one command from its options to
/// its outputs.
const JOBS: [&str; 1] = ["commands"];

/// The top-level modules a module of `layer` may import (itself always allowed).
fn may_use(layer: &str) -> Vec<&'static str> {
    let mut ok: Vec<&'static str> = UTILITIES.to_vec();
    match layer {
        l if UTILITIES.contains(&l) => {}
        "model" => {}
        // store: the history database, read and written in the model's terms.
        "ingest" | "analyze" | "store" => ok.push("model"),
        "render" => ok.extend(["model", "analyze"]),
        l if JOBS.contains(&l) => {
            ok.extend(["model", "ingest", "analyze", "render", "store"]);
            ok.extend(JOBS);
        }
        // cli, main, lib: the top.
        _ => {
            ok.extend(["model", "ingest", "analyze", "render", "store", "cli"]);
            ok.extend(JOBS);
        }
    }
    ok
}

/// The top-level module a source file belongs to: `src/ingest/aiperf.rs` -> `ingest`.
fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("file under src");
    let first = rel.components().next().expect("non-empty path");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

/// One `crate::` reference: the line it is on and the top-level module it names.
#[derive(Debug, PartialEq)]
struct Import {
    line: usize,
    module: String,
}

/// The code of a line with a trailing `//` comment cut off (a `//` inside a string literal,
/// i.e. after an odd number of quotes, is kept).
fn code_of(line: &str) -> &str {
    let mut quotes = 0;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => quotes += 1,
            b'/' if quotes % 2 == 0 && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Every line of `text` as code: comments blanked, test modules blanked.
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block_comment = false;
    let mut test_depth: Option<i64> = None;
    for raw in text.lines() {
        let mut line = raw.to_string();
        if in_block_comment {
            match line.find("*/") {
                Some(end) => {
                    line = line[end + 2..].to_string();
                    in_block_comment = false;
                }
                None => line.clear(),
            }
        }
        if let Some(start) = line.find("/*") {
            match line[start..].find("*/") {
                Some(end) => line.replace_range(start..start + end + 2, ""),
                None => {
                    line.truncate(start);
                    in_block_comment = true;
                }
            }
        }
        let code = code_of(&line).to_string();
        let trimmed = code.trim_start();
        if test_depth.is_none()
            && (trimmed.starts_with("mod tests") || trimmed.starts_with("pub mod tests"))
            && code.contains('{')
        {
            test_depth = Some(0);
        }
        if let Some(depth) = test_depth.as_mut() {
            *depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            if *depth <= 0 && code.contains('}') {
                test_depth = None;
            }
            out.push(String::new());
            continue;
        }
        out.push(code);
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules named in a `crate::{...}` group starting at `lines[row][col]` (just
/// after the `{`), each with the line it is on. Only the first name of each item at the
/// group's own depth counts: `crate::{model::Point, stats}` -> model, stats.
fn group_items(lines: &[String], row: usize, col: usize) -> Vec<Import> {
    let mut found = Vec::new();
    let mut depth = 1;
    let mut expect_name = true;
    for (r, line) in lines.iter().enumerate().skip(row) {
        let start = if r == row { col } else { 0 };
        let rest = &line[start..];
        let mut i = 0;
        while i < rest.len() {
            let c = rest[i..].chars().next().unwrap();
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return found;
                    }
                }
                ',' if depth == 1 => expect_name = true,
                c if c.is_alphabetic() || c == '_' => {
                    let name = ident_at(&rest[i..]);
                    if depth == 1 && expect_name && name != "self" {
                        found.push(Import {
                            line: r + 1,
                            module: name.to_string(),
                        });
                    }
                    expect_name = false;
                    i += name.len();
                    continue;
                }
                _ => {}
            }
            i += c.len_utf8();
        }
    }
    found
}

/// Every `crate::` reference in a file's text, outside comments and test modules.
fn imports(text: &str) -> Vec<Import> {
    let lines = code_lines(text);
    let mut found = Vec::new();
    for (row, line) in lines.iter().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find("crate::") {
            let start = from + at;
            let after = start + "crate::".len();
            // `adreport_crate::` or `$crate::` are not this crate's paths.
            let prev = line[..start].chars().last();
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                from = after;
                continue;
            }
            if line[after..].starts_with('{') {
                found.extend(group_items(&lines, row, after + 1));
            } else {
                let name = ident_at(&line[after..]);
                if !name.is_empty() {
                    found.push(Import {
                        line: row + 1,
                        module: name.to_string(),
                    });
                }
            }
            from = after;
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// What the check finds in a tree of (path relative to the repository, text) files.
#[derive(Default)]
struct Findings {
    layer: Vec<String>,
    cycles: Vec<String>,
    file_cycles: Vec<String>,
    long: Vec<String>,
}

fn check(files: &[(String, String)]) -> Findings {
    let src = Path::new("src");
    let mut f = Findings::default();
    // (from, to) -> first place that makes the edge.
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for (path, text) in files {
        let layer = top_module(src, Path::new(path));
        let n = text.lines().count();
        if n > MAX_LINES {
            f.long
                .push(format!("{path}: {n} lines (limit {MAX_LINES})"));
        }
        let ok = may_use(&layer);
        for imp in imports(text) {
            if imp.module == layer {
                continue;
            }
            let place = format!("{path}:{}", imp.line);
            if !ok.contains(&imp.module.as_str()) {
                f.layer
                    .push(format!("{place}: {layer} imports crate::{}", imp.module));
            }
            edges.entry((layer.clone(), imp.module)).or_insert(place);
        }
    }
    f.cycles = cycles(&edges);
    f.file_cycles = cycles(&file_edges(files));
    f
}

/// Every group of top-level modules that import each other (a strongly connected component
/// of the import graph), with the imports that close the cycle, each at its first file:line.
fn cycles(edges: &BTreeMap<(String, String), String>) -> Vec<String> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        next.entry(a.as_str()).or_default().push(b.as_str());
    }
    let modules: BTreeSet<&str> = edges
        .keys()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    // Reachability by a walk from every node: a few hundred files, so cheap.
    let mut reach: BTreeSet<(&str, &str)> = BTreeSet::new();
    for &m in &modules {
        let mut stack: Vec<&str> = next.get(m).cloned().unwrap_or_default();
        while let Some(n) = stack.pop() {
            if reach.insert((m, n)) {
                stack.extend(next.get(n).into_iter().flatten().copied());
            }
        }
    }
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    for &m in &modules {
        if done.contains(m) || !reach.contains(&(m, m)) {
            continue;
        }
        let group: BTreeSet<&str> = modules
            .iter()
            .copied()
            .filter(|&o| reach.contains(&(m, o)) && reach.contains(&(o, m)))
            .collect();
        done.extend(group.iter().copied());
        let inside: Vec<String> = edges
            .iter()
            .filter(|((a, b), _)| group.contains(a.as_str()) && group.contains(b.as_str()))
            .map(|((a, b), at)| format!("{a} -> {b} ({at})"))
            .collect();
        let names: Vec<&str> = group.into_iter().collect();
        out.push(format!(
            "{}:\n    {}",
            names.join(", "),
            inside.join("\n    ")
        ));
    }
    out
}

fn source_tree() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            (rel, text)
        })
        .collect()
}

#[test]
fn imports_point_down_without_cycles_and_files_stay_short() {
    let f = check(&source_tree());
    let mut report = String::new();
    for (title, list) in [
        (
            "imports against the layer rule (docs/architecture.md)",
            &f.layer,
        ),
        ("import cycles between top-level modules", &f.cycles),
        ("import circles between files", &f.file_cycles),
        ("files past the line limit", &f.long),
    ] {
        if !list.is_empty() {
            report.push_str(&format!("{title}:\n  {}\n", list.join("\n  ")));
        }
    }
    assert!(report.is_empty(), "\n{report}");
}

/// The checker itself, on a made-up tree: it must see each kind of violation, and only those.
#[test]
fn the_check_finds_each_kind_of_violation() {
    let ingest = "\
//! use crate::render::html; in a doc comment is not an import
use crate::model::Point;
use crate::{
    util::error::Error,
    analyze::sla::Sla, // comment after an item
};
fn f() { let _ = crate::render::format::human(1.0); } // crate::cli::x in a comment
/* use crate::run::x; */
#[cfg(test)]
mod tests {
    use crate::render::html;
    fn g() { if true { let _ = crate::cli::x; } }
}
fn after_tests() { crate::report::x(); }
";
    let analyze = "use crate::model::Point;\nuse crate::model::stats;\n";
    let model = format!(
        "use crate::ingest::Input;\n{}",
        "// line\n".repeat(MAX_LINES)
    );
    let files = vec![
        ("src/ingest/aiperf.rs".to_string(), ingest.to_string()),
        ("src/analyze/sla.rs".to_string(), analyze.to_string()),
        ("src/model.rs".to_string(), model),
    ];
    let f = check(&files);
    assert_eq!(
        f.layer,
        [
            "src/ingest/aiperf.rs:5: ingest imports crate::analyze",
            "src/ingest/aiperf.rs:7: ingest imports crate::render",
            "src/ingest/aiperf.rs:14: ingest imports crate::report",
            "src/model.rs:1: model imports crate::ingest",
        ]
    );
    assert_eq!(
        f.cycles,
        ["analyze, ingest, model:
    analyze -> model (src/analyze/sla.rs:1)
    ingest -> analyze (src/ingest/aiperf.rs:5)
    ingest -> model (src/ingest/aiperf.rs:2)
    model -> ingest (src/model.rs:1)"]
    );
    assert_eq!(
        f.long,
        [format!(
            "src/model.rs: {} lines (limit {MAX_LINES})",
            MAX_LINES + 1
        )]
    );
}

/// The circles between files: through `super::`, `crate::`, groups and re-exports, and not
/// through a module's use of its own submodules.
#[test]
fn the_check_finds_circles_between_files() {
    let files: Vec<(String, String)> = [
        // The parent uses its children and re-exports one item: no circle with them.
        ("src/analyze/mod.rs", "pub mod a;\npub mod b;\npub mod c;\npub use c::Shared;\nfn f() { a::run(); b::run(); }\n"),
        // a -> b through a group, b -> a through `crate::`: a circle.
        ("src/analyze/a.rs", "use super::{b::Key, c};\npub fn run() {}\n"),
        ("src/analyze/b.rs", "pub struct Key;\npub fn run() { crate::analyze::a::run(); }\n"),
        // c reaches up to the parent's re-export of itself: not a circle with anyone.
        ("src/analyze/c.rs", "pub struct Shared;\nuse crate::analyze::Shared as S;\n"),
        // d uses c's item through the parent's re-export: an edge d -> c; c -> d closes it.
        ("src/analyze/d.rs", "use super::Shared;\n"),
        ("src/analyze/e.rs", "pub struct E;\n#[cfg(test)]\nmod tests {\n    use super::super::a::run;\n}\n"),
    ]
    .iter()
    .map(|(p, t)| (p.to_string(), t.to_string()))
    .collect();
    let edges = file_edges(&files);
    assert_eq!(
        edges.keys().cloned().collect::<Vec<_>>(),
        [
            ("src/analyze/a.rs", "src/analyze/b.rs"),
            ("src/analyze/a.rs", "src/analyze/c.rs"),
            ("src/analyze/b.rs", "src/analyze/a.rs"),
            ("src/analyze/d.rs", "src/analyze/c.rs"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(
        check(&files).file_cycles,
        ["src/analyze/a.rs, src/analyze/b.rs:
    src/analyze/a.rs -> src/analyze/b.rs (src/analyze/a.rs:1)
    src/analyze/b.rs -> src/analyze/a.rs (src/analyze/b.rs:2)"]
    );
}

// ---------------------------------------------------------------------------------------------
// The import graph between files

/// The module path of a source file: `src/lib.rs` -> [], `src/a.rs` and `src/a/mod.rs` ->
/// [a], `src/a/b.rs` -> [a, b].
fn module_path(rel: &str) -> Vec<String> {
    let inner = rel.strip_prefix("src/").unwrap_or(rel);
    let inner = inner.strip_suffix(".rs").unwrap_or(inner);
    let mut segs: Vec<String> = inner.split('/').map(str::to_string).collect();
    if matches!(
        segs.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        segs.pop();
    }
    segs
}

/// A `use` tree or an inline path from `at` in `code`: every leaf as its segments (`self`
/// inside a group names the group's own path; aliases are dropped; a glob ends the path).
fn parse_tree(code: &[u8], mut at: usize, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let skip_ws = |i: &mut usize| {
        while *i < code.len() && code[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let mut path = prefix.to_vec();
    loop {
        skip_ws(&mut at);
        if at < code.len() && code[at] == b'{' {
            at += 1;
            loop {
                skip_ws(&mut at);
                if at >= code.len() {
                    return at;
                }
                match code[at] {
                    b'}' => return at + 1,
                    b',' => at += 1,
                    _ => {
                        let before = at;
                        at = parse_tree(code, at, &path, out);
                        if at == before {
                            at += 1;
                        }
                    }
                }
            }
        }
        if at < code.len() && code[at] == b'*' {
            out.push(path);
            return at + 1;
        }
        let start = at;
        while at < code.len() && (code[at].is_ascii_alphanumeric() || code[at] == b'_') {
            at += 1;
        }
        if at == start {
            out.push(path);
            return at;
        }
        let seg = std::str::from_utf8(&code[start..at]).unwrap().to_string();
        if seg != "self" || path.is_empty() {
            path.push(seg);
        }
        let mut next = at;
        skip_ws(&mut next);
        if code[next..].starts_with(b"::") {
            at = next + 2;
            continue;
        }
        // `name as alias`: the alias is not a path.
        if code[next..].starts_with(b"as ") {
            at = next + 3;
            skip_ws(&mut at);
            while at < code.len() && (code[at].is_ascii_alphanumeric() || code[at] == b'_') {
                at += 1;
            }
        }
        out.push(path);
        return at;
    }
}

/// The child modules a file declares (`mod x;`, `pub mod x;`), outside test modules.
fn child_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let t = line.trim_start();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub "))
            .unwrap_or(t);
        if let Some(rest) = t.strip_prefix("mod ") {
            if let Some(name) = rest.trim().strip_suffix(';') {
                out.push(name.trim().to_string());
            }
        }
    }
    out
}

/// Every path a file's code names through `crate::`, `super::`, `self::` or one of its child
/// modules, each with the line it starts on; `pub use` re-exports are flagged.
fn named_paths(code: &str, children: &[String]) -> Vec<(usize, Vec<String>, bool)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut starts: Vec<String> = vec!["crate".into(), "super".into(), "self".into()];
    starts.extend(children.iter().cloned());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || matches!(bytes[i - 1], b'_' | b':' | b'$' | b'.'));
        if boundary && (c.is_ascii_alphabetic() || c == b'_') {
            let end = (i..bytes.len())
                .find(|&j| !(bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_'))
                .unwrap_or(bytes.len());
            let word = &code[i..end];
            if starts.iter().any(|s| s == word) && code[end..].starts_with("::") {
                let line = code[..i].matches('\n').count() + 1;
                let stmt_start = code[..i].rfind([';', '{', '}']).map_or(0, |p| p + 1);
                let reexport = code[stmt_start..i].trim_start().starts_with("pub")
                    && code[stmt_start..i].contains("use");
                let mut leaves = Vec::new();
                let next = parse_tree(bytes, i, &[], &mut leaves);
                for l in leaves {
                    out.push((line, l, reexport));
                }
                i = next.max(end);
                continue;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// The module a path lands in, and the item it names there (if any).
fn walk(
    from: &[String],
    segs: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> (Vec<String>, Option<String>) {
    let mut cur = from.to_vec();
    for (k, s) in segs.iter().enumerate() {
        match s.as_str() {
            "crate" if k == 0 => cur.clear(),
            "super" => {
                cur.pop();
            }
            "self" => {}
            _ => {
                let mut next = cur.clone();
                next.push(s.clone());
                if modules.contains(&next) {
                    cur = next;
                } else {
                    return (cur, Some(s.clone()));
                }
            }
        }
    }
    (cur, None)
}

/// Files (path, text) -> the edges between them: (from, to) -> the first file:line.
fn file_edges(files: &[(String, String)]) -> BTreeMap<(String, String), String> {
    let mut by_module: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let mut parsed = Vec::new();
    for (path, text) in files {
        if path.ends_with("src/main.rs") {
            continue;
        }
        let module = module_path(path);
        let code = code_lines(text).join("\n");
        let children = child_modules(&code);
        let paths = named_paths(&code, &children);
        by_module.insert(module.clone(), path.clone());
        parsed.push((path.clone(), module, paths));
    }
    let modules: BTreeSet<Vec<String>> = by_module.keys().cloned().collect();
    // module -> item -> the absolute path it re-exports.
    let mut reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (_, module, paths) in &parsed {
        for (_, segs, re) in paths {
            if *re {
                if let Some(name) = segs.last() {
                    let (m, item) = walk(module, segs, &modules);
                    let mut abs = m;
                    abs.extend(item);
                    abs.insert(0, "crate".into());
                    reexports
                        .entry(module.clone())
                        .or_default()
                        .insert(name.clone(), abs);
                }
            }
        }
    }
    let mut edges = BTreeMap::new();
    for (path, module, paths) in &parsed {
        for (line, segs, _) in paths {
            let (mut target, mut item) = walk(module, segs, &modules);
            // Follow re-exports to the file that defines the item.
            for _ in 0..8 {
                let Some(abs) = item
                    .as_ref()
                    .and_then(|i| reexports.get(&target).and_then(|r| r.get(i)))
                else {
                    break;
                };
                let (t, i) = walk(&[], abs, &modules);
                if t == target && i == item {
                    break;
                }
                (target, item) = (t, i);
            }
            let Some(to) = by_module.get(&target) else {
                continue;
            };
            // A module's use of its own submodules (declaring them, re-exporting, calling into
            // them) is the module at work, not an import between rooms: only the other
            // direction, a submodule reaching up, counts.
            let descendant = target.len() > module.len() && target.starts_with(module);
            if to != path && !descendant && !to.ends_with("src/lib.rs") {
                edges
                    .entry((path.clone(), to.clone()))
                    .or_insert_with(|| format!("{path}:{line}"));
            }
        }
    }
    edges
}
