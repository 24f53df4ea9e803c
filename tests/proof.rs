//! `engross proof` on the ten data files' renders: every finding, with the verdict it was given
//! by reading the text (all real: the forms' own slips and the originals' typos), and none on
//! the examples beyond the two their form carries. A new finding, or a lost one, fails here.

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

use super::generative::FILES;
use super::root;

/// (file, check, a part of the message) for every finding expected.
const EXPECTED: &[(&str, &str, &str)] = &[
    // "Whico Poles" once among "Whitco Poles": the near-miss and the name check both see it.
    (
        "data/originals/assignment-2006.toml",
        "term-near-miss",
        "\"Whico Poles\"",
    ),
    ("data/originals/assignment-2006.toml", "name", "\"whico\""),
    // The form defines the Company in its preamble and again in Section 1's definitions.
    (
        "data/originals/option-2005.toml",
        "term-twice",
        "\"Company\"",
    ),
    (
        "data/examples/option-2026.toml",
        "term-twice",
        "\"Company\"",
    ),
    // "hereby citifies that": an operative verb a letter or two from "certifies".
    (
        "data/originals/option-2005.toml",
        "spelling",
        "\"hereby citifies\"",
    ),
    // The option's exercise form calls it a Warrant.
    (
        "data/originals/option-2005.toml",
        "self-name",
        "this Warrant",
    ),
    // The executed severance writes "R.I Heller" for the defined "RI HELLER", and "AGTR" once.
    (
        "data/originals/severance-2007.toml",
        "term-near-miss",
        "\"R.I HELLER\"",
    ),
    (
        "data/originals/severance-2007.toml",
        "term-near-miss",
        "\"R.I Heller\"",
    ),
    ("data/originals/severance-2007.toml", "name", "\"agtr\""),
    // "11 monthly instalments of $10,000" after the first payment in Section 3, "12 monthly
    // installments of $10,000" in the disclosure of Section 5: one thing counted twice.
    (
        "data/originals/severance-2007.toml",
        "count",
        "\"12 monthly installments of $10,000\"",
    ),
    // "AMERICAN TECNOLOGIES GROUP" once in the preamble, beside "AMERICAN TECHNOLOGIES GROUP"
    // once in the signatures: a name written twice alike but for one word a letter off.
    (
        "data/originals/severance-2007.toml",
        "name",
        "\"TECNOLOGIES\" / \"TECHNOLOGIES\"",
    ),
    // "34 Act Filings" is defined; the representations say "34 Act Reports".
    (
        "data/originals/subscription-2005.toml",
        "term-near-miss",
        "\"34 Act Reports\"",
    ),
    // Defined and never used again: the registration rights' period, and the SBIC category.
    (
        "data/originals/subscription-2005.toml",
        "term-unused",
        "\"Effectiveness Period\"",
    ),
    (
        "data/originals/subscription-2005.toml",
        "term-unused",
        "\"SBIC\"",
    ),
    (
        "data/examples/subscription-2026.toml",
        "term-unused",
        "\"SBIC\"",
    ),
];

