//! Realistic negotiation pairs, each with its hand-counted expected changes
//! (`tests/cases/pairs/NAME/expected.toml`): a counterparty markup, a new section that
//! renumbers the rest, a clause moved and edited, two data-file versions, a re-formatted copy
//! with page furniture, text appended at the end. The test compares counts by kind, the text of
//! each change in order, the groups, the changed fields and a move's inner edits.

use engross::diff::{Kind, Options};

use super::{engine, root};

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Insert => "insert",
        Kind::Delete => "delete",
        Kind::Replace => "replace",
        Kind::Move => "move",
        Kind::Renumber => "renumber",
    }
}

fn triples(v: Option<&toml::Value>) -> Vec<(String, String, String)> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .map(|t| {
                    let t = t.as_array().expect("[kind, old, new]");
                    let s = |i: usize| t[i].as_str().expect("string").to_string();
                    (s(0), s(1), s(2))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn negotiation_pairs_match_their_hand_counts() {
    let dir = root().join("tests/cases/pairs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    let engine = engine();
    let mut failures = Vec::new();
    for name in &names {
        let case = dir.join(name);
        let ext = if case.join("old.toml").exists() {
            "toml"
        } else {
            "txt"
        };
        let load = |side: &str| {
            let path = case.join(format!("{side}.{ext}"));
            engine
                .input(&path.display().to_string(), &std::fs::read(&path).unwrap())
                .unwrap()
        };
        let (old, new) = (load("old"), load("new"));
        let expected: toml::Table =
            toml::from_str(&std::fs::read_to_string(case.join("expected.toml")).unwrap()).unwrap();
        let red = engross::comparison::compare(&old, &new, &Options::default()).unwrap();
        let r = &red.report;
        let s = r.summary;
        let count = |k: &str| expected.get(k).and_then(|v| v.as_integer()).unwrap_or(0) as usize;
        let counts = [
            ("insertions", s.insertions),
            ("deletions", s.deletions),
            ("replacements", s.replacements),
            ("moves", s.moves),
            ("moved_edits", s.moved_edits),
            ("renumbered", s.renumbered),
        ];
        for (k, found) in counts {
            if count(k) != found {
                failures.push(format!("{name}: {k}: expected {}, found {found}", count(k)));
            }
        }
        let found: Vec<(String, String, String)> = r
            .changes
            .iter()
            .map(|c| (kind_name(c.kind).to_string(), c.old.clone(), c.new.clone()))
            .collect();
        let want = triples(expected.get("changes"));
        if found != want {
            failures.push(format!(
                "{name}: changes\n expected {want:#?}\n found {found:#?}"
            ));
        }
        let groups: Vec<String> = r.groups.iter().map(|g| g.summary.clone()).collect();
        let want_groups: Vec<String> = expected
            .get("groups")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().map(|g| g.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        if groups != want_groups {
            failures.push(format!(
                "{name}: groups {groups:?}, expected {want_groups:?}"
            ));
        }
        if let Some(fields) = expected.get("fields").and_then(|v| v.as_array()) {
            let want: Vec<&str> = fields.iter().map(|f| f.as_str().unwrap()).collect();
            let got: Vec<&str> = r.fields.iter().map(|f| f.field.as_str()).collect();
            if got != want {
                failures.push(format!("{name}: fields {got:?}, expected {want:?}"));
            }
        }
        let want_edits = triples(expected.get("edits"));
        if !want_edits.is_empty() {
            let got: Vec<(String, String, String)> = r
                .changes
                .iter()
                .flat_map(|c| &c.edits)
                .map(|e| (kind_name(e.kind).to_string(), e.old.clone(), e.new.clone()))
                .collect();
            if got != want_edits {
                failures.push(format!("{name}: edits {got:?}, expected {want_edits:?}"));
            }
        }
        // Every output format draws it without error.
        let _ = (red.txt(), red.json(), red.html());
        red.pdf().unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
