//! Comparing two inputs end to end: loading each (a data file is rendered with its template, a
//! text file is split into paragraphs with its page furniture dropped, an engross PDF gives back
//! its embedded source when its pages still show that source, another PDF its extracted text),
//! the word comparison of [`crate::diff`], the data fields that changed when both are data files
//! of one template, and the [`Redline`]: the comparison with its marked Document and a renderer
//! for every output format.

use serde::Serialize;

use crate::data::Data;
use crate::diff::{self, Change, Comparison, Group, Options, Summary};
use crate::document::{Align, Block, Document, Mark, ParaStyle, Paragraph, Row, Run, Style};
use crate::error::{Error, Result};

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
    /// An engross .docx, compared by the source it carries.
    EngrossDocx,
    /// Another .docx (or an engross one edited since), compared by its text.
    Docx,
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
    /// For a PDF: the text its pages show (what an engross PDF is compared by when the other
    /// side is a PDF read from its pages).
    pub shown: Option<Document>,
    /// What the reader should know about how it was read (e.g. a PDF whose pages no longer
    /// match its embedded source).
    pub warnings: Vec<String>,
    /// For a PDF: how its pages are drawn, and how engross drew them if it wrote the file.
    pub drawing: Option<crate::pdf::Drawing>,
}

/// A page of an engross PDF drawn otherwise than when engross wrote it, and otherwise than
/// the other side draws it: an edit the words may not show (a line moved, resized, recoloured
/// or drawn over), or a page added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redrawn {
    /// Which side: `old` or `new`.
    pub side: &'static str,
    /// The file's name.
    pub name: String,
    /// The page (1-based); absent when the file has another number of pages than it was
    /// written with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    /// What differs, in words.
    pub what: String,
}

/// The pages of `this` (an engross PDF) that are drawn otherwise than engross wrote them and
/// otherwise than `other` draws the same page.
fn redrawn(side: &'static str, this: &Input, other: &Input) -> Vec<Redrawn> {
    let Some(crate::pdf::Drawing {
        now,
        written: Some(written),
    }) = &this.drawing
    else {
        return Vec::new();
    };
    if now.len() != written.len() {
        return vec![Redrawn {
            side,
            name: this.name.clone(),
            page: None,
            what: format!(
                "{} has {} page{} where engross wrote {}",
                this.name,
                now.len(),
                if now.len() == 1 { "" } else { "s" },
                written.len()
            ),
        }];
    }
    let other_now = other.drawing.as_ref().map(|d| &d.now);
    now.iter()
        .zip(written)
        .enumerate()
        .filter(|(_, (n, w))| n.as_deref() != Some(w.as_str()))
        .filter(|(k, (n, _))| {
            n.is_none() || other_now.and_then(|o| o.get(*k)).is_none_or(|o| o != *n)
        })
        .map(|(k, _)| Redrawn {
            side,
            name: this.name.clone(),
            page: Some(k + 1),
            what: format!(
                "page {} of {} is drawn otherwise than engross wrote it (text moved, resized, \
                 recoloured or drawn over, whether or not its words changed)",
                k + 1,
                this.name
            ),
        })
        .collect()
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
    let old_index: std::collections::HashMap<&str, String> =
        olds.iter().map(|(p, v)| (p.as_str(), v.plain())).collect();
    let new_paths: std::collections::HashSet<&str> = news.iter().map(|(p, _)| p.as_str()).collect();
    let mut out = Vec::new();
    for (path, v) in &news {
        let before = old_index.get(path.as_str()).cloned();
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
        if !new_paths.contains(path.as_str()) {
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
    /// Groups of changes (renames throughout, renumbering), listed first in a summary.
    pub groups: Vec<Group>,
    /// Changed data fields (when both sides are data of one template).
    pub fields: Vec<FieldChange>,
    /// The changes, in the new document's order.
    pub changes: Vec<Change>,
    /// Whether the diff's deadline cut it short (the changes are then coarser).
    pub timed_out: bool,
    /// Pages of engross PDFs drawn otherwise than engross wrote them (and than the other side
    /// draws them).
    pub redrawn: Vec<Redrawn>,
    /// With `redline --proof`: what proofing the new version finds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Vec<Proofed>>,
}

/// A proof finding on the new version, for a redline's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proofed {
    /// The finding; its paragraph is counted in the new version.
    #[serde(flatten)]
    pub finding: crate::proof::Finding,
    /// Whether the old version has no such finding: the change brought it in.
    pub introduced: bool,
}

/// What a redline proofs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Proof {
    /// Nothing.
    #[default]
    None,
    /// The new version, each finding told as brought in by the change or already in the old.
    New,
}

