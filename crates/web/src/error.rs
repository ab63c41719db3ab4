//! Every failure a page can meet, mapped once to a status and a Chinese page with the request id.

use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::extract::context::current_request_id;

#[derive(Debug)]
pub enum PageError {
    LoginRequired {
        next: String,
    },
    NotFound,
    Forbidden,
    /// 403 with the reason core gave.
    Refused(String),
    Conflict(String),
    BadRequest(String),
    /// Reached only when a handler has no form to re-render the errors on.
    Validation(FieldErrors),
    /// CSRF token missing or not matching the session: the form is stale or forged.
    StaleForm,
    /// A state-changing request sent by a page of another site.
    CrossSite,
    TooLarge,
    /// An uploaded file passed its size limit; the message names it.
    PayloadTooLarge(String),
    /// No CJK font on the server, so no PDF: the page points to the document's print version.
    PdfUnavailable {
        print_page: String,
    },
    Internal(String),
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound => PageError::NotFound,
            CoreError::Forbidden => PageError::Forbidden,
            CoreError::Refused(m) => PageError::Refused(m),
            CoreError::Conflict(m) => PageError::Conflict(m),
            CoreError::Duplicate => PageError::Conflict("记录已存在,请勿重复提交".into()),
            CoreError::Validation(errors) => PageError::Validation(errors),
            CoreError::Internal(m) => PageError::Internal(m),
        }
    }
}

#[derive(Template)]
#[template(path = "error/page.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    request_id: String,
    /// A page that serves the user instead, and what the button says.
    instead: Option<(String, &'a str)>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut instead = None;
        let (status, title, message) = match self {
            PageError::LoginRequired { next } => {
                // Percent-encoded, so whatever the request URI held stays a valid header.
                let target = match anze_core::auth::login::safe_next(&next) {
                    "/" => "/login".to_string(),
                    next => format!(
                        "/login?next={}",
                        serde_html_form::to_string([("n", next)])
                            .map(|s| s.trim_start_matches("n=").to_string())
                            .unwrap_or_default()
                    ),
                };
                return Redirect::to(&target).into_response();
            }
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "页面不存在",
                "您访问的页面或记录不存在,或不在您的权限范围内。".to_string(),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "无权访问",
                "您的账号没有执行此操作的权限,如需开通请联系本机构管理员。".to_string(),
            ),
            PageError::Refused(m) => (StatusCode::FORBIDDEN, "无权操作", m),
            PageError::Conflict(m) => (StatusCode::CONFLICT, "操作未完成", m),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "请求有误", m),
            PageError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "提交的内容有误",
                errors
                    .0
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            PageError::StaleForm => (
                StatusCode::FORBIDDEN,
                "页面已过期",
                "表单已过期或来源不明,请返回上一页刷新后重新提交。".to_string(),
            ),
            PageError::CrossSite => (
                StatusCode::FORBIDDEN,
                "请求来源不明",
                "该请求并非从本系统的页面发出,已被拒绝。请在本系统中打开页面后重新操作。"
                    .to_string(),
            ),
            PageError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "提交内容过大",
                "提交的内容超过了允许的大小。".to_string(),
            ),
            PageError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "文件过大", m),
            PageError::PdfUnavailable { print_page } => {
                instead = Some((print_page, "打开打印版本"));
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "暂不能生成 PDF",
                    "服务器未安装中文字体,暂时无法生成 PDF 文件。请打开打印版本,使用浏览器的“打印”\
                     (可选择“另存为 PDF”);如需服务器生成 PDF,请联系管理员安装中文字体\
                     (fonts-wqy-microhei 或 fonts-noto-cjk)或配置 pdf_font。"
                        .to_string(),
                )
            }
            PageError::Internal(cause) => {
                tracing::error!(request_id = %current_request_id(), %cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "系统繁忙",
                    "服务器处理请求时出错,请稍后重试。如问题持续,请将下方请求编号告知管理员。"
                        .to_string(),
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message,
            request_id: current_request_id(),
            instead,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("{} {}", status.as_u16(), title));
        let mut res = (status, Html(body)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

pub type PageResult<T> = Result<T, PageError>;
