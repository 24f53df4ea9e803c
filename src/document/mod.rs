//! The Document model: what every renderer, the layout and the diff work on.
//!
//! A [`Document`] is a list of [`Block`]s (headings, paragraphs with an optional clause label,
//! quotes, tables, side-by-side signature blocks, keep-together groups, page breaks) holding
//! inline [`Run`]s (styled text, fill-in fields, signature lines, hard line breaks). Nothing here
//! knows Tera, TOML or any output format; [`djot`] builds a Document from Djot source.

pub mod djot;
pub mod plain;

/// A whole document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// The blocks, in order.
    pub blocks: Vec<Block>,
}

/// Horizontal alignment of a block's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    /// Flush left (justified in the PDF).
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
}

/// How a paragraph is indented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Indent {
    /// No indentation.
    #[default]
    None,
    /// The first line is indented (body paragraphs).
    FirstLine,
    /// The first line is indented and later lines hang at the text after the label.
    Hanging,
}

/// The layout of a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParaStyle {
    /// Alignment.
    pub align: Align,
    /// Indentation.
    pub indent: Indent,
    /// Left indentation of the whole paragraph, in steps (one step is half an inch in print).
    pub level: u8,
}

/// A paragraph: optional label (`1.`, `(a)`, `Section 2.`) and text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paragraph {
    /// Layout.
    pub style: ParaStyle,
    /// The clause label, kept apart so it can hang.
    pub label: Vec<Run>,
    /// The text.
    pub runs: Vec<Run>,
}

/// A table row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// Whether this is a heading row.
    pub head: bool,
    /// The cells' contents.
    pub cells: Vec<Vec<Run>>,
}

/// What a group of blocks is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// Keep the blocks on one page.
    Keep,
    /// An exhibit or attachment: starts a new page.
    Exhibit,
    /// Any other grouping (a class the layout does not treat specially).
    Plain,
    /// A whole block inserted, deleted, moved here or moved away, in a redline: renderers draw
    /// it as its own block with the mark (its runs carry the mark too).
    Change(Mark),
}

/// A block of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading (level 1 is a title).
    Heading {
        /// 1 to 6.
        level: u8,
        /// Alignment.
        align: Align,
        /// The text.
        runs: Vec<Run>,
    },
    /// A paragraph or labelled clause.
    Paragraph(Paragraph),
    /// A quoted or indented passage (a legend, a quoted disclosure).
    Quote(Vec<Block>),
    /// A table.
    Table(Vec<Row>),
    /// Signature blocks, side by side when there are several; each is a column of blocks.
    Signatures(Vec<Vec<Block>>),
    /// Blocks kept together or starting a page.
    Group {
        /// What the group is.
        kind: GroupKind,
        /// Its blocks.
        blocks: Vec<Block>,
    },
    /// A forced page break.
    PageBreak,
    /// A horizontal rule.
    Rule,
}

/// A change mark on a run, for redlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Inserted text.
    Insert,
    /// Deleted text.
    Delete,
    /// Moved text, at its new place.
    Move,
    /// Moved text, at its old place (drawn struck).
    MovedFrom,
    /// Old words deleted inside a moved passage, shown at its new place (they are struck where
    /// the passage was too): drawn as a deletion, and in Word neither the old nor the new text.
    DeleteInMove,
    /// A redline's note, not part of either document ("M1 moved from §1.18(b)").
    Note,
}

/// Inline style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
    /// Underlined.
    pub underline: bool,
    /// Small capitals.
    pub small_caps: bool,
    /// A change mark.
    pub mark: Option<Mark>,
}

/// An inline run.
#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    /// Text in one style (typographic quotes and dashes as Unicode).
    Text {
        /// The text.
        text: String,
        /// Its style.
        style: Style,
    },
    /// A blank to be filled in by hand.
    Field {
        /// The field's name (a form field in the PDF).
        name: String,
        /// Width in characters.
        width: u32,
    },
    /// A line to sign on.
    Signature {
        /// The role (`company.signature`), the PDF signature field's name.
        role: String,
        /// Width in characters.
        width: u32,
        /// The character the text renderer draws it with (`_` or `-`).
        rule: char,
    },
    /// A hard line break.
    Break,
}

impl Run {
    /// Plain text in the default style.
    pub fn text(s: impl Into<String>) -> Run {
        Run::Text {
            text: s.into(),
            style: Style::default(),
        }
    }
}

impl Document {
    /// Every block in reading order, descending into quotes, groups and signature columns.
    pub fn walk(&self, f: &mut impl FnMut(&Block)) {
        fn go(blocks: &[Block], f: &mut impl FnMut(&Block)) {
            for b in blocks {
                f(b);
                match b {
                    Block::Quote(inner) | Block::Group { blocks: inner, .. } => go(inner, f),
                    Block::Signatures(cols) => cols.iter().for_each(|c| go(c, f)),
                    _ => {}
                }
            }
        }
        go(&self.blocks, f);
    }
}

