//! A comparison drawn on the new Document: deleted words put back where they were, struck;
//! inserted words marked; moved passages marked at the new place and struck at the old, both
//! ends labelled ("M1 moved from §1.18(b)"). A whole inserted, deleted or moved paragraph is its
//! own block, wrapped in a block-level change mark, so every renderer draws it as a paragraph.

use std::ops::Range;

use super::{Comparison, Kind, Part, Token, Words};
use crate::document::ascii;
use crate::document::{Block, Document, GroupKind, Mark, Paragraph, Run, Style};
use crate::document::{Shape, units_in, visit_units};

/// A marked passage: text and its mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The text (ASCII punctuation).
    pub text: String,
    /// Its mark, if any.
    pub mark: Option<Mark>,
}

/// The changed paragraphs of a redline as marked text, in document order, each paragraph
/// whole for context.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MarkedText {
    /// Paragraphs, each a list of pieces.
    pub paragraphs: Vec<Vec<Piece>>,
}

/// Where old words go back in the new document.
struct Placement {
    /// Inline: (old token, the new token it goes before, mark), sorted.
    inline: Vec<(usize, usize, Mark)>,
    /// Inline at the end of a paragraph: (old token, the new token it goes after, mark).
    after: Vec<(usize, usize, Mark)>,
    /// Whole old paragraphs: (old unit, the new unit it goes before, mark, note).
    blocks: Vec<(usize, usize, Mark, Option<String>)>,
    /// Notes before a new token: (new token, text).
    notes: Vec<(usize, String)>,
    /// Notes before an inline old passage: (old token, text).
    old_notes: Vec<(usize, String)>,
    /// New units drawn as a whole inserted or moved block.
    wrapped: Vec<Option<Mark>>,
}

fn place(cmp: &Comparison) -> (Vec<Option<Mark>>, Placement) {
    let (old, new) = (&cmp.old, &cmp.new);
    let n_new = new.tokens.len();
    // For every old position, the new token of the first kept old word at or after it.
    let mut next_kept = vec![n_new; old.tokens.len() + 1];
    for i in (0..old.tokens.len()).rev() {
        next_kept[i] = cmp.kept[i].unwrap_or(next_kept[i + 1]);
    }
    // For every old position, the new token of the last kept old word before it.
    let mut prev_kept: Vec<Option<usize>> = vec![None; old.tokens.len() + 1];
    for i in 0..old.tokens.len() {
        prev_kept[i + 1] = cmp.kept[i].or(prev_kept[i]);
    }
    let unit_before = |token: usize| new.tokens.get(token).map_or(new.units.len(), |t| t.unit);
    let mut marks: Vec<Option<Mark>> = vec![None; n_new];
    let mut p = Placement {
        inline: Vec::new(),
        after: Vec::new(),
        blocks: Vec::new(),
        notes: Vec::new(),
        old_notes: Vec::new(),
        wrapped: vec![None; new.units.len()],
    };
    let is_block = |w: &Words, r: &Range<usize>| {
        w.tokens
            .get(r.start)
            .is_some_and(|t| w.units[t.unit].shape != Shape::Cell)
    };
    for c in &cmp.changes {
        match c.kind {
            Kind::Insert | Kind::Replace | Kind::Renumber | Kind::Delete => {
                for i in c.new_range.clone() {
                    marks[i] = Some(Mark::Insert);
                }
                // A block change is one paragraph, or past the deadline several in a row.
                if c.kind == Kind::Insert && c.block && is_block(new, &c.new_range) {
                    for u in new.units_of(&c.new_range) {
                        let unit = &new.units[u];
                        if unit.label_range.start < unit.body.end {
                            p.wrapped[u] = Some(Mark::Insert);
                        }
                    }
                }
                if c.kind == Kind::Delete && c.block && is_block(old, &c.old_range) {
                    for u in old.units_of(&c.old_range) {
                        let unit = &old.units[u];
                        if unit.label_range.start < unit.body.end {
                            let at = unit_before(next_kept[unit.body.end]);
                            p.blocks.push((u, at, Mark::Delete, None));
                        }
                    }
                } else if c.kind == Kind::Delete
                    && let Some(after) = tail_of_unit(old, &c.old_range)
                        .then(|| prev_kept[c.old_range.start])
                        .flatten()
                {
                    // The end of a paragraph deleted: it stays at the end of that paragraph.
                    p.after
                        .extend(c.old_range.clone().map(|i| (i, after, Mark::Delete)));
                } else {
                    let at = c.new_range.start.min(n_new);
                    p.inline
                        .extend(c.old_range.clone().map(|i| (i, at, Mark::Delete)));
                }
            }
            Kind::Move => {
                let m = c.move_number.unwrap_or(0);
                for i in c.new_range.clone() {
                    marks[i] = Some(Mark::Move);
                }
                for (o, n) in &c.inner {
                    for i in n.clone() {
                        marks[i] = Some(Mark::Insert);
                    }
                    p.inline
                        .extend(o.clone().map(|i| (i, n.start, Mark::DeleteInMove)));
                }
                let to = c.section.clone().map_or_else(
                    || format!("paragraph {}", c.paragraph),
                    |s| format!("\u{a7}{s}"),
                );
                let from = old
                    .section(c.old_range.start)
                    .map(|s| format!("\u{a7}{s}"))
                    .unwrap_or_else(|| {
                        format!(
                            "old paragraph {}",
                            old.unit_of(c.old_range.start).map_or(0, |u| u + 1)
                        )
                    });
                p.notes
                    .push((c.new_range.start, format!("[M{m} moved from {from}]")));
                let note = format!("[M{m} moved to {to}]");
                if c.block && is_block(old, &c.old_range) && is_block(new, &c.new_range) {
                    let u = old.tokens[c.old_range.start].unit;
                    let at = unit_before(next_kept[old.units[u].body.end]);
                    p.blocks.push((u, at, Mark::MovedFrom, Some(note)));
                    p.wrapped[new.tokens[c.new_range.start].unit] = Some(Mark::Move);
                } else {
                    let at = next_kept[c.old_range.end];
                    p.old_notes.push((c.old_range.start, note));
                    p.inline
                        .extend(c.old_range.clone().map(|i| (i, at, Mark::MovedFrom)));
                }
            }
        }
    }
    // Deleted words keep their old order: one that came earlier in the old document is never
    // put after one that came later (a deleted label and the deleted words of its paragraph,
    // compared apart, can point at different places), so that rejecting every change gives
    // the old words in order.
    // Never before the place of the last kept word before it, though.
    p.inline.sort_by_key(|x| x.0);
    let mut earliest = n_new;
    for x in p.inline.iter_mut().rev() {
        let floor = prev_kept[x.0].map_or(0, |k| k + 1);
        earliest = earliest.min(x.1).max(floor.min(x.1));
        x.1 = earliest;
    }
    in_old_order(cmp, &marks, &mut p);
    p.inline.sort_by_key(|x| (x.1, x.0));
    p.after.sort_by_key(|x| (x.1, x.0));
    p.blocks.sort_by_key(|x| (x.1, x.0));
    p.notes.sort();
    p.old_notes.sort();
    (marks, p)
}

