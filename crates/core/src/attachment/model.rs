use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::FieldErrors;
use crate::ids::{AccountId, AttachmentId, OrderId};
use crate::time::format_datetime;

/// What a file is, decided from its content (never from its name or the browser's claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FileKind {
    Jpeg,
    Png,
    Webp,
    /// iPhones' default photo format. Stored and served, but browsers other than Safari cannot
    /// show it and the image decoder here cannot read it, so it gets no thumbnail.
    Heic,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
}

/// Photos of any kind the phones in use produce.
pub const IMAGES: &[FileKind] = &[
    FileKind::Jpeg,
    FileKind::Png,
    FileKind::Webp,
    FileKind::Heic,
];
/// Office documents and PDF (reports, courseware, plans).
pub const DOCUMENTS: &[FileKind] = &[
    FileKind::Pdf,
    FileKind::Docx,
    FileKind::Xlsx,
    FileKind::Pptx,
];
/// Photos or scans (a signed sheet is often photographed, sometimes scanned to PDF).
pub const IMAGES_AND_PDF: &[FileKind] = &[
    FileKind::Jpeg,
    FileKind::Png,
    FileKind::Webp,
    FileKind::Heic,
    FileKind::Pdf,
];

/// Storage keys of attachments start with this; `anze storage gc` looks only under it.
pub const KEY_PREFIX: &str = "att/";

const ZIP_LOCAL: &[u8] = b"PK\x03\x04";
const ZIP_CENTRAL: &[u8] = b"PK\x01\x02";

impl FileKind {
    pub const ALL: [FileKind; 8] = [
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Webp,
        FileKind::Heic,
        FileKind::Pdf,
        FileKind::Docx,
        FileKind::Xlsx,
        FileKind::Pptx,
    ];

    /// How many leading bytes `sniff` wants: enough for every signature, and for the first
    /// entries of an Office file's zip.
    pub const SNIFF_LEN: usize = 64 * 1024;

    /// How many trailing bytes `sniff_zip_directory` wants: a zip's central directory (the list of
    /// its entries) sits at the end, and 64 KiB holds several hundred entries.
    pub const ZIP_TAIL_LEN: usize = 64 * 1024;

