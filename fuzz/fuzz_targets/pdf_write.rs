//! Djot source → Document → layout → PDF writer. Inputs are capped at 16 KB so each run stays
//! fast (layout and font subsetting dominate).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if bytes.len() > 16 << 10 {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let doc = engross::document::djot::parse(text);
    let laid = engross::layout::layout(&doc, engross::layout::PageSetup::default(), "fuzz");
    let _ = engross::pdf::write(&laid, &engross::pdf::Metadata::default(), bytes);
});
