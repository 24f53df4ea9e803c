//! The PDF writer: serialises a [`Layout`] with printpdf (embedded, subset Liberation Serif),
//! then a lopdf pass adds what printpdf lacks: AcroForm text and signature fields on the laid-out
//! rectangles, a subset tag on the font names, a content-derived `/ID`, and clean metadata.
//! It never measures or wraps text. Same input, same bytes.

mod archive;
mod serial;
mod tags;

use std::collections::BTreeMap;

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use printpdf::{
    Codepoint, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, TextItem,
};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::layout::fonts::{FaceId, Fonts};
use crate::layout::{Color, Item, Layout};

/// Document information for the PDF's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Title.
    pub title: String,
    /// Author (e.g. the party that prepares the document).
    pub author: String,
    /// Subject.
    pub subject: String,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Files embedded in the PDF (name, bytes): engross attaches the document's Djot source and
    /// its data, so that two engross PDFs compare exactly. They travel as PDF/A-3 associated
    /// files (the source of the document).
    pub attachments: Vec<(String, Vec<u8>)>,
    /// The document's date (creation and modification date, and the attachments' date): from
    /// the agreement's data or `SOURCE_DATE_EPOCH`; none leaves the dates out. Never the clock.
    pub date: Option<Stamp>,
}

pub use archive::{Stamp, document_date};

/// Serialise a layout to PDF bytes. `content_key` identifies the document's content (e.g. its
/// source text); the PDF's `/ID` is derived from it and from the layout.
pub fn write(layout: &Layout, meta: &Metadata, content_key: &[u8]) -> Result<Vec<u8>> {
    write_with(
        layout,
        meta,
        content_key,
        Writing {
            parallel: false,
            free: true,
        },
    )
}

/// How [`write_with`] works.
#[derive(Debug, Clone, Copy)]
pub struct Writing {
    /// Deflate the streams on two threads (the same bytes either way: each stream is
    /// deflated alone).
    pub parallel: bool,
    /// Free the PDF's object tree when done; else leave it to the end of the process
    /// (`Engine::one_shot`).
    pub free: bool,
}

/// What is the same for every PDF (the form font's program and tables), made now: called on a
/// spare thread while the first document of a process is laid out.
pub fn prepare() {
    form_font_program();
    form_font_tables();
    spare_deflaters();
}

/// Compressors made ahead, for the threads that deflate a PDF's streams: making one sets up
/// about 300 KB of tables, whose first touch (page faults) cost more than deflating the small
/// streams of a document. [`prepare`] makes three on its spare thread, while the command reads
/// its input; the threads that deflate take them, or make their own when there are none.
static SPARE_DEFLATERS: std::sync::Mutex<Vec<Deflater>> = std::sync::Mutex::new(Vec::new());

/// Make the compressors of a document's first PDF ahead ([`SPARE_DEFLATERS`]).
fn spare_deflaters() {
    if let Ok(mut spare) = SPARE_DEFLATERS.lock()
        && spare.is_empty()
    {
        // The writer's thread, the one that draws the later pages, and the second compressor.
        spare.extend((0..3).map(|_| Deflater::new()));
    }
}

/// A compressor: a spare one if any is left, else a new one.
fn deflater() -> Deflater {
    SPARE_DEFLATERS
        .lock()
        .ok()
        .and_then(|mut spare| spare.pop())
        .unwrap_or_else(Deflater::new)
}

/// [`write`], as `how` says.
pub fn write_with(
    layout: &Layout,
    meta: &Metadata,
    content_key: &[u8],
    how: Writing,
) -> Result<Vec<u8>> {
    let mut pdf = assemble(layout, meta, content_key, how.parallel)?;
    let bytes = save(&mut pdf);
    if !how.free {
        std::mem::forget(pdf);
    }
    bytes
}

/// The document as lopdf objects, streams deflated.
fn assemble(
    layout: &Layout,
    meta: &Metadata,
    content_key: &[u8],
    parallel: bool,
) -> Result<lopdf::Document> {
    let fonts = Fonts::get();

    // Which glyphs each face uses (with the text each stands for), for subsetting.
    // Indexed by glyph id: a map per glyph drawn cost more than the rest of the writer's pass.
    let mut seen: BTreeMap<FaceId, Vec<Option<&str>>> = BTreeMap::new();
    for page in &layout.pages {
        for item in &page.items {
            if let Item::Text { face, glyphs, .. } = item {
                let map = seen.entry(*face).or_default();
                for g in glyphs {
                    let i = usize::from(g.gid);
                    if map.len() <= i {
                        map.resize(i + 1, None);
                    }
                    if map[i].is_none() {
                        map[i] = Some(&*g.text);
                    }
                }
            }
        }
    }
    let used: BTreeMap<FaceId, BTreeMap<u16, &str>> = seen
        .into_iter()
        .map(|(face, map)| {
            let gids = map
                .into_iter()
                .enumerate()
                .filter_map(|(gid, text)| Some((u16::try_from(gid).ok()?, text?)))
                .collect();
            (face, gids)
        })
        .collect();

    let mut doc = PdfDocument::new(&meta.title);
    let mut tags: Vec<(String, String)> = Vec::new();
    // printpdf writes the fonts (widths, ToUnicode) from the glyphs its text operations use.
    // We write the page contents ourselves (below), so one operation per face on the first
    // page names every glyph once; its content is replaced afterwards.
    let mut registry = Vec::new();
    let remappers: Vec<(FaceId, Vec<u16>, subsetter::GlyphRemapper)> = used
        .iter()
        .map(|(face, gids)| {
            let mut remapper = subsetter::GlyphRemapper::new();
            remapper.remap(0);
            for g in gids.keys() {
                remapper.remap(*g);
            }
            (*face, gids.keys().copied().collect(), remapper)
        })
        .collect();
    // The font IDs and glyph maps the page contents use are known before the subsets are
    // made (our own IDs: printpdf's come from a process-wide counter, so two renders in one
    // process would name and order the fonts differently).
    let faces: BTreeMap<FaceId, (printpdf::FontId, subsetter::GlyphRemapper)> = remappers
        .iter()
        .enumerate()
        .map(|(i, (face, _, remapper))| {
            (
                *face,
                (printpdf::FontId(format!("F{}", i + 1)), remapper.clone()),
            )
        })
        .collect();
    let make_subsets = || -> Vec<Result<_>> {
        remappers
            .iter()
            .map(|(face, gids, remapper)| subset_font(*face, gids.clone(), remapper))
            .collect()
    };
    // The pages' contents are drawn and deflated while the fonts are subset; when `parallel`,
    // on two threads: the second subsets the fonts, then draws the later pages (about two
    // fifths of the items). The bytes are the same either way: each page is drawn alone and
    // each stream deflated alone.
    let draw = |pages: &[crate::layout::Page]| -> Result<Vec<Drawn>> {
        pages
            .iter()
            .map(|page| {
                let (parts, marks) = page_content(page, layout, &faces, fonts);
                let parts = parts
                    .into_iter()
                    .map(|content| Ok((pre_deflated(&content)?, content)))
                    .collect::<Result<Vec<_>>>()?;
                Ok((parts, marks))
            })
            .collect()
    };
    let (subsets, drawn) = if parallel {
        let weights: Vec<usize> = layout.pages.iter().map(|p| p.items.len() + 1).collect();
        let total: usize = weights.iter().sum();
        let (mut split, mut before) = (0, 0);
        while split < weights.len() && before * 5 < total * 3 {
            before += weights[split];
            split += 1;
        }
        let (first, later) = layout.pages.split_at(split);
        std::thread::scope(|scope| {
            let other = crate::threads::spawn_scoped(std::thread::Builder::new(), scope, || {
                (make_subsets(), draw(later))
            })
            .ok();
            let mine = draw(first);
            let (subsets, theirs) = other
                .and_then(|h| h.join().ok())
                .unwrap_or_else(|| (make_subsets(), draw(later)));
            let mut drawn = mine?;
            drawn.extend(theirs?);
            Ok::<_, Error>((subsets, drawn))
        })?
    } else {
        (make_subsets(), draw(&layout.pages)?)
    };
    let (contents, marks): (Vec<Vec<Part>>, Vec<tags::PageMarks>) = drawn.into_iter().unzip();
    let digest = {
        let pages: Vec<Vec<u8>> = contents
            .iter()
            .map(|parts| {
                let mut page = Vec::with_capacity(parts.iter().map(|p| p.1.len() + 1).sum());
                for (_, part) in parts {
                    page.extend_from_slice(part);
                    page.push(b'\n');
                }
                page
            })
            .collect();
        Digests {
            pages: page_digests(pages.iter().map(Vec::as_slice)).join(" "),
            whole: page_digest(pages),
        }
    };
    for (((face, gids), (_, _, remapper)), subset) in used.iter().zip(&remappers).zip(subsets) {
        let subset = subset?;
        let (parsed, tag) = (&subset.1, &subset.2);
        let Some((id, _)) = faces.get(face) else {
            continue;
        };
        doc.resources
            .fonts
            .map
            .insert(id.clone(), printpdf::PdfFont::new(parsed.clone()));
        tags.push((id.0.clone(), tag.clone()));
        registry.push(Op::StartTextSection);
        registry.push(Op::SetFont {
            font: PdfFontHandle::External(id.clone()),
            size: Pt(12.0),
        });
        registry.push(Op::ShowText {
            items: vec![TextItem::GlyphIds(
                gids.iter()
                    .map(|(gid, text)| Codepoint {
                        gid: remapper.get(*gid).unwrap_or(0),
                        offset: 0.0,
                        cid: Some(text.to_string()),
                    })
                    .collect(),
            )],
        });
        registry.push(Op::EndTextSection);
    }

    let mut pages = Vec::new();
    for (i, _) in layout.pages.iter().enumerate() {
        let ops = if i == 0 {
            std::mem::take(&mut registry)
        } else {
            Vec::new()
        };
        let mut p = PdfPage::new(printpdf::Mm(10.0), printpdf::Mm(10.0), ops);
        // Set the boxes in points: going through millimetres gives 792.001.
        let rect = printpdf::Rect::from_wh(Pt(layout.setup.width), Pt(layout.setup.height));
        p.media_box = rect.clone();
        p.trim_box = rect.clone();
        p.crop_box = rect;
        pages.push(p);
    }
    doc.with_pages(pages);
    let info = &mut doc.metadata.info;
    info.document_title = meta.title.clone();
    info.author = meta.author.clone();
    info.subject = meta.subject.clone();
    info.keywords = meta.keywords.clone();
    info.creator = "engross".into();
    info.producer = "engross".into();

    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
    set_contents(&mut pdf, contents)?;
    finish(&mut pdf, layout, meta, &tags, content_key, &marks, &digest)?;
    compress(&mut pdf, parallel)?;
    Ok(pdf)
}

