//! 导出: the policy and order lists as Excel ledgers, with the list pages' filters.
//!
//! Rows come through the same core list services as the pages (so the same permission and
//! scope apply), 1,000 at a time; a blocking task writes them into a constant-memory workbook
//! as they arrive, and the finished file is streamed from disk.

use anze_core::CoreResult;
use anze_core::complaint::service::Listed;
use anze_core::complaint::{self, ComplaintFilter};
use anze_core::hazard::{self, Hazard, HazardFilter};
use anze_core::integrity::{self, Flag, FlagFilter};
use anze_core::order::{self, OrderFilter, ServiceOrder};
use anze_core::page::{Keyset, Page, PageRequest};
use anze_core::policy::{self, Policy, PolicyFilter};
use anze_core::record::{self, RecordFilter, ServiceRecord};
use anze_core::service_item::ServiceItem;
use anze_core::time::{format_datetime, today};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::fs::File;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Ctx, QueryData};
use crate::xlsx::{self, Cell, MAX_SHEET_ROWS, SheetWriter};

/// Writes every page `fetch` returns into a one-sheet workbook in a temporary file. At most
/// one page waits between the fetching and the writing side.
///
/// With `keyset`, each page continues after the last row of the one before, so the last page of
/// a large ledger costs what the first does; without it (the hazard ledger's serious-first
/// order) pages are asked for by number. The page number counts on in both cases.
async fn write_pages<T, F, Fut>(
    batch: u64,
    sheet: &'static str,
    columns: Vec<(&'static str, f64)>,
    mut fetch: F,
    keyset: Option<fn(&T) -> Keyset>,
    to_row: impl Fn(&T) -> Vec<Cell>,
) -> PageResult<File>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = CoreResult<Page<T>>>,
{
    // The first page comes before the writer starts, so a refused permission or a bad filter
    // is an ordinary error page.
    let mut request = PageRequest::first(batch);
    let mut page = fetch(request).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(1);
    let writer = tokio::task::spawn_blocking(move || {
        let mut out = SheetWriter::new(sheet, &columns)?;
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
        // Totals of large lists are capped, so the end is a short page, not the total.
        let last = (page.items.len() as u64) < batch || sent >= max_rows;
        // A closed channel means the writer failed; its error is reported below.
        if tx.send(rows).await.is_err() || last {
            break;
        }
        request.page += 1;
        request.after = keyset.zip(page.items.last()).map(|(k, t)| k(t));
        page = fetch(request).await?;
    }
    drop(tx);
    writer
        .await
        .map_err(|e| PageError::Internal(format!("export task: {e}")))?
        .map_err(|e| PageError::Internal(format!("writing xlsx: {e}")))
}

/// A small table already in memory (a per-agency summary) as a workbook file.
pub(super) async fn write_rows(
    sheet: &'static str,
    columns: Vec<(&'static str, f64)>,
    rows: Vec<Vec<Cell>>,
) -> PageResult<File> {
    tokio::task::spawn_blocking(move || {
        let mut out = SheetWriter::new(sheet, &columns)?;
        for row in &rows {
            out.write_row(row)?;
        }
        out.finish()
    })
    .await
    .map_err(|e| PageError::Internal(format!("export task: {e}")))?
    .map_err(|e| PageError::Internal(format!("writing xlsx: {e}")))
}

fn map_page<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> Page<U> {
    Page {
        items: page.items.into_iter().map(f).collect(),
        total: page.total,
        total_capped: page.total_capped,
        page: page.page,
        size: page.size,
    }
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
    let regions: HashMap<String, String> = anze_core::org::service::regions(store, &ctx.actor)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let file = write_pages(
        state.config.export_batch_rows,
        "保单台账",
        POLICY_COLUMNS.to_vec(),
        |page| policy::service::list(store, &ctx.actor, &filter, page, ctx.now),
        Some(|p: &Policy| Keyset::Id(p.id.0)),
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
        state.config.export_batch_rows,
        "服务订单台账",
        ORDER_COLUMNS.to_vec(),
        |page| order::service::list(store, &ctx.actor, &filter, page),
        Some(|o: &ServiceOrder| Keyset::Id(o.id.0)),
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

const HAZARD_COLUMNS: &[(&str, f64)] = &[
    ("整改前照片", 14.0),
    ("整改后照片", 14.0),
    ("隐患编号", 20.0),
    ("投保企业", 30.0),
    ("所属区划", 12.0),
    ("保险机构", 26.0),
    ("服务机构", 26.0),
    ("订单号", 20.0),
    ("隐患描述", 40.0),
    ("隐患位置", 20.0),
    ("隐患类别", 12.0),
    ("隐患等级", 10.0),
    ("判定依据", 24.0),
    ("整改建议", 30.0),
    ("发现日期", 12.0),
    ("整改期限", 12.0),
    ("整改责任人", 12.0),
    ("状态", 10.0),
    ("逾期", 8.0),
    ("整改轮次", 10.0),
    ("销号时间", 20.0),
];

/// A hazard with its before-photo and its latest round's after-photo.
type HazardWithPhotos = (Hazard, Option<Vec<u8>>, Option<Vec<u8>>);

fn hazard_row(
    (h, before, after): &HazardWithPhotos,
    regions: &HashMap<String, String>,
    today: NaiveDate,
) -> Vec<Cell> {
    let photo = |p: &Option<Vec<u8>>| p.clone().map_or_else(|| text(""), Cell::Image);
    vec![
        photo(before),
        photo(after),
        text(&h.hazard_no),
        text(&h.enterprise_name),
        text(regions.get(&h.region_code).cloned().unwrap_or_default()),
        text(&h.insurer_name),
        text(&h.agency_name),
        text(&h.order_no),
        text(&h.description),
        text(&h.location),
        text(h.category_label()),
        text(h.level.label()),
        text(&h.basis),
        text(&h.suggestion),
        Cell::Date(h.found_on),
        Cell::Date(h.deadline),
        text(&h.responsible),
        text(h.state.label()),
        text(if h.overdue(today) { "是" } else { "否" }),
        Cell::Int(i64::from(h.round)),
        text(h.closed_at.map(format_datetime).unwrap_or_default()),
    ]
}

/// 隐患台账: `GET /hazards/export.xlsx` with the ledger's query parameters.
pub async fn hazards(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<HazardFilter>,
) -> PageResult<Response> {
    let store = state.store();
    let day = today(ctx.now);
    let regions: HashMap<String, String> = anze_core::org::service::regions(store, &ctx.actor)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let (actor, filter, now, state) = (&ctx.actor, &filter, ctx.now, &state);
    let file = write_pages(
        state.config.export_batch_rows,
        "隐患台账",
        HAZARD_COLUMNS.to_vec(),
        |page| async move {
            let (hazards, _) = hazard::service::list(store, actor, filter, page, now).await?;
            let mut photos = HashMap::new();
            if page.offset() < MAX_THUMBNAIL_ROWS {
                let files = hazard::service::attachments_of_all(store, &hazards.items).await?;
                photos = thumbnails(state, files).await?;
            }
            Ok(map_page(hazards, |h| {
                let before = photos.remove(&(h.id.0, hazard::BEFORE_PHOTOS.field.to_string()));
                let after = (1..=h.round)
                    .rev()
                    .find_map(|r| photos.remove(&(h.id.0, hazard::after_field(r))));
                (h, before, after)
            }))
        },
        None,
        |row| hazard_row(row, &regions, day),
    )
    .await?;
    let stamp = day.format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("hazards-{stamp}.xlsx"),
        &format!("隐患台账-{stamp}.xlsx"),
    ))
}

/// Rows that carry photo thumbnails. The workbook holds images in memory until it is written,
/// so larger exports list the rest without them and the export's memory stays flat.
const MAX_THUMBNAIL_ROWS: u64 = 1_000;

/// The first thumbnail of each (owner, field) among `files`, read from storage.
async fn thumbnails(
    state: &AppState,
    files: Vec<anze_core::attachment::Attachment>,
) -> CoreResult<HashMap<(i64, String), Vec<u8>>> {
    let mut out = HashMap::new();
    for a in files {
        let slot = (a.owner.id, a.field.clone());
        if out.contains_key(&slot) {
            continue;
        }
        if let Some(key) = &a.thumb_key
            && let Some(bytes) = state.blobs().read_to_vec(key, 512 * 1024).await?
        {
            out.insert(slot, bytes);
        }
    }
    Ok(out)
}

/// Columns of a record type's ledger: the common ones, then the type's own.
fn record_columns(spec: &'static record::ItemSpec) -> Vec<(&'static str, f64)> {
    let mut columns = vec![
        ("现场照片", 14.0),
        (spec.labels.date, 12.0),
        ("投保企业", 30.0),
        ("保险机构", 26.0),
        ("服务机构", 26.0),
        ("订单号", 20.0),
        (spec.labels.location, 20.0),
        (spec.labels.staff, 20.0),
        (spec.labels.contact, 12.0),
    ];
    columns.extend(spec.fields.iter().map(|f| (f.label, 16.0)));
    columns.push((spec.labels.summary, 40.0));
    columns.push(("录入人", 16.0));
    columns.push(("录入时间", 20.0));
    columns.push(("确认状态", 10.0));
    columns.push(("确认人/异议人", 16.0));
    columns.push(("确认时间", 20.0));
    columns.push(("异议理由", 30.0));
    columns
}

fn record_row(r: &ServiceRecord, photo: Option<&Vec<u8>>, spec: &record::ItemSpec) -> Vec<Cell> {
    let mut row = vec![
        photo.map_or_else(|| text(""), |p| Cell::Image(p.clone())),
        Cell::Date(r.service_date),
        text(&r.enterprise_name),
        text(&r.insurer_name),
        text(&r.agency_name),
        text(&r.order_no),
        text(&r.location),
        text(r.staff_names()),
        text(&r.enterprise_contact),
    ];
    row.extend(spec.fields.iter().map(|f| {
        text(
            r.details
                .get(f.name)
                .map(|v| f.display(v))
                .unwrap_or_default(),
        )
    }));
    row.push(text(&r.summary));
    row.push(text(&r.created_by_name));
    row.push(text(format_datetime(r.created_at)));
    let c = &r.confirmation;
    row.push(text(c.state.label()));
    row.push(text(c.by_name.clone().unwrap_or_default()));
    row.push(text(c.at.map(format_datetime).unwrap_or_default()));
    row.push(text(c.objection.clone().unwrap_or_default()));
    row
}

/// A record type's ledger (安全培训台账, …): `GET /services/{item}/export.xlsx`.
pub async fn records(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    QueryData(filter): QueryData<RecordFilter>,
) -> PageResult<Response> {
    let item = ServiceItem::from_code(&code).ok_or(PageError::NotFound)?;
    let spec = record::spec_of(item).ok_or(PageError::NotFound)?;
    let (actor, filter, state) = (&ctx.actor, &filter, &state);
    let file = write_pages(
        state.config.export_batch_rows,
        "服务记录",
        record_columns(spec),
        |page| async move {
            let records = record::service::list(state.store(), actor, item, filter, page).await?;
            let mut photos = HashMap::new();
            if page.offset() < MAX_THUMBNAIL_ROWS {
                let files =
                    record::service::attachments_of_all(state.store(), item, &records.items)
                        .await?;
                photos = thumbnails(state, files).await?;
            }
            Ok(map_page(records, |r| {
                let photo = photos.remove(&(r.id.0, record::PHOTOS.field.to_string()));
                (r, photo)
            }))
        },
        Some(|(r, _): &(ServiceRecord, Option<Vec<u8>>)| Keyset::DateId(r.service_date, r.id.0)),
        |(r, photo)| record_row(r, photo.as_ref(), spec),
    )
    .await?;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("{code}-{stamp}.xlsx"),
        &format!("{}台账-{stamp}.xlsx", item.label()),
    ))
}

const FLAG_COLUMNS: &[(&str, f64)] = &[
    ("标记时间", 18.0),
    ("标记类型", 16.0),
    ("处理状态", 10.0),
    ("投保企业", 30.0),
    ("服务机构", 26.0),
    ("依据", 50.0),
    ("服务机构说明", 40.0),
    ("答复人", 12.0),
    ("答复时间", 18.0),
    ("处理人", 12.0),
    ("处理时间", 18.0),
    ("处理备注", 40.0),
];

fn flag_row(f: &Flag) -> Vec<Cell> {
    let at =
        |t: Option<chrono::DateTime<chrono::Utc>>| text(t.map(format_datetime).unwrap_or_default());
    vec![
        text(format_datetime(f.created_at)),
        text(f.kind.label()),
        text(f.state.label()),
        text(&f.enterprise_name),
        text(&f.agency_name),
        text(&f.detail),
        text(f.explanation.clone().unwrap_or_default()),
        text(f.answered_by_name.clone().unwrap_or_default()),
        at(f.answered_at),
        text(f.reviewed_by_name.clone().unwrap_or_default()),
        at(f.reviewed_at),
        text(f.review_note.clone().unwrap_or_default()),
    ]
}

/// 可疑记录: `GET /integrity/export.xlsx` with the list's query parameters.
pub async fn integrity(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<FlagFilter>,
) -> PageResult<Response> {
    let store = state.store();
    let (actor, filter) = (&ctx.actor, &filter);
    let file = write_pages(
        state.config.export_batch_rows,
        "可疑记录",
        FLAG_COLUMNS.to_vec(),
        |page| async move { integrity::service::list(store, actor, filter, page).await },
        None,
        flag_row,
    )
    .await?;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("integrity-{stamp}.xlsx"),
        &format!("可疑记录-{stamp}.xlsx"),
    ))
}

