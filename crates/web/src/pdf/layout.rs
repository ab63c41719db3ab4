//! A document as blocks (title, headings, paragraphs, labelled fields, tables, photos) and their
//! layout on A4 pages: text wrapped by `text::wrap`, tables broken between rows with their header
//! repeated on every page (a row taller than a page is itself split), headings kept with what
//! follows, and every page footed with the document number and its page number.
//!
//! Pure: positions in points from the top-left corner of the page, nothing drawn. `render`
//! draws the result.

use super::text::{Measure, widest_word, wrap};

/// A4 portrait, in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
const MM: f32 = 72.0 / 25.4;
/// The margins of the print style sheet (`static/print.css`): 18 mm top and bottom, 16 mm sides.
const MARGIN_X: f32 = 16.0 * MM;
const MARGIN_TOP: f32 = 18.0 * MM;
/// The body stops here; the footer sits below.
const BODY_BOTTOM: f32 = PAGE_H - 18.0 * MM - 14.0;
const FOOTER_BASELINE: f32 = PAGE_H - 12.0 * MM;

const TITLE: f32 = 18.0;
const HEADING: f32 = 12.0;
/// 五号, the body size of Chinese official documents.
const BODY: f32 = 10.5;
const SMALL: f32 = 9.0;
const CAPTION: f32 = 8.0;
const LEADING: f32 = 1.6;
const TABLE_LEADING: f32 = 1.45;
const CELL_PAD: f32 = 3.5;
/// Photos inside table cells: this tall at most (thumbnail size on paper).
const CELL_PHOTO_H: f32 = 17.0 * MM;
const PHOTO_GAP: f32 = 3.0;
/// Photos of a photo block: boxes this size, caption under each.
const PHOTO_BOX: (f32, f32) = (52.0 * MM, 39.0 * MM);

/// A document to lay out: its blocks, and the title and number every page's footer carries.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub title: String,
    /// 编号: the order or notice number, on every page.
    pub number: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// The document's title, centred and bold.
    Title(String),
    /// A line against the right margin (the 编号 under the title).
    Right(String),
    /// A section heading; never left alone at the foot of a page.
    Heading(String),
    Paragraph(String),
    /// A paragraph whose first line is indented by two characters.
    Indented(String),
    /// Labelled values, two to a row.
    Fields(Vec<(String, String)>),
    Table(Table),
    /// Photos in rows, each with a caption under it.
    Photos(Vec<Photo>),
    /// Columns of lines side by side, kept together (the signatures at the foot of a notice).
    Columns(Vec<Vec<String>>),
    /// Vertical space, in points.
    Space(f32),
}

#[derive(Debug, Clone)]
pub struct Table {
    /// Title and relative width of each column.
    pub columns: Vec<(String, f32)>,
    pub rows: Vec<Vec<Cell>>,
}

