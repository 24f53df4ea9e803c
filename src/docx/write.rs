//! A Document as WordprocessingML: the parts of a .docx, in a fixed order.
//!
//! What Word users need to restyle and sign it: real styles (Title, Heading 1–3, Body Text,
//! Clause with its hanging indent, Legend, Signature), clause labels as literal text (Word's
//! auto-numbering drifts when edited), keep-with-next where the PDF keeps, exhibits on a new
//! page, tables with borders, signature blocks as a borderless table side by side, and every
//! blank a plain-text content control named like the PDF's field. Marked runs (a redline) become
//! tracked changes: `w:ins`/`w:del`, moves as `w:moveFrom`/`w:moveTo` ranges with their inner
//! edits, whole inserted or deleted paragraphs marked on their paragraph marks.

use std::fmt::Write as _;

use crate::document::{
    Align, Block, Document, GroupKind, Indent, Mark, Paragraph, Row, Run, Style,
};
use crate::layout::PageSetup;
use crate::pdf::Stamp;

/// The namespace of the custom XML part that carries the source of an engross .docx.
pub const SOURCE_NAMESPACE: &str = "urn:engross:source:1";

/// Who made the tracked changes of a redline, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    /// The author Word shows on each change.
    pub author: String,
    /// Their date (none leaves it out).
    pub date: Option<Stamp>,
}

/// What a .docx says of itself besides its text.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Title (document properties).
    pub title: String,
    /// Author (document properties).
    pub author: String,
    /// The footer's document ID ("Doc. 1A2B3C4D"), also the custom property `DocumentID`.
    pub id: String,
    /// Paper, margins and type size.
    pub setup: PageSetup,
    /// The document's date (properties), from the data or `SOURCE_DATE_EPOCH`.
    pub date: Option<Stamp>,
    /// The Djot source and the normalised data, carried in a custom XML part so that the file
    /// compares exactly against its data (when its text still shows that source).
    pub source: Option<(String, String)>,
    /// For a redline: marked runs become tracked changes by this author.
    pub tracking: Option<Tracking>,
    /// A comment on the first paragraph (a redline's summary), one paragraph per line.
    pub comment: Vec<String>,
}

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// Twips (twentieths of a point) of a length in points.
fn twips(points: f32) -> i64 {
    (points * 20.0).round() as i64
}

/// Escape text for XML content or an attribute; characters XML 1.0 cannot hold are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

/// Standard base64 (the custom XML part carries the source this way: any character of a data
/// file survives, XML's forbidden ones included).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A date as Word writes it: `2026-01-15T00:00:00Z`.
fn iso(stamp: &Stamp) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        stamp.year, stamp.month, stamp.day, stamp.time.0, stamp.time.1, stamp.time.2
    )
}

/// The parts of the .docx of `doc`, in the order they are zipped.
pub fn parts(doc: &Document, meta: &Meta) -> Vec<(&'static str, Vec<u8>)> {
    let tracking = meta.tracking.clone().unwrap_or(Tracking {
        author: "engross".into(),
        date: None,
    });
    let mut w = Writer {
        out: String::with_capacity(256 * 1024),
        change: format!(
            " w:author=\"{}\"{}",
            escape(&tracking.author),
            tracking
                .date
                .map(|d| format!(" w:date=\"{}\"", iso(&d)))
                .unwrap_or_default()
        ),
        next_id: 1,
        page_break: false,
        comment: !meta.comment.is_empty(),
        move_name: None,
        sdt: 0,
    };
    let measure = twips(meta.setup.width - 2.0 * meta.setup.margin);
    let ctx = Ctx {
        width: measure,
        ..Ctx::default()
    };
    w.blocks(&doc.blocks, ctx);
    if w.page_break {
        w.out
            .push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");
    }
    let body = std::mem::take(&mut w.out);
    let margin = twips(meta.setup.margin);
    let document = format!(
        "{XML_HEAD}<w:document xmlns:w=\"{W}\" xmlns:r=\"{R}\"><w:body>{body}<w:sectPr>\
         <w:footerReference w:type=\"default\" r:id=\"rIdFooter\"/>\
         <w:pgSz w:w=\"{}\" w:h=\"{}\"/>\
         <w:pgMar w:top=\"{margin}\" w:right=\"{margin}\" w:bottom=\"{margin}\" w:left=\"{margin}\" \
         w:header=\"{}\" w:footer=\"{}\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
        twips(meta.setup.width),
        twips(meta.setup.height),
        margin / 2,
        margin / 3,
    );
    let mut rels = vec![
        ("rIdStyles", "styles", "styles.xml".to_string()),
        ("rIdSettings", "settings", "settings.xml".to_string()),
        ("rIdFonts", "fontTable", "fontTable.xml".to_string()),
        ("rIdFooter", "footer", "footer1.xml".to_string()),
    ];
    if !meta.comment.is_empty() {
        rels.push(("rIdComments", "comments", "comments.xml".to_string()));
    }
    if meta.source.is_some() {
        rels.push((
            "rIdSource",
            "customXml",
            "../customXml/item1.xml".to_string(),
        ));
    }
    let mut out: Vec<(&'static str, Vec<u8>)> = vec![
        ("[Content_Types].xml", content_types(meta).into_bytes()),
        ("_rels/.rels", package_rels().into_bytes()),
        ("docProps/core.xml", core(meta).into_bytes()),
        ("docProps/app.xml", app().into_bytes()),
        ("docProps/custom.xml", custom(meta).into_bytes()),
        ("word/document.xml", document.into_bytes()),
        (
            "word/_rels/document.xml.rels",
            relationships(
                rels.iter()
                    .map(|(id, kind, target)| (*id, format!("{REL}/{kind}"), target.as_str())),
            )
            .into_bytes(),
        ),
        ("word/styles.xml", styles(&meta.setup).into_bytes()),
        ("word/settings.xml", settings().into_bytes()),
        ("word/fontTable.xml", font_table().into_bytes()),
        ("word/footer1.xml", footer(meta).into_bytes()),
    ];
    if !meta.comment.is_empty() {
        out.push(("word/comments.xml", comments(meta, &w.change).into_bytes()));
    }
    if let Some((source, data)) = &meta.source {
        out.push((
            "customXml/item1.xml",
            format!(
                "{XML_HEAD}<engross xmlns=\"{SOURCE_NAMESPACE}\"><source encoding=\"base64\">{}</source>\
                 <data encoding=\"base64\">{}</data></engross>",
                base64(source.as_bytes()),
                base64(data.as_bytes())
            )
            .into_bytes(),
        ));
        out.push((
            "customXml/itemProps1.xml",
            format!(
                "{XML_HEAD}<ds:datastoreItem ds:itemID=\"{}\" \
                 xmlns:ds=\"http://schemas.openxmlformats.org/officeDocument/2006/customXml\">\
                 <ds:schemaRefs><ds:schemaRef ds:uri=\"{SOURCE_NAMESPACE}\"/></ds:schemaRefs>\
                 </ds:datastoreItem>",
                guid(source.as_bytes())
            )
            .into_bytes(),
        ));
        out.push((
            "customXml/_rels/item1.xml.rels",
            relationships(std::iter::once((
                "rIdProps",
                format!("{REL}/customXmlProps"),
                "itemProps1.xml",
            )))
            .into_bytes(),
        ));
    }
    out
}

