//! 检查表: the checklist library (list, 新建, 编辑, Excel 导入 and 导出, 启用/停用, 删除), the
//! 不符合项统计, and an inspection's checks (使用检查表, marking 符合 / 不符合 / 不涉及).

use anze_core::checklist::{
    self, Check, CheckCounts, Checklist, ChecklistFilter, ChecklistForm, ChecklistItem, Column,
    FailFilter, FailRow, MAX_ITEMS, Outcome,
};
use anze_core::hazard::CATEGORIES;
use anze_core::ids::{ChecklistId, RecordId};
use anze_core::industry::Industry;
use anze_core::order::ServiceOrder;
use anze_core::page::Page;
use anze_core::record::ServiceRecord;
use anze_core::sheet::RowError;
use anze_core::time::today;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::accounts::ConfirmPage;
use super::exports::write_rows;
use super::orgs::parse_id;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};
use crate::xlsx::{self, Cell};

const ACTIVE: &str = "/checklists";
/// A table of more rows than this helps nobody; the count says how many there are.
const MAX_SHOWN_ERRORS: usize = 500;

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

#[derive(Template)]
#[template(path = "checklist/list.html")]
struct ListPage {
    shell: Shell,
    filter: ChecklistFilter,
    page: Page<Checklist>,
    pager: Pager,
    sectors: Vec<Industry>,
    can_create: bool,
    /// The actor keeps the shared library (its 来源 filter reads 平台 only).
    platform: bool,
}

/// 检查表列表
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<ChecklistFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = checklist::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    let sectors = checklist::service::sectors(state.store(), &ctx.actor).await?;
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        shell: ctx.shell(ACTIVE),
        can_create: checklist::service::can_create(&ctx.actor),
        platform: ctx.actor.is_platform(),
        sectors,
        filter,
        page,
    })
}

#[derive(Template)]
#[template(path = "checklist/form.html")]
struct FormPage {
    shell: Shell,
    /// `None`: 新建.
    checklist: Option<Checklist>,
    form: ChecklistForm,
    errors: FieldErrors,
    sectors: Vec<(String, String)>,
    action: String,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    checklist: Option<Checklist>,
    form: ChecklistForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let sectors = checklist::service::sectors(state.store(), &ctx.actor)
        .await?
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect();
    let action = match &checklist {
        Some(c) => format!("/checklists/{}", c.id),
        None => "/checklists".into(),
    };
    let status = status_of(&errors);
    render_status(
        &FormPage {
            shell: ctx.shell(ACTIVE),
            checklist,
            form,
            sectors,
            action,
            errors,
        },
        status,
    )
}

