//! Comparison of two Documents: the words of each paragraph-like unit (paragraph, heading,
//! table cell, signature line) in reading order, diffed with `similar` under a deadline.
//!
//! Paragraph boundaries are not tokens, so re-wrapping, re-indenting, page breaks and splitting
//! or merging paragraphs are never changes; only the words that changed are. Words compare after
//! typographic punctuation is folded to ASCII (curly and straight quotes are one), optionally
//! ignoring case and punctuation. A *change* is one maximal run of changed words inside one
//! paragraph (a replacement is one change), or one moved passage: a deleted run and an inserted
//! run of the same words (at least [`MIN_MOVE_WORDS`], 80% alike) become one move.
//!
//! [`redline`] turns a comparison back into a Document (the new one, with deleted words put
//! back, struck, and inserted and moved words marked) that every renderer can draw.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, DiffOp};

use crate::document::{Block, Document, Mark, Paragraph, Run, Style};
use crate::render::text::{ascii, runs_text};

/// The shortest run of words that counts as a move.
pub const MIN_MOVE_WORDS: usize = 4;

/// How to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Treat upper and lower case as the same.
    pub ignore_case: bool,
    /// Ignore punctuation (a word that is only punctuation disappears).
    pub ignore_punctuation: bool,
    /// Stop refining the diff after this long (the result is then coarser, never wrong).
    pub deadline: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ignore_case: false,
            ignore_punctuation: false,
            deadline: Duration::from_millis(500),
        }
    }
}

/// Which part of a paragraph a word is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Label,
    Body,
}

/// One word (or blank) of a document, with what is needed to put it back.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    /// The comparison key (interned normalised text).
    key: u32,
    /// The run it stands for: a word in its style, a field or a signature line.
    run: Run,
    /// A space came before it in the source.
    space_before: bool,
    /// A hard line break came before it.
    break_before: bool,
    /// Which unit (paragraph) it belongs to.
    unit: usize,
    segment: Segment,
}

/// A paragraph-like unit, described for change locations.
#[derive(Debug, Clone, PartialEq)]
struct Unit {
    label: String,
    start: String,
}

/// A tokenised document.
#[derive(Debug, Clone)]
struct Words {
    tokens: Vec<Token>,
    units: Vec<Unit>,
}

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Words only in the new document.
    Insert,
    /// Words only in the old document.
    Delete,
    /// Words of the old document replaced by others.
    Replace,
    /// A passage moved elsewhere.
    Move,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Its kind.
    pub kind: Kind,
    /// The old words (empty for an insertion).
    pub old: String,
    /// The new words (empty for a deletion).
    pub new: String,
    /// Where, in the new document (for a deletion: where the words were).
    pub location: String,
    /// For a move: where the passage was in the old document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The 1-based number of the new document's paragraph it is in (0: none).
    #[serde(skip)]
    pub paragraph: usize,
    #[serde(skip)]
    old_range: Range<usize>,
    #[serde(skip)]
    new_range: Range<usize>,
}

/// Counts of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    /// All changes.
    pub changes: usize,
    /// Insertions.
    pub insertions: usize,
    /// Deletions.
    pub deletions: usize,
    /// Replacements.
    pub replacements: usize,
    /// Moves.
    pub moves: usize,
    /// Words inserted (in insertions and replacements).
    pub inserted_words: usize,
    /// Words deleted (in deletions and replacements).
    pub deleted_words: usize,
}

impl std::fmt::Display for Summary {
    /// "3 changes: 1 insertions, 0 deletions, 1 replacements, 1 moves; 7 words inserted, 1 deleted"
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} changes: {} insertions, {} deletions, {} replacements, {} moves; {} words inserted, {} deleted",
            self.changes,
            self.insertions,
            self.deletions,
            self.replacements,
            self.moves,
            self.inserted_words,
            self.deleted_words
        )
    }
}

/// The comparison of two documents.
#[derive(Debug, Clone)]
pub struct Comparison {
    old: Words,
    new: Words,
    /// The mark of each new word (inserted or moved here), by index.
    new_marks: Vec<Option<Mark>>,
    /// Old words to put back, struck: (old index, the new index they go before, mark).
    placed: Vec<(usize, usize, Mark)>,
    /// The changes in the order of the new document.
    pub changes: Vec<Change>,
    /// Whether the deadline cut the diff short.
    pub timed_out: bool,
}

