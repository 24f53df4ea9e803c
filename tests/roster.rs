//! Mass issue: `render BASE --each ROSTER`. The oracle for every row is the single render of the
//! base with the same fields set (`--set`): a roster document must equal it byte for byte. Rosters
//! are seeded random (names with commas, quotes and non-ASCII letters, share counts, dates) in
//! CSV, TOML and JSON Lines; bad rows cost only themselves; shards partition the rows exactly.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

use super::{Rng, root};

const BASE: &str = "data/examples/subscription-2026.toml";

fn engross(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("engross").unwrap();
    c.current_dir(dir);
    c
}

struct Person {
    name: String,
    shares: u32,
    date: String,
}

fn people(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = Rng(seed);
    let names = [
        "Cedar Point, LLC",
        "O'Brien \"Holdings\"",
        "Zoë Ångström",
        "Kim & Park LP",
    ];
    (0..n)
        .map(|i| Person {
            name: format!("{} {i}", names[rng.below(names.len())]),
            shares: 10 * (1 + rng.below(3000) as u32),
            date: format!("2026-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28)),
        })
        .collect()
}

fn csv(people: &[Person]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut s = String::from("\u{feff}subscriber.name,subscriber.shares,subscriber.date\r\n");
    for p in people {
        s.push_str(&format!("{},{},{}\r\n", q(&p.name), p.shares, p.date));
    }
    s
}

fn toml_roster(people: &[Person]) -> String {
    let mut s = String::new();
    for p in people {
        s.push_str(&format!(
            "[[row]]\nsubscriber.name = {:?}\nsubscriber.shares = {}\nsubscriber.date = {}\n\n",
            p.name, p.shares, p.date
        ));
    }
    s
}

fn jsonl(people: &[Person]) -> String {
    people
        .iter()
        .map(|p| {
            serde_json::json!({"subscriber": {"name": p.name, "shares": p.shares, "date": p.date}})
                .to_string()
                + "\n"
        })
        .collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn every_row_is_the_single_render_with_its_fields_set() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join(BASE);
    let people = people(24, 0x5eed);
    for (file, text) in [
        ("r.csv", csv(&people)),
        ("r.toml", toml_roster(&people)),
        ("r.jsonl", jsonl(&people)),
    ] {
        std::fs::write(dir.path().join(file), text).unwrap();
        let out = dir.path().join(format!("out-{file}"));
        let st = engross(dir.path())
            .args(["render", "-f", "txt", "--each", file, "-o"])
            .arg(&out)
            .arg(&base)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&st.stderr);
        assert!(st.status.success(), "{file}: {err}");
        assert!(err.contains("rendered 24 documents"), "{err}");
        assert_eq!(files(&out).len(), 24, "{file}");
    }
    // Rows are numbered as the user sees them: the CSV header is row 1, TOML and JSONL count from 1.
    for (i, p) in people.iter().enumerate().step_by(5) {
        let single = engross(dir.path())
            .args(["render", "-f", "txt", "-o", "-"])
            .arg(&base)
            .args(["--set", &format!("subscriber.name={}", p.name)])
            .args(["--set", &format!("subscriber.shares={}", p.shares)])
            .args(["--set", &format!("subscriber.date={}", p.date)])
            .output()
            .unwrap();
        assert!(
            single.status.success(),
            "{}",
            String::from_utf8_lossy(&single.stderr)
        );
        let want = String::from_utf8(single.stdout).unwrap();
        assert!(want.contains(&p.name), "the name is in the document");
        for (folder, row) in [
            ("out-r.csv", i + 2),
            ("out-r.toml", i + 1),
            ("out-r.jsonl", i + 1),
        ] {
            let got = std::fs::read_to_string(
                dir.path()
                    .join(folder)
                    .join(format!("subscription-{row}.txt")),
            )
            .unwrap();
            assert_eq!(got, want, "{folder} row {row}");
        }
    }
}

#[test]
fn bad_rows_cost_only_themselves_and_strict_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join(BASE);
    std::fs::write(
        dir.path().join("r.csv"),
        "subscriber.name,subscriber.shares,subscriber.date,nonsense.field\n\
         Good One,1200,2026-03-16,\n\
         Bad Shares,twelve,2026-03-16,\n\
         Bad Date,100,16/03/2026,\n\
         Too Many,9999999,2026-03-16,\n\
         Unknown,10,2026-03-16,x\n\
         Good Two,10,2026-03-17,\n",
    )
    .unwrap();
    let st = engross(dir.path())
        .args([
            "render",
            "-f",
            "txt",
            "--each",
            "r.csv",
            "-o",
            "out",
            "--name",
            "{row}-{subscriber.name}",
        ])
        .arg(&base)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&st.stderr);
    assert_eq!(st.status.code(), Some(2), "{err}");
    assert_eq!(
        files(&dir.path().join("out")),
        ["2-Good-One.txt", "7-Good-Two.txt"]
    );
    assert!(
        err.contains("r.csv:3:2") && err.contains("expected a whole number"),
        "{err}"
    );
    assert!(
        err.contains("r.csv:4:3") && err.contains("expected a date"),
        "{err}"
    );
    assert!(err.contains("row 5:") && err.contains("offering"), "{err}");
    assert!(
        err.contains("r.csv:6:4") && err.contains("no field `nonsense.field`"),
        "{err}"
    );
    assert!(err.contains("4 rows failed"), "{err}");
    let st = engross(dir.path())
        .args([
            "render", "-f", "txt", "--each", "r.csv", "-o", "strict", "--strict",
        ])
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(!dir.path().join("strict").exists());
}

