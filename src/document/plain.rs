//! Plain text → [`Document`]: paragraphs are separated by blank lines; the lines of a paragraph
//! are joined. The page artifacts of SEC text filings (`<PAGE>` lines and the page number just
//! before one) are dropped, so a filing compares with its reconstruction.

use super::{Block, Document, Paragraph, Run};

/// Parse plain text into paragraphs.
pub fn parse(text: &str) -> Document {
    let lines: Vec<&str> = text.lines().collect();
    let is_page = |l: &str| l.trim() == "<PAGE>" || l.trim() == "\u{c}";
    let is_number = |l: &str| {
        let t = l.trim();
        !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit())
    };
    let mut kept = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        if is_page(l) {
            continue;
        }
        // A page number: alone on its line, with a page break (or the end of the text) as the
        // next non-blank line, or as the previous one (a number at the head of a page).
        if is_number(l) {
            let next = lines[i + 1..].iter().find(|n| !n.trim().is_empty());
            let prev = lines[..i].iter().rev().find(|n| !n.trim().is_empty());
            if next.is_none_or(|n| is_page(n)) || prev.is_some_and(|p| is_page(p)) {
                continue;
            }
        }
        kept.push(*l);
    }
    let mut blocks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if current.is_empty() {
            return;
        }
        let text = current
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ");
        blocks.push(Block::Paragraph(Paragraph {
            runs: vec![Run::text(text)],
            ..Paragraph::default()
        }));
        current.clear();
    };
    for l in kept {
        if l.trim().is_empty() {
            flush(&mut current, &mut blocks);
        } else {
            current.push(l);
        }
    }
    flush(&mut current, &mut blocks);
    Document { blocks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_page_artifacts() {
        let doc = parse("Title\n\nOne\ntwo.\n\n                 2\n<PAGE>\nThree 4\n");
        assert_eq!(doc.blocks.len(), 3);
        match &doc.blocks[1] {
            Block::Paragraph(p) => assert_eq!(p.runs, vec![Run::text("One two.")]),
            other => panic!("{other:?}"),
        }
    }
}
