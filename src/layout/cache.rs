//! Set paragraphs, cached for the process: documents of one kind share nearly all their
//! paragraphs (a roster's thousand subscription agreements differ in a few fields), and setting
//! a paragraph (words, hyphenation, Knuth–Plass, glyph runs) was most of the layout's time.
//!
//! A paragraph's lines are a pure function of its runs, its [`Setting`] and the page setup (the
//! faces, their shaping and the hyphenation patterns are the process's and never change), so
//! the output is the same with or without the cache: an entry is found only when all of these
//! are equal, not merely when their hashes are. What the setting of a paragraph does to the
//! flow's state is kept with its lines: the tokens it broke (replayed into the warnings) and
//! the structure element of its items (set again from the flow's current element).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

use super::*;

/// At most this many paragraphs, and this many glyphs in all, are kept: hostile input cannot
/// grow the cache without bound (paragraphs past the limits are set each time). A subscription
/// agreement is about 1,100 paragraphs and 70,000 glyphs.
const MAX_ENTRIES: usize = 20_000;
const MAX_GLYPHS: usize = 1_000_000;

/// What a paragraph's lines depend on, besides its runs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Params {
    /// The setting's numbers and the page setup's, as bits (no float is compared loosely).
    numbers: [u32; 10],
    align: u8,
    justify: bool,
    bold: bool,
}

impl Params {
    fn new(s: &Setting, setup: &PageSetup) -> Params {
        Params {
            numbers: [
                s.x0.to_bits(),
                s.width.to_bits(),
                s.first_indent.to_bits(),
                s.rest_indent.to_bits(),
                s.size.to_bits(),
                setup.width.to_bits(),
                setup.height.to_bits(),
                setup.margin.to_bits(),
                setup.font_size.to_bits(),
                setup.leading.to_bits(),
            ],
            align: match s.align {
                Align::Left => 0,
                Align::Center => 1,
                Align::Right => 2,
            },
            justify: s.justify,
            bold: s.bold,
        }
    }
}

/// A set paragraph.
pub(super) struct Entry {
    label: Vec<Run>,
    runs: Vec<Run>,
    params: Params,
    /// Its lines, as the flow's slices (their tags are overwritten on use).
    pub(super) slices: Vec<Slice>,
    /// The tokens too long for a line that setting it broke, in order, without repeats.
    pub(super) warnings: Vec<String>,
    /// Set ahead by a second thread for the document being laid out ([`put`]'s `now`): the
    /// first look-up takes it out of the cache, so that its glyphs are moved to the page, not
    /// copied (a paragraph met a second time is kept as any other).
    ahead: bool,
    /// How many glyphs it holds (as the cache counts them).
    glyphs: usize,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<u64, Vec<Arc<Entry>>>,
    count: usize,
    glyphs: usize,
    /// The hashes of paragraphs set once: a paragraph is kept when it is set a second time,
    /// so that what only one document has (a roster row's own paragraphs) costs 8 bytes.
    seen: std::collections::HashSet<u64>,
}

/// At most this many hashes of paragraphs set once are remembered (then forgotten at once).
const MAX_SEEN: usize = 200_000;

fn cache() -> &'static RwLock<Cache> {
    static CACHE: OnceLock<RwLock<Cache>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn hash_runs(h: &mut impl Hasher, runs: &[Run]) {
    runs.len().hash(h);
    for r in runs {
        match r {
            Run::Text { text, style } => {
                0u8.hash(h);
                text.hash(h);
                (style.bold, style.italic, style.underline, style.small_caps).hash(h);
                style.mark.map(|m| m as u8).hash(h);
            }
            Run::Field { name, width } => {
                1u8.hash(h);
                name.hash(h);
                width.hash(h);
            }
            Run::Signature { role, width, rule } => {
                2u8.hash(h);
                role.hash(h);
                width.hash(h);
                rule.hash(h);
            }
            Run::Break => 3u8.hash(h),
        }
    }
}

/// The key of a paragraph: its hash, and the parameters it is compared by.
pub(super) struct Key {
    hash: u64,
    params: Params,
}

