//! PDFs: structure checked in-process with lopdf (fonts embedded and subset, fields present and
//! named, pages, metadata, content-derived /ID, same input → same bytes), and with the real
//! tools when they are installed (poppler's pdftotext and pdffonts, qpdf, pyHanko + pdfsig).
//! Under CI (`CI` set) the tools are required: `.ci/run` installs them.

use std::collections::BTreeMap;
use std::process::Command;

use lopdf::{Document, Object, ObjectId};

use super::{ORIGINALS, engine, read, root, words};

fn pdf_of(name: &str) -> Vec<u8> {
    let path = format!("data/originals/{name}.toml");
    let engine = engine();
    let rendered = engine.run(&read(&path), &path).unwrap();
    engine.pdf(&rendered).unwrap()
}

/// Fully qualified names of the AcroForm's terminal fields, with their type.
fn fields(doc: &Document) -> BTreeMap<String, String> {
    fn walk(doc: &Document, id: ObjectId, prefix: &str, out: &mut BTreeMap<String, String>) {
        let Ok(d) = doc.get_dictionary(id) else {
            return;
        };
        let t = d
            .get(b"T")
            .ok()
            .and_then(|o| o.as_str().ok())
            .map(|s| String::from_utf8_lossy(s).to_string())
            .unwrap_or_default();
        let name = if prefix.is_empty() {
            t
        } else {
            format!("{prefix}.{t}")
        };
        match d.get(b"Kids").and_then(Object::as_array) {
            Ok(kids) => {
                for k in kids {
                    if let Ok(kid) = k.as_reference() {
                        walk(doc, kid, &name, out);
                    }
                }
            }
            Err(_) => {
                let ft = d
                    .get(b"FT")
                    .ok()
                    .and_then(|o| o.as_name().ok())
                    .map(|n| String::from_utf8_lossy(n).to_string())
                    .unwrap_or_default();
                out.insert(name, ft);
            }
        }
    }
    let mut out = BTreeMap::new();
    let catalog = doc.catalog().unwrap();
    let form = catalog.get(b"AcroForm").unwrap().as_reference().unwrap();
    let roots = doc
        .get_dictionary(form)
        .unwrap()
        .get(b"Fields")
        .unwrap()
        .as_array()
        .unwrap();
    for r in roots {
        walk(doc, r.as_reference().unwrap(), "", &mut out);
    }
    out
}

fn info(doc: &Document, key: &[u8]) -> String {
    let id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let d = doc.get_dictionary(id).unwrap();
    d.get(key)
        .ok()
        .and_then(|o| o.as_str().ok())
        .map(|s| String::from_utf8_lossy(s).to_string())
        .unwrap_or_default()
}

#[test]
fn originals_are_structurally_sound() {
    let expected_signatures: [(&str, &[&str]); 5] = [
        (
            "assignment-2006",
            &["assignor.signature", "assignee.signature"],
        ),
        ("severance-2007", &[]),
        (
            "subscription-2005",
            &[
                "company.signature",
                "subscriber.signature",
                "joint_subscriber.signature",
            ],
        ),
        (
            "option-2005",
            &["company.signature", "transfer.transferor.signature"],
        ),
        ("default-notice-2008", &[]),
    ];
    for (name, sigs) in expected_signatures {
        let bytes = pdf_of(name);
        let doc = Document::load_mem(&bytes).unwrap();
        assert!(!doc.get_pages().is_empty(), "{name}: no pages");
        // Every font is embedded and subset.
        let mut fonts = 0;
        for obj in doc.objects.values() {
            if let Ok(d) = obj.as_dict()
                && d.get(b"Type").and_then(Object::as_name).ok() == Some(b"FontDescriptor")
            {
                fonts += 1;
                assert!(d.has(b"FontFile2"), "{name}: a font is not embedded");
                let fname = String::from_utf8_lossy(d.get(b"FontName").unwrap().as_name().unwrap())
                    .to_string();
                let (tag, rest) = fname.split_once('+').unwrap_or(("", ""));
                assert!(
                    tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
                    "{name}: {fname} is not tagged as a subset"
                );
                assert!(rest.starts_with("LiberationSerif"), "{name}: {fname}");
            }
        }
        assert!(fonts >= 1, "{name}: no embedded font");
        // Metadata from the schema and the data.
        assert!(!info(&doc, b"Title").is_empty(), "{name}: no title");
        assert!(!info(&doc, b"Author").is_empty(), "{name}: no author");
        let info_id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        assert!(
            !doc.get_dictionary(info_id).unwrap().has(b"GTS_PDFXVersion"),
            "{name}: false PDF/X claim"
        );
        assert!(doc.trailer.has(b"ID"), "{name}: no /ID");
        // Signature lines are unsigned signature fields named by role.
        if !sigs.is_empty() {
            let f = fields(&doc);
            for s in sigs {
                assert_eq!(
                    f.get(*s).map(String::as_str),
                    Some("Sig"),
                    "{name}: {s} missing from {f:?}"
                );
            }
        }
    }
}