impl Comparison {
    /// Counts by kind.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            changes: self.changes.len(),
            ..Summary::default()
        };
        for c in &self.changes {
            match c.kind {
                Kind::Insert => s.insertions += 1,
                Kind::Delete => s.deletions += 1,
                Kind::Replace => s.replacements += 1,
                Kind::Move => s.moves += 1,
            }
            if c.kind != Kind::Move {
                s.inserted_words += c.new_range.len();
                s.deleted_words += c.old_range.len();
            }
        }
        s
    }

    /// Whether the documents have the same words.
    pub fn is_identical(&self) -> bool {
        self.changes.is_empty()
    }

    /// Words in the old and the new document.
    pub fn word_counts(&self) -> (usize, usize) {
        (self.old.tokens.len(), self.new.tokens.len())
    }
}

struct Interner<'a> {
    ids: HashMap<String, u32>,
    options: &'a Options,
}

impl Interner<'_> {
    fn key(&mut self, word: &str) -> Option<u32> {
        let mut w = ascii(word);
        if self.options.ignore_case {
            w = w.to_lowercase();
        }
        if self.options.ignore_punctuation {
            w.retain(|c| !c.is_ascii_punctuation());
            if w.is_empty() {
                return None;
            }
        }
        let n = self.ids.len() as u32;
        Some(*self.ids.entry(w).or_insert(n))
    }
}

fn tokenize(doc: &Document, interner: &mut Interner<'_>) -> Words {
    let mut words = Words {
        tokens: Vec::new(),
        units: Vec::new(),
    };
    visit_units(&doc.blocks, &mut |label, runs| {
        let unit = words.units.len();
        let mut start = Vec::new();
        for (segment, runs) in [(Segment::Label, label), (Segment::Body, runs)] {
            // The body's first word follows the label after a space.
            let mut space = segment == Segment::Body && !label.is_empty();
            let mut brk = false;
            let mut emit = |run: Run, key: Option<u32>, space: bool, brk: &mut bool| {
                if let Some(key) = key {
                    words.tokens.push(Token {
                        key,
                        run,
                        space_before: space,
                        break_before: *brk,
                        unit,
                        segment,
                    });
                    *brk = false;
                }
            };
            for run in runs {
                match run {
                    Run::Text { text, style } => {
                        let mut word = String::new();
                        let mut word_space = space;
                        let mut finish = |word: &mut String, word_space: bool, brk: &mut bool| {
                            if start.len() < 6 {
                                start.push(ascii(word));
                            }
                            let key = interner.key(word);
                            let run = Run::Text {
                                text: std::mem::take(word),
                                style: *style,
                            };
                            emit(run, key, word_space, brk);
                        };
                        for c in text.chars() {
                            if c.is_whitespace() && c != '\u{a0}' {
                                if !word.is_empty() {
                                    finish(&mut word, word_space, &mut brk);
                                }
                                space = true;
                            } else {
                                if word.is_empty() {
                                    word_space = space;
                                }
                                word.push(c);
                            }
                        }
                        if !word.is_empty() {
                            // The word may go on in the next run (another style): glue it.
                            finish(&mut word, word_space, &mut brk);
                            space = false;
                        }
                    }
                    Run::Field { .. } | Run::Signature { .. } => {
                        let blank = if matches!(run, Run::Field { .. }) {
                            "___"
                        } else {
                            "---"
                        };
                        let key = interner.key(blank).or(Some(u32::MAX));
                        emit(run.clone(), key, space, &mut brk);
                        space = false;
                    }
                    Run::Break => {
                        brk = true;
                        space = false;
                    }
                }
            }
        }
        words.units.push(Unit {
            label: runs_text(label),
            start: start.join(" "),
        });
    });
    words
}

