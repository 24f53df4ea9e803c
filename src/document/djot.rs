//! Djot source → [`Document`], with engross's classes (see `docs/document-language.md`).
//!
//! Block classes: `center`, `right`, `indent`, `hang`, `flush`, `block` (one level in),
//! `signatures` / `signature` (side-by-side signature blocks), `keep`, `exhibit`, `page-break`.
//! Inline span classes: `label` (a clause label), `field` and `sig` (made by the template
//! functions `field()` and `signature()`), `u` (underline), `sc` (small caps).
//! Ordered list items become labelled clauses whose label is the list marker.

use jotdown::{Attributes, Container, Event, ListKind, OrderedListNumbering, OrderedListStyle};

use super::{
    Align, Block, Document, GroupKind, Indent, Mark, ParaStyle, Paragraph, Row, Run, Style,
};
use crate::words::roman;

/// Parse Djot source into a Document.
pub fn parse(src: &str) -> Document {
    let mut b = Builder::default();
    b.frames
        .push(Frame::new(FrameKind::Root, ParaStyle::default()));
    for event in jotdown::Parser::new(src) {
        b.event(event);
    }
    while b.frames.len() > 1 {
        b.close_frame();
    }
    Document {
        blocks: b.frames.pop().map(|f| f.blocks).unwrap_or_default(),
    }
}

#[derive(Debug)]
enum FrameKind {
    Root,
    Plain,
    Quote,
    Signatures(Vec<Vec<Block>>),
    Signature,
    Group(GroupKind),
    List { kind: ListKind, next: u64 },
    Item { label: String },
    Table(Vec<Row>),
    Row(Row),
}

#[derive(Debug)]
struct Frame {
    kind: FrameKind,
    style: ParaStyle,
    blocks: Vec<Block>,
}

impl Frame {
    fn new(kind: FrameKind, style: ParaStyle) -> Frame {
        Frame {
            kind,
            style,
            blocks: Vec::new(),
        }
    }
}

#[derive(Debug)]
enum Target {
    Paragraph(ParaStyle),
    Heading(u8, Align),
    Cell,
    Ignored,
}

#[derive(Debug)]
enum SpanKind {
    Styled,
    Label,
    Atom,
    Plain,
}

#[derive(Default)]
struct Builder {
    frames: Vec<Frame>,
    target: Option<Target>,
    runs: Vec<Run>,
    label: Vec<Run>,
    in_label: bool,
    styles: Vec<Style>,
    spans: Vec<SpanKind>,
}

