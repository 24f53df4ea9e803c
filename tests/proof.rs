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