/// A GUID derived from content (the custom XML part's ID): the same source, the same ID.
fn guid(bytes: &[u8]) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(bytes);
    let hex: String = h[..16].iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn relationships<'a>(rels: impl Iterator<Item = (&'a str, String, &'a str)>) -> String {
    let mut s = format!("{XML_HEAD}<Relationships xmlns=\"{PKG_REL}\">");
    for (id, kind, target) in rels {
        let _ = write!(
            s,
            "<Relationship Id=\"{id}\" Type=\"{kind}\" Target=\"{}\"/>",
            escape(target)
        );
    }
    s.push_str("</Relationships>");
    s
}

fn package_rels() -> String {
    relationships(
        [
            ("rId1", format!("{REL}/officeDocument"), "word/document.xml"),
            (
                "rId2",
                "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
                    .to_string(),
                "docProps/core.xml",
            ),
            ("rId3", format!("{REL}/extended-properties"), "docProps/app.xml"),
            ("rId4", format!("{REL}/custom-properties"), "docProps/custom.xml"),
        ]
        .into_iter(),
    )
}

fn content_types(meta: &Meta) -> String {
    let ct = "application/vnd.openxmlformats-officedocument";
    let mut s = format!(
        "{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/word/document.xml\" ContentType=\"{ct}.wordprocessingml.document.main+xml\"/>\
         <Override PartName=\"/word/styles.xml\" ContentType=\"{ct}.wordprocessingml.styles+xml\"/>\
         <Override PartName=\"/word/settings.xml\" ContentType=\"{ct}.wordprocessingml.settings+xml\"/>\
         <Override PartName=\"/word/fontTable.xml\" ContentType=\"{ct}.wordprocessingml.fontTable+xml\"/>\
         <Override PartName=\"/word/footer1.xml\" ContentType=\"{ct}.wordprocessingml.footer+xml\"/>\
         <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
         <Override PartName=\"/docProps/app.xml\" ContentType=\"{ct}.extended-properties+xml\"/>\
         <Override PartName=\"/docProps/custom.xml\" ContentType=\"{ct}.custom-properties+xml\"/>"
    );
    if !meta.comment.is_empty() {
        let _ = write!(
            s,
            "<Override PartName=\"/word/comments.xml\" ContentType=\"{ct}.wordprocessingml.comments+xml\"/>"
        );
    }
    if meta.source.is_some() {
        let _ = write!(
            s,
            "<Override PartName=\"/customXml/itemProps1.xml\" ContentType=\"{ct}.customXmlProperties+xml\"/>"
        );
    }
    s.push_str("</Types>");
    s
}

fn core(meta: &Meta) -> String {
    let date = meta
        .date
        .map(|d| {
            let d = iso(&d);
            format!(
                "<dcterms:created xsi:type=\"dcterms:W3CDTF\">{d}</dcterms:created>\
                 <dcterms:modified xsi:type=\"dcterms:W3CDTF\">{d}</dcterms:modified>"
            )
        })
        .unwrap_or_default();
    format!(
        "{XML_HEAD}<cp:coreProperties \
         xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title><dc:creator>{}</dc:creator><cp:keywords>engross</cp:keywords>{date}\
         </cp:coreProperties>",
        escape(&meta.title),
        escape(&meta.author)
    )
}

