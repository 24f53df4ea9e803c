//! PDFs: structure checked in-process with lopdf (fonts embedded and subset, fields present and
//! named, pages, metadata, content-derived /ID, same input → same bytes), and with the real
//! tools when they are installed (poppler's pdftotext and pdffonts, qpdf, pyHanko + pdfsig).
//! Under CI (`CI` set) the tools are required: `.ci/run` installs them.

use std::collections::BTreeMap;
use std::process::Command;

use lopdf::{Document, Object, ObjectId};

use super::{ORIGINALS, engine, read, root, words};

fn pdf_of(name: &str) -> Vec<u8> {
    pdf_at(&format!("data/originals/{name}.toml"))
}

fn pdf_at(path: &str) -> Vec<u8> {
    let engine = engine();
    let rendered = engine.run(&read(path), path).unwrap();
    engine.pdf(&rendered).unwrap()
}

/// The ten data files: the five originals and the five examples.
fn all_data_files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["data/originals", "data/examples"] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".toml"))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        names.sort();
        out.extend(names);
    }
    assert_eq!(out.len(), 10, "{out:?}");
    out
}

/// Every node of the AcroForm's field tree: (fully qualified name, is terminal, partial names
/// of its kids).
fn field_nodes(doc: &Document) -> Vec<(String, bool, Vec<String>)> {
    fn walk(
        doc: &Document,
        id: ObjectId,
        prefix: &str,
        out: &mut Vec<(String, bool, Vec<String>)>,
    ) {
        let d = doc.get_dictionary(id).unwrap();
        let t = String::from_utf8_lossy(d.get(b"T").unwrap().as_str().unwrap()).to_string();
        assert!(!t.is_empty() && !t.contains('.'), "partial name {t:?}");
        let name = if prefix.is_empty() {
            t
        } else {
            format!("{prefix}.{t}")
        };
        match d.get(b"Kids").and_then(Object::as_array) {
            Ok(kids) => {
                let mut partials = Vec::new();
                for k in kids {
                    let kid = k.as_reference().unwrap();
                    let kd = doc.get_dictionary(kid).unwrap();
                    partials.push(
                        String::from_utf8_lossy(kd.get(b"T").unwrap().as_str().unwrap())
                            .to_string(),
                    );
                    walk(doc, kid, &name, out);
                }
                out.push((name, false, partials));
            }
            Err(_) => out.push((name, true, Vec::new())),
        }
    }
    let mut out = Vec::new();
    let Ok(form) = doc.catalog().unwrap().get(b"AcroForm") else {
        return out;
    };
    let form = doc.get_dictionary(form.as_reference().unwrap()).unwrap();
    let roots = form.get(b"Fields").unwrap().as_array().unwrap();
    let mut partials = Vec::new();
    for r in roots {
        let id = r.as_reference().unwrap();
        partials.push(
            String::from_utf8_lossy(
                doc.get_dictionary(id)
                    .unwrap()
                    .get(b"T")
                    .unwrap()
                    .as_str()
                    .unwrap(),
            )
            .to_string(),
        );
        walk(doc, id, "", &mut out);
    }
    out.push((String::new(), false, partials));
    out
}

