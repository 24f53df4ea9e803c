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
    /// A Word file: styles, content controls for the blanks, tracked-change ready.
    Docx,
    /// The Djot source the template produced (for debugging templates).
    Djot,
}

/// A format name as typed: any case, spaces around it (`-f "PDF, txt"`).
fn parse_format(text: &str) -> Result<Format, String> {
    let t = text.trim();
    <Format as ValueEnum>::from_str(t, true)
        .map_err(|_| format!("unknown format `{t}` (the formats are txt, pdf, html, docx, djot)"))
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Docx => "docx",
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
    /// Start a template kind of your own in a template folder: a copy of a kind (`--from
    /// option`, renamed) or a small starter agreement, each with its schema and the shared
    /// components. Then `engross --templates DIR describe KIND`. Never overwrites without
    /// `--force`.
    Init {
        /// The new kind's name (lower-case letters, digits and hyphens).
        kind: String,
        /// Copy this kind instead of the starter.
        #[arg(long, value_name = "KIND")]
        from: Option<String>,
        /// The template folder to write into.
        #[arg(long, value_name = "DIR", default_value = "templates")]
        dir: PathBuf,
        /// Overwrite the kind's files if they exist.
        #[arg(long)]
        force: bool,
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
        /// `text` for people, `json` (one object per line: file, severity, message, line,
        /// column, key) for editors and CI.
        #[arg(long, value_enum, default_value = "text", ignore_case = true)]
        format: CheckFormat,
    },
    /// Proof documents: defined terms, names, references, numbering, amounts in words and
    /// figures, the document's own name. Exits 0 when clean, 1 with findings, 2 on error.
    Proof {
        /// Data files, text files, PDFs or Word files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `text` (one line per finding) or `json`.
        #[arg(long, value_enum, default_value = "text", ignore_case = true)]
        format: CheckFormat,
    },
    /// Recover the data of an executed agreement from its text, PDF or Word file: each field
    /// the KIND's form prints, typed by the schema, with the line it was read from, and a list
    /// (on standard error and as comments at the end) of what could not be recovered and why.
    /// Exits 0 when every field the form prints was recovered without disagreement, 1 when
    /// some were not (the data file is still written), 2 on error.
    Extract {
        /// The template kind (`engross list`).
        kind: String,
        /// A text file, PDF or .docx.
        file: PathBuf,
        /// Where to write the data file (default: standard output); never overwrites an
        /// existing file without `--force`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script (`engross completions bash > /etc/bash_completion.d/engross`).
    Completions {
        /// The shell.
        #[arg(value_enum, ignore_case = true)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (`engross man > engross.1`).
    Man,
    /// Render data files to documents (in output/ unless -o says otherwise).
    Render {
        /// Data files.
        #[arg(required = true)]
        data: Vec<PathBuf>,
        /// Output formats, comma-separated (`-f txt,pdf`).
        #[arg(short, long, value_delimiter = ',', default_value = "txt", value_parser = parse_format)]
        format: Vec<Format>,
        /// Output file (one input), folder (several), or `-` for standard output.
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Overwrite existing output files.
        #[arg(long)]
        force: bool,
        /// One document per row of this roster (CSV with a header of field paths, a TOML
        /// array of tables, or JSON Lines), each row merged over the one data file given.
        #[arg(long, value_name = "ROSTER")]
        each: Option<PathBuf>,
        /// With --each: the file name of each document, a pattern over its fields
        /// (`{subscriber.name}`, `{row}`, `{template}`).
        #[arg(long, value_name = "PATTERN", default_value = "{template}-{row}")]
        name: String,
        /// With --each: render nothing if any row fails (by default the good rows are rendered).
        #[arg(long)]
        strict: bool,
        /// With --each: render this many documents at once (default: the cores); four writers
        /// for each put the documents in place, as each waits on the disk.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// With --each: render only the K-th of N slices of the rows (1-based: `--shard 2/4`),
        /// for array jobs on a cluster.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// With --each: leave documents that exist already (to resume a run).
        #[arg(long)]
        skip_existing: bool,
        /// Set a field (`--set subscriber.shares=1200`), over the data file's value; repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
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
        /// The author of a Word redline's tracked changes.
        #[arg(long, default_value = "engross")]
        author: String,
        /// Proof the new version too (as `engross proof`): its findings go on the summary,
        /// each with its page (PDF) or link (HTML), and marked "new" when the old version
        /// has no such finding.
        #[arg(long)]
        proof: bool,
    },
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Diagnostics with snippets on stderr, one summary line per file on stdout.
    Text,
    /// One JSON object per diagnostic on stdout.
    Json,
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
    /// A Word file with tracked changes (accept all: the new version; reject all: the old),
    /// the summary as a comment.
    Docx,
    /// The changed paragraphs with `[-deleted-]{+inserted+}` marks.
    Txt,
    /// The JSON report.
    Json,
}

/// Options shared by `diff` and `redline`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The old version: a data file (.toml), a text file, a PDF or a Word file (.docx).
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
    if matches!(
        cli.command,
        Command::Render { each: Some(_), .. } | Command::Extract { .. }
    ) {
        huge_pages(true);
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let result = run(cli, color).and_then(|code| {
        // What is still buffered must reach the file too: a full disk shows here.
        std::io::stdout()
            .lock()
            .flush()
            .map_err(|e| anyhow::Error::from(Error::Stdout(e)))?;
        Ok(code)
    });
    leave(match result {
        Ok(code) => code,
        // A reader that went away (`engross describe x | head`) is not an error.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e, color);
            ExitCode::from(2)
        }
    })
}

/// End the process with `code` at once. A return from `main` runs the allocator's clean-up,
/// which hands the pages it holds back to the kernel one range at a time (50 `madvise` calls
/// after a comparison has printed, a tenth of its CPU time; 150 after a PDF) just before the
/// kernel takes the whole address space anyway. By now every file the command wrote is
/// complete and renamed into place or removed, and standard output is flushed here; a code
/// other than 0, 1 or 2 returns as before.
fn leave(code: ExitCode) -> ExitCode {
    #[cfg(unix)]
    {
        let raw = [
            (ExitCode::SUCCESS, 0),
            (ExitCode::from(1), 1),
            (ExitCode::from(2), 2),
        ]
        .into_iter()
        .find_map(|(c, raw)| (c == code).then_some(raw));
        if let Some(raw) = raw {
            let _ = std::io::stdout().lock().flush();
            let _ = std::io::stderr().lock().flush();
            // SAFETY: `_exit` takes a plain integer and ends the process without returning;
            // it reads and writes none of our memory.
            unsafe { libc::_exit(raw) }
        }
    }
    code
}

/// Whether this process may have transparent huge pages. The allocator asks for them (it
/// advises huge pages on its arena), and where the kernel has free 2 MB blocks a command's
/// first touch of its memory costs far less: the subscription agreement to PDF made 333 page
/// faults with them against 3,000 without, and took 13% less time (interleaved, same run; a
/// comparison 3-15% less). Where free blocks are scarce, the kernel compacts memory inside the
/// page fault to make one (the kernel's `defrag` setting for advised regions), a stall of
/// milliseconds that no short command should wait for: [`pages_at_start`] allows huge pages
/// only when enough 2 MB blocks are free. Rosters and extraction run long enough for huge
/// pages to pay even so (a 1,000-row roster was 10% slower without them): [`main`] allows them.
pub fn huge_pages(allowed: bool) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only this process's
        // page policy; it reads and writes no memory of ours. A failure (an old kernel) only
        // leaves the policy as it was.
        let _ = unsafe {
            libc::prctl(
                libc::PR_SET_THP_DISABLE,
                libc::c_ulong::from(!allowed),
                0,
                0,
                0,
            )
        };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = allowed;
}

