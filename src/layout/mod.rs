//! Layout: a [`Document`] to pages of positioned glyph runs, rules and form-field rectangles.
//!
//! Text is shaped with rustybuzz ([`fonts`]), paragraphs are broken into lines with Knuth–Plass
//! (`paragraph-breaker`) and justified, and the lines are paginated with keep rules: headings keep
//! with the next block, signature blocks and table rows never split, a paragraph never leaves one
//! line alone at the foot or head of a page, exhibits and page breaks start a new page. Every page
//! gets a footer, "Page X of Y" and the document's short ID. Layout knows nothing of Tera, TOML or
//! PDF syntax; the PDF writer only serialises what this produces.

pub mod fonts;

use paragraph_breaker::{INFINITE_PENALTY, Item as KpItem, total_fit};

use crate::document::{
    Align, Block, Document, GroupKind, Indent, Mark, Paragraph, Row, Run, Style,
};
use fonts::{FaceId, Fonts, Glyph};

/// Page geometry and type size, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSetup {
    /// Page width (US Letter: 612).
    pub width: f32,
    /// Page height (US Letter: 792).
    pub height: f32,
    /// Margin on every side.
    pub margin: f32,
    /// Body type size.
    pub font_size: f32,
    /// Baseline-to-baseline distance.
    pub leading: f32,
}

impl Default for PageSetup {
    fn default() -> Self {
        PageSetup {
            width: 612.0,
            height: 792.0,
            margin: 72.0,
            font_size: 12.0,
            leading: 14.5,
        }
    }
}

/// An RGB colour, 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Color(pub f32, pub f32, pub f32);

impl Color {
    /// Black.
    pub const BLACK: Color = Color(0.0, 0.0, 0.0);
    /// Deletions.
    pub const RED: Color = Color(0.75, 0.0, 0.0);
    /// Insertions.
    pub const BLUE: Color = Color(0.0, 0.0, 0.75);
    /// Moves.
    pub const GREEN: Color = Color(0.0, 0.5, 0.0);
    /// Footers.
    pub const GREY: Color = Color(0.35, 0.35, 0.35);
}

/// A rectangle: lower-left corner, width, height (PDF coordinates, points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f32,
    /// Bottom.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// Something placed on a page. `y` is the baseline (text) in PDF coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A run of glyphs in one face.
    Text {
        /// Left of the first glyph.
        x: f32,
        /// Baseline.
        y: f32,
        /// Face.
        face: FaceId,
        /// Size in points.
        size: f32,
        /// The glyphs.
        glyphs: Vec<Glyph>,
        /// Colour.
        color: Color,
    },
    /// A straight line.
    Rule {
        /// Start.
        x1: f32,
        /// Start.
        y1: f32,
        /// End.
        x2: f32,
        /// End.
        y2: f32,
        /// Thickness.
        width: f32,
        /// Colour.
        color: Color,
    },
    /// A fill-in form field.
    Field {
        /// Field name.
        name: String,
        /// Where.
        rect: Rect,
    },
    /// A signature field on a signature line.
    Signature {
        /// Field name (the role).
        name: String,
        /// Where.
        rect: Rect,
    },
}

/// One laid-out page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// What is on it.
    pub items: Vec<Item>,
}

/// An outline (bookmark) entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlineEntry {
    /// The heading's text.
    pub title: String,
    /// Heading level.
    pub level: u8,
    /// 0-based page.
    pub page: usize,
}

/// A laid-out document.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Page geometry.
    pub setup: PageSetup,
    /// Pages.
    pub pages: Vec<Page>,
    /// Bookmarks.
    pub outline: Vec<OutlineEntry>,
    /// Tokens too long for their line that were broken to fit (URLs after a slash, others
    /// between characters), as the text of each token.
    pub warnings: Vec<String>,
}

/// A horizontal slice of the flow: laid out, not yet placed on a page. Item `y`s are offsets
/// below the slice's top.
#[derive(Debug, Clone, Default)]
struct Slice {
    height: f32,
    items: Vec<Item>,
    keep_with_next: bool,
    break_before: bool,
    spacer: bool,
    outline: Option<(String, u8)>,
}

/// Lay out a document. `id` is the short document ID printed in every footer.
pub fn layout(doc: &Document, setup: PageSetup, id: &str) -> Layout {
    let mut flow = Flow {
        setup,
        fonts: Fonts::get(),
        slices: Vec::new(),
        in_column: false,
        warnings: Vec::new(),
        hang: None,
        para_text: None,
        shaped: Default::default(),
    };
    let x0 = setup.margin;
    let width = setup.width - 2.0 * setup.margin;
    flow.blocks(&doc.blocks, x0, width);
    let slices = std::mem::take(&mut flow.slices);
    let (mut pages, outline) = paginate(slices, setup);
    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        fit_signatures(page, flow.fonts, setup.height - setup.margin);
        flow.footer(page, i + 1, total, id);
    }
    Layout {
        setup,
        pages,
        outline,
        warnings: flow.warnings,
    }
}

/// How far a keep unit taller than a page may be set closer to fit on one (its line pitch and
/// spaces, never its type): a signature page or a signed exhibit a few lines over a page.
const MIN_SQUEEZE: f32 = 0.85;

/// How far a page may be set closer so that the few lines left before a forced page break do
/// not make a page of their own.
const PAGE_SQUEEZE: f32 = 0.9;

