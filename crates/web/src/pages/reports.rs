//! 服务报告 of an order (AQ 9010 archives it with the policy): a printable page and its PDF.

use anze_core::ids::OrderId;
use anze_core::report::{self, OrderReport};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::documents;
use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::Ctx;
use crate::view::render;

#[derive(Template)]
#[template(path = "report/order.html")]
struct ReportPage {
    r: OrderReport,
    overview: Vec<(String, String)>,
    /// `None` when the reader may not see hazards.
    tally: Option<String>,
    /// Whether the server can make the PDF (a CJK font is installed).
    pdf: bool,
    pdf_href: String,
    /// 五、回访与满意度 and 六、投诉, the cells the PDF shows too.
    ratings: Vec<Vec<String>>,
    complaints: Option<Vec<Vec<String>>>,
}

/// `GET /orders/{id}/report`: the report, printable on A4.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    let r = report::service::order_report(state.store(), &ctx.actor, id, ctx.now).await?;
    render(&ReportPage {
        overview: documents::overview(&r),
        tally: r.hazard_tally().as_ref().map(documents::tally_line),
        pdf: state.pdf.available(),
        pdf_href: format!("/orders/{id}/report.pdf"),
        ratings: documents::rating_rows(&r.ratings),
        complaints: r.complaints.as_deref().map(documents::complaint_rows),
        r,
    })
}

/// `GET /orders/{id}/report.pdf`: the same report as a PDF file.
pub async fn pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    let r = report::service::order_report(state.store(), &ctx.actor, id, ctx.now).await?;
    let press = documents::press(&state, &format!("/orders/{id}/report")).await?;
    let (doc, photos) = documents::report(state.blobs(), &r).await;
    let name = format!("服务报告-{}-{}.pdf", r.order.order_no, r.enterprise.name);
    documents::respond(press, doc, photos, &name).await
}
