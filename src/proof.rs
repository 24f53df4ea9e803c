//! Proofing a document: the defects that slip through closings, found on its words.
//!
//! - **Defined terms**: `("X")`, `(the "X")`, `"X" means` — defined twice, defined and never
//!   used (plurals and possessives folded), and near-misses used in their place ("34 Act
//!   Reports" where "34 Act Filings" is defined).
//! - **Names**: a capitalised word seen once or twice that is one or two letters from one seen
//!   often (Whico/Whitco, AGTR/ATGR, TECNOLOGIES/TECHNOLOGIES).
//! - **References**: "Section 5.2", "Article V", "Exhibit B" that no clause, article or exhibit
//!   of the document carries.
//! - **Numbering**: a clause number given twice, or skipped, among its siblings.
//! - **Amounts**: words and figures that disagree ("Ten Thousand Dollars ($100,000)").
//! - **Its own name**: "this Warrant" in a document titled an option.
//!
//! Each finding has a check, a place (section and paragraph) and a short reason. Nothing here
//! reads files: the caller gives a Document.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::document::ascii;
use crate::document::{Block, Document, Run};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which check (`term-unused`, `term-twice`, `term-near-miss`, `name`, `reference`,
    /// `numbering`, `amount`, `self-name`).
    pub check: &'static str,
    /// The section it is in (`5.2`), when there is one.
    pub section: Option<String>,
    /// The paragraph, counted from 1 in reading order.
    pub paragraph: usize,
    /// What is wrong, in a few words.
    pub message: String,
}

/// A paragraph-like unit: its label, its text (ASCII quotes), the section it is in.
struct Unit {
    label: String,
    text: String,
    section: Option<String>,
}

fn runs_text(runs: &[Run]) -> String {
    let mut s = String::new();
    for r in runs {
        match r {
            Run::Text { text, .. } => s.push_str(&ascii(text)),
            Run::Field { .. } | Run::Signature { .. } => s.push_str(" ___ "),
            Run::Break => s.push(' '),
        }
    }
    s
}

fn units(doc: &Document) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    let mut push = |label: String, text: String, out: &mut Vec<Unit>| {
        let l = label.trim().trim_end_matches('.').to_string();
        if !l.is_empty() && l.chars().any(|c| c.is_ascii_digit() || c == '(') {
            section = Some(l);
        }
        out.push(Unit {
            label,
            text,
            section: section.clone(),
        });
    };
    doc.walk(&mut |b| match b {
        Block::Heading { runs, .. } => push(String::new(), runs_text(runs), &mut out),
        Block::Paragraph(p) => {
            let text = runs_text(&p.runs);
            let mut label = runs_text(&p.label);
            // A text input's clause number is the first word of its paragraph.
            if label.trim().is_empty() {
                let first = text.split_whitespace().next().unwrap_or("");
                let bare = first.trim_end_matches('.');
                let dotted = bare.contains('.')
                    && bare
                        .split('.')
                        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
                let letter = first.len() == 3 && first.starts_with('(') && first.ends_with(')');
                if dotted || letter {
                    label = first.to_string();
                }
            }
            push(label, text, &mut out)
        }
        Block::Table(rows) => {
            for row in rows {
                for cell in &row.cells {
                    push(String::new(), runs_text(cell), &mut out);
                }
            }
        }
        _ => {}
    });
    out
}

/// Words of a text with their punctuation trimmed (apostrophes inside kept).
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''))
        .map(|w| w.trim_end_matches("'s").trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect()
}

