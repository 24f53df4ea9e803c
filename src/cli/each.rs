//! `render BASE --each ROSTER`: one document per roster row, in parallel.
//!
//! Every row (of this shard) is merged over the base and checked first; each bad row is
//! reported with its row, column and field and costs only itself (or, with `--strict`,
//! everything). File names come from `--name` and must not collide. The good rows are then
//! merged again and rendered by `--jobs` workers sharing one engine (templates, fonts and the
//! hyphenation dictionary loaded once); each document is handed to one of four writers per
//! worker and written as soon as it is made, through a temporary file, so memory does not grow
//! with the roster and an interrupted run leaves only whole files (`--skip-existing` resumes
//! it).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::{Format, document_bytes, files, note};
use crate::data::roster::{self, Cell, Row};
use crate::{Diagnostic, Engine, Error};

/// The most bytes a roster may have.
const MAX_ROSTER_BYTES: u64 = 256 << 20;

/// What `render --each` was asked.
#[derive(Debug)]
pub struct Options {
    pub formats: Vec<Format>,
    pub output: PathBuf,
    pub force: bool,
    pub name: String,
    pub strict: bool,
    pub jobs: Option<usize>,
    pub shard: Option<String>,
    pub skip_existing: bool,
    pub set: Vec<String>,
}

/// `K/N` as (K, N), 1 ≤ K ≤ N.
fn shard(text: &str) -> anyhow::Result<(usize, usize)> {
    let bad = || {
        Error::Usage(format!(
            "--shard takes K/N with 1 <= K <= N (`2/4`), not `{text}`"
        ))
    };
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad().into());
    }
    Ok((k, n))
}

/// The schema of a data file's template.
fn schema<'a>(
    engine: &'a Engine,
    text: &str,
    origin: &str,
) -> anyhow::Result<&'a crate::data::schema::Schema> {
    let reference = crate::data::Data::template_ref(text, origin)?;
    let kind = engine.templates().kind(&reference.name).ok_or_else(|| {
        engine
            .templates()
            .unknown(&reference.name, origin, text, reference.span)
    })?;
    Ok(&kind.schema)
}

/// A data file's text with `--set PATH=VALUE` overrides merged in (typed by the schema).
pub fn with_overrides(
    engine: &Engine,
    text: &str,
    origin: &str,
    set: &[String],
) -> anyhow::Result<String> {
    let schema = schema(engine, text, origin)?;
    let mut cells = Vec::new();
    for (i, s) in set.iter().enumerate() {
        let (path, value) = s.split_once('=').ok_or_else(|| {
            Error::Usage(format!(
                "--set takes PATH=VALUE (`subscriber.shares=1200`), not `{s}`"
            ))
        })?;
        cells.push((
            path.trim().to_string(),
            i + 1,
            Cell::Text(value.to_string()),
        ));
    }
    let row = Row { number: 0, cells };
    roster::merge(text, &row, schema, "--set").map_err(|problems| {
        let problems = problems
            .into_iter()
            .map(|mut d| {
                d.message = d.message.trim_start_matches("row 0: ").to_string();
                d.line = None;
                d.column = None;
                d
            })
            .collect();
        Error::Invalid(problems).into()
    })
}

/// A row's problems as the roster user reads them: the roster's name, the row, the column of
/// the field when the field came from the row.
fn located(mut diags: Vec<Diagnostic>, row: &Row, roster: &str) -> Vec<Diagnostic> {
    for d in &mut diags {
        let column = d
            .key
            .as_ref()
            .and_then(|k| row.cells.iter().find(|(p, _, _)| p == k))
            .map(|(_, c, _)| *c);
        d.origin = roster.to_string();
        d.span = None;
        d.source = None;
        d.line = Some(row.number);
        d.column = column;
        if !d.message.starts_with("row ") {
            d.message = format!("row {}: {}", row.number, d.message);
        }
    }
    diags
}