/// The document's bytes: lopdf's, written by [`serial::serialize`].
fn save(pdf: &mut lopdf::Document) -> Result<Vec<u8>> {
    if let Some(out) = serial::serialize(pdf) {
        return Ok(out);
    }
    let mut out = Vec::new();
    pdf.save_to(&mut out)
        .map_err(|e| Error::internal("writing the PDF", e))?;
    Ok(out)
}

/// Deflate every stream that is not compressed yet, at zlib's fastest level. lopdf's own
/// `compress` uses the slowest setting, which took most of the writer's time; level 6 still
/// took a quarter of the whole render of the subscription agreement, and level 1 takes a
/// third of that for a file about 18% larger (292 KB against 247 KB). One compressor per
/// thread serves every stream (making one cost a twentieth of the writer), and streams too
/// short to gain are left as they are ([`MIN_COMPRESSED`]). Streams met
/// before in this process (the fonts, the colour profile, the page bodies of a roster's
/// documents) take their deflated bytes from [`deflated`].
fn compress(pdf: &mut lopdf::Document, parallel: bool) -> Result<()> {
    let deflate_all = |streams: Vec<&mut lopdf::Stream>| -> Result<()> {
        with_deflater(|deflater| {
            for stream in streams {
                let compressed = deflated(deflater, &stream.content)?;
                if compressed.len() + 19 < stream.content.len() {
                    stream
                        .dict
                        .set("Filter", Object::Name(b"FlateDecode".to_vec()));
                    stream.set_content(compressed);
                }
            }
            Ok(())
        })
    };
    let mut streams: Vec<&mut lopdf::Stream> = pdf
        .objects
        .values_mut()
        .filter_map(|object| match object {
            Object::Stream(stream)
                if stream.allows_compression
                    && stream.content.len() >= MIN_COMPRESSED
                    && stream.dict.get(b"Filter").is_err() =>
            {
                Some(stream)
            }
            _ => None,
        })
        .collect();
    if !parallel {
        return deflate_all(streams);
    }
    // Two halves of about the same size: largest first, each to the lighter half.
    streams.sort_by_key(|s| std::cmp::Reverse(s.content.len()));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut size_a, mut size_b) = (0, 0);
    for s in streams {
        if size_a <= size_b {
            size_a += s.content.len();
            a.push(s);
        } else {
            size_b += s.content.len();
            b.push(s);
        }
    }
    let other_half = std::sync::Mutex::new(Some(b));
    let take = || other_half.lock().ok().and_then(|mut half| half.take());
    std::thread::scope(|scope| {
        let other = crate::threads::spawn_scoped(std::thread::Builder::new(), scope, || {
            take().map_or(Ok(()), deflate_all)
        })
        .ok();
        let mine = deflate_all(a);
        let theirs = other.map_or(Ok(()), |h| {
            h.join().unwrap_or_else(|_| {
                Err(Error::internal(
                    "compressing the PDF",
                    "the compressor's thread failed",
                ))
            })
        });
        // What the other thread did not take (it could not start) is deflated here.
        let rest = take().map_or(Ok(()), deflate_all);
        mine.and(theirs).and(rest)
    })
}

/// A part of a page's content: its bytes, deflated when that made them shorter
/// ([`pre_deflated`]), and as drawn.
type Part = (Option<Vec<u8>>, Vec<u8>);

/// A drawn page: its parts and its marked content.
type Drawn = (Vec<Part>, tags::PageMarks);

/// `content` deflated on this thread, by the rule of [`compress`] (long enough, and shorter
/// for it), or `None` where [`compress`] would leave it as it is.
fn pre_deflated(content: &[u8]) -> Result<Option<Vec<u8>>> {
    if content.len() < MIN_COMPRESSED {
        return Ok(None);
    }
    let compressed = with_deflater(|d| deflated(d, content))?;
    Ok((compressed.len() + 19 < content.len()).then_some(compressed))
}

/// Run `f` with this thread's compressor (a spare one, or a new one, the first time).
fn with_deflater<T>(f: impl FnOnce(&mut Deflater) -> Result<T>) -> Result<T> {
    thread_local! {
        static DEFLATER: std::cell::RefCell<Option<Deflater>> =
            const { std::cell::RefCell::new(None) };
    }
    DEFLATER.with(|cell| {
        let mut slot = cell.borrow_mut();
        f(slot.get_or_insert_with(deflater))
    })
}

/// Streams shorter than this are left as they are: they gain little, and setting the
/// compressor up for each (clearing its tables) cost more than deflating them.
const MIN_COMPRESSED: usize = 512;

/// Streams of at least this many bytes are kept deflated for the process, up to
/// [`MAX_DEFLATED`] bytes (content and deflated bytes together); past that they are deflated
/// each time.
const MIN_DEFLATED: usize = 1024;
const MAX_DEFLATED: usize = 32 << 20;

/// A stream's content and its deflated bytes.
type Deflation = (Box<[u8]>, Box<[u8]>);

/// Deflated streams by their content: found only when the content is equal byte for byte (the
/// hash only picks the bucket), so the bytes are those the compressor would make again.
#[derive(Default)]
struct DeflatedCache {
    entries: std::collections::HashMap<u64, Vec<Deflation>>,
    bytes: usize,
    /// The hashes of streams deflated once: a stream is kept the second time it is met, so
    /// that one document's own streams (its attachments, a roster row's own pages) cost 8
    /// bytes; at most [`MAX_SEEN`], then forgotten at once.
    seen: std::collections::HashSet<u64>,
}

const MAX_SEEN: usize = 100_000;

/// A fast hash of a stream's bytes (FxHash's step over 8-byte words).
fn content_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0; 8];
        b.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(K).rotate_left(26);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(K).rotate_left(26);
    }
    h
}

