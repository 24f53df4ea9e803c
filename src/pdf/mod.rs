//! The PDF writer: serialises a [`Layout`] with printpdf (embedded, subset Liberation Serif),
//! then a lopdf pass adds what printpdf lacks: AcroForm text and signature fields on the laid-out
//! rectangles, a subset tag on the font names, a content-derived `/ID`, and clean metadata.
//! It never measures or wraps text. Same input, same bytes.

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
    /// its data, so that two engross PDFs compare exactly.
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Serialise a layout to PDF bytes. `content_key` identifies the document's content (e.g. its
/// source text); the PDF's `/ID` is derived from it and from the layout.
pub fn write(layout: &Layout, meta: &Metadata, content_key: &[u8]) -> Result<Vec<u8>> {
    let fonts = Fonts::get();

    // Which glyphs each face uses (with the text each stands for), for subsetting.
    let mut used: BTreeMap<FaceId, BTreeMap<u16, &str>> = BTreeMap::new();
    for page in &layout.pages {
        for item in &page.items {
            if let Item::Text { face, glyphs, .. } = item {
                let map = used.entry(*face).or_default();
                for g in glyphs {
                    map.entry(g.gid).or_insert(&g.text);
                }
            }
        }
    }

    let mut doc = PdfDocument::new(&meta.title);
    let mut faces = BTreeMap::new();
    let mut tags: Vec<(String, String)> = Vec::new();
    // printpdf writes the fonts (widths, ToUnicode) from the glyphs its text operations use.
    // We write the page contents ourselves (below), so one operation per face on the first
    // page names every glyph once; its content is replaced afterwards.
    let mut registry = Vec::new();
    for (face, gids) in &used {
        let mut remapper = subsetter::GlyphRemapper::new();
        remapper.remap(0);
        for g in gids.keys() {
            remapper.remap(*g);
        }
        let subset = subsetter::subset(face.bytes(), 0, &remapper)
            .map_err(|e| Error::Usage(format!("cannot subset the font: {e}")))?;
        let parsed = ParsedFont::from_bytes(&subset, 0, &mut Vec::new())
            .ok_or_else(|| Error::Usage("cannot read the subset font".into()))?;
        // Our own font IDs: printpdf's come from a process-wide counter, so two renders in one
        // process would name (and order) the fonts differently.
        let id = printpdf::FontId(format!("F{}", faces.len() + 1));
        doc.resources
            .fonts
            .map
            .insert(id.clone(), printpdf::PdfFont::new(parsed));
        tags.push((
            id.0.clone(),
            format!("{}+{}", subset_tag(&subset), postscript_name(*face)),
        ));
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
        faces.insert(*face, (id, remapper));
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
    for entry in &layout.outline {
        doc.add_bookmark(&entry.title, entry.page + 1);
    }
    let info = &mut doc.metadata.info;
    info.document_title = meta.title.clone();
    info.author = meta.author.clone();
    info.subject = meta.subject.clone();
    info.keywords = meta.keywords.clone();
    info.creator = "engross".into();
    info.producer = "engross".into();

    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
    let contents: Vec<Vec<u8>> = layout
        .pages
        .iter()
        .map(|page| page_content(page, &faces, fonts))
        .collect();
    set_contents(&mut pdf, contents)?;
    finish(&mut pdf, layout, meta, &tags, content_key)?;
    compress(&mut pdf)?;
    let mut out = Vec::new();
    pdf.save_to(&mut out)
        .map_err(|e| Error::Usage(format!("cannot write the PDF: {e}")))?;
    Ok(out)
}

/// Deflate every stream that is not compressed yet. lopdf's own `compress` uses the slowest
/// setting, which took most of the writer's time for a 9,500-word document; level 6 gives
/// nearly the same size in a fraction of the time.
fn compress(pdf: &mut lopdf::Document) -> Result<()> {
    use std::io::Write;
    for object in pdf.objects.values_mut() {
        if let Object::Stream(stream) = object
            && stream.allows_compression
            && stream.dict.get(b"Filter").is_err()
        {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
            encoder
                .write_all(&stream.content)
                .and_then(|_| encoder.finish())
                .map(|compressed| {
                    if compressed.len() + 19 < stream.content.len() {
                        stream
                            .dict
                            .set("Filter", Object::Name(b"FlateDecode".to_vec()));
                        stream.set_content(compressed);
                    }
                })
                .map_err(|e| Error::Usage(format!("cannot compress the PDF: {e}")))?;
        }
    }
    Ok(())
}

/// A number for a content stream: at most three decimals, no trailing zeros.
fn num(out: &mut Vec<u8>, v: f32) {
    use std::io::Write;
    let r = (v * 1000.0).round() / 1000.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let _ = write!(out, "{r}");
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The content stream of one page: every glyph run as one `TJ` (kerning and stretched spaces as
/// adjustments), every rule as a stroked line.
fn page_content(
    page: &crate::layout::Page,
    faces: &BTreeMap<FaceId, (printpdf::FontId, subsetter::GlyphRemapper)>,
    fonts: &Fonts,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(page.items.len() * 64);
    let mut fill: Option<Color> = None;
    let mut stroke: Option<(Color, f32)> = None;
    for item in &page.items {
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
                out.extend_from_slice(b" Tm [<");
                for g in glyphs {
                    let gid = remapper.get(g.gid).unwrap_or(0);
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[usize::from((gid >> shift) & 0xF)]);
                    }
                    // TJ moves left by positive numbers: kerning tighter than the glyph's own
                    // advance, or a space narrower than its own, is a positive adjustment.
                    let adjust = (g.natural - g.advance) as f32 * 1000.0 / upem;
                    if adjust.abs() >= 0.001 {
                        out.extend_from_slice(b"> ");
                        num(&mut out, adjust);
                        out.extend_from_slice(b" <");
                    }
                }
                out.extend_from_slice(b">] TJ ET\n");
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
    out
}

/// Put our content streams on the pages, and give every page the document's fonts (printpdf
/// only lists on a page the fonts its own operations used).
fn set_contents(pdf: &mut lopdf::Document, contents: Vec<Vec<u8>>) -> Result<()> {
    let page_ids: Vec<ObjectId> = pdf.get_pages().values().copied().collect();
    let malformed = |e: lopdf::Error| Error::Usage(format!("malformed page: {e}"));
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
    for (id, content) in page_ids.into_iter().zip(contents) {
        let stream = pdf.add_object(lopdf::Stream::new(Dictionary::new(), content));
        let page = pdf
            .get_object_mut(id)
            .and_then(Object::as_dict_mut)
            .map_err(malformed)?;
        page.set("Contents", Object::Reference(stream));
        let mut resources = Dictionary::new();
        if let Some(f) = &fonts {
            resources.set("Font", f.clone());
        }
        page.set("Resources", Object::Dictionary(resources));
    }
    // The replaced streams are now unreferenced.
    pdf.prune_objects();
    Ok(())
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
) -> Result<()> {
    tag_fonts(pdf, tags);
    add_fields(pdf, layout)?;
    attach(pdf, &meta.attachments)?;

    // Clean metadata: printpdf always writes a PDF/X marker the file does not conform to.
    if let Ok(info_ref) = pdf.trailer.get(b"Info").and_then(Object::as_reference)
        && let Ok(info) = pdf.get_object_mut(info_ref).and_then(Object::as_dict_mut)
    {
        info.remove(b"GTS_PDFXVersion");
        info.remove(b"Trapped");
    }

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
fn attach(pdf: &mut lopdf::Document, files: &[(String, Vec<u8>)]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let mut files: Vec<&(String, Vec<u8>)> = files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut names = Vec::new();
    for (name, bytes) in files {
        let mut stream_dict = Dictionary::new();
        stream_dict.set("Type", Object::Name(b"EmbeddedFile".to_vec()));
        let mut params = Dictionary::new();
        params.set("Size", Object::Integer(bytes.len() as i64));
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
        let spec = pdf.add_object(Object::Dictionary(spec));
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
        .map_err(|e| Error::Usage(format!("malformed catalog: {e}")))?;
    let mut name_dict = match catalog.get(b"Names") {
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    name_dict.set("EmbeddedFiles", Object::Reference(tree));
    catalog.set("Names", Object::Dictionary(name_dict));
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
        .map_err(|e| Error::Usage(format!("cannot inflate the PDF's attachment: {e}")))?;
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
    let doc = lopdf::Document::load_mem(bytes)
        .map_err(|e| Error::Usage(format!("cannot read the PDF: {e}")))?;
    let mut out = Vec::new();
    let resolve = |o: &Object| -> Option<Object> {
        match o {
            Object::Reference(id) => doc.get_object(*id).ok().cloned(),
            other => Some(other.clone()),
        }
    };
    let names = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Names").ok())
        .and_then(resolve)
        .and_then(|n| {
            n.as_dict()
                .ok()
                .and_then(|d| d.get(b"EmbeddedFiles").ok().cloned())
        })
        .and_then(|o| resolve(&o))
        .and_then(|t| t.as_dict().ok().and_then(|d| d.get(b"Names").ok().cloned()))
        .and_then(|o| resolve(&o));
    let Some(Object::Array(items)) = names else {
        return Ok(out);
    };
    for pair in items.chunks(2) {
        let [name, spec] = pair else { continue };
        let Ok(name) = name.as_str() else { continue };
        let stream = resolve(spec)
            .and_then(|s| s.as_dict().ok().and_then(|d| d.get(b"EF").ok().cloned()))
            .and_then(|o| resolve(&o))
            .and_then(|ef| ef.as_dict().ok().and_then(|d| d.get(b"F").ok().cloned()))
            .and_then(|o| resolve(&o));
        if let Some(Object::Stream(s)) = stream {
            let content = attachment_content(&s, name)?;
            out.push((String::from_utf8_lossy(name).to_string(), content));
        }
    }
    Ok(out)
}

/// Add an AcroForm with a text field for every fill-in blank and an unsigned signature field
/// for every signature line, each a widget on its page. A dotted name (`company.signature`) is
/// a field hierarchy, as the PDF format wants: partial names never contain a period. Repeated
/// names get a suffix (`company.signature_2`).
fn add_fields(pdf: &mut lopdf::Document, layout: &Layout) -> Result<()> {
    let page_ids: Vec<ObjectId> = pdf.get_pages().values().copied().collect();
    let mut roots = Vec::new();
    let mut parents: BTreeMap<String, ObjectId> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (pi, page) in layout.pages.iter().enumerate() {
        let Some(&page_id) = page_ids.get(pi) else {
            continue;
        };
        let mut annots = Vec::new();
        for item in &page.items {
            let (name, rect, sig) = match item {
                Item::Field { name, rect } => (name, rect, false),
                Item::Signature { name, rect } => (name, rect, true),
                _ => continue,
            };
            let base: String = name
                .split('.')
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(".");
            let base = if base.is_empty() {
                if sig { "signature" } else { "field" }.to_string()
            } else {
                base
            };
            let count = seen.entry(base.clone()).or_insert(0);
            *count += 1;
            let full = if *count == 1 {
                base
            } else {
                format!("{base}_{count}")
            };
            let mut parts: Vec<&str> = full.split('.').collect();
            let leaf = parts.pop().unwrap_or("field").to_string();
            // Find or make the parent chain.
            let mut parent: Option<ObjectId> = None;
            let mut path = String::new();
            for part in parts {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(part);
                let id = match parents.get(&path) {
                    Some(id) => *id,
                    None => {
                        let mut d = Dictionary::new();
                        d.set(
                            "T",
                            Object::String(part.as_bytes().to_vec(), StringFormat::Literal),
                        );
                        d.set("Kids", Object::Array(Vec::new()));
                        let id = add_node(pdf, d, parent, &mut roots);
                        parents.insert(path.clone(), id);
                        id
                    }
                };
                parent = Some(id);
            }
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
            if !sig {
                d.set(
                    "DA",
                    Object::String(b"/Helv 0 Tf 0 g".to_vec(), StringFormat::Literal),
                );
            }
            let id = add_node(pdf, d, parent, &mut roots);
            annots.push(Object::Reference(id));
        }
        if annots.is_empty() {
            continue;
        }
        let page_dict = pdf
            .get_object_mut(page_id)
            .and_then(Object::as_dict_mut)
            .map_err(|e| Error::Usage(format!("malformed page: {e}")))?;
        match page_dict.get_mut(b"Annots") {
            Ok(Object::Array(existing)) => existing.extend(annots),
            _ => page_dict.set("Annots", Object::Array(annots)),
        }
    }
    if roots.is_empty() {
        return Ok(());
    }
    let mut helv = Dictionary::new();
    helv.set("Type", Object::Name(b"Font".to_vec()));
    helv.set("Subtype", Object::Name(b"Type1".to_vec()));
    helv.set("BaseFont", Object::Name(b"Helvetica".to_vec()));
    helv.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
    let helv_id = pdf.add_object(Object::Dictionary(helv));
    let mut font_res = Dictionary::new();
    font_res.set("Helv", Object::Reference(helv_id));
    let mut dr = Dictionary::new();
    dr.set("Font", Object::Dictionary(font_res));
    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(roots));
    form.set("DR", Object::Dictionary(dr));
    form.set(
        "DA",
        Object::String(b"/Helv 0 Tf 0 g".to_vec(), StringFormat::Literal),
    );
    form.set("NeedAppearances", Object::Boolean(true));
    let form_id = pdf.add_object(Object::Dictionary(form));
    let catalog = pdf
        .catalog_mut()
        .map_err(|e| Error::Usage(format!("malformed catalog: {e}")))?;
    catalog.set("AcroForm", Object::Reference(form_id));
    Ok(())
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