/// Where an old word lands in the redline, as a key that sorts in the marked document's
/// reading order: (new token, slot, old token). Slots: 0 a whole old paragraph put before the
/// paragraph of that token, 1 an old word put before the token inside its paragraph, 2 the
/// token itself (a kept word), 3 an old word put after it, 4 old paragraphs after the last
/// paragraph.
type Key = (usize, u8, usize);

/// Where an old word goes.
#[derive(Clone, Copy, PartialEq)]
enum Spot {
    Kept(usize),
    Inline(usize),
    After(usize),
    /// Whole, with the paragraph of its placement (an index into `Placement::blocks`).
    Block(usize),
    /// Not in the old document's words once every change is rejected (a word deleted inside a
    /// moved passage: the passage is back where it was, whole).
    None,
}

/// Put every old word where rejecting every change gives the old words in their order: walk
/// the old words and move each deleted or moved-away word (or whole paragraph) that lands
/// after the next kept word, or before the last, or before an earlier deleted word, to the
/// nearest place that keeps the order. A whole paragraph stays whole when a paragraph break
/// lies between its bounds, and goes inline otherwise.
fn in_old_order(cmp: &Comparison, marks: &[Option<Mark>], p: &mut Placement) {
    let (old, new) = (&cmp.old, &cmp.new);
    let (n_old, n_new) = (old.tokens.len(), new.tokens.len());
    let units = new.units.len();
    // A block placed before unit `u` is drawn before it, except inside a table: there it
    // goes after the table (before the first unit that is not one of its cells).
    let mut after_table = (0..=units).collect::<Vec<usize>>();
    for u in (0..units).rev() {
        if new.units[u].shape == Shape::Cell {
            let next = u + 1 < units && new.units[u + 1].shape == Shape::Cell;
            after_table[u] = if next { after_table[u + 1] } else { u + 1 };
        }
    }
    let table_start = |u: usize| {
        let mut s = u;
        while s > 0 && new.units[s].shape == Shape::Cell && new.units[s - 1].shape == Shape::Cell {
            s -= 1;
        }
        s
    };
    let drawn_before = |u: usize| -> usize {
        if u >= units {
            return units;
        }
        let first_cell =
            new.units[u].shape == Shape::Cell && (u == 0 || new.units[u - 1].shape != Shape::Cell);
        if new.units[u].shape == Shape::Cell && !first_cell {
            after_table[u]
        } else {
            u
        }
    };
    let block_key = |u: usize, first_old: usize| -> Key {
        let e = drawn_before(u);
        match new.units.get(e) {
            Some(unit) => (unit.label_range.start, 0, first_old),
            None => (n_new, 4, first_old),
        }
    };
    let mut spot = vec![Spot::None; n_old];
    for (i, k) in cmp.kept.iter().enumerate() {
        if let Some(k) = *k {
            spot[i] = Spot::Kept(k);
        }
    }
    for &(i, at, mark) in &p.inline {
        if mark != Mark::DeleteInMove {
            spot[i] = Spot::Inline(at);
        }
    }
    for &(i, at, _) in &p.after {
        spot[i] = Spot::After(at);
    }
    for (b, &(u, _, _, _)) in p.blocks.iter().enumerate() {
        let unit = &old.units[u];
        for s in &mut spot[unit.label_range.start..unit.body.end] {
            *s = Spot::Block(b);
        }
    }
    // A label compared equal with its new paragraph's is kept without a word of `kept`: pair
    // it with that label here (the new paragraph is where the old one's first kept word is).
    for unit in &old.units {
        let label = unit.label_range.clone();
        if label.is_empty() || spot[label.clone()].iter().any(|s| *s != Spot::None) {
            continue;
        }
        let Some(v) = (label.start..unit.body.end)
            .find_map(|i| cmp.kept[i])
            .map(|j| new.tokens[j].unit)
        else {
            continue;
        };
        let theirs = new.units[v].label_range.clone();
        if old.keys(&label) == new.keys(&theirs) && theirs.clone().all(|j| marks[j].is_none()) {
            for (i, j) in label.zip(theirs) {
                spot[i] = Spot::Kept(j);
            }
        }
    }
    let block_at: Vec<usize> = p.blocks.iter().map(|b| b.1).collect();
    let block_first: Vec<usize> = p
        .blocks
        .iter()
        .map(|b| old.units[b.0].label_range.start)
        .collect();
    let key = |s: Spot, i: usize, block_at: &[usize]| -> Option<Key> {
        match s {
            Spot::Kept(k) => Some((k, 2, i)),
            // With no new paragraph, inline words come last, in a paragraph of their own.
            Spot::Inline(_) if units == 0 => Some((n_new, 5, i)),
            Spot::Inline(at) => Some((at.min(n_new), 1, i)),
            Spot::After(at) => Some((at, 3, i)),
            Spot::Block(b) => Some(block_key(block_at[b], block_first[b])),
            Spot::None => None,
        }
    };
    let unit_of = |t: usize| new.tokens.get(t).map_or(units, |x| x.unit);
    let mut block_at = block_at;
    let mut inline_blocks: Vec<bool> = vec![false; p.blocks.len()];
    // Backward: nothing lands after what follows it.
    let mut bound: Option<Key> = None;
    let mut i = n_old;
    while i > 0 {
        i -= 1;
        let Some(k) = key(spot[i], i, &block_at) else {
            continue;
        };
        let first = match spot[i] {
            Spot::Block(b) => block_first[b],
            _ => i,
        };
        if let (Some(b), false) = (bound, matches!(spot[i], Spot::Kept(_))) {
            if k > b {
                match spot[i] {
                    Spot::Block(x) => {
                        // Before the paragraph that holds what follows.
                        let u = match b.1 {
                            0 | 4 => block_at[x].min(unit_of(b.0)),
                            _ => unit_of(b.0),
                        };
                        let u = if u < units && new.units[u].shape == Shape::Cell {
                            table_start(u)
                        } else {
                            u
                        };
                        block_at[x] = u;
                        if block_key(u, block_first[x]) > b {
                            inline_blocks[x] = true;
                        }
                    }
                    _ => {
                        // Before what follows; at the end of the paragraph before when that
                        // is the start of a paragraph (not inside its label).
                        let starts = new
                            .tokens
                            .get(b.0)
                            .is_some_and(|t| new.units[t.unit].label_range.start == b.0);
                        spot[i] = match b.1 {
                            _ if b.0 > 0 && (b.1 == 0 || starts) => Spot::After(b.0 - 1),
                            _ => Spot::Inline(b.0),
                        };
                    }
                }
            }
        }
        if let Some(k) = key(spot[i], i, &block_at) {
            bound = Some(bound.map_or(k, |b| b.min(k)));
        }
        i = first;
    }
    // Blocks that cannot stay whole go inline where the walk forward puts them.
    for (x, &inl) in inline_blocks.iter().enumerate() {
        if inl {
            let unit = &old.units[p.blocks[x].0];
            let at = new
                .units
                .get(block_at[x])
                .map_or(n_new, |u| u.label_range.start);
            for s in &mut spot[unit.label_range.start..unit.body.end] {
                *s = Spot::Inline(at);
            }
        }
    }
    // What the walk back settled: the least key from each old word on.
    let mut least: Vec<Option<Key>> = vec![None; n_old + 1];
    for i in (0..n_old).rev() {
        least[i] = match (key(spot[i], i, &block_at), least[i + 1]) {
            (Some(k), Some(l)) => Some(k.min(l)),
            (k, l) => k.or(l),
        };
    }
    // Forward: nothing lands before what precedes it.
    let mut last: Option<Key> = None;
    let mut i = 0;
    while i < n_old {
        let Some(k) = key(spot[i], i, &block_at) else {
            i += 1;
            continue;
        };
        let end = match spot[i] {
            Spot::Block(b) => {
                let unit = &old.units[p.blocks[b].0];
                unit.body.end
            }
            _ => i + 1,
        };
        if let (Some(l), false) = (last, matches!(spot[i], Spot::Kept(_)))
            && k < l
        {
            let raised = |l: Key| match l.1 {
                2 | 3 => Spot::After(l.0),
                _ => Spot::Inline(l.0),
            };
            match spot[i] {
                Spot::Block(x) => {
                    // Before the next paragraph, if nothing kept comes first; else inline.
                    let u = match l.1 {
                        0 => block_at[x].max(unit_of(l.0)),
                        _ => unit_of(l.0) + 1,
                    };
                    // Before what follows it too (as the walk back left it).
                    let fits = block_key(u, block_first[x]) > l
                        && least[end].is_none_or(|n| block_key(u, block_first[x]) < n);
                    if fits {
                        block_at[x] = u;
                    } else {
                        inline_blocks[x] = true;
                        let s = raised(l);
                        for v in &mut spot[i..end] {
                            *v = s;
                        }
                    }
                }
                _ => spot[i] = raised(l),
            }
        }
        if let Some(k) = key(spot[i], i, &block_at) {
            last = Some(last.map_or(k, |l| l.max(k)));
        }
        i = end;
    }
    // Write the spots back.
    let mut marks: Vec<Option<Mark>> = vec![None; n_old];
    for x in p.inline.iter().chain(&p.after) {
        if x.2 != Mark::DeleteInMove {
            marks[x.0] = Some(x.2);
        }
    }
    let in_move: Vec<(usize, usize, Mark)> = p
        .inline
        .iter()
        .copied()
        .filter(|x| x.2 == Mark::DeleteInMove)
        .collect();
    let mut inline = in_move;
    let mut after = Vec::new();
    let mut blocks = Vec::new();
    for (x, b) in p.blocks.iter().enumerate() {
        if inline_blocks[x] {
            let unit = &old.units[b.0];
            if let Some(note) = &b.3 {
                p.old_notes.push((unit.label_range.start, note.clone()));
            }
        } else {
            blocks.push((b.0, block_at[x], b.2, b.3.clone()));
        }
    }
    let block_mark: Vec<Mark> = p.blocks.iter().map(|b| b.2).collect();
    let mut block_of = vec![None; n_old];
    for (x, b) in p.blocks.iter().enumerate() {
        let unit = &old.units[b.0];
        for v in &mut block_of[unit.label_range.start..unit.body.end] {
            *v = Some(x);
        }
    }
    for (i, s) in spot.iter().enumerate() {
        let mark = || {
            marks[i]
                .or_else(|| block_of[i].map(|x| block_mark[x]))
                .unwrap_or(Mark::Delete)
        };
        match *s {
            Spot::Inline(at) => inline.push((i, at, mark())),
            Spot::After(at) => after.push((i, at, mark())),
            _ => {}
        }
    }
    p.inline = inline;
    p.after = after;
    p.blocks = blocks;
}

