//! The comparison itself: the input split at its first NUL byte (or in half) into an old and
//! a new plain text, compared both ways; the markup and the redline Document are built from
//! the result. A short deadline keeps each run bounded. An `Inconsistent` error (the engine's
//! own check failing) counts as a crash.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid -= 1;
    }
    let (old, new) = text.split_once('\0').unwrap_or_else(|| text.split_at(mid));
    let old = engross::document::plain::parse(old);
    let new = engross::document::plain::parse(new);
    let options = engross::diff::Options {
        ignore_case: bytes.first().is_some_and(|b| b & 1 == 1),
        ignore_punctuation: bytes.first().is_some_and(|b| b & 2 == 2),
        deadline: Duration::from_millis(200),
    };
    for (a, b) in [(&old, &new), (&new, &old)] {
        // An inconsistent comparison is reported as a typed error; for the fuzzer it is a bug.
        let cmp = engross::diff::compare(a, b, &options).expect("a consistent comparison");
        let _ = engross::diff::markup(&cmp);
        let marked = engross::diff::redline(b, &cmp);
        let _ = engross::render::text::render(&marked);
    }
});