/// Free 2 MB blocks the kernel needs on hand before a short command takes huge pages: a
/// PDF of the subscription agreement touches about 17, a comparison fewer; the rest is room
/// for what else runs.
const FREE_HUGE_BLOCKS: u64 = 64;

/// The page policy, for a binary to run before `main` (from `.init_array`): the allocator
/// reserves its arena, and Rust's runtime fills its first pages, before `main` can say
/// anything. Huge pages when [`FREE_HUGE_BLOCKS`] 2 MB blocks are free (`/proc/buddyinfo`),
/// small pages otherwise or when that cannot be read.
pub extern "C" fn pages_at_start() {
    let free = std::fs::read_to_string("/proc/buddyinfo")
        .map(|text| free_huge_blocks(&text))
        .unwrap_or(0);
    huge_pages(free >= FREE_HUGE_BLOCKS);
}

/// How many free 2 MB blocks `/proc/buddyinfo` lists: each line counts a zone's free blocks
/// by order (block of 2^order pages of 4 KB), order 9 being 2 MB; a larger block holds
/// several. Lines it cannot read count nothing.
fn free_huge_blocks(buddyinfo: &str) -> u64 {
    buddyinfo
        .lines()
        .filter_map(|line| line.split_once("zone"))
        .map(|(_, counts)| {
            counts
                .split_whitespace()
                .skip(1)
                .map_while(|n| n.parse::<u64>().ok())
                .enumerate()
                .skip(9)
                .map(|(order, n)| n.saturating_mul(1 << (order - 9).min(20)))
                .fold(0u64, u64::saturating_add)
        })
        .fold(0, u64::saturating_add)
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
    if let Some(Error::OutputExists { .. }) = e.downcast_ref::<Error>() {
        msg.push_str(" (use --force to overwrite)");
    }
    for cause in e.chain().skip(1) {
        msg.push_str(&format!(": {cause}"));
    }
    let _ = writeln!(stderr, "{msg}");
}

