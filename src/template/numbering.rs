//! Clause numbers and cross-references, worked out by the engine after Tera has run, so that
//! an optional clause that drops out renumbers everything after it and every reference
//! follows.
//!
//! A template writes a number where a clause's label goes, and names the clause if anything
//! refers to it:
//!
//! ```text
//! [#section]{.label #fees} In order to discourage frivolous claims …
//! … as provided in [](#fees) …        → "as provided in Section 6.6"
//! … Sections [#](#fees) and …         → "Sections 6.6 and …" (the label alone)
//! ```
//!
//! `[#LEVEL]{ATTRS}` counts one more of LEVEL and prints its label; an `#id` among the
//! attributes names the clause. With `.label` among them the label is a clause label
//! (`[6.6]{.label}`, other attributes kept); without it, the bare label is printed (in a
//! heading: `## [#article]{.number #misc}. MISCELLANEOUS`, or `[#article]` alone). Tera reads
//! `{#` as a comment, so an id never comes first in the braces. The levels, their
//! counter styles, labels and reference forms are declared in the kind's schema
//! (`[[numbering]]`). Data never reaches this syntax: data is escaped (`\[`), and an escaped
//! bracket is left alone.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

use crate::data::schema::NumberLevel;
use crate::words::roman;

/// A problem with the numbering, for the caller to place in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `[#x]` where no level `x` is declared.
    UnknownLevel(String),
    /// Two clauses with one name.
    Duplicate(String),
    /// A reference to a clause that is not in the document.
    Missing(String),
    /// A counter past what its style can write (Roman numerals stop at 3999).
    Overflow(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::UnknownLevel(l) => write!(
                f,
                "`[#{l}]` numbers a level `{l}` that the schema's [[numbering]] does not declare"
            ),
            Problem::Duplicate(n) => write!(f, "two clauses are named `#{n}`"),
            Problem::Missing(n) => write!(
                f,
                "a reference to `#{n}`, but no clause in this document has that name (an optional clause left out?)"
            ),
            Problem::Overflow(l) => write!(f, "the `{l}` counter is past what its style can write"),
        }
    }
}

/// A counter written in a style: `1` (decimal), `I`/`i` (Roman), `A`/`a` (letters, doubled
/// past z: `aa`).
pub fn counter(n: u32, style: &str) -> Option<String> {
    let letters = |base: u8| {
        let n = n.checked_sub(1)?;
        let c = char::from(base.checked_add(u8::try_from(n % 26).ok()?)?);
        Some(
            c.to_string()
                .repeat(usize::try_from(n / 26).ok()?.checked_add(1)?),
        )
    };
    match style {
        "I" => roman(i64::from(n)).ok(),
        "i" => roman(i64::from(n)).ok().map(|r| r.to_lowercase()),
        "A" => letters(b'A'),
        "a" => letters(b'a'),
        _ => Some(n.to_string()),
    }
}

/// Fill a pattern: `{level}` is that level's counter in its own style, `{level:STYLE}` in
/// another, `{label}` the label just made.
fn fill(
    pattern: &str,
    levels: &[NumberLevel],
    counts: &BTreeMap<&str, u32>,
    label: &str,
) -> Result<String, Problem> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let Some(close) = after.find('}') else {
            out.push_str(after);
            return Ok(out);
        };
        let inner = after.get(1..close).unwrap_or("");
        rest = after.get(close.saturating_add(1)..).unwrap_or("");
        let (name, style) = inner.split_once(':').unwrap_or((inner, ""));
        if name == "label" {
            out.push_str(label);
            continue;
        }
        let level = levels
            .iter()
            .find(|l| l.level == name)
            .ok_or_else(|| Problem::UnknownLevel(name.to_string()))?;
        let style = if style.is_empty() {
            level.style.as_str()
        } else {
            style
        };
        let n = counts.get(name).copied().unwrap_or(0);
        out.push_str(&counter(n, style).ok_or_else(|| Problem::Overflow(name.to_string()))?);
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether the byte at `i` is escaped by an odd run of backslashes before it.
fn escaped(s: &[u8], i: usize) -> bool {
    let mut n = 0usize;
    let mut j = i;
    while j > 0 && s.get(j.saturating_sub(1)) == Some(&b'\\') {
        n = n.saturating_add(1);
        j = j.saturating_sub(1);
    }
    n % 2 == 1
}

