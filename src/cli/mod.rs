//! The command line: argument parsing, reading inputs, writing outputs atomically, printing
//! diagnostics and choosing exit codes (0 success, 1 differences found, 2 error). The only module
//! that touches argv, the environment, the file system's output paths or the process exit.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::template::Templates;
use crate::{Engine, Error};

/// engross: from structured data to the signable copy of a legal agreement.
#[derive(Debug, Parser)]
#[command(
    name = "engross",
    version,
    about,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Load templates from this folder instead of the built-in set.
    #[arg(long, global = true, env = "ENGROSS_TEMPLATES", value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text, 80 columns.
    Txt,
    /// Print-quality PDF with form and signature fields.
    Pdf,
    /// A standalone HTML page.
    Html,
    /// The Djot source the template produced (for debugging templates).
    Djot,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Djot => "dj",
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the templates, one line each.
    List,
    /// Describe a template's fields: type, description, example, whether required.
    Describe {
        /// The template kind.
        kind: String,
    },
    /// Write a complete, commented data file for a template.
    New {
        /// The template kind.
        kind: String,
        /// Where to write it (default: standard output); never overwrites.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check data files: report every problem, write nothing.
    Check {
        /// Data files.
        #[arg(required = true)]
        data: Vec<PathBuf>,
    },
    /// Render data files to documents (in output/ unless -o says otherwise).
    Render {
        /// Data files.
        #[arg(required = true)]
        data: Vec<PathBuf>,
        /// Output formats, comma-separated (`-f txt,pdf`).
        #[arg(short, long, value_enum, value_delimiter = ',', default_value = "txt")]
        format: Vec<Format>,
        /// Output file (one input), folder (several), or `-` for standard output.
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Overwrite existing output files.
        #[arg(long)]
        force: bool,
    },
    /// Compare two versions; exit 0 if they have the same words, 1 if not, 2 on error (as
    /// diff(1)). Without colour (piped, NO_COLOR) changes are marked `[-old-]{+new+}`.
    Diff {
        /// What to compare.
        #[command(flatten)]
        args: CompareArgs,
        /// Output format (default: term on a terminal, txt otherwise).
        #[arg(short, long, value_enum)]
        format: Option<DiffFormat>,
    },
    /// Write a redline of two versions: the new one with every change marked. Exits 0 when it
    /// wrote the redline (whether or not the versions differ), 2 on error.
    Redline {
        /// What to compare.
        #[command(flatten)]
        args: CompareArgs,
        /// Output format (default: from the output file's extension).
        #[arg(short, long, value_enum)]
        format: Option<RedlineFormat>,
        /// The output file (`-` for standard output).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Colours on a terminal, paragraph by paragraph.
    Term,
    /// `[-deleted-]{+inserted+}` markup.
    Txt,
    /// A JSON report: both sides, counts, changed fields, changes.
    Json,
}

/// Output formats of `redline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedlineFormat {
    /// A PDF: summary page, then the new document with the changes marked.
    Pdf,
    /// One standalone HTML file with a clickable list of changes.
    Html,
    /// The changed paragraphs with `[-deleted-]{+inserted+}` marks.
    Txt,
    /// The JSON report.
    Json,
}

/// Options shared by `diff` and `redline`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The old version: a data file (.toml), a text file, or a PDF.
    pub old: PathBuf,
    /// The new version.
    pub new: PathBuf,
    /// Treat upper and lower case as the same.
    #[arg(long)]
    pub ignore_case: bool,
    /// Ignore punctuation.
    #[arg(long)]
    pub ignore_punctuation: bool,
    /// Give the diff at most this many milliseconds before settling for a coarser result.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub deadline: u64,
    /// Render the OLD data file with the templates in this folder (an older template version).
    #[arg(long, value_name = "DIR")]
    pub old_templates: Option<PathBuf>,
}

/// Run the command line and return the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    signals::install();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let result = run(cli, color).and_then(|code| {
        // What is still buffered must reach the file too: a full disk shows here.
        std::io::stdout()
            .lock()
            .flush()
            .map_err(|e| anyhow::Error::from(Error::Stdout(e)))?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        // A reader that went away (`engross describe x | head`) is not an error.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e, color);
            ExitCode::from(2)
        }
    }
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Standard output through a fallible path: every error names standard output and keeps its
/// kind, so a closed pipe (`BrokenPipe`) still ends the command quietly with 0 and a full disk
/// ends it with a message and 2. Use it instead of `print!` and `std::io::stdout()`:
/// `let mut out = cli::stdout(); writeln!(out, "…")?;` or `cli::write_stdout(&bytes)?`.
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// Write all of `bytes` to standard output and flush (see [`stdout`]).
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = stdout();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Locked standard output whose errors say "standard output" (see [`stdout`]).
pub struct Stdout(std::io::StdoutLock<'static>);

fn stdout_error(e: std::io::Error) -> std::io::Error {
    let kind = e.kind();
    std::io::Error::new(kind, Error::Stdout(e))
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(stdout_error)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(stdout_error)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(stdout_error)
    }
}

