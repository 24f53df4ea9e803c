//! Rosters on untrusted text: parsed as CSV, TOML and JSON Lines, every row merged over the
//! subscription example and its name made from a pattern. An error is fine; a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let engine = engross::Engine::builtin().expect("templates");
    let base = include_str!("../../data/examples/subscription-2026.toml");
    let schema = &engine.templates().kind("subscription").expect("kind").schema;
    for name in ["r.csv", "r.toml", "r.jsonl"] {
        if let Ok(rows) = engross::data::roster::parse(text, name) {
            for row in rows.iter().take(20) {
                if let Ok(merged) = engross::data::roster::merge(base, row, schema, name) {
                    let _ = engine.load(&merged, name);
                }
            }
        }
    }
    let look = |k: &str| (k.len() < 40).then(|| k.repeat(3));
    let _ = engross::data::roster::file_name(text, &look);
});