fn app() -> String {
    format!(
        "{XML_HEAD}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">\
         <Application>engross</Application></Properties>"
    )
}

fn custom(meta: &Meta) -> String {
    format!(
        "{XML_HEAD}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" \
         xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">\
         <property fmtid=\"{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}\" pid=\"2\" name=\"DocumentID\">\
         <vt:lpwstr>{}</vt:lpwstr></property></Properties>",
        escape(&meta.id)
    )
}

fn settings() -> String {
    format!(
        "{XML_HEAD}<w:settings xmlns:w=\"{W}\"><w:defaultTabStop w:val=\"720\"/>\
         <w:characterSpacingControl w:val=\"doNotCompress\"/>\
         <w:compat><w:compatSetting w:name=\"compatibilityMode\" \
         w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat></w:settings>"
    )
}

fn font_table() -> String {
    format!(
        "{XML_HEAD}<w:fonts xmlns:w=\"{W}\"><w:font w:name=\"Times New Roman\">\
         <w:altName w:val=\"Liberation Serif\"/><w:family w:val=\"roman\"/>\
         <w:pitch w:val=\"variable\"/></w:font></w:fonts>"
    )
}

/// A field (`PAGE`, `NUMPAGES`, `DOCPROPERTY DocumentID`) with its last result.
fn field(instruction: &str, result: &str) -> String {
    format!(
        "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>\
         <w:r><w:instrText xml:space=\"preserve\"> {instruction} </w:instrText></w:r>\
         <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>\
         <w:r><w:t>{}</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r>",
        escape(result)
    )
}

fn footer(meta: &Meta) -> String {
    let right = twips(meta.setup.width - 2.0 * meta.setup.margin);
    format!(
        "{XML_HEAD}<w:ftr xmlns:w=\"{W}\" xmlns:r=\"{R}\"><w:p><w:pPr><w:pStyle w:val=\"Footer\"/>\
         <w:tabs><w:tab w:val=\"center\" w:pos=\"{}\"/><w:tab w:val=\"right\" w:pos=\"{right}\"/></w:tabs>\
         </w:pPr><w:r><w:tab/><w:t xml:space=\"preserve\">Page </w:t></w:r>{}\
         <w:r><w:t xml:space=\"preserve\"> of </w:t></w:r>{}<w:r><w:tab/></w:r>{}</w:p></w:ftr>",
        right / 2,
        field("PAGE", "1"),
        field("NUMPAGES", "1"),
        field("DOCPROPERTY DocumentID", &meta.id),
    )
}

fn comments(meta: &Meta, change: &str) -> String {
    let mut s = format!(
        "{XML_HEAD}<w:comments xmlns:w=\"{W}\"><w:comment w:id=\"0\"{change} w:initials=\"E\">"
    );
    for line in &meta.comment {
        let _ = write!(
            s,
            "<w:p><w:pPr><w:pStyle w:val=\"CommentText\"/></w:pPr><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            escape(line)
        );
    }
    s.push_str("</w:comment></w:comments>");
    s
}

fn styles(setup: &PageSetup) -> String {
    let size = (setup.font_size * 2.0).round() as i64;
    let line = twips(setup.leading);
    let after = twips(setup.leading);
    let paragraph = |id: &str, name: &str, based: &str, ppr: &str, rpr: &str| {
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>\
             <w:basedOn w:val=\"{based}\"/><w:next w:val=\"BodyText\"/><w:qFormat/>\
             <w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"
        )
    };
    let heading = |n: u8| {
        paragraph(
            &format!("Heading{n}"),
            &format!("heading {n}"),
            "Normal",
            &format!(
                "<w:keepNext/><w:keepLines/><w:spacing w:before=\"{after}\" w:after=\"{after}\"/>\
                 <w:outlineLvl w:val=\"{}\"/>",
                n - 1
            ),
            "<w:b/>",
        )
    };
    let border = "<w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>\
                  <w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>\
                  <w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>\
                  <w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>\
                  <w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>\
                  <w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>";
    format!(
        "{XML_HEAD}<w:styles xmlns:w=\"{W}\"><w:docDefaults><w:rPrDefault><w:rPr>\
         <w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"Times New Roman\" w:cs=\"Times New Roman\"/>\
         <w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/><w:lang w:val=\"en-US\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"{line}\" w:lineRule=\"exact\"/></w:pPr></w:pPrDefault>\
         </w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>\
         <w:pPr><w:widowControl/></w:pPr></w:style>\
         {}{}{}{}{}{}{}{}{}{}\
         <w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\"><w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/></w:style>\
         <w:style w:type=\"character\" w:styleId=\"CommentReference\"><w:name w:val=\"annotation reference\"/><w:rPr><w:sz w:val=\"16\"/></w:rPr></w:style>\
         <w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/>\
         <w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
         <w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/><w:basedOn w:val=\"TableNormal\"/><w:tblPr><w:tblBorders>{border}</w:tblBorders></w:tblPr></w:style>\
         <w:style w:type=\"table\" w:styleId=\"SignatureTable\"><w:name w:val=\"Signature Table\"/><w:basedOn w:val=\"TableNormal\"/><w:tblPr><w:tblCellMar><w:left w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"288\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
         </w:styles>",
        paragraph(
            "Title",
            "Title",
            "Normal",
            &format!(
                "<w:keepNext/><w:keepLines/><w:spacing w:after=\"{after}\"/><w:jc w:val=\"center\"/><w:outlineLvl w:val=\"0\"/>"
            ),
            "<w:b/>"
        ),
        heading(1),
        heading(2),
        heading(3),
        paragraph(
            "BodyText",
            "Body Text",
            "Normal",
            &format!("<w:spacing w:after=\"{after}\"/><w:jc w:val=\"both\"/>"),
            ""
        ),
        paragraph(
            "Clause",
            "Clause",
            "BodyText",
            "<w:ind w:left=\"1440\" w:hanging=\"720\"/>",
            ""
        ),
        paragraph(
            "Legend",
            "Legend",
            "BodyText",
            "<w:ind w:left=\"720\" w:right=\"720\"/>",
            ""
        ),
        paragraph(
            "Signature",
            "Signature",
            "Normal",
            "<w:keepNext/><w:keepLines/><w:jc w:val=\"left\"/>",
            ""
        ),
        paragraph(
            "Footer",
            "footer",
            "Normal",
            "",
            "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>"
        ),
        paragraph(
            "CommentText",
            "annotation text",
            "Normal",
            "",
            "<w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/>"
        ),
    )
}