    pub fn code(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Heic => "heic",
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Pptx => "pptx",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Heic => "image/heic",
            FileKind::Pdf => "application/pdf",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileKind::Jpeg => "JPEG 图片",
            FileKind::Png => "PNG 图片",
            FileKind::Webp => "WebP 图片",
            FileKind::Heic => "HEIC 图片",
            FileKind::Pdf => "PDF 文档",
            FileKind::Docx => "Word 文档",
            FileKind::Xlsx => "Excel 表格",
            FileKind::Pptx => "PowerPoint 演示文稿",
        }
    }

    /// The short name users know the format by, for "支持 JPG、PNG、PDF" hints.
    pub fn short_label(self) -> &'static str {
        match self {
            FileKind::Jpeg => "JPG",
            FileKind::Png => "PNG",
            FileKind::Webp => "WebP",
            FileKind::Heic => "HEIC",
            FileKind::Pdf => "PDF",
            FileKind::Docx => "Word",
            FileKind::Xlsx => "Excel",
            FileKind::Pptx => "PPT",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(
            self,
            FileKind::Jpeg | FileKind::Png | FileKind::Webp | FileKind::Heic
        )
    }

    /// Whether a thumbnail can be made (the decoder reads JPEG, PNG and WebP).
    pub fn can_thumbnail(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png | FileKind::Webp)
    }

    /// Whether browsers show it in place (`Content-Disposition: inline`) rather than save it.
    pub fn shows_inline(self) -> bool {
        self.is_image() || self == FileKind::Pdf
    }

    /// File-name extensions of the format, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            FileKind::Png => &["png"],
            FileKind::Webp => &["webp"],
            FileKind::Heic => &["heic", "heif"],
            FileKind::Pdf => &["pdf"],
            FileKind::Docx => &["docx"],
            FileKind::Xlsx => &["xlsx"],
            FileKind::Pptx => &["pptx"],
        }
    }

    /// The format of a file from its first bytes (pass `SNIFF_LEN` of them, or the whole file if
    /// shorter). `None` for anything else, and for a zip whose first entries do not tell which
    /// Office format it is: check `is_zip`, then decide with `sniff_zip_directory` on its end.
    pub fn sniff(first_bytes: &[u8]) -> Option<FileKind> {
        let b = first_bytes;
        if infer::image::is_jpeg(b) {
            Some(FileKind::Jpeg)
        } else if infer::image::is_png(b) {
            Some(FileKind::Png)
        } else if b.starts_with(b"RIFF") && infer::image::is_webp(b) {
            // infer looks only at the "WEBP" fourcc; a RIFF header makes it a WebP file.
            Some(FileKind::Webp)
        } else if infer::image::is_heif(b) {
            Some(FileKind::Heic)
        } else if infer::archive::is_pdf(b) {
            Some(FileKind::Pdf)
        } else if Self::is_zip(b) {
            // infer's own Office check only looks at the 3rd and 4th entries, which depends on
            // the writing program's entry order; the entry names settle it for any order.
            office_kind(local_entry_names(b))
        } else {
            None
        }
    }

    /// A zip archive (Office files are zips), whose kind may need `sniff_zip_directory`.
    pub fn is_zip(first_bytes: &[u8]) -> bool {
        first_bytes.starts_with(ZIP_LOCAL)
    }

    /// The Office format of a zip from its last bytes (`ZIP_TAIL_LEN` of them), which hold the
    /// central directory listing every entry.
    pub fn sniff_zip_directory(last_bytes: &[u8]) -> Option<FileKind> {
        office_kind(central_entry_names(last_bytes))
    }

    /// The name a file is stored under, given its sanitized original name: kept when its
    /// extension fits the content; the right extension appended when it has none we know;
    /// refused when it names another format (a `.jpg` that is really a PDF).
    pub fn name_for(self, name: &str) -> Result<String, String> {
        let ext = name
            .rsplit_once('.')
            .map(|(stem, ext)| (stem, ext.to_ascii_lowercase()))
            .filter(|(stem, _)| !stem.is_empty())
            .map(|(_, ext)| ext);
        match ext {
            Some(ext) if self.extensions().contains(&ext.as_str()) => Ok(name.to_string()),
            Some(ext) => match FileKind::ALL
                .into_iter()
                .find(|k| k.extensions().contains(&ext.as_str()))
            {
                Some(claimed) => Err(format!(
                    "文件“{name}”的扩展名表明是{},但内容是{},请确认后重新选择",
                    claimed.label(),
                    self.label()
                )),
                None => Ok(format!("{name}.{}", self.extensions()[0])),
            },
            None => Ok(format!("{name}.{}", self.extensions()[0])),
        }
    }
}

/// The Office format named by a zip's entries: `[Content_Types].xml` marks Office Open XML, and
/// the top folder tells which application wrote it.
fn office_kind<'a>(names: impl Iterator<Item = &'a [u8]>) -> Option<FileKind> {
    let mut content_types = false;
    let mut kind = None;
    for name in names {
        if name == b"[Content_Types].xml" {
            content_types = true;
        } else if kind.is_none() {
            kind = if name.starts_with(b"word/") {
                Some(FileKind::Docx)
            } else if name.starts_with(b"xl/") {
                Some(FileKind::Xlsx)
            } else if name.starts_with(b"ppt/") {
                Some(FileKind::Pptx)
            } else {
                None
            };
        }
        if content_types && kind.is_some() {
            return kind;
        }
    }
    None
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2)
        .map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

