//! 工作日历 entries. The table holds a few dozen rows a year, so reads take whole ranges.

use anze_core::audit::AuditEvent;
use anze_core::calendar::{CalendarDay, CalendarStore, DayKind, NewCalendarDay};
use anze_core::ids::{AccountId, CalendarDayId};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};

use super::insert_audit;
use crate::entity::{account, calendar_day};
use crate::{Db, db_err};

impl Db {
    async fn hydrate_calendar_days(
        &self,
        rows: Vec<calendar_day::Model>,
    ) -> CoreResult<Vec<CalendarDay>> {
        let people: HashMap<i64, String> = account::Entity::find()
            .filter(account::Column::Id.is_in(rows.iter().filter_map(|r| r.created_by)))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|a| (a.id, format!("{}({})", a.name, a.username)))
            .collect();
        rows.into_iter()
            .map(|r| {
                Ok(CalendarDay {
                    id: CalendarDayId(r.id),
                    on: r.on_date,
                    kind: DayKind::from_code(&r.kind).ok_or_else(|| {
                        CoreError::Internal(format!("calendar day {} has kind {}", r.id, r.kind))
                    })?,
                    name: r.name,
                    created_by_name: r.created_by.and_then(|a| people.get(&a).cloned()),
                    created_at: r.created_at,
                })
            })
            .collect()
    }
}

#[async_trait]
impl CalendarStore for Db {
    async fn calendar_days(&self, from: NaiveDate, to: NaiveDate) -> CoreResult<Vec<CalendarDay>> {
        use calendar_day::Column as C;
        let rows = calendar_day::Entity::find()
            .filter(C::OnDate.between(from, to))
            .order_by_asc(C::OnDate)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_calendar_days(rows).await
    }

    async fn calendar_years(&self) -> CoreResult<Vec<i32>> {
        // Extracting a year is spelled three ways by the three databases; the dates are few.
        let dates: Vec<NaiveDate> = calendar_day::Entity::find()
            .select_only()
            .column(calendar_day::Column::OnDate)
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let years: BTreeSet<i32> = dates.iter().map(|d| d.year()).collect();
        Ok(years.into_iter().collect())
    }

    async fn get_calendar_day(&self, id: CalendarDayId) -> CoreResult<Option<CalendarDay>> {
        let row = calendar_day::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self
            .hydrate_calendar_days(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn add_calendar_day(
        &self,
        day: &NewCalendarDay,
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<CalendarDayId> {
        let txn = self.write().await?;
        let row = calendar_day::ActiveModel {
            id: NotSet,
            on_date: Set(day.on),
            kind: Set(day.kind.code().to_string()),
            name: Set(day.name.clone()),
            created_by: Set(Some(by.0)),
            created_at: Set(audit.at),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        insert_audit(&txn, audit, Some(row.id)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(CalendarDayId(row.id))
    }

    async fn delete_calendar_day(&self, id: CalendarDayId, audit: &AuditEvent) -> CoreResult<bool> {
        let txn = self.write().await?;
        let res = calendar_day::Entity::delete_by_id(id.0)
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        insert_audit(&txn, audit, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
