//! Integrity flags: raised in the transaction that stores photos (so a record never exists
//! without the flags its photos raise), read with the records they mark.
//!
//! Finding the earlier photos a new one may copy takes one indexed lookup per key: its SHA-256
//! and each of its hash's four 16-bit bands, each capped at `CANDIDATES_PER_KEY`. The lookups
//! run before the transaction (`Db::photo_check`); the transaction adds the rows stored since.
//! Which of them count is core's decision (`integrity::flags_for`).

use anze_core::attachment::{NewAttachment, OwnerKind, OwnerRef, PerceptualHash};
use anze_core::audit::AuditEvent;
use anze_core::geo::GeoPoint;
use anze_core::ids::{AttachmentId, FlagId, OrderId, OrgId};
use anze_core::integrity::{
    AFTER_PREFIX, AgencyFlagRate, CANDIDATES_PER_KEY, EVIDENCE_FIELDS, Evidence, Flag, FlagChange,
    FlagKind, FlagQuery, FlagState, FlagStep, FlaggedFilter, IntegrityRules, IntegrityStore,
    MatchedSide, NEAR_DUPLICATE_MAX_DISTANCE, NewFlag, flags_for, is_evidence,
};
use anze_core::org::OrgKind;
use anze_core::page::{Page, PageRequest};
use anze_core::record::owner_kind;
use anze_core::scope::Scope;
use anze_core::service_item::ServiceItem;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

use super::{capped_page_of, insert_audit, paginate_capped};
use crate::entity::{
    attachment, hazard, integrity_flag, organization, service_order, service_record,
};
use crate::{Db, db_err};

/// What a record or hazard says about the visit its photos evidence.
#[derive(Debug, Clone)]
struct Visit {
    order_id: i64,
    agency_id: i64,
    insurer_id: i64,
    enterprise_id: i64,
    region_code: String,
    date: NaiveDate,
}

/// The visits of these owners, read from their records and hazards.
async fn visits<C: ConnectionTrait>(
    conn: &C,
    owners: impl IntoIterator<Item = OwnerRef>,
) -> CoreResult<HashMap<OwnerRef, Visit>> {
    let (mut records, mut hazards) = (Vec::new(), Vec::new());
    for o in owners {
        if o.kind == OwnerKind::Hazard {
            hazards.push(o.id);
        } else {
            records.push(o.id);
        }
    }
    let mut out = HashMap::new();
    if !records.is_empty() {
        for r in service_record::Entity::find()
            .filter(service_record::Column::Id.is_in(records))
            .all(conn)
            .await
            .map_err(db_err)?
        {
            let item = ServiceItem::from_code(&r.item).ok_or_else(|| {
                CoreError::Internal(format!("record {} has item {}", r.id, r.item))
            })?;
            out.insert(
                OwnerRef {
                    kind: owner_kind(item),
                    id: r.id,
                },
                Visit {
                    order_id: r.order_id,
                    agency_id: r.agency_id,
                    insurer_id: r.insurer_id,
                    enterprise_id: r.enterprise_id,
                    region_code: r.region_code,
                    date: r.service_date,
                },
            );
        }
    }
    if !hazards.is_empty() {
        for h in hazard::Entity::find()
            .filter(hazard::Column::Id.is_in(hazards))
            .all(conn)
            .await
            .map_err(db_err)?
        {
            out.insert(
                OwnerRef {
                    kind: OwnerKind::Hazard,
                    id: h.id,
                },
                Visit {
                    order_id: h.order_id,
                    agency_id: h.agency_id,
                    insurer_id: h.insurer_id,
                    enterprise_id: h.enterprise_id,
                    region_code: h.region_code,
                    date: h.found_on,
                },
            );
        }
    }
    Ok(out)
}

fn owner_of(row: &attachment::Model) -> CoreResult<OwnerRef> {
    Ok(OwnerRef {
        kind: OwnerKind::from_code(&row.owner_kind).ok_or_else(|| {
            CoreError::Internal(format!(
                "attachment {} has owner {}",
                row.id, row.owner_kind
            ))
        })?,
        id: row.owner_id,
    })
}

