//! `check` on a corpus of malformed and inconsistent data files (`tests/cases/check/`): every
//! file gets diagnostics naming file, line, column and key, snapshotted one by one; no input
//! panics; and `render` writes nothing when a check fails.

use assert_cmd::Command;

use super::{engine, root};

fn cases() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/cases/check"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_file_is_diagnosed_precisely() {
    let files = cases();
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
    let engine = engine();
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let origin = format!("tests/cases/check/{name}.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let diagnostics = match engine.run(&text, &origin) {
            Ok(rendered) => {
                assert!(
                    !rendered.data.warnings.is_empty(),
                    "{name}: neither an error nor a warning"
                );
                rendered.data.warnings
            }
            Err(e) => {
                assert!(
                    !e.diagnostics().is_empty(),
                    "{name}: no located diagnostic: {e}"
                );
                e.diagnostics().to_vec()
            }
        };
        for d in &diagnostics {
            assert!(d.origin.ends_with(&format!("{name}.toml")), "{name}: {d}");
            if !text.trim().is_empty() && d.message != "the data file does not name its template" {
                assert!(d.line.is_some(), "{name}: no line for {d}");
            }
        }
        let rendered: Vec<String> = diagnostics.iter().map(|d| d.render(false)).collect();
        insta::assert_snapshot!(format!("check_{name}"), rendered.join("\n"));
    }
}

#[test]
fn a_failed_check_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for path in cases() {
        let mut cmd = Command::cargo_bin("engross").unwrap();
        let out = cmd
            .current_dir(dir.path())
            .env_remove("ENGROSS_TEMPLATES")
            .args(["render", path.to_str().unwrap(), "-f", "txt,pdf"])
            .output()
            .unwrap();
        let warning_only = path.to_string_lossy().contains("executed-copy");
        if warning_only {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::remove_dir_all(dir.path().join("output")).unwrap();
        } else {
            assert_eq!(out.status.code(), Some(2), "{}", path.display());
            assert!(
                !dir.path().join("output").exists(),
                "{}: something was written",
                path.display()
            );
        }
    }
}

#[test]
fn the_originals_and_the_new_drafts_check_clean() {
    let engine = engine();
    for dir in ["data/originals", "data/examples"] {
        let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let rendered = engine
                .run(&text, &path.display().to_string())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                rendered.data.warnings.is_empty(),
                "{}: {:?}",
                path.display(),
                rendered.data.warnings
            );
        }
    }
}

#[test]
fn the_new_drafts_render_to_text_and_pdf_and_carry_no_fact_of_the_originals() {
    let engine = engine();
    let stale = [
        "American Technologies",
        "Nevada",
        "2005",
        "Laurus",
        "Whitco",
        "Plamondon",
        "GSSF",
        "citifies",
        "Whico",
        "TECNOLOGIES",
        "opportSharey",
        "CommSharey",
    ];
    let mut files: Vec<_> = std::fs::read_dir(root().join("data/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "one new draft per kind");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let rendered = engine.run(&text, &path.display().to_string()).unwrap();
        let plain = engross::render::text::render(&rendered.document);
        for s in stale {
            assert!(!plain.contains(s), "{}: still says {s:?}", path.display());
        }
        let pdf = engine.pdf(&rendered).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