#[test]
fn field_names_are_unique_and_never_both_field_and_parent() {
    let mut signatures = 0;
    for path in all_data_files() {
        let doc = Document::load_mem(&pdf_at(&path)).unwrap();
        let nodes = field_nodes(&doc);
        let mut seen = std::collections::BTreeSet::new();
        for (name, terminal, kids) in &nodes {
            // A fully qualified name names one node: never a field and a parent, never two
            // fields.
            if !name.is_empty() {
                assert!(seen.insert(name.clone()), "{path}: {name} names two nodes");
            }
            let mut k = kids.clone();
            k.sort();
            let n = k.len();
            k.dedup();
            assert_eq!(
                n,
                k.len(),
                "{path}: {name} has two kids of one name: {kids:?}"
            );
            if *terminal {
                let d = field_widget(&doc, name);
                let ap = d.get(b"AP").expect("appearance").as_dict().unwrap();
                assert!(ap.has(b"N"), "{path}: {name} has no normal appearance");
                if d.get(b"FT").unwrap().as_name().unwrap() == b"Sig" {
                    signatures += 1;
                } else {
                    let da = String::from_utf8_lossy(d.get(b"DA").unwrap().as_str().unwrap())
                        .to_string();
                    assert!(da.starts_with("/EngrossSerif "), "{path}: {name}: DA {da}");
                }
            }
        }
        if let Ok(form) = doc.catalog().unwrap().get(b"AcroForm") {
            let form = doc.get_dictionary(form.as_reference().unwrap()).unwrap();
            assert!(
                !form.has(b"NeedAppearances"),
                "{path}: NeedAppearances is set"
            );
        }
    }
    assert!(signatures >= 15, "only {signatures} signature fields");
}

/// The widget dictionary of a terminal field, by fully qualified name.
fn field_widget<'a>(doc: &'a Document, name: &str) -> &'a lopdf::Dictionary {
    let form = doc.catalog().unwrap().get(b"AcroForm").unwrap();
    let form = doc.get_dictionary(form.as_reference().unwrap()).unwrap();
    let mut level = form.get(b"Fields").unwrap().as_array().unwrap().clone();
    let mut found = None;
    for part in name.split('.') {
        let id = level
            .iter()
            .map(|o| o.as_reference().unwrap())
            .find(|id| {
                doc.get_dictionary(*id)
                    .unwrap()
                    .get(b"T")
                    .unwrap()
                    .as_str()
                    .unwrap()
                    == part.as_bytes()
            })
            .unwrap();
        let d = doc.get_dictionary(id).unwrap();
        level = d
            .get(b"Kids")
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default();
        found = Some(d);
    }
    found.unwrap()
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
        .map(|s| match s.strip_prefix(&[0xFE, 0xFF]) {
            // A text string beyond ASCII is UTF-16BE with a byte-order mark.
            Some(units) => String::from_utf16_lossy(
                &units
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                    .collect::<Vec<u16>>(),
            ),
            None => String::from_utf8_lossy(s).to_string(),
        })
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
    let text = engross::document::ascii(text);
    let mut out: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        out.push(w.to_string());
    }
    // Drop the footers: "Page X of Y", "Doc. XXXXXXXX" and a signature page's caption.
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
        // A signature page's caption: "[Signature Page to …]".
        if out[i] == "[Signature" && out.get(i + 1).is_some_and(|w| w == "Page") {
            while i < out.len() && !out[i].ends_with(']') {
                i += 1;
            }
            i += 1;
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
fn pdffonts_and_qpdf_accept_every_document() {
    if !tool("pdffonts") || !tool("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in all_data_files() {
        let pdf = dir.path().join("doc.pdf");
        std::fs::write(&pdf, pdf_at(&name)).unwrap();
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

fn has_pyhanko() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import pyhanko, pyhanko_certvalidator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "pyHanko is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: pyHanko is not installed");
    }
    found
}

