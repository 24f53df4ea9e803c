//! Comparison of two Documents, as a reviewer needs it: every changed word found, nothing
//! reported that did not change, moves shown with the edits made on the way, renumbering told
//! apart from substance.
//!
//! The steps, each linear or bounded by the deadline:
//! 1. **Words.** Each document becomes the words of its paragraph-like units (paragraph,
//!    heading, table cell, signature line) in reading order. A unit's clause label (`5.2`,
//!    `(a)`, `Section 3.`) is kept apart from its body; a text input's leading label-like word is
//!    taken as its label too. Words compare after typographic punctuation is folded to ASCII.
//! 2. **Paragraphs.** A paragraph-level diff of the units' bodies finds paragraphs that moved:
//!    the same words, or 80% alike, in another place (a paragraph edited in place is not a move).
//! 3. **Words again.** A Myers word diff (`similar`, under the deadline) over the bodies of
//!    everything else. Paragraph boundaries are not tokens, so re-wrapping, splitting or merging
//!    paragraphs is never a change. Changes are cut at paragraphs: a piece that is a whole
//!    paragraph is a block-level insertion or deletion; partial pieces pair as replacements.
//! 4. **Labels.** The labels of paragraphs that kept their place are compared: a number that
//!    changed is a [`Kind::Renumber`], and so is a cross-reference that follows it.
//! 5. **Passages.** Deleted and inserted runs of at least [`MIN_MOVE_WORDS`] words that are 80%
//!    alike become one move, with its inner edits.
//! 6. **Groups.** The same replacement in many places (a term renamed throughout) and the
//!    renumbering are grouped for the summary.
//! 7. **Check.** Every word of both documents is accounted for exactly once (kept, or in one
//!    change); anything else is an [`Inconsistent`] error, never a wrong answer.
//!
//! [`redline`] turns a comparison into the new Document with the changes marked.

mod redline;

use std::collections::HashMap;
use std::ops::Range;
use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, DiffOp};

use crate::document::{Document, Run, Style};
use crate::document::{Shape, ascii, push_ascii, runs_text, visit_units, visit_units_mut};

pub use redline::{
    Marked, MarkedText, Piece, marked_paragraphs, markup, redline, redline_with_anchors,
};

/// The shortest run of words that counts as a move.
pub const MIN_MOVE_WORDS: usize = 4;
/// How alike (Ratcliff–Obershelp ratio of words) a moved passage must stay.
const MOVE_LIKENESS: f32 = 0.8;
/// The most candidates one passage is compared with when looking for its moved copy.
const MOVE_CANDIDATES: usize = 64;
/// The fewest places that make a replacement a rename "throughout".
const RENAME_PLACES: usize = 3;

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

/// The comparison found itself inconsistent (a bug, reported instead of a wrong answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error in the comparison: {0} (please report it with both inputs)")]
pub struct Inconsistent(pub String);

impl From<Inconsistent> for crate::Error {
    fn from(e: Inconsistent) -> Self {
        crate::Error::Comparison(e.0)
    }
}

/// Which part of a unit a word is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The unit's clause label.
    Label,
    /// A label-like first word of a body without a label (text inputs): compared as a label,
    /// drawn in the body.
    Lead,
    /// The text.
    Body,
}

/// What a token stands for: a word in a style (its text in [`Words::text`], one buffer for
/// the whole document rather than a `String` per word), or a field or signature line (in
/// [`Words::runs`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Atom {
    Word {
        start: usize,
        end: usize,
        style: Style,
    },
    Run(usize),
}

/// One word (or blank) of a document, with what is needed to put it back.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    /// The comparison key (interned normalised text).
    key: u32,
    /// The run it stands for.
    atom: Atom,
    /// A space came before it in the source.
    space_before: bool,
    /// A hard line break came before it.
    break_before: bool,
    /// Which unit (paragraph) it belongs to.
    unit: usize,
    part: Part,
}

/// A paragraph-like unit.
#[derive(Debug, Clone, PartialEq)]
struct Unit {
    /// The section it is in: its own label or the last one before it (shared by the units
    /// of a section).
    section: std::sync::Arc<str>,
    /// Its first words, to name it when it has no section: read from its tokens when needed,
    /// kept here only when `--ignore-punctuation` dropped words that name it.
    start: Option<String>,
    shape: Shape,
    /// Its label (and lead) tokens.
    label_range: Range<usize>,
    /// Its body tokens.
    body: Range<usize>,
}

/// A tokenised document.
#[derive(Debug, Clone, Default)]
struct Words {
    tokens: Vec<Token>,
    units: Vec<Unit>,
    /// The text of every word, one after another.
    text: String,
    /// The fields and signature lines.
    runs: Vec<Run>,
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
    /// A passage moved elsewhere (with its inner edits, if any).
    Move,
    /// A clause number that changed because clauses were added or removed before it, or a
    /// cross-reference that follows such a number.
    Renumber,
}

/// An edit inside a moved passage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// Insert, delete or replace.
    pub kind: Kind,
    /// The old words.
    pub old: String,
    /// The new words.
    pub new: String,
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
    /// The section label it is in ("5.2"), if the document has labels there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// For a move: where the passage was in the old document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Whether it is a whole paragraph (inserted, deleted or moved as a block).
    pub block: bool,
    /// For a renumbering: whether it is a cross-reference (not the clause's own number).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reference: bool,
    /// For a move: the edits made to the passage on the way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
    /// For a move: its number (M1, M2…), as the redline labels both ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_number: Option<usize>,
    /// The group it belongs to (index into [`Comparison::groups`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<usize>,
    /// The 1-based number of the new document's paragraph it is in (0: none).
    #[serde(skip)]
    pub paragraph: usize,
    #[serde(skip)]
    old_range: Range<usize>,
    #[serde(skip)]
    new_range: Range<usize>,
    /// For a move: the inner edits as (old range, new range) of tokens.
    #[serde(skip)]
    inner: Vec<(Range<usize>, Range<usize>)>,
}

/// What a group of changes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    /// The same replacement in many places: a term renamed throughout.
    Rename,
    /// Clause numbers shifted by an insertion or deletion.
    Renumber,
    /// Cross-references updated to the new numbers.
    References,
}

/// Changes that belong together, summarised in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// What they are.
    pub kind: GroupKind,
    /// The line the summary shows ("Subscriber → Investor, 112 places").
    pub summary: String,
    /// How many changes.
    pub count: usize,
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
    /// Edits inside moved passages.
    pub moved_edits: usize,
    /// Number-only changes (renumbered clauses and their cross-references).
    pub renumbered: usize,
    /// Words inserted (in insertions, replacements and inside moves).
    pub inserted_words: usize,
    /// Words deleted (in deletions, replacements and inside moves).
    pub deleted_words: usize,
}

impl std::fmt::Display for Summary {
    /// "3 changes: 1 insertion, 0 deletions, 1 replacement, 1 move (2 edits inside),
    /// 0 renumbered; 7 words inserted, 1 deleted"
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // "1 change", "2 changes".
        let n = |count: usize, one: &str| {
            if count == 1 {
                format!("1 {one}")
            } else {
                format!("{count} {one}s")
            }
        };
        write!(
            f,
            "{}: {}, {}, {}, {}",
            n(self.changes, "change"),
            n(self.insertions, "insertion"),
            n(self.deletions, "deletion"),
            n(self.replacements, "replacement"),
            n(self.moves, "move"),
        )?;
        if self.moved_edits > 0 {
            write!(f, " ({} inside)", n(self.moved_edits, "edit"))?;
        }
        write!(
            f,
            ", {} renumbered; {} inserted, {} deleted",
            self.renumbered,
            n(self.inserted_words, "word"),
            self.deleted_words
        )
    }
}

/// The comparison of two documents.
#[derive(Debug, Clone)]
pub struct Comparison {
    old: Words,
    new: Words,
    /// For every old token, the new token it was kept as.
    kept: Vec<Option<usize>>,
    /// For every old unit, the new unit most of it went to (kept words or a move).
    unit_map: Vec<Option<usize>>,
    /// The changes in the order of the new document.
    pub changes: Vec<Change>,
    /// Groups of changes, for the summary (a change names its group).
    pub groups: Vec<Group>,
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
                Kind::Renumber => s.renumbered += 1,
            }
            match c.kind {
                Kind::Move => {
                    s.moved_edits += c.inner.len();
                    for (o, n) in &c.inner {
                        s.deleted_words += o.len();
                        s.inserted_words += n.len();
                    }
                }
                _ => {
                    s.inserted_words += c.new_range.len();
                    s.deleted_words += c.old_range.len();
                }
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

    /// The changes that belong to no group, and one representative line per group: what a
    /// reader's summary lists, groups first.
    pub fn ungrouped(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.group.is_none())
    }
}

