//! Comparing two inputs end to end: loading each (a data file is rendered with its template, a
//! text file is split into paragraphs, an engross PDF gives back its embedded source, another
//! PDF its extracted text), the word comparison of [`crate::diff`], the data fields that changed
//! when both are data files of one template, and the redline Document with its summary page.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::data::Data;
use crate::diff::{self, Change, Comparison, Options, Summary};
use crate::document::{Align, Block, Document, Indent, ParaStyle, Paragraph, Row, Run, Style};
use crate::error::{Error, Result};
use crate::{DATA_ATTACHMENT, Engine, SOURCE_ATTACHMENT};

/// What an input was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// A data file, rendered with its template.
    Data,
    /// A text file.
    Text,
    /// An engross PDF, compared by its embedded source.
    EngrossPdf,
    /// Another PDF, compared by its extracted text.
    Pdf,
}

/// One side of a comparison.
#[derive(Debug, Clone)]
pub struct Input {
    /// The name the user gave.
    pub name: String,
    /// A short content ID (the one in engross PDFs' footers).
    pub id: String,
    /// What it was.
    pub kind: InputKind,
    /// The document.
    pub document: Document,
    /// The data, when the input was a data file or an engross PDF.
    pub data: Option<Data>,
}

fn short_id(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..4]
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

impl Engine {
    /// Load one side of a comparison from its bytes; `name` (its path) decides the kind by
    /// extension, or by content for PDFs.
    pub fn input(&self, name: &str, bytes: &[u8]) -> Result<Input> {
        let lower = name.to_ascii_lowercase();
        if bytes.starts_with(b"%PDF-") || lower.ends_with(".pdf") {
            return self.pdf_input(name, bytes);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::Usage(format!("{name} is not UTF-8 text")))?;
        if lower.ends_with(".toml") {
            let rendered = self.run(text, name)?;
            return Ok(Input {
                name: name.to_string(),
                id: short_id(rendered.source.as_bytes()),
                kind: InputKind::Data,
                document: rendered.document,
                data: Some(rendered.data),
            });
        }
        Ok(Input {
            name: name.to_string(),
            id: short_id(text.as_bytes()),
            kind: InputKind::Text,
            document: crate::document::plain::parse(text),
            data: None,
        })
    }

    fn pdf_input(&self, name: &str, bytes: &[u8]) -> Result<Input> {
        let files = crate::pdf::attachments(bytes)?;
        let get = |n: &str| files.iter().find(|(f, _)| f == n).map(|(_, b)| b.clone());
        if let Some(source) = get(SOURCE_ATTACHMENT) {
            let source = String::from_utf8_lossy(&source).to_string();
            let data = get(DATA_ATTACHMENT)
                .and_then(|d| self.load(&String::from_utf8_lossy(&d), name).ok());
            return Ok(Input {
                name: name.to_string(),
                id: short_id(source.as_bytes()),
                kind: InputKind::EngrossPdf,
                document: crate::document::djot::parse(&source),
                data,
            });
        }
        let doc = lopdf::Document::load_mem(bytes)
            .map_err(|e| Error::Usage(format!("cannot read {name} as a PDF: {e}")))?;
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        let text = doc
            .extract_text(&pages)
            .map_err(|e| Error::Usage(format!("cannot extract the text of {name}: {e}")))?;
        Ok(Input {
            name: name.to_string(),
            id: short_id(text.as_bytes()),
            kind: InputKind::Pdf,
            document: crate::document::plain::parse(&text),
            data: None,
        })
    }
}

/// A data field whose value differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// Its dotted path.
    pub field: String,
    /// The old value as written (absent: not set).
    pub old: Option<String>,
    /// The new value as written.
    pub new: Option<String>,
}

/// The fields that differ between two data files of one template, in the new file's order.
pub fn field_changes(old: &Data, new: &Data) -> Vec<FieldChange> {
    if old.template != new.template {
        return Vec::new();
    }
    let olds = old.values.leaves();
    let news = new.values.leaves();
    let mut out = Vec::new();
    for (path, v) in &news {
        let before = olds.iter().find(|(p, _)| p == path).map(|(_, v)| v.plain());
        let after = Some(v.plain());
        if before != after {
            out.push(FieldChange {
                field: path.clone(),
                old: before,
                new: after,
            });
        }
    }
    for (path, v) in &olds {
        if !news.iter().any(|(p, _)| p == path) {
            out.push(FieldChange {
                field: path.clone(),
                old: Some(v.plain()),
                new: None,
            });
        }
    }
    out
}

/// One side, as the report describes it.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The name given.
    pub name: String,
    /// Short content ID.
    pub id: String,
    /// What it was.
    pub kind: InputKind,
    /// Its template, for data files and engross PDFs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Its number of words.
    pub words: usize,
}

