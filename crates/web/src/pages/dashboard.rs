//! 看板: each party's dashboard over a period, its Excel export, and the platform's 立即更新.

use anze_core::dashboard::service::{self as board, Board, BoardKind};
use anze_core::dashboard::{
    BoardFilter, CoverageRow, FactRow, PeriodFilter, Ranking, ServiceFacts, TrendPoint,
    month_label, per_mille,
};
use anze_core::order::OrderState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::chart::{self, Series};
use crate::error::{PageError, PageResult};
use crate::extract::{Ctx, FormData, QueryData};
use crate::view::{Flash, Shell, redirect_with, render};
use crate::xlsx::{self, Cell, SheetWriter};

pub const PATH: &str = "/dashboard";

#[derive(Template)]
#[template(path = "dashboard/board.html")]
struct BoardPage {
    shell: Shell,
    params: BoardFilter,
    board: Board,
    rankings: [Ranking; 4],
    states: [OrderState; 5],
    can_refresh: bool,
    trend_svg: String,
    /// `period=…&from=…&to=…&rank=…&region=…` of the board shown.
    period_query: String,
    /// Date bounds of the period for the lists' filters.
    first_day: String,
    last_day: String,
}

impl BoardPage {
    fn coverage_bar(&self, row: &CoverageRow) -> String {
        chart::bar(row.coverage.bar(), "#16a34a")
    }

    fn delivery_bar(&self, f: &ServiceFacts) -> String {
        chart::bar(per_mille(f.items_delivered, f.items_planned), "#2563eb")
    }

    /// The period's query string alone, for links that choose another region.
    fn period_only(&self) -> String {
        self.params.period.query_string()
    }

    fn refreshed(&self) -> String {
        self.board
            .refreshed_at
            .map(crate::view::dt)
            .unwrap_or_else(|| "尚未统计".to_string())
    }
}

fn trend_svg(kind: &BoardKind) -> String {
    let trend: &[TrendPoint] = match kind {
        BoardKind::Oversight(b) => &b.trend,
        BoardKind::Insurer(b) => &b.trend,
        BoardKind::Agency(b) => &b.trend,
    };
    if trend.is_empty() {
        return String::new();
    }
    let labels: Vec<String> = trend
        .iter()
        .map(|p| month_label(p.month)[2..].to_string())
        .collect();
    let series = |label, color, f: fn(&ServiceFacts) -> u64| Series {
        label,
        color,
        values: trend.iter().map(|p| f(&p.facts)).collect(),
    };
    chart::trend(
        "近 12 个月隐患趋势",
        &labels,
        &[
            series("发现隐患", "#2563eb", |f| f.hazards_found),
            series("已销号", "#16a34a", |f| f.hazards_closed),
            series("逾期未整改", "#dc2626", |f| f.hazards_overdue),
            series("重大隐患", "#d97706", |f| f.hazards_major),
        ],
    )
}

/// 看板
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(params): QueryData<BoardFilter>,
) -> PageResult<Response> {
    let board = board::board(state.store(), &ctx.actor, &params, ctx.now).await?;
    render(&BoardPage {
        trend_svg: trend_svg(&board.kind),
        period_query: params.query_string(),
        first_day: board.period.first.to_string(),
        last_day: board.period.last_day().to_string(),
        can_refresh: board::may_refresh(&ctx.actor),
        shell: ctx.shell(PATH),
        rankings: Ranking::ALL,
        states: OrderState::ALL,
        board,
        params,
    })
}

/// 立即更新: the platform recounts the months the page shows.
pub async fn refresh(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(params): FormData<PeriodFilter>,
) -> PageResult<Response> {
    board::refresh_period(state.store(), &ctx.actor, &params, ctx.now).await?;
    Ok(redirect_with(
        &format!("{PATH}?{}", params.query_string()),
        Flash::Saved,
    ))
}

fn int(n: u64) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

const FACT_COLUMNS: &[(&str, f64)] = &[
    ("指派订单", 10.0),
    ("待受理", 10.0),
    ("已受理", 10.0),
    ("已拒绝", 10.0),
    ("已撤销", 10.0),
    ("已完成", 10.0),
    ("计划服务项", 12.0),
    ("已交付", 10.0),
    ("交付率", 10.0),
    ("服务记录", 10.0),
    ("企业确认", 10.0),
    ("确认率", 10.0),
    ("企业异议", 10.0),
    ("待答复异议", 12.0),
    ("发现隐患", 10.0),
    ("重大隐患", 10.0),
    ("逾期未整改", 12.0),
    ("已销号", 10.0),
    ("事故预防费用(元)", 18.0),
    ("评价数", 10.0),
    ("满意度", 10.0),
    ("投诉", 10.0),
    ("可疑标记", 10.0),
];

fn fact_cells(f: &ServiceFacts) -> Vec<Cell> {
    let mut row = vec![int(f.orders_total())];
    row.extend(f.orders.iter().map(|n| int(*n)));
    row.extend([
        int(f.items_planned),
        int(f.items_delivered),
        text(f.delivery_rate()),
        int(f.records),
        int(f.records_confirmed),
        text(f.confirmed_share()),
        int(f.records_objected),
        int(f.objections_open),
        int(f.hazards_found),
        int(f.hazards_major),
        int(f.hazards_overdue),
        int(f.hazards_closed),
        Cell::Money(anze_core::field::Money::from_cents(f.prevention_fee)),
        int(f.ratings),
        text(f.average_rating()),
        int(f.complaints),
        int(f.flags),
    ]);
    row
}