fn classes(attrs: &Attributes<'_>) -> Vec<String> {
    attrs
        .get_value("class")
        .map(|v| {
            v.to_string()
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn attr(attrs: &Attributes<'_>, key: &str) -> Option<String> {
    attrs.get_value(key).map(|v| v.to_string())
}

fn apply_classes(style: &mut ParaStyle, classes: &[String]) {
    for c in classes {
        match c.as_str() {
            "center" => style.align = Align::Center,
            "right" => style.align = Align::Right,
            "left" => style.align = Align::Left,
            "indent" => style.indent = Indent::FirstLine,
            "hang" => style.indent = Indent::Hanging,
            "flush" => style.indent = Indent::None,
            "block" => style.level = style.level.saturating_add(1),
            "block2" => style.level = style.level.saturating_add(2),
            _ => {}
        }
    }
}

fn list_label(kind: &ListKind, n: u64) -> String {
    match kind {
        ListKind::Ordered {
            numbering, style, ..
        } => {
            let body = match numbering {
                OrderedListNumbering::Decimal => n.to_string(),
                OrderedListNumbering::AlphaLower | OrderedListNumbering::AlphaUpper => {
                    let mut s = String::new();
                    let mut m = n;
                    while m > 0 {
                        m -= 1;
                        s.insert(0, (b'a' + (m % 26) as u8) as char);
                        m /= 26;
                    }
                    if matches!(numbering, OrderedListNumbering::AlphaUpper) {
                        s.to_uppercase()
                    } else {
                        s
                    }
                }
                OrderedListNumbering::RomanLower => {
                    roman(n as i64).unwrap_or_default().to_lowercase()
                }
                OrderedListNumbering::RomanUpper => roman(n as i64).unwrap_or_default(),
            };
            match style {
                OrderedListStyle::Period => format!("{body}."),
                OrderedListStyle::Paren => format!("{body})"),
                OrderedListStyle::ParenParen => format!("({body})"),
            }
        }
        _ => "\u{2022}".to_string(),
    }
}

impl Builder {
    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn frame_style(&self) -> ParaStyle {
        self.frames.last().map(|f| f.style).unwrap_or_default()
    }

    fn push_block(&mut self, block: Block) {
        if let Some(f) = self.frames.last_mut() {
            f.blocks.push(block);
        }
    }

    fn push_run(&mut self, run: Run) {
        let runs = if self.in_label {
            &mut self.label
        } else {
            &mut self.runs
        };
        if let (
            Run::Text { text, style },
            Some(Run::Text {
                text: prev,
                style: ps,
            }),
        ) = (&run, runs.last_mut())
            && style == ps
        {
            prev.push_str(text);
            return;
        }
        runs.push(run);
    }

    /// Whether a quote here opens: at the start of the text, or after a space, an opening
    /// bracket or a dash. jotdown reads `("Company")` as closing; a typist's rule does not.
    fn opens_quote(&self) -> bool {
        let runs = if self.in_label {
            &self.label
        } else {
            &self.runs
        };
        match runs.last() {
            Some(Run::Text { text, .. }) => text.chars().next_back().is_none_or(|c| {
                c.is_whitespace() || matches!(c, '(' | '[' | '{' | '\u{2014}' | '\u{2013}' | '/')
            }),
            _ => true,
        }
    }

    fn text(&mut self, s: &str) {
        let style = self.style();
        self.push_run(Run::Text {
            text: s.to_string(),
            style,
        });
    }

    fn open_frame(&mut self, kind: FrameKind, classes: &[String]) {
        let mut style = self.frame_style();
        apply_classes(&mut style, classes);
        self.frames.push(Frame::new(kind, style));
    }

    fn close_frame(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        match frame.kind {
            FrameKind::Root => self.frames.push(frame),
            FrameKind::Plain | FrameKind::List { .. } => {
                for b in frame.blocks {
                    self.push_block(b);
                }
            }
            FrameKind::Item { .. } => {
                for b in frame.blocks {
                    self.push_block(b);
                }
            }
            FrameKind::Quote => self.push_block(Block::Quote(frame.blocks)),
            FrameKind::Group(kind) => self.push_block(Block::Group {
                kind,
                blocks: frame.blocks,
            }),
            FrameKind::Signature => match self.frames.last_mut() {
                Some(Frame {
                    kind: FrameKind::Signatures(cols),
                    ..
                }) => cols.push(frame.blocks),
                _ => self.push_block(Block::Signatures(vec![frame.blocks])),
            },
            FrameKind::Signatures(mut cols) => {
                if !frame.blocks.is_empty() {
                    cols.push(frame.blocks);
                }
                self.push_block(Block::Signatures(cols));
            }
            FrameKind::Table(rows) => self.push_block(Block::Table(rows)),
            FrameKind::Row(row) => {
                if let Some(Frame {
                    kind: FrameKind::Table(rows),
                    ..
                }) = self.frames.last_mut()
                {
                    rows.push(row);
                }
            }
        }
    }

    fn finish_inline(&mut self) {
        let mut runs = std::mem::take(&mut self.runs);
        let mut label = std::mem::take(&mut self.label);
        trim_runs(&mut runs);
        trim_runs(&mut label);
        match self.target.take() {
            Some(Target::Paragraph(mut style)) => {
                // A list item's marker becomes the label of its first paragraph.
                if label.is_empty()
                    && let Some(Frame {
                        kind: FrameKind::Item { label: l },
                        ..
                    }) = self.frames.last_mut()
                    && !l.is_empty()
                {
                    label = vec![Run::text(std::mem::take(l))];
                    if style.indent == Indent::None {
                        style.indent = Indent::Hanging;
                    }
                }
                self.push_block(Block::Paragraph(Paragraph { style, label, runs }));
            }
            Some(Target::Heading(level, align)) => {
                label.extend(runs);
                self.push_block(Block::Heading {
                    level,
                    align,
                    runs: label,
                });
            }
            Some(Target::Cell) => {
                label.extend(runs);
                if let Some(Frame {
                    kind: FrameKind::Row(row),
                    ..
                }) = self.frames.last_mut()
                {
                    row.cells.push(label);
                }
            }
            Some(Target::Ignored) | None => {}
        }
        self.styles.clear();
        self.spans.clear();
        self.in_label = false;
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(container, attrs) => self.start(container, &attrs),
            Event::End(container) => self.end(container),
            Event::Str(s) => self.text(&s),
            Event::LeftDoubleQuote => self.text("\u{201c}"),
            Event::RightDoubleQuote => {
                let q = if self.opens_quote() {
                    "\u{201c}"
                } else {
                    "\u{201d}"
                };
                self.text(q)
            }
            Event::LeftSingleQuote => self.text("\u{2018}"),
            Event::RightSingleQuote => self.text("\u{2019}"),
            Event::Ellipsis => self.text("\u{2026}"),
            Event::EnDash => self.text("\u{2013}"),
            Event::EmDash => self.text("\u{2014}"),
            Event::NonBreakingSpace => self.text("\u{a0}"),
            Event::Softbreak => self.text(" "),
            Event::Hardbreak => self.push_run(Run::Break),
            Event::Symbol(s) => self.text(&format!(":{s}:")),
            Event::ThematicBreak(attrs) => {
                if classes(&attrs).iter().any(|c| c == "page-break") {
                    self.push_block(Block::PageBreak);
                } else {
                    self.push_block(Block::Rule);
                }
            }
            Event::FootnoteReference(_)
            | Event::Escape
            | Event::Blankline
            | Event::Attributes(_) => {}
        }
    }

    fn start(&mut self, container: Container<'_>, attrs: &Attributes<'_>) {
        let cls = classes(attrs);
        match container {
            Container::Paragraph => {
                let mut style = self.frame_style();
                apply_classes(&mut style, &cls);
                self.target = Some(Target::Paragraph(style));
            }
            Container::Heading { level, .. } => {
                let mut style = ParaStyle::default();
                apply_classes(&mut style, &cls);
                self.target = Some(Target::Heading(level.min(6) as u8, style.align));
            }
            Container::TableCell { .. } => self.target = Some(Target::Cell),
            Container::Caption | Container::LinkDefinition { .. } | Container::RawBlock { .. } => {
                self.target = Some(Target::Ignored)
            }
            Container::CodeBlock { .. } => {
                let style = self.frame_style();
                self.target = Some(Target::Paragraph(style));
            }
            Container::Div { class } => {
                let mut all = cls.clone();
                all.extend(class.split_whitespace().map(str::to_string));
                let kind = if all.iter().any(|c| c == "signatures") {
                    FrameKind::Signatures(Vec::new())
                } else if all.iter().any(|c| c == "signature") {
                    FrameKind::Signature
                } else if all.iter().any(|c| c == "exhibit") {
                    FrameKind::Group(GroupKind::Exhibit)
                } else if all.iter().any(|c| c == "keep") {
                    FrameKind::Group(GroupKind::Keep)
                } else if all.iter().any(|c| c == "page-break") {
                    self.push_block(Block::PageBreak);
                    FrameKind::Plain
                } else {
                    FrameKind::Plain
                };
                self.open_frame(kind, &all);
            }
            Container::Blockquote => self.open_frame(FrameKind::Quote, &cls),
            Container::Section { .. } => self.open_frame(FrameKind::Plain, &cls),
            Container::List { kind, .. } => {
                let next = match kind {
                    ListKind::Ordered { start, .. } => start,
                    _ => 1,
                };
                self.open_frame(FrameKind::List { kind, next }, &cls);
            }
            Container::ListItem | Container::TaskListItem { .. } => {
                let label = match self.frames.last_mut() {
                    Some(Frame {
                        kind: FrameKind::List { kind, next },
                        ..
                    }) => {
                        let l = list_label(kind, *next);
                        *next += 1;
                        l
                    }
                    _ => String::new(),
                };
                self.open_frame(FrameKind::Item { label }, &cls);
            }
            Container::DescriptionList
            | Container::DescriptionDetails
            | Container::Footnote { .. } => self.open_frame(FrameKind::Plain, &cls),
            Container::DescriptionTerm => {
                let style = self.frame_style();
                self.target = Some(Target::Paragraph(style));
            }
            Container::Table => self.open_frame(FrameKind::Table(Vec::new()), &cls),
            Container::TableRow { head } => self.open_frame(
                FrameKind::Row(Row {
                    head,
                    cells: Vec::new(),
                }),
                &cls,
            ),
            Container::Span => {
                if cls.iter().any(|c| c == "field") {
                    let name = attr(attrs, "name").unwrap_or_default();
                    let width = attr(attrs, "width")
                        .and_then(|w| w.parse().ok())
                        .unwrap_or(20);
                    self.push_run(Run::Field { name, width });
                    self.spans.push(SpanKind::Atom);
                } else if cls.iter().any(|c| c == "sig") {
                    let role = attr(attrs, "role").unwrap_or_default();
                    let width = attr(attrs, "width")
                        .and_then(|w| w.parse().ok())
                        .unwrap_or(34);
                    let rule = attr(attrs, "rule")
                        .and_then(|r| r.chars().next())
                        .unwrap_or('_');
                    self.push_run(Run::Signature { role, width, rule });
                    self.spans.push(SpanKind::Atom);
                } else if cls.iter().any(|c| c == "label") && self.runs.is_empty() {
                    self.in_label = true;
                    self.spans.push(SpanKind::Label);
                } else if cls.iter().any(|c| matches!(c.as_str(), "u" | "sc")) {
                    let mut s = self.style();
                    s.underline |= cls.iter().any(|c| c == "u");
                    s.small_caps |= cls.iter().any(|c| c == "sc");
                    self.styles.push(s);
                    self.spans.push(SpanKind::Styled);
                } else {
                    self.spans.push(SpanKind::Plain);
                }
            }
            Container::Emphasis
            | Container::Strong
            | Container::Insert
            | Container::Delete
            | Container::Subscript
            | Container::Superscript
            | Container::Mark
            | Container::Verbatim
            | Container::Math { .. }
            | Container::Link(..)
            | Container::Image(..)
            | Container::RawInline { .. } => {
                let mut s = self.style();
                match container {
                    Container::Emphasis => s.italic = true,
                    Container::Strong => s.bold = true,
                    Container::Insert => s.mark = Some(Mark::Insert),
                    Container::Delete => s.mark = Some(Mark::Delete),
                    _ => {}
                }
                self.styles.push(s);
            }
        }
    }

    fn end(&mut self, container: Container<'_>) {
        match container {
            Container::Paragraph
            | Container::Heading { .. }
            | Container::TableCell { .. }
            | Container::Caption
            | Container::LinkDefinition { .. }
            | Container::RawBlock { .. }
            | Container::CodeBlock { .. }
            | Container::DescriptionTerm => self.finish_inline(),
            Container::Div { .. }
            | Container::Blockquote
            | Container::Section { .. }
            | Container::List { .. }
            | Container::ListItem
            | Container::TaskListItem { .. }
            | Container::DescriptionList
            | Container::DescriptionDetails
            | Container::Footnote { .. }
            | Container::Table
            | Container::TableRow { .. } => self.close_frame(),
            Container::Span => match self.spans.pop() {
                Some(SpanKind::Styled) => {
                    self.styles.pop();
                }
                Some(SpanKind::Label) => self.in_label = false,
                _ => {}
            },
            _ => {
                self.styles.pop();
            }
        }
    }
}

fn trim_runs(runs: &mut Vec<Run>) {
    while let Some(Run::Text { text, .. }) = runs.first_mut() {
        let t = text.trim_start().to_string();
        if t.is_empty() {
            runs.remove(0);
        } else {
            *text = t;
            break;
        }
    }
    while let Some(Run::Text { text, .. }) = runs.last_mut() {
        let t = text.trim_end().to_string();
        if t.is_empty() {
            runs.pop();
        } else {
            *text = t;
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(doc: &Document, i: usize) -> &Paragraph {
        match &doc.blocks[i] {
            Block::Paragraph(p) => p,
            other => panic!("block {i} is {other:?}"),
        }
    }

    #[test]
    fn labels_fields_and_quotes() {
        let doc = parse(
            "{.indent}\n[1.]{.label} The \"Company\" shall pay []{.field name=\"x\" width=5}.\n",
        );
        let p = para(&doc, 0);
        assert_eq!(p.label, vec![Run::text("1.")]);
        assert_eq!(p.style.indent, Indent::FirstLine);
        assert_eq!(
            p.runs[0],
            Run::text("The \u{201c}Company\u{201d} shall pay ")
        );
        assert_eq!(
            p.runs[1],
            Run::Field {
                name: "x".into(),
                width: 5
            }
        );
    }

    #[test]
    fn quotes_after_a_bracket_open() {
        let doc = parse("and Whitco Poles, Inc. (\"Whitco\") agree\n");
        assert_eq!(
            para(&doc, 0).runs[0],
            Run::text("and Whitco Poles, Inc. (\u{201c}Whitco\u{201d}) agree")
        );
    }

    #[test]
    fn list_items_keep_their_markers() {
        let doc = parse("(a) first\n\n(b) second\n");
        assert_eq!(para(&doc, 0).label, vec![Run::text("(a)")]);
        assert_eq!(para(&doc, 1).label, vec![Run::text("(b)")]);
    }

    #[test]
    fn signature_columns() {
        let src = "::::: signatures\n::: signature\nA\\\n[]{.sig role=\"a\" width=10 rule=\"-\"}\n:::\n::: signature\nB\n:::\n:::::\n";
        let doc = parse(src);
        match &doc.blocks[0] {
            Block::Signatures(cols) => assert_eq!(cols.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
