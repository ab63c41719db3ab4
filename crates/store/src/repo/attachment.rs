//! Attachment rows. Record repositories call `insert_attachments` and `delete_attachment_rows`
//! inside the transaction that saves or deletes their record, so a record never exists without
//! its files' rows, nor the rows without the record.

use anze_core::attachment::{
    Attachment, AttachmentStore, FileKind, NewAttachment, OwnerKind, OwnerRef, PendingUpload,
    PerceptualHash,
};
use anze_core::ids::{AccountId, AttachmentId, OrderId};
use anze_core::integrity::is_evidence;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

use super::integrity::PhotoCheck;
use crate::entity::{account, attachment, pending_upload};
use crate::{Db, db_err};

/// Inserts the rows of freshly uploaded files for `owner`, in the caller's transaction.
pub(crate) async fn insert_attachments(
    txn: &DatabaseTransaction,
    check: &PhotoCheck<'_>,
    order: OrderId,
    owner: OwnerRef,
    items: &[(String, NewAttachment)],
    uploaded_by: AccountId,
    at: DateTime<Utc>,
) -> CoreResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    attachment::Entity::insert_many(items.iter().map(|(field, a)| attachment::ActiveModel {
        order_id: Set(order.0),
        owner_kind: Set(owner.kind.code().to_string()),
        owner_id: Set(owner.id),
        field: Set(field.chars().take(40).collect()),
        storage_key: Set(a.storage_key.clone()),
        thumb_key: Set(a.thumb_key.clone()),
        original_name: Set(a.original_name.chars().take(255).collect()),
        size: Set(i64::try_from(a.size).unwrap_or(i64::MAX)),
        sha256: Set(a.sha256.clone()),
        kind: Set(a.kind.code().to_string()),
        captured_at: Set(a.captured_at),
        gps_lat: Set(a.gps.map(|g| g.0)),
        gps_lng: Set(a.gps.map(|g| g.1)),
        uploaded_by: Set(uploaded_by.0),
        uploaded_at: Set(at),
        phash: Set(a.phash.map(PerceptualHash::stored_bits)),
        phash_alg: Set(a.phash.map(|h| h.alg.to_string())),
        phash_b0: Set(a.phash.map(|h| h.bands()[0])),
        phash_b1: Set(a.phash.map(|h| h.bands()[1])),
        phash_b2: Set(a.phash.map(|h| h.bands()[2])),
        phash_b3: Set(a.phash.map(|h| h.bands()[3])),
        ..Default::default()
    }))
    .exec(txn)
    .await
    .map_err(db_err)?;
    if items
        .iter()
        .any(|(field, a)| a.kind.is_image() && is_evidence(field))
    {
        super::integrity::flag_photos(txn, owner, check).await?;
    }
    Ok(())
}

/// Deletes every row of `owner` in the caller's transaction and returns the storage keys they
/// referenced (thumbnails included), for the caller to remove once the transaction committed.
pub(crate) async fn delete_attachment_rows(
    txn: &DatabaseTransaction,
    owner: OwnerRef,
) -> CoreResult<Vec<String>> {
    delete_where(txn, owner, None).await
}

/// Deletes the listed rows of `owner` (files removed while editing a record); ids of other
/// owners' rows are ignored, so a forged id removes nothing.
pub(crate) async fn delete_attachment_rows_by_id(
    txn: &DatabaseTransaction,
    owner: OwnerRef,
    ids: &[AttachmentId],
) -> CoreResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    delete_where(txn, owner, Some(ids)).await
}

async fn delete_where(
    txn: &DatabaseTransaction,
    owner: OwnerRef,
    ids: Option<&[AttachmentId]>,
) -> CoreResult<Vec<String>> {
    use attachment::Column as C;
    let mut select = attachment::Entity::find()
        .filter(C::OwnerKind.eq(owner.kind.code()))
        .filter(C::OwnerId.eq(owner.id));
    if let Some(ids) = ids {
        select = select.filter(C::Id.is_in(ids.iter().map(|i| i.0)));
    }
    let rows = select.all(txn).await.map_err(db_err)?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    super::integrity::forget_photos(txn, &ids).await?;
    attachment::Entity::delete_many()
        .filter(C::Id.is_in(rows.iter().map(|r| r.id)))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .flat_map(|r| std::iter::once(r.storage_key).chain(r.thumb_key))
        .collect())
}

