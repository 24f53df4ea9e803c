//! The typefaces the layout sets text in (Liberation Serif, metric-compatible with Times New
//! Roman, SIL OFL, shipped in `assets/fonts/`), and shaping with rustybuzz (kerning, ligatures).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

/// One of the four faces of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaceId {
    /// Upright, regular weight.
    Regular,
    /// Upright, bold.
    Bold,
    /// Italic.
    Italic,
    /// Bold italic.
    BoldItalic,
}

impl FaceId {
    /// Every face, in a fixed order.
    pub const ALL: [FaceId; 4] = [
        FaceId::Regular,
        FaceId::Bold,
        FaceId::Italic,
        FaceId::BoldItalic,
    ];

    /// The face for a combination of bold and italic.
    pub fn select(bold: bool, italic: bool) -> FaceId {
        match (bold, italic) {
            (false, false) => FaceId::Regular,
            (true, false) => FaceId::Bold,
            (false, true) => FaceId::Italic,
            (true, true) => FaceId::BoldItalic,
        }
    }

    /// The face's font file.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            FaceId::Regular => include_bytes!("../../assets/fonts/LiberationSerif-Regular.ttf"),
            FaceId::Bold => include_bytes!("../../assets/fonts/LiberationSerif-Bold.ttf"),
            FaceId::Italic => include_bytes!("../../assets/fonts/LiberationSerif-Italic.ttf"),
            FaceId::BoldItalic => {
                include_bytes!("../../assets/fonts/LiberationSerif-BoldItalic.ttf")
            }
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A shaped glyph.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    /// Glyph id in the face's font file.
    pub gid: u16,
    /// The text this glyph stands for (several characters for a ligature), for copy and search.
    pub text: GlyphText,
    /// The shaped advance, in font units.
    pub advance: i32,
    /// The advance the font's metrics give the glyph alone, in font units.
    pub natural: i32,
}

/// The text a glyph stands for: held in place when short (nearly always: one character, or a
/// ligature's two or three), so that copying and dropping glyph runs (a set paragraph is
/// copied out of the layout's cache) touches no reference count; shared when longer. Sixteen
/// bytes in all (the shared text is behind one thin pointer), so that a [`Glyph`] is 32: a
/// document's pages hold every glyph it sets, and their memory's first touch was a cost of
/// its own.
#[derive(Clone)]
pub enum GlyphText {
    /// Up to [`GlyphText::INLINE`] bytes.
    Inline {
        /// How many of `bytes` are the text.
        len: u8,
        /// The text's bytes, then zeros.
        bytes: [u8; GlyphText::INLINE],
    },
    /// Longer text.
    Shared(Arc<String>),
}

impl GlyphText {
    /// The most bytes held in place.
    pub const INLINE: usize = 14;
}

impl From<&str> for GlyphText {
    fn from(text: &str) -> GlyphText {
        let mut bytes = [0u8; GlyphText::INLINE];
        match (bytes.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(text.as_bytes());
                GlyphText::Inline { len, bytes }
            }
            _ => GlyphText::Shared(Arc::new(text.to_string())),
        }
    }
}

impl std::ops::Deref for GlyphText {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            GlyphText::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            GlyphText::Shared(text) => text,
        }
    }
}

impl PartialEq for GlyphText {
    fn eq(&self, other: &GlyphText) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for GlyphText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// The loaded faces.
pub struct Fonts {
    faces: Vec<rustybuzz::Face<'static>>,
    /// One shaping plan per face (Latin, left to right): building a plan per word cost more
    /// than the shaping itself.
    plans: Vec<rustybuzz::ShapePlan>,
    /// Per face, what shaping does to most words, without the shaper ([`Plain`]); `None`
    /// where the face's tables are not of the kind it can read (then every word is shaped).
    plain: Vec<Option<Plain>>,
    /// Shaped words by face and text, for the whole process: legal prose repeats its words,
    /// documents of one kind share nearly all of them, and shaping was the costliest step of
    /// layout. Shaping is a pure function of face and text, so the output is the same with or
    /// without the cache.
    words: [RwLock<WordCache>; 4],
}

/// Shaped words of one face, by their text.
type WordCache = HashMap<Box<str>, Arc<[Glyph]>, BuildHasherDefault<WordHasher>>;

/// FxHash (rustc's): a word is a few bytes, and SipHash cost more than the look-up. The
/// cache's keys are our own text, so flooding resistance buys nothing here.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0; 8];
            b.copy_from_slice(c);
            self.0 = (self.0 ^ u64::from_le_bytes(b))
                .wrapping_mul(K)
                .rotate_left(26);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(K).rotate_left(26);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// At most this many words are cached per face (hostile input cannot grow the cache without
/// bound; words past the limit are shaped each time).
const CACHED_WORDS: usize = 50_000;

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").finish_non_exhaustive()
    }
}