/// Call `f(label, runs)` for every paragraph-like unit in reading order.
fn visit_units<'a>(blocks: &'a [Block], f: &mut impl FnMut(&'a [Run], &'a [Run])) {
    for b in blocks {
        match b {
            Block::Heading { runs, .. } => f(&[], runs),
            Block::Paragraph(p) => f(&p.label, &p.runs),
            Block::Quote(inner) | Block::Group { blocks: inner, .. } => visit_units(inner, f),
            Block::Table(rows) => {
                for row in rows {
                    for cell in &row.cells {
                        f(&[], cell);
                    }
                }
            }
            Block::Signatures(cols) => cols.iter().for_each(|c| visit_units(c, f)),
            Block::PageBreak | Block::Rule => {}
        }
    }
}

/// The same walk with mutable access, for the redline. Headings and cells have no label; the
/// callback gets an empty one.
fn visit_units_mut(blocks: &mut [Block], f: &mut impl FnMut(&mut Vec<Run>, &mut Vec<Run>)) {
    for b in blocks {
        match b {
            Block::Heading { runs, .. } => f(&mut Vec::new(), runs),
            Block::Paragraph(p) => {
                let Paragraph { label, runs, .. } = p;
                f(label, runs)
            }
            Block::Quote(inner) | Block::Group { blocks: inner, .. } => visit_units_mut(inner, f),
            Block::Table(rows) => {
                for row in rows {
                    for cell in &mut row.cells {
                        f(&mut Vec::new(), cell);
                    }
                }
            }
            Block::Signatures(cols) => cols.iter_mut().for_each(|c| visit_units_mut(c, f)),
            Block::PageBreak | Block::Rule => {}
        }
    }
}

impl Words {
    fn text(&self, range: Range<usize>) -> String {
        let mut s = String::new();
        for (i, t) in self.tokens[range].iter().enumerate() {
            if i > 0 && (t.space_before || t.break_before) {
                s.push(' ');
            }
            s.push_str(&runs_text(std::slice::from_ref(&t.run)));
        }
        s
    }

    fn unit_of(&self, token: usize) -> Option<usize> {
        self.tokens
            .get(token)
            .or_else(|| token.checked_sub(1).and_then(|t| self.tokens.get(t)))
            .map(|t| t.unit)
    }

    fn location(&self, token: usize) -> String {
        let Some(u) = self.unit_of(token) else {
            return "start".into();
        };
        let unit = &self.units[u];
        if unit.label.is_empty() {
            format!("paragraph {} (\"{}\")", u + 1, unit.start)
        } else {
            format!("paragraph {} ({})", u + 1, unit.label)
        }
    }

    /// Whether a token range is a whole unit (paragraph).
    fn is_whole_unit(&self, r: &Range<usize>) -> bool {
        if r.is_empty() {
            return false;
        }
        let unit = self.tokens[r.start].unit;
        (r.start == 0 || self.tokens[r.start - 1].unit != unit)
            && self.tokens.get(r.end).is_none_or(|t| t.unit != unit)
    }
}

fn op_ranges(op: &DiffOp) -> Option<(Range<usize>, Range<usize>)> {
    match *op {
        DiffOp::Equal { .. } => None,
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => Some((old_index..old_index + old_len, new_index..new_index)),
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => Some((old_index..old_index, new_index..new_index + new_len)),
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => Some((
            old_index..old_index + old_len,
            new_index..new_index + new_len,
        )),
    }
}

/// The key sequence of every unit.
fn unit_keys(words: &Words) -> Vec<Vec<u32>> {
    let mut units = vec![Vec::new(); words.units.len()];
    for t in &words.tokens {
        units[t.unit].push(t.key);
    }
    units
}

/// The token range of every unit (empty units: an empty range where they would be).
fn unit_ranges(words: &Words) -> Vec<Range<usize>> {
    let mut ranges = vec![0..0; words.units.len()];
    let mut start = 0;
    for (i, t) in words.tokens.iter().enumerate() {
        if i == 0 || words.tokens[i - 1].unit != t.unit {
            start = i;
        }
        ranges[t.unit] = start..i + 1;
    }
    ranges
}

