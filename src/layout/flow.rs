//! Block flow: blocks to slices (lines, signature blocks, table rows) with their keep rules.

use super::*;

pub(super) struct Flow {
    pub(super) setup: PageSetup,
    pub(super) fonts: &'static Fonts,
    pub(super) slices: Vec<Slice>,
    /// Inside a signature block or table column: set ragged right, never justified.
    pub(super) in_column: bool,
    /// Tokens too long for their line, broken (in order, without repeats).
    pub(super) warnings: Vec<String>,
    /// The hanging indent's label width shared by the list the current paragraph is in.
    pub(super) hang: Option<f32>,
    /// The text of the paragraph being laid out, when the caller has it already.
    pub(super) para_text: Option<String>,
    /// Glyphs (and spaces) of the line being set: a line's glyph run is allocated once.
    pub(super) line_glyphs: usize,
    /// The logical structure made so far, and the element being laid out.
    pub(super) structure: Vec<Element>,
    pub(super) current: Option<usize>,
    /// The structure element of every paragraph-like unit (heading, paragraph, table cell) in
    /// reading order, to tell where each landed ([`Layout::unit_pages`]).
    pub(super) units: Vec<Option<usize>>,
    /// Setting paragraphs ahead on another thread ([`super::prefetch`]): every paragraph set
    /// is kept in the cache at once, and the slices are thrown away.
    pub(super) prefetch: bool,
}

/// How a paragraph's lines are set.
#[derive(Debug, Clone, Copy)]
pub(super) struct Setting {
    pub(super) x0: f32,
    pub(super) width: f32,
    pub(super) first_indent: f32,
    pub(super) rest_indent: f32,
    pub(super) align: Align,
    pub(super) justify: bool,
    pub(super) bold: bool,
    pub(super) size: f32,
}

pub(super) const STEP: f32 = 36.0;
pub(super) const SCALE: f32 = 100.0;

impl Flow {
    fn gap(&mut self, h: f32) {
        self.slices.push(Slice {
            height: h,
            spacer: true,
            ..Slice::default()
        });
    }

    /// Open a structure element under the current one.
    fn open(&mut self, role: &'static str) {
        self.structure.push(Element {
            role,
            parent: self.current,
        });
        self.current = Some(self.structure.len() - 1);
    }

