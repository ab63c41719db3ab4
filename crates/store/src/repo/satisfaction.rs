//! 回访与满意度: ratings with their per-item scores, and each agency's score per period.

use anze_core::audit::AuditEvent;
use anze_core::ids::{AccountId, OrderId, OrgId, RatingId};
use anze_core::page::{Page, PageRequest};
use anze_core::satisfaction::{
    AgencyScore, Call, ItemScore, NewRating, Rating, RatingSource, SatisfactionQuery,
    SatisfactionStore, Score,
};
use anze_core::scope::Scope;
use anze_core::service_item::ServiceItem;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

use super::{capped_page_of, insert_audit, paginate_capped};
use crate::entity::{
    organization, satisfaction_item_score as item_score, satisfaction_rating as rating,
    service_order,
};
use crate::{Db, db_err};

fn scope_condition(scope: &Scope) -> Condition {
    use rating::Column as R;
    super::scope_condition(
        scope,
        super::ScopeColumns {
            insurer: R::InsurerId,
            agency: R::AgencyId,
            enterprise: R::EnterpriseId,
            region: R::RegionCode,
            order: R::OrderId,
        },
    )
}

fn query_condition(scope: &Scope, q: &SatisfactionQuery) -> Condition {
    use rating::Column as R;
    let mut cond = scope_condition(scope)
        .add(R::CreatedAt.gte(q.since()))
        .add(R::CreatedAt.lt(q.before()));
    if let Some(a) = q.agency {
        cond = cond.add(R::AgencyId.eq(a.0));
    }
    if let Some(s) = q.source {
        cond = cond.add(R::Source.eq(s.code()));
    }
    cond
}

