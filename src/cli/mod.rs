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
    /// The Djot source the template produced (for debugging templates).
    Djot,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Pdf => "pdf",
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
            Ok(_) => println!("{origin}: ok"),
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
        for format in &formats {
            let bytes = match format {
                Format::Txt => crate::render::text::render(&rendered.document).into_bytes(),
                Format::Pdf => engine.pdf(&rendered)?,
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
