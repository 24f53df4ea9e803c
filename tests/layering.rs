//! The house goes one way: a module uses only the modules below it (ARCHITECTURE.md). This
//! reads every source file, finds each `crate::…` path (and `use crate::{…}` lists), and fails
//! on any edge that points up or sideways, naming the file and line.

use std::path::{Path, PathBuf};

/// Bottom to top. The crate root (`lib.rs`: `Engine` and the re-exports) sits above the
/// modules it runs; `extract` (which renders through an `Engine`) and the command line sit on
/// it.
const ORDER: &[&str] = &[
    "error",
    "threads",
    "words",
    "input",
    "data",
    "template",
    "document",
    "render",
    "layout",
    "pdf",
    "docx",
    "diff",
    "proof",
    "comparison",
    "(root)",
    "extract",
    "cli",
];

/// What a `crate::Name` at the root refers to: the module it is re-exported from.
fn root_item(name: &str) -> &'static str {
    match name {
        "Error" | "Result" | "Diagnostic" | "Severity" => "error",
        "MAX_BLOCKS" | "MAX_PAGES" | "check_pages" | "check_size" | "page_setup" => "layout",
        "document_date" => "pdf",
        _ => "(root)",
    }
}

fn rank(module: &str) -> usize {
    ORDER.iter().position(|m| *m == module).unwrap_or_else(|| {
        panic!("module `{module}` is not in tests/layering.rs's ORDER: place it")
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .to_string();
    match first.strip_suffix(".rs") {
        Some("lib") => "(root)".into(),
        Some("main") => "cli".into(),
        Some(m) => m.into(),
        None => first,
    }
}

/// Every module a line's `crate::` paths name.
fn targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            let end = list.find('}').unwrap_or(list.len());
            for item in list[..end].split(',') {
                let name = item.trim().split("::").next().unwrap_or("").trim();
                if !name.is_empty() {
                    out.push(name.to_string());
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out.into_iter()
        .map(|name| {
            if ORDER.contains(&name.as_str()) {
                name
            } else {
                root_item(&name).to_string()
            }
        })
        .collect()
}

#[test]
fn no_module_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut edges = 0;
    for file in &files {
        let from = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        // The library's graph: unit tests (from `#[cfg(test)]` on, and `tests.rs` files) may
        // drive the whole engine.
        if file.file_name().is_some_and(|f| f == "tests.rs") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            for to in targets(code) {
                if to == from {
                    continue;
                }
                edges += 1;
                if rank(&to) > rank(&from) {
                    upward.push(format!(
                        "{}:{}: `{from}` uses `{to}`, which is above it",
                        file.strip_prefix(&src).unwrap().display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        edges > 50,
        "the scan found only {edges} edges: is it reading the sources?"
    );
    assert!(upward.is_empty(), "upward edges:\n{}", upward.join("\n"));
}

#[test]
fn the_scan_sees_an_upward_edge() {
    // The checker itself: these lines would be upward edges from `data`.
    assert_eq!(
        targets("use crate::template::legal::format_number;"),
        ["template"]
    );
    assert_eq!(targets("use crate::{Engine, Error};"), ["(root)", "error"]);
    assert!(rank("template") > rank("data"));
    assert!(rank("(root)") > rank("comparison"));
}

/// The templates read as documents: no hand-made clause numbers or offsets, no `throw` (the
/// schema's rules do the checking), no arithmetic on decimal strings (the schema computes).
#[test]
fn templates_hold_no_numbers_throws_or_string_arithmetic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut files = Vec::new();
    for kind in std::fs::read_dir(&dir).unwrap() {
        for f in std::fs::read_dir(kind.unwrap().path()).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "tera") {
                files.push(f);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 10, "found only {} templates", files.len());
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let at = format!("{}:{}", f.strip_prefix(&dir).unwrap().display(), n + 1);
            // A label written as digits ([1.15]{.label}), or built from a number in Tera.
            let digit_label = line.match_indices("]{.label").any(|(i, _)| {
                let open = line[..i].rfind('[').map_or(0, |o| o + 1);
                let inside = &line[open..i];
                !inside.is_empty()
                    && inside.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && inside.chars().any(|c| c.is_ascii_digit())
            });
            let built_label = line.contains("}}]{.label") || line.contains("}}.]{.label");
            if digit_label || built_label {
                found.push(format!("{at}: a clause number by hand: {line}"));
            }
            if line.contains("throw(") {
                found.push(format!(
                    "{at}: a throw (put the check in the schema's rules): {line}"
                ));
            }
            if line.contains("\"0000") || line.contains("split(pat=\".\")") {
                found.push(format!("{at}: arithmetic on a decimal string: {line}"));
            }
            if line.contains("roman") && line.contains("art") {
                found.push(format!("{at}: an article number by hand: {line}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