fn capitalised(w: &str) -> bool {
    w.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// A word without a plural or possessive ending, lower-cased.
fn fold(w: &str) -> String {
    let l = w.to_lowercase();
    let l = l.trim_end_matches("'s").trim_end_matches('\'');
    if l.len() > 3 && l.ends_with("ies") {
        return format!("{}y", &l[..l.len() - 3]);
    }
    if l.len() > 3 && l.ends_with('s') && !l.ends_with("ss") {
        return l[..l.len() - 1].to_string();
    }
    l.to_string()
}

fn fold_phrase(p: &str) -> String {
    words(p)
        .iter()
        .map(|w| fold(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Defined terms: (term, unit index, byte offset of its quotes in the unit's text).
fn definitions(units: &[Unit]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        let t = &unit.text;
        let mut at = 0;
        while let Some(open) = t[at..].find('"').map(|i| at + i) {
            let Some(close) = t[open + 1..].find('"').map(|i| open + 1 + i) else {
                break;
            };
            let term = t[open + 1..close].trim().trim_end_matches([',', '.']);
            at = close + 1;
            let n = term.split_whitespace().count();
            if term.is_empty() || n > 6 || !capitalised(term) {
                continue;
            }
            let before = &t[..open];
            let paren = before.rfind('(').filter(|&p| {
                let between = &before[p + 1..];
                !between.contains(')') && between.split_whitespace().count() <= 4
            });
            let after = t[close + 1..].trim_start();
            let means = [
                "means",
                "shall mean",
                "has the meaning",
                "shall have the meaning",
            ]
            .iter()
            .any(|m| after.starts_with(m));
            if paren.is_some() || means {
                out.push((term.to_string(), u, open));
            }
        }
    }
    out
}

/// How often a phrase occurs in the texts as whole words (plurals and possessives folded),
/// leaving out the definition's own quotes.
fn uses(folded_units: &[Vec<String>], phrase: &str) -> usize {
    let p: Vec<String> = words(phrase).iter().map(|w| fold(w)).collect();
    if p.is_empty() {
        return 0;
    }
    folded_units
        .iter()
        .map(|ws| ws.windows(p.len()).filter(|w| *w == p.as_slice()).count())
        .sum()
}

fn place(units: &[Unit], u: usize) -> (Option<String>, usize) {
    (units.get(u).and_then(|x| x.section.clone()), u + 1)
}

/// Proof a document.
pub fn proof(doc: &Document) -> Vec<Finding> {
    let units = units(doc);
    let mut out = Vec::new();
    let mut find = |check: &'static str, u: usize, message: String| {
        let (section, paragraph) = place(&units, u);
        out.push(Finding {
            check,
            section,
            paragraph,
            message,
        });
    };
    let folded: Vec<Vec<String>> = units
        .iter()
        .map(|u| words(&u.text).iter().map(|w| fold(w)).collect())
        .collect();
    let raw: Vec<Vec<&str>> = units.iter().map(|u| words(&u.text)).collect();

    // Defined terms.
    let defs = definitions(&units);
    let mut by_term: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (term, u, _) in &defs {
        by_term.entry(fold_phrase(term)).or_default().push(*u);
    }
    let mut reported = BTreeSet::new();
    for (term, u, _) in &defs {
        let key = fold_phrase(term);
        if !reported.insert(key.clone()) {
            continue;
        }
        let places = &by_term[&key];
        let distinct: BTreeSet<usize> = places.iter().copied().collect();
        if distinct.len() > 1 {
            let at: Vec<String> = distinct
                .iter()
                .map(|p| format!("paragraph {}", p + 1))
                .collect();
            find(
                "term-twice",
                *u,
                format!(
                    "\"{term}\" is defined {} times ({})",
                    distinct.len(),
                    at.join(", ")
                ),
            );
        }
        // The definition's own quote counts once.
        if uses(&folded, term) <= places.len() {
            find(
                "term-unused",
                *u,
                format!("\"{term}\" is defined but never used"),
            );
        }
    }
    // Near-misses of multi-word defined terms, used where the term was meant.
    let defined: BTreeSet<String> = by_term.keys().cloned().collect();
    for (term, _, _) in defs
        .iter()
        .filter(|(t, _, _)| t.split_whitespace().count() >= 2)
    {
        let t: Vec<&str> = words(term);
        let tf: Vec<String> = t.iter().map(|w| fold(w)).collect();
        let mut seen = BTreeSet::new();
        for (u, ws) in raw.iter().enumerate() {
            let shouting = term
                .chars()
                .filter(|c| c.is_alphabetic())
                .all(char::is_uppercase);
            for w in ws.windows(t.len()) {
                if !w.iter().all(|x| capitalised(x) && !x.contains('(')) {
                    continue;
                }
                // A heading or legend in capitals is not a use of a term written in lower case.
                if !shouting && w.iter().all(|x| !x.chars().any(char::is_lowercase)) {
                    continue;
                }
                let wf: Vec<String> = w.iter().map(|x| fold(x)).collect();
                let differing: Vec<usize> = (0..t.len()).filter(|&i| wf[i] != tf[i]).collect();
                let [i] = differing.as_slice() else {
                    continue;
                };
                let phrase = w.join(" ");
                let (a, b) = (&wf[*i], &tf[*i]);
                const SMALL: [&str; 12] = [
                    "to", "of", "the", "and", "or", "in", "for", "by", "a", "an", "as", "on",
                ];
                let numbers =
                    a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit());
                let close = strsim::osa_distance(a, b) <= 1;
                if !numbers
                    && !SMALL.contains(&a.as_str())
                    && (t.len() >= 3 || close)
                    && !defined.contains(&wf.join(" "))
                    && seen.insert(phrase.clone())
                {
                    find(
                        "term-near-miss",
                        u,
                        format!("\"{phrase}\" is used, but the defined term is \"{term}\""),
                    );
                }
            }
        }
    }

    // Names one or two letters from a name seen often.
    // Only capitalised words inside a sentence count: a sentence's first word is no name.
    // A name is never written in lower case, and an all-capitals word is a name wherever it is.
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut lower: BTreeSet<String> = BTreeSet::new();
    for (u, unit) in units.iter().enumerate() {
        let mut after_stop = true;
        for token in unit.text.split_whitespace() {
            let w = token
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .trim_end_matches("'s");
            let caps = w.len() >= 3 && w.chars().all(|c| c.is_ascii_uppercase());
            if w.chars().next().is_some_and(char::is_lowercase) {
                lower.insert(fold(w));
            } else if (caps || !after_stop)
                && w.len() >= 4
                && capitalised(w)
                && w.chars().all(char::is_alphabetic)
            {
                let e = counts.entry(fold(w)).or_insert((0, u));
                e.0 += 1;
            }
            after_stop = token.ends_with(['.', ':', ';', '?', '!']) || token.starts_with('(');
        }
    }
    counts.retain(|w, _| !lower.contains(w));
    let frequent: Vec<(&String, usize)> = counts
        .iter()
        .filter(|(_, (n, _))| *n >= 3)
        .map(|(w, (n, _))| (w, *n))
        .collect();
    for (rare, (n, u)) in counts.iter().filter(|(_, (n, _))| *n <= 2) {
        let limit = if rare.len() >= 8 { 2 } else { 1 };
        // Words that differ only in their ending are other words (date, dated; signatory,
        // signature), not slips.
        let common =
            |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        if let Some((often, m)) = frequent.iter().find(|(f, _)| {
            f.len() >= 4
                && f.chars().next() == rare.chars().next()
                && strsim::osa_distance(rare, f) <= limit
                && (limit == 1 || common(rare, f) + 3 < rare.len().max(f.len()))
                && !f.starts_with(rare.as_str())
                && !rare.starts_with(f.as_str())
        }) {
            find(
                "name",
                *u,
                format!("\"{rare}\" ({n}\u{d7}) looks like \"{often}\" ({m}\u{d7})"),
            );
        }
    }

    // Names of three or more capitalised words written twice alike but for one word a letter
    // or two off ("AMERICAN TECNOLOGIES GROUP" beside "AMERICAN TECHNOLOGIES GROUP"), however
    // rarely each is written: the same neighbours make the slip plain.
    let mut phrases: Vec<(Vec<String>, Vec<String>, usize)> = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        let mut run: Vec<String> = Vec::new();
        let mut shown: Vec<String> = Vec::new();
        let tokens: Vec<&str> = unit.text.split_whitespace().collect();
        for (k, token) in tokens.iter().enumerate() {
            let w = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '&');
            let name_word = !w.is_empty()
                && capitalised(w)
                && w.chars().all(|c| c.is_alphabetic() || c == '&' || c == '.');
            if name_word {
                run.push(fold(w));
                shown.push(w.to_string());
            }
            let ends =
                !name_word || token.ends_with([',', ';', ':', ')', '"']) || k + 1 == tokens.len();
            if ends {
                if run.len() >= 3 && !phrases.iter().any(|(p, _, _)| *p == run) {
                    phrases.push((run.clone(), shown.clone(), u));
                }
                run.clear();
                shown.clear();
            }
        }
    }
    let mut seen_pairs: BTreeSet<(String, String)> = BTreeSet::new();
    for (i, (a, a_shown, u)) in phrases.iter().enumerate() {
        for (b, b_shown, _) in phrases.iter().skip(i + 1) {
            if a.len() != b.len() {
                continue;
            }
            let differ: Vec<usize> = (0..a.len()).filter(|&k| a[k] != b[k]).collect();
            let [k] = differ.as_slice() else { continue };
            let (x, y) = (&a[*k], &b[*k]);
            if x.len() < 5
                || y.len() < 5
                || x.chars().next() != y.chars().next()
                || strsim::osa_distance(x, y) > 2
                || x.starts_with(y.as_str())
                || y.starts_with(x.as_str())
            {
                continue;
            }
            if !seen_pairs.insert((x.clone(), y.clone())) {
                continue;
            }
            find(
                "name",
                *u,
                format!(
                    "\"{}\" and \"{}\" differ only in \"{}\" / \"{}\"",
                    a_shown.join(" "),
                    b_shown.join(" "),
                    a_shown[*k],
                    b_shown[*k]
                ),
            );
        }
    }

    // The operative verb after "hereby" a letter or two from a verb legal drafting uses there
    // ("hereby citifies" for "hereby certifies"; "citifies" is English, but not an operative
    // verb).
    const OPERATIVE: &[&str] = &[
        "accelerated",
        "accepts",
        "acknowledge",
        "acknowledged",
        "acknowledges",
        "agree",
        "agreed",
        "agrees",
        "appoints",
        "approves",
        "assigns",
        "assumes",
        "authorize",
        "authorizes",
        "certifies",
        "certify",
        "confirms",
        "consents",
        "conveys",
        "covenants",
        "declares",
        "demands",
        "designates",
        "directs",
        "elects",
        "expressly",
        "given",
        "grants",
        "guarantees",
        "incorporated",
        "indemnifies",
        "instructs",
        "irrevocably",
        "notifies",
        "notify",
        "ratifies",
        "releases",
        "represent",
        "represents",
        "requests",
        "reserved",
        "reserves",
        "sells",
        "submits",
        "tenders",
        "transfers",
        "unconditionally",
        "undertakes",
        "waives",
        "warrant",
        "warrants",
    ];
    for (u, unit) in units.iter().enumerate() {
        let tokens: Vec<&str> = unit.text.split_whitespace().collect();
        for pair in tokens.windows(2) {
            let [h, w] = pair else { continue };
            if !h.eq_ignore_ascii_case("hereby") {
                continue;
            }
            let w: String = w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase();
            if w.len() < 5
                || !w.chars().all(|c| c.is_ascii_lowercase())
                || OPERATIVE.contains(&w.as_str())
            {
                continue;
            }
            if let Some(v) = OPERATIVE
                .iter()
                .find(|v| v.chars().next() == w.chars().next() && strsim::osa_distance(v, &w) <= 2)
            {
                find("spelling", u, format!("\"hereby {w}\": \"hereby {v}\"?"));
            }
        }
    }

    // Counts of one thing that disagree: "12 monthly installments of $10,000" in one place and
    // "11 monthly instalments of $10,000" in another (spelling variants folded: doubled
    // letters count once).
    let squeeze = |w: &str| -> String {
        let mut out = String::new();
        for c in fold(w).chars() {
            if !out.ends_with(c) {
                out.push(c);
            }
        }
        out
    };
    // (what is counted, amount) → (count, unit, words as written).
    type Counts = BTreeMap<(String, String), Vec<(String, usize, String)>>;
    let mut counted: Counts = BTreeMap::new();
    for (u, unit) in units.iter().enumerate() {
        let tokens: Vec<&str> = unit.text.split_whitespace().collect();
        for (k, token) in tokens.iter().enumerate() {
            let n = token.trim_matches(|c: char| !c.is_ascii_digit());
            if n.is_empty()
                || !token
                    .trim_start_matches('(')
                    .chars()
                    .all(|c| c.is_ascii_digit())
            {
                continue;
            }
            // Up to three words, then "of" and an amount.
            for len in 1..=3 {
                let (Some(of), Some(amount)) = (tokens.get(k + 1 + len), tokens.get(k + 2 + len))
                else {
                    break;
                };
                if *of != "of" || !amount.starts_with('$') {
                    continue;
                }
                let thing: Vec<String> = tokens[k + 1..k + 1 + len]
                    .iter()
                    .map(|w| squeeze(w))
                    .collect();
                if thing.iter().any(|w| !w.chars().all(char::is_alphabetic)) {
                    break;
                }
                let amount = amount
                    .trim_end_matches(|c: char| !c.is_ascii_digit())
                    .to_string();
                let written = tokens[k + 1..k + 1 + len].join(" ");
                counted.entry((thing.join(" "), amount)).or_default().push((
                    n.to_string(),
                    u,
                    written,
                ));
                break;
            }
        }
    }
    for ((_, amount), seen) in &counted {
        let Some((first, u0, first_words)) = seen.first() else {
            continue;
        };
        if let Some((other, u, words)) = seen.iter().find(|(n, _, _)| n != first) {
            let (_, p0) = place(&units, *u0);
            find(
                "count",
                *u,
                format!(
                    "\"{other} {words} of {amount}\" here, but \"{first} {first_words} of \
                     {amount}\" in paragraph {p0}"
                ),
            );
        }
    }

    // References to sections, articles and exhibits that are not there.
    let labels: BTreeSet<String> = units
        .iter()
        .flat_map(|u| {
            let l = u.label.trim().trim_end_matches('.').to_lowercase();
            let head: String = u
                .text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            let first = u
                .text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_lowercase();
            [
                l,
                head.to_lowercase().trim_end_matches(['.', ':']).to_string(),
                first,
            ]
        })
        .filter(|l| !l.is_empty())
        .collect();
    for (u, unit) in units.iter().enumerate() {
        let ws: Vec<&str> = unit.text.split_whitespace().collect();
        for (i, w) in ws.iter().enumerate() {
            let kind = w.trim_matches(|c: char| !c.is_alphabetic());
            if !matches!(kind, "Section" | "Article" | "Exhibit" | "Schedule") {
                continue;
            }
            let Some(target) = ws.get(i + 1) else {
                continue;
            };
            let target = target.trim_end_matches([',', '.', ';', ':', ')']);
            let base = target
                .split('(')
                .next()
                .unwrap_or(target)
                .trim_end_matches('.');
            if base.is_empty()
                || !base
                    .chars()
                    .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            {
                continue;
            }
            // Another document's section ("Section 4(2) of the Securities Act").
            let next: String = ws
                .iter()
                .skip(i + 2)
                .take(6)
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            let outside = ["of the ", "under the ", "of such ", "of any "]
                .iter()
                .filter_map(|m| next.find(m))
                .min();
            let inside = ["of this", "hereof", "hereto", "hereunder"]
                .iter()
                .filter_map(|m| next.find(m))
                .min();
            // "Section 4.1 of Term Note B": a section of another document, named after "of".
            let named = ws.get(i + 2).is_some_and(|w| *w == "of")
                && ws
                    .get(i + 3)
                    .is_some_and(|w| capitalised(w) && !w.eq_ignore_ascii_case("this"));
            if named || outside.is_some_and(|o| inside.is_none_or(|i| o < i)) {
                continue;
            }
            let b = base.to_lowercase();
            let k = kind.to_lowercase();
            let found = labels.contains(&b)
                || labels.contains(&format!("{k} {b}"))
                || labels
                    .iter()
                    .any(|l| l.starts_with(&format!("{b}.")) || l.starts_with(&format!("{b}(")));
            if !found {
                find(
                    "reference",
                    u,
                    format!("\"{kind} {target}\" refers to no {k} of this document"),
                );
            }
        }
    }

    // Numbering among siblings: duplicates and gaps of dotted numbers and letters.
    let mut last: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    let mut letter: Option<(char, usize)> = None;
    for (u, unit) in units.iter().enumerate() {
        let l = unit.label.trim().trim_end_matches('.');
        if l.is_empty() {
            continue;
        }
        if let Some(inner) = l.strip_prefix('(').and_then(|x| x.strip_suffix(')'))
            && inner.len() == 1
            && let Some(c) = inner.chars().next().filter(char::is_ascii_lowercase)
        {
            match letter {
                Some((p, _)) if c as u32 == p as u32 + 1 || c == 'a' => {}
                Some((p, _)) if c == p => {
                    find("numbering", u, format!("clause ({c}) is numbered twice"))
                }
                Some((p, _)) if c as u32 > p as u32 + 1 && (c as u32 - p as u32) < 4 => find(
                    "numbering",
                    u,
                    format!(
                        "clause ({c}) follows ({p}): ({}) is missing",
                        char::from_u32(p as u32 + 1).unwrap_or('?')
                    ),
                ),
                _ => {}
            }
            letter = Some((c, u));
            continue;
        }
        letter = None;
        let parts: Vec<&str> = l.split('.').collect();
        if parts.len() < 2
            || !parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        let prefix = parts[..parts.len() - 1].join(".");
        let Ok(n) = parts[parts.len() - 1].parse::<u64>() else {
            continue;
        };
        if let Some(&(p, _)) = last.get(&prefix) {
            if n == p {
                find("numbering", u, format!("{l} is numbered twice"));
            } else if n > p + 1 && n - p < 4 {
                find(
                    "numbering",
                    u,
                    format!("{l} follows {prefix}.{p}: {prefix}.{} is missing", p + 1),
                );
            }
        }
        last.insert(prefix, (n, u));
    }

    // Amounts in words and figures.
    for (u, unit) in units.iter().enumerate() {
        let t = &unit.text;
        let mut at = 0;
        while let Some(open) = t[at..].find('(').map(|i| at + i) {
            at = open + 1;
            let Some(close) = t[open..].find(')').map(|i| open + i) else {
                break;
            };
            let inside = t[open + 1..close].trim().trim_start_matches('$');
            let digits: String = inside.chars().filter(|c| *c != ',').collect();
            let Ok(figure) = digits.split('.').next().unwrap_or("").parse::<u64>() else {
                continue;
            };
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
                continue;
            }
            let before: Vec<&str> = t[..open].split_whitespace().collect();
            let mut k = before.len();
            while k > 0
                && matches!(
                    before[k - 1].to_lowercase().trim_end_matches(','),
                    "dollars" | "dollar" | "shares"
                )
            {
                k -= 1;
            }
            let mut j = k;
            while j > 0 && number_word(before[j - 1]).is_some() {
                j -= 1;
            }
            if j == k {
                continue;
            }
            if let Some(value) = words_value(&before[j..k])
                && value != figure
            {
                find(
                    "amount",
                    u,
                    format!(
                        "\"{} ({})\": the words say {value}, the figures {figure}",
                        before[j..k].join(" "),
                        &t[open + 1..close]
                    ),
                );
            }
        }
    }

    // The document's own name.
    let title = units
        .iter()
        .find(|u| !u.text.trim().is_empty())
        .map(|u| u.text.to_uppercase())
        .unwrap_or_default();
    let names = ["OPTION", "WARRANT", "NOTE"];
    if let Some(own) = names.iter().find(|n| title.contains(*n)) {
        for (u, ws) in raw.iter().enumerate() {
            let times = ws
                .windows(2)
                .filter(|w| {
                    w[0].eq_ignore_ascii_case("this")
                        && names
                            .iter()
                            .any(|n| w[1].eq_ignore_ascii_case(n) && n != own)
                })
                .count();
            if let Some(w) = ws.windows(2).find(|w| {
                w[0].eq_ignore_ascii_case("this")
                    && names
                        .iter()
                        .any(|n| w[1].eq_ignore_ascii_case(n) && n != own)
            }) {
                find(
                    "self-name",
                    u,
                    format!(
                        "\"this {}\" ({times}\u{d7}) in a document titled as {}",
                        w[1],
                        own.to_lowercase()
                    ),
                );
            }
        }
    }
    out
}

