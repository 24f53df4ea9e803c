//! The templates are truly parameterised: a value changed in the data changes every place it
//! appears, and only those.

use super::{read, render_text};

/// Replace `old` by `new` in a data file's text (exactly `count` times, so the test notices
/// when the data file changes shape).
fn edit(text: &str, old: &str, new: &str, count: usize) -> String {
    assert_eq!(
        text.matches(old).count(),
        count,
        "expected {count} × {old:?} in the data"
    );
    text.replace(old, new)
}

#[test]
fn a_party_name_changes_everywhere_it_appears() {
    let data = read("data/originals/assignment-2006.toml");
    let before = render_text(&data, "a.toml").unwrap();
    let after = render_text(
        &edit(
            &data,
            "\"Whitco Poles, Inc.\"",
            "\"Fabrikam Poles, Inc.\"",
            1,
        ),
        "a.toml",
    )
    .unwrap();
    // The full name appears upper-cased in the preamble and in the signature block.
    assert_eq!(before.matches("WHITCO POLES, INC.").count(), 2);
    assert_eq!(after.matches("WHITCO POLES, INC.").count(), 0);
    assert_eq!(after.matches("FABRIKAM POLES, INC.").count(), 2);
    // The short name is a different field and does not move.
    assert_eq!(
        before.matches("Whitco Poles").count(),
        after.matches("Whitco Poles").count()
    );
}

#[test]
fn a_date_changes_everywhere_it_appears() {
    let data = read("data/originals/assignment-2006.toml");
    let after = render_text(&edit(&data, "2006-04-24", "2026-03-02", 1), "a.toml").unwrap();
    assert!(after.contains("2nd day of March 2026"), "{after}");
    assert!(!after.contains("April 2006"));
}

#[test]
fn a_share_count_changes_everywhere_it_appears() {
    let data = read("data/originals/option-2005.toml");
    let before = render_text(&data, "o.toml").unwrap();
    let n = before.matches("140,250,000").count();
    assert!(
        n >= 2,
        "the option names its share count in several places ({n})"
    );
    let after = render_text(&edit(&data, "140250000", "2500000", 1), "o.toml").unwrap();
    assert_eq!(after.matches("140,250,000").count(), 0);
    assert_eq!(after.matches("2,500,000").count(), n);
}

#[test]
fn data_cannot_change_the_document_structure() {
    let data = read("data/originals/assignment-2006.toml");
    let hostile = edit(
        &data,
        "\"Whitco Poles, Inc.\"",
        "\"Smith_Jones *Holdings* [LLC]\\n\\n# 1. ::: {.x}\"",
        1,
    );
    let text = render_text(&hostile, "a.toml").unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("and SMITH_JONES *HOLDINGS* [LLC] # 1. ::: {.X} a Texas corporation"),
        "{text}"
    );
    // Still one paragraph: the preamble did not split and no heading or div appeared.
    let doc = super::engine().run(&hostile, "a.toml").unwrap().document;
    assert_eq!(
        doc.blocks.len(),
        super::engine()
            .run(&data, "a.toml")
            .unwrap()
            .document
            .blocks
            .len()
    );
}

#[test]
fn new_drafts_leave_the_as_executed_typos_behind() {
    let data = read("data/originals/assignment-2006.toml");
    let clean = data.split("[as_executed]").next().unwrap();
    let text = render_text(clean, "a.toml").unwrap();
    assert!(!text.contains("Whico"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("ATEG and Whitco Poles hereby agree as follows"),
        "{text}"
    );
}
