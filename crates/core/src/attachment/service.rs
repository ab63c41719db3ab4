use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;

use super::{Attachment, BlobStore, KEY_PREFIX};
use crate::auth::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ids::AttachmentId;
use crate::store::Store;

/// An attachment the actor may download: it is visible exactly when its order is (the record it
/// evidences inherits the order's scope). Anything else is `NotFound`, so ids reveal nothing.
pub async fn download(
    store: &dyn Store,
    actor: &Actor,
    id: AttachmentId,
) -> CoreResult<Attachment> {
    let attachment = store.get_attachment(id).await?.ok_or(CoreError::NotFound)?;
    crate::order::service::get(store, actor, attachment.order_id).await?;
    Ok(attachment)
}

/// Removes blobs whose rows are gone (after a record's deletion committed, or an upload that was
/// not saved). Best effort: returns the keys that could not be removed, which `collect_orphans`
/// will find later.
pub async fn remove_blobs(blobs: &dyn BlobStore, keys: &[String]) -> Vec<String> {
    let mut failed = Vec::new();
    for key in keys {
        if blobs.delete(key).await.is_err() {
            failed.push(key.clone());
        }
    }
    failed
}

/// Blobs that lost their row long enough ago are removed; young ones are left alone because an
/// upload writes its files before the transaction that inserts their rows commits.
pub const ORPHAN_MIN_AGE_MINUTES: i64 = 60;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    pub removed: Vec<String>,
    /// Referenced blobs.
    pub kept: usize,
    /// Unreferenced but too young (or of unknown age) to be called orphans.
    pub young: usize,
}

/// `anze storage gc`: removes blobs no attachment row references, older than an hour. Console
/// only, so no actor.
pub async fn collect_orphans(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
) -> CoreResult<GcReport> {
    // Pending uploads past their time let go of their files first.
    store
        .expire_pending_uploads(now - Duration::hours(super::PENDING_HOURS))
        .await?;
    // List first, then read the rows: a row committed in between is then seen, so its blob is
    // never taken for an orphan.
    let listed = blobs.list(KEY_PREFIX).await?;
    let referenced: HashSet<String> = store.attachment_keys().await?.into_iter().collect();
    let cutoff = now - Duration::minutes(ORPHAN_MIN_AGE_MINUTES);
    let mut report = GcReport::default();
    for (key, modified) in listed {
        if referenced.contains(&key) {
            report.kept += 1;
        } else if modified.is_some_and(|m| m <= cutoff) {
            blobs.delete(&key).await?;
            report.removed.push(key);
        } else {
            report.young += 1;
        }
    }
    Ok(report)
}

/// Keeps `files`, received with a form the service refused, for the form's next submit by the
/// same account. Returns them with their tokens, for the form to carry.
pub async fn keep_pending(
    store: &dyn Store,
    account: crate::ids::AccountId,
    files: &[(String, super::NewAttachment)],
    now: DateTime<Utc>,
) -> CoreResult<Vec<super::PendingUpload>> {
    let uploads: Vec<super::PendingUpload> = files
        .iter()
        .map(|(field, file)| super::PendingUpload {
            token: super::PendingUpload::new_token(),
            account,
            field: field.clone(),
            file: file.clone(),
            created_at: now,
        })
        .collect();
    if !uploads.is_empty() {
        store.insert_pending_uploads(&uploads).await?;
    }
    Ok(uploads)
}

/// Claims the pending uploads `kept` for the form being saved, before it is saved: each is
/// taken by one submit only, so two submits of the same form (a double tap, a retry racing the
/// first) cannot both save the same file. Returns the ones this call took; on an error the
/// ones taken so far are kept again.
pub async fn claim(
    store: &dyn Store,
    kept: Vec<super::PendingUpload>,
) -> CoreResult<Vec<super::PendingUpload>> {
    let mut claimed = Vec::with_capacity(kept.len());
    for upload in kept {
        match store.claim_pending_upload(&upload.token).await {
            Ok(true) => claimed.push(upload),
            Ok(false) => {}
            Err(e) => {
                // The error said is the claim's; files not kept again are gc's orphans.
                let _ = unclaim(store, &claimed).await;
                return Err(e);
            }
        }
    }
    Ok(claimed)
}

/// Keeps claimed uploads pending again (same tokens, same age) when the form they were claimed
/// for was not saved. Should it fail, the files are orphans that `anze storage gc` removes.
pub async fn unclaim(store: &dyn Store, claimed: &[super::PendingUpload]) -> CoreResult<()> {
    if claimed.is_empty() {
        return Ok(());
    }
    store.insert_pending_uploads(claimed).await
}

/// The pending uploads a form sent back (`tokens`): the account's own, not expired, of one of
/// `fields`. Anything else (another account's token, a guess, an expired one) is left out, as
/// if it had not been sent.
pub async fn pending(
    store: &dyn Store,
    account: crate::ids::AccountId,
    tokens: &[String],
    fields: &[&str],
    now: DateTime<Utc>,
) -> CoreResult<Vec<super::PendingUpload>> {
    let tokens: Vec<String> = tokens
        .iter()
        .filter(|t| super::PendingUpload::is_token(t))
        .take(100)
        .cloned()
        .collect();
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let since = now - Duration::hours(super::PENDING_HOURS);
    let mut found = store.pending_uploads(account, &tokens, since).await?;
    found.retain(|p| fields.contains(&p.field.as_str()));
    // In the order the form sent them.
    found.sort_by_key(|p| tokens.iter().position(|t| *t == p.token));
    Ok(found)
}