/// Every party signs: each signature field of every original and example is signed in turn
/// (a text field filled after the first signature), and pyHanko (trusting the test's own
/// certificate) and pdfsig validate every signature. One python process per document.
#[test]
fn every_party_signs_every_document_and_all_signatures_validate() {
    if !tool("pdfsig") || !has_pyhanko() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut signed = 0;
    for path in all_data_files() {
        let stem = path.rsplit('/').next().unwrap().trim_end_matches(".toml");
        let pdf = dir.path().join(format!("{stem}.pdf"));
        let bytes = pdf_at(&path);
        let doc = Document::load_mem(&bytes).unwrap();
        let sigs = field_nodes(&doc)
            .into_iter()
            .filter(|(name, terminal, _)| {
                *terminal
                    && field_widget(&doc, name)
                        .get(b"FT")
                        .unwrap()
                        .as_name()
                        .unwrap()
                        == b"Sig"
            })
            .count();
        std::fs::write(&pdf, bytes).unwrap();
        let out_pdf = dir.path().join(format!("{stem}-signed.pdf"));
        let out = Command::new("python3")
            .arg(root().join("tests/tools/sign_check.py"))
            .arg(&pdf)
            .arg(&out_pdf)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{path}:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            report.matches("-> OK").count(),
            sigs,
            "{path}: not every signature validated\n{report}"
        );
        // Signed by every party, its pages still show its source: it compares with its data
        // as the same document, with no warning.
        let diff = Command::new(env!("CARGO_BIN_EXE_engross"))
            .arg("diff")
            .arg(&out_pdf)
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            diff.status.code(),
            Some(0),
            "{path}: the signed copy differs from its data\n{}{}",
            String::from_utf8_lossy(&diff.stdout),
            String::from_utf8_lossy(&diff.stderr)
        );
        assert!(
            diff.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&diff.stderr)
        );
        signed += sigs;
    }
    assert!(signed >= 15, "only {signed} signatures made");
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