/// Runs of one unit being rebuilt: label and body, with the separator logic of the source.
#[derive(Default)]
struct Rebuilt {
    label: Vec<Run>,
    runs: Vec<Run>,
    first_label: bool,
    first_runs: bool,
}

impl Rebuilt {
    fn new() -> Self {
        Rebuilt {
            first_label: true,
            first_runs: true,
            ..Rebuilt::default()
        }
    }

    fn push(
        &mut self,
        label: bool,
        (w, t): (&Words, &Token),
        mark: Option<Mark>,
        sep: (bool, bool),
    ) {
        let (runs, first) = if label {
            (&mut self.label, &mut self.first_label)
        } else {
            (&mut self.runs, &mut self.first_runs)
        };
        push_token(runs, (w, t), mark, sep, first);
    }

    /// A word with the space before it, both in its style (a deleted word's own space).
    fn push_spaced(&mut self, label: bool, text: &str, style: Style) {
        let (runs, first) = if label {
            (&mut self.label, &mut self.first_label)
        } else {
            (&mut self.runs, &mut self.first_runs)
        };
        *first = false;
        push_text(runs, &format!(" {text}"), style);
    }

    fn note(&mut self, text: &str) {
        let first = std::mem::replace(&mut self.first_runs, false);
        if !first {
            push_text(&mut self.runs, " ", Style::default());
        }
        push_text(&mut self.runs, text, note_style());
        push_text(&mut self.runs, " ", Style::default());
    }
}