/// A fast, deterministic hash for interning words (FxHash's multiply-rotate; no DoS concern: a
/// hostile input can only make its own comparison slower, and the deadline bounds that).
#[derive(Default, Clone, Copy)]
struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in chunks.by_ref() {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The tail, byte by byte (a copy of variable length would call memcpy).
            self.add(
                rest.iter()
                    .rev()
                    .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
            );
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type WordMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<WordHasher>>;

/// Comparison keys for words: one number per distinct word after the options' folding.
struct Interner<'a> {
    /// Words that are their own key (the common case), borrowed from the documents.
    plain: WordMap<&'a str, u32>,
    /// The keys of words that fold to another text (typographic quotes, case, punctuation).
    folded: WordMap<String, u32>,
    next: u32,
    options: &'a Options,
}

impl<'a> Interner<'a> {
    fn new(options: &'a Options) -> Self {
        Interner {
            plain: WordMap::default(),
            folded: WordMap::default(),
            next: 0,
            options,
        }
    }

    fn fresh(&mut self) -> u32 {
        let n = self.next;
        self.next = self.next.saturating_add(1);
        n
    }

    fn key(&mut self, word: &'a str) -> Option<u32> {
        let plain = !self.options.ignore_case
            && !self.options.ignore_punctuation
            && (word.is_ascii()
                || !word.contains([
                    '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}', '\u{2013}', '\u{2014}',
                    '\u{2026}', '\u{a0}',
                ]));
        if plain {
            if let Some(&id) = self.plain.get(word) {
                return Some(id);
            }
            let id = match self.folded.get(word) {
                Some(&id) => id,
                None => self.fresh(),
            };
            self.plain.insert(word, id);
            return Some(id);
        }
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
        if let Some(&id) = self.plain.get(w.as_str()) {
            return Some(id);
        }
        if let Some(&id) = self.folded.get(&w) {
            return Some(id);
        }
        let id = self.fresh();
        self.folded.insert(w, id);
        Some(id)
    }
}

/// Whether a word is a clause number: `5.`, `5.2`, `(a)`, `(iv)`, `IV.`, `A.`.
fn is_number_word(w: &str) -> bool {
    let w = w.trim_end_matches([',', ';', ':']);
    if w.is_empty() || w.len() > 12 {
        return false;
    }
    if let Some(inner) = w.strip_prefix('(') {
        let inner = inner.strip_suffix(')').or_else(|| inner.strip_suffix(").")); // (a) or (a).
        return inner.is_some_and(|i| {
            !i.is_empty() && i.len() <= 5 && i.chars().all(|c| c.is_ascii_alphanumeric())
        });
    }
    let digits = w.trim_end_matches('.');
    if !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !digits.contains("..")
    {
        // "5." or "5.2" or "5.2.1", but not a sum like "1000" without a period.
        return w.ends_with('.') || digits.contains('.');
    }
    if let Some(r) = w.strip_suffix('.') {
        let roman = !r.is_empty() && r.chars().all(|c| "IVXLC".contains(c)) && r.len() <= 6;
        let letter = r.len() == 1 && r.chars().all(|c| c.is_ascii_uppercase());
        return roman || letter;
    }
    false
}

/// Whether a label word introduces a number (`Section 5.2`, `ARTICLE V`).
fn is_label_title(w: &str) -> bool {
    matches!(
        w,
        "Section" | "SECTION" | "Article" | "ARTICLE" | "Exhibit" | "EXHIBIT" | "Schedule"
    )
}

/// Whether a run of label words is a clause number (what a renumbering changes).
fn is_number_label(words: &[&str]) -> bool {
    match words {
        [n] => is_number_word(n),
        [t, n] => is_label_title(t) && (is_number_word(n) || is_plain_number(n)),
        _ => false,
    }
}

fn is_plain_number(w: &str) -> bool {
    let w = w.trim_end_matches(['.', ',', ';', ':']);
    !w.is_empty()
        && w.len() <= 8
        && (w.chars().all(|c| c.is_ascii_digit() || c == '.')
            || w.chars().all(|c| "IVXLC".contains(c)))
}

fn tokenize<'a>(doc: &'a Document, interner: &mut Interner<'a>) -> Words {
    let mut words = Words::default();
    // Room for everything at once: growing the vectors of a large document copies them and
    // touches twice the memory.
    let (mut units, mut bytes) = (0, 0);
    visit_units(&doc.blocks, &mut |_, label, runs| {
        units += 1;
        for r in label.iter().chain(runs) {
            bytes += match r {
                Run::Text { text, .. } => text.len(),
                _ => 1,
            };
        }
    });
    words.units.reserve(units);
    words.text.reserve(bytes);
    words.tokens.reserve(bytes / 4 + units);
    interner.plain.reserve(bytes / 32);
    // A unit's first words are read from its tokens, unless punctuation-only words that would
    // name it are dropped from them.
    let eager_start = interner.options.ignore_punctuation;
    let mut section = String::new();
    let mut shared: std::sync::Arc<str> = "".into();
    // The last label that is not a lettered or roman sub-clause: "(a)" is read as "1.2(a)".
    let mut major = String::new();
    visit_units(&doc.blocks, &mut |shape, label, runs| {
        let unit = words.units.len();
        // The first six body words, as ASCII text.
        let (mut start, mut start_words) = (String::new(), 0);
        let label_start = words.tokens.len();
        for (part, runs) in [(Part::Label, label), (Part::Body, runs)] {
            // The body's first word follows the label after a space.
            let mut space = part == Part::Body && !label.is_empty();
            let mut brk = false;
            let emit = |words: &mut Words, atom: Atom, key: u32, space: bool, brk: &mut bool| {
                words.tokens.push(Token {
                    key,
                    atom,
                    space_before: space,
                    break_before: *brk,
                    unit,
                    part,
                });
                *brk = false;
            };
            for run in runs {
                match run {
                    Run::Text { text, style } => {
                        let text: &'a str = text;
                        let mut word_start: Option<usize> = None;
                        let mut word_space = space;
                        let mut finish =
                            |words: &mut Words, w: &'a str, space: bool, brk: &mut bool| {
                                if eager_start && start_words < 6 && part == Part::Body {
                                    if start_words > 0 {
                                        start.push(' ');
                                    }
                                    push_ascii(&mut start, w);
                                    start_words += 1;
                                }
                                if let Some(key) = interner.key(w) {
                                    let s = words.text.len();
                                    words.text.push_str(w);
                                    let atom = Atom::Word {
                                        start: s,
                                        end: words.text.len(),
                                        style: *style,
                                    };
                                    emit(words, atom, key, space, brk);
                                }
                            };
                        for (i, c) in text.char_indices() {
                            if c.is_whitespace() && c != '\u{a0}' {
                                if let Some(s) = word_start.take() {
                                    finish(&mut words, &text[s..i], word_space, &mut brk);
                                }
                                space = true;
                            } else if word_start.is_none() {
                                word_start = Some(i);
                                word_space = space;
                            }
                        }
                        if let Some(s) = word_start {
                            // The word may go on in the next run (another style): glue it.
                            finish(&mut words, &text[s..], word_space, &mut brk);
                            space = false;
                        }
                    }
                    Run::Field { .. } | Run::Signature { .. } => {
                        let blank = if matches!(run, Run::Field { .. }) {
                            "___"
                        } else {
                            "---"
                        };
                        let key = interner.key(blank).unwrap_or(u32::MAX);
                        words.runs.push(run.clone());
                        let atom = Atom::Run(words.runs.len() - 1);
                        emit(&mut words, atom, key, space, &mut brk);
                        space = false;
                    }
                    Run::Break => {
                        brk = true;
                        space = false;
                    }
                }
            }
        }
        let mut label_end = words.tokens[label_start..]
            .iter()
            .position(|t| t.part != Part::Label)
            .map_or(words.tokens.len(), |p| label_start + p);
        let end = words.tokens.len();
        // A body without a label that opens with a clause number: that is its label.
        if label_end == label_start {
            // Borrowed when ASCII (nearly always): no String per paragraph.
            let text = |i: usize| -> std::borrow::Cow<'_, str> {
                match words.tokens.get(i).and_then(|t| words.word(t)) {
                    Some((w, _)) if w.is_ascii() => std::borrow::Cow::Borrowed(w),
                    Some((w, _)) => std::borrow::Cow::Owned(ascii(w)),
                    None => std::borrow::Cow::Borrowed(""),
                }
            };
            let first = text(label_start);
            let lead = if is_number_word(&first) {
                1
            } else if is_label_title(&first) && label_start + 1 < end {
                let second = text(label_start + 1);
                usize::from(is_number_word(&second) || is_plain_number(&second)) * 2
            } else {
                0
            };
            // A lone number is a label only in a paragraph or heading (in a cell it is text).
            if lead > 0 && (label_start + lead < end || shape != Shape::Cell) {
                for t in &mut words.tokens[label_start..label_start + lead] {
                    t.part = Part::Lead;
                }
                label_end = label_start + lead;
            }
        }
        let label_text = words.text(label_start..label_end);
        if !label_text.is_empty() {
            let own = label_text.trim_end_matches('.').to_string();
            if own.starts_with('(') && major.is_empty() {
                // A lettered clause before any numbered one, most often a definition: named
                // by the term it defines ("(a) \"Company\""), else by its letter alone.
                let term = defined_term(&words.text(label_end..end.min(label_end + 8)));
                section = match term {
                    Some(t) => format!("{own} {t}"),
                    None => own,
                };
            } else if own.starts_with('(') {
                // A sub-clause: under the last numbered label (its own parent sub-clause, if
                // it had one, is dropped: "1.2(a)" then "1.2(b)").
                section = format!("{major}{own}");
            } else {
                major = number_of(&own);
                section = own;
            }
        }
        if *shared != *section {
            shared = section.as_str().into();
        }
        words.units.push(Unit {
            section: shared.clone(),
            start: eager_start.then_some(start),
            shape,
            label_range: label_start..label_end,
            body: label_end..end,
        });
    });
    words
}

