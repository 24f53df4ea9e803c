//! No input panics: random values of the wrong type and shape, put into every field of every
//! schema (starting from the file `engross new` writes), give an error or a document, never a
//! panic. Checked on the whole pipeline: data, template, Document, text, HTML and PDF.

use engross::data::scaffold;
use proptest::prelude::*;

use super::engine;

/// A random TOML value, of any type and shape.
fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        any::<bool>().prop_map(|b| b.to_string()),
        "[ -~]{0,40}".prop_map(|s| format!("{s:?}")),
        Just("1979-05-27".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("\"-5\"".to_string()),
        Just("\"1,000\"".to_string()),
        Just("\"0.000000000000000000000000001\"".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("\"\\n\\n# heading\\n::: div\"".to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-z]{1,8}", inner), 0..4).prop_map(|v| {
                format!(
                    "{{ {} }}",
                    v.iter()
                        .map(|(k, x)| format!("{k} = {x}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        ]
    })
}

/// The dotted keys of a data file's top-level and table values, as `new` writes them.
fn keys_of(text: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut table: Option<String> = None;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("[[") {
            table = Some(l.trim_matches(|c| c == '[' || c == ']').to_string());
        } else if l.starts_with('[') {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn wrong_values_never_panic(kind in 0usize..5, pick in any::<prop::sample::Index>(), value in toml_value(), extra in "[a-z_]{1,12}") {
        let engine = engine();
        let kinds: Vec<_> = engine.templates().kinds().collect();
        let schema = &kinds[kind % kinds.len()].schema;
        let base = scaffold::new_data_file(schema);
        let keys = keys_of(&base);
        prop_assume!(!keys.is_empty());
        let (table, key) = &keys[pick.index(keys.len())];
        let mutated = replace(&base, table, key, &value);
        // Whatever happens, it is a value, not a panic.
        if let Ok(r) = engine.run(&mutated, "p.toml") {
            let _ = engross::render::text::render(&r.document);
            let _ = engross::render::html::render(&r.document, "t", "");
            let _ = engine.pdf(&r);
        }
        // An unknown key, and a whole file of garbage.
        let _ = engine.run(&format!("{base}\n{extra} = {value}\n"), "p.toml");
        let _ = engine.run(&format!("template = \"{}\"\n{value}\n", schema.kind), "p.toml");
    }
}