/// Where a block is written.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    /// The width there is, in twips.
    width: i64,
    /// Left indentation of a quote, in twips.
    quote: i64,
    /// Keep every paragraph with the next one (a keep group, a signature page).
    keep: bool,
    /// Inside a signature block.
    signature: bool,
    /// Inside a table cell.
    cell: bool,
    /// The mark of a whole block (a redline's inserted, deleted or moved paragraph).
    mark: Option<Mark>,
}

struct Writer {
    out: String,
    /// ` w:author="…" w:date="…"` of every tracked change.
    change: String,
    next_id: u32,
    /// The next paragraph starts a page.
    page_break: bool,
    /// A comment is still to be anchored on the first paragraph.
    comment: bool,
    /// The name of the move whose note was seen last (`move1`).
    move_name: Option<String>,
    sdt: u32,
}

/// A run's place in a tracked change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Revision {
    None,
    Ins,
    Del,
    /// Deleted inside a moved passage: inserted and deleted, gone both when accepted and when
    /// rejected (the old words are whole where the passage was).
    InsDel,
    MoveTo,
    MoveFrom,
}

fn mark_of(r: &Run) -> Option<Mark> {
    match r {
        Run::Text { style, .. } => style.mark,
        _ => None,
    }
}

fn is_blank_text(r: &Run) -> bool {
    matches!(r, Run::Text { text, .. } if text.trim().is_empty())
}

/// The revision of every run: moved passages (from the first to the last run of a move, with
/// what lies between them) are ranges, and their inner edits nest in them.
fn revisions(runs: &[Run], whole: Option<Mark>) -> Vec<Revision> {
    let mut out: Vec<Revision> = runs
        .iter()
        .map(|r| match mark_of(r) {
            Some(Mark::Insert) => Revision::Ins,
            Some(Mark::Delete) => Revision::Del,
            Some(Mark::DeleteInMove) => Revision::InsDel,
            Some(Mark::Move) => Revision::MoveTo,
            Some(Mark::MovedFrom) => Revision::MoveFrom,
            Some(Mark::Note) | None => Revision::None,
        })
        .collect();
    let moving = |m: Option<Mark>| matches!(m, Some(Mark::Move | Mark::MovedFrom));
    // Inner edits lie between two runs of the same move, with nothing unmarked but spaces.
    let mut i = 0;
    while i < runs.len() {
        let Some(kind) = mark_of(&runs[i]).filter(|m| moving(Some(*m))) else {
            i += 1;
            continue;
        };
        let mut last = i;
        let mut j = i + 1;
        while j < runs.len() {
            match mark_of(&runs[j]) {
                Some(m) if m == kind => last = j,
                Some(Mark::Insert | Mark::Delete | Mark::DeleteInMove) => {}
                None if is_blank_text(&runs[j]) || matches!(runs[j], Run::Break) => {}
                _ => break,
            }
            j += 1;
        }
        for r in &mut out[i..=last] {
            *r = match (kind, *r) {
                (Mark::Move, Revision::None) => Revision::MoveTo,
                (Mark::MovedFrom, Revision::None) => Revision::MoveFrom,
                (_, r) => r,
            };
        }
        i = last + 1;
    }
    // A blank carries no mark of its own: it takes its neighbours' insertion or deletion.
    let solid = |k: &usize| !is_blank_text(&runs[*k]) && !matches!(runs[*k], Run::Break);
    for k in 0..runs.len() {
        if matches!(runs[k], Run::Field { .. } | Run::Signature { .. }) {
            let before = (0..k).rev().find(solid).map(|j| out[j]);
            let after = (k + 1..runs.len()).find(solid).map(|j| out[j]);
            out[k] = match (before, after) {
                (Some(a), Some(b)) if a == b && matches!(a, Revision::Ins | Revision::Del) => a,
                (Some(a @ (Revision::Ins | Revision::Del)), None)
                | (None, Some(a @ (Revision::Ins | Revision::Del))) => a,
                _ => out[k],
            };
        }
    }
    // A whole moved block: its unmarked runs move with it, its deletions are inner.
    if let Some(m @ (Mark::Move | Mark::MovedFrom)) = whole {
        for (k, r) in out.iter_mut().enumerate() {
            *r = match (m, *r) {
                (Mark::Move, Revision::None) if mark_of(&runs[k]) != Some(Mark::Note) => {
                    Revision::MoveTo
                }
                (Mark::MovedFrom, Revision::None) if mark_of(&runs[k]) != Some(Mark::Note) => {
                    Revision::MoveFrom
                }
                (_, r) => r,
            };
        }
    }
    out
}

