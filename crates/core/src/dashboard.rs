//! 首页 and 看板: the figures each party watches. The 首页 shows live counts of what needs doing;
//! the dashboards (`service::board`) show a period's monthly facts per region, agency and
//! insurer, with trends and rankings.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::{DashboardStore, DueHazard, EndingOrder};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::{Actor, Permission};
use crate::error::CoreResult;
use crate::hazard::{HazardCounts, HazardQuery};
use crate::order::OrderState;
use crate::record::Confirmation;
use crate::scope;
use crate::store::Store;
use crate::time::today;

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// Orders in the actor's scope by state, in the state machine's order; empty without 订单查看.
    /// Counts stop at `COUNT_CAP`, as the hazard counts do.
    pub orders: Vec<(OrderState, u64)>,
    pub hazards: Option<HazardCounts>,
    /// Records awaiting the enterprise's confirmation and those it objected to, in the actor's
    /// scope; `None` without 服务记录查看. Capped like the order counts.
    pub confirmations: Option<ConfirmationCounts>,
    /// Complaints in the actor's scope by state, and those past a deadline (受理 within 10
    /// working days, 办结 within 30); `None` without 服务投诉查看.
    pub complaints: Option<crate::complaint::ComplaintCounts>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ConfirmationCounts {
    /// 待确认
    pub pending: u64,
    /// 有异议
    pub objected: u64,
}

/// Whether a count stopped at the cap and shows as "10,000+".
pub fn is_capped(n: &u64) -> bool {
    *n >= crate::page::COUNT_CAP
}

pub async fn summary(
    store: &dyn Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> CoreResult<Dashboard> {
    let scope = scope::of(store, actor).await?;
    let mut orders = Vec::new();
    if actor.has(Permission::OrderView) {
        for state in OrderState::ALL {
            orders.push((
                state,
                store
                    .count_orders(&scope, state, crate::page::COUNT_CAP)
                    .await?,
            ));
        }
    }
    let hazards = if actor.has(Permission::HazardView) {
        let query = HazardQuery {
            today: Some(today(now)),
            ..HazardQuery::default()
        };
        Some(store.count_hazards(&scope, &query).await?)
    } else {
        None
    };
    let confirmations = if actor.has(Permission::RecordView) {
        Some(ConfirmationCounts {
            pending: store.count_records(&scope, Confirmation::Pending).await?,
            objected: store.count_records(&scope, Confirmation::Objected).await?,
        })
    } else {
        None
    };
    let complaints = if actor.has(Permission::ComplaintView) {
        Some(crate::complaint::service::counts(store, actor, now).await?)
    } else {
        None
    };
    Ok(Dashboard {
        orders,
        hazards,
        confirmations,
        complaints,
    })
}