/// A line to standard error. Errors are ignored: there is nowhere left to report them, and the
/// exit code still tells.
fn note(line: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(line);
    let _ = err.write_all(b"\n");
}

fn report(e: &anyhow::Error, color: bool) {
    let mut stderr = std::io::stderr().lock();
    if let Some(Error::Invalid(diags)) = e.downcast_ref::<Error>() {
        for d in diags {
            let _ = writeln!(stderr, "{}", d.render(color));
        }
        return;
    }
    let mut msg = format!("error: {e}");
    for cause in e.chain().skip(1) {
        msg.push_str(&format!(": {cause}"));
    }
    let _ = writeln!(stderr, "{msg}");
}

fn engine(cli: &Cli) -> anyhow::Result<Engine> {
    let mut templates = match &cli.templates {
        Some(dir) => Templates::from_dir(dir)?,
        None => Templates::builtin()?,
    };
    templates.set_limits(render_limits()?);
    Ok(Engine::new(templates))
}

/// The limits on one template render: the defaults, with the deadline from
/// `ENGROSS_RENDER_DEADLINE_MS` when set (docs/security.md).
fn render_limits() -> anyhow::Result<crate::template::Limits> {
    let mut limits = crate::template::Limits::default();
    if let Some(ms) = std::env::var_os("ENGROSS_RENDER_DEADLINE_MS") {
        let ms: u64 = ms.to_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
            Error::Usage("ENGROSS_RENDER_DEADLINE_MS must be a number of milliseconds".into())
        })?;
        limits.deadline = std::time::Duration::from_millis(ms);
    }
    Ok(limits)
}

fn kind_named<'a>(engine: &'a Engine, kind: &str) -> anyhow::Result<&'a crate::template::Kind> {
    engine.templates().kind(kind).ok_or_else(|| {
        let names: Vec<&str> = engine
            .templates()
            .kinds()
            .map(|k| k.schema.kind.as_str())
            .collect();
        let hint = match crate::error::did_you_mean(kind, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the templates are: {}", names.join(", ")),
        };
        Error::Usage(format!("unknown template `{kind}` ({hint})")).into()
    })
}

/// Read a data file: a regular file of at most [`crate::data::MAX_DATA_BYTES`], UTF-8.
fn read(path: &Path) -> anyhow::Result<String> {
    Ok(crate::input::read_text(
        path,
        crate::data::MAX_DATA_BYTES as u64,
        "a data file",
    )?)
}

