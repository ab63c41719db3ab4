//! Receiving uploads: every file part of a multipart form is streamed into the blob store chunk
//! by chunk (never held whole in memory), hashed and counted on the way, and its type sniffed
//! from its first bytes and checked against the field's allow-list before it is kept.
//!
//! How a record page uses it:
//!
//! ```text
//! // router: the per-file limit is enforced while streaming, so the body limit is lifted here
//! Route::post("/orders/{id}/{item}", records::create).upload(),
//!
//! // form: the CSRF middleware does not read multipart bodies, so the token rides in the URL
//! <form method="post" enctype="multipart/form-data" action="/orders/1/training?_csrf={{ shell.csrf }}">
//!
//! // handler: authorize first (no byte of a refused caller is stored), then one call
//! record::service::authorize_create(store, &actor, order, item).await?;
//! match upload::submit(multipart, &rules, &state, &ctx, async |received| {
//!     record::service::create(store, &actor, order, item, &form_of(received), &received.files, now).await
//! }).await? {
//!     Submitted::Saved(id) => redirect,
//!     Submitted::Invalid { errors, fields, pending } => re-render the form from `fields` with
//!         `errors`, and `ctx.with_pending(pending)` so the file rows list the kept files,
//! }
//! ```
//!
//! To show a record's files: `{% include "attachment/files.html" %}` with `attachments` and
//! `viewer_group` in the template (photos open in the `data-viewer` dialog of app.js).
//!
//! A failure inside `receive` removes everything it wrote. A crash between writing and saving
//! leaves blobs without rows, which `anze storage gc` collects after an hour. The files of a
//! form the service refuses are kept as pending uploads (`anze_core::attachment::PendingUpload`)
//! for its next submit, which sends their tokens back in `_pending` fields instead of the
//! files. A submit claims them before the save (each by one submit only, so a double submit
//! cannot save one file into two records) and keeps them again if the save is refused;
//! unclaimed, they expire after a day and `anze storage gc` removes them.

pub(crate) mod drain;
pub(crate) mod photo;

use anze_core::FieldErrors;
use anze_core::attachment::{
    BlobStore, BlobWriter, FileKind, FileRule, NewAttachment, size_label, storage_key, thumb_key,
};
use axum::extract::DefaultBodyLimit;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::PageError;

/// Limits of one upload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest file; checked while it streams, so a larger one is cut off at this size.
    pub max_file_bytes: u64,
    /// Files in one request, over all fields.
    pub max_files: usize,
    /// One text part (a form field).
    pub max_text_bytes: usize,
    /// All text parts together.
    pub max_text_total: usize,
    /// Images up to this size are read back to make a thumbnail (and read EXIF); larger ones are
    /// kept without a thumbnail, since decoding needs the whole file in memory.
    pub max_thumbnail_source_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 50 * 1024 * 1024,
            max_files: 30,
            max_text_bytes: 64 * 1024,
            max_text_total: 1024 * 1024,
            max_thumbnail_source_bytes: 30 * 1024 * 1024,
        }
    }
}

/// The layer an upload route needs: axum's default 2 MB body limit would cut every file off,
/// and `receive` enforces its own per-file, per-part and per-request limits while reading.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::disable()
}

/// What an upload request carried, its files already stored.
#[derive(Debug, Default)]
pub struct Received {
    /// Text parts in order; repeated names are kept (multi-selects).
    pub fields: Vec<(String, String)>,
    /// Stored files with the field they came through.
    pub files: Vec<(String, NewAttachment)>,
}

impl Received {
    /// Files alone, to be discarded together.
    fn of_files(files: Vec<(String, NewAttachment)>) -> Self {
        Self {
            fields: Vec::new(),
            files,
        }
    }

    /// The text parts parsed into a form struct, exactly like an urlencoded form would be.
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, PageError> {
        let bad = |e: serde_html_form::ser::Error| {
            tracing::info!(error = %e, "multipart fields not understood");
            PageError::BadRequest("提交的表单内容无法识别,请返回上一页刷新后重新填写。".into())
        };
        let encoded = serde_html_form::to_string(&self.fields).map_err(bad)?;
        serde_html_form::from_str(&encoded).map_err(|e| {
            tracing::info!(error = %e, "multipart fields not understood");
            PageError::BadRequest("提交的表单内容无法识别,请返回上一页刷新后重新填写。".into())
        })
    }