fn paginate(mut slices: Vec<Slice>, setup: PageSetup) -> (Vec<Page>, Vec<OutlineEntry>) {
    let top = setup.height - setup.margin;
    let body = setup.height - 2.0 * setup.margin - setup.leading; // room for the footer
    let mut pages = vec![Page::default()];
    let mut outline = Vec::new();
    let mut used = 0.0f32;
    // The vertical scale of each slice: 1, or less inside a keep unit set closer to fit.
    let mut scale = vec![1.0f32; slices.len()];
    let mut i = 0;
    while i < slices.len() {
        let s = &slices[i];
        let (height, break_before, spacer) = (s.height * scale[i], s.break_before, s.spacer);
        if break_before && used > 0.0 {
            pages.push(Page::default());
            used = 0.0;
        }
        if spacer {
            if used > 0.0 {
                used += height;
            }
            i += 1;
            continue;
        }
        // The chain of slices that must stay together with this one (spaces between them
        // are part of it).
        let mut chain = height;
        let mut j = i;
        while (slices[j].keep_with_next || slices[j].spacer) && j + 1 < slices.len() {
            if slices[j + 1].break_before {
                break;
            }
            j += 1;
            chain += slices[j].height * scale[j];
        }
        // Trailing spaces take no room at a page's foot.
        let mut tail = j;
        while tail > i && slices[tail].spacer {
            chain -= slices[tail].height * scale[tail];
            tail -= 1;
        }
        if chain > body + 0.01 && chain * MIN_SQUEEZE <= body {
            let f = body / chain;
            for sc in &mut scale[i..=tail] {
                *sc *= f;
            }
            chain = body;
        }
        let height = slices[i].height * scale[i];
        let fits_alone = chain <= body + 0.01;
        if used > 0.0 && ((fits_alone && used + chain > body + 0.01) || used + height > body + 0.01)
        {
            // A few lines before a forced page break (a "remainder of page" line, the end of
            // a section) would make a page of their own: set this page a little closer
            // instead.
            let mut rest = 0.0;
            let mut k = i;
            while k < slices.len() && (k == i || !slices[k].break_before) {
                rest += slices[k].height * scale[k];
                k += 1;
            }
            let mut last = k;
            while last > i && slices[last - 1].spacer {
                last -= 1;
                rest -= slices[last].height * scale[last];
            }
            let f = body / (used + rest);
            if (PAGE_SQUEEZE..1.0).contains(&f) {
                let page = pages.len() - 1;
                let items = std::mem::take(&mut pages[page].items);
                pages[page].items = items
                    .into_iter()
                    .map(|item| map_y(item, |y| top - (top - y) * f))
                    .collect();
                used *= f;
                for s in &mut scale[i..k] {
                    *s *= f;
                }
                continue;
            }
            pages.push(Page::default());
            used = 0.0;
        }
        let page = pages.len() - 1;
        let f = scale[i];
        let s = &mut slices[i];
        if let Some((title, level)) = s.outline.take() {
            outline.push(OutlineEntry { title, level, page });
        }
        let y0 = top - used;
        for item in std::mem::take(&mut s.items) {
            // Set closer: line pitch and spaces shrink, each line's type stays, centred in its
            // squeezed line.
            let item = if f < 1.0 {
                map_y(item, |y| y * f + setup.leading * (1.0 - f) / 2.0)
            } else {
                item
            };
            pages[page].items.push(shift(item, y0));
        }
        used += height;
        i += 1;
    }
    (pages, outline)
}

/// The signing space above a signature line: from just above the rule up to 2.5 em, but never
/// over the rule itself or over any text or rule above it (a conformed "/s/" line, the party's
/// name), so that a signature's appearance leaves them visible.
fn fit_signatures(page: &mut Page, fonts: &Fonts, page_top: f32) {
    if !page
        .items
        .iter()
        .any(|i| matches!(i, Item::Signature { .. }))
    {
        return;
    }
    // Boxes (left, bottom, right, top) of everything drawn on the page.
    let boxes: Vec<(f32, f32, f32, f32)> = page
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Text {
                x,
                y,
                face,
                size,
                glyphs,
                ..
            } => Some((
                *x,
                y - size * 0.22,
                x + fonts.width(*face, glyphs, *size),
                y + size * 0.9,
            )),
            Item::Rule {
                x1,
                y1,
                x2,
                y2,
                width,
                ..
            } => Some((
                x1.min(*x2),
                y1.min(*y2) - width / 2.0,
                x1.max(*x2),
                y1.max(*y2) + width / 2.0,
            )),
            _ => None,
        })
        .collect();
    if boxes.is_empty() {
        return;
    }
    for item in &mut page.items {
        let Item::Signature { rect, .. } = item else {
            continue;
        };
        // The rule sits at the rectangle's bottom edge (as placed by the flow).
        let rule = rect.y;
        let bottom = rule + 0.8;
        let mut top = (rule + rect.h).min(page_top);
        for &(l, b, r, t) in &boxes {
            let overlaps_x = l < rect.x + rect.w - 0.01 && r > rect.x + 0.01;
            if overlaps_x && t > bottom && b < top && b >= bottom - 0.01 {
                top = top.min(b - 0.5);
            }
        }
        rect.y = bottom;
        rect.h = (top - bottom).max(1.0);
    }
}

/// Place an item whose `y`s are offsets below a slice's top on a page whose slice top is `y0`.
fn shift(item: Item, y0: f32) -> Item {
    map_y(item, |y| y0 - y)
}

/// Apply `f` to every vertical coordinate of an item.
fn map_y(item: Item, f: impl Fn(f32) -> f32) -> Item {
    match item {
        Item::Text {
            x,
            y,
            face,
            size,
            glyphs,
            color,
        } => Item::Text {
            x,
            y: f(y),
            face,
            size,
            glyphs,
            color,
        },
        Item::Rule {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        } => Item::Rule {
            x1,
            y1: f(y1),
            x2,
            y2: f(y2),
            width,
            color,
        },
        Item::Field { name, rect } => Item::Field {
            name,
            rect: Rect {
                y: f(rect.y),
                ..rect
            },
        },
        Item::Signature { name, rect } => Item::Signature {
            name,
            rect: Rect {
                y: f(rect.y),
                ..rect
            },
        },
    }
}