/// A table cell: text, then photos (the document's photo numbers) under it.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub photos: Vec<usize>,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell {
            text,
            photos: vec![],
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::from(text.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct Photo {
    pub id: usize,
    pub caption: String,
}

/// What a page holds, positioned.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
        bold: bool,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    /// A light grey background (table headers).
    Shade { x: f32, y: f32, w: f32, h: f32 },
    Photo {
        id: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageLayout {
    pub items: Vec<Item>,
}

impl PageLayout {
    /// Every text of the page in drawing order (tests and the text layer read alike).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|i| match i {
            Item::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }
}

/// Lays `doc` out on A4 pages. `photos` gives each photo's pixel size (for its aspect ratio),
/// by the numbers blocks refer to; an unknown number is drawn as nothing.
pub fn paginate(doc: &Doc, photos: &[(u32, u32)], m: &impl Measure) -> Vec<PageLayout> {
    let mut flow = Flow {
        m,
        photos,
        pages: vec![PageLayout::default()],
        y: MARGIN_TOP,
    };
    for block in &doc.blocks {
        flow.block(block);
    }
    let total = flow.pages.len();
    for (i, page) in flow.pages.iter_mut().enumerate() {
        footer(page, doc, i + 1, total, m);
    }
    flow.pages
}

fn footer(page: &mut PageLayout, doc: &Doc, n: usize, total: usize, m: &impl Measure) {
    let left = if doc.number.is_empty() {
        doc.title.clone()
    } else {
        format!("{} 编号:{}", doc.title, doc.number)
    };
    page.items.push(Item::Line {
        from: (MARGIN_X, FOOTER_BASELINE - SMALL - 3.0),
        to: (PAGE_W - MARGIN_X, FOOTER_BASELINE - SMALL - 3.0),
        width: 0.4,
    });
    page.items.push(Item::Text {
        x: MARGIN_X,
        baseline: FOOTER_BASELINE,
        size: SMALL,
        text: left,
        bold: false,
    });
    let number = format!("第 {n} 页 共 {total} 页");
    page.items.push(Item::Text {
        x: PAGE_W - MARGIN_X - m.width(&number, SMALL),
        baseline: FOOTER_BASELINE,
        size: SMALL,
        text: number,
        bold: false,
    });
}

/// A piece of a table cell: one line of text or one row of photos.
enum Piece {
    Line(String, bool),
    /// (photo, width, height), left to right.
    Photos(Vec<(usize, f32, f32)>),
}

impl Piece {
    fn height(&self, size: f32) -> f32 {
        match self {
            Piece::Line(..) => size * TABLE_LEADING,
            Piece::Photos(row) => row.iter().map(|p| p.2).fold(0.0, f32::max) + PHOTO_GAP,
        }
    }
}

struct Flow<'a, M: Measure> {
    m: &'a M,
    photos: &'a [(u32, u32)],
    pages: Vec<PageLayout>,
    /// Where the next block starts on the current page.
    y: f32,
}