/// 新建检查表
pub async fn new(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    if !checklist::service::can_create(&ctx.actor) {
        return Err(PageError::Forbidden);
    }
    form_page(
        &state,
        &ctx,
        None,
        ChecklistForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<ChecklistForm>,
) -> PageResult<Response> {
    match checklist::service::create(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(id) => Ok(redirect_with(&format!("/checklists/{id}"), Flash::Created)),
        Err(CoreError::Validation(errors)) => form_page(&state, &ctx, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// 编辑检查表信息
pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: ChecklistId = parse_id(&id)?;
    let c = checklist::service::authorize_manage(state.store(), &ctx.actor, id).await?;
    let form = ChecklistForm::from_checklist(&c);
    form_page(&state, &ctx, Some(c), form, FieldErrors::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<ChecklistForm>,
) -> PageResult<Response> {
    let id: ChecklistId = parse_id(&id)?;
    match checklist::service::update(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(()) => Ok(redirect_with(&format!("/checklists/{id}"), Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            let c = checklist::service::authorize_manage(state.store(), &ctx.actor, id).await?;
            form_page(&state, &ctx, Some(c), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "checklist/show.html")]
struct ShowPage {
    shell: Shell,
    checklist: Checklist,
    sections: Vec<(String, Vec<ChecklistItem>)>,
    can_manage: bool,
    uses: u64,
    /// Why the last import could not be read at all.
    problem: Option<&'static str>,
    errors: Vec<RowError>,
    total: u64,
}

fn sections_of(items: &[ChecklistItem]) -> Vec<(String, Vec<ChecklistItem>)> {
    checklist::by_section(items, |i| i.section.as_str())
        .into_iter()
        .map(|(name, items)| (name, items.into_iter().cloned().collect()))
        .collect()
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: ChecklistId,
    status: StatusCode,
    problem: Option<&'static str>,
    mut errors: Vec<RowError>,
) -> PageResult<Response> {
    let (c, items) = checklist::service::get(state.store(), &ctx.actor, id).await?;
    let uses = checklist::service::uses(state.store(), &ctx.actor, &c).await?;
    let total = errors.len() as u64;
    errors.truncate(MAX_SHOWN_ERRORS);
    render_status(
        &ShowPage {
            shell: ctx.shell(ACTIVE),
            can_manage: checklist::service::can_manage(&ctx.actor, &c),
            sections: sections_of(&items),
            checklist: c,
            uses,
            problem,
            errors,
            total,
        },
        status,
    )
}

/// 检查表详情: its items by section.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: ChecklistId = parse_id(&id)?;
    show_page(&state, &ctx, id, StatusCode::OK, None, Vec::new()).await
}

/// 导入检查项 (Excel): replaces the items, all or nothing.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult<Response> {
    let id: ChecklistId = parse_id(&id)?;
    // Before the body is read: a caller who may not change the checklist uploads nothing.
    checklist::service::authorize_manage(state.store(), &ctx.actor, id).await?;
    // Header plus one row past the limit, so the core can say the file is too long.
    let rows = match xlsx::read_import(multipart, MAX_ITEMS + 2).await {
        Ok(rows) => rows,
        Err((status, message)) => {
            return show_page(&state, &ctx, id, status, Some(message), Vec::new()).await;
        }
    };
    match checklist::service::import_items(state.store(), &ctx.actor, id, &rows, ctx.now).await? {
        Ok(_) => Ok(redirect_with(&format!("/checklists/{id}"), Flash::Imported)),
        Err(errors) => {
            show_page(
                &state,
                &ctx,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
            )
            .await
        }
    }
}

const ITEM_COLUMNS: [(&str, f64); 5] = [
    ("分组", 16.0),
    ("检查内容", 60.0),
    ("检查依据", 50.0),
    ("隐患等级", 10.0),
    ("隐患类别", 12.0),
];

/// 导出: the items in the import's own columns, so an export edited in Excel imports again.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: ChecklistId = parse_id(&id)?;
    let (c, items) = checklist::service::get(state.store(), &ctx.actor, id).await?;
    debug_assert_eq!(ITEM_COLUMNS.len(), Column::ALL.len());
    let rows = items
        .iter()
        .map(|i| {
            vec![
                Cell::Text(i.section.clone()),
                Cell::Text(i.content.clone()),
                Cell::Text(i.basis.clone()),
                Cell::Text(i.level.label().into()),
                Cell::Text(i.category_label().into()),
            ]
        })
        .collect();
    let file = write_rows("检查项", ITEM_COLUMNS.to_vec(), rows).await?;
    Ok(xlsx::download_file(
        file,
        &format!("checklist-{id}.xlsx"),
        &format!("{}.xlsx", c.name),
    ))
}

/// 下载导入模板
pub async fn template(ctx: Ctx) -> PageResult<Response> {
    if !checklist::service::can_create(&ctx.actor) {
        return Err(PageError::Forbidden);
    }
    let columns: Vec<(&str, &str, &str)> = Column::ALL
        .iter()
        .map(|c| (c.header(), c.sample(), c.hint()))
        .collect();
    let levels: Vec<String> = anze_core::hazard::HazardLevel::ALL
        .iter()
        .map(|l| l.label().to_string())
        .collect();
    let categories: Vec<String> = CATEGORIES.iter().map(|(_, l)| l.to_string()).collect();
    let notes = [
        "第一个工作表的第一行为列名,从第二行起每行一个检查项;请删除示例行后再填写。",
        "导入会替换该检查表现有的全部检查项;已使用该检查表的排查记录保留当时的检查项,不受影响。",
        "一张检查表最多 500 个检查项;任何一行有误时整个文件都不会导入,请按提示修改后重新上传。",
    ];
    let bytes = xlsx::import_template(&xlsx::TemplateSpec {
        sheet: "检查项",
        columns: &columns,
        notes: &notes,
        lists: &[("隐患等级", &levels), ("隐患类别", &categories)],
        rows: MAX_ITEMS as u32,
    })
    .map_err(|e| PageError::Internal(format!("checklist template: {e}")))?;
    Ok(xlsx::download_bytes(
        bytes,
        "checklist-template.xlsx",
        "检查表导入模板.xlsx",
    ))
}

/// The 启用 / 停用 form: the state asked for (a second click asks for the same state again,
/// never flips it back), and the deletions' confirmation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StateForm {
    /// "1" 启用, "0" 停用
    pub active: String,
    /// "1" once the user confirmed a deletion.
    pub confirmed: String,
}

/// 启用 / 停用
pub async fn toggle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<StateForm>,
) -> PageResult<Response> {
    let id: ChecklistId = parse_id(&id)?;
    checklist::service::authorize_manage(state.store(), &ctx.actor, id).await?;
    let active = match form.active.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(PageError::BadRequest("请选择启用或停用".into())),
    };
    checklist::service::set_active(state.store(), &ctx.actor, id, active, ctx.now).await?;
    Ok(redirect_with(
        &format!("/checklists/{id}"),
        if active {
            Flash::Enabled
        } else {
            Flash::Disabled
        },
    ))
}

/// 删除 (only one no inspection used) asks first: the dialog sets `confirmed=1`; without
/// JavaScript a confirmation page asks.
pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<StateForm>,
) -> PageResult<Response> {
    let id: ChecklistId = parse_id(&id)?;
    if form.confirmed != "1" {
        let c = checklist::service::authorize_manage(state.store(), &ctx.actor, id).await?;
        return render(&ConfirmPage {
            shell: ctx.shell(ACTIVE),
            title: "删除检查表".into(),
            message: format!(
                "确定删除检查表“{}”及其 {} 个检查项吗?删除后不能恢复。",
                c.name, c.item_count
            ),
            action: format!("/checklists/{id}/delete"),
            back: format!("/checklists/{id}"),
        });
    }
    checklist::service::delete(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(ACTIVE, Flash::Deleted))
}