/// A piece of a word: shaped text, or a blank.
#[derive(Debug, Clone)]
enum Piece {
    Text {
        face: FaceId,
        glyphs: std::rc::Rc<[Glyph]>,
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
    fn width(&self) -> f32 {
        match self {
            Piece::Text { width, .. }
            | Piece::Field { width, .. }
            | Piece::Signature { width, .. }
            | Piece::Kern { width } => *width,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Word {
    pieces: Vec<Piece>,
    /// A hard line break follows this word.
    break_after: bool,
    /// No space follows: the next word is the rest of a token too long for the line, broken
    /// here.
    join_next: bool,
    /// With `join_next`: the next word may not go to another line (a hanging label and its
    /// text).
    tie: bool,
    /// With `join_next`: a hyphenation point; a line that breaks here ends with a hyphen.
    hyphen: bool,
}

impl Word {
    fn width(&self) -> f32 {
        self.pieces.iter().map(Piece::width).sum()
    }
}

struct Flow {
    setup: PageSetup,
    fonts: &'static Fonts,
    slices: Vec<Slice>,
    /// Inside a signature block or table column: set ragged right, never justified.
    in_column: bool,
    /// Tokens too long for their line, broken (in order, without repeats).
    warnings: Vec<String>,
    /// The hanging indent's label width shared by the list the current paragraph is in.
    hang: Option<f32>,
    /// The text of the paragraph being laid out, when the caller has it already.
    para_text: Option<String>,
    /// Shaped words, by face and text: legal prose repeats its words, and shaping is the
    /// costliest step of layout.
    shaped: std::cell::RefCell<[std::collections::HashMap<String, std::rc::Rc<[Glyph]>>; 4]>,
}

/// How a paragraph's lines are set.
#[derive(Debug, Clone, Copy)]
struct Setting {
    x0: f32,
    width: f32,
    first_indent: f32,
    rest_indent: f32,
    align: Align,
    justify: bool,
    bold: bool,
    size: f32,
}

const STEP: f32 = 36.0;
const SCALE: f32 = 100.0;

impl Flow {
    fn gap(&mut self, h: f32) {
        self.slices.push(Slice {
            height: h,
            spacer: true,
            ..Slice::default()
        });
    }

    fn blocks(&mut self, blocks: &[Block], x0: f32, width: f32) {
        let units = signature_units(blocks);
        let hangs = self.hangs(blocks);
        // Each paragraph's text, once.
        let mut texts: Vec<Option<String>> = blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph(p) => Some(crate::render::text::runs_text(&p.runs)),
                _ => None,
            })
            .collect();
        // Lines of answer boxes ("YES __ NO __").
        let boxes: Vec<bool> = blocks
            .iter()
            .zip(&texts)
            .map(|(b, t)| match (b, t) {
                (Block::Paragraph(p), Some(t)) => {
                    p.runs.iter().any(|r| matches!(r, Run::Field { .. }))
                        && t.split_whitespace().count() <= 4
                }
                _ => false,
            })
            .collect();
        for (i, b) in blocks.iter().enumerate() {
            let text = texts[i].take();
            let t = text.as_deref().unwrap_or("");
            // "[REMAINDER OF PAGE INTENTIONALLY LEFT BLANK]" never stands alone on a page: it
            // keeps with what it follows.
            if t.len() < 80 && t.to_ascii_uppercase().contains("REMAINDER OF PAGE") {
                self.keep_last_lines(1);
            }
            // Answer boxes keep with the question before them, and with a caption after them
            // ("If Yes, please describe:").
            let caption = t.trim_end().ends_with(':');
            if i > 0 && (boxes[i] || (caption && boxes[i - 1])) {
                self.keep_last_lines(1);
            }
            self.para_text = text;
            let before = self.slices.len();
            self.hang = hangs[i];
            self.block(b, x0, width);
            self.hang = None;
            // The signature page is one keep unit: the testimonium's last two lines, every
            // signature block, the dated lines and the acceptance between and after them.
            let Some(&(a, z)) = units.iter().find(|&&(a, z)| i >= a && i < z) else {
                continue;
            };
            if i == a && matches!(b, Block::Paragraph(_)) {
                self.keep_last_lines(2);
            } else if i + 1 < z {
                for s in &mut self.slices[before..] {
                    s.keep_with_next = true;
                }
            } else if let Some(last) = self.slices[before..].iter().rposition(|s| !s.spacer) {
                for s in &mut self.slices[before..before + last] {
                    s.keep_with_next = true;
                }
            }
        }
    }

    /// The room a label takes before its text: the label and two spaces.
    fn label_width(&self, label: &[Run]) -> f32 {
        if label.is_empty() {
            return 0.0;
        }
        self.words(label, self.setup.font_size, false)
            .iter()
            .map(Word::width)
            .sum::<f32>()
            + self.space(FaceId::Regular, self.setup.font_size) * 2.0
    }

    /// One hanging indent per list: hanging paragraphs among siblings whose labels have the
    /// same shape ("Category A" … "Category I", "(a)" … "(j)") share the widest label's hang.
    fn hangs(&self, blocks: &[Block]) -> Vec<Option<f32>> {
        let shape = |label: &[Run]| -> String {
            crate::render::text::runs_text(label)
                .chars()
                .map(|c| if c.is_alphanumeric() { 'x' } else { c })
                .collect::<String>()
                .split_whitespace()
                .map(|w| if w.chars().all(|c| c == 'x') { "x" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut widest: std::collections::BTreeMap<(u8, String), f32> = Default::default();
        let keys: Vec<Option<(u8, String)>> = blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph(p) if p.style.indent == Indent::Hanging && !p.label.is_empty() => {
                    let key = (p.style.level, shape(&p.label));
                    let w = self.label_width(&p.label);
                    let e = widest.entry(key.clone()).or_insert(0.0);
                    *e = e.max(w);
                    Some(key)
                }
                _ => None,
            })
            .collect();
        keys.into_iter()
            .map(|k| k.and_then(|k| widest.get(&k).copied()))
            .collect()
    }

    /// Keep the last `n` lines laid out (and the spaces after them) with what follows.
    fn keep_last_lines(&mut self, n: usize) {
        let mut lines = 0;
        for s in self.slices.iter_mut().rev() {
            s.keep_with_next = true;
            if !s.spacer {
                lines += 1;
                if lines == n {
                    break;
                }
            }
        }
    }

    fn block(&mut self, b: &Block, x0: f32, width: f32) {
        let size = self.setup.font_size;
        let half = self.setup.leading / 2.0;
        match b {
            Block::Heading { level, align, runs } => {
                let align = if *level == 1 { Align::Center } else { *align };
                let setting = Setting {
                    x0,
                    width,
                    first_indent: 0.0,
                    rest_indent: 0.0,
                    align,
                    justify: false,
                    bold: true,
                    size,
                };
                let mut lines = self.paragraph_lines(&[], runs, setting);
                if let Some(last) = lines.last_mut() {
                    last.keep_with_next = true;
                }
                for l in &mut lines {
                    l.keep_with_next = true;
                }
                if let Some(first) = lines.first_mut() {
                    first.outline = Some((crate::render::text::runs_text(runs), *level));
                }
                self.slices.extend(lines);
                self.gap(half);
            }
            Block::Paragraph(p) => {
                let mut lines = self.paragraph(p, x0, width);
                // A caption keeps with what it introduces: a line ending in a colon ("If Yes,
                // please describe:"), a short or capitalised labelled run-in heading ("5.2
                // Registration.").
                let text = self
                    .para_text
                    .take()
                    .unwrap_or_else(|| crate::render::text::runs_text(&p.runs));
                let caption = text.trim_end().ends_with(':')
                    || (lines.len() == 1 && !p.label.is_empty() && {
                        let words = text.split_whitespace().count();
                        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
                        let capitals = text.chars().filter(|c| c.is_uppercase()).count();
                        words <= 6 || capitals * 5 >= letters * 3
                    });
                // A numbered run-in heading ("2.", "5.2") is in the outline, under its article.
                let number = crate::render::text::runs_text(&p.label);
                let number = number.trim();
                if lines.len() == 1
                    && caption
                    && !text.trim_end().ends_with(':')
                    && !number.is_empty()
                    && number.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && let Some(first) = lines.first_mut()
                {
                    let depth = number.trim_end_matches('.').split('.').count() as u8;
                    first.outline = Some((format!("{number} {}", text.trim()), 1 + depth));
                }
                if caption {
                    if let Some(last) = lines.last_mut() {
                        last.keep_with_next = true;
                    }
                }
                self.slices.extend(lines);
                self.gap(half);
                if caption {
                    if let Some(gap) = self.slices.last_mut() {
                        gap.keep_with_next = true;
                    }
                }
            }
            Block::Quote(inner) => self.blocks(inner, x0 + STEP, width - 2.0 * STEP),
            Block::Table(rows) => {
                self.table(rows, x0, width);
                self.gap(half);
            }
            Block::Signatures(cols) => {
                self.signatures(cols, x0, width);
                self.gap(half);
            }
            Block::Group { kind, blocks } => {
                let start = self.slices.len();
                self.blocks(blocks, x0, width);
                let end = self.slices.len();
                match kind {
                    GroupKind::Exhibit => {
                        if let Some(s) = self.slices.get_mut(start) {
                            s.break_before = true;
                        }
                        // An exhibit that is signed keeps its signature: it is one unit.
                        let signed = blocks.iter().any(|b| {
                            let mut found = false;
                            Document {
                                blocks: vec![b.clone()],
                            }
                            .walk(&mut |b| found |= matches!(b, Block::Signatures(_)));
                            found
                        });
                        if signed && end > start {
                            for s in &mut self.slices[start..end - 1] {
                                s.keep_with_next = true;
                            }
                        }
                    }
                    GroupKind::Keep => {
                        // An empty keep group lays out as nothing.
                        if end > start {
                            for s in &mut self.slices[start..end - 1] {
                                s.keep_with_next = true;
                            }
                        }
                    }
                    GroupKind::Plain => {}
                }
            }
            Block::PageBreak => self.slices.push(Slice {
                break_before: true,
                ..Slice::default()
            }),
            Block::Rule => {
                let y = half;
                self.slices.push(Slice {
                    height: self.setup.leading,
                    items: vec![Item::Rule {
                        x1: x0 + width * 0.3,
                        y1: y,
                        x2: x0 + width * 0.7,
                        y2: y,
                        width: 0.6,
                        color: Color::BLACK,
                    }],
                    ..Slice::default()
                });
            }
        }
    }

    fn paragraph(&mut self, p: &Paragraph, x0: f32, width: f32) -> Vec<Slice> {
        let x0 = x0 + STEP * f32::from(p.style.level);
        let width = (width - STEP * f32::from(p.style.level)).max(STEP * 2.0);
        let label_width = self.hang.unwrap_or_else(|| self.label_width(&p.label));
        let (first_indent, rest_indent) = match p.style.indent {
            Indent::None => (0.0, 0.0),
            Indent::FirstLine => (STEP, 0.0),
            Indent::Hanging => (STEP, (STEP + label_width).min(width / 2.0)),
        };
        let setting = Setting {
            x0,
            width,
            first_indent,
            rest_indent,
            align: p.style.align,
            justify: p.style.align == Align::Left && !self.in_column,
            bold: false,
            size: self.setup.font_size,
        };
        let mut lines = self.paragraph_lines(&p.label, &p.runs, setting);
        let n = lines.len();
        if n >= 2 {
            // No orphan: the first line never stands alone at a page's foot.
            lines[0].keep_with_next = true;
            // No widow: the last line never stands alone at a page's head.
            lines[n - 2].keep_with_next = true;
        }
        lines
    }

    /// Join the words of a line set in one face, size and colour into one glyph run, with a
    /// real space glyph between words whose advance is stretched to the word's position. Fewer,
    /// longer runs make a smaller PDF, and the spaces make text extraction exact.
    fn merge_runs(&self, items: Vec<Item>) -> Vec<Item> {
        let mut out: Vec<Item> = Vec::with_capacity(items.len());
        for item in items {
            if let (
                Item::Text {
                    x: nx,
                    y: ny,
                    face: nf,
                    size: ns,
                    glyphs: ng,
                    color: nc,
                },
                Some(Item::Text {
                    x,
                    y,
                    face,
                    size,
                    glyphs,
                    color,
                }),
            ) = (&item, out.last_mut())
                && nf == face
                && ns == size
                && nc == color
                && ny == y
            {
                let upem = self.fonts.units_per_em(*face) as f32;
                let end: i32 = glyphs.iter().map(|g| g.advance).sum();
                let target = ((nx - *x) * upem / *size).round() as i32;
                let gap = target - end;
                // Pieces of one word (another style in the same face, a broken token's
                // pieces) follow on directly.
                if gap.abs() <= 1 {
                    glyphs.extend(ng.iter().cloned());
                    continue;
                }
                if gap > 0 {
                    let space = self.shape(*face, " ");
                    if let Some(sp) = space.first() {
                        glyphs.push(Glyph {
                            gid: sp.gid,
                            text: " ".into(),
                            advance: gap,
                            natural: sp.natural,
                        });
                        glyphs.extend(ng.iter().cloned());
                        continue;
                    }
                }
            }
            out.push(item);
        }
        out
    }

    /// Shape a word, once per face and text.
    fn shape(&self, face: FaceId, text: &str) -> std::rc::Rc<[Glyph]> {
        let i = face as usize;
        if let Some(g) = self.shaped.borrow()[i].get(text) {
            return g.clone();
        }
        let g: std::rc::Rc<[Glyph]> = self.fonts.shape(face, text).into();
        self.shaped.borrow_mut()[i].insert(text.to_string(), g.clone());
        g
    }

    fn space(&self, face: FaceId, size: f32) -> f32 {
        let g = self.shape(face, " ");
        self.fonts.width(face, &g, size)
    }

    /// Split runs into words of shaped pieces.
    fn words(&self, runs: &[Run], size: f32, bold: bool) -> Vec<Word> {
        let mut words = Vec::new();
        let mut current = Word::default();
        let unit = size * 0.5;
        for run in runs {
            match run {
                Run::Text { text, style } => {
                    let face = FaceId::select(style.bold || bold, style.italic);
                    let mut chunk = String::new();
                    let flush = |chunk: &mut String, word: &mut Word| {
                        if chunk.is_empty() {
                            return;
                        }
                        let glyphs = self.shape(face, chunk);
                        let width = self.fonts.width(face, &glyphs, size);
                        word.pieces.push(Piece::Text {
                            face,
                            glyphs,
                            width,
                            style: *style,
                        });
                        chunk.clear();
                    };
                    for c in text.chars() {
                        if c.is_whitespace() && c != '\u{a0}' {
                            flush(&mut chunk, &mut current);
                            if !current.pieces.is_empty() {
                                words.push(std::mem::take(&mut current));
                            }
                        } else {
                            chunk.push(c);
                        }
                    }
                    flush(&mut chunk, &mut current);
                }
                Run::Field { name, width } => current.pieces.push(Piece::Field {
                    name: name.clone(),
                    width: *width as f32 * unit,
                }),
                Run::Signature { role, width, .. } => current.pieces.push(Piece::Signature {
                    name: role.clone(),
                    width: *width as f32 * unit,
                }),
                Run::Break => {
                    if current.pieces.is_empty() {
                        // An empty line: a word of nothing that still breaks.
                        current.pieces.push(Piece::Field {
                            name: String::new(),
                            width: 0.0,
                        });
                    }
                    current.break_after = true;
                    words.push(std::mem::take(&mut current));
                }
            }
        }
        if !current.pieces.is_empty() {
            words.push(current);
        }
        words
    }

    /// Break a paragraph into lines and set them. Returns one slice per line.
    fn paragraph_lines(&mut self, label: &[Run], runs: &[Run], s: Setting) -> Vec<Slice> {
        let mut words = self.words(label, s.size, s.bold);
        let label_words = words.len();
        words.extend(self.words(runs, s.size, s.bold));
        if words.is_empty() {
            return Vec::new();
        }
        let space = self.space(FaceId::select(s.bold, false), s.size);
        // A hanging label fills the room up to the hang, and its text follows there on the
        // same line: the breaker then measures the first line as it is set.
        let hang = s.rest_indent - s.first_indent;
        if label_words > 0 && label_words < words.len() && hang > 0.0 {
            let span: f32 = words[..label_words].iter().map(Word::width).sum::<f32>()
                + space * (label_words - 1) as f32;
            if span + space <= hang {
                let last = &mut words[label_words - 1];
                last.pieces.push(Piece::Kern { width: hang - span });
                last.join_next = true;
                last.tie = true;
            }
        }
        let first_width = s.width - s.first_indent;
        let rest_width = s.width - s.rest_indent;
        let mut words = self.fit_words(words, first_width.min(rest_width), s.size);
        let hyphen_face = FaceId::select(s.bold, false);
        let hyphen_glyphs = self.shape(hyphen_face, "-");
        let hyphen = self.fonts.width(hyphen_face, &hyphen_glyphs, s.size);
        let mut lines = break_lines(&words, space, hyphen, first_width, rest_width, s.justify);
        // Justified body text whose spaces come out loose (more than half as wide again as a
        // space) is broken again with hyphenation, as TeX does after its first pass. Never
        // headings, centred or ragged text.
        if s.justify {
            let loose = lines.iter().enumerate().any(|(n, line)| {
                let avail = if n == 0 { first_width } else { rest_width };
                let gaps = line.words.len().saturating_sub(1) as f32;
                let natural: f32 =
                    line.words.iter().map(|&i| words[i].width()).sum::<f32>() + space * gaps;
                line.justify && gaps > 0.0 && (avail - natural) / gaps > space * 0.5
            });
            if loose {
                words = self.hyphenate(words, label_words, s.size);
                lines = break_lines(&words, space, hyphen, first_width, rest_width, s.justify);
            }
        }
        let mut slices = Vec::new();
        let leading = self.setup.leading;
        let baseline = leading * 0.78;
        for (n, line) in lines.iter().enumerate() {
            let indent = if n == 0 {
                s.first_indent
            } else {
                s.rest_indent
            };
            let avail = if n == 0 { first_width } else { rest_width };
            // The spaces between words (none after a broken token's pieces).
            let gaps = line
                .words
                .iter()
                .take(line.words.len().saturating_sub(1))
                .filter(|&&i| !words[i].join_next)
                .count() as f32;
            let natural: f32 = line.words.iter().map(|&i| words[i].width()).sum::<f32>()
                + space * gaps
                + if line.hyphen { hyphen } else { 0.0 };
            // A line never runs past the measure: one that the breaker set tight (the last
            // line too, and ragged or centred ones) has its spaces shrunk to fit.
            let overfull = natural > avail && gaps > 0.0;
            let fitted = if (line.justify || overfull) && gaps > 0.0 {
                space + (avail - natural) / gaps
            } else {
                space
            };
            let width_set = natural + (fitted - space) * gaps;
            let (mut x, gap) = match s.align {
                Align::Left => (s.x0 + indent, fitted),
                Align::Center => (s.x0 + indent + ((avail - width_set) / 2.0).max(0.0), fitted),
                Align::Right => (s.x0 + indent + (avail - width_set).max(0.0), fitted),
            };
            let mut items = Vec::new();
            for (k, &wi) in line.words.iter().enumerate() {
                // Underlining runs on under the space between two underlined words.
                if k > 0 && !words[line.words[k - 1]].join_next {
                    let prev = &words[line.words[k - 1]];
                    if let (Some(a), Some(b)) = (prev.pieces.last(), words[wi].pieces.first())
                        && let (Some(sa), Some(sb)) = (underline_color(a), underline_color(b))
                        && sa == sb
                    {
                        items.push(Item::Rule {
                            x1: x - gap,
                            y1: baseline + 1.5,
                            x2: x,
                            y2: baseline + 1.5,
                            width: 0.5,
                            color: sa,
                        });
                    }
                }
                x = self.place_word(&words[wi], x, baseline, s.size, &mut items);
                if !words[wi].join_next {
                    x += gap;
                }
            }
            // The hyphen of a line broken inside a word, in the face of the word's piece.
            if line.hyphen
                && let Some(Piece::Text { face, style, .. }) =
                    line.words.last().and_then(|&wi| words[wi].pieces.last())
            {
                let glyphs = self.shape(*face, "-");
                let width = self.fonts.width(*face, &glyphs, s.size);
                let piece = Piece::Text {
                    face: *face,
                    glyphs,
                    width,
                    style: *style,
                };
                let word = Word {
                    pieces: vec![piece],
                    ..Word::default()
                };
                self.place_word(&word, x, baseline, s.size, &mut items);
            }
            // A change bar in the left margin beside every line that holds a change.
            let changed = line.words.iter().any(|&wi| {
                words[wi]
                    .pieces
                    .iter()
                    .any(|p| matches!(p, Piece::Text { style, .. } if style.mark.is_some()))
            });
            if changed {
                let x = self.setup.margin / 2.0;
                items.push(Item::Rule {
                    x1: x,
                    y1: 0.0,
                    x2: x,
                    y2: leading,
                    width: 1.2,
                    color: Color::GREY,
                });
            }
            slices.push(Slice {
                height: leading,
                items: self.merge_runs(items),
                ..Slice::default()
            });
        }
        // A question keeps with its answer lines: a line that ends in a colon, or that a line
        // of blanks only follows, stays with the next line.
        let ends_colon = |line: &Line| {
            line.words.last().is_some_and(|&wi| {
                words[wi].pieces.iter().rev().find_map(|p| match p {
                    Piece::Text { glyphs, .. } => glyphs.last().map(|g| g.text.ends_with(':')),
                    _ => None,
                }) == Some(true)
            })
        };
        let blanks_only = |line: &Line| {
            line.words.iter().all(|&wi| {
                words[wi]
                    .pieces
                    .iter()
                    .all(|p| matches!(p, Piece::Field { .. } | Piece::Kern { .. }))
            })
        };
        for n in 0..lines.len().saturating_sub(1) {
            if ends_colon(&lines[n]) || blanks_only(&lines[n + 1]) {
                slices[n].keep_with_next = true;
            }
        }
        slices
    }

    /// Split the words of body text at their hyphenation points (Knuth–Liang, en-US patterns),
    /// as pieces joined without spaces that may break with a hyphen. Only plain lower-case
    /// words of seven letters or more: never a label, a name or defined term (capitalised), a
    /// legend in capitals, a number, a marked (redlined) or underlined word.
    fn hyphenate(&mut self, words: Vec<Word>, skip: usize, size: f32) -> Vec<Word> {
        let Some(dict) = dictionary() else {
            return words;
        };
        let mut out = Vec::with_capacity(words.len() + words.len() / 8);
        for (i, word) in words.into_iter().enumerate() {
            let single = match word.pieces.as_slice() {
                [
                    Piece::Text {
                        face,
                        glyphs,
                        style,
                        ..
                    },
                ] if i >= skip
                    && !word.join_next
                    && style.mark.is_none()
                    && !style.underline
                    && !style.small_caps =>
                {
                    Some((
                        *face,
                        glyphs.iter().map(|g| &*g.text).collect::<String>(),
                        *style,
                    ))
                }
                _ => None,
            };
            let Some((face, text, style)) = single else {
                out.push(word);
                continue;
            };
            // The word's letters, without the punctuation around them.
            let core_start = text.find(|c: char| c.is_alphabetic()).unwrap_or(0);
            let core_end = text.rfind(|c: char| c.is_alphabetic()).map_or(0, |e| {
                e + text[e..].chars().next().map_or(1, char::len_utf8)
            });
            let core = &text[core_start..core_end.max(core_start)];
            let plain = core.chars().count() >= 7
                && core.chars().all(|c| c.is_ascii_lowercase())
                && text[..core_start].chars().all(|c| !c.is_alphanumeric());
            if !plain {
                out.push(word);
                continue;
            }
            let breaks: Vec<usize> = hyphenation_points(dict, core)
                .into_iter()
                .map(|b| core_start + b)
                .collect();
            if breaks.is_empty() {
                out.push(word);
                continue;
            }
            let mut start = 0;
            let mut parts = Vec::new();
            for b in breaks.iter().copied().chain(std::iter::once(text.len())) {
                parts.push(&text[start..b]);
                start = b;
            }
            let n = parts.len();
            for (k, part) in parts.into_iter().enumerate() {
                let glyphs = self.shape(face, part);
                let width = self.fonts.width(face, &glyphs, size);
                let last = k + 1 == n;
                out.push(Word {
                    pieces: vec![Piece::Text {
                        face,
                        glyphs,
                        width,
                        style,
                    }],
                    break_after: last && word.break_after,
                    join_next: !last,
                    tie: false,
                    hyphen: !last,
                });
            }
        }
        out
    }

    /// Make every word fit a line of `measure` points: blanks (fields and signature lines,
    /// sized in characters) shrink to the room the word's text leaves, and a token still too
    /// long is broken into pieces set without spaces between them: a URL or path after its
    /// slashes, anything else between characters. Each broken token is recorded as a warning.
    fn fit_words(&mut self, words: Vec<Word>, measure: f32, size: f32) -> Vec<Word> {
        let mut out = Vec::with_capacity(words.len());
        for mut word in words {
            let width = word.width();
            if width <= measure + 0.01 {
                out.push(word);
                continue;
            }
            let blanks: f32 = word
                .pieces
                .iter()
                .filter(|p| matches!(p, Piece::Field { .. } | Piece::Signature { .. }))
                .map(Piece::width)
                .sum();
            let text = width - blanks;
            if blanks > 0.0 {
                let room = (measure - text).max(0.0);
                let factor = (room / blanks).min(1.0);
                for p in &mut word.pieces {
                    match p {
                        Piece::Field { width, .. } | Piece::Signature { width, .. } => {
                            *width *= factor
                        }
                        Piece::Text { .. } | Piece::Kern { .. } => {}
                    }
                }
                if word.width() <= measure + 0.01 {
                    out.push(word);
                    continue;
                }
            }
            out.extend(self.break_token(word, measure, size));
        }
        out
    }

    /// Break one word that is wider than `measure` into words that fit, joined without spaces.
    fn break_token(&mut self, word: Word, measure: f32, size: f32) -> Vec<Word> {
        let token: String = word
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Text { glyphs, .. } => Some(glyphs.iter().map(|g| &*g.text).collect()),
                _ => None,
            })
            .collect::<Vec<String>>()
            .concat();
        if !self.warnings.contains(&token) {
            self.warnings.push(token);
        }
        // The token's atoms: the pieces' text cut after each slash (for URLs and paths), and
        // any atom still too wide cut into characters.
        let mut atoms: Vec<Piece> = Vec::new();
        for piece in word.pieces {
            let Piece::Text {
                face,
                glyphs,
                style,
                ..
            } = &piece
            else {
                atoms.push(piece);
                continue;
            };
            let text: String = glyphs.iter().map(|g| &*g.text).collect();
            let mut parts: Vec<String> = Vec::new();
            let mut current = String::new();
            for c in text.chars() {
                current.push(c);
                if c == '/' {
                    parts.push(std::mem::take(&mut current));
                }
            }
            if !current.is_empty() {
                parts.push(current);
            }
            for part in parts {
                let glyphs = self.shape(*face, &part);
                let width = self.fonts.width(*face, &glyphs, size);
                if width <= measure {
                    atoms.push(Piece::Text {
                        face: *face,
                        glyphs,
                        width,
                        style: *style,
                    });
                    continue;
                }
                for c in part.chars() {
                    let glyphs = self.shape(*face, c.encode_utf8(&mut [0; 4]));
                    let width = self.fonts.width(*face, &glyphs, size);
                    atoms.push(Piece::Text {
                        face: *face,
                        glyphs,
                        width,
                        style: *style,
                    });
                }
            }
        }
        // Pack the atoms into words that fit.
        let mut out: Vec<Word> = Vec::new();
        let mut current = Word::default();
        for atom in atoms {
            if !current.pieces.is_empty() && current.width() + atom.width() > measure {
                current.join_next = true;
                out.push(std::mem::take(&mut current));
            }
            current.pieces.push(atom);
        }
        current.break_after = word.break_after;
        current.join_next = word.join_next;
        out.push(current);
        out
    }

    fn place_word(
        &self,
        word: &Word,
        mut x: f32,
        baseline: f32,
        size: f32,
        items: &mut Vec<Item>,
    ) -> f32 {
        for piece in &word.pieces {
            let w = piece.width();
            match piece {
                Piece::Text {
                    face,
                    glyphs,
                    style,
                    ..
                } => {
                    let color = match style.mark {
                        Some(Mark::Delete) => Color::RED,
                        Some(Mark::Insert) => Color::BLUE,
                        Some(Mark::Move | Mark::MovedFrom) => Color::GREEN,
                        None => Color::BLACK,
                    };
                    items.push(Item::Text {
                        x,
                        y: baseline,
                        face: *face,
                        size,
                        glyphs: glyphs.to_vec(),
                        color,
                    });
                    let mut rule = |dy: f32| {
                        items.push(Item::Rule {
                            x1: x,
                            y1: baseline + dy,
                            x2: x + w,
                            y2: baseline + dy,
                            width: 0.5,
                            color,
                        })
                    };
                    if style.underline || style.mark == Some(Mark::Insert) {
                        rule(1.5);
                    }
                    if style.mark == Some(Mark::Insert) {
                        rule(3.0);
                    }
                    if matches!(style.mark, Some(Mark::Delete | Mark::MovedFrom)) {
                        rule(-size * 0.3);
                    }
                    if style.mark == Some(Mark::Move) {
                        rule(1.5);
                        rule(3.0);
                    }
                }
                Piece::Field { name, width } => {
                    if *width > 0.0 {
                        items.push(Item::Rule {
                            x1: x,
                            y1: baseline + 1.5,
                            x2: x + width,
                            y2: baseline + 1.5,
                            width: 0.5,
                            color: Color::BLACK,
                        });
                        items.push(Item::Field {
                            name: name.clone(),
                            rect: Rect {
                                x,
                                y: baseline + 1.0,
                                w: *width,
                                h: size,
                            },
                        });
                    }
                }
                Piece::Kern { .. } => {}
                Piece::Signature { name, width } => {
                    items.push(Item::Rule {
                        x1: x,
                        y1: baseline + 1.5,
                        x2: x + width,
                        y2: baseline + 1.5,
                        width: 0.6,
                        color: Color::BLACK,
                    });
                    items.push(Item::Signature {
                        name: name.clone(),
                        rect: Rect {
                            x,
                            y: baseline + 1.5,
                            w: *width,
                            h: size * 2.5,
                        },
                    });
                }
            }
            x += w;
        }
        x
    }

    /// Lay out blocks into a column and return its slices (not yet in the flow).
    fn column(&mut self, blocks: &[Block], x0: f32, width: f32) -> Vec<Slice> {
        let saved = std::mem::take(&mut self.slices);
        let was = std::mem::replace(&mut self.in_column, true);
        self.blocks(blocks, x0, width);
        self.in_column = was;
        let mut col = std::mem::replace(&mut self.slices, saved);
        while col.last().is_some_and(|s| s.spacer) {
            col.pop();
        }
        col
    }

    /// Merge columns of slices side by side into one slice that never splits.
    fn merge(columns: Vec<Vec<Slice>>) -> Slice {
        let mut merged = Slice::default();
        for col in columns {
            let mut y = 0.0;
            for s in col {
                for item in s.items {
                    merged.items.push(shift_down(item, y));
                }
                y += s.height;
            }
            merged.height = merged.height.max(y);
        }
        merged
    }

    fn signatures(&mut self, cols: &[Vec<Block>], x0: f32, width: f32) {
        let gap = 24.0;
        let columns: Vec<Vec<Slice>> = if cols.len() == 1 {
            vec![self.column(
                &cols[0],
                x0 + width / 2.0 - STEP / 2.0,
                width / 2.0 + STEP / 2.0,
            )]
        } else {
            let n = cols.len() as f32;
            let w = (width - gap * (n - 1.0)) / n;
            cols.iter()
                .enumerate()
                .map(|(i, c)| self.column(c, x0 + i as f32 * (w + gap), w))
                .collect()
        };
        // Signature lines side by side sit on one level: push shorter headings down.
        let to_first_line = |col: &[Slice]| -> Option<f32> {
            let mut y = 0.0;
            for s in col {
                if s.items.iter().any(|i| matches!(i, Item::Signature { .. })) {
                    return Some(y);
                }
                y += s.height;
            }
            None
        };
        let lowest = columns
            .iter()
            .filter_map(|c| to_first_line(c))
            .fold(0.0f32, f32::max);
        let columns = columns
            .into_iter()
            .map(|mut col| {
                if let Some(y) = to_first_line(&col)
                    && y < lowest
                {
                    col.insert(
                        0,
                        Slice {
                            height: lowest - y,
                            ..Slice::default()
                        },
                    );
                }
                col
            })
            .collect();
        // The space to sign is above each line; extra room before the block, kept with it.
        self.gap(self.setup.leading);
        if let Some(gap) = self.slices.last_mut() {
            gap.keep_with_next = true;
        }
        self.slices.push(Self::merge(columns));
    }

    fn table(&mut self, rows: &[Row], x0: f32, width: f32) {
        let n = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
        if n == 0 {
            return;
        }
        let size = self.setup.font_size;
        let gap = 12.0;
        let mut natural = vec![12.0f32; n];
        for r in rows {
            for (i, c) in r.cells.iter().enumerate() {
                let words = self.words(c, size, r.head);
                let w: f32 = words.iter().map(Word::width).sum::<f32>()
                    + self.space(FaceId::Regular, size) * words.len().saturating_sub(1) as f32;
                natural[i] = natural[i].max(w);
            }
        }
        let avail = width - gap * (n as f32 - 1.0);
        let total: f32 = natural.iter().sum();
        let widths: Vec<f32> = if total <= avail {
            natural
        } else {
            natural
                .iter()
                .map(|w| (w / total * avail).max(36.0))
                .collect()
        };
        for r in rows {
            let mut x = x0;
            let mut columns = Vec::new();
            for (i, w) in widths.iter().enumerate() {
                let runs = r.cells.get(i).map(Vec::as_slice).unwrap_or(&[]);
                let setting = Setting {
                    x0: x,
                    width: *w,
                    first_indent: 0.0,
                    rest_indent: 0.0,
                    align: Align::Left,
                    justify: false,
                    bold: r.head,
                    size,
                };
                // A cell of ASCII dashes (a typed table rule) is drawn as a rule.
                let cell = crate::render::text::runs_text(runs);
                let cell = cell.trim();
                if cell.len() >= 3 && cell.chars().all(|c| c == '-' || c == '\u{2014}') {
                    let y = self.setup.leading * 0.5;
                    columns.push(vec![Slice {
                        height: self.setup.leading,
                        items: vec![Item::Rule {
                            x1: x,
                            y1: y,
                            x2: x + w,
                            y2: y,
                            width: 0.5,
                            color: Color::BLACK,
                        }],
                        ..Slice::default()
                    }]);
                    x += w + gap;
                    continue;
                }
                columns.push(self.paragraph_lines(&[], runs, setting));
                x += w + gap;
            }
            let mut slice = Self::merge(columns);
            slice.height = slice.height.max(self.setup.leading);
            // A heading row stays with the first body row.
            slice.keep_with_next = r.head;
            self.slices.push(slice);
        }
    }

    fn footer(&self, page: &mut Page, number: usize, total: usize, id: &str) {
        let size = 9.0;
        let y = self.setup.margin / 2.0;
        let text = format!("Page {number} of {total}");
        let glyphs = self.fonts.shape(FaceId::Regular, &text);
        let w = self.fonts.width(FaceId::Regular, &glyphs, size);
        page.items.push(Item::Text {
            x: (self.setup.width - w) / 2.0,
            y,
            face: FaceId::Regular,
            size,
            glyphs,
            color: Color::GREY,
        });
        if !id.is_empty() {
            let glyphs = self.fonts.shape(FaceId::Regular, id);
            let w = self.fonts.width(FaceId::Regular, &glyphs, size);
            page.items.push(Item::Text {
                x: self.setup.width - self.setup.margin - w,
                y,
                face: FaceId::Regular,
                size,
                glyphs,
                color: Color::GREY,
            });
        }
    }
}

/// The signature pages among sibling blocks, as ranges `[start, end)`: from the paragraph
/// before the first signature block (the testimonium) through the last signature block that
/// follows without a heading, page break or exhibit between, and the short dated lines after
/// it (one-line paragraphs with a blank, such as "Dated: ____").
fn signature_units(blocks: &[Block]) -> Vec<(usize, usize)> {
    let breaks = |b: &Block| {
        matches!(
            b,
            Block::Heading { .. }
                | Block::PageBreak
                | Block::Group {
                    kind: GroupKind::Exhibit,
                    ..
                }
        )
    };
    let mut units = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        if !matches!(blocks[i], Block::Signatures(_)) {
            i += 1;
            continue;
        }
        let start = if i > 0 && matches!(blocks[i - 1], Block::Paragraph(_)) {
            i - 1
        } else {
            i
        };
        let mut last = i;
        let mut j = i + 1;
        while j < blocks.len() && !breaks(&blocks[j]) {
            if matches!(blocks[j], Block::Signatures(_)) {
                last = j;
            }
            j += 1;
        }
        let mut end = last + 1;
        while let Some(Block::Paragraph(p)) = blocks.get(end) {
            let words = crate::render::text::runs_text(&p.runs)
                .split_whitespace()
                .count();
            if words <= 4 && p.runs.iter().any(|r| matches!(r, Run::Field { .. })) {
                end += 1;
            } else {
                break;
            }
        }
        units.push((start, end));
        i = end.max(i + 1);
    }
    units
}