/// Whether an old range is the tail of its paragraph's body (and not the whole of it).
fn tail_of_unit(old: &Words, r: &Range<usize>) -> bool {
    old.tokens.get(r.start).is_some_and(|t| {
        let body = &old.units[t.unit].body;
        r.end == body.end && r.start > body.start
    })
}

fn note_style() -> Style {
    Style {
        italic: true,
        mark: Some(Mark::Note),
        ..Style::default()
    }
}

/// The new document with the changes marked.
pub fn redline(new: &Document, cmp: &Comparison) -> Document {
    redline_with_anchors(new, cmp).document
}

/// A redline's marked Document and where things landed in it, as the 1-based numbers of its
/// paragraph-like units (what the HTML renderer's `#pN` anchors count).
#[derive(Debug, Clone)]
pub struct Marked {
    /// The new document with the changes marked.
    pub document: Document,
    /// For every change, the unit it is in, and for a move the one where it was.
    pub anchors: Vec<(usize, usize)>,
    /// For every unit of the new document, in reading order, the unit it became.
    pub units: Vec<usize>,
}

/// The new document with the changes marked, with the places of the changes and of the new
/// document's units in it (see [`Marked`]).
pub fn redline_with_anchors(new: &Document, cmp: &Comparison) -> Marked {
    let (marks, placed) = place(cmp);
    let n = cmp.new.tokens.len();
    let mut doc = new.clone();
    let mut inline = placed.inline.iter().peekable();
    let mut after = placed.after.iter().peekable();
    let mut notes = placed.notes.iter().peekable();
    let mut old_notes = placed.old_notes.iter().peekable();
    let mut index = 0usize;
    let mut unit = 0usize;
    let units = cmp.new.units.len();
    let tokens = &cmp.new.tokens;
    super::visit_units_mut(&mut doc.blocks, &mut |label, runs| {
        // A paragraph with nothing marked and nothing put back stays as it is.
        let end = cmp
            .new
            .units
            .get(unit)
            .map_or(index, |u| u.body.end.max(index));
        let untouched = unit + 1 < units
            && marks[index..end].iter().all(Option::is_none)
            && inline.peek().is_none_or(|x| x.1 >= end)
            && after.peek().is_none_or(|x| x.1 >= end)
            && notes.peek().is_none_or(|x| x.0 >= end)
            && cmp.new.tokens[index..end].iter().all(|t| t.unit == unit);
        if untouched {
            index = end;
            unit += 1;
            return;
        }
        let mut out = Rebuilt::new();
        while index < n && tokens[index].unit == unit {
            let t = &tokens[index];
            let in_label = t.part == Part::Label;
            // Deleted words take the place (and the line break or space) of the word they
            // stand before; that word then follows them after a space (none if it was glued on,
            // and they kept their own).
            let mut k = 0;
            let mut glued = false;
            while let Some(&&(old, at, mark)) = inline.peek() {
                if at != index {
                    break;
                }
                inline.next();
                while let Some((_, text)) = old_notes.next_if(|(o, _)| *o == old) {
                    out.note(text);
                }
                let o = &cmp.old.tokens[old];
                let sep = if k == 0 {
                    (t.break_before, t.space_before)
                } else {
                    old_sep(cmp, old)
                };
                match cmp.old.word(o) {
                    // The new word it stands before is glued on ("(No.___)"), the old word
                    // was not ("(No. 12)"): its space is deleted with it.
                    Some((text, style))
                        if k == 0 && !sep.0 && !sep.1 && old_sep(cmp, old).1 && !out.first_runs =>
                    {
                        glued = true;
                        out.push_spaced(
                            in_label,
                            text,
                            Style {
                                mark: Some(mark),
                                ..style
                            },
                        );
                    }
                    _ => out.push(in_label, (&cmp.old, o), Some(mark), sep),
                }
                k += 1;
            }
            while let Some((_, text)) = notes.next_if(|(i, _)| *i == index) {
                out.note(text);
                glued = false;
                k += 1;
            }
            let sep = if k == 0 {
                (t.break_before, t.space_before)
            } else if glued {
                (false, false)
            } else {
                (false, true)
            };
            out.push(in_label, (&cmp.new, t), marks[index], sep);
            while let Some(&&(old, _, mark)) = after.peek().filter(|a| a.1 == index) {
                after.next();
                while let Some((_, text)) = old_notes.next_if(|(o, _)| *o == old) {
                    out.note(text);
                }
                let o = &cmp.old.tokens[old];
                out.push(in_label, (&cmp.old, o), Some(mark), old_sep(cmp, old));
            }
            index += 1;
        }
        // Deletions after the last word of the document.
        if unit + 1 == units {
            for &(old, _, mark) in inline.by_ref() {
                while let Some((_, text)) = old_notes.next_if(|(o, _)| *o == old) {
                    out.note(text);
                }
                let o = &cmp.old.tokens[old];
                out.push(false, (&cmp.old, o), Some(mark), old_sep(cmp, old));
            }
        }
        if !out.first_label || !out.first_runs {
            *label = tidy_spaces(out.label);
            *runs = tidy_spaces(out.runs);
        }
        unit += 1;
    });
    // An empty new document: the deletions still show.
    let mut tail = Vec::new();
    if units == 0 {
        let mut out = Rebuilt::new();
        for &(old, _, mark) in inline {
            while let Some((_, text)) = old_notes.next_if(|(o, _)| *o == old) {
                out.note(text);
            }
            let o = &cmp.old.tokens[old];
            out.push(false, (&cmp.old, o), Some(mark), old_sep(cmp, old));
        }
        if !out.first_runs {
            tail.push(wrap(
                Mark::Delete,
                Block::Paragraph(Paragraph {
                    runs: tidy_spaces(out.runs),
                    ..Paragraph::default()
                }),
            ));
        }
    }
    // Whole paragraphs: deleted and moved-away ones as their own blocks, inserted and moved
    // ones wrapped in their block-level mark.
    let mut rb = Rebuild {
        cmp,
        unit: 0,
        blocks: placed.blocks,
        next: 0,
        wrapped: placed.wrapped,
        count: 0,
        new_anchor: vec![0; units],
        old_anchor: vec![0; cmp.old.units.len()],
    };
    let mut blocks = rb.list(doc.blocks);
    let rest = rb.blocks.len();
    rb.flush(usize::MAX, true, &mut blocks);
    debug_assert_eq!(rb.next, rest);
    if !tail.is_empty() {
        rb.count += 1;
        blocks.extend(tail);
    }
    let n_new = cmp.new.tokens.len();
    let mut next_kept = vec![n_new; cmp.old.tokens.len() + 1];
    for i in (0..cmp.old.tokens.len()).rev() {
        next_kept[i] = cmp.kept[i].unwrap_or(next_kept[i + 1]);
    }
    let of_new = |token: usize| {
        cmp.new
            .unit_of(token)
            .and_then(|v| rb.new_anchor.get(v).copied())
            .unwrap_or(rb.count.max(1))
    };
    let anchors = cmp
        .changes
        .iter()
        .map(|c| {
            let old_unit = cmp.old.tokens.get(c.old_range.start).map(|t| t.unit);
            let placed_whole = old_unit.filter(|&u| rb.old_anchor[u] > 0);
            let here = match placed_whole {
                Some(u) if c.new_range.is_empty() => rb.old_anchor[u],
                _ => of_new(c.new_range.start),
            };
            // A move's old place: its own block, or the paragraph its struck words went to.
            let there = match (c.kind, placed_whole) {
                (Kind::Move, Some(u)) => rb.old_anchor[u],
                (Kind::Move, None) => of_new(next_kept[c.old_range.end.min(next_kept.len() - 1)]),
                _ => here,
            };
            (here, there)
        })
        .collect();
    Marked {
        document: Document { blocks },
        anchors,
        units: rb.new_anchor,
    }
}

