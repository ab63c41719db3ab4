//! 导出: the policy and order lists as Excel ledgers, with the list pages' filters.
//!
//! Rows come through the same core list services as the pages (so the same permission and
//! scope apply), 1,000 at a time; a blocking task writes them into a constant-memory workbook
//! as they arrive, and the finished file is streamed from disk.

use anze_core::CoreResult;
use anze_core::order::{self, OrderFilter, ServiceOrder};
use anze_core::page::{Page, PageRequest};
use anze_core::policy::{self, Policy, PolicyFilter};
use anze_core::time::{format_datetime, today};
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::fs::File;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Ctx, QueryData};
use crate::xlsx::{self, Cell, MAX_SHEET_ROWS, SheetWriter};

/// Rows fetched per list call.
const PAGE_SIZE: u64 = 1_000;

/// Writes every page `fetch` returns into a one-sheet workbook in a temporary file. At most
/// one page waits between the fetching and the writing side.
async fn write_pages<T, F, Fut>(
    sheet: &'static str,
    columns: &'static [(&'static str, f64)],
    mut fetch: F,
    to_row: impl Fn(&T) -> Vec<Cell>,
) -> PageResult<File>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = CoreResult<Page<T>>>,
{
    // The first page comes before the writer starts, so a refused permission or a bad filter
    // is an ordinary error page.
    let mut request = PageRequest {
        page: 1,
        size: PAGE_SIZE,
    };
    let mut page = fetch(request).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(1);
    let writer = tokio::task::spawn_blocking(move || {
        let mut out = SheetWriter::new(sheet, columns)?;
        while let Some(rows) = rx.blocking_recv() {
            for row in &rows {
                out.write_row(row)?;
            }
        }
        out.finish()
    });
    let max_rows = u64::from(MAX_SHEET_ROWS - 1);
    let mut sent = 0u64;
    loop {
        let rows: Vec<Vec<Cell>> = page.items.iter().map(&to_row).collect();
        sent += rows.len() as u64;
        let last = page.items.len() < PAGE_SIZE as usize || sent >= page.total || sent >= max_rows;
        // A closed channel means the writer failed; its error is reported below.
        if tx.send(rows).await.is_err() || last {
            break;
        }
        request.page += 1;
        page = fetch(request).await?;
    }
    drop(tx);
    writer
        .await
        .map_err(|e| PageError::Internal(format!("export task: {e}")))?
        .map_err(|e| PageError::Internal(format!("writing xlsx: {e}")))
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

const POLICY_COLUMNS: &[(&str, f64)] = &[
    ("保单号", 22.0),
    ("投保企业", 30.0),
    ("统一社会信用代码", 22.0),
    ("所属区划", 12.0),
    ("保险机构", 26.0),
    ("保险起期", 12.0),
    ("保险止期", 12.0),
    ("保费(元)", 14.0),
    ("累计责任限额(元)", 18.0),
    ("每人责任限额(元)", 18.0),
    ("参保人数", 10.0),
    ("事故预防费用比例(%)", 20.0),
    ("事故预防费用(元)", 18.0),
    ("状态", 10.0),
    ("登记时间", 20.0),
];

fn policy_row(p: &Policy, regions: &HashMap<String, String>, today: NaiveDate) -> Vec<Cell> {
    vec![
        text(&p.policy_no),
        text(&p.enterprise_name),
        text(&p.enterprise_credit_code),
        text(regions.get(&p.region_code).cloned().unwrap_or_default()),
        text(&p.insurer_name),
        Cell::Date(p.start_date),
        Cell::Date(p.end_date),
        Cell::Money(p.premium),
        Cell::Money(p.total_limit),
        Cell::Money(p.per_person_limit),
        Cell::Int(p.insured_count),
        Cell::Percent(p.prevention_ratio),
        Cell::Money(p.prevention_amount()),
        text(p.status(today).label()),
        text(format_datetime(p.created_at)),
    ]
}

/// 保单台账: `GET /policies/export.xlsx` with the list's query parameters.
pub async fn policies(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<PolicyFilter>,
) -> PageResult<Response> {
    let store = state.store();
    let day = today(ctx.now);
    let regions: HashMap<String, String> = store
        .list_regions()
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let file = write_pages(
        "保单台账",
        POLICY_COLUMNS,
        |page| policy::service::list(store, &ctx.actor, &filter, page, ctx.now),
        |p| policy_row(p, &regions, day),
    )
    .await?;
    let stamp = day.format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("policies-{stamp}.xlsx"),
        &format!("保单台账-{stamp}.xlsx"),
    ))
}

const ORDER_COLUMNS: &[(&str, f64)] = &[
    ("订单号", 20.0),
    ("保单号", 22.0),
    ("投保企业", 30.0),
    ("保险机构", 26.0),
    ("服务机构", 26.0),
    ("服务开始日期", 14.0),
    ("服务结束日期", 14.0),
    ("状态", 10.0),
    ("服务进度(完成/计划)", 20.0),
    ("负责人员", 24.0),
    ("指派时间", 20.0),
    ("指派人", 20.0),
    ("受理时间", 20.0),
    ("完成时间", 20.0),
    ("拒绝原因", 30.0),
    ("说明", 30.0),
];

fn order_row(o: &ServiceOrder) -> Vec<Cell> {
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| text(t.map(format_datetime).unwrap_or_default());
    vec![
        text(&o.order_no),
        text(&o.policy_no),
        text(&o.enterprise_name),
        text(&o.insurer_name),
        text(&o.agency_name),
        Cell::Date(o.service_start),
        Cell::Date(o.service_end),
        text(o.state.label()),
        text(format!("{}/{}", o.done_total(), o.planned_total())),
        text(if o.assignees.is_empty() {
            String::new()
        } else {
            o.assignee_names()
        }),
        time(Some(o.designated_at)),
        text(&o.designated_by),
        time(o.accepted_at),
        time(o.completed_at),
        text(o.decline_reason.clone().unwrap_or_default()),
        text(&o.note),
    ]
}

/// 服务订单台账: `GET /orders/export.xlsx` with the list's query parameters.
pub async fn orders(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<OrderFilter>,
) -> PageResult<Response> {
    let store = state.store();
    let file = write_pages(
        "服务订单台账",
        ORDER_COLUMNS,
        |page| order::service::list(store, &ctx.actor, &filter, page),
        order_row,
    )
    .await?;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("orders-{stamp}.xlsx"),
        &format!("服务订单台账-{stamp}.xlsx"),
    ))
}
