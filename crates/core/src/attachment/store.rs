use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Attachment, OwnerKind};
use crate::error::CoreResult;
use crate::ids::AttachmentId;

/// Attachment rows. Rows are written by the record stores, inside the transaction that saves
/// their record, so a record and its files appear (and disappear) together.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    async fn get_attachment(&self, id: AttachmentId) -> CoreResult<Option<Attachment>>;
    /// The attachments of several records of one kind (a list page's rows), oldest first.
    async fn attachments_of(
        &self,
        owner_kind: OwnerKind,
        owner_ids: &[i64],
    ) -> CoreResult<Vec<Attachment>>;
    /// Every storage key referenced, thumbnails included, by attachments and by pending uploads:
    /// what `anze storage gc` must keep.
    async fn attachment_keys(&self) -> CoreResult<Vec<String>>;
    /// Keeps the files of a refused form for its next submit.
    async fn insert_pending_uploads(&self, uploads: &[super::PendingUpload]) -> CoreResult<()>;
    /// The account's pending uploads among `tokens`, made at or after `since`.
    async fn pending_uploads(
        &self,
        account: crate::ids::AccountId,
        tokens: &[String],
        since: DateTime<Utc>,
    ) -> CoreResult<Vec<super::PendingUpload>>;
    /// Takes the pending upload `token` for the form being saved: `true` when this call
    /// removed it, `false` when it was gone (another submit of the form took it first).
    async fn claim_pending_upload(&self, token: &str) -> CoreResult<bool>;
    /// Forgets those made before `before`; their blobs become orphans. Returns how many.
    async fn expire_pending_uploads(&self, before: DateTime<Utc>) -> CoreResult<u64>;
    /// Photos (JPEG, PNG, WebP) never fingerprinted, by id after `after`: stored before
    /// fingerprints existed. What `anze integrity backfill` works through.
    async fn unfingerprinted_photos(
        &self,
        after: AttachmentId,
        limit: u64,
    ) -> CoreResult<Vec<Attachment>>;
    /// Records a photo's fingerprint, or that it has none (near-uniform or not decodable), so
    /// it is not visited again.
    async fn set_fingerprint(
        &self,
        id: AttachmentId,
        phash: Option<super::PerceptualHash>,
    ) -> CoreResult<()>;
}

/// Where file contents live: a local directory or an S3-compatible bucket. Keys are
/// `/`-separated paths such as `att/2026/11/<hex>`.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Starts writing `key`. Nothing is visible under the key until `close` succeeds.
    async fn writer(&self, key: &str) -> CoreResult<Box<dyn BlobWriter>>;
    /// Reads `key` chunk by chunk; `NotFound` when it does not exist.
    async fn read(&self, key: &str) -> CoreResult<Box<dyn BlobReader>>;
    /// The whole content when it is at most `max_bytes`, `None` when larger (it is then not read).
    async fn read_to_vec(&self, key: &str, max_bytes: u64) -> CoreResult<Option<Vec<u8>>>;
    /// Removes `key`; removing a missing key succeeds.
    async fn delete(&self, key: &str) -> CoreResult<()>;
    /// Every key under `prefix` with its last modification time, when the backend knows it.
    async fn list(&self, prefix: &str) -> CoreResult<Vec<(String, Option<DateTime<Utc>>)>>;

    /// Writes a small value in one go (thumbnails).
    async fn put(&self, key: &str, bytes: Vec<u8>) -> CoreResult<()> {
        let mut w = self.writer(key).await?;
        if let Err(e) = w.write(bytes).await {
            w.abort().await;
            return Err(e);
        }
        w.close().await
    }
}

#[async_trait]
pub trait BlobWriter: Send {
    async fn write(&mut self, chunk: Vec<u8>) -> CoreResult<()>;
    /// Makes the content visible under the key.
    async fn close(self: Box<Self>) -> CoreResult<()>;
    /// Gives up: nothing is left under the key, and partial data is removed where the backend
    /// allows (what it cannot remove, `anze storage gc` does).
    async fn abort(self: Box<Self>);
}

#[async_trait]
pub trait BlobReader: Send {
    /// The next chunk, `None` at the end.
    async fn next_chunk(&mut self) -> CoreResult<Option<Vec<u8>>>;
}
