//! Plain text → [`Document`]: paragraphs are separated by blank lines; the lines of a paragraph
//! are joined. Page furniture is dropped, so that a printed or filed copy compares with its
//! source: `<PAGE>` lines and form feeds (page breaks), bare page numbers next to a page break,
//! "Page N", "Page N of M", "- N -", engross's own footers ("Doc. 1A2B3C4D"), and running
//! headers and footers (a first or last line that repeats, numbers aside, on most pages). A
//! paragraph that a page break cuts in two is joined again.
//!
//! Layout that a reader sees is kept where it is plain: a centred line becomes a centred
//! paragraph, a first-line indent an indented one, a block indented as a whole a quote level.

use super::{Align, Block, Document, Indent, ParaStyle, Paragraph, Run};

/// Parse plain text into paragraphs (pages split at form feeds and `<PAGE>` lines).
pub fn parse(text: &str) -> Document {
    let mut pages: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim() == "<PAGE>" {
            pages.push(Vec::new());
            continue;
        }
        let mut parts = line.split('\u{c}');
        if let Some(first) = parts.next() {
            push_line(&mut pages, first);
        }
        for part in parts {
            pages.push(Vec::new());
            push_line(&mut pages, part);
        }
    }
    from_pages(&pages)
}

fn push_line<'a>(pages: &mut [Vec<&'a str>], line: &'a str) {
    if let Some(p) = pages.last_mut() {
        p.push(line);
    }
}

/// Parse the text of a PDF's pages (one string per page).
pub fn parse_pages(pages: &[String]) -> Document {
    let pages: Vec<Vec<&str>> = pages.iter().map(|p| p.lines().collect()).collect();
    from_pages(&pages)
}

/// A line that is page furniture wherever it stands: "Page 3", "Page 3 of 9", "- 3 -",
/// "Doc. 1A2B3C4D", "[Signature Page to …]", a form feed.
fn is_furniture(line: &str) -> bool {
    let t = line.trim();
    // Every shape below starts with "page" (any case), "-", "Doc." or "[": most lines are ruled
    // out by their first letter, without splitting them.
    if !t.starts_with(['p', 'P', '-', 'D', '[']) {
        return false;
    }
    // A signature page's caption: "[Signature Page to Stock Option Agreement]".
    if t.len() > 19
        && t.ends_with(']')
        && t.get(..19)
            .is_some_and(|s| s.eq_ignore_ascii_case("[signature page to "))
    {
        return true;
    }
    // At most six words make furniture; a seventh rules the line out.
    let mut buf = [""; 7];
    let mut n = 0;
    for w in t.split_whitespace().take(7) {
        buf[n] = w;
        n += 1;
    }
    let words = &buf[..n];
    let num = |w: &str| !w.is_empty() && w.len() <= 5 && w.bytes().all(|b| b.is_ascii_digit());
    match words {
        [p, n] if p.eq_ignore_ascii_case("page") => num(n),
        [p, n, of, m] if p.eq_ignore_ascii_case("page") && of.eq_ignore_ascii_case("of") => {
            num(n) && num(m)
        }
        ["-", n, "-"] => num(n),
        [w] if w.len() > 2 && w.starts_with('-') && w.ends_with('-') => num(w.trim_matches('-')),
        ["Doc.", id] => id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        // engross's footer as extracted: page number and ID on one line.
        [p, n, of, m, "Doc.", id] if p.eq_ignore_ascii_case("page") && *of == "of" => {
            num(n) && num(m) && id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit())
        }
        _ => false,
    }
}

fn is_bare_number(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit())
}

