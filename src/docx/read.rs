//! A .docx back to a Document: the renderer's mirror, for comparisons.
//!
//! Paragraphs, headings (by style or outline level), table cells in order, signature tables
//! (engross's, by their description) as signature blocks, clause labels before a hanging
//! indent's tab, and blanks (content controls holding only underscores) as fields and signature
//! lines. Tracked changes already in the file are taken as accepted: insertions and moves to
//! kept, deletions and moves away dropped, deleted paragraph marks joining two paragraphs; they
//! are counted for the caller to say so. Drawings, text boxes, field codes and comment marks
//! are not text. The XML is untrusted: no DTD or entity is expanded, and its nesting is capped.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::write::SOURCE_NAMESPACE;
use super::zip;
use crate::document::{Align, Block, Document, Indent, ParaStyle, Paragraph, Row, Run, Style};

/// The deepest XML nesting read.
const MAX_DEPTH: usize = 512;

/// What a .docx holds.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// Its text as a Document, tracked changes accepted.
    pub document: Document,
    /// The Djot source and data an engross .docx carries.
    pub source: Option<(String, String)>,
    /// How many tracked changes were taken as accepted.
    pub revisions: usize,
}

/// Why a .docx could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<zip::ZipError> for ReadError {
    fn from(e: zip::ZipError) -> Self {
        ReadError(e.0)
    }
}

/// Read a .docx's text, and the source an engross .docx carries.
pub fn read(bytes: &[u8]) -> Result<Read, ReadError> {
    let archive = zip::read(bytes)?;
    let main = main_part(&archive)?;
    let xml = archive
        .get(&main)?
        .ok_or_else(|| ReadError(format!("the main document part {main} is missing")))?;
    let (document, revisions) = body(&xml)?;
    let mut source = None;
    let items: Vec<String> = archive
        .names()
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            l.starts_with("customxml/item") && l.ends_with(".xml") && !l.contains("props")
        })
        .map(str::to_string)
        .collect();
    for name in items {
        if let Some(part) = archive.get(&name)?
            && let Some(found) = engross_source(&part)
        {
            source = Some(found);
            break;
        }
    }
    Ok(Read {
        document,
        source,
        revisions,
    })
}

/// The main document part's name, from the package relationships (`word/document.xml` when
/// they do not say).
fn main_part(archive: &zip::Archive<'_>) -> Result<String, ReadError> {
    let Some(rels) = archive.get("_rels/.rels")? else {
        return Ok("word/document.xml".into());
    };
    let mut reader = quick_xml::Reader::from_reader(rels.as_slice());
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e) | Event::Start(e)) if e.local_name().as_ref() == b"Relationship" => {
                if attr(&e, b"Type").is_some_and(|t| t.ends_with("/officeDocument"))
                    && let Some(target) = attr(&e, b"Target")
                {
                    return Ok(target.trim_start_matches('/').to_string());
                }
            }
            Ok(Event::Eof) => return Ok("word/document.xml".into()),
            Err(e) => return Err(ReadError(format!("the package relationships: {e}"))),
            _ => {}
        }
    }
}

/// The source and data of an engross custom XML part.
fn engross_source(xml: &[u8]) -> Option<(String, String)> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut ours = false;
    let mut current: Option<&'static str> = None;
    let (mut source, mut data) = (None, None);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let name = e.local_name();
                if name.as_ref() == b"engross" {
                    ours = attr(&e, b"xmlns").as_deref() == Some(SOURCE_NAMESPACE);
                }
                current = match name.as_ref() {
                    b"source" => Some("source"),
                    b"data" => Some("data"),
                    _ => None,
                };
            }
            Event::Text(t) if ours => {
                let text = t.decode().ok()?;
                let decoded = String::from_utf8(unbase64(&text)?).ok()?;
                match current {
                    Some("source") => source = Some(decoded),
                    Some("data") => data = Some(decoded),
                    _ => {}
                }
            }
            Event::End(_) => current = None,
            Event::Eof => break,
            _ => {}
        }
    }
    Some((source?, data.unwrap_or_default()))
}

