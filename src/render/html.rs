//! The HTML renderer: one standalone file (inline CSS) with the document's structure — centred
//! titles, labelled clauses, quotes, tables, side-by-side signature blocks, fields as blanks —
//! and change marks drawn as a redline (struck red deletions, double-underlined blue insertions,
//! green moves). Every paragraph-like unit gets an anchor (`#p1`, `#p2`…, numbered as the
//! comparison numbers them) so a list of changes can link to them; changed ones get a bar.

use std::fmt::Write as _;

use crate::document::{Align, Block, Document, GroupKind, Indent, Mark, Paragraph, Row, Run};

const STYLE: &str = "body{font-family:'Liberation Serif','Times New Roman',serif;font-size:12pt;\
line-height:1.35;max-width:6.5in;margin:1in auto;color:#000}\
h1{font-size:12pt;text-align:center;font-weight:bold}h2,h3,h4{font-size:12pt;font-weight:bold}\
p{margin:0 0 .6em 0;text-align:justify}.center{text-align:center}.right{text-align:right}\
.indent{text-indent:.5in}.hang{padding-left:1in;text-indent:-.5in}\
.label{margin-right:.5em}blockquote{margin:0 .5in .6em .5in}\
table{border-collapse:collapse;margin:.4em 0 .8em 0}td,th{padding:0 .8em 0 0;vertical-align:top;text-align:left}\
.signatures{display:flex;gap:2em;margin:1.5em 0}.signature{flex:1}.signature p{text-align:left;margin:0}\
.field{display:inline-block;border-bottom:1px solid #000;height:1em;vertical-align:baseline}\
.sig{display:inline-block;border-bottom:1px solid #000;height:2em}\
del{color:#b00;text-decoration:line-through}\
ins{color:#00b;text-decoration:underline double}\
.moved-from{color:#070;text-decoration:line-through}.moved-to{color:#070;text-decoration:underline double}\
.changed{border-left:3px solid #888;padding-left:.4em;margin-left:-.7em}\
.exhibit{break-before:page}.page-break{break-after:page}hr{width:40%}\
nav.changes{border:1px solid #ccc;padding:.5em 1em;margin-bottom:2em;font-size:10pt}\
nav.changes ol{padding-left:1.5em}.note{color:#070;font-style:italic;font-size:10pt}\
.block-ins,.block-del,.block-moved-to,.block-moved-from{border-left:3px solid #888;padding-left:.4em;margin-left:-.7em}";

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Render a document as a standalone HTML page. `preface` is HTML placed before the document
/// (a comparison summary, a list of changes); it is trusted and not escaped.
pub fn render(doc: &Document, title: &str, preface: &str) -> String {
    let mut r = Renderer {
        out: String::new(),
        changes: 0,
    };
    r.blocks(&doc.blocks);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{preface}{}</body>\n</html>\n",
        escape(title),
        r.out
    )
}

struct Renderer {
    out: String,
    changes: usize,
}

fn has_marks(runs: &[Run]) -> bool {
    runs.iter()
        .any(|r| matches!(r, Run::Text { style, .. } if style.mark.is_some()))
}

impl Renderer {
    fn blocks(&mut self, blocks: &[Block]) {
        for b in blocks {
            self.block(b);
        }
    }