const RATE_COLUMNS: &[(&str, f64)] = &[
    ("服务机构", 30.0),
    ("被标记记录数", 14.0),
    ("记录总数", 12.0),
    ("标记率(%)", 12.0),
    ("待处理标记数", 14.0),
];

/// 可疑记录 · 各机构标记率: `GET /integrity/rates.xlsx` with the list's agency filter.
pub async fn integrity_rates(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<FlagFilter>,
) -> PageResult<Response> {
    let rates = integrity::service::rates(state.store(), &ctx.actor, &filter).await?;
    let rows = rates
        .iter()
        .map(|r| {
            vec![
                text(&r.agency_name),
                Cell::Int(i64::try_from(r.flagged_records).unwrap_or(i64::MAX)),
                Cell::Int(i64::try_from(r.records).unwrap_or(i64::MAX)),
                match r.rate_basis_points() {
                    Some(bp) => Cell::Percent(anze_core::field::Ratio::from_basis_points(bp)),
                    None => text(""),
                },
                Cell::Int(i64::try_from(r.open_flags).unwrap_or(i64::MAX)),
            ]
        })
        .collect();
    let file = write_rows("各机构标记率", RATE_COLUMNS.to_vec(), rows).await?;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("integrity-rates-{stamp}.xlsx"),
        &format!("各机构标记率-{stamp}.xlsx"),
    ))
}