/// The width of a label in twips, roughly (Times at the body size): for the hanging indent.
fn label_twips(label: &[Run]) -> i64 {
    let chars = crate::document::runs_text(label).chars().count() as i64;
    // About half an em a character, and room for the gap before the text.
    ((chars * 130 + 240).max(720) + 359) / 360 * 360
}

impl Writer {
    fn id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn blocks(&mut self, blocks: &[Block], ctx: Ctx) {
        // One hanging indent per list: the widest label among siblings of one level.
        let mut hang: std::collections::BTreeMap<u8, i64> = std::collections::BTreeMap::new();
        for b in blocks {
            if let Block::Paragraph(p) = b
                && p.style.indent == Indent::Hanging
                && !p.label.is_empty()
            {
                let e = hang.entry(p.style.level).or_insert(0);
                *e = (*e).max(label_twips(&p.label));
            }
        }
        // The signature page (testimonium, every signature block, the dated lines and the
        // acceptance) keeps together, as in the PDF.
        let units = crate::document::signature_units(blocks);
        for (i, b) in blocks.iter().enumerate() {
            let mut c = ctx;
            // "[REMAINDER OF PAGE INTENTIONALLY LEFT BLANK]" never stands alone on a page.
            let remainder = matches!(blocks.get(i + 1), Some(Block::Paragraph(p))
                if crate::document::runs_text(&p.runs).to_ascii_uppercase().contains("REMAINDER OF PAGE"));
            // Answer boxes ("Yes __ No __") keep with the question before them, and with a
            // caption after them ("If Yes, please describe:"), as in the PDF.
            let boxes = |b: Option<&Block>| {
                matches!(b, Some(Block::Paragraph(p))
                    if p.runs.iter().any(|r| matches!(r, Run::Field { .. }))
                        && crate::document::runs_text(&p.runs).split_whitespace().count() <= 4)
            };
            let caption = matches!(blocks.get(i + 1), Some(Block::Paragraph(p))
                if crate::document::runs_text(&p.runs).trim_end().ends_with(':'));
            let answer = boxes(blocks.get(i + 1)) || (boxes(Some(b)) && caption);
            if remainder || answer || units.iter().any(|&(a, z)| i >= a && i + 1 < z) {
                c.keep = true;
            }
            if i + 1 == blocks.len() {
                c.keep = ctx.keep;
            }
            self.block(b, c, &hang);
        }
    }

    fn block(&mut self, b: &Block, ctx: Ctx, hang: &std::collections::BTreeMap<u8, i64>) {
        match b {
            Block::Heading { level, align, runs } => {
                let style = match level {
                    0 | 1 => "Title",
                    2 => "Heading1",
                    3 => "Heading2",
                    _ => "Heading3",
                };
                let jc = match (level, align) {
                    (0 | 1, _) => "",
                    (_, Align::Center) => "<w:jc w:val=\"center\"/>",
                    (_, Align::Right) => "<w:jc w:val=\"right\"/>",
                    (_, Align::Left) => "",
                };
                self.paragraph(style, jc, &[], runs, ctx);
            }
            Block::Paragraph(p) => self.clause(p, ctx, hang),
            Block::Quote(inner) => {
                let c = Ctx {
                    quote: ctx.quote + 720,
                    width: ctx.width - 1440,
                    ..ctx
                };
                self.blocks(inner, c);
            }
            Block::Table(rows) => self.table(rows, ctx),
            Block::Signatures(cols) => self.signatures(cols, ctx),
            Block::Group { kind, blocks } => match kind {
                GroupKind::Exhibit => {
                    self.page_break = true;
                    self.blocks(blocks, ctx);
                }
                GroupKind::Keep => {
                    let c = Ctx { keep: true, ..ctx };
                    let n = blocks.len();
                    for (i, b) in blocks.iter().enumerate() {
                        let c = if i + 1 == n { ctx } else { c };
                        self.blocks(std::slice::from_ref(b), c);
                    }
                }
                GroupKind::Plain => self.blocks(blocks, ctx),
                GroupKind::Change(mark) => {
                    let c = Ctx {
                        mark: Some(*mark),
                        ..ctx
                    };
                    self.blocks(blocks, c);
                }
            },
            Block::PageBreak => self.page_break = true,
            Block::Rule => {
                let side = ctx.width * 3 / 10;
                self.out.push_str(&format!(
                    "<w:p><w:pPr><w:pStyle w:val=\"BodyText\"/>{}<w:pBdr><w:bottom w:val=\"single\" \
                     w:sz=\"6\" w:space=\"1\" w:color=\"000000\"/></w:pBdr>\
                     <w:ind w:left=\"{}\" w:right=\"{side}\"/></w:pPr></w:p>",
                    if ctx.keep { "<w:keepNext/>" } else { "" },
                    ctx.quote + side
                ));
            }
        }
    }