/// Every word, rule and field of every page of the ten data files lies inside the text area
/// (the footer inside the bottom margin), by the layout's own boxes; pdftotext's word boxes
/// agree.
#[test]
fn nothing_is_set_outside_the_margins() {
    use engross::layout::{Item, fonts::Fonts};
    let fonts = Fonts::get();
    let engine = engine();
    let dir = tempfile::tempdir().unwrap();
    let with_poppler = tool("pdftotext");
    for path in all_data_files() {
        let rendered = engine.run(&read(&path), &path).unwrap();
        let setup = engross::page_setup(&rendered.data.page);
        let laid = engross::layout::layout(&rendered.document, setup, "Doc. 0123ABCD");
        let (left, right) = (setup.margin, setup.width - setup.margin);
        let (bottom, top) = (setup.margin / 2.0 - 3.0, setup.height - setup.margin + 1.0);
        let inside = |what: &str, page: usize, l: f32, r: f32, b: f32, t: f32| {
            assert!(
                l >= left - 0.01 && r <= right + 0.01 && b >= bottom && t <= top,
                "{path} p.{}: {what} at x {l:.2}..{r:.2}, y {b:.2}..{t:.2} is outside \
                 {left}..{right}",
                page + 1
            );
        };
        let mut words = 0;
        for (pi, page) in laid.pages.iter().enumerate() {
            for item in &page.items {
                match item {
                    Item::Text {
                        x,
                        y,
                        face,
                        size,
                        glyphs,
                        ..
                    } => {
                        let text: String = glyphs.iter().map(|g| &*g.text).collect();
                        let w = fonts.width(*face, glyphs, *size);
                        words += text.split_whitespace().count();
                        inside(&format!("{text:?}"), pi, *x, x + w, *y, *y + size * 0.7);
                    }
                    Item::Rule { x1, y1, x2, y2, .. } => {
                        inside("a rule", pi, x1.min(*x2), x1.max(*x2), *y1, *y2)
                    }
                    Item::Field { name, rect } | Item::Signature { name, rect } => {
                        inside(name, pi, rect.x, rect.x + rect.w, rect.y, rect.y + rect.h)
                    }
                }
            }
        }
        assert!(words > 300, "{path}: only {words} words");
        if !with_poppler {
            continue;
        }
        let pdf = dir.path().join("doc.pdf");
        std::fs::write(&pdf, engine.pdf(&rendered).unwrap()).unwrap();
        let out = Command::new("pdftotext")
            .args(["-bbox"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let html = String::from_utf8_lossy(&out.stdout).to_string();
        let attr = |tag: &str, key: &str| -> f32 {
            let at = tag.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
            tag[at..].split('"').next().unwrap().parse().unwrap()
        };
        let mut seen = 0;
        for tag in html.split("<word ").skip(1) {
            let (x_min, x_max) = (attr(tag, "xMin"), attr(tag, "xMax"));
            let word = tag
                .split('>')
                .nth(1)
                .unwrap_or("")
                .split('<')
                .next()
                .unwrap();
            assert!(
                x_min >= left - 0.5 && x_max <= right + 0.5,
                "{path}: pdftotext places {word:?} at x {x_min}..{x_max}"
            );
            seen += 1;
        }
        assert!(seen > 300, "{path}: pdftotext found {seen} words");
    }
}

/// Each page's body text (footer left out) and the names of its fields, from the layout.
fn laid_pages(path: &str) -> Vec<(String, Vec<String>)> {
    use engross::layout::Item;
    let engine = engine();
    let rendered = engine.run(&read(path), path).unwrap();
    let setup = engross::page_setup(&rendered.data.page);
    let laid = engross::layout::layout(&rendered.document, setup, "");
    laid.pages
        .iter()
        .map(|page| {
            let mut text = String::new();
            let mut names = Vec::new();
            for item in &page.items {
                match item {
                    Item::Text { y, glyphs, .. } if *y > setup.margin => {
                        text.extend(glyphs.iter().map(|g| &*g.text));
                        text.push(' ');
                    }
                    Item::Signature { name, .. } | Item::Field { name, .. } => {
                        text.push_str("_ ");
                        names.push(name.clone())
                    }
                    _ => {}
                }
            }
            (text, names)
        })
        .collect()
}

#[test]
fn signature_pages_and_signed_exhibits_hold_together() {
    let page_of = |pages: &[(String, Vec<String>)], field: &str| {
        pages
            .iter()
            .position(|(_, names)| names.iter().any(|n| n == field))
            .unwrap_or_else(|| panic!("no field {field}"))
    };
    // subscription-2005: the subscriber grid, the "Dated" line and the Company's acceptance
    // on one page.
    let sub = laid_pages("data/originals/subscription-2005.toml");
    let p = page_of(&sub, "subscriber.signature");
    assert_eq!(p, page_of(&sub, "company.signature"));
    assert_eq!(p, page_of(&sub, "subscriber.date"));
    assert!(sub[p].0.contains("NUMBER OF SHARES"), "{}", sub[p].0);
    // A question keeps its answer lines.
    assert_eq!(
        page_of(&sub, "questionnaire.7_2_c.line1"),
        page_of(&sub, "questionnaire.7_2_c.line4")
    );
    let q = page_of(&sub, "questionnaire.7_2_c.line1");
    assert!(sub[q].0.contains("prior investments:"), "{}", sub[q].0);
    // The option's Exhibit A keeps its signature.
    let opt = laid_pages("data/originals/option-2005.toml");
    let e = page_of(&opt, "subscription.holder.signature");
    assert!(opt[e].0.contains("Exhibit A"), "{}", opt[e].0);
    assert!(opt[e].0.contains("FORM OF SUBSCRIPTION"), "{}", opt[e].0);
    // No page of any document holds only a "remainder of page" line; the testimonium never
    // ends a page without its signatures.
    for path in all_data_files() {
        for (i, (text, _)) in laid_pages(&path).iter().enumerate() {
            let t = text.trim();
            assert!(
                !(t.starts_with('[') && t.ends_with(']') && t.contains("REMAINDER OF PAGE")),
                "{path} p.{}: only {t}",
                i + 1
            );
            assert!(
                !t.ends_with(':'),
                "{path} p.{} ends with a caption: …{}",
                i + 1,
                &t[t.len().saturating_sub(80)..]
            );
        }
    }
}

/// The PDF/A-3b structure every engross PDF has, checked with lopdf: PDF 1.7, XMP whose pdfaid,
/// title and dates match the information dictionary, an sRGB output intent with an ICC
/// profile, /Lang, /MarkInfo, a structure tree with a parent-tree entry for every marked-content
/// sequence and widget, /PageMode as a name, and a nested outline in reading order.
fn assert_archival(path: &str, bytes: &[u8]) {
    assert!(bytes.starts_with(b"%PDF-1.7\n%"), "{path}: header");
    let doc = Document::load_mem(bytes).unwrap();
    let catalog = doc.catalog().unwrap();
    let stream = |key: &[u8]| {
        let id = catalog.get(key).unwrap().as_reference().unwrap();
        doc.get_object(id).unwrap().as_stream().unwrap().clone()
    };
    let xmp = String::from_utf8(stream(b"Metadata").content).unwrap();
    assert!(xmp.contains("<pdfaid:part>3</pdfaid:part>"), "{path}");
    assert!(
        xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{path}"
    );
    let title = info(&doc, b"Title");
    assert!(
        !title.is_empty() && xmp.contains(&format!(">{title}<")),
        "{path}"
    );
    // Dates: from the data, the same in both places, never the epoch.
    let created = info(&doc, b"CreationDate");
    assert!(
        created.starts_with("D:") && !created.starts_with("D:1970"),
        "{path}: {created}"
    );
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &created[2..6],
        &created[6..8],
        &created[8..10],
        &created[10..12],
        &created[12..14],
        &created[14..16]
    );
    assert!(
        xmp.contains(&format!("<xmp:CreateDate>{iso}<")),
        "{path}: {iso}"
    );
    // The output intent's profile is an RGB display profile.
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    let intent = intents[0].as_dict().unwrap();
    assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFA1");
    let icc = doc
        .get_object(
            intent
                .get(b"DestOutputProfile")
                .unwrap()
                .as_reference()
                .unwrap(),
        )
        .unwrap()
        .as_stream()
        .unwrap();
    assert_eq!(icc.dict.get(b"N").unwrap().as_i64().unwrap(), 3);
    let profile = icc
        .decompressed_content()
        .unwrap_or_else(|_| icc.content.clone());
    assert_eq!(&profile[12..20], b"mntrRGB ", "{path}: ICC class");
    assert_eq!(&profile[36..40], b"acsp", "{path}: ICC signature");
    assert_eq!(catalog.get(b"Lang").unwrap().as_str().unwrap(), b"en-US");
    // Tagged: a structure tree whose parent tree names an element for every marked-content
    // sequence of every page (footers are artifacts), and a Form element for every widget.
    let mark = catalog.get(b"MarkInfo").unwrap().as_dict().unwrap();
    assert!(mark.get(b"Marked").unwrap().as_bool().unwrap(), "{path}");
    let root = doc
        .get_dictionary(
            catalog
                .get(b"StructTreeRoot")
                .unwrap()
                .as_reference()
                .unwrap(),
        )
        .unwrap();
    let nums = root
        .get(b"ParentTree")
        .unwrap()
        .as_dict()
        .unwrap()
        .get(b"Nums")
        .unwrap()
        .as_array()
        .unwrap();
    let mut tree: BTreeMap<i64, &Object> = BTreeMap::new();
    for pair in nums.chunks(2) {
        tree.insert(pair[0].as_i64().unwrap(), &pair[1]);
    }
    for (pi, page) in doc.get_pages().values().enumerate() {
        let d = doc.get_dictionary(*page).unwrap();
        let key = d.get(b"StructParents").unwrap().as_i64().unwrap();
        let content = doc.get_page_content(*page);
        let text = String::from_utf8_lossy(&content);
        let mcids = text.matches(" BDC").count();
        let artifacts = text.matches("/Artifact BMC").count();
        assert!(
            artifacts >= 1,
            "{path} p.{}: the footer is not an artifact",
            pi + 1
        );
        let parents = tree[&key].as_array().unwrap();
        assert_eq!(parents.len(), mcids, "{path} p.{}", pi + 1);
        for e in parents {
            let e = doc.get_dictionary(e.as_reference().unwrap()).unwrap();
            assert_eq!(e.get(b"Type").unwrap().as_name().unwrap(), b"StructElem");
        }
        if let Ok(annots) = d.get(b"Annots").and_then(Object::as_array) {
            for a in annots {
                let w = doc.get_dictionary(a.as_reference().unwrap()).unwrap();
                let k = w.get(b"StructParent").unwrap().as_i64().unwrap();
                let form = doc
                    .get_dictionary(tree[&k].as_reference().unwrap())
                    .unwrap();
                assert_eq!(form.get(b"S").unwrap().as_name().unwrap(), b"Form");
            }
        }
    }
    // A document without headings has no outline to show.
    let Ok(outlines) = catalog.get(b"Outlines") else {
        assert!(
            !path.contains("subscription") && !path.contains("option"),
            "{path}: no outline"
        );
        assert_eq!(
            catalog.get(b"PageMode").unwrap().as_name().unwrap(),
            b"UseNone"
        );
        return;
    };
    assert_eq!(
        catalog.get(b"PageMode").unwrap().as_name().unwrap(),
        b"UseOutlines",
        "{path}"
    );
    // The outline: nested, and in reading order (page numbers never go back).
    let outlines = doc
        .get_dictionary(outlines.as_reference().unwrap())
        .unwrap();
    let pages: Vec<ObjectId> = doc.get_pages().values().copied().collect();
    let mut order = Vec::new();
    let mut nested = false;
    fn walk(
        doc: &Document,
        first: Option<ObjectId>,
        pages: &[ObjectId],
        order: &mut Vec<usize>,
        nested: &mut bool,
    ) {
        let mut at = first;
        while let Some(id) = at {
            let d = doc.get_dictionary(id).unwrap();
            let dest = d.get(b"Dest").unwrap().as_array().unwrap();
            let page = dest[0].as_reference().unwrap();
            order.push(pages.iter().position(|p| *p == page).unwrap());
            let kid = d.get(b"First").ok().map(|o| o.as_reference().unwrap());
            if kid.is_some() {
                *nested = true;
            }
            walk(doc, kid, pages, order, nested);
            at = d.get(b"Next").ok().map(|o| o.as_reference().unwrap());
        }
    }
    let first = outlines
        .get(b"First")
        .ok()
        .map(|o| o.as_reference().unwrap());
    walk(&doc, first, &pages, &mut order, &mut nested);
    assert!(!order.is_empty(), "{path}: empty outline");
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{path}: {order:?}");
    if path.contains("subscription") || path.contains("option") {
        assert!(nested, "{path}: the outline is flat");
    }
}

/// Every data file's PDF is archival (above), its attachments are associated files, and the
/// data attachment has none of the file's comments.
#[test]
fn every_document_is_archival() {
    for path in all_data_files() {
        let bytes = pdf_at(&path);
        assert_archival(&path, &bytes);
        let doc = Document::load_mem(&bytes).unwrap();
        let catalog = doc.catalog().unwrap();
        // The attachments are associated files; the data has none of the file's comments and
        // the same typed values.
        let af = catalog.get(b"AF").unwrap().as_array().unwrap();
        assert_eq!(af.len(), 2, "{path}");
        for spec in af {
            let spec = doc.get_dictionary(spec.as_reference().unwrap()).unwrap();
            assert_eq!(
                spec.get(b"AFRelationship").unwrap().as_name().unwrap(),
                b"Source"
            );
        }
        let files = engross::pdf::attachments(&bytes).unwrap();
        let data = &files
            .iter()
            .find(|(n, _)| n == engross::DATA_ATTACHMENT)
            .unwrap()
            .1;
        let data = String::from_utf8(data.clone()).unwrap();
        assert!(
            !data.lines().any(|l| l.trim_start().starts_with('#')),
            "{path}: a comment travels in the PDF"
        );
        let original: toml::Table = toml::from_str(&read(&path)).unwrap();
        assert_eq!(
            toml::from_str::<toml::Table>(&data).unwrap(),
            original,
            "{path}"
        );
        assert!(
            read(&path).contains('#'),
            "{path} has no comment to leave out"
        );
    }
}

/// The redline PDF goes through the same checks as the documents: archival structure (lopdf),
/// fonts embedded and subset (pdffonts), `qpdf --check`, and every party signs it in turn
/// (pyHanko and pdfsig validate each signature). Its date is the new draft's.
#[test]
fn the_redline_is_archival_and_signable() {
    let engine = engine();
    let (old, new) = (
        "data/originals/option-2005.toml",
        "data/examples/option-2026.toml",
    );
    let input = |p: &str| engine.input(p, read(p).as_bytes()).unwrap();
    let redline =
        engross::comparison::compare(&input(old), &input(new), &engross::diff::Options::default())
            .unwrap();
    let bytes = redline.pdf().unwrap();
    let name = "redline option-2005 → option-2026";
    assert_archival(name, &bytes);
    let doc = Document::load_mem(&bytes).unwrap();
    assert!(
        info(&doc, b"CreationDate").starts_with("D:2026"),
        "{name}: dated from the new draft"
    );
    if !tool("pdffonts") || !tool("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("redline.pdf");
    std::fs::write(&pdf, &bytes).unwrap();
    let out = Command::new("pdffonts").arg(&pdf).output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    for row in listing.lines().skip(2) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "{listing}");
    }
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(&pdf)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "qpdf --check\n{}",
        String::from_utf8_lossy(&check.stdout)
    );
    if !tool("pdfsig") || !has_pyhanko() {
        return;
    }
    let sigs = field_nodes(&doc)
        .into_iter()
        .filter(|(n, terminal, _)| {
            *terminal && field_widget(&doc, n).get(b"FT").unwrap().as_name().unwrap() == b"Sig"
        })
        .count();
    assert!(sigs >= 2, "{name}: {sigs} signature fields");
    let out = Command::new("python3")
        .arg(root().join("tests/tools/sign_check.py"))
        .arg(&pdf)
        .arg(dir.path().join("redline-signed.pdf"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report.matches("-> OK").count(), sigs, "{report}");
}

