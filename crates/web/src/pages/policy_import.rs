//! 导入保单: the Excel import page, its template, and the upload.

use anze_core::auth::{Permission, require};
use anze_core::policy::import::{self, Column, MAX_IMPORT_ROWS, RowError};
use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::Ctx;
use crate::view::{Flash, Shell, redirect_with, render_status};
use crate::xlsx;

const ACTIVE: &str = "/policies";
/// A table of more rows than this helps nobody; the count says how many there are.
const MAX_SHOWN_ERRORS: usize = 1_000;

#[derive(Template)]
#[template(path = "policy/import.html")]
struct ImportPage {
    shell: Shell,
    /// Why the upload could not be read at all.
    problem: Option<&'static str>,
    errors: Vec<RowError>,
    total: u64,
}

fn import_page(
    ctx: &Ctx,
    status: StatusCode,
    problem: Option<&'static str>,
    mut errors: Vec<RowError>,
) -> PageResult<Response> {
    let total = errors.len() as u64;
    errors.truncate(MAX_SHOWN_ERRORS);
    render_status(
        &ImportPage {
            shell: ctx.shell(ACTIVE),
            problem,
            errors,
            total,
        },
        status,
    )
}

pub async fn page(ctx: Ctx) -> PageResult<Response> {
    require(&ctx.actor, Permission::PolicyImport)?;
    import_page(&ctx, StatusCode::OK, None, Vec::new())
}

pub async fn template(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    let reference = import::template_reference(state.store(), &ctx.actor).await?;
    let columns: Vec<(&str, &str, &str)> = Column::ALL
        .iter()
        .map(|c| (c.header(), c.sample(), c.hint()))
        .collect();
    let regions: Vec<String> = reference.regions.into_iter().map(|r| r.name).collect();
    let industries: Vec<String> = reference.industries.into_iter().map(|i| i.label).collect();
    let bytes = xlsx::import_template(&xlsx::TemplateSpec {
        sheet: "保单导入",
        columns: &columns,
        notes: &[
            "第一个工作表的第一行为列名,从第二行起每行一份保单;请删除示例行后再填写。",
            "单个文件最多 10,000 行、10 MB;任何一行有误时整个文件都不会导入,请按提示修改后重新上传。",
            "统一社会信用代码已登记的企业直接使用已登记的信息;新企业按该行的企业信息登记,同一企业多行时只登记一次。",
        ],
        lists: &[("所属区划", &regions), ("行业", &industries)],
        rows: MAX_IMPORT_ROWS as u32,
    })
    .map_err(|e| PageError::Internal(format!("import template: {e}")))?;
    Ok(xlsx::download_bytes(
        bytes,
        "policy-import-template.xlsx",
        "保单导入模板.xlsx",
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult<Response> {
    // Checked before the body is read, so a caller without the permission uploads nothing.
    require(&ctx.actor, Permission::PolicyImport)?;
    // Header plus one row past the limit, so the core can tell the user the file is too long.
    let rows = match xlsx::read_import(multipart, MAX_IMPORT_ROWS + 2).await {
        Ok(rows) => rows,
        Err((status, message)) => return import_page(&ctx, status, Some(message), Vec::new()),
    };
    match import::import(state.store(), &ctx.actor, rows, ctx.now).await? {
        Ok(_) => Ok(redirect_with("/policies", Flash::Imported)),
        Err(errors) => import_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, errors),
    }
}
