//! Recovering a data file from an agreement's text: the inverse of rendering.
//!
//! The kind's template is rendered twice from a reference data set (the kind's built-in
//! example): once as it is (`A`) and once with every scalar field replaced by a sentinel of its
//! type (`B`: `Zqaabx` for text, distinctive numbers, amounts and dates). The word diff of `A`
//! and `B` shows where each field is printed and the literal text around it; a hunk holding
//! several sentinels is learnt again field by field. Enums and booleans are learnt by rendering
//! each of their values and keeping the hunks that change. Nothing reads template source.
//!
//! The input's words are then aligned with `A`'s (a Myers word diff over normalised words, so
//! line breaks, pages, page furniture and quote styles do not matter), every occurrence of a
//! field is read from the input's words between the nearest aligned words on either side, its
//! literal affixes stripped, and parsed by the field's schema type ([`read`]). An occurrence
//! counts only if the same reading gives back `B`'s sentinel from `B`'s text (so a filter we
//! cannot invert, such as a computed amount, is never read). Occurrences vote; disagreements
//! are reported. An enum or boolean takes the value whose rendering the input's words resemble
//! most at the places where the values differ.
//!
//! A second pass starts from the first pass's values, so that the structure (optional
//! sections, enum branches) is the input's and the aligned words around each field are nearer.
// No panic reachable from input: no unchecked indexing or arithmetic.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod read;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use similar::DiffOp;

use crate::Engine;
use crate::data::{Data, Field, FieldType, Value};
use crate::error::{Error, Result};

/// One recovered field.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    /// Its dotted path (`company.name`, `transferees.0.shares`).
    pub path: String,
    /// Its value.
    pub value: Value,
    /// The input's line (1-based) where it was read.
    pub line: usize,
    /// Other readings that disagreed, as `value at line N`.
    pub conflicts: Vec<String>,
    /// Printed only in capitals: the case is the document's, the value's own is lost.
    pub capitals: bool,
}

/// The result of an extraction.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The template kind.
    pub kind: String,
    /// Every recovered field, in schema order.
    pub recovered: Vec<Recovered>,
    /// Optional fields the text shows to be left out (the form's default wording is there).
    pub absent: Vec<String>,
    /// Fields that could not be recovered, each with the reason.
    pub missing: Vec<(String, String)>,
}

impl Extraction {
    /// Whether every field was recovered (or shown to be left out) without disagreement.
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.recovered.iter().all(|r| r.conflicts.is_empty())
    }

    /// The value recovered at a path.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.recovered
            .iter()
            .find(|r| r.path == path)
            .map(|r| &r.value)
    }

    /// The recovered values as a table, shaped like a data file's values.
    pub fn values(&self) -> Value {
        let mut root = Value::Table(Vec::new());
        for r in &self.recovered {
            set(&mut root, &parse_path(&r.path), Some(r.value.clone()));
        }
        root
    }
}

/// The built-in reference data of a kind: its 2026 example.
fn reference_text(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "assignment" => include_str!("../../data/examples/assignment-2026.toml"),
        "default-notice" => include_str!("../../data/examples/default-notice-2026.toml"),
        "option" => include_str!("../../data/examples/option-2026.toml"),
        "severance" => include_str!("../../data/examples/severance-2026.toml"),
        "subscription" => include_str!("../../data/examples/subscription-2026.toml"),
        _ => return None,
    })
}

/// A step in a value path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Seg> {
    path.split('.')
        .map(|p| match p.parse::<usize>() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(p.to_string()),
        })
        .collect()
}

fn show_path(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn get<'v>(v: &'v Value, path: &[Seg]) -> Option<&'v Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v);
    };
    let next = match (v, first) {
        (Value::Table(_), Seg::Key(k)) => v.get(k),
        (Value::List(items), Seg::Index(i)) => items.get(*i),
        _ => None,
    }?;
    get(next, rest)
}

/// Set (or, with `None`, remove) the value at a path, creating tables on the way.
fn set(v: &mut Value, path: &[Seg], value: Option<Value>) {
    let Some((first, rest)) = path.split_first() else {
        if let Some(value) = value {
            *v = value;
        }
        return;
    };
    match first {
        Seg::Key(k) => {
            if !matches!(v, Value::Table(_)) {
                *v = Value::Table(Vec::new());
            }
            let Value::Table(entries) = v else { return };
            let pos = entries.iter().position(|(key, _)| key == k);
            match (pos, rest.is_empty(), value) {
                (Some(p), true, None) => {
                    entries.remove(p);
                }
                (Some(p), _, value) => {
                    if let Some((_, child)) = entries.get_mut(p) {
                        set(child, rest, value);
                    }
                }
                (None, _, None) => {}
                (None, _, Some(value)) => {
                    let mut child = match rest.first() {
                        Some(Seg::Index(_)) => Value::List(Vec::new()),
                        _ => Value::Table(Vec::new()),
                    };
                    set(&mut child, rest, Some(value));
                    entries.push((k.clone(), child));
                }
            }
        }
        Seg::Index(i) => {
            if !matches!(v, Value::List(_)) {
                *v = Value::List(Vec::new());
            }
            let Value::List(items) = v else { return };
            while items.len() <= *i && value.is_some() {
                items.push(match rest.first() {
                    Some(Seg::Key(_)) => Value::Table(Vec::new()),
                    _ => Value::Text(String::new()),
                });
            }
            if let Some(child) = items.get_mut(*i) {
                if rest.is_empty() && value.is_none() {
                    items.remove(*i);
                } else {
                    set(child, rest, value);
                }
            }
        }
    }
}

/// A scalar place of the schema: a field, or an item of a list present in the reference.
#[derive(Debug, Clone)]
struct Slot {
    path: Vec<Seg>,
    name: String,
    ty: FieldType,
    optional: bool,
    values: Vec<String>,
    /// For an optional table: the table of the schema's examples.
    example: Option<Value>,
    /// How many words the schema's example has (what a value of the field usually takes).
    example_words: Option<usize>,
    /// Its schema example is punctuation only ("(", ","): a reading of punctuation is a value,
    /// not a blank.
    punctuation: bool,
}

/// A schema example as a typed value.
fn example_value(field: &Field, example: &toml::Value) -> Option<Value> {
    Some(match (field.ty, example) {
        (FieldType::Text | FieldType::Enum, toml::Value::String(s)) => Value::Text(s.clone()),
        (FieldType::Integer | FieldType::Shares, toml::Value::Integer(i)) => Value::Integer(*i),
        (FieldType::Money | FieldType::Percent, toml::Value::Integer(i)) => {
            Value::Decimal(Decimal::from(*i))
        }
        (FieldType::Money | FieldType::Percent, toml::Value::String(s)) => {
            Value::Decimal(s.parse().ok()?)
        }
        (FieldType::Date, toml::Value::Datetime(d)) => Value::Date(d.to_string().parse().ok()?),
        (FieldType::Bool, toml::Value::Boolean(b)) => Value::Bool(*b),
        (FieldType::List, toml::Value::Array(items)) => {
            let item = Field {
                ty: field.item.unwrap_or(FieldType::Text),
                ..field.clone()
            };
            Value::List(
                items
                    .iter()
                    .map(|v| example_value(&item, v))
                    .collect::<Option<Vec<_>>>()?,
            )
        }
        _ => return None,
    })
}

/// A table of the schema's examples: every required sub-field must have one.
fn example_table(fields: &[Field]) -> Option<Value> {
    let mut entries = Vec::new();
    for f in fields {
        let value = match (&f.example, f.ty) {
            (Some(e), _) => example_value(f, e),
            (None, FieldType::Party | FieldType::Table) => example_table(&f.fields),
            _ => None,
        };
        match value {
            Some(v) => entries.push((f.key.clone(), v)),
            None if f.always_required() => return None,
            None => {}
        }
    }
    Some(Value::Table(entries))
}

fn slots(fields: &[Field], values: Option<&Value>, prefix: &[Seg], optional: bool) -> Vec<Slot> {
    let mut out = Vec::new();
    for f in fields {
        // A computed field is worked out from the others when the data is loaded: nothing to
        // read.
        if f.computed.is_some() {
            continue;
        }
        let mut path = prefix.to_vec();
        path.push(Seg::Key(f.key.clone()));
        let here = values.and_then(|v| get(v, std::slice::from_ref(&Seg::Key(f.key.clone()))));
        // A field with a default or a condition may be left out too.
        let optional = optional || !f.always_required();
        match f.ty {
            FieldType::Party | FieldType::Table => {
                // An optional table the reference leaves out: whether the text has it is
                // decided like an enum, between leaving it out and the schema's examples.
                let empty = match here {
                    None => true,
                    Some(Value::Table(entries)) => entries.is_empty(),
                    _ => false,
                };
                if empty
                    && !f.always_required()
                    && let Some(example) = example_table(&f.fields)
                {
                    out.push(Slot {
                        name: show_path(&path),
                        path: path.clone(),
                        ty: f.ty,
                        optional: true,
                        values: Vec::new(),
                        example: Some(example),
                        example_words: None,
                        punctuation: false,
                    });
                }
                out.extend(slots(&f.fields, here, &path, optional));
            }
            FieldType::List => {
                let Some(Value::List(items)) = here else {
                    out.push(Slot {
                        name: show_path(&path),
                        path,
                        ty: FieldType::List,
                        optional,
                        values: Vec::new(),
                        example: None,
                        example_words: None,
                        punctuation: false,
                    });
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(Seg::Index(i));
                    if f.fields.is_empty() {
                        out.push(Slot {
                            name: show_path(&p),
                            path: p,
                            ty: f.item.unwrap_or(FieldType::Text),
                            optional,
                            values: Vec::new(),
                            example: None,
                            example_words: match &f.example {
                                Some(toml::Value::Array(items)) => items
                                    .get(i)
                                    .or(items.first())
                                    .and_then(toml::Value::as_str)
                                    .map(|s| s.split_whitespace().count()),
                                _ => None,
                            },
                            punctuation: false,
                        });
                    } else {
                        out.extend(slots(&f.fields, Some(item), &p, optional));
                    }
                }
            }
            ty => out.push(Slot {
                name: show_path(&path),
                path,
                ty,
                optional,
                values: f.values.clone(),
                example: None,
                example_words: f
                    .example
                    .as_ref()
                    .and_then(toml::Value::as_str)
                    .map(|s| s.split_whitespace().count()),
                punctuation: f
                    .example
                    .as_ref()
                    .and_then(toml::Value::as_str)
                    .is_some_and(|s| {
                        !s.trim().is_empty()
                            && !s.chars().any(char::is_alphanumeric)
                            && !s.contains('_')
                    }),
            }),
        }
    }
    out
}

fn structural(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Enum | FieldType::Bool | FieldType::Table | FieldType::Party
    )
}

/// A word of a text: its normalised form (what alignment compares), its text and line.
#[derive(Debug, Clone)]
struct Tok {
    key: Arc<str>,
    raw: Arc<str>,
    line: usize,
    /// A hash of `key`, so that word diffs compare and hash a number first.
    hash: u64,
    /// The number of `key` among the words of the extraction (one per normalised form).
    id: u32,
}

/// A word as the word diffs see it: its normalised form's hash and number (the words of one
/// extraction have one number per form, so numbers compare as the forms).
#[derive(Debug, Clone, Copy)]
struct Key {
    hash: u64,
    id: u32,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// The words met in one extraction's texts, each stored once with its normalised form and
/// its hash: the form is rendered a hundred times, nearly always in the same words.
#[derive(Default)]
struct Words {
    seen: FnvMap<Arc<str>, (Arc<str>, u64, u32)>,
    /// The number of each normalised form.
    ids: FnvMap<Arc<str>, u32>,
    /// The words of every line of a render met (a form feed is a space to `split_whitespace`,
    /// so a line's words are its words in the text).
    lines: FxMap<String, Arc<[Word4]>>,
}

/// A word as [`Words::word`] gives it: its text, normalised form, hash and number.
type Word4 = (Arc<str>, Arc<str>, u64, u32);

impl Words {
    fn word(&mut self, raw: &str) -> Word4 {
        if let Some((known, (key, hash, id))) = self.seen.get_key_value(raw) {
            return (Arc::clone(known), Arc::clone(key), *hash, *id);
        }
        let key = key_of(raw);
        let hash = word_hash(&key);
        let (raw, key): (Arc<str>, Arc<str>) = (Arc::from(raw), Arc::from(key));
        let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let id = *self.ids.entry(Arc::clone(&key)).or_insert(next);
        self.seen
            .insert(Arc::clone(&raw), (Arc::clone(&key), hash, id));
        (raw, key, hash, id)
    }
}

type FnvMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// FNV-1a as a hasher, for the words' table.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let start = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        self.0 = bytes.iter().fold(start, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
    }
}