fn phash_of(row: &attachment::Model) -> Option<PerceptualHash> {
    PerceptualHash::from_stored(row.phash?, row.phash_alg.as_deref()?)
}

fn evidence(
    row: &attachment::Model,
    owner: OwnerRef,
    visit: &Visit,
    site: Option<GeoPoint>,
) -> Evidence {
    Evidence {
        attachment: AttachmentId(row.id),
        owner,
        order_id: OrderId(row.order_id),
        enterprise_id: OrgId(visit.enterprise_id),
        field: row.field.clone(),
        date: visit.date,
        sha256: row.sha256.clone(),
        phash: phash_of(row),
        captured_at: row.captured_at,
        uploaded_at: row.uploaded_at,
        gps: row
            .gps_lat
            .zip(row.gps_lng)
            .map(|(lat, lng)| GeoPoint { lat, lng }),
        site,
    }
}

/// The enterprise's site, the place its photos are checked against.
async fn site_of<C: ConnectionTrait>(conn: &C, enterprise_id: i64) -> CoreResult<Option<GeoPoint>> {
    let row = organization::Entity::find_by_id(enterprise_id)
        .select_only()
        .column(organization::Column::SiteLat)
        .column(organization::Column::SiteLng)
        .into_tuple::<(Option<f64>, Option<f64>)>()
        .one(conn)
        .await
        .map_err(db_err)?;
    Ok(row
        .and_then(|(lat, lng)| lat.zip(lng))
        .map(|(lat, lng)| GeoPoint { lat, lng }))
}

fn is_photo(row: &attachment::Model) -> bool {
    is_evidence(&row.field)
        && anze_core::attachment::FileKind::from_code(&row.kind).is_some_and(|k| k.is_image())
}

/// The ids of earlier photos below `below` that are the same file (`sha256`) or whose hash
/// lies within the threshold of `phash`.
///
/// Each key is one indexed lookup capped at `CANDIDATES_PER_KEY`: the SHA-256, and each of the
/// hash's four bands, whose index holds (band, hash, id) so the distance is computed from index
/// entries alone.
async fn candidate_ids<C: ConnectionTrait>(
    conn: &C,
    sha256: &str,
    phash: Option<PerceptualHash>,
    below: i64,
) -> CoreResult<Vec<i64>> {
    use attachment::Column as A;
    let mut ids: Vec<i64> = attachment::Entity::find()
        .select_only()
        .column(A::Id)
        .filter(A::Sha256.eq(sha256))
        .filter(A::Id.lt(below))
        .order_by_desc(A::Id)
        .limit(CANDIDATES_PER_KEY)
        .into_tuple()
        .all(conn)
        .await
        .map_err(db_err)?;
    if let Some(h) = phash {
        for (col, band) in [A::PhashB0, A::PhashB1, A::PhashB2, A::PhashB3]
            .into_iter()
            .zip(h.bands())
        {
            let near: Vec<(i64, Option<i64>)> = attachment::Entity::find()
                .select_only()
                .column(A::Id)
                .column(A::Phash)
                .filter(col.eq(band))
                .filter(A::Id.lt(below))
                .order_by_desc(A::Id)
                .limit(CANDIDATES_PER_KEY)
                .into_tuple()
                .all(conn)
                .await
                .map_err(db_err)?;
            ids.extend(
                near.into_iter()
                    .filter_map(|(id, bits)| near_enough(h, bits).then_some(id)),
            );
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Whether stored hash bits lie within the threshold of `h`. The algorithm label is compared
/// with the full row (`likeness`); a hash of another algorithm that happens to lie this close
/// is dropped there.
fn near_enough(h: PerceptualHash, bits: Option<i64>) -> bool {
    bits.and_then(|b| PerceptualHash::from_stored(b, h.alg))
        .is_some_and(|other| h.distance(other) <= NEAR_DUPLICATE_MAX_DISTANCE)
}

/// Candidates of the photos about to be stored, looked up before the write transaction opens.
///
/// On SQLite every writer waits for the one writer connection, so lookups made inside the
/// transaction would make every other upload wait for them too. Read first on a reader
/// connection, the transaction only has to look at the rows stored since (`upto`).
#[derive(Debug, Default)]
pub(crate) struct KnownCandidates {
    /// The highest attachment id when the lookups ran.
    upto: i64,
    by_key: HashMap<(String, Option<PerceptualHash>), Vec<i64>>,
}

/// Rows stored between the lookups and the transaction past which the lookups are redone in
/// the transaction, as if nothing had been read before.
const MAX_ROWS_SINCE_LOOKUP: u64 = 1000;

/// What the transaction that stores photos needs to check them.
pub(crate) struct PhotoCheck<'a> {
    pub(crate) rules: &'a IntegrityRules,
    known: KnownCandidates,
    /// The photos go to a record or hazard the transaction creates: it has no flags yet, so
    /// the transaction does not look for them.
    new_owner: bool,
}

impl PhotoCheck<'_> {
    /// For the photos of a record, hazard or complaint being created.
    pub(crate) fn for_new_owner(mut self) -> Self {
        self.new_owner = true;
        self
    }
}

impl Db {
    /// Looks up the candidates of the evidence photos among `files` on a reader connection;
    /// call before opening the transaction that stores them.
    pub(crate) async fn photo_check(
        &self,
        files: &[(String, NewAttachment)],
    ) -> CoreResult<PhotoCheck<'_>> {
        let keys: HashSet<(String, Option<PerceptualHash>)> = files
            .iter()
            .filter(|(field, a)| a.kind.is_image() && is_evidence(field))
            .map(|(_, a)| (a.sha256.clone(), a.phash))
            .collect();
        let mut known = KnownCandidates::default();
        if !keys.is_empty() {
            known.upto = attachment::Entity::find()
                .select_only()
                .column_as(attachment::Column::Id.max(), "max")
                .into_tuple::<Option<i64>>()
                .one(&self.conn)
                .await
                .map_err(db_err)?
                .flatten()
                .unwrap_or(0);
            for key in keys {
                let ids = candidate_ids(&self.conn, &key.0, key.1, known.upto + 1).await?;
                known.by_key.insert(key, ids);
            }
        }
        Ok(PhotoCheck {
            rules: &self.integrity,
            known,
            new_owner: false,
        })
    }
}