fn run(cli: Cli, color: bool) -> anyhow::Result<ExitCode> {
    // Comparing two text files needs no templates: skip loading them (most of the start-up).
    let text_only = |a: &CompareArgs| {
        let text = |p: &Path| {
            !p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("pdf"))
        };
        a.old_templates.is_none() && text(&a.old) && text(&a.new)
    };
    let engine = match &cli.command {
        Command::Diff { args, .. } | Command::Redline { args, .. } if text_only(args) => {
            Engine::new(Templates::from_files(std::iter::empty(), "")?)
        }
        _ => engine(&cli)?,
    };
    match cli.command {
        Command::List => {
            let mut out = stdout();
            for kind in engine.templates().kinds() {
                writeln!(out, "{:<16} {}", kind.schema.kind, kind.schema.summary)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Describe { kind } => {
            let schema = &kind_named(&engine, &kind)?.schema;
            write_stdout(crate::data::scaffold::describe(schema).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::New { kind, output } => {
            let text = crate::data::scaffold::new_data_file(&kind_named(&engine, &kind)?.schema);
            match output {
                Some(path) if path != Path::new("-") => {
                    write_atomic(&path, text.as_bytes(), false)?;
                    note(format_args!("wrote {}", path.display()));
                }
                _ => write_stdout(text.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { data } => check(&engine, &data, color),
        Command::Diff { args, format } => {
            let format = format.unwrap_or(if std::io::stdout().is_terminal() {
                DiffFormat::Term
            } else {
                DiffFormat::Txt
            });
            diff(&engine, &args, format)
        }
        Command::Redline {
            args,
            format,
            output,
            force,
        } => redline(&engine, &args, format, &output, force),
        Command::Render {
            data,
            format,
            output,
            force,
        } => render(&engine, &data, &format, output.as_deref(), force),
    }
}

fn check(engine: &Engine, files: &[PathBuf], color: bool) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut out = stdout();
    for path in files {
        let origin = path.display().to_string();
        let result = read(path).and_then(|text| Ok(engine.run(&text, &origin)?));
        match result {
            Ok(rendered) => {
                for w in &rendered.data.warnings {
                    note(format_args!("{}", w.render(color)));
                }
                match rendered.data.warnings.len() {
                    0 => writeln!(out, "{origin}: ok")?,
                    1 => writeln!(out, "{origin}: ok, 1 warning")?,
                    n => writeln!(out, "{origin}: ok, {n} warnings")?,
                }
            }
            Err(e) => {
                failed = true;
                match e.downcast_ref::<Error>() {
                    Some(Error::Invalid(diags)) => {
                        for d in diags {
                            note(format_args!("{}", d.render(color)));
                        }
                        let errors = crate::error::error_count(diags);
                        writeln!(
                            out,
                            "{origin}: {errors} error{}",
                            if errors == 1 { "" } else { "s" }
                        )?;
                    }
                    // A runaway template is left running on its thread: stop here.
                    Some(Error::Limit(_)) => return Err(e),
                    _ => {
                        report(&e, color);
                        writeln!(out, "{origin}: error")?;
                    }
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn compared(engine: &Engine, args: &CompareArgs) -> anyhow::Result<crate::comparison::Redline> {
    let old_engine = match &args.old_templates {
        Some(dir) => Some(Engine::new(Templates::from_dir(dir)?)),
        None => None,
    };
    let load = |engine: &Engine, path: &Path| -> anyhow::Result<crate::comparison::Input> {
        let bytes =
            crate::input::read_bytes(path, crate::input::MAX_COMPARE_BYTES, "a comparison input")?;
        let input = engine.input(&path.display().to_string(), &bytes)?;
        for w in &input.warnings {
            note(format_args!("warning: {w}"));
        }
        Ok(input)
    };
    let old = load(old_engine.as_ref().unwrap_or(engine), &args.old)?;
    let new = load(engine, &args.new)?;
    let options = crate::diff::Options {
        ignore_case: args.ignore_case,
        ignore_punctuation: args.ignore_punctuation,
        deadline: std::time::Duration::from_millis(args.deadline),
    };
    let redline = crate::comparison::compare(&old, &new, &options)?;
    // The process ends after one comparison: freeing tens of thousands of small allocations
    // one by one would only delay the exit (about a tenth of the command's time).
    std::mem::forget((old, new));
    Ok(redline)
}

/// Whether standard output takes colours: a terminal, and neither `NO_COLOR` nor
/// `CLICOLOR=0` set (`CLICOLOR_FORCE` forces them).
fn stdout_colour() -> bool {
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("CLICOLOR").is_none_or(|v| v != "0")
}

fn diff(engine: &Engine, args: &CompareArgs, format: DiffFormat) -> anyhow::Result<ExitCode> {
    let redline = compared(engine, args)?;
    let text = match format {
        DiffFormat::Json => redline.json(),
        DiffFormat::Txt => redline.txt(),
        DiffFormat::Term => redline.term(stdout_colour()),
    };
    write_stdout(text.as_bytes())?;
    let code = if redline.differs() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // Left for the exit to reclaim (see `compared`).
    std::mem::forget(redline);
    Ok(code)
}

fn redline(
    engine: &Engine,
    args: &CompareArgs,
    format: Option<RedlineFormat>,
    output: &Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let extension = output
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let format = match (format, extension.as_deref()) {
        (Some(f), _) => f,
        (None, Some("html" | "htm")) => RedlineFormat::Html,
        (None, Some("pdf")) => RedlineFormat::Pdf,
        (None, Some("txt")) => RedlineFormat::Txt,
        (None, Some("json")) => RedlineFormat::Json,
        (None, _) if output == Path::new("-") => RedlineFormat::Txt,
        (None, _) => {
            return Err(Error::Usage(format!(
                "cannot tell the redline's format from {}: add -f pdf|html|txt|json",
                output.display()
            ))
            .into());
        }
    };
    if output != Path::new("-") && !force && output.exists() {
        return Err(Error::OutputExists {
            path: output.to_path_buf(),
        }
        .into());
    }
    let redline = compared(engine, args)?;
    let bytes = match format {
        RedlineFormat::Html => redline.html().into_bytes(),
        RedlineFormat::Pdf => redline.pdf()?,
        RedlineFormat::Txt => redline.txt().into_bytes(),
        RedlineFormat::Json => redline.json().into_bytes(),
    };
    if output == Path::new("-") {
        write_stdout(&bytes)?;
    } else {
        write_atomic(output, &bytes, force)?;
        note(format_args!(
            "wrote {} ({})",
            output.display(),
            redline.report.summary
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(
    engine: &Engine,
    files: &[PathBuf],
    formats: &[Format],
    output: Option<&Path>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    // Each format once, in the order given (`-f txt,pdf,txt` is `-f txt,pdf`).
    let mut unique: Vec<Format> = Vec::new();
    for f in formats {
        if !unique.contains(f) {
            unique.push(*f);
        }
    }
    let formats = unique;
    let to_stdout = output == Some(Path::new("-"));
    if to_stdout && formats.len() > 1 {
        return Err(Error::Usage("-o - takes one format".into()).into());
    }
    // Render everything first: a failure anywhere writes nothing.
    let mut outputs = Vec::new();
    for path in files {
        let origin = path.display().to_string();
        let rendered = engine.run(&read(path)?, &origin)?;
        for w in &rendered.data.warnings {
            note(format_args!(
                "{}",
                w.render(std::io::stderr().is_terminal())
            ));
        }
        for format in &formats {
            let bytes = match format {
                Format::Txt => crate::render::text::render(&rendered.document).into_bytes(),
                Format::Pdf => {
                    let (bytes, warnings) = engine.pdf_with_warnings(&rendered)?;
                    for w in &warnings {
                        eprintln!("{}", w.render(std::io::stderr().is_terminal()));
                    }
                    bytes
                }
                Format::Html => {
                    let title = engine
                        .templates()
                        .kind(&rendered.data.template)
                        .map(|k| k.schema.title.clone())
                        .unwrap_or_default();
                    crate::render::html::render(&rendered.document, &title, "").into_bytes()
                }
                Format::Djot => rendered.source.clone().into_bytes(),
            };
            outputs.push((path, *format, bytes));
        }
    }
    if to_stdout {
        let mut out = stdout();
        for (_, _, bytes) in &outputs {
            out.write_all(bytes)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let targets: Vec<PathBuf> = outputs
        .iter()
        .map(|(input, format, _)| {
            let stem = input.file_stem().unwrap_or_default().to_string_lossy();
            let name = format!("{stem}.{}", format.extension());
            match output {
                Some(o) if outputs.len() == 1 && !o.is_dir() => o.to_path_buf(),
                Some(dir) => dir.join(name),
                None => Path::new("output").join(name),
            }
        })
        .collect();
    // Two inputs with one file stem would write one file twice: the second would replace the
    // first. Refuse before anything is written.
    let mut seen: std::collections::HashMap<&Path, &Path> = std::collections::HashMap::new();
    for ((input, _, _), target) in outputs.iter().zip(&targets) {
        if let Some(first) = seen.insert(target.as_path(), input.as_path()) {
            let why = if first == input.as_path() {
                format!("{} is given twice", input.display())
            } else {
                format!(
                    "{} and {} would both be written to {}; render them into different folders (-o DIR) or rename one",
                    first.display(),
                    input.display(),
                    target.display()
                )
            };
            return Err(Error::Usage(why).into());
        }
    }
    // `exists()` follows links: a dangling link is an existing output too.
    if !force && let Some(existing) = targets.iter().find(|t| t.symlink_metadata().is_ok()) {
        return Err(Error::OutputExists {
            path: existing.clone(),
        }
        .into());
    }
    // Every output is written to its temporary file before any is put in place, so a full disk
    // or a bad folder leaves nothing behind.
    let mut staged = Vec::new();
    for ((_, _, bytes), target) in outputs.iter().zip(&targets) {
        staged.push(files::stage(target, bytes, force)?);
    }
    for (file, target) in staged.into_iter().zip(&targets) {
        files::commit(file, force)?;
        note(format_args!("wrote {}", target.display()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Write through a temporary file in the same folder, then rename: readers never see a partial
/// file, and a failure leaves nothing behind (see [`files`]).
fn write_atomic(target: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    let staged = files::stage(target, bytes, force)?;
    files::commit(staged, force)
}

pub mod files;
mod signals;