/// A hasher that takes eight bytes a step (FxHash's mixing), for the tables keyed by lines,
/// sources and their parts: tens to thousands of bytes, where FNV's byte steps and SipHash's
/// rounds cost more (SipHash was a tenth of an extraction's instructions).
#[derive(Default)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = mix(self.0, u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, b) in w.iter_mut().zip(rest) {
                *d = *b;
            }
            self.0 = mix(self.0, u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(n)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A hash map keyed by long strings (or their hashes), with [`Fx`].
type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// FNV-1a: a word's hash (the same on every run).
fn word_hash(word: &str) -> u64 {
    word.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn ascii_char(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' | '`' => '\'',
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{a0}' => ' ',
        other => other,
    }
}

fn normalise(s: &str) -> String {
    s.chars().map(ascii_char).collect()
}

fn key_of(word: &str) -> String {
    let ascii: String = normalise(word).to_lowercase();
    let trimmed = ascii.trim_matches(|c: char| "\"'()[]{},.;:!?*".contains(c));
    if trimmed.is_empty() {
        ascii
    } else if trimmed.chars().all(|c| c == '_') {
        "_".into()
    } else if trimmed.len() > 2 && trimmed.chars().all(|c| c == '-' || c == '=') {
        // A rule under a heading, as long as the heading.
        "-".into()
    } else {
        trimmed.to_string()
    }
}

/// A line that is page furniture: a page number ("3", "- 3 -", "Page 3 of 9").
fn furniture(line: &str) -> bool {
    let t = line.trim().trim_matches('-').trim();
    if t.is_empty() {
        return false;
    }
    if t.chars().all(|c| c.is_ascii_digit()) && t.len() <= 4 {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("<page>") {
        return true;
    }
    if let Some(rest) = lower.strip_prefix("page ") {
        let words: Vec<&str> = rest.split_whitespace().collect();
        return match words.as_slice() {
            [n] => n.chars().all(|c| c.is_ascii_digit()),
            [n, of, m] => {
                n.chars().all(|c| c.is_ascii_digit())
                    && *of == "of"
                    && m.chars().all(|c| c.is_ascii_digit())
            }
            _ => false,
        };
    }
    false
}

fn tokens(text: &str, skip_furniture: bool, words: &Mutex<Words>) -> Vec<Tok> {
    let mut words = words
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let lines: Vec<&str> = text.lines().collect();
    // Running headers and footers: a line that recurs next to page breaks (a form feed or a
    // page number line) at least twice.
    let mut headers = std::collections::BTreeSet::new();
    if skip_furniture {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (n, line) in lines.iter().enumerate() {
            if !(line.contains('\u{c}') || furniture(line)) {
                continue;
            }
            for k in n.saturating_sub(2)..=n.saturating_add(2) {
                let Some(near) = lines.get(k) else { continue };
                let t = near.trim_matches(|c: char| c.is_whitespace() || c == '\u{c}');
                if !t.is_empty() && !furniture(t) && t.split_whitespace().count() <= 8 {
                    let n = seen.entry(t).or_insert(0);
                    *n = n.saturating_add(1);
                }
            }
        }
        headers.extend(seen.into_iter().filter(|(_, n)| *n >= 2).map(|(t, _)| t));
    }
    let mut out = Vec::with_capacity(text.len() / 6);
    for (n, line) in lines.iter().enumerate() {
        // A render's line met before: its words as they were read then.
        if !skip_furniture {
            let known = match words.lines.get(*line) {
                Some(known) => Arc::clone(known),
                None => {
                    let read: Arc<[Word4]> =
                        line.split_whitespace().map(|w| words.word(w)).collect();
                    words.lines.insert((*line).to_string(), Arc::clone(&read));
                    read
                }
            };
            out.extend(known.iter().map(|(raw, key, hash, id)| Tok {
                hash: *hash,
                id: *id,
                key: Arc::clone(key),
                raw: Arc::clone(raw),
                line: n.saturating_add(1),
            }));
            continue;
        }
        let line: std::borrow::Cow<'_, str> = if line.contains('\u{c}') {
            line.replace('\u{c}', " ").into()
        } else {
            (*line).into()
        };
        if skip_furniture && (furniture(&line) || headers.contains(line.trim())) {
            continue;
        }
        for w in line.split_whitespace() {
            let (raw, key, hash, id) = words.word(w);
            out.push(Tok {
                hash,
                id,
                key,
                raw,
                line: n.saturating_add(1),
            });
        }
    }
    out
}

fn keys(toks: &[Tok]) -> Vec<&str> {
    toks.iter().map(|t| &*t.key).collect()
}

/// The words of a text as the word diffs compare them.
fn hashed(toks: &[Tok]) -> Vec<Key> {
    toks.iter()
        .map(|t| Key {
            id: t.id,
            hash: t.hash,
        })
        .collect()
}

fn join(toks: &[Tok]) -> String {
    toks.iter().map(|t| &*t.raw).collect::<Vec<_>>().join(" ")
}

fn diff<T: Word>(old: &[T], new: &[T]) -> Vec<DiffOp> {
    // Patience anchors on words that occur once on each side, then Myers between them: fast
    // on whole agreements that differ in many places, and the unique words are the anchors a
    // reader would take.
    let deadline = std::time::Instant::now().checked_add(std::time::Duration::from_secs(2));
    anchored(old, new, deadline)
}

/// A word the diffs compare.
trait Word: std::hash::Hash + Eq {
    /// A small number that equal words, and only they, share.
    fn id(&self) -> Option<u32>;
}

impl Word for Key {
    fn id(&self) -> Option<u32> {
        Some(self.id)
    }
}

impl Word for &str {
    fn id(&self) -> Option<u32> {
        None
    }
}

/// A word diff anchored on the words that occur exactly once on each side: the longest chain
/// of them in the same order on both sides (found by patience sorting) is equal, and Myers
/// compares what lies between two anchors. Numbered words are counted by their number (no
/// hashing); words without numbers go to `similar`'s Patience diff.
fn anchored<T: Word>(old: &[T], new: &[T], deadline: Option<std::time::Instant>) -> Vec<DiffOp> {
    let ids = |w: &[T]| w.iter().map(Word::id).collect::<Option<Vec<u32>>>();
    let (Some(a), Some(b)) = (ids(old), ids(new)) else {
        return similar::capture_diff_slices_deadline(
            similar::Algorithm::Patience,
            old,
            new,
            deadline,
        );
    };
    let size = a
        .iter()
        .chain(&b)
        .map(|&i| (i as usize).saturating_add(1))
        .max()
        .unwrap_or(0);
    // How often each word occurs on each side (0, 1, or 2 for "more"), and where in the new.
    let mut in_old = vec![0u8; size];
    let mut in_new = vec![0u8; size];
    let mut at_new = vec![0usize; size];
    for &i in &a {
        if let Some(c) = in_old.get_mut(i as usize) {
            *c = c.saturating_add(1).min(2);
        }
    }
    for (j, &i) in b.iter().enumerate() {
        if let (Some(c), Some(at)) = (in_new.get_mut(i as usize), at_new.get_mut(i as usize)) {
            *c = c.saturating_add(1).min(2);
            *at = j;
        }
    }
    let once = |counts: &[u8], i: u32| counts.get(i as usize) == Some(&1);
    let pairs: Vec<(usize, usize)> = a
        .iter()
        .enumerate()
        .filter(|&(_, &i)| once(&in_old, i) && once(&in_new, i))
        .filter_map(|(k, &i)| at_new.get(i as usize).map(|&j| (k, j)))
        .collect();
    // The longest chain of pairs rising on the new side too: `ends[l]` is the pair that ends
    // the best chain of length l + 1 found so far (the one with the least new position).
    let new_of = |p: usize| pairs.get(p).map_or(usize::MAX, |x| x.1);
    let mut ends: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = Vec::with_capacity(pairs.len());
    for (p, &(_, j)) in pairs.iter().enumerate() {
        let l = ends.partition_point(|&e| new_of(e) < j);
        before.push(l.checked_sub(1).and_then(|k| ends.get(k).copied()));
        match ends.get_mut(l) {
            Some(e) => *e = p,
            None => ends.push(p),
        }
    }
    let mut chain = Vec::with_capacity(ends.len());
    let mut at = ends.last().copied();
    while let Some(p) = at {
        if let Some(&pair) = pairs.get(p) {
            chain.push(pair);
        }
        at = before.get(p).copied().flatten();
    }
    chain.reverse();
    // Myers between anchors, on the ranges of the whole slices (no copy, no re-indexing); the
    // runs of changes made replacements and slid to one place, as `similar`'s own diffs give
    // them.
    use similar::algorithms::{Capture, Compact, DiffHook, NoFinishHook, Replace, myers};
    let mut d = Compact::new(Replace::new(Capture::new()), old, new);
    let (mut o, mut n) = (0, 0);
    for (i, j) in chain
        .into_iter()
        .chain(std::iter::once((old.len(), new.len())))
    {
        let mut gap = NoFinishHook::new(&mut d);
        let Ok(()) = myers::diff_deadline(&mut gap, old, o..i, new, n..j, deadline);
        if i < old.len() {
            let Ok(()) = d.equal(i, j, 1);
        }
        (o, n) = (i.saturating_add(1), j.saturating_add(1));
    }
    let Ok(()) = d.finish();
    d.into_inner().into_inner().into_ops()
}

/// The changed hunks of a diff: (old range, new range).
fn hunks(ops: &[DiffOp]) -> Vec<(Range<usize>, Range<usize>)> {
    let mut out: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for op in ops {
        if matches!(op, DiffOp::Equal { .. }) {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        match out.last_mut() {
            Some((lo, ln)) if lo.end == o.start && ln.end == n.start => {
                lo.end = o.end;
                ln.end = n.end;
            }
            _ => out.push((o, n)),
        }
    }
    out
}

/// Hunks with at most `gap` equal words between them taken as one: a date or an amount in
/// words differs in several words with equal ones ("day of") between.
fn merged(
    hunks: Vec<(Range<usize>, Range<usize>)>,
    gap: usize,
) -> Vec<(Range<usize>, Range<usize>)> {
    let mut out: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for (a, b) in hunks {
        match out.last_mut() {
            Some((la, lb))
                if a.start.saturating_sub(la.end) <= gap
                    && b.start.saturating_sub(lb.end) <= gap =>
            {
                la.end = a.end;
                lb.end = b.end;
            }
            _ => out.push((a, b)),
        }
    }
    out
}

/// How many words two sequences share in order.
fn common<T: Word>(a: &[T], b: &[T]) -> usize {
    diff(a, b)
        .iter()
        .filter_map(|op| match op {
            DiffOp::Equal { len, .. } => Some(*len),
            _ => None,
        })
        .sum()
}

/// How a text field's value is printed at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    AsWritten,
    Upper,
}

/// One place where a scalar field is printed in `A`.
#[derive(Debug, Clone)]
struct Occurrence {
    slot: usize,
    range: Range<usize>,
    /// `A`'s words there (the reference value, or the form's default when it is left out).
    a_text: String,
    prefix: String,
    suffix: String,
    case: Case,
}

/// A value of an enum or boolean and the hunks where its rendering differs from `A`'s.
#[derive(Debug, Clone)]
struct Alternative {
    slot: usize,
    value: Option<Value>,
    hunks: Vec<(Range<usize>, Vec<Arc<str>>)>,
    /// Learnt against the sentinel render (its words are literal words only), not `A`.
    on_b: bool,
}

/// What was learnt from the form with one reference data set.
struct Skeleton {
    a: Vec<Tok>,
    /// The sentinel renders' words, and the places of fields in them: aligned with the input,
    /// their literal words bound every field exactly (sentinels never match).
    bs: Vec<(Vec<Tok>, Vec<Occurrence>)>,
    /// Whether the first of `bs` has every sentinel at once (the alternatives' base).
    b0: bool,
    occurrences: Vec<Occurrence>,
    alternatives: Vec<Alternative>,
    /// Slots whose every candidate renders like the reference.
    unseen: Vec<usize>,
    /// Optional tables the reference leaves out (or empty) that the sentinel render has, its
    /// fields filled with sentinels: against that render the table is present, and its
    /// schema examples stand for it.
    b_present: BTreeMap<usize, Value>,
}

struct Form<'e> {
    engine: &'e Engine,
    words: &'e Mutex<Words>,
    renders: &'e Renders,
    kind: String,
    page: crate::data::PageSettings,
    slots: Vec<Slot>,
    list_notes: Vec<(String, String)>,
}

fn text_sentinel(i: usize) -> String {
    let letter = |n: usize| char::from(b'a'.saturating_add(u8::try_from(n % 26).unwrap_or(0)));
    format!("Zq{}{}{}x", letter(i / 676), letter(i / 26), letter(i))
}

/// A text sentinel anywhere in a word.
fn decode_sentinel_in(word: &str) -> Option<usize> {
    let lower = word.to_lowercase();
    let at = lower.find("zq")?;
    lower.get(at..).and_then(decode_text_sentinel)
}

fn decode_text_sentinel(word: &str) -> Option<usize> {
    let lower = word.to_ascii_lowercase();
    let b = lower.as_bytes();
    let (Some(b'z'), Some(b'q'), Some(x), Some(y), Some(z), Some(b'x')) =
        (b.first(), b.get(1), b.get(2), b.get(3), b.get(4), b.get(5))
    else {
        return None;
    };
    let d = |c: &u8| {
        c.is_ascii_lowercase()
            .then(|| usize::from(c.saturating_sub(b'a')))
    };
    Some(
        d(x)?
            .saturating_mul(676)
            .saturating_add(d(y)?.saturating_mul(26))
            .saturating_add(d(z)?),
    )
}

impl<'e> Form<'e> {
    fn sentinel(&self, i: usize, reference: &Value) -> Option<Value> {
        let slot = self.slots.get(i)?;
        let scale = get(reference, &slot.path)
            .and_then(Value::as_decimal)
            .map_or(2, |d| d.scale().min(6));
        let n = i64::try_from(i).ok()?;
        // A field the reference gives is scaled (numbers × 7, dates 90 years and 143 days
        // later), so that the template's own checks between fields (a subscription within the
        // offering, one date after another) still hold.
        match (slot.ty, get(reference, &slot.path)) {
            (FieldType::Integer | FieldType::Shares, Some(Value::Integer(v))) => {
                return Some(Value::Integer(if *v == 0 {
                    3
                } else {
                    v.saturating_mul(7)
                }));
            }
            (FieldType::Money | FieldType::Percent, Some(v)) if v.as_decimal().is_some() => {
                let d = v.as_decimal()?;
                let mut scaled = if d.is_zero() {
                    Decimal::from(3)
                } else {
                    d.checked_mul(Decimal::from(7))?
                };
                scaled.rescale(d.scale());
                return Some(Value::Decimal(scaled));
            }
            (FieldType::Date, Some(Value::Date(d))) => {
                return d
                    .checked_add(jiff::Span::new().years(90).days(143))
                    .ok()
                    .map(Value::Date);
            }
            _ => {}
        }
        Some(match slot.ty {
            FieldType::Text => Value::Text(text_sentinel(i)),
            FieldType::Integer => Value::Integer(61i64.saturating_add(n)),
            FieldType::Shares => Value::Integer(
                n.saturating_add(2)
                    .saturating_mul(1_000_000)
                    .saturating_add(234_567),
            ),
            FieldType::Money => {
                let whole = 40_321i64.saturating_add(n.saturating_mul(1_000));
                let digits = "7913579135";
                let frac = digits.get(..scale as usize).unwrap_or("");
                let s = if frac.is_empty() {
                    whole.to_string()
                } else {
                    format!("{whole}.{frac}")
                };
                Value::Decimal(s.parse().ok()?)
            }
            FieldType::Percent => {
                let whole = 6i64.saturating_add(n % 80);
                let s = if scale == 0 {
                    whole.to_string()
                } else {
                    format!(
                        "{whole}.{}",
                        "3737373737".get(..scale as usize).unwrap_or("")
                    )
                };
                Value::Decimal(s.parse().ok()?)
            }
            FieldType::Date => {
                // Month and day differ from the reference's, so that no part of the date is
                // taken for literal text around it.
                let (rm, rd) = match get(reference, &slot.path) {
                    Some(Value::Date(d)) => (d.month(), d.day()),
                    _ => (0, 0),
                };
                let year = 2091i16.saturating_add(i16::try_from(i % 9).ok()?);
                let month = (rm.saturating_add(5) % 12).saturating_add(1);
                let mut day = 13i8.saturating_add(i8::try_from(i % 13).ok()?);
                if day == rd {
                    day = day.saturating_add(1);
                }
                Value::Date(jiff::civil::Date::new(year, month, day).ok()?)
            }
            _ => return None,
        })
    }

    fn render(&self, values: &Value) -> Result<String> {
        render_text(self.engine, &self.kind, self.page, values, self.renders)
    }

    /// The slots whose sentinels appear in a text.
    fn sentinels_in(&self, text: &str, sentinels: &BTreeMap<usize, Value>) -> Vec<usize> {
        let mut found = Vec::new();
        let lower = text.to_lowercase();
        for (i, _) in lower.match_indices("zq") {
            if let Some(n) = lower.get(i..).and_then(decode_text_sentinel)
                && sentinels.contains_key(&n)
            {
                found.push(n);
            }
        }
        for (&i, v) in sentinels {
            let Some(slot) = self.slots.get(i) else {
                continue;
            };
            let seen = match (slot.ty, v) {
                (FieldType::Text, _) => false,
                (FieldType::Date, Value::Date(d)) => {
                    lower.contains(&d.year().to_string())
                        && read::date(text).is_some_and(|r| r.year() == d.year())
                }
                (_, v) => {
                    let Some(d) = v.as_decimal() else { continue };
                    let grouped = crate::template::legal::format_number(d, None);
                    let whole = d.trunc();
                    let words = u64::try_from(
                        whole
                            .mantissa()
                            .checked_div(10i128.saturating_pow(whole.scale()))
                            .unwrap_or(0),
                    )
                    .ok()
                    .map(|w| crate::template::legal::number_words(w).to_lowercase());
                    contains_number(&lower, &grouped)
                        || contains_number(&lower, &d.to_string())
                        || words.is_some_and(|w| w.contains(' ') && lower.contains(&w))
                }
            };
            if seen {
                found.push(i);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    fn occurrence(
        &self,
        slot: usize,
        sentinel: &Value,
        a: &[Tok],
        b: &[Tok],
        (ra, rb): (Range<usize>, Range<usize>),
    ) -> Option<Occurrence> {
        let ty = self.slots.get(slot)?.ty;
        let a_text = join(a.get(ra.clone())?);
        let b_text = join(b.get(rb)?);
        let (prefix, suffix, case) = if let Value::Text(s) = sentinel {
            let pos = b_text.to_lowercase().find(&s.to_lowercase())?;
            let printed = b_text.get(pos..pos.saturating_add(s.len()))?;
            let case = if printed == s {
                Case::AsWritten
            } else if printed == s.to_uppercase() {
                Case::Upper
            } else {
                return None;
            };
            (
                b_text.get(..pos)?.to_string(),
                b_text.get(pos.saturating_add(s.len())..)?.to_string(),
                case,
            )
        } else {
            let (mut p, mut s) = affixes(&a_text, &b_text);
            let middle = b_text.get(p.len()..b_text.len().checked_sub(s.len())?)?;
            let read = read::value(ty, middle).ok()?;
            if !same(&read, sentinel) {
                // A clause that appears with the field: the words around its figure.
                let (before, after) = around_figure(&b_text, sentinel)?;
                p = before;
                s = after;
            }
            (p, s, Case::AsWritten)
        };
        Some(Occurrence {
            slot,
            range: ra,
            a_text,
            prefix,
            suffix,
            case,
        })
    }

    /// The fields to learn again without the others they share a place with, learnt several
    /// at a time: fields that never share a place get their sentinels in one render, and
    /// each hunk of it that holds one of them is that field's place, as in a render of its
    /// own. Returns each field's places; a field whose batch render fails or shares a hunk
    /// there is left out (learnt on its own).
    fn batches(
        &self,
        reference: &Value,
        a: &[Tok],
        sentinels: &BTreeMap<usize, Value>,
        fields: &[usize],
        conflicts: &[Vec<usize>],
        alone: &std::collections::BTreeSet<usize>,
    ) -> BTreeMap<usize, Vec<Occurrence>> {
        let clash = |i: usize, j: usize| {
            conflicts
                .iter()
                .any(|set| set.contains(&i) && set.contains(&j))
        };
        let mut batches: Vec<Vec<usize>> = Vec::new();
        for &i in fields {
            if alone.contains(&i) {
                continue;
            }
            match batches.iter_mut().find(|b| b.iter().all(|&j| !clash(i, j))) {
                Some(b) => b.push(i),
                None => batches.push(vec![i]),
            }
        }
        let a_keys = hashed(a);
        let batches: Vec<Vec<usize>> = batches.into_iter().filter(|b| b.len() > 1).collect();
        let learnt = par_map(&batches, |batch| {
            let mut out = Vec::new();
            let mut values = reference.clone();
            let mut these = BTreeMap::new();
            for &i in batch {
                if let (Some(slot), Some(v)) = (self.slots.get(i), sentinels.get(&i)) {
                    set(&mut values, &slot.path, Some(v.clone()));
                    these.insert(i, v.clone());
                }
            }
            let Ok(text) = self.render(&values) else {
                return out;
            };
            let b = tokens(&text, false, self.words);
            let mut found: BTreeMap<usize, Vec<Occurrence>> =
                these.keys().map(|&i| (i, Vec::new())).collect();
            let mut shared = std::collections::BTreeSet::new();
            for (ra, rb) in merged(hunks(&diff(&a_keys, &hashed(&b))), 3) {
                let b_hunk = join(b.get(rb.clone()).unwrap_or_default());
                match self.sentinels_in(&b_hunk, &these).as_slice() {
                    [] => {}
                    [i] => {
                        if let Some(v) = these.get(i)
                            && let Some(o) = self.occurrence(*i, v, a, &b, (ra, rb))
                            && let Some(list) = found.get_mut(i)
                        {
                            list.push(o);
                        }
                    }
                    many => shared.extend(many.iter().copied()),
                }
            }
            for (i, list) in found {
                if !shared.contains(&i) {
                    out.push((i, list));
                }
            }
            out
        });
        let out: BTreeMap<usize, Vec<Occurrence>> = learnt.into_iter().flatten().collect();
        out
    }

    fn learn(&self, reference: &Value) -> Result<Skeleton> {
        let a = tokens(&self.render(reference)?, false, self.words);
        let a_keys = hashed(&a);
        let mut sentinels = BTreeMap::new();
        let mut b_values = reference.clone();
        for (i, slot) in self.slots.iter().enumerate() {
            if structural(slot.ty) || slot.ty == FieldType::List {
                continue;
            }
            if let Some(mut v) = self.sentinel(i, reference) {
                // Two fields with one value (a total equal to its only part) get two sentinels.
                while sentinels.values().any(|w| w == &v) {
                    v = match v {
                        Value::Integer(n) => Value::Integer(n.saturating_add(1)),
                        Value::Decimal(d) => Value::Decimal(d.saturating_add(Decimal::ONE)),
                        Value::Date(d) => match d.tomorrow() {
                            Ok(t) => Value::Date(t),
                            Err(_) => break,
                        },
                        other => other,
                    };
                    if matches!(v, Value::Text(_)) {
                        break;
                    }
                }
                set(&mut b_values, &slot.path, Some(v.clone()));
                sentinels.insert(i, v);
            }
        }
        let mut occurrences = Vec::new();
        let mut singly: Vec<usize> = Vec::new();
        let mut bs: Vec<(Vec<Tok>, Vec<Occurrence>)> = Vec::new();
        // Every sentinel at once; if the template's own checks refuse that (a purchase price
        // that must be shares times price), the fields of each type at once; fields whose
        // group still fails are learnt one at a time.
        let groups: Vec<Vec<usize>> = {
            let all: Vec<usize> = sentinels.keys().copied().collect();
            let mut by_type: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
            for &i in &all {
                if let Some(slot) = self.slots.get(i) {
                    by_type.entry(slot.ty.name()).or_default().push(i);
                }
            }
            let mut groups = vec![all];
            groups.extend(by_type.into_values());
            groups
        };
        let mut done = std::collections::BTreeSet::new();
        let mut all_values: Option<Value> = None;
        // Fields printed in one place with others (learnt again without them), and fields
        // whose group the template's checks refused (learnt one at a time).
        let mut conflicts: Vec<Vec<usize>> = Vec::new();
        let mut alone = std::collections::BTreeSet::new();
        for (g, group) in groups.iter().enumerate() {
            if g > 0 && group.iter().all(|i| done.contains(i)) {
                continue;
            }
            let mut values = reference.clone();
            for i in group {
                if let (Some(slot), Some(v)) = (self.slots.get(*i), sentinels.get(i)) {
                    set(&mut values, &slot.path, Some(v.clone()));
                }
            }
            let text = match self.render(&values) {
                Ok(text) => text,
                Err(e) => {
                    if std::env::var_os("ENGROSS_EXTRACT_DEBUG").is_some() {
                        eprintln!("sentinel render failed: {e}");
                    }
                    if g > 0 {
                        singly.extend_from_slice(group);
                        alone.extend(group.iter().copied());
                    }
                    continue;
                }
            };
            let group_sentinels: BTreeMap<usize, Value> = group
                .iter()
                .filter_map(|i| sentinels.get(i).map(|v| (*i, v.clone())))
                .collect();
            let b = tokens(&text, false, self.words);
            let mut places = Vec::new();
            // Text sentinels are found word by word.
            for (j, t) in b.iter().enumerate() {
                let lower = t.raw.to_lowercase();
                let Some(pos) = lower.find("zq") else {
                    continue;
                };
                let Some(n) = lower.get(pos..).and_then(decode_text_sentinel) else {
                    continue;
                };
                let Some(Value::Text(s)) = group_sentinels.get(&n) else {
                    continue;
                };
                let Some(printed) = t.raw.get(pos..pos.saturating_add(s.len())) else {
                    continue;
                };
                let case = if printed == s {
                    Case::AsWritten
                } else if *printed == s.to_uppercase() {
                    Case::Upper
                } else {
                    continue;
                };
                places.push(Occurrence {
                    slot: n,
                    range: j..j.saturating_add(1),
                    a_text: String::new(),
                    prefix: t.raw.get(..pos).unwrap_or("").to_string(),
                    suffix: t
                        .raw
                        .get(pos.saturating_add(s.len())..)
                        .unwrap_or("")
                        .to_string(),
                    case,
                });
            }
            for (ra, rb) in merged(hunks(&diff(&a_keys, &hashed(&b))), 3) {
                let b_hunk = join(b.get(rb.clone()).unwrap_or_default());
                let found = self.sentinels_in(&b_hunk, &group_sentinels);
                match found.as_slice() {
                    [] => {}
                    [one] => {
                        if let Some(v) = group_sentinels.get(one)
                            && let Some(o) = self.occurrence(*one, v, &a, &b, (ra, rb.clone()))
                        {
                            if !matches!(v, Value::Text(_)) {
                                places.push(Occurrence {
                                    range: rb,
                                    ..o.clone()
                                });
                            }
                            occurrences.push(o);
                        }
                    }
                    many => {
                        singly.extend_from_slice(many);
                        conflicts.push(many.to_vec());
                    }
                }
            }
            done.extend(group.iter().copied());
            if g == 0 {
                all_values = Some(values.clone());
            }
            bs.push((b, places));
        }
        singly.sort_unstable();
        singly.dedup();
        let numeric: Vec<usize> = sentinels
            .keys()
            .copied()
            .filter(|i| {
                self.slots.get(*i).is_some_and(|s| {
                    matches!(
                        s.ty,
                        FieldType::Integer | FieldType::Shares | FieldType::Money
                    )
                })
            })
            .collect();
        let mut batched = self.batches(reference, &a, &sentinels, &singly, &conflicts, &alone);
        // The others one render each, several at a time.
        let alone_fields: Vec<usize> = singly
            .iter()
            .copied()
            .filter(|i| !batched.contains_key(i))
            .collect();
        let learnt = par_map(&alone_fields, |&i| {
            let mut found: Vec<Occurrence> = Vec::new();
            let (Some(slot), Some(v)) = (self.slots.get(i), sentinels.get(&i)) else {
                return found;
            };
            let mut v = v.clone();
            let mut values = reference.clone();
            set(&mut values, &slot.path, Some(v.clone()));
            let mut rendered = self.render(&values);
            // A number the template checks against another: changed together with it.
            if rendered.is_err() && numeric.contains(&i) {
                for &j in &numeric {
                    if j == i {
                        return found;
                    }
                    let (Some(other), Some(w)) = (self.slots.get(j), sentinels.get(&j)) else {
                        return found;
                    };
                    let mut both = values.clone();
                    set(&mut both, &other.path, Some(w.clone()));
                    if let Ok(text) = self.render(&both) {
                        rendered = Ok(text);
                        break;
                    }
                }
            }
            // Else a smaller change (a day, a unit) that keeps the template's checks.
            if rendered.is_err() {
                for nudged in nudges(get(reference, &slot.path)) {
                    let mut values = reference.clone();
                    set(&mut values, &slot.path, Some(nudged.clone()));
                    if let Ok(text) = self.render(&values) {
                        rendered = Ok(text);
                        v = nudged;
                        break;
                    }
                }
            }
            let text = match rendered {
                Ok(text) => text,
                Err(e) => {
                    if std::env::var_os("ENGROSS_EXTRACT_DEBUG").is_some() {
                        eprintln!("{}: no render: {e}", slot.name);
                    }
                    return found;
                }
            };
            let b = tokens(&text, false, self.words);
            let one: BTreeMap<usize, Value> = [(i, v.clone())].into_iter().collect();
            if std::env::var_os("ENGROSS_EXTRACT_DEBUG").is_some() {
                for (ra, rb) in merged(hunks(&diff(&a_keys, &hashed(&b))), 3) {
                    eprintln!(
                        "singly {} {:?}: {:?} -> {:?}",
                        slot.name,
                        v,
                        join(a.get(ra).unwrap_or_default()),
                        join(b.get(rb).unwrap_or_default())
                    );
                }
            }
            for (ra, rb) in merged(hunks(&diff(&a_keys, &hashed(&b))), 3) {
                let b_hunk = join(b.get(rb.clone()).unwrap_or_default());
                if self.sentinels_in(&b_hunk, &one).is_empty() {
                    return found;
                }
                if let Some(o) = self.occurrence(i, &v, &a, &b, (ra, rb)) {
                    found.push(o);
                }
            }
            found
        });
        let mut learnt: BTreeMap<usize, Vec<Occurrence>> =
            alone_fields.into_iter().zip(learnt).collect();
        for i in singly {
            occurrences.retain(|o| o.slot != i);
            if let Some(found) = batched.remove(&i).or_else(|| learnt.remove(&i)) {
                occurrences.extend(found);
            }
        }
        let mut alternatives = Vec::new();
        let mut unseen = Vec::new();
        let mut b_present = BTreeMap::new();
        // Every value of every enum, boolean and optional table but the reference's.
        let mut jobs: Vec<(usize, Option<Value>)> = Vec::new();
        let mut slots_seen = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            if !structural(slot.ty) {
                continue;
            }
            let current = get(reference, &slot.path);
            let non_empty = |v: Option<&Value>| matches!(v, Some(Value::Table(e)) if !e.is_empty());
            if matches!(slot.ty, FieldType::Table | FieldType::Party)
                && !non_empty(current)
                && let (Some(base), Some(example)) = (&all_values, &slot.example)
                && non_empty(get(base, &slot.path))
            {
                b_present.insert(i, example.clone());
            }
            let mut candidates: Vec<Option<Value>> = match slot.ty {
                FieldType::Bool => vec![Some(Value::Bool(true)), Some(Value::Bool(false))],
                FieldType::Table | FieldType::Party => vec![slot.example.clone()],
                _ => slot
                    .values
                    .iter()
                    .map(|v| Some(Value::Text(v.clone())))
                    .collect(),
            };
            if slot.optional {
                candidates.push(None);
            }
            jobs.extend(
                candidates
                    .into_iter()
                    .filter(|c| c.as_ref() != current)
                    .map(|c| (i, c)),
            );
            slots_seen.push(i);
        }
        let b0_keys: Option<Vec<Key>> = bs.first().map(|(b0, _)| hashed(b0));
        // Each value rendered and compared on its own, several at a time.
        let weighed = par_map(&jobs, |(i, c)| {
            let slot = self.slots.get(*i)?;
            // Against the sentinel render when there is one, so that the reference's
            // values (which are not the input's) weigh for no alternative.
            let mut on_b = false;
            let mut rendered = None;
            if let Some(base) = &all_values {
                let mut values = base.clone();
                set(&mut values, &slot.path, c.clone());
                if let Ok(text) = self.render(&values) {
                    rendered = Some(text);
                    on_b = true;
                }
            }
            if rendered.is_none() {
                let mut values = reference.clone();
                set(&mut values, &slot.path, c.clone());
                rendered = self.render(&values).ok();
            }
            let text = rendered?;
            let base_keys = match (on_b, &b0_keys) {
                (true, Some(b0)) => b0,
                _ => &a_keys,
            };
            let b = tokens(&text, false, self.words);
            let found: Vec<(Range<usize>, Vec<Arc<str>>)> =
                merged(hunks(&diff(base_keys, &hashed(&b))), 3)
                    .into_iter()
                    .map(|(ra, rb)| {
                        let words = b
                            .get(rb)
                            .unwrap_or_default()
                            .iter()
                            .map(|t| t.key.clone())
                            .collect();
                        (ra, words)
                    })
                    .collect();
            (!found.is_empty()).then(|| Alternative {
                slot: *i,
                value: c.clone(),
                hunks: found,
                on_b,
            })
        });
        alternatives.extend(weighed.into_iter().flatten());
        for i in slots_seen {
            if !alternatives.iter().any(|alt| alt.slot == i) {
                unseen.push(i);
            }
        }
        Ok(Skeleton {
            a,
            b0: all_values.is_some(),
            bs,
            occurrences,
            alternatives,
            unseen,
            b_present,
        })
    }
}

/// `f` of every item, in the items' order, worked out on up to four threads (the caller's
/// and helpers; a helper that cannot start, or fails, leaves its items to the caller).
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let helpers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(4)
        .min(items.len())
        .saturating_sub(1);
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let work = || {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(k) else { break };
            let r = f(item);
            done.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((k, r));
        }
    };
    std::thread::scope(|scope| {
        let started: Vec<_> = (0..helpers)
            .filter_map(|_| {
                crate::threads::spawn_scoped(std::thread::Builder::new(), scope, work).ok()
            })
            .collect();
        work();
        // Joined here, a helper's failure is not the scope's.
        for helper in started {
            let _ = helper.join();
        }
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_by_key(|(k, _)| *k);
    // An item a failed helper took and did not finish: worked out here.
    let mut out = Vec::with_capacity(items.len());
    let mut results = done.into_iter().peekable();
    for (k, item) in items.iter().enumerate() {
        match results.next_if(|(j, _)| *j == k) {
            Some((_, r)) => out.push(r),
            None => out.push(f(item)),
        }
    }
    out
}

/// The words before and after a number's figure (and its words, "seventy-five (75)") in a
/// text.
fn around_figure(text: &str, value: &Value) -> Option<(String, String)> {
    let d = value.as_decimal()?;
    let grouped = crate::template::legal::format_number(d, None);
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words.iter().position(|w| {
        let digits: String = w
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .collect();
        let digits = digits.trim_end_matches(['.', ',']);
        digits == grouped || digits == d.to_string()
    })?;
    let mut start = at;
    while start > 0
        && words.get(start.saturating_sub(1)).is_some_and(|w| {
            read::words(w).is_some()
                || key_of(w) == "hundred"
                || key_of(w) == "thousand"
                || key_of(w) == "million"
        })
    {
        start = start.saturating_sub(1);
    }
    Some((
        words.get(..start)?.join(" "),
        words.get(at.saturating_add(1)..)?.join(" "),
    ))
}

/// Smaller changes to a value, for a field whose sentinel the template's checks refuse: a day
/// either way, a unit either way.
fn nudges(value: Option<&Value>) -> Vec<Value> {
    match value {
        Some(Value::Date(d)) => [1i64, -1, 2]
            .iter()
            .filter_map(|n| d.checked_add(jiff::Span::new().days(*n)).ok())
            .map(Value::Date)
            .collect(),
        Some(Value::Integer(n)) => [1i64, -1]
            .iter()
            .map(|k| Value::Integer(n.saturating_add(*k)))
            .filter(|v| !matches!(v, Value::Integer(x) if *x < 0))
            .collect(),
        Some(Value::Decimal(d)) => [Decimal::ONE, Decimal::NEGATIVE_ONE]
            .iter()
            .filter_map(|k| d.checked_add(*k))
            .filter(|x| !x.is_sign_negative())
            .map(Value::Decimal)
            .collect(),
        _ => Vec::new(),
    }
}

fn contains_number(haystack: &str, number: &str) -> bool {
    haystack.match_indices(number).any(|(i, _)| {
        let before = haystack.get(..i).and_then(|s| s.chars().next_back());
        let after = haystack
            .get(i.saturating_add(number.len())..)
            .and_then(|s| s.chars().next());
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// The literal text around a field printed as `a` in one render and `b` in the other: their
/// common prefix and suffix, cut back so that neither holds a letter or digit of the value.
fn affixes(a: &str, b: &str) -> (String, String) {
    let pre = a
        .char_indices()
        .zip(b.chars())
        .take_while(|((_, x), y)| x == y)
        .last()
        .map_or(0, |((i, c), _)| i.saturating_add(c.len_utf8()));
    let mut prefix = a.get(..pre).unwrap_or("").to_string();
    while prefix
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
        || prefix.chars().any(|c| c.is_ascii_digit())
    {
        prefix.pop();
    }
    let max_suffix = a
        .len()
        .saturating_sub(prefix.len())
        .min(b.len().saturating_sub(prefix.len()));
    let suf = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum::<usize>()
        .min(max_suffix);
    let mut suffix = a
        .get(a.len().saturating_sub(suf)..)
        .unwrap_or("")
        .to_string();
    while suffix.chars().next().is_some_and(char::is_alphanumeric)
        || suffix.chars().any(|c| c.is_ascii_digit())
    {
        suffix.remove(0);
    }
    (prefix, suffix)
}

/// Whether two values are the same (decimals by value, text ignoring case).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => x.to_lowercase() == y.to_lowercase(),
        _ => match (a.as_decimal(), b.as_decimal()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// The input's words aligned with a render's.
fn align<'t>(form: &[Tok], input: &'t [Tok]) -> Aligned<'t> {
    let mut map = vec![None; form.len()];
    for op in diff(&hashed(form), &hashed(input)) {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                if let Some(m) = map.get_mut(old_index.saturating_add(k)) {
                    *m = Some(new_index.saturating_add(k));
                }
            }
        }
    }
    Aligned { input, map }
}

/// The input's words aligned with `A`'s.
struct Aligned<'t> {
    input: &'t [Tok],
    /// For each of `A`'s words, the input word it matched.
    map: Vec<Option<usize>>,
}

impl Aligned<'_> {
    /// The input's words at `A`'s range: between the nearest matched words outside it. Clean
    /// when the words just outside the range matched.
    fn gap(&self, range: &Range<usize>) -> (Range<usize>, bool) {
        let (_, gap, clean) = self.window(range);
        (gap, clean)
    }

    /// The form's words between the nearest matched words around `range`, the input's words
    /// between their matches, and whether the words just outside `range` matched.
    fn window(&self, range: &Range<usize>) -> (Range<usize>, Range<usize>, bool) {
        let mut lo = range.start;
        let mut start = 0;
        let mut form_start = 0;
        while lo > 0 {
            lo = lo.saturating_sub(1);
            if let Some(Some(i)) = self.map.get(lo) {
                start = i.saturating_add(1);
                form_start = lo.saturating_add(1);
                break;
            }
        }
        let clean_start = range.start == 0
            || self
                .map
                .get(range.start.saturating_sub(1))
                .is_some_and(Option::is_some);
        let mut hi = range.end;
        let mut end = self.input.len();
        while hi < self.map.len() {
            if let Some(Some(i)) = self.map.get(hi) {
                end = *i;
                break;
            }
            hi = hi.saturating_add(1);
        }
        let clean_end =
            range.end >= self.map.len() || self.map.get(range.end).is_some_and(Option::is_some);
        (
            form_start..hi.max(form_start),
            start..end.max(start),
            clean_start && clean_end,
        )
    }
}

/// Several fields between the same two matched words (a signatory's name and title, an
/// address's lines): the input's words there split among them. A dynamic programme over the
/// form's words (literal words match one input word, cheaply when equal; a field takes any
/// number, best near its expected length, ending where the form ends a line, and ending with
/// the form's punctuation after it). Returns each field word's input range.
fn split_window(
    form: &[Tok],
    window: Range<usize>,
    fields: &BTreeMap<usize, (usize, String)>,
    input: &[Tok],
    gap: Range<usize>,
) -> BTreeMap<usize, Range<usize>> {
    let f: Vec<(usize, &Tok)> = window
        .clone()
        .filter_map(|i| form.get(i).map(|t| (i, t)))
        .collect();
    let g: Vec<&Tok> = gap.clone().filter_map(|j| input.get(j)).collect();
    let (n, m) = (f.len(), g.len());
    if n == 0 || n > 60 || m > 120 {
        return BTreeMap::new();
    }
    const INF: u32 = u32::MAX / 4;
    let idx = |i: usize, j: usize| i.saturating_mul(m.saturating_add(1)).saturating_add(j);
    let size = n.saturating_add(1).saturating_mul(m.saturating_add(1));
    let mut cost = vec![INF; size];
    let mut back: Vec<(usize, usize)> = vec![(0, 0); size];
    if let Some(c) = cost.get_mut(0) {
        *c = 0;
    }
    let form_breaks_after = |i: usize| -> bool {
        match (f.get(i), f.get(i.saturating_add(1))) {
            (Some((_, a)), Some((_, b))) => a.line != b.line,
            _ => true,
        }
    };
    for i in 0..=n {
        for j in 0..=m {
            let here = cost.get(idx(i, j)).copied().unwrap_or(INF);
            if here >= INF {
                continue;
            }
            let relax = |ni: usize,
                         nj: usize,
                         c: u32,
                         cost: &mut Vec<u32>,
                         back: &mut Vec<(usize, usize)>| {
                let k = idx(ni, nj);
                if let Some(slot) = cost.get_mut(k)
                    && here.saturating_add(c) < *slot
                {
                    *slot = here.saturating_add(c);
                    if let Some(b) = back.get_mut(k) {
                        *b = (i, j);
                    }
                }
            };
            // An input word the form does not have.
            if j < m {
                relax(i, j.saturating_add(1), 4, &mut cost, &mut back);
            }
            let Some((fi, ft)) = f.get(i) else { continue };
            match fields.get(fi) {
                None => {
                    relax(i.saturating_add(1), j, 4, &mut cost, &mut back);
                    if let Some(gt) = g.get(j) {
                        let c = if gt.key == ft.key { 0 } else { 5 };
                        relax(
                            i.saturating_add(1),
                            j.saturating_add(1),
                            c,
                            &mut cost,
                            &mut back,
                        );
                    }
                }
                Some((expected, suffix)) => {
                    relax(i.saturating_add(1), j, 6, &mut cost, &mut back);
                    for len in 1..=m.saturating_sub(j).min(16) {
                        let end = j.saturating_add(len);
                        let diff = u32::try_from(len.abs_diff(*expected)).unwrap_or(INF);
                        let mut c = diff;
                        let last = g.get(end.saturating_sub(1));
                        let next = g.get(end);
                        let input_breaks = match (last, next) {
                            (Some(a), Some(b)) => a.line != b.line,
                            _ => true,
                        };
                        if form_breaks_after(i) != input_breaks {
                            c = c.saturating_add(3);
                        }
                        // Line breaks inside a field the form prints on one line.
                        let inner = g
                            .get(j..end)
                            .unwrap_or_default()
                            .windows(2)
                            .filter(|w| matches!(w, [a, b] if a.line != b.line))
                            .count();
                        c = c.saturating_add(u32::try_from(inner).unwrap_or(INF).saturating_mul(3));
                        if !suffix.is_empty()
                            && !last
                                .is_some_and(|t| normalise(&t.raw).ends_with(&normalise(suffix)))
                        {
                            c = c.saturating_add(4);
                        }
                        relax(i.saturating_add(1), end, c, &mut cost, &mut back);
                    }
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let Some(&(pi, pj)) = back.get(idx(i, j)) else {
            break;
        };
        if (pi, pj) == (i, j) {
            break;
        }
        if pi < i
            && let Some((fi, _)) = f.get(pi)
            && fields.contains_key(fi)
        {
            out.insert(
                *fi,
                gap.start.saturating_add(pj)..gap.start.saturating_add(j),
            );
        }
        i = pi;
        j = pj;
    }
    out
}

fn strip_affix(text: &str, prefix: &str, suffix: &str) -> String {
    let mut t = text.to_string();
    let (np, ns) = (normalise(prefix), normalise(suffix));
    // The punctuation the text opens with.
    let lead: String = normalise(&t)
        .chars()
        .take_while(|c| !c.is_alphanumeric() && !c.is_whitespace())
        .collect();
    if !np.is_empty() && normalise(&t).starts_with(&np) {
        t = t.chars().skip(np.chars().count()).collect();
    } else if np.chars().count() >= 2
        && !np.chars().any(char::is_alphanumeric)
        && let Some(at) = normalise(&t).find(np.trim_start())
    {
        // Punctuation before the value ("($"), with other words before it.
        let skip = normalise(&t)
            .get(..at)
            .map_or(0, |s| s.chars().count())
            .saturating_add(np.trim_start().chars().count());
        t = t.chars().skip(skip).collect();
    } else if !np.is_empty()
        && !np.chars().any(char::is_alphanumeric)
        && lead.ends_with(np.trim_start())
    {
        // Punctuation before the value that ends as the form's does ("(\"" where the form
        // has "\""): an opening the copy adds.
        t = t.chars().skip(lead.chars().count()).collect();
    } else if let Some(cut) = after_tail(&t, &np) {
        t = cut;
    }
    if !ns.is_empty() && normalise(&t).ends_with(&ns) {
        let keep = t.chars().count().saturating_sub(ns.chars().count());
        t = t.chars().take(keep).collect();
    } else if let Some(cut) = before_glued(&t, &ns) {
        t = cut;
    } else if let Some(cut) = before_head(&t, &ns) {
        t = cut;
    }
    t.trim().to_string()
}

/// A field printed glued to the word before it (`Note")` then the field, where the field
/// before ends in "Note"): the prefix is one word, another field's letters then the form's
/// punctuation. The text after the first place that punctuation is found.
fn after_glued(text: &str, prefix: &str) -> Option<String> {
    if prefix.chars().any(char::is_whitespace) {
        return None;
    }
    let tail: Vec<char> = prefix
        .chars()
        .rev()
        .take_while(|c| !c.is_alphanumeric())
        .collect();
    let punct: String = normalise(&tail.into_iter().rev().collect::<String>());
    if punct.is_empty() || punct.len() == prefix.len() {
        return None;
    }
    let normal = normalise(text);
    let at = normal.find(&punct)?;
    let skip = normal
        .get(..at)?
        .chars()
        .count()
        .saturating_add(punct.chars().count());
    Some(text.chars().skip(skip).collect())
}

/// A field printed glued to the word after it (the field then `"Term`, where the form's next
/// field starts with "Term"): the text before the first place the suffix's punctuation is
/// found.
fn before_glued(text: &str, suffix: &str) -> Option<String> {
    if suffix.chars().any(char::is_whitespace) {
        return None;
    }
    let punct: String = suffix
        .chars()
        .take_while(|c| !c.is_alphanumeric())
        .collect();
    if punct.is_empty() || punct.len() == suffix.len() {
        return None;
    }
    let normal = normalise(text);
    let at = normal.find(&punct)?;
    let keep = normal.get(..at)?.chars().count();
    Some(text.chars().take(keep).collect())
}

/// The text after the longest run of the prefix's last words found in it (an affix that is a
/// whole conditional sentence, worded a little differently in the input).
fn after_tail(text: &str, prefix: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words.iter().map(|w| key_of(w)).collect();
    let tail: Vec<String> = prefix.split_whitespace().map(key_of).collect();
    for take in (1..=tail.len().min(6)).rev() {
        let want = tail.get(tail.len().saturating_sub(take)..)?;
        if take == 1 && want.first().is_some_and(|w| w.len() < 3) {
            continue;
        }
        if let Some(at) = keys.windows(take).position(|w| w == want) {
            let rest = words.get(at.saturating_add(take)..)?;
            return Some(rest.join(" "));
        }
    }
    None
}

/// The text before the longest run of the suffix's first words found in it.
fn before_head(text: &str, suffix: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words.iter().map(|w| key_of(w)).collect();
    let head: Vec<String> = suffix.split_whitespace().map(key_of).collect();
    for take in (1..=head.len().min(6)).rev() {
        let want = head.get(..take)?;
        if take == 1 && want.first().is_some_and(|w| w.len() < 3) {
            continue;
        }
        if let Some(at) = keys.windows(take).rposition(|w| w == want) {
            return Some(words.get(..at)?.join(" "));
        }
    }
    None
}

/// One pass: what the input shows for every slot, given what was learnt from a reference.
struct Pass {
    values: BTreeMap<usize, (Value, usize, Vec<String>)>,
    /// The readings that disagreed with each value, each with its line (as `values` shows
    /// them): what [`settle`] tries.
    others: BTreeMap<usize, Vec<(Value, usize)>>,
    /// Readings of fields the reference left out, split among neighbours: not results, but
    /// where the next pass starts.
    tentative: BTreeMap<usize, Value>,
    /// Slots read only where the form prints them in capitals.
    capitals: std::collections::BTreeSet<usize>,
    absent: Vec<usize>,
    missing: BTreeMap<usize, String>,
}

/// `first`: the reference is the built-in one, not values read from this input.
fn read_pass(
    form: &Form<'_>,
    skeleton: &Skeleton,
    reference: &Value,
    input: &[Tok],
    first: bool,
) -> Pass {
    let a_keys = keys(&skeleton.a);
    let in_keys = keys(input);
    let aligned = align(&skeleton.a, input);

    // Readings per slot: value, weight, line.
    let mut readings: BTreeMap<usize, Vec<(Option<Value>, u32, usize)>> = BTreeMap::new();
    let mut as_written: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
    let mut reasons: BTreeMap<usize, String> = BTreeMap::new();
    let mut tentative: BTreeMap<usize, Value> = BTreeMap::new();
    // Every place with the input's words there: `A`'s places, then each sentinel render's.
    // Each place's words in the input and how sure their bounds are: 8 between matched
    // words, 3 split among fields sharing a window, 2 otherwise.
    // With each, the form's words it was learnt on and that form's places of fields.
    type Place<'s> = (
        &'s Occurrence,
        Range<usize>,
        u32,
        &'s [Tok],
        &'s [Occurrence],
    );
    let mut places: Vec<Place<'_>> = skeleton
        .occurrences
        .iter()
        .map(|o| {
            let (r, clean) = aligned.gap(&o.range);
            (
                o,
                r,
                if clean { 8 } else { 2 },
                skeleton.a.as_slice(),
                skeleton.occurrences.as_slice(),
            )
        })
        .collect();
    for (b, b_places) in &skeleton.bs {
        let aligned_b = align(b, input);
        // Places that share a window with others are split among them.
        let mut windows: BTreeMap<(usize, usize), BTreeMap<usize, (usize, String)>> =
            BTreeMap::new();
        for o in b_places {
            let (w, _, clean) = aligned_b.window(&o.range);
            if clean {
                continue;
            }
            let expected = form
                .slots
                .get(o.slot)
                .and_then(|s| {
                    s.example_words.or_else(|| {
                        get(reference, &s.path).map(|v| v.plain().split_whitespace().count())
                    })
                })
                .map_or(2, |n| n.clamp(1, 4));
            windows
                .entry((w.start, w.end))
                .or_default()
                .insert(o.range.start, (expected, o.suffix.clone()));
        }
        let mut split: BTreeMap<usize, Range<usize>> = BTreeMap::new();
        for ((ws, we), fields) in &windows {
            if fields.len() < 2 {
                continue;
            }
            let Some(first) = fields.keys().next() else {
                continue;
            };
            let (_, gap, _) = aligned_b.window(&(*first..first.saturating_add(1)));
            split.extend(split_window(b, *ws..*we, fields, input, gap));
        }
        for o in b_places {
            let (r, clean) = match split.get(&o.range.start) {
                Some(r) => (r.clone(), 3),
                None => {
                    let (r, clean) = aligned_b.gap(&o.range);
                    (r, if clean { 8 } else { 2 })
                }
            };
            places.push((o, r, clean, b.as_slice(), b_places.as_slice()));
        }
    }
    for (o, range, sureness, form_toks, form_places) in places {
        let clean = sureness >= 8;
        let via_b = !std::ptr::eq(form_toks, skeleton.a.as_slice());
        let Some(slot) = form.slots.get(o.slot) else {
            continue;
        };
        let present = get(reference, &slot.path).is_some();
        // A field the reference leaves out is read from a sentinel render only between
        // matched words: split among neighbours, its words are too often theirs.
        if via_b && !present && sureness < 8 {
            let words = input.get(range.clone()).unwrap_or_default();
            let text = strip_affix(&join(words), &o.prefix, &o.suffix);
            if !blank(&text)
                && !form_wording(form_toks, form_places, o, &text)
                && let Ok(v) = read::value(slot.ty, &text)
            {
                tentative.entry(o.slot).or_insert(v);
            }
            continue;
        }
        let words = input.get(range.clone()).unwrap_or_default();
        let line = words.first().map_or(0, |t| t.line);
        let text = join(words);
        if !present && key_text(&text) == key_text(&o.a_text) {
            // The form's wording without the field: it is left out.
            readings.entry(o.slot).or_default().push((None, 8, line));
            continue;
        }
        let mut value_text = match after_glued(&text, &o.prefix) {
            // Punctuation printed glued to the word before it.
            Some(rest) if slot.punctuation => strip_affix(&rest, "", &o.suffix),
            _ => strip_affix(&text, &o.prefix, &o.suffix),
        };
        // A number after other figures in its place (a total before its parts): the figure
        // in the same position.
        let before = read::figures(&o.prefix).len();
        if !matches!(slot.ty, FieldType::Text | FieldType::Enum)
            && before > 0
            && !normalise(&text).starts_with(&normalise(&o.prefix))
            && let Some(rest) = read::after_figures(&text, before)
        {
            value_text = rest.trim().to_string();
        }
        if std::env::var_os("ENGROSS_EXTRACT_DEBUG").is_some() {
            eprintln!(
                "{} b={via_b} a={:?} pre={:?} suf={:?} clean={clean} text={:?} -> {:?}",
                slot.name, o.a_text, o.prefix, o.suffix, text, value_text
            );
        }
        let weight = match o.case {
            Case::AsWritten => sureness,
            Case::Upper => (sureness / 4).max(1),
        };
        // Punctuation is a value of a field whose values are punctuation.
        let punctuation_value = slot.punctuation && !value_text.contains('_');
        if blank(&value_text) && !punctuation_value {
            // A blank the executed copy left unfilled.
            readings.entry(o.slot).or_default().push((None, 1, line));
            continue;
        }
        if text.is_empty() && clean && slot.optional && first {
            // Nothing at all between the matched words around it: an optional field the text
            // leaves out (the form prints nothing without it). Only against the built-in
            // reference: once the reference holds values read from this input, a neighbour's
            // value read too long can have taken the field's words.
            readings
                .entry(o.slot)
                .or_default()
                .push((None, sureness, line));
            continue;
        }
        if value_text.is_empty() {
            reasons
                .entry(o.slot)
                .or_insert_with(|| "the input has no words where the form prints it".to_string());
            continue;
        }
        // A reading from words that did not align around it, longer than the form's own words
        // for the field by far, is another passage, not the field. A sentinel stands for one
        // word; split among the fields of a window, a field's words are bounded by the form's
        // words around it, and it takes as many as a value of it usually has.
        let expected_words = match (via_b, sureness) {
            (true, 3) => slot
                .example_words
                .or_else(|| {
                    get(reference, &slot.path).map(|v| v.plain().split_whitespace().count())
                })
                .unwrap_or(1)
                .max(1),
            (true, _) => 1,
            (false, _) => o.a_text.split_whitespace().count(),
        };
        if !clean
            && value_text.split_whitespace().count()
                > expected_words.saturating_mul(2).saturating_add(4)
        {
            reasons.entry(o.slot).or_insert_with(|| {
                format!(
                    "the words at its place (\"{}\") do not line up with the form",
                    read::short(&value_text)
                )
            });
            continue;
        }
        if slot.ty == FieldType::Text && form_wording(form_toks, form_places, o, &value_text) {
            reasons.entry(o.slot).or_insert_with(|| {
                format!(
                    "the words at its place (\"{}\") are the form's own",
                    read::short(&value_text)
                )
            });
            continue;
        }
        let parsed = read::value(slot.ty, &value_text).or_else(|e| {
            if slot.ty == FieldType::Text {
                Err(e)
            } else {
                read::value(slot.ty, &text)
            }
        });
        match parsed {
            Ok(v) => {
                let v = match (&v, slot.ty) {
                    (Value::Decimal(d), FieldType::Shares | FieldType::Integer) => {
                        Value::Integer(i64::try_from(d.trunc().mantissa()).unwrap_or(0))
                    }
                    _ => v,
                };
                if o.case == Case::AsWritten {
                    as_written.entry(o.slot).or_default().push(v.clone());
                }
                readings
                    .entry(o.slot)
                    .or_default()
                    .push((Some(v), weight, line));
            }
            Err(why) => {
                reasons.entry(o.slot).or_insert(why);
            }
        }
    }
    let mut values = BTreeMap::new();
    let mut others: BTreeMap<usize, Vec<(Value, usize)>> = BTreeMap::new();
    let mut absent = Vec::new();
    let mut missing = BTreeMap::new();
    let mut capitals = std::collections::BTreeSet::new();
    for (i, slot) in form.slots.iter().enumerate() {
        if structural(slot.ty) || slot.ty == FieldType::List {
            continue;
        }
        let Some(list) = readings.get(&i) else {
            let why = reasons.remove(&i).unwrap_or_else(|| {
                if skeleton.occurrences.iter().any(|o| o.slot == i) {
                    "no reading".to_string()
                } else {
                    "the form does not print it where it can be read back".to_string()
                }
            });
            missing.insert(i, why);
            continue;
        };
        // Votes: a value and every reading the same ignoring case (upper-case headings).
        let mut best: Option<(Value, u32, usize)> = None;
        for (v, _, line) in list.iter() {
            let Some(v) = v else { continue };
            let weight: u32 = list
                .iter()
                .filter(|(w, _, _)| w.as_ref().is_some_and(|w| same(w, v)))
                .map(|(_, k, _)| *k)
                .sum::<u32>()
                .saturating_add(
                    if list
                        .iter()
                        .any(|(w, k, _)| w.as_ref() == Some(v) && *k >= 3)
                    {
                        1
                    } else {
                        0
                    },
                );
            if best.as_ref().is_none_or(|(_, b, _)| weight > *b) {
                best = Some((v.clone(), weight, *line));
            }
        }
        // The form's own wording where the field would be outweighs (or ties) readings of it.
        let left_out: u32 = list
            .iter()
            .filter(|(w, _, _)| w.is_none())
            .map(|(_, k, _)| *k)
            .sum();
        if best.as_ref().is_some_and(|(_, b, _)| left_out >= *b) {
            best = None;
        }
        match best {
            Some((v, _, line)) => {
                // Printed as written somewhere: take that spelling, not a heading's capitals.
                let written = as_written
                    .get(&i)
                    .and_then(|vs| vs.iter().find(|w| same(w, &v)))
                    .cloned();
                if written.is_none() && slot.ty == FieldType::Text {
                    capitals.insert(i);
                }
                let v = written.unwrap_or(v);
                let mut conflicts: Vec<String> = Vec::new();
                for (w, _, l) in list {
                    if let Some(w) = w
                        && !same(w, &v)
                    {
                        let shown = format!("{} at line {l}", w.display());
                        if !conflicts.contains(&shown) {
                            conflicts.push(shown);
                        }
                        let alts = others.entry(i).or_default();
                        if !alts.iter().any(|(a, _)| a == w) {
                            alts.push((w.clone(), *l));
                        }
                    }
                }
                values.insert(i, (v, line, conflicts));
            }
            None => absent.push(i),
        }
    }
    // Enums and booleans: the value whose rendering the input resembles most.
    // Per slot: each alternative's value, margin, line and whether it was weighed on `B`.
    type Weighed = (Option<Value>, i64, usize, bool);
    let mut margins: BTreeMap<usize, Vec<Weighed>> = BTreeMap::new();
    let b0 = skeleton.bs.first().filter(|_| skeleton.b0);
    let aligned_b0 = b0.map(|(b, _)| align(b, input));
    let b0_keys: Vec<&str> = b0.map(|(b, _)| keys(b)).unwrap_or_default();
    for alt in &skeleton.alternatives {
        let mut margin: i64 = 0;
        let mut line = 0;
        let (base, base_keys) = match (&aligned_b0, alt.on_b) {
            (Some(al), true) => (al, &b0_keys),
            _ => (&aligned, &a_keys),
        };
        for (range, words) in &alt.hunks {
            let (gap, _) = base.gap(range);
            let seen: Vec<&str> = in_keys.get(gap.clone()).unwrap_or_default().to_vec();
            // A sentinel stands for a value the input has in its own words: it matches any one
            // input word the literal words leave over.
            let is_sentinel = |k: &&str| k.contains("zq") && decode_sentinel_in(k).is_some();
            let ours: Vec<&str> = base_keys.get(range.clone()).unwrap_or_default().to_vec();
            let theirs: Vec<&str> = words.iter().map(|w| &**w).collect();
            let distance = |x: &[&str]| -> i64 {
                let literal: Vec<&str> = x.iter().copied().filter(|k| !is_sentinel(k)).collect();
                let sentinels = x.len().saturating_sub(literal.len());
                let c = common(&seen, &literal);
                let wild = sentinels.min(seen.len().saturating_sub(c));
                let matched = i64::try_from(c.saturating_add(wild)).unwrap_or(0);
                i64::try_from(x.len())
                    .unwrap_or(0)
                    .saturating_sub(matched.saturating_mul(2))
            };
            let m = distance(&ours).saturating_sub(distance(&theirs));
            if std::env::var_os("ENGROSS_EXTRACT_DEBUG_ALT").is_some() {
                eprintln!(
                    "  hunk {range:?} seen {} ours {} theirs {} -> {m}",
                    seen.len(),
                    ours.len(),
                    theirs.len()
                );
            }
            margin = margin.saturating_add(m);
            if line == 0 {
                line = input.get(gap.start).map_or(0, |t| t.line);
            }
        }
        if std::env::var_os("ENGROSS_EXTRACT_DEBUG").is_some() {
            eprintln!(
                "alt {:?} = {:?}: margin {margin} over {} hunks",
                form.slots.get(alt.slot).map(|s| &s.name),
                alt.value,
                alt.hunks.len()
            );
        }
        margins
            .entry(alt.slot)
            .or_default()
            .push((alt.value.clone(), margin, line, alt.on_b));
    }
    for (i, slot) in form.slots.iter().enumerate() {
        if !structural(slot.ty) {
            continue;
        }
        if skeleton.unseen.contains(&i) {
            missing.insert(i, "none of its values changes the text of the form".into());
            continue;
        }
        let list = margins.remove(&i).unwrap_or_default();
        // What the alternatives were weighed against: the reference's value, or, for a table
        // the sentinel render has though the reference leaves it out, the table present (its
        // schema examples stand for its sentinels).
        let current = match skeleton.b_present.get(&i) {
            Some(example) if !list.is_empty() && list.iter().all(|(_, _, _, on_b)| *on_b) => {
                Some(example.clone())
            }
            _ => get(reference, &slot.path).cloned(),
        };
        let best = list.iter().max_by_key(|(_, m, _, _)| *m);
        // Every other value makes the text less like the input than the current one.
        let others_worse = list
            .iter()
            .filter(|(v, _, _, _)| *v != current)
            .all(|(_, m, _, _)| *m < 0);
        let (value, line) = match best {
            Some((v, m, line, _)) if *m > 0 => (v.clone(), *line),
            Some((_, m, line, _)) if *m < 0 || others_worse => (current.clone(), *line),
            _ => {
                missing.insert(
                    i,
                    "the text resembles none of its values more than another".into(),
                );
                continue;
            }
        };
        match value {
            Some(v) => {
                values.insert(i, (v, line, Vec::new()));
            }
            None => absent.push(i),
        }
    }
    // Not where the form's own wording shows the field left out, and not a part of a
    // neighbour's value (the words of a name split off as another field).
    let texts: Vec<String> = values
        .values()
        .filter_map(|(v, _, _)| match v {
            Value::Text(t) => Some(t.to_lowercase()),
            _ => None,
        })
        .collect();
    tentative.retain(|_, v| match v {
        Value::Text(t) => {
            let t = t.to_lowercase();
            !texts
                .iter()
                .any(|w| w.contains(&t) || t.contains(w.as_str()))
        }
        _ => true,
    });
    tentative.retain(|i, _| {
        !values.contains_key(i)
            && !readings
                .get(i)
                .is_some_and(|list| list.iter().any(|(v, _, _)| v.is_none()))
    });
    Pass {
        values,
        others,
        tentative,
        capitals,
        absent,
        missing,
    }
}

/// Whether a reading is a blank left unfilled: only rules and punctuation, or mostly
/// underscores with a word or two of the form's labels around them.
fn blank(text: &str) -> bool {
    let visible: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if visible.is_empty() {
        return false;
    }
    let rules = visible.iter().filter(|c| **c == '_').count();
    visible
        .iter()
        .all(|c| *c == '_' || c.is_ascii_punctuation())
        || (text.contains("___") && rules.saturating_mul(2) >= visible.len())
}

/// Whether every word of a reading (of four letters or more) is a word the form prints
/// near the field's place: a label of the form read as a value. The words other fields print
/// there (`places`: where the form's fields are) are values, not the form's own.
fn form_wording(form: &[Tok], places: &[Occurrence], at: &Occurrence, value: &str) -> bool {
    let words: Vec<String> = value
        .split_whitespace()
        .map(key_of)
        .filter(|k| k.chars().filter(|c| c.is_alphanumeric()).count() >= 4)
        .collect();
    if words.is_empty() {
        return false;
    }
    let range = &at.range;
    let field = |i: usize| {
        places
            .iter()
            .any(|p| p.slot != at.slot && p.range.contains(&i))
    };
    let lo = range.start.saturating_sub(15);
    let hi = range.end.saturating_add(15).min(form.len());
    let near: Vec<&str> = (lo..hi)
        .filter(|i| !range.contains(i) && !field(*i))
        .filter_map(|i| form.get(i))
        .map(|t| &*t.key)
        .collect();
    words.iter().all(|w| near.contains(&w.as_str()))
}

/// Whether an optional table's slot was decided left out (or empty).
fn table_left_out(pass: &Pass, i: usize) -> bool {
    match pass.values.get(&i) {
        None => true,
        Some((Value::Table(entries), _, _)) => entries.is_empty(),
        Some(_) => false,
    }
}

fn key_text(s: &str) -> String {
    s.split_whitespace()
        .map(key_of)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What one extraction's renders of the form have in common, kept for its other renders: the
/// texts of the Djot sources met (a value that prints like another gives the same source) and
/// the lines of every block met (most of a render's blocks are another's). Each is a pure
/// function of its key, compared exactly, so the texts are those rendering afresh gives.
#[derive(Default)]
struct Renders {
    texts: Mutex<FxMap<String, String>>,
    /// The lines of parts of sources ([`chunks`]), after a line with text (`[1]`) or not,
    /// with whether the line after them has text.
    chunks: Mutex<[ChunkLines; 2]>,
    blocks: Mutex<BlockLines>,
}

/// The lines of parts of sources, with whether the line after them has text.
type ChunkLines = FxMap<String, (Arc<[String]>, bool)>;

/// The lines of blocks by a hash of their words: each with its block and whether the line
/// before had text.
type BlockLines = FxMap<u64, Vec<(crate::document::Block, bool, Arc<[String]>)>>;

/// A hash of a block's words and structure (blocks with one hash are compared in full).
fn block_hash(b: &crate::document::Block, after_text: bool) -> u64 {
    use crate::document::{Block, Run};
    use std::hash::{Hash, Hasher};
    fn runs(rs: &[Run], h: &mut impl Hasher) {
        for r in rs {
            match r {
                Run::Text { text, .. } => text.hash(h),
                Run::Field { name, width } => (name, width).hash(h),
                Run::Signature { role, width, .. } => (role, width).hash(h),
                Run::Break => h.write_u8(1),
            }
        }
    }
    fn go(b: &Block, h: &mut impl Hasher) {
        std::mem::discriminant(b).hash(h);
        match b {
            Block::Heading { level, runs: r, .. } => {
                h.write_u8(*level);
                runs(r, h);
            }
            Block::Paragraph(p) => {
                h.write_u8(p.style.level);
                runs(&p.label, h);
                runs(&p.runs, h);
            }
            Block::Quote(inner) | Block::Group { blocks: inner, .. } => {
                inner.iter().for_each(|b| go(b, h));
            }
            Block::Signatures(cols) => {
                for c in cols {
                    h.write_u8(2);
                    c.iter().for_each(|b| go(b, h));
                }
            }
            Block::Table(rows) => {
                for row in rows {
                    h.write_u8(3);
                    row.cells.iter().for_each(|c| runs(c, h));
                }
            }
            Block::PageBreak | Block::Rule => {}
        }
    }
    let mut h = Fx::default();
    after_text.hash(&mut h);
    go(b, &mut h);
    h.finish()
}

impl Renders {
    /// The text of a Djot source, as `render::text` prints its document.
    fn text(&self, source: &str) -> String {
        if let Some(text) = lock(&self.texts).get(source) {
            return text.clone();
        }
        let text = match chunks(source) {
            Some(chunks) => {
                let mut after_text = false;
                let mut parts: Vec<Arc<[String]>> = Vec::with_capacity(chunks.len());
                for chunk in chunks {
                    let start = after_text;
                    if let Some((lines, end)) = lock(&self.chunks)
                        .get(usize::from(start))
                        .and_then(|known| known.get(chunk))
                    {
                        parts.push(Arc::clone(lines));
                        after_text = *end;
                        continue;
                    }
                    let document = crate::document::djot::parse(chunk);
                    let lines: Arc<[String]> = crate::render::text::lines_with(
                        &document.blocks,
                        &mut after_text,
                        &mut |b, after| self.block(b, after),
                    )
                    .iter()
                    .flat_map(|p| p.iter().cloned())
                    .collect();
                    if let Some(known) = lock(&self.chunks).get_mut(usize::from(start)) {
                        known.insert(chunk.to_string(), (Arc::clone(&lines), after_text));
                    }
                    parts.push(lines);
                }
                crate::render::text::join(
                    parts
                        .iter()
                        .flat_map(|p| p.iter().map(String::as_str))
                        .collect(),
                )
            }
            None => crate::render::text::render_with(
                &crate::document::djot::parse(source),
                &mut |b, after| self.block(b, after),
            ),
        };
        // Tests check every render against the text rendered afresh.
        debug_assert_eq!(
            text,
            crate::render::text::render(&crate::document::djot::parse(source))
        );
        lock(&self.texts).insert(source.to_string(), text.clone());
        text
    }

    /// The lines of a block at the top level, after a line with text or not.
    fn block(&self, b: &crate::document::Block, after_text: bool) -> Arc<[String]> {
        let hash = block_hash(b, after_text);
        if let Some(lines) = lock(&self.blocks)
            .get(&hash)
            .and_then(|bucket| {
                bucket
                    .iter()
                    .find(|(block, after, _)| *after == after_text && block == b)
            })
            .map(|(_, _, lines)| Arc::clone(lines))
        {
            return lines;
        }
        let lines: Arc<[String]> = crate::render::text::block_lines(b, after_text).into();
        let mut blocks = lock(&self.blocks);
        let bucket = blocks.entry(hash).or_default();
        if !bucket
            .iter()
            .any(|(block, after, _)| *after == after_text && block == b)
        {
            bucket.push((b.clone(), after_text, Arc::clone(&lines)));
        }
        lines
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A Djot source cut where one top-level block ends and the next begins, so that the parts
/// parse, one by one, into the blocks the whole does: at a blank line outside every div,
/// before a line that starts no list item, continues nothing (it is not indented) and has
/// no block attributes before it. `None` for a source with what reaches across blocks
/// (footnotes, reference definitions, code fences, indented fences, attributes on a heading,
/// which its section would take).
fn chunks(source: &str) -> Option<Vec<&str>> {
    let list_marker = |line: &str| {
        let mut words = line.split(' ');
        let first = words.next().unwrap_or("");
        matches!(first, "-" | "+" | "*" | ":" | "^")
            || first
                .strip_prefix('(')
                .unwrap_or(first)
                .strip_suffix(['.', ')'])
                .is_some_and(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric()))
    };
    let mut out = Vec::new();
    let mut fences: Vec<usize> = Vec::new();
    let mut start: usize = 0;
    let mut at: usize = 0;
    let mut blank_before = false;
    let mut last_text: &str = "";
    for line in source.split_inclusive('\n') {
        let text = line.trim_end();
        let trimmed = text.trim_start();
        if trimmed.starts_with("```")
            || trimmed.starts_with("~~~")
            || trimmed.starts_with("[^")
            || (trimmed.starts_with('[') && trimmed.contains("]:"))
            || (trimmed.starts_with(":::") && !text.starts_with(":::"))
            || (trimmed.starts_with('#') && last_text.starts_with('{'))
        {
            return None;
        }
        if trimmed.is_empty() {
            blank_before = true;
            at = at.saturating_add(line.len());
            continue;
        }
        if blank_before
            && fences.is_empty()
            && at > start
            && !text.starts_with(char::is_whitespace)
            && !list_marker(text)
            && !last_text.starts_with('{')
        {
            out.push(source.get(start..at)?);
            start = at;
        }
        blank_before = false;
        if let Some(rest) = text.strip_prefix(":::") {
            let more = rest.trim_start_matches(':');
            let colons = 3usize.saturating_add(rest.len().saturating_sub(more.len()));
            let class = more.trim();
            match fences.last() {
                Some(open) if class.is_empty() && colons >= *open => {
                    fences.pop();
                }
                _ => fences.push(colons),
            }
        }
        last_text = text;
        at = at.saturating_add(line.len());
    }
    out.push(source.get(start..)?);
    Some(out)
}

fn render_text(
    engine: &Engine,
    kind: &str,
    page: crate::data::PageSettings,
    values: &Value,
    renders: &Renders,
) -> Result<String> {
    // What the loader would add: defaults, empty optional tables, computed amounts.
    let mut values = values.clone();
    if let Some(k) = engine.templates().kind(kind) {
        crate::data::complete(&k.schema, &mut values);
    }
    let data = Data {
        origin: format!("<{kind} form>"),
        source: String::new(),
        template: kind.to_string(),
        values,
        page,
        warnings: Vec::new(),
    };
    let source = engine.templates().render(&data)?;
    Ok(renders.text(&source))
}

/// The paths of the lists a value holds (lists of tables and of scalars), outermost first.
fn list_paths(fields: &[Field], values: &Value, prefix: &[Seg], out: &mut Vec<Vec<Seg>>) {
    for f in fields {
        let mut path = prefix.to_vec();
        path.push(Seg::Key(f.key.clone()));
        match (
            f.ty,
            get(values, std::slice::from_ref(&Seg::Key(f.key.clone()))),
        ) {
            (FieldType::List, Some(Value::List(items))) if !items.is_empty() => {
                out.push(path.clone());
                for (i, item) in items.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(Seg::Index(i));
                    list_paths(&f.fields, item, &p, out);
                }
            }
            (FieldType::Party | FieldType::Table, Some(v)) => list_paths(&f.fields, v, &path, out),
            _ => {}
        }
    }
}

/// The reference with each of its lists as long as the input's: for every list, the length
/// (one to two more than the reference's, at least four) whose rendering shares the most
/// words with the input, the extra items copies of the last.
fn fit_lists(
    render: &(dyn Fn(&Value) -> Result<String> + Sync),
    fields: &[Field],
    reference: &Value,
    input: &[Key],
    words: &Mutex<Words>,
) -> Value {
    let mut best = reference.clone();
    let mut paths = Vec::new();
    list_paths(fields, reference, &[], &mut paths);
    let score = |values: &Value| -> Option<usize> {
        let text = render(values).ok()?;
        let toks = tokens(&text, false, words);
        Some(common(&hashed(&toks), input))
    };
    let Some(mut best_score) = score(&best) else {
        return best;
    };
    for path in paths {
        let Some(Value::List(items)) = get(&best, &path).cloned() else {
            continue;
        };
        let Some(last) = items.last().cloned() else {
            continue;
        };
        let most = items.len().saturating_add(2).clamp(4, 12);
        let candidates: Vec<Value> = (1..=most)
            .filter(|n| *n != items.len())
            .map(|n| {
                let mut resized = items.clone();
                resized.truncate(n);
                while resized.len() < n {
                    resized.push(last.clone());
                }
                let mut values = best.clone();
                set(&mut values, &path, Some(Value::List(resized)));
                values
            })
            .collect();
        let scores = par_map(&candidates, |values| score(values));
        let mut chosen = None;
        for (values, s) in candidates.into_iter().zip(scores) {
            if let Some(s) = s
                && s > best_score
            {
                best_score = s;
                chosen = Some(values);
            }
        }
        if let Some(values) = chosen {
            best = values;
        }
    }
    best
}

/// The text of an input to extract from: a text file as it is (so that line numbers are the
/// file's), a PDF's pages or a Word file's paragraphs as the text renderer prints them.
pub fn document_text(engine: &Engine, name: &str, bytes: &[u8]) -> Result<String> {
    let lower = name.to_ascii_lowercase();
    let binary = bytes.starts_with(b"%PDF-")
        || lower.ends_with(".pdf")
        || bytes.starts_with(b"PK\x03\x04")
        || lower.ends_with(".docx");
    if !binary {
        return std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| Error::Usage(format!("{name} is not UTF-8 text, a PDF or a .docx file")));
    }
    let input = engine.input(name, bytes)?;
    let document = input.shown.as_ref().unwrap_or(&input.document);
    Ok(crate::render::text::render(document))
}

/// Read a document's text as `kind`: every field of its schema recovered from the words the
/// template prints for it. `origin` names the input in messages.
pub fn extract(engine: &Engine, kind: &str, text: &str, origin: &str) -> Result<Extraction> {
    let form_kind = engine.templates().kind(kind).ok_or_else(|| {
        let known: Vec<String> = engine
            .templates()
            .kinds()
            .map(|k| k.schema.kind.clone())
            .collect();
        Error::Usage(format!(
            "unknown kind `{kind}` (known: {})",
            known.join(", ")
        ))
    })?;
    let schema = &form_kind.schema;
    let reference_data = match reference_text(kind) {
        Some(t) => engine.load(t, &format!("<{kind} example>"))?,
        None => Data::parse(
            &crate::data::scaffold::new_data_file(schema),
            &format!("<{kind} scaffold>"),
            schema,
        )?,
    };
    let words = Mutex::new(Words::default());
    let renders = Renders::default();
    let input = tokens(text, true, &words);
    if input.is_empty() {
        return Err(Error::Usage(format!(
            "{origin}: no words to read (expected the text of a {kind} agreement)"
        )));
    }
    let reference = fit_lists(
        &|values| render_text(engine, kind, reference_data.page, values, &renders),
        &schema.fields,
        &reference_data.values,
        &hashed(&input),
        &words,
    );
    let slots = slots(&schema.fields, Some(&reference), &[], false);
    let list_notes = slots
        .iter()
        .filter(|s| s.ty == FieldType::List)
        .map(|s| {
            (
                s.name.clone(),
                "a list the reference leaves out, so the form shows no place for it".to_string(),
            )
        })
        .collect();
    let form = Form {
        engine,
        words: &words,
        renders: &renders,
        kind: kind.to_string(),
        page: reference_data.page,
        slots,
        list_notes,
    };
    let first_skeleton = form.learn(&reference)?;
    let mut pass = read_pass(&form, &first_skeleton, &reference, &input, true);
    let mut current = reference.clone();
    // Each next pass starts from what the last one read (and from the tentative readings of
    // fields its reference left out), so that the structure is the input's and the words
    // around each field are nearer: a second pass always, a third when the second had
    // tentative readings.
    for round in 0..2u8 {
        if round == 1 && pass.tentative.is_empty() {
            break;
        }
        if std::env::var_os("ENGROSS_EXTRACT_DEBUG").is_some() {
            eprintln!("---- pass {}", round.saturating_add(2));
        }
        let mut next_ref = current.clone();
        for (i, slot) in form.slots.iter().enumerate() {
            if let Some((v, _, _)) = pass.values.get(&i) {
                set(&mut next_ref, &slot.path, Some(v.clone()));
            } else if let Some(v) = pass.tentative.get(&i) {
                set(&mut next_ref, &slot.path, Some(v.clone()));
            } else if pass.absent.contains(&i) && slot.optional {
                set(&mut next_ref, &slot.path, None);
            }
        }
        match form.learn(&next_ref) {
            Ok(skeleton) => {
                pass = read_pass(&form, &skeleton, &next_ref, &input, false);
                current = next_ref;
            }
            Err(_) => break,
        }
    }
    let reference = current;
    // An optional field whose value makes no difference to the text (it equals the default
    // the template takes without it) is left out: the data file says what the text shows.
    let mut values = reference.clone();
    for (i, slot) in form.slots.iter().enumerate() {
        if let Some((v, _, _)) = pass.values.get(&i) {
            set(&mut values, &slot.path, Some(v.clone()));
        } else if slot.optional && pass.absent.contains(&i) {
            set(&mut values, &slot.path, None);
        }
    }
    let settled = settle(&form, &input, &mut values, &mut pass);
    if let Some(full) = settled.map_or_else(|| form.render(&values).ok(), Some) {
        let single: Vec<Vec<usize>> = form
            .slots
            .iter()
            .enumerate()
            .filter(|(i, slot)| slot.optional && pass.values.contains_key(i))
            .map(|(i, _)| vec![i])
            .collect();
        for i in redundant(&form, &full, &mut values, &single)
            .into_iter()
            .flatten()
        {
            if std::env::var_os("ENGROSS_EXTRACT_DEBUG").is_some()
                && let Some(slot) = form.slots.get(i)
            {
                eprintln!("redundant: {}", slot.name);
            }
            pass.values.remove(&i);
            pass.absent.push(i);
        }
        // Optional fields of one table that together give the default (a signatory's name
        // and title that print what the template prints without them).
        let mut parents: BTreeMap<Vec<Seg>, Vec<usize>> = BTreeMap::new();
        for (i, slot) in form.slots.iter().enumerate() {
            if slot.optional && pass.values.contains_key(&i) && slot.path.len() > 1 {
                let parent = slot
                    .path
                    .get(..slot.path.len().saturating_sub(1))
                    .unwrap_or_default();
                parents.entry(parent.to_vec()).or_default().push(i);
            }
        }
        let tables: Vec<Vec<usize>> = parents
            .into_values()
            .filter(|members| members.len() >= 2)
            .collect();
        for members in redundant(&form, &full, &mut values, &tables) {
            for i in members {
                pass.values.remove(&i);
                pass.absent.push(i);
            }
        }
    }
    let mut recovered = Vec::new();
    let mut absent = Vec::new();
    let mut missing: Vec<(String, String)> = form.list_notes.clone();
    let left_out_tables: Vec<&Vec<Seg>> = form
        .slots
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            matches!(s.ty, FieldType::Table | FieldType::Party) && table_left_out(&pass, *i)
        })
        .map(|(_, s)| &s.path)
        .collect();
    for (i, slot) in form.slots.iter().enumerate() {
        let in_left_out = left_out_tables
            .iter()
            .any(|t| slot.path.len() > t.len() && slot.path.starts_with(t));
        if matches!(slot.ty, FieldType::Table | FieldType::Party) {
            if let Some(why) = pass.missing.get(&i) {
                missing.push((slot.name.clone(), why.clone()));
            } else if table_left_out(&pass, i) {
                absent.push(slot.name.clone());
            }
            continue;
        }
        if in_left_out && !pass.values.contains_key(&i) {
            continue;
        }
        if let Some((value, line, conflicts)) = pass.values.get(&i) {
            let value = match (slot.ty, value) {
                (FieldType::Text, Value::Text(t)) => Value::Text(t.clone()),
                (FieldType::Money | FieldType::Percent, v) => {
                    Value::Decimal(v.as_decimal().unwrap_or(Decimal::ZERO))
                }
                (_, v) => v.clone(),
            };
            recovered.push(Recovered {
                path: slot.name.clone(),
                value,
                line: *line,
                conflicts: conflicts.clone(),
                capitals: pass.capitals.contains(&i),
            });
        } else if pass.absent.contains(&i) {
            if slot.optional {
                absent.push(slot.name.clone());
            } else {
                missing.push((
                    slot.name.clone(),
                    "required, but the text shows the form's wording without it".into(),
                ));
            }
        } else if let Some(why) = pass.missing.get(&i) {
            if slot.ty != FieldType::List {
                missing.push((slot.name.clone(), why.clone()));
            }
        }
    }
    Ok(Extraction {
        kind: kind.to_string(),
        recovered,
        absent,
        missing,
    })
}