fn unbase64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// An attribute's value by its local name.
fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key;
        let name = key.as_ref();
        let own = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        (own == local || name == local)
            .then(|| a.normalized_value(XmlVersion::Implicit1_0).ok())
            .flatten()
            .map(|v| v.into_owned())
    })
}

/// A paragraph being read.
#[derive(Debug, Default)]
struct Para {
    style: String,
    align: Align,
    hanging: bool,
    first_line: bool,
    left: i64,
    outline: Option<u8>,
    runs: Vec<Run>,
    /// Its mark was deleted: it joins the next paragraph.
    mark_deleted: bool,
}

/// A content control being read.
#[derive(Debug)]
struct Sdt {
    tag: Option<String>,
    alias: String,
    /// Where its content starts in the paragraph's runs.
    start: usize,
}

/// A table being read: rows of cells of blocks.
#[derive(Debug, Default)]
struct Table {
    signatures: bool,
    rows: Vec<Vec<Vec<Block>>>,
}

struct Body {
    blocks: Vec<Block>,
    tables: Vec<Table>,
    para: Option<Para>,
    /// Runs of paragraphs whose marks were deleted, waiting for the next paragraph.
    carried: Vec<Run>,
    sdts: Vec<Sdt>,
    style: Style,
    revisions: usize,
}

impl Body {
    fn container(&mut self) -> &mut Vec<Block> {
        match self
            .tables
            .last_mut()
            .and_then(|t| t.rows.last_mut())
            .and_then(|r| r.last_mut())
        {
            Some(cell) => cell,
            None => &mut self.blocks,
        }
    }

    fn text(&mut self, s: &str) {
        let style = self.style;
        // A content control's text starts a run of its own.
        let floor = self.sdts.last().map_or(0, |s| s.start);
        if let Some(p) = self.para.as_mut() {
            if p.runs.len() > floor
                && let Some(Run::Text { text, style: st }) = p.runs.last_mut()
                && *st == style
            {
                text.push_str(s);
                return;
            }
            p.runs.push(Run::Text {
                text: s.to_string(),
                style,
            });
        }
    }

    fn end_paragraph(&mut self) {
        let Some(mut p) = self.para.take() else {
            return;
        };
        if !self.carried.is_empty() {
            let mut runs = std::mem::take(&mut self.carried);
            runs.append(&mut p.runs);
            p.runs = runs;
        }
        if p.mark_deleted {
            self.carried = p.runs;
            return;
        }
        let in_table = !self.tables.is_empty();
        if let Some(block) = to_block(p, in_table) {
            self.container().push(block);
        }
    }

    fn end_table(&mut self) {
        let Some(t) = self.tables.pop() else {
            return;
        };
        let block = if t.signatures {
            Block::Signatures(t.rows.into_iter().flatten().collect())
        } else {
            Block::Table(
                t.rows
                    .into_iter()
                    .map(|cells| Row {
                        head: false,
                        cells: cells.into_iter().map(cell_runs).collect(),
                    })
                    .collect(),
            )
        };
        self.container().push(block);
    }
}

/// A cell's blocks as the runs of one cell: paragraphs joined by line breaks.
fn cell_runs(blocks: Vec<Block>) -> Vec<Run> {
    let mut runs = Vec::new();
    let push = |mut more: Vec<Run>, runs: &mut Vec<Run>| {
        if more.is_empty() {
            return;
        }
        if !runs.is_empty() {
            runs.push(Run::Break);
        }
        runs.append(&mut more);
    };
    for b in blocks {
        match b {
            Block::Paragraph(p) => {
                let mut all = p.label;
                if !all.is_empty() {
                    all.push(Run::text(" "));
                }
                all.extend(p.runs);
                push(all, &mut runs);
            }
            Block::Heading { runs: r, .. } => push(r, &mut runs),
            Block::Table(rows) => {
                for row in rows {
                    for cell in row.cells {
                        push(cell, &mut runs);
                    }
                }
            }
            Block::Signatures(cols) => {
                for col in cols {
                    push(cell_runs(col), &mut runs);
                }
            }
            Block::Quote(inner) | Block::Group { blocks: inner, .. } => {
                push(cell_runs(inner), &mut runs)
            }
            Block::PageBreak | Block::Rule => {}
        }
    }
    runs
}