/// The term a definition opens with: `"Company" means …` → `"Company"` (at most six words).
fn defined_term(text: &str) -> Option<String> {
    let rest = text.strip_prefix('"')?;
    let close = rest.find('"')?;
    let term = &rest[..close];
    (!term.trim().is_empty() && term.split_whitespace().count() <= 6).then(|| format!("\"{term}\""))
}

impl Words {
    /// A word token's text (as written) and style; `None` for a field or signature line.
    fn word(&self, t: &Token) -> Option<(&str, Style)> {
        match t.atom {
            Atom::Word { start, end, style } => Some((self.text.get(start..end)?, style)),
            Atom::Run(_) => None,
        }
    }

    /// The run a token stands for, as it was in the document.
    fn run(&self, t: &Token) -> Run {
        match t.atom {
            Atom::Word { start, end, style } => Run::Text {
                text: self.text.get(start..end).unwrap_or_default().to_string(),
                style,
            },
            Atom::Run(i) => self.runs.get(i).cloned().unwrap_or(Run::Break),
        }
    }

    /// A token's text with ASCII punctuation (what [`runs_text`] gives for its run).
    fn push_plain(&self, t: &Token, s: &mut String) {
        match (self.word(t), t.atom) {
            (Some((w, _)), _) => push_ascii(s, w),
            (None, Atom::Run(i)) => {
                if let Some(r) = self.runs.get(i) {
                    s.push_str(&runs_text(std::slice::from_ref(r)));
                }
            }
            (None, Atom::Word { .. }) => {}
        }
    }

    fn text(&self, range: Range<usize>) -> String {
        let mut s = String::new();
        self.push_text(range, &mut s);
        s
    }