impl Db {
    /// Attaches files in a transaction of their own. Records attach theirs inside their own
    /// transaction; this serves maintenance tools and tests.
    pub async fn insert_attachments(
        &self,
        order: OrderId,
        owner: OwnerRef,
        items: &[(String, NewAttachment)],
        uploaded_by: AccountId,
        at: DateTime<Utc>,
    ) -> CoreResult<()> {
        let check = self.photo_check(items).await?;
        let txn = self.write().await?;
        insert_attachments(&txn, &check, order, owner, items, uploaded_by, at).await?;
        txn.commit().await.map_err(db_err)
    }

    /// Deletes the rows of `owner` (all, or the listed ones) in a transaction of their own and
    /// returns the keys to remove from the blob store; for maintenance tools and tests.
    pub async fn delete_attachments_of(
        &self,
        owner: OwnerRef,
        ids: Option<&[AttachmentId]>,
    ) -> CoreResult<Vec<String>> {
        let txn = self.write().await?;
        let keys = match ids {
            None => delete_attachment_rows(&txn, owner).await?,
            Some(ids) => delete_attachment_rows_by_id(&txn, owner, ids).await?,
        };
        txn.commit().await.map_err(db_err)?;
        Ok(keys)
    }

    async fn hydrate_attachments(
        &self,
        rows: Vec<attachment::Model>,
    ) -> CoreResult<Vec<Attachment>> {
        let mut account_ids: Vec<i64> = rows.iter().map(|r| r.uploaded_by).collect();
        account_ids.sort_unstable();
        account_ids.dedup();
        let names: HashMap<i64, String> = if account_ids.is_empty() {
            HashMap::new()
        } else {
            account::Entity::find()
                .filter(account::Column::Id.is_in(account_ids))
                .all(&self.conn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|a| (a.id, format!("{}({})", a.name, a.username)))
                .collect()
        };
        rows.into_iter()
            .map(|r| {
                let kind = FileKind::from_code(&r.kind)
                    .ok_or_else(|| CoreError::Internal(format!("unknown file kind {}", r.kind)))?;
                let owner_kind = OwnerKind::from_code(&r.owner_kind).ok_or_else(|| {
                    CoreError::Internal(format!("unknown attachment owner {}", r.owner_kind))
                })?;
                Ok(Attachment {
                    id: AttachmentId(r.id),
                    order_id: OrderId(r.order_id),
                    owner: OwnerRef {
                        kind: owner_kind,
                        id: r.owner_id,
                    },
                    field: r.field,
                    original_name: r.original_name,
                    size: u64::try_from(r.size).unwrap_or(0),
                    sha256: r.sha256,
                    kind,
                    captured_at: r.captured_at,
                    gps: r.gps_lat.zip(r.gps_lng),
                    phash: r
                        .phash
                        .zip(r.phash_alg.as_deref())
                        .and_then(|(bits, alg)| PerceptualHash::from_stored(bits, alg)),
                    has_thumbnail: r.thumb_key.is_some(),
                    uploaded_by: AccountId(r.uploaded_by),
                    uploaded_by_name: names.get(&r.uploaded_by).cloned().unwrap_or_default(),
                    uploaded_at: r.uploaded_at,
                    storage_key: r.storage_key,
                    thumb_key: r.thumb_key,
                })
            })
            .collect()
    }
}

