//! Diff and redline: planted edits are found exactly (kind and count), re-wraps and paragraph
//! splits are never changes, the output formats are snapshotted on a small pair, and the CLI's
//! exit codes are 0 (same), 1 (different), 2 (error).

use assert_cmd::Command;
use engross::diff::{self, Options};
use engross::document::plain;

use super::{ORIGINALS, Rng, read, render_text, root};

/// The paragraphs of an original's text render, as words.
fn paragraphs(name: &str) -> Vec<Vec<String>> {
    let path = format!("data/originals/{name}.toml");
    let text = render_text(&read(&path), &path).unwrap();
    let doc = plain::parse(&text);
    doc.blocks
        .iter()
        .filter_map(|b| match b {
            engross::document::Block::Paragraph(p) => Some(
                engross::document::runs_text(&p.runs)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// Paragraphs back to text, each wrapped at its own width (re-wrapping must not matter).
fn text_of(paras: &[Vec<String>], rng: &mut Rng) -> String {
    let mut out = String::new();
    for p in paras {
        let width = 30 + rng.below(60);
        let mut line = String::new();
        for w in p {
            if !line.is_empty() && line.len() + w.len() + 1 > width {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
        }
        out.push_str(&line);
        out.push_str("\n\n");
    }
    out
}

#[derive(Debug, Default, PartialEq)]
struct Planted {
    replacements: usize,
    insertions: usize,
    deletions: usize,
    moves: usize,
}

/// Plant edits in distinct, non-adjacent paragraphs of at least 12 words; split one more
/// paragraph in two; re-wrap everything. Returns old text, new text and what was planted.
fn plant(paras: &[Vec<String>], rng: &mut Rng, edits: usize) -> (String, String, Planted) {
    let old = text_of(paras, &mut Rng(rng.next_u64() | 1));
    let mut new: Vec<Vec<String>> = paras.to_vec();
    let mut used = vec![false; new.len()];
    let mut planted = Planted::default();
    let eligible = |i: usize, used: &[bool], new: &[Vec<String>]| {
        new[i].len() >= 12
            && !used[i]
            && (i == 0 || !used[i - 1])
            && used.get(i + 1).is_none_or(|u| !u)
    };
    let mut moved: Option<(usize, usize)> = None;
    for n in 0..edits {
        let Some(i) = (0..200)
            .map(|_| rng.below(new.len()))
            .find(|&i| eligible(i, &used, &new))
        else {
            break;
        };
        used[i] = true;
        // Not the first or last two words, so edits never touch a paragraph's edge.
        let at = 2 + rng.below(new[i].len() - 4);
        match rng.below(4) {
            0 => {
                new[i][at] = format!("REPLACED{n}");
                planted.replacements += 1;
            }
            1 => {
                new[i].insert(at, format!("INSERTED{n}"));
                planted.insertions += 1;
            }
            2 => {
                let gone = new[i][at].clone();
                // Deleting one of two equal neighbours is still one deletion, but keep it clear.
                if new[i][at - 1] == gone || new[i][at + 1] == gone {
                    new[i][at] = format!("REPLACED{n}");
                    planted.replacements += 1;
                } else {
                    new[i].remove(at);
                    planted.deletions += 1;
                }
            }
            _ if moved.is_none() => {
                // Move this paragraph to a distant place whose neighbours are untouched.
                let Some(to) = (0..200)
                    .map(|_| rng.below(new.len()))
                    .find(|&t| t + 3 < i || t > i + 3)
                    .filter(|&t| {
                        eligible(t, &used, &new)
                            && (t == 0 || eligible(t - 1, &used, &new) || t == 1)
                    })
                else {
                    new[i][at] = format!("REPLACED{n}");
                    planted.replacements += 1;
                    continue;
                };
                moved = Some((i, to));
                used[to] = true;
                if to > 0 {
                    used[to - 1] = true;
                }
                planted.moves += 1;
            }
            _ => {
                new[i][at] = format!("REPLACED{n}");
                planted.replacements += 1;
            }
        }
    }
    // Split one untouched long paragraph in two (never a change), away from every edit.
    if let Some(i) = (0..new.len()).find(|&i| new[i].len() >= 20 && eligible(i, &used, &new)) {
        used[i] = true;
        let tail = new[i].split_off(10);
        new.insert(i + 1, tail);
        used.insert(i + 1, true);
        if let Some((from, to)) = moved.as_mut() {
            if *from > i {
                *from += 1;
            }
            if *to > i {
                *to += 1;
            }
        }
    }
    if let Some((from, to)) = moved {
        let p = new.remove(from);
        let to = if to > from { to - 1 } else { to };
        new.insert(to, p);
    }
    (old, text_of(&new, rng), planted)
}

#[test]
fn planted_edits_are_found_exactly() {
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (o, name) in ORIGINALS.iter().enumerate() {
        let paras = paragraphs(name);
        for seed in 0..20u64 {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((seed + 1) * (o as u64 + 3)));
            let edits = 1 + rng.below(6.min(paras.len() / 4).max(1));
            let (old, new, planted) = plant(&paras, &mut rng, edits);
            if std::env::var("PLANT_DUMP").is_ok() {
                std::fs::write(format!("/tmp/plant-{name}-{seed}-old.txt"), &old).unwrap();
                std::fs::write(format!("/tmp/plant-{name}-{seed}-new.txt"), &new).unwrap();
            }
            let cmp = diff::compare(
                &plain::parse(&old),
                &plain::parse(&new),
                &Options::default(),
            )
            .expect("consistent");
            let s = cmp.summary();
            let found = Planted {
                replacements: s.replacements,
                insertions: s.insertions,
                deletions: s.deletions,
                moves: s.moves,
            };
            report.push(format!("{name} seed {seed}: {planted:?}"));
            if found != planted {
                failures.push(format!(
                    "{name} seed {seed}: planted {planted:?}, found {found:?}\n{}",
                    cmp.changes
                        .iter()
                        .map(|c| format!(
                            "  {:?} {:?} -> {:?} at {}",
                            c.kind, c.old, c.new, c.location
                        ))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(report.len(), 100);
}

#[test]
fn a_text_and_its_rewrap_are_identical() {
    for name in ORIGINALS {
        let paras = paragraphs(name);
        let a = text_of(&paras, &mut Rng(7));
        let b = text_of(&paras, &mut Rng(99));
        assert_ne!(a, b);
        let cmp = diff::compare(&plain::parse(&a), &plain::parse(&b), &Options::default())
            .expect("consistent");
        assert!(cmp.is_identical(), "{name}: {:?}", cmp.changes);
    }
}

#[test]
fn the_original_filing_matches_its_reconstruction() {
    // The SEC text (page artifacts and all) against the text render of its data: two text
    // files with the same words, except that blanks are spelled with other underscore counts.
    for name in ORIGINALS {
        let filing = plain::parse(&read(format!("tests/originals/{name}.txt")));
        let path = format!("data/originals/{name}.toml");
        let rendered = plain::parse(&render_text(&read(&path), &path).unwrap());
        let cmp = diff::compare(&filing, &rendered, &Options::default()).expect("consistent");
        let blank = |s: &str| {
            s.split_whitespace()
                .all(|w| w.contains("___") || w.contains("---") || w == "__")
        };
        let others: Vec<_> = cmp
            .changes
            .iter()
            .filter(|c| !(blank(&c.old) && blank(&c.new)))
            .collect();
        assert!(others.is_empty(), "{name}: {others:#?}");
    }
}

fn small_pair(dir: &std::path::Path) -> (String, String) {
    let old = read("data/originals/assignment-2006.toml");
    let new = old
        .replace("Barry Ennis", "Dana Ennis")
        .replace("2006-04-24", "2006-05-01")
        .replace("Whico Poles", "Whitco Poles");
    let a = dir.join("old.toml");
    let b = dir.join("new.toml");
    std::fs::write(&a, old).unwrap();
    std::fs::write(&b, new).unwrap();
    ("old.toml".into(), "new.toml".into())
}

fn engross(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("engross").unwrap();
    cmd.current_dir(dir).env_remove("ENGROSS_TEMPLATES");
    cmd
}

#[test]
fn diff_txt_and_json_of_a_small_pair() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = small_pair(dir.path());
    let out = engross(dir.path())
        .args(["diff", &a, &b, "-f", "txt"])
        .assert()
        .code(1);
    insta::assert_snapshot!(
        "diff_txt",
        String::from_utf8_lossy(&out.get_output().stdout)
    );
    let out = engross(dir.path())
        .args(["diff", &a, &b, "-f", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    // "Barry" → "Dana", "24th" → "1st" and "April" → "May", "Whico" → "Whitco".
    assert_eq!(json["summary"]["changes"], 4);
    assert_eq!(json["fields"].as_array().unwrap().len(), 3);
    insta::assert_snapshot!("diff_json", serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn diff_term_colours_words() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = small_pair(dir.path());
    let out = engross(dir.path())
        .args(["diff", &a, &b, "-f", "term"])
        .env("CLICOLOR_FORCE", "1")
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("\u{1b}[31;9mBarry\u{1b}[0m"), "{text}");
    assert!(text.contains("\u{1b}[32;4mDana\u{1b}[0m"), "{text}");
}

#[test]
fn identical_inputs_exit_0_and_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let a = root().join("data/originals/option-2005.toml");
    let out = engross(dir.path())
        .args([
            "diff",
            a.to_str().unwrap(),
            a.to_str().unwrap(),
            "-f",
            "txt",
        ])
        .assert()
        .code(0);
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("0 changes"));
    engross(dir.path())
        .args(["diff", a.to_str().unwrap(), "missing.toml"])
        .assert()
        .code(2);
}

#[test]
fn the_filing_text_against_the_data_and_pdfs_against_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("data/originals/severance-2007.toml");
    // An engross PDF carries its source: PDF against its own data file is identical.
    let pdf = dir.path().join("s.pdf");
    engross(dir.path())
        .args([
            "render",
            data.to_str().unwrap(),
            "-f",
            "pdf",
            "-o",
            pdf.to_str().unwrap(),
        ])
        .assert()
        .success();
    engross(dir.path())
        .args([
            "diff",
            pdf.to_str().unwrap(),
            data.to_str().unwrap(),
            "-f",
            "json",
        ])
        .assert()
        .code(0);
}

#[test]
fn redlines_in_html_and_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = small_pair(dir.path());
    engross(dir.path())
        .args(["redline", &a, &b, "-f", "html", "-o", "red.html"])
        .assert()
        .code(0);
    let html = std::fs::read_to_string(dir.path().join("red.html")).unwrap();
    assert!(
        html.contains("<del>Barry</del><ins>Dana</ins>")
            || html.contains("<del>Barry</del> <ins>Dana</ins>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"#p"),
        "the list of changes links to the paragraphs"
    );
    engross(dir.path())
        .args(["redline", &a, &b, "-o", "red.pdf"])
        .assert()
        .code(0);
    let bytes = std::fs::read(dir.path().join("red.pdf")).unwrap();
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    assert!(
        doc.get_pages().len() >= 2,
        "a summary page, then the document"
    );
    // Refuses to overwrite.
    engross(dir.path())
        .args(["redline", &a, &b, "-o", "red.pdf"])
        .assert()
        .code(2);
    if Command::new("qpdf").arg("--version").output().is_ok() {
        let check = std::process::Command::new("qpdf")
            .arg("--check")
            .arg(dir.path().join("red.pdf"))
            .output()
            .unwrap();
        assert!(check.status.success());
    }
    if std::process::Command::new("pdffonts")
        .arg("-v")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("pdffonts")
            .arg(dir.path().join("red.pdf"))
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&out.stdout).to_string();
        for row in listing.lines().skip(2) {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "{listing}");
        }
    }
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("pdftotext")
            .arg(dir.path().join("red.pdf"))
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            text.contains("COMPARISON") && text.contains("Barry") && text.contains("Dana"),
            "{text}"
        );
    }
}

#[test]
fn every_output_format_of_a_tiny_text_pair() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("old.txt"),
        "SALE AGREEMENT\n\n1. The Seller sells the goods to the Buyer\nfor ten dollars.\n\n2. Delivery is due within thirty days of the date hereof.\n\n3. This agreement is governed by the laws of New York.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("new.txt"),
        "SALE AGREEMENT\n\n1. The Seller sells the goods to the Buyer for twenty dollars.\n\n3. This agreement is governed by the laws of New York.\n\n2. Delivery is due within thirty days of the date hereof.\n\n4. Notices must be in writing.\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        // diff exits 1 (different); redline 0 (written).
        let code = if args[0] == "diff" { 1 } else { 0 };
        let out = engross(dir.path())
            .args(args)
            .env("CLICOLOR_FORCE", "1")
            .assert()
            .code(code);
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    insta::assert_snapshot!(
        "tiny_txt",
        run(&["diff", "old.txt", "new.txt", "-f", "txt"])
    );
    insta::assert_snapshot!(
        "tiny_term",
        run(&["diff", "old.txt", "new.txt", "-f", "term"]).replace('\u{1b}', "<ESC>")
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&["diff", "old.txt", "new.txt", "-f", "json"])).unwrap();
    assert_eq!(json["summary"]["moves"], 1);
    assert_eq!(json["summary"]["replacements"], 1);
    assert_eq!(json["summary"]["insertions"], 1);
    insta::assert_snapshot!(
        "tiny_json",
        serde_json::to_string_pretty(&json["changes"]).unwrap()
    );
    let html = run(&["redline", "old.txt", "new.txt", "-f", "html", "-o", "-"]);
    let body = &html[html.find("<body>").unwrap()..];
    insta::assert_snapshot!("tiny_html", body);
}