/// Readings that disagree are settled by the text. The fields whose readings disagree are
/// grouped by the lines they were read at (a signatory's name, title and the firm's name
/// under them share a group: how one is bounded bounds the next); each group tries every
/// combination of its readings (each field alone when there are too many), and the values
/// whose render is nearest the input, in words inserted and deleted, are kept. A tie keeps
/// the votes' choice. An optional text field also tries the empty text (an executed copy
/// that prints nothing where the form prints a word: its readings there are the words of
/// its neighbours). The readings that lost stay listed as disagreeing.
fn settle(form: &Form<'_>, input: &[Tok], values: &mut Value, pass: &mut Pass) -> Option<String> {
    const MAX_COMBINATIONS: usize = 64;
    let input_keys = hashed(input);
    let distance = |v: &Value| -> Option<(usize, String)> {
        let text = form.render(v).ok()?;
        let toks = tokens(&text, false, form.words);
        let d = diff(&hashed(&toks), &input_keys)
            .iter()
            .map(|op| match *op {
                DiffOp::Equal { .. } => 0,
                DiffOp::Delete { old_len, .. } => old_len,
                DiffOp::Insert { new_len, .. } => new_len,
                DiffOp::Replace {
                    old_len, new_len, ..
                } => old_len.saturating_add(new_len),
            })
            .fold(0usize, usize::saturating_add);
        Some((d, text))
    };
    // Each disagreeing field with the lines of its readings; two fields read within a few
    // lines of one another are of one group.
    let fields: Vec<(usize, Vec<usize>)> = pass
        .others
        .iter()
        .filter(|(_, alts)| !alts.is_empty())
        .filter_map(|(i, alts)| {
            let (_, line, _) = pass.values.get(i)?;
            let mut lines: Vec<usize> = alts.iter().map(|(_, l)| *l).collect();
            lines.push(*line);
            Some((*i, lines))
        })
        .collect();
    let near = |a: &[usize], b: &[usize]| a.iter().any(|x| b.iter().any(|y| x.abs_diff(*y) <= 3));
    let mut group_of: Vec<usize> = (0..fields.len()).collect();
    for a in 0..fields.len() {
        for b in a.saturating_add(1)..fields.len() {
            let (Some((_, la)), Some((_, lb))) = (fields.get(a), fields.get(b)) else {
                continue;
            };
            if near(la, lb) {
                let (ga, gb) = (
                    group_of.get(a).copied().unwrap_or(a),
                    group_of.get(b).copied().unwrap_or(b),
                );
                for g in &mut group_of {
                    if *g == gb {
                        *g = ga;
                    }
                }
            }
        }
    }
    // Each field's other choices: its other readings, and for an optional text field the
    // empty text (not a reading: never listed as one).
    let mut choices: BTreeMap<usize, Vec<(Value, usize, bool)>> = BTreeMap::new();
    for (i, lines) in &fields {
        let mut list: Vec<(Value, usize, bool)> = pass
            .others
            .get(i)
            .map(|alts| alts.iter().map(|(v, l)| (v.clone(), *l, true)).collect())
            .unwrap_or_default();
        let empty = Value::Text(String::new());
        if let (Some(slot), Some((current, line, _))) = (form.slots.get(*i), pass.values.get(i))
            && slot.optional
            && slot.ty == FieldType::Text
            && *current != empty
            && !list.iter().any(|(v, _, _)| *v == empty)
        {
            list.push((empty, lines.first().copied().unwrap_or(*line), false));
        }
        choices.insert(*i, list);
    }
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for ((i, _), g) in fields.iter().zip(&group_of) {
        by_group.entry(*g).or_default().push(*i);
    }
    let groups: Vec<Vec<usize>> = by_group.into_values().collect();
    if groups.is_empty() {
        return None;
    }
    // Every group's combinations, each tried against the votes' values (the groups lie
    // apart, so each is settled on its own), with those values first.
    let mut tries: Vec<(usize, Vec<usize>)> = vec![(usize::MAX, Vec::new())];
    for (g, group) in groups.iter().enumerate() {
        // Each field's choices: its value (0), then its other choices.
        let counts: Vec<usize> = group
            .iter()
            .map(|i| choices.get(i).map_or(0, Vec::len).saturating_add(1))
            .collect();
        let total = counts
            .iter()
            .try_fold(1usize, |acc, c| acc.checked_mul(*c))
            .unwrap_or(usize::MAX);
        if total <= MAX_COMBINATIONS {
            tries.extend((1..total).map(|mut n| {
                let choice = counts
                    .iter()
                    .map(|c| {
                        let k = n.checked_rem(*c).unwrap_or(0);
                        n = n.checked_div(*c).unwrap_or(0);
                        k
                    })
                    .collect();
                (g, choice)
            }));
        } else {
            for (f, c) in counts.iter().enumerate() {
                for k in 1..*c {
                    let mut choice = vec![0; counts.len()];
                    if let Some(x) = choice.get_mut(f) {
                        *x = k;
                    }
                    tries.push((g, choice));
                }
            }
        }
    }
    let apply = |v: &mut Value, g: usize, choice: &[usize]| {
        for (i, k) in groups.get(g).into_iter().flatten().zip(choice) {
            if let (Some(slot), Some(alts)) = (form.slots.get(*i), choices.get(i))
                && let Some((alt, _, _)) = k.checked_sub(1).and_then(|k| alts.get(k))
            {
                set(v, &slot.path, Some(alt.clone()));
            }
        }
    };
    let mut scored = par_map(&tries, |(g, choice)| {
        let mut v = values.clone();
        apply(&mut v, *g, choice);
        distance(&v)
    })
    .into_iter();
    let Some(Some((base, base_text))) = scored.next() else {
        return None;
    };
    // Per group, its best combination, if nearer than the votes' values.
    let mut best: BTreeMap<usize, (usize, &[usize], String)> = BTreeMap::new();
    for ((g, choice), d) in tries.iter().skip(1).zip(scored) {
        let Some((d, text)) = d else { continue };
        if d < base && best.get(g).is_none_or(|(b, _, _)| d < *b) {
            best.insert(*g, (d, choice.as_slice(), text));
        }
    }
    let settled_text = match best.len() {
        0 => Some(base_text),
        1 => best.values().next().map(|(_, _, t)| t.clone()),
        _ => None,
    };
    for (g, (_, choice, _)) in &best {
        apply(values, *g, choice);
    }
    for (g, (_, choice, _)) in &best {
        for (i, k) in groups.get(*g).into_iter().flatten().zip(choice.iter()) {
            let Some(k) = k.checked_sub(1) else { continue };
            let (Some(alts), Some((value, line, conflicts))) =
                (choices.get_mut(i), pass.values.get_mut(i))
            else {
                continue;
            };
            if k >= alts.len() {
                continue;
            }
            let (alt, alt_line, _) = alts.remove(k);
            alts.push((std::mem::replace(value, alt), *line, true));
            *line = alt_line;
            let readings: Vec<(Value, usize)> = alts
                .iter()
                .filter(|(_, _, read)| *read)
                .map(|(w, l, _)| (w.clone(), *l))
                .collect();
            *conflicts = readings
                .iter()
                .map(|(w, l)| format!("{} at line {l}", w.display()))
                .collect();
            pass.others.insert(*i, readings);
        }
    }
    settled_text
}

