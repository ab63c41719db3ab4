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
use crate::xlsx::{self, MAX_UPLOAD_BYTES};

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
    let bytes = xlsx::import_template(&columns, &regions, &industries)
        .map_err(|e| PageError::Internal(format!("import template: {e}")))?;
    Ok(xlsx::download_bytes(
        bytes,
        "policy-import-template.xlsx",
        "保单导入模板.xlsx",
    ))
}

/// Why an upload was refused before its content was looked at.
enum UploadError {
    NoFile,
    TooLarge,
    Broken,
}

impl UploadError {
    fn status(&self) -> StatusCode {
        match self {
            UploadError::NoFile | UploadError::Broken => StatusCode::BAD_REQUEST,
            UploadError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn message(&self) -> &'static str {
        match self {
            UploadError::NoFile => "请选择要导入的 Excel 文件(.xlsx)",
            UploadError::TooLarge => {
                "文件超过 10 MB,未导入任何数据。请删除无关的工作表、图片和空白格式,或拆分为多个文件后分批导入"
            }
            UploadError::Broken => "文件上传未完成,请重新选择文件上传",
        }
    }
}

/// Reads the `file` field, counting every byte of every field against the limit as it arrives,
/// so an oversized upload is refused after 10 MB rather than buffered whole.
async fn read_file_field(multipart: &mut Multipart) -> Result<Vec<u8>, UploadError> {
    let mut file: Option<Vec<u8>> = None;
    let mut total = 0usize;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| UploadError::Broken)?
    {
        let wanted = file.is_none() && field.name() == Some("file");
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| UploadError::Broken)? {
            total += chunk.len();
            if total > MAX_UPLOAD_BYTES {
                return Err(UploadError::TooLarge);
            }
            if wanted {
                buf.extend_from_slice(&chunk);
            }
        }
        if wanted {
            file = Some(buf);
        }
    }
    file.filter(|f| !f.is_empty()).ok_or(UploadError::NoFile)
}

pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult<Response> {
    // Checked before the body is read, so a caller without the permission uploads nothing.
    require(&ctx.actor, Permission::PolicyImport)?;
    let read = match multipart {
        Ok(mut m) => read_file_field(&mut m).await,
        Err(_) => Err(UploadError::NoFile),
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => return import_page(&ctx, e.status(), Some(e.message()), Vec::new()),
    };
    // Header plus one row past the limit, so the core can tell the user the file is too long.
    let max_rows = MAX_IMPORT_ROWS + 2;
    let rows = tokio::task::spawn_blocking(move || xlsx::read_first_sheet(&bytes, max_rows))
        .await
        .map_err(|e| PageError::Internal(format!("reading workbook: {e}")))?;
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            tracing::info!(cause = %e, "import upload is not a readable workbook");
            let status = match e {
                xlsx::ReadError::NotXlsx | xlsx::ReadError::LegacyOrEncrypted => {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return import_page(&ctx, status, Some(e.message()), Vec::new());
        }
    };
    match import::import(state.store(), &ctx.actor, rows, ctx.now).await? {
        Ok(_) => Ok(redirect_with("/policies", Flash::Imported)),
        Err(errors) => import_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, errors),
    }
}
