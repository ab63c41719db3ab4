use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::PageError;

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
        match axum_extra::extract::Form::<T>::from_request(req, state).await {
            Ok(axum_extra::extract::Form(v)) => Ok(FormData(v)),
            Err(e) => Err(PageError::BadRequest(format!("表单数据无法解析:{e}"))),
        }
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
        serde_html_form::from_str(query)
            .map(QueryData)
            .map_err(|e| PageError::BadRequest(format!("查询条件无法解析:{e}")))
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
