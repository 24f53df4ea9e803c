//! Word: `render -f docx`, .docx inputs to `diff`/`redline`, and `redline -f docx`, checked
//! with the real tools: LibreOffice (headless) opens every .docx and shows the words of the
//! text render; python-docx reads the styles and the content controls; accepting every tracked
//! change of a redline (on the XML, in `tests/tools/docx_check.py`) gives the new document's
//! words and rejecting them the old one's — for the ten data files' pairs, the hand-made pairs
//! and seeded random edit scripts. Both tools are required under CI (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use engross::diff::Options;
use engross::document::{Block, Document, Mark, Run};

use super::generative::{FILES, any_script, corpora, document, exact_script, sample};
use super::{Rng, engine, read, root};

/// The words of a document in reading order (table cells and signature columns one after the
/// other), typographic marks as ASCII, blanks and rules left out, redline notes left out.
fn doc_words(doc: &Document) -> Vec<String> {
    let mut text = String::new();
    let runs = |runs: &[Run], text: &mut String| {
        for r in runs {
            match r {
                Run::Text { text: t, style } if style.mark != Some(Mark::Note) => text.push_str(t),
                Run::Text { .. } => {}
                Run::Field { .. } | Run::Signature { .. } | Run::Break => text.push(' '),
            }
        }
        text.push('\n');
    };
    doc.walk(&mut |b| match b {
        Block::Heading { runs: r, .. } => runs(r, &mut text),
        Block::Paragraph(p) => {
            runs(&p.label, &mut text);
            runs(&p.runs, &mut text);
        }
        Block::Table(rows) => {
            for row in rows {
                for cell in &row.cells {
                    runs(cell, &mut text);
                }
            }
        }
        _ => {}
    });
    words(&text)
}