impl<M: Measure> Flow<'_, M> {
    fn width(&self) -> f32 {
        PAGE_W - 2.0 * MARGIN_X
    }

    fn body_height() -> f32 {
        BODY_BOTTOM - MARGIN_TOP
    }

    fn room(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    fn at_top(&self) -> bool {
        self.y <= MARGIN_TOP
    }

    fn new_page(&mut self) {
        self.pages.push(PageLayout::default());
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `h` fits on this one (or this one is still empty).
    fn need(&mut self, h: f32) {
        if h > self.room() && !self.at_top() {
            self.new_page();
        }
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.items.push(item);
        }
    }

    /// A line of text whose line box starts at `top` and is `line_h` tall.
    fn text(&mut self, x: f32, top: f32, line_h: f32, size: f32, text: String, bold: bool) {
        if text.is_empty() {
            return;
        }
        // The em box centred in the line box; a CJK face's ascent is about 0.88 em.
        let baseline = top + (line_h - size) / 2.0 + 0.88 * size;
        self.push(Item::Text {
            x,
            baseline,
            size,
            text,
            bold,
        });
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Title(t) => {
                let lh = TITLE * 1.5;
                let lines = wrap(t, self.width(), TITLE, self.m);
                self.need(lh * lines.len() as f32);
                for line in lines {
                    let x = MARGIN_X + (self.width() - self.m.width(&line, TITLE)) / 2.0;
                    self.text(x, self.y, lh, TITLE, line, true);
                    self.y += lh;
                }
                self.y += 4.0;
            }
            Block::Right(t) => {
                let lh = BODY * LEADING;
                for line in wrap(t, self.width(), BODY, self.m) {
                    self.need(lh);
                    let x = PAGE_W - MARGIN_X - self.m.width(&line, BODY);
                    self.text(x, self.y, lh, BODY, line, false);
                    self.y += lh;
                }
            }
            Block::Heading(t) => {
                let lh = HEADING * LEADING;
                let lines = wrap(t, self.width(), HEADING, self.m);
                if !self.at_top() {
                    self.y += 8.0;
                }
                // Kept with at least three lines of what follows.
                self.need(lh * lines.len() as f32 + 3.0 * BODY * LEADING);
                for line in lines {
                    self.text(MARGIN_X, self.y, lh, HEADING, line, true);
                    self.y += lh;
                }
                self.y += 2.0;
            }
            Block::Paragraph(t) => self.paragraph(t),
            Block::Indented(t) => self.paragraph(&format!("\u{3000}\u{3000}{t}")),
            Block::Fields(fields) => self.fields(fields),
            Block::Table(t) => self.table(t),
            Block::Photos(photos) => self.photo_rows(photos),
            Block::Columns(columns) => self.columns(columns),
            Block::Space(h) => {
                if !self.at_top() {
                    self.y = (self.y + h).min(BODY_BOTTOM);
                }
            }
        }
    }

    fn paragraph(&mut self, t: &str) {
        let lh = BODY * LEADING;
        for line in wrap(t, self.width(), BODY, self.m) {
            self.need(lh);
            self.text(MARGIN_X, self.y, lh, BODY, line, false);
            self.y += lh;
        }
        self.y += 3.0;
    }

    fn fields(&mut self, fields: &[(String, String)]) {
        let lh = BODY * LEADING;
        let gap = 12.0;
        let col = (self.width() - gap) / 2.0;
        for pair in fields.chunks(2) {
            let cells: Vec<Vec<String>> = pair
                .iter()
                .map(|(label, value)| wrap(&format!("{label}:{value}"), col, BODY, self.m))
                .collect();
            let rows = cells.iter().map(Vec::len).max().unwrap_or(0);
            self.need(lh * rows as f32);
            let top = self.y;
            for (i, lines) in cells.into_iter().enumerate() {
                let x = MARGIN_X + i as f32 * (col + gap);
                for (j, line) in lines.into_iter().enumerate() {
                    self.text(x, top + j as f32 * lh, lh, BODY, line, false);
                }
            }
            self.y = top + lh * rows as f32;
        }
        self.y += 3.0;
    }

    /// Photo `id` scaled to fit `w` × `h`, its aspect ratio kept.
    fn fit(&self, id: usize, w: f32, h: f32) -> (f32, f32) {
        match self.photos.get(id) {
            Some(&(pw, ph)) if pw > 0 && ph > 0 => {
                let scale = (w / pw as f32).min(h / ph as f32);
                (pw as f32 * scale, ph as f32 * scale)
            }
            _ => (0.0, 0.0),
        }
    }

    fn photo_rows(&mut self, photos: &[Photo]) {
        let (bw, bh) = PHOTO_BOX;
        let gap = 8.0;
        let per_row = (((self.width() + gap) / (bw + gap)).floor() as usize).max(1);
        let caption_lh = CAPTION * 1.4;
        for row in photos.chunks(per_row) {
            let captions: Vec<Vec<String>> = row
                .iter()
                .map(|p| {
                    let mut lines = wrap(&p.caption, bw, CAPTION, self.m);
                    lines.truncate(2);
                    lines
                })
                .collect();
            let caption_rows = captions.iter().map(Vec::len).max().unwrap_or(0);
            let h = bh + 2.0 + caption_lh * caption_rows as f32 + gap;
            self.need(h);
            let top = self.y;
            for (i, (photo, lines)) in row.iter().zip(captions).enumerate() {
                let x = MARGIN_X + i as f32 * (bw + gap);
                let (w, ph) = self.fit(photo.id, bw, bh);
                if w > 0.0 {
                    self.push(Item::Photo {
                        id: photo.id,
                        x: x + (bw - w) / 2.0,
                        y: top + (bh - ph) / 2.0,
                        w,
                        h: ph,
                    });
                }
                for (j, line) in lines.into_iter().enumerate() {
                    let lx = x + (bw - self.m.width(&line, CAPTION)) / 2.0;
                    let ly = top + bh + 2.0 + j as f32 * caption_lh;
                    self.text(lx, ly, caption_lh, CAPTION, line, false);
                }
            }
            self.y = top + h;
        }
    }

    fn columns(&mut self, columns: &[Vec<String>]) {
        if columns.is_empty() {
            return;
        }
        let lh = BODY * LEADING;
        let gap = 16.0;
        let n = columns.len() as f32;
        let col = (self.width() - gap * (n - 1.0)) / n;
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .map(|lines| {
                lines
                    .iter()
                    .flat_map(|l| wrap(l, col, BODY, self.m))
                    .collect()
            })
            .collect();
        let rows = wrapped.iter().map(Vec::len).max().unwrap_or(0);
        self.need(lh * rows as f32);
        let top = self.y;
        for (i, lines) in wrapped.into_iter().enumerate() {
            let x = MARGIN_X + i as f32 * (col + gap);
            for (j, line) in lines.into_iter().enumerate() {
                self.text(x, top + j as f32 * lh, lh, BODY, line, false);
            }
        }
        self.y = top + lh * rows as f32;
    }

    /// A cell's content as pieces: wrapped lines, then rows of photos.
    fn pieces(&self, cell: &Cell, inner: f32, bold: bool) -> Vec<Piece> {
        let mut pieces: Vec<Piece> = if cell.text.is_empty() && !cell.photos.is_empty() {
            vec![]
        } else {
            wrap(&cell.text, inner, SMALL, self.m)
                .into_iter()
                .map(|l| Piece::Line(l, bold))
                .collect()
        };
        let mut row: Vec<(usize, f32, f32)> = Vec::new();
        let mut row_w = 0.0;
        for id in &cell.photos {
            let (w, h) = self.fit(*id, inner, CELL_PHOTO_H);
            if w <= 0.0 {
                continue;
            }
            if !row.is_empty() && row_w + PHOTO_GAP + w > inner {
                pieces.push(Piece::Photos(std::mem::take(&mut row)));
                row_w = 0.0;
            }
            row_w += if row.is_empty() { w } else { PHOTO_GAP + w };
            row.push((*id, w, h));
        }
        if !row.is_empty() {
            pieces.push(Piece::Photos(row));
        }
        pieces
    }

    fn table(&mut self, t: &Table) {
        if t.columns.is_empty() {
            return;
        }
        let widths = self.column_widths(t);
        let inner = |w: f32| (w - 2.0 * CELL_PAD).max(SMALL);
        let header: Vec<Vec<Piece>> = t
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| self.pieces(&Cell::from(c.0.as_str()), inner(*w), true))
            .collect();
        let header_h = segment_height(&header, &vec![0; header.len()], None);
        let rows: Vec<Vec<Vec<Piece>>> = t
            .rows
            .iter()
            .map(|row| {
                widths
                    .iter()
                    .enumerate()
                    .map(|(i, w)| match row.get(i) {
                        Some(cell) => self.pieces(cell, inner(*w), false),
                        None => vec![],
                    })
                    .collect()
            })
            .collect();
        // The header never stands alone: it comes with the first row (or as much of it as a
        // page holds).
        let first = rows
            .first()
            .map_or(0.0, |r| segment_height(r, &vec![0; r.len()], None));
        self.need(header_h + first.min(Self::body_height() / 3.0));
        self.draw_segment(&widths, &header, &vec![0; header.len()], None, true);
        let mut header_bottom = self.y;
        for row in &rows {
            let mut starts = vec![0usize; row.len()];
            loop {
                let h = segment_height(row, &starts, None);
                if h <= self.room() {
                    self.draw_segment(&widths, row, &starts, None, false);
                    break;
                }
                let fresh = self.y <= header_bottom;
                if !fresh && h <= Self::body_height() - header_h {
                    // Fits on a page of its own: moves whole.
                    self.new_page();
                    self.draw_segment(&widths, &header, &vec![0; header.len()], None, true);
                    header_bottom = self.y;
                    continue;
                }
                // Taller than a page: as much as fits here, the rest on the next pages.
                let takes = fitting(row, &starts, self.room() - 2.0 * CELL_PAD, fresh);
                if takes.iter().zip(&starts).any(|(t, s)| t > s) {
                    self.draw_segment(&widths, row, &starts, Some(&takes), false);
                    starts = takes;
                }
                self.new_page();
                self.draw_segment(&widths, &header, &vec![0; header.len()], None, true);
                header_bottom = self.y;
            }
        }
        self.y += 6.0;
    }

    /// Each column's share of the width by its weight, but never narrower than its widest
    /// word (a 隐患编号 is not cut to fit a narrow column): wider columns give way in
    /// proportion to what they hold beyond their own words.
    fn column_widths(&self, t: &Table) -> Vec<f32> {
        let width = self.width();
        let total: f32 = t.columns.iter().map(|c| c.1.max(0.01)).sum();
        let mut widths: Vec<f32> = t
            .columns
            .iter()
            .map(|c| c.1.max(0.01) / total * width)
            .collect();
        let min: Vec<f32> = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, (title, _))| {
                let words = t
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| widest_word(&c.text, SMALL, self.m))
                    .fold(widest_word(title, SMALL, self.m), f32::max);
                (words + 2.0 * CELL_PAD + 1.0).min(width * 0.4)
            })
            .collect();
        let deficit: f32 = widths.iter().zip(&min).map(|(w, m)| (m - w).max(0.0)).sum();
        let slack: f32 = widths.iter().zip(&min).map(|(w, m)| (w - m).max(0.0)).sum();
        if deficit <= 0.0 || slack <= 0.0 {
            return widths;
        }
        // Give what the narrow columns lack, as far as the others can spare it.
        let given = deficit.min(slack);
        for (w, m) in widths.iter_mut().zip(&min) {
            if *w < *m {
                *w += (*m - *w) * given / deficit;
            } else {
                *w -= (*w - *m) * given / slack;
            }
        }
        widths
    }

    /// Draws the pieces of each cell from `starts` to `ends` (all when `None`) as one band of
    /// the table, with its grid lines.
    fn draw_segment(
        &mut self,
        widths: &[f32],
        cells: &[Vec<Piece>],
        starts: &[usize],
        ends: Option<&[usize]>,
        header: bool,
    ) {
        let h = segment_height(cells, starts, ends);
        let top = self.y;
        let table_w: f32 = widths.iter().sum();
        if header {
            self.push(Item::Shade {
                x: MARGIN_X,
                y: top,
                w: table_w,
                h,
            });
        }
        let mut x = MARGIN_X;
        for (i, w) in widths.iter().enumerate() {
            let Some(pieces) = cells.get(i) else { continue };
            let end = ends.map_or(pieces.len(), |e| e[i]);
            let mut y = top + CELL_PAD;
            for piece in &pieces[starts[i]..end] {
                let ph = piece.height(SMALL);
                match piece {
                    Piece::Line(text, bold) => {
                        self.text(x + CELL_PAD, y, ph, SMALL, text.clone(), *bold);
                    }
                    Piece::Photos(row) => {
                        let mut px = x + CELL_PAD;
                        for (id, pw, phh) in row {
                            self.push(Item::Photo {
                                id: *id,
                                x: px,
                                y: y + 1.0,
                                w: *pw,
                                h: *phh,
                            });
                            px += pw + PHOTO_GAP;
                        }
                    }
                }
                y += ph;
            }
            x += w;
        }
        // Grid: the band's top and bottom, and every column's edges.
        let line = |from, to| Item::Line {
            from,
            to,
            width: 0.6,
        };
        self.push(line((MARGIN_X, top), (MARGIN_X + table_w, top)));
        self.push(line((MARGIN_X, top + h), (MARGIN_X + table_w, top + h)));
        let mut x = MARGIN_X;
        self.push(line((x, top), (x, top + h)));
        for w in widths {
            x += w;
            self.push(line((x, top), (x, top + h)));
        }
        self.y = top + h;
    }
}

