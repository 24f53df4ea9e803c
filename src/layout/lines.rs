//! Line breaking: words of shaped pieces, hyphenation, Knuth–Plass with a greedy fallback.

use super::*;

/// A piece of a word: shaped text, or a blank.
#[derive(Debug, Clone)]
pub(super) enum Piece {
    Text {
        face: FaceId,
        glyphs: std::sync::Arc<[Glyph]>,
        width: f32,
        style: Style,
    },
    Field {
        name: String,
        width: f32,
    },
    Signature {
        name: String,
        width: f32,
    },
    /// Empty space (a hanging label's room up to the hang).
    Kern {
        width: f32,
    },
}

impl Piece {
    pub(super) fn width(&self) -> f32 {
        match self {
            Piece::Text { width, .. }
            | Piece::Field { width, .. }
            | Piece::Signature { width, .. }
            | Piece::Kern { width } => *width,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Word {
    pub(super) pieces: Vec<Piece>,
    /// A hard line break follows this word.
    pub(super) break_after: bool,
    /// No space follows: the next word is the rest of a token too long for the line, broken
    /// here.
    pub(super) join_next: bool,
    /// With `join_next`: the next word may not go to another line (a hanging label and its
    /// text).
    pub(super) tie: bool,
    /// With `join_next`: a hyphenation point; a line that breaks here ends with a hyphen.
    pub(super) hyphen: bool,
}

impl Word {
    pub(super) fn width(&self) -> f32 {
        self.pieces.iter().map(Piece::width).sum()
    }
}

/// A broken line: the indices of its words, whether to justify it, and whether it ends inside
/// a word at a hyphenation point.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    pub(super) words: Vec<usize>,
    pub(super) justify: bool,
    pub(super) hyphen: bool,
}

/// A word's hyphenation points, cached for the process: documents share their vocabulary.
pub(super) fn hyphenation_points(dict: &hyphenation::Standard, word: &str) -> Vec<usize> {
    use hyphenation::Hyphenator;
    type Cache = std::sync::Mutex<std::collections::HashMap<String, Vec<usize>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(map) = cache.lock()
        && let Some(points) = map.get(word)
    {
        return points.clone();
    }
    let points = dict.hyphenate(word).breaks;
    if let Ok(mut map) = cache.lock() {
        map.insert(word.to_string(), points.clone());
    }
    points
}

/// The en-US hyphenation patterns, loaded once per process.
pub(super) fn dictionary() -> Option<&'static hyphenation::Standard> {
    use hyphenation::Load;
    static DICT: std::sync::OnceLock<Option<hyphenation::Standard>> = std::sync::OnceLock::new();
    DICT.get_or_init(|| hyphenation::Standard::from_embedded(hyphenation::Language::EnglishUS).ok())
        .as_ref()
}

/// Knuth–Plass over the words (total fit, growing tolerance), falling back to greedy filling.
pub(super) fn break_lines(
    words: &[Word],
    space: f32,
    hyphen: f32,
    first: f32,
    rest: f32,
    justify: bool,
) -> Vec<Line> {
    let mut items: Vec<KpItem<usize>> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        items.push(KpItem::Box {
            width: (w.width() * SCALE) as i32,
            data: i,
        });
        if w.join_next && i + 1 < words.len() && !w.break_after {
            // A hyphenation point breaks with a hyphen (and a penalty); broken tokens may break
            // between their pieces; a tie never breaks.
            if w.hyphen {
                items.push(KpItem::Penalty {
                    width: (hyphen * SCALE) as i32,
                    penalty: 50,
                    flagged: true,
                });
            } else if !w.tie {
                items.push(KpItem::Penalty {
                    width: 0,
                    penalty: 0,
                    flagged: false,
                });
            }
        } else if w.break_after || i + 1 == words.len() {
            items.push(KpItem::Glue {
                width: 0,
                stretch: (first.max(rest) * SCALE) as i32,
                shrink: 0,
            });
            items.push(KpItem::Penalty {
                width: 0,
                penalty: -INFINITE_PENALTY,
                flagged: false,
            });
        } else {
            items.push(KpItem::Glue {
                width: (space * SCALE) as i32,
                stretch: (space * 0.6 * SCALE) as i32,
                shrink: (space * 0.25 * SCALE) as i32,
            });
        }
    }
    let lengths = [(first * SCALE) as i32, (rest * SCALE) as i32];
    let mut breaks = Vec::new();
    for threshold in [1.0, 2.0, 4.0, 10.0] {
        breaks = total_fit(&items, &lengths, threshold, 0);
        if !breaks.is_empty() {
            break;
        }
    }
    if breaks.is_empty() {
        return greedy(words, space, first, rest);
    }
    let mut lines = Vec::new();
    let mut start = 0;
    for b in breaks {
        let mut ws = Vec::new();
        for item in &items[start..b.index] {
            if let KpItem::Box { data, .. } = item {
                ws.push(*data);
            }
        }
        start = b.index + 1;
        if ws.is_empty() {
            continue;
        }
        let forced = matches!(items.get(b.index), Some(KpItem::Penalty { penalty, .. }) if *penalty <= -INFINITE_PENALTY);
        let hyphen = matches!(
            items.get(b.index),
            Some(KpItem::Penalty { flagged: true, .. })
        );
        lines.push(Line {
            words: ws,
            justify: justify && !forced,
            hyphen,
        });
    }
    lines
}

pub(super) fn greedy(words: &[Word], space: f32, first: f32, rest: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut used = 0.0;
    for (i, w) in words.iter().enumerate() {
        let avail = if lines.is_empty() { first } else { rest };
        let joined = i > 0 && words[i - 1].join_next;
        let add = if current.is_empty() || joined {
            w.width()
        } else {
            space + w.width()
        };
        if !current.is_empty() && used + add > avail {
            lines.push(Line {
                words: std::mem::take(&mut current),
                justify: false,
                hyphen: i > 0 && words[i - 1].hyphen,
            });
            used = 0.0;
        }
        used += if current.is_empty() { w.width() } else { add };
        current.push(i);
        if w.break_after {
            lines.push(Line {
                words: std::mem::take(&mut current),
                justify: false,
                hyphen: false,
            });
            used = 0.0;
        }
    }
    if !current.is_empty() {
        lines.push(Line {
            words: current,
            justify: false,
            hyphen: false,
        });
    }
    lines
}
