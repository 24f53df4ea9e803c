//! One integration-test binary, a module per feature (see ../docs and ARCHITECTURE.md).

mod check;
mod cli;
mod diagnostics;
mod diff;
mod docx;
mod drafting;
mod extract;
mod fidelity;
mod generative;
mod guide;
mod hostile;
mod layering;
mod pairs;
mod parameters;
mod pdf;
mod proof;
mod robustness;
mod roster;

use std::path::{Path, PathBuf};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The five originals: (name in the project, template kind).
pub const ORIGINALS: [&str; 5] = [
    "assignment-2006",
    "severance-2007",
    "subscription-2005",
    "option-2005",
    "default-notice-2008",
];

/// The engine over the built-in templates.
pub fn engine() -> engross::Engine {
    engross::Engine::builtin().expect("built-in templates load")
}

/// Render a data file's text to the plain-text document.
pub fn render_text(text: &str, origin: &str) -> engross::Result<String> {
    let rendered = engine().run(text, origin)?;
    Ok(engross::render::text::render(&rendered.document))
}

/// Read a file of the project.
pub fn read(path: impl AsRef<Path>) -> String {
    let p = root().join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The fidelity words of a text (design.md): page artifacts dropped, runs of 3+ `_` or `-` as
/// one token.
pub fn words(text: &str) -> Vec<String> {
    let text = text.replace("<PAGE>", "\n");
    text.lines()
        .filter(|l| {
            let t = l.trim();
            t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit())
        })
        .flat_map(str::split_whitespace)
        .map(|w| squeeze(&squeeze(w, '_'), '-'))
        .collect()
}

fn squeeze(w: &str, c: char) -> String {
    let mut out = String::new();
    let mut run = 0;
    for ch in w.chars().chain(std::iter::once('\0')) {
        if ch == c {
            run += 1;
            continue;
        }
        if run >= 3 {
            out.extend([c, c, c]);
        } else {
            out.extend(std::iter::repeat_n(c, run));
        }
        run = 0;
        if ch != '\0' {
            out.push(ch);
        }
    }
    out
}

/// A small deterministic generator (xorshift), so randomised tests try the same cases every run.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