/// 满意度: `GET /satisfaction/export.xlsx`, each agency's score over the page's period.
pub async fn satisfaction(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<anze_core::satisfaction::SatisfactionFilter>,
) -> PageResult<Response> {
    let scores =
        anze_core::satisfaction::service::scores(state.store(), &ctx.actor, &filter, ctx.now)
            .await?;
    let q = filter.query(today(ctx.now))?;
    let period = format!("{} 至 {}", q.from, q.to);
    let mut columns: Vec<(&str, f64)> = vec![
        ("服务机构", 30.0),
        ("统计期间", 24.0),
        ("评价数", 10.0),
        ("总体平均分", 12.0),
        ("不满意(1–2 分)", 14.0),
    ];
    columns.extend(ServiceItem::ALL.iter().map(|i| (i.label(), 14.0)));
    let rows = scores
        .iter()
        .map(|s| {
            let mut row = vec![
                text(&s.agency_name),
                text(&period),
                Cell::Int(i64::try_from(s.ratings).unwrap_or(i64::MAX)),
                text(s.average_label()),
                Cell::Int(i64::try_from(s.unsatisfied).unwrap_or(i64::MAX)),
            ];
            row.extend(ServiceItem::ALL.iter().map(|i| text(s.item_average(i))));
            row
        })
        .collect();
    let file = write_rows("服务机构满意度", columns, rows).await?;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("satisfaction-{stamp}.xlsx"),
        &format!("服务机构满意度-{stamp}.xlsx"),
    ))
}

