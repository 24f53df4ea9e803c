//! Errors and diagnostics.
//!
//! The library reports problems as typed values: [`Error`] for what stops a job, and
//! [`Diagnostic`] for a located problem in a user's file (a data file, a schema, a template), with
//! the file, line, column, key and what was expected. Rendering a diagnostic to text (with a source
//! snippet) lives here too, so every front end prints the same thing; only `cli` decides where.
// No panic reachable from input (issue 10): no unchecked indexing or arithmetic here; each
// `allow` below says why it is safe.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Rendering can go on; the user should look (e.g. an original's own inconsistency).
    Warning,
    /// Rendering cannot go on.
    Error,
}

/// A located problem in a user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Warning or error.
    pub severity: Severity,
    /// What went wrong, lowercase, naming its subject.
    pub message: String,
    /// The file as the user named it (or a label such as `<string>`).
    pub origin: String,
    /// The key path in the data (`seller.name`, `notes[2].amount`), or the template variable.
    pub key: Option<String>,
    /// 1-based line and column of the problem, when it has a place.
    pub line: Option<usize>,
    /// 1-based column (in characters).
    pub column: Option<usize>,
    /// Byte span into `source`, for the snippet.
    pub span: Option<Range<usize>>,
    /// The whole text of the file, for the snippet: shared by every diagnostic on that file, so
    /// thousands of problems cost one copy of the file, not thousands.
    pub source: Option<Arc<str>>,
    /// Short label under the caret (what was expected or found).
    pub label: Option<String>,
    /// Extra advice: a did-you-mean, the expected form.
    pub help: Vec<String>,
    /// How many further problems of this severity this diagnostic stands for, not listed one
    /// by one (a file with thousands of problems reports the first ones and a count).
    pub omitted: usize,
}

impl Diagnostic {
    /// An error with a message and an origin, and no place yet.
    pub fn error(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            origin: origin.into(),
            key: None,
            line: None,
            column: None,
            span: None,
            source: None,
            label: None,
            help: Vec::new(),
            omitted: 0,
        }
    }

    /// The diagnostic that closes a list cut short: `count` more problems not shown.
    pub fn omitted(origin: impl Into<String>, shown: usize, count: usize) -> Self {
        Diagnostic {
            omitted: count,
            ..Diagnostic::error(
                origin,
                format!("{count} more problems not shown (only the first {shown} are listed)"),
            )
        }
    }

    /// A warning with a message and an origin.
    pub fn warning(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(origin, message)
        }
    }

    /// Attach the source text and a byte span; line and column are computed from them. This
    /// copies the text: for many diagnostics on one file, use [`Diagnostic::at_shared`].
    pub fn at(self, source: &str, span: Range<usize>) -> Self {
        self.at_shared(&SourceFile::new(source), span)
    }

    /// Attach a shared source (one copy and one line index for every diagnostic on a file) and
    /// a byte span.
    pub fn at_shared(mut self, source: &SourceFile, span: Range<usize>) -> Self {
        let text = &source.text;
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let (line, column) = source.line_column(start);
        self.line = Some(line);
        self.column = Some(column);
        self.span = Some(start..end);
        self.source = Some(Arc::clone(&source.text));
        self
    }

    /// Attach a line and column without a snippet (e.g. from another tool's error).
    pub fn at_line(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Name the key path or variable the problem is about.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The label under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Add a line of help.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// `file:line:column` (or just the file).
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{}:{}", self.origin, l, c),
            (Some(l), None) => format!("{}:{}", self.origin, l),
            _ => self.origin.clone(),
        }
    }

    /// Render as rustc-style text: `error: …` with the file:line:column, a source snippet with a
    /// caret under the problem, and help lines. `color` adds ANSI styles.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = match &self.key {
            Some(k) => format!("{} (key `{}`)", self.message, k),
            None => self.message.clone(),
        };
        let mut report: Vec<Group<'_>> = Vec::new();
        let title = level.primary_title(title.as_str());
        match (&self.source, &self.span) {
            (Some(src), Some(span)) => {
                let mut ann = AnnotationKind::Primary.span(span.clone());
                if let Some(label) = &self.label {
                    ann = ann.label(label.as_str());
                }
                report.push(
                    title.element(
                        Snippet::source(&**src)
                            .path(self.origin.as_str())
                            .fold(true)
                            .annotation(ann),
                    ),
                );
            }
            _ => {
                let mut origin = annotate_snippets::Origin::path(self.origin.as_str());
                if let Some(l) = self.line {
                    origin = origin.line(l);
                }
                if let Some(c) = self.column {
                    origin = origin.char_column(c);
                }
                report.push(title.element(origin));
                if let Some(label) = &self.label {
                    report.push(Group::with_title(
                        Level::NOTE.secondary_title(label.as_str()),
                    ));
                }
            }
        }
        for h in &self.help {
            report.push(Group::with_title(Level::HELP.secondary_title(h.as_str())));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&report).to_string()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// The largest char boundary of `s` at or before `at` (which must be at most `s.len()`).
fn floor_char_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        // Cannot underflow: 0 is always a char boundary.
        at = at.saturating_sub(1);
    }
    at
}