    /// The anchor of the next paragraph-like unit (`p1`, `p2`… in reading order, the order in
    /// which the comparison numbers paragraphs), and whether it holds changes.
    fn anchor(&mut self, runs: &[&[Run]]) -> (String, bool) {
        self.changes += 1;
        (
            format!(" id=\"p{}\"", self.changes),
            runs.iter().any(|r| has_marks(r)),
        )
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Heading { level, align, runs } => {
                let (id, _) = self.anchor(&[runs]);
                let class = match align {
                    Align::Center => " class=\"center\"",
                    Align::Right => " class=\"right\"",
                    Align::Left => "",
                };
                let _ = writeln!(self.out, "<h{level}{id}{class}>{}</h{level}>", inline(runs));
            }
            Block::Paragraph(p) => self.paragraph(p),
            Block::Quote(inner) => {
                self.out.push_str("<blockquote>\n");
                self.blocks(inner);
                self.out.push_str("</blockquote>\n");
            }
            Block::Table(rows) => self.table(rows),
            Block::Signatures(cols) => {
                self.out.push_str("<div class=\"signatures\">\n");
                for c in cols {
                    self.out.push_str("<div class=\"signature\">\n");
                    self.blocks(c);
                    self.out.push_str("</div>\n");
                }
                self.out.push_str("</div>\n");
            }
            Block::Group { kind, blocks } => {
                let class = match kind {
                    GroupKind::Exhibit => "exhibit",
                    GroupKind::Keep => "keep",
                    GroupKind::Plain => "group",
                    GroupKind::Change(Mark::Insert) => "block-ins",
                    GroupKind::Change(Mark::Delete | Mark::DeleteInMove) => "block-del",
                    GroupKind::Change(Mark::Move) => "block-moved-to",
                    GroupKind::Change(Mark::MovedFrom) => "block-moved-from",
                    GroupKind::Change(Mark::Note) => "group",
                };
                let _ = writeln!(self.out, "<section class=\"{class}\">");
                self.blocks(blocks);
                self.out.push_str("</section>\n");
            }
            Block::PageBreak => self.out.push_str("<div class=\"page-break\"></div>\n"),
            Block::Rule => self.out.push_str("<hr>\n"),
        }
    }

    fn paragraph(&mut self, p: &Paragraph) {
        let (id, changed) = self.anchor(&[&p.label, &p.runs]);
        let mut classes = Vec::new();
        match p.style.align {
            Align::Center => classes.push("center"),
            Align::Right => classes.push("right"),
            Align::Left => {}
        }
        match p.style.indent {
            Indent::FirstLine => classes.push("indent"),
            Indent::Hanging => classes.push("hang"),
            Indent::None => {}
        }
        if changed {
            classes.push("changed");
        }
        let class = if classes.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", classes.join(" "))
        };
        let margin = if p.style.level > 0 {
            format!(
                " style=\"margin-left:{}in\"",
                f32::from(p.style.level) * 0.5
            )
        } else {
            String::new()
        };
        let label = if p.label.is_empty() {
            String::new()
        } else {
            format!("<span class=\"label\">{}</span>", inline(&p.label))
        };
        let _ = writeln!(
            self.out,
            "<p{id}{class}{margin}>{label}{}</p>",
            inline(&p.runs)
        );
    }

    fn table(&mut self, rows: &[Row]) {
        self.out.push_str("<table>\n");
        for row in rows {
            self.out.push_str("<tr>");
            let tag = if row.head { "th" } else { "td" };
            for cell in &row.cells {
                let (id, _) = self.anchor(&[cell]);
                let _ = write!(self.out, "<{tag}{id}>{}</{tag}>", inline(cell));
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</table>\n");
    }
}

/// Inline runs as HTML.
pub fn inline(runs: &[Run]) -> String {
    let mut s = String::new();
    for r in runs {
        match r {
            Run::Text { text, style } => {
                let mut t = escape(text);
                if style.small_caps {
                    t = format!("<span style=\"font-variant:small-caps\">{t}</span>");
                }
                if style.underline {
                    t = format!("<u>{t}</u>");
                }
                if style.italic {
                    t = format!("<em>{t}</em>");
                }
                if style.bold {
                    t = format!("<strong>{t}</strong>");
                }
                t = match style.mark {
                    Some(Mark::Delete | Mark::DeleteInMove) => format!("<del>{t}</del>"),
                    Some(Mark::Insert) => format!("<ins>{t}</ins>"),
                    Some(Mark::Move) => format!("<ins class=\"moved-to\">{t}</ins>"),
                    Some(Mark::MovedFrom) => format!("<del class=\"moved-from\">{t}</del>"),
                    Some(Mark::Note) => format!("<span class=\"note\">{t}</span>"),
                    None => t,
                };
                s.push_str(&t);
            }
            Run::Field { name, width } => {
                let _ = write!(
                    s,
                    "<span class=\"field\" title=\"{}\" style=\"width:{}em\"></span>",
                    escape(name),
                    f32::from(u16::try_from(*width).unwrap_or(u16::MAX)) * 0.5
                );
            }
            Run::Signature { role, width, .. } => {
                let _ = write!(
                    s,
                    "<span class=\"sig\" title=\"{}\" style=\"width:{}em\"></span>",
                    escape(role),
                    f32::from(u16::try_from(*width).unwrap_or(u16::MAX)) * 0.5
                );
            }
            Run::Break => s.push_str("<br>\n"),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::djot;

    /// The anchors `#pN` are the units of [`crate::document::visit_units`], in its order: the
    /// comparison's paragraph numbers point at the right paragraph.
    #[test]
    fn anchors_follow_the_shared_walk_of_units() {
        let doc = djot::parse(
            "# Title\n\n[1.]{.label} One.\n\n> Quoted.\n\n| a | b |\n|---|---|\n| c | d |\n\n\
             ::: keep\nKept.\n:::\n\n:::: signatures\n::: signature\nLeft\\\nName\n:::\n\
             ::: signature\nRight\n:::\n::::\n\nLast.\n",
        );
        let mut units = Vec::new();
        crate::document::visit_units(&doc.blocks, &mut |_, _, runs| {
            units.push(crate::document::runs_text(runs));
        });
        let html = render(&doc, "t", "");
        let ids: Vec<usize> = html
            .match_indices(" id=\"p")
            .map(|(i, _)| {
                let rest = &html[i + 6..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert_eq!(ids, (1..=units.len()).collect::<Vec<_>>(), "{html}");
        for (n, text) in units.iter().enumerate() {
            let at = html.find(&format!(" id=\"p{}\"", n + 1)).unwrap();
            let first = text.split_whitespace().next().unwrap_or("");
            assert!(
                html[at..].contains(first),
                "unit {} ({text:?}) is not at its anchor",
                n + 1
            );
        }
    }

    #[test]
    fn structure_and_escaping() {
        let doc = djot::parse(
            "# TITLE\n\n{.indent}\n[1.]{.label} A <b> & \\[c\\] {-old-}{+new+} []{.field name=\"x\" width=4}\n",
        );
        let html = render(&doc, "T", "");
        assert!(html.contains("<h1 id=\"p1\">TITLE</h1>"), "{html}");
        assert!(
            html.contains(
                "<span class=\"label\">1.</span>A &lt;b&gt; &amp; [c] <del>old</del><ins>new</ins>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<p id=\"p2\" class=\"indent changed\">"),
            "{html}"
        );
        assert!(html.contains("class=\"field\" title=\"x\" style=\"width:2em\""));
    }
}