    fn clause(&mut self, p: &Paragraph, ctx: Ctx, hang: &std::collections::BTreeMap<u8, i64>) {
        let base = ctx.quote + i64::from(p.style.level) * 720;
        let labelled = !p.label.is_empty();
        let (style, ind) = match p.style.indent {
            Indent::Hanging if labelled => {
                let h = hang
                    .get(&p.style.level)
                    .copied()
                    .unwrap_or_else(|| label_twips(&p.label));
                (
                    "Clause",
                    format!("<w:ind w:left=\"{}\" w:hanging=\"{h}\"/>", base + 720 + h),
                )
            }
            Indent::Hanging | Indent::FirstLine => (
                "BodyText",
                format!("<w:ind w:left=\"{base}\" w:firstLine=\"720\"/>"),
            ),
            Indent::None => ("BodyText", format!("<w:ind w:left=\"{base}\"/>")),
        };
        let style = if ctx.signature {
            "Signature"
        } else if ctx.quote > 0 && !labelled {
            "Legend"
        } else {
            style
        };
        let right = if ctx.quote > 0 && !ctx.signature {
            format!("<w:ind w:left=\"{base}\" w:right=\"{}\"", ctx.quote)
        } else {
            String::new()
        };
        let ind = if right.is_empty() {
            ind
        } else {
            ind.replacen(&format!("<w:ind w:left=\"{base}\""), &right, 1)
        };
        let jc = match p.style.align {
            Align::Center => "<w:jc w:val=\"center\"/>",
            Align::Right => "<w:jc w:val=\"right\"/>",
            Align::Left => "",
        };
        let sep = if p.style.indent == Indent::Hanging {
            Sep::Tab
        } else {
            Sep::Space
        };
        self.paragraph_with(style, &format!("{ind}{jc}"), &p.label, sep, &p.runs, ctx);
    }

    fn paragraph(&mut self, style: &str, ppr: &str, label: &[Run], runs: &[Run], ctx: Ctx) {
        self.paragraph_with(style, ppr, label, Sep::Space, runs, ctx);
    }

    fn paragraph_with(
        &mut self,
        style: &str,
        ppr: &str,
        label: &[Run],
        sep: Sep,
        runs: &[Run],
        ctx: Ctx,
    ) {
        // A redline's notes are not part of either document: Word names its moves itself.
        for r in label.iter().chain(runs) {
            if let Run::Text { text, style } = r
                && style.mark == Some(Mark::Note)
                && let Some(n) = move_number(text)
            {
                self.move_name = Some(format!("move{n}"));
            }
        }
        let visible = |r: &Run| mark_of(r) != Some(Mark::Note);
        if ctx.mark == Some(Mark::Note)
            || (!label.iter().chain(runs).any(visible)
                && label.iter().chain(runs).any(|r| !visible(r)))
        {
            return;
        }
        let heading = style == "Title" || style.starts_with("Heading");
        let mut p = String::from("<w:p><w:pPr>");
        let _ = write!(p, "<w:pStyle w:val=\"{style}\"/>");
        if ctx.keep && !heading && style != "Signature" {
            p.push_str("<w:keepNext/><w:keepLines/>");
        } else if ctx.keep && style == "Signature" {
            // The Signature style keeps already.
        } else if style == "Signature" && !ctx.keep {
            p.push_str("<w:keepNext w:val=\"0\"/>");
        }
        if std::mem::take(&mut self.page_break) {
            p.push_str("<w:pageBreakBefore/>");
        }
        if ctx.cell {
            p.push_str("<w:spacing w:after=\"0\"/>");
        }
        p.push_str(ppr);
        // The paragraph mark of a whole inserted, deleted or moved paragraph.
        let id = match ctx.mark {
            Some(
                Mark::Insert | Mark::Delete | Mark::DeleteInMove | Mark::Move | Mark::MovedFrom,
            ) => self.id(),
            _ => 0,
        };
        match ctx.mark {
            Some(Mark::Insert) => {
                let _ = write!(p, "<w:rPr><w:ins w:id=\"{id}\"{}/></w:rPr>", self.change);
            }
            Some(Mark::Delete | Mark::DeleteInMove) => {
                let _ = write!(p, "<w:rPr><w:del w:id=\"{id}\"{}/></w:rPr>", self.change);
            }
            Some(Mark::Move) => {
                let _ = write!(p, "<w:rPr><w:moveTo w:id=\"{id}\"{}/></w:rPr>", self.change);
            }
            Some(Mark::MovedFrom) => {
                let _ = write!(
                    p,
                    "<w:rPr><w:moveFrom w:id=\"{id}\"{}/></w:rPr>",
                    self.change
                );
            }
            _ => {}
        }
        p.push_str("</w:pPr>");
        self.out.push_str(&p);
        let comment = std::mem::take(&mut self.comment);
        if comment {
            self.out.push_str("<w:commentRangeStart w:id=\"0\"/>");
        }
        if !label.is_empty() {
            self.runs(label, ctx);
            let sep_runs = [Run::Text {
                text: match sep {
                    Sep::Tab => "\t".into(),
                    Sep::Space => " ".into(),
                },
                style: Style {
                    mark: label_sep_mark(label, ctx.mark),
                    ..Style::default()
                },
            }];
            self.runs(&sep_runs, ctx);
        }
        self.runs(runs, ctx);
        if comment {
            self.out.push_str(
                "<w:commentRangeEnd w:id=\"0\"/><w:r><w:rPr><w:rStyle w:val=\"CommentReference\"/></w:rPr>\
                 <w:commentReference w:id=\"0\"/></w:r>",
            );
        }
        self.out.push_str("</w:p>");
    }