impl Fonts {
    /// The shared, parsed faces (parsed once per process).
    pub fn get() -> &'static Fonts {
        static FONTS: OnceLock<Fonts> = OnceLock::new();
        FONTS.get_or_init(|| {
            let faces: Vec<rustybuzz::Face<'static>> = FaceId::ALL
                .iter()
                .map(|f| {
                    #[allow(
                        clippy::expect_used,
                        reason = "the fonts are compiled into the binary and tested to parse"
                    )]
                    rustybuzz::Face::from_slice(f.bytes(), 0)
                        .expect("the bundled Liberation Serif fonts parse")
                })
                .collect();
            let plans = faces
                .iter()
                .map(|f| {
                    rustybuzz::ShapePlan::new(
                        f,
                        rustybuzz::Direction::LeftToRight,
                        Some(rustybuzz::script::LATIN),
                        None,
                        &[],
                    )
                })
                .collect();
            let plain = faces.iter().map(Plain::new).collect();
            Fonts {
                faces,
                plans,
                plain,
                words: Default::default(),
            }
        })
    }

    /// Font units per em of a face.
    pub fn units_per_em(&self, face: FaceId) -> i32 {
        self.faces[face.index()].units_per_em()
    }

    /// Shape `text` in `face`, once per process: later calls share the glyphs.
    pub fn shaped(&self, face: FaceId, text: &str) -> Arc<[Glyph]> {
        let cache = &self.words[face.index()];
        if let Some(g) = cache.read().ok().and_then(|m| m.get(text).cloned()) {
            return g;
        }
        let glyphs: Arc<[Glyph]> = self.shape(face, text).into();
        if let Ok(mut m) = cache.write()
            && m.len() < CACHED_WORDS
        {
            m.insert(text.into(), glyphs.clone());
        }
        glyphs
    }

    /// Shape `text` in `face`: the shortcut of [`Plain`] where it applies, else rustybuzz.
    /// Both give the same glyphs (a test compares them on every pair of characters the
    /// shortcut takes, on random words and on every word of the bundled documents).
    pub fn shape(&self, face: FaceId, text: &str) -> Vec<Glyph> {
        match self.plain[face.index()]
            .as_ref()
            .and_then(|p| p.shape(&self.faces[face.index()], text))
        {
            Some(glyphs) => glyphs,
            None => self.shaped_by_rustybuzz(face, text),
        }
    }

    /// Shape `text` in `face` with rustybuzz.
    fn shaped_by_rustybuzz(&self, face: FaceId, text: &str) -> Vec<Glyph> {
        let f = &self.faces[face.index()];
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        buffer.set_script(rustybuzz::script::LATIN);
        let out = rustybuzz::shape_with_plan(f, &self.plans[face.index()], buffer);
        let infos = out.glyph_infos();
        let positions = out.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            let end = infos
                .get(i + 1)
                .map(|n| n.cluster as usize)
                .filter(|&e| e > start)
                .unwrap_or(if i + 1 == infos.len() {
                    text.len()
                } else {
                    start
                });
            let gid = info.glyph_id as u16;
            glyphs.push(Glyph {
                gid,
                text: text.get(start..end).unwrap_or("").into(),
                advance: pos.x_advance,
                natural: f
                    .glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(gid))
                    .map_or(pos.x_advance, i32::from),
            });
        }
        glyphs
    }

    /// The width of shaped glyphs in points at `size`.
    pub fn width(&self, face: FaceId, glyphs: &[Glyph], size: f32) -> f32 {
        let units: i32 = glyphs.iter().map(|g| g.advance).sum();
        units as f32 * size / self.units_per_em(face) as f32
    }
}

