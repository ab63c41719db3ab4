//! Draws laid-out pages with krilla: text as glyphs of the CJK font (krilla embeds the subset
//! used and a ToUnicode map, so the text can be searched and copied), lines, shades and photos
//! (JPEG passed through as is).

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Data, Document};

use super::font::{Face, LoadedFont};
use super::layout::{Item, PAGE_H, PAGE_W, PageLayout};
use super::photo::PrintPhoto;

pub fn render(
    title: &str,
    pages: &[PageLayout],
    photos: &[PrintPhoto],
    font: &LoadedFont,
) -> Result<Vec<u8>, String> {
    let kfont = font
        .krilla()
        .ok_or_else(|| "the font cannot be read by the PDF writer".to_string())?;
    let face = font.face();
    // Each photo once: drawn twice, krilla still embeds it once.
    let images: Vec<Option<Image>> = photos
        .iter()
        .map(|p| Image::from_jpeg(Data::from(p.jpeg.clone()), true).ok())
        .collect();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("zh-CN".to_string())
            .creator("安责险事故预防服务平台".to_string()),
    );
    let settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| "bad page size".to_string())?;
    for layout in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for item in &layout.items {
            draw(&mut surface, item, &kfont, &face, &images);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| format!("writing the PDF failed: {e:?}"))
}

fn black() -> rgb::Color {
    rgb::Color::new(0, 0, 0)
}

fn draw(s: &mut Surface, item: &Item, font: &Font, face: &Face, images: &[Option<Image>]) {
    match item {
        Item::Text {
            x,
            baseline,
            size,
            text,
            bold,
        } => {
            let glyphs: Vec<KrillaGlyph> = text
                .char_indices()
                .map(|(at, ch)| {
                    let (gid, advance) = face.glyph(ch);
                    KrillaGlyph::new(
                        GlyphId::new(gid),
                        advance,
                        0.0,
                        0.0,
                        0.0,
                        at..at + ch.len_utf8(),
                        None,
                    )
                })
                .collect();
            s.set_fill(Some(Fill {
                paint: black().into(),
                ..Fill::default()
            }));
            // The font has no bold face: a thin outline over the fill thickens the strokes.
            s.set_stroke(bold.then(|| Stroke {
                paint: black().into(),
                width: size * 0.035,
                ..Stroke::default()
            }));
            s.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &glyphs,
                font.clone(),
                text,
                *size,
                false,
            );
            s.set_stroke(None);
        }
        Item::Line { from, to, width } => {
            let mut pb = PathBuilder::new();
            pb.move_to(from.0, from.1);
            pb.line_to(to.0, to.1);
            if let Some(path) = pb.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    paint: black().into(),
                    width: *width,
                    ..Stroke::default()
                }));
                s.draw_path(&path);
                s.set_stroke(None);
            }
        }
        Item::Shade { x, y, w, h } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x, *y);
            pb.line_to(x + w, *y);
            pb.line_to(x + w, y + h);
            pb.line_to(*x, y + h);
            pb.close();
            if let Some(path) = pb.finish() {
                s.set_stroke(None);
                s.set_fill(Some(Fill {
                    paint: rgb::Color::new(236, 238, 241).into(),
                    ..Fill::default()
                }));
                s.draw_path(&path);
            }
        }
        Item::Photo { id, x, y, w, h } => {
            if let (Some(Some(image)), Some(size)) = (images.get(*id), Size::from_wh(*w, *h)) {
                s.push_transform(&Transform::from_translate(*x, *y));
                s.draw_image(image.clone(), size);
                s.pop();
            }
        }
    }
}