    fn runs(&mut self, runs: &[Run], ctx: Ctx) {
        let revs = revisions(runs, ctx.mark);
        // An open move range: (its id, to or from).
        let mut range: Option<(u32, Revision)> = None;
        let mut i = 0;
        while i < runs.len() {
            let rev = revs[i];
            if mark_of(&runs[i]) == Some(Mark::Note) {
                i += 1;
                continue;
            }
            // Open or close a move range.
            let wants = match rev {
                Revision::MoveTo | Revision::InsDel => Some(Revision::MoveTo),
                Revision::Ins if range.is_some_and(|(_, k)| k == Revision::MoveTo) => {
                    Some(Revision::MoveTo)
                }
                Revision::MoveFrom => Some(Revision::MoveFrom),
                _ => None,
            };
            if range.map(|(_, k)| k) != wants {
                self.close_range(&mut range);
                if let Some(kind) = wants {
                    let id = self.id();
                    let name = self
                        .move_name
                        .clone()
                        .unwrap_or_else(|| format!("move{id}"));
                    let tag = if kind == Revision::MoveTo {
                        "moveToRangeStart"
                    } else {
                        "moveFromRangeStart"
                    };
                    let _ = write!(
                        self.out,
                        "<w:{tag} w:id=\"{id}\" w:name=\"{}\"{}/>",
                        escape(&name),
                        self.change
                    );
                    range = Some((id, kind));
                }
            }
            // The runs of one revision together.
            let mut j = i + 1;
            while j < runs.len() && revs[j] == rev && mark_of(&runs[j]) != Some(Mark::Note) {
                j += 1;
            }
            let deleted = matches!(rev, Revision::Del | Revision::InsDel);
            let mut body = String::new();
            for r in &runs[i..j] {
                self.run(&mut body, r, deleted, ctx);
            }
            let wrap = match rev {
                Revision::None => None,
                Revision::Ins => Some("ins"),
                Revision::Del => Some("del"),
                Revision::InsDel => Some("ins"),
                Revision::MoveTo => Some("moveTo"),
                Revision::MoveFrom => Some("moveFrom"),
            };
            match wrap {
                None => self.out.push_str(&body),
                Some(tag) => {
                    let id = self.id();
                    let _ = write!(self.out, "<w:{tag} w:id=\"{id}\"{}>", self.change);
                    if rev == Revision::InsDel {
                        let inner = self.id();
                        let _ = write!(
                            self.out,
                            "<w:del w:id=\"{inner}\"{}>{body}</w:del>",
                            self.change
                        );
                    } else {
                        self.out.push_str(&body);
                    }
                    let _ = write!(self.out, "</w:{tag}>");
                }
            }
            i = j;
        }
        self.close_range(&mut range);
    }

    fn close_range(&mut self, range: &mut Option<(u32, Revision)>) {
        if let Some((id, kind)) = range.take() {
            let tag = if kind == Revision::MoveTo {
                "moveToRangeEnd"
            } else {
                "moveFromRangeEnd"
            };
            let _ = write!(self.out, "<w:{tag} w:id=\"{id}\"/>");
        }
    }

    fn run(&mut self, out: &mut String, r: &Run, deleted: bool, ctx: Ctx) {
        let t = if deleted { "delText" } else { "t" };
        match r {
            Run::Text { text, style } => {
                out.push_str("<w:r>");
                rpr(out, style, false);
                // Tabs are Word's own element; everything else is text.
                let mut first = true;
                for piece in text.split('\t') {
                    if !first {
                        out.push_str("<w:tab/>");
                    }
                    first = false;
                    if !piece.is_empty() {
                        let _ = write!(out, "<w:{t} xml:space=\"preserve\">");
                        escape_into(out, piece);
                        let _ = write!(out, "</w:{t}>");
                    }
                }
                out.push_str("</w:r>");
            }
            // A blank is as many underscores as the text render draws (an underscore is half an
            // em, 120 twips at 12 pt), never more than its line holds.
            Run::Field { name, width } => {
                let room = (ctx.width / 120 - 2).max(2);
                let n = i64::from(*width).clamp(1, room);
                self.blank(out, name, "Field", n as usize, t);
            }
            Run::Signature { role, width, .. } => {
                let room = (ctx.width / 120 - 6).max(4);
                let n = i64::from(*width).clamp(4, room);
                self.blank(out, role, "Signature", n as usize, t);
            }
            Run::Break => out.push_str("<w:r><w:br/></w:r>"),
        }
    }

    /// A blank: a plain-text content control named like the PDF's field, holding the line to
    /// write on as underscores (what every Word reader draws; typing in the control replaces
    /// them).
    fn blank(&mut self, out: &mut String, name: &str, kind: &str, n: usize, t: &str) {
        self.sdt += 1;
        let _ = write!(
            out,
            "<w:sdt><w:sdtPr><w:alias w:val=\"{kind}: {}\"/><w:tag w:val=\"{}\"/><w:id w:val=\"{}\"/>\
             <w:text/></w:sdtPr><w:sdtContent><w:r>\
             <w:{t} xml:space=\"preserve\">{}</w:{t}></w:r></w:sdtContent></w:sdt>",
            escape(name),
            escape(name),
            self.sdt,
            "_".repeat(n)
        );
    }

