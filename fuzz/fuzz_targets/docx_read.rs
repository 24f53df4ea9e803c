//! The .docx reader on untrusted bytes: an archive (or not), its XML, its custom XML part.
//! Reading must end in a Document or an error, never a panic, a hang or a blow-up; a Document
//! read back must render as text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(read) = engross::docx::read(bytes) {
        let _ = engross::render::text::render(&read.document);
    }
    // The same bytes as the main part of an archive: the XML reader alone.
    let archive = engross::docx::zip::write(&[("word/document.xml", bytes.to_vec())]);
    if let Ok(read) = engross::docx::read(&archive) {
        let _ = engross::render::text::render(&read.document);
    }
});