/// Shaping without the shaper, for the text of most words. For Latin text, rustybuzz maps
/// each character to its glyph, runs the lookups of the face's default features (GSUB, then
/// GPOS), and kerns with the pair adjustments of the `kern` feature. A glyph that no lookup of
/// a default feature other than `kern` covers (no lookup can start at it: a lookup starts
/// only at a glyph of its coverage), that the face classes as a base glyph, and whose
/// character needs no normalisation comes out of that as its own glyph, with its own
/// advance plus the kerning of its pairs. A word made only of such glyphs is set here with
/// a cmap look-up and the `kern` lookups read directly: about a tenth of the shaper's work,
/// which was a third of a cold layout. Anything else goes to rustybuzz.
struct Plain {
    /// Glyph id and advance of each ASCII character the shortcut takes.
    ascii: [Option<(u16, i32)>; 128],
    /// One bit per glyph id: no default feature's lookup (other than `kern`) covers it.
    untouched: Vec<u64>,
    /// The `kern` feature's lookups, in the order they apply: each its pair adjustments.
    kerning: Vec<Vec<rustybuzz::ttf_parser::gpos::PairAdjustment<'static>>>,
    /// One bit per glyph id: some pair adjustment of `kerning` starts at it.
    kerns: Vec<u64>,
}

/// Features rustybuzz applies only when asked (it is asked for none): their lookups do not
/// keep a glyph from the shortcut.
const OFF_BY_DEFAULT: [&[u8; 4]; 31] = [
    b"aalt", b"afrc", b"c2pc", b"c2sc", b"case", b"cpsp", b"cswh", b"dlig", b"expt", b"fwid",
    b"halt", b"hist", b"hlig", b"hwid", b"jalt", b"lnum", b"nalt", b"onum", b"ordn", b"ornm",
    b"palt", b"pcap", b"pnum", b"pwid", b"salt", b"sinf", b"smcp", b"subs", b"sups", b"swsh",
    b"titl",
];