/// Of `sets` of slots, in order, those whose values can be left out of `values` without
/// changing the text (`full`); each one found is left out before the next is tried. Tried a
/// few at a time on several threads: a set found redundant makes the sets tried beside it
/// after it be tried again.
fn redundant(
    form: &Form<'_>,
    full: &str,
    values: &mut Value,
    sets: &[Vec<usize>],
) -> Vec<Vec<usize>> {
    let without = |values: &Value, set_of: &[usize]| {
        let mut v = values.clone();
        for i in set_of {
            if let Some(slot) = form.slots.get(*i) {
                set(&mut v, &slot.path, None);
            }
        }
        v
    };
    let mut found = Vec::new();
    let mut next = 0;
    while let Some(rest) = sets.get(next..).filter(|r| !r.is_empty()) {
        let chunk = rest.get(..rest.len().min(4)).unwrap_or(rest);
        let same = par_map(chunk, |set_of| {
            form.render(&without(values, set_of))
                .is_ok_and(|t| t == full)
        });
        match same.iter().position(|s| *s) {
            Some(k) => {
                if let Some(set_of) = chunk.get(k) {
                    *values = without(values, set_of);
                    found.push(set_of.clone());
                }
                next = next.saturating_add(k).saturating_add(1);
            }
            None => next = next.saturating_add(chunk.len()),
        }
    }
    found
}