impl Db {
    async fn hydrate_ratings(&self, rows: Vec<rating::Model>) -> CoreResult<Vec<Rating>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut scores: HashMap<i64, Vec<ItemScore>> = HashMap::new();
        for s in item_score::Entity::find()
            .filter(item_score::Column::RatingId.is_in(ids))
            .order_by_asc(item_score::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?
        {
            let (Some(item), Some(score)) = (
                ServiceItem::from_code(&s.item),
                u8::try_from(s.score).ok().and_then(Score::new),
            ) else {
                return Err(CoreError::Internal(format!("rating score {}", s.id)));
            };
            scores
                .entry(s.rating_id)
                .or_default()
                .push(ItemScore { item, score });
        }
        let orders: HashMap<i64, String> = service_order::Entity::find()
            .filter(service_order::Column::Id.is_in(rows.iter().map(|r| r.order_id)))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|o| (o.id, o.order_no.unwrap_or_default()))
            .collect();
        let names: HashMap<i64, String> = organization::Entity::find()
            .filter(
                organization::Column::Id
                    .is_in(rows.iter().flat_map(|r| [r.agency_id, r.enterprise_id])),
            )
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        rows.into_iter()
            .map(|r| {
                let source = RatingSource::from_code(&r.source)
                    .ok_or_else(|| CoreError::Internal(format!("rating {} source", r.id)))?;
                let overall = u8::try_from(r.overall)
                    .ok()
                    .and_then(Score::new)
                    .ok_or_else(|| CoreError::Internal(format!("rating {} overall", r.id)))?;
                let call = match (r.called_at, r.callee) {
                    (Some(called_at), Some(callee)) => Some(Call {
                        called_at,
                        callee,
                        caller_name: r.caller_name.unwrap_or_default(),
                    }),
                    _ => None,
                };
                Ok(Rating {
                    id: RatingId(r.id),
                    order_id: OrderId(r.order_id),
                    order_no: orders.get(&r.order_id).cloned().unwrap_or_default(),
                    agency_id: OrgId(r.agency_id),
                    agency_name: names.get(&r.agency_id).cloned().unwrap_or_default(),
                    insurer_id: OrgId(r.insurer_id),
                    enterprise_id: OrgId(r.enterprise_id),
                    enterprise_name: names.get(&r.enterprise_id).cloned().unwrap_or_default(),
                    source,
                    overall,
                    items: scores.remove(&r.id).unwrap_or_default(),
                    comment: r.comment,
                    call,
                    created_by: AccountId(r.created_by),
                    created_by_name: r.created_by_name,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    /// `SELECT agency_id, <group>, COUNT(*), <a count per score> … GROUP BY agency_id, <group>`
    /// rows as (agency, group, ratings, sum of scores, ratings of 1 or 2).
    async fn grouped_sums(
        &self,
        stmt: &sea_orm::sea_query::SelectStatement,
    ) -> CoreResult<Vec<(i64, String, u64, u64, u64)>> {
        let mut out = Vec::new();
        for row in self.conn.query_all(stmt).await.map_err(db_err)? {
            let a: i64 = row.try_get("", "agency_id").map_err(db_err)?;
            let g: String = row.try_get("", "g").map_err(db_err)?;
            let n: i64 = row.try_get("", "n").map_err(db_err)?;
            // COUNT of a CASE per score value: every backend returns COUNT as a BIGINT, where
            // SUM is a DECIMAL on MySQL and PostgreSQL.
            let (mut sum, mut low) = (0u64, 0u64);
            for v in 1..=5u64 {
                let c: i64 = row.try_get("", &format!("s{v}")).map_err(db_err)?;
                let c = u64::try_from(c).unwrap_or(0);
                sum += v * c;
                if v <= 2 {
                    low += c;
                }
            }
            out.push((a, g, u64::try_from(n).unwrap_or(0), sum, low));
        }
        Ok(out)
    }
}

/// `COUNT(CASE WHEN col = v THEN 1 END) AS s<v>` for v in 1..=5, so a sum is exact integers.
fn score_counts(
    stmt: &mut sea_orm::sea_query::SelectStatement,
    col: impl sea_orm::sea_query::IntoColumnRef + Clone,
) {
    for v in 1..=5 {
        stmt.expr_as(
            Expr::case(Expr::col(col.clone()).eq(v), Expr::val(1)).count(),
            format!("s{v}"),
        );
    }
}

#[async_trait]
impl SatisfactionStore for Db {
    async fn add_rating(
        &self,
        r: &NewRating,
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<RatingId> {
        let txn = self.write().await?;
        let order = service_order::Entity::find_by_id(r.order_id.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        let saved = rating::ActiveModel {
            order_id: Set(order.id),
            agency_id: Set(order.agency_id),
            insurer_id: Set(order.insurer_id),
            enterprise_id: Set(order.enterprise_id),
            region_code: Set(order.region_code.clone()),
            source: Set(r.source.code().to_string()),
            overall: Set(i32::from(r.overall.value())),
            comment: Set(r.comment.clone()),
            callee: Set(r.call.as_ref().map(|c| c.callee.clone())),
            called_at: Set(r.call.as_ref().map(|c| c.called_at)),
            caller_name: Set(r.call.as_ref().map(|c| c.caller_name.clone())),
            created_by: Set(by.0),
            created_by_name: Set(audit.actor_name.chars().take(100).collect()),
            created_at: Set(audit.at),
            enterprise_once: Set((r.source == RatingSource::Enterprise).then_some(order.id)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| match db_err(e) {
            CoreError::Duplicate => CoreError::Conflict("本订单已评价,评价提交后不能修改".into()),
            other => other,
        })?;
        if !r.items.is_empty() {
            item_score::Entity::insert_many(r.items.iter().map(|s| item_score::ActiveModel {
                rating_id: Set(saved.id),
                item: Set(s.item.code().to_string()),
                score: Set(i32::from(s.score.value())),
                ..Default::default()
            }))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(RatingId(saved.id))
    }

    async fn ratings_of(&self, order: OrderId) -> CoreResult<Vec<Rating>> {
        let rows = rating::Entity::find()
            .filter(rating::Column::OrderId.eq(order.0))
            .order_by_asc(rating::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_ratings(rows).await
    }

    async fn list_ratings(
        &self,
        scope: &Scope,
        q: &SatisfactionQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Rating>> {
        let scope = self.simplify_scope(scope).await?;
        let select = rating::Entity::find()
            .filter(query_condition(&scope, q))
            .order_by_desc(rating::Column::Id);
        let (rows, total, capped) = paginate_capped(&self.conn, select, page).await?;
        Ok(capped_page_of(
            self.hydrate_ratings(rows).await?,
            total,
            capped,
            page,
        ))
    }

    async fn agency_scores(
        &self,
        scope: &Scope,
        q: &SatisfactionQuery,
    ) -> CoreResult<Vec<AgencyScore>> {
        use item_score::Column as S;
        use rating::Column as R;
        let scope = self.simplify_scope(scope).await?;
        let cond = query_condition(&scope, q);
        let mut overall = Query::select();
        overall
            .column(R::AgencyId)
            .expr_as(Expr::val("overall"), "g")
            .expr_as(Expr::col(R::Overall).count(), "n");
        score_counts(&mut overall, R::Overall);
        overall
            .from(rating::Entity)
            .cond_where(cond.clone())
            .group_by_col(R::AgencyId);
        let mut items = Query::select();
        items
            .column((rating::Entity, R::AgencyId))
            .expr_as(Expr::col((item_score::Entity, S::Item)), "g")
            .expr_as(Expr::col((item_score::Entity, S::Id)).count(), "n");
        score_counts(&mut items, (item_score::Entity, S::Score));
        items
            .from(item_score::Entity)
            .inner_join(
                rating::Entity,
                Expr::col((rating::Entity, R::Id)).equals((item_score::Entity, S::RatingId)),
            )
            .cond_where(cond)
            .group_by_col((rating::Entity, R::AgencyId))
            .group_by_col((item_score::Entity, S::Item))
            .order_by((rating::Entity, R::AgencyId), Order::Asc);
        let mut scores: HashMap<i64, AgencyScore> = HashMap::new();
        for (a, _, n, sum, low) in self.grouped_sums(&overall).await? {
            scores.insert(
                a,
                AgencyScore {
                    agency_id: OrgId(a),
                    agency_name: String::new(),
                    ratings: n,
                    overall_sum: sum,
                    unsatisfied: low,
                    items: vec![],
                },
            );
        }
        for (a, item, n, sum, _) in self.grouped_sums(&items).await? {
            if let (Some(s), Some(item)) = (scores.get_mut(&a), ServiceItem::from_code(&item)) {
                s.items.push((item, n, sum));
            }
        }
        let names: HashMap<i64, String> = organization::Entity::find()
            .filter(organization::Column::Id.is_in(scores.keys().copied()))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let mut out: Vec<AgencyScore> = scores
            .into_values()
            .map(|mut s| {
                s.agency_name = names.get(&s.agency_id.0).cloned().unwrap_or_default();
                s.items
                    .sort_by_key(|(i, _, _)| ServiceItem::ALL.iter().position(|a| a == i));
                s
            })
            .collect();
        // Best average first (compared as fractions), then more ratings, then by id.
        out.sort_by(|a, b| {
            let lhs = u128::from(b.overall_sum) * u128::from(a.ratings);
            let rhs = u128::from(a.overall_sum) * u128::from(b.ratings);
            lhs.cmp(&rhs)
                .then(b.ratings.cmp(&a.ratings))
                .then(a.agency_id.0.cmp(&b.agency_id.0))
        });
        Ok(out)
    }
}