    /// Append the text of a token range: its words with the spaces between them.
    fn push_text(&self, range: Range<usize>, s: &mut String) {
        for (i, t) in self
            .tokens
            .get(range)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if i > 0 && (t.space_before || t.break_before) {
                s.push(' ');
            }
            self.push_plain(t, s);
        }
    }

    /// The units a token range touches (none for an empty range).
    fn units_of(&self, r: &Range<usize>) -> Range<usize> {
        match (
            self.tokens.get(r.start),
            r.end.checked_sub(1).and_then(|e| self.tokens.get(e)),
        ) {
            (Some(a), Some(b)) if !r.is_empty() => a.unit..b.unit + 1,
            _ => 0..0,
        }
    }

    /// The text of the whole units a range covers (one, but several past the deadline), each
    /// with its label.
    fn units_text(&self, r: &Range<usize>) -> String {
        let mut s = String::new();
        for u in self.units_of(r) {
            let unit = &self.units[u];
            let range = unit.label_range.start..unit.body.end;
            if !range.is_empty() {
                if !s.is_empty() {
                    s.push(' ');
                }
                self.push_text(range, &mut s);
            }
        }
        s
    }

    /// Whether a token is in a paragraph or heading (not a table cell).
    fn is_paragraph(&self, token: usize) -> bool {
        self.tokens
            .get(token)
            .is_some_and(|t| self.units[t.unit].shape != Shape::Cell)
    }

    /// The text of a whole unit: label and body.
    fn unit_text(&self, u: usize) -> String {
        self.units.get(u).map_or_else(String::new, |unit| {
            self.text(unit.label_range.start..unit.body.end)
        })
    }

    fn unit_of(&self, token: usize) -> Option<usize> {
        self.tokens
            .get(token)
            .or_else(|| token.checked_sub(1).and_then(|t| self.tokens.get(t)))
            .map(|t| t.unit)
    }

    fn location_of_unit(&self, u: usize) -> String {
        let Some(unit) = self.units.get(u) else {
            return "the start".into();
        };
        if unit.section.is_empty() {
            let start = unit.start.clone().unwrap_or_else(|| self.start_of(unit));
            format!("paragraph {} (\"{start}\")", u + 1)
        } else {
            format!("\u{a7}{}, paragraph {}", unit.section, u + 1)
        }
    }

    /// A unit's first six words (not its label), as ASCII text.
    fn start_of(&self, unit: &Unit) -> String {
        let mut s = String::new();
        let words = self
            .tokens
            .get(unit.label_range.start..unit.body.end)
            .unwrap_or_default()
            .iter()
            .filter(|t| t.part != Part::Label)
            .filter_map(|t| self.word(t))
            .take(6);
        for (i, (w, _)) in words.enumerate() {
            if i > 0 {
                s.push(' ');
            }
            push_ascii(&mut s, w);
        }
        s
    }

    fn location(&self, token: usize) -> String {
        match self.unit_of(token) {
            Some(u) => self.location_of_unit(u),
            None => "the start".into(),
        }
    }

    fn section(&self, token: usize) -> Option<String> {
        self.unit_of(token)
            .and_then(|u| self.units.get(u))
            .filter(|u| !u.section.is_empty())
            .map(|u| u.section.to_string())
    }

    pub(super) fn keys(&self, r: &Range<usize>) -> Vec<u32> {
        self.tokens
            .get(r.clone())
            .unwrap_or_default()
            .iter()
            .map(|t| t.key)
            .collect()
    }

    /// Every token's key, in order.
    fn all_keys(&self) -> Vec<u32> {
        self.tokens.iter().map(|t| t.key).collect()
    }

    /// Each unit's body keys, as slices of [`Words::all_keys`].
    fn body_slices<'k>(&self, keys: &'k [u32]) -> Vec<&'k [u32]> {
        self.units
            .iter()
            .map(|u| keys.get(u.body.clone()).unwrap_or_default())
            .collect()
    }

    /// Whether a token range is the whole body of its unit.
    fn is_whole_body(&self, r: &Range<usize>) -> bool {
        !r.is_empty()
            && self
                .tokens
                .get(r.start)
                .is_some_and(|t| self.units[t.unit].body == *r)
    }

    /// The label words of a unit, as text words.
    fn label_words(&self, u: usize) -> Vec<String> {
        self.tokens[self.units[u].label_range.clone()]
            .iter()
            .map(|t| {
                let mut s = String::new();
                self.push_plain(t, &mut s);
                s
            })
            .collect()
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

/// How alike two key sequences are (0 to 1), or `None` when their lengths differ too much to
/// be 80% alike.
fn likeness(a: &[u32], b: &[u32], deadline: Instant) -> Option<f32> {
    likeness_of(a, b, None, None, deadline)
}

/// [`likeness`], with the keys of either side already sorted when the caller has them (a
/// paragraph compared with many candidates is sorted once).
fn likeness_of(
    a: &[u32],
    b: &[u32],
    sorted_a: Option<&[u32]>,
    sorted_b: Option<&[u32]>,
    deadline: Instant,
) -> Option<f32> {
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        return None;
    }
    // ratio = 2M / (la + lb) <= 2 min / (la + lb): skip what cannot reach the bar.
    let best = 2.0 * la.min(lb) as f32 / (la + lb) as f32;
    if best < MOVE_LIKENESS {
        return None;
    }
    // The words in common in any order bound the words in common in order: a cheap test
    // first (unrelated paragraphs fail it), the diff only for what passes.
    let sort = |keys: &[u32]| {
        let mut v = keys.to_vec();
        v.sort_unstable();
        v
    };
    let owned_a = sorted_a.is_none().then(|| sort(a));
    let owned_b = sorted_b.is_none().then(|| sort(b));
    let sa = sorted_a.or(owned_a.as_deref()).unwrap_or_default();
    let sb = sorted_b.or(owned_b.as_deref()).unwrap_or_default();
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < sa.len() && j < sb.len() {
        match sa[i].cmp(&sb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    if (2 * common) as f32 / ((la + lb) as f32) < MOVE_LIKENESS {
        return None;
    }
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, a, b, Some(deadline));
    Some(similar::diff_ratio(&ops, la, lb))
}

/// Paragraphs that moved: unmatched by a paragraph-level diff of the bodies, and the same words
/// or 80% alike elsewhere. Pairs of the same hunk that keep their order are edits in place,
/// not moves.
/// An old unit and a new unit.
type UnitPair = (usize, usize);

/// The moved paragraphs (old unit, new unit), and the anchors of the word diff: the paragraphs
/// found in place whose body is unique on both sides (old unit, new unit, in order).
fn moved_units(old: &Words, new: &Words, deadline: Instant) -> (Vec<UnitPair>, Vec<UnitPair>) {
    // Every token's key in one vector, and each unit's body as a slice of it: one allocation
    // for the document, not one per paragraph.
    let (old_keys, new_keys) = (old.all_keys(), new.all_keys());
    let old_units = old.body_slices(&old_keys);
    let new_units = new.body_slices(&new_keys);
    fn intern<'a>(units: &[&'a [u32]], ids: &mut WordMap<&'a [u32], u32>) -> Vec<u32> {
        units
            .iter()
            .map(|&k| {
                let n = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                *ids.entry(k).or_insert(n)
            })
            .collect()
    }
    let mut ids: WordMap<&[u32], u32> = WordMap::default();
    ids.reserve(old_units.len().saturating_add(new_units.len()));
    let a = intern(&old_units, &mut ids);
    let b = intern(&new_units, &mut ids);
    // Patience: paragraphs unique on both sides anchor the alignment, so that a common one
    // (a blank rule, "Yes __ No __") never pairs across a moved or edited paragraph.
    let ops = similar::capture_diff_slices_deadline(Algorithm::Patience, &a, &b, Some(deadline));
    // A paragraph kept in place and found once on each side is where the word diff can cut
    // the documents: the words between two such paragraphs are compared on their own.
    let mut count = vec![[0u8; 2]; ids.len()];
    for (side, keys) in [&a, &b].into_iter().enumerate() {
        for &k in keys {
            if let Some(c) = count.get_mut(k as usize) {
                c[side] = c[side].saturating_add(1);
            }
        }
    }
    let mut anchors = Vec::new();
    for op in &ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                let (u, v) = (old_index + k, new_index + k);
                if !old_units[u].is_empty() && count.get(a[u] as usize) == Some(&[1, 1]) {
                    anchors.push((u, v));
                }
            }
        }
    }
    // Unmatched units with the hunk they are in.
    let mut unmatched_old: Vec<(usize, usize)> = Vec::new();
    let mut unmatched_new: Vec<(usize, usize)> = Vec::new();
    // A hunk is the gap between two runs of equal paragraphs (adjacent insertions and
    // deletions are one gap).
    let mut h = 0;
    for op in &ops {
        match op_ranges(op) {
            Some((o, n)) => {
                unmatched_old.extend(o.map(|u| (u, h)));
                unmatched_new.extend(n.map(|v| (v, h)));
            }
            None => h += 1,
        }
    }
    let long = |k: &[u32]| k.len() >= MIN_MOVE_WORDS;
    // Exact copies first (first unmatched copy wins), then near copies.
    let mut by_key: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
    for &(v, h) in unmatched_new.iter().rev() {
        if long(new_units[v]) {
            by_key.entry(b[v]).or_default().push((v, h));
        }
    }
    let mut taken_new = vec![false; new.units.len()];
    let mut pairs: Vec<(usize, usize, usize, usize)> = Vec::new(); // (u, hu, v, hv)
    let mut rest_old = Vec::new();
    for &(u, hu) in &unmatched_old {
        if !long(old_units[u]) {
            continue;
        }
        // A copy in the same gap is the paragraph in place; otherwise the first one.
        let copy = by_key.get_mut(&a[u]).and_then(|vs| {
            let same = vs.iter().rposition(|&(_, h)| h == hu);
            match same {
                Some(i) => Some(vs.remove(i)),
                None => vs.pop(),
            }
        });
        match copy {
            Some((v, hv)) => {
                taken_new[v] = true;
                pairs.push((u, hu, v, hv));
            }
            None => rest_old.push((u, hu)),
        }
    }
    let rest_new: Vec<(usize, usize)> = unmatched_new
        .iter()
        .copied()
        .filter(|&(v, _)| !taken_new[v] && long(new_units[v]))
        .collect();
    let mut by_first: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut by_last: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, &(v, _)) in rest_new.iter().enumerate() {
        if let (Some(f), Some(l)) = (new_units[v].first(), new_units[v].last()) {
            by_first.entry(*f).or_default().push(i);
            by_last.entry(*l).or_default().push(i);
        }
    }
    // Each candidate's keys sorted once (for the bag-of-words bound), when first needed.
    let mut sorted_new: Vec<Option<Vec<u32>>> = vec![None; new.units.len()];
    for (u, hu) in rest_old {
        if Instant::now() >= deadline {
            break;
        }
        let mut sorted_old = old_units[u].to_vec();
        sorted_old.sort_unstable();
        // The nearest candidates first: same hunk, then by distance in the document.
        // Candidates: the unmatched paragraphs of the same gap (edited in place), then those
        // near it and those that begin or end with the same word (edited and moved).
        let lo = rest_new.partition_point(|&(_, h)| h < hu);
        let hi = rest_new.partition_point(|&(_, h)| h <= hu);
        let mut best: Option<(f32, usize, usize)> = None;
        let mut consider = |i: usize, best: &mut Option<(f32, usize, usize)>| {
            let (v, hv) = rest_new[i];
            if taken_new[v] {
                return;
            }
            let sorted = sorted_new[v].get_or_insert_with(|| {
                let mut keys = new_units[v].to_vec();
                keys.sort_unstable();
                keys
            });
            if let Some(r) = likeness_of(
                old_units[u],
                new_units[v],
                Some(&sorted_old),
                Some(sorted),
                deadline,
            ) && r >= MOVE_LIKENESS
                && best.is_none_or(|(b, _, _)| r > b)
            {
                *best = Some((r, v, hv));
            }
        };
        for i in (lo..hi).take(MOVE_CANDIDATES) {
            consider(i, &mut best);
        }
        if best.is_none() {
            let window = lo.saturating_sub(MOVE_CANDIDATES / 2)
                ..(hi + MOVE_CANDIDATES / 2).min(rest_new.len());
            let keyed = [
                old_units[u].first().and_then(|k| by_first.get(k)),
                old_units[u].last().and_then(|k| by_last.get(k)),
            ];
            let mut others: Vec<usize> = window.filter(|i| !(lo..hi).contains(i)).collect();
            for list in keyed.into_iter().flatten() {
                others.extend(
                    list.iter()
                        .copied()
                        .filter(|i| !(lo..hi).contains(i))
                        .take(MOVE_CANDIDATES),
                );
            }
            others.sort_unstable();
            others.dedup();
            for i in others.into_iter().take(2 * MOVE_CANDIDATES) {
                consider(i, &mut best);
            }
        }
        if let Some((_, v, hv)) = best {
            taken_new[v] = true;
            pairs.push((u, hu, v, hv));
        }
    }
    // In one hunk, pairs that keep their order are the same paragraph edited (or split) in
    // place; only those that cross are moves. Keep the longest run in order as in place.
    let mut by_hunk: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    let mut moves = Vec::new();
    for &(u, hu, v, hv) in &pairs {
        if hu == hv {
            by_hunk.entry(hu).or_default().push((u, v));
        } else {
            moves.push((u, v));
        }
    }
    let mut hunks: Vec<_> = by_hunk.into_iter().collect();
    hunks.sort_unstable_by_key(|(h, _)| *h);
    for (_, mut ps) in hunks {
        ps.sort_unstable();
        let keep = longest_increasing(&ps.iter().map(|p| p.1).collect::<Vec<_>>());
        for (i, p) in ps.into_iter().enumerate() {
            if !keep[i] {
                moves.push(p);
            }
        }
    }
    moves.sort_unstable();
    (moves, anchors)
}