/// `bytes` deflated: from the process's cache when this content was deflated before.
fn deflated(deflater: &mut Deflater, bytes: &[u8]) -> Result<Vec<u8>> {
    static CACHE: std::sync::OnceLock<std::sync::RwLock<DeflatedCache>> =
        std::sync::OnceLock::new();
    if bytes.len() < MIN_DEFLATED {
        return deflater.deflate(bytes);
    }
    let cache = CACHE.get_or_init(Default::default);
    let hash = content_hash(bytes);
    if let Ok(c) = cache.read()
        && let Some((_, out)) = c
            .entries
            .get(&hash)
            .and_then(|b| b.iter().find(|(content, _)| **content == *bytes))
    {
        return Ok(out.to_vec());
    }
    let out = deflater.deflate(bytes)?;
    if let Ok(mut c) = cache.write() {
        let size = bytes.len() + out.len();
        if c.seen.len() >= MAX_SEEN {
            c.seen.clear();
        }
        if c.bytes + size <= MAX_DEFLATED && !c.seen.insert(hash) {
            let bucket = c.entries.entry(hash).or_default();
            if !bucket.iter().any(|(content, _)| **content == *bytes) {
                bucket.push((bytes.into(), out.as_slice().into()));
                c.bytes += size;
            }
        }
    }
    Ok(out)
}

/// A zlib compressor at the writer's level, reset between streams.
struct Deflater(flate2::Compress);

impl Deflater {
    fn new() -> Deflater {
        Deflater(flate2::Compress::new(flate2::Compression::fast(), true))
    }

    /// `bytes` as one complete zlib stream.
    fn deflate(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
        let failed = |e: String| Error::internal("compressing the PDF", e);
        self.0.reset();
        let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
        loop {
            let read = self.0.total_in() as usize;
            let status = self
                .0
                .compress_vec(
                    bytes.get(read..).unwrap_or_default(),
                    &mut out,
                    flate2::FlushCompress::Finish,
                )
                .map_err(|e| failed(e.to_string()))?;
            match status {
                flate2::Status::StreamEnd => return Ok(out),
                flate2::Status::Ok | flate2::Status::BufError => {
                    out.reserve(out.capacity().max(64));
                }
            }
        }
    }
}

/// A number for a content stream: at most three decimals, no trailing zeros. Written by hand:
/// formatting floats was a tenth of the writer's time.
fn num(out: &mut Vec<u8>, v: f32) {
    let milli = (v * 1000.0).round() as i64;
    if milli < 0 {
        out.push(b'-');
    }
    let milli = milli.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut whole = milli / 1000;
    loop {
        digits[n] = b'0' + (whole % 10) as u8;
        n += 1;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    out.extend(digits[..n].iter().rev());
    let mut frac = milli % 1000;
    if frac != 0 {
        out.push(b'.');
        let mut scale = 100;
        while frac != 0 {
            out.push(b'0' + (frac / scale) as u8);
            frac %= scale;
            scale /= 10;
        }
    }
}

/// A glyph id as the two bytes of a literal string: escaped where PDF's string syntax needs
/// it (parentheses, backslash, and line ends, which a reader would normalise). Half the bytes
/// of hexadecimal, so less to write and to deflate.
fn glyph_bytes(out: &mut Vec<u8>, gid: u16) {
    for b in gid.to_be_bytes() {
        match b {
            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// The content stream of one page: every glyph run as one `TJ` (kerning and stretched spaces as
/// adjustments), every rule as a stroked line.
///
/// The page's last artifacts (its footer: page number, document ID, caption) are a content
/// stream of their own after the body's, each stream setting its own colours: a page's body
/// is then often byte for byte the body of the same page of another document of a roster,
/// and its deflated bytes are found in the writer's cache.
fn page_content(
    page: &crate::layout::Page,
    layout: &Layout,
    faces: &BTreeMap<FaceId, (printpdf::FontId, subsetter::GlyphRemapper)>,
    fonts: &Fonts,
) -> (Vec<Vec<u8>>, tags::PageMarks) {
    let mut parts = Vec::with_capacity(2);
    let mut out = Vec::with_capacity(page.items.len() * 64);
    let mut fill: Option<Color> = None;
    let mut stroke: Option<(Color, f32)> = None;
    let mut marks = Vec::new();
    let mut state = None;
    let artifact = |k: usize| {
        page.tags.get(k).copied().flatten().is_none()
            && matches!(page.items[k], Item::Text { .. } | Item::Rule { .. })
    };
    let mut footer = page.items.len();
    while footer > 0 && artifact(footer - 1) {
        footer -= 1;
    }
    for (k, item) in page.items.iter().enumerate() {
        if k == footer && k > 0 {
            tags::close(&mut out, &mut state);
            parts.push(std::mem::replace(&mut out, Vec::with_capacity(256)));
            fill = None;
            stroke = None;
        }
        if !matches!(item, Item::Field { .. } | Item::Signature { .. }) {
            let tag = page.tags.get(k).copied().flatten();
            tags::mark(&mut out, &mut state, tag, layout, &mut marks);
        }
        match item {
            Item::Text {
                x,
                y,
                face,
                size,
                glyphs,
                color,
            } => {
                let Some((id, remapper)) = faces.get(face) else {
                    continue;
                };
                if fill != Some(*color) {
                    for c in [color.0, color.1, color.2] {
                        num(&mut out, c);
                        out.push(b' ');
                    }
                    out.extend_from_slice(b"rg\n");
                    fill = Some(*color);
                }
                let upem = fonts.units_per_em(*face) as f32;
                out.extend_from_slice(b"BT /");
                out.extend_from_slice(id.0.as_bytes());
                out.push(b' ');
                num(&mut out, *size);
                out.extend_from_slice(b" Tf 1 0 0 1 ");
                num(&mut out, *x);
                out.push(b' ');
                num(&mut out, *y);
                out.extend_from_slice(b" Tm [(");
                for g in glyphs {
                    glyph_bytes(&mut out, remapper.get(g.gid).unwrap_or(0));
                    // TJ moves left by positive numbers: kerning tighter than the glyph's own
                    // advance, or a space narrower than its own, is a positive adjustment.
                    let adjust = (g.natural - g.advance) as f32 * 1000.0 / upem;
                    if adjust.abs() >= 0.001 {
                        out.extend_from_slice(b") ");
                        num(&mut out, adjust);
                        out.extend_from_slice(b" (");
                    }
                }
                out.extend_from_slice(b")] TJ ET\n");
            }
            Item::Rule {
                x1,
                y1,
                x2,
                y2,
                width,
                color,
            } => {
                if stroke != Some((*color, *width)) {
                    for c in [color.0, color.1, color.2] {
                        num(&mut out, c);
                        out.push(b' ');
                    }
                    out.extend_from_slice(b"RG ");
                    num(&mut out, *width);
                    out.extend_from_slice(b" w\n");
                    stroke = Some((*color, *width));
                }
                for v in [x1, y1] {
                    num(&mut out, *v);
                    out.push(b' ');
                }
                out.extend_from_slice(b"m ");
                for v in [x2, y2] {
                    num(&mut out, *v);
                    out.push(b' ');
                }
                out.extend_from_slice(b"l S\n");
            }
            Item::Field { .. } | Item::Signature { .. } => {}
        }
    }
    tags::close(&mut out, &mut state);
    parts.push(out);
    (parts, marks)
}

/// Put our content streams on the pages (one, or the body's and the footer's), and give every
/// page the document's fonts (printpdf only lists on a page the fonts its own operations used).
fn set_contents(pdf: &mut lopdf::Document, contents: Vec<Vec<Part>>) -> Result<()> {
    let page_ids: Vec<ObjectId> = pdf.get_pages().values().copied().collect();
    let malformed = |e: lopdf::Error| Error::internal("writing the PDF's pages", e);
    // The fonts, from the first page's resources.
    let fonts = page_ids
        .first()
        .and_then(|id| pdf.get_dictionary(*id).ok())
        .and_then(|page| page.get(b"Resources").ok().cloned())
        .and_then(|r| match r {
            Object::Reference(id) => pdf.get_dictionary(id).ok().cloned(),
            Object::Dictionary(d) => Some(d),
            _ => None,
        })
        .and_then(|r| r.get(b"Font").ok().cloned());
    for (id, parts) in page_ids.into_iter().zip(contents) {
        let mut streams: Vec<Object> = parts
            .into_iter()
            .map(|(deflated, content)| {
                // The filter after the length, as `compress` sets it.
                let stream = match deflated {
                    Some(bytes) => {
                        let mut stream = lopdf::Stream::new(Dictionary::new(), bytes);
                        stream
                            .dict
                            .set("Filter", Object::Name(b"FlateDecode".to_vec()));
                        stream
                    }
                    None => lopdf::Stream::new(Dictionary::new(), content),
                };
                Object::Reference(pdf.add_object(stream))
            })
            .collect();
        let page = pdf
            .get_object_mut(id)
            .and_then(Object::as_dict_mut)
            .map_err(malformed)?;
        page.set(
            "Contents",
            if streams.len() == 1 {
                streams.remove(0)
            } else {
                Object::Array(streams)
            },
        );
        let mut resources = Dictionary::new();
        if let Some(f) = &fonts {
            resources.set("Font", f.clone());
        }
        page.set("Resources", Object::Dictionary(resources));
    }
    // The replaced streams are now unreferenced: `finish` prunes them.
    Ok(())
}

/// A face subset to the given glyphs (the remapper's order: glyph 0, then `gids` as listed),
/// parsed, with its tagged name (`ABCDEF+LiberationSerif`): made once per process for each
/// face and set of glyphs, since the documents of one kind use nearly the same glyphs.
fn subset_font(
    face: FaceId,
    gids: Vec<u16>,
    remapper: &subsetter::GlyphRemapper,
) -> Result<std::sync::Arc<(Vec<u8>, ParsedFont, String)>> {
    type Subsets = std::sync::Mutex<
        std::collections::HashMap<
            (FaceId, Vec<u16>),
            std::sync::Arc<(Vec<u8>, ParsedFont, String)>,
        >,
    >;
    /// At most this many subsets are kept.
    const MAX_SUBSETS: usize = 64;
    static SUBSETS: std::sync::OnceLock<Subsets> = std::sync::OnceLock::new();
    let cache = SUBSETS.get_or_init(Default::default);
    let key = (face, gids);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(found);
    }
    let subset = subsetter::subset(face.bytes(), 0, remapper)
        .map_err(|e| Error::internal("subsetting the font", format!("{e:?}")))?;
    let parsed = ParsedFont::from_bytes(&subset, 0, &mut Vec::new())
        .ok_or_else(|| Error::internal("reading the subset font", "the subset has no face"))?;
    let tag = format!("{}+{}", subset_tag(&subset), postscript_name(face));
    let made = std::sync::Arc::new((subset, parsed, tag));
    if let Ok(mut c) = cache.lock()
        && c.len() < MAX_SUBSETS
    {
        c.insert(key, made.clone());
    }
    Ok(made)
}

/// Six capital letters derived from the subset's bytes (PDF's convention for subset fonts).
fn subset_tag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// The lopdf pass.
fn finish(
    pdf: &mut lopdf::Document,
    layout: &Layout,
    meta: &Metadata,
    tags: &[(String, String)],
    content_key: &[u8],
    marks: &[tags::PageMarks],
    digest: &Digests,
) -> Result<()> {
    tag_fonts(pdf, tags);
    // What is unreferenced now (printpdf's page contents and resources, replaced) is dropped
    // before the form, outline, metadata and structure tree are added: walking those for
    // references took a twentieth of the writer's time, and they only reference what they add.
    pdf.prune_objects();
    let widgets = add_fields(pdf, layout)?;
    add_links(pdf, layout)?;
    attach(pdf, &meta.attachments, meta.date, digest)?;
    archive::outline(pdf, &layout.outline)?;
    let reference = |o: Result<&Object, lopdf::Error>| o.ok().and_then(|o| o.as_reference().ok());
    let old_info = reference(pdf.trailer.get(b"Info"));
    let old_metadata = reference(pdf.catalog().and_then(|c| c.get(b"Metadata")));
    // A new information dictionary (printpdf's has the epoch for dates and a PDF/X marker the
    // file does not conform to) and the XMP, output intent and language of PDF/A.
    archive::describe(
        pdf,
        &archive::Described {
            title: &meta.title,
            author: &meta.author,
            subject: &meta.subject,
            keywords: meta.keywords.join(", "),
            date: meta.date,
        },
    )?;
    // printpdf's information dictionary and metadata, replaced.
    for old in [old_info, old_metadata].into_iter().flatten() {
        pdf.objects.remove(&old);
    }
    tags::structure(pdf, layout, marks, &widgets)?;

    // A content-derived ID: same document, same ID; different document, different ID.
    let mut h = Sha256::new();
    h.update(content_key);
    h.update(format!("{:?}", layout.setup).as_bytes());
    h.update(layout.pages.len().to_le_bytes());
    let id = h.finalize()[..16].to_vec();
    pdf.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(id.clone(), StringFormat::Hexadecimal),
            Object::String(id, StringFormat::Hexadecimal),
        ]),
    );
    Ok(())
}

