//! `engross extract`: the five originals' data recovered from their SEC text, field by field
//! against `data/originals/`, also after re-wrapping and re-paginating; sibling documents on
//! the option form; random data rendered and read back; garbage never panics.

use std::collections::BTreeMap;

use engross::data::Value;
use engross::extract::{self, Extraction};

use super::{ORIGINALS, engine, root};

/// Every scalar of a value by dotted path, list items by index.
pub fn flatten(v: &Value) -> BTreeMap<String, Value> {
    fn walk(v: &Value, path: String, out: &mut BTreeMap<String, Value>) {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        match v {
            Value::Table(entries) => entries.iter().for_each(|(k, v)| walk(v, join(k), out)),
            Value::List(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(v, join(&i.to_string()), out)),
            _ => {
                out.insert(path, v.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(v, String::new(), &mut out);
    out
}

/// Compare an extraction with the data: (matching, wrong, missed) paths, skipping paths that
/// start with one of `excluded`.
pub fn score(
    extraction: &Extraction,
    data: &Value,
    excluded: &[&str],
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let expected = flatten(data);
    let got = flatten(&extraction.values());
    let (mut ok, mut wrong, mut missed) = (Vec::new(), Vec::new(), Vec::new());
    let skip = |p: &str| {
        excluded
            .iter()
            .any(|e| p == *e || p.starts_with(&format!("{e}.")) || p.contains(&format!(".{e}.")))
    };
    let capitals: Vec<&str> = extraction
        .recovered
        .iter()
        .filter(|r| r.capitals)
        .map(|r| r.path.as_str())
        .collect();
    for (path, want) in &expected {
        if skip(path) {
            continue;
        }
        match got.get(path) {
            Some(v) if same(v, want) => ok.push(path.clone()),
            Some(Value::Text(v))
                if capitals.contains(&path.as_str())
                    && matches!(want, Value::Text(w) if w.to_uppercase() == v.to_uppercase()) =>
            {
                ok.push(format!("{path} (in capitals)"))
            }
            Some(v) => wrong.push(format!("{path}: {} (want {})", v.display(), want.display())),
            None => missed.push(path.clone()),
        }
    }
    for (path, v) in &got {
        if !skip(path) && !expected.contains_key(path) {
            wrong.push(format!("{path}: {} (want nothing)", v.display()));
        }
    }
    (ok, wrong, missed)
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_decimal(), b.as_decimal()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[test]
fn report_originals() {
    let engine = engine();
    for name in ORIGINALS {
        let kind = name.rsplit_once('-').unwrap().0;
        let text =
            std::fs::read_to_string(root().join(format!("tests/originals/{name}.txt"))).unwrap();
        let data_text =
            std::fs::read_to_string(root().join(format!("data/originals/{name}.toml"))).unwrap();
        let data = engine.load(&data_text, name).unwrap();
        let t = std::time::Instant::now();
        let x = extract::extract(&engine, kind, &text, name).unwrap();
        let (ok, wrong, missed) = score(&x, &data.values, &["as_executed"]);
        println!(
            "== {name}: {} ok, {} wrong, {} missed ({:?})",
            ok.len(),
            wrong.len(),
            missed.len(),
            t.elapsed()
        );
        for w in &wrong {
            println!("  WRONG {w}");
        }
        for m in &missed {
            println!("  MISSED {m}");
        }
    }
}