/// Which elements form a longest strictly increasing subsequence.
fn longest_increasing(xs: &[usize]) -> Vec<bool> {
    // Patience sorting with back links: O(n log n).
    let mut tails: Vec<usize> = Vec::new(); // index into xs of the smallest tail per length
    let mut prev: Vec<Option<usize>> = vec![None; xs.len()];
    for (i, &x) in xs.iter().enumerate() {
        let pos = tails.partition_point(|&t| xs[t] < x);
        if pos > 0 {
            prev[i] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut keep = vec![false; xs.len()];
    let mut at = tails.last().copied();
    while let Some(i) = at {
        keep[i] = true;
        at = prev[i];
    }
    keep
}

/// The original indices of a filtered range, cut into pieces that are contiguous and inside
/// one unit.
fn pieces(map: &[usize], range: Range<usize>, words: &Words) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for f in range {
        let Some(&i) = map.get(f) else { continue };
        match out.last_mut() {
            Some(r) if r.end == i && words.tokens[i].unit == words.tokens[r.start].unit => {
                r.end = i + 1
            }
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// The inner edits that turn one key sequence into another, as (old, new) ranges offset by
/// the passages' starts.
fn inner_edits(
    old: &[u32],
    new: &[u32],
    at: (usize, usize),
    deadline: Instant,
) -> Vec<(Range<usize>, Range<usize>)> {
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, old, new, Some(deadline));
    ops.iter()
        .filter_map(op_ranges)
        .map(|(o, n)| (o.start + at.0..o.end + at.0, n.start + at.1..n.end + at.1))
        .collect()
}

struct Builder<'a> {
    old: &'a Words,
    new: &'a Words,
    changes: Vec<Change>,
}

impl Builder<'_> {
    fn push(&mut self, kind: Kind, o: Range<usize>, n: Range<usize>, block: bool) {
        // A whole paragraph's change carries its label.
        let text = |w: &Words, r: &Range<usize>, whole: bool| {
            if whole {
                w.units_text(r)
            } else {
                w.text(r.clone())
            }
        };
        let at = n.start;
        self.changes.push(Change {
            kind,
            old: text(self.old, &o, block && kind == Kind::Delete),
            new: text(self.new, &n, block && kind == Kind::Insert),
            location: self.new.location(at),
            section: self.new.section(at),
            paragraph: self.new.unit_of(at).map_or(0, |u| u + 1),
            from: None,
            block,
            reference: false,
            edits: Vec::new(),
            move_number: None,
            group: None,
            old_range: o,
            new_range: n,
            inner: Vec::new(),
        })
    }
}

/// Compare two documents.
pub fn compare(
    old: &Document,
    new: &Document,
    options: &Options,
) -> Result<Comparison, Inconsistent> {
    // The deadline counts from the start, reading the words included, so that the whole
    // comparison stays within it plus the linear work after it.
    let deadline = Instant::now() + options.deadline;
    let mut interner = Interner::new(options);
    let old_words = tokenize(old, &mut interner);
    let new_words = tokenize(new, &mut interner);

    // Whole moved paragraphs first; the word diff runs on the bodies of everything else.
    let (moves, anchors) = moved_units(&old_words, &new_words, deadline);
    let mut moved_old = vec![false; old_words.units.len()];
    let mut moved_new = vec![false; new_words.units.len()];
    for &(u, v) in &moves {
        moved_old[u] = true;
        moved_new[v] = true;
    }
    let body_of = |w: &Words, moved: &[bool]| -> Vec<usize> {
        (0..w.tokens.len())
            .filter(|&i| w.tokens[i].part == Part::Body && !moved[w.tokens[i].unit])
            .collect()
    };
    let old_map = body_of(&old_words, &moved_old);
    let new_map = body_of(&new_words, &moved_new);
    let old_keys: Vec<u32> = old_map.iter().map(|&i| old_words.tokens[i].key).collect();
    let new_keys: Vec<u32> = new_map.iter().map(|&i| new_words.tokens[i].key).collect();
    let ops = anchored_diff(
        &old_keys,
        &new_keys,
        &anchored_ranges(&anchors, &old_words, &new_words, &old_map, &new_map),
        deadline,
    );
    let timed_out = Instant::now() >= deadline;
    let (n_old, n_new) = (old_words.tokens.len(), new_words.tokens.len());
    // Where a filtered position is in its document (an insertion point past the end: the end).
    let old_at = |f: usize| old_map.get(f).copied().unwrap_or(n_old);
    let new_at = |f: usize| new_map.get(f).copied().unwrap_or(n_new);

    let mut ops = ops;
    slide(&mut ops, &old_keys, &new_keys);
    // Adjacent insertions and deletions are one hunk (one replacement where they meet).
    let mut hunks: Vec<DiffOp> = Vec::with_capacity(ops.len());
    for op in &ops {
        let merged = match (hunks.last(), op_ranges(op)) {
            (Some(last), Some((o, n))) => op_ranges(last)
                .map(|(lo, ln)| (lo.start..o.end.max(lo.end), ln.start..n.end.max(ln.end))),
            _ => None,
        };
        match merged {
            Some((o, n)) => {
                hunks.pop();
                hunks.push(DiffOp::Replace {
                    old_index: o.start,
                    old_len: o.len(),
                    new_index: n.start,
                    new_len: n.len(),
                });
            }
            None => hunks.push(*op),
        }
    }
    let ops = hunks;
    let mut kept: Vec<Option<usize>> = vec![None; n_old];
    let mut b = Builder {
        old: &old_words,
        new: &new_words,
        changes: Vec::new(),
    };
    for op in &ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                kept[old_map[old_index + k]] = Some(new_map[new_index + k]);
            }
            continue;
        }
        let Some((o, n)) = op_ranges(op) else {
            continue;
        };
        // Each side's insertion point in its own document.
        let (o_at, n_at) = (old_at(o.start), new_at(n.start));
        // A change never spans paragraphs: cut each side at paragraph boundaries. A piece that
        // is a whole paragraph stands alone (an inserted or deleted paragraph); the partial
        // pieces on each side are paired in order as replacements.
        let olds = pieces(&old_map, o, &old_words);
        let news = pieces(&new_map, n, &new_words);
        let (whole_old, partial_old): (Vec<_>, Vec<_>) =
            olds.into_iter().partition(|r| old_words.is_whole_body(r));
        let (whole_new, partial_new): (Vec<_>, Vec<_>) =
            news.into_iter().partition(|r| new_words.is_whole_body(r));
        let pairs = partial_old.len().min(partial_new.len());
        let mut pending: Vec<(Kind, Range<usize>, Range<usize>, bool)> = Vec::new();
        for (a, c) in partial_old.iter().zip(&partial_new) {
            pending.push((Kind::Replace, a.clone(), c.clone(), false));
        }
        for a in partial_old.iter().skip(pairs) {
            pending.push((Kind::Delete, a.clone(), n_at..n_at, false));
        }
        for c in partial_new.iter().skip(pairs) {
            pending.push((Kind::Insert, o_at..o_at, c.clone(), false));
        }
        // A whole paragraph's change takes its label along.
        let with_label = |w: &Words, r: Range<usize>| {
            let u = w.tokens[r.start].unit;
            w.units[u].label_range.start..r.end
        };
        // Past the deadline, whole paragraphs next to each other are one block change: the
        // work after the deadline stays linear in the hunks, not in the paragraphs.
        let coarse = |w: &Words, rs: Vec<Range<usize>>| -> Vec<Range<usize>> {
            let mut out: Vec<Range<usize>> = Vec::with_capacity(rs.len());
            for r in rs {
                match out.last_mut() {
                    Some(last)
                        if timed_out
                            && last.end == r.start
                            && w.is_paragraph(last.start)
                            && w.is_paragraph(r.start) =>
                    {
                        last.end = r.end;
                    }
                    _ => out.push(r),
                }
            }
            out
        };
        let whole_old = whole_old
            .into_iter()
            .map(|a| with_label(&old_words, a))
            .collect();
        for a in coarse(&old_words, whole_old) {
            pending.push((Kind::Delete, a, n_at..n_at, true));
        }
        let whole_new = whole_new
            .into_iter()
            .map(|c| with_label(&new_words, c))
            .collect();
        for c in coarse(&new_words, whole_new) {
            pending.push((Kind::Insert, o_at..o_at, c, true));
        }
        pending.sort_by_key(|(_, a, c, _)| (c.start, a.start));
        for (kind, a, c, block) in pending {
            b.push(kind, a, c, block);
        }
    }

    // Where a label that no paragraph of the other side took goes: before the first kept word
    // after it, on the other side (both lookups linear, from the end).
    let mut old_next_new = vec![n_new; n_old + 1];
    for i in (0..n_old).rev() {
        old_next_new[i] = kept[i].unwrap_or(old_next_new[i + 1]);
    }
    let mut new_next_old = vec![n_old; n_new + 1];
    for (i, k) in kept.iter().enumerate() {
        if let Some(j) = *k {
            new_next_old[j] = new_next_old[j].min(i);
        }
    }
    for j in (0..n_new).rev() {
        new_next_old[j] = new_next_old[j].min(new_next_old[j + 1]);
    }
    // The new token of the last kept word before each old position.
    let mut old_prev_new: Vec<Option<usize>> = vec![None; n_old + 1];
    for i in 0..n_old {
        old_prev_new[i + 1] = kept[i].or(old_prev_new[i]);
    }
    // Which new unit each old unit went to: where its first kept word is, or its move.
    let mut unit_map: Vec<Option<usize>> = vec![None; old_words.units.len()];
    for (i, k) in kept.iter().enumerate() {
        if let Some(j) = k {
            let u = old_words.tokens[i].unit;
            if unit_map[u].is_none() {
                unit_map[u] = Some(new_words.tokens[*j].unit);
            }
        }
    }
    for &(u, v) in &moves {
        unit_map[u] = Some(v);
    }

    // The labels of paragraphs that kept their place.
    let mut label_seen_new = vec![false; new_words.units.len()];
    // The old paragraphs whose label was compared with their new paragraph's.
    let mut label_compared_old = vec![false; old_words.units.len()];
    let mut renumbered: HashMap<String, String> = HashMap::new();
    for (u, v) in unit_map.iter().enumerate() {
        let Some(v) = *v else { continue };
        if moved_old[u] || std::mem::replace(&mut label_seen_new[v], true) {
            continue;
        }
        label_compared_old[u] = true;
        let (ol, nl) = (
            old_words.units[u].label_range.clone(),
            new_words.units[v].label_range.clone(),
        );
        // The same label, but its words are not between the same kept words on both sides
        // (its paragraph was cut elsewhere): shown where it went and where it came from, so
        // that nothing moves unseen.
        let crosses = !nl.is_empty()
            && !ol.is_empty()
            && (old_prev_new[ol.start].is_some_and(|p| p >= nl.start)
                || old_next_new[ol.end] < nl.end);
        if old_words.keys(&ol) == new_words.keys(&nl) {
            if crosses {
                let at = old_next_new[ol.end];
                b.push(Kind::Delete, ol, at..at, false);
                let at = new_next_old[nl.end];
                b.push(Kind::Insert, at..at, nl, false);
            }
            continue;
        }
        let (ow, nw) = (old_words.label_words(u), new_words.label_words(v));
        fn as_str(w: &[String]) -> Vec<&str> {
            w.iter().map(String::as_str).collect()
        }
        let kind = match (ol.is_empty(), nl.is_empty()) {
            (true, _) => Kind::Insert,
            (_, true) => Kind::Delete,
            _ if is_number_label(&as_str(&ow)) && is_number_label(&as_str(&nw)) => {
                renumbered.insert(number_of(&ow.join(" ")), number_of(&nw.join(" ")));
                Kind::Renumber
            }
            _ => Kind::Replace,
        };
        // A label that went away goes where it stood: before the first kept word after it.
        let n = if nl.is_empty() {
            let at = old_next_new[ol.end];
            at..at
        } else {
            nl.clone()
        };
        let o = if ol.is_empty() {
            let at = new_next_old[nl.end];
            at..at
        } else {
            ol
        };
        b.push(kind, o, n, false);
    }
    // Labels of new paragraphs whose old paragraph was merged into another: inserted; labels
    // of old paragraphs that no new paragraph took: deleted (whole paragraphs carry theirs).
    let block_old: Vec<bool> = {
        let mut v = vec![false; old_words.units.len()];
        for c in &b.changes {
            if c.block && c.kind == Kind::Delete {
                old_words.units_of(&c.old_range).for_each(|u| v[u] = true);
            }
        }
        v
    };
    let block_new: Vec<bool> = {
        let mut v = vec![false; new_words.units.len()];
        for c in &b.changes {
            if c.block && c.kind == Kind::Insert {
                new_words.units_of(&c.new_range).for_each(|u| v[u] = true);
            }
        }
        v
    };
    for u in 0..old_words.units.len() {
        let r = old_words.units[u].label_range.clone();
        if r.is_empty() || moved_old[u] || block_old[u] || label_compared_old[u] {
            continue;
        }
        let at = old_next_new[r.end];
        b.push(Kind::Delete, r, at..at, false);
    }
    for v in 0..new_words.units.len() {
        let r = new_words.units[v].label_range.clone();
        if r.is_empty() || moved_new[v] || block_new[v] || label_seen_new[v] {
            continue;
        }
        let at = new_next_old[r.end];
        b.push(Kind::Insert, at..at, r, false);
    }

    // A label in one document that is a plain word (or another paragraph's label) in the
    // other, at the same place: the same words, not a change.
    reconcile(&mut b.changes, &mut kept, &old_words, &new_words);

    // Cross-references that follow a renumbering.
    if !renumbered.is_empty() {
        for c in &mut b.changes {
            if c.kind == Kind::Replace
                && !c.block
                && c.old_range.len() <= MAX_REFERENCE_WORDS
                && c.new_range.len() == c.old_range.len()
                && old_words.tokens[c.old_range.clone()]
                    .iter()
                    .all(|t| t.part == Part::Body)
                && follows_renumbering(&c.old, &c.new, &renumbered)
            {
                c.kind = Kind::Renumber;
                c.reference = true;
            }
        }
    }

    // Passages that moved (with small edits), then the whole moved paragraphs.
    let mut changes = find_moves(b.changes, &old_words, &new_words, deadline);
    for &(u, v) in &moves {
        let (ou, nu) = (&old_words.units[u], &new_words.units[v]);
        let o = ou.label_range.start..ou.body.end;
        let nr = nu.label_range.start..nu.body.end;
        let inner = inner_edits(
            &old_words.keys(&o),
            &new_words.keys(&nr),
            (o.start, nr.start),
            deadline,
        );
        changes.push(move_change(
            &old_words,
            &new_words,
            o,
            nr,
            inner,
            true,
            (old_words.unit_text(u), new_words.unit_text(v)),
        ));
    }
    changes.sort_by_key(|c| (c.new_range.start, c.old_range.start, c.new_range.end));
    let mut number = 0;
    for c in &mut changes {
        if c.kind == Kind::Move {
            number += 1;
            c.move_number = Some(number);
        }
    }
    let groups = group(&mut changes);
    let cmp = Comparison {
        old: old_words,
        new: new_words,
        kept,
        unit_map,
        changes,
        groups,
        timed_out,
    };
    check(&cmp)?;
    Ok(cmp)
}