/// Earlier evidence photos of other owners that are the same file as `row` or whose hash is
/// within the threshold of its hash: the ids found before the transaction plus those among the
/// rows stored since (`since`), or, for a photo not looked up before, the lookups themselves.
/// Only the few photos that match are read in full.
async fn candidates<C: ConnectionTrait>(
    conn: &C,
    row: &attachment::Model,
    known: &KnownCandidates,
    since: Option<&[(i64, String, Option<i64>)]>,
) -> CoreResult<Vec<attachment::Model>> {
    use attachment::Column as A;
    let h = phash_of(row);
    let ids = match (known.by_key.get(&(row.sha256.clone(), h)), since) {
        (Some(ids), Some(since)) => merge_since(ids, since, row.id, &row.sha256, h),
        _ => candidate_ids(conn, &row.sha256, h, row.id).await?,
    };
    if ids.is_empty() {
        return Ok(vec![]);
    }
    attachment::Entity::find()
        .filter(A::Id.is_in(ids))
        .filter(
            Condition::any()
                .add(A::Field.is_in(EVIDENCE_FIELDS.iter().copied()))
                .add(A::Field.starts_with(AFTER_PREFIX)),
        )
        .filter(
            Condition::any()
                .add(A::OwnerKind.ne(row.owner_kind.clone()))
                .add(A::OwnerId.ne(row.owner_id)),
        )
        .order_by_desc(A::Id)
        .all(conn)
        .await
        .map_err(db_err)
}