    pub(super) fn blocks(&mut self, blocks: &[Block], x0: f32, width: f32) {
        let outer = self.current;
        // Labelled clauses in a row are a list.
        let mut list: Option<usize> = None;
        let units = crate::document::signature_units(blocks);
        let hangs = self.hangs(blocks);
        // Each paragraph's text, once.
        let mut texts: Vec<Option<String>> = blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph(p) => Some(crate::document::runs_text(&p.runs)),
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
            if matches!(b, Block::Paragraph(p) if !p.label.is_empty()) {
                if list.is_none() {
                    self.current = outer;
                    self.open("L");
                    list = self.current;
                }
                self.current = list;
            } else {
                list = None;
                self.current = outer;
            }
            self.block(b, x0, width);
            self.current = outer;
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

    /// Set the blocks from `from` on as [`Flow::blocks`] sets them (each with the hanging
    /// indent of its list among all `blocks`), for their paragraphs to be in the cache when
    /// the flow gets there. Only the cache is the better for it.
    pub(super) fn prefetch_blocks(&mut self, blocks: &[Block], from: usize, x0: f32, width: f32) {
        let hangs = self.hangs(blocks);
        for (b, hang) in blocks.iter().zip(hangs).skip(from) {
            self.para_text = match b {
                Block::Paragraph(p) => Some(crate::document::runs_text(&p.runs)),
                _ => None,
            };
            self.hang = hang;
            self.block(b, x0, width);
            self.hang = None;
            self.slices.clear();
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
            // Definitions ("Where X =", "Y =", …) share one hang whatever their shape.
            if defines(label) {
                return "=".into();
            }
            crate::document::runs_text(label)
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
        let saved = self.current;
        let role = match b {
            Block::Heading { level, .. } => {
                Some(["H1", "H2", "H3", "H4", "H5", "H6"][usize::from(level.clamp(&1, &6) - 1)])
            }
            Block::Paragraph(p) if !p.label.is_empty() => Some("LI"),
            Block::Paragraph(_) => Some("P"),
            Block::Quote(_) => Some("BlockQuote"),
            Block::Table(rows) if typed_fraction(rows).is_some() => Some("Formula"),
            Block::Table(_) => Some("Table"),
            Block::Signatures(_) => Some("Div"),
            Block::Group {
                kind: GroupKind::Exhibit,
                ..
            } => Some("Sect"),
            _ => None,
        };
        if let Some(role) = role {
            self.open(role);
        }
        if matches!(b, Block::Heading { .. } | Block::Paragraph(_)) {
            self.units.push(self.current);
        }
        self.block_in(b, x0, width);
        self.current = saved;
    }

    fn block_in(&mut self, b: &Block, x0: f32, width: f32) {
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
                    first.outline = Some((crate::document::runs_text(runs), *level));
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
                    .unwrap_or_else(|| crate::document::runs_text(&p.runs));
                let caption = text.trim_end().ends_with(':')
                    || (lines.len() == 1 && !p.label.is_empty() && {
                        let words = text.split_whitespace().count();
                        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
                        let capitals = text.chars().filter(|c| c.is_uppercase()).count();
                        words <= 6 || capitals * 5 >= letters * 3
                    });
                // A numbered run-in heading ("2.", "5.2") is in the outline, under its article.
                let number = crate::document::runs_text(&p.label);
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
                    GroupKind::Plain | GroupKind::Change(_) => {}
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
            // A legend in capitals is set ragged right: justified, its few wide words left
            // gaps of 8 to 9 pt on a quarter of its lines.
            justify: p.style.align == Align::Left
                && !self.in_column
                && !match &self.para_text {
                    Some(text) => in_capitals(text),
                    None => in_capitals(&crate::document::runs_text(&p.runs)),
                },
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

    /// Add a word's glyphs to a line's items: joined to the glyph run before it when that run
    /// is in the same face, size and colour, with a real space glyph between words whose
    /// advance is stretched to the word's position. Fewer, longer runs make a smaller PDF, and
    /// the spaces make text extraction exact.
    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of the text item it makes"
    )]
    fn push_text(
        &self,
        items: &mut Vec<Item>,
        x: f32,
        y: f32,
        face: FaceId,
        size: f32,
        new: &[Glyph],
        color: Color,
    ) {
        if let Some(Item::Text {
            x: x0,
            y: y0,
            face: f0,
            size: s0,
            glyphs,
            color: c0,
        }) = items.last_mut()
            && *f0 == face
            && *s0 == size
            && *c0 == color
            && *y0 == y
        {
            let upem = self.fonts.units_per_em(face) as f32;
            let end: i32 = glyphs.iter().map(|g| g.advance).sum();
            let target = ((x - *x0) * upem / size).round() as i32;
            let gap = target - end;
            // Pieces of one word (another style in the same face, a broken token's pieces)
            // follow on directly.
            if gap.abs() <= 1 {
                glyphs.extend_from_slice(new);
                return;
            }
            if gap > 0
                && let Some(sp) = self.shape(face, " ").first()
            {
                glyphs.push(Glyph {
                    gid: sp.gid,
                    text: sp.text.clone(),
                    advance: gap,
                    natural: sp.natural,
                });
                glyphs.extend_from_slice(new);
                return;
            }
        }
        let mut glyphs = Vec::with_capacity(self.line_glyphs.max(new.len()));
        glyphs.extend_from_slice(new);
        items.push(Item::Text {
            x,
            y,
            face,
            size,
            glyphs,
            color,
        });
    }

    /// Shape a word, once per face and text (the cache is the process's: [`Fonts::shaped`]).
    fn shape(&self, face: FaceId, text: &str) -> std::sync::Arc<[Glyph]> {
        self.fonts.shaped(face, text)
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

    /// Break a paragraph into lines and set them. Returns one slice per line. Set once per
    /// process for each paragraph, setting and page setup ([`super::cache`]): a paragraph met
    /// again takes the lines it was set in, with the same tokens reported as broken.
    fn paragraph_lines(&mut self, label: &[Run], runs: &[Run], s: Setting) -> Vec<Slice> {
        let key = super::cache::Key::new(label, runs, &s, &self.setup);
        if let Some((mut slices, warnings)) = super::cache::get(&key, label, runs) {
            for w in warnings {
                if !self.warnings.contains(&w) {
                    self.warnings.push(w);
                }
            }
            for slice in &mut slices {
                slice.tags.fill(self.current);
            }
            return slices;
        }
        let before = std::mem::take(&mut self.warnings);
        let slices = self.set_lines(label, runs, s);
        let made = std::mem::replace(&mut self.warnings, before);
        for w in &made {
            if !self.warnings.contains(w) {
                self.warnings.push(w.clone());
            }
        }
        if self.prefetch {
            // Set ahead for the flow on the other thread: the lines go to the cache whole, and
            // this flow, whose slices are thrown away, keeps only their measures.
            let measures = slices
                .iter()
                .map(|s| Slice {
                    height: s.height,
                    items: Vec::new(),
                    tags: Vec::new(),
                    keep_with_next: s.keep_with_next,
                    break_before: s.break_before,
                    spacer: s.spacer,
                    outline: None,
                })
                .collect();
            // Not kept (no room, or set already): the flow on the other thread sets it.
            super::cache::put_ahead(key, label, runs, slices, &made);
            return measures;
        }
        super::cache::put(key, label, runs, &slices, &made, false);
        slices
    }

    /// [`Flow::paragraph_lines`], without the cache.
    fn set_lines(&mut self, label: &[Run], runs: &[Run], s: Setting) -> Vec<Slice> {
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
                // A definition's label is set flush right in the hang, so that the "=" signs
                // of a list of definitions align, as their texts do.
                let (before, after) = if defines(label) {
                    (hang - span - space, space)
                } else {
                    (0.0, hang - span)
                };
                if before > 0.0 {
                    words[0].pieces.insert(0, Piece::Kern { width: before });
                }
                let last = &mut words[label_words - 1];
                last.pieces.push(Piece::Kern { width: after });
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
        // Justified body text with a line whose spaces stretch past their stretchability (0.6
        // of a space, TeX's pretolerance) is broken again with hyphenation, as TeX does after
        // its first pass. Never headings, centred or ragged text.
        if s.justify {
            let loose = lines.iter().enumerate().any(|(n, line)| {
                let avail = if n == 0 { first_width } else { rest_width };
                let gaps = line.words.len().saturating_sub(1) as f32;
                let natural: f32 =
                    line.words.iter().map(|&i| words[i].width()).sum::<f32>() + space * gaps;
                line.justify && gaps > 0.0 && (avail - natural) / gaps > space * 0.6
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
            self.line_glyphs = line
                .words
                .iter()
                .flat_map(|&wi| &words[wi].pieces)
                .map(|p| match p {
                    Piece::Text { glyphs, .. } => glyphs.len() + 1,
                    _ => 0,
                })
                .sum::<usize>()
                + 1;
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
                tags: vec![self.current; items.len()],
                items,
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
                        glyphs.clone(),
                    ))
                }
                _ => None,
            };
            let Some((face, text, style, whole)) = single else {
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
            // Where each glyph of the whole word starts in its text: a part that starts and
            // ends on glyph boundaries takes the word's own glyphs (kerned as the word is, and
            // no shaping); one that cuts a ligature is shaped alone.
            let mut starts = Vec::with_capacity(whole.len() + 1);
            let mut at = 0;
            for g in whole.iter() {
                starts.push(at);
                at += g.text.len();
            }
            starts.push(at);
            let glyph_at = |byte: usize| starts.binary_search(&byte).ok();
            let n = parts.len();
            let mut from = 0;
            for (k, part) in parts.into_iter().enumerate() {
                let to = from + part.len();
                let glyphs: std::sync::Arc<[Glyph]> = match (glyph_at(from), glyph_at(to)) {
                    (Some(a), Some(b)) if at == text.len() && a < b => whole[a..b].into(),
                    _ => self.shape(face, part),
                };
                from = to;
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
                        Some(Mark::Delete | Mark::DeleteInMove) => Color::RED,
                        Some(Mark::Insert) => Color::BLUE,
                        Some(Mark::Move | Mark::MovedFrom | Mark::Note) => Color::GREEN,
                        None => Color::BLACK,
                    };
                    self.push_text(items, x, baseline, *face, size, glyphs, color);
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
                    if matches!(
                        style.mark,
                        Some(Mark::Delete | Mark::DeleteInMove | Mark::MovedFrom)
                    ) {
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
        let outer = self.current;
        self.open("Div");
        self.blocks(blocks, x0, width);
        self.current = outer;
        self.in_column = was;
        let mut col = std::mem::replace(&mut self.slices, saved);
        while col.last().is_some_and(|s| s.spacer) {
            col.pop();
        }
        // The column follows the gap `signatures` leaves above the block.
        make_signing_room(&mut col, self.setup.leading);
        col
    }

    /// Merge columns of slices side by side into one slice that never splits.
    fn merge(columns: Vec<Vec<Slice>>) -> Slice {
        let mut merged = Slice::default();
        for col in columns {
            let mut y = 0.0;
            for s in col {
                let mut tags = s.tags;
                tags.resize(s.items.len(), None);
                merged.tags.extend(tags);
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

    /// A typeset fraction: `lhs` on the math axis (its "=" level with the bar), the numerator
    /// centred over a rule as wide as the wider of the two, the denominator centred under it.
    fn fraction(&mut self, lhs: &[Run], num: &[Run], den: &[Run], x0: f32) {
        let size = self.setup.font_size;
        let leading = self.setup.leading;
        let space = self.space(FaceId::Regular, size);
        let width = |words: &[Word]| {
            words.iter().map(Word::width).sum::<f32>()
                + space * words.len().saturating_sub(1) as f32
        };
        let (lhs, num, den) = (
            self.words(lhs, size, false),
            self.words(num, size, false),
            self.words(den, size, false),
        );
        let pad = size * 0.25;
        let bar = width(&num).max(width(&den)) + 2.0 * pad;
        let fx = x0 + width(&lhs) + space * 1.5;
        // Offsets below the slice's top: the numerator's baseline, the bar under its
        // descenders, the denominator a cap height under the bar, and the left side's baseline
        // where its "=" (a quarter em above the baseline) meets the bar.
        let num_base = leading * 0.78;
        let rule = num_base + size * 0.3;
        let den_base = rule + size * 0.95;
        let lhs_base = rule + size * 0.27;
        let mut items = Vec::new();
        let set = |words: &[Word], mut x: f32, baseline: f32, items: &mut Vec<Item>| {
            for w in words {
                x = self.place_word(w, x, baseline, size, items) + space;
            }
        };
        set(&lhs, x0, lhs_base, &mut items);
        set(&num, fx + (bar - width(&num)) / 2.0, num_base, &mut items);
        items.push(Item::Rule {
            x1: fx,
            y1: rule,
            x2: fx + bar,
            y2: rule,
            width: 0.5,
            color: Color::BLACK,
        });
        set(&den, fx + (bar - width(&den)) / 2.0, den_base, &mut items);
        self.slices.push(Slice {
            height: (den_base + leading * 0.3).max(2.0 * leading),
            tags: vec![self.current; items.len()],
            items,
            ..Slice::default()
        });
    }

    fn table(&mut self, rows: &[Row], x0: f32, width: f32) {
        if let Some((lhs, num, den)) = typed_fraction(rows) {
            self.fraction(lhs, num, den, x0);
            return;
        }
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
        let table = self.current;
        for r in rows {
            let mut x = x0;
            let mut columns = Vec::new();
            self.current = table;
            self.open("TR");
            let row = self.current;
            for (i, w) in widths.iter().enumerate() {
                let runs = r.cells.get(i).map(Vec::as_slice).unwrap_or(&[]);
                self.current = row;
                self.open(if r.head { "TH" } else { "TD" });
                if i < r.cells.len() {
                    self.units.push(self.current);
                }
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
                let cell = crate::document::runs_text(runs);
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
                        tags: vec![self.current],
                        ..Slice::default()
                    }]);
                    x += w + gap;
                    continue;
                }
                columns.push(self.paragraph_lines(&[], runs, setting));
                x += w + gap;
            }
            self.current = table;
            let mut slice = Self::merge(columns);
            slice.height = slice.height.max(self.setup.leading);
            // A heading row stays with the first body row.
            slice.keep_with_next = r.head;
            self.slices.push(slice);
        }
    }

    /// A signature page's caption, centred in the bottom margin above the footer, in body type
    /// two points smaller (smaller still if it would not fit the measure). An artifact.
    pub(super) fn caption(&self, page: &mut Page, text: &str) {
        let measure = self.setup.width - 2.0 * self.setup.margin;
        let glyphs = self.fonts.shape(FaceId::Regular, text);
        let mut size = self.setup.font_size - 2.0;
        let w = self.fonts.width(FaceId::Regular, &glyphs, size);
        if w > measure {
            size *= measure / w;
        }
        let w = self.fonts.width(FaceId::Regular, &glyphs, size);
        page.tags.resize(page.items.len(), None);
        page.items.push(Item::Text {
            x: (self.setup.width - w) / 2.0,
            y: self.setup.margin * 0.5 + self.setup.leading * 1.2,
            face: FaceId::Regular,
            size,
            glyphs,
            color: Color::BLACK,
        });
    }

    pub(super) fn footer(&self, page: &mut Page, number: usize, total: usize, id: &str) {
        let size = 9.0;
        let y = self.setup.margin / 2.0;
        let text = format!("Page {number} of {total}");
        let glyphs = self.fonts.shape(FaceId::Regular, &text);
        let w = self.fonts.width(FaceId::Regular, &glyphs, size);
        page.tags.resize(page.items.len(), None);
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
            page.tags.resize(page.items.len(), None);
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

/// The colour of a piece's single underline, if it has one.
pub(super) fn underline_color(p: &Piece) -> Option<Color> {
    match p {
        Piece::Text { style, .. } if style.underline && style.mark.is_none() => Some(Color::BLACK),
        _ => None,
    }
}

/// Whether text is set in capitals: at least 20 letters, none of them lower case (a legend).
pub(super) fn in_capitals(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphabetic()).count() >= 20
        && !text.chars().any(char::is_lowercase)
}

/// Whether a clause label introduces a definition: it ends with "=" ("Where X =").
pub(super) fn defines(label: &[Run]) -> bool {
    crate::document::runs_text(label).trim_end().ends_with('=')
}

/// A typist's fraction: a table of two columns and three rows, the left side ending in "=" and
/// the numerator, then a rule of dashes under the numerator, then the denominator, with nothing
/// else in the left column (`| X = | Y(A-B) |`, `| | ------ |`, `| | A |`). The text render
/// draws it as typed; the PDF typesets it. Returns the left side, numerator and denominator.
pub(super) fn typed_fraction(rows: &[Row]) -> Option<(&[Run], &[Run], &[Run])> {
    let [a, b, c] = rows else {
        return None;
    };
    if [a, b, c].iter().any(|r| r.head || r.cells.len() != 2) {
        return None;
    }
    let text = |r: &[Run]| crate::document::runs_text(r).trim().to_string();
    let dashes = text(&b.cells[1]);
    let rule = dashes.len() >= 3 && dashes.chars().all(|c| c == '-' || c == '\u{2014}');
    (rule
        && text(&a.cells[0]).ends_with('=')
        && text(&b.cells[0]).is_empty()
        && text(&c.cells[0]).is_empty()
        && !text(&a.cells[1]).is_empty()
        && !text(&c.cells[1]).is_empty())
    .then(|| {
        (
            a.cells[0].as_slice(),
            a.cells[1].as_slice(),
            c.cells[1].as_slice(),
        )
    })
}

/// The free space a signer has above every signature line: a little over half an inch (so that
/// a unit set closer to fit keeps half an inch) between the rule and
/// whatever is drawn above it (the name of the signer before, a party's name), so that stacked
/// signers each get room to sign.
pub(super) const SIGNING_ROOM: f32 = 38.0;

/// Give every signature line of a column at least [`SIGNING_ROOM`] above its rule, with a
/// spacer before its slice where there is less. `lead_in` is the free space above the column.
pub(super) fn make_signing_room(col: &mut Vec<Slice>, lead_in: f32) {
    let mut k = 0;
    while k < col.len() {
        let rule = col[k]
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Signature { rect, .. } => Some(rect.y),
                _ => None,
            })
            .fold(None, |m: Option<f32>, y| Some(m.map_or(y, |m| m.min(y))));
        let Some(rule) = rule else {
            k += 1;
            continue;
        };
        // Free space: above the rule in its own slice, every spacer before it, and the room
        // left under the lowest mark of the slice with content before those.
        let mut room = rule;
        let mut j = k;
        let mut content_above = false;
        while j > 0 {
            j -= 1;
            let above = &col[j];
            if above.spacer || above.items.is_empty() {
                room += above.height;
                continue;
            }
            let bottom = above
                .items
                .iter()
                .map(|i| match i {
                    Item::Text { y, size, .. } => y + size * 0.22,
                    Item::Rule { y1, y2, .. } => y1.max(*y2),
                    Item::Field { rect, .. } | Item::Signature { rect, .. } => rect.y,
                })
                .fold(0.0f32, f32::max);
            room += (above.height - bottom).max(0.0);
            content_above = true;
            break;
        }
        if !content_above {
            room += lead_in;
        }
        if room + 0.01 < SIGNING_ROOM {
            col.insert(
                k,
                Slice {
                    height: SIGNING_ROOM - room,
                    spacer: true,
                    keep_with_next: true,
                    ..Slice::default()
                },
            );
            k += 1;
        }
        k += 1;
    }
}

pub(super) fn shift_down(item: Item, dy: f32) -> Item {
    map_y(item, |y| y + dy)
}
