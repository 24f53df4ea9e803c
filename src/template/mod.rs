//! The template engine: loads every template kind once (its `template.dj.tera`, partials and
//! `schema.toml`), registers the legal filters, and renders validated [`Data`] to Djot source.
//!
//! Every value printed from data goes through [`legal::escape_djot`], set as Tera's escape
//! function for `.tera` templates, so data can never change the document's structure. Templates
//! are embedded in the binary at build time; a folder can be loaded instead
//! ([`Templates::from_dir`]) to work on templates without rebuilding.
// No panic reachable from input (issue 10): no unchecked indexing or arithmetic here; each
// `allow` below says why it is safe.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod legal;
pub mod numbering;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::data::{Data, Schema};
use crate::error::{Diagnostic, Error, Result, did_you_mean};

/// The largest template or schema file, in bytes (1 MiB; the largest built-in one is 40 KB).
pub const MAX_TEMPLATE_BYTES: u64 = 1 << 20;
/// The most bytes of all template files of a set together (16 MiB).
pub const MAX_TEMPLATES_TOTAL: u64 = 16 << 20;
/// The most files (and folders) a template folder may hold.
pub const MAX_TEMPLATE_FILES: usize = 2_000;
/// How deep folders may nest inside a template folder.
pub const MAX_TEMPLATE_DEPTH: usize = 16;
/// The most elements `range()` produces in a template (Tera's own limit is 100,000).
pub const MAX_RANGE: i128 = 10_000;

/// Limits on one render of a template: what stops a runaway template (loops that never end,
/// strings that double) with a clear error instead of a hang or an abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most time one render may take.
    pub deadline: Duration,
    /// The most the process may grow (resident memory) during one render, in bytes.
    pub memory: u64,
    /// The most Djot one render may produce, in bytes.
    pub output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(10),
            memory: 1 << 30,
            output: 16 << 20,
        }
    }
}

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// One template kind: its schema and root template.
#[derive(Debug, Clone)]
pub struct Kind {
    /// The schema (name, title, summary, fields).
    pub schema: Schema,
    /// The Tera name of its root template (`subscription/template.dj.tera`).
    pub root: String,
    /// The schema's text, as written (for `engross init --from`).
    pub schema_source: String,
}

/// All loaded template kinds, ready to render.
pub struct Templates {
    tera: Arc<tera::Tera>,
    kinds: BTreeMap<String, Kind>,
    sources: BTreeMap<String, String>,
    prefix: String,
    limits: Limits,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("kinds", &self.kinds.keys())
            .finish_non_exhaustive()
    }
}

const ROOT: &str = "template.dj.tera";

impl Templates {
    /// The templates compiled into this binary.
    pub fn builtin() -> Result<Templates> {
        Templates::from_files(
            builtin::FILES
                .iter()
                .map(|(name, text)| (name.to_string(), text.to_string())),
            "templates/",
        )
    }

    /// The templates compiled into this binary, only the named kinds (and the shared partials):
    /// parsing every kind's templates was a tenth of a one-document render. A name that is not
    /// a built-in kind loads them all, so that the error about it can list them.
    pub fn builtin_kinds(kinds: &std::collections::BTreeSet<String>) -> Result<Templates> {
        let known = |kind: &String| {
            let dir = format!("{kind}/");
            builtin::FILES
                .iter()
                .any(|(name, _)| name.starts_with(&dir))
        };
        if kinds.is_empty() || !kinds.iter().all(known) {
            return Templates::builtin();
        }
        Templates::from_files(
            builtin::FILES
                .iter()
                .filter(|(name, _)| {
                    name.starts_with("_shared/")
                        || name
                            .split_once('/')
                            .is_some_and(|(dir, _)| kinds.contains(dir))
                })
                .map(|(name, text)| (name.to_string(), text.to_string())),
            "templates/",
        )
    }

