//! Files, served only through these routes: the attachment's order decides who may read it,
//! and the content streams from storage with headers that keep browsers from guessing.

use anze_core::attachment::{self, BlobReader};
use anze_core::ids::AttachmentId;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::orgs::parse_id;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::Caller;

/// Thumbnails are a few tens of kilobytes; anything bigger under a thumbnail key is not one.
const MAX_THUMB_BYTES: u64 = 2 * 1024 * 1024;

/// Served files are documents of their own: no script, no plugin but the browser's PDF viewer,
/// framable only by this site's pages (a preview dialog).
const FILE_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; \
                        object-src 'self'; frame-ancestors 'self'";

/// RFC 5987 `attr-char`: everything else in a `filename*` value is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `inline; filename="__.jpg"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA.jpg`: the ASCII fallback for
/// old clients, the exact UTF-8 name (RFC 5987/6266) for every current browser.
pub fn content_disposition(inline: bool, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

fn header_value(s: &str) -> PageResult<HeaderValue> {
    HeaderValue::from_str(s).map_err(|e| PageError::Internal(format!("bad header value: {e}")))
}

/// Whether the browser's cached copy (by ETag) is current, so a 304 saves sending it again.
fn cached(request: &HeaderMap, etag: &str) -> bool {
    request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn file_headers(
    res: &mut Response,
    content_type: &str,
    disposition: &str,
    etag: &str,
) -> PageResult<()> {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, header_value(content_type)?);
    h.insert(header::CONTENT_DISPOSITION, header_value(disposition)?);
    h.insert(header::ETAG, header_value(etag)?);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Revalidate every time (access may have been withdrawn), but let the ETag spare the bytes.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(())
}

fn not_modified(etag: &str) -> PageResult<Response> {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    res.headers_mut().insert(header::ETAG, header_value(etag)?);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

/// The chunks of a stored file as a response body. A storage error mid-stream ends the
/// response abruptly, which the browser reports as a failed download rather than a short file.
fn stream(reader: Box<dyn BlobReader>) -> Body {
    let chunks = futures_util::stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        match reader.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(reader))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "reading a stored file failed mid-stream");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    Body::from_stream(chunks)
}

/// `GET /attachments/{id}`: the file itself.
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: HeaderMap,
) -> PageResult<Response> {
    let id: AttachmentId = parse_id(&id)?;
    let a = attachment::service::download(state.store(), &caller.actor, id).await?;
    serve(&state, &a, &request).await
}

/// An attachment the caller may read, streamed with its safe headers (or 304 by ETag); the
/// pages and the API serve files through this alone.
pub(crate) async fn serve(
    state: &AppState,
    a: &attachment::Attachment,
    request: &HeaderMap,
) -> PageResult<Response> {
    let etag = format!("\"{}\"", a.sha256);
    if cached(request, &etag) {
        return not_modified(&etag);
    }
    let reader = state.blobs().read(&a.storage_key).await.map_err(|e| {
        // The row exists, so a missing blob is damage worth a log line, not the user's error.
        tracing::error!(attachment = %a.id, error = %e, "stored file unreadable");
        PageError::from(e)
    })?;
    let mut res = stream(reader).into_response();
    file_headers(
        &mut res,
        a.kind.mime(),
        &content_disposition(a.kind.shows_inline(), &a.original_name),
        &etag,
    )?;
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(a.size));
    Ok(res)
}

/// `GET /attachments/{id}/thumb`: the JPEG thumbnail of an image; 404 when it has none.
pub async fn thumb(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: HeaderMap,
) -> PageResult<Response> {
    let id: AttachmentId = parse_id(&id)?;
    let a = attachment::service::download(state.store(), &caller.actor, id).await?;
    let Some(key) = a.thumb_key.as_deref() else {
        return Err(PageError::NotFound);
    };
    let etag = format!("\"{}-thumb\"", a.sha256);
    if cached(&request, &etag) {
        return not_modified(&etag);
    }
    let bytes = state
        .blobs()
        .read_to_vec(key, MAX_THUMB_BYTES)
        .await?
        .ok_or(PageError::NotFound)?;
    let stem = a
        .original_name
        .rsplit_once('.')
        .map_or(a.original_name.as_str(), |(s, _)| s);
    let mut res = bytes.into_response();
    file_headers(
        &mut res,
        "image/jpeg",
        &content_disposition(true, &format!("{stem}-缩略图.jpg")),
        &etag,
    )?;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anze_core::attachment::{Attachment, FileKind, OwnerKind, OwnerRef};
    use anze_core::ids::{AccountId, OrderId};
    use askama::Template;

    /// How a record page includes the files partial.
    #[derive(Template)]
    #[template(source = "{% include \"attachment/files.html\" %}", ext = "html")]
    struct Files {
        attachments: Vec<Attachment>,
        viewer_group: &'static str,
    }

    fn attachment(id: i64, name: &str, kind: FileKind, thumb: bool) -> Attachment {
        Attachment {
            id: AttachmentId(id),
            order_id: OrderId(1),
            owner: OwnerRef {
                kind: OwnerKind::Training,
                id: 1,
            },
            field: "photos".into(),
            original_name: name.into(),
            size: 1_258_291,
            sha256: "0".repeat(64),
            kind,
            captured_at: thumb.then(|| chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap()),
            gps: thumb.then_some((24.874222, 118.675694)),
            phash: None,
            has_thumbnail: thumb,
            uploaded_by: AccountId(1),
            uploaded_by_name: "张工(zhang)".into(),
            uploaded_at: chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            storage_key: "att/2026/11/x".into(),
            thumb_key: thumb.then(|| "att/2026/11/x-thumb".into()),
        }
    }

    #[test]
    fn the_files_partial_shows_photos_in_the_viewer_and_documents_as_links() {
        let html = Files {
            attachments: vec![
                attachment(5, "现场<1>.jpg", FileKind::Jpeg, true),
                attachment(6, "课件.pptx", FileKind::Pptx, false),
            ],
            viewer_group: "training-1",
        }
        .render()
        .unwrap();
        assert!(
            html.contains(r#"<a href="/attachments/5" data-viewer="training-1""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<img src="/attachments/5/thumb" alt="现场&#60;1&#62;.jpg""#),
            "{html}"
        );
        assert!(html.contains("位置 24.874222, 118.675694"));
        assert!(
            html.contains(r#"<a href="/attachments/6">课件.pptx</a>"#),
            "{html}"
        );
        assert!(html.contains("PowerPoint 演示文稿 · 1.2 MB"));
        let empty = Files {
            attachments: vec![],
            viewer_group: "x",
        }
        .render()
        .unwrap();
        assert!(empty.contains("无附件"));
    }

    #[test]
    fn chinese_names_are_encoded_per_rfc_5987() {
        assert_eq!(
            content_disposition(true, "现场照片 1.jpg"),
            "inline; filename=\"____ 1.jpg\"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87%201.jpg"
        );
        assert_eq!(
            content_disposition(false, "a\"b\\c;.docx"),
            "attachment; filename=\"a_b_c;.docx\"; filename*=UTF-8''a%22b%5Cc%3B.docx"
        );
    }
}