/// Words of a text as a Word reader gives it: ASCII marks, no-break spaces as spaces, runs of
/// underscores (blanks) dropped.
fn words(text: &str) -> Vec<String> {
    engross::document::ascii(text)
        .split_whitespace()
        .flat_map(|w| {
            // A blank (a run of underscores) or a rule separates words.
            w.split('_')
                .filter(|p| !p.is_empty() && !p.chars().all(|c| c == '-'))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn tool(program: &str, probe: &[&str]) -> bool {
    let found = Command::new(program)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {program} is not installed");
    }
    found
}

fn python_docx() -> bool {
    tool("python3", &["-c", "import docx"])
}

/// Run `tests/tools/docx_check.py` on files; its JSON.
fn docx_check(files: &[PathBuf]) -> serde_json::Value {
    let out = Command::new("python3")
        .arg(root().join("tests/tools/docx_check.py"))
        .args(files)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "docx_check.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("docx_check.py prints JSON")
}

fn paragraphs_words(v: &serde_json::Value) -> Vec<String> {
    let text: Vec<String> = v
        .as_array()
        .expect("a list of paragraphs")
        .iter()
        .map(|p| p.as_str().unwrap_or_default().to_string())
        .collect();
    words(&text.join("\n"))
}

fn rendered(path: &str) -> engross::Rendered {
    engine().run(&read(path), path).expect("renders")
}

#[test]
fn every_docx_is_deterministic_and_reads_back_exactly() {
    let engine = engine();
    for path in FILES {
        let r = rendered(path);
        let a = engine.docx(&r).unwrap();
        assert_eq!(a, engine.docx(&r).unwrap(), "{path}: not deterministic");
        let back = engross::docx::read(&a).unwrap();
        // The text Word shows, read back, is the document word for word.
        let cmp = engross::diff::compare(&r.document, &back.document, &Options::default()).unwrap();
        assert!(
            cmp.changes.is_empty(),
            "{path}: the .docx's text reads back with changes: {:?}",
            cmp.changes.iter().take(3).collect::<Vec<_>>()
        );
        assert_eq!(doc_words(&back.document), doc_words(&r.document), "{path}");
        let (source, data) = back
            .source
            .expect("the source travels in a custom XML part");
        assert_eq!(source, r.source, "{path}");
        assert_eq!(data, engross::normalised_data(&r.data.source).unwrap());
        assert_eq!(back.revisions, 0);
    }
}

#[test]
fn libreoffice_opens_every_docx_with_the_words_of_the_text_render() {
    if !tool("soffice", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let engine = engine();
    let mut expected = Vec::new();
    for path in FILES {
        let r = rendered(path);
        let stem = Path::new(path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        std::fs::write(
            dir.path().join(format!("{stem}.docx")),
            engine.docx(&r).unwrap(),
        )
        .unwrap();
        // The text render's words, in the Document's reading order (the text render sets
        // signature columns side by side, line by line): the same words, the same count.
        let text = engross::render::text::render(&r.document);
        let mut a = words(&text);
        let mut b = doc_words(&r.document);
        a.sort();
        b.sort();
        if a != b {
            let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(0);
            panic!(
                "{path}: reading order holds other words than the text render: {:?} vs {:?}",
                &a[at..(at + 5).min(a.len())],
                &b[at..(at + 5).min(b.len())]
            );
        }
        expected.push((stem, doc_words(&r.document)));
    }
    let docs: Vec<PathBuf> = expected
        .iter()
        .map(|(s, _)| dir.path().join(format!("{s}.docx")))
        .collect();
    let profile = dir.path().join("profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
        ])
        .arg(dir.path().join("txt"))
        .args(&docs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (stem, want) in expected {
        let txt = dir.path().join("txt").join(format!("{stem}.txt"));
        let got = std::fs::read_to_string(&txt)
            .unwrap_or_else(|e| panic!("LibreOffice wrote no {}: {e}", txt.display()));
        let got = words(got.trim_start_matches('\u{feff}'));
        assert_eq!(got, want, "{stem}: LibreOffice shows other words");
    }
}

#[test]
fn python_docx_reads_the_styles_and_the_content_controls() {
    if !python_docx() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let engine = engine();
    let mut files = Vec::new();
    let mut names = Vec::new();
    for path in FILES {
        let r = rendered(path);
        let file = dir.path().join(format!(
            "{}.docx",
            Path::new(path).file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&file, engine.docx(&r).unwrap()).unwrap();
        let mut fields = Vec::new();
        r.document.walk(&mut |b| {
            let mut of = |runs: &[Run]| {
                for run in runs {
                    match run {
                        Run::Field { name, .. } => fields.push(name.clone()),
                        Run::Signature { role, .. } => fields.push(role.clone()),
                        _ => {}
                    }
                }
            };
            match b {
                Block::Heading { runs, .. } => of(runs),
                Block::Paragraph(p) => {
                    of(&p.label);
                    of(&p.runs);
                }
                Block::Table(rows) => rows.iter().flat_map(|r| &r.cells).for_each(|c| of(c)),
                _ => {}
            }
        });
        names.push((path, fields, engross::page_setup(&r.data.page)));
        files.push(file);
    }
    let report = docx_check(&files);
    for (file, (path, fields, setup)) in files.iter().zip(names) {
        let v = &report[file.to_str().unwrap()];
        let defined: Vec<&str> = v["styles_defined"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        for style in [
            "Title",
            "Heading 1",
            "Heading 2",
            "Heading 3",
            "Body Text",
            "Clause",
            "Legend",
            "Signature",
        ] {
            assert!(defined.contains(&style), "{path}: no style {style}");
        }
        let used: Vec<&str> = v["styles_used"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        assert!(used.contains(&"Body Text"), "{path}: {used:?}");
        let mut signed = false;
        r_has_signatures(path, &mut signed);
        if signed {
            assert!(used.contains(&"Signature"), "{path}: {used:?}");
        }
        let tags: Vec<String> = v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            tags, fields,
            "{path}: content controls are not the PDF's fields"
        );
        // EMU: 12,700 a point.
        assert_eq!(
            v["section"]["width"],
            (setup.width * 12700.0).round() as i64
        );
        assert_eq!(
            v["section"]["left"],
            (setup.margin * 12700.0).round() as i64
        );
    }
}

fn r_has_signatures(path: &str, signed: &mut bool) {
    rendered(path).document.walk(&mut |b| {
        if matches!(b, Block::Signatures(_)) {
            *signed = true;
        }
    });
}

/// The characters of words, without the spaces between them: what Reject All must restore in
/// order (a redline shares one separator between a deleted word and the new word after it, so
/// the space beside a replacement can differ from the old document's).
fn letters(words: &[String]) -> String {
    words.concat()
}

/// A Word redline to check: its two documents and its bytes.
struct Case {
    name: String,
    old: Document,
    new: Document,
    bytes: Vec<u8>,
}

fn sorted(mut words: Vec<String>) -> Vec<String> {
    words.sort();
    words
}

/// Old and new documents whose Word redline is checked: the data files' pairs, the hand-made
/// pairs, and seeded random edit scripts (exact and any).
fn redline_cases() -> Vec<Case> {
    let engine = engine();
    let mut cases = Vec::new();
    let mut add =
        |name: String, old: engross::comparison::Input, new: engross::comparison::Input| {
            let red = engross::comparison::compare(&old, &new, &Options::default()).unwrap();
            let bytes = red.docx("engross");
            cases.push(Case {
                name,
                old: old.document,
                new: new.document,
                bytes,
            });
        };
    let input = |path: &str| {
        let bytes = std::fs::read(root().join(path)).unwrap();
        engine.input(path, &bytes).unwrap()
    };
    for (a, b) in FILES[..5].iter().zip(&FILES[5..]) {
        add(format!("{a} -> {b}"), input(a), input(b));
        add(format!("{b} -> {a}"), input(b), input(a));
    }
    let pairs = root().join("tests/cases/pairs");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&pairs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let find = |stem: &str| {
            std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.file_stem().is_some_and(|s| s == stem))
                .unwrap()
        };
        let (old, new) = (find("old"), find("new"));
        let rel = |p: &Path| {
            p.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .to_string()
        };
        add(rel(&dir), input(&rel(&old)), input(&rel(&new)));
    }
    let corpora = corpora();
    let mut rng = Rng(0x00d0_c0de);
    let n: usize = std::env::var("ENGROSS_GEN_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    for case in 0..n {
        let old = sample(&corpora, &mut rng);
        let exact = case % 2 == 1;
        let new = if exact {
            exact_script(&old, &mut rng).0
        } else {
            any_script(&old, &mut rng).0
        };
        let text = |paras: &[Vec<String>]| engross::comparison::Input {
            name: format!("case {case}"),
            id: String::new(),
            kind: engross::comparison::InputKind::Text,
            document: document(paras),
            data: None,
            shown: None,
            warnings: Vec::new(),
            drawing: None,
        };
        add(format!("random case {case}"), text(&old), text(&new));
    }
    cases
}

#[test]
fn word_redline_accepted_is_the_new_document_and_rejected_the_old() {
    if !python_docx() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases = redline_cases();
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let f = dir.path().join(format!("case-{i}.docx"));
            std::fs::write(&f, &c.bytes).unwrap();
            f
        })
        .collect();
    let report = docx_check(&files);
    let mut failures = Vec::new();
    // ENGROSS_DOCX_DUMP=DIR: the failing cases' documents (as text) and redlines go there.
    let dump = std::env::var_os("ENGROSS_DOCX_DUMP").map(PathBuf::from);
    for (i, (c, file)) in cases.iter().zip(&files).enumerate() {
        let (name, old, new, bytes) = (&c.name, &c.old, &c.new, &c.bytes);
        let before = failures.len();
        let v = &report[file.to_str().unwrap()];
        let accepted = paragraphs_words(&v["accept"]);
        let rejected = paragraphs_words(&v["reject"]);
        if accepted != doc_words(new) {
            failures.push(format!("{name}: Accept All is not the new document"));
        }
        // Every old word comes back exactly once and no new word stays, always.
        if sorted(rejected.clone()) != sorted(doc_words(old)) {
            failures.push(format!("{name}: Reject All does not give the old words"));
        } else if letters(&rejected) != letters(&doc_words(old)) {
            // And in their order, in rewrites too.
            let (a, b) = (doc_words(old), rejected);
            let at = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            let why = format!(
                "{name}: Reject All has the old words in another order (from word {at}: {:?} vs {:?})",
                &a[at..(at + 8).min(a.len())],
                &b[at..(at + 8).min(b.len())]
            );
            failures.push(why);
        }
        if let Some(dir) = dump.as_ref().filter(|_| failures.len() > before) {
            std::fs::create_dir_all(dir).unwrap();
            let text = |d: &Document| engross::render::text::render(d);
            std::fs::write(dir.join(format!("{i}-old.txt")), text(old)).unwrap();
            std::fs::write(dir.join(format!("{i}-new.txt")), text(new)).unwrap();
            std::fs::write(dir.join(format!("{i}.docx")), bytes).unwrap();
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} redlines fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn engross() -> Command {
    Command::cargo_bin("engross").unwrap()
}

/// A .docx with its main part's XML changed by `edit`.
fn edited(bytes: &[u8], edit: impl Fn(&str) -> String) -> Vec<u8> {
    let archive = engross::docx::zip::read(bytes).unwrap();
    let names: Vec<String> = archive.names().map(str::to_string).collect();
    let parts: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| {
            let b = archive.get(n).unwrap().unwrap();
            if n == "word/document.xml" {
                (n.clone(), edit(&String::from_utf8(b).unwrap()).into_bytes())
            } else {
                (n.clone(), b)
            }
        })
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    engross::docx::zip::write(&refs)
}

#[test]
fn the_word_workflow_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("data/originals/assignment-2006.toml");
    let out = dir.path().join("assignment-2006.docx");
    let st = engross()
        .args(["render", "-f", "docx", "-o"])
        .arg(&out)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    // Not overwritten without --force.
    let again = engross()
        .args(["render", "-f", "docx", "-o"])
        .arg(&out)
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    // The .docx as sent compares exactly against its data file.
    let same = engross().arg("diff").arg(&data).arg(&out).output().unwrap();
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    // Their markup: a word replaced as a tracked change, accepted when read.
    let marked = edited(&bytes, |xml| {
        let at = xml.find("authorized").expect("the text says authorized");
        let start = xml[..at].rfind("<w:r>").unwrap();
        let end = at + xml[at..].find("</w:r>").unwrap() + "</w:r>".len();
        let run = &xml[start..end];
        format!(
            "{}<w:del w:id=\"900\" w:author=\"Counsel\">{}</w:del><w:ins w:id=\"901\" w:author=\"Counsel\">{}</w:ins>{}",
            &xml[..start],
            run.replace("<w:t ", "<w:delText ")
                .replace("</w:t>", "</w:delText>"),
            run.replacen("authorized", "empowered", 1),
            &xml[end..]
        )
    });
    let theirs = dir.path().join("theirs.docx");
    std::fs::write(&theirs, &marked).unwrap();
    let diff = engross()
        .args(["diff", "-f", "json"])
        .arg(&out)
        .arg(&theirs)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&diff.stderr);
    assert_eq!(diff.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("2 tracked changes in the file taken as accepted"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no longer shows the engross source"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["old"], "authorized");
    assert_eq!(changes[0]["new"], "empowered");
    // The tracked-change redline, by the author given, dated by SOURCE_DATE_EPOCH for text.
    let red = dir.path().join("redline.docx");
    let st = engross()
        .arg("redline")
        .arg(&out)
        .arg(&theirs)
        .args(["--author", "A. Lawyer", "-o"])
        .arg(&red)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let xml = String::from_utf8(
        engross::docx::zip::read(&std::fs::read(&red).unwrap())
            .unwrap()
            .get("word/document.xml")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(xml.contains("<w:ins w:id=") && xml.contains("w:author=\"A. Lawyer\""));
    assert!(xml.contains(">authorized</w:delText>"), "{xml}");
}

#[test]
fn a_redline_of_data_files_is_dated_as_the_new_agreement() {
    let old = root().join("data/originals/option-2005.toml");
    let new = root().join("data/examples/option-2026.toml");
    let dir = tempfile::tempdir().unwrap();
    let red = dir.path().join("r.docx");
    let st = engross()
        .arg("redline")
        .arg(&old)
        .arg(&new)
        .arg("-o")
        .arg(&red)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let bytes = std::fs::read(&red).unwrap();
    let archive = engross::docx::zip::read(&bytes).unwrap();
    let xml = String::from_utf8(archive.get("word/document.xml").unwrap().unwrap()).unwrap();
    let date = engross::document_date(&rendered("data/examples/option-2026.toml").data).unwrap();
    let stamp = format!(
        "w:date=\"{:04}-{:02}-{:02}T",
        date.year, date.month, date.day
    );
    assert!(xml.contains(&stamp), "no {stamp}");
    assert!(xml.contains("w:author=\"engross\""));
    let comments = String::from_utf8(archive.get("word/comments.xml").unwrap().unwrap()).unwrap();
    assert!(comments.contains("changes:"), "the summary is a comment");
    // The same inputs, the same bytes.
    let again = dir.path().join("r2.docx");
    engross()
        .arg("redline")
        .arg(&old)
        .arg(&new)
        .arg("-o")
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(bytes, std::fs::read(&again).unwrap());
}

#[test]
fn damaged_word_files_are_clear_errors() {
    let bytes = engine()
        .docx(&rendered("data/originals/severance-2007.toml"))
        .unwrap();
    // Every cut and a run of byte flips: an error or a document, never a panic.
    let mut rng = Rng(7);
    for i in 0..600 {
        let mut b = bytes.clone();
        if i % 3 == 0 {
            b.truncate(rng.below(b.len()));
        } else {
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(b.len());
                b[at] ^= 1 << rng.below(8);
            }
        }
        let _ = engross::docx::read(&b);
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.docx");
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let st = engross()
        .arg("diff")
        .arg(&bad)
        .arg(root().join("data/originals/severance-2007.toml"))
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(
        err.contains("cannot read") && err.contains("bad.docx"),
        "{err}"
    );
    // Deep nesting is refused, not recursed into.
    let deep = edited(&bytes, |xml| {
        xml.replacen(
            "<w:body>",
            &format!("<w:body>{}{}", "<w:x>".repeat(600), "</w:x>".repeat(600)),
            1,
        )
    });
    let err = engross::docx::read(&deep).unwrap_err();
    assert!(err.0.contains("nests deeper"), "{err}");
}