/// Height of a band holding each cell's pieces from `starts` to `ends` (all when `None`).
fn segment_height(cells: &[Vec<Piece>], starts: &[usize], ends: Option<&[usize]>) -> f32 {
    let content = cells
        .iter()
        .enumerate()
        .map(|(i, pieces)| {
            let end = ends.map_or(pieces.len(), |e| e[i]);
            pieces[starts[i]..end]
                .iter()
                .map(|p| p.height(SMALL))
                .sum::<f32>()
        })
        .fold(0.0, f32::max);
    content.max(SMALL * TABLE_LEADING) + 2.0 * CELL_PAD
}

/// For each cell, how far its pieces reach within `avail` points from `starts`. On a fresh page
/// each unfinished cell takes at least one piece, so a row always moves on.
fn fitting(cells: &[Vec<Piece>], starts: &[usize], avail: f32, fresh: bool) -> Vec<usize> {
    cells
        .iter()
        .enumerate()
        .map(|(i, pieces)| {
            let mut end = starts[i];
            let mut used = 0.0;
            while let Some(p) = pieces.get(end) {
                let h = p.height(SMALL);
                if used + h > avail && !(fresh && end == starts[i]) {
                    break;
                }
                used += h;
                end += 1;
            }
            end
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::text::tests::Mono;

    fn table(rows: usize, text: &str) -> Table {
        Table {
            columns: vec![("序号".into(), 1.0), ("隐患描述".into(), 6.0)],
            rows: (1..=rows)
                .map(|i| vec![Cell::from(i.to_string()), Cell::from(text)])
                .collect(),
        }
    }

    fn doc(blocks: Vec<Block>) -> Doc {
        Doc {
            title: "隐患整改通知书".into(),
            number: "ZG-7-20261128".into(),
            blocks,
        }
    }

    /// Where each page's body starts and ends, every item inside the page.
    fn assert_within_margins(pages: &[PageLayout]) {
        for (n, page) in pages.iter().enumerate() {
            for item in &page.items {
                let (top, bottom) = match item {
                    Item::Text { baseline, size, .. } => (baseline - size, *baseline),
                    Item::Line { from, to, .. } => (from.1.min(to.1), from.1.max(to.1)),
                    Item::Shade { y, h, .. } | Item::Photo { y, h, .. } => (*y, y + h),
                };
                assert!(
                    top >= MARGIN_TOP - 0.01 && bottom <= PAGE_H - 10.0 * MM,
                    "page {}: {item:?}",
                    n + 1
                );
            }
        }
    }

    #[test]
    fn a_long_table_breaks_between_rows_and_repeats_its_header_on_every_page() {
        let pages = paginate(
            &doc(vec![Block::Table(table(120, "配电箱未设置漏电保护装置"))]),
            &[],
            &Mono,
        );
        assert!(pages.len() >= 3, "{}", pages.len());
        for page in &pages {
            let texts: Vec<&str> = page.texts().collect();
            assert_eq!(texts[0], "序号", "every page starts with the header");
            assert_eq!(texts[1], "隐患描述");
        }
        // Rows are whole and in order: each page's row numbers continue the previous page's.
        let numbers: Vec<usize> = pages
            .iter()
            .flat_map(|p| {
                p.texts()
                    .filter_map(|t| t.parse::<usize>().ok())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(numbers, (1..=120).collect::<Vec<_>>());
        assert_within_margins(&pages);
    }

    #[test]
    fn a_row_taller_than_a_page_is_split_and_continues_under_the_header() {
        let long = "隐患".repeat(1500);
        let pages = paginate(&doc(vec![Block::Table(table(1, &long))]), &[], &Mono);
        assert!(pages.len() >= 2);
        for page in &pages {
            assert_eq!(page.texts().next(), Some("序号"));
        }
        let drawn: usize = pages
            .iter()
            .flat_map(|p| p.texts())
            .filter(|t| *t != "隐患描述" && !t.contains("编号"))
            .filter(|t| t.starts_with('隐') || t.starts_with('患'))
            .map(|t| t.chars().count())
            .sum();
        assert_eq!(drawn, 3000, "nothing of the row is lost at the page breaks");
        assert_within_margins(&pages);
    }

    #[test]
    fn every_page_carries_its_number_the_total_and_the_document_number() {
        let blocks = (0..200)
            .map(|i| Block::Paragraph(format!("第 {i} 段:整改情况说明")))
            .collect();
        let pages = paginate(&doc(blocks), &[], &Mono);
        let total = pages.len();
        assert!(total >= 2);
        for (i, page) in pages.iter().enumerate() {
            let texts: Vec<&str> = page.texts().collect();
            assert!(
                texts.contains(&format!("第 {} 页 共 {total} 页", i + 1).as_str()),
                "{texts:?}"
            );
            assert!(texts.contains(&"隐患整改通知书 编号:ZG-7-20261128"));
        }
        assert_within_margins(&pages);
    }

    #[test]
    fn a_heading_is_never_the_last_thing_on_a_page() {
        for filler in 30..60 {
            let mut blocks: Vec<Block> = (0..filler)
                .map(|_| Block::Paragraph("整改情况说明".into()))
                .collect();
            blocks.push(Block::Heading("三、服务记录".into()));
            blocks.push(Block::Paragraph("正文".into()));
            let pages = paginate(&doc(blocks), &[], &Mono);
            for page in &pages {
                let body: Vec<&str> = page
                    .texts()
                    .filter(|t| !t.starts_with('第') && !t.contains("编号"))
                    .collect();
                assert_ne!(body.last(), Some(&"三、服务记录"), "filler {filler}");
            }
        }
    }

    #[test]
    fn a_narrow_column_widens_to_its_widest_number() {
        let t = Table {
            columns: vec![("编号".into(), 1.0), ("说明".into(), 9.0)],
            rows: vec![vec![
                Cell::from("YH20261125000001"),
                Cell::from("配电箱未接地"),
            ]],
        };
        let pages = paginate(&doc(vec![Block::Table(t)]), &[], &Mono);
        let texts: Vec<&str> = pages[0].texts().collect();
        assert!(texts.contains(&"YH20261125000001"), "{texts:?}");
    }

    #[test]
    fn photos_keep_their_proportions_inside_cells_and_boxes() {
        let sizes = [(400, 300), (300, 400), (1000, 100)];
        let t = Table {
            columns: vec![("照片".into(), 1.0), ("说明".into(), 1.0)],
            rows: vec![vec![
                Cell {
                    text: "整改前".into(),
                    photos: vec![0, 1, 2],
                },
                Cell::from("x"),
            ]],
        };
        let photos = (0..3)
            .map(|id| Photo {
                id,
                caption: format!("照片 {id}"),
            })
            .collect();
        let pages = paginate(
            &doc(vec![Block::Table(t), Block::Photos(photos)]),
            &sizes,
            &Mono,
        );
        let placed: Vec<(usize, f32, f32)> = pages
            .iter()
            .flat_map(|p| &p.items)
            .filter_map(|i| match i {
                Item::Photo { id, w, h, .. } => Some((*id, *w, *h)),
                _ => None,
            })
            .collect();
        assert_eq!(
            placed.len(),
            6,
            "three in the cell, three in the photo block"
        );
        for (id, w, h) in placed {
            let (pw, ph) = sizes[id];
            let ratio = (w / h) / (pw as f32 / ph as f32);
            assert!((ratio - 1.0).abs() < 0.01, "photo {id}: {w}×{h}");
            assert!(h <= PHOTO_BOX.1 + 0.01 && w <= PAGE_W - 2.0 * MARGIN_X);
        }
        assert_within_margins(&pages);
    }
}