fn number_word(w: &str) -> Option<u64> {
    let w = w
        .trim_matches(|c: char| !c.is_alphabetic() && c != '-')
        .to_lowercase();
    if w.contains('-') {
        let parts: Vec<Option<u64>> = w.split('-').map(number_word).collect();
        return parts.iter().copied().sum::<Option<u64>>();
    }
    if let Some(n) = crate::words::word_value(&w) {
        return Some(n);
    }
    match w.as_str() {
        "hundred" => Some(100),
        "thousand" => Some(1_000),
        "million" => Some(1_000_000),
        "billion" => Some(1_000_000_000),
        "and" => Some(0),
        _ => None,
    }
}

/// "One Hundred Twenty-Five Thousand" → 125,000.
fn words_value(ws: &[&str]) -> Option<u64> {
    let (mut total, mut current) = (0u64, 0u64);
    let mut any = false;
    for w in ws {
        let v = number_word(w)?;
        let l = w.to_lowercase();
        if l.trim_matches(|c: char| !c.is_alphabetic()) == "and" {
            continue;
        }
        any = true;
        match v {
            100 => current = current.max(1).checked_mul(100)?,
            1_000 | 1_000_000 | 1_000_000_000 => {
                total = total.checked_add(current.max(1).checked_mul(v)?)?;
                current = 0;
            }
            v => current = current.checked_add(v)?,
        }
    }
    any.then(|| total.checked_add(current)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        crate::document::plain::parse(text)
    }

    #[test]
    fn words_and_figures() {
        assert_eq!(
            words_value(&["One", "Hundred", "Twenty-Five", "Thousand"]),
            Some(125_000)
        );
        assert_eq!(words_value(&["Ten", "Thousand"]), Some(10_000));
        let f = proof(&doc(
            "The price is Ten Thousand Dollars ($100,000) in cash.\n",
        ));
        assert!(f.iter().any(|f| f.check == "amount"), "{f:?}");
        let f = proof(&doc(
            "The price is Ten Thousand Dollars ($10,000) in cash.\n",
        ));
        assert!(!f.iter().any(|f| f.check == "amount"), "{f:?}");
    }

    #[test]
    fn terms_names_references_numbering() {
        let text = "AGREEMENT\n\nThe reports (the \"34 Act Filings\") and the Buyer (\"Whitco Poles\").\n\n\
            The Buyer, Whitco Poles, shall file the 34 Act Reports, and Whitco Poles and Whitco Poles sign.\n\n\
            Then Whico Poles pays, as Section 9.9 says, and the \"Unused Term\" means nothing.\n\n\
            1.1 First.\n\n1.2 Second.\n\n1.4 Fourth.\n";
        let f = proof(&doc(text));
        let has = |check: &str, part: &str| {
            f.iter()
                .any(|x| x.check == check && x.message.contains(part))
        };
        assert!(has("term-near-miss", "34 Act Reports"), "{f:#?}");
        assert!(has("name", "whico"), "{f:#?}");
        assert!(has("reference", "Section 9.9"), "{f:#?}");
        assert!(has("term-unused", "Unused Term"), "{f:#?}");
        assert!(has("numbering", "1.3 is missing"), "{f:#?}");
        assert!(!has("term-unused", "Whitco Poles"), "{f:#?}");
    }
}
