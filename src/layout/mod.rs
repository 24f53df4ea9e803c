//! Layout: a [`Document`] to pages of positioned glyph runs, rules and form-field rectangles.
//!
//! Text is shaped with rustybuzz ([`fonts`]), paragraphs are broken into lines with Knuth–Plass
//! (`paragraph-breaker`) and justified, and the lines are paginated with keep rules: headings keep
//! with the next block, signature blocks and table rows never split, a paragraph never leaves one
//! line alone at the foot or head of a page, exhibits and page breaks start a new page. Every page
//! gets a footer, "Page X of Y" and the document's short ID. Layout knows nothing of Tera, TOML or
//! PDF syntax; the PDF writer only serialises what this produces.

mod cache;
mod flow;
pub mod fonts;
mod frame;
mod lines;
mod pages;

use paragraph_breaker::{INFINITE_PENALTY, Item as KpItem, total_fit};

use crate::document::{
    Align, Block, Document, GroupKind, Indent, Mark, Paragraph, Row, Run, Style,
};
use fonts::{FaceId, Fonts, Glyph};

use flow::*;
pub use frame::{Color, Element, Item, Layout, Link, OutlineEntry, Page, PageSetup, Rect};
use lines::*;
use pages::*;

/// Lay out a document. `id` is the short document ID printed in every footer.
pub fn layout(doc: &Document, setup: PageSetup, id: &str) -> Layout {
    layout_parts(&[(doc, setup)], id, None)
}

/// [`layout`], with a caption at the foot of every page that holds a signature line
/// ("[Signature Page to …]", a template's setting).
pub fn layout_with_caption(
    doc: &Document,
    setup: PageSetup,
    id: &str,
    caption: Option<&str>,
) -> Layout {
    layout_parts(&[(doc, setup)], id, caption)
}

/// Lay out documents one after another as one: each part in its own page setup (type size,
/// leading, margins; the page size of the last part is the file's), each starting a page, the
/// footers counting the pages of all. A redline's summary is set this way in smaller type
/// than the document it describes. `caption` goes at the foot of every page with a signature
/// line.
pub fn layout_parts(parts: &[(&Document, PageSetup)], id: &str, caption: Option<&str>) -> Layout {
    let last = parts.last().map_or_else(PageSetup::default, |p| p.1);
    let mut flow = Flow::new(last);
    let mut pages: Vec<(Page, PageSetup)> = Vec::new();
    let mut outline = Vec::new();
    for &(doc, setup) in parts {
        flow.setup = setup;
        let x0 = setup.margin;
        let width = setup.width - 2.0 * setup.margin;
        flow.blocks(&doc.blocks, x0, width);
        let mut slices = std::mem::take(&mut flow.slices);
        // Signature lines in the body (not in signature blocks) get their room to sign too.
        make_signing_room(&mut slices, setup.leading);
        let (part, part_outline) = paginate(slices, setup);
        let offset = pages.len();
        outline.extend(part_outline.into_iter().map(|mut o| {
            o.page += offset;
            o
        }));
        pages.extend(part.into_iter().map(|p| (p, setup)));
    }
    let total = pages.len();
    for (i, (page, setup)) in pages.iter_mut().enumerate() {
        flow.setup = *setup;
        fit_signatures(page, flow.fonts, setup.height - setup.margin);
        if let Some(caption) = caption.filter(|c| !c.trim().is_empty())
            && page
                .items
                .iter()
                .any(|item| matches!(item, Item::Signature { .. }))
        {
            flow.caption(page, caption.trim());
        }
        flow.footer(page, i + 1, total, id);
        // Footers are artifacts.
        page.tags.resize(page.items.len(), None);
    }
    let pages: Vec<Page> = pages.into_iter().map(|(p, _)| p).collect();
    let unit_pages = unit_pages(&pages, &flow.structure, &flow.units);
    Layout {
        setup: last,
        pages,
        outline,
        warnings: flow.warnings,
        structure: flow.structure,
        links: Vec::new(),
        unit_pages,
    }
}