/// Where each anchor paragraph's body is in the filtered word lists of both sides: (old
/// start, new start, length), in order on both sides. An anchor that is not found whole (or
/// out of order) is left out: it only makes the pieces between anchors longer.
fn anchored_ranges(
    anchors: &[UnitPair],
    old: &Words,
    new: &Words,
    old_map: &[usize],
    new_map: &[usize],
) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(usize, usize, usize)> = Vec::with_capacity(anchors.len());
    let (mut old_end, mut new_end) = (0, 0);
    for &(u, v) in anchors {
        let (Some(ou), Some(nv)) = (old.units.get(u), new.units.get(v)) else {
            continue;
        };
        let len = ou.body.len();
        let (Ok(os), Ok(ns)) = (
            old_map.binary_search(&ou.body.start),
            new_map.binary_search(&nv.body.start),
        ) else {
            continue;
        };
        let whole = nv.body.len() == len
            && old_map.get(os + len - 1) == Some(&(ou.body.end - 1))
            && new_map.get(ns + len - 1) == Some(&(nv.body.end - 1));
        if whole && os >= old_end && ns >= new_end {
            out.push((os, ns, len));
            (old_end, new_end) = (os + len, ns + len);
        }
    }
    out
}

/// The word diff of two key lists cut at anchors (equal runs given as (old start, new start,
/// length), in order): Myers between each two anchors, the anchors equal. The same ops as one
/// Myers run over the whole wherever that run keeps the anchors, in a fraction of the time
/// (a long agreement with a hundred edits is a hundred short diffs).
fn anchored_diff(
    old_keys: &[u32],
    new_keys: &[u32],
    anchors: &[(usize, usize, usize)],
    deadline: Instant,
) -> Vec<DiffOp> {
    let mut ops: Vec<DiffOp> = Vec::new();
    let push = |ops: &mut Vec<DiffOp>, op: DiffOp| {
        if let (
            Some(DiffOp::Equal {
                old_index,
                new_index,
                len,
            }),
            DiffOp::Equal {
                old_index: o,
                new_index: n,
                len: l,
            },
        ) = (ops.last_mut(), op)
            && *old_index + *len == o
            && *new_index + *len == n
        {
            *len += l;
            return;
        }
        ops.push(op);
    };
    let piece = |ops: &mut Vec<DiffOp>, o: Range<usize>, n: Range<usize>| {
        let (o0, n0) = (o.start, n.start);
        let part = similar::capture_diff_slices_deadline(
            Algorithm::Myers,
            &old_keys[o],
            &new_keys[n],
            Some(deadline),
        );
        for op in part {
            push(ops, shifted(op, o0, n0));
        }
    };
    let (mut o, mut n) = (0, 0);
    for &(os, ns, len) in anchors {
        piece(&mut ops, o..os, n..ns);
        push(
            &mut ops,
            DiffOp::Equal {
                old_index: os,
                new_index: ns,
                len,
            },
        );
        (o, n) = (os + len, ns + len);
    }
    piece(&mut ops, o..old_keys.len(), n..new_keys.len());
    ops
}

/// An op of a piece's diff, in the positions of the whole.
fn shifted(op: DiffOp, o: usize, n: usize) -> DiffOp {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + o,
            new_index: new_index + n,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + o,
            old_len,
            new_index: new_index + n,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + o,
            new_index: new_index + n,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + o,
            old_len,
            new_index: new_index + n,
            new_len,
        },
    }
}