#[test]
fn proof_finds_the_known_defects_and_nothing_else() {
    for file in FILES {
        let out = Command::cargo_bin("engross")
            .unwrap()
            .current_dir(root())
            .args(["proof", "--format", "json", file])
            .output()
            .unwrap();
        let expected: Vec<_> = EXPECTED.iter().filter(|(f, _, _)| *f == file).collect();
        assert_eq!(
            out.status.code(),
            Some(if expected.is_empty() { 0 } else { 1 }),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let found: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for (_, check, part) in &expected {
            assert!(
                found.iter().any(|f| f["check"] == *check
                    && f["message"].as_str().is_some_and(|m| m.contains(part))),
                "{file}: {check} {part} not found in {found:#?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{file}: {found:#?}");
    }
}

#[test]
fn proof_reads_text_and_word_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("data/originals/subscription-2005.toml");
    let bin = || Command::cargo_bin("engross").unwrap();
    let st = bin()
        .current_dir(dir.path())
        .args(["render", "-f", "txt,docx", "-o", "."])
        .arg(&data)
        .output()
        .unwrap();
    assert!(st.status.success());
    for file in ["subscription-2005.txt", "subscription-2005.docx"] {
        let out = bin()
            .current_dir(dir.path())
            .args(["proof", file])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(text.contains("34 Act Reports"), "{file}: {text}");
    }
}

/// The first quoted phrase of a finding's message, as words.
fn quoted_words(message: &str) -> Vec<String> {
    let phrase = message.split('"').nth(1).unwrap_or("");
    phrase.split_whitespace().map(str::to_string).collect()
}

/// Whether `text` holds every word of `words` (punctuation at their ends aside).
fn holds(text: &str, words: &[String]) -> bool {
    let have: std::collections::BTreeSet<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    words
        .iter()
        .all(|w| have.contains(w.trim_matches(|c: char| !c.is_alphanumeric())))
}

#[test]
fn redline_proof_puts_the_new_versions_findings_on_the_summary_at_their_places() {
    let dir = tempfile::tempdir().unwrap();
    let old = root().join("data/examples/subscription-2026.toml");
    let new = root().join("data/originals/subscription-2005.toml");
    let bin = || Command::cargo_bin("engross").unwrap();
    let redline = |out: &str, proof: bool| {
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .arg("redline")
            .arg(&old)
            .arg(&new);
        if proof {
            cmd.arg("--proof");
        }
        let st = cmd.args(["-o", out]).output().unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        String::from_utf8_lossy(&st.stderr).into_owned()
    };
    // The oracle: `engross proof` of the new version.
    let alone = bin()
        .args(["proof", "--format", "json"])
        .arg(&new)
        .output()
        .unwrap();
    let mut expected: Vec<(String, u64, String)> = String::from_utf8_lossy(&alone.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["check"].as_str().unwrap().to_string(),
                v["paragraph"].as_u64().unwrap(),
                v["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort_by_key(|e| e.1);
    assert!(expected.len() >= 2, "{expected:?}");

    // JSON: every finding of the new version, in its order, each told new or not.
    let said = redline("r.json", true);
    assert!(said.contains("proof: 3 findings, 2 brought in"), "{said}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let proof = json["proof"].as_array().expect("a proof list");
    let got: Vec<(String, u64, String)> = proof
        .iter()
        .map(|p| {
            (
                p["check"].as_str().unwrap().to_string(),
                p["paragraph"].as_u64().unwrap(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let introduced = |part: &str| {
        proof
            .iter()
            .find(|p| p["message"].as_str().unwrap().contains(part))
            .and_then(|p| p["introduced"].as_bool())
    };
    // The 2026 example defines "34 Act Filings" and uses it; the 2005 original's "34 Act
    // Reports" came with the change. "SBIC" is defined and unused in both.
    assert_eq!(introduced("\"34 Act Reports\""), Some(true));
    assert_eq!(introduced("\"SBIC\""), Some(false));
    redline("plain.json", false);
    let plain = std::fs::read_to_string(dir.path().join("plain.json")).unwrap();
    assert!(!plain.contains("\"proof\""), "proof without --proof");

    // HTML: each finding links to the paragraph that shows its words.
    redline("r.html", true);
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    let list = &html[html.find("<ol class=\"proof\">").expect("the proof list")..];
    let list = &list[..list.find("</ol>").unwrap()];
    let items: Vec<&str> = list.split("<li>").skip(1).collect();
    assert_eq!(items.len(), expected.len(), "{list}");
    let strip = |s: &str| {
        // Tags and deleted words out, entities back.
        let mut out = String::new();
        let mut rest = s;
        while let Some(d) = rest.find("<del>") {
            out.push_str(&rest[..d]);
            rest = rest[d..].find("</del>").map_or("", |e| &rest[d + e + 6..]);
        }
        out.push_str(rest);
        let mut plain = String::new();
        let mut tag = false;
        for c in out.chars() {
            match c {
                '<' => tag = true,
                '>' => {
                    tag = false;
                    plain.push(' ');
                }
                c if !tag => plain.push(c),
                _ => {}
            }
        }
        plain.replace("&quot;", "\"").replace("&amp;", "&")
    };
    for (item, (_, _, message)) in items.iter().zip(&expected) {
        let at = &item[item.find("href=\"#p").unwrap() + 8..];
        let n: usize = at[..at.find('"').unwrap()].parse().unwrap();
        let start = html
            .find(&format!(" id=\"p{n}\""))
            .unwrap_or_else(|| panic!("no #p{n}"));
        let para = &html[start..];
        let para = &para[..para
            .find(&format!(" id=\"p{}\"", n + 1))
            .unwrap_or(para.len())];
        let words = quoted_words(message);
        assert!(
            holds(&strip(para), &words),
            "#p{n} lacks {words:?}: {}",
            strip(para)
        );
    }

    // PDF: each finding's line gives the page, and that page shows the words.
    redline("r.pdf", true);
    if !super::diff::have("pdftotext") {
        return;
    }
    let text = |first: usize, last: usize| {
        let out = std::process::Command::new("pdftotext")
            .args(["-f", &first.to_string(), "-l", &last.to_string()])
            .arg(dir.path().join("r.pdf"))
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let summary = text(1, 3);
    let start = summary
        .find("Proof of the new version")
        .expect("the proof on the summary");
    let lines: Vec<&str> = summary[start..]
        .lines()
        .filter(|l| l.contains(", p.\u{a0}") || l.contains(", p. "))
        .collect();
    assert_eq!(lines.len(), expected.len(), "{}", &summary[start..]);
    for (line, (_, _, message)) in lines.iter().zip(&expected) {
        let p = line.replace('\u{a0}', " ");
        let at = &p[p.find(", p. ").unwrap() + 5..];
        let page: usize = at[..at.find(':').unwrap()].parse().unwrap();
        let words = quoted_words(message);
        assert!(
            holds(&text(page, page), &words),
            "p. {page} lacks {words:?}"
        );
    }
}
