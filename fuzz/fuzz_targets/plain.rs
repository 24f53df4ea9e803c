//! Plain text (a text input to `diff` and `redline`) → Document → the text renderer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let doc = engross::document::plain::parse(text);
    let _ = engross::render::text::render(&doc);
});
