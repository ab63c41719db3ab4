//! Excel files: the first sheet of an uploaded workbook read into text cells, and workbooks
//! written for downloads (the import template and list exports).
//!
//! Uploads come from users, so reading is bounded everywhere a crafted file could make it grow:
//! the upload size, the unpacked size of the zip container, the rows and columns kept, and the
//! total text. Exports write every text cell as a string, never as a formula, so a value like
//! `=cmd|' /C calc'!A0` typed into a name stays inert text in the user's spreadsheet program.

use anze_core::field::{Money, Ratio};
use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use calamine::{DataRef, Reader, Xlsx};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Image, Workbook, XlsxError};
use std::fs::File;
use std::io::{Cursor, Seek, SeekFrom};
use tokio_util::io::ReaderStream;

/// Largest accepted upload.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Largest unpacked workbook: a 10,000-row import unpacks to about 10 MB, so this leaves room
/// for other sheets while refusing zip bombs before anything is decompressed.
const MAX_UNPACKED_BYTES: u64 = 100 * 1024 * 1024;
/// Columns beyond this are ignored: the import has 16, plus room for users' own notes.
const MAX_COLUMNS: u32 = 64;
/// Text kept from one sheet, so that one long shared string repeated in every cell cannot
/// multiply into gigabytes.
const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Why an upload could not be read, in words the user can act on.
#[derive(Debug)]
pub enum ReadError {
    NotXlsx,
    /// An `.xls` (BIFF) file, or an encrypted workbook: both are OLE2 containers.
    LegacyOrEncrypted,
    Damaged(String),
    TooMuchContent,
}

impl ReadError {
    pub fn message(&self) -> &'static str {
        match self {
            ReadError::NotXlsx => {
                "文件不是 Excel 工作簿(.xlsx)。请下载导入模板,在 Excel 或 WPS 中填写后保存为 .xlsx 文件再上传"
            }
            ReadError::LegacyOrEncrypted => {
                "这是旧版 Excel(.xls)文件或设置了密码的工作簿,无法读取。请在 Excel 中“另存为”Excel 工作簿(.xlsx)、不设打开密码后再上传"
            }
            ReadError::Damaged(_) => {
                "文件已损坏或不是有效的 .xlsx 工作簿,无法读取。请在 Excel 中打开确认后重新保存再上传"
            }
            ReadError::TooMuchContent => {
                "工作簿内容过多,无法读取。请只保留需要导入的一个工作表和数据后再上传"
            }
        }
    }
}

impl std::fmt::Display for ReadError {
    /// For the log: what went wrong technically.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotXlsx => f.write_str("not a zip container"),
            ReadError::LegacyOrEncrypted => f.write_str("OLE2 container (.xls or encrypted)"),
            ReadError::Damaged(cause) => write!(f, "unreadable workbook: {cause}"),
            ReadError::TooMuchContent => f.write_str("workbook content over the limits"),
        }
    }
}

fn damaged(e: impl std::fmt::Display) -> ReadError {
    ReadError::Damaged(e.to_string())
}

/// Checks the container before calamine opens it: the zip signature (a renamed text file or an
/// `.xls` is told apart from a damaged workbook) and the declared unpacked size, which the zip
/// reader also enforces while inflating.
fn check_container(bytes: &[u8]) -> Result<(), ReadError> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(OLE2) {
        return Err(ReadError::LegacyOrEncrypted);
    }
    if !bytes.starts_with(ZIP) {
        return Err(ReadError::NotXlsx);
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(damaged)?;
        unpacked = unpacked.saturating_add(entry.size());
    }
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(ReadError::TooMuchContent);
    }
    Ok(())
}

