//! What makes an engross PDF an archival one (PDF/A-3b: PDF 1.7, with the Djot source and the
//! data as associated files): the XMP metadata matching the document information dictionary,
//! an sRGB output intent, the language, the outline nested as the document is, and dates that
//! come from the agreement (never from the clock).

use lopdf::{Dictionary, Object, ObjectId, StringFormat};

use crate::error::{Error, Result};
use crate::layout::OutlineEntry;

/// The sRGB profile of the output intent: `sRGB.icc` from Debian's `icc-profiles-free`
/// (Kai-Uwe Behrmann, Marti Maria et al., zlib licence; see `assets/icc/LICENSE`).
const SRGB: &[u8] = include_bytes!("../../assets/icc/sRGB.icc");

/// A calendar date and time (UTC) for the document's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Year.
    pub year: i16,
    /// Month, 1 to 12.
    pub month: i8,
    /// Day, 1 to 31.
    pub day: i8,
    /// Hour, minute, second.
    pub time: (i8, i8, i8),
}

impl Stamp {
    /// Midnight (UTC) of a calendar date.
    pub fn from_date(d: jiff::civil::Date) -> Stamp {
        Stamp {
            year: d.year(),
            month: d.month(),
            day: d.day(),
            time: (0, 0, 0),
        }
    }

    /// The UTC time of a Unix timestamp (`SOURCE_DATE_EPOCH`), if it is one after 1970.
    pub fn from_epoch(text: &str) -> Option<Stamp> {
        let secs: i64 = text.trim().parse().ok().filter(|s| *s > 0)?;
        let t = jiff::Timestamp::from_second(secs).ok()?;
        let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        Some(Stamp {
            year: dt.year(),
            month: dt.month(),
            day: dt.day(),
            time: (dt.hour(), dt.minute(), dt.second()),
        })
    }

    /// `D:YYYYMMDDHHmmSSZ`, the PDF date form.
    pub fn pdf_date(&self) -> String {
        format!(
            "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.time.0, self.time.1, self.time.2
        )
    }

    /// `YYYY-MM-DDTHH:mm:SSZ`, the XMP date form.
    fn xmp(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.time.0, self.time.1, self.time.2
        )
    }
}

