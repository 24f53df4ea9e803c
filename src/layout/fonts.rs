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
/// copied out of the layout's cache) touches no reference count; shared when longer.
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
    Shared(Arc<str>),
}

impl GlyphText {
    /// The most bytes held in place.
    pub const INLINE: usize = 22;
}

impl From<&str> for GlyphText {
    fn from(text: &str) -> GlyphText {
        let mut bytes = [0u8; GlyphText::INLINE];
        match (bytes.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(text.as_bytes());
                GlyphText::Inline { len, bytes }
            }
            _ => GlyphText::Shared(text.into()),
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
            Fonts {
                faces,
                plans,
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

    /// Shape `text` in `face`.
    pub fn shape(&self, face: FaceId, text: &str) -> Vec<Glyph> {
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
            &"x".repeat(22),
            &"y".repeat(23),
        ] {
            let g = GlyphText::from(text);
            assert_eq!(&*g, text);
            assert_eq!(g.clone(), g);
            let inline = matches!(g, GlyphText::Inline { .. });
            assert_eq!(inline, text.len() <= GlyphText::INLINE, "{text:?}");
        }
        assert_ne!(GlyphText::from("fi"), GlyphText::from("fl"));
    }

    #[test]
    fn metrics_match_times() {
        // Liberation Serif is metric-compatible with Times: "M" is 0.889 em.
        let fonts = Fonts::get();
        let g = fonts.shape(FaceId::Regular, "M");
        assert!((fonts.width(FaceId::Regular, &g, 1000.0) - 889.0).abs() < 1.0);
    }
}