fn engine(cli: &Cli) -> anyhow::Result<Engine> {
    let mut templates = match (&cli.templates, &cli.command) {
        (Some(dir), _) => Templates::from_dir(dir)?,
        // Rendering needs only the kinds its data files name (any file that cannot be read
        // here loads them all, and is reported as before).
        (None, Command::Render { data, .. }) => {
            let kinds: Option<std::collections::BTreeSet<String>> = data
                .iter()
                .map(|path| {
                    let text = read(path).ok()?;
                    crate::data::Data::template_ref(&text, "")
                        .ok()
                        .map(|t| t.name)
                })
                .collect();
            match kinds {
                Some(kinds) => Templates::builtin_kinds(&kinds)?,
                None => Templates::builtin()?,
            }
        }
        (None, _) => Templates::builtin()?,
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
    let text_only =
        |a: &CompareArgs| a.old_templates.is_none() && plain_text(&a.old) && plain_text(&a.new);
    // A PDF needs the faces, the hyphenation patterns and the form font, which no document
    // changes: a spare thread makes them while this one reads the templates and the data
    // (about 2 ms of the subscription agreement's 30). Left to finish, or to end with the process.
    if let Command::Render { format, .. } = &cli.command
        && format.contains(&Format::Pdf)
    {
        let _ = crate::threads::spawn(
            std::thread::Builder::new().name("prepare-pdf".into()),
            crate::threads::Place::Away,
            crate::prepare_pdf,
        );
    }
    // The process ends when the command does ([`leave`]): the templates are left to its end,
    // not freed parsed node by parsed node.
    let engine = std::mem::ManuallyDrop::new(match &cli.command {
        Command::Diff { args, .. } | Command::Redline { args, .. } if text_only(args) => {
            Engine::new(Templates::from_files(std::iter::empty(), "")?)
        }
        // One document and the process ends: its large values are left to the end
        // ([`Engine::one_shot`]). Many documents free each one's as they go.
        Command::Render {
            data, each: None, ..
        } if data.len() == 1 => engine(&cli)?.one_shot(),
        _ => engine(&cli)?,
    });
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
        Command::Init {
            kind,
            from,
            dir,
            force,
        } => init(&engine, &kind, from.as_deref(), &dir, force),
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
        Command::Check { data, format } => check(&engine, &data, color, format),
        Command::Proof { files, format } => proof(&engine, &files, format),
        Command::Extract {
            kind,
            file,
            output,
            force,
        } => extract(&engine, &kind, &file, output.as_deref(), force),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "engross",
                &mut out,
            );
            write_stdout(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
            write_stdout(&out)?;
            Ok(ExitCode::SUCCESS)
        }
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
            author,
            proof,
        } => {
            let proof = if proof {
                crate::comparison::Proof::New
            } else {
                crate::comparison::Proof::None
            };
            redline(&engine, &args, format, &output, force, &author, proof)
        }
        Command::Render {
            data,
            format,
            output,
            force,
            each: Some(roster),
            name,
            strict,
            jobs,
            shard,
            skip_existing,
            set,
        } => each::render_each(
            &engine,
            &data,
            &roster,
            &each::Options {
                formats: unique(&format),
                output: output.unwrap_or_else(|| PathBuf::from("output")),
                force,
                name,
                strict,
                jobs,
                shard,
                skip_existing,
                set,
            },
        ),
        Command::Render {
            data,
            format,
            output,
            force,
            set,
            ..
        } => render(&engine, &data, &format, output.as_deref(), force, &set),
    }
}