/// Reads the first sheet into rows of text, indexed from spreadsheet row 1 so that row numbers
/// in messages match what the user sees. Stops after `max_rows` non-blank rows: the caller asks
/// for one more than it accepts, to tell "too many" apart from "exactly the limit".
pub fn read_first_sheet(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<String>>, ReadError> {
    check_container(bytes)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Password => ReadError::LegacyOrEncrypted,
        e => damaged(e),
    })?;
    let Some(first) = workbook.sheet_names().first().cloned() else {
        return Ok(Vec::new());
    };
    let mut cells = workbook.worksheet_cells_reader(&first).map_err(damaged)?;
    // A cell formatted as a percentage holds 0.15 for what the user sees as 15%.
    let percent: Vec<bool> = cells
        .styles()
        .iter()
        .map(|s| {
            s.number_format
                .as_ref()
                .is_some_and(|f| is_percent_format(&f.format_code))
        })
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut kept_rows = 0usize;
    let mut last_row = None;
    let mut text_bytes = 0usize;
    while let Some((cell, style)) = cells.next_cell_with_style_id().map_err(damaged)? {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        let text = cell_text(
            cell.get_value(),
            percent.get(style).copied().unwrap_or(false),
        );
        if text.trim().is_empty() {
            continue;
        }
        if last_row != Some(r) {
            last_row = Some(r);
            kept_rows += 1;
            if kept_rows > max_rows {
                break;
            }
        }
        text_bytes += text.len();
        if text_bytes > MAX_TEXT_BYTES {
            return Err(ReadError::TooMuchContent);
        }
        let (r, c) = (r as usize, c as usize);
        if rows.len() <= r {
            rows.resize_with(r + 1, Vec::new);
        }
        let row = &mut rows[r];
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = text;
    }
    Ok(rows)
}

/// Whether a number format shows percentages (a `%` outside quoted literals).
fn is_percent_format(code: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    for ch in code.chars() {
        match ch {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '%' if !quoted => return true,
            _ => {}
        }
    }
    false
}