/// Every signer has room to sign: at least half an inch between each signature line's rule and
/// whatever is drawn above it in its column (stacked signers in severance-2026 had one line).
#[test]
fn every_signature_line_has_half_an_inch_above_it() {
    use engross::layout::{Item, fonts::Fonts};
    let fonts = Fonts::get();
    let engine = engine();
    for path in all_data_files() {
        let rendered = engine.run(&read(&path), &path).unwrap();
        let setup = engross::page_setup(&rendered.data.page);
        let laid = engross::layout::layout(&rendered.document, setup, "");
        for (pi, page) in laid.pages.iter().enumerate() {
            for item in &page.items {
                let Item::Signature { name, rect } = item else {
                    continue;
                };
                // The lowest mark above the rule that overlaps it horizontally.
                let (l, r, rule) = (rect.x, rect.x + rect.w, rect.y);
                let above = page
                    .items
                    .iter()
                    .filter_map(|other| {
                        let (ol, or, bottom) = match other {
                            Item::Text {
                                x,
                                y,
                                face,
                                size,
                                glyphs,
                                ..
                            } => (*x, x + fonts.width(*face, glyphs, *size), y - size * 0.22),
                            Item::Rule { x1, y1, x2, y2, .. } => {
                                (x1.min(*x2), x1.max(*x2), y1.min(*y2))
                            }
                            _ => return None,
                        };
                        (ol < r - 1.0 && or > l + 1.0 && bottom > rule + 1.0).then_some(bottom)
                    })
                    .fold(f32::INFINITY, f32::min);
                let top = setup.height - setup.margin;
                let room = above.min(top + 14.5) - rule;
                assert!(
                    room >= 35.5,
                    "{path} p.{}: {name} has {room:.1} pt above its rule",
                    pi + 1
                );
            }
        }
    }
}