/// Whole paragraphs that moved: the same words, unmatched by a paragraph-level diff on both
/// sides. Detecting them before the word diff keeps the word diff from gluing a moved
/// paragraph's first words to a neighbour that starts the same way.
fn moved_units(old: &Words, new: &Words, deadline: Instant) -> Vec<(usize, usize)> {
    let old_units = unit_keys(old);
    let new_units = unit_keys(new);
    fn intern<'a>(units: &'a [Vec<u32>], ids: &mut HashMap<&'a [u32], u32>) -> Vec<u32> {
        units
            .iter()
            .map(|k| {
                let n = ids.len() as u32;
                *ids.entry(k.as_slice()).or_insert(n)
            })
            .collect()
    }
    let mut ids: HashMap<&[u32], u32> = HashMap::new();
    let a = intern(&old_units, &mut ids);
    let b = intern(&new_units, &mut ids);
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(deadline));
    let mut unmatched_old = Vec::new();
    let mut unmatched_new = Vec::new();
    for op in &ops {
        if let Some((o, n)) = op_ranges(op) {
            unmatched_old.extend(o);
            unmatched_new.extend(n);
        }
    }
    let mut by_key: HashMap<u32, Vec<usize>> = HashMap::new();
    for &v in &unmatched_new {
        if new_units[v].len() >= MIN_MOVE_WORDS {
            by_key.entry(b[v]).or_default().push(v);
        }
    }
    let mut pairs = Vec::new();
    for u in unmatched_old {
        if old_units[u].len() < MIN_MOVE_WORDS {
            continue;
        }
        if let Some(vs) = by_key.get_mut(&a[u])
            && !vs.is_empty()
        {
            pairs.push((u, vs.remove(0)));
        }
    }
    pairs
}