impl Key {
    pub(super) fn new(label: &[Run], runs: &[Run], s: &Setting, setup: &PageSetup) -> Key {
        let params = Params::new(s, setup);
        let mut h = std::hash::DefaultHasher::new();
        hash_runs(&mut h, label);
        hash_runs(&mut h, runs);
        params.hash(&mut h);
        Key {
            hash: h.finish(),
            params,
        }
    }
}

#[cfg(test)]
thread_local! {
    /// For tests: no paragraph is taken from or kept in the cache on this thread.
    pub(super) static BYPASS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The lines and warnings of the set paragraph with exactly these runs and parameters, if one
/// is cached: a copy, or the entry itself when it was set ahead for this document.
pub(super) fn get(key: &Key, label: &[Run], runs: &[Run]) -> Option<(Vec<Slice>, Vec<String>)> {
    #[cfg(test)]
    if BYPASS.with(std::cell::Cell::get) {
        return None;
    }
    let matches = |e: &Arc<Entry>| e.params == key.params && e.label == label && e.runs == runs;
    let entry = {
        let shared = cache().read().ok()?;
        let entry = shared.entries.get(&key.hash)?.iter().find(|e| matches(e))?;
        if !entry.ahead {
            return Some((entry.slices.clone(), entry.warnings.clone()));
        }
        drop(shared);
        let mut cache = cache().write().ok()?;
        let bucket = cache.entries.get_mut(&key.hash)?;
        let at = bucket.iter().position(matches)?;
        let entry = bucket.swap_remove(at);
        if bucket.is_empty() {
            cache.entries.remove(&key.hash);
        }
        cache.count -= 1;
        cache.glyphs -= entry.glyphs;
        entry
    };
    Some(match Arc::try_unwrap(entry) {
        Ok(entry) => (entry.slices, entry.warnings),
        Err(shared) => (shared.slices.clone(), shared.warnings.clone()),
    })
}

/// Keep a set paragraph the second time it is set (or at once, when `now`), while the cache
/// has room.
pub(super) fn put(
    key: Key,
    label: &[Run],
    runs: &[Run],
    slices: &[Slice],
    warnings: &[String],
    now: bool,
) {
    keep(key, label, runs, glyphs_of(slices), warnings, now, || {
        slices.to_vec()
    });
}

/// Keep a paragraph set ahead for the document being laid out, its lines moved into the cache
/// (the flow that set them throws its own lines away), while the cache has room.
pub(super) fn put_ahead(
    key: Key,
    label: &[Run],
    runs: &[Run],
    slices: Vec<Slice>,
    warnings: &[String],
) {
    keep(key, label, runs, glyphs_of(&slices), warnings, true, || {
        slices
    });
}

/// The glyphs of set lines, as the cache counts them (a non-text item counts one).
fn glyphs_of(slices: &[Slice]) -> usize {
    slices
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| match i {
            Item::Text { glyphs, .. } => glyphs.len(),
            _ => 1,
        })
        .sum()
}

/// Keep a set paragraph, made by `slices`, the second time it is set (or at once, when `now`).
fn keep(
    key: Key,
    label: &[Run],
    runs: &[Run],
    glyphs: usize,
    warnings: &[String],
    now: bool,
    slices: impl FnOnce() -> Vec<Slice>,
) {
    #[cfg(test)]
    if BYPASS.with(std::cell::Cell::get) {
        return;
    }
    let Ok(mut cache) = cache().write() else {
        return;
    };
    if cache.count >= MAX_ENTRIES || cache.glyphs.saturating_add(glyphs) > MAX_GLYPHS {
        return;
    }
    if cache.seen.len() >= MAX_SEEN {
        cache.seen.clear();
    }
    if cache.seen.insert(key.hash) && !now {
        return;
    }
    let bucket = cache.entries.entry(key.hash).or_default();
    if bucket
        .iter()
        .any(|e| e.params == key.params && e.label == label && e.runs == runs)
    {
        return;
    }
    bucket.push(Arc::new(Entry {
        label: label.to_vec(),
        runs: runs.to_vec(),
        params: key.params,
        slices: slices(),
        warnings: warnings.to_vec(),
        ahead: now,
        glyphs,
    }));
    cache.count += 1;
    cache.glyphs += glyphs;
}