/// Slide pure deletions and insertions past short equal runs so that they meet the change next
/// to them: `and Castellanos | and | zq5x` becomes `| and | Castellanos and zq5x`, one
/// replacement once adjacent hunks are merged. A deletion (insertion) before an equal run that
/// repeats its first words slides forward; one after an equal run that repeats its last words
/// slides back. Each slide swaps the two ops' places and keeps every word's pairing valid.
fn slide(ops: &mut [DiffOp], old_keys: &[u32], new_keys: &[u32]) {
    const SHORT: usize = 3;
    for i in 1..ops.len().saturating_sub(1) {
        let DiffOp::Equal {
            old_index: eo,
            new_index: en,
            len,
        } = ops[i]
        else {
            continue;
        };
        if len > SHORT || matches!(ops[i + 1], DiffOp::Equal { .. }) {
            continue;
        }
        match ops[i - 1] {
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } if old_len >= len
                && old_keys[old_index..old_index + len] == old_keys[eo..eo + len] =>
            {
                ops[i - 1] = DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                };
                ops[i] = DiffOp::Delete {
                    old_index: old_index + len,
                    old_len,
                    new_index: new_index + len,
                };
            }
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } if new_len >= len
                && new_keys[new_index..new_index + len] == new_keys[en..en + len] =>
            {
                ops[i - 1] = DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                };
                ops[i] = DiffOp::Insert {
                    old_index: old_index + len,
                    new_index: new_index + len,
                    new_len,
                };
            }
            _ => {}
        }
    }
    for i in 1..ops.len().saturating_sub(1) {
        let DiffOp::Equal {
            old_index: eo,
            new_index: en,
            len,
        } = ops[i]
        else {
            continue;
        };
        if len > SHORT || matches!(ops[i - 1], DiffOp::Equal { .. }) {
            continue;
        }
        match ops[i + 1] {
            DiffOp::Delete {
                old_index, old_len, ..
            } if old_len >= len
                && old_keys[old_index + old_len - len..old_index + old_len]
                    == old_keys[eo..eo + len] =>
            {
                ops[i] = DiffOp::Delete {
                    old_index: eo,
                    old_len,
                    new_index: en,
                };
                ops[i + 1] = DiffOp::Equal {
                    old_index: eo + old_len,
                    new_index: en,
                    len,
                };
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } if new_len >= len
                && new_keys[new_index + new_len - len..new_index + new_len]
                    == new_keys[en..en + len] =>
            {
                ops[i] = DiffOp::Insert {
                    old_index: eo,
                    new_index: en,
                    new_len,
                };
                ops[i + 1] = DiffOp::Equal {
                    old_index: eo,
                    new_index: en + new_len,
                    len,
                };
            }
            _ => {}
        }
    }
}

/// Cancel an insertion and a deletion of the same few words in the same gap between kept
/// words when one of them is a label: the paragraphs were cut differently, the words are the
/// same. The pair becomes kept words.
fn reconcile(changes: &mut Vec<Change>, kept: &mut [Option<usize>], old: &Words, new: &Words) {
    let (n_old, n_new) = (old.tokens.len(), new.tokens.len());
    // The first kept old word at or after each old position, and likewise for new positions.
    let mut old_next = vec![n_old; n_old + 1];
    let mut new_next = vec![n_new; n_new + 1];
    let mut is_kept_new = vec![false; n_new];
    for j in kept.iter().flatten() {
        is_kept_new[*j] = true;
    }
    for i in (0..n_old).rev() {
        old_next[i] = if kept[i].is_some() {
            i
        } else {
            old_next[i + 1]
        };
    }
    for j in (0..n_new).rev() {
        new_next[j] = if is_kept_new[j] { j } else { new_next[j + 1] };
    }
    let is_label = |w: &Words, r: &Range<usize>| {
        !r.is_empty() && w.tokens[r.clone()].iter().all(|t| t.part != Part::Body)
    };
    let small = |r: &Range<usize>| !r.is_empty() && r.len() <= 3;
    // Deletions by words and gap, labels and plain words apart: a label pairs with either, a
    // plain word only with a label. Each list is used from its front, in the old order
    // (amortised constant time).
    type Key = (Vec<u32>, usize, usize);
    let mut label_deletes: HashMap<Key, Vec<usize>> = HashMap::new();
    let mut word_deletes: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if c.kind == Kind::Delete && small(&c.old_range) {
            let key = (
                old.keys(&c.old_range),
                old_next[c.old_range.end],
                new_next[c.new_range.start.min(n_new)],
            );
            let map = if is_label(old, &c.old_range) {
                &mut label_deletes
            } else {
                &mut word_deletes
            };
            map.entry(key).or_default().push(i);
        }
    }
    if label_deletes.is_empty()
        && !changes
            .iter()
            .any(|c| c.kind == Kind::Insert && is_label(new, &c.new_range))
    {
        return;
    }
    for list in label_deletes.values_mut().chain(word_deletes.values_mut()) {
        list.sort_by_key(|&d| std::cmp::Reverse(changes[d].old_range.start));
    }
    let mut gone = vec![false; changes.len()];
    // In each gap, the end of the last deletion paired: the pairs made kept keep the order of
    // both documents (an insertion pairs only with a deletion after the last one paired), or
    // the kept words would cross and a redline would hide the reorder.
    let mut paired_to: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if c.kind != Kind::Insert || !small(&c.new_range) {
            continue;
        }
        let gap = (
            old_next[c.old_range.start.min(n_old)],
            new_next[c.new_range.end],
        );
        let key = (new.keys(&c.new_range), gap.0, gap.1);
        let floor = paired_to.get(&gap).copied().unwrap_or(0);
        let take = |map: &mut HashMap<Key, Vec<usize>>| -> Option<usize> {
            let list = map.get_mut(&key)?;
            while let Some(d) = list.pop() {
                if !gone[d] && changes[d].old_range.start >= floor {
                    return Some(d);
                }
            }
            None
        };
        let found = match take(&mut label_deletes) {
            Some(d) => Some(d),
            None if is_label(new, &c.new_range) => take(&mut word_deletes),
            None => None,
        };
        let Some(d) = found else { continue };
        gone[d] = true;
        gone[i] = true;
        paired_to.insert(gap, changes[d].old_range.end);
        for (o, n) in changes[d].old_range.clone().zip(c.new_range.clone()) {
            kept[o] = Some(n);
        }
    }
    let mut k = 0;
    changes.retain(|_| {
        k += 1;
        !gone[k - 1]
    });
}

/// The most words a cross-reference that follows a renumbering may have ("Sections 5.1 and
/// 5.2", "clause (d) of Section 3").
const MAX_REFERENCE_WORDS: usize = 6;

/// Whether a replacement only updates cross-references to renumbered clauses: one number
/// (`5.2` → `5.3`), or words that are the same but for such numbers (`Section 5.2)` →
/// `Section 5.3)`, `5.1 and 5.2` → `5.2 and 5.3`), each keeping the punctuation around it.
fn follows_renumbering(old: &str, new: &str, renumbered: &HashMap<String, String>) -> bool {
    if renumbered.get(&number_of(old)) == Some(&number_of(new)) && !old.contains(' ') {
        return true;
    }
    let (o, n): (Vec<&str>, Vec<&str>) = (old.split(' ').collect(), new.split(' ').collect());
    if o.len() != n.len() {
        return false;
    }
    let mut updated = false;
    for (a, b) in o.iter().zip(&n) {
        if a == b {
            continue;
        }
        let ((ab, an, aa), (bb, bn, ba)) = (reference_parts(a), reference_parts(b));
        // A number in parentheses, "(5.2)", refers to clause 5.2 (but "(a)" is a label).
        let inner = |n: &'_ str| -> Option<String> {
            let i = n.strip_prefix('(')?.strip_suffix(')')?;
            i.starts_with(|c: char| c.is_ascii_digit())
                .then(|| i.to_string())
        };
        let mapped = |x: &str, y: &str| renumbered.get(x).map(String::as_str) == Some(y);
        let follows = mapped(an, bn)
            || matches!((inner(an), inner(bn)), (Some(x), Some(y)) if mapped(&x, &y));
        if ab != bb || aa != ba || !follows {
            return false;
        }
        updated = true;
    }
    updated
}

/// A word as (punctuation before, the number, punctuation after): `(5.2),` → `("(", "5.2",
/// "),")`; a parenthesis that belongs to the number stays (`(a)`, `1.2(b)`).
fn reference_parts(w: &str) -> (&str, &str, &str) {
    let opens = |s: &str| s.matches('(').count();
    let closes = |s: &str| s.matches(')').count();
    let mut end = w.len();
    loop {
        let core = &w[..end];
        match core.chars().last() {
            Some('.' | ',' | ';' | ':') => end -= 1,
            Some(')') if closes(core) > opens(core) => end -= 1,
            _ => break,
        }
    }
    let mut start = 0;
    while w[start..end].starts_with('(') && opens(&w[start..end]) > closes(&w[start..end]) {
        start += 1;
    }
    (&w[..start], &w[start..end], &w[end..])
}

/// A clause number without its title word and closing period: `Section 5.2.` → `5.2`.
fn number_of(label: &str) -> String {
    let w = label.split_whitespace().last().unwrap_or_default();
    w.trim_end_matches(['.', ',', ';', ':']).to_string()
}

fn move_change(
    old: &Words,
    new: &Words,
    o: Range<usize>,
    n: Range<usize>,
    inner: Vec<(Range<usize>, Range<usize>)>,
    block: bool,
    (old_text, new_text): (String, String),
) -> Change {
    let edits = inner
        .iter()
        .map(|(a, c)| Edit {
            kind: match (a.is_empty(), c.is_empty()) {
                (true, _) => Kind::Insert,
                (_, true) => Kind::Delete,
                _ => Kind::Replace,
            },
            old: old.text(a.clone()),
            new: new.text(c.clone()),
        })
        .collect();
    Change {
        kind: Kind::Move,
        old: old_text,
        new: new_text,
        location: new.location(n.start),
        section: new.section(n.start),
        from: Some(old.location(o.start)),
        paragraph: new.unit_of(n.start).map_or(0, |u| u + 1),
        block,
        reference: false,
        edits,
        move_number: None,
        group: None,
        old_range: o,
        new_range: n,
        inner,
    }
}