/// The cell as the user sees it, in the forms the core's parsers accept.
fn cell_text(value: &DataRef<'_>, percent: bool) -> String {
    match value {
        DataRef::Int(i) if percent => format!("{}%", number_text(*i as f64 * 100.0)),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if percent => format!("{}%", number_text(f * 100.0)),
        DataRef::Float(f) => number_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            // Policy dates are whole days; a time of day (often 00:00) is dropped.
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        DataRef::DateTime(dt) => number_text(dt.as_f64()),
        DataRef::DateTimeIso(s) => match s.get(..10) {
            Some(day) if NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok() => day.to_string(),
            _ => s.clone(),
        },
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// A number as Excel displays it in a General cell: at most 15 significant digits, so binary
/// noise (12345.670000000001) disappears, and no `.0` on whole numbers (12345, not 12345.0).
fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    let int_digits = if f == 0.0 {
        1
    } else {
        (f.abs().log10().floor() as i32 + 1).max(1)
    };
    let decimals = (15 - int_digits).clamp(0, 15) as usize;
    let s = format!("{f:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A typed cell of an export row.
pub enum Cell {
    Text(String),
    Int(i64),
    Money(Money),
    /// Shown as a number of percent: 15.00 in a column headed (%).
    Percent(Ratio),
    Date(NaiveDate),
    /// A thumbnail (JPEG bytes) fitted into the cell; the row grows to show it.
    Image(Vec<u8>),
}

/// A workbook written row by row in constant-memory mode: only the current row is held in
/// memory, finished rows go to a temporary file.
pub struct SheetWriter {
    workbook: Workbook,
    money: Format,
    percent: Format,
    date: Format,
    next_row: u32,
    width: u16,
    /// The sheet rows go to: the last one added.
    sheet: usize,
}

/// Excel's last row; an export stops there.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;

impl SheetWriter {
    pub fn new(sheet: &str, columns: &[(&str, f64)]) -> Result<Self, XlsxError> {
        let mut out = Self {
            workbook: Workbook::new(),
            money: Format::new().set_num_format("#,##0.00"),
            percent: Format::new().set_num_format("0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            next_row: 1,
            width: 0,
            sheet: 0,
        };
        out.header(sheet, columns)?;
        Ok(out)
    }

    /// Starts another sheet; the rows written from now on go there (a dashboard's tables,
    /// one sheet each).
    pub fn add_sheet(&mut self, sheet: &str, columns: &[(&str, f64)]) -> Result<(), XlsxError> {
        self.sheet += 1;
        self.header(sheet, columns)
    }

    fn header(&mut self, sheet: &str, columns: &[(&str, f64)]) -> Result<(), XlsxError> {
        let header = Format::new().set_bold();
        let ws = self.workbook.add_worksheet_with_constant_memory()?;
        ws.set_name(sheet)?;
        for (i, (title, width)) in columns.iter().enumerate() {
            let col = i as u16;
            ws.set_column_width(col, *width)?;
            ws.write_string_with_format(0, col, *title, &header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        self.next_row = 1;
        self.width = columns.len() as u16;
        Ok(())
    }

    /// Whether another row fits in the sheet.
    pub fn is_full(&self) -> bool {
        self.next_row >= MAX_SHEET_ROWS
    }

    pub fn write_row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        if self.is_full() {
            return Ok(());
        }
        let row = self.next_row;
        let ws = self.workbook.worksheet_from_index(self.sheet)?;
        for (i, cell) in cells.iter().take(self.width as usize).enumerate() {
            let col = i as u16;
            match cell {
                // Never `write()`: it would turn text starting with `=` into a formula.
                Cell::Text(s) => ws.write_string(row, col, s)?,
                Cell::Int(n) => ws.write_number(row, col, *n as f64)?,
                Cell::Money(m) => {
                    ws.write_number_with_format(row, col, m.cents() as f64 / 100.0, &self.money)?
                }
                Cell::Percent(r) => ws.write_number_with_format(
                    row,
                    col,
                    f64::from(r.basis_points()) / 100.0,
                    &self.percent,
                )?,
                Cell::Date(d) => {
                    let dt =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    ws.write_datetime_with_format(row, col, &dt, &self.date)?
                }
                Cell::Image(bytes) => {
                    // A thumbnail that does not decode is left out rather than failing the ledger.
                    if let Ok(image) = Image::new_from_buffer(bytes) {
                        ws.set_row_height(row, 60)?;
                        ws.insert_image_fit_to_cell(row, col, &image, true)?;
                    }
                    continue;
                }
            };
        }
        self.next_row += 1;
        Ok(())
    }

    /// Writes the workbook to an anonymous temporary file (deleted when dropped), rewound for
    /// streaming.
    pub fn finish(mut self) -> Result<File, XlsxError> {
        let mut file = tempfile::tempfile()?;
        self.workbook.save_to_writer(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    }
}

/// What an import template holds besides its columns.
pub struct TemplateSpec<'a> {
    /// The first sheet's name (导入保单, 检查项).
    pub sheet: &'a str,
    /// Each column: its header, a sample value and its rule.
    pub columns: &'a [(&'a str, &'a str, &'a str)],
    /// General rules listed under the columns' on the 填写说明 sheet.
    pub notes: &'a [&'a str],
    /// Columns whose values come from a list: the column's header and the values, listed on
    /// the 填写说明 sheet and offered as a drop-down.
    pub lists: &'a [(&'a str, &'a [String])],
    /// Rows the drop-downs reach down to.
    pub rows: u32,
}

/// An import template: the columns with a sample row, and a 填写说明 sheet listing each
/// column's rules and the values of the listed columns (also offered as drop-downs).
pub fn import_template(spec: &TemplateSpec<'_>) -> Result<Vec<u8>, XlsxError> {
    use rust_xlsxwriter::{DataValidation, Formula};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let guide = "填写说明";
    // The lists sit on the guide sheet in columns D, F, H, …
    let list_column = |i: usize| (3 + 2 * i) as u16;
    let letter = |col: u16| char::from(b'A' + col as u8);

    let ws = workbook.add_worksheet();
    ws.set_name(spec.sheet)?;
    for (i, (title, sample, _)) in spec.columns.iter().enumerate() {
        let col = i as u16;
        ws.set_column_width(col, (title.chars().count() as f64 * 2.2).max(14.0))?;
        // Text columns keep leading zeros and long digit strings (credit codes, phones) intact.
        ws.set_column_format(col, &text)?;
        ws.write_string_with_format(0, col, *title, &bold)?;
        ws.write_string(1, col, *sample)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (i, (title, ..)) in spec.columns.iter().enumerate() {
        let Some((n, (_, values))) = spec
            .lists
            .iter()
            .enumerate()
            .find(|(_, (t, values))| t == title && !values.is_empty())
        else {
            continue;
        };
        let col = letter(list_column(n));
        let validation = DataValidation::new()
            .allow_list_formula(Formula::new(format!(
                "='{guide}'!${col}$2:${col}${}",
                values.len() + 1
            )))
            .ignore_blank(true)
            // Warn but accept other text: a leaf name alone is valid too.
            .set_error_style(rust_xlsxwriter::DataValidationErrorStyle::Information);
        ws.add_data_validation(1, i as u16, spec.rows + 1, i as u16, &validation)?;
    }

    let ws = workbook.add_worksheet();
    ws.set_name(guide)?;
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 70)?;
    ws.write_string_with_format(0, 0, "列名", &bold)?;
    ws.write_string_with_format(0, 1, "填写要求", &bold)?;
    for (i, (title, _, hint)) in spec.columns.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, *title)?;
        ws.write_string(row, 1, *hint)?;
    }
    for (row, note) in (spec.columns.len() as u32 + 2..).zip(spec.notes) {
        ws.write_string(row, 0, "说明")?;
        ws.write_string(row, 1, *note)?;
    }
    for (n, (title, values)) in spec.lists.iter().enumerate() {
        let col = list_column(n);
        ws.set_column_width(col, 26)?;
        ws.write_string_with_format(0, col, *title, &bold)?;
        for (i, value) in values.iter().enumerate() {
            ws.write_string(i as u32 + 1, col, value)?;
        }
    }
    workbook.save_to_buffer()
}