impl Plain {
    /// The shortcut for a face, if its layout tables are the kind it reads: a Latin (or
    /// default) script whose `kern` feature is made of pair adjustments.
    fn new(face: &rustybuzz::Face<'static>) -> Option<Plain> {
        use rustybuzz::ttf_parser::opentype_layout::{Coverage, LayoutTable};
        use rustybuzz::ttf_parser::{Tag, gpos::PositioningSubtable};
        let tables = face.tables();
        // Without GPOS the shaper kerns from the old `kern` table, which this does not read.
        tables.gpos.as_ref()?;
        let mut untouched = vec![u64::MAX; usize::from(face.number_of_glyphs()).div_ceil(64)];
        let mut cover = |coverage: Coverage| match coverage {
            Coverage::Format1 { glyphs } => {
                for g in glyphs {
                    clear(&mut untouched, g.0, g.0);
                }
            }
            Coverage::Format2 { records } => {
                for r in records {
                    clear(&mut untouched, r.start.0, r.end.0);
                }
            }
        };
        // The lookups of the default language of the Latin script (else the default script).
        let features = |table: &LayoutTable<'static>| -> Option<Vec<(Tag, Vec<u16>)>> {
            let script = table
                .scripts
                .find(Tag::from_bytes(b"latn"))
                .or_else(|| table.scripts.find(Tag::from_bytes(b"DFLT")))?;
            let system = script.default_language?;
            let indices = system
                .required_feature
                .into_iter()
                .chain(system.feature_indices);
            Some(
                indices
                    .filter_map(|i| table.features.get(i))
                    .map(|f| (f.tag, f.lookup_indices.into_iter().collect()))
                    .collect(),
            )
        };
        let off = |tag: Tag| {
            OFF_BY_DEFAULT.iter().any(|t| Tag::from_bytes(t) == tag)
                || (tag.to_bytes()[0] == b's' && tag.to_bytes()[1] == b's')
                || (tag.to_bytes()[0] == b'c' && tag.to_bytes()[1] == b'v')
        };
        if let Some(gsub) = &tables.gsub {
            for (tag, lookups) in features(gsub)? {
                if off(tag) {
                    continue;
                }
                for lookup in lookups.iter().filter_map(|&i| gsub.lookups.get(i)) {
                    for sub in lookup
                        .subtables
                        .into_iter::<rustybuzz::ttf_parser::gsub::SubstitutionSubtable>()
                    {
                        cover(sub.coverage());
                    }
                }
            }
        }
        let mut kerning: Vec<Vec<rustybuzz::ttf_parser::gpos::PairAdjustment<'static>>> =
            Vec::new();
        if let Some(gpos) = &tables.gpos {
            let mut kern: Vec<u16> = Vec::new();
            for (tag, lookups) in features(gpos)? {
                if off(tag) {
                    continue;
                }
                for &i in &lookups {
                    let lookup = gpos.lookups.get(i)?;
                    let pairs = lookup
                        .subtables
                        .into_iter::<PositioningSubtable>()
                        .all(|s| matches!(s, PositioningSubtable::Pair(_)));
                    if tag == Tag::from_bytes(b"kern") && pairs {
                        kern.push(i);
                    } else {
                        for sub in lookup.subtables.into_iter::<PositioningSubtable>() {
                            cover(sub.coverage());
                        }
                    }
                }
            }
            kern.sort_unstable();
            kern.dedup();
            kerning = kern
                .iter()
                .filter_map(|&i| gpos.lookups.get(i))
                .map(|lookup| {
                    lookup
                        .subtables
                        .into_iter::<PositioningSubtable>()
                        .filter_map(|s| match s {
                            PositioningSubtable::Pair(pair) => Some(pair),
                            _ => None,
                        })
                        .collect()
                })
                .collect();
        }
        let mut kerns = vec![0u64; untouched.len()];
        for pair in kerning.iter().flatten() {
            let mut set = |from: u16, to: u16| {
                for g in from..=to {
                    if let Some(w) = kerns.get_mut(usize::from(g / 64)) {
                        *w |= 1 << (g % 64);
                    }
                }
            };
            match pair.coverage() {
                Coverage::Format1 { glyphs } => glyphs.into_iter().for_each(|g| set(g.0, g.0)),
                Coverage::Format2 { records } => {
                    records.into_iter().for_each(|r| set(r.start.0, r.end.0))
                }
            }
        }
        let mut plain = Plain {
            ascii: [None; 128],
            untouched,
            kerning,
            kerns,
        };
        for c in '!'..='~' {
            plain.ascii[c as usize] = plain.look_up(face, c);
        }
        Some(plain)
    }

    /// The glyph and advance of a character, if the shortcut takes it.
    fn glyph(&self, face: &rustybuzz::Face<'static>, c: char) -> Option<(u16, i32)> {
        if let Some(slot) = self.ascii.get(c as usize) {
            return *slot;
        }
        // Beyond ASCII: Latin-1 signs and general punctuation, which have no canonical
        // decomposition and are not default-ignorable (U+00AD, the soft hyphen, is); not the
        // fraction slash, around which the shaper turns on fractions.
        let allowed = matches!(c, '\u{a0}'..='\u{ac}' | '\u{ae}'..='\u{bf}'
            | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{2043}' | '\u{2045}'..='\u{205e}');
        if allowed { self.look_up(face, c) } else { None }
    }

    /// The glyph and advance of a character, if the face has it as a base glyph that no
    /// lookup but `kern` touches.
    fn look_up(&self, face: &rustybuzz::Face<'static>, c: char) -> Option<(u16, i32)> {
        use rustybuzz::ttf_parser::gdef::GlyphClass;
        let gid = face.glyph_index(c)?;
        let free = self
            .untouched
            .get(usize::from(gid.0 / 64))
            .is_some_and(|w| w & (1 << (gid.0 % 64)) != 0);
        let base = face
            .tables()
            .gdef
            .is_none_or(|t| t.glyph_class(gid) == Some(GlyphClass::Base));
        (gid.0 != 0 && free && base)
            .then(|| face.glyph_hor_advance(gid))
            .flatten()
            .map(|a| (gid.0, i32::from(a)))
    }

    /// `text` shaped, if every character is one the shortcut takes.
    fn shape(&self, face: &rustybuzz::Face<'static>, text: &str) -> Option<Vec<Glyph>> {
        use rustybuzz::ttf_parser::{GlyphId, gpos::PairAdjustment};
        if text.is_empty() {
            return None;
        }
        let mut glyphs = Vec::with_capacity(text.len());
        for (at, c) in text.char_indices() {
            let (gid, advance) = self.glyph(face, c)?;
            glyphs.push(Glyph {
                gid,
                text: text.get(at..at + c.len_utf8()).unwrap_or("").into(),
                advance,
                natural: advance,
            });
        }
        // Each kerning lookup runs over the word: at each glyph, the first subtable that
        // applies adjusts it and the next one; a second value skips the next glyph.
        for lookup in &self.kerning {
            let mut i = 0;
            while i + 1 < glyphs.len() {
                let (first, second) = (GlyphId(glyphs[i].gid), GlyphId(glyphs[i + 1].gid));
                let mut next = i + 1;
                let kerned = self
                    .kerns
                    .get(usize::from(first.0 / 64))
                    .is_some_and(|w| w & (1 << (first.0 % 64)) != 0);
                for pair in lookup.iter().filter(|_| kerned) {
                    let Some(index) = pair.coverage().get(first) else {
                        continue;
                    };
                    let records = match *pair {
                        PairAdjustment::Format1 { sets, .. } => {
                            match sets.get(index).and_then(|s| s.get(second)) {
                                Some(r) => r,
                                None => continue,
                            }
                        }
                        PairAdjustment::Format2 {
                            classes, matrix, ..
                        } => match matrix.get((classes.0.get(first), classes.1.get(second))) {
                            Some(r) => r,
                            None => continue,
                        },
                    };
                    // What the shaper reads besides advances (placements, device tables)
                    // moves no advance; a record with them is left to the shaper.
                    let moves = |r: &rustybuzz::ttf_parser::gpos::ValueRecord| {
                        r.x_placement != 0
                            || r.y_placement != 0
                            || r.y_advance != 0
                            || r.x_placement_device.is_some()
                            || r.y_placement_device.is_some()
                            || r.x_advance_device.is_some()
                            || r.y_advance_device.is_some()
                    };
                    if moves(&records.0) || moves(&records.1) {
                        return None;
                    }
                    glyphs[i].advance += i32::from(records.0.x_advance);
                    glyphs[i + 1].advance += i32::from(records.1.x_advance);
                    if records.1.x_advance != 0 {
                        next = i + 2;
                    }
                    break;
                }
                i = next;
            }
        }
        Some(glyphs)
    }
}