#[async_trait]
impl AttachmentStore for Db {
    async fn get_attachment(&self, id: AttachmentId) -> CoreResult<Option<Attachment>> {
        let row = attachment::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self
            .hydrate_attachments(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn attachments_of(
        &self,
        owner_kind: OwnerKind,
        owner_ids: &[i64],
    ) -> CoreResult<Vec<Attachment>> {
        if owner_ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = attachment::Entity::find()
            .filter(attachment::Column::OwnerKind.eq(owner_kind.code()))
            .filter(attachment::Column::OwnerId.is_in(owner_ids.iter().copied()))
            .order_by_asc(attachment::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_attachments(rows).await
    }

    async fn unfingerprinted_photos(
        &self,
        after: AttachmentId,
        limit: u64,
    ) -> CoreResult<Vec<Attachment>> {
        let photos = [FileKind::Jpeg, FileKind::Png, FileKind::Webp].map(FileKind::code);
        let rows = attachment::Entity::find()
            .filter(attachment::Column::Id.gt(after.0))
            .filter(attachment::Column::PhashAlg.is_null())
            .filter(attachment::Column::Kind.is_in(photos))
            .order_by_asc(attachment::Column::Id)
            .limit(limit)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_attachments(rows).await
    }

    async fn set_fingerprint(
        &self,
        id: AttachmentId,
        phash: Option<PerceptualHash>,
    ) -> CoreResult<()> {
        let bands = phash.map(PerceptualHash::bands);
        let band = |i: usize| bands.map(|b| b[i]);
        attachment::Entity::update_many()
            .col_expr(
                attachment::Column::Phash,
                Expr::value(phash.map(PerceptualHash::stored_bits)),
            )
            .col_expr(
                attachment::Column::PhashAlg,
                Expr::value(anze_core::attachment::PHASH_ALG),
            )
            .col_expr(attachment::Column::PhashB0, Expr::value(band(0)))
            .col_expr(attachment::Column::PhashB1, Expr::value(band(1)))
            .col_expr(attachment::Column::PhashB2, Expr::value(band(2)))
            .col_expr(attachment::Column::PhashB3, Expr::value(band(3)))
            .filter(attachment::Column::Id.eq(id.0))
            .exec(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn attachment_keys(&self) -> CoreResult<Vec<String>> {
        let mut rows: Vec<(String, Option<String>)> = attachment::Entity::find()
            .select_only()
            .column(attachment::Column::StorageKey)
            .column(attachment::Column::ThumbKey)
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let pending: Vec<(String, Option<String>)> = pending_upload::Entity::find()
            .select_only()
            .column(pending_upload::Column::StorageKey)
            .column(pending_upload::Column::ThumbKey)
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        rows.extend(pending);
        Ok(rows
            .into_iter()
            .flat_map(|(k, t)| std::iter::once(k).chain(t))
            .collect())
    }

    async fn insert_pending_uploads(&self, uploads: &[PendingUpload]) -> CoreResult<()> {
        if uploads.is_empty() {
            return Ok(());
        }
        pending_upload::Entity::insert_many(uploads.iter().map(|p| {
            let a = &p.file;
            pending_upload::ActiveModel {
                token: Set(p.token.clone()),
                account_id: Set(p.account.0),
                field: Set(p.field.chars().take(40).collect()),
                storage_key: Set(a.storage_key.clone()),
                thumb_key: Set(a.thumb_key.clone()),
                original_name: Set(a.original_name.chars().take(255).collect()),
                size: Set(i64::try_from(a.size).unwrap_or(i64::MAX)),
                sha256: Set(a.sha256.clone()),
                kind: Set(a.kind.code().to_string()),
                captured_at: Set(a.captured_at),
                gps_lat: Set(a.gps.map(|g| g.0)),
                gps_lng: Set(a.gps.map(|g| g.1)),
                uniform: Set(a.uniform),
                phash: Set(a.phash.map(PerceptualHash::stored_bits)),
                phash_alg: Set(a.phash.map(|h| h.alg.to_string())),
                created_at: Set(p.created_at),
            }
        }))
        .exec(self.write_conn())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn pending_uploads(
        &self,
        account: AccountId,
        tokens: &[String],
        since: DateTime<Utc>,
    ) -> CoreResult<Vec<PendingUpload>> {
        use pending_upload::Column as C;
        let rows = pending_upload::Entity::find()
            .filter(C::Token.is_in(tokens.iter().cloned()))
            .filter(C::AccountId.eq(account.0))
            .filter(C::CreatedAt.gte(since))
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|m| {
                Some(PendingUpload {
                    file: NewAttachment {
                        kind: FileKind::from_code(&m.kind)?,
                        storage_key: m.storage_key,
                        thumb_key: m.thumb_key,
                        original_name: m.original_name,
                        size: u64::try_from(m.size).unwrap_or(0),
                        sha256: m.sha256,
                        captured_at: m.captured_at,
                        gps: m.gps_lat.zip(m.gps_lng),
                        uniform: m.uniform,
                        phash: m
                            .phash
                            .zip(m.phash_alg.as_deref())
                            .and_then(|(bits, alg)| PerceptualHash::from_stored(bits, alg)),
                    },
                    token: m.token,
                    account: AccountId(m.account_id),
                    field: m.field,
                    created_at: m.created_at,
                })
            })
            .collect())
    }

    async fn claim_pending_upload(&self, token: &str) -> CoreResult<bool> {
        let done = pending_upload::Entity::delete_many()
            .filter(pending_upload::Column::Token.eq(token))
            .exec(self.write_conn())
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected == 1)
    }

    async fn expire_pending_uploads(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        let done = pending_upload::Entity::delete_many()
            .filter(pending_upload::Column::CreatedAt.lt(before))
            .exec(self.write_conn())
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected)
    }
}