/// The signature pages among sibling blocks, as ranges `[start, end)`: from the paragraph
/// before the first signature block (the testimonium) through the last signature block that
/// follows without a heading, page break or exhibit between, and the short dated lines after
/// it (one-line paragraphs with a blank, such as "Dated: ____").
pub fn signature_units(blocks: &[Block]) -> Vec<(usize, usize)> {
    let breaks = |b: &Block| {
        matches!(
            b,
            Block::Heading { .. }
                | Block::PageBreak
                | Block::Group {
                    kind: GroupKind::Exhibit,
                    ..
                }
        )
    };
    let mut units = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        if !matches!(blocks[i], Block::Signatures(_)) {
            i += 1;
            continue;
        }
        let start = if i > 0 && matches!(blocks[i - 1], Block::Paragraph(_)) {
            i - 1
        } else {
            i
        };
        let mut last = i;
        let mut j = i + 1;
        while j < blocks.len() && !breaks(&blocks[j]) {
            if matches!(blocks[j], Block::Signatures(_)) {
                last = j;
            }
            j += 1;
        }
        let mut end = last + 1;
        while let Some(Block::Paragraph(p)) = blocks.get(end) {
            let words = crate::document::runs_text(&p.runs)
                .split_whitespace()
                .count();
            if words <= 4 && p.runs.iter().any(|r| matches!(r, Run::Field { .. })) {
                end += 1;
            } else {
                break;
            }
        }
        units.push((start, end));
        i = end.max(i + 1);
    }
    units
}

/// The text of runs with ASCII punctuation; hard breaks become `\n`.
pub fn runs_text(runs: &[Run]) -> String {
    let mut s = String::new();
    for r in runs {
        match r {
            Run::Text { text, .. } => s.push_str(&ascii(text)),
            Run::Field { width, .. } => s.push_str(&"_".repeat(*width as usize)),
            Run::Signature { width, rule, .. } => {
                s.extend(std::iter::repeat_n(*rule, *width as usize))
            }
            Run::Break => s.push('\n'),
        }
    }
    s
}

/// Typographic punctuation back to the ASCII a typist would use.
pub fn ascii(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    push_ascii(&mut s, text);
    s
}

/// Append `text` with typographic punctuation mapped back to ASCII (see [`ascii`]).
pub fn push_ascii(s: &mut String, text: &str) {
    if text.is_ascii() {
        s.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\u{201c}' | '\u{201d}' => s.push('"'),
            '\u{2018}' | '\u{2019}' => s.push('\''),
            '\u{2013}' => s.push_str("--"),
            '\u{2014}' => s.push_str("---"),
            '\u{2026}' => s.push_str("..."),
            '\u{a0}' => s.push(' '),
            c => s.push(c),
        }
    }
}

/// What kind of block a paragraph-like unit is (a diff draws a deleted one as its own block).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A heading.
    Heading {
        /// Its level.
        level: u8,
        /// Its alignment.
        align: Align,
    },
    /// A paragraph in its style.
    Paragraph(ParaStyle),
    /// A table cell: drawn inline where it was.
    Cell,
}

/// Call `f(shape, label, runs)` for every paragraph-like unit (heading, paragraph, table cell,
/// paragraph of a signature block) in reading order: the one walk the comparison, the redline,
/// and the HTML anchors (`#pN`) share.
pub fn visit_units<'a>(blocks: &'a [Block], f: &mut impl FnMut(Shape, &'a [Run], &'a [Run])) {
    for b in blocks {
        match b {
            Block::Heading { runs, level, align } => f(
                Shape::Heading {
                    level: *level,
                    align: *align,
                },
                &[],
                runs,
            ),
            Block::Paragraph(p) => f(Shape::Paragraph(p.style), &p.label, &p.runs),
            Block::Quote(inner) | Block::Group { blocks: inner, .. } => visit_units(inner, f),
            Block::Table(rows) => {
                for row in rows {
                    for cell in &row.cells {
                        f(Shape::Cell, &[], cell);
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
pub fn visit_units_mut(blocks: &mut [Block], f: &mut impl FnMut(&mut Vec<Run>, &mut Vec<Run>)) {
    for b in blocks {
        match b {
            Block::Heading { runs, .. } => f(&mut Vec::new(), runs),
            Block::Paragraph(p) => f(&mut p.label, &mut p.runs),
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

/// How many units a block holds.
pub fn units_in(b: &Block) -> usize {
    let mut n = 0;
    visit_units(std::slice::from_ref(b), &mut |_, _, _| n += 1);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typographic_marks_become_ascii() {
        assert_eq!(
            ascii("\u{201c}A\u{201d} \u{2019}s \u{2013} \u{2014}"),
            "\"A\" 's -- ---"
        );
    }
}