/// The result of a comparison, as `diff -f json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The old document.
    pub old: Side,
    /// The new document.
    pub new: Side,
    /// Counts.
    pub summary: Summary,
    /// Changed data fields (when both sides are data of one template).
    pub fields: Vec<FieldChange>,
    /// The changes, in the new document's order.
    pub changes: Vec<Change>,
    /// Whether the diff's deadline cut it short (the changes are then coarser).
    pub timed_out: bool,
}

impl Report {
    /// Whether anything differs.
    pub fn differs(&self) -> bool {
        !self.changes.is_empty() || !self.fields.is_empty()
    }
}

/// Compare two inputs.
pub fn compare(old: &Input, new: &Input, options: &Options) -> (Report, Comparison) {
    let cmp = diff::compare(&old.document, &new.document, options);
    let (old_words, new_words) = cmp.word_counts();
    let fields = match (&old.data, &new.data) {
        (Some(a), Some(b)) => field_changes(a, b),
        _ => Vec::new(),
    };
    let side = |i: &Input, words| Side {
        name: i.name.clone(),
        id: i.id.clone(),
        kind: i.kind,
        template: i.data.as_ref().map(|d| d.template.clone()),
        words,
    };
    let report = Report {
        old: side(old, old_words),
        new: side(new, new_words),
        summary: cmp.summary(),
        fields,
        changes: cmp.changes.clone(),
        timed_out: cmp.timed_out,
    };
    (report, cmp)
}

fn para(runs: Vec<Run>) -> Block {
    Block::Paragraph(Paragraph {
        style: ParaStyle::default(),
        label: Vec::new(),
        runs,
    })
}

fn bold(text: impl Into<String>) -> Run {
    Run::Text {
        text: text.into(),
        style: Style {
            bold: true,
            ..Style::default()
        },
    }
}

/// The redline: a summary page (both documents, counts by kind, changed fields, the list of
/// changes), then the new document with the changes marked.
pub fn redline(new: &Input, report: &Report, cmp: &Comparison) -> Document {
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            align: Align::Center,
            runs: vec![Run::text("COMPARISON")],
        },
        para(vec![
            bold("Old: "),
            Run::text(format!(
                "{} (ID {}, {} words)",
                report.old.name, report.old.id, report.old.words
            )),
        ]),
        para(vec![
            bold("New: "),
            Run::text(format!(
                "{} (ID {}, {} words)",
                report.new.name, report.new.id, report.new.words
            )),
        ]),
        para(vec![Run::text(format!("{}.", report.summary))]),
        para(vec![
            Run::text("Marks: "),
            marked("deleted", crate::document::Mark::Delete),
            Run::text(", "),
            marked("inserted", crate::document::Mark::Insert),
            Run::text(", "),
            marked("moved", crate::document::Mark::Move),
            Run::text(" (and struck where it was)."),
        ]),
    ];
    if !report.fields.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            align: Align::Left,
            runs: vec![Run::text("Changed data fields")],
        });
        let mut rows = vec![Row {
            head: true,
            cells: vec![vec![bold("Field")], vec![bold("Old")], vec![bold("New")]],
        }];
        for f in &report.fields {
            rows.push(Row {
                head: false,
                cells: vec![
                    vec![Run::text(f.field.clone())],
                    vec![Run::text(
                        f.old.clone().unwrap_or_else(|| "(not set)".into()),
                    )],
                    vec![Run::text(
                        f.new.clone().unwrap_or_else(|| "(not set)".into()),
                    )],
                ],
            });
        }
        blocks.push(Block::Table(rows));
    }
    if !report.changes.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            align: Align::Left,
            runs: vec![Run::text("Changes")],
        });
        for (i, c) in report.changes.iter().enumerate() {
            let what = match c.kind {
                diff::Kind::Insert => format!("inserted \u{201c}{}\u{201d}", clip(&c.new)),
                diff::Kind::Delete => format!("deleted \u{201c}{}\u{201d}", clip(&c.old)),
                diff::Kind::Replace => format!(
                    "\u{201c}{}\u{201d} replaced by \u{201c}{}\u{201d}",
                    clip(&c.old),
                    clip(&c.new)
                ),
                diff::Kind::Move => format!(
                    "moved \u{201c}{}\u{201d} from {}",
                    clip(&c.new),
                    c.from.clone().unwrap_or_default()
                ),
            };
            blocks.push(Block::Paragraph(Paragraph {
                style: ParaStyle {
                    indent: Indent::Hanging,
                    ..ParaStyle::default()
                },
                label: vec![Run::text(format!("{}.", i + 1))],
                runs: vec![Run::text(format!("{}: {what}", c.location))],
            }));
        }
    }
    blocks.push(Block::PageBreak);
    let marked = diff::redline(&new.document, cmp);
    blocks.extend(marked.blocks);
    Document { blocks }
}

fn marked(text: &str, mark: crate::document::Mark) -> Run {
    Run::Text {
        text: text.into(),
        style: Style {
            mark: Some(mark),
            ..Style::default()
        },
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}\u{2026}")
    }
}
