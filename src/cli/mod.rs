//! The command line: argument parsing, reading inputs, writing outputs atomically, printing
//! diagnostics and choosing exit codes (0 success, 1 differences found, 2 error). The only module
//! that touches argv, the environment, the file system's output paths or the process exit.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::template::Templates;
use crate::{Engine, Error, Severity};

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
    /// Compare two versions; exit 0 if they have the same words, 1 if not, 2 on error.
    Diff {
        /// What to compare.
        #[command(flatten)]
        args: CompareArgs,
        /// Output format (default: term on a terminal, txt otherwise).
        #[arg(short, long, value_enum)]
        format: Option<DiffFormat>,
    },
    /// Write a redline of two versions: the new one with every change marked.
    Redline {
        /// What to compare.
        #[command(flatten)]
        args: CompareArgs,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = RedlineFormat::Pdf)]
        format: RedlineFormat,
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
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match run(cli, color) {
        Ok(code) => code,
        Err(e) => {
            report(&e, color);
            ExitCode::from(2)
        }
    }
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
    let templates = match &cli.templates {
        Some(dir) => Templates::from_dir(dir)?,
        None => Templates::builtin()?,
    };
    Ok(Engine::new(templates))
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

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|source| {
        Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

fn run(cli: Cli, color: bool) -> anyhow::Result<ExitCode> {
    let engine = engine(&cli)?;
    match cli.command {
        Command::List => {
            let mut out = std::io::stdout().lock();
            for kind in engine.templates().kinds() {
                writeln!(out, "{:<16} {}", kind.schema.kind, kind.schema.summary)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Describe { kind } => {
            let schema = &kind_named(&engine, &kind)?.schema;
            print!("{}", crate::data::scaffold::describe(schema));
            Ok(ExitCode::SUCCESS)
        }
        Command::New { kind, output } => {
            let text = crate::data::scaffold::new_data_file(&kind_named(&engine, &kind)?.schema);
            match output {
                Some(path) if path != Path::new("-") => {
                    write_atomic(&path, text.as_bytes(), false)?;
                    eprintln!("wrote {}", path.display());
                }
                _ => print!("{text}"),
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
            diff(&engine, &args, format, color)
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
    let mut stderr = std::io::stderr().lock();
    for path in files {
        let origin = path.display().to_string();
        let result = read(path).and_then(|text| Ok(engine.run(&text, &origin)?));
        match result {
            Ok(rendered) => {
                for w in &rendered.data.warnings {
                    writeln!(stderr, "{}", w.render(color))?;
                }
                match rendered.data.warnings.len() {
                    0 => println!("{origin}: ok"),
                    1 => println!("{origin}: ok, 1 warning"),
                    n => println!("{origin}: ok, {n} warnings"),
                }
            }
            Err(e) => {
                failed = true;
                match e.downcast_ref::<Error>() {
                    Some(Error::Invalid(diags)) => {
                        for d in diags {
                            writeln!(stderr, "{}", d.render(color))?;
                        }
                        let errors = diags
                            .iter()
                            .filter(|d| d.severity == Severity::Error)
                            .count();
                        println!(
                            "{origin}: {errors} error{}",
                            if errors == 1 { "" } else { "s" }
                        );
                    }
                    _ => {
                        report(&e, color);
                        println!("{origin}: error");
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

fn compared(
    engine: &Engine,
    args: &CompareArgs,
) -> anyhow::Result<(
    crate::comparison::Input,
    crate::comparison::Report,
    crate::diff::Comparison,
)> {
    let old_engine = match &args.old_templates {
        Some(dir) => Some(Engine::new(Templates::from_dir(dir)?)),
        None => None,
    };
    let load = |engine: &Engine, path: &Path| -> anyhow::Result<crate::comparison::Input> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Ok(engine.input(&path.display().to_string(), &bytes)?)
    };
    let old = load(old_engine.as_ref().unwrap_or(engine), &args.old)?;
    let new = load(engine, &args.new)?;
    let options = crate::diff::Options {
        ignore_case: args.ignore_case,
        ignore_punctuation: args.ignore_punctuation,
        deadline: std::time::Duration::from_millis(args.deadline),
    };
    let (report, cmp) = crate::comparison::compare(&old, &new, &options);
    Ok((new, report, cmp))
}

fn diff(
    engine: &Engine,
    args: &CompareArgs,
    format: DiffFormat,
    color: bool,
) -> anyhow::Result<ExitCode> {
    let (_, report, cmp) = compared(engine, args)?;
    let mut out = std::io::stdout().lock();
    match format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        DiffFormat::Txt | DiffFormat::Term => {
            let term = format == DiffFormat::Term;
            let paint = |code: &str, text: &str| {
                if term && (color || std::env::var_os("CLICOLOR_FORCE").is_some()) {
                    format!("\x1b[{code}m{text}\x1b[0m")
                } else {
                    text.to_string()
                }
            };
            for f in &report.fields {
                writeln!(
                    out,
                    "{} {}: {} -> {}",
                    paint("36", "field"),
                    f.field,
                    f.old.as_deref().unwrap_or("(not set)"),
                    f.new.as_deref().unwrap_or("(not set)")
                )?;
            }
            if !report.fields.is_empty() {
                writeln!(out)?;
            }
            let text = crate::diff::markup(&cmp);
            let text = if term { colourize(&text, &paint) } else { text };
            out.write_all(text.as_bytes())?;
            let deadline = if report.timed_out {
                "; the diff hit its deadline"
            } else {
                ""
            };
            writeln!(
                out,
                "{}",
                paint("1", &format!("{}{deadline}", report.summary))
            )?;
        }
    }
    Ok(if report.differs() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Turn the `[-…-]`/`{+…+}` marks of the text markup into colours.
fn colourize(text: &str, paint: &dyn Fn(&str, &str) -> String) -> String {
    let mut out = String::new();
    let mut rest = text;
    let marks = [
        ("[-", "-]", "31;9"),
        ("{+", "+}", "32;4"),
        ("[>", "<]", "33;9"),
        ("{>", "<}", "33;4"),
    ];
    while !rest.is_empty() {
        let next = marks
            .iter()
            .filter_map(|(open, close, code)| rest.find(open).map(|i| (i, *open, *close, *code)))
            .min_by_key(|m| m.0);
        let Some((i, open, close, code)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        let after = &rest[i + open.len()..];
        match after.find(close) {
            Some(j) => {
                out.push_str(&paint(code, &after[..j]));
                rest = &after[j + close.len()..];
            }
            None => {
                out.push_str(&rest[i..]);
                break;
            }
        }
    }
    out
}

fn redline(
    engine: &Engine,
    args: &CompareArgs,
    format: RedlineFormat,
    output: &Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let (new, report, cmp) = compared(engine, args)?;
    let title = format!("Redline: {} \u{2192} {}", report.old.name, report.new.name);
    let bytes = match format {
        RedlineFormat::Html => {
            // The list of changes stands in for the PDF's summary page.
            let marked = crate::diff::redline(&new.document, &cmp);
            crate::render::html::render(&marked, &title, &html_changes(&report)).into_bytes()
        }
        RedlineFormat::Pdf => {
            let doc = crate::comparison::redline(&new, &report, &cmp);
            let meta = crate::pdf::Metadata {
                title: title.clone(),
                subject: "Comparison of two versions".into(),
                ..crate::pdf::Metadata::default()
            };
            let laid = crate::layout::layout(
                &doc,
                crate::layout::PageSetup::default(),
                &format!("Redline {}\u{2192}{}", report.old.id, report.new.id),
            );
            crate::pdf::write(&laid, &meta, title.as_bytes())?
        }
    };
    if output == Path::new("-") {
        std::io::stdout().lock().write_all(&bytes)?;
    } else {
        if !force && output.exists() {
            return Err(Error::OutputExists {
                path: output.to_path_buf(),
            }
            .into());
        }
        write_atomic(output, &bytes, force)?;
        eprintln!("wrote {}", output.display());
    }
    Ok(if report.differs() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The HTML redline's preface: both documents, counts, and a clickable list of changes.
fn html_changes(report: &crate::comparison::Report) -> String {
    use crate::render::html::escape;
    let mut h = String::from("<nav class=\"changes\">\n<h2>Comparison</h2>\n");
    h.push_str(&format!(
        "<p>Old: {} (ID {}, {} words)<br>New: {} (ID {}, {} words)</p>\n",
        escape(&report.old.name),
        report.old.id,
        report.old.words,
        escape(&report.new.name),
        report.new.id,
        report.new.words
    ));
    h.push_str(&format!("<p>{}.</p>\n", report.summary));
    if !report.fields.is_empty() {
        h.push_str("<table><tr><th>Field</th><th>Old</th><th>New</th></tr>\n");
        for f in &report.fields {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&f.field),
                escape(f.old.as_deref().unwrap_or("(not set)")),
                escape(f.new.as_deref().unwrap_or("(not set)"))
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("<ol>\n");
    for c in &report.changes {
        let what = match c.kind {
            crate::diff::Kind::Insert => format!("inserted <ins>{}</ins>", escape(&c.new)),
            crate::diff::Kind::Delete => format!("deleted <del>{}</del>", escape(&c.old)),
            crate::diff::Kind::Replace => format!(
                "<del>{}</del> → <ins>{}</ins>",
                escape(&c.old),
                escape(&c.new)
            ),
            crate::diff::Kind::Move => format!(
                "moved <ins class=\"moved-to\">{}</ins> from {}",
                escape(&c.new),
                escape(c.from.as_deref().unwrap_or(""))
            ),
        };
        h.push_str(&format!(
            "<li><a href=\"#p{}\">{}</a>: {what}</li>\n",
            c.paragraph,
            escape(&c.location)
        ));
    }
    h.push_str("</ol>\n</nav>\n");
    h
}

fn render(
    engine: &Engine,
    files: &[PathBuf],
    formats: &[Format],
    output: Option<&Path>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let mut formats = formats.to_vec();
    formats.dedup();
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
            eprintln!("{}", w.render(std::io::stderr().is_terminal()));
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
        let mut out = std::io::stdout().lock();
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
    if !force && let Some(existing) = targets.iter().find(|t| t.exists()) {
        return Err(Error::OutputExists {
            path: existing.clone(),
        }
        .into());
    }
    for ((_, _, bytes), target) in outputs.iter().zip(&targets) {
        write_atomic(target, bytes, force)?;
        eprintln!("wrote {}", target.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Write through a temporary file in the same folder, then rename: readers never see a partial
/// file, and a failure leaves nothing behind.
fn write_atomic(target: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".engross-")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    // Temporary files are private (0600); a rendered document is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    let persisted = if force {
        tmp.persist(target).map(|_| ())
    } else {
        tmp.persist_noclobber(target).map(|_| ())
    };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::Error::from(Error::OutputExists {
                path: target.to_path_buf(),
            })
        } else {
            anyhow::Error::from(Error::Io {
                action: "write",
                path: target.to_path_buf(),
                source: e.error,
            })
        }
    })
}
