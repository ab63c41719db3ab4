//! The CJK font of PDF documents: found among the system's fonts (or configured), read once when
//! the first document is made, measured through skrifa and embedded (subset) by krilla.

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::text::Measure;

/// Where distributions install fonts that cover Simplified Chinese, in order of preference.
pub const KNOWN_FONTS: &[&str] = &[
    // fonts-noto-cjk (Debian, Ubuntu)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    // google-noto-sans-cjk-fonts (Fedora), noto-fonts-cjk (Arch)
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    // fonts-wqy-microhei (Debian, Ubuntu), wqy-microhei-fonts (Fedora)
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    // fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
];

/// Characters a face must map to be taken for a Chinese font.
const PROBE: &[char] = &['安', '全', '隐', '患', '0', 'A'];

/// A font file and the face in it that documents are set in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontSource {
    pub path: PathBuf,
    /// The face within a collection (`.ttc`); 0 for a single font.
    pub index: u32,
    /// Its family name, for the log.
    pub family: String,
}

impl FontSource {
    /// The configured font, or else the first known font installed. `Err` says, in English for
    /// the log, why there is none.
    pub fn locate(configured: Option<&Path>) -> Result<FontSource, String> {
        if let Some(path) = configured {
            return Self::open(path);
        }
        KNOWN_FONTS
            .iter()
            .map(Path::new)
            .filter(|p| p.is_file())
            .find_map(|p| Self::open(p).ok())
            .ok_or_else(|| {
                format!(
                    "no CJK font found (looked for {}); install fonts-noto-cjk or \
                     fonts-wqy-microhei, or set pdf_font",
                    KNOWN_FONTS.join(", ")
                )
            })
    }

    /// The face of `path` that covers Chinese, preferring a Simplified Chinese one in a
    /// collection (Noto Sans CJK holds Japanese, Korean, Simplified and Traditional faces).
    pub fn open(path: &Path) -> Result<FontSource, String> {
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (index, family) = pick_face(&data).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(FontSource {
            path: path.to_path_buf(),
            index,
            family,
        })
    }
}

fn pick_face(data: &[u8]) -> Result<(u32, String), String> {
    let file = FileRef::new(data).map_err(|e| format!("not a font file ({e})"))?;
    let mut covering = Vec::new();
    for (index, face) in file.fonts().enumerate() {
        let Ok(face) = face else { continue };
        let charmap = face.charmap();
        if PROBE.iter().all(|c| charmap.map(*c).is_some()) {
            let family = face
                .localized_strings(StringId::FAMILY_NAME)
                .english_or_first()
                .map(|s| s.to_string())
                .unwrap_or_default();
            covering.push((index as u32, family));
        }
    }
    let simplified = covering
        .iter()
        .position(|(_, f)| f.ends_with(" SC") || f.contains(" SC ") || f.contains("CN"));
    match simplified {
        Some(i) => Ok(covering.swap_remove(i)),
        None => covering
            .into_iter()
            .next()
            .ok_or_else(|| "no face in it covers Chinese".to_string()),
    }
}

/// A font read into memory, shared by every document made while the server runs.
pub struct LoadedFont {
    data: Arc<Vec<u8>>,
    index: u32,
}

impl LoadedFont {
    pub fn load(source: &FontSource) -> Result<LoadedFont, String> {
        let data =
            std::fs::read(&source.path).map_err(|e| format!("{}: {e}", source.path.display()))?;
        FontRef::from_index(&data, source.index)
            .map_err(|e| format!("{}: {e}", source.path.display()))?;
        Ok(LoadedFont {
            data: Arc::new(data),
            index: source.index,
        })
    }

    /// Character to glyph and advance, for measuring and placing text.
    pub fn face(&self) -> Face<'_> {
        // `load` checked that the face parses.
        let font = FontRef::from_index(&self.data, self.index).ok();
        Face {
            upem: font.as_ref().map_or(1000.0, |f| {
                f32::from(
                    f.metrics(Size::unscaled(), LocationRef::default())
                        .units_per_em,
                )
            }),
            charmap: font.as_ref().map(|f| f.charmap()),
            metrics: font
                .as_ref()
                .map(|f| f.glyph_metrics(Size::unscaled(), LocationRef::default())),
        }
    }

    /// The same font for krilla, which subsets and embeds it.
    pub fn krilla(&self) -> Option<krilla::text::Font> {
        krilla::text::Font::new(krilla::Data::from(self.data.clone()), self.index)
    }
}

/// A face's character map and advances.
pub struct Face<'a> {
    charmap: Option<Charmap<'a>>,
    metrics: Option<GlyphMetrics<'a>>,
    upem: f32,
}

impl Face<'_> {
    /// The glyph of `ch` (0, the "missing" box, when the font lacks it) and its advance in ems.
    pub fn glyph(&self, ch: char) -> (u32, f32) {
        let gid = self
            .charmap
            .as_ref()
            .and_then(|c| c.map(ch))
            .unwrap_or_default();
        let advance = self
            .metrics
            .as_ref()
            .and_then(|m| m.advance_width(gid))
            .unwrap_or(self.upem / 2.0);
        (gid.to_u32(), advance / self.upem)
    }
}

impl Measure for Face<'_> {
    fn advance(&self, ch: char) -> f32 {
        self.glyph(ch).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_foreign_file_is_no_font() {
        assert!(FontSource::locate(Some(Path::new("/nonexistent/font.ttc"))).is_err());
        // A file that is not a font at all.
        let err = FontSource::locate(Some(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/Cargo.toml"
        ))))
        .unwrap_err();
        assert!(err.contains("not a font"), "{err}");
    }

    #[test]
    fn an_installed_cjk_font_measures_han_wider_than_latin() {
        // Machines without any of the known fonts skip this (the HTTP tests cover that case).
        let Ok(source) = FontSource::locate(None) else {
            return;
        };
        let font = LoadedFont::load(&source).unwrap();
        let face = font.face();
        let (gid, han) = face.glyph('安');
        assert_ne!(gid, 0, "{source:?}");
        assert!((han - 1.0).abs() < 0.05, "a Han character is one em: {han}");
        assert!(face.advance('i') < han);
        assert!(font.krilla().is_some());
    }
}