/// The colour of a piece's single underline, if it has one.
fn underline_color(p: &Piece) -> Option<Color> {
    match p {
        Piece::Text { style, .. } if style.underline && style.mark.is_none() => Some(Color::BLACK),
        _ => None,
    }
}

fn shift_down(item: Item, dy: f32) -> Item {
    map_y(item, |y| y + dy)
}

/// A broken line: the indices of its words, whether to justify it, and whether it ends inside
/// a word at a hyphenation point.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    words: Vec<usize>,
    justify: bool,
    hyphen: bool,
}

/// A word's hyphenation points, cached for the process: documents share their vocabulary.
fn hyphenation_points(dict: &hyphenation::Standard, word: &str) -> Vec<usize> {
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
fn dictionary() -> Option<&'static hyphenation::Standard> {
    use hyphenation::Load;
    static DICT: std::sync::OnceLock<Option<hyphenation::Standard>> = std::sync::OnceLock::new();
    DICT.get_or_init(|| hyphenation::Standard::from_embedded(hyphenation::Language::EnglishUS).ok())
        .as_ref()
}

/// Knuth–Plass over the words (total fit, growing tolerance), falling back to greedy filling.
fn break_lines(
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

fn greedy(words: &[Word], space: f32, first: f32, rest: f32) -> Vec<Line> {
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