/// Names of the zip entries whose local headers lie in `b`, walking header to header.
fn local_entry_names(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = Some(0usize);
    std::iter::from_fn(move || {
        let p = at?;
        if b.get(p..p + 4) != Some(ZIP_LOCAL) {
            at = None;
            return None;
        }
        let (flags, compressed, name_len, extra_len) = (
            u16_at(b, p + 6)?,
            u32_at(b, p + 18)?,
            u16_at(b, p + 26)?,
            u16_at(b, p + 28)?,
        );
        let name_start = p + 30;
        let name = b.get(name_start..name_start + name_len)?;
        let data = name_start + name_len + extra_len;
        at = if flags & 0x08 == 0 {
            Some(data + compressed)
        } else {
            // Sizes follow the data (streamed writers): find the next header instead.
            b.get(data..)
                .and_then(|rest| rest.windows(4).position(|w| w == ZIP_LOCAL))
                .map(|i| data + i)
        };
        Some(name)
    })
}

/// Names in the central-directory records found in `b` (the end of a zip).
fn central_entry_names(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.windows(4)
        .enumerate()
        .filter(|(_, w)| *w == ZIP_CENTRAL)
        .filter_map(move |(p, _)| {
            let name_len = u16_at(b, p + 28)?;
            b.get(p + 46..p + 46 + name_len)
        })
}

/// An upload field's rule: which formats it takes and how many files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRule {
    /// The multipart field name, also the `field` stored with each file.
    pub field: &'static str,
    /// What the form calls it (签到表, 现场照片, ...).
    pub label: &'static str,
    pub allowed: &'static [FileKind],
    /// At least one file must be held after the save.
    pub required: bool,
    pub max_files: usize,
}

impl FileRule {
    pub fn allows(&self, kind: FileKind) -> bool {
        self.allowed.contains(&kind)
    }

    /// Whether every allowed kind is an image (the form then offers the camera).
    pub fn images_only(&self) -> bool {
        self.allowed.iter().all(|k| k.is_image())
    }

    /// The hint under the field: what it takes, how many, and whether it must have one.
    pub fn hint(&self) -> String {
        format!(
            "支持 {},最多 {} 个{}",
            self.allowed_labels(),
            self.max_files,
            if self.required { ",必须上传" } else { "" }
        )
    }