/// Render one document per row of `roster`, merged over the one data file in `data`.
pub fn render_each(
    engine: &Engine,
    data: &[PathBuf],
    roster_path: &Path,
    opts: &Options,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let [base_path] = data else {
        return Err(Error::Usage(
            "--each takes one data file, the base every row is merged over".into(),
        )
        .into());
    };
    let (base, base_origin) = super::data_text(engine, base_path, &opts.set)?;
    let schema = schema(engine, &base, &base_origin)?;
    let roster_origin = roster_path.display().to_string();
    let text = crate::input::read_text(roster_path, MAX_ROSTER_BYTES, "a roster")?;
    let rows = roster::parse(&text, &roster_origin).map_err(|d| Error::Invalid(vec![*d]))?;
    drop(text);
    let (k, n) = match &opts.shard {
        Some(s) => shard(s)?,
        None => (1, 1),
    };
    let rows: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % n == k - 1)
        .map(|(_, r)| r)
        .collect();
    let colour = std::io::stderr().is_terminal();

    // Check every row, and name its documents.
    let mut failed = 0usize;
    let mut good: Vec<(usize, String)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let origin = format!("{roster_origin} row {}", row.number);
        let checked = roster::merge(&base, row, schema, &roster_origin).and_then(|merged| {
            engine.load(&merged, &origin).map_err(|e| {
                let diags = match e {
                    Error::Invalid(d) => d,
                    other => vec![Diagnostic::error(&roster_origin, other.to_string())],
                };
                located(diags, row, &roster_origin)
            })
        });
        match checked {
            Ok(d) => {
                let lookup = |key: &str| -> Option<String> {
                    match key {
                        "row" => Some(row.number.to_string()),
                        "template" => Some(d.template.clone()),
                        _ => d.values.at_path(key).map(crate::data::Value::plain),
                    }
                };
                match roster::file_name(&opts.name, &lookup) {
                    Ok(name) => good.push((i, name)),
                    Err(why) => {
                        failed += 1;
                        let d =
                            Diagnostic::error(&roster_origin, format!("row {}: {why}", row.number))
                                .at_line(row.number, 1);
                        note(format_args!("{}", d.render(colour)));
                    }
                }
            }
            Err(problems) => {
                failed += 1;
                for d in problems {
                    note(format_args!("{}", d.render(colour)));
                }
            }
        }
    }
    // Two rows with one name would write one file twice: refuse before anything is written.
    let mut names: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (i, name) in &good {
        if let Some(first) = names.insert(name.as_str(), *i) {
            return Err(Error::Usage(format!(
                "rows {} and {} of {roster_origin} both make `{name}`: give --name a pattern \
                 that tells them apart (e.g. `{{template}}-{{row}}`)",
                rows[first].number, rows[*i].number
            ))
            .into());
        }
    }
    if failed > 0 && opts.strict {
        note(format_args!(
            "{failed} of {} rows failed; --strict: nothing was written",
            rows.len()
        ));
        return Ok(ExitCode::from(2));
    }
    let target = |name: &str, f: Format| opts.output.join(format!("{name}.{}", f.extension()));
    let mut work: Vec<(usize, String)> = Vec::new();
    let mut skipped = 0usize;
    for (i, name) in good {
        let existing: Vec<PathBuf> = opts
            .formats
            .iter()
            .map(|f| target(&name, *f))
            .filter(|t| t.symlink_metadata().is_ok())
            .collect();
        if opts.skip_existing && existing.len() == opts.formats.len() {
            skipped += 1;
            continue;
        }
        if !opts.force
            && !opts.skip_existing
            && let Some(e) = existing.first()
        {
            return Err(Error::OutputExists { path: e.clone() }.into());
        }
        work.push((i, name));
    }
    if !work.is_empty() {
        std::fs::create_dir_all(&opts.output).map_err(|e| {
            Error::Usage(format!(
                "cannot make the folder {}: {e}",
                opts.output.display()
            ))
        })?;
    }

    // Render the good rows: workers take the next row, merge it again and render it; writers
    // take each document's bytes and put them in place. One worker per core by default, and
    // four writers for each: a document waits on the disk (fsync) before its rename, and with
    // the rendering as fast as it is that wait was most of a roster's time (1,000 PDFs: 9.4 s
    // with 4 workers writing their own, at 0.8 cores used).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = opts
        .jobs
        .unwrap_or(cores)
        .clamp(1, 64)
        .min(work.len().max(1));
    let writers = jobs.saturating_mul(4).min(work.len().max(1));
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    // A progress line on a terminal only.
    let progress = colour && work.len() > 1;
    let step = (work.len() / 100).max(1);
    let written = AtomicUsize::new(0);
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let failure = |row: &Row, e: anyhow::Error| {
        let mut msg = format!("{roster_origin}:{}: row {}: {e}", row.number, row.number);
        for cause in e.chain().skip(1) {
            msg.push_str(&format!(": {cause}"));
        }
        if let Ok(mut all) = errors.lock() {
            all.push(msg);
        }
    };
    // A few documents wait for a writer at most, so memory stays flat.
    let (to_writers, documents) =
        std::sync::mpsc::sync_channel::<(usize, Vec<Vec<u8>>)>(writers.saturating_mul(2));
    let documents = Mutex::new(documents);
    std::thread::scope(|scope| {
        for _ in 0..writers {
            scope.spawn(|| {
                loop {
                    let next_document = match documents.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((w, files)) = next_document else {
                        break;
                    };
                    let Some((i, name)) = work.get(w) else {
                        continue;
                    };
                    let row = &rows[*i];
                    let result = (|| -> anyhow::Result<()> {
                        let force = opts.force || opts.skip_existing;
                        let mut staged = Vec::new();
                        for (f, bytes) in opts.formats.iter().zip(&files) {
                            staged.push(files::stage(&target(name, *f), bytes, force)?);
                        }
                        for s in staged {
                            files::commit(s, force)?;
                            written.fetch_add(1, Ordering::Relaxed);
                        }
                        let done = finished.fetch_add(1, Ordering::Relaxed) + 1;
                        if progress && (done % step == 0 || done == work.len()) {
                            let mut err = std::io::stderr().lock();
                            let _ = write!(err, "\rrendering {done}/{}", work.len());
                            let _ = err.flush();
                        }
                        Ok(())
                    })();
                    if let Err(e) = result {
                        failure(row, e);
                    }
                }
            });
        }
        for _ in 0..jobs {
            let to_writers = to_writers.clone();
            scope.spawn(|| {
                let to_writers = to_writers;
                loop {
                    let w = next.fetch_add(1, Ordering::Relaxed);
                    let Some((i, _)) = work.get(w) else {
                        break;
                    };
                    let row = &rows[*i];
                    let result = (|| -> anyhow::Result<Vec<Vec<u8>>> {
                        let merged = roster::merge(&base, row, schema, &roster_origin)
                            .map_err(Error::Invalid)?;
                        let origin = format!("{roster_origin} row {}", row.number);
                        let rendered = engine.run(&merged, &origin)?;
                        let mut files = Vec::new();
                        for f in &opts.formats {
                            files.push(document_bytes(engine, &rendered, *f)?.0);
                        }
                        Ok(files)
                    })();
                    match result {
                        Ok(files) => {
                            if to_writers.send((w, files)).is_err() {
                                failure(row, anyhow::anyhow!("no writer took the document"));
                            }
                        }
                        Err(e) => failure(row, e),
                    }
                }
            });
        }
        drop(to_writers);
    });
    if progress {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
    }
    let errors = errors.into_inner().unwrap_or_default();
    for e in &errors {
        note(format_args!("error: {e}"));
    }
    let failed = failed + errors.len();
    let documents = work.len() - errors.len();
    let shard_note = if n > 1 {
        format!(" (shard {k}/{n})")
    } else {
        String::new()
    };
    let skipped_note = if skipped > 0 {
        format!(", {skipped} existing skipped")
    } else {
        String::new()
    };
    note(format_args!(
        "rendered {documents} documents ({} files) from {} rows of {roster_origin}{shard_note} into {} in {:.2} s with {jobs} jobs{skipped_note}; {failed} rows failed",
        written.load(Ordering::Relaxed),
        rows.len(),
        opts.output.display(),
        started.elapsed().as_secs_f64(),
    ));
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