    /// The first value of a text part.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every storage key written (files and thumbnails).
    pub fn keys(&self) -> Vec<String> {
        self.files.iter().flat_map(|(_, f)| f.keys()).collect()
    }

    /// Removes every file this request stored: the caller could not save its record.
    pub async fn discard(self, blobs: &dyn BlobStore) {
        let failed = anze_core::attachment::service::remove_blobs(blobs, &self.keys()).await;
        if !failed.is_empty() {
            tracing::warn!(
                count = failed.len(),
                "discarding uploads failed; gc will collect them"
            );
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadErrorKind {
    /// A file passed the size limit (413).
    TooLarge,
    /// A file or field the rules refuse: type, name, count, emptiness (422).
    Refused,
    /// Not a well-formed multipart body, or a text part that is not UTF-8 (400).
    Malformed,
    /// The blob store failed (500, logged).
    Storage,
}

/// Why an upload was refused; `message` is shown to the user, under `field` when the form has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadError {
    pub kind: UploadErrorKind,
    /// The rule's field, or "" when the failure is not one field's.
    pub field: &'static str,
    pub message: String,
}

impl UploadError {
    fn refused(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: UploadErrorKind::Refused,
            field,
            message: message.into(),
        }
    }

    /// The parser's words go to the log; the user is told what to do.
    fn malformed(e: impl std::fmt::Display) -> Self {
        tracing::info!(error = %e, "malformed multipart body");
        Self {
            kind: UploadErrorKind::Malformed,
            field: "",
            message: "上传的数据不完整或格式有误,请重新提交".into(),
        }
    }

    fn storage(e: impl std::fmt::Display) -> Self {
        Self {
            kind: UploadErrorKind::Storage,
            field: "",
            message: format!("storage failed during upload: {e}"),
        }
    }

    fn from_multipart(e: MultipartError) -> Self {
        // A body limit set on the route surfaces here.
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self {
                kind: UploadErrorKind::TooLarge,
                field: "",
                message: "提交的内容超过了允许的大小".into(),
            }
        } else {
            Self::malformed(e.body_text())
        }
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            UploadErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UploadErrorKind::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            UploadErrorKind::Malformed => StatusCode::BAD_REQUEST,
            UploadErrorKind::Storage => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message under its field, for a form re-rendered with the user's input. `None` for
    /// storage failures, which are not the user's to fix.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        (self.kind != UploadErrorKind::Storage).then(|| {
            let mut errors = FieldErrors::new();
            errors.add(self.field, self.message.clone());
            errors
        })
    }
}

impl From<UploadError> for PageError {
    fn from(e: UploadError) -> Self {
        match e.kind {
            UploadErrorKind::TooLarge => PageError::PayloadTooLarge(e.message),
            UploadErrorKind::Refused => {
                let mut errors = FieldErrors::new();
                errors.add(e.field, e.message);
                PageError::Validation(errors)
            }
            UploadErrorKind::Malformed => PageError::BadRequest(e.message),
            UploadErrorKind::Storage => PageError::Internal(e.message),
        }
    }
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        PageError::from(self).into_response()
    }
}

/// Text parts as a form struct, for use inside `submit`'s save: a body that does not fit the
/// form (a single field sent twice) is refused like any invalid input, and its files go.
pub fn form_of<T: DeserializeOwned>(fields: &[(String, String)]) -> anze_core::CoreResult<T> {
    let refused = |e: &dyn std::fmt::Display| {
        tracing::info!(error = %e, "multipart fields not understood");
        let mut errors = FieldErrors::new();
        errors.add("", "提交的表单内容无法识别,请返回上一页刷新后重新填写。");
        anze_core::CoreError::Validation(errors)
    };
    let encoded = serde_html_form::to_string(fields).map_err(|e| refused(&e))?;
    serde_html_form::from_str(&encoded).map_err(|e| refused(&e))
}