#[test]
fn same_input_same_bytes_and_different_documents_different_ids() {
    let a = pdf_of("assignment-2006");
    assert!(
        a == pdf_of("assignment-2006"),
        "two renders of the same data differ"
    );
    let data = read("data/originals/assignment-2006.toml").replace("Barry Ennis", "Dana Ennis");
    let engine = engine();
    let b = engine.pdf(&engine.run(&data, "b.toml").unwrap()).unwrap();
    let id = |bytes: &[u8]| {
        Document::load_mem(bytes)
            .unwrap()
            .trailer
            .get(b"ID")
            .unwrap()
            .clone()
    };
    assert_ne!(id(&a), id(&b));
}

#[test]
fn headings_become_bookmarks() {
    let doc = Document::load_mem(&pdf_of("subscription-2005")).unwrap();
    let catalog = doc.catalog().unwrap();
    assert!(catalog.has(b"Outlines"), "no outline");
}

fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {name} is not installed");
    }
    found
}

/// Words without blanks and rules: the PDF draws blanks as lines with form fields, so the
/// underscores of the text render have no glyphs there.
fn without_blanks(words: Vec<String>) -> Vec<String> {
    words
        .into_iter()
        .map(|w| w.replace('_', "").replace("---", ""))
        .filter(|w| !w.is_empty())
        .collect()
}

fn text_words(name: &str) -> Vec<String> {
    let path = format!("data/originals/{name}.toml");
    without_blanks(words(&super::render_text(&read(&path), &path).unwrap()))
}

fn ascii_words(text: &str) -> Vec<String> {
    let text = engross::render::text::ascii(text);
    let mut out: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        out.push(w.to_string());
    }
    // Drop the footers: "Page X of Y" and "Doc. XXXXXXXX".
    let mut kept = Vec::new();
    let mut i = 0;
    while i < out.len() {
        if out[i] == "Page"
            && i + 3 < out.len()
            && out[i + 2] == "of"
            && out[i + 1].parse::<u32>().is_ok()
        {
            i += 4;
            continue;
        }
        if out[i] == "Doc." && i + 1 < out.len() && out[i + 1].len() == 8 {
            i += 2;
            continue;
        }
        kept.push(out[i].clone());
        i += 1;
    }
    kept
}

#[test]
fn pdftotext_gives_back_the_words_of_the_text_render() {
    if !tool("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ORIGINALS {
        let pdf = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&pdf, pdf_of(name)).unwrap();
        let out = Command::new("pdftotext")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut got = without_blanks(words(
            &ascii_words(&String::from_utf8_lossy(&out.stdout)).join(" "),
        ));
        let mut want = text_words(name);
        // pdftotext reads side-by-side columns in another order, and splits or joins words
        // where a blank or a table cell leaves a gap ("(No.", "),"). So: exactly the same
        // characters, and all but a handful of the same words.
        let chars = |ws: &[String]| {
            let mut c: Vec<char> = ws.iter().flat_map(|w| w.chars()).collect();
            c.sort_unstable();
            c
        };
        assert!(
            chars(&got) == chars(&want),
            "{name}: the PDF's characters differ from the text render's"
        );
        got.sort();
        want.sort();
        let mut common = 0;
        let (mut i, mut j) = (0, 0);
        while i < got.len() && j < want.len() {
            match got[i].cmp(&want[j]) {
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
            }
        }
        let missing = want.len() - common;
        assert!(
            missing * 200 <= want.len(),
            "{name}: {missing} of {} words not found as such in the PDF",
            want.len()
        );
    }
}

#[test]
fn pdffonts_and_qpdf_accept_every_original() {
    if !tool("pdffonts") || !tool("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ORIGINALS {
        let pdf = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&pdf, pdf_of(name)).unwrap();
        let out = Command::new("pdffonts").arg(&pdf).output().unwrap();
        let listing = String::from_utf8_lossy(&out.stdout).to_string();
        let rows: Vec<&str> = listing.lines().skip(2).collect();
        assert!(!rows.is_empty(), "{name}: no fonts\n{listing}");
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            assert_eq!(
                &cols[n - 5..n - 2],
                ["yes", "yes", "yes"],
                "{name}: emb/sub/uni\n{listing}"
            );
        }
        let check = Command::new("qpdf")
            .arg("--check")
            .arg(&pdf)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{name}: qpdf --check\n{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}

#[test]
fn pyhanko_signs_the_subscription_and_pdfsig_validates_it() {
    if !tool("pdfsig") {
        return;
    }
    let has_pyhanko = Command::new("python3")
        .args(["-c", "import pyhanko"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pyhanko {
        assert!(
            std::env::var_os("CI").is_none(),
            "pyHanko is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: pyHanko is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("subscription.pdf");
    std::fs::write(&pdf, pdf_of("subscription-2005")).unwrap();
    let signed = dir.path().join("signed.pdf");
    let out = Command::new("python3")
        .arg(root().join("tests/tools/sign_check.py"))
        .arg(&pdf)
        .arg("company.signature")
        .arg(&signed)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("Signature is Valid"), "{report}");
}

#[test]
fn page_settings_come_from_the_data() {
    let data = read("data/originals/assignment-2006.toml")
        + "\n[page]\nsize = \"a4\"\nfont_size = 11\nmargin = 1.25\n";
    let engine = engine();
    let bytes = engine.pdf(&engine.run(&data, "a4.toml").unwrap()).unwrap();
    let doc = Document::load_mem(&bytes).unwrap();
    let page = *doc.get_pages().values().next().unwrap();
    let media = doc
        .get_dictionary(page)
        .unwrap()
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(media, [0.0, 0.0, 595.28, 841.89]);
}