/// The original indices of a filtered range, cut into pieces that are contiguous and inside
/// one unit.
fn pieces(map: &[usize], range: Range<usize>, words: &Words) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for f in range {
        let i = map[f];
        match out.last_mut() {
            Some(r) if r.end == i && words.tokens[i].unit == words.tokens[r.start].unit => {
                r.end = i + 1
            }
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// Compare two documents.
pub fn compare(old: &Document, new: &Document, options: &Options) -> Comparison {
    let mut interner = Interner {
        ids: HashMap::new(),
        options,
    };
    let old_words = tokenize(old, &mut interner);
    let new_words = tokenize(new, &mut interner);
    let deadline = Instant::now() + options.deadline;
    let old_ranges = unit_ranges(&old_words);
    let new_ranges = unit_ranges(&new_words);

    // Whole moved paragraphs first; the word diff runs on everything else.
    let moves = moved_units(&old_words, &new_words, deadline);
    let moved_old: HashSet<usize> = moves.iter().map(|m| m.0).collect();
    let moved_new: HashSet<usize> = moves.iter().map(|m| m.1).collect();
    let old_map: Vec<usize> = (0..old_words.tokens.len())
        .filter(|&i| !moved_old.contains(&old_words.tokens[i].unit))
        .collect();
    let new_map: Vec<usize> = (0..new_words.tokens.len())
        .filter(|&i| !moved_new.contains(&new_words.tokens[i].unit))
        .collect();
    let old_keys: Vec<u32> = old_map.iter().map(|&i| old_words.tokens[i].key).collect();
    let new_keys: Vec<u32> = new_map.iter().map(|&i| new_words.tokens[i].key).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_keys,
        &new_keys,
        Some(deadline),
    );
    let timed_out = Instant::now() >= deadline;
    let n_new = new_words.tokens.len();
    // Where a filtered new position is in the new document.
    let new_at = |f: usize| new_map.get(f).copied().unwrap_or(n_new);

    let mut new_marks: Vec<Option<Mark>> = vec![None; n_new];
    let mut placed: Vec<(usize, usize, Mark)> = Vec::new();
    let mut aligned: HashMap<usize, usize> = HashMap::new(); // old original -> new original
    let mut changes = Vec::new();
    let mut push = |kind, o: Range<usize>, n: Range<usize>| {
        changes.push(Change {
            kind,
            old: old_words.text(o.clone()),
            new: new_words.text(n.clone()),
            location: new_words.location(n.start),
            paragraph: new_words.unit_of(n.start).map_or(0, |u| u + 1),
            from: None,
            old_range: o,
            new_range: n,
        })
    };
    for op in &ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                aligned.insert(old_map[old_index + k], new_map[new_index + k]);
            }
            continue;
        }
        let Some((o, n)) = op_ranges(op) else {
            continue;
        };
        let at = new_at(n.start);
        for f in n.clone() {
            new_marks[new_map[f]] = Some(Mark::Insert);
        }
        for f in o.clone() {
            placed.push((old_map[f], at, Mark::Delete));
        }
        // A change never spans paragraphs: cut each side at paragraph boundaries. A piece that
        // is a whole paragraph stands alone (an inserted or deleted paragraph); the partial
        // pieces on each side are paired in order as replacements.
        let olds = pieces(&old_map, o, &old_words);
        let news = pieces(&new_map, n.clone(), &new_words);
        let partial_old: Vec<&Range<usize>> = olds
            .iter()
            .filter(|r| !old_words.is_whole_unit(r))
            .collect();
        let partial_new: Vec<&Range<usize>> = news
            .iter()
            .filter(|r| !new_words.is_whole_unit(r))
            .collect();
        let pairs = partial_old.len().min(partial_new.len());
        let paired_old = &partial_old[..pairs];
        let paired_new = &partial_new[..pairs];
        let mut pending: Vec<(Kind, Range<usize>, Range<usize>)> = Vec::new();
        for (a, b) in paired_old.iter().zip(paired_new) {
            pending.push((Kind::Replace, (*a).clone(), (*b).clone()));
        }
        for a in olds.iter().filter(|r| !paired_old.contains(r)) {
            pending.push((Kind::Delete, a.clone(), at..at));
        }
        for b in news.iter().filter(|r| !paired_new.contains(r)) {
            pending.push((Kind::Insert, at..at, b.clone()));
        }
        pending.sort_by_key(|(_, a, b)| (b.start, a.start));
        for (kind, a, b) in pending {
            push(kind, a, b);
        }
    }
    // The moved paragraphs: marked at their new place, put back struck at the old one (before
    // the first following old word that kept its place).
    for &(u, v) in &moves {
        let o = old_ranges[u].clone();
        let nr = new_ranges[v].clone();
        for i in nr.clone() {
            new_marks[i] = Some(Mark::Move);
        }
        let at = (o.end..old_words.tokens.len())
            .find_map(|i| aligned.get(&i).copied())
            .unwrap_or(n_new);
        for i in o.clone() {
            placed.push((i, at, Mark::MovedFrom));
        }
        changes.push(Change {
            kind: Kind::Move,
            old: old_words.text(o.clone()),
            new: new_words.text(nr.clone()),
            location: new_words.location(nr.start),
            paragraph: v + 1,
            from: Some(format!("old {}", old_words.location(o.start))),
            old_range: o,
            new_range: nr,
        });
    }
    let changes = find_moves(changes, &old_words, &new_words, deadline);
    // Passages found to have moved (with small edits) are marked as moves too.
    for c in changes.iter().filter(|c| c.kind == Kind::Move) {
        for i in c.new_range.clone() {
            new_marks[i] = Some(Mark::Move);
        }
        for p in placed.iter_mut() {
            if c.old_range.contains(&p.0) {
                p.2 = Mark::MovedFrom;
            }
        }
    }
    let mut changes = changes;
    changes.sort_by_key(|c| (c.new_range.start, c.old_range.start));
    placed.sort_by_key(|p| (p.1, p.0));
    Comparison {
        old: old_words,
        new: new_words,
        new_marks,
        placed,
        changes,
        timed_out,
    }
}

