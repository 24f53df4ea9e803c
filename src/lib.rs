//! engross: from structured data to the signable copy of a legal agreement.
//!
//! The pipeline runs in one direction:
//!
//! ```text
//! data/*.toml ─► data::Data ─► template::Templates::render ─► Djot source
//!     (TOML)     (checked against        (Tera, legal filters,     │ document::djot::parse
//!                 the kind's schema)      escaped data)            ▼
//!                                                          document::Document
//!                                                                  │
//!                                                   render::text (and later html, pdf, diff)
//! ```
//!
//! - [`data`]: parse a data file from `&str`, check it against its [`data::Schema`].
//! - [`template`]: the template kinds, legal filters ([`template::legal`]), rendering to Djot.
//! - [`document`]: the Document model and the Djot → Document conversion.
//! - [`render`]: renderers from a Document to bytes.
//! - [`cli`]: the command line; the only module that touches argv, files and exit codes.
//!
//! [`Engine`] ties the phases together for callers that start from a data file's text.
// No unwrap or expect in library code (tests may: clippy.toml); the two that remain say why.
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod cli;
pub mod comparison;
pub mod data;
pub mod diff;
pub mod document;
pub mod docx;
pub mod error;
pub mod extract;
pub mod input;
pub mod layout;
pub mod pdf;
pub mod proof;
pub mod render;
pub mod template;
pub mod threads;
pub mod words;

pub use error::{Diagnostic, Error, Result, Severity};

use comparison::{Input, InputKind};
use data::Data;
use document::{Document, plain};
use template::Templates;

/// The name of the Djot source attached to every engross PDF.
pub const SOURCE_ATTACHMENT: &str = "engross-source.dj";
/// The name of the data file attached to every engross PDF.
pub const DATA_ATTACHMENT: &str = "engross-data.toml";

/// The whole pipeline over one set of templates.
#[derive(Debug)]
pub struct Engine {
    templates: Templates,
    /// Whether the large values of a render are freed when done ([`Engine::one_shot`]).
    free: bool,
}

/// A data file carried through the pipeline.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The checked data.
    pub data: Data,
    /// The Djot source the template produced.
    pub source: String,
    /// The parsed document.
    pub document: Document,
}

impl Engine {
    /// An engine over the templates built into this binary.
    pub fn builtin() -> Result<Engine> {
        Ok(Engine::new(Templates::builtin()?))
    }

    /// An engine over the given templates.
    pub fn new(templates: Templates) -> Engine {
        Engine {
            templates,
            free: true,
        }
    }

    /// The engine of a process that ends when its work is done (the command line): the large
    /// values a PDF is made from (the layout, the PDF's object tree) are left to the end of
    /// the process instead of being freed an allocation at a time, as a compiler's driver
    /// does (clang's `-disable-free`). Freeing them was about 2% of the subscription
    /// agreement's PDF as a command. A long-running user of the library keeps the default.
    pub fn one_shot(mut self) -> Engine {
        self.free = false;
        self
    }

    /// The templates.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// Parse and check a data file's text; `origin` names it in messages.
    pub fn load(&self, text: &str, origin: &str) -> Result<Data> {
        let reference = Data::template_ref(text, origin)?;
        let kind = self.templates.kind(&reference.name).ok_or_else(|| {
            self.templates
                .unknown(&reference.name, origin, text, reference.span)
        })?;
        Data::parse(text, origin, &kind.schema)
    }

    /// Render checked data to a Document.
    pub fn render(&self, data: Data) -> Result<Rendered> {
        let source = self.templates.render(&data)?;
        let document = document::djot::parse(&source);
        Ok(Rendered {
            data,
            source,
            document,
        })
    }

    /// Typeset a rendered document as a PDF: layout on US Letter, then the PDF writer. The
    /// metadata comes from the schema (title, summary) and the data (author); the footer's short
    /// ID and the PDF's `/ID` are derived from the document's source.
    pub fn pdf(&self, rendered: &Rendered) -> Result<Vec<u8>> {
        self.pdf_with_warnings(rendered).map(|(bytes, _)| bytes)
    }

