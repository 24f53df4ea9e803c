//! The plain-text renderer: a readable 80-column document (centred titles, indented paragraphs,
//! hanging clause labels, signature blocks side by side), with ASCII quotes and dashes, fields
//! drawn as underscores and signature lines as rules.
// No panic reachable from input (issue 10): no unchecked indexing or arithmetic here; each
// `allow` below says why it is safe.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::sync::Arc;

use crate::document::{Align, Block, Document, Indent, Paragraph, Row, Run, runs_text};

/// The page width in characters.
pub const WIDTH: usize = 80;
const STEP: usize = 6;

/// Render a document as plain text, `WIDTH` columns wide, ending with a newline.
pub fn render(doc: &Document) -> String {
    let mut lines = Vec::new();
    blocks(&doc.blocks, WIDTH, &mut lines);
    while lines.last().is_some_and(|l: &String| l.is_empty()) {
        lines.pop();
    }
    let mut out = lines
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

/// A document's text as [`render`] prints it, from each block's lines, which `lines_of` gives
/// (a block's lines depend only on it and on whether the line before it has text, see
/// [`block_lines`]): a caller that meets the same blocks again can keep their lines.
pub fn render_with(
    doc: &Document,
    lines_of: &mut impl FnMut(&Block, bool) -> Arc<[String]>,
) -> String {
    let parts = lines_with(&doc.blocks, &mut false, lines_of);
    join(
        parts
            .iter()
            .flat_map(|p| p.iter().map(String::as_str))
            .collect(),
    )
}

/// The lines of top-level blocks, block by block, after a line with text (`after_text`,
/// updated to what holds after them). Groups are gone into; `lines_of` is asked for every
/// other block.
pub fn lines_with(
    blocks_: &[Block],
    after_text: &mut bool,
    lines_of: &mut impl FnMut(&Block, bool) -> Arc<[String]>,
) -> Vec<Arc<[String]>> {
    fn walk(
        blocks_: &[Block],
        parts: &mut Vec<Arc<[String]>>,
        after_text: &mut bool,
        lines_of: &mut impl FnMut(&Block, bool) -> Arc<[String]>,
    ) {
        for b in blocks_ {
            if let Block::Group { blocks: inner, .. } = b {
                walk(inner, parts, after_text, lines_of);
                continue;
            }
            let lines = lines_of(b, *after_text);
            if let Some(last) = lines.last() {
                *after_text = !last.is_empty();
            }
            parts.push(lines);
        }
    }
    let mut parts = Vec::new();
    walk(blocks_, &mut parts, after_text, lines_of);
    parts
}

/// A document's text from all its lines, as [`render`] ends it.
pub fn join(mut lines: Vec<&str>) -> String {
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut out = String::with_capacity(lines.iter().map(|l| l.len().saturating_add(1)).sum());
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(l.trim_end());
    }
    out.push('\n');
    out
}

/// The lines a block (not a group) adds to a document's at the top level, after a line with
/// text (`after_text`) or after a blank line or none.
pub fn block_lines(b: &Block, after_text: bool) -> Vec<String> {
    // All that a block reads of the lines before it is whether the last has text.
    let mut out = if after_text {
        vec![String::from("x")]
    } else {
        Vec::new()
    };
    block(b, WIDTH, &mut out);
    if after_text && !out.is_empty() {
        out.remove(0);
    }
    out
}

/// Whether a paragraph is underlined throughout (unlabelled, all of its text underlined).
fn underlined(p: &Paragraph) -> bool {
    p.label.is_empty()
        && p.runs
            .iter()
            .any(|r| matches!(r, Run::Text { text, .. } if !text.trim().is_empty()))
        && p.runs
            .iter()
            .all(|r| matches!(r, Run::Text { style, .. } if style.underline))
}

fn blank(out: &mut Vec<String>) {
    if out.last().is_some_and(|l| !l.is_empty()) {
        out.push(String::new());
    }
}

fn blocks(blocks_: &[Block], width: usize, out: &mut Vec<String>) {
    for b in blocks_ {
        block(b, width, out);
    }
}