/// Clear the bits of glyphs `from..=to`.
fn clear(bits: &mut [u64], from: u16, to: u16) {
    for g in from..=to {
        if let Some(w) = bits.get_mut(usize::from(g / 64)) {
            *w &= !(1 << (g % 64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaping_keeps_the_text_of_every_glyph() {
        let fonts = Fonts::get();
        let glyphs = fonts.shape(FaceId::Regular, "office AV");
        let text: String = glyphs.iter().map(|g| &*g.text).collect();
        assert_eq!(text, "office AV");
        // Liberation Serif kerns "AV" tighter than the two glyphs' own advances.
        let av = &glyphs[glyphs.len() - 2];
        assert!(av.advance < av.natural, "{glyphs:?}");
    }

    #[test]
    fn glyph_text_is_held_in_place_or_shared_and_reads_the_same() {
        for text in [
            "",
            "f",
            "ffi",
            "\u{e9}\u{301}",
            &"x".repeat(GlyphText::INLINE),
            &"y".repeat(GlyphText::INLINE + 1),
        ] {
            let g = GlyphText::from(text);
            assert_eq!(&*g, text);
            assert_eq!(g.clone(), g);
            let inline = matches!(g, GlyphText::Inline { .. });
            assert_eq!(inline, text.len() <= GlyphText::INLINE, "{text:?}");
        }
        assert_ne!(GlyphText::from("fi"), GlyphText::from("fl"));
    }

    /// Every character the shortcut may take, in a face: ASCII and the signs and punctuation
    /// it allows beyond.
    fn plain_characters(fonts: &Fonts, face: FaceId) -> Vec<char> {
        let plain = fonts.plain[face.index()]
            .as_ref()
            .expect("the bundled faces take the shortcut");
        ('\u{21}'..='\u{7e}')
            .chain('\u{a0}'..='\u{bf}')
            .chain('\u{2010}'..='\u{205e}')
            .filter(|&c| plain.glyph(&fonts.faces[face.index()], c).is_some())
            .collect()
    }

    fn assert_same_as_rustybuzz(fonts: &Fonts, face: FaceId, text: &str) -> bool {
        let shaped = fonts.shaped_by_rustybuzz(face, text);
        let plain = fonts.plain[face.index()]
            .as_ref()
            .and_then(|p| p.shape(&fonts.faces[face.index()], text));
        if let Some(plain) = &plain {
            assert_eq!(plain, &shaped, "{face:?} {text:?}");
        }
        assert_eq!(fonts.shape(face, text), shaped, "{face:?} {text:?}");
        plain.is_some()
    }

    #[test]
    fn the_shortcut_sets_every_pair_of_characters_as_rustybuzz_does() {
        let fonts = Fonts::get();
        for face in FaceId::ALL {
            let chars = plain_characters(fonts, face);
            // The kerning pairs, the ligature-free letters and the signs legal text uses.
            assert!(chars.len() >= 150, "{face:?}: {}", chars.len());
            for c in [
                'a', 'A', 'V', '1', '$', '\u{2019}', '\u{201c}', '\u{2014}', '\u{a7}',
            ] {
                assert!(chars.contains(&c), "{face:?} {c:?}");
            }
            let ascii: Vec<char> = chars.iter().copied().filter(char::is_ascii).collect();
            for &a in &ascii {
                for &b in &ascii {
                    assert!(assert_same_as_rustybuzz(fonts, face, &format!("{a}{b}")));
                }
            }
            for &a in chars.iter().filter(|c| !c.is_ascii()) {
                for b in ['A', 'T', 'V', 'W', 'Y', 'f', 'r', 'y', '1', '.', a] {
                    assert!(assert_same_as_rustybuzz(fonts, face, &format!("{a}{b}")));
                    assert!(assert_same_as_rustybuzz(fonts, face, &format!("{b}{a}")));
                }
            }
        }
    }

    #[test]
    fn the_shortcut_sets_random_words_as_rustybuzz_does() {
        let fonts = Fonts::get();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for face in FaceId::ALL {
            let mut chars = plain_characters(fonts, face);
            // And characters it leaves to the shaper: ligatures, accents, marks, spaces.
            chars.extend([
                'f', 'i', 'l', '\u{e9}', '\u{301}', '\u{ad}', ' ', '\u{2044}', '\u{430}',
            ]);
            let (mut plain, mut words) = (0, 0);
            for _ in 0..3000 {
                let len = 1 + next() % 14;
                let word: String = (0..len)
                    .map(|_| chars[(next() % chars.len() as u64) as usize])
                    .collect();
                words += 1;
                plain += usize::from(assert_same_as_rustybuzz(fonts, face, &word));
            }
            assert!(plain > words / 10, "{face:?}: {plain} of {words}");
        }
    }

    #[test]
    fn the_shortcut_sets_every_word_of_the_bundled_documents_as_rustybuzz_does() {
        let engine = crate::Engine::builtin().expect("templates");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let fonts = Fonts::get();
        let mut words = std::collections::BTreeSet::new();
        for dir in ["originals", "examples"] {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .expect("data")
                .flatten()
                .map(|e| e.path())
                .collect();
            files.sort();
            for path in files {
                let text = std::fs::read_to_string(&path).expect("data");
                let rendered = engine.run(&text, &path.to_string_lossy()).expect("renders");
                let text = crate::render::text::render(&rendered.document);
                words.extend(text.split_whitespace().map(str::to_string));
            }
        }
        assert!(words.len() > 2000, "{}", words.len());
        for face in FaceId::ALL {
            let plain = words
                .iter()
                .filter(|w| assert_same_as_rustybuzz(fonts, face, w))
                .count();
            // Only words with "fi", "fl" or the like, or accents, go to the shaper.
            assert!(
                plain * 10 >= words.len() * 8,
                "{face:?}: {plain} of {}",
                words.len()
            );
        }
    }

    #[test]
    fn a_glyph_is_32_bytes() {
        assert_eq!(std::mem::size_of::<GlyphText>(), 16);
        assert!(std::mem::size_of::<Glyph>() <= 32);
    }

    #[test]
    fn metrics_match_times() {
        // Liberation Serif is metric-compatible with Times: "M" is 0.889 em.
        let fonts = Fonts::get();
        let g = fonts.shape(FaceId::Regular, "M");
        assert!((fonts.width(FaceId::Regular, &g, 1000.0) - 889.0).abs() < 1.0);
    }
}