    /// [`Engine::pdf`], with the warnings of the layout: each token too long for its line
    /// (broken to fit), naming the data field it came from when there is one.
    pub fn pdf_with_warnings(&self, rendered: &Rendered) -> Result<(Vec<u8>, Vec<Diagnostic>)> {
        let (title, subject, author) = self.titles(rendered);
        let meta = pdf::Metadata {
            title,
            subject,
            author,
            keywords: vec![rendered.data.template.clone()],
            attachments: vec![
                (
                    SOURCE_ATTACHMENT.into(),
                    rendered.source.clone().into_bytes(),
                ),
                (
                    DATA_ATTACHMENT.into(),
                    normalised_data(&rendered.data.source)?.into_bytes(),
                ),
            ],
            date: document_date(&rendered.data),
        };
        let short = short_id(&rendered.source);
        let kind = self.templates.kind(&rendered.data.template);
        check_size(&rendered.document)?;
        let setup = page_setup(&rendered.data.page);
        // The first long document of a process is set on two threads: a second one sets the
        // later half of its paragraphs into the layout's cache and makes the form font while
        // this one lays out, and the streams are deflated on both. Later documents find most
        // of their paragraphs and streams in the caches. The bytes are the same either way.
        static AHEAD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        let ahead = rendered.document.blocks.len() >= 64
            && !AHEAD.swap(true, std::sync::atomic::Ordering::Relaxed);
        let laid = std::thread::scope(|scope| {
            if ahead {
                // Without the thread (it could not start) the layout only takes longer.
                let _ = threads::spawn_scoped(std::thread::Builder::new(), scope, || {
                    layout::prefetch(&rendered.document, setup);
                    pdf::prepare();
                });
            }
            layout::layout_with_caption(
                &rendered.document,
                setup,
                &format!("Doc. {short}"),
                kind.and_then(|k| k.schema.signature_caption.as_deref()),
            )
        });
        check_pages(laid.pages.len())?;
        let leaves = rendered.data.values.leaves();
        missing_glyphs(&laid, rendered, &leaves)?;
        let warnings = laid
            .warnings
            .iter()
            .map(|token| {
                let field = leaves.iter().find(|(_, v)| {
                    let text = v.plain();
                    text.contains(token.as_str()) || (text.len() >= 8 && token.contains(&text))
                });
                let shown: String = token.chars().take(60).collect();
                match field {
                    Some((path, _)) => Diagnostic::warning(
                        &rendered.data.origin,
                        format!(
                            "`{path}`: \"{shown}\" is too long for its line in the PDF and was \
                             broken to fit"
                        ),
                    )
                    .key(path.clone()),
                    None => Diagnostic::warning(
                        &rendered.data.origin,
                        format!(
                            "\"{shown}\" is too long for its line in the PDF and was broken to fit"
                        ),
                    ),
                }
            })
            .collect();
        let pdf = pdf::write_with(
            &laid,
            &meta,
            rendered.source.as_bytes(),
            pdf::Writing {
                parallel: ahead,
                free: self.free,
            },
        )?;
        if !self.free {
            std::mem::forget((laid, meta));
        }
        Ok((pdf, warnings))
    }