#[derive(Template)]
#[template(path = "checklist/stats.html")]
struct StatsPage {
    shell: Shell,
    filter: FailFilter,
    rows: Vec<FailRow>,
    sectors: Vec<Industry>,
    checklists: Vec<Checklist>,
    export_query: String,
    limit: u64,
    platform: bool,
}

/// The checklists offered in the statistics' filter: every one the actor sees.
async fn stats_choices(state: &AppState, ctx: &Ctx) -> PageResult<(Vec<Industry>, Vec<Checklist>)> {
    let sectors = checklist::service::sectors(state.store(), &ctx.actor).await?;
    let checklists = checklist::service::list(
        state.store(),
        &ctx.actor,
        &ChecklistFilter::default(),
        anze_core::page::PageRequest::first(200),
    )
    .await?
    .items;
    Ok((sectors, checklists))
}

/// 不符合项统计: which items fail most often, per industry.
pub async fn stats(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<FailFilter>,
) -> PageResult<Response> {
    let rows = checklist::service::fail_stats(state.store(), &ctx.actor, &filter).await?;
    let (sectors, checklists) = stats_choices(&state, &ctx).await?;
    render(&StatsPage {
        shell: ctx.shell(ACTIVE),
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        limit: checklist::FAIL_ROWS,
        platform: ctx.actor.is_platform(),
        filter,
        rows,
        sectors,
        checklists,
    })
}

const STATS_COLUMNS: [(&str, f64); 8] = [
    ("行业", 14.0),
    ("检查表", 24.0),
    ("分组", 14.0),
    ("检查内容", 60.0),
    ("检查依据", 40.0),
    ("检查次数", 10.0),
    ("不符合次数", 10.0),
    ("不符合率", 10.0),
];

/// 导出 of the statistics.
pub async fn stats_export(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<FailFilter>,
) -> PageResult<Response> {
    let rows = checklist::service::fail_stats(state.store(), &ctx.actor, &filter).await?;
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.sector_name.clone()),
                Cell::Text(r.checklist_name.clone()),
                Cell::Text(r.section.clone()),
                Cell::Text(r.content.clone()),
                Cell::Text(r.basis.clone()),
                Cell::Int(r.checked as i64),
                Cell::Int(r.failed as i64),
                Cell::Text(r.rate()),
            ]
        })
        .collect();
    let file = write_rows("不符合项统计", STATS_COLUMNS.to_vec(), rows).await?;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(xlsx::download_file(
        file,
        &format!("checklist-failures-{stamp}.xlsx"),
        &format!("不符合项统计-{stamp}.xlsx"),
    ))
}

#[derive(Template)]
#[template(path = "checklist/inspection.html")]
struct InspectionPage {
    shell: Shell,
    record: ServiceRecord,
    order: ServiceOrder,
    /// The checks by checklist, each by section.
    lists: Vec<TakenList>,
    counts: CheckCounts,
    can_mark: bool,
    can_add_hazard: bool,
    available: Vec<Checklist>,
    outcomes: [Outcome; 3],
    errors: FieldErrors,
    /// The values submitted, shown again after a validation error.
    submitted: Vec<(String, String)>,
}