fn fact_sheet(
    out: &mut SheetWriter,
    name: &str,
    key_title: &'static str,
    rows: &[FactRow],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut columns = vec![(key_title, 30.0)];
    columns.extend_from_slice(FACT_COLUMNS);
    out.add_sheet(name, &columns)?;
    for r in rows {
        let mut row = vec![text(&r.name)];
        row.extend(fact_cells(&r.facts));
        out.write_row(&row)?;
    }
    Ok(())
}

/// Every table of the dashboard, one sheet each, for the same period.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(params): QueryData<BoardFilter>,
) -> PageResult<Response> {
    let b = board::board(state.store(), &ctx.actor, &params, ctx.now).await?;
    let period = b.period.label();
    let file = tokio::task::spawn_blocking(move || -> Result<_, rust_xlsxwriter::XlsxError> {
        let mut out = SheetWriter::new("说明", &[("项目", 16.0), ("内容", 40.0)])?;
        out.write_row(&[text("统计期间"), text(period)])?;
        if let Some(r) = &b.region {
            out.write_row(&[text("区划"), text(&r.name)])?;
        }
        out.write_row(&[
            text("数据统计于"),
            text(
                b.refreshed_at
                    .map(crate::view::dt)
                    .unwrap_or_else(|| "尚未统计".into()),
            ),
        ])?;
        let trend_rows = |trend: &[TrendPoint]| -> Vec<FactRow> {
            trend
                .iter()
                .map(|p| FactRow {
                    key: month_label(p.month),
                    name: month_label(p.month),
                    facts: p.facts,
                })
                .collect()
        };
        match &b.kind {
            BoardKind::Oversight(o) => {
                for (name, rows) in [
                    ("投保覆盖-按区划", &o.coverage_by_region),
                    ("投保覆盖-按行业", &o.coverage_by_industry),
                ] {
                    out.add_sheet(
                        name,
                        &[
                            ("名称", 24.0),
                            ("投保企业", 12.0),
                            ("在保保单", 12.0),
                            ("已受理服务", 12.0),
                            ("覆盖率", 10.0),
                        ],
                    )?;
                    for r in rows {
                        out.write_row(&[
                            text(&r.name),
                            int(r.coverage.enterprises),
                            int(r.coverage.policies),
                            int(r.coverage.covered),
                            text(r.coverage.rate()),
                        ])?;
                    }
                }
                fact_sheet(&mut out, "按区划", "区划", &o.regions)?;
                fact_sheet(&mut out, "服务机构排名", "服务机构", &o.agencies)?;
                fact_sheet(&mut out, "近12个月", "月份", &trend_rows(&o.trend))?;
            }
            BoardKind::Insurer(i) => {
                fact_sheet(&mut out, "按服务机构", "服务机构", &i.agencies)?;
                fact_sheet(&mut out, "近12个月", "月份", &trend_rows(&i.trend))?;
            }
            BoardKind::Agency(a) => {
                out.add_sheet(
                    "人员工作量",
                    &[
                        ("人员", 16.0),
                        ("负责中订单", 12.0),
                        ("参与服务记录", 14.0),
                        ("录入隐患", 12.0),
                    ],
                )?;
                for s in &a.staff {
                    out.write_row(&[
                        text(&s.name),
                        int(s.open_orders),
                        int(s.facts.records),
                        int(s.facts.hazards),
                    ])?;
                }
                out.add_sheet(
                    "临近到期订单",
                    &[
                        ("订单号", 20.0),
                        ("投保企业", 30.0),
                        ("服务截止", 12.0),
                        ("计划服务项", 12.0),
                        ("已交付", 10.0),
                        ("未交付", 10.0),
                    ],
                )?;
                for o in &a.ending {
                    out.write_row(&[
                        text(&o.order_no),
                        text(&o.enterprise_name),
                        Cell::Date(o.service_end),
                        int(o.planned),
                        int(o.delivered),
                        int(o.undelivered()),
                    ])?;
                }
                out.add_sheet(
                    "7日内到期隐患",
                    &[
                        ("隐患编号", 20.0),
                        ("投保企业", 30.0),
                        ("级别", 10.0),
                        ("状态", 10.0),
                        ("整改期限", 12.0),
                    ],
                )?;
                for h in &a.due {
                    out.write_row(&[
                        text(&h.hazard_no),
                        text(&h.enterprise_name),
                        text(h.level.label()),
                        text(h.state.label()),
                        Cell::Date(h.deadline),
                    ])?;
                }
                if !a.trend.is_empty() {
                    fact_sheet(&mut out, "近12个月", "月份", &trend_rows(&a.trend))?;
                }
            }
        }
        out.finish()
    })
    .await
    .map_err(|e| PageError::Internal(format!("export task: {e}")))?
    .map_err(|e| PageError::Internal(format!("writing xlsx: {e}")))?;
    let stamp = anze_core::time::today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("dashboard-{stamp}.xlsx"),
        &format!("看板-{stamp}.xlsx"),
    ))
}
