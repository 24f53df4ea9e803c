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
pub mod input;
pub mod layout;
pub mod pdf;
pub mod proof;
pub mod render;
pub mod template;

pub use error::{Diagnostic, Error, Result, Severity};

use data::Data;
use document::Document;
use template::Templates;

/// The name of the Djot source attached to every engross PDF.
pub const SOURCE_ATTACHMENT: &str = "engross-source.dj";
/// The name of the data file attached to every engross PDF.
pub const DATA_ATTACHMENT: &str = "engross-data.toml";

/// The whole pipeline over one set of templates.
#[derive(Debug)]
pub struct Engine {
    templates: Templates,
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
        Ok(Engine {
            templates: Templates::builtin()?,
        })
    }

    /// An engine over the given templates.
    pub fn new(templates: Templates) -> Engine {
        Engine { templates }
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
                let _ = std::thread::Builder::new().spawn_scoped(scope, || {
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
        Ok((
            pdf::write_with(&laid, &meta, rendered.source.as_bytes(), ahead)?,
            warnings,
        ))
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
    let table: toml::Table = toml::from_str(source)
        .map_err(|e| Error::Usage(format!("cannot read the data again: {e}")))?;
    toml::to_string(&table).map_err(|e| Error::Usage(format!("cannot write the data: {e}")))
}

/// The date of the document's metadata: the agreement's `date`, else its first top-level
/// date, else 1 January of its `year`, else `SOURCE_DATE_EPOCH`. Never the clock.
pub fn document_date(data: &Data) -> Option<pdf::Stamp> {
    let top = match &data.values {
        data::Value::Table(entries) => entries.as_slice(),
        _ => &[],
    };
    let date = |v: &data::Value| match v {
        data::Value::Date(d) => Some(pdf::Stamp::from_date(*d)),
        _ => None,
    };
    data.values
        .get("date")
        .and_then(date)
        .or_else(|| top.iter().find_map(|(_, v)| date(v)))
        .or_else(|| match data.values.get("year") {
            Some(data::Value::Integer(y)) => jiff::civil::Date::new(i16::try_from(*y).ok()?, 1, 1)
                .ok()
                .map(pdf::Stamp::from_date),
            _ => None,
        })
        .or_else(|| {
            std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|s| pdf::Stamp::from_epoch(&s))
        })
}

/// The most blocks (headings, paragraphs, cells, signature blocks…) a document may have to be
/// laid out: well past any agreement (the subscription agreement has about 1,100).
pub const MAX_BLOCKS: usize = 100_000;
/// The most pages a laid-out document may have.
pub const MAX_PAGES: usize = 10_000;

/// Refuse a document too large to lay out in reasonable time and memory (a limit of
/// `docs/security.md`).
pub fn check_size(doc: &Document) -> Result<()> {
    let mut blocks = 0usize;
    doc.walk(&mut |_| blocks = blocks.saturating_add(1));
    if blocks > MAX_BLOCKS {
        return Err(Error::Limit(format!(
            "the document has {blocks} blocks; at most {MAX_BLOCKS} are laid out"
        )));
    }
    Ok(())
}

/// Refuse a layout of more than [`MAX_PAGES`] pages.
pub fn check_pages(pages: usize) -> Result<()> {
    if pages > MAX_PAGES {
        return Err(Error::Limit(format!(
            "the document runs to {pages} pages; at most {MAX_PAGES} are written"
        )));
    }
    Ok(())
}

/// The layout's page setup for the data's page settings (US Letter, 12 pt, 1-inch margins by
/// default).
pub fn page_setup(page: &data::PageSettings) -> layout::PageSetup {
    let default = layout::PageSetup::default();
    let (width, height) = page
        .size
        .map_or((default.width, default.height), data::Paper::points);
    let font_size = page.font_size.unwrap_or(default.font_size);
    layout::PageSetup {
        width,
        height,
        margin: page.margin.map_or(default.margin, |inches| inches * 72.0),
        font_size,
        leading: font_size * default.leading / default.font_size,
    }
}
