//! Pagination: slices of the flow onto pages, keep chains, units set closer to fit, and the
//! signing space above signature lines.

use super::*;

/// A horizontal slice of the flow: laid out, not yet placed on a page. Item `y`s are offsets
/// below the slice's top.
#[derive(Debug, Clone, Default)]
pub(super) struct Slice {
    pub(super) height: f32,
    pub(super) items: Vec<Item>,
    /// The structure element of each item (parallel to `items`; missing ones are artifacts).
    pub(super) tags: Vec<Option<usize>>,
    pub(super) keep_with_next: bool,
    pub(super) break_before: bool,
    pub(super) spacer: bool,
    pub(super) outline: Option<(String, u8)>,
}

/// How far a keep unit taller than a page may be set closer to fit on one (its line pitch and
/// spaces, never its type): a signature page or a signed exhibit a few lines over a page.
pub(super) const MIN_SQUEEZE: f32 = 0.85;

/// How far a page may be set closer so that the few lines left before a forced page break do
/// not make a page of their own.
pub(super) const PAGE_SQUEEZE: f32 = 0.9;

pub(super) fn paginate(mut slices: Vec<Slice>, setup: PageSetup) -> (Vec<Page>, Vec<OutlineEntry>) {
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
        let tags = std::mem::take(&mut s.tags);
        for (k, item) in std::mem::take(&mut s.items).into_iter().enumerate() {
            pages[page].tags.push(tags.get(k).copied().flatten());
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
pub(super) fn fit_signatures(page: &mut Page, fonts: &Fonts, page_top: f32) {
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
pub(super) fn shift(item: Item, y0: f32) -> Item {
    map_y(item, |y| y0 - y)
}

/// Apply `f` to every vertical coordinate of an item.
pub(super) fn map_y(item: Item, f: impl Fn(f32) -> f32) -> Item {
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
