//! No input panics: random values of the wrong type and shape, put into every field of every
//! schema (starting from the file `engross new` writes), give an error or a document, never a
//! panic. Checked on the whole pipeline: data, template, Document, text, HTML and PDF.
//!
//! The values come from a seeded generator, so every run tries the same 600 mutations.

use engross::data::scaffold;

use super::{Rng, engine};

/// A random TOML value of any type and shape, nested up to `depth`.
fn toml_value(rng: &mut Rng, depth: u32) -> String {
    let kinds = if depth == 0 { 12 } else { 14 };
    match rng.below(kinds) {
        0 => (rng.next_u64() as i64).to_string(),
        1 => format!("{:?}", (rng.next_u64() as i64) as f64 / 1e3),
        2 => (rng.below(2) == 0).to_string(),
        3 => {
            let len = rng.below(40);
            let s: String = (0..len)
                .map(|_| char::from(b' ' + rng.below(95) as u8))
                .collect();
            format!("{s:?}")
        }
        4 => "1979-05-27".into(),
        5 => "1979-05-27T07:32:00Z".into(),
        6 => "\"-5\"".into(),
        7 => "\"1,000\"".into(),
        8 => "\"0.000000000000000000000000001\"".into(),
        9 => "99999999999999999999999".into(),
        10 => "\"\\n\\n# heading\\n::: div {{ x }} [a]{.field}\"".into(),
        11 => "\"\"".into(),
        12 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| toml_value(rng, depth - 1)).collect();
            format!("[{}]", items.join(", "))
        }
        _ => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n)
                .map(|i| format!("k{i} = {}", toml_value(rng, depth - 1)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

/// The (table, key) of every value line of a data file as `new` writes it.
fn keys_of(text: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut table: Option<String> = None;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            table = Some(l.trim_matches(|c| c == '[' || c == ']').to_string());
        } else if let Some((k, _)) = l.split_once(" = ")
            && !l.starts_with('#')
        {
            out.push((table.clone(), k.trim().to_string()));
        }
    }
    out
}

/// Replace the value of `key` (in `table`) with `value`.
fn replace(text: &str, table: &Option<String>, key: &str, value: &str) -> String {
    let mut current: Option<String> = None;
    let mut out = String::new();
    let mut done = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            current = Some(l.trim_matches(|c| c == '[' || c == ']').to_string());
        }
        if !done
            && &current == table
            && l.split_once(" = ").is_some_and(|(k, _)| k.trim() == key)
            && !l.starts_with('#')
        {
            out.push_str(&format!("{key} = {value}\n"));
            done = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn wrong_values_never_panic() {
    let engine = engine();
    let kinds: Vec<_> = engine.templates().kinds().collect();
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut rendered = 0;
    for case in 0..600 {
        let schema = &kinds[case % kinds.len()].schema;
        let base = scaffold::new_data_file(schema);
        let keys = keys_of(&base);
        let (table, key) = &keys[rng.below(keys.len())];
        let value = toml_value(&mut rng, 3);
        let mutated = replace(&base, table, key, &value);
        // Whatever happens, it is a value, not a panic.
        if let Ok(r) = engine.run(&mutated, "p.toml") {
            rendered += 1;
            let _ = engross::render::text::render(&r.document);
            let _ = engross::render::html::render(&r.document, "t", "");
            if case % 6 == 0 {
                let _ = engine.pdf(&r);
            }
        }
        // An unknown key, and a whole file of garbage.
        let _ = engine.run(&format!("{base}\nextra_{case} = {value}\n"), "p.toml");
        let _ = engine.run(
            &format!("template = \"{}\"\n{value}\n", schema.kind),
            "p.toml",
        );
    }
    // Some mutations are harmless (a text field given other text): they must render.
    assert!(rendered > 0);
}
