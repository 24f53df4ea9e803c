//! The template engine: loads every template kind once (its `template.dj.tera`, partials and
//! `schema.toml`), registers the legal filters, and renders validated [`Data`] to Djot source.
//!
//! Every value printed from data goes through [`legal::escape_djot`], set as Tera's escape
//! function for `.tera` templates, so data can never change the document's structure. Templates
//! are embedded in the binary at build time; a folder can be loaded instead
//! ([`Templates::from_dir`]) to work on templates without rebuilding.

pub mod legal;

use std::collections::BTreeMap;
use std::path::Path;

use crate::data::{Data, Schema};
use crate::error::{Diagnostic, Error, Result, did_you_mean};

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
}

/// All loaded template kinds, ready to render.
pub struct Templates {
    tera: tera::Tera,
    kinds: BTreeMap<String, Kind>,
    sources: BTreeMap<String, String>,
    prefix: String,
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

    /// Load every kind from a folder laid out as the project's `templates/`.
    pub fn from_dir(dir: &Path) -> Result<Templates> {
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        files.sort();
        let prefix = format!("{}/", dir.display());
        Templates::from_files(files, &prefix)
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
        let mut sources = BTreeMap::new();
        let mut schemas = Vec::new();
        for (name, text) in files {
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
                        kinds.insert(schema.kind.clone(), Kind { schema, root });
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
                tera,
                kinds,
                sources,
                prefix: prefix.to_string(),
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
    pub fn render(&self, data: &Data) -> Result<String> {
        let kind = self
            .kinds
            .get(&data.template)
            .ok_or_else(|| Error::Usage(format!("unknown template `{}`", data.template)))?;
        let context = tera::Context::from_serialize(&data.values)
            .map_err(|e| Error::Usage(format!("cannot pass data to the template: {e}")))?;
        self.tera
            .render(&kind.root, &context)
            .map_err(|e| tera_diagnostic(&e, &self.sources, &self.prefix).into())
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        action: "read",
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Io {
                action: "read",
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".tera") || n == "schema.toml")
        {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                action: "read",
                path: path.clone(),
                source,
            })?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, text));
        }
    }
    Ok(())
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
                d = d.at_line(r.span().start_line, r.span().start_col + 1);
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
    let start = s.find('`')? + 1;
    let end = s[start..].find('`')? + start;
    Some(s[start..end].to_string())
}