fn postscript_name(face: FaceId) -> String {
    rustybuzz::ttf_parser::Face::parse(face.bytes(), 0)
        .ok()
        .and_then(|f| {
            f.names()
                .into_iter()
                .filter(|n| n.name_id == rustybuzz::ttf_parser::name_id::POST_SCRIPT_NAME)
                .find_map(|n| n.to_string())
        })
        .unwrap_or_else(|| "LiberationSerif".into())
}

/// Name embedded fonts by their PostScript name with a subset tag (`ABCDEF+LiberationSerif`),
/// replacing printpdf's internal font IDs, so readers and pdffonts know what they are. The
/// names sit in font, descendant-font and descriptor dictionaries, some of them inline.
fn tag_fonts(pdf: &mut lopdf::Document, tags: &[(String, String)]) {
    fn visit(obj: &mut Object, names: &BTreeMap<&str, &str>) {
        match obj {
            Object::Dictionary(dict) => {
                for key in [&b"BaseFont"[..], &b"FontName"[..]] {
                    let current = dict
                        .get(key)
                        .ok()
                        .and_then(|o| o.as_name().ok())
                        .map(|n| String::from_utf8_lossy(n).to_string());
                    if let Some(cur) = current {
                        let plain = cur.split('+').next_back().unwrap_or(&cur).to_string();
                        if let Some(tagged) = names.get(plain.as_str()) {
                            dict.set(key, Object::Name(tagged.as_bytes().to_vec()));
                        }
                    }
                }
                for (_, v) in dict.iter_mut() {
                    visit(v, names);
                }
            }
            Object::Array(items) => items.iter_mut().for_each(|i| visit(i, names)),
            _ => {}
        }
    }
    let names: BTreeMap<&str, &str> = tags.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    for obj in pdf.objects.values_mut() {
        visit(obj, &names);
    }
}

