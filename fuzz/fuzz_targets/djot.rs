//! Djot source (what a template produces, or a PDF's embedded source) → Document → the text and
//! HTML renderers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let doc = engross::document::djot::parse(text);
    let _ = engross::render::text::render(&doc);
    let _ = engross::render::html::render(&doc, "fuzz", "");
});