fn wrap(mark: Mark, block: Block) -> Block {
    Block::Group {
        kind: GroupKind::Change(mark),
        blocks: vec![block],
    }
}

struct Rebuild<'a> {
    cmp: &'a Comparison,
    /// The next new unit.
    unit: usize,
    blocks: Vec<(usize, usize, Mark, Option<String>)>,
    /// The next whole old paragraph to place.
    next: usize,
    wrapped: Vec<Option<Mark>>,
    /// Units of the marked document so far.
    count: usize,
    /// The marked unit number of every new unit and of every old unit placed whole.
    new_anchor: Vec<usize>,
    old_anchor: Vec<usize>,
}

impl Rebuild<'_> {
    fn list(&mut self, blocks: Vec<Block>) -> Vec<Block> {
        let mut out = Vec::with_capacity(blocks.len());
        for b in blocks {
            let count = units_in(&b);
            if count > 0 {
                self.flush(self.unit, false, &mut out);
            }
            let b = match b {
                Block::Quote(inner) => Block::Quote(self.list(inner)),
                Block::Group { kind, blocks } => Block::Group {
                    kind,
                    blocks: self.list(blocks),
                },
                Block::Signatures(cols) => {
                    Block::Signatures(cols.into_iter().map(|c| self.list(c)).collect())
                }
                b @ (Block::Heading { .. } | Block::Paragraph(_)) => {
                    let mark = self.wrapped.get(self.unit).copied().flatten();
                    self.count += 1;
                    if let Some(a) = self.new_anchor.get_mut(self.unit) {
                        *a = self.count;
                    }
                    self.unit += 1;
                    match mark {
                        Some(m) => wrap(m, b),
                        None => b,
                    }
                }
                other => {
                    for _ in 0..count {
                        self.count += 1;
                        if let Some(a) = self.new_anchor.get_mut(self.unit) {
                            *a = self.count;
                        }
                        self.unit += 1;
                    }
                    other
                }
            };
            out.push(b);
            // Old paragraphs that belonged inside a table: after it.
            self.flush(self.unit, true, &mut out);
        }
        out
    }

    /// Place the old paragraphs that go before new unit `upto` (`strict`: before an earlier one).
    fn flush(&mut self, upto: usize, strict: bool, out: &mut Vec<Block>) {
        while let Some(&(_, at, _, _)) = self.blocks.get(self.next) {
            if at < upto || (!strict && at == upto) {
                out.push(self.old_block(self.next));
                self.count += 1;
                let u = self.blocks[self.next].0;
                self.old_anchor[u] = self.count;
                self.next += 1;
            } else {
                break;
            }
        }
    }

    fn old_block(&self, i: usize) -> Block {
        let (u, _, mark, ref note) = self.blocks[i];
        let old = &self.cmp.old;
        let unit = &old.units[u];
        let mut out = Rebuilt::new();
        if let Some(note) = note {
            out.note(note);
        }
        for t in &old.tokens[unit.label_range.start..unit.body.end] {
            let sep = (t.break_before, t.space_before);
            out.push(t.part == Part::Label, (old, t), Some(mark), sep);
        }
        let (label, runs) = (tidy_spaces(out.label), tidy_spaces(out.runs));
        let block = match unit.shape {
            Shape::Heading { level, align } => {
                let mut all = label;
                if !all.is_empty() && !runs.is_empty() {
                    all.push(Run::text(" "));
                }
                all.extend(runs);
                Block::Heading {
                    level,
                    align,
                    runs: all,
                }
            }
            Shape::Paragraph(style) => Block::Paragraph(Paragraph { style, label, runs }),
            Shape::Cell => Block::Paragraph(Paragraph {
                label,
                runs,
                ..Paragraph::default()
            }),
        };
        wrap(mark, block)
    }
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
        }
    }
    out
}