/// Embed files (`/EmbeddedFiles` in the catalogue's name tree), sorted by name.
fn attach(
    pdf: &mut lopdf::Document,
    files: &[(String, Vec<u8>)],
    date: Option<Stamp>,
    digest: &Digests,
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let mut files: Vec<&(String, Vec<u8>)> = files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut names = Vec::new();
    let mut af = Vec::new();
    for (name, bytes) in files {
        let mut stream_dict = Dictionary::new();
        stream_dict.set("Type", Object::Name(b"EmbeddedFile".to_vec()));
        stream_dict.set(
            "Subtype",
            Object::Name(if name.ends_with(".toml") {
                b"application/toml".to_vec()
            } else {
                b"text/plain".to_vec()
            }),
        );
        let mut params = Dictionary::new();
        params.set("Size", Object::Integer(bytes.len() as i64));
        if let Some(d) = date {
            params.set(
                "ModDate",
                Object::String(d.pdf_date().into_bytes(), StringFormat::Literal),
            );
        }
        stream_dict.set("Params", Object::Dictionary(params));
        let stream = pdf.add_object(lopdf::Stream::new(stream_dict, bytes.clone()));
        let mut ef = Dictionary::new();
        ef.set("F", Object::Reference(stream));
        let mut spec = Dictionary::new();
        spec.set("Type", Object::Name(b"Filespec".to_vec()));
        spec.set(
            "F",
            Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        );
        spec.set(
            "UF",
            Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        );
        spec.set("EF", Object::Dictionary(ef));
        // PDF/A-3: the source the document was made from.
        spec.set("AFRelationship", Object::Name(b"Source".to_vec()));
        // What the pages showed when the source was attached (see [`page_digest`]).
        spec.set(
            PAGE_DIGEST_KEY,
            Object::String(digest.whole.as_bytes().to_vec(), StringFormat::Literal),
        );
        spec.set(
            PAGES_DIGEST_KEY,
            Object::String(digest.pages.as_bytes().to_vec(), StringFormat::Literal),
        );
        spec.set(
            "Desc",
            archive::text_string(if name.ends_with(".toml") {
                "The agreement's data (comments left out)"
            } else {
                "The agreement's Djot source"
            }),
        );
        let spec = pdf.add_object(Object::Dictionary(spec));
        af.push(Object::Reference(spec));
        names.push(Object::String(
            name.as_bytes().to_vec(),
            StringFormat::Literal,
        ));
        names.push(Object::Reference(spec));
    }
    let mut tree = Dictionary::new();
    tree.set("Names", Object::Array(names));
    let tree = pdf.add_object(Object::Dictionary(tree));
    let catalog = pdf
        .catalog_mut()
        .map_err(|e| Error::internal("writing the PDF's catalog", e))?;
    let mut name_dict = match catalog.get(b"Names") {
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    name_dict.set("EmbeddedFiles", Object::Reference(tree));
    catalog.set("Names", Object::Dictionary(name_dict));
    catalog.set("AF", Object::Array(af));
    Ok(())
}

/// The most bytes an attachment may decompress to (64 MiB): a deflate bomb is an error.
pub const MAX_ATTACHMENT_BYTES: u64 = 64 << 20;

/// An embedded file's bytes: inflated with a cap when deflated, as stored when not filtered.
fn attachment_content(s: &lopdf::Stream, name: &[u8]) -> Result<Vec<u8>> {
    use std::io::Read;
    let filters = s.filters().unwrap_or_default();
    if filters.is_empty() {
        return Ok(s.content.clone());
    }
    if filters.as_slice() != [b"FlateDecode".as_slice()] {
        return Ok(s
            .decompressed_content()
            .unwrap_or_else(|_| s.content.clone()));
    }
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(s.content.as_slice())
        .take(MAX_ATTACHMENT_BYTES.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| Error::Unreadable {
            name: "the PDF's attachment".into(),
            format: "a compressed stream",
            source: e.to_string().into(),
        })?;
    if out.len() as u64 > MAX_ATTACHMENT_BYTES {
        return Err(Error::Limit(format!(
            "the PDF's attachment {} decompresses to more than the limit of {} MiB",
            String::from_utf8_lossy(name),
            MAX_ATTACHMENT_BYTES >> 20
        )));
    }
    Ok(out)
}

/// The files embedded in a PDF (name, bytes), for reading back an engross PDF's source.
pub fn attachments(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| Error::Unreadable {
        name: "the input".into(),
        format: "a PDF",
        source: Box::new(e),
    })?;
    attachments_of(&doc)
}

/// [`attachments`] of a PDF already read.
pub fn attachments_of(doc: &lopdf::Document) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (name, spec) in embedded_specs(doc) {
        let stream = spec
            .get(b"EF")
            .ok()
            .and_then(|o| resolved(doc, o))
            .and_then(|ef| ef.as_dict().ok().and_then(|d| d.get(b"F").ok().cloned()))
            .and_then(|o| resolved(doc, &o));
        if let Some(Object::Stream(s)) = stream {
            let content = attachment_content(&s, &name)?;
            out.push((String::from_utf8_lossy(&name).to_string(), content));
        }
    }
    Ok(out)
}

/// An object, with a reference followed (once).
fn resolved(doc: &lopdf::Document, o: &Object) -> Option<Object> {
    match o {
        Object::Reference(id) => doc.get_object(*id).ok().cloned(),
        other => Some(other.clone()),
    }
}

/// The file specifications of the catalogue's `/EmbeddedFiles` name tree (its top level, as
/// engross writes it), with their names.
fn embedded_specs(doc: &lopdf::Document) -> Vec<(Vec<u8>, Dictionary)> {
    let names = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Names").ok())
        .and_then(|o| resolved(doc, o))
        .and_then(|n| {
            n.as_dict()
                .ok()
                .and_then(|d| d.get(b"EmbeddedFiles").ok().cloned())
        })
        .and_then(|o| resolved(doc, &o))
        .and_then(|t| t.as_dict().ok().and_then(|d| d.get(b"Names").ok().cloned()))
        .and_then(|o| resolved(doc, &o));
    let Some(Object::Array(items)) = names else {
        return Vec::new();
    };
    items
        .chunks(2)
        .filter_map(|pair| {
            let [name, spec] = pair else { return None };
            let name = name.as_str().ok()?.to_vec();
            let spec = resolved(doc, spec)?.as_dict().ok()?.clone();
            Some((name, spec))
        })
        .collect()
}

/// The key of an attachment's file specification that holds [`page_digest`] of the pages it
/// was attached to (a private key: readers that do not know it ignore it).
const PAGE_DIGEST_KEY: &str = "EngrossPageDigest";

/// A digest of what a PDF's pages draw: SHA-256 over each page's content (its content streams
/// decoded, each followed by a newline, as lopdf's `get_page_content` joins them), each page
/// preceded by its length. Written beside the embedded source, so that a reader can tell
/// whether the pages still show what the source says: a page removed, added, reordered or
/// edited changes it (a form field filled in or a signature added does not: those are
/// annotations, not page content).
pub fn page_digest(pages: impl IntoIterator<Item = Vec<u8>>) -> String {
    let mut h = Sha256::new();
    for page in pages {
        h.update((page.len() as u64).to_le_bytes());
        h.update(&page);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The key beside [`PAGE_DIGEST_KEY`] that holds [`page_digests`] of the pages, separated by
/// spaces: which pages changed, where the whole digest tells only that one did.
const PAGES_DIGEST_KEY: &str = "EngrossPageDigests";

/// What the writer records of the pages beside the source.
struct Digests {
    /// [`page_digest`] of all pages.
    whole: String,
    /// [`page_digests`], separated by spaces.
    pages: String,
}

/// Each page's own digest: the first 16 hexadecimal digits of SHA-256 over its content (as
/// [`page_digest`] takes it).
pub fn page_digests<'a>(pages: impl IntoIterator<Item = &'a [u8]>) -> Vec<String> {
    pages
        .into_iter()
        .map(|page| {
            Sha256::digest(page)
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
}

/// How a PDF's pages are drawn now, and how engross drew them when it wrote the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawing {
    /// Each page's [`page_digests`] digest, as the file draws it now (`None`: over the size
    /// limit, so unknown).
    pub now: Vec<Option<String>>,
    /// The digests the file's embedded source claims, when it has them.
    pub written: Option<Vec<String>>,
}

/// How a PDF's pages are drawn (each page's content bounded to `limit` decoded bytes).
pub fn drawing_of(doc: &lopdf::Document, limit: usize) -> Drawing {
    let now = doc
        .get_pages()
        .values()
        .map(|id| {
            doc.get_page_content_with_limit(*id, limit)
                .ok()
                .and_then(|c| page_digests([c.as_slice()]).pop())
        })
        .collect();
    let written = embedded_specs(doc).into_iter().find_map(|(_, spec)| {
        let list = spec.get(PAGES_DIGEST_KEY.as_bytes()).ok()?.as_str().ok()?;
        Some(
            String::from_utf8_lossy(list)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        )
    });
    Drawing { now, written }
}

/// The digest of a PDF's pages as [`page_digest`] computes it, each page's content bounded to
/// `limit` decoded bytes (`None` when a page is over it).
pub fn pages_digest_of(doc: &lopdf::Document, limit: usize) -> Option<String> {
    let mut pages = Vec::new();
    for id in doc.get_pages().values() {
        pages.push(doc.get_page_content_with_limit(*id, limit).ok()?);
    }
    Some(page_digest(pages))
}

/// The page digest an engross PDF's attachments claim (the first file specification that
/// has one), if any.
pub fn claimed_page_digest(doc: &lopdf::Document) -> Option<String> {
    embedded_specs(doc).into_iter().find_map(|(_, spec)| {
        spec.get(PAGE_DIGEST_KEY.as_bytes())
            .ok()
            .and_then(|o| o.as_str().ok())
            .map(|b| String::from_utf8_lossy(b).to_string())
    })
}

/// Fully qualified field names for the given dotted names, in the same order, unique by
/// construction. A name splits at periods into partial names (the PDF format's hierarchy; a
/// partial name never contains a period, and empty ones are dropped). Every proper prefix of a
/// name is a parent node; a terminal field may be neither a parent nor another field, so a name
/// that is taken either way gets the first free suffix (`category_e` beside
/// `category_e.line1` becomes `category_e_2`; a second `company.signature` becomes
/// `company.signature_2`).
pub fn qualified_names<'a>(names: impl IntoIterator<Item = (&'a str, bool)>) -> Vec<Vec<String>> {
    let parts: Vec<Vec<String>> = names
        .into_iter()
        .map(|(name, sig)| {
            let p: Vec<String> = name
                .split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            if p.is_empty() {
                vec![if sig { "signature" } else { "field" }.to_string()]
            } else {
                p
            }
        })
        .collect();
    let mut taken: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for p in &parts {
        for k in 1..p.len() {
            taken.insert(p[..k].join("."));
        }
    }
    parts
        .into_iter()
        .map(|mut p| {
            let full = p.join(".");
            if taken.contains(&full) {
                let leaf = p.pop().unwrap_or_default();
                let prefix = p.join(".");
                let mut n = 2;
                let free = loop {
                    let candidate = format!("{leaf}_{n}");
                    let whole = if prefix.is_empty() {
                        candidate.clone()
                    } else {
                        format!("{prefix}.{candidate}")
                    };
                    if !taken.contains(&whole) {
                        break candidate;
                    }
                    n += 1;
                };
                p.push(free);
            }
            taken.insert(p.join("."));
            p
        })
        .collect()
}