impl Report {
    /// Whether anything differs.
    pub fn differs(&self) -> bool {
        !self.changes.is_empty() || !self.fields.is_empty() || !self.redrawn.is_empty()
    }
}

/// A comparison ready to be drawn: the report, the word comparison, the new document with the
/// changes marked, and what is needed to typeset it.
#[derive(Debug, Clone)]
pub struct Redline {
    /// Counts, groups, fields and changes.
    pub report: Report,
    /// The word comparison.
    pub comparison: Comparison,
    /// The new document with the changes marked.
    pub marked: Document,
    /// For every change, the number of the marked document's paragraph it is in, and for a
    /// move the one where it was.
    pub anchors: Vec<(usize, usize)>,
    /// For every paragraph-like unit of the new document, the marked document's paragraph it
    /// became (where a proof finding is shown).
    pub units: Vec<usize>,
    /// The page setup of the new document (its data's, or the default for text).
    pub setup: crate::layout::PageSetup,
    /// The new document's date (its data's, else `SOURCE_DATE_EPOCH`): the PDF's metadata
    /// and the Word redline's tracked changes.
    pub date: Option<crate::pdf::Stamp>,
}

/// Compare two inputs.
pub fn compare(old: &Input, new: &Input, options: &Options) -> Result<Redline> {
    compare_and_proof(old, new, options, Proof::None)
}

/// Compare two inputs, and proof the new one as `proof` says.
pub fn compare_and_proof(
    old: &Input,
    new: &Input,
    options: &Options,
    proof: Proof,
) -> Result<Redline> {
    // Like with like: an engross PDF against a PDF read from its pages is read from its pages
    // too, so that the extraction's own quirks cancel out.
    fn doc<'a>(a: &'a Input, b: &Input) -> &'a Document {
        match (a.kind, b.kind, &a.shown) {
            (InputKind::EngrossPdf, InputKind::Pdf, Some(shown))
            | (InputKind::EngrossDocx, InputKind::Docx, Some(shown)) => shown,
            _ => &a.document,
        }
    }
    let (old_doc, new_doc) = (doc(old, new), doc(new, old));
    let cmp = diff::compare(old_doc, new_doc, options)?;
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
        groups: cmp.groups.clone(),
        fields,
        changes: cmp.changes.clone(),
        timed_out: cmp.timed_out,
        redrawn: {
            let mut r = redrawn("old", old, new);
            r.extend(redrawn("new", new, old));
            r
        },
        proof: match proof {
            Proof::None => None,
            Proof::New => Some(proofed(old_doc, new_doc)),
        },
    };
    let diff::Marked {
        document: marked,
        anchors,
        units,
    } = diff::redline_with_anchors(new_doc, &cmp);
    let setup = new
        .data
        .as_ref()
        .map_or_else(crate::layout::PageSetup::default, |d| {
            crate::layout::page_setup(&d.page)
        });
    let date = new
        .data
        .as_ref()
        .and_then(crate::pdf::document_date)
        .or_else(|| {
            std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|s| crate::pdf::Stamp::from_epoch(&s))
        });
    Ok(Redline {
        report,
        comparison: cmp,
        marked,
        anchors,
        units,
        setup,
        date,
    })
}