/// Pair deleted and inserted runs of (nearly) the same words into moves.
fn find_moves(changes: Vec<Change>, old: &Words, new: &Words, deadline: Instant) -> Vec<Change> {
    let keys = |w: &Words, r: &Range<usize>| -> Vec<u32> {
        w.tokens[r.clone()].iter().map(|t| t.key).collect()
    };
    let inserts: Vec<usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == Kind::Insert && c.new_range.len() >= MIN_MOVE_WORDS)
        .map(|(i, _)| i)
        .collect();
    let mut exact: HashMap<Vec<u32>, Vec<usize>> = HashMap::new();
    for &i in &inserts {
        exact
            .entry(keys(new, &changes[i].new_range))
            .or_default()
            .push(i);
    }
    let mut taken = HashSet::new();
    let mut moved_into: HashMap<usize, usize> = HashMap::new(); // insertion -> deletion
    for (d, c) in changes.iter().enumerate() {
        if c.kind != Kind::Delete || c.old_range.len() < MIN_MOVE_WORDS {
            continue;
        }
        let k = keys(old, &c.old_range);
        let found = exact
            .get(&k)
            .and_then(|v| v.iter().copied().find(|i| !taken.contains(i)))
            .or_else(|| {
                // A moved clause with small edits: compare with a bounded number of candidates,
                // and only while the deadline allows.
                if Instant::now() >= deadline {
                    return None;
                }
                inserts
                    .iter()
                    .copied()
                    .filter(|i| !taken.contains(i))
                    .take(64)
                    .find(|&i| {
                        let other = keys(new, &changes[i].new_range);
                        let (a, b) = (k.len(), other.len());
                        a.max(b) <= 2 * a.min(b) && {
                            let ops = similar::capture_diff_slices(Algorithm::Myers, &k, &other);
                            similar::diff_ratio(&ops, a, b) >= 0.8
                        }
                    })
            });
        if let Some(i) = found {
            taken.insert(i);
            moved_into.insert(i, d);
        }
    }
    let moved_from: HashSet<usize> = moved_into.values().copied().collect();
    let mut out = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if moved_from.contains(&i) {
            continue;
        }
        match moved_into.get(&i) {
            Some(&d) => {
                let del = &changes[d];
                out.push(Change {
                    kind: Kind::Move,
                    old: del.old.clone(),
                    new: c.new.clone(),
                    location: c.location.clone(),
                    paragraph: c.paragraph,
                    from: Some(format!("old {}", old.location(del.old_range.start))),
                    old_range: del.old_range.clone(),
                    new_range: c.new_range.clone(),
                });
            }
            None => out.push(c.clone()),
        }
    }
    out
}

/// The new document with the changes marked: deleted words put back where they were, struck;
/// inserted words marked; moved words marked as moves at their new place, and struck in the
/// move colour at the old one.
pub fn redline(new: &Document, cmp: &Comparison) -> Document {
    let n = cmp.new.tokens.len();
    let mut before: Vec<Vec<(usize, Mark)>> = vec![Vec::new(); n + 1];
    for &(old, at, mark) in &cmp.placed {
        before[at.min(n)].push((old, mark));
    }
    let mut doc = new.clone();
    let mut index = 0usize;
    let mut unit = 0usize;
    let units = cmp.new.units.len();
    visit_units_mut(&mut doc.blocks, &mut |label, runs| {
        let mut new_label = Vec::new();
        let mut new_runs = Vec::new();
        let mut first = true;
        while index < n && cmp.new.tokens[index].unit == unit {
            let t = &cmp.new.tokens[index];
            let target = if t.segment == Segment::Label {
                &mut new_label
            } else {
                &mut new_runs
            };
            // Deleted words take the place (and the line break or space) of the word they
            // stand before; that word then follows them after a space.
            let dels = &before[index];
            for (k, &(old, mark)) in dels.iter().enumerate() {
                let o = &cmp.old.tokens[old];
                let sep = if k == 0 {
                    (t.break_before, t.space_before)
                } else {
                    (o.break_before, o.space_before)
                };
                push_token(target, o, Some(mark), sep, &mut first);
            }
            let sep = if dels.is_empty() {
                (t.break_before, t.space_before)
            } else {
                (false, true)
            };
            push_token(target, t, cmp.new_marks[index], sep, &mut first);
            index += 1;
        }
        // Deletions after the last word of the document.
        if unit + 1 == units {
            for &(old, mark) in &before[n] {
                let o = &cmp.old.tokens[old];
                let sep = (o.break_before, o.space_before);
                push_token(&mut new_runs, o, Some(mark), sep, &mut first);
            }
        }
        if !first {
            *label = tidy_spaces(new_label);
            *runs = tidy_spaces(new_runs);
        }
        unit += 1;
    });
    doc
}