#[test]
fn shards_partition_the_rows_and_a_resumed_run_skips_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join(BASE);
    std::fs::write(dir.path().join("r.csv"), csv(&people(17, 9))).unwrap();
    for n in 1..=4 {
        let mut all = Vec::new();
        for k in 1..=n {
            let out = dir.path().join(format!("s{n}-{k}"));
            let st = engross(dir.path())
                .args([
                    "render",
                    "-f",
                    "djot",
                    "--each",
                    "r.csv",
                    "--shard",
                    &format!("{k}/{n}"),
                    "-o",
                ])
                .arg(&out)
                .arg(&base)
                .output()
                .unwrap();
            assert!(
                st.status.success(),
                "{}",
                String::from_utf8_lossy(&st.stderr)
            );
            all.extend(files(&out));
        }
        all.sort();
        let mut expected: Vec<String> = (2..=18).map(|r| format!("subscription-{r}.dj")).collect();
        expected.sort();
        assert_eq!(all, expected, "{n} shards");
    }
    let out = dir.path().join("s1-1");
    std::fs::remove_file(out.join("subscription-5.dj")).unwrap();
    let st = engross(dir.path())
        .args([
            "render",
            "-f",
            "djot",
            "--each",
            "r.csv",
            "--skip-existing",
            "-o",
        ])
        .arg(&out)
        .arg(&base)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(
        err.contains("rendered 1 documents") && err.contains("16 existing skipped"),
        "{err}"
    );
    // Without --skip-existing or --force, nothing is overwritten.
    let st = engross(dir.path())
        .args(["render", "-f", "djot", "--each", "r.csv", "-o"])
        .arg(&out)
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    for bad in ["0/2", "3/2", "x", "1/0"] {
        let st = engross(dir.path())
            .args(["render", "--each", "r.csv", "--shard", bad, "-o", "never"])
            .arg(&base)
            .output()
            .unwrap();
        assert_eq!(st.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn colliding_names_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join(BASE);
    std::fs::write(
        dir.path().join("r.csv"),
        "subscriber.name,subscriber.shares\nSame Name,10\nSame/Name,20\n",
    )
    .unwrap();
    let st = engross(dir.path())
        .args([
            "render",
            "--each",
            "r.csv",
            "--name",
            "{subscriber.name}",
            "-o",
            "out",
        ])
        .arg(&base)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&st.stderr);
    assert_eq!(st.status.code(), Some(2));
    assert!(
        err.contains("rows 2 and 3") && err.contains("Same-Name"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn data_from_standard_input_and_set_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(BASE)).unwrap();
    let mut child = engross(dir.path())
        .args(["render", "-", "-o", "-", "--set", "subscriber.shares=1,500"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let doc = String::from_utf8(out.stdout).unwrap();
    assert!(
        doc.contains("1,500"),
        "the share count set on the command line"
    );
    let st = engross(dir.path())
        .args(["render", "-o", "-", "--set", "subscriber.shares=many"])
        .arg(root().join(BASE))
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("expected a whole number"));
}

#[test]
fn completions_man_page_json_check_and_formats_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "ELVISH"] {
        let out = engross(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("engross"),
            "{shell}"
        );
    }
    let man = engross(dir.path()).arg("man").output().unwrap();
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.starts_with(".ie") && page.contains(".TH engross 1"),
        "{page}"
    );
    if Command::new("man").arg("--version").output().is_ok() {
        std::fs::write(dir.path().join("engross.1"), &page).unwrap();
        let shown = Command::new("man")
            .arg("-l")
            .arg(dir.path().join("engross.1"))
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&shown.stdout).contains("render"));
    }
    std::fs::write(
        dir.path().join("bad.toml"),
        "template = \"option\"\nholder = 3\n",
    )
    .unwrap();
    let out = engross(dir.path())
        .args(["check", "--format", "json", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(first["file"], "bad.toml");
    assert_eq!(first["line"], 2);
    assert_eq!(first["key"], "holder");
    assert_eq!(first["severity"], "error");
    let st = engross(dir.path())
        .args(["render", "-f", "TXT, Djot", "-o", "out"])
        .arg(root().join("data/originals/assignment-2006.toml"))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert_eq!(
        files(&dir.path().join("out")),
        ["assignment-2006.dj", "assignment-2006.txt"]
    );
}

#[test]
fn a_roster_pdf_is_the_single_render_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join(BASE);
    let people = people(3, 77);
    std::fs::write(dir.path().join("r.csv"), csv(&people)).unwrap();
    let st = engross(dir.path())
        .args(["render", "-f", "pdf,docx", "--each", "r.csv", "-o", "out"])
        .arg(&base)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let p = &people[1];
    for ext in ["pdf", "docx"] {
        let single = dir.path().join(format!("single.{ext}"));
        let st = engross(dir.path())
            .args(["render", "-f", ext, "-o"])
            .arg(&single)
            .arg(&base)
            .args(["--set", &format!("subscriber.name={}", p.name)])
            .args(["--set", &format!("subscriber.shares={}", p.shares)])
            .args(["--set", &format!("subscriber.date={}", p.date)])
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        assert_eq!(
            std::fs::read(dir.path().join(format!("out/subscription-3.{ext}"))).unwrap(),
            std::fs::read(&single).unwrap(),
            "{ext}"
        );
    }
}