/// What became of a submitted upload form.
#[derive(Debug)]
pub enum Submitted<T> {
    /// The service saved it.
    Saved(T),
    /// The service refused the input: nothing was saved. Show the form again from `fields`
    /// (the text parts as submitted) with `errors`, and the files it carried as `pending`
    /// (`Ctx::with_pending`), so the user does not pick them again.
    Invalid {
        errors: FieldErrors,
        fields: Vec<(String, String)>,
        pending: Vec<PendingFile>,
    },
}

/// The form field that carries a pending upload's token back (one per file, a checkbox the
/// user can clear to drop the file).
pub const PENDING_FIELD: &str = "_pending";

/// A file kept from a refused submit, as the re-shown form lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFile {
    pub token: String,
    pub field: String,
    pub name: String,
    pub size: String,
}

impl From<&anze_core::attachment::PendingUpload> for PendingFile {
    fn from(p: &anze_core::attachment::PendingUpload) -> Self {
        Self {
            token: p.token.clone(),
            field: p.field.clone(),
            name: p.file.original_name.clone(),
            size: p.file.size_label(),
        }
    }
}

/// The one flow of a form with uploads: receive the body (files streamed into storage), hand it
/// to `save` (a core service call), and when that fails remove every file this request stored.
/// Validation errors come back as `Submitted::Invalid` for the form to be shown again; any
/// other failure (not found, forbidden, conflict, a refused upload) is the page's error.
///
/// Check the caller's permission before calling it, so a refused caller stores nothing.
pub async fn submit<T>(
    multipart: Multipart,
    rules: &[FileRule],
    state: &crate::AppState,
    ctx: &crate::extract::Ctx,
    save: impl AsyncFnOnce(&Received) -> anze_core::CoreResult<T>,
) -> Result<Submitted<T>, PageError> {
    use anze_core::attachment::service as files;
    let mut received = receive(multipart, rules, state.blobs(), &state.upload_limits()).await?;
    // Files kept from an earlier refused submit of this form come first, as picked first.
    let tokens: Vec<String> = received
        .fields
        .iter()
        .filter(|(k, _)| k == PENDING_FIELD)
        .map(|(_, v)| v.clone())
        .collect();
    received.fields.retain(|(k, _)| k != PENDING_FIELD);
    let fields: Vec<&str> = rules.iter().map(|r| r.field).collect();
    let account = ctx.actor.account_id;
    let kept = match files::pending(state.store(), account, &tokens, &fields, ctx.now).await {
        Ok(kept) => files::claim(state.store(), kept).await,
        Err(e) => Err(e),
    };
    let kept = match kept {
        Ok(kept) => kept,
        Err(e) => {
            received.discard(state.blobs()).await;
            return Err(e.into());
        }
    };
    let new_files = std::mem::take(&mut received.files);
    received.files = kept
        .iter()
        .map(|p| (p.field.clone(), p.file.clone()))
        .chain(new_files.iter().cloned())
        .collect();
    match save(&received).await {
        // The kept files are the saved form's now: they were claimed before the save.
        Ok(saved) => Ok(Submitted::Saved(saved)),
        Err(anze_core::CoreError::Validation(errors)) => {
            unclaim(state, &kept).await;
            let fields = std::mem::take(&mut received.fields);
            let fresh = files::keep_pending(state.store(), account, &new_files, ctx.now).await;
            let fresh = match fresh {
                Ok(fresh) => fresh,
                Err(e) => {
                    tracing::warn!(error = %e, "keeping a refused form's files failed");
                    Received::of_files(new_files).discard(state.blobs()).await;
                    Vec::new()
                }
            };
            let pending = kept.iter().chain(&fresh).map(PendingFile::from).collect();
            Ok(Submitted::Invalid {
                errors,
                fields,
                pending,
            })
        }
        Err(e) => {
            // Only this request's files go; kept ones wait for the form to come back.
            unclaim(state, &kept).await;
            Received::of_files(new_files).discard(state.blobs()).await;
            Err(e.into())
        }
    }
}

/// Keeps the claimed uploads of a form that was not saved pending again, for its next submit.
async fn unclaim(state: &crate::AppState, kept: &[anze_core::attachment::PendingUpload]) {
    if let Err(e) = anze_core::attachment::service::unclaim(state.store(), kept).await {
        tracing::warn!(error = %e, "keeping a refused form's kept files again failed");
    }
}

