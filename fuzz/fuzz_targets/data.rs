//! A data file's text through the whole front of the pipeline: TOML parsing, the template
//! reference, checking against the schema, the consistency rules, the template render, Djot →
//! Document and the text renderer. Any input gives an error or a document, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn engine() -> &'static engross::Engine {
    static ENGINE: OnceLock<engross::Engine> = OnceLock::new();
    ENGINE.get_or_init(|| engross::Engine::builtin().expect("built-in templates load"))
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match engine().run(text, "fuzz.toml") {
        Ok(rendered) => {
            let _ = engross::render::text::render(&rendered.document);
        }
        Err(e) => {
            // Rendering every diagnostic exercises the snippets and line/column arithmetic.
            for d in e.diagnostics() {
                let _ = d.render(false);
            }
            let _ = e.to_string();
        }
    }
});
