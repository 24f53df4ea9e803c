//! The five originals regenerate word for word from their data files (design.md, "Fidelity").

use super::{ORIGINALS, read, render_text, words};

fn first_difference(want: &[String], got: &[String]) -> Option<usize> {
    let common = want.iter().zip(got).position(|(a, b)| a != b);
    common.or((want.len() != got.len()).then(|| want.len().min(got.len())))
}

#[test]
fn originals_regenerate_word_for_word() {
    let mut failures = Vec::new();
    for name in ORIGINALS {
        let data = format!("data/originals/{name}.toml");
        let got = match render_text(&read(&data), &data) {
            Ok(text) => words(&text),
            Err(e) => {
                let diags: Vec<String> = e.diagnostics().iter().map(|d| d.to_string()).collect();
                failures.push(format!("{name}: render failed: {e}\n{}", diags.join("\n")));
                continue;
            }
        };
        let want = words(&read(format!("tests/originals/{name}.txt")));
        if let Some(i) = first_difference(&want, &got) {
            let lo = i.saturating_sub(8);
            failures.push(format!(
                "{name}: differs at word {i} of {} (rendered {} words)\n  original: {}\n  rendered: {}",
                want.len(),
                got.len(),
                want[lo..(i + 8).min(want.len())].join(" "),
                got[lo..(i + 8).min(got.len())].join(" "),
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn words_follow_the_fidelity_rules() {
    let w = words("Title\n\n   2\n<PAGE>\nNo. _____ x__ y---- --\n");
    assert_eq!(w, ["Title", "No.", "___", "x__", "y---", "--"]);
}