impl Flow {
    fn new(setup: PageSetup) -> Flow {
        Flow {
            setup,
            fonts: Fonts::get(),
            slices: Vec::new(),
            in_column: false,
            warnings: Vec::new(),
            hang: None,
            para_text: None,
            line_glyphs: 0,
            structure: Vec::new(),
            current: None,
            units: Vec::new(),
            prefetch: false,
        }
    }
}

/// The bytes of text in a block and the blocks inside it: how long it takes to set, roughly.
fn weight(b: &Block) -> usize {
    let runs = |runs: &[Run]| -> usize {
        runs.iter()
            .map(|r| match r {
                Run::Text { text, .. } => text.len() + 1,
                _ => 1,
            })
            .sum()
    };
    match b {
        Block::Heading { runs: r, .. } => runs(r),
        Block::Paragraph(p) => runs(&p.label) + runs(&p.runs),
        Block::Quote(inner) | Block::Group { blocks: inner, .. } => inner.iter().map(weight).sum(),
        Block::Signatures(cols) => cols.iter().flatten().map(weight).sum(),
        Block::Table(rows) => rows.iter().flat_map(|r| &r.cells).map(|c| runs(c)).sum(),
        _ => 0,
    }
}

/// Load the faces (with their shaping plans) and the hyphenation patterns now, once for the
/// process (see [`crate::prepare_pdf`]).
pub fn prepare() {
    Fonts::get();
    lines::dictionary();
}

/// Set the later half of a document's paragraphs (by the length of their text) into the
/// process's cache of set paragraphs, as [`layout`] sets them in `setup`: run on a second
/// thread beside the layout of the same document, the layout finds them set when it gets
/// there. The layout is the same with or without it (the cache changes no byte).
pub fn prefetch(doc: &Document, setup: PageSetup) {
    let weights: Vec<usize> = doc.blocks.iter().map(weight).collect();
    let total: usize = weights.iter().sum();
    let mut from = 0;
    let mut before = 0;
    while from < weights.len() && before * 2 < total {
        before += weights[from];
        from += 1;
    }
    let mut flow = Flow::new(setup);
    flow.prefetch = true;
    flow.prefetch_blocks(
        &doc.blocks,
        from,
        setup.margin,
        setup.width - 2.0 * setup.margin,
    );
}

/// The page each unit begins on: the first page holding an item of its structure element or
/// of an element inside it.
fn unit_pages(pages: &[Page], structure: &[Element], units: &[Option<usize>]) -> Vec<usize> {
    let mut first = vec![usize::MAX; structure.len()];
    for (p, page) in pages.iter().enumerate() {
        for &e in page.tags.iter().flatten() {
            if let Some(f) = first.get_mut(e) {
                *f = (*f).min(p);
            }
        }
    }
    // Children come after their parents.
    for e in (0..structure.len()).rev() {
        if let Some(parent) = structure[e].parent {
            first[parent] = first[parent].min(first[e]);
        }
    }
    let mut at = 0;
    units
        .iter()
        .map(|e| {
            if let Some(&p) = e.and_then(|e| first.get(e)).filter(|&&p| p != usize::MAX) {
                at = p;
            }
            at
        })
        .collect()
}

/// The most blocks (headings, paragraphs, cells, signature blocks…) a document may have to be
/// laid out: well past any agreement (the subscription agreement has about 1,100).
pub const MAX_BLOCKS: usize = 100_000;
/// The most pages a laid-out document may have.
pub const MAX_PAGES: usize = 10_000;

/// Refuse a document too large to lay out in reasonable time and memory (a limit of
/// `docs/security.md`).
pub fn check_size(doc: &Document) -> crate::Result<()> {
    let mut blocks = 0usize;
    doc.walk(&mut |_| blocks = blocks.saturating_add(1));
    if blocks > MAX_BLOCKS {
        return Err(crate::Error::Limit(format!(
            "the document has {blocks} blocks; at most {MAX_BLOCKS} are laid out"
        )));
    }
    Ok(())
}