/// The scalar lists directly in a table.
fn lists_in<'r>(
    table: &str,
    lists: &BTreeMap<String, Vec<&'r Recovered>>,
) -> Vec<(String, Vec<&'r Recovered>)> {
    lists
        .iter()
        .filter(|(l, _)| {
            let p = parse_path(l);
            show_path(p.get(..p.len().saturating_sub(1)).unwrap_or_default()) == table
        })
        .map(|(l, items)| (l.clone(), items.clone()))
        .collect()
}

fn toml_value(v: &Value) -> String {
    match v {
        Value::Text(t) => toml::Value::String(t.clone()).to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => format!("\"{d}\""),
        Value::Date(d) => d.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Table(_) => "{}".into(),
    }
}

impl Extraction {
    /// The data file: `template = KIND`, every recovered field under its table with
    /// `# extracted from line N`, and what could not be recovered as comments at the end.
    pub fn toml(&self, origin: &str) -> String {
        let mut out = format!(
            "template = \"{}\"\n\n# Extracted by engross from {origin}.\n",
            self.kind
        );
        // Group by table: the path without its last key (list items: `[[list]]`).
        let mut current: Option<String> = None;
        let mut tops: Vec<&Recovered> = Vec::new();
        let mut grouped: Vec<(String, Vec<&Recovered>)> = Vec::new();
        // Scalar lists are written whole, on the line of their first item.
        let mut lists: BTreeMap<String, Vec<&Recovered>> = BTreeMap::new();
        for r in &self.recovered {
            let path = parse_path(&r.path);
            if let Some(Seg::Index(_)) = path.last() {
                let list = show_path(path.get(..path.len().saturating_sub(1)).unwrap_or_default());
                lists.entry(list).or_default().push(r);
                continue;
            }
            let table = show_path(path.get(..path.len().saturating_sub(1)).unwrap_or_default());
            if table.is_empty() {
                tops.push(r);
            } else {
                match grouped.iter_mut().find(|(t, _)| *t == table) {
                    Some((_, items)) => items.push(r),
                    None => grouped.push((table, vec![r])),
                }
            }
        }
        let key_line = |out: &mut String, key: &str, r: &Recovered| {
            if matches!(&r.value, Value::Text(t) if t.is_empty()) && !r.conflicts.is_empty() {
                // What `settle` chose: no occurrence read it.
                out.push_str(&format!(
                    "# empty: a render printing nothing here (line {}) is nearest the text\n",
                    r.line
                ));
            } else {
                out.push_str(&format!("# extracted from line {}\n", r.line));
            }
            if r.capitals {
                out.push_str("# printed only in capitals: the case is the document's\n");
            }
            for c in &r.conflicts {
                out.push_str(&format!("# also read as {c}\n"));
            }
            out.push_str(&format!("{key} = {}\n", toml_value(&r.value)));
        };
        let list_line = |out: &mut String, key: &str, items: &[&Recovered]| {
            let lines: Vec<String> = items.iter().map(|r| r.line.to_string()).collect();
            out.push_str(&format!("# extracted from lines {}\n", lines.join(", ")));
            let values: Vec<String> = items.iter().map(|r| toml_value(&r.value)).collect();
            out.push_str(&format!("{key} = [{}]\n", values.join(", ")));
        };
        let mut written_lists = std::collections::BTreeSet::new();
        for r in &tops {
            let key = r.path.clone();
            key_line(&mut out, &key, r);
        }
        for (l, items) in lists_in("", &lists) {
            list_line(&mut out, &l, &items);
            written_lists.insert(l);
        }
        // Items of lists of tables: `[[list]]` once per item, before any of its tables;
        // a table inside an item is `[list.table]` (TOML's table of the last item).
        let mut items_open: BTreeMap<String, usize> = BTreeMap::new();
        let unindexed = |path: &[Seg]| -> String {
            path.iter()
                .filter_map(|s| match s {
                    Seg::Key(k) => Some(k.clone()),
                    Seg::Index(_) => None,
                })
                .collect::<Vec<_>>()
                .join(".")
        };
        for (table, items) in &grouped {
            let path = parse_path(table);
            for (at, seg) in path.iter().enumerate() {
                let Seg::Index(n) = seg else { continue };
                let list = unindexed(path.get(..at).unwrap_or_default());
                if items_open.get(&list) != Some(n) {
                    items_open.insert(list.clone(), *n);
                    out.push_str(&format!("\n[[{list}]]\n"));
                    current = Some(show_path(path.get(..=at).unwrap_or_default()));
                }
            }
            let header = match path.last() {
                Some(Seg::Index(_)) => String::new(),
                _ => format!("\n[{}]\n", unindexed(&path)),
            };
            if current.as_deref() != Some(table.as_str()) {
                out.push_str(&header);
                current = Some(table.clone());
            }
            for r in items {
                let key = r.path.rsplit('.').next().unwrap_or(&r.path).to_string();
                key_line(&mut out, &key, r);
            }
            for (l, its) in lists_in(table, &lists) {
                if written_lists.insert(l.clone()) {
                    let key = l.rsplit('.').next().unwrap_or(&l).to_string();
                    list_line(&mut out, &key, &its);
                }
            }
        }
        for (l, items) in &lists {
            if !written_lists.contains(l) {
                let p = parse_path(l);
                let table = show_path(p.get(..p.len().saturating_sub(1)).unwrap_or_default());
                out.push_str(&format!("\n[{table}]\n"));
                let key = l.rsplit('.').next().unwrap_or(l).to_string();
                list_line(&mut out, &key, items);
            }
        }
        if !self.absent.is_empty() {
            out.push_str("\n# Left out (the text shows the form's wording without them):\n");
            for a in &self.absent {
                out.push_str(&format!("#   {a}\n"));
            }
        }
        if !self.missing.is_empty() {
            out.push_str("\n# Not recovered:\n");
            for (path, why) in &self.missing {
                out.push_str(&format!("#   {path}: {why}\n"));
            }
        }
        out
    }
}
