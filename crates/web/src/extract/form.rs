use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::PageError;

/// Shown when a form or query is not UTF-8 (a misconfigured client, or a probe); the
/// urlencoded parser would otherwise save U+FFFD in its place.
pub const NOT_UTF8: &str = "提交的内容不是有效的 UTF-8 文本,请检查后重新提交。";
const BAD_FORM: &str = "提交的表单内容无法识别,请返回上一页刷新后重新填写。";
const BAD_QUERY: &str = "查询条件无法识别,请重新设置查询条件。";
/// A NUL in a search term ends the text early for SQLite's full-text query and is refused by
/// PostgreSQL: no one types it, so it is refused here rather than failing in the database.
pub const HAS_NUL: &str = "查询条件含有不可见的控制字符(NUL),请重新输入。";

/// Whether percent-decoded urlencoded input holds a NUL byte.
pub fn urlencoded_has_nul(input: &[u8]) -> bool {
    input.contains(&0) || percent_encoding::percent_decode(input).any(|b| b == 0)
}

/// Whether every percent-decoded key and value of an urlencoded string is UTF-8. Decoding the
/// whole string at once is the same test: `&` and `=` are ASCII, never inside a UTF-8
/// sequence, so a sequence split by them is invalid either way.
pub fn urlencoded_is_utf8(input: &[u8]) -> bool {
    percent_encoding::percent_decode(input)
        .decode_utf8()
        .is_ok()
}

/// Parses urlencoded input; the parser's own words go to the log, the user gets Chinese.
fn parse_urlencoded<T: DeserializeOwned>(input: &[u8], what: &'static str) -> Result<T, PageError> {
    if !urlencoded_is_utf8(input) {
        tracing::info!("{what} is not UTF-8");
        return Err(PageError::BadRequest(NOT_UTF8.into()));
    }
    if what == "query" && urlencoded_has_nul(input) {
        tracing::info!("query holds a NUL");
        return Err(PageError::BadRequest(HAS_NUL.into()));
    }
    serde_html_form::from_bytes(input).map_err(|e| {
        tracing::info!(error = %e, "{what} not understood");
        PageError::BadRequest(if what == "query" { BAD_QUERY } else { BAD_FORM }.into())
    })
}

/// An urlencoded form (repeated keys allowed, for multi-selects). Every form struct has
/// defaulted text fields, so only a malformed body can fail here, and that is a clear 400.
pub struct FormData<T>(pub T);

impl<S, T> FromRequest<S> for FormData<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            tracing::info!(content_type = ?req.headers().get(header::CONTENT_TYPE), "not a form");
            return Err(PageError::BadRequest(BAD_FORM.into()));
        }
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                PageError::TooLarge
            } else {
                tracing::info!(error = %e, "form body unreadable");
                PageError::BadRequest(BAD_FORM.into())
            }
        })?;
        parse_urlencoded(&body, "form body").map(FormData)
    }
}

/// Query-string filters, parsed like forms.
pub struct QueryData<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryData<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        parse_urlencoded(query.as_bytes(), "query").map(QueryData)
    }
}

/// `page` and `size` of a list, read leniently.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PageParams {
    pub page: String,
    pub size: String,
}

impl PageParams {
    pub fn request(&self) -> anze_core::page::PageRequest {
        anze_core::page::PageRequest::from_query(Some(&self.page), Some(&self.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_input_must_decode_to_utf8() {
        assert!(urlencoded_is_utf8(b"name=%E5%BC%A0%E4%B8%89&x=a+b"));
        assert!(urlencoded_is_utf8("name=张三&bad=%zz".as_bytes()));
        assert!(!urlencoded_is_utf8(b"name=%FF%FEabc"));
        assert!(!urlencoded_is_utf8(b"name=%E5%BC&x=%A0"));
        assert!(!urlencoded_is_utf8(b"name=\xC0\x80"));
    }

    #[test]
    fn a_nul_in_a_query_is_found_encoded_or_not() {
        assert!(urlencoded_has_nul(b"enterprise=a%00b"));
        assert!(urlencoded_has_nul(b"q=a\0b"));
        assert!(!urlencoded_has_nul(b"q=%E9%94%85%E7%82%89&x=100%25"));
    }
}