impl InspectionPage {
    /// The result shown for a check: the one just submitted, or the saved one.
    fn outcome_of(&self, check: &Check) -> String {
        let field = check.outcome_field();
        self.submitted
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| {
                check
                    .outcome
                    .map(|o| o.code().to_string())
                    .unwrap_or_default()
            })
    }

    fn note_of(&self, check: &Check) -> String {
        let field = check.note_field();
        self.submitted
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| check.note.clone())
    }
}

/// A checklist an inspection took: its checks by section.
struct TakenList {
    name: String,
    id: ChecklistId,
    sections: Vec<(String, Vec<Check>)>,
}

impl TakenList {
    fn item_count(&self) -> usize {
        self.sections.iter().map(|(_, items)| items.len()).sum()
    }
}

fn grouped(checks: &[Check]) -> Vec<TakenList> {
    let mut out: Vec<(String, ChecklistId, Vec<Check>)> = Vec::new();
    for c in checks {
        match out.iter_mut().find(|(_, id, _)| *id == c.checklist_id) {
            Some((_, _, list)) => list.push(c.clone()),
            None => out.push((c.checklist_name.clone(), c.checklist_id, vec![c.clone()])),
        }
    }
    out.into_iter()
        .map(|(name, id, list)| TakenList {
            name,
            id,
            sections: checklist::by_section(&list, |c| c.section.as_str())
                .into_iter()
                .map(|(s, items)| (s, items.into_iter().cloned().collect()))
                .collect(),
        })
        .collect()
}

async fn inspection_page(
    state: &AppState,
    ctx: &Ctx,
    id: RecordId,
    errors: FieldErrors,
    submitted: Vec<(String, String)>,
) -> PageResult<Response> {
    let (record, order, inspection) =
        checklist::service::of_inspection(state.store(), &ctx.actor, id).await?;
    render_status(
        &InspectionPage {
            shell: ctx.shell("/services/hazard"),
            lists: grouped(&inspection.checks),
            counts: inspection.counts,
            can_mark: inspection.can_mark,
            can_add_hazard: inspection.can_add_hazard,
            available: inspection.available,
            outcomes: Outcome::ALL,
            record,
            order,
            submitted,
            errors: errors.clone(),
        },
        status_of(&errors),
    )
}

/// 检查表 of an inspection: the items to mark, and the checklists to take.
pub async fn inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    inspection_page(&state, &ctx, id, FieldErrors::new(), Vec::new()).await
}

/// 保存检查结果
pub async fn mark(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    match checklist::service::mark(state.store(), &ctx.actor, id, &pairs, ctx.now).await {
        Ok(_) => Ok(redirect_with(
            &format!("/records/{id}/checks"),
            Flash::Saved,
        )),
        Err(CoreError::Validation(errors)) => {
            inspection_page(&state, &ctx, id, errors, pairs).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TakeForm {
    pub checklist: String,
}

/// 使用检查表
pub async fn take(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<TakeForm>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    match checklist::service::take(state.store(), &ctx.actor, id, &form.checklist, ctx.now).await {
        Ok(()) => Ok(redirect_with(
            &format!("/records/{id}/checks"),
            Flash::Saved,
        )),
        Err(CoreError::Validation(errors)) => {
            inspection_page(&state, &ctx, id, errors, Vec::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 移除检查表 asks first, like 删除.
pub async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, checklist_id)): Path<(String, String)>,
    FormData(form): FormData<StateForm>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    let checklist_id: ChecklistId = parse_id(&checklist_id)?;
    if form.confirmed != "1" {
        let (_, _, inspection) =
            checklist::service::of_inspection(state.store(), &ctx.actor, id).await?;
        if !inspection.can_mark {
            return Err(PageError::Forbidden);
        }
        let name = inspection
            .checks
            .iter()
            .find(|c| c.checklist_id == checklist_id)
            .map(|c| c.checklist_name.clone())
            .ok_or(PageError::NotFound)?;
        return render(&ConfirmPage {
            shell: ctx.shell("/services/hazard"),
            title: "移除检查表".into(),
            message: format!("确定从本次排查中移除检查表“{name}”吗?已填写的检查结果将一并删除。"),
            action: format!("/records/{id}/checklists/{checklist_id}/remove"),
            back: format!("/records/{id}/checks"),
        });
    }
    checklist::service::drop_checklist(state.store(), &ctx.actor, id, checklist_id, ctx.now)
        .await?;
    Ok(redirect_with(
        &format!("/records/{id}/checks"),
        Flash::Deleted,
    ))
}