fn is_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
}

/// Number every `[#LEVEL]` of `djot` in order and resolve every `[](#name)` and `[#](#name)`.
/// With no levels declared, the text is returned as it is.
pub fn resolve(djot: &str, levels: &[NumberLevel]) -> Result<String, Problem> {
    if levels.is_empty() || !djot.contains("[#") && !djot.contains("](#") {
        return Ok(djot.to_string());
    }
    let s = djot.as_bytes();
    let mut counts: BTreeMap<&str, u32> = levels.iter().map(|l| (l.level.as_str(), 0)).collect();
    // name → (number, reference)
    let mut names: BTreeMap<String, (String, String)> = BTreeMap::new();
    // The output with references left as placeholders: (start in `out`, name, bare).
    let mut out = String::with_capacity(djot.len());
    let mut refs: Vec<(usize, String, bool)> = Vec::new();
    let mut i = 0usize;
    let mut copied = 0usize;
    while let Some(off) = djot.get(i..).and_then(|r| r.find('[')) {
        let at = i.saturating_add(off);
        i = at.saturating_add(1);
        if escaped(s, at) {
            continue;
        }
        let tail = djot.get(at..).unwrap_or("");
        // A reference: `[](#name)` or `[#](#name)`.
        let (bare, open) = if tail.starts_with("[](#") {
            (false, 4)
        } else if tail.starts_with("[#](#") {
            (true, 5)
        } else {
            (false, 0)
        };
        if open > 0 {
            let start = at.saturating_add(open);
            let mut end = start;
            while s.get(end).is_some_and(|&c| is_name(c)) {
                end = end.saturating_add(1);
            }
            if end > start && s.get(end) == Some(&b')') {
                out.push_str(djot.get(copied..at).unwrap_or(""));
                refs.push((
                    out.len(),
                    djot.get(start..end).unwrap_or("").to_string(),
                    bare,
                ));
                copied = end.saturating_add(1);
                i = copied;
            }
            continue;
        }
        // A number: `[#level]` with optional `{attributes}`.
        if !tail.starts_with("[#") {
            continue;
        }
        let start = at.saturating_add(2);
        let mut end = start;
        while s
            .get(end)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            end = end.saturating_add(1);
        }
        if end == start || s.get(end) != Some(&b']') {
            continue;
        }
        let level_name = djot.get(start..end).unwrap_or("");
        let Some(level) = levels.iter().find(|l| l.level == level_name) else {
            return Err(Problem::UnknownLevel(level_name.to_string()));
        };
        let mut next = end.saturating_add(1);
        let mut name = None;
        let mut kept = Vec::new();
        if s.get(next) == Some(&b'{')
            && let Some(close) = djot.get(next..).and_then(|r| r.find('}'))
        {
            let attrs = djot
                .get(next.saturating_add(1)..next.saturating_add(close))
                .unwrap_or("");
            for a in attrs.split_whitespace() {
                match a.strip_prefix('#') {
                    Some(n) => name = Some(n.to_string()),
                    None => kept.push(a),
                }
            }
            next = next.saturating_add(close).saturating_add(1);
        }
        // Count this level; reset every level within it.
        let count = counts.entry(level.level.as_str()).or_insert(0);
        *count = count.saturating_add(1);
        let mut reset = vec![level.level.as_str()];
        while let Some(parent) = reset.pop() {
            for l in levels {
                if l.within.as_deref() == Some(parent) {
                    counts.insert(l.level.as_str(), 0);
                    reset.push(l.level.as_str());
                }
            }
        }
        let label = fill(&level.label, levels, &counts, "")?;
        if let Some(n) = name {
            let reference = fill(&level.reference, levels, &counts, &label)?;
            let number = match &level.number {
                Some(p) => fill(p, levels, &counts, &label)?,
                None => label.clone(),
            };
            if names.insert(n.clone(), (number, reference)).is_some() {
                return Err(Problem::Duplicate(n));
            }
        }
        out.push_str(djot.get(copied..at).unwrap_or(""));
        if !kept.contains(&".label") {
            out.push_str(&label);
        } else {
            out.push('[');
            out.push_str(&label);
            out.push_str("]{");
            out.push_str(&kept.join(" "));
            out.push('}');
        }
        copied = next;
        i = next;
    }
    out.push_str(djot.get(copied..).unwrap_or(""));
    if refs.is_empty() {
        return Ok(out);
    }
    // Put the references in, in one pass (inserting each one moved all the text after it).
    let mut done = String::with_capacity(out.len().saturating_add(refs.len().saturating_mul(16)));
    let mut from = 0usize;
    for (at, name, bare) in refs {
        let (label, reference) = names.get(&name).ok_or(Problem::Missing(name.clone()))?;
        done.push_str(out.get(from..at).unwrap_or(""));
        done.push_str(if bare { label } else { reference });
        from = at;
    }
    done.push_str(out.get(from..).unwrap_or(""));
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels() -> Vec<NumberLevel> {
        vec![
            NumberLevel {
                level: "article".into(),
                style: "I".into(),
                within: None,
                label: "{article}".into(),
                reference: "Article {article}".into(),
                number: None,
            },
            NumberLevel {
                level: "section".into(),
                style: "1".into(),
                within: Some("article".into()),
                label: "{article:1}.{section}".into(),
                reference: "Section {label}".into(),
                number: None,
            },
            NumberLevel {
                level: "clause".into(),
                style: "a".into(),
                within: Some("section".into()),
                label: "({clause})".into(),
                reference: "Section {article:1}.{section}{label}".into(),
                number: None,
            },
        ]
    }

    #[test]
    fn numbers_in_order_and_references_follow() {
        let src = "## [#article]. ONE\n\n[#section]{.label} a [](#b) and [#](#c).\n\n\
                   [#section]{.label #b} b\n\n[#clause]{.label #c} c\n\n## [#article]{.number #second}. TWO\n\n\
                   [#section]{.label} d, see [](#b) and [](#two)\n\n[#clause]{.label #two} e";
        let out = resolve(src, &levels()).unwrap();
        assert_eq!(
            out,
            "## I. ONE\n\n[1.1]{.label} a Section 1.2 and (a).\n\n[1.2]{.label} b\n\n\
             [(a)]{.label} c\n\n## II. TWO\n\n[2.1]{.label} d, see Section 1.2 and Section 2.1(a)\n\n\
             [(a)]{.label} e"
        );
    }

    #[test]
    fn escaped_brackets_and_missing_names() {
        let out = resolve(r"\[#section\] and \[\](#x) stay", &levels()).unwrap();
        assert_eq!(out, r"\[#section\] and \[\](#x) stay");
        assert_eq!(
            resolve("see [](#nowhere)", &levels()),
            Err(Problem::Missing("nowhere".into()))
        );
        assert_eq!(
            resolve("[#part]{.label}", &levels()),
            Err(Problem::UnknownLevel("part".into()))
        );
        assert_eq!(
            resolve("[#section]{#a} [#section]{#a}", &levels()),
            Err(Problem::Duplicate("a".into()))
        );
    }

    #[test]
    fn counter_styles() {
        assert_eq!(counter(4, "I").as_deref(), Some("IV"));
        assert_eq!(counter(4, "i").as_deref(), Some("iv"));
        assert_eq!(counter(1, "a").as_deref(), Some("a"));
        assert_eq!(counter(27, "a").as_deref(), Some("aa"));
        assert_eq!(counter(28, "A").as_deref(), Some("BB"));
        assert_eq!(counter(12, "1").as_deref(), Some("12"));
        assert_eq!(counter(0, "a"), None);
        assert_eq!(counter(4000, "I"), None);
    }

    /// Seeded random documents: articles, sections and clauses, some left out, some named and
    /// referred to from anywhere (before or after). The oracle numbers the clauses that remain
    /// with plain counters, independently of `resolve`.
    #[test]
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "a test's own counters over three levels; a panic fails it"
    )]
    fn generated_documents_number_and_refer_like_the_oracle() {
        let mut seed: u64 = 0x5eed_1234_abcd_ef01;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n.max(1)
        };
        for case in 0..500 {
            // The tree: (level, kept, name) in document order.
            let mut items: Vec<(usize, bool, Option<String>)> = Vec::new();
            for a in 0..=next(4) {
                items.push((0, next(5) != 0, Some(format!("a{case}-{a}"))));
                for s in 0..next(6) {
                    items.push((
                        1,
                        next(4) != 0,
                        (next(2) == 0).then(|| format!("s{case}-{a}-{s}")),
                    ));
                    for c in 0..next(4) {
                        items.push((
                            2,
                            next(3) != 0,
                            (next(2) == 0).then(|| format!("c{case}-{a}-{s}-{c}")),
                        ));
                    }
                }
            }
            // A clause left out takes its children with it.
            let mut kept = Vec::new();
            let mut drop_below: Option<usize> = None;
            for (level, keep, name) in &items {
                if let Some(d) = drop_below {
                    if *level > d {
                        continue;
                    }
                    drop_below = None;
                }
                if *keep {
                    kept.push((*level, name.clone()));
                } else {
                    drop_below = Some(*level);
                }
            }
            // The oracle.
            let mut counts = [0u32; 3];
            let mut expected = String::new();
            let mut names = BTreeMap::new();
            let mut src = String::new();
            for (level, name) in &kept {
                counts[*level] += 1;
                for c in counts.iter_mut().skip(level + 1) {
                    *c = 0;
                }
                let (label, reference) = match level {
                    0 => {
                        let r = roman(i64::from(counts[0])).unwrap();
                        (r.clone(), format!("Article {r}"))
                    }
                    1 => {
                        let l = format!("{}.{}", counts[0], counts[1]);
                        (l.clone(), format!("Section {l}"))
                    }
                    _ => {
                        let l = format!("({})", counter(counts[2], "a").unwrap());
                        (l.clone(), format!("Section {}.{}{l}", counts[0], counts[1]))
                    }
                };
                let tag = ["article", "section", "clause"][*level];
                match name {
                    Some(n) => {
                        src.push_str(&format!("[#{tag}]{{.label #{n}}} text\n\n"));
                        names.insert(n.clone(), (label.clone(), reference));
                    }
                    None => src.push_str(&format!("[#{tag}]{{.label}} text\n\n")),
                }
                expected.push_str(&format!("[{label}]{{.label}} text\n\n"));
            }
            // References to kept names, anywhere: at the end, both forms.
            for (n, (label, reference)) in &names {
                if next(2) == 0 {
                    src.push_str(&format!("see [](#{n}) and [#](#{n}).\n"));
                    expected.push_str(&format!("see {reference} and {label}.\n"));
                } else {
                    src.insert_str(0, &format!("see [](#{n}).\n"));
                    expected.insert_str(0, &format!("see {reference}.\n"));
                }
            }
            assert_eq!(
                resolve(&src, &levels()).unwrap(),
                expected,
                "case {case}:\n{src}"
            );
            // A reference to a clause that was left out is an error naming it.
            if let Some((_, _, Some(gone))) = items.iter().find(|(_, k, n)| !k && n.is_some()) {
                let with = format!("{src}see [](#{gone})");
                assert_eq!(
                    resolve(&with, &levels()),
                    Err(Problem::Missing(gone.clone()))
                );
            }
        }
    }
}
