//! PDF documents made on the server (整改通知书, 复查意见, 服务报告), in Chinese, with photos.
//!
//! A document is built as blocks (`layout::Doc`), laid out on A4 pages by `layout` (Chinese
//! line breaking in `text`, tables across pages with their header repeated), and drawn by
//! `render` with krilla, which embeds the subset of the CJK font the text uses. The font comes
//! from the system (`font::FontSource::locate`); without one, pages say PDF is unavailable and
//! offer their print version instead.

mod font;
pub mod layout;
mod photo;
mod render;
pub mod text;

use anze_core::attachment::{Attachment, BlobStore};
use anze_core::ids::AttachmentId;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

pub use font::FontSource;
use font::LoadedFont;
pub use layout::{Block, Cell, Doc, Photo, Table};
pub use photo::PrintPhoto;

/// Documents made at once in the process: each decodes its photos, holds them and a font subset
/// in memory, and the machine has two cores.
static RENDER_SLOTS: Semaphore = Semaphore::const_new(2);

/// Largest thumbnail read for a document; a real one is a few tens of kilobytes.
const MAX_THUMB_BYTES: u64 = 2 * 1024 * 1024;

/// The font of PDF documents: where it is, and its bytes once the first document needed them.
pub struct PdfFonts {
    source: Option<FontSource>,
    loaded: OnceCell<Arc<LoadedFont>>,
}

impl PdfFonts {
    pub fn new(source: Option<FontSource>) -> Self {
        Self {
            source,
            loaded: OnceCell::new(),
        }
    }

    /// Whether PDF documents can be made: pages show their PDF links, or a notice instead.
    pub fn available(&self) -> bool {
        self.source.is_some()
    }

    /// The font, read on first use. `None` when there is none, or when its file can no longer
    /// be read (logged; the next request tries again).
    pub async fn get(&self) -> Option<Arc<LoadedFont>> {
        let source = self.source.clone()?;
        let loaded = self
            .loaded
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || LoadedFont::load(&source))
                    .await
                    .map_err(|e| e.to_string())?
                    .map(Arc::new)
            })
            .await;
        match loaded {
            Ok(font) => Some(font.clone()),
            Err(e) => {
                tracing::error!(error = %e, "the PDF font cannot be read");
                None
            }
        }
    }
}

/// What making one document takes: the font, and one of the process's slots, held from the
/// first photo read until the file is written.
pub struct Press {
    font: Arc<LoadedFont>,
    _slot: SemaphorePermit<'static>,
}

impl PdfFonts {
    /// The font and a free slot (waiting for one); `None` without a font.
    pub async fn press(&self) -> Option<Press> {
        let font = self.get().await?;
        let slot = RENDER_SLOTS.acquire().await.ok()?;
        Some(Press { font, _slot: slot })
    }
}

/// The photos of one document, by the numbers its blocks refer to.
#[derive(Default)]
pub struct PhotoSet {
    photos: Vec<PrintPhoto>,
    by_attachment: HashMap<AttachmentId, usize>,
}

impl PhotoSet {
    /// The print versions of the photos among `attachments`, at most `max`: each with its
    /// number in the document, and how many were left out (over `max`, or without a readable
    /// thumbnail).
    pub async fn add<'a>(
        &mut self,
        blobs: &dyn BlobStore,
        attachments: &'a [Attachment],
        max: usize,
    ) -> (Vec<(usize, &'a Attachment)>, usize) {
        let photos: Vec<&Attachment> = attachments.iter().filter(|a| a.is_image()).collect();
        let mut placed = Vec::new();
        for a in photos.iter().take(max) {
            if let Some(id) = self.add_one(blobs, a).await {
                placed.push((id, *a));
            }
        }
        let left_out = photos.len() - placed.len();
        (placed, left_out)
    }

    async fn add_one(&mut self, blobs: &dyn BlobStore, a: &Attachment) -> Option<usize> {
        if let Some(id) = self.by_attachment.get(&a.id) {
            return Some(*id);
        }
        let key = a.thumb_key.as_deref()?;
        let bytes = match blobs.read_to_vec(key, MAX_THUMB_BYTES).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(e) => {
                // The row exists, so a missing thumbnail is damage worth a log line; the
                // document is still made, without this photo.
                tracing::warn!(attachment = %a.id, error = %e, "thumbnail unreadable for a PDF");
                return None;
            }
        };
        let print = tokio::task::spawn_blocking(move || photo::for_print(&bytes))
            .await
            .ok()
            .flatten()?;
        self.photos.push(print);
        let id = self.photos.len() - 1;
        self.by_attachment.insert(a.id, id);
        Some(id)
    }

    pub fn len(&self) -> usize {
        self.photos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.photos.is_empty()
    }
}

/// Lays out and draws `doc`, off the async threads.
pub async fn make(press: Press, doc: Doc, photos: PhotoSet) -> Result<Vec<u8>, String> {
    tokio::task::spawn_blocking(move || {
        let sizes: Vec<(u32, u32)> = photos.photos.iter().map(|p| (p.width, p.height)).collect();
        let pages = layout::paginate(&doc, &sizes, &press.font.face());
        render::render(&doc.title, &pages, &photos.photos, &press.font)
    })
    .await
    .map_err(|e| format!("PDF task failed: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_document_embeds_a_subset_of_the_font() {
        // Machines without a CJK font skip this; the HTTP tests cover that case.
        let Ok(source) = FontSource::locate(None) else {
            return;
        };
        let fonts = PdfFonts::new(Some(source));
        let press = fonts.press().await.unwrap();
        let doc = Doc {
            title: "隐患整改通知书".into(),
            number: "ZG-1-20261128".into(),
            blocks: vec![
                Block::Title("安全生产事故隐患整改通知书".into()),
                Block::Indented("发现以下 2 项事故隐患。".into()),
            ],
        };
        let bytes = make(press, doc, PhotoSet::default()).await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(
            bytes.len() < 60_000,
            "a subset, not the whole font: {}",
            bytes.len()
        );
    }
}