/// Add an AcroForm with a text field for every fill-in blank and an unsigned signature field
/// for every signature line, each a widget on its page with an (empty) appearance stream. Names
/// come from [`qualified_names`]. Text fields are set in the body face: the AcroForm's default
/// resources hold Liberation Serif as a simple TrueType font with WinAnsi encoding, embedded
/// whole so that any Latin-1 text typed in a viewer has its glyphs.
fn add_fields(pdf: &mut lopdf::Document, layout: &Layout) -> Result<Vec<tags::Widget>> {
    let page_ids: Vec<ObjectId> = pdf.get_pages().values().copied().collect();
    let mut widgets: Vec<(usize, &str, &crate::layout::Rect, bool)> = Vec::new();
    let mut elements = Vec::new();
    for (pi, page) in layout.pages.iter().enumerate() {
        for (k, item) in page.items.iter().enumerate() {
            let tag = page.tags.get(k).copied().flatten();
            match item {
                Item::Field { name, rect } => widgets.push((pi, name, rect, false)),
                Item::Signature { name, rect } => widgets.push((pi, name, rect, true)),
                _ => continue,
            }
            elements.push(tag);
        }
    }
    let mut made = Vec::new();
    if widgets.is_empty() {
        return Ok(made);
    }
    let names = qualified_names(widgets.iter().map(|w| (w.1, w.3)));
    let font_size = layout.setup.font_size;
    let form_font = if widgets.iter().any(|w| !w.3) {
        Some(add_form_font(pdf)?)
    } else {
        None
    };
    let da = format!("/{FORM_FONT} {} Tf 0 g", fmt_num(font_size));
    let mut roots = Vec::new();
    let mut parents: BTreeMap<String, ObjectId> = BTreeMap::new();
    let mut annots: BTreeMap<usize, Vec<Object>> = BTreeMap::new();
    for (((pi, _, rect, sig), mut parts), tag) in widgets.into_iter().zip(names).zip(elements) {
        let Some(&page_id) = page_ids.get(pi) else {
            continue;
        };
        let leaf = parts.pop().unwrap_or_default();
        // Find or make the parent chain.
        let mut parent: Option<ObjectId> = None;
        let mut path = String::new();
        for part in parts {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&part);
            let id = match parents.get(&path) {
                Some(id) => *id,
                None => {
                    let mut d = Dictionary::new();
                    d.set(
                        "T",
                        Object::String(part.into_bytes(), StringFormat::Literal),
                    );
                    d.set("Kids", Object::Array(Vec::new()));
                    let id = add_node(pdf, d, parent, &mut roots);
                    parents.insert(path.clone(), id);
                    id
                }
            };
            parent = Some(id);
        }
        // An empty appearance: PDF/A wants one on every widget, and a viewer then draws
        // nothing until the field is filled or signed.
        let mut ap_dict = Dictionary::new();
        ap_dict.set("Type", Object::Name(b"XObject".to_vec()));
        ap_dict.set("Subtype", Object::Name(b"Form".to_vec()));
        ap_dict.set(
            "BBox",
            Object::Array(vec![
                Object::Integer(0),
                Object::Integer(0),
                Object::Real(rect.w),
                Object::Real(rect.h),
            ]),
        );
        let content: &[u8] = if sig { b"" } else { b"/Tx BMC\nEMC\n" };
        if let (false, Some(font)) = (sig, form_font) {
            let mut fonts = Dictionary::new();
            fonts.set(FORM_FONT, Object::Reference(font));
            let mut res = Dictionary::new();
            res.set("Font", Object::Dictionary(fonts));
            ap_dict.set("Resources", Object::Dictionary(res));
        }
        let ap = pdf.add_object(lopdf::Stream::new(ap_dict, content.to_vec()));
        let mut ap_entry = Dictionary::new();
        ap_entry.set("N", Object::Reference(ap));

        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"Annot".to_vec()));
        d.set("Subtype", Object::Name(b"Widget".to_vec()));
        d.set(
            "FT",
            Object::Name(if sig { b"Sig".to_vec() } else { b"Tx".to_vec() }),
        );
        d.set(
            "T",
            Object::String(leaf.into_bytes(), StringFormat::Literal),
        );
        d.set(
            "Rect",
            Object::Array(
                [rect.x, rect.y, rect.x + rect.w, rect.y + rect.h]
                    .iter()
                    .map(|v| Object::Real(*v))
                    .collect(),
            ),
        );
        d.set("F", Object::Integer(4));
        d.set("P", Object::Reference(page_id));
        d.set("AP", Object::Dictionary(ap_entry));
        if !sig {
            d.set(
                "DA",
                Object::String(da.as_bytes().to_vec(), StringFormat::Literal),
            );
        }
        let id = add_node(pdf, d, parent, &mut roots);
        annots.entry(pi).or_default().push(Object::Reference(id));
        made.push((pi, id, tag));
    }
    add_annots(pdf, &page_ids, annots)?;
    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(roots));
    if let Some(font) = form_font {
        let mut font_res = Dictionary::new();
        font_res.set(FORM_FONT, Object::Reference(font));
        let mut dr = Dictionary::new();
        dr.set("Font", Object::Dictionary(font_res));
        form.set("DR", Object::Dictionary(dr));
        form.set(
            "DA",
            Object::String(da.as_bytes().to_vec(), StringFormat::Literal),
        );
    }
    let form_id = pdf.add_object(Object::Dictionary(form));
    let catalog = pdf
        .catalog_mut()
        .map_err(|e| Error::internal("writing the PDF's catalog", e))?;
    catalog.set("AcroForm", Object::Reference(form_id));
    Ok(made)
}

/// Append annotations to their pages' `/Annots` (by 0-based page).
fn add_annots(
    pdf: &mut lopdf::Document,
    page_ids: &[ObjectId],
    annots: BTreeMap<usize, Vec<Object>>,
) -> Result<()> {
    for (pi, list) in annots {
        let Some(&id) = page_ids.get(pi) else {
            continue;
        };
        let page_dict = pdf
            .get_object_mut(id)
            .and_then(Object::as_dict_mut)
            .map_err(|e| Error::internal("writing the PDF's pages", e))?;
        match page_dict.get_mut(b"Annots") {
            Ok(Object::Array(existing)) => existing.extend(list),
            _ => page_dict.set("Annots", Object::Array(list)),
        }
    }
    Ok(())
}