/// A file's text shared by its diagnostics, with an index of its line starts, so that locating
/// a problem costs a binary search instead of a scan of the file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    text: Arc<str>,
    /// Byte offset of the start of every line.
    lines: Arc<[usize]>,
}

impl SourceFile {
    /// Index a text (one copy of it, one pass over it).
    pub fn new(text: &str) -> SourceFile {
        let lines: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i.saturating_add(1)))
            .collect();
        SourceFile {
            text: Arc::from(text),
            lines: lines.into(),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of byte offset `at`.
    pub fn line_column(&self, at: usize) -> (usize, usize) {
        let at = floor_char_boundary(&self.text, at);
        // The last line start at or before `at`; index 0 (offset 0) always qualifies.
        let line = self.lines.partition_point(|&start| start <= at).max(1);
        let start = self.lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..at)
            .map_or(0, |s| s.chars().count())
            .saturating_add(1);
        (line, column)
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `source`.
pub fn line_column(source: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(source, at);
    let before = source.get(..at).unwrap_or_default();
    let line = before.matches('\n').count().saturating_add(1);
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let column = before
        .get(line_start..)
        .map_or(0, |s| s.chars().count())
        .saturating_add(1);
    (line, column)
}

/// Everything that can stop an engross job.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What we tried: `read`, `write`, `create`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// One or more located problems in a user's file (data, schema or template).
    #[error("{}", summarize(.0))]
    Invalid(Vec<Diagnostic>),
    /// An output file exists and the user did not ask to overwrite it.
    #[error("{} already exists", path.display())]
    OutputExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A request that makes no sense, e.g. an unknown format for an input.
    #[error("{0}")]
    Usage(String),
    /// An input is larger than engross accepts (see docs/security.md for every limit).
    #[error("{} is larger than the limit of {limit} bytes for {what}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What kind of input it is (`a data file`, `a template`, …).
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// An input is not a regular file (a FIFO, a device, a socket or a folder), which engross
    /// does not read: such a file may never end.
    #[error("{} is not a regular file ({kind}); engross reads only regular files", path.display())]
    NotAFile {
        /// The file.
        path: PathBuf,
        /// What it is instead (`a FIFO`, `a device`, …).
        kind: &'static str,
    },
    /// A limit on work or size was reached while processing (template loops, string growth,
    /// decompressed streams, document size); the message says which and its value.
    #[error("{0}")]
    Limit(String),
    /// Standard output could not be written (e.g. a full disk). A closed pipe is not reported:
    /// the command line exits quietly, as `head` expects.
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
    /// The comparison found itself inconsistent: a bug, reported instead of a wrong redline.
    #[error("internal error in the comparison: {0} (please report it with both inputs)")]
    Comparison(String),
    /// A step inside engross or a library it uses failed while making an output (writing or
    /// compressing a PDF, subsetting a font, serialising data): not a problem in the user's
    /// input.
    #[error("{task} failed")]
    Internal {
        /// What engross was doing (`writing the PDF`, `subsetting the font`).
        task: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An input is not a readable file of the format it claims (a damaged PDF or Word file).
    #[error("cannot read {name} as {format}")]
    Unreadable {
        /// The input, as the user named it.
        name: String,
        /// The format (`a PDF`, `a Word file`).
        format: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An input PDF is encrypted with a password engross does not have.
    #[error("{name} is encrypted with a password; save a copy without one to compare it")]
    Encrypted {
        /// The input, as the user named it.
        name: String,
    },
    /// A data file names a template that is not loaded.
    #[error("unknown template `{0}`")]
    UnknownTemplate(String),
}

/// How many errors a list of diagnostics reports, counting those it only counts.
pub fn error_count(diags: &[Diagnostic]) -> usize {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.omitted.max(1))
        .fold(0, usize::saturating_add)
}

fn summarize(diags: &[Diagnostic]) -> String {
    let errors = error_count(diags);
    match diags.first() {
        Some(d) if errors <= 1 => format!("{}: {}", d.location(), d.message),
        Some(d) => format!(
            "{}: {} (and {} more errors)",
            d.location(),
            d.message,
            errors.saturating_sub(1)
        ),
        None => "invalid input".to_string(),
    }
}

impl Error {
    /// The located diagnostics this error carries (empty for I/O and usage errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => d,
            _ => &[],
        }
    }
}

impl Error {
    /// An [`Error::Internal`] for `task`, from any error.
    pub fn internal(
        task: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Internal {
            task,
            source: source.into(),
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Invalid(vec![d])
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The closest of `candidates` to `word`, if close enough to suggest ("did you mean …?").
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let s = "a = 1\nbé = 2\n";
        assert_eq!(line_column(s, 0), (1, 1));
        assert_eq!(line_column(s, 6), (2, 1));
        assert_eq!(line_column(s, 10), (2, 4));
    }

    #[test]
    fn suggestions_need_similarity() {
        assert_eq!(did_you_mean("sate", ["state", "name"]), Some("state"));
        assert_eq!(did_you_mean("zzz", ["state", "name"]), None);
    }
}