    fn table(&mut self, rows: &[Row], ctx: Ctx) {
        let columns = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        // Column widths from content: the longest cell of each, within bounds.
        let mut chars = vec![4i64; columns];
        for row in rows {
            for (c, cell) in row.cells.iter().enumerate() {
                let n = crate::document::runs_text(cell)
                    .lines()
                    .map(|l| l.chars().count())
                    .max()
                    .unwrap_or(0) as i64;
                chars[c] = chars[c].max(n.min(60));
            }
        }
        let total: i64 = chars.iter().sum();
        let widths: Vec<i64> = chars
            .iter()
            .map(|c| (ctx.width * c / total.max(1)).max(ctx.width / (4 * columns as i64)))
            .collect();
        let _ = write!(
            self.out,
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"{}\" w:type=\"dxa\"/>\
             <w:tblInd w:w=\"{}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/></w:tblPr><w:tblGrid>",
            widths.iter().sum::<i64>(),
            ctx.quote
        );
        for w in &widths {
            let _ = write!(self.out, "<w:gridCol w:w=\"{w}\"/>");
        }
        self.out.push_str("</w:tblGrid>");
        for row in rows {
            self.out.push_str("<w:tr><w:trPr><w:cantSplit/>");
            if row.head {
                self.out.push_str("<w:tblHeader/>");
            }
            self.out.push_str("</w:trPr>");
            for (c, w) in widths.iter().enumerate() {
                let _ = write!(
                    self.out,
                    "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/></w:tcPr>"
                );
                let cell = row.cells.get(c).map_or(&[][..], Vec::as_slice);
                let c = Ctx {
                    width: *w - 216,
                    quote: 0,
                    cell: true,
                    ..ctx
                };
                self.paragraph_with("Normal", "", &[], Sep::Space, cell, c);
                if self.out.ends_with("</w:tcPr>") {
                    // A cell must hold a paragraph, even an empty one.
                    self.out.push_str("<w:p/>");
                }
                self.out.push_str("</w:tc>");
            }
            self.out.push_str("</w:tr>");
        }
        self.out.push_str("</w:tbl>");
        self.spacer(ctx, 240);
    }

    /// An empty paragraph of `twips` after a table: the room a paragraph leaves after it (and
    /// Word would glue two tables without one).
    fn spacer(&mut self, ctx: Ctx, twips: i64) {
        let keep = if ctx.keep { "<w:keepNext/>" } else { "" };
        let _ = write!(
            self.out,
            "<w:p><w:pPr><w:pStyle w:val=\"Normal\"/>{keep}<w:spacing w:after=\"0\" \
             w:line=\"{twips}\" w:lineRule=\"exact\"/></w:pPr></w:p>"
        );
    }

    fn signatures(&mut self, cols: &[Vec<Block>], ctx: Ctx) {
        if cols.is_empty() {
            return;
        }
        let n = cols.len() as i64;
        let w = ctx.width / n;
        let _ = write!(
            self.out,
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"SignatureTable\"/><w:tblW w:w=\"{}\" w:type=\"dxa\"/>\
             <w:tblInd w:w=\"{}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/>\
             <w:tblDescription w:val=\"signatures\"/></w:tblPr><w:tblGrid>",
            w * n,
            ctx.quote
        );
        for _ in cols {
            let _ = write!(self.out, "<w:gridCol w:w=\"{w}\"/>");
        }
        self.out
            .push_str("</w:tblGrid><w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for col in cols {
            let _ = write!(
                self.out,
                "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/></w:tcPr>"
            );
            let c = Ctx {
                width: w - 288,
                quote: 0,
                signature: true,
                cell: true,
                ..ctx
            };
            self.blocks(col, c);
            if self.out.ends_with("</w:tcPr>") {
                self.out.push_str("<w:p/>");
            }
            self.out.push_str("</w:tc>");
        }
        self.out.push_str("</w:tr></w:tbl>");
        self.spacer(ctx, 240);
    }
}

/// The label's separator belongs to the label's revision when the whole label is one.
fn label_sep_mark(label: &[Run], whole: Option<Mark>) -> Option<Mark> {
    let marks: Vec<Option<Mark>> = label
        .iter()
        .filter(|r| !is_blank_text(r))
        .map(mark_of)
        .collect();
    match marks.first() {
        Some(first) if marks.iter().all(|m| m == first) => match first {
            Some(Mark::Note) => None,
            m => *m,
        },
        _ => whole.filter(|m| *m != Mark::Note),
    }
}

#[derive(Debug, Clone, Copy)]
enum Sep {
    Tab,
    Space,
}

/// `1` from a redline note "[M1 moved from §2]".
fn move_number(note: &str) -> Option<u32> {
    let rest = note.trim_start().strip_prefix("[M")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn rpr(out: &mut String, style: &Style, _deleted: bool) {
    if !(style.bold || style.italic || style.small_caps || style.underline) {
        return;
    }
    out.push_str("<w:rPr>");
    if style.bold {
        out.push_str("<w:b/>");
    }
    if style.italic {
        out.push_str("<w:i/>");
    }
    if style.small_caps {
        out.push_str("<w:smallCaps/>");
    }
    if style.underline {
        out.push_str("<w:u w:val=\"single\"/>");
    }
    out.push_str("</w:rPr>");
}