/// The proof findings of `new`, each told as brought in or not by comparing with those of `old`
/// (same check and message, paragraph numbers aside, as often as there).
fn proofed(old: &Document, new: &Document) -> Vec<Proofed> {
    fn key(f: &crate::proof::Finding) -> (&'static str, String) {
        // "… in paragraph 12": the numbers move with any edit before them.
        let mut m = String::with_capacity(f.message.len());
        let mut rest = f.message.as_str();
        while let Some(at) = rest.find("paragraph ") {
            let (head, tail) = rest.split_at(at + "paragraph ".len());
            m.push_str(head);
            let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits > 0 {
                m.push('#');
            }
            rest = &tail[digits..];
        }
        m.push_str(rest);
        (f.check, m)
    }
    let mut before: std::collections::BTreeMap<(&'static str, String), usize> = Default::default();
    for f in crate::proof::proof(old) {
        *before.entry(key(&f)).or_default() += 1;
    }
    let mut found = crate::proof::proof(new);
    // In the document's order, as the changes are.
    found.sort_by_key(|f| f.paragraph);
    found
        .into_iter()
        .map(|finding| {
            let introduced = match before.get_mut(&key(&finding)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            };
            Proofed {
                finding,
                introduced,
            }
        })
        .collect()
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

fn marked(text: &str, mark: Mark) -> Run {
    Run::Text {
        text: text.into(),
        style: Style {
            mark: Some(mark),
            ..Style::default()
        },
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{}\u{2026}", cut.trim_end())
    }
}

/// One line of a summary: what a change did, in a few words.
pub fn describe(c: &Change) -> String {
    const MAX: usize = 90;
    let q = |s: &str| format!("\u{201c}{}\u{201d}", nested_quotes(&clip(s, MAX)));
    match c.kind {
        diff::Kind::Insert => format!("inserted {}", q(&c.new)),
        diff::Kind::Delete => format!("deleted {}", q(&c.old)),
        diff::Kind::Replace => format!("{} replaced by {}", q(&c.old), q(&c.new)),
        diff::Kind::Renumber if c.reference => {
            format!("reference {} \u{2192} {}", c.old, c.new)
        }
        diff::Kind::Renumber => format!("renumbered {} \u{2192} {}", c.old, c.new),
        diff::Kind::Move => {
            let (from, edits) = move_origin(c, ", with");
            format!(
                "M{} moved {} from {from}{edits}",
                c.move_number.unwrap_or(0),
                q(&c.new),
            )
        }
    }
}

/// A move's old place, short (its section or paragraph number), and its edits counted
/// (", with 2 edits" for `with` ", with").
fn move_origin<'a>(c: &'a Change, with: &str) -> (&'a str, String) {
    let edits = match c.edits.len() {
        0 => String::new(),
        1 => format!("{with} 1 edit"),
        n => format!("{with} {n} edits"),
    };
    let from = c.from.as_deref().unwrap_or_default();
    (from.split(" (").next().unwrap_or(from), edits)
}

/// A change in a few words, for a summary line that holds several.
fn describe_short(c: &Change) -> String {
    const MAX: usize = 40;
    let q = |s: &str| format!("\u{201c}{}\u{201d}", nested_quotes(&clip(s, MAX)));
    match c.kind {
        diff::Kind::Insert => format!("+{}", q(&c.new)),
        diff::Kind::Delete => format!("\u{2212}{}", q(&c.old)),
        diff::Kind::Replace => format!("{} \u{2192} {}", q(&c.old), q(&c.new)),
        diff::Kind::Renumber => format!("{} \u{2192} {}", c.old, c.new),
        // Where it came from before what it says, which a narrow column may clip.
        diff::Kind::Move => {
            let (from, edits) = move_origin(c, ",");
            format!(
                "M{} moved from {from}{edits}: {}",
                c.move_number.unwrap_or(0),
                q(&c.new)
            )
        }
    }
}

/// A text to quote in double quotes, its own double quotes made single (typographic: opening at
/// a word's start, closing elsewhere), so that `"Business Day" means` reads
/// “‘Business Day’ means” and not “"Business Day" means”.
fn nested_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    for c in s.chars() {
        out.push(match c {
            '"' | '\u{201c}' | '\u{201d}' => {
                if prev.is_none_or(|p| p.is_whitespace() || "([{\u{2014}".contains(p)) {
                    '\u{2018}'
                } else {
                    '\u{2019}'
                }
            }
            c => c,
        });
        prev = Some(c);
    }
    out
}

/// Draws a text in an ANSI style given by its code (`"31;9"`).
type Paint = dyn Fn(&str, &str) -> String;

/// Where a change is, short: its section ("§1.9") or its paragraph.
fn place(c: &Change) -> String {
    c.section.as_ref().map_or_else(
        || format!("\u{b6}{}", c.paragraph.max(1)),
        |s| format!("\u{a7}{s}"),
    )
}

impl Redline {
    /// Whether anything differs.
    pub fn differs(&self) -> bool {
        self.report.differs()
    }

    /// With `--proof`: how many findings, and how many the changes brought in.
    pub fn proof_count(&self) -> Option<String> {
        let proof = self.report.proof.as_ref()?;
        let new = proof.iter().filter(|p| p.introduced).count();
        Some(match proof.len() {
            0 => "no findings".to_string(),
            n => format!(
                "{n} finding{}, {new} brought in by the changes",
                if n == 1 { "" } else { "s" }
            ),
        })
    }