/// The layout's links as link annotations that go to their page (`/Dest [page /XYZ null y
/// null]`), borderless and printable as PDF/A wants.
fn add_links(pdf: &mut lopdf::Document, layout: &Layout) -> Result<()> {
    if layout.links.is_empty() {
        return Ok(());
    }
    let page_ids: Vec<ObjectId> = pdf.get_pages().values().copied().collect();
    let real = |v: f32| Object::Real(v);
    let mut annots: BTreeMap<usize, Vec<Object>> = BTreeMap::new();
    for l in &layout.links {
        let (Some(&from), Some(&to)) = (page_ids.get(l.page), page_ids.get(l.to_page)) else {
            continue;
        };
        let r = l.rect;
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"Annot".to_vec()));
        d.set("Subtype", Object::Name(b"Link".to_vec()));
        d.set(
            "Rect",
            Object::Array(vec![real(r.x), real(r.y), real(r.x + r.w), real(r.y + r.h)]),
        );
        d.set(
            "Border",
            Object::Array(vec![
                Object::Integer(0),
                Object::Integer(0),
                Object::Integer(0),
            ]),
        );
        d.set("F", Object::Integer(4));
        d.set("P", Object::Reference(from));
        d.set(
            "Dest",
            Object::Array(vec![
                Object::Reference(to),
                Object::Name(b"XYZ".to_vec()),
                Object::Null,
                real(l.to_y),
                Object::Null,
            ]),
        );
        let id = pdf.add_object(Object::Dictionary(d));
        annots
            .entry(l.page)
            .or_default()
            .push(Object::Reference(id));
    }
    add_annots(pdf, &page_ids, annots)?;
    Ok(())
}

/// The resource name of the form fields' font.
const FORM_FONT: &str = "EngrossSerif";

