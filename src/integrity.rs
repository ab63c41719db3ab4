//! `anze integrity backfill`: fingerprints the photos stored before uploads were fingerprinted,
//! so the duplicate checks of later uploads find them too.

use anze_core::Store;
use anze_core::attachment::BlobStore;
use anze_core::ids::AttachmentId;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backfill {
    /// Photos that got a fingerprint.
    pub hashed: u64,
    /// Photos that have none: near-uniform, undecodable, too large to read back, or missing
    /// from storage. They are marked, so a later run does not visit them again.
    pub without: u64,
    /// The last attachment id visited.
    pub last: i64,
}

/// Works through the unfingerprinted photos in id order, `batch` at a time, calling `progress`
/// after each batch. Every photo is marked as it is done, so an interrupted run resumes where it
/// stopped.
pub async fn backfill(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    batch: u64,
    max_bytes: u64,
    mut progress: impl FnMut(&Backfill),
) -> anyhow::Result<Backfill> {
    let mut done = Backfill::default();
    loop {
        let photos = store
            .unfingerprinted_photos(AttachmentId(done.last), batch.max(1))
            .await?;
        if photos.is_empty() {
            return Ok(done);
        }
        for photo in photos {
            done.last = photo.id.0;
            let bytes = match blobs.read_to_vec(&photo.storage_key, max_bytes).await {
                Ok(bytes) => bytes,
                Err(anze_core::CoreError::NotFound) => {
                    tracing::warn!(attachment = photo.id.0, "photo missing from storage");
                    None
                }
                Err(e) => return Err(e.into()),
            };
            let phash = match bytes {
                Some(bytes) => anze_web::upload::fingerprint_of(bytes, photo.kind).await,
                None => None,
            };
            store.set_fingerprint(photo.id, phash).await?;
            if phash.is_some() {
                done.hashed += 1;
            } else {
                done.without += 1;
            }
        }
        progress(&done);
    }
}