/// Reads the whole multipart body: text parts into `fields`, file parts into the blob store.
/// Any failure removes what was stored before returning.
pub async fn receive(
    mut multipart: Multipart,
    rules: &[FileRule],
    blobs: &dyn BlobStore,
    limits: &UploadLimits,
) -> Result<Received, UploadError> {
    let mut received = Received::default();
    let outcome = read_parts(&mut multipart, rules, blobs, limits, &mut received).await;
    match outcome {
        Ok(()) => {
            crate::metrics::upload_received(
                received.files.len() as u64,
                received.files.iter().map(|(_, f)| f.size).sum(),
            );
            Ok(received)
        }
        Err(e) => {
            received.discard(blobs).await;
            crate::metrics::upload_failed(e.kind.into());
            Err(e)
        }
    }
}

impl From<UploadErrorKind> for crate::metrics::UploadFailureReason {
    fn from(kind: UploadErrorKind) -> Self {
        use crate::metrics::UploadFailureReason as R;
        match kind {
            UploadErrorKind::TooLarge => R::TooLarge,
            UploadErrorKind::Refused => R::Refused,
            UploadErrorKind::Malformed => R::Malformed,
            UploadErrorKind::Storage => R::Storage,
        }
    }
}

async fn read_parts(
    multipart: &mut Multipart,
    rules: &[FileRule],
    blobs: &dyn BlobStore,
    limits: &UploadLimits,
    received: &mut Received,
) -> Result<(), UploadError> {
    let mut text_total = 0usize;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(UploadError::from_multipart)?
    {
        let name = field.name().unwrap_or("").to_string();
        let Some(raw_name) = field.file_name().map(str::to_string) else {
            let value = read_text(&mut field, limits, &mut text_total).await?;
            received.fields.push((name, value));
            continue;
        };
        if raw_name.is_empty() && is_empty_part(&mut field).await? {
            // A file input left empty: browsers still send its part, without name or content.
            continue;
        }
        let Some(rule) = rules.iter().find(|r| r.field == name) else {
            return Err(UploadError::refused(
                "",
                "提交了不接受文件的上传项,请刷新页面后重试",
            ));
        };
        let in_field = received
            .files
            .iter()
            .filter(|(f, _)| f == rule.field)
            .count();
        if in_field >= rule.max_files {
            return Err(UploadError::refused(
                rule.field,
                format!("{}最多上传 {} 个文件", rule.label, rule.max_files),
            ));
        }
        if received.files.len() >= limits.max_files {
            return Err(UploadError::refused(
                rule.field,
                format!("一次最多上传 {} 个文件,请分批提交", limits.max_files),
            ));
        }
        let file = receive_file(field, rule, &raw_name, blobs, limits).await?;
        received.files.push((rule.field.to_string(), file));
    }
    Ok(())
}

async fn read_text(
    field: &mut Field<'_>,
    limits: &UploadLimits,
    total: &mut usize,
) -> Result<String, UploadError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(UploadError::from_multipart)? {
        buf.extend_from_slice(&chunk);
        *total += chunk.len();
        if buf.len() > limits.max_text_bytes || *total > limits.max_text_total {
            return Err(UploadError {
                kind: UploadErrorKind::TooLarge,
                field: "",
                message: "填写的文字内容过长,请精简后重新提交".into(),
            });
        }
    }
    String::from_utf8(buf).map_err(|_| UploadError {
        kind: UploadErrorKind::Malformed,
        field: "",
        message: crate::extract::NOT_UTF8.into(),
    })
}

/// Drains a part; whether it had no content.
async fn is_empty_part(field: &mut Field<'_>) -> Result<bool, UploadError> {
    let mut empty = true;
    while let Some(chunk) = field.chunk().await.map_err(UploadError::from_multipart)? {
        empty &= chunk.is_empty();
        if !empty {
            break;
        }
    }
    Ok(empty)
}