/// A text string: PDFDocEncoding's ASCII subset as is, anything else as UTF-16BE.
pub fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in s.encode_utf16() {
            bytes.extend(unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// What the information dictionary and the XMP both say.
pub struct Described<'a> {
    /// Title.
    pub title: &'a str,
    /// Author.
    pub author: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Keywords, joined.
    pub keywords: String,
    /// Creation and modification date.
    pub date: Option<Stamp>,
}

const TOOL: &str = "engross";

/// Rewrite the information dictionary from `d` (printpdf's dates are the epoch) and put the
/// matching XMP packet, the output intent, the language and the page mode on the catalogue.
pub fn describe(pdf: &mut lopdf::Document, d: &Described) -> Result<()> {
    let mut info = Dictionary::new();
    let mut set = |k: &str, v: &str| {
        if !v.is_empty() {
            info.set(k, text_string(v));
        }
    };
    set("Title", d.title);
    set("Author", d.author);
    set("Subject", d.subject);
    set("Keywords", &d.keywords);
    set("Creator", TOOL);
    set("Producer", TOOL);
    if let Some(date) = d.date {
        let s = date.pdf_date();
        info.set(
            "CreationDate",
            Object::String(s.clone().into_bytes(), StringFormat::Literal),
        );
        info.set(
            "ModDate",
            Object::String(s.into_bytes(), StringFormat::Literal),
        );
    }
    let info_id = pdf.add_object(Object::Dictionary(info));
    pdf.trailer.set("Info", Object::Reference(info_id));

    let metadata = pdf.add_object(xmp_stream(d));
    let mut icc_dict = Dictionary::new();
    icc_dict.set("N", Object::Integer(3));
    let icc = pdf.add_object(lopdf::Stream::new(icc_dict, SRGB.to_vec()));
    let mut intent = Dictionary::new();
    intent.set("Type", Object::Name(b"OutputIntent".to_vec()));
    intent.set("S", Object::Name(b"GTS_PDFA1".to_vec()));
    intent.set(
        "OutputConditionIdentifier",
        text_string("sRGB IEC61966-2.1"),
    );
    intent.set("Info", text_string("sRGB IEC61966-2.1"));
    intent.set("DestOutputProfile", Object::Reference(icc));

    let catalog = pdf
        .catalog_mut()
        .map_err(|e| Error::internal("writing the PDF's catalog", e))?;
    catalog.set("Metadata", Object::Reference(metadata));
    catalog.set(
        "OutputIntents",
        Object::Array(vec![Object::Dictionary(intent)]),
    );
    catalog.set("Lang", text_string("en-US"));
    let mut mark = Dictionary::new();
    mark.set("Marked", Object::Boolean(false));
    catalog.set("MarkInfo", Object::Dictionary(mark));
    let mut prefs = Dictionary::new();
    prefs.set("DisplayDocTitle", Object::Boolean(true));
    catalog.set("ViewerPreferences", Object::Dictionary(prefs));
    pdf.version = "1.7".into();
    Ok(())
}

/// The XMP packet: Dublin Core, XMP basic, Adobe PDF and the PDF/A identification (part 3,
/// conformance B: the source and data travel as associated files, which part 2 does not allow).
fn xmp_stream(d: &Described) -> lopdf::Stream {
    let mut x = String::new();
    x.push_str("<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    x.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n");
    x.push_str("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    x.push_str("<rdf:Description rdf:about=\"\"\n");
    // The xml prefix is bound anyway; saying so helps readers that do not know it (pdfv).
    x.push_str(" xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"\n");
    x.push_str(" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n");
    x.push_str(" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n");
    x.push_str(" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n");
    x.push_str(" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n");
    x.push_str("<dc:format>application/pdf</dc:format>\n");
    let alt = |x: &mut String, tag: &str, v: &str| {
        if !v.is_empty() {
            x.push_str(&format!(
                "<dc:{tag}><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:{tag}>\n",
                xml_escape(v)
            ));
        }
    };
    alt(&mut x, "title", d.title);
    if !d.author.is_empty() {
        x.push_str(&format!(
            "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n",
            xml_escape(d.author)
        ));
    }
    alt(&mut x, "description", d.subject);
    x.push_str("<dc:language><rdf:Bag><rdf:li>en-US</rdf:li></rdf:Bag></dc:language>\n");
    if !d.keywords.is_empty() {
        x.push_str(&format!(
            "<pdf:Keywords>{}</pdf:Keywords>\n",
            xml_escape(&d.keywords)
        ));
    }
    x.push_str(&format!("<pdf:Producer>{TOOL}</pdf:Producer>\n"));
    x.push_str(&format!("<xmp:CreatorTool>{TOOL}</xmp:CreatorTool>\n"));
    if let Some(date) = d.date {
        let s = date.xmp();
        x.push_str(&format!("<xmp:CreateDate>{s}</xmp:CreateDate>\n"));
        x.push_str(&format!("<xmp:ModifyDate>{s}</xmp:ModifyDate>\n"));
        x.push_str(&format!("<xmp:MetadataDate>{s}</xmp:MetadataDate>\n"));
    }
    x.push_str("<pdfaid:part>3</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n");
    x.push_str("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n");
    x.push_str("<?xpacket end=\"w\"?>");
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"Metadata".to_vec()));
    dict.set("Subtype", Object::Name(b"XML".to_vec()));
    // Left uncompressed, so that any tool can read it.
    lopdf::Stream::new(dict, x.into_bytes()).with_compression(false)
}