    /// Load every kind from a folder laid out as the project's `templates/`.
    ///
    /// The folder is not trusted: only regular files inside it are read (a symbolic link is
    /// followed only to a regular file inside the folder; FIFOs, devices and links that lead
    /// out are errors), each at most [`MAX_TEMPLATE_BYTES`], at most [`MAX_TEMPLATE_FILES`]
    /// entries [`MAX_TEMPLATE_DEPTH`] folders deep.
    pub fn from_dir(dir: &Path) -> Result<Templates> {
        let root = std::fs::canonicalize(dir).map_err(|source| Error::Io {
            action: "read",
            path: dir.to_path_buf(),
            source,
        })?;
        let mut walk = Walk {
            root,
            shown: dir.to_path_buf(),
            entries: 0,
            total: 0,
            files: Vec::new(),
        };
        walk.dir(dir, 0)?;
        let mut files = walk.files;
        files.sort();
        let prefix = format!("{}/", dir.display());
        Templates::from_files(files, &prefix)
    }

    /// Replace the limits on each render.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The limits on each render.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Load from `(relative path, text)` pairs; `prefix` is prepended to paths in messages.
    pub fn from_files(
        files: impl IntoIterator<Item = (String, String)>,
        prefix: &str,
    ) -> Result<Templates> {
        let mut tera = tera::Tera::new();
        tera.autoescape_on([".tera"]);
        tera.set_escape_fn(legal::escape_djot);
        legal::register(&mut tera);
        tera.register_function("range", range);
        let mut sources = BTreeMap::new();
        let mut schemas = Vec::new();
        let mut total: u64 = 0;
        for (name, text) in files {
            let len = text.len() as u64;
            total = total.saturating_add(len);
            if len > MAX_TEMPLATE_BYTES || total > MAX_TEMPLATES_TOTAL {
                let (limit, what) = if len > MAX_TEMPLATE_BYTES {
                    (MAX_TEMPLATE_BYTES, "a template file")
                } else {
                    (MAX_TEMPLATES_TOTAL, "all template files together")
                };
                return Err(Error::TooLarge {
                    path: PathBuf::from(format!("{prefix}{name}")),
                    what,
                    limit,
                });
            }
            if name.ends_with("/schema.toml") {
                schemas.push((name, text));
            } else if name.ends_with(".tera") {
                sources.insert(name, text);
            }
        }
        let mut problems = Vec::new();
        let mut kinds = BTreeMap::new();
        for (name, text) in &schemas {
            let origin = format!("{prefix}{name}");
            match Schema::parse(text, &origin) {
                Ok(schema) => {
                    let dir = name.trim_end_matches("schema.toml");
                    let root = format!("{dir}{ROOT}");
                    if dir.trim_end_matches('/') != schema.kind {
                        problems.push(Diagnostic::error(
                            &origin,
                            format!(
                                "schema kind `{}` does not match its folder `{}`",
                                schema.kind,
                                dir.trim_end_matches('/')
                            ),
                        ));
                    } else if !sources.contains_key(&root) {
                        problems.push(Diagnostic::error(
                            &origin,
                            format!("template kind `{}` has no {root}", schema.kind),
                        ));
                    } else {
                        kinds.insert(
                            schema.kind.clone(),
                            Kind {
                                schema,
                                root,
                                schema_source: text.clone(),
                            },
                        );
                    }
                }
                Err(e) => problems.extend(e.diagnostics().iter().cloned()),
            }
        }
        if let Err(e) =
            tera.add_raw_templates(sources.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            problems.push(tera_diagnostic(&e, &sources, prefix));
        }
        if problems.is_empty() {
            Ok(Templates {
                tera: Arc::new(tera),
                kinds,
                sources,
                prefix: prefix.to_string(),
                limits: Limits::default(),
            })
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// Every kind, by name.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.kinds.values()
    }

    /// The kind named `name`.
    pub fn kind(&self, name: &str) -> Option<&Kind> {
        self.kinds.get(name)
    }

    /// The error for a data file naming a template that does not exist.
    pub fn unknown(
        &self,
        name: &str,
        origin: &str,
        text: &str,
        span: std::ops::Range<usize>,
    ) -> Error {
        let mut d = Diagnostic::error(origin, format!("unknown template `{name}`"))
            .key("template")
            .at(text, span)
            .label("no template of this name");
        match did_you_mean(name, self.kinds.keys().map(String::as_str)) {
            Some(s) => d = d.help(format!("did you mean \"{s}\"?")),
            None => {
                d = d.help(format!(
                    "the templates are: {}",
                    self.kinds.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            }
        }
        d.into()
    }

    /// Render validated data with its template to Djot source.
    ///
    /// The render runs on its own thread under [`Limits`]: past the deadline, the memory or
    /// the output limit this returns [`Error::Limit`] at once. The runaway render cannot be
    /// stopped from outside and is left running: a process that gets this error should exit
    /// soon (the command line does).
    pub fn render(&self, data: &Data) -> Result<String> {
        let kind = self
            .kinds
            .get(&data.template)
            .ok_or_else(|| Error::UnknownTemplate(data.template.clone()))?;
        let context = tera::Context::from_serialize(&data.values)
            .map_err(|e| Error::internal("passing the data to the template", e))?;
        let (tx, rx) = std::sync::mpsc::channel();
        let start = Instant::now();
        let baseline = resident_bytes();
        submit(Job {
            tera: Arc::clone(&self.tera),
            root: kind.root.clone(),
            context,
            limit: self.limits.output,
            reply: tx,
        })?;
        let name = format!("{}{}", self.prefix, kind.root);
        let (result, out) = loop {
            match rx.recv_timeout(Duration::from_millis(5)) {
                Ok(done) => break done,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    retire();
                    return Err(Error::Limit(format!(
                        "{name}: the template engine failed on this template"
                    )));
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if start.elapsed() > self.limits.deadline {
                        retire();
                        return Err(Error::Limit(format!(
                            "{name}: rendering took longer than the limit of {} ms (a loop that does not end?)",
                            self.limits.deadline.as_millis()
                        )));
                    }
                    if let (Some(b), Some(now)) = (baseline, resident_bytes())
                        && now.saturating_sub(b) > self.limits.memory
                    {
                        retire();
                        return Err(Error::Limit(format!(
                            "{name}: rendering used more than the limit of {} MiB of memory (a string that keeps growing?)",
                            self.limits.memory >> 20
                        )));
                    }
                }
            }
        };
        if out.over {
            return Err(Error::Limit(format!(
                "{name}: the template produced more than the limit of {} MiB of Djot",
                self.limits.output >> 20
            )));
        }
        result.map_err(|e| Error::from(tera_diagnostic(&e, &self.sources, &self.prefix)))?;
        let djot = String::from_utf8(out.bytes).map_err(|_| {
            Error::Limit(format!(
                "{name}: the template produced text that is not UTF-8"
            ))
        })?;
        numbering::resolve(&djot, &kind.schema.numbering)
            .map_err(|p| Error::from(self.numbering_diagnostic(&kind.schema.kind, &p)))
    }

    /// The files of a new kind `kind` for a user's template folder: a copy of kind `from`
    /// (its templates and schema, renamed), or with no `from` a small starter kind; plus the
    /// shared components every kind may use. Paths are relative to the folder.
    pub fn kit(&self, kind: &str, from: Option<&str>) -> Result<Vec<(String, String)>> {
        let valid = !kind.is_empty()
            && kind.len() <= 64
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !kind.starts_with('-');
        if !valid || kind == "_shared" {
            return Err(Error::Usage(format!(
                "{kind:?} cannot name a kind: use lower-case letters, digits and hyphens (e.g. \"nda\")"
            )));
        }
        let mut files: Vec<(String, String)> = self
            .sources
            .iter()
            .filter(|(name, _)| name.starts_with("_shared/"))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect();
        match from {
            None => {
                files.push((
                    format!("{kind}/schema.toml"),
                    STARTER_SCHEMA.replace("KIND", kind),
                ));
                files.push((
                    format!("{kind}/template.dj.tera"),
                    STARTER_TEMPLATE.to_string(),
                ));
            }
            Some(from) => {
                let dir = format!("{from}/");
                let component = from.replace('-', "_");
                let new_component = kind.replace('-', "_");
                let Some(source) = self.kinds.get(from) else {
                    let known: Vec<&str> = self.kinds.keys().map(String::as_str).collect();
                    return Err(Error::Usage(format!(
                        "no such kind `{from}` to copy (the kinds are: {})",
                        known.join(", ")
                    )));
                };
                let schema = source.schema_source.replacen(
                    &format!("kind = \"{from}\""),
                    &format!("kind = \"{kind}\""),
                    1,
                );
                files.push((format!("{kind}/schema.toml"), schema));
                for (name, text) in &self.sources {
                    let Some(rest) = name.strip_prefix(&dir) else {
                        continue;
                    };
                    let text = text
                        .replace(&format!("\"{from}/"), &format!("\"{kind}/"))
                        .replace(&format!("<{component}_"), &format!("<{new_component}_"))
                        .replace(
                            &format!("component {component}_"),
                            &format!("component {new_component}_"),
                        );
                    files.push((format!("{kind}/{rest}"), text));
                }
            }
        }
        files.sort();
        Ok(files)
    }

    /// Where in the kind's templates a numbering problem comes from: the first place that
    /// writes the name or level.
    fn numbering_diagnostic(&self, kind: &str, problem: &numbering::Problem) -> Diagnostic {
        let needle = match problem {
            numbering::Problem::Missing(n) => format!("(#{n})"),
            numbering::Problem::Duplicate(n) => format!("#{n}"),
            numbering::Problem::UnknownLevel(l) | numbering::Problem::Overflow(l) => {
                format!("[#{l}]")
            }
        };
        let found = self
            .sources
            .iter()
            .filter(|(file, _)| file.starts_with(&format!("{kind}/")))
            .find_map(|(file, src)| src.find(&needle).map(|at| (file, src, at)));
        match found {
            Some((file, src, at)) => Diagnostic::error(
                format!("{}{file}", self.prefix),
                format!("template error: {problem}"),
            )
            .at(src, at..at.saturating_add(needle.len())),
            None => Diagnostic::error(
                format!("{}{kind}", self.prefix),
                format!("template error: {problem}"),
            ),
        }
    }
}

/// `range()` as Tera's, with a smaller limit on its length.
fn range(kwargs: tera::Kwargs, _: &tera::State) -> tera::TeraResult<Vec<i128>> {
    let start = kwargs.get::<i128>("start")?.unwrap_or_default();
    let end = kwargs.must_get::<i128>("end")?;
    let step = kwargs.get::<i128>("step_by")?.unwrap_or(1);
    if step == 0 {
        return Err(tera::Error::message(
            "Function `range` was called with a `step_by` argument of 0",
        ));
    }
    if start > end && step > 0 {
        return Err(tera::Error::message(
            "Function `range` was called with a `start` argument greater than the `end` one",
        ));
    }
    let len = if step > 0 {
        end.saturating_sub(start)
            .saturating_add(step.saturating_sub(1))
            .checked_div(step)
    } else {
        start
            .saturating_sub(end)
            .saturating_add(step.saturating_neg().saturating_sub(1))
            .checked_div(step.saturating_neg())
    }
    .unwrap_or(i128::MAX)
    .max(0);
    if len > MAX_RANGE {
        return Err(tera::Error::message(format!(
            "Function `range` would produce {len} elements; engross's limit is {MAX_RANGE}"
        )));
    }
    Ok((0..len)
        .map(|i| start.saturating_add(i.saturating_mul(step)))
        .collect())
}

/// One render for a template thread: the templates, the root to render, the data and the
/// most bytes it may write; the result goes back on `reply`.
struct Job {
    tera: Arc<tera::Tera>,
    root: String,
    context: tera::Context,
    limit: usize,
    reply: std::sync::mpsc::Sender<(std::result::Result<(), tera::Error>, Capped)>,
}

thread_local! {
    /// The template thread that renders for this thread, started on its first render and
    /// kept (a thread per render cost more than a small template's render). A render that
    /// runs past its limits retires it: the runaway keeps that thread, and the next render
    /// starts another.
    static WORKER: std::cell::RefCell<Option<std::sync::mpsc::Sender<Job>>> =
        const { std::cell::RefCell::new(None) };
}

/// A template thread: a big stack (templates recurse), rendering jobs until its sender is
/// dropped.
fn spawn_worker() -> Result<std::sync::mpsc::Sender<Job>> {
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    crate::threads::spawn(
        std::thread::Builder::new()
            .name("engross-template".into())
            .stack_size(64 << 20),
        crate::threads::Place::Beside,
        move || {
            while let Ok(job) = rx.recv() {
                let mut out = Capped {
                    bytes: Vec::new(),
                    limit: job.limit,
                    over: false,
                };
                let result = job.tera.render_to(&job.root, &job.context, &mut out);
                let _ = job.reply.send((result, out));
            }
        },
    )
    .map_err(|e| Error::Limit(format!("cannot start the template engine: {e}")))?;
    Ok(tx)
}

/// Give a render to this thread's template thread, starting one if there is none or the last
/// one has stopped (a template that made the engine fail ends its thread).
fn submit(job: Job) -> Result<()> {
    let gone = || Error::Limit("cannot start the template engine: the thread is ending".into());
    WORKER
        .try_with(|worker| {
            let mut worker = worker.try_borrow_mut().map_err(|_| gone())?;
            let mut job = job;
            for _ in 0..2 {
                let tx = match worker.as_ref() {
                    Some(tx) => tx,
                    None => worker.insert(spawn_worker()?),
                };
                match tx.send(job) {
                    Ok(()) => return Ok(()),
                    Err(std::sync::mpsc::SendError(back)) => {
                        job = back;
                        *worker = None;
                    }
                }
            }
            Err(Error::Limit(
                "cannot start the template engine: its thread stopped at once".into(),
            ))
        })
        .map_err(|_| gone())?
}

/// Leave this thread's template thread to a runaway render: the next render starts another.
fn retire() {
    let _ = WORKER.try_with(|worker| {
        if let Ok(mut worker) = worker.try_borrow_mut() {
            *worker = None;
        }
    });
}

/// A writer that takes at most `limit` bytes, then fails (and says so).
struct Capped {
    bytes: Vec<u8>,
    limit: usize,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.limit {
            self.over = true;
            return Err(std::io::Error::other("the template's output is too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's resident memory, where the system tells it (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages.saturating_mul(4096))
}

/// A walk over an untrusted template folder.
struct Walk {
    /// The folder, resolved: nothing outside it is read.
    root: PathBuf,
    /// The folder as the user named it, for messages and relative names.
    shown: PathBuf,
    entries: usize,
    total: u64,
    files: Vec<(String, String)>,
}

impl Walk {
    fn dir(&mut self, dir: &Path, depth: usize) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io {
                action: "read",
                path,
                source,
            }
        };
        if depth > MAX_TEMPLATE_DEPTH {
            return Err(Error::Limit(format!(
                "{}: template folders nest more than {MAX_TEMPLATE_DEPTH} deep",
                dir.display()
            )));
        }
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            self.entries = self.entries.saturating_add(1);
            if self.entries > MAX_TEMPLATE_FILES {
                return Err(Error::Limit(format!(
                    "{}: a template folder holds at most {MAX_TEMPLATE_FILES} files and folders",
                    self.shown.display()
                )));
            }
            let path = entry.path();
            // The entry itself, not what a link points to.
            let ty = entry.file_type().map_err(io(&path))?;
            let name = entry.file_name();
            let wanted = name
                .to_str()
                .is_some_and(|n| n.ends_with(".tera") || n == "schema.toml");
            if ty.is_dir() {
                self.dir(&path, depth.saturating_add(1))?;
            } else if ty.is_symlink() {
                let target = std::fs::canonicalize(&path).map_err(io(&path))?;
                if !target.starts_with(&self.root) {
                    return Err(Error::Usage(format!(
                        "{} is a symbolic link to {}, outside the template folder {}; links out of a template folder are not followed",
                        path.display(),
                        target.display(),
                        self.shown.display()
                    )));
                }
                if target.is_dir() {
                    return Err(Error::Usage(format!(
                        "{} is a symbolic link to a folder; links to folders in a template folder are not followed",
                        path.display()
                    )));
                }
                if wanted {
                    self.file(&path, &target)?;
                }
            } else if wanted {
                self.file(&path, &path)?;
            }
        }
        Ok(())
    }

    /// Read one template file: `path` as found, `real` what it resolves to.
    fn file(&mut self, path: &Path, real: &Path) -> Result<()> {
        let text =
            crate::input::read_text(real, MAX_TEMPLATE_BYTES, "a template file").map_err(|e| {
                match e {
                    // Name the file as found in the folder, not the link's target.
                    Error::NotAFile { kind, .. } => Error::NotAFile {
                        path: path.to_path_buf(),
                        kind,
                    },
                    Error::TooLarge { what, limit, .. } => Error::TooLarge {
                        path: path.to_path_buf(),
                        what,
                        limit,
                    },
                    other => other,
                }
            })?;
        self.total = self.total.saturating_add(text.len() as u64);
        if self.total > MAX_TEMPLATES_TOTAL {
            return Err(Error::TooLarge {
                path: self.shown.clone(),
                what: "all template files together",
                limit: MAX_TEMPLATES_TOTAL,
            });
        }
        let rel = path
            .strip_prefix(&self.shown)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        self.files.push((rel, text));
        Ok(())
    }
}

/// Turn a Tera error into a located diagnostic on the template file.
fn tera_diagnostic(
    e: &tera::Error,
    sources: &BTreeMap<String, String>,
    prefix: &str,
) -> Diagnostic {
    match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            let origin = format!("{prefix}{}", r.filename());
            let message = first_line(r.message());
            let mut d = Diagnostic::error(&origin, format!("template error: {message}"));
            if let Some(var) = backticked(&message) {
                d = d.key(var);
            }
            if let Some(src) = sources.get(r.filename()) {
                d = d.at(src, r.span().range.clone());
            } else {
                d = d.at_line(r.span().start_line, r.span().start_col.saturating_add(1));
            }
            if message.contains("not defined") {
                d = d.help("the data does not set this value: add it to the data file, or declare it in the schema and give it in the data");
            }
            d
        }
        _ => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            Diagnostic::error(
                prefix.trim_end_matches('/'),
                format!("template error: {message}"),
            )
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn backticked(s: &str) -> Option<String> {
    let (_, rest) = s.split_once('`')?;
    let (inner, _) = rest.split_once('`')?;
    Some(inner.to_string())
}

/// The schema of the starter kind `engross init KIND` makes without `--from`.
const STARTER_SCHEMA: &str = include_str!("starter/schema.toml");
/// Its template.
const STARTER_TEMPLATE: &str = include_str!("starter/template.dj.tera");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_kinds_loads_the_named_kinds_or_all_for_an_unknown_name() {
        let only: std::collections::BTreeSet<String> = ["severance".to_string()].into();
        let t = Templates::builtin_kinds(&only).unwrap();
        let names: Vec<&str> = t.kinds().map(|k| k.schema.kind.as_str()).collect();
        assert_eq!(names, ["severance"]);
        let unknown: std::collections::BTreeSet<String> =
            ["severance".to_string(), "lease".to_string()].into();
        let all = Templates::builtin_kinds(&unknown).unwrap();
        assert_eq!(
            all.kinds().count(),
            Templates::builtin().unwrap().kinds().count()
        );
    }
}
