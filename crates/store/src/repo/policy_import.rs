//! Excel import: up to 10,000 policies and their new enterprises in one transaction, inserted
//! in multi-row batches so a full file takes one round trip per batch rather than per row.

use anze_core::audit::AuditEvent;
use anze_core::enterprise::EnterpriseFields;
use anze_core::ids::OrgId;
use anze_core::policy::import::{ImportedEnterprise, ImportedPolicy};
use anze_core::{CoreError, CoreResult};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;

use super::enterprise::enterprise_model;
use super::insert_audit;
use super::policy::policy_model;
use crate::entity::{organization, policy};
use crate::{Db, db_err};

/// Rows per INSERT and values per IN list. With at most 14 columns a row this stays far below
/// the smallest bind-parameter limit of the three backends (SQLite's 32,766).
pub(crate) const BATCH: usize = 500;

pub(crate) async fn taken_policy_nos(
    db: &Db,
    insurer: OrgId,
    policy_nos: &[String],
) -> CoreResult<Vec<String>> {
    let mut taken = Vec::new();
    for chunk in policy_nos.chunks(BATCH) {
        let rows: Vec<String> = policy::Entity::find()
            .select_only()
            .column(policy::Column::PolicyNo)
            .filter(policy::Column::InsurerId.eq(insurer.0))
            .filter(policy::Column::PolicyNo.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&db.conn)
            .await
            .map_err(db_err)?;
        taken.extend(rows);
    }
    Ok(taken)
}

fn credit_code(f: &EnterpriseFields) -> CoreResult<String> {
    f.org
        .credit_code
        .as_ref()
        .map(|c| c.to_string())
        .ok_or_else(|| CoreError::Internal("imported enterprise without credit code".into()))
}

pub(crate) async fn import_policies(
    db: &Db,
    insurer: OrgId,
    new_enterprises: &[EnterpriseFields],
    policies: &[ImportedPolicy],
    audit: &AuditEvent,
) -> CoreResult<usize> {
    let txn = db.write().await?;
    for chunk in new_enterprises.chunks(BATCH) {
        organization::Entity::insert_many(
            chunk.iter().map(|f| enterprise_model(f, insurer, audit.at)),
        )
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
    }
    // Multi-row inserts return no ids on MySQL; the credit code is unique, so read them back.
    let codes = new_enterprises
        .iter()
        .map(credit_code)
        .collect::<CoreResult<Vec<_>>>()?;
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(BATCH) {
        let rows: Vec<(i64, Option<String>)> = organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .column(organization::Column::CreditCode)
            .filter(organization::Column::CreditCode.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(db_err)?;
        ids.extend(rows.into_iter().filter_map(|(id, code)| Some((code?, id))));
    }
    let new_ids = codes
        .iter()
        .map(|c| {
            ids.get(c).map(|id| OrgId(*id)).ok_or_else(|| {
                CoreError::Internal(format!("imported enterprise {c} not found after insert"))
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
    for chunk in policies.chunks(BATCH) {
        let mut models = Vec::with_capacity(chunk.len());
        for p in chunk {
            let (enterprise, region) = match &p.enterprise {
                ImportedEnterprise::Existing { id, region_code } => (*id, region_code.as_str()),
                ImportedEnterprise::New(i) => {
                    let f = new_enterprises.get(*i).ok_or_else(|| {
                        CoreError::Internal(format!("row {}: no new enterprise {i}", p.row))
                    })?;
                    (new_ids[*i], f.org.region_code.as_str())
                }
            };
            models.push(policy_model(
                insurer, enterprise, region, &p.terms, audit.at,
            ));
        }
        policy::Entity::insert_many(models)
            .exec_without_returning(&txn)
            .await
            .map_err(db_err)?;
    }
    insert_audit(&txn, audit, None).await?;
    txn.commit().await.map_err(db_err)?;
    Ok(policies.len())
}