    /// With `--proof`: a line for each finding, its place (section and paragraph of the new
    /// version; with `pages`, the page of the redline it is on), its reason and check, and
    /// whether the changes brought it in.
    pub fn proof_lines(&self, pages: Option<&[usize]>) -> Vec<String> {
        self.report
            .proof
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, p)| {
                let f = &p.finding;
                let at = match &f.section {
                    Some(s) => format!("\u{a7}{s}, paragraph {}", f.paragraph),
                    None => format!("paragraph {}", f.paragraph),
                };
                let page = pages
                    .and_then(|p| p.get(i))
                    .map_or_else(String::new, |p| format!(", p.\u{a0}{p}"));
                let when = if p.introduced {
                    "new"
                } else {
                    "also in the old version"
                };
                format!("{at}{page}: {} ({}; {when})", f.message, f.check)
            })
            .collect()
    }

    /// The marked document's paragraph of each proof finding.
    fn proof_anchors(&self) -> Vec<usize> {
        self.report
            .proof
            .iter()
            .flatten()
            .map(|p| {
                let unit = p.finding.paragraph.max(1) - 1;
                self.units.get(unit).copied().unwrap_or(1)
            })
            .collect()
    }

    /// The summary's lines: groups first, then the ungrouped changes in document order.
    pub fn summary_lines(&self) -> Vec<String> {
        self.summary_lines_on(None)
    }

    /// The summary's lines; with `pages` (the 1-based page in the redline PDF of each change
    /// of [`Report::changes`]), each line of changes gives the page of its first ("§1.9, p. 4").
    fn summary_lines_on(&self, pages: Option<&[usize]>) -> Vec<String> {
        let mut lines: Vec<String> = self
            .report
            .groups
            .iter()
            .map(|g| g.summary.clone())
            .collect();
        // One line per place: the changes of one section or paragraph together, each told
        // short, the line clipped (the JSON and HTML keep every change whole).
        const LINE: usize = 240;
        struct Place {
            at: String,
            first: usize,
            parts: Vec<String>,
        }
        let flush = |current: &mut Option<Place>, lines: &mut Vec<String>| {
            if let Some(Place { at, first, parts }) = current.take() {
                let n = parts.len();
                let mut line = String::new();
                let mut shown = 0;
                for p in &parts {
                    if !line.is_empty() && line.chars().count() + p.chars().count() > LINE {
                        break;
                    }
                    if !line.is_empty() {
                        line.push_str("; ");
                    }
                    line.push_str(p);
                    shown += 1;
                }
                let more = if shown < n {
                    format!("; and {} more", n - shown)
                } else {
                    String::new()
                };
                let count = if n > 1 {
                    format!(" ({n})")
                } else {
                    String::new()
                };
                let page = pages
                    .and_then(|p| p.get(first))
                    .map_or_else(String::new, |p| format!(", p.\u{a0}{p}"));
                lines.push(format!("{at}{page}{count}: {line}{more}"));
            }
        };
        let mut current: Option<Place> = None;
        for (i, c) in self.report.changes.iter().enumerate() {
            if c.group.is_some() {
                continue;
            }
            let at = place(c);
            let short = describe_short(c);
            match current.as_mut() {
                Some(p) if p.at == at => p.parts.push(short),
                _ => {
                    flush(&mut current, &mut lines);
                    current = Some(Place {
                        at,
                        first: i,
                        parts: vec![short],
                    });
                }
            }
        }
        flush(&mut current, &mut lines);
        lines
    }

    /// The text report: changed fields, each changed paragraph with `[-…-]{+…+}` marks (moves
    /// `[>…<]`/`{>…<}`, notes `<<…>>`), the groups and the counts. `paint` colours a mark
    /// (`None`: plain text marks).
    fn text_with(&self, paint: Option<&Paint>) -> String {
        let r = &self.report;
        let colour = |code: &str, text: &str| match paint {
            Some(p) => p(code, text),
            None => text.to_string(),
        };
        let mut out = String::new();
        for f in &r.fields {
            out.push_str(&format!(
                "{} {}: {} -> {}\n",
                colour("36", "field"),
                f.field,
                f.old.as_deref().unwrap_or("(not set)"),
                f.new.as_deref().unwrap_or("(not set)")
            ));
        }
        if !r.fields.is_empty() {
            out.push('\n');
        }
        let text = diff::marked_paragraphs(&self.marked);
        out.push_str(&match paint {
            None => text.to_markup(),
            Some(p) => text.paint(&|mark, t| {
                let code = match mark {
                    Mark::Delete | Mark::DeleteInMove => "31;9",
                    Mark::Insert => "32;4",
                    Mark::MovedFrom => "33;9",
                    Mark::Move => "33;4",
                    Mark::Note => "2;3",
                };
                p(code, t)
            }),
        });
        for g in &r.groups {
            out.push_str(&format!("{}\n", colour("1", &g.summary)));
        }
        let deadline = if r.timed_out {
            "; the diff hit its deadline"
        } else {
            ""
        };
        out.push_str(&colour("1", &format!("{}{deadline}", r.summary)));
        out.push('\n');
        for d in &r.redrawn {
            out.push_str(&colour("1;31", &format!("redrawn: {}", d.what)));
            out.push('\n');
        }
        if let Some(count) = self.proof_count() {
            out.push_str(&colour("1", &format!("Proof of the new version: {count}")));
            out.push('\n');
            for line in self.proof_lines(None) {
                out.push_str(&format!("{} {line}\n", colour("35", "proof")));
            }
        }
        out
    }

    /// Plain text with `[-…-]{+…+}` marks.
    pub fn txt(&self) -> String {
        self.text_with(None)
    }

    /// For a terminal: ANSI colours when `colour`, otherwise the plain marks.
    pub fn term(&self, colour: bool) -> String {
        if colour {
            self.text_with(Some(&|code: &str, text: &str| {
                format!("\x1b[{code}m{text}\x1b[0m")
            }))
        } else {
            self.txt()
        }
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.report).unwrap_or_else(|e| {
            // Serialising plain data cannot fail; say so rather than panic if it ever does.
            format!("{{\"error\": \"{e}\"}}")
        });
        s.push('\n');
        s
    }

    fn title(&self) -> String {
        format!(
            "Redline: {} \u{2192} {}",
            self.report.old.name, self.report.new.name
        )
    }

    /// A standalone HTML page: the summary with links to the changes, then the marked
    /// document.
    pub fn html(&self) -> String {
        crate::render::html::render(&self.marked, &self.title(), &self.html_summary())
    }

    fn html_summary(&self) -> String {
        use crate::render::html::escape;
        let r = &self.report;
        let mut h = String::from("<nav class=\"changes\">\n<h2>Comparison</h2>\n");
        h.push_str(&format!(
            "<p>Old: {} (ID {}, {} words)<br>New: {} (ID {}, {} words)</p>\n",
            escape(&r.old.name),
            r.old.id,
            r.old.words,
            escape(&r.new.name),
            r.new.id,
            r.new.words
        ));
        h.push_str(&format!("<p>{}.</p>\n", r.summary));
        for d in &r.redrawn {
            h.push_str(&format!(
                "<p class=\"redrawn\"><strong>Redrawn:</strong> {}.</p>\n",
                escape(&d.what)
            ));
        }
        if !r.fields.is_empty() {
            h.push_str("<table><tr><th>Field</th><th>Old</th><th>New</th></tr>\n");
            for f in &r.fields {
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape(&f.field),
                    escape(f.old.as_deref().unwrap_or("(not set)")),
                    escape(f.new.as_deref().unwrap_or("(not set)"))
                ));
            }
            h.push_str("</table>\n");
        }
        if !r.groups.is_empty() {
            h.push_str("<ul>\n");
            for (g, group) in r.groups.iter().enumerate() {
                let first = r.changes.iter().position(|c| c.group == Some(g));
                let link = first.map_or(0, |i| self.anchors.get(i).map_or(0, |a| a.0));
                h.push_str(&format!(
                    "<li><a href=\"#p{link}\">{}</a></li>\n",
                    escape(&group.summary)
                ));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("<ol>\n");
        for (i, c) in r.changes.iter().enumerate() {
            if c.group.is_some() {
                continue;
            }
            let (a, was) = self.anchors.get(i).copied().unwrap_or((0, 0));
            let (id, ends) = match c.move_number {
                Some(m) => (
                    format!(" id=\"move-{m}\""),
                    format!(
                        " (<a href=\"#p{was}\">where it was</a>, <a href=\"#p{a}\">where it is</a>)"
                    ),
                ),
                None => (String::new(), String::new()),
            };
            h.push_str(&format!(
                "<li{id}><a href=\"#p{a}\">{}</a>: {}{ends}</li>\n",
                escape(&place(c)),
                escape(&describe(c))
            ));
        }
        h.push_str("</ol>\n");
        if let Some(count) = self.proof_count() {
            h.push_str(&format!(
                "<h3>Proof of the new version</h3>\n<p>{}.</p>\n<ol class=\"proof\">\n",
                escape(&count)
            ));
            for (p, a) in r.proof.iter().flatten().zip(self.proof_anchors()) {
                let f = &p.finding;
                let at = match &f.section {
                    Some(s) => format!("\u{a7}{s}, paragraph {}", f.paragraph),
                    None => format!("paragraph {}", f.paragraph),
                };
                let when = if p.introduced {
                    "<strong>new</strong>"
                } else {
                    "also in the old version"
                };
                h.push_str(&format!(
                    "<li><a href=\"#p{a}\">{}</a>: {} ({}; {when})</li>\n",
                    escape(&at),
                    escape(&f.message),
                    f.check
                ));
            }
            h.push_str("</ol>\n");
        }
        h.push_str("</nav>\n");
        h
    }

    /// The summary that opens the PDF redline: the inputs, the counts, a key to the marks,
    /// the changes in two columns (each entry one line of `column` points in the summary's
    /// type, [`SUMMARY_SIZE`]) and the changed data fields. With `pages`, each entry gives its
    /// page (see [`Redline::summary_lines`]).
    fn summary_document(&self, pages: Option<&[usize]>, column: f32) -> Document {
        let r = &self.report;
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
                    r.old.name, r.old.id, r.old.words
                )),
            ]),
            para(vec![
                bold("New: "),
                Run::text(format!(
                    "{} (ID {}, {} words)",
                    r.new.name, r.new.id, r.new.words
                )),
            ]),
            para(vec![Run::text(format!("{}.", r.summary))]),
            para(vec![
                Run::text("Marks: "),
                marked("deleted", Mark::Delete),
                Run::text(", "),
                marked("inserted", Mark::Insert),
                Run::text(", "),
                marked("moved", Mark::Move),
                Run::text(" (and "),
                marked("struck where it was", Mark::MovedFrom),
                Run::text("); "),
                marked("[M1 moved from \u{a7}2]", Mark::Note),
                Run::text(" labels both ends of a move."),
            ]),
        ];
        // Under the counts (the heading, the two sides and the counts are the first four).
        let at = blocks.len().min(4);
        blocks.splice(
            at..at,
            r.redrawn
                .iter()
                .map(|d| para(vec![bold("Redrawn: "), Run::text(format!("{}.", d.what))])),
        );
        let lines = self.summary_lines_on(pages);
        if !lines.is_empty() {
            blocks.push(Block::Heading {
                level: 2,
                align: Align::Left,
                runs: vec![Run::text("Changes")],
            });
            let entries = lines
                .into_iter()
                .enumerate()
                .map(|(i, line)| format!("{}. {line}", i + 1))
                .collect();
            blocks.push(two_columns(entries, column));
        }
        if !r.fields.is_empty() {
            blocks.push(Block::Heading {
                level: 2,
                align: Align::Left,
                runs: vec![Run::text("Changed data fields")],
            });
            let entries = r
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {} \u{2192} {}",
                        f.field,
                        f.old.as_deref().unwrap_or("(not set)"),
                        f.new.as_deref().unwrap_or("(not set)")
                    )
                })
                .collect();
            blocks.push(two_columns(entries, column));
        }
        if let Some(count) = self.proof_count() {
            blocks.push(Block::Heading {
                level: 2,
                align: Align::Left,
                runs: vec![Run::text("Proof of the new version")],
            });
            blocks.push(para(vec![Run::text(format!(
                "{count} (paragraphs counted in the new version)."
            ))]));
            let changes = r.changes.len();
            let lines = self.proof_lines(pages.and_then(|p| p.get(changes..)));
            for (i, line) in lines.into_iter().enumerate() {
                blocks.push(para(vec![Run::text(format!("{}. {line}", i + 1))]));
            }
        }
        Document { blocks }
    }

    /// The summary and the marked document as one Document, the summary on pages of its
    /// own (what the PDF shows, for renderers that set it in one type size).
    pub fn document(&self) -> Document {
        let mut blocks = self
            .summary_document(None, summary_column(self.setup))
            .blocks;
        blocks.push(Block::PageBreak);
        blocks.extend(self.marked.blocks.iter().cloned());
        Document { blocks }
    }

    /// The Word redline: the new document with every change a tracked change by `author`
    /// (dated as the new document, or `SOURCE_DATE_EPOCH`), moves as Word moves with their
    /// inner edits, and the summary as a comment on the first paragraph. Accept All in Word
    /// gives the new document, Reject All the old one.
    pub fn docx(&self, author: &str) -> Vec<u8> {
        let r = &self.report;
        let mut comment = vec![
            self.title(),
            format!(
                "Old: {} (ID {}, {} words)",
                r.old.name, r.old.id, r.old.words
            ),
            format!(
                "New: {} (ID {}, {} words)",
                r.new.name, r.new.id, r.new.words
            ),
            format!("{}.", r.summary),
        ];
        comment.extend(r.redrawn.iter().map(|d| format!("Redrawn: {}.", d.what)));
        for f in &r.fields {
            comment.push(format!(
                "Field {}: {} \u{2192} {}",
                f.field,
                f.old.as_deref().unwrap_or("(not set)"),
                f.new.as_deref().unwrap_or("(not set)")
            ));
        }
        comment.extend(
            self.summary_lines()
                .into_iter()
                .enumerate()
                .map(|(i, l)| format!("{}. {l}", i + 1)),
        );
        if let Some(count) = self.proof_count() {
            comment.push(format!("Proof of the new version: {count}."));
            comment.extend(
                self.proof_lines(None)
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| format!("P{}. {l}", i + 1)),
            );
        }
        let meta = crate::docx::Meta {
            title: self.title(),
            author: author.to_string(),
            id: format!("Redline {}\u{2192}{}", r.old.id, r.new.id),
            setup: self.setup,
            date: self.date,
            source: None,
            tracking: Some(crate::docx::Tracking {
                author: author.to_string(),
                date: self.date,
            }),
            comment,
        };
        crate::docx::write(&self.marked, &meta)
    }

    /// The PDF redline: the summary in smaller type, then the new document in its own page
    /// setup with the changes marked; each summary entry gives the page of its first change.
    /// Its `/ID` derives from both inputs' IDs.
    pub fn pdf(&self) -> Result<Vec<u8>> {
        let r = &self.report;
        let title = self.title();
        let meta = crate::pdf::Metadata {
            title: title.clone(),
            subject: "Comparison of two versions".into(),
            date: self.date,
            ..crate::pdf::Metadata::default()
        };
        let (laid, _) = self.pdf_layout()?;
        let key = format!("redline {} {} {}", r.old.id, r.new.id, title);
        crate::pdf::write(&laid, &meta, key.as_bytes())
    }

    /// The 1-based page of the PDF redline on which each change of [`Report::changes`] is
    /// drawn (for a move, where it is now), as its summary gives them.
    pub fn pdf_pages(&self) -> Result<Vec<usize>> {
        let mut pages = self.pdf_layout()?.1;
        pages.truncate(self.report.changes.len());
        Ok(pages)
    }

    /// With `--proof`: the 1-based page of the PDF redline on which each proof finding's
    /// paragraph is drawn, as its summary gives them.
    pub fn pdf_proof_pages(&self) -> Result<Vec<usize>> {
        let mut pages = self.pdf_layout()?.1;
        pages.drain(..self.report.changes.len().min(pages.len()));
        Ok(pages)
    }

    /// The PDF redline laid out, with the page of each change.
    fn pdf_layout(&self) -> Result<(crate::layout::Layout, Vec<usize>)> {
        let r = &self.report;
        crate::layout::check_size(&self.marked)?;
        let small = crate::layout::PageSetup {
            font_size: SUMMARY_SIZE,
            leading: SUMMARY_SIZE * 1.2,
            ..self.setup
        };
        let column = summary_column(small);
        let id = format!("Redline {}\u{2192}{}", r.old.id, r.new.id);
        // Lay out, read where each change landed, fill the pages in and lay out again, until
        // the pages stand (the summary's length can change with them, but the document after
        // it starts on a page of its own, so one more pass settles it).
        let mut pages: Option<Vec<usize>> = None;
        let mut last = None;
        for _ in 0..4 {
            let summary = self.summary_document(pages.as_deref(), column);
            let laid = crate::layout::layout_parts(
                &[(&summary, small), (&self.marked, self.setup)],
                &id,
                None,
            );
            crate::layout::check_pages(laid.pages.len())?;
            let before = units(&summary);
            // The changes' pages, then the proof findings'.
            let found: Vec<usize> = self
                .anchors
                .iter()
                .map(|&(a, _)| a)
                .chain(self.proof_anchors())
                .map(|a| {
                    let unit = before + a.max(1) - 1;
                    laid.unit_pages
                        .get(unit)
                        .or(laid.unit_pages.last())
                        .map_or(1, |p| p + 1)
                })
                .collect();
            let settled = pages.as_ref() == Some(&found);
            let mut laid = laid;
            let body = laid
                .unit_pages
                .get(before)
                .copied()
                .unwrap_or(laid.pages.len());
            laid.links = move_links(&laid, body);
            last = Some((laid, found.clone()));
            if settled {
                break;
            }
            pages = Some(found);
        }
        last.ok_or_else(|| Error::internal("laying out the redline", "no layout was made"))
    }
}