fn has_content(runs: &[Run]) -> bool {
    runs.iter().any(|r| match r {
        Run::Text { text, .. } => !text.trim().is_empty(),
        Run::Field { .. } | Run::Signature { .. } => true,
        Run::Break => false,
    })
}

fn heading_level(p: &Para) -> Option<u8> {
    let s = p.style.to_ascii_lowercase();
    if s == "title" {
        return Some(1);
    }
    if let Some(n) = s
        .strip_prefix("heading")
        .and_then(|n| n.trim().parse::<u8>().ok())
    {
        return Some(n.saturating_add(1).min(6));
    }
    p.outline.map(|l| l.saturating_add(2).min(6))
}

fn to_block(mut p: Para, in_table: bool) -> Option<Block> {
    // Trailing and leading breaks are layout, not text.
    while matches!(p.runs.last(), Some(Run::Break)) {
        p.runs.pop();
    }
    if !has_content(&p.runs) {
        return None;
    }
    if !in_table && let Some(level) = heading_level(&p) {
        return Some(Block::Heading {
            level,
            align: if level == 1 { Align::Center } else { p.align },
            runs: p.runs,
        });
    }
    // A hanging indent's label is what comes before the first tab.
    let mut label = Vec::new();
    if p.hanging || p.style.eq_ignore_ascii_case("clause") {
        let tab = p
            .runs
            .iter()
            .position(|r| matches!(r, Run::Text { text, .. } if text.contains('\t')));
        if let Some(i) = tab {
            let mut rest = p.runs.split_off(i);
            label = std::mem::take(&mut p.runs);
            if let Some(Run::Text { text, style }) = rest.first().cloned() {
                let (before, after) = text.split_once('\t').unwrap_or(("", &text));
                if !before.is_empty() {
                    label.push(Run::Text {
                        text: before.to_string(),
                        style,
                    });
                }
                rest[0] = Run::Text {
                    text: after.to_string(),
                    style,
                };
            }
            if has_content(&label) {
                p.runs = rest;
            } else {
                label.append(&mut rest);
                p.runs = label;
                label = Vec::new();
            }
        }
    }
    // Other tabs separate words.
    for r in p.runs.iter_mut().chain(label.iter_mut()) {
        if let Run::Text { text, .. } = r
            && text.contains('\t')
        {
            *text = text.replace('\t', " ");
        }
    }
    Some(Block::Paragraph(Paragraph {
        style: ParaStyle {
            align: p.align,
            indent: if p.hanging {
                Indent::Hanging
            } else if p.first_line {
                Indent::FirstLine
            } else {
                Indent::None
            },
            level: u8::try_from((p.left / 720).clamp(0, 8)).unwrap_or(0),
        },
        label,
        runs: p.runs,
    }))
}

/// Elements whose content is not text (drawings and their text boxes, field codes, deleted
/// text, moved-away text, properties).
fn skipped(name: &[u8]) -> bool {
    matches!(
        name,
        b"del"
            | b"moveFrom"
            | b"instrText"
            | b"delInstrText"
            | b"drawing"
            | b"pict"
            | b"object"
            | b"AlternateContent"
            | b"sectPr"
            | b"tblGrid"
            | b"pPrChange"
            | b"rPrChange"
            | b"tblPrChange"
            | b"trPrChange"
            | b"tcPrChange"
            | b"sectPrChange"
            | b"numberingChange"
            | b"footnoteReference"
            | b"endnoteReference"
            | b"commentReference"
    )
}