/// The base name of a client's file name, with control and invisible formatting characters
/// removed; `None` when nothing usable is left. Old browsers sent the full client path, and
/// right-to-left overrides can make `txt.exe` display as `exe.txt`.
pub fn sanitize_file_name(raw: &str) -> Option<String> {
    const MAX_CHARS: usize = 120;
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect();
    let cleaned = cleaned.trim().trim_end_matches('.').trim();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        return None;
    }
    if cleaned.chars().count() <= MAX_CHARS {
        return Some(cleaned.to_string());
    }
    // Too long: shorten the stem, keep the extension.
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() && e.chars().count() <= 10 => (s, Some(e)),
        _ => (cleaned, None),
    };
    let keep = MAX_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    Some(match ext {
        Some(e) => format!("{stem}.{e}"),
        None => stem,
    })
}

fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// The first bytes (for sniffing) and, for zips, the last bytes (their directory) of a stream.
struct Probe {
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Probe {
    fn new() -> Self {
        Self {
            head: Vec::with_capacity(FileKind::SNIFF_LEN),
            tail: Vec::new(),
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < FileKind::SNIFF_LEN {
            let n = (FileKind::SNIFF_LEN - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..n]);
        }
        // Only zips need their end; everything else skips the copy.
        if self.head.len() < 4 || FileKind::is_zip(&self.head) {
            self.tail.extend_from_slice(chunk);
            // Trimmed only when twice the size, so bytes are moved once on average.
            if self.tail.len() > 2 * FileKind::ZIP_TAIL_LEN {
                self.tail.drain(..self.tail.len() - FileKind::ZIP_TAIL_LEN);
            }
        }
    }

    /// The last `ZIP_TAIL_LEN` bytes seen (of a zip).
    fn tail(&self) -> &[u8] {
        &self.tail[self.tail.len().saturating_sub(FileKind::ZIP_TAIL_LEN)..]
    }
}

/// The sniffing state of one file.
enum Verdict {
    /// Not enough bytes yet.
    Open,
    Known(FileKind),
    /// A zip that may be an Office file: its directory, at the end, decides.
    Zip,
}

fn judge(head: &[u8], rule: &FileRule, name: &str, complete: bool) -> Result<Verdict, UploadError> {
    if head.len() < FileKind::SNIFF_LEN && !complete {
        return Ok(Verdict::Open);
    }
    match FileKind::sniff(head) {
        Some(kind) if rule.allows(kind) => Ok(Verdict::Known(kind)),
        Some(kind) => Err(UploadError::refused(
            rule.field,
            format!(
                "“{name}”是{},{}只接受 {} 格式",
                kind.label(),
                rule.label,
                rule.allowed_labels()
            ),
        )),
        None if FileKind::is_zip(head)
            && rule
                .allowed
                .iter()
                .any(|k| matches!(k, FileKind::Docx | FileKind::Xlsx | FileKind::Pptx)) =>
        {
            Ok(Verdict::Zip)
        }
        None => Err(UploadError::refused(
            rule.field,
            format!(
                "无法识别“{name}”的文件格式,{}只接受 {} 格式",
                rule.label,
                rule.allowed_labels()
            ),
        )),
    }
}

/// Streams one file part into the store. On any failure the partial blob is aborted.
async fn receive_file(
    mut field: Field<'_>,
    rule: &FileRule,
    raw_name: &str,
    blobs: &dyn BlobStore,
    limits: &UploadLimits,
) -> Result<NewAttachment, UploadError> {
    let name = sanitize_file_name(raw_name).ok_or_else(|| {
        UploadError::refused(
            rule.field,
            format!("{}的文件名无效,请重命名后再上传", rule.label),
        )
    })?;
    let key = {
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        storage_key(chrono::Utc::now(), random)
    };
    let mut writer = blobs.writer(&key).await.map_err(UploadError::storage)?;
    let streamed = stream_into(&mut field, writer.as_mut(), rule, &name, limits).await;
    let (kind, size, sha256, probe) = match streamed {
        Ok(v) => v,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    if let Err(e) = writer.close().await {
        let _ = blobs.delete(&key).await;
        return Err(UploadError::storage(e));
    }
    let stored_name = match kind.name_for(&name) {
        Ok(n) => n,
        Err(message) => {
            let _ = blobs.delete(&key).await;
            return Err(UploadError::refused(rule.field, message));
        }
    };
    let mut file = NewAttachment {
        storage_key: key,
        thumb_key: None,
        original_name: stored_name,
        size,
        sha256,
        kind,
        captured_at: None,
        gps: None,
        uniform: None,
        phash: None,
    };
    if kind.is_image()
        && let Err(e) = describe_image(&mut file, &probe.head, blobs, limits).await
    {
        let _ = anze_core::attachment::service::remove_blobs(blobs, &file.keys()).await;
        return Err(e);
    }
    Ok(file)
}

async fn stream_into(
    field: &mut Field<'_>,
    writer: &mut dyn BlobWriter,
    rule: &FileRule,
    name: &str,
    limits: &UploadLimits,
) -> Result<(FileKind, u64, String, Probe), UploadError> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut probe = Probe::new();
    let mut verdict = Verdict::Open;
    while let Some(chunk) = field.chunk().await.map_err(UploadError::from_multipart)? {
        size += chunk.len() as u64;
        if size > limits.max_file_bytes {
            return Err(UploadError {
                kind: UploadErrorKind::TooLarge,
                field: rule.field,
                message: format!(
                    "“{name}”超过了单个文件 {} 的大小限制",
                    size_label(limits.max_file_bytes)
                ),
            });
        }
        hasher.update(&chunk);
        probe.feed(&chunk);
        if matches!(verdict, Verdict::Open) {
            // Refuse a wrong type as soon as its first bytes are in, not after 50 MB.
            verdict = judge(&probe.head, rule, name, false)?;
        }
        writer
            .write(Vec::from(chunk))
            .await
            .map_err(UploadError::storage)?;
    }
    if size == 0 {
        return Err(UploadError::refused(
            rule.field,
            format!("“{name}”是空文件,请重新选择"),
        ));
    }
    if matches!(verdict, Verdict::Open) {
        verdict = judge(&probe.head, rule, name, true)?;
    }
    let kind = match verdict {
        Verdict::Known(kind) => kind,
        _ => FileKind::sniff_zip_directory(probe.tail())
            .filter(|k| rule.allows(*k))
            .ok_or_else(|| {
                UploadError::refused(
                    rule.field,
                    format!(
                        "“{name}”不是{}接受的文件格式({})",
                        rule.label,
                        rule.allowed_labels()
                    ),
                )
            })?,
    };
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((kind, size, sha256, probe))
}

/// Reads EXIF (capture time, GPS) and stores a thumbnail for an image. Images too large to read
/// back still get their EXIF from the first bytes (a JPEG's EXIF block is in its first 64 KiB).
async fn describe_image(
    file: &mut NewAttachment,
    head: &[u8],
    blobs: &dyn BlobStore,
    limits: &UploadLimits,
) -> Result<(), UploadError> {
    // The slot is taken before reading back, so concurrent uploads do not each hold a copy.
    let _slot = photo::decode_slot().await;
    let whole = if file.size <= limits.max_thumbnail_source_bytes {
        blobs
            .read_to_vec(&file.storage_key, limits.max_thumbnail_source_bytes)
            .await
            .map_err(UploadError::storage)?
    } else {
        None
    };
    let bytes = whole.unwrap_or_else(|| head.to_vec());
    let complete = bytes.len() as u64 == file.size;
    let facts = photo::describe(bytes, file.kind, complete).await;
    file.captured_at = facts.captured_at;
    file.gps = facts.gps;
    file.uniform = facts.uniform;
    file.phash = facts.phash;
    if let Some(thumb) = facts.thumbnail {
        let key = thumb_key(&file.storage_key);
        blobs.put(&key, thumb).await.map_err(UploadError::storage)?;
        file.thumb_key = Some(key);
    }
    Ok(())
}

/// The fingerprint of a stored photo's bytes, computed as an upload computes it; `None` for a
/// near-uniform or undecodable image. `anze integrity backfill` uses it for older photos.
pub async fn fingerprint_of(
    bytes: Vec<u8>,
    kind: FileKind,
) -> Option<anze_core::attachment::PerceptualHash> {
    let _slot = photo::decode_slot().await;
    photo::describe(bytes, kind, true).await.phash
}

/// Stores a file already in memory (demo data, imports) with the same checks as an upload:
/// sniffed type against the rule, hash, thumbnail and EXIF for images.
pub async fn store_bytes(
    blobs: &dyn BlobStore,
    rule: &FileRule,
    name: &str,
    bytes: Vec<u8>,
    limits: &UploadLimits,
) -> Result<NewAttachment, UploadError> {
    let kind = FileKind::sniff(&bytes)
        .or_else(|| {
            let tail = &bytes[bytes.len().saturating_sub(FileKind::ZIP_TAIL_LEN)..];
            FileKind::is_zip(&bytes)
                .then(|| FileKind::sniff_zip_directory(tail))
                .flatten()
        })
        .filter(|k| rule.allows(*k))
        .ok_or_else(|| {
            UploadError::refused(
                rule.field,
                format!("{}只接受 {}", rule.label, rule.allowed_labels()),
            )
        })?;
    let name = sanitize_file_name(name)
        .ok_or_else(|| UploadError::refused(rule.field, "文件名无效".to_string()))?;
    let original_name = kind
        .name_for(&name)
        .map_err(|m| UploadError::refused(rule.field, m))?;
    let key = {
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        storage_key(chrono::Utc::now(), random)
    };
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let size = bytes.len() as u64;
    let head = bytes[..bytes.len().min(FileKind::SNIFF_LEN)].to_vec();
    blobs.put(&key, bytes).await.map_err(UploadError::storage)?;
    let mut file = NewAttachment {
        storage_key: key,
        thumb_key: None,
        original_name,
        size,
        sha256,
        kind,
        captured_at: None,
        gps: None,
        uniform: None,
        phash: None,
    };
    if kind.is_image()
        && let Err(e) = describe_image(&mut file, &head, blobs, limits).await
    {
        let _ = anze_core::attachment::service::remove_blobs(blobs, &file.keys()).await;
        return Err(e);
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_their_base_name_without_controls() {
        assert_eq!(
            sanitize_file_name("现场照片.jpg").as_deref(),
            Some("现场照片.jpg")
        );
        assert_eq!(
            sanitize_file_name("C:\\Users\\张工\\Desktop\\签到表.pdf").as_deref(),
            Some("签到表.pdf")
        );
        assert_eq!(
            sanitize_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            sanitize_file_name("a\u{0}b\r\n.png").as_deref(),
            Some("ab.png")
        );
        // A right-to-left override would show "report\u{202E}fdp.exe" as "reportexe.pdf".
        assert_eq!(
            sanitize_file_name("report\u{202E}fdp.exe").as_deref(),
            Some("reportfdp.exe")
        );
        assert_eq!(
            sanitize_file_name("  报告 .docx  ").as_deref(),
            Some("报告 .docx")
        );
        assert_eq!(sanitize_file_name("name.").as_deref(), Some("name"));
    }

    #[test]
    fn file_names_with_nothing_left_are_refused() {
        for raw in [
            "",
            "   ",
            "..",
            ".",
            "dir/",
            "C:\\",
            "\u{202E}\u{0007}",
            "a/..",
        ] {
            assert_eq!(sanitize_file_name(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn long_file_names_keep_their_extension() {
        let long = format!("{}.xlsx", "安".repeat(300));
        let name = sanitize_file_name(&long).unwrap();
        assert_eq!(name.chars().count(), 120);
        assert!(name.ends_with("安.xlsx"));
    }

    #[test]
    fn the_zip_tail_keeps_only_the_last_bytes() {
        let mut p = Probe::new();
        p.feed(b"PK\x03\x04");
        for _ in 0..40 {
            p.feed(&[7u8; 4096]);
        }
        p.feed(b"END");
        assert_eq!(p.tail().len(), FileKind::ZIP_TAIL_LEN);
        assert!(p.tail().ends_with(b"END"));
        assert!(p.tail.len() <= 2 * FileKind::ZIP_TAIL_LEN);
        assert_eq!(p.head.len(), FileKind::SNIFF_LEN);
        let mut jpeg = Probe::new();
        jpeg.feed(b"\xFF\xD8\xFF\xE0");
        jpeg.feed(&[0u8; 1000]);
        assert!(jpeg.tail.len() <= 4, "non-zips keep no tail");
    }
}