/// Links between the two ends of every move: each "[M1 moved to …]" label (where the passage
/// was) goes to its "[M1 moved from …]" label (where it is now), and back. The labels are found
/// on the laid-out pages from `body` on as what the layout draws for a note: green italic text
/// with no rule (moved text always has one), reading "[M<n> moved to" or "[M<n> moved from".
fn move_links(laid: &crate::layout::Layout, body: usize) -> Vec<crate::layout::Link> {
    use crate::layout::fonts::{FaceId, Fonts};
    use crate::layout::{Color, Item, Link, Rect};
    let fonts = Fonts::get();
    // (move number, whether it is the "to" end) → the rectangles of its label, page by page.
    let mut ends: std::collections::BTreeMap<(usize, bool), Vec<(usize, Rect)>> =
        Default::default();
    for (p, page) in laid.pages.iter().enumerate().skip(body) {
        // Runs of note items: (text with the items' offsets, rectangles).
        let mut group: Vec<(usize, Rect)> = Vec::new();
        let mut text = String::new();
        let mut flush = |text: &mut String, group: &mut Vec<(usize, Rect)>| {
            let mut from = 0;
            while let Some(at) = text[from..].find("[M").map(|i| i + from) {
                from = at + 2;
                let rest = &text[from..];
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                let Ok(n) = rest[..digits].parse::<usize>() else {
                    continue;
                };
                let to = if rest[digits..].starts_with(" moved to") {
                    true
                } else if rest[digits..].starts_with(" moved from") {
                    false
                } else {
                    continue;
                };
                let end = text[at..].find(']').map_or(text.len(), |e| at + e + 1);
                let rects = group
                    .iter()
                    .enumerate()
                    .filter(|&(k, &(start, _))| {
                        let stop = group.get(k + 1).map_or(text.len(), |g| g.0);
                        start < end && stop > at
                    })
                    .map(|(_, &(_, r))| (p, r));
                ends.entry((n, to)).or_default().extend(rects);
            }
            text.clear();
            group.clear();
        };
        for (k, item) in page.items.iter().enumerate() {
            let next_is_rule = matches!(page.items.get(k + 1), Some(Item::Rule { .. }));
            match item {
                Item::Text {
                    x,
                    y,
                    face: face @ (FaceId::Italic | FaceId::BoldItalic),
                    size,
                    glyphs,
                    color,
                } if *color == Color::GREEN && !next_is_rule => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    group.push((
                        text.len(),
                        Rect {
                            x: *x,
                            y: y - 0.25 * size,
                            w: fonts.width(*face, glyphs, *size),
                            h: 1.15 * size,
                        },
                    ));
                    text.extend(glyphs.iter().map(|g| &*g.text));
                }
                _ => flush(&mut text, &mut group),
            }
        }
        flush(&mut text, &mut group);
    }
    let mut links = Vec::new();
    for (&(n, to), rects) in &ends {
        let Some(&(to_page, target)) = ends.get(&(n, !to)).and_then(|r| r.first()) else {
            continue;
        };
        for &(page, rect) in rects {
            links.push(Link {
                page,
                rect,
                to_page,
                to_y: target.y + target.h + 4.0,
            });
        }
    }
    links
}