/// Why an uploaded workbook was refused before its content was looked at.
pub enum UploadError {
    NoFile,
    TooLarge,
    Broken,
}

impl UploadError {
    pub fn status(&self) -> StatusCode {
        match self {
            UploadError::NoFile | UploadError::Broken => StatusCode::BAD_REQUEST,
            UploadError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            UploadError::NoFile => "请选择要导入的 Excel 文件(.xlsx)",
            UploadError::TooLarge => {
                "文件超过 10 MB,未导入任何数据。请删除无关的工作表、图片和空白格式,或拆分为多个文件后分批导入"
            }
            UploadError::Broken => "文件上传未完成,请重新选择文件上传",
        }
    }
}

/// Reads the `file` field of an import form, counting every byte of every field against the
/// limit as it arrives, so an oversized upload is refused after 10 MB rather than buffered
/// whole.
pub async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Vec<u8>, UploadError> {
    let Ok(mut multipart) = multipart else {
        return Err(UploadError::NoFile);
    };
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

/// An uploaded import's first sheet as rows (at most `max_rows`), or the status and message
/// for a file that is no readable workbook.
pub async fn read_import(
    multipart: Result<Multipart, MultipartRejection>,
    max_rows: usize,
) -> Result<Vec<Vec<String>>, (StatusCode, &'static str)> {
    let bytes = read_upload(multipart)
        .await
        .map_err(|e| (e.status(), e.message()))?;
    let rows = tokio::task::spawn_blocking(move || read_first_sheet(&bytes, max_rows))
        .await
        .map_err(|e| {
            tracing::error!(cause = %e, "reading a workbook stopped");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "读取文件时出错,请稍后重试",
            )
        })?;
    rows.map_err(|e| {
        tracing::info!(cause = %e, "import upload is not a readable workbook");
        let status = match e {
            ReadError::NotXlsx | ReadError::LegacyOrEncrypted => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        (status, e.message())
    })
}

/// A file download of a finished workbook held in memory (the small template).
pub fn download_bytes(bytes: Vec<u8>, ascii_name: &str, name: &str) -> Response {
    let len = bytes.len() as u64;
    download(Body::from(bytes), Some(len), ascii_name, name)
}

/// A file download streamed from a temporary file, so a large export never sits in memory.
pub fn download_file(file: File, ascii_name: &str, name: &str) -> Response {
    download_file_as(file, XLSX_CONTENT_TYPE, ascii_name, name)
}

/// `download_file` of another type (a zip archive).
pub fn download_file_as(
    file: File,
    content_type: &'static str,
    ascii_name: &str,
    name: &str,
) -> Response {
    let len = file.metadata().ok().map(|m| m.len());
    let stream = ReaderStream::new(tokio::fs::File::from_std(file));
    download_as(
        Body::from_stream(stream),
        content_type,
        len,
        ascii_name,
        name,
    )
}

fn download(body: Body, len: Option<u64>, ascii_name: &str, name: &str) -> Response {
    download_as(body, XLSX_CONTENT_TYPE, len, ascii_name, name)
}

fn download_as(
    body: Body,
    content_type: &'static str,
    len: Option<u64>,
    ascii_name: &str,
    name: &str,
) -> Response {
    let mut res = Response::new(body);
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(ascii_name, name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    res
}

/// `Content-Disposition` for a download: an ASCII fallback name for old clients and the real
/// (Chinese) name per RFC 5987.
pub fn content_disposition(ascii_fallback: &str, name: &str) -> String {
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_typed_them() {
        assert_eq!(number_text(12345.0), "12345");
        assert_eq!(number_text(13905951234.0), "13905951234");
        assert_eq!(number_text(12345.670000000001), "12345.67");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(12345678.12), "12345678.12");
        assert_eq!(number_text(-2.5), "-2.5");
        assert_eq!(number_text(0.0), "0");
    }

    #[test]
    fn percent_formats_are_recognized_outside_literals() {
        assert!(is_percent_format("0%"));
        assert!(is_percent_format("0.00%"));
        assert!(!is_percent_format("General"));
        assert!(!is_percent_format("0\"%\""));
        assert!(!is_percent_format("0\\%"));
    }

    #[test]
    fn disposition_encodes_the_chinese_name() {
        assert_eq!(
            content_disposition("policies.xlsx", "保单 1.xlsx"),
            "attachment; filename=\"policies.xlsx\"; filename*=UTF-8''%E4%BF%9D%E5%8D%95%201.xlsx"
        );
    }

    #[test]
    fn not_a_zip_and_old_excel_are_told_apart() {
        assert!(matches!(
            read_first_sheet(b"hello, world", 10),
            Err(ReadError::NotXlsx)
        ));
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.extend_from_slice(&[0; 512]);
        assert!(matches!(
            read_first_sheet(&ole, 10),
            Err(ReadError::LegacyOrEncrypted)
        ));
        assert!(matches!(
            read_first_sheet(b"PK\x03\x04garbage", 10),
            Err(ReadError::Damaged(_))
        ));
    }

    #[test]
    fn a_written_sheet_reads_back_with_dates_numbers_and_percentages() {
        let mut workbook = Workbook::new();
        let ws = workbook.add_worksheet();
        ws.write_string(0, 0, "保单号").unwrap();
        ws.write_string(2, 0, "P-1").unwrap();
        ws.write_number(2, 1, 20000.0).unwrap();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        ws.write_datetime_with_format(2, 2, ExcelDateTime::from_ymd(2026, 1, 31).unwrap(), &date)
            .unwrap();
        ws.write_number_with_format(2, 3, 0.15, &Format::new().set_num_format("0%"))
            .unwrap();
        ws.write_string(2, 100, "far right").unwrap();
        for r in 3..10 {
            ws.write_string(r, 0, format!("P-{r}")).unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let rows = read_first_sheet(&bytes, 4).unwrap();
        assert_eq!(rows[0], vec!["保单号"]);
        assert!(rows[1].is_empty(), "blank row 2 keeps its place");
        assert_eq!(rows[2], vec!["P-1", "20000", "2026-01-31", "15%"]);
        assert_eq!(rows.len(), 5, "stops after the rows asked for");
    }
}