/// Pair deleted and inserted runs of (nearly) the same words into moves, keeping the edits.
fn find_moves(changes: Vec<Change>, old: &Words, new: &Words, deadline: Instant) -> Vec<Change> {
    let inserts: Vec<usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.kind == Kind::Insert
                && c.new_range.len() >= MIN_MOVE_WORDS
                && new.units_of(&c.new_range).len() == 1
        })
        .map(|(i, _)| i)
        .collect();
    if inserts.is_empty() {
        return changes;
    }
    let mut exact: HashMap<Vec<u32>, Vec<usize>> = HashMap::new();
    for &i in inserts.iter().rev() {
        exact
            .entry(new.keys(&changes[i].new_range))
            .or_default()
            .push(i);
    }
    // The insertions in the order of the new document, for a window of nearby candidates.
    let mut by_place = inserts.clone();
    by_place.sort_by_key(|&i| changes[i].new_range.start);
    let mut taken = vec![false; changes.len()];
    let mut moved_into: Vec<Option<usize>> = vec![None; changes.len()]; // insertion -> deletion
    for (d, c) in changes.iter().enumerate() {
        // A block of several paragraphs (past the deadline) is never a move.
        if c.kind != Kind::Delete
            || c.old_range.len() < MIN_MOVE_WORDS
            || old.units_of(&c.old_range).len() != 1
        {
            continue;
        }
        let k = old.keys(&c.old_range);
        let mut found = exact.get_mut(&k).and_then(|v| {
            while let Some(i) = v.pop() {
                if !taken[i] {
                    return Some(i);
                }
            }
            None
        });
        if found.is_none() && Instant::now() < deadline {
            // A moved passage with small edits: the nearest few candidates, best match.
            let mut best: Option<(f32, usize)> = None;
            let at = by_place.partition_point(|&i| changes[i].new_range.start < c.new_range.start);
            let window = at.saturating_sub(MOVE_CANDIDATES / 2)
                ..(at + MOVE_CANDIDATES / 2).min(by_place.len());
            for i in by_place[window].iter().copied().filter(|&i| !taken[i]) {
                if Instant::now() >= deadline {
                    break;
                }
                let other = new.keys(&changes[i].new_range);
                if let Some(r) = likeness(&k, &other, deadline)
                    && r >= MOVE_LIKENESS
                    && best.is_none_or(|(b, _)| r > b)
                {
                    best = Some((r, i));
                }
            }
            found = best.map(|(_, i)| i);
        }
        if let Some(i) = found {
            taken[i] = true;
            moved_into[i] = Some(d);
        }
    }
    let mut moved_from = vec![false; changes.len()];
    for d in moved_into.iter().flatten() {
        moved_from[*d] = true;
    }
    // The deletions that moved, taken out (their old side goes into the move).
    let mut changes = changes;
    let mut sources: Vec<Option<(Range<usize>, bool, String)>> = vec![None; changes.len()];
    for (d, c) in changes.iter_mut().enumerate() {
        if moved_from[d] {
            sources[d] = Some((c.old_range.clone(), c.block, std::mem::take(&mut c.old)));
        }
    }
    let mut out = Vec::with_capacity(changes.len());
    for (i, c) in changes.into_iter().enumerate() {
        if moved_from[i] {
            continue;
        }
        match moved_into[i].and_then(|d| sources[d].take()) {
            Some((old_range, block, old_text)) => {
                let inner = inner_edits(
                    &old.keys(&old_range),
                    &new.keys(&c.new_range),
                    (old_range.start, c.new_range.start),
                    deadline,
                );
                out.push(move_change(
                    old,
                    new,
                    old_range,
                    c.new_range.clone(),
                    inner,
                    block && c.block,
                    (old_text, c.new),
                ));
            }
            None => out.push(c),
        }
    }
    out
}

/// Group the renames (one replacement in many places) and the renumbering.
fn group(changes: &mut [Change]) -> Vec<Group> {
    let mut groups = Vec::new();
    // A rename: the same replacement of a few words, with possessives and plurals folded.
    let fold = |s: &str| -> String {
        let s = s.trim_matches(|c: char| c.is_ascii_punctuation() && c != '\'');
        s.strip_suffix("'s").unwrap_or(s).to_string()
    };
    let mut renames: Vec<((String, String), Vec<usize>)> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if c.kind == Kind::Replace && !c.block && c.old_range.len() <= 4 && c.new_range.len() <= 4 {
            let key = (fold(&c.old), fold(&c.new));
            if key.0.is_empty() || key.1.is_empty() {
                continue;
            }
            let n = renames.len();
            let at = *index.entry(key.clone()).or_insert(n);
            if at == n {
                renames.push((key, Vec::new()));
            }
            renames[at].1.push(i);
        }
    }
    renames.retain(|(_, v)| v.len() >= RENAME_PLACES);
    renames.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    for ((old, new), members) in renames {
        let g = groups.len();
        for &i in &members {
            changes[i].group = Some(g);
        }
        groups.push(Group {
            kind: GroupKind::Rename,
            summary: format!("{old} \u{2192} {new}, {} places", members.len()),
            count: members.len(),
        });
    }
    for (kind, reference) in [(GroupKind::Renumber, false), (GroupKind::References, true)] {
        let members: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == Kind::Renumber && c.reference == reference)
            .map(|(i, _)| i)
            .collect();
        let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
            continue;
        };
        let g = groups.len();
        for &i in &members {
            changes[i].group = Some(g);
        }
        let span = |a: &str, b: &str| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}\u{2013}{b}")
            }
        };
        let (f, l) = (&changes[first], &changes[last]);
        let what = if reference {
            "cross-references updated"
        } else {
            "clauses renumbered"
        };
        let n = members.len();
        let what = if n == 1 {
            what.replacen("clauses", "clause", 1)
                .replacen("references", "reference", 1)
        } else {
            what.to_string()
        };
        groups.push(Group {
            kind,
            summary: format!(
                "{n} {what} {} \u{2192} {}",
                span(&number_of(&f.old), &number_of(&l.old)),
                span(&number_of(&f.new), &number_of(&l.new))
            ),
            count: n,
        });
    }
    groups
}

/// Every word of both documents is accounted for exactly once: kept, or in one change (a
/// move's old and new passage included).
fn check(cmp: &Comparison) -> Result<(), Inconsistent> {
    let (n_old, n_new) = (cmp.old.tokens.len(), cmp.new.tokens.len());
    let mut old_seen = vec![0u8; n_old];
    let mut new_seen = vec![0u8; n_new];
    for (i, k) in cmp.kept.iter().enumerate() {
        if let Some(j) = *k {
            let (Some(a), Some(b)) = (cmp.old.tokens.get(i), cmp.new.tokens.get(j)) else {
                return Err(Inconsistent(format!("kept word {i} → {j} out of range")));
            };
            if a.key != b.key {
                return Err(Inconsistent(format!("kept word {i} → {j} differs")));
            }
            old_seen[i] += 1;
            new_seen[j] += 1;
        }
    }
    for c in &cmp.changes {
        if c.old_range.end > n_old || c.new_range.end > n_new {
            return Err(Inconsistent(format!(
                "a {:?} change lies outside the documents ({:?} of {n_old}, {:?} of {n_new})",
                c.kind, c.old_range, c.new_range
            )));
        }
        for i in c.old_range.clone() {
            old_seen[i] += 1;
        }
        for j in c.new_range.clone() {
            new_seen[j] += 1;
        }
    }
    // Label words of paragraphs whose labels are equal are kept without a kept link.
    for (u, v) in cmp.unit_map.iter().enumerate() {
        let Some(v) = *v else { continue };
        let (ol, nl) = (
            cmp.old.units[u].label_range.clone(),
            cmp.new.units[v].label_range.clone(),
        );
        if !ol.is_empty()
            && cmp.old.keys(&ol) == cmp.new.keys(&nl)
            && old_seen[ol.clone()].iter().all(|&s| s == 0)
            && new_seen[nl.clone()].iter().all(|&s| s == 0)
        {
            old_seen[ol].iter_mut().for_each(|s| *s = 1);
            new_seen[nl].iter_mut().for_each(|s| *s = 1);
        }
    }
    if let Some(i) = old_seen.iter().position(|&s| s != 1) {
        return Err(Inconsistent(format!(
            "old word {i} ({:?}) is accounted for {} times",
            cmp.old.text(i..i + 1),
            old_seen[i]
        )));
    }
    if let Some(j) = new_seen.iter().position(|&s| s != 1) {
        return Err(Inconsistent(format!(
            "new word {j} ({:?}) is accounted for {} times",
            cmp.new.text(j..j + 1),
            new_seen[j]
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