/// The width of a summary column: two columns with the table's 12 pt gap between them, and a
/// little to spare.
fn summary_column(setup: crate::layout::PageSetup) -> f32 {
    (setup.width - 2.0 * setup.margin - 12.0) / 2.0 - 2.0
}

/// Entries in two columns, read down the left one first, each clipped to one line of `column`
/// points in the summary's type.
fn two_columns(entries: Vec<String>, column: f32) -> Block {
    use crate::layout::fonts::{FaceId, Fonts};
    let fonts = Fonts::get();
    let width = |t: &str| {
        fonts.width(
            FaceId::Regular,
            &fonts.shape(FaceId::Regular, t),
            SUMMARY_SIZE,
        )
    };
    let fit = |text: String| -> String {
        if width(&text) <= column {
            return text;
        }
        let chars: Vec<char> = text.chars().collect();
        let clipped = |n: usize| {
            let t: String = chars[..n].iter().collect();
            format!("{}\u{2026}", t.trim_end())
        };
        // The longest start that fits with its ellipsis.
        let (mut lo, mut hi) = (0, chars.len());
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            if width(&clipped(mid)) <= column {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        clipped(lo)
    };
    let entries: Vec<String> = entries.into_iter().map(fit).collect();
    let rows = entries.len().div_ceil(2);
    Block::Table(
        (0..rows)
            .map(|i| Row {
                head: false,
                cells: [entries.get(i), entries.get(i + rows)]
                    .into_iter()
                    .map(|e| e.map_or_else(Vec::new, |e| vec![Run::text(e.clone())]))
                    .collect(),
            })
            .collect(),
    )
}

/// The type size of a PDF redline's summary.
pub const SUMMARY_SIZE: f32 = 9.0;

/// How many paragraph-like units (headings, paragraphs, table cells) a document has.
fn units(doc: &Document) -> usize {
    let mut n = 0usize;
    crate::document::visit_units(&doc.blocks, &mut |_, _, _| n = n.saturating_add(1));
    n
}

#[cfg(test)]
mod tests {
    use super::nested_quotes;

    #[test]
    fn quoted_text_nests_its_own_quotes_as_single_ones() {
        assert_eq!(
            nested_quotes("\"Business Day\" means (\"Day\")"),
            "\u{2018}Business Day\u{2019} means (\u{2018}Day\u{2019})"
        );
        assert_eq!(nested_quotes("no quotes"), "no quotes");
    }
}
