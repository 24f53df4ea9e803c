//! The frame: pages of positioned items (glyph runs, rules, field rectangles) and the outline.
//! This is all the PDF writer sees of the layout.

use super::*;

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
    /// The structure element each item belongs to (an index into [`Layout::structure`]), or
    /// none for an artifact (footers); parallel to `items`.
    pub tags: Vec<Option<usize>>,
}

/// An element of the document's logical structure, for a tagged PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// The standard structure type: `H1`…`H6`, `P`, `L`, `LI`, `Table`, `TR`, `TH`, `TD`,
    /// `BlockQuote`, `Div`, `Sect`.
    pub role: &'static str,
    /// The enclosing element (none: the document).
    pub parent: Option<usize>,
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
    /// The logical structure, in reading order; items point into it.
    pub structure: Vec<Element>,
    /// Tokens too long for their line that were broken to fit (URLs after a slash, others
    /// between characters), as the text of each token.
    pub warnings: Vec<String>,
    /// Links from a rectangle on one page to a place on another (a redline's move labels).
    pub links: Vec<Link>,
    /// The 0-based page on which each paragraph-like unit (heading, paragraph, table cell)
    /// begins, in reading order (the order of the HTML renderer's `#pN` anchors). A unit
    /// with nothing to draw is on the page of the unit before it.
    pub unit_pages: Vec<usize>,
}

/// A link: a rectangle on a page that goes to a place in the document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// The 0-based page it is on.
    pub page: usize,
    /// Where on that page.
    pub rect: Rect,
    /// The 0-based page it goes to.
    pub to_page: usize,
    /// The height on that page to show at the top of the window.
    pub to_y: f32,
}