/// Refuse a layout of more than [`MAX_PAGES`] pages.
pub fn check_pages(pages: usize) -> crate::Result<()> {
    if pages > MAX_PAGES {
        return Err(crate::Error::Limit(format!(
            "the document runs to {pages} pages; at most {MAX_PAGES} are written"
        )));
    }
    Ok(())
}

/// The layout's page setup for the data's page settings (US Letter, 12 pt, 1-inch margins by
/// default).
pub fn page_setup(page: &crate::data::PageSettings) -> PageSetup {
    let default = PageSetup::default();
    let (width, height) = page
        .size
        .map_or((default.width, default.height), crate::data::Paper::points);
    let font_size = page.font_size.unwrap_or(default.font_size);
    PageSetup {
        width,
        height,
        margin: page.margin.map_or(default.margin, |inches| inches * 72.0),
        font_size,
        leading: font_size * default.leading / default.font_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::djot;

    fn text_of(page: &Page) -> String {
        page.items
            .iter()
            .filter_map(|i| match i {
                Item::Text { glyphs, .. } => {
                    Some(glyphs.iter().map(|g| &*g.text).collect::<String>())
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn justified_lines_fill_the_measure() {
        let src = "{.indent}\n".to_string()
            + &"The Company shall deliver the Shares to the Holder. ".repeat(12);
        let l = layout(&djot::parse(&src), PageSetup::default(), "");
        let mut right_edges: Vec<f32> = Vec::new();
        let mut last_y = None;
        let fonts = Fonts::get();
        for item in &l.pages[0].items {
            if let Item::Text {
                x,
                y,
                face,
                size,
                glyphs,
                ..
            } = item
            {
                let end = x + fonts.width(*face, glyphs, *size);
                if last_y == Some(*y) {
                    *right_edges.last_mut().unwrap() = end;
                } else {
                    right_edges.push(end);
                    last_y = Some(*y);
                }
            }
        }
        // Drop the footer line and the paragraph's last line.
        let full = &right_edges[..right_edges.len() - 2];
        assert!(full.len() >= 4);
        for e in full {
            assert!((e - 540.0).abs() < 0.5, "line ends at {e}: {right_edges:?}");
        }
    }

    #[test]
    fn every_word_is_placed_once_in_order() {
        let src = "# TITLE\n\n[1.]{.label} Alpha beta gamma.\n\nSecond paragraph here.\n";
        let l = layout(&djot::parse(src), PageSetup::default(), "ID");
        assert_eq!(
            text_of(&l.pages[0]),
            "TITLE 1. Alpha beta gamma. Second paragraph here. Page 1 of 1 ID"
        );
    }

    #[test]
    fn exhibits_start_a_page_and_headings_are_bookmarked() {
        let src = "# MAIN\n\nText.\n\n::: exhibit\n## Exhibit A\n\nForm.\n:::\n";
        let l = layout(&djot::parse(src), PageSetup::default(), "");
        assert_eq!(l.pages.len(), 2);
        assert_eq!(
            l.outline
                .iter()
                .map(|o| (o.title.as_str(), o.page))
                .collect::<Vec<_>>(),
            [("MAIN", 0), ("Exhibit A", 1)]
        );
    }

    #[test]
    fn the_caption_is_at_the_foot_of_signature_pages_only() {
        let src = "Terms.\n\n{.page-break}\n***\n\n:::: signatures\n::: signature\nACME\\\n[]{.sig role=\"acme.signature\" width=30 rule=\"_\"}\n:::\n::::\n";
        let caption = "[Signature Page to Supply Agreement]";
        let l = layout_with_caption(&djot::parse(src), PageSetup::default(), "", Some(caption));
        let captions: Vec<usize> = l
            .pages
            .iter()
            .map(|p| text_of(p).matches(caption).count())
            .collect();
        assert_eq!(
            captions,
            vec![0, 1],
            "{:?}",
            l.pages.iter().map(text_of).collect::<Vec<_>>()
        );
        let page = &l.pages[1];
        let at = page
            .items
            .iter()
            .position(|i| matches!(i, Item::Text { glyphs, .. } if glyphs.iter().map(|g| &*g.text).collect::<String>() == caption))
            .unwrap();
        // In the bottom margin, above the footer, and an artifact.
        let Item::Text { y, .. } = page.items[at] else {
            unreachable!()
        };
        assert!(y < l.setup.margin && y > l.setup.margin / 2.0, "{y}");
        assert_eq!(page.tags[at], None);
    }

    #[test]
    fn legends_in_capitals_are_set_ragged_with_natural_spaces() {
        let legend = "THIS OPTION AND THE SHARES ISSUABLE UPON EXERCISE HAVE NOT BEEN REGISTERED \
                      UNDER THE SECURITIES ACT OF 1933, AS AMENDED, OR ANY STATE SECURITIES LAWS \
                      AND MAY NOT BE SOLD ABSENT REGISTRATION OR AN OPINION OF COUNSEL.";
        let l = layout(&djot::parse(legend), PageSetup::default(), "");
        let mut spaces = 0;
        for item in &l.pages[0].items {
            if let Item::Text { glyphs, size, .. } = item
                && *size == 12.0
            {
                for g in glyphs.iter().filter(|g| &*g.text == " ") {
                    assert!(g.advance <= g.natural, "a stretched space: {g:?}");
                    spaces += 1;
                }
            }
        }
        assert!(spaces > 20, "{spaces}");
    }

    #[test]
    fn signature_lines_become_fields() {
        let src = ":::: signatures\n::: signature\nACME\\\n[]{.sig role=\"acme.signature\" width=30 rule=\"_\"}\n:::\n::::\n";
        let l = layout(&djot::parse(src), PageSetup::default(), "");
        assert!(
            l.pages[0]
                .items
                .iter()
                .any(|i| matches!(i, Item::Signature { name, .. } if name == "acme.signature"))
        );
    }

    #[test]
    fn long_tokens_break_inside_the_measure_with_a_warning() {
        let url = "https://example.com/".to_string() + &"averyveryverylongpathsegment/".repeat(6);
        let src = format!("Send notices to {url} and to {}.\n", "x".repeat(120));
        let l = layout(&djot::parse(&src), PageSetup::default(), "");
        let fonts = Fonts::get();
        for item in &l.pages[0].items {
            if let Item::Text {
                x,
                face,
                size,
                glyphs,
                ..
            } = item
            {
                let end = x + fonts.width(*face, glyphs, *size);
                assert!(*x >= 72.0 - 0.01 && end <= 540.01, "{x}..{end}");
            }
        }
        assert_eq!(l.warnings, [url.clone(), "x".repeat(120) + "."]);
        // The URL broke after slashes: its pieces end in "/" (but for the last).
        let text = text_of(&l.pages[0]);
        assert!(text.contains("averyveryverylongpathsegment/"), "{text}");
        assert!(!text.contains(" /"), "{text}");
    }

    #[test]
    fn a_paragraph_set_again_from_the_cache_is_set_alike_in_its_own_place() {
        // Unique text, so that no other test has set these paragraphs in this process.
        let token = "q".repeat(130);
        let para =
            format!("Cache check: the Subscriber shall deliver {token} to the Company forthwith.");
        let first = layout(
            &djot::parse(&format!("{para}\n")),
            PageSetup::default(),
            "A",
        );
        let again = layout(
            &djot::parse(&format!("{para}\n")),
            PageSetup::default(),
            "A",
        );
        assert_eq!(first, again);
        assert_eq!(again.warnings, std::slice::from_ref(&token));
        // The same paragraph after a heading and in a list: its items belong to its own P.
        let src = format!("# CACHE CHECK\n\n{para}\n\n[1.]{{.label}} {para}\n");
        let l = layout(&djot::parse(&src), PageSetup::default(), "B");
        assert_eq!(l.warnings, [token]);
        let roles: Vec<&str> = l.pages[0]
            .items
            .iter()
            .zip(&l.pages[0].tags)
            .filter(|(i, _)| matches!(i, Item::Text { .. }))
            .filter_map(|(_, t)| t.map(|t| l.structure[t].role))
            .collect();
        assert_eq!(roles.first(), Some(&"H1"));
        assert!(roles.contains(&"P"), "{roles:?}");
        assert!(roles.contains(&"LI"), "{roles:?}");
        // A different measure is a different setting: not taken from the cache.
        let narrow = PageSetup {
            margin: 144.0,
            ..PageSetup::default()
        };
        let n = layout(&djot::parse(&format!("{para}\n")), narrow, "A");
        assert!(n.pages[0].items.len() > first.pages[0].items.len());
    }

    /// A layout set without the cache of set paragraphs.
    fn uncached(doc: &Document, setup: PageSetup, id: &str) -> Layout {
        cache::BYPASS.with(|b| b.set(true));
        let l = layout(doc, setup, id);
        cache::BYPASS.with(|b| b.set(false));
        l
    }

    #[test]
    fn layouts_from_the_cache_and_after_a_prefetch_are_the_layout_set_afresh() {
        // A long document of words no other test sets: lists with hanging labels, headings,
        // a token too long for its line, blanks.
        let mut src = String::from("# PREFETCH CHECK AGREEMENT\n\n");
        for i in 0..120 {
            let words: Vec<String> = (0..40 + i % 17).map(|k| format!("w{i}x{k}")).collect();
            match i % 4 {
                0 => src.push_str(&format!("## {i}. Heading w{i}\n\n")),
                1 => src.push_str(&format!(
                    "{{.hang}}\n[({i})]{{.label}} {}\n\n",
                    words.join(" ")
                )),
                2 => src.push_str(&format!("{} {}\n\n", "v".repeat(100 + i), words.join(" "))),
                _ => src.push_str(&format!(
                    "{{.indent}}\n{} sign ___________ here.\n\n",
                    words.join(" ")
                )),
            }
        }
        let doc = djot::parse(&src);
        let fresh = uncached(&doc, PageSetup::default(), "P");
        assert!(fresh.pages.len() > 5, "{} pages", fresh.pages.len());
        assert!(!fresh.warnings.is_empty());
        prefetch(&doc, PageSetup::default());
        assert_eq!(layout(&doc, PageSetup::default(), "P"), fresh);
        // Every paragraph now set twice: the third layout takes them all from the cache.
        assert_eq!(layout(&doc, PageSetup::default(), "P"), fresh);
        assert_eq!(layout(&doc, PageSetup::default(), "P"), fresh);
    }

    #[test]
    fn body_text_is_hyphenated_but_not_names_or_headings() {
        let body = "The representations, warranties, acknowledgements and undertakings \
                    notwithstanding, Massachusetts corporations incorporated hereunder \
                    acknowledge responsibilities. "
            .repeat(6);
        let src = format!("## Responsibilities Acknowledgement Notwithstanding\n\n{body}\n");
        let l = layout(&djot::parse(&src), PageSetup::default(), "");
        let lines: Vec<String> = l.pages[0]
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Text { glyphs, .. } => {
                    Some(glyphs.iter().map(|g| &*g.text).collect::<String>())
                }
                _ => None,
            })
            .collect();
        let hyphenated: Vec<&String> = lines.iter().filter(|l| l.ends_with('-')).collect();
        assert!(!hyphenated.is_empty(), "{lines:#?}");
        for l in &hyphenated {
            let last = l.split_whitespace().last().unwrap();
            assert!(
                last.chars().next().unwrap().is_lowercase(),
                "a capitalised word was hyphenated: {l}"
            );
        }
        assert!(!lines[0].contains('-'), "{}", lines[0]);
    }
}