fn block(b: &Block, width: usize, out: &mut Vec<String>) {
    match b {
        Block::Heading { level, align, runs } => {
            blank(out);
            let align = if *level == 1 { Align::Center } else { *align };
            let lines = wrap(&runs_text(runs), width, "", "");
            out.extend(lines.into_iter().map(|l| aligned(l, width, align)));
            out.push(String::new());
        }
        Block::Paragraph(p) => {
            blank(out);
            if underlined(p) {
                // A typist underlines a line with a line of dashes under its letters.
                for line in paragraph(p, width) {
                    let start = line.len().saturating_sub(line.trim_start().len());
                    let letters = line.trim().chars().count();
                    let rule = format!("{}{}", " ".repeat(start), "-".repeat(letters));
                    out.push(line);
                    out.push(rule);
                }
            } else {
                out.extend(paragraph(p, width));
            }
            out.push(String::new());
        }
        Block::Quote(inner) => {
            blank(out);
            let mut lines = Vec::new();
            blocks(inner, width.saturating_sub(2 * STEP).max(20), &mut lines);
            out.extend(lines.into_iter().map(|l| indent_line(&l, STEP)));
            blank(out);
        }
        Block::Table(rows) => {
            blank(out);
            out.extend(table(rows, width));
            out.push(String::new());
        }
        Block::Signatures(cols) => {
            blank(out);
            out.extend(signatures(cols, width));
            out.push(String::new());
        }
        Block::Group { blocks: inner, .. } => blocks(inner, width, out),
        Block::PageBreak => blank(out),
        Block::Rule => {
            blank(out);
            out.push(aligned("-".repeat(40), width, Align::Center));
            out.push(String::new());
        }
    }
}

fn indent_line(l: &str, n: usize) -> String {
    if l.is_empty() {
        String::new()
    } else {
        format!("{}{l}", " ".repeat(n))
    }
}

fn aligned(line: String, width: usize, align: Align) -> String {
    let len = line.chars().count();
    let pad = width.saturating_sub(len);
    match align {
        Align::Left => line,
        Align::Center => format!("{}{line}", " ".repeat(pad / 2)),
        Align::Right => format!("{}{line}", " ".repeat(pad)),
    }
}

fn paragraph(p: &Paragraph, width: usize) -> Vec<String> {
    let base = " ".repeat(STEP.saturating_mul(p.style.level as usize));
    let label = runs_text(&p.label);
    let text = runs_text(&p.runs);
    let (first, rest) = match (p.style.indent, label.is_empty()) {
        (Indent::None, true) => (base.clone(), base.clone()),
        (Indent::None, false) => (format!("{base}{label} "), base.clone()),
        (Indent::FirstLine, true) => (format!("{base}{}", " ".repeat(STEP)), base.clone()),
        (Indent::FirstLine, false) => (format!("{base}{}{label} ", " ".repeat(STEP)), base.clone()),
        (Indent::Hanging, true) => (
            format!("{base}{}", " ".repeat(STEP)),
            format!("{base}{}", " ".repeat(STEP)),
        ),
        (Indent::Hanging, false) => {
            let first = format!("{base}{}{label} ", " ".repeat(STEP));
            let hang = first.chars().count().min(width / 2);
            (first, " ".repeat(hang))
        }
    };
    if p.style.align == Align::Left {
        wrap(&text, width, &first, &rest)
    } else {
        wrap(
            &text,
            width.saturating_sub(base.len()),
            &label_prefix(&label),
            "",
        )
        .into_iter()
        .map(|l| {
            format!(
                "{base}{}",
                aligned(l, width.saturating_sub(base.len()), p.style.align)
            )
        })
        .collect()
    }
}

fn label_prefix(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!("{label} ")
    }
}

/// Greedy word wrap; `\n` forces a break. The first line starts with `first`, the rest with
/// `rest`. A word longer than the line stands alone rather than being cut.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut prefix = first;
    let rest_len = rest.chars().count();
    for segment in text.split('\n') {
        let mut line = prefix.to_string();
        // The line's length in characters, kept as it grows.
        let mut len = line.chars().count();
        let mut empty = true;
        for word in segment.split_whitespace() {
            let word_len = word.chars().count();
            if !empty && len.saturating_add(1).saturating_add(word_len) > width {
                lines.push(std::mem::replace(&mut line, rest.to_string()));
                len = rest_len;
                empty = true;
            }
            if !empty {
                line.push(' ');
                len = len.saturating_add(1);
            }
            line.push_str(word);
            len = len.saturating_add(word_len);
            empty = false;
        }
        lines.push(line);
        prefix = rest;
    }
    lines
}