/// A number as PDF text: at most three decimals, no trailing zeros.
fn fmt_num(v: f32) -> String {
    let mut out = Vec::new();
    num(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// The Unicode character for a WinAnsiEncoding code (PDF 32000-1, Annex D), if any.
fn win_ansi(code: u8) -> Option<char> {
    const HIGH: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    match code {
        32..=126 | 0xA0..=0xFF => Some(char::from(code)),
        0x80..=0x9F => {
            char::from_u32(u32::from(HIGH[usize::from(code - 0x80)])).filter(|c| *c != '\0')
        }
        _ => None,
    }
}

/// The form font's program, made once per process (the same for every document): the regular
/// face subset to the characters of WinAnsiEncoding, with a Unicode `cmap` (subsetter drops the
/// font's own, and a simple TrueType font needs one), deflated; and its uncompressed length.
fn form_font_program() -> &'static (Vec<u8>, usize) {
    static PROGRAM: std::sync::OnceLock<(Vec<u8>, usize)> = std::sync::OnceLock::new();
    PROGRAM.get_or_init(|| {
        use std::io::Write;
        let bytes = FaceId::Regular.bytes();
        let program = rustybuzz::ttf_parser::Face::parse(bytes, 0)
            .ok()
            .and_then(|face| {
                let mut remapper = subsetter::GlyphRemapper::new();
                remapper.remap(0);
                let mut map: Vec<(u16, u16)> = Vec::new();
                for code in 32u8..=255 {
                    if let Some(c) = win_ansi(code)
                        && let Some(g) = face.glyph_index(c)
                        && let Ok(u) = u16::try_from(u32::from(c))
                    {
                        map.push((u, remapper.remap(g.0)));
                    }
                }
                let subset = subsetter::subset(bytes, 0, &remapper).ok()?;
                map.sort_unstable();
                map.dedup_by_key(|m| m.0);
                Some(with_cmap(&subset, &map))
            })
            .unwrap_or_else(|| bytes.to_vec());
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = encoder.write_all(&program);
        (encoder.finish().unwrap_or_default(), program.len())
    })
}

/// A TrueType font with a `cmap` table added: format 4 (platform 3, encoding 1), one segment
/// per character of `map` (Unicode, glyph), sorted by character.
fn with_cmap(font: &[u8], map: &[(u16, u16)]) -> Vec<u8> {
    let be16 = |v: u16| v.to_be_bytes();
    // The format 4 subtable.
    let seg_count = map.len() as u16 + 1;
    let mut sub = Vec::new();
    let mut ends = Vec::new();
    let mut starts = Vec::new();
    let mut deltas = Vec::new();
    for &(c, g) in map {
        ends.extend(be16(c));
        starts.extend(be16(c));
        deltas.extend(be16(g.wrapping_sub(c)));
    }
    ends.extend(be16(0xFFFF));
    starts.extend(be16(0xFFFF));
    deltas.extend(be16(1));
    let search = 2 * (1u16 << (15 - seg_count.leading_zeros().min(15)));
    let search = if search > 2 * seg_count {
        search / 2
    } else {
        search
    };
    let selector = (search / 2).max(1).trailing_zeros() as u16;
    let length = 16 + 8 * seg_count;
    sub.extend(be16(4));
    sub.extend(be16(length));
    sub.extend(be16(0));
    sub.extend(be16(seg_count * 2));
    sub.extend(be16(search));
    sub.extend(be16(selector));
    sub.extend(be16(seg_count * 2 - search));
    sub.extend(ends);
    sub.extend(be16(0));
    sub.extend(starts);
    sub.extend(deltas);
    sub.extend(std::iter::repeat_n(0u8, 2 * usize::from(seg_count)));
    let mut cmap = Vec::new();
    cmap.extend(be16(0));
    cmap.extend(be16(1));
    cmap.extend(be16(3));
    cmap.extend(be16(1));
    cmap.extend(12u32.to_be_bytes());
    cmap.extend(sub);

    // Rebuild the table directory with the new table, records sorted by tag.
    let Some(num) = font.get(4..6).map(|b| u16::from_be_bytes([b[0], b[1]])) else {
        return font.to_vec();
    };
    let mut tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for i in 0..usize::from(num) {
        let r = 12 + 16 * i;
        let Some(rec) = font.get(r..r + 16) else {
            return font.to_vec();
        };
        let tag = [rec[0], rec[1], rec[2], rec[3]];
        let off = u32::from_be_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
        let len = u32::from_be_bytes([rec[12], rec[13], rec[14], rec[15]]) as usize;
        let Some(data) = font.get(off..off + len) else {
            return font.to_vec();
        };
        if &tag != b"cmap" {
            tables.push((tag, data.to_vec()));
        }
    }
    tables.push((*b"cmap", cmap));
    tables.sort_by_key(|t| t.0);
    let n = tables.len() as u16;
    let mut out = Vec::new();
    out.extend(&font[0..4]);
    out.extend(be16(n));
    let pow = 1u16 << (15 - n.leading_zeros().min(15));
    out.extend(be16(pow * 16));
    out.extend(be16(pow.trailing_zeros() as u16));
    out.extend(be16(n * 16 - pow * 16));
    let mut offset = 12 + 16 * tables.len();
    let mut body = Vec::new();
    for (tag, data) in &tables {
        let mut sum = 0u32;
        for chunk in data.chunks(4) {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            sum = sum.wrapping_add(u32::from_be_bytes(w));
        }
        out.extend(tag);
        out.extend(sum.to_be_bytes());
        out.extend((offset as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        body.extend(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        offset = 12 + 16 * tables.len() + body.len();
    }
    out.extend(body);
    out
}

/// The form font's widths (codes 32 to 255, in thousandths of an em) and its ToUnicode map,
/// made once per process.
fn form_font_tables() -> &'static (Vec<Object>, Vec<u8>) {
    static TABLES: std::sync::OnceLock<(Vec<Object>, Vec<u8>)> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let face = rustybuzz::ttf_parser::Face::parse(FaceId::Regular.bytes(), 0).ok();
        let widths: Vec<Object> = (32u8..=255)
            .map(|code| {
                let w = face
                    .as_ref()
                    .and_then(|face| {
                        let upem = f32::from(face.units_per_em());
                        win_ansi(code)
                            .and_then(|c| face.glyph_index(c))
                            .and_then(|g| face.glyph_hor_advance(g))
                            .map(|w| (f32::from(w) * 1000.0 / upem).round() as i64)
                    })
                    .unwrap_or(0);
                Object::Integer(w)
            })
            .collect();
        // A ToUnicode map, so that typed-in text extracts as it reads.
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
             1 begincodespacerange <20> <FF> endcodespacerange\n",
        );
        let pairs: Vec<(u8, char)> = (32u8..=255)
            .filter_map(|c| win_ansi(c).map(|u| (c, u)))
            .collect();
        for chunk in pairs.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (code, c) in chunk {
                cmap.push_str(&format!("<{code:02X}> <{:04X}>\n", u32::from(*c)));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap CMapName currentdict /CMap defineresource pop end end\n");
        (widths, cmap.into_bytes())
    })
}

/// Liberation Serif Regular as a simple TrueType font with WinAnsi encoding, subset to that
/// encoding's characters: the font a viewer sets typed-in field values in.
fn add_form_font(pdf: &mut lopdf::Document) -> Result<ObjectId> {
    let bytes = FaceId::Regular.bytes();
    let face = rustybuzz::ttf_parser::Face::parse(bytes, 0)
        .map_err(|e| Error::internal("reading the form font", e))?;
    let upem = f32::from(face.units_per_em());
    let scale = |v: i16| Object::Integer((f32::from(v) * 1000.0 / upem).round() as i64);
    let (widths, cmap) = form_font_tables();
    let bbox = face.global_bounding_box();
    let (deflated, length) = form_font_program();
    let mut program_dict = Dictionary::new();
    program_dict.set("Length1", Object::Integer(*length as i64));
    program_dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
    let program = pdf.add_object(lopdf::Stream::new(program_dict, deflated.clone()));
    // The tagged name, once per process (hashing the program for each document was a
    // twentieth of the writer's instructions).
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let name = NAME
        .get_or_init(|| {
            format!(
                "{}+{}",
                subset_tag(deflated),
                postscript_name(FaceId::Regular)
            )
        })
        .clone();
    let mut descriptor = Dictionary::new();
    descriptor.set("Type", Object::Name(b"FontDescriptor".to_vec()));
    descriptor.set("FontName", Object::Name(name.as_bytes().to_vec()));
    // Serif (2) and non-symbolic (32).
    descriptor.set("Flags", Object::Integer(34));
    descriptor.set(
        "FontBBox",
        Object::Array(vec![
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
        ]),
    );
    descriptor.set("ItalicAngle", Object::Integer(0));
    descriptor.set("Ascent", scale(face.ascender()));
    descriptor.set("Descent", scale(face.descender()));
    descriptor.set("CapHeight", scale(face.capital_height().unwrap_or(1341)));
    descriptor.set("StemV", Object::Integer(80));
    descriptor.set("FontFile2", Object::Reference(program));
    let descriptor = pdf.add_object(Object::Dictionary(descriptor));
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Subtype", Object::Name(b"TrueType".to_vec()));
    font.set("BaseFont", Object::Name(name.into_bytes()));
    font.set("FirstChar", Object::Integer(32));
    font.set("LastChar", Object::Integer(255));
    font.set("Widths", Object::Array(widths.clone()));
    font.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
    font.set("FontDescriptor", Object::Reference(descriptor));
    let cmap = pdf.add_object(lopdf::Stream::new(Dictionary::new(), cmap.clone()));
    font.set("ToUnicode", Object::Reference(cmap));
    Ok(pdf.add_object(Object::Dictionary(font)))
}

/// Add a field node under `parent` (or as a root field) and return its id.
fn add_node(
    pdf: &mut lopdf::Document,
    mut node: Dictionary,
    parent: Option<ObjectId>,
    roots: &mut Vec<Object>,
) -> ObjectId {
    if let Some(p) = parent {
        node.set("Parent", Object::Reference(p));
    }
    let id = pdf.add_object(Object::Dictionary(node));
    match parent {
        Some(p) => {
            if let Ok(dict) = pdf.get_object_mut(p).and_then(Object::as_dict_mut)
                && let Ok(Object::Array(kids)) = dict.get_mut(b"Kids")
            {
                kids.push(Object::Reference(id));
            }
        }
        None => roots.push(Object::Reference(id)),
    }
    id
}

#[cfg(test)]
mod tests {
    use super::qualified_names;

    #[test]
    fn numbers_have_three_decimals_at_most_and_no_trailing_zeros() {
        let shown = |v: f32| {
            let mut out = Vec::new();
            super::num(&mut out, v);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(shown(72.0), "72");
        assert_eq!(shown(708.69), "708.69");
        assert_eq!(shown(-9.765625), "-9.766");
        assert_eq!(shown(0.05), "0.05");
        assert_eq!(shown(-0.0001), "0");
        assert_eq!(shown(1234.5004), "1234.5");
    }

    #[test]
    fn the_serialiser_writes_what_lopdf_writes() {
        let engine = crate::Engine::builtin().unwrap();
        for name in ["subscription-2005", "option-2026", "severance-2007"] {
            let dir = if name.ends_with("2026") {
                "examples"
            } else {
                "originals"
            };
            let path = format!("{}/data/{dir}/{name}.toml", env!("CARGO_MANIFEST_DIR"));
            let r = engine
                .run(&std::fs::read_to_string(&path).unwrap(), &path)
                .unwrap();
            let laid = crate::layout::layout(&r.document, crate::page_setup(&r.data.page), "X");
            let meta = super::Metadata {
                title: "A (title) with \\ and ) and \r".into(),
                attachments: vec![("a b#.dj".into(), r.source.clone().into_bytes())],
                ..Default::default()
            };
            let mut pdf = super::assemble(&laid, &meta, b"key", false).unwrap();
            pdf.trailer
                .set("Odd", lopdf::Object::Name(b"a b/(#)\xff".to_vec()));
            pdf.trailer.set("Neg", lopdf::Object::Integer(-12));
            pdf.objects.remove(&(5, 0));
            let mut theirs = Vec::new();
            pdf.clone().save_to(&mut theirs).unwrap();
            let ours = super::serial::serialize(&mut pdf).unwrap();
            assert!(
                ours == theirs,
                "{name}: {} vs {} bytes",
                ours.len(),
                theirs.len()
            );
        }
    }

    #[test]
    fn glyph_ids_are_escaped_where_string_syntax_needs_it() {
        let mut out = Vec::new();
        for gid in [0x0041, 0x2829, 0x5C0D, 0x0A00] {
            super::glyph_bytes(&mut out, gid);
        }
        assert_eq!(out, b"\x00A\\(\\)\\\\\\r\\n\x00".to_vec());
    }

    #[test]
    fn the_form_font_maps_every_win_ansi_character() {
        use rustybuzz::ttf_parser::Face;
        let (deflated, length) = super::form_font_program();
        let mut program = Vec::new();
        use std::io::Read;
        flate2::read::ZlibDecoder::new(&deflated[..])
            .read_to_end(&mut program)
            .unwrap();
        assert_eq!(program.len(), *length);
        assert!(program.len() < 120_000, "{} bytes", program.len());
        let subset = Face::parse(&program, 0).unwrap();
        let whole = Face::parse(crate::layout::fonts::FaceId::Regular.bytes(), 0).unwrap();
        for code in 32u8..=255 {
            let Some(c) = super::win_ansi(code) else {
                continue;
            };
            let Some(original) = whole.glyph_index(c) else {
                continue;
            };
            let g = subset
                .glyph_index(c)
                .unwrap_or_else(|| panic!("{c:?} unmapped"));
            assert_eq!(
                subset.glyph_hor_advance(g),
                whole.glyph_hor_advance(original),
                "{c:?}"
            );
        }
    }

    #[test]
    fn field_names_never_collide() {
        let names = qualified_names([
            ("q.category_e", false),
            ("q.category_e.line1", false),
            ("q.category_e_2.x", false),
            ("company.signature", true),
            ("company.signature", true),
            ("company..signature", true),
            ("", true),
            ("", false),
        ]);
        let joined: Vec<String> = names.iter().map(|n| n.join(".")).collect();
        assert_eq!(
            joined,
            [
                "q.category_e_3",
                "q.category_e.line1",
                "q.category_e_2.x",
                "company.signature",
                "company.signature_2",
                "company.signature_3",
                "signature",
                "field",
            ]
        );
    }
}