/// The separator before an old word placed among new ones: its own, but a space at least when
/// it opens its old paragraph (two paragraphs' words are never glued together).
fn old_sep(cmp: &Comparison, old: usize) -> (bool, bool) {
    let o = &cmp.old.tokens[old];
    let unit = &cmp.old.units[o.unit];
    let opens = old == unit.label_range.start.min(unit.body.start);
    (o.break_before, o.space_before || opens)
}

/// Append a word with the separator given as (line break before, space before).
fn push_token(
    runs: &mut Vec<Run>,
    (w, t): (&Words, &Token),
    mark: Option<Mark>,
    (break_before, space_before): (bool, bool),
    first: &mut bool,
) {
    let after_space = matches!(runs.last(), Some(Run::Text { text, .. }) if text.ends_with(' '));
    if !*first {
        if break_before {
            runs.push(Run::Break);
        } else if space_before && !after_space {
            push_text(runs, " ", Style::default());
        }
    }
    *first = false;
    match w.word(t) {
        Some((text, style)) => push_text(runs, text, Style { mark, ..style }),
        None => runs.push(w.run(t)),
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

/// The changed paragraphs of a marked document (from [`redline`]) as marked text, each whole.
pub fn marked_paragraphs(marked: &Document) -> MarkedText {
    let mut out = MarkedText::default();
    let marked_run = |r: &Run| matches!(r, Run::Text { style, .. } if style.mark.is_some());
    visit_units(&marked.blocks, &mut |_, label, runs| {
        if !label.iter().chain(runs).any(marked_run) {
            return;
        }
        let mut pieces: Vec<Piece> = Vec::new();
        fn add(pieces: &mut Vec<Piece>, text: String, mark: Option<Mark>) {
            match pieces.last_mut() {
                Some(p) if p.mark == mark => p.text.push_str(&text),
                _ => pieces.push(Piece { text, mark }),
            }
        }
        for (i, r) in label.iter().chain(runs).enumerate() {
            if i == label.len() && !label.is_empty() {
                add(&mut pieces, " ".into(), None);
            }
            match r {
                Run::Text { text, style } => {
                    // A space between two marked words of one kind stays inside the mark.
                    if text.trim().is_empty() {
                        let mark = pieces.last().and_then(|p| p.mark);
                        add(&mut pieces, " ".into(), mark);
                    } else {
                        add(&mut pieces, ascii(text), style.mark);
                    }
                }
                Run::Break => {
                    let mark = pieces.last().and_then(|p| p.mark);
                    add(&mut pieces, " ".into(), mark)
                }
                other => add(
                    &mut pieces,
                    crate::document::runs_text(std::slice::from_ref(other)),
                    None,
                ),
            }
        }
        if pieces.iter().any(|p| p.mark.is_some()) {
            // Spaces at a mark's edges belong outside it.
            let mut tidy: Vec<Piece> = Vec::with_capacity(pieces.len());
            for mut p in pieces {
                if p.mark.is_some() {
                    let lead = p.text.len() - p.text.trim_start().len();
                    let trail = p.text.len() - p.text.trim_end().len();
                    if lead > 0 {
                        tidy.push(Piece {
                            text: " ".into(),
                            mark: None,
                        });
                    }
                    let core = p.text.trim().to_string();
                    if !core.is_empty() {
                        tidy.push(Piece {
                            text: core,
                            mark: p.mark,
                        });
                    }
                    if trail > 0 {
                        tidy.push(Piece {
                            text: " ".into(),
                            mark: None,
                        });
                    }
                } else {
                    p.text = collapse(&p.text);
                    tidy.push(p);
                }
            }
            // Collapse doubled spaces between pieces and trim the ends.
            let mut merged: Vec<Piece> = Vec::new();
            for p in tidy {
                match merged.last_mut() {
                    Some(last) if last.mark.is_none() && p.mark.is_none() => {
                        // Both are collapsed already: only where they meet can spaces double.
                        let text = if last.text.ends_with(' ') {
                            p.text.trim_start_matches(' ')
                        } else {
                            &p.text
                        };
                        last.text.push_str(text);
                    }
                    _ => merged.push(p),
                }
            }
            if let Some(f) = merged.first_mut()
                && f.mark.is_none()
            {
                f.text = f.text.trim_start().to_string();
            }
            if let Some(l) = merged.last_mut()
                && l.mark.is_none()
            {
                l.text = l.text.trim_end().to_string();
            }
            merged.retain(|p| !p.text.is_empty());
            out.paragraphs.push(merged);
        }
    });
    out
}

fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

impl MarkedText {
    /// Plain-text markup: `[-deleted-]`, `{+inserted+}`, `[>moved away<]`, `{>moved here<}`,
    /// `<<notes>>`; paragraphs separated by a blank line.
    pub fn to_markup(&self) -> String {
        self.paint(&|mark, text| {
            let (open, close) = match mark {
                Mark::Delete | Mark::DeleteInMove => ("[-", "-]"),
                Mark::Insert => ("{+", "+}"),
                Mark::MovedFrom => ("[>", "<]"),
                Mark::Move => ("{>", "<}"),
                Mark::Note => ("<<", ">>"),
            };
            let text = if mark == Mark::Note {
                text.trim_start_matches('[').trim_end_matches(']')
            } else {
                text
            };
            format!("{open}{text}{close}")
        })
    }

    /// The same with each mark drawn by `paint(mark, text)`.
    pub fn paint(&self, paint: &dyn Fn(Mark, &str) -> String) -> String {
        let mut out = String::new();
        for p in &self.paragraphs {
            for piece in p {
                match piece.mark {
                    Some(m) => out.push_str(&paint(m, &piece.text)),
                    None => out.push_str(&piece.text),
                }
            }
            out.push_str("\n\n");
        }
        out
    }
}

/// Plain-text markup of the changed paragraphs of a comparison, whole for context.
pub fn markup(cmp: &Comparison) -> String {
    // One paragraph per unit of the new document, rebuilt from its words, then marked.
    let mut blocks: Vec<Block> = Vec::with_capacity(cmp.new.units.len());
    let mut label = Vec::new();
    let mut runs = Vec::new();
    let mut first = (true, true);
    let mut current = 0;
    let flush = |label: &mut Vec<Run>, runs: &mut Vec<Run>, blocks: &mut Vec<Block>| {
        blocks.push(Block::Paragraph(Paragraph {
            label: std::mem::take(label),
            runs: std::mem::take(runs),
            ..Paragraph::default()
        }));
    };
    for t in &cmp.new.tokens {
        while current < t.unit {
            flush(&mut label, &mut runs, &mut blocks);
            first = (true, true);
            current += 1;
        }
        let sep = (t.break_before, t.space_before);
        if t.part == Part::Label {
            push_token(&mut label, (&cmp.new, t), None, sep, &mut first.0);
        } else {
            push_token(&mut runs, (&cmp.new, t), None, sep, &mut first.1);
        }
    }
    while current < cmp.new.units.len() {
        flush(&mut label, &mut runs, &mut blocks);
        current += 1;
    }
    let marked = redline(&Document { blocks }, cmp);
    marked_paragraphs(&marked).to_markup()
}