/// A space between a marked run and a differently marked one belongs to neither: move it out,
/// so that `Barry Dana` reads `<del>Barry</del> <ins>Dana</ins>`.
fn tidy_spaces(runs: Vec<Run>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::with_capacity(runs.len());
    let n = runs.len();
    let mut iter = runs.into_iter().peekable();
    let mut i = 0;
    while let Some(run) = iter.next() {
        i += 1;
        let next_style = match iter.peek() {
            Some(Run::Text { style, .. }) => Some(*style),
            _ => None,
        };
        match run {
            Run::Text { mut text, style }
                if style.mark.is_some()
                    && text.ends_with(' ')
                    && (i == n || next_style != Some(style)) =>
            {
                text.pop();
                if !text.is_empty() {
                    out.push(Run::Text { text, style });
                }
                out.push(Run::text(" "));
            }
            other => match other {
                Run::Text { text, style } => {
                    // Merge a plain space into a following plain run.
                    if let Some(Run::Text {
                        text: prev,
                        style: ps,
                    }) = out.last_mut()
                        && *ps == style
                    {
                        prev.push_str(&text);
                    } else {
                        out.push(Run::Text { text, style });
                    }
                }
                other => out.push(other),
            },
        }
    }
    out
}

/// Append a word with the separator given as (line break before, space before).
fn push_token(
    runs: &mut Vec<Run>,
    t: &Token,
    mark: Option<Mark>,
    (break_before, space_before): (bool, bool),
    first: &mut bool,
) {
    if !*first {
        if break_before {
            runs.push(Run::Break);
        } else if space_before {
            push_text(runs, " ", Style::default());
        }
    }
    *first = false;
    match &t.run {
        Run::Text { text, style } => push_text(runs, text, Style { mark, ..*style }),
        other => runs.push(other.clone()),
    }
}

fn push_text(runs: &mut Vec<Run>, text: &str, style: Style) {
    if let Some(Run::Text {
        text: prev,
        style: ps,
    }) = runs.last_mut()
        && (*ps == style || text == " ")
    {
        prev.push_str(text);
        return;
    }
    runs.push(Run::Text {
        text: text.to_string(),
        style,
    });
}

/// Plain-text markup of the changed paragraphs, whole for context: `[-deleted-]`,
/// `{+inserted+}`, moves as `[>moved from<]` at the old place and `{>moved to<}` at the new.
pub fn markup(cmp: &Comparison) -> String {
    // One paragraph per unit of the new document, rebuilt from its words, then marked.
    let mut blocks = Vec::new();
    for u in 0..cmp.new.units.len() {
        let runs = cmp
            .new
            .tokens
            .iter()
            .filter(|t| t.unit == u)
            .map(|t| t.run.clone())
            .collect();
        blocks.push(Block::Paragraph(Paragraph {
            runs,
            ..Paragraph::default()
        }));
    }
    if blocks.is_empty() {
        blocks.push(Block::Paragraph(Paragraph::default()));
    }
    let marked = redline(&Document { blocks }, cmp);
    let mut changed: Vec<usize> = cmp
        .changes
        .iter()
        .flat_map(|c| {
            [c.new_range.start]
                .into_iter()
                .filter_map(|t| cmp.new.unit_of(t))
        })
        .collect();
    // A moved passage's old place is marked too.
    changed.extend(
        cmp.changes
            .iter()
            .filter(|c| c.kind == Kind::Move)
            .filter_map(|c| cmp.new.unit_of(c.old_range.start.min(cmp.new.tokens.len()))),
    );
    changed.sort_unstable();
    changed.dedup();
    let mut texts = Vec::new();
    visit_units(&marked.blocks, &mut |label, runs| {
        let text = mark_up(runs);
        texts.push(if label.is_empty() {
            text
        } else {
            format!("{} {text}", mark_up(label))
        })
    });
    let mut out = String::new();
    for u in changed {
        if let Some(t) = texts.get(u)
            && (t.contains("[-") || t.contains("{+") || t.contains("{>") || t.contains("[>"))
        {
            out.push_str(t);
            out.push_str("\n\n");
        }
    }
    // Marks that ended up in paragraphs we did not list (e.g. deletions carried to the end).
    for t in &texts {
        if (t.contains("[-") || t.contains("{+") || t.contains("{>") || t.contains("[>"))
            && !out.contains(t.as_str())
        {
            out.push_str(t);
            out.push_str("\n\n");
        }
    }
    out
}