    /// The title and subject (from the schema) and author (from the data) of a document.
    fn titles(&self, rendered: &Rendered) -> (String, String, String) {
        let kind = self.templates.kind(&rendered.data.template);
        (
            kind.map(|k| k.schema.title.clone()).unwrap_or_default(),
            kind.map(|k| k.schema.summary.clone()).unwrap_or_default(),
            kind.and_then(|k| k.schema.author.as_deref())
                .and_then(|path| rendered.data.values.at_path(path))
                .and_then(|v| match v {
                    data::Value::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
        )
    }

    /// The document as a Word file: styles, content controls for the blanks (named like the
    /// PDF's fields), footers with page X of Y and the document ID, the page setup of the data,
    /// and the source and data in a custom XML part (so that it compares exactly).
    pub fn docx(&self, rendered: &Rendered) -> Result<Vec<u8>> {
        check_size(&rendered.document)?;
        let (title, _, author) = self.titles(rendered);
        let meta = docx::Meta {
            title,
            author,
            id: format!("Doc. {}", short_id(&rendered.source)),
            setup: page_setup(&rendered.data.page),
            date: document_date(&rendered.data),
            source: Some((
                rendered.source.clone(),
                normalised_data(&rendered.data.source)?,
            )),
            tracking: None,
            comment: Vec::new(),
        };
        Ok(docx::write(&rendered.document, &meta))
    }

    /// Load, check and render a data file's text.
    pub fn run(&self, text: &str, origin: &str) -> Result<Rendered> {
        self.render(self.load(text, origin)?)
    }

    /// Load one side of a comparison from its bytes; `name` (its path) decides the kind by
    /// extension, or by content for PDFs.
    pub fn input(&self, name: &str, bytes: &[u8]) -> Result<Input> {
        let lower = name.to_ascii_lowercase();
        if bytes.starts_with(b"%PDF-") || lower.ends_with(".pdf") {
            return self.pdf_input(name, bytes);
        }
        if bytes.starts_with(b"PK\x03\x04") || lower.ends_with(".docx") {
            return self.docx_input(name, bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|e| Error::Unreadable {
            name: name.to_string(),
            format: "UTF-8 text",
            source: Box::new(e),
        })?;
        if lower.ends_with(".toml") {
            let rendered = self.run(text, name)?;
            return Ok(Input {
                name: name.to_string(),
                id: short_id(&rendered.source),
                kind: InputKind::Data,
                document: rendered.document,
                data: Some(rendered.data),
                shown: None,
                warnings: Vec::new(),
                drawing: None,
            });
        }
        Ok(Input {
            name: name.to_string(),
            id: short_id(text),
            kind: InputKind::Text,
            document: plain::parse(text),
            data: None,
            shown: None,
            warnings: Vec::new(),
            drawing: None,
        })
    }

    fn pdf_input(&self, name: &str, bytes: &[u8]) -> Result<Input> {
        let mut pdf = lopdf::Document::load_mem(bytes).map_err(|e| Error::Unreadable {
            name: name.to_string(),
            format: "a PDF",
            source: e.to_string().into(),
        })?;
        let encrypted = pdf.is_encrypted();
        if encrypted && pdf.decrypt("").is_err() {
            return Err(Error::Encrypted {
                name: name.to_string(),
            });
        }
        let numbers: Vec<u32> = pdf.get_pages().keys().copied().collect();
        let mut pages = Vec::with_capacity(numbers.len());
        for n in &numbers {
            let mut page = String::new();
            for chunk in pdf.extract_text_chunks_with_limit(&[*n], MAX_PAGE_CONTENT) {
                match chunk {
                    Ok(t) => page.push_str(&t),
                    Err(e) => {
                        return Err(Error::Unreadable {
                            name: format!("page {n} of {name}"),
                            format: "PDF text",
                            source: e.to_string().into(),
                        });
                    }
                }
            }
            pages.push(page);
        }
        let shown = plain::parse_pages(&pages);
        let mut warnings = Vec::new();
        let files = if encrypted {
            Vec::new()
        } else {
            crate::pdf::attachments_of(&pdf)?
        };
        let get = |n: &str| files.iter().find(|(f, _)| f == n).map(|(_, b)| b.clone());
        let drawing = crate::pdf::drawing_of(&pdf, MAX_PAGE_CONTENT);
        if let Some(source) = get(SOURCE_ATTACHMENT) {
            let source = String::from_utf8_lossy(&source).to_string();
            let document = crate::document::djot::parse(&source);
            // The source is trusted only if the pages show it: their content is what it was
            // when the source was attached (a digest over the pages' drawing), and their
            // letters and digits are the source's (for files written before the digest).
            let drawn = match (&drawing.written, crate::pdf::claimed_page_digest(&pdf)) {
                (Some(written), _) => {
                    drawing.now.len() == written.len()
                        && drawing
                            .now
                            .iter()
                            .zip(written)
                            .all(|(n, w)| n.as_deref() == Some(w.as_str()))
                }
                (None, Some(claimed)) => crate::pdf::pages_digest_of(&pdf, MAX_PAGE_CONTENT)
                    .is_some_and(|d| d == claimed),
                (None, None) => true,
            };
            let expected = letters(&crate::render::text::render(&document));
            let seen = letters(&crate::render::text::render(&shown));
            if drawn && expected == seen {
                let data = get(DATA_ATTACHMENT)
                    .and_then(|d| self.load(&String::from_utf8_lossy(&d), name).ok());
                return Ok(Input {
                    name: name.to_string(),
                    id: short_id(&source),
                    kind: InputKind::EngrossPdf,
                    document,
                    data,
                    shown: Some(shown),
                    warnings,
                    drawing: Some(drawing),
                });
            }
            warnings.push(format!(
                "{name}: its pages do not show the engross source it carries (pages removed, \
                 added or edited?); comparing the text on its {} page{} instead",
                pages.len(),
                if pages.len() == 1 { "" } else { "s" }
            ));
        }
        let all: String = pages.concat();
        Ok(Input {
            name: name.to_string(),
            id: short_id(&all),
            kind: InputKind::Pdf,
            document: shown.clone(),
            data: None,
            shown: Some(shown),
            warnings,
            drawing: Some(drawing),
        })
    }

    fn docx_input(&self, name: &str, bytes: &[u8]) -> Result<Input> {
        let read = crate::docx::read(bytes).map_err(|e| Error::Unreadable {
            name: name.to_string(),
            format: "a Word file",
            source: e.to_string().into(),
        })?;
        let mut warnings = Vec::new();
        if read.revisions > 0 {
            warnings.push(format!(
                "{name}: {} tracked change{} in the file taken as accepted",
                read.revisions,
                if read.revisions == 1 { "" } else { "s" }
            ));
        }
        let shown = read.document;
        if let Some((source, data)) = &read.source {
            let document = crate::document::djot::parse(source);
            // The source is trusted only if the text shows it.
            if letters(&crate::render::text::render(&document))
                == letters(&crate::render::text::render(&shown))
            {
                let data = self.load(data, name).ok();
                return Ok(Input {
                    name: name.to_string(),
                    id: short_id(source),
                    kind: InputKind::EngrossDocx,
                    document,
                    data,
                    shown: Some(shown),
                    warnings,
                    drawing: None,
                });
            }
            warnings.push(format!(
                "{name}: its text no longer shows the engross source it carries (edited in \
                 Word?); comparing its text instead"
            ));
        }
        let text = crate::render::text::render(&shown);
        Ok(Input {
            name: name.to_string(),
            id: short_id(&text),
            kind: InputKind::Docx,
            document: shown.clone(),
            data: None,
            shown: Some(shown),
            warnings,
            drawing: None,
        })
    }
}

/// The most text taken from one PDF page's content streams, decompressed.
const MAX_PAGE_CONTENT: usize = 16 << 20;

/// How often each letter and digit occurs in a text, lower-cased: what must agree between a
/// PDF's pages and the source it carries, whatever the line breaks, hyphenation, rules and
/// the order in which side-by-side columns are extracted. Pages removed, added or edited
/// change it.
fn letters(text: &str) -> std::collections::BTreeMap<char, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for c in text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
    {
        *counts.entry(c).or_insert(0) += 1;
    }
    counts
}

/// Make what every PDF of the process uses and no document changes: the faces and their
/// shaping plans, the hyphenation patterns, the form font. The first PDF makes them when it
/// needs them; a command line calls this on a spare thread while it reads its input, so that
/// they are ready by then. Safe to call any number of times, from any thread.
pub fn prepare_pdf() {
    layout::prepare();
    pdf::prepare();
}

/// Refuse a PDF in which a character would print as the typeface's empty box: Liberation
/// Serif has Latin, Greek and Cyrillic, not (say) Chinese or Arabic. Each data field that holds
/// such characters is named, with where its value is in the data file; characters that come
/// from the template itself are named without a field.
fn missing_glyphs(
    laid: &layout::Layout,
    rendered: &Rendered,
    leaves: &[(String, &data::Value)],
) -> Result<()> {
    let mut missing: Vec<char> = Vec::new();
    for page in &laid.pages {
        for item in &page.items {
            if let layout::Item::Text { glyphs, .. } = item {
                for g in glyphs.iter().filter(|g| g.gid == 0) {
                    for c in g.text.chars().filter(|c| !c.is_whitespace()) {
                        if !missing.contains(&c) && missing.len() < 1000 {
                            missing.push(c);
                        }
                    }
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let listed = |chars: &[char]| -> String {
        let mut shown: Vec<String> = chars
            .iter()
            .take(12)
            .map(|c| format!("{c} (U+{:04X})", u32::from(*c)))
            .collect();
        if chars.len() > 12 {
            shown.push(format!("and {} more", chars.len() - 12));
        }
        shown.join(", ")
    };
    let data = &rendered.data;
    let mut problems = Vec::new();
    let mut covered: Vec<char> = Vec::new();
    for (path, value) in leaves {
        let text = value.plain();
        let here: Vec<char> = missing
            .iter()
            .copied()
            .filter(|c| text.contains(*c))
            .collect();
        if here.is_empty() {
            continue;
        }
        covered.extend(&here);
        let shown: String = text.chars().take(60).collect();
        let mut d = Diagnostic::error(
            &data.origin,
            format!(
                "`{path}`: \"{shown}\" has characters the PDF's typeface (Liberation Serif) \
                 cannot show: {}; they would print as empty boxes",
                listed(&here)
            ),
        )
        .key(path.clone())
        .help(
            "write the value in Latin letters here, or render it as txt, html or docx, which \
             use the reader's fonts",
        );
        // Where the value is in the data file (its first occurrence).
        if let Some(at) = data.source.find(text.as_str()).filter(|_| !text.is_empty()) {
            d = d.at(&data.source, at..at + text.len());
        }
        problems.push(d);
    }
    let rest: Vec<char> = missing
        .into_iter()
        .filter(|c| !covered.contains(c))
        .collect();
    if !rest.is_empty() {
        problems.push(Diagnostic::error(
            format!("templates/{}", data.template),
            format!(
                "the template's text has characters the PDF's typeface (Liberation Serif) \
                 cannot show: {}; they would print as empty boxes",
                listed(&rest)
            ),
        ));
    }
    Err(Error::Invalid(problems))
}

/// A document's short ID, as its footers print it after "Doc.": the first four bytes of the
/// SHA-256 of its source, in hex.
pub fn short_id(source: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(source.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02X}")).collect()
}

/// The data file as a PDF carries it: its typed values re-serialised, so that no comment in
/// the file (an internal note) travels to the counterparty.
pub fn normalised_data(source: &str) -> Result<String> {
    let table: toml::Table =
        toml::from_str(source).map_err(|e| Error::internal("reading the data again", e))?;
    toml::to_string(&table).map_err(|e| Error::internal("writing the data", e))
}

pub use layout::{MAX_BLOCKS, MAX_PAGES, check_pages, check_size, page_setup};
pub use pdf::document_date;
