//! docs/templates.md, run as written: every ```sh block of the author's guide, in order, in one
//! shell in an empty folder, with this build's `engross` first on the PATH. A step that fails
//! fails the test with the shell's output, so the guide cannot drift from the tool.

use std::path::Path;
use std::process::Command;

/// The guide's shell blocks, in order.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            None => {}
            Some(block) if line.trim_end() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unclosed ```sh block in the guide");
    blocks
}

#[test]
fn the_template_guide_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/templates.md")).unwrap();
    let blocks = shell_blocks(&guide);
    assert!(
        blocks.len() >= 8,
        "the guide has only {} steps",
        blocks.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_engross")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (i, block) in blocks.iter().enumerate() {
        // Each step runs in the same folder; `set -e` stops at the first command that fails
        // (a `!` command fails when its command succeeds).
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\n{block}"))
            .current_dir(dir.path())
            .env("PATH", &path)
            .env_remove("ENGROSS_TEMPLATES")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "step {} of docs/templates.md failed:\n{block}\n--- stdout\n{}\n--- stderr\n{}",
            i + 1,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What the steps made: the kind, the data file, and both outputs.
    for f in [
        "my-templates/nda/schema.toml",
        "my-templates/nda/template.dj.tera",
        "my-templates/_shared/components.dj.tera",
        "out/nda.txt",
        "out/nda.pdf",
    ] {
        assert!(dir.path().join(f).is_file(), "the guide did not make {f}");
    }
    let text = std::fs::read_to_string(dir.path().join("out/nda.txt")).unwrap();
    assert!(
        text.contains("During the term set out in Section 2"),
        "{text}"
    );
}

/// This build's `engross` with `args`, run in `dir`.
fn engross_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engross"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn init_refuses_to_overwrite_and_checks_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| engross_in(dir.path(), args);
    let first = run(&["init", "lease", "--from", "option", "--dir", "t"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let schema = std::fs::read_to_string(dir.path().join("t/lease/schema.toml")).unwrap();
    assert!(schema.starts_with("kind = \"lease\"") || schema.contains("\nkind = \"lease\""));
    let template = std::fs::read_to_string(dir.path().join("t/lease/template.dj.tera")).unwrap();
    assert!(
        !template.contains("\"option/"),
        "includes still point at option/"
    );
    // The copy renders the option's example data as the new kind.
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/examples/option-2026.toml"),
    )
    .unwrap()
    .replace("template = \"option\"", "template = \"lease\"");
    std::fs::write(dir.path().join("lease.toml"), example).unwrap();
    let render = run(&[
        "--templates",
        "t",
        "render",
        "lease.toml",
        "-f",
        "txt",
        "-o",
        "-",
    ]);
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    assert!(String::from_utf8_lossy(&render.stdout).contains("OPTION"));
    // Again: refused, nothing changed.
    let again = run(&["init", "lease", "--from", "option", "--dir", "t"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    for bad in ["Lease", "../x", "", "_shared", "a b"] {
        let out = run(&["init", bad, "--dir", "t"]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let unknown = run(&["init", "x", "--from", "nosuch", "--dir", "t"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no such kind"));
}

#[test]
fn a_reference_to_a_clause_not_in_the_document_names_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| engross_in(dir.path(), args);
    assert!(run(&["init", "nda", "--dir", "t"]).status.success());
    assert!(
        run(&["--templates", "t", "new", "nda", "-o", "nda.toml"])
            .status
            .success()
    );
    let path = dir.path().join("t/nda/template.dj.tera");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("Governing Law"))
        .unwrap()
        + 1;
    std::fs::write(
        &path,
        text.replace(
            "Governing Law.",
            "Governing Law. Subject to [](#arbitration),",
        ),
    )
    .unwrap();
    let out = run(&[
        "--templates",
        "t",
        "render",
        "nda.toml",
        "-f",
        "txt",
        "-o",
        "x.txt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("t/nda/template.dj.tera:{line}:")),
        "{err}"
    );
    assert!(err.contains("#arbitration"), "{err}");
    assert!(!dir.path().join("x.txt").exists());
}
