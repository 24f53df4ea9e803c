//! The command line as a user runs it: exit codes, `-o -`, atomic writes into output/, refusing
//! to overwrite without --force, and nothing written when anything fails.

use assert_cmd::Command;

use super::root;

fn engross(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("engross").unwrap();
    cmd.current_dir(dir).env_remove("ENGROSS_TEMPLATES");
    cmd
}

fn original(name: &str) -> String {
    root()
        .join(format!("data/originals/{name}.toml"))
        .display()
        .to_string()
}

#[test]
fn list_names_every_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = engross(dir.path()).arg("list").assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for kind in [
        "assignment",
        "default-notice",
        "option",
        "severance",
        "subscription",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(kind)),
            "{kind} missing from:\n{stdout}"
        );
    }
}

#[test]
fn render_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = engross(dir.path())
        .args(["render", &original("assignment-2006"), "-o", "-"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("ASSIGNMENT AND ASSUMPTION AGREEMENT"));
    assert!(!dir.path().join("output").exists());
}

#[test]
fn render_writes_into_output_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    engross(dir.path())
        .args(["render", &original("assignment-2006")])
        .assert()
        .success();
    let target = dir.path().join("output/assignment-2006.txt");
    let first = std::fs::read_to_string(&target).unwrap();
    std::fs::write(&target, "edited by hand").unwrap();
    let out = engross(dir.path())
        .args(["render", &original("assignment-2006")])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "edited by hand");
    engross(dir.path())
        .args(["render", &original("assignment-2006"), "--force"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), first);
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("output"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_failure_writes_nothing_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "template = \"assignment\"\ndate = 4.5\n").unwrap();
    let out = engross(dir.path())
        .args([
            "render",
            &original("assignment-2006"),
            bad.to_str().unwrap(),
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("bad.toml:2:8"), "{stderr}");
    assert!(!dir.path().join("output").exists());
}

#[test]
fn check_reports_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "template = \"assignment\"\n").unwrap();
    let out = engross(dir.path())
        .args(["check", &original("assignment-2006"), bad.to_str().unwrap()])
        .assert()
        .code(2);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("assignment-2006.toml: ok"), "{stdout}");
    assert!(stdout.contains("bad.toml: 4 errors"), "{stdout}");
}

/// The two sides of a comparison of PDFs are read on two threads: what each says still comes
/// in order, the old side's error first and alone (exit 2), and a good pair compares as before.
#[test]
fn a_comparison_read_on_two_threads_reports_the_old_side_first() {
    let dir = tempfile::tempdir().unwrap();
    engross(dir.path())
        .args([
            "render",
            &original("option-2005"),
            "-f",
            "pdf",
            "-o",
            "a.pdf",
        ])
        .assert()
        .success();
    let good = std::fs::read(dir.path().join("a.pdf")).unwrap();
    std::fs::write(dir.path().join("cut.pdf"), &good[..3000]).unwrap();
    for (old, new, bad) in [
        ("missing.pdf", "cut.pdf", "missing.pdf"),
        ("cut.pdf", "missing.pdf", "cut.pdf"),
        ("a.pdf", "cut.pdf", "cut.pdf"),
        ("cut.pdf", "a.pdf", "cut.pdf"),
    ] {
        let out = engross(dir.path())
            .args(["diff", old, new])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{old} {new}: {stderr}");
        assert!(stderr.contains(bad), "{old} {new}: {stderr}");
    }
    engross(dir.path())
        .args(["diff", "a.pdf", "a.pdf"])
        .assert()
        .code(0);
}