/// The tool CI requires (`CI` set) and a developer may lack.
pub(crate) fn have(tool: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "{tool} is required under CI"
    );
    found
}

/// The option of 2005 rendered to `full.pdf` in `dir`: its data file's path and the PDF.
fn option_pdf(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let path = root().join("data/originals/option-2005.toml");
    engross(dir)
        .args([
            "render",
            path.to_str().unwrap(),
            "-f",
            "pdf",
            "-o",
            "full.pdf",
        ])
        .assert()
        .code(0);
    let bytes = std::fs::read(dir.join("full.pdf")).unwrap();
    (path, bytes)
}

#[test]
fn an_engross_pdf_with_a_page_removed_never_compares_as_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = option_pdf(dir.path());
    let mut doc = lopdf::Document::load_mem(&bytes).unwrap();
    assert!(doc.get_pages().len() > 3);
    doc.delete_pages(&[3]);
    doc.save(dir.path().join("cut.pdf")).unwrap();
    // The untouched PDF against its data: the same.
    engross(dir.path())
        .args(["diff", "full.pdf", path.to_str().unwrap()])
        .assert()
        .code(0);
    // The cut one: its pages no longer show the source it carries, so it is read from its
    // pages, and page 3's words are a deletion.
    let out = engross(dir.path())
        .args(["diff", "full.pdf", "cut.pdf", "-f", "json"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("do not show the engross source"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["new"]["kind"], "pdf");
    assert!(
        json["summary"]["deleted_words"].as_u64().unwrap() > 100,
        "{json}"
    );
    assert_eq!(json["summary"]["inserted_words"], 0, "{json}");
    // And the page count is told, as it differs from what engross wrote.
    let pages = doc.get_pages().len();
    assert_eq!(
        json["redrawn"],
        serde_json::json!([{
            "side": "new",
            "name": "cut.pdf",
            "what": format!("cut.pdf has {pages} pages where engross wrote {}", pages + 1),
        }]),
        "{json}"
    );
}

#[test]
fn an_engross_pdf_with_lines_moved_on_a_page_never_compares_as_unchanged() {
    // Two lines of page 2 drawn in each other's place: the same letters on the same pages, in
    // another order. The digest of the pages' drawing written beside the source tells.
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = option_pdf(dir.path());
    let mut doc = lopdf::Document::load_mem(&bytes).unwrap();
    let page = doc.get_pages()[&2];
    let stream_id = doc.get_page_contents(page)[0];
    let content = {
        let stream = doc.get_object(stream_id).unwrap().as_stream().unwrap();
        String::from_utf8_lossy(&stream.decompressed_content().unwrap()).to_string()
    };
    // Each line is "… x y Tm [glyphs] TJ": swap the glyphs of two lines of body text, so that
    // each is drawn in the other's place.
    let lines: Vec<(usize, usize)> = content
        .match_indices(" Tm ")
        .map(|(at, m)| {
            let start = at + m.len();
            (start, start + content[start..].find(" TJ").unwrap())
        })
        .filter(|(a, b)| b - a > 200)
        .collect();
    let (a, b) = (lines[0], lines[1]);
    assert_ne!(content[a.0..a.1], content[b.0..b.1]);
    let swapped = format!(
        "{}{}{}{}{}",
        &content[..a.0],
        &content[b.0..b.1],
        &content[a.1..b.0],
        &content[a.0..a.1],
        &content[b.1..]
    );
    let stream = doc
        .get_object_mut(stream_id)
        .unwrap()
        .as_stream_mut()
        .unwrap();
    stream.dict.remove(b"Filter");
    stream.set_content(swapped.into_bytes());
    doc.save(dir.path().join("moved.pdf")).unwrap();
    let out = engross(dir.path())
        .args(["diff", "full.pdf", "moved.pdf"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("moved.pdf: its pages do not show the engross source"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(!stdout.starts_with("0 changes"), "{stdout}");
    // One line of page 2 drawn 30 pt lower and another 2 pt to the right: the same words in
    // the same order, so the text compares as the same, but the page is not what engross drew.
    let mut doc = lopdf::Document::load_mem(&bytes).unwrap();
    let content = String::from_utf8_lossy(&doc.get_page_content(page)).to_string();
    let shifted = shift_lines(&content, &[(a.0, 0.0, -30.0), (b.0, 2.0, 0.0)]);
    set_page_content(&mut doc, 2, shifted);
    doc.save(dir.path().join("shifted.pdf")).unwrap();
    let out = engross(dir.path())
        .args(["diff", "full.pdf", "shifted.pdf", "-f", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["changes"], serde_json::json!([]), "{json}");
    assert_eq!(json["redrawn"][0]["page"], 2, "{json}");
    assert_eq!(json["redrawn"][0]["side"], "new", "{json}");
    assert_eq!(json["redrawn"].as_array().unwrap().len(), 1, "{json}");
    let told = "page 2 of shifted.pdf is drawn otherwise than engross wrote it";
    let out = engross(dir.path())
        .args(["diff", "full.pdf", "shifted.pdf", "-f", "txt"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains(told), "{stdout}");
    // The redline's summary says it too, in HTML and on the PDF's summary page.
    for file in ["r.html", "r.pdf"] {
        engross(dir.path())
            .args(["redline", "full.pdf", "shifted.pdf", "-o", file])
            .assert()
            .code(0);
    }
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(html.contains(told), "{html}");
    if have("pdftotext") {
        let text = std::process::Command::new("pdftotext")
            .args(["-l", "1", "r.pdf", "-"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains("Redrawn: page 2 of shifted.pdf is drawn"),
            "{text}"
        );
    }
    // The same edited file on both sides: nothing differs.
    engross(dir.path())
        .args(["diff", "shifted.pdf", "shifted.pdf"])
        .assert()
        .code(0);
    // The untouched copy, saved again by another writer, is still read from its source.
    let resaved = lopdf::Document::load_mem(&bytes).unwrap();
    let mut resaved = resaved;
    resaved.save(dir.path().join("resaved.pdf")).unwrap();
    engross(dir.path())
        .args(["diff", "resaved.pdf", path.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr("");
}

#[test]
fn encrypted_pdfs_are_read_or_refused_clearly() {
    if !have("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = root().join("data/originals/assignment-2006.toml");
    engross(dir.path())
        .args(["render", path.to_str().unwrap(), "-f", "pdf", "-o", "a.pdf"])
        .assert()
        .code(0);
    for (user, name) in [("", "open.pdf"), ("secret", "locked.pdf")] {
        let status = std::process::Command::new("qpdf")
            .current_dir(dir.path())
            .args(["--encrypt", user, "owner", "256", "--", "a.pdf", name])
            .status()
            .unwrap();
        assert!(status.success());
    }
    engross(dir.path())
        .args(["diff", "a.pdf", "open.pdf"])
        .assert()
        .code(0);
    let out = engross(dir.path())
        .args(["diff", "a.pdf", "locked.pdf"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("locked.pdf is encrypted with a password"),
        "{stderr}"
    );
}

#[test]
fn without_colour_the_marks_are_text_and_the_format_follows_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = small_pair(dir.path());
    for env in [("NO_COLOR", "1"), ("TERM", "dumb")] {
        let out = engross(dir.path())
            .args(["diff", &a, &b, "-f", "term"])
            .env_remove("CLICOLOR_FORCE")
            .env(env.0, env.1)
            .assert()
            .code(1);
        let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        assert!(text.contains("[-Barry-] {+Dana+}"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
    }
    for (file, starts) in [
        ("r.html", "<!DOCTYPE html>"),
        ("r.json", "{"),
        ("r.txt", "field"),
        ("r.pdf", "%PDF-"),
        ("r.docx", "PK\x03\x04"),
    ] {
        engross(dir.path())
            .args(["redline", &a, &b, "-o", file])
            .assert()
            .code(0);
        let bytes = std::fs::read(dir.path().join(file)).unwrap();
        assert!(bytes.starts_with(starts.as_bytes()), "{file}");
    }
    engross(dir.path())
        .args(["redline", &a, &b, "-o", "r.odt"])
        .assert()
        .code(2);
    assert!(!dir.path().join("r.odt").exists());
}

/// The subscription agreement with about `edits` edits of every kind spread through it (as the
/// benchmark makes its pair): replacements, insertions, deletions and inserted provisos.
fn mixed_edits(text: &str, edits: usize) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
    let step = (words.len() / (edits + 1)).max(1);
    for k in (1..=edits).rev() {
        let i = (k * step).min(words.len() - 1);
        match k % 4 {
            0 => words[i] = format!("REPLACED{k}"),
            1 => words.insert(i, format!("INSERTED{k}")),
            2 => {
                words.remove(i);
            }
            _ => words.insert(
                i,
                format!("provided that the notice is given in writing{k}"),
            ),
        }
    }
    words.join(" ")
}

fn place_of(c: &engross::diff::Change) -> String {
    c.section.as_ref().map_or_else(
        || format!("\u{b6}{}", c.paragraph.max(1)),
        |s| format!("\u{a7}{s}"),
    )
}

fn pdf_page_texts(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let n = doc.get_pages().len() as u32;
    (1..=n).map(|p| doc.extract_text(&[p]).unwrap()).collect()
}

/// Issue #8: the PDF redline's summary fits one page for ~120 changes, and each of its
/// entries gives the page its first change is on (checked against the page's text).
#[test]
fn the_redline_summary_is_one_page_with_the_page_of_each_change() {
    let path = "data/originals/subscription-2005.toml";
    let old = render_text(&read(path), path).unwrap();
    let new = mixed_edits(&old, 120);
    let engine = super::engine();
    let a = engine.input("old.txt", old.as_bytes()).unwrap();
    let b = engine.input("new.txt", new.as_bytes()).unwrap();
    let redline = engross::comparison::compare(&a, &b, &Options::default()).unwrap();
    let changes = &redline.report.changes;
    assert!(changes.len() >= 110, "{} changes", changes.len());
    let bytes = redline.pdf().unwrap();
    let pages = pdf_page_texts(&bytes);
    let entries = redline.summary_lines().len();
    assert!(entries >= 60, "{entries} summary entries");
    // Page 1 holds every entry; page 2 is the agreement.
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(pages[0].contains(&format!("{entries}. ")), "{}", pages[0]);
    assert!(!pages[1].contains("Changes"), "{}", pages[1]);
    assert!(squash(&pages[1]).contains("SUBSCRIPTION AGREEMENT"));
    // Each change's page is where its paragraph begins: the fresh words of the edits are on
    // that page, or on the next when the paragraph runs over.
    let on = redline.pdf_pages().unwrap();
    assert_eq!(on.len(), changes.len());
    let (mut checked, mut exact) = (0, 0);
    let has = |p: usize, word: &str| {
        pages
            .get(p - 1)
            .is_some_and(|t| squash(t).split(' ').any(|w| w == word))
    };
    for (c, &p) in changes.iter().zip(&on) {
        let word = c.new.split_whitespace().next().unwrap_or("");
        if word.starts_with("REPLACED") || word.starts_with("INSERTED") {
            assert!(
                has(p, word) || has(p + 1, word),
                "{word} is not on page {p}"
            );
            exact += usize::from(has(p, word));
            checked += 1;
        }
    }
    assert!(checked >= 40, "{checked}");
    assert!(
        exact * 10 >= checked * 8,
        "{exact} of {checked} on their page"
    );
    // The summary says so: an entry with its place and page.
    let first = changes.iter().position(|c| c.group.is_none()).unwrap();
    let page_one = squash(&pages[0].replace('\u{a0}', " "));
    let cited = |end: &str| {
        page_one.contains(&format!(
            "1. {}, p. {}{end}",
            place_of(&changes[first]),
            on[first]
        ))
    };
    assert!(cited(":") || cited(" ("), "{page_one}");
}

/// Issue #8: the two labels of a move in the PDF redline link to each other (GoTo
/// destinations), here a clause moved from the agreement's first pages to its end.
#[test]
fn the_ends_of_a_move_link_to_each_other_in_the_pdf() {
    let path = "data/originals/subscription-2005.toml";
    let old = render_text(&read(path), path).unwrap();
    let mut paras: Vec<&str> = old.split("\n\n").collect();
    let at = paras
        .iter()
        .position(|p| p.trim_start().starts_with("1.3 "))
        .unwrap();
    let moved = paras.remove(at);
    paras.push(moved);
    let new = paras.join("\n\n");
    let engine = super::engine();
    let a = engine.input("old.txt", old.as_bytes()).unwrap();
    let b = engine.input("new.txt", new.as_bytes()).unwrap();
    let redline = engross::comparison::compare(&a, &b, &Options::default()).unwrap();
    assert_eq!(
        redline.report.summary.moves, 1,
        "{:?}",
        redline.report.changes
    );
    let bytes = redline.pdf().unwrap();
    let texts = pdf_page_texts(&bytes);
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let pages: Vec<(u32, lopdf::ObjectId)> = doc.get_pages().into_iter().collect();
    let page_of = |id: lopdf::ObjectId| pages.iter().find(|p| p.1 == id).map(|p| p.0).unwrap();
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let on = |n: u32, label: &str| squash(&texts[n as usize - 1]).contains(label);
    // (page it is on, page it goes to, top of the place it goes to)
    let mut links = Vec::new();
    for &(n, id) in &pages {
        let page = doc.get_dictionary(id).unwrap();
        let Ok(annots) = page.get(b"Annots").and_then(|a| a.as_array()) else {
            continue;
        };
        for a in annots {
            let d = doc.get_dictionary(a.as_reference().unwrap()).unwrap();
            if d.get(b"Subtype").unwrap().as_name().unwrap() != b"Link" {
                continue;
            }
            let dest = d.get(b"Dest").unwrap().as_array().unwrap();
            assert_eq!(dest[1].as_name().unwrap(), b"XYZ");
            links.push((n, page_of(dest[0].as_reference().unwrap())));
        }
    }
    assert!(links.len() >= 2, "{links:?}");
    // After the summary (whose key to the marks shows a label too).
    let from_page = pages[1..]
        .iter()
        .find(|p| on(p.0, "[M1 moved from"))
        .unwrap()
        .0;
    let to_page = pages[1..]
        .iter()
        .find(|p| on(p.0, "[M1 moved to"))
        .unwrap()
        .0;
    assert!(to_page < from_page, "the clause went to the end");
    assert!(links.contains(&(to_page, from_page)), "{links:?}");
    assert!(links.contains(&(from_page, to_page)), "{links:?}");
    for &(at, goes) in &links {
        assert!(
            (at, goes) == (to_page, from_page) || (at, goes) == (from_page, to_page),
            "{links:?}"
        );
    }
}

/// The summary of two data files of one template, with their changed fields, is one page too
/// (option draft against its form: about 100 changes and 40 fields).
#[test]
fn a_data_redline_summary_with_its_fields_is_one_page() {
    let engine = super::engine();
    let load = |p: &str| engine.input(p, read(p).as_bytes()).unwrap();
    let a = load("data/examples/option-2026.toml");
    let b = load("data/originals/option-2005.toml");
    let redline = engross::comparison::compare(&a, &b, &Options::default()).unwrap();
    let fields = &redline.report.fields;
    assert!(fields.len() >= 30, "{} fields", fields.len());
    let pages = pdf_page_texts(&redline.pdf().unwrap());
    let last = &fields.last().unwrap().field;
    assert!(pages[0].contains("Changed data fields") && pages[0].contains(last.as_str()));
    assert!(!pages[1].contains("(not set)"), "{}", pages[1]);
    // As one Document: the summary, a page break, the marked document.
    let whole = redline.document();
    let n = redline.marked.blocks.len();
    assert_eq!(
        whole.blocks[whole.blocks.len() - n..],
        redline.marked.blocks[..]
    );
    assert_eq!(
        whole.blocks[whole.blocks.len() - n - 1],
        engross::document::Block::PageBreak
    );
}

/// A page's content with the text positions (`x y Tm`) at the given offsets moved by (dx, dy).
fn shift_lines(content: &str, moves: &[(usize, f64, f64)]) -> String {
    let mut out = content.to_string();
    // From the last, so that earlier offsets stay right.
    let mut moves = moves.to_vec();
    moves.sort_by_key(|m| std::cmp::Reverse(m.0));
    for (at, dx, dy) in moves {
        // `at` is just past "x y Tm ": find the two numbers before it.
        let head = &out[..at - " Tm ".len()];
        let mut parts: Vec<&str> = head.rsplitn(3, ' ').collect();
        let (y, x) = (
            parts[0].parse::<f64>().unwrap(),
            parts[1].parse::<f64>().unwrap(),
        );
        let rest = parts.pop().unwrap();
        let moved = format!("{rest} {:.3} {:.3} Tm ", x + dx, y + dy);
        out = format!("{moved}{}", &out[at..]);
    }
    out
}

/// Replace a page's content streams with one uncompressed stream.
fn set_page_content(doc: &mut lopdf::Document, page: u32, content: String) {
    let id = doc.get_pages()[&page];
    let streams = doc.get_page_contents(id);
    let first = streams[0];
    let stream = doc.get_object_mut(first).unwrap().as_stream_mut().unwrap();
    stream.dict.remove(b"Filter");
    stream.set_content(content.into_bytes());
    for other in &streams[1..] {
        let s = doc.get_object_mut(*other).unwrap().as_stream_mut().unwrap();
        s.dict.remove(b"Filter");
        s.set_content(Vec::new());
    }
}

#[test]
fn generative_page_edits_that_keep_the_words_are_reported_on_their_pages() {
    // Seeded edits of an engross PDF's drawing that leave its words as they were: a run of
    // text moved, resized or recoloured white, on one or two random pages. Every case must be
    // told as redrawn on exactly the pages edited, and the edited file against itself must be
    // the same. The oracle is the edit script.
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = option_pdf(dir.path());
    let pages = lopdf::Document::load_mem(&bytes).unwrap().get_pages().len();
    let cases: u64 = std::env::var("ENGROSS_GEN_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .map_or(8, |n: u64| (n / 100).max(8));
    for case in 0..cases {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (case + 1).wrapping_mul(0x2545_f491));
        let mut doc = lopdf::Document::load_mem(&bytes).unwrap();
        let mut edited: Vec<u32> = (0..1 + rng.below(2))
            .map(|_| 1 + rng.below(pages) as u32)
            .collect();
        edited.sort_unstable();
        edited.dedup();
        let mut script = Vec::new();
        for &page in &edited {
            let id = doc.get_pages()[&page];
            let content = String::from_utf8_lossy(&doc.get_page_content(id)).to_string();
            let at = |pat: &str, rng: &mut Rng| -> usize {
                let all: Vec<usize> = content.match_indices(pat).map(|(i, _)| i).collect();
                assert!(!all.is_empty(), "page {page} has no {pat:?}");
                all[rng.below(all.len())]
            };
            let new = match rng.below(3) {
                0 => {
                    let i = at(" Tm ", &mut rng) + " Tm ".len();
                    let d = [0.5, -1.0, 3.0, -12.0, 40.0][rng.below(5)];
                    let (dx, dy) = if rng.below(2) == 0 {
                        (d, 0.0)
                    } else {
                        (0.0, d)
                    };
                    script.push(format!("page {page}: moved by ({dx}, {dy})"));
                    shift_lines(&content, &[(i, dx, dy)])
                }
                1 => {
                    // "/F1 11 Tf": the size before " Tf" scaled.
                    let i = at(" Tf", &mut rng);
                    let start = content[..i].rfind(' ').unwrap() + 1;
                    let size: f64 = content[start..i].parse().unwrap();
                    let f = [0.25, 0.9, 1.5][rng.below(3)];
                    script.push(format!("page {page}: a run resized {size} -> {}", size * f));
                    format!("{}{:.3}{}", &content[..start], size * f, &content[i..])
                }
                _ => {
                    let i = at("BT", &mut rng);
                    script.push(format!("page {page}: a run drawn white"));
                    format!("{}1 1 1 rg {}", &content[..i], &content[i..])
                }
            };
            set_page_content(&mut doc, page, new);
        }
        doc.save(dir.path().join("edited.pdf")).unwrap();
        let out = engross(dir.path())
            .args(["diff", "full.pdf", "edited.pdf", "-f", "json"])
            .assert()
            .code(1);
        let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let told: Vec<u64> = json["redrawn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["page"].as_u64().unwrap())
            .collect();
        let want: Vec<u64> = edited.iter().map(|&p| u64::from(p)).collect();
        assert_eq!(told, want, "case {case}: {script:?}\n{json}");
        engross(dir.path())
            .args(["diff", "edited.pdf", "edited.pdf"])
            .assert()
            .code(0);
    }
}