    /// "JPG、PNG、WebP、HEIC", for the hint under the field and refusal messages.
    pub fn allowed_labels(&self) -> String {
        self.allowed
            .iter()
            .map(|k| k.short_label())
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The file input's `accept` attribute: a hint to the file picker, never trusted.
    pub fn accept(&self) -> String {
        self.allowed
            .iter()
            .flat_map(|k| {
                std::iter::once(k.mime().to_string())
                    .chain(k.extensions().iter().map(|e| format!(".{e}")))
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Checks the rules over what a record holds after a save: files it keeps plus files added.
/// Returns the errors under each field, for the caller to merge with its own.
pub fn check_files(
    rules: &[FileRule],
    added: &[(String, NewAttachment)],
    kept: &[Attachment],
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for rule in rules {
        let n = added.iter().filter(|(f, _)| f == rule.field).count()
            + kept.iter().filter(|a| a.field == rule.field).count();
        if rule.required && n == 0 {
            errors.add(rule.field, format!("请上传{}", rule.label));
        } else if n > rule.max_files {
            errors.add(
                rule.field,
                format!("{}最多 {} 个文件(当前 {n} 个)", rule.label, rule.max_files),
            );
        }
    }
    errors
}

/// Which kind of record owns an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum OwnerKind {
    /// 安全培训
    Training,
    /// 风险识别
    Risk,
    /// 标准化建设
    Standardization,
    /// 应急预案编制和演练
    Emergency,
    /// 安全生产科技推广应用
    Promotion,
    /// 其他有关事故预防工作
    OtherWork,
    /// 隐患排查 (排查记录)
    Inspection,
    /// 隐患
    Hazard,
    /// 投诉
    Complaint,
}

impl OwnerKind {
    pub const ALL: [OwnerKind; 9] = [
        OwnerKind::Training,
        OwnerKind::Risk,
        OwnerKind::Standardization,
        OwnerKind::Emergency,
        OwnerKind::Promotion,
        OwnerKind::OtherWork,
        OwnerKind::Inspection,
        OwnerKind::Hazard,
        OwnerKind::Complaint,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OwnerKind::Training => "training",
            OwnerKind::Risk => "risk",
            OwnerKind::Standardization => "standardization",
            OwnerKind::Emergency => "emergency",
            OwnerKind::Promotion => "promotion",
            OwnerKind::OtherWork => "other_work",
            OwnerKind::Inspection => "inspection",
            OwnerKind::Hazard => "hazard",
            OwnerKind::Complaint => "complaint",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The record an attachment evidences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct OwnerRef {
    pub kind: OwnerKind,
    pub id: i64,
}

/// A stored file, as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: AttachmentId,
    /// The order whose scope decides who may download it.
    pub order_id: OrderId,
    pub owner: OwnerRef,
    /// The upload field it came through (a `FileRule::field`).
    pub field: String,
    pub original_name: String,
    pub size: u64,
    /// Hex SHA-256 of the content, computed while it streamed in.
    pub sha256: String,
    pub kind: FileKind,
    /// EXIF 拍摄时间, when the photo carries it.
    pub captured_at: Option<DateTime<Utc>>,
    /// EXIF (latitude, longitude) in degrees, when the photo carries it.
    pub gps: Option<(f64, f64)>,
    /// Perceptual hash and the algorithm that made it; `None` for files that are not decodable
    /// images, near-uniform images, and photos stored before fingerprints existed.
    pub phash: Option<PerceptualHash>,
    pub has_thumbnail: bool,
    pub uploaded_by: AccountId,
    /// 上传人 as `姓名(账号)`.
    pub uploaded_by_name: String,
    pub uploaded_at: DateTime<Utc>,
    /// Where the bytes are; never shown, never put in a URL.
    #[serde(skip)]
    pub storage_key: String,
    #[serde(skip)]
    pub thumb_key: Option<String>,
}

impl Attachment {
    pub fn is_image(&self) -> bool {
        self.kind.is_image()
    }

    /// "1.2 MB"
    pub fn size_label(&self) -> String {
        size_label(self.size)
    }

    pub fn captured_label(&self) -> Option<String> {
        self.captured_at.map(format_datetime)
    }

    /// "24.874210, 118.675870"
    pub fn gps_label(&self) -> Option<String> {
        self.gps.map(|(lat, lng)| format!("{lat:.6}, {lng:.6}"))
    }

    pub fn uploaded_label(&self) -> String {
        format_datetime(self.uploaded_at)
    }

    /// Every storage key the row references (the file and its thumbnail).
    pub fn keys(&self) -> Vec<String> {
        std::iter::once(self.storage_key.clone())
            .chain(self.thumb_key.clone())
            .collect()
    }
}

/// What an upload produced, ready to be inserted with its record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment {
    pub storage_key: String,
    pub thumb_key: Option<String>,
    /// Sanitized, with an extension that fits `kind`.
    pub original_name: String,
    pub size: u64,
    pub sha256: String,
    pub kind: FileKind,
    pub captured_at: Option<DateTime<Utc>>,
    pub gps: Option<(f64, f64)>,
    /// For an image that could be decoded: whether it is all but one colour (a signature pad
    /// nobody signed). `None` when it was not decoded.
    pub uniform: Option<bool>,
    /// Computed from the decoded, upright image unless it is near-uniform.
    pub phash: Option<PerceptualHash>,
}

impl NewAttachment {
    pub fn keys(&self) -> Vec<String> {
        std::iter::once(self.storage_key.clone())
            .chain(self.thumb_key.clone())
            .collect()
    }

    pub fn size_label(&self) -> String {
        size_label(self.size)
    }
}

/// A 64-bit perceptual hash of a photo, with the label of the algorithm and settings that made
/// it: hashes are compared only when their labels are equal, so a later change of algorithm
/// starts a new label instead of silently comparing unlike values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PerceptualHash {
    pub bits: u64,
    pub alg: &'static str,
}

/// The algorithm of every hash computed now: image_hasher 3's `Gradient` (dHash) at 8×8 bits
/// with the `Triangle` resize filter, over the photo's thumbnail (at most 400 px, EXIF
/// orientation applied, transparency flattened on white). Hashing the thumbnail makes a photo
/// and its resized copies start from nearly the same pixels, and costs a fraction of hashing
/// the full image.
pub const PHASH_ALG: &str = "dHash-8x8-v1";

impl PerceptualHash {
    pub fn current(bits: u64) -> Self {
        Self {
            bits,
            alg: PHASH_ALG,
        }
    }

    /// A stored hash; `None` for a label this version does not know.
    pub fn from_stored(bits: i64, alg: &str) -> Option<Self> {
        (alg == PHASH_ALG).then(|| Self::current(bits as u64))
    }

    /// The database holds signed 64-bit integers; the bits are kept as they are.
    pub fn stored_bits(self) -> i64 {
        self.bits as i64
    }

    /// The four 16-bit bands, lowest first. Two hashes within 3 bits of each other agree on at
    /// least one band (pigeonhole), so looking candidates up by band finds every such pair.
    pub fn bands(self) -> [i32; 4] {
        [0, 16, 32, 48].map(|shift| ((self.bits >> shift) & 0xFFFF) as i32)
    }

    /// Bits that differ.
    pub fn distance(self, other: Self) -> u32 {
        (self.bits ^ other.bits).count_ones()
    }
}

/// Binary units, as file managers show them: "512 B", "12.3 KB", "1.2 MB".
pub fn size_label(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A fresh storage key, `att/2026/11/<32 hex>`: the month keeps directories small and makes
/// listings readable; the random part is unguessable and never collides in practice.
pub fn storage_key(now: DateTime<Utc>, random: [u8; 16]) -> String {
    let local = now.with_timezone(&crate::time::china());
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{KEY_PREFIX}{}/{hex}", local.format("%Y/%m"))
}

/// Where a file's thumbnail is stored.
pub fn thumb_key(storage_key: &str) -> String {
    format!("{storage_key}-thumb")
}

/// A GPS position worth keeping: in range and not the (0, 0) some cameras write without a fix.
pub fn valid_gps(lat: f64, lng: f64) -> Option<(f64, f64)> {
    let in_range = lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng);
    (in_range && !(lat == 0.0 && lng == 0.0)).then_some((lat, lng))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06";
    const WEBP: &[u8] = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00";
    const HEIC: &[u8] = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic";
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

    /// A zip's bytes as an Office program writes them: local entries, then the directory.
    fn zip(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for name in names {
            let offset = out.len() as u32;
            let data = b"<xml/>";
            let mut header = Vec::new();
            header.extend_from_slice(ZIP_LOCAL);
            header.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            header.extend_from_slice(&(data.len() as u32).to_le_bytes());
            header.extend_from_slice(&(data.len() as u32).to_le_bytes());
            header.extend_from_slice(&(name.len() as u16).to_le_bytes());
            header.extend_from_slice(&0u16.to_le_bytes());
            header.extend_from_slice(name.as_bytes());
            header.extend_from_slice(data);
            out.extend_from_slice(&header);
            let mut c = Vec::new();
            c.extend_from_slice(ZIP_CENTRAL);
            c.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(&(name.len() as u16).to_le_bytes());
            c.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            c.extend_from_slice(&offset.to_le_bytes());
            c.extend_from_slice(name.as_bytes());
            central.extend_from_slice(&c);
        }
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 18]);
        out
    }

    #[test]
    fn images_and_pdf_are_told_by_their_signatures() {
        assert_eq!(FileKind::sniff(JPEG), Some(FileKind::Jpeg));
        assert_eq!(FileKind::sniff(PNG), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(WEBP), Some(FileKind::Webp));
        assert_eq!(FileKind::sniff(HEIC), Some(FileKind::Heic));
        assert_eq!(FileKind::sniff(PDF), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b""), None);
        assert_eq!(FileKind::sniff(b"GIF89a\x01\x00\x01\x00"), None);
        assert_eq!(FileKind::sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(FileKind::sniff(b"MZ\x90\x00\x03\x00"), None, "executables");
        // A WEBP fourcc without the RIFF container is not a WebP file.
        assert_eq!(FileKind::sniff(b"XXXX\x24\x00\x00\x00WEBPVP8 "), None);
    }

    #[test]
    fn office_files_are_told_apart_by_their_entries_in_any_order() {
        let docx = zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        let xlsx = zip(&["docProps/app.xml", "xl/workbook.xml", "[Content_Types].xml"]);
        let pptx = zip(&["[Content_Types].xml", "ppt/presentation.xml"]);
        assert_eq!(FileKind::sniff(&docx), Some(FileKind::Docx));
        assert_eq!(FileKind::sniff(&xlsx), Some(FileKind::Xlsx));
        assert_eq!(FileKind::sniff(&pptx), Some(FileKind::Pptx));
        // A plain zip, and an OpenDocument file, are none of them.
        let plain = zip(&["a.txt", "b/c.txt"]);
        assert_eq!(FileKind::sniff(&plain), None);
        assert!(FileKind::is_zip(&plain));
        assert_eq!(FileKind::sniff_zip_directory(&plain), None);
        let odt = zip(&["mimetype", "content.xml", "META-INF/manifest.xml"]);
        assert_eq!(FileKind::sniff(&odt), None);
    }

    #[test]
    fn an_office_file_whose_first_entries_are_cut_off_is_told_by_its_directory() {
        let docx = zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        // Only the first 60 bytes arrived in the head: not enough to see `word/`.
        assert_eq!(FileKind::sniff(&docx[..60]), None);
        assert!(FileKind::is_zip(&docx[..60]));
        let tail = &docx[60..];
        assert_eq!(FileKind::sniff_zip_directory(tail), Some(FileKind::Docx));
    }

    #[test]
    fn disguised_files_are_recognised_for_what_they_are() {
        // A PDF named photo.jpg: the content says PDF, and the name is refused for it.
        let kind = FileKind::sniff(PDF).unwrap();
        assert_eq!(kind, FileKind::Pdf);
        assert!(
            !FileRule {
                field: "photos",
                label: "现场照片",
                allowed: IMAGES,
                required: false,
                max_files: 9
            }
            .allows(kind)
        );
        let err = kind.name_for("photo.jpg").unwrap_err();
        assert!(
            err.contains("JPEG 图片") && err.contains("PDF 文档"),
            "{err}"
        );
        // An HTML page named report.pdf is nothing we accept.
        assert_eq!(FileKind::sniff(b"<!DOCTYPE html><html>"), None);
        // A docx renamed .xlsx is refused by name, even though both are Office files.
        assert!(FileKind::Docx.name_for("报表.xlsx").is_err());
    }

    #[test]
    fn names_keep_a_fitting_extension_and_gain_a_missing_one() {
        assert_eq!(FileKind::Jpeg.name_for("现场.JPG").unwrap(), "现场.JPG");
        assert_eq!(
            FileKind::Jpeg.name_for("IMG_0001.jpeg").unwrap(),
            "IMG_0001.jpeg"
        );
        assert_eq!(FileKind::Jpeg.name_for("image").unwrap(), "image.jpg");
        assert_eq!(
            FileKind::Pdf.name_for("扫描件.tmp").unwrap(),
            "扫描件.tmp.pdf"
        );
        assert_eq!(FileKind::Pdf.name_for(".pdf").unwrap(), ".pdf.pdf");
        assert_eq!(FileKind::Heic.name_for("IMG_1.HEIC").unwrap(), "IMG_1.HEIC");
    }

    #[test]
    fn rules_check_required_and_count_over_kept_and_added_files() {
        const RULES: &[FileRule] = &[
            FileRule {
                field: "report",
                label: "评估报告",
                allowed: DOCUMENTS,
                required: true,
                max_files: 1,
            },
            FileRule {
                field: "photos",
                label: "现场照片",
                allowed: IMAGES,
                required: false,
                max_files: 2,
            },
        ];
        let new = |field: &str| {
            (
                field.to_string(),
                NewAttachment {
                    storage_key: "att/2026/11/x".into(),
                    thumb_key: None,
                    original_name: "a.pdf".into(),
                    size: 1,
                    sha256: String::new(),
                    kind: FileKind::Pdf,
                    captured_at: None,
                    gps: None,
                    uniform: None,
                    phash: None,
                },
            )
        };
        let errors = check_files(RULES, &[], &[]);
        assert_eq!(errors.get("report"), Some("请上传评估报告"));
        assert!(errors.get("photos").is_none());
        let errors = check_files(
            RULES,
            &[new("report"), new("photos"), new("photos"), new("photos")],
            &[],
        );
        assert!(errors.get("report").is_none());
        assert_eq!(
            errors.get("photos"),
            Some("现场照片最多 2 个文件(当前 3 个)")
        );
        assert!(RULES[1].images_only() && !RULES[0].images_only());
        assert_eq!(RULES[1].allowed_labels(), "JPG、PNG、WebP、HEIC");
        assert!(RULES[0].accept().contains("application/pdf,.pdf"));
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(size_label(0), "0 B");
        assert_eq!(size_label(1023), "1023 B");
        assert_eq!(size_label(1536), "1.5 KB");
        assert_eq!(size_label(1_258_291), "1.2 MB");
        assert_eq!(size_label(50 * 1024 * 1024 * 1024), "50.0 GB");
    }

    #[test]
    fn keys_are_monthly_and_random() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T17:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        // 17:00 UTC on the 30th is already December in China.
        let key = storage_key(at, [0xab; 16]);
        assert_eq!(key, format!("att/2026/12/{}", "ab".repeat(16)));
        assert_eq!(thumb_key(&key), format!("{key}-thumb"));
    }