fn proof(engine: &Engine, files: &[PathBuf], format: CheckFormat) -> anyhow::Result<ExitCode> {
    let mut found = false;
    let mut out = stdout();
    for path in files {
        let bytes =
            crate::input::read_bytes(path, crate::input::MAX_COMPARE_BYTES, "a document to proof")?;
        let name = path.display().to_string();
        let input = engine.input(&name, &bytes)?;
        for w in &input.warnings {
            note(format_args!("warning: {w}"));
        }
        let findings = crate::proof::proof(&input.document);
        found |= !findings.is_empty();
        for f in &findings {
            match format {
                CheckFormat::Json => {
                    let mut v = serde_json::to_value(f)?;
                    v["file"] = serde_json::Value::String(name.clone());
                    writeln!(out, "{v}")?;
                }
                CheckFormat::Text => {
                    let at = f
                        .section
                        .as_ref()
                        .map_or_else(String::new, |s| format!("\u{a7}{s}, "));
                    writeln!(
                        out,
                        "{name}: {at}paragraph {}: {}: {}",
                        f.paragraph, f.check, f.message
                    )?;
                }
            }
        }
        if format == CheckFormat::Text {
            let n = findings.len();
            note(format_args!(
                "{name}: {n} finding{}",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    Ok(if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn extract(
    engine: &Engine,
    kind: &str,
    file: &Path,
    output: Option<&Path>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    kind_named(engine, kind)?;
    let bytes = crate::input::read_bytes(file, crate::input::MAX_COMPARE_BYTES, "a document")?;
    let name = file.display().to_string();
    let text = crate::extract::document_text(engine, &name, &bytes)?;
    let extraction = crate::extract::extract(engine, kind, &text, &name)?;
    let toml = extraction.toml(&name);
    match output {
        Some(path) if path != Path::new("-") => {
            write_atomic(path, toml.as_bytes(), force)?;
            note(format_args!("wrote {}", path.display()));
        }
        _ => write_stdout(toml.as_bytes())?,
    }
    for r in &extraction.recovered {
        for c in &r.conflicts {
            if matches!(&r.value, crate::data::Value::Text(t) if t.is_empty()) {
                // Settled to the empty text, which no occurrence read: the render without
                // the field's words was nearest the text.
                note(format_args!(
                    "{name}: {}: taken as empty at line {} (nearest the text), though read as {c}",
                    r.path, r.line
                ));
            } else {
                note(format_args!(
                    "{name}: {}: read as {} at line {}, but also as {c}",
                    r.path,
                    r.value.display(),
                    r.line
                ));
            }
        }
    }
    for (path, why) in &extraction.missing {
        note(format_args!("{name}: {path}: not recovered: {why}"));
    }
    note(format_args!(
        "{name}: {} fields recovered, {} left out, {} not recovered",
        extraction.recovered.len(),
        extraction.absent.len(),
        extraction.missing.len()
    ));
    Ok(if extraction.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A diagnostic as one line of JSON.
fn diagnostic_json(d: &crate::Diagnostic) -> String {
    let severity = match d.severity {
        crate::Severity::Error => "error",
        crate::Severity::Warning => "warning",
    };
    serde_json::json!({
        "file": d.origin,
        "severity": severity,
        "message": d.message,
        "line": d.line,
        "column": d.column,
        "key": d.key,
        "label": d.label,
        "help": d.help,
    })
    .to_string()
}

fn check(
    engine: &Engine,
    files: &[PathBuf],
    color: bool,
    format: CheckFormat,
) -> anyhow::Result<ExitCode> {
    if format == CheckFormat::Json {
        let mut failed = false;
        let mut out = stdout();
        for path in files {
            let origin = path.display().to_string();
            let diags = match read(path).and_then(|text| Ok(engine.run(&text, &origin)?)) {
                Ok(rendered) => rendered.data.warnings,
                Err(e) => {
                    failed = true;
                    match e.downcast::<Error>() {
                        Ok(Error::Invalid(d)) => d,
                        // A runaway template is left running on its thread: stop here.
                        Ok(Error::Limit(m)) => return Err(Error::Limit(m).into()),
                        Ok(other) => vec![crate::Diagnostic::error(&origin, other.to_string())],
                        Err(other) => vec![crate::Diagnostic::error(&origin, other.to_string())],
                    }
                }
            };
            for d in &diags {
                writeln!(out, "{}", diagnostic_json(d))?;
            }
        }
        return Ok(if failed {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
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

/// Whether a comparison input is read as plain text (not a data file, PDF or Word file).
fn plain_text(path: &Path) -> bool {
    !path.extension().is_some_and(|e| {
        ["toml", "pdf", "docx"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

fn compared(
    engine: &Engine,
    args: &CompareArgs,
    proof: crate::comparison::Proof,
) -> anyhow::Result<crate::comparison::Redline> {
    let old_engine = match &args.old_templates {
        Some(dir) => Some(Engine::new(Templates::from_dir(dir)?)),
        None => None,
    };
    let load = |engine: &Engine, path: &Path| -> anyhow::Result<crate::comparison::Input> {
        let bytes =
            crate::input::read_bytes(path, crate::input::MAX_COMPARE_BYTES, "a comparison input")?;
        Ok(engine.input(&path.display().to_string(), &bytes)?)
    };
    // A PDF, Word or data file is read on a second thread beside the other side (a PDF's
    // text took most of a comparison of two); text is read here, where a thread cost more
    // than it saved. Errors and warnings are told in order, the old side's first.
    let heavy = !(plain_text(&args.old) && plain_text(&args.new));
    let (old, new) = std::thread::scope(|scope| {
        let other = heavy
            .then(|| {
                crate::threads::spawn_scoped(std::thread::Builder::new(), scope, || {
                    load(engine, &args.new)
                })
                .ok()
            })
            .flatten();
        let old = load(old_engine.as_ref().unwrap_or(engine), &args.old);
        let new = other.map_or_else(
            || load(engine, &args.new),
            |h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::internal("reading the new side", "its thread failed").into())
                })
            },
        );
        (old, new)
    });
    let old = old?;
    for w in &old.warnings {
        note(format_args!("warning: {w}"));
    }
    let new = new?;
    for w in &new.warnings {
        note(format_args!("warning: {w}"));
    }
    let options = crate::diff::Options {
        ignore_case: args.ignore_case,
        ignore_punctuation: args.ignore_punctuation,
        deadline: std::time::Duration::from_millis(args.deadline),
    };
    let redline = crate::comparison::compare_and_proof(&old, &new, &options, proof)?;
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
    let redline = compared(engine, args, crate::comparison::Proof::None)?;
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
    author: &str,
    proof: crate::comparison::Proof,
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
        (None, Some("docx")) => RedlineFormat::Docx,
        (None, _) if output == Path::new("-") => RedlineFormat::Txt,
        (None, _) => {
            return Err(Error::Usage(format!(
                "cannot tell the redline's format from {}: add -f pdf|docx|html|txt|json",
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
    let redline = compared(engine, args, proof)?;
    let bytes = match format {
        RedlineFormat::Html => redline.html().into_bytes(),
        RedlineFormat::Pdf => redline.pdf()?,
        RedlineFormat::Txt => redline.txt().into_bytes(),
        RedlineFormat::Json => redline.json().into_bytes(),
        RedlineFormat::Docx => redline.docx(author),
    };
    if output == Path::new("-") {
        write_stdout(&bytes)?;
    } else {
        write_atomic(output, &bytes, force)?;
        let proof = redline
            .proof_count()
            .map_or_else(String::new, |c| format!("; proof: {c}"));
        note(format_args!(
            "wrote {} ({}{proof})",
            output.display(),
            redline.report.summary
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Each format once, in the order given (`-f txt,pdf,txt` is `-f txt,pdf`).
fn unique(formats: &[Format]) -> Vec<Format> {
    let mut unique: Vec<Format> = Vec::new();
    for f in formats {
        if !unique.contains(f) {
            unique.push(*f);
        }
    }
    unique
}

/// A data file's text, `-` for standard input, with `--set` overrides merged in.
fn data_text(engine: &Engine, path: &Path, set: &[String]) -> anyhow::Result<(String, String)> {
    let (text, origin) = if path == Path::new("-") {
        let mut text = String::new();
        use std::io::Read as _;
        std::io::stdin()
            .lock()
            .take(crate::data::MAX_DATA_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|e| Error::Usage(format!("cannot read standard input: {e}")))?;
        if text.len() > crate::data::MAX_DATA_BYTES {
            return Err(Error::Usage(format!(
                "standard input holds more than {} bytes of data",
                crate::data::MAX_DATA_BYTES
            ))
            .into());
        }
        (text, "<stdin>".to_string())
    } else {
        (read(path)?, path.display().to_string())
    };
    if set.is_empty() {
        return Ok((text, origin));
    }
    let text = each::with_overrides(engine, &text, &origin, set)?;
    Ok((text, origin))
}

/// One document's bytes in a format.
fn document_bytes(
    engine: &Engine,
    rendered: &crate::Rendered,
    format: Format,
) -> anyhow::Result<(Vec<u8>, Vec<crate::Diagnostic>)> {
    Ok(match format {
        Format::Txt => (
            crate::render::text::render(&rendered.document).into_bytes(),
            Vec::new(),
        ),
        Format::Pdf => engine.pdf_with_warnings(rendered)?,
        Format::Html => {
            let title = engine
                .templates()
                .kind(&rendered.data.template)
                .map(|k| k.schema.title.clone())
                .unwrap_or_default();
            (
                crate::render::html::render(&rendered.document, &title, "").into_bytes(),
                Vec::new(),
            )
        }
        Format::Docx => (engine.docx(rendered)?, Vec::new()),
        Format::Djot => (rendered.source.clone().into_bytes(), Vec::new()),
    })
}

fn render(
    engine: &Engine,
    files: &[PathBuf],
    formats: &[Format],
    output: Option<&Path>,
    force: bool,
    set: &[String],
) -> anyhow::Result<ExitCode> {
    let formats = unique(formats);
    let to_stdout = output == Some(Path::new("-"));
    if to_stdout && formats.len() > 1 {
        return Err(Error::Usage("-o - takes one format".into()).into());
    }
    // Render everything first: a failure anywhere writes nothing.
    let mut outputs = Vec::new();
    let stdin = PathBuf::from("stdin");
    for path in files {
        let (text, origin) = data_text(engine, path, set)?;
        let rendered = engine.run(&text, &origin)?;
        for w in &rendered.data.warnings {
            note(format_args!(
                "{}",
                w.render(std::io::stderr().is_terminal())
            ));
        }
        let path = if path == Path::new("-") { &stdin } else { path };
        for format in &formats {
            let (bytes, warnings) = document_bytes(engine, &rendered, *format)?;
            for w in &warnings {
                note(format_args!(
                    "{}",
                    w.render(std::io::stderr().is_terminal())
                ));
            }
            outputs.push((path, *format, bytes));
        }
        if files.len() == 1 {
            // The process ends next: freeing the document is left to its end, as the engine
            // leaves its layout ([`Engine::one_shot`]).
            std::mem::forget(rendered);
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
    if files.len() == 1 {
        std::mem::forget(outputs);
    }
    Ok(ExitCode::SUCCESS)
}

/// `engross init`: every file is checked before any is written, so a refusal leaves nothing.
fn init(
    engine: &Engine,
    kind: &str,
    from: Option<&str>,
    dir: &Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let files = engine.templates().kit(kind, from)?;
    let mut writes = Vec::new();
    for (name, text) in &files {
        let path = dir.join(name);
        let shared = name.starts_with("_shared/");
        if path.exists() && (shared || !force) {
            if shared {
                // The folder's own shared components stay as they are.
                continue;
            }
            return Err(Error::OutputExists { path }.into());
        }
        writes.push((path, text));
    }
    for (path, text) in writes {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                action: "create",
                path: parent.to_path_buf(),
                source,
            })?;
        }
        write_atomic(&path, text.as_bytes(), force)?;
        note(format_args!("wrote {}", path.display()));
    }
    note(format_args!(
        "next: engross --templates {} describe {kind}",
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Write through a temporary file in the same folder, then rename: readers never see a partial
/// file, and a failure leaves nothing behind (see [`files`]).
fn write_atomic(target: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    let staged = files::stage(target, bytes, force)?;
    files::commit(staged, force)
}

mod each;
pub mod files;
mod signals;

#[cfg(test)]
mod tests {
    use super::free_huge_blocks;

    #[test]
    fn free_huge_blocks_counts_two_megabyte_blocks_of_every_zone() {
        // A machine's /proc/buddyinfo: orders 0 to 10, order 9 a 2 MB block, order 10 two.
        let info = "Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 \n\
                    Node 0, zone    DMA32      4      1      2      2      2      2      1      4      4      2    752 \n\
                    Node 0, zone   Normal   6175   1028    209    116    101     77    147    810    496    378    982 \n";
        assert_eq!(
            free_huge_blocks(info),
            (1 + 3 * 2) + (2 + 752 * 2) + (378 + 982 * 2)
        );
        // Memory in small blocks only: none.
        let fragmented =
            "Node 0, zone   Normal   9000   800   20   3   0   0   0   0   0   0   0\n";
        assert_eq!(free_huge_blocks(fragmented), 0);
        // Nothing readable counts nothing.
        assert_eq!(free_huge_blocks(""), 0);
        assert_eq!(free_huge_blocks("Node 0, zone Normal x y z\n"), 0);
        assert_eq!(free_huge_blocks("no zones here\n"), 0);
    }
}