/// The body of `word/document.xml` as a Document, and the number of tracked changes.
fn body(xml: &[u8]) -> Result<(Document, usize), ReadError> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut b = Body {
        blocks: Vec::new(),
        tables: Vec::new(),
        para: None,
        carried: Vec::new(),
        sdts: Vec::new(),
        style: Style::default(),
        revisions: 0,
    };
    // Element names open, and where skipping began.
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut skip: Option<usize> = None;
    let mut in_text = false;
    let mut in_ppr = false;
    let mut in_sdt_pr = false;
    let mut in_rpr = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ReadError(format!("word/document.xml: {e}")))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                if stack.len() >= MAX_DEPTH {
                    return Err(ReadError(format!(
                        "word/document.xml nests deeper than {MAX_DEPTH} elements"
                    )));
                }
                stack.push(name.clone());
                if skip.is_none() {
                    let mark = matches!(name.as_slice(), b"del" | b"moveFrom" | b"ins" | b"moveTo");
                    if skipped(&name) && !(in_ppr && mark) {
                        if matches!(name.as_slice(), b"del" | b"moveFrom") {
                            b.revisions += 1;
                        }
                        skip = Some(stack.len());
                    } else {
                        start(
                            &mut b,
                            &e,
                            &name,
                            false,
                            &mut in_ppr,
                            &mut in_sdt_pr,
                            &mut in_rpr,
                        );
                        if name == b"t" {
                            in_text = true;
                        }
                    }
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_vec();
                if skip.is_none() {
                    start(
                        &mut b,
                        &e,
                        &name,
                        true,
                        &mut in_ppr,
                        &mut in_sdt_pr,
                        &mut in_rpr,
                    );
                }
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_vec();
                let depth = stack.len();
                stack.pop();
                if skip == Some(depth) {
                    skip = None;
                    continue;
                }
                if skip.is_some() {
                    continue;
                }
                end(&mut b, &name, &mut in_ppr, &mut in_sdt_pr, &mut in_rpr);
                if name == b"t" {
                    in_text = false;
                }
            }
            Event::Text(t) if skip.is_none() && in_text => {
                let text = t
                    .xml_content(XmlVersion::Implicit1_0)
                    .map_err(|e| ReadError(format!("word/document.xml: {e}")))?;
                b.text(&text);
            }
            Event::GeneralRef(r) if skip.is_none() && in_text => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = c {
                    b.text(c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    b.end_paragraph();
    if !b.carried.is_empty() {
        let carried = std::mem::take(&mut b.carried);
        b.para = Some(Para {
            runs: carried,
            ..Para::default()
        });
        b.end_paragraph();
    }
    while !b.tables.is_empty() {
        b.end_table();
    }
    Ok((Document { blocks: b.blocks }, b.revisions))
}

fn int(e: &BytesStart<'_>, name: &[u8]) -> Option<i64> {
    attr(e, name).and_then(|v| v.trim().parse::<f64>().ok().map(|f| f as i64))
}

fn on(e: &BytesStart<'_>) -> bool {
    !matches!(
        attr(e, b"val").as_deref(),
        Some("0" | "false" | "off" | "none")
    )
}

#[allow(clippy::too_many_arguments)]
fn start(
    b: &mut Body,
    e: &BytesStart<'_>,
    name: &[u8],
    empty: bool,
    in_ppr: &mut bool,
    in_sdt_pr: &mut bool,
    in_rpr: &mut bool,
) {
    match name {
        b"p" => {
            b.end_paragraph();
            b.para = Some(Para::default());
            if empty {
                b.end_paragraph();
            }
        }
        b"pPr" if !empty => *in_ppr = true,
        b"rPr" if !empty && !*in_ppr => *in_rpr = true,
        b"sdtPr" if !empty => *in_sdt_pr = true,
        b"r" => b.style = Style::default(),
        b"ins" | b"moveTo" if !*in_ppr && !*in_rpr => b.revisions += 1,
        b"del" if *in_ppr => {
            // The paragraph mark was deleted: accepted, the paragraph joins the next.
            if let Some(p) = b.para.as_mut() {
                p.mark_deleted = true;
            }
            b.revisions += 1;
        }
        b"ins" | b"moveTo" | b"moveFrom" if *in_ppr => b.revisions += 1,
        b"tbl" => {
            b.end_paragraph();
            b.tables.push(Table::default());
        }
        b"tblDescription" | b"tblCaption" => {
            if let Some(t) = b.tables.last_mut() {
                t.signatures = attr(e, b"val").as_deref() == Some("signatures");
            }
        }
        b"tr" => {
            if let Some(t) = b.tables.last_mut() {
                t.rows.push(Vec::new());
            }
        }
        b"tc" => {
            b.end_paragraph();
            if let Some(r) = b.tables.last_mut().and_then(|t| t.rows.last_mut()) {
                r.push(Vec::new());
            }
        }
        b"sdt" => {
            let start = b.para.as_ref().map_or(0, |p| p.runs.len());
            b.sdts.push(Sdt {
                tag: None,
                alias: String::new(),
                start,
            });
        }
        b"tag" if *in_sdt_pr => {
            if let Some(s) = b.sdts.last_mut() {
                s.tag = attr(e, b"val");
            }
        }
        b"alias" if *in_sdt_pr => {
            if let Some(s) = b.sdts.last_mut() {
                s.alias = attr(e, b"val").unwrap_or_default();
            }
        }
        b"sdtContent" => {
            if let Some(s) = b.sdts.last_mut() {
                s.start = b.para.as_ref().map_or(0, |p| p.runs.len());
            }
        }
        _ if *in_ppr => {
            if let Some(p) = b.para.as_mut() {
                match name {
                    b"pStyle" => p.style = attr(e, b"val").unwrap_or_default(),
                    b"jc" => {
                        p.align = match attr(e, b"val").as_deref() {
                            Some("center") => Align::Center,
                            Some("right" | "end") => Align::Right,
                            _ => Align::Left,
                        }
                    }
                    b"ind" => {
                        p.left = int(e, b"left").or_else(|| int(e, b"start")).unwrap_or(0);
                        p.hanging = int(e, b"hanging").is_some_and(|h| h > 0);
                        p.first_line = int(e, b"firstLine").is_some_and(|h| h > 0);
                    }
                    b"outlineLvl" => p.outline = int(e, b"val").and_then(|v| u8::try_from(v).ok()),
                    _ => {}
                }
            }
        }
        _ if *in_rpr => match name {
            b"b" => b.style.bold = on(e),
            b"i" => b.style.italic = on(e),
            b"smallCaps" => b.style.small_caps = on(e),
            b"u" => b.style.underline = on(e),
            _ => {}
        },
        b"tab" | b"ptab" => b.text("\t"),
        b"br" | b"cr" => {
            if attr(e, b"type").is_none_or(|t| t == "textWrapping")
                && let Some(p) = b.para.as_mut()
            {
                p.runs.push(Run::Break);
            }
        }
        b"noBreakHyphen" => b.text("-"),
        _ => {}
    }
}

fn end(b: &mut Body, name: &[u8], in_ppr: &mut bool, in_sdt_pr: &mut bool, in_rpr: &mut bool) {
    match name {
        b"p" => b.end_paragraph(),
        b"pPr" => *in_ppr = false,
        b"rPr" => *in_rpr = false,
        b"sdtPr" => *in_sdt_pr = false,
        b"tc" => b.end_paragraph(),
        b"tbl" => {
            b.end_paragraph();
            b.end_table();
        }
        b"sdt" => {
            let Some(sdt) = b.sdts.pop() else {
                return;
            };
            let Some(p) = b.para.as_mut() else {
                return;
            };
            let Some(tag) = sdt.tag else {
                return;
            };
            let content = p.runs.get(sdt.start..).unwrap_or_default();
            // A blank still blank (only underscores or spaces in it) is the field it stands for; one filled
            // in is its text.
            let blank = content.iter().all(|r| match r {
                Run::Text { text, .. } => text.chars().all(|c| c == '_' || c.is_whitespace()),
                _ => false,
            });
            let kind = sdt.alias.split(':').next().unwrap_or_default();
            if blank && (kind == "Field" || kind == "Signature") {
                let width = content
                    .iter()
                    .map(|r| match r {
                        Run::Text { text, .. } => text.chars().count(),
                        _ => 0,
                    })
                    .sum::<usize>();
                let width = u32::try_from(width.max(1)).unwrap_or(1);
                p.runs.truncate(sdt.start);
                p.runs.push(if kind == "Field" {
                    Run::Field { name: tag, width }
                } else {
                    Run::Signature {
                        role: tag,
                        width,
                        rule: '_',
                    }
                });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(doc: &Document) -> String {
        crate::render::text::render(doc)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn docx_with(body: &str) -> Vec<u8> {
        let xml = format!(
            "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
             xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\"><w:body>{body}</w:body></w:document>"
        );
        zip::write(&[("word/document.xml", xml.into_bytes())])
    }

    #[test]
    fn what_word_writes_reads_as_text_with_changes_accepted() {
        let body = "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>Terms</w:t></w:r></w:p>\
            <w:p w:rsidR=\"00AB\"><w:r><w:t xml:space=\"preserve\">The </w:t></w:r><w:proofErr w:type=\"spellStart\"/>\
            <w:r><w:rPr><w:b/></w:rPr><w:t>Buyer</w:t></w:r><w:proofErr w:type=\"spellEnd\"/>\
            <w:ins w:id=\"1\" w:author=\"X\"><w:r><w:t xml:space=\"preserve\"> promptly</w:t></w:r></w:ins>\
            <w:del w:id=\"2\" w:author=\"X\"><w:r><w:delText xml:space=\"preserve\"> slowly</w:delText></w:r></w:del>\
            <w:r><w:t xml:space=\"preserve\"> pays &amp; </w:t></w:r>\
            <w:hyperlink r:id=\"x\" xmlns:r=\"r\"><w:r><w:t>link</w:t></w:r></w:hyperlink>\
            <w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>\
            <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>7</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r>\
            <w:r><w:footnoteReference w:id=\"1\"/></w:r>\
            <w:r><mc:AlternateContent><mc:Choice><w:drawing><w:t>boxed</w:t></w:drawing></mc:Choice></mc:AlternateContent></w:r></w:p>\
            <w:p><w:pPr><w:rPr><w:del w:id=\"3\" w:author=\"X\"/></w:rPr></w:pPr><w:r><w:t>Joined</w:t></w:r></w:p>\
            <w:p><w:r><w:t xml:space=\"preserve\"> here.</w:t></w:r></w:p>\
            <w:p><w:moveFrom w:id=\"4\" w:author=\"X\"><w:r><w:t>Gone</w:t></w:r></w:moveFrom><w:moveTo w:id=\"5\" w:author=\"X\"><w:r><w:t>Moved</w:t></w:r></w:moveTo></w:p>\
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>A1</w:t></w:r></w:p><w:p><w:r><w:t>A1b</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>B1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>\
            <w:p><w:sdt><w:sdtPr><w:alias w:val=\"Field: x.y\"/><w:tag w:val=\"x.y\"/></w:sdtPr><w:sdtContent><w:r><w:t>____</w:t></w:r></w:sdtContent></w:sdt>\
            <w:sdt><w:sdtPr><w:alias w:val=\"Field: x.z\"/><w:tag w:val=\"x.z\"/></w:sdtPr><w:sdtContent><w:r><w:t>filled</w:t></w:r></w:sdtContent></w:sdt></w:p>";
        let read = read(&docx_with(body)).unwrap();
        assert_eq!(read.revisions, 5);
        assert!(matches!(
            read.document.blocks[0],
            Block::Heading { level: 2, .. }
        ));
        assert_eq!(
            text_of(&read.document),
            "Terms The Buyer promptly pays & link7 Joined here. Moved A1 B1 A1b ____filled"
        );
        let fields: Vec<&str> = read
            .document
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Paragraph(p) => Some(p.runs.iter()),
                _ => None,
            })
            .flatten()
            .filter_map(|r| match r {
                Run::Field { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(fields, ["x.y"]);
    }

    #[test]
    fn not_a_docx_is_an_error() {
        assert!(read(b"PK\x03\x04 but nothing more").is_err());
        let no_main = zip::write(&[("other.xml", b"<a/>".to_vec())]);
        assert!(read(&no_main).unwrap_err().0.contains("missing"));
        // Unclosed elements: quick-xml reports the mismatch, or the text so far is read.
        let _ = read(&docx_with("<w:p><w:r><w:t>x</w:t></w:r>"));
    }
}