const COMPLAINT_COLUMNS: &[(&str, f64)] = &[
    ("投诉编号", 20.0),
    ("投诉时间", 20.0),
    ("投诉类别", 12.0),
    ("投保企业", 30.0),
    ("服务机构", 26.0),
    ("保险机构", 26.0),
    ("订单号", 20.0),
    ("登记方式", 16.0),
    ("投诉人", 12.0),
    ("联系电话", 16.0),
    ("投诉内容", 40.0),
    ("状态", 10.0),
    ("受理期限", 12.0),
    ("受理时间", 20.0),
    ("受理时效", 20.0),
    ("办结期限", 12.0),
    ("办结时间", 20.0),
    ("办结时效", 20.0),
    ("处理结果", 40.0),
];

fn complaint_row(row: &Listed) -> Vec<Cell> {
    let (c, k) = (&row.complaint, &row.clocks);
    let at =
        |t: Option<chrono::DateTime<chrono::Utc>>| text(t.map(format_datetime).unwrap_or_default());
    vec![
        text(&c.complaint_no),
        text(format_datetime(c.filed_at)),
        text(c.category.label()),
        text(&c.enterprise_name),
        text(&c.agency_name),
        text(&c.insurer_name),
        text(&c.order_no),
        text(c.filer.label()),
        text(&c.complainant),
        text(c.phone.clone().unwrap_or_default()),
        text(&c.description),
        text(c.state.label()),
        Cell::Date(k.reply.due),
        at(c.accepted_at),
        text(k.reply.status.label()),
        Cell::Date(k.settle.due),
        at(c.settled_at),
        text(k.settle.status.label()),
        text(c.outcome.clone().unwrap_or_default()),
    ]
}

/// 投诉台账: `GET /complaints/export.xlsx` with the list's query parameters.
pub async fn complaints(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<ComplaintFilter>,
) -> PageResult<Response> {
    let store = state.store();
    let (actor, filter, now) = (&ctx.actor, &filter, ctx.now);
    let file = write_pages(
        state.config.export_batch_rows,
        "投诉台账",
        COMPLAINT_COLUMNS.to_vec(),
        |page| async move {
            Ok(complaint::service::list(store, actor, filter, page, now)
                .await?
                .page)
        },
        Some(|r: &Listed| Keyset::Id(r.complaint.id.0)),
        complaint_row,
    )
    .await?;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("complaints-{stamp}.xlsx"),
        &format!("投诉台账-{stamp}.xlsx"),
    ))
}
