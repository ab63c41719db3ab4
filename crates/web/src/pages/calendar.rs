//! 工作日历: the platform admin keeps each year's public holidays (休) and swapped working days
//! (班), by which complaint deadlines are counted.

use anze_core::calendar::service::{YearView, can_edit, year_of};
use anze_core::calendar::{self, CalendarForm, DayKind};
use anze_core::ids::CalendarDayId;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, QueryData};
use crate::view::{Flash, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/calendar";

#[derive(Template)]
#[template(path = "calendar/page.html")]
struct CalendarPage {
    shell: Shell,
    view: YearView,
    can_edit: bool,
    kinds: [DayKind; 2],
    form: CalendarForm,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    year: String,
}

async fn page_of(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    form: CalendarForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let view = calendar::service::year(state.store(), &ctx.actor, year).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &CalendarPage {
            shell: ctx.shell(ACTIVE),
            can_edit: can_edit(&ctx.actor),
            kinds: DayKind::ALL,
            view,
            form,
            errors,
        },
        status,
    )
}

/// `GET /calendar?year=2027`
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(q): QueryData<YearQuery>,
) -> PageResult<Response> {
    let year = year_of(Some(&q.year), ctx.now);
    page_of(
        &state,
        &ctx,
        year,
        CalendarForm::default(),
        FieldErrors::new(),
    )
    .await
}

/// 新增条目
pub async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<CalendarForm>,
) -> PageResult<Response> {
    // The page of the entry's year, or this year's when the date is not one.
    let year = anze_core::time::parse_date(&form.on)
        .map(|d| d.year().to_string())
        .ok();
    let year = year_of(year.as_deref(), ctx.now);
    match calendar::service::add(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(
            &format!("{ACTIVE}?year={year}"),
            Flash::Created,
        )),
        Err(CoreError::Validation(errors)) => page_of(&state, &ctx, year, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    confirmed: String,
}

/// 删除条目 asks first: the dialog sets `confirmed=1`; without JavaScript a confirmation page asks.
pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<DeleteForm>,
) -> PageResult<Response> {
    let id: CalendarDayId = parse_id(&id)?;
    if form.confirmed != "1" {
        let day = calendar::service::get_for_delete(state.store(), &ctx.actor, id).await?;
        return render(&super::accounts::ConfirmPage {
            shell: ctx.shell(ACTIVE),
            title: "删除工作日历条目".into(),
            message: format!(
                "确定删除 {}({}){}“{}”吗?删除后相关投诉的期限将重新计算。",
                day.on,
                day.weekday_label(),
                day.name,
                day.kind.long_label()
            ),
            action: format!("{ACTIVE}/{id}/delete"),
            back: ACTIVE.into(),
        });
    }
    let day = calendar::service::delete(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(
        &format!("{ACTIVE}?year={}", day.on.year()),
        Flash::Deleted,
    ))
}