/// A line with its digits folded, to recognise a running header or footer.
fn shape(line: &str) -> String {
    line.split_whitespace()
        .map(|w| {
            w.chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn from_pages(pages: &[Vec<&str>]) -> Document {
    // Running headers and footers: a page's first or last non-blank line whose shape recurs at
    // that edge on at least half of the pages (and on three or more).
    let edge = |page: &[&str], last: bool| -> Option<usize> {
        let mut idx: Box<dyn Iterator<Item = usize>> = if last {
            Box::new((0..page.len()).rev())
        } else {
            Box::new(0..page.len())
        };
        idx.find(|&i| !page[i].trim().is_empty() && !is_furniture(page[i]))
    };
    let mut running: Vec<Vec<bool>> = pages.iter().map(|p| vec![false; p.len()]).collect();
    if pages.len() >= 3 {
        for last in [false, true] {
            let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
            for p in pages {
                if let Some(i) = edge(p, last) {
                    *counts.entry(shape(p[i])).or_default() += 1;
                }
            }
            for (k, p) in pages.iter().enumerate() {
                if let Some(i) = edge(p, last)
                    && counts.get(&shape(p[i])).copied().unwrap_or(0) * 2 >= pages.len()
                    && counts.get(&shape(p[i])).copied().unwrap_or(0) >= 3
                {
                    running[k][i] = true;
                }
            }
        }
    }
    let mut kept: Vec<&str> = Vec::new();
    for (k, page) in pages.iter().enumerate() {
        // A page break does not end a paragraph unless the page's text ended one: join the
        // next page's first line to the last one when that did not end a sentence, or when
        // the next page goes on in lower case.
        while kept.last().is_some_and(|l| l.trim().is_empty()) {
            kept.pop();
        }
        let page_start = kept.len();
        let first = page.iter().position(|l| !l.trim().is_empty());
        let last = page.iter().rposition(|l| !l.trim().is_empty());
        for (i, l) in page.iter().enumerate() {
            if running[k][i] || is_furniture(l) {
                continue;
            }
            // A bare number at a page's head or foot (when the text has pages), or at the very
            // end of the text, is a page number.
            if is_bare_number(l) {
                let at_edge = Some(i) == first || Some(i) == last;
                let at_end = k + 1 == pages.len() && Some(i) == last;
                if (at_edge && pages.len() > 1) || at_end {
                    continue;
                }
            }
            if kept.len() == page_start && l.trim().is_empty() {
                continue;
            }
            if kept.len() == page_start && k > 0 && !kept.is_empty() {
                let prev = kept.last().map_or("", |p| p.trim_end());
                let ended = prev.ends_with(['.', ':', ';', '!', '?', ')', '"', '\u{201d}'])
                    || !prev.chars().any(char::is_alphanumeric);
                let goes_on = l.trim_start().starts_with(|c: char| c.is_lowercase());
                if ended && !goes_on {
                    kept.push("");
                }
            }
            kept.push(l);
        }
    }
    let mut blocks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
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

fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 8 } else { 1 })
        .sum()
}

fn flush(current: &mut Vec<&str>, blocks: &mut Vec<Block>) {
    if current.is_empty() {
        return;
    }
    let indents: Vec<usize> = current.iter().map(|l| indent_of(l)).collect();
    let first = indents[0];
    let rest_min = indents[1..].iter().copied().min();
    let widths: Vec<usize> = current.iter().map(|l| l.trim().chars().count()).collect();
    let centred = first >= 8
        && indents.iter().all(|&i| i >= 8)
        && widths.iter().all(|&w| w <= 60)
        && indents
            .iter()
            .zip(&widths)
            .all(|(i, w)| i.abs_diff((72usize.saturating_sub(*w)) / 2) <= 6);
    let mut style = ParaStyle::default();
    if centred {
        style.align = Align::Center;
    } else {
        let base = rest_min.unwrap_or(first).min(first);
        if first > base && first - base >= 2 {
            style.indent = Indent::FirstLine;
        }
        style.level = u8::try_from((base / 4).min(3)).unwrap_or(3);
    }
    let mut text = String::with_capacity(current.iter().map(|l| l.len() + 1).sum());
    for l in current.iter() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(l.trim());
    }
    blocks.push(Block::Paragraph(Paragraph {
        style,
        runs: vec![Run::text(text)],
        ..Paragraph::default()
    }));
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(doc: &Document) -> Vec<String> {
        doc.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Paragraph(p) => Some(crate::document::runs_text(&p.runs)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn paragraphs_and_page_artifacts() {
        let doc = parse("Title\n\nOne\ntwo.\n\n                 2\n<PAGE>\nThree 4\n");
        assert_eq!(texts(&doc), vec!["Title", "One two.", "Three 4"]);
    }

    #[test]
    fn page_furniture_of_every_shape() {
        let text = "ACME DRAFT 3/1\nFirst para\ngoes on\n\nPage 1 of 3\n\u{c}ACME DRAFT 3/2\nand ends here.\n\n- 2 -\n\u{c}ACME DRAFT 3/3\nLast one.\n[Signature Page to Option]\nPage 3\nDoc. 1A2B3C4D\n";
        let doc = parse(text);
        assert_eq!(
            texts(&doc),
            vec!["First para goes on and ends here.", "Last one."]
        );
    }

    #[test]
    fn centred_and_indented_lines() {
        let doc = parse(
            "                              AGREEMENT\n\n     The parties agree\nas follows.\n",
        );
        match &doc.blocks[..] {
            [Block::Paragraph(a), Block::Paragraph(b)] => {
                assert_eq!(a.style.align, Align::Center);
                assert_eq!(b.style.indent, Indent::FirstLine);
            }
            other => panic!("{other:?}"),
        }
    }
}