/// Lay columns of lines side by side, row by row.
fn side_by_side(columns: &[Vec<String>], widths: &[usize], gap: usize) -> Vec<String> {
    let height = columns.iter().map(Vec::len).max().unwrap_or(0);
    (0..height)
        .map(|i| {
            let mut line = String::new();
            for (c, col) in columns.iter().enumerate() {
                let cell = col.get(i).map(String::as_str).unwrap_or("");
                line.push_str(cell);
                if c.saturating_add(1) < columns.len() {
                    let width = widths.get(c).copied().unwrap_or(0);
                    let pad = width
                        .saturating_sub(cell.chars().count())
                        .saturating_add(gap);
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// The narrowest a signature column gets; more columns than fit at this width go on further
/// rows.
const MIN_SIGNATURE_COLUMN: usize = 16;

fn signatures(cols: &[Vec<Block>], width: usize) -> Vec<String> {
    if let [only] = cols {
        let offset = (width / 2).saturating_sub(4);
        let mut lines = Vec::new();
        blocks(only, width.saturating_sub(offset), &mut lines);
        trim_blank(&mut lines);
        return lines.into_iter().map(|l| indent_line(&l, offset)).collect();
    }
    let gap = 4;
    // As many columns to a row as fit at the narrowest width (at least one).
    let per_row = width
        .saturating_add(gap)
        .checked_div(MIN_SIGNATURE_COLUMN.saturating_add(gap))
        .unwrap_or(1)
        .clamp(1, cols.len().max(1));
    let mut out = Vec::new();
    for row in cols.chunks(per_row) {
        if !out.is_empty() {
            out.push(String::new());
        }
        let n = row.len().max(1);
        let col_width = width
            .saturating_sub(gap.saturating_mul(n.saturating_sub(1)))
            .checked_div(n)
            .unwrap_or(width)
            .max(1);
        let columns: Vec<Vec<String>> = row
            .iter()
            .map(|c| {
                let mut lines = Vec::new();
                blocks(c, col_width, &mut lines);
                trim_blank(&mut lines);
                lines
            })
            .collect();
        out.extend(side_by_side(&columns, &vec![col_width; n], gap));
    }
    out
}

fn trim_blank(lines: &mut Vec<String>) {
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
}

fn table(rows: &[Row], width: usize) -> Vec<String> {
    let n = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    if n == 0 {
        return Vec::new();
    }
    let gap: usize = 2;
    let mut natural = vec![1usize; n];
    for r in rows {
        for (slot, c) in natural.iter_mut().zip(&r.cells) {
            let w = runs_text(c)
                .split('\n')
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0);
            *slot = (*slot).max(w);
        }
    }
    let available = width.saturating_sub(gap.saturating_mul(n.saturating_sub(1)));
    let total: usize = natural.iter().fold(0, |a, w| a.saturating_add(*w));
    let widths: Vec<usize> = if total <= available {
        natural
    } else {
        natural
            .iter()
            .map(|w| {
                w.saturating_mul(available)
                    .checked_div(total)
                    .unwrap_or(0)
                    .max(6)
            })
            .collect()
    };
    let mut out = Vec::new();
    for r in rows {
        let columns: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                r.cells
                    .get(i)
                    .map(|c| wrap(&runs_text(c), w, "", ""))
                    .unwrap_or_default()
            })
            .collect();
        out.extend(side_by_side(&columns, &widths, gap));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_with_block_lines_is_render() {
        let doc = crate::document::djot::parse(
            "# Title\n\nOne paragraph.\n\n::: keep\n[1.]{.label} A clause.\n\n> quoted\n:::\n\n\
             {.center}\nCentred.\n\n::: signatures\n::: signature\nBy: ____\n:::\n::: signature\n\
             By: ____\n:::\n:::\n\n| a | b |\n\n***\n",
        );
        let composed = render_with(&doc, &mut |b, after| block_lines(b, after).into());
        assert_eq!(composed, render(&doc));
        assert_eq!(
            render_with(&Document::default(), &mut |b, after| block_lines(b, after)
                .into()),
            render(&Document::default())
        );
    }

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5, "", ""), vec!["aa bb", "cc"]);
        assert_eq!(wrap("a\nb", 80, "> ", ""), vec!["> a", "b"]);
        assert_eq!(wrap("abcdefgh", 3, "", ""), vec!["abcdefgh"]);
    }
}