    #[test]
    fn gps_without_a_fix_is_dropped() {
        assert_eq!(valid_gps(0.0, 0.0), None);
        assert_eq!(valid_gps(91.0, 10.0), None);
        assert_eq!(valid_gps(f64::NAN, 10.0), None);
        assert_eq!(valid_gps(24.87, 118.67), Some((24.87, 118.67)));
    }

    #[test]
    fn codes_round_trip() {
        for k in FileKind::ALL {
            assert_eq!(FileKind::from_code(k.code()), Some(k));
        }
        for k in OwnerKind::ALL {
            assert_eq!(OwnerKind::from_code(k.code()), Some(k));
        }
    }
}

/// How long a pending upload waits for its form to come back.
pub const PENDING_HOURS: i64 = 24;

/// A file that came with a form the service refused (a validation error): kept so the form's
/// next submit carries it again without the user picking it again (on a phone, taking the
/// photo again). Bound to the account that uploaded it; forgotten after `PENDING_HOURS`, when
/// `anze storage gc` removes its blob.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingUpload {
    /// Random, 32 hex characters: what the form carries back.
    pub token: String,
    pub account: AccountId,
    /// The form's file field it came through.
    pub field: String,
    pub file: NewAttachment,
    pub created_at: DateTime<Utc>,
}

impl PendingUpload {
    /// A new token: 128 random bits, as hex.
    pub fn new_token() -> String {
        use rand::RngCore;
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `raw` looks like a token at all (anything else is not looked up).
    pub fn is_token(raw: &str) -> bool {
        raw.len() == 32
            && raw
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }
}
