//! A PDF as an input to `diff` and `redline`: lopdf's parser, the embedded engross source and
//! data (attachments, inflated under a cap), or the text of another PDF.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn engine() -> &'static engross::Engine {
    static ENGINE: OnceLock<engross::Engine> = OnceLock::new();
    ENGINE.get_or_init(|| engross::Engine::builtin().expect("built-in templates load"))
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(input) = engine().input("fuzz.pdf", bytes) {
        let _ = engross::render::text::render(&input.document);
    }
});