/// The outline nested as the document is: each heading under the nearest heading before it of
/// a higher level, in reading order, every entry open. Replaces any outline printpdf wrote.
pub fn outline(pdf: &mut lopdf::Document, entries: &[OutlineEntry]) -> Result<()> {
    let pages: Vec<ObjectId> = pdf.get_pages().values().copied().collect();
    if entries.is_empty() {
        return Ok(());
    }
    // Parent of each entry (None: top level).
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(entries.len());
    let mut stack: Vec<usize> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        while stack.last().is_some_and(|&p| entries[p].level >= e.level) {
            stack.pop();
        }
        parent.push(stack.last().copied());
        stack.push(i);
    }
    let root = pdf.new_object_id();
    let ids: Vec<ObjectId> = entries.iter().map(|_| pdf.new_object_id()).collect();
    let children = |p: Option<usize>| -> Vec<usize> {
        (0..entries.len()).filter(|&i| parent[i] == p).collect()
    };
    // Descendants of each entry (all open).
    let mut count = vec![0i64; entries.len()];
    for i in (0..entries.len()).rev() {
        if let Some(p) = parent[i] {
            count[p] += 1 + count[i];
        }
    }
    for (i, e) in entries.iter().enumerate() {
        let mut d = Dictionary::new();
        d.set("Title", text_string(&e.title));
        d.set(
            "Parent",
            Object::Reference(parent[i].map_or(root, |p| ids[p])),
        );
        let siblings = children(parent[i]);
        let at = siblings.iter().position(|&s| s == i).unwrap_or(0);
        if at > 0 {
            d.set("Prev", Object::Reference(ids[siblings[at - 1]]));
        }
        if let Some(&next) = siblings.get(at + 1) {
            d.set("Next", Object::Reference(ids[next]));
        }
        let kids = children(Some(i));
        if let (Some(&first), Some(&last)) = (kids.first(), kids.last()) {
            d.set("First", Object::Reference(ids[first]));
            d.set("Last", Object::Reference(ids[last]));
            d.set("Count", Object::Integer(count[i]));
        }
        if let Some(&page) = pages.get(e.page) {
            d.set(
                "Dest",
                Object::Array(vec![Object::Reference(page), Object::Name(b"Fit".to_vec())]),
            );
        }
        pdf.objects.insert(ids[i], Object::Dictionary(d));
    }
    let top = children(None);
    let mut r = Dictionary::new();
    r.set("Type", Object::Name(b"Outlines".to_vec()));
    if let (Some(&first), Some(&last)) = (top.first(), top.last()) {
        r.set("First", Object::Reference(ids[first]));
        r.set("Last", Object::Reference(ids[last]));
    }
    r.set("Count", Object::Integer(entries.len() as i64));
    pdf.objects.insert(root, Object::Dictionary(r));
    let catalog = pdf
        .catalog_mut()
        .map_err(|e| Error::internal("writing the PDF's catalog", e))?;
    catalog.set("Outlines", Object::Reference(root));
    catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    Ok(())
}

/// The date of the document's metadata: the agreement's `date`, else its first top-level
/// date, else 1 January of its `year`, else `SOURCE_DATE_EPOCH`. Never the clock.
pub fn document_date(data: &crate::data::Data) -> Option<Stamp> {
    let top = match &data.values {
        crate::data::Value::Table(entries) => entries.as_slice(),
        _ => &[],
    };
    let date = |v: &crate::data::Value| match v {
        crate::data::Value::Date(d) => Some(Stamp::from_date(*d)),
        _ => None,
    };
    data.values
        .get("date")
        .and_then(date)
        .or_else(|| top.iter().find_map(|(_, v)| date(v)))
        .or_else(|| match data.values.get("year") {
            Some(crate::data::Value::Integer(y)) => {
                jiff::civil::Date::new(i16::try_from(*y).ok()?, 1, 1)
                    .ok()
                    .map(Stamp::from_date)
            }
            _ => None,
        })
        .or_else(|| {
            std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|s| Stamp::from_epoch(&s))
        })
}