fn mark_up(runs: &[Run]) -> String {
    let mut s = String::new();
    let mut open: Option<(Mark, bool)> = None;
    for r in runs {
        let (text, mark) = match r {
            Run::Text { text, style } => (ascii(text), style.mark),
            Run::Break => (" ".to_string(), open.map(|o| o.0)),
            other => (runs_text(std::slice::from_ref(other)), open.map(|o| o.0)),
        };
        // A space between two marked words of the same kind stays inside the mark.
        if text == " " {
            s.push(' ');
            continue;
        }
        let want = mark.map(|m| (m, m == Mark::MovedFrom));
        if want != open {
            close(&mut s, open);
            s.push_str(match want {
                Some((Mark::Delete, _)) => "[-",
                Some((Mark::Insert, _)) => "{+",
                Some((Mark::MovedFrom, _)) => "[>",
                Some((Mark::Move, _)) => "{>",
                None => "",
            });
            open = want;
        }
        s.push_str(&text);
    }
    close(&mut s, open);
    s.trim().to_string()
}

fn close(s: &mut String, open: Option<(Mark, bool)>) {
    let Some((mark, struck)) = open else {
        return;
    };
    let trailing = s.ends_with(' ');
    if trailing {
        s.pop();
    }
    s.push_str(match (mark, struck) {
        (Mark::Delete, _) => "-]",
        (Mark::Insert, _) => "+}",
        (Mark::MovedFrom, _) => "<]",
        (Mark::Move, _) => "<}",
    });
    if trailing {
        s.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::djot;

    fn cmp(a: &str, b: &str) -> Comparison {
        compare(&djot::parse(a), &djot::parse(b), &Options::default())
    }

    #[test]
    fn rewrapping_splitting_and_quotes_are_not_changes() {
        let c = cmp(
            "The \"Company\" shall\npay.\n\nNext one.\n",
            "The “Company” shall pay.\nNext\n\none.\n",
        );
        assert!(c.is_identical(), "{:?}", c.changes);
    }

    #[test]
    fn one_replacement_is_one_change() {
        let c = cmp(
            "The Company shall pay ten dollars.\n",
            "The Company shall pay twenty dollars.\n",
        );
        let s = c.summary();
        assert_eq!(
            (s.changes, s.replacements, s.inserted_words, s.deleted_words),
            (1, 1, 1, 1)
        );
        assert_eq!(c.changes[0].old, "ten");
        assert_eq!(c.changes[0].new, "twenty");
    }

    #[test]
    fn a_moved_paragraph_is_one_move() {
        let a = "Alpha one two three four five.\n\nBeta six seven eight nine.\n\nGamma ten eleven twelve.\n";
        let b = "Beta six seven eight nine.\n\nGamma ten eleven twelve.\n\nAlpha one two three four five.\n";
        let c = cmp(a, b);
        assert_eq!(c.summary().moves, 1, "{:?}", c.changes);
        assert_eq!(c.summary().changes, 1);
    }

    #[test]
    fn markup_marks_words() {
        let c = cmp(
            "The Company shall pay ten dollars.\n\nUnchanged.\n",
            "The Company shall pay twenty dollars.\n\nUnchanged.\n",
        );
        assert_eq!(
            markup(&c),
            "The Company shall pay [-ten-] {+twenty+} dollars.\n\n"
        );
    }

    #[test]
    fn options_ignore_case_and_punctuation() {
        let a = djot::parse("The Company, shall pay.\n");
        let b = djot::parse("the company shall pay\n");
        let o = Options {
            ignore_case: true,
            ignore_punctuation: true,
            ..Options::default()
        };
        assert!(compare(&a, &b, &o).is_identical());
        assert!(!compare(&a, &b, &Options::default()).is_identical());
    }
}