/// The candidates of photo `id` (with `sha256` and `phash`): those looked up before the
/// transaction and those among the rows stored since that match, all stored before it.
fn merge_since(
    known: &[i64],
    since: &[(i64, String, Option<i64>)],
    id: i64,
    sha256: &str,
    phash: Option<PerceptualHash>,
) -> Vec<i64> {
    let matches = since
        .iter()
        .filter(|(_, sha, bits)| sha == sha256 || phash.is_some_and(|h| near_enough(h, *bits)))
        .map(|(other, _, _)| *other);
    let mut ids: Vec<i64> = known
        .iter()
        .copied()
        .chain(matches)
        .filter(|other| *other < id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The rows stored after the candidates were looked up, or `None` when there are too many of
/// them (a bulk import ran meanwhile) and the lookups are redone instead.
async fn stored_since(
    txn: &DatabaseTransaction,
    known: &KnownCandidates,
) -> CoreResult<Option<Vec<(i64, String, Option<i64>)>>> {
    use attachment::Column as A;
    if known.by_key.is_empty() {
        return Ok(None);
    }
    let rows: Vec<(i64, String, Option<i64>)> = attachment::Entity::find()
        .select_only()
        .column(A::Id)
        .column(A::Sha256)
        .column(A::Phash)
        .filter(A::Id.gt(known.upto))
        .order_by_asc(A::Id)
        .limit(MAX_ROWS_SINCE_LOOKUP + 1)
        .into_tuple()
        .all(txn)
        .await
        .map_err(db_err)?;
    Ok((rows.len() as u64 <= MAX_ROWS_SINCE_LOOKUP).then_some(rows))
}

/// Checks every evidence photo of `owner` against earlier photos and its own record's, and
/// stores the flags not raised before (a dismissed flag stays dismissed). Runs in the
/// transaction that stored the photos, after the record or hazard row exists.
pub(crate) async fn flag_photos(
    txn: &DatabaseTransaction,
    owner: OwnerRef,
    check: &PhotoCheck<'_>,
) -> CoreResult<()> {
    let rules = check.rules;
    use attachment::Column as A;
    let own: Vec<attachment::Model> = attachment::Entity::find()
        .filter(A::OwnerKind.eq(owner.kind.code()))
        .filter(A::OwnerId.eq(owner.id))
        .order_by_asc(A::Id)
        .all(txn)
        .await
        .map_err(db_err)?
        .into_iter()
        .filter(is_photo)
        .collect();
    if own.is_empty() {
        return Ok(());
    }
    // Every statement here holds SQLite's one writer: skip the ones that cannot find anything.
    let existing: HashSet<(String, i64, Option<i64>)> = if check.new_owner {
        HashSet::new()
    } else {
        integrity_flag::Entity::find()
            .filter(integrity_flag::Column::OwnerKind.eq(owner.kind.code()))
            .filter(integrity_flag::Column::OwnerId.eq(owner.id))
            .all(txn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|f| (f.kind, f.attachment_id, f.matched_attachment_id))
            .collect()
    };
    let since = stored_since(txn, &check.known).await?;
    let mut found = Vec::new();
    for row in &own {
        found.push(candidates(txn, row, &check.known, since.as_deref()).await?);
    }
    let mut owners: Vec<OwnerRef> = vec![owner];
    for row in found.iter().flatten() {
        owners.push(owner_of(row)?);
    }
    let visits = visits(txn, owners).await?;
    let Some(visit) = visits.get(&owner).cloned() else {
        // Files attached by maintenance tools to no record: there is no visit to judge them by.
        return Ok(());
    };
    let site = site_of(txn, visit.enterprise_id).await?;
    let own_evidence: Vec<Evidence> = own
        .iter()
        .map(|r| evidence(r, owner, &visit, site))
        .collect();
    let mut new_flags: Vec<NewFlag> = Vec::new();
    for ((row, me), found) in own.iter().zip(&own_evidence).zip(&found) {
        let mut others: Vec<Evidence> = own_evidence
            .iter()
            .filter(|e| e.attachment.0 != row.id)
            .cloned()
            .collect();
        for c in found {
            let o = owner_of(c)?;
            if let Some(v) = visits.get(&o) {
                // The other photos' sites play no part in the comparison.
                others.push(evidence(c, o, v, None));
            }
        }
        new_flags.extend(flags_for(me, &others, rules).into_iter().filter(|f| {
            !existing.contains(&(
                f.kind.code().to_string(),
                f.attachment.0,
                f.matched.map(|m| m.0),
            ))
        }));
    }
    if new_flags.is_empty() {
        return Ok(());
    }
    let now = own
        .iter()
        .map(|r| r.uploaded_at)
        .max()
        .unwrap_or_else(Utc::now);
    integrity_flag::Entity::insert_many(new_flags.into_iter().map(|f| {
        integrity_flag::ActiveModel {
            kind: Set(f.kind.code().to_string()),
            state: Set(FlagState::Open.code().to_string()),
            attachment_id: Set(f.attachment.0),
            order_id: Set(visit.order_id),
            owner_kind: Set(owner.kind.code().to_string()),
            owner_id: Set(owner.id),
            agency_id: Set(visit.agency_id),
            insurer_id: Set(visit.insurer_id),
            enterprise_id: Set(visit.enterprise_id),
            region_code: Set(visit.region_code.clone()),
            matched_attachment_id: Set(f.matched.map(|m| m.0)),
            distance: Set(f.distance.map(|d| d as i32)),
            detail: Set(f.detail.chars().take(500).collect()),
            created_at: Set(now),
            ..Default::default()
        }
    }))
    .exec(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The ids of the records (`hazards` false) or hazards with a live flag that `f` asks for: a
/// list's 可疑标记 filter, as a subquery.
pub(crate) fn flagged_owners(
    hazards: bool,
    f: FlaggedFilter,
) -> sea_orm::sea_query::SelectStatement {
    use integrity_flag::Column as F;
    let hazard = OwnerKind::Hazard.code();
    let mut q = Query::select();
    q.column(F::OwnerId)
        .from(integrity_flag::Entity)
        .and_where(if hazards {
            F::OwnerKind.eq(hazard)
        } else {
            F::OwnerKind.ne(hazard)
        })
        .and_where(F::State.ne(FlagState::Dismissed.code()));
    if let Some(k) = f.kind {
        q.and_where(F::Kind.eq(k.code()));
    }
    q
}

/// Removes the flags raised on these photos and forgets them as matches of other flags (whose
/// detail keeps the date), before the photos' rows are deleted.
pub(crate) async fn forget_photos(txn: &DatabaseTransaction, ids: &[i64]) -> CoreResult<()> {
    use integrity_flag::Column as F;
    if ids.is_empty() {
        return Ok(());
    }
    integrity_flag::Entity::delete_many()
        .filter(F::AttachmentId.is_in(ids.iter().copied()))
        .exec(txn)
        .await
        .map_err(db_err)?;
    integrity_flag::Entity::update_many()
        .col_expr(
            F::MatchedAttachmentId,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(F::MatchedAttachmentId.is_in(ids.iter().copied()))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

impl Db {
    async fn hydrate_flags(&self, rows: Vec<integrity_flag::Model>) -> CoreResult<Vec<Flag>> {
        let matched_ids: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.matched_attachment_id)
            .collect();
        let matched_rows: HashMap<i64, attachment::Model> = if matched_ids.is_empty() {
            HashMap::new()
        } else {
            attachment::Entity::find()
                .filter(attachment::Column::Id.is_in(matched_ids))
                .all(&self.conn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|a| (a.id, a))
                .collect()
        };
        let mut matched_owners = Vec::new();
        for a in matched_rows.values() {
            matched_owners.push(owner_of(a)?);
        }
        let visits = visits(&self.conn, matched_owners).await?;
        let order_ids: HashSet<i64> = visits.values().map(|v| v.order_id).collect();
        let order_nos: HashMap<i64, String> = if order_ids.is_empty() {
            HashMap::new()
        } else {
            service_order::Entity::find()
                .filter(service_order::Column::Id.is_in(order_ids))
                .all(&self.conn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|o| (o.id, o.order_no.unwrap_or_default()))
                .collect()
        };
        let enterprise_ids: HashSet<i64> = visits
            .values()
            .map(|v| v.enterprise_id)
            .chain(rows.iter().flat_map(|r| [r.agency_id, r.enterprise_id]))
            .collect();
        let names: HashMap<i64, String> = if enterprise_ids.is_empty() {
            HashMap::new()
        } else {
            organization::Entity::find()
                .filter(organization::Column::Id.is_in(enterprise_ids))
                .all(&self.conn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect()
        };
        rows.into_iter()
            .map(|r| {
                let kind = FlagKind::from_code(&r.kind)
                    .ok_or_else(|| CoreError::Internal(format!("flag {} kind {}", r.id, r.kind)))?;
                let state = FlagState::from_code(&r.state).ok_or_else(|| {
                    CoreError::Internal(format!("flag {} state {}", r.id, r.state))
                })?;
                let owner_kind = OwnerKind::from_code(&r.owner_kind).ok_or_else(|| {
                    CoreError::Internal(format!("flag {} owner {}", r.id, r.owner_kind))
                })?;
                let matched = match r.matched_attachment_id.and_then(|m| matched_rows.get(&m)) {
                    Some(a) => {
                        let o = owner_of(a)?;
                        visits.get(&o).map(|v| MatchedSide {
                            attachment: AttachmentId(a.id),
                            owner: o,
                            order_id: OrderId(v.order_id),
                            order_no: order_nos.get(&v.order_id).cloned().unwrap_or_default(),
                            date: v.date,
                            enterprise_id: OrgId(v.enterprise_id),
                            enterprise_name: names
                                .get(&v.enterprise_id)
                                .cloned()
                                .unwrap_or_default(),
                        })
                    }
                    None => None,
                };
                Ok(Flag {
                    id: FlagId(r.id),
                    kind,
                    state,
                    attachment: AttachmentId(r.attachment_id),
                    owner: OwnerRef {
                        kind: owner_kind,
                        id: r.owner_id,
                    },
                    order_id: OrderId(r.order_id),
                    agency_id: OrgId(r.agency_id),
                    agency_name: names.get(&r.agency_id).cloned().unwrap_or_default(),
                    enterprise_id: OrgId(r.enterprise_id),
                    enterprise_name: names.get(&r.enterprise_id).cloned().unwrap_or_default(),
                    distance: r.distance.and_then(|d| u32::try_from(d).ok()),
                    detail: r.detail,
                    matched,
                    explanation: r.explanation,
                    answered_by_name: r.answered_by_name,
                    answered_at: r.answered_at,
                    reviewed_by_name: r.reviewed_by_name,
                    reviewed_at: r.reviewed_at,
                    review_note: r.review_note,
                    created_at: r.created_at,
                })
            })
            .collect()
    }
}

#[async_trait]
impl IntegrityStore for Db {
    async fn flags_of(&self, owner_kind: OwnerKind, owner_ids: &[i64]) -> CoreResult<Vec<Flag>> {
        if owner_ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = integrity_flag::Entity::find()
            .filter(integrity_flag::Column::OwnerKind.eq(owner_kind.code()))
            .filter(integrity_flag::Column::OwnerId.is_in(owner_ids.iter().copied()))
            .order_by_asc(integrity_flag::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_flags(rows).await
    }

    async fn get_flag(&self, id: FlagId) -> CoreResult<Option<Flag>> {
        let Some(row) = integrity_flag::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        Ok(self.hydrate_flags(vec![row]).await?.pop())
    }

    async fn change_flag(
        &self,
        id: FlagId,
        change: &FlagChange,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        use integrity_flag::Column as F;
        use sea_orm::sea_query::Expr;
        let txn = self.write().await?;
        let mut update = integrity_flag::Entity::update_many()
            .col_expr(F::State, Expr::value(change.to.code()))
            .filter(F::Id.eq(id.0))
            .filter(F::State.eq(change.from.code()));
        update = match &change.step {
            FlagStep::Answer { explanation } => update
                .col_expr(F::Explanation, Expr::value(explanation.clone()))
                .col_expr(F::AnsweredBy, Expr::value(change.by.0))
                .col_expr(F::AnsweredByName, Expr::value(change.by_name.clone()))
                .col_expr(F::AnsweredAt, Expr::value(change.at)),
            FlagStep::Decision { note } => update
                .col_expr(F::ReviewNote, Expr::value(note.clone()))
                .col_expr(F::ReviewedBy, Expr::value(change.by.0))
                .col_expr(F::ReviewedByName, Expr::value(change.by_name.clone()))
                .col_expr(F::ReviewedAt, Expr::value(change.at)),
        };
        // The state always changes, so a row matched is a row changed, on MySQL too.
        if update.exec(&txn).await.map_err(db_err)?.rows_affected == 0 {
            return Err(CoreError::Conflict(
                "该标记的状态已变化,请刷新页面后重试".into(),
            ));
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn list_flags(
        &self,
        scope: &Scope,
        q: &FlagQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Flag>> {
        use integrity_flag::Column as F;
        let scope = self.simplify_scope(scope).await?;
        let mut cond = super::scope_condition(
            &scope,
            super::ScopeColumns {
                insurer: F::InsurerId,
                agency: F::AgencyId,
                enterprise: F::EnterpriseId,
                region: F::RegionCode,
                order: F::OrderId,
            },
        );
        if let Some(name) = &q.enterprise_name {
            cond = cond.add(
                F::EnterpriseId.in_subquery(
                    Query::select()
                        .column(organization::Column::Id)
                        .from(organization::Entity)
                        .and_where(organization::Column::Kind.eq(OrgKind::Enterprise.code()))
                        .and_where(super::contains(organization::Column::Name, name))
                        .take(),
                ),
            );
        }
        if let Some(k) = q.kind {
            cond = cond.add(F::Kind.eq(k.code()));
        }
        if let Some(s) = q.state {
            cond = cond.add(F::State.eq(s.code()));
        }
        if let Some(a) = q.agency {
            cond = cond.add(F::AgencyId.eq(a.0));
        }
        if let Some(t) = q.since {
            cond = cond.add(F::CreatedAt.gte(t));
        }
        if let Some(t) = q.before {
            cond = cond.add(F::CreatedAt.lt(t));
        }
        let select = integrity_flag::Entity::find()
            .filter(cond)
            .order_by_desc(F::Id);
        let (rows, total, capped) = paginate_capped(&self.conn, select, page).await?;
        Ok(capped_page_of(
            self.hydrate_flags(rows).await?,
            total,
            capped,
            page,
        ))
    }
    async fn flag_rates(
        &self,
        scope: &Scope,
        agency: Option<OrgId>,
        limit: u64,
    ) -> CoreResult<Vec<AgencyFlagRate>> {
        use integrity_flag::Column as F;
        let scope = self.simplify_scope(scope).await?;
        let mut live = super::scope_condition(
            &scope,
            super::ScopeColumns {
                insurer: F::InsurerId,
                agency: F::AgencyId,
                enterprise: F::EnterpriseId,
                region: F::RegionCode,
                order: F::OrderId,
            },
        )
        .add(F::State.ne(FlagState::Dismissed.code()));
        if let Some(a) = agency {
            live = live.add(F::AgencyId.eq(a.0));
        }
        // Records flagged, per agency: distinct owners first, since one photo may raise several
        // flags and one record hold several photos.
        let owners = Query::select()
            .distinct()
            .columns([F::AgencyId, F::OwnerKind, F::OwnerId])
            .from(integrity_flag::Entity)
            .cond_where(live.clone())
            .take();
        let n = Expr::cust("COUNT(*)");
        let top = Query::select()
            .column(F::AgencyId)
            .expr_as(n.clone(), "n")
            .from_subquery(owners, "o")
            .group_by_col(F::AgencyId)
            .order_by_expr(n, Order::Desc)
            .order_by(F::AgencyId, Order::Asc)
            .limit(limit)
            .take();
        let mut flagged: Vec<(i64, u64)> = Vec::new();
        for row in self.conn.query_all(&top).await.map_err(db_err)? {
            let a: i64 = row.try_get("", "agency_id").map_err(db_err)?;
            let c: i64 = row.try_get("", "n").map_err(db_err)?;
            flagged.push((a, u64::try_from(c).unwrap_or(0)));
        }
        if flagged.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = flagged.iter().map(|(a, _)| *a).collect();
        let open = Query::select()
            .column(F::AgencyId)
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(integrity_flag::Entity)
            .cond_where(live.add(F::State.eq(FlagState::Open.code())))
            .and_where(F::AgencyId.is_in(ids.iter().copied()))
            .group_by_col(F::AgencyId)
            .take();
        let open = self.counts_by_agency(&open).await?;
        use hazard::Column as H;
        use service_record::Column as R;
        let records = Query::select()
            .column(R::AgencyId)
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(service_record::Entity)
            .cond_where(super::scope_condition(
                &scope,
                super::ScopeColumns {
                    insurer: R::InsurerId,
                    agency: R::AgencyId,
                    enterprise: R::EnterpriseId,
                    region: R::RegionCode,
                    order: R::OrderId,
                },
            ))
            .and_where(R::AgencyId.is_in(ids.iter().copied()))
            .group_by_col(R::AgencyId)
            .take();
        let hazards = Query::select()
            .column(H::AgencyId)
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(hazard::Entity)
            .cond_where(super::scope_condition(
                &scope,
                super::ScopeColumns {
                    insurer: H::InsurerId,
                    agency: H::AgencyId,
                    enterprise: H::EnterpriseId,
                    region: H::RegionCode,
                    order: H::OrderId,
                },
            ))
            .and_where(H::AgencyId.is_in(ids.iter().copied()))
            .group_by_col(H::AgencyId)
            .take();
        let records = self.counts_by_agency(&records).await?;
        let hazards = self.counts_by_agency(&hazards).await?;
        let names: HashMap<i64, String> = organization::Entity::find()
            .filter(organization::Column::Id.is_in(ids.iter().copied()))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        Ok(flagged
            .into_iter()
            .map(|(a, flagged_records)| AgencyFlagRate {
                agency_id: OrgId(a),
                agency_name: names.get(&a).cloned().unwrap_or_default(),
                flagged_records,
                open_flags: open.get(&a).copied().unwrap_or(0),
                records: records.get(&a).copied().unwrap_or(0)
                    + hazards.get(&a).copied().unwrap_or(0),
            })
            .collect())
    }
    async fn live_flag_kinds(
        &self,
        hazards: bool,
        owner_ids: &[i64],
    ) -> CoreResult<Vec<(i64, FlagKind)>> {
        use integrity_flag::Column as F;
        if owner_ids.is_empty() {
            return Ok(vec![]);
        }
        let hazard = OwnerKind::Hazard.code();
        let rows: Vec<(i64, String)> = integrity_flag::Entity::find()
            .select_only()
            .column(F::OwnerId)
            .column(F::Kind)
            .distinct()
            .filter(if hazards {
                F::OwnerKind.eq(hazard)
            } else {
                F::OwnerKind.ne(hazard)
            })
            .filter(F::OwnerId.is_in(owner_ids.iter().copied()))
            .filter(F::State.ne(FlagState::Dismissed.code()))
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|(o, k)| FlagKind::from_code(&k).map(|k| (o, k)))
            .collect())
    }
}

impl Db {
    /// Runs a `SELECT agency_id, COUNT(*) AS n … GROUP BY agency_id`.
    async fn counts_by_agency(
        &self,
        stmt: &sea_orm::sea_query::SelectStatement,
    ) -> CoreResult<HashMap<i64, u64>> {
        let mut out = HashMap::new();
        for row in self.conn.query_all(stmt).await.map_err(db_err)? {
            let a: i64 = row.try_get("", "agency_id").map_err(db_err)?;
            let c: i64 = row.try_get("", "n").map_err(db_err)?;
            out.insert(a, u64::try_from(c).unwrap_or(0));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, sha: &str, bits: Option<u64>) -> (i64, String, Option<i64>) {
        (id, sha.to_string(), bits.map(|b| b as i64))
    }

    #[test]
    fn rows_stored_since_the_lookup_join_the_candidates_when_they_match() {
        let h = PerceptualHash::current(0b1011);
        let since = [
            row(101, "same", None),
            row(102, "other", Some(0b1010)),
            row(103, "other", Some(!0b1011)),
            row(104, "other", None),
            // Stored after the photo itself: not earlier evidence.
            row(106, "same", Some(0b1011)),
        ];
        assert_eq!(
            merge_since(&[7, 101, 9], &since, 105, "same", Some(h)),
            vec![7, 9, 101, 102]
        );
        assert_eq!(merge_since(&[7], &since, 105, "x", None), vec![7]);
        assert!(merge_since(&[], &[], 105, "same", Some(h)).is_empty());
    }
}
